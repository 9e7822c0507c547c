//===- main.cpp - infrac entry point --------------------------------------===//

#include "Driver/Driver.h"

#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace {

#ifdef INFRAC_MIMALLOC
// Linked with mimalloc (compiler/CMakeLists.txt): its setting, read at start-up.
// `infrac build` on the build benchmark's files, CPU time against glibc's
// malloc with its huge pages: 500 fragments (1.3 MiB) 106-108 ms against
// 148-153 ms, 100 fragments (180 KiB) 26-28 against 56-63 ms, 20 (36 KiB) 13
// against 19-21 ms; without huge pages mimalloc is no faster than glibc (240 ms
// and 10,000 page faults at 500 fragments), and small files do not notice.
constexpr const char *hugePagesVariable = "MIMALLOC_LARGE_OS_PAGES";
constexpr const char *hugePagesValue = "1";
constexpr off_t hugePagesThreshold = 32 << 10;
// mimalloc commits a new thread's first segment page by page, in small pages,
// whatever the setting above: the parser's second thread took 650 page faults
// (15 ms of a 500-fragment check) until its segments were committed at once.
constexpr const char *eagerCommitVariable = "MIMALLOC_EAGER_COMMIT_DELAY";
constexpr const char *eagerCommitValue = "0";
#else
constexpr const char *hugePagesVariable = "GLIBC_TUNABLES";
constexpr const char *hugePagesValue = "glibc.malloc.hugetlb=1";
constexpr off_t hugePagesThreshold = 512 << 10;
#endif

/// On large inputs, runs the process again with the allocator (glibc's malloc,
/// or mimalloc where linked) backing its heap with transparent huge pages. Both
/// read that setting only at start-up, hence the re-execution; it costs about a
/// millisecond, so only inputs above a threshold pay it. Measured with glibc
/// on this 2-core VM, where a page fault costs about 10 us: at 10,000
/// resources (1.2 MiB) page faults go from 9,600 to 1,400 and `infrac check`
/// from 0.23 s to 0.13 s; at 100,000 (12.5 MiB) from 94,000 to 2,300 and from
/// 2.2 s to 1.2-1.7 s. The variable is removed again so that nothing infrac
/// starts inherits it; one set by the user is left alone.
void preferHugePages(int argc, char **argv) {
  if (const char *t = std::getenv(hugePagesVariable)) {
    if (std::strcmp(t, hugePagesValue) == 0) {
      unsetenv(hugePagesVariable);
#ifdef INFRAC_MIMALLOC
      // Set along with it: unset too when it has our value.
      if (const char *e = std::getenv(eagerCommitVariable))
        if (std::strcmp(e, eagerCommitValue) == 0)
          unsetenv(eagerCommitVariable);
#endif
    }
    return;
  }
  off_t total = 0;
  struct stat st;
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-' && stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
      total += st.st_size;
  if (total < hugePagesThreshold)
    return;
  if (setenv(hugePagesVariable, hugePagesValue, 1) != 0)
    return;
#ifdef INFRAC_MIMALLOC
  bool eagerSet = !std::getenv(eagerCommitVariable) &&
                  setenv(eagerCommitVariable, eagerCommitValue, 1) == 0;
#endif
  execv("/proc/self/exe", argv);
  unsetenv(hugePagesVariable); // Could not re-execute: carry on as we are.
#ifdef INFRAC_MIMALLOC
  if (eagerSet)
    unsetenv(eagerCommitVariable);
#endif
}

} // namespace

int main(int argc, char **argv) {
  preferHugePages(argc, argv);
  return infrac::driverMain(argc, argv);
}

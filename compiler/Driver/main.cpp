//===- main.cpp - infrac entry point --------------------------------------===//

#include "Driver/Driver.h"

#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#ifdef INFRAC_MIMALLOC
#include "llvm/Support/thread.h"

#include <mimalloc.h>
#endif

namespace {

/// The bytes of the files named on the command line.
off_t inputBytes(int argc, char **argv) {
  off_t total = 0;
  struct stat st;
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-' && stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
      total += st.st_size;
  return total;
}

// Large inputs want their heap in transparent huge pages: on this 2-core VM
// a page fault costs about 10 us, and infrac's allocations (ANTLR's runtime
// allocates per parse-tree node) fault in tens of thousands of small pages.

#ifdef INFRAC_MIMALLOC
// Linked with mimalloc (compiler/CMakeLists.txt). Its options can be changed
// at run time and apply to the memory it maps from then on, but the main
// thread's first 32 MiB segment was mapped in small pages for the static
// initialisers, and it would serve most of a check. A new thread maps
// segments of its own: on large inputs the whole command runs on one, with
// mimalloc told to back new segments with huge pages and to commit them at
// once (by default it commits a new thread's first segment page by page).
// Measured at 500 fragments (0.9 MiB): without huge pages 10,000 page faults
// and 240 ms; with them about 500 faults and a quarter of the time. Until
// 2026-11-23 infrac re-executed itself with MIMALLOC_LARGE_OS_PAGES set
// instead, which cost a second process start (about 7 ms of a 70 ms build).
constexpr off_t hugePagesThreshold = 32 << 10;
constexpr unsigned commandStackBytes = 16 << 20;

struct Command {
  int argc;
  char **argv;
  int exitCode = 0;
};

int runOnHugePages(int argc, char **argv) {
  mi_option_enable(mi_option_large_os_pages);
  mi_option_set(mi_option_eager_commit_delay, 0);
  Command cmd{argc, argv};
  llvm::thread worker(llvm::Optional<unsigned>(commandStackBytes),
                      [](Command *c) { c->exitCode = infrac::driverMain(c->argc, c->argv); },
                      &cmd);
  worker.join();
  return cmd.exitCode;
}

#else
// glibc's malloc backs its heap with huge pages only when asked through the
// glibc.malloc.hugetlb tunable, read at start-up: on large inputs infrac runs
// itself again with it set. At 10,000 resources (1.2 MiB) page faults go from
// 9,600 to 1,400 and `infrac check` from 0.23 s to 0.13 s; at 100,000 (12.5
// MiB) from 94,000 to 2,300 and from 2.2 s to 1.2-1.7 s. The variable is
// removed again so that nothing infrac starts inherits it; one set by the
// user is left alone.
constexpr const char *hugePagesVariable = "GLIBC_TUNABLES";
constexpr const char *hugePagesValue = "glibc.malloc.hugetlb=1";
constexpr off_t hugePagesThreshold = 512 << 10;

void reexecOnHugePages(char **argv) {
  if (setenv(hugePagesVariable, hugePagesValue, 1) != 0)
    return;
  execv("/proc/self/exe", argv);
  unsetenv(hugePagesVariable); // Could not re-execute: carry on as we are.
}
#endif

} // namespace

/// The language server re-checks whole documents on every change: it gets
/// the large-input treatment whatever its arguments.
bool isLanguageServer(int argc, char **argv) {
  return argc >= 2 && std::strcmp(argv[1], "lsp") == 0;
}

int main(int argc, char **argv) {
#ifdef INFRAC_MIMALLOC
  if (inputBytes(argc, argv) >= hugePagesThreshold || isLanguageServer(argc, argv))
    return runOnHugePages(argc, argv);
#else
  if (const char *t = std::getenv(hugePagesVariable)) {
    if (std::strcmp(t, hugePagesValue) == 0)
      unsetenv(hugePagesVariable); // Ours, from the run before this one.
  } else if (inputBytes(argc, argv) >= hugePagesThreshold || isLanguageServer(argc, argv)) {
    reexecOnHugePages(argv);
  }
#endif
  return infrac::driverMain(argc, argv);
}

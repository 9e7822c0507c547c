//===- Child.cpp - Timed child processes for the benchmarks ---------------===//

#include "Child.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

namespace infrac::bench {

using Clock = std::chrono::steady_clock;

Run runChild(const std::vector<std::string> &args, bool hugePages) {
  std::vector<std::string> envStore;
  for (char **e = environ; *e; ++e)
    if (std::strncmp(*e, "GLIBC_TUNABLES=", 15) != 0)
      envStore.push_back(*e);
  if (hugePages)
    envStore.push_back("GLIBC_TUNABLES=glibc.malloc.hugetlb=1");
  std::vector<char *> envp;
  for (std::string &e : envStore)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char *> argv;
  for (const std::string &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  Run run;
  pid_t pid;
  auto start = Clock::now();
  int err = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    std::fprintf(stderr, "cannot run %s: %s\n", argv[0], std::strerror(err));
    return run;
  }
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.maxRssKiB = usage.ru_maxrss;
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.ok = run.exitCode == 0;
  return run;
}


Run best(const std::vector<std::string> &args, unsigned repeat, bool hugePages) {
  Run out;
  for (unsigned i = 0; i < repeat; ++i) {
    Run r = runChild(args, hugePages);
    if (!r.ok)
      return r;
    if (i == 0 || r.seconds < out.seconds)
      out.seconds = r.seconds;
    out.maxRssKiB = std::max(out.maxRssKiB, r.maxRssKiB);
    out.ok = true;
    out.exitCode = 0;
  }
  return out;
}

} // namespace infrac::bench

//===- Child.h - Timed child processes for the benchmarks -------*- C++ -*-===//
#ifndef INFRAC_BENCH_CHILD_H
#define INFRAC_BENCH_CHILD_H

#include <string>
#include <vector>

namespace infrac::bench {

/// One timed run of a program.
struct Run {
  bool ok = false;
  int exitCode = -1;
  double seconds = 0;
  long maxRssKiB = 0;
};

/// Runs `args` (args[0] is a path) with stdout and stderr discarded: wall
/// time and peak RSS (wait4). With `hugePages`, the child's glibc malloc uses
/// transparent huge pages (GLIBC_TUNABLES), as `infrac` arranges for itself on
/// inputs of 512 KiB or more, so that a comparison stays fair.
Run runChild(const std::vector<std::string> &args, bool hugePages = false);

/// The fastest of `repeat` runs, and the largest RSS seen; the first failure
/// ends the series.
Run best(const std::vector<std::string> &args, unsigned repeat, bool hugePages = false);

} // namespace infrac::bench

#endif

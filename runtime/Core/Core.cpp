//===- Core.cpp - Scheduler and time helpers ------------------------------===//

#include "Core/Core.h"

#include <cinttypes>
#include <cstdio>

namespace infrac::runtime {

Scheduler::~Scheduler() = default;

void formatInstant(Instant t, char *buf, size_t size) {
  int64_t ms = t / 1000;
  std::snprintf(buf, size, "%" PRId64 ".%03" PRId64 "s", ms / 1000, ms % 1000);
}

void formatDuration(Duration d, char *buf, size_t size) {
  if (d < millis(10))
    std::snprintf(buf, size, "%.2fms", double(d) / 1000.0);
  else if (d < seconds(1))
    std::snprintf(buf, size, "%.1fms", double(d) / 1000.0);
  else
    std::snprintf(buf, size, "%.3fs", double(d) / 1e6);
}

} // namespace infrac::runtime

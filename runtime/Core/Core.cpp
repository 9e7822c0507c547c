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

} // namespace infrac::runtime

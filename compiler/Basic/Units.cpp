//===- Units.cpp - Units of quantities ------------------------------------===//

#include "Basic/Units.h"

#include <fmt/format.h>

#include <cmath>

using namespace infrac;

static const UnitInfo units[] = {
    {"ms", Dimension::Duration, 1},
    {"s", Dimension::Duration, 1000},
    {"m", Dimension::Duration, 60 * 1000},
    {"h", Dimension::Duration, 3600 * 1000},
    {"d", Dimension::Duration, 86400 * 1000},
    {"B", Dimension::Size, 1},
    {"KB", Dimension::Size, 1e3},
    {"MB", Dimension::Size, 1e6},
    {"GB", Dimension::Size, 1e9},
    {"TB", Dimension::Size, 1e12},
    {"KiB", Dimension::Size, 1024.0},
    {"MiB", Dimension::Size, 1024.0 * 1024},
    {"GiB", Dimension::Size, 1024.0 * 1024 * 1024},
    {"TiB", Dimension::Size, 1024.0 * 1024 * 1024 * 1024},
    {"%", Dimension::Percent, 1},
    {"/s", Dimension::Rate, 1},
    {"/m", Dimension::Rate, 1.0 / 60},
    {"/h", Dimension::Rate, 1.0 / 3600},
};

static const llvm::StringRef spellings[] = {
    "ms", "s",   "m",   "h",   "d",   "B", "KB", "MB", "GB",
    "TB", "KiB", "MiB", "GiB", "TiB", "%", "/s", "/m", "/h"};
static_assert(std::size(spellings) == std::size(units), "keep in sync");

const UnitInfo *infrac::lookupUnit(llvm::StringRef spelling) {
  for (const UnitInfo &u : units)
    if (u.spelling == spelling)
      return &u;
  return nullptr;
}

llvm::ArrayRef<llvm::StringRef> infrac::allUnitSpellings() { return spellings; }

llvm::StringRef infrac::dimensionNoun(Dimension d) {
  switch (d) {
  case Dimension::Duration:
    return "a duration";
  case Dimension::Size:
    return "a size";
  case Dimension::Percent:
    return "a percentage";
  case Dimension::Rate:
    return "a rate";
  }
  return "";
}

llvm::StringRef infrac::dimensionExample(Dimension d) {
  switch (d) {
  case Dimension::Duration:
    return "30s";
  case Dimension::Size:
    return "512MiB";
  case Dimension::Percent:
    return "60%";
  case Dimension::Rate:
    return "200/s";
  }
  return "";
}

std::string infrac::formatDuration(int64_t ms) {
  static const std::pair<int64_t, const char *> steps[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  if (ms == 0)
    return "0s";
  for (auto [f, u] : steps)
    if (ms % f == 0)
      return fmt::format("{}{}", ms / f, u);
  return fmt::format("{}ms", ms);
}

std::string infrac::formatSize(int64_t bytes) {
  static const std::pair<int64_t, const char *> steps[] = {
      {1LL << 40, "TiB"}, {1LL << 30, "GiB"}, {1LL << 20, "MiB"},
      {1LL << 10, "KiB"}, {1000000000000LL, "TB"}, {1000000000LL, "GB"},
      {1000000LL, "MB"},  {1000LL, "KB"}};
  if (bytes != 0)
    for (auto [f, u] : steps)
      if (bytes % f == 0)
        return fmt::format("{}{}", bytes / f, u);
  return fmt::format("{}B", bytes);
}

std::string infrac::formatNumber(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:.6g}", v);
}

//===- Units.h - Units of quantities ----------------------------*- C++ -*-===//
//
// The units a quantity literal may carry, by dimension, and the canonical unit
// each dimension is normalised to: milliseconds, bytes, percent, per second.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_BASIC_UNITS_H
#define INFRAC_BASIC_UNITS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace infrac {

enum class Dimension : uint8_t { Duration, Size, Percent, Rate };

struct UnitInfo {
  llvm::StringRef spelling; ///< As written after the number: "ms", "MiB", "%", "/s".
  Dimension dim;
  double factor; ///< Multiply by this to get the canonical unit.
};

/// Looks up a unit spelling (case-sensitive: "m" is minutes, "M" is nothing).
const UnitInfo *lookupUnit(llvm::StringRef spelling);
/// Every unit spelling, for suggestions.
llvm::ArrayRef<llvm::StringRef> allUnitSpellings();
/// "a duration", "a size", "a percentage", "a rate".
llvm::StringRef dimensionNoun(Dimension d);
/// An example literal of the dimension for messages ("30s", "512MiB", "60%", "200/s").
llvm::StringRef dimensionExample(Dimension d);

/// Canonical spellings for dumps: the largest unit that divides exactly.
std::string formatDuration(int64_t ms);
std::string formatSize(int64_t bytes);
std::string formatNumber(double v);

} // namespace infrac

#endif

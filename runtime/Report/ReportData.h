//===- ReportData.h - What a report keeps of a trace (private) -*- C++ -*-===//
//
// The records of a run that a report shows, as ReportCollector parsed them:
// the start, every timeline note, the sampled series as columns (one per
// family, object and member: "lb" "shop_alb" "responses"), the instants the
// expectations were decided and their verdicts. Everything keeps the trace's
// order, so the page is a function of the trace.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_REPORT_REPORTDATA_H
#define INFRAC_RUNTIME_REPORT_REPORTDATA_H

#include "Report/Report.h"

#include "llvm/Support/JSON.h"

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace infrac::runtime {

struct ReportCollector::Data {
  struct Note {
    int64_t t;
    std::string who, text;
  };
  struct Verdict {
    std::string expect, result, detail;
  };
  /// One sampled quantity of one object, a value (or null) per sample.
  struct Column {
    std::string family, object, member;
    std::vector<llvm::json::Value> values;
  };

  bool started = false;
  std::string scenario;
  uint64_t seed = 0;
  int64_t end = 0;
  std::string error; ///< The first line that is not a record.

  std::vector<Note> notes;
  std::vector<int64_t> times;  ///< The instants of the series records.
  std::vector<Column> columns; ///< In order of first appearance.
  std::map<std::tuple<std::string, std::string, std::string>, size_t> columnIndex;
  std::vector<Verdict> verdicts;
  /// Expectation text -> when its verdict was settled (`decided` records).
  std::map<std::string, int64_t> decided;

  /// The column of (family, object, member), made on first use.
  Column &column(llvm::StringRef family, llvm::StringRef object, llvm::StringRef member);
  /// The objects of a family that have `member`, in order of appearance.
  std::vector<const Column *> columnsOf(llvm::StringRef family, llvm::StringRef member) const;
};

} // namespace infrac::runtime

#endif

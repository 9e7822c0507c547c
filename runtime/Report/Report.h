//===- Report.h - A simulation as one self-contained HTML page -*- C++ -*-===//
//
// `infrac sim FILE --scenario NAME --report out.html`. The report is made
// from the run's trace records alone (the JSON lines of `--trace`, with the
// simulator's `series` and `decided` records): a ReportCollector is the
// stream the simulator writes its trace to, keeps what a report shows and
// passes every byte on to the `--trace` file when there is one. writeHtml
// then prints one HTML page that needs nothing else: the design's diagram,
// charts of the series (drawn by uPlot, inlined from the npm package pinned
// in runtime/Report/package-lock.json and embedded at build time) with the
// scenario's events marked, the filterable event timeline and the verdicts
// with the instant each was decided. The page loads nothing: its Content
// Security Policy forbids every fetch. The same trace gives the same page,
// byte for byte.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_REPORT_H
#define INFRAC_RUNTIME_REPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace infrac::runtime {

/// `s` as HTML text (and attribute values): & < > " escaped. The live
/// dashboard uses it too.
std::string htmlText(llvm::StringRef s);

/// What the page says besides the trace.
struct ReportHeader {
  std::string source;      ///< The design's file, as given on the command line.
  std::string diagram;     ///< The design as an SVG document, or empty.
  std::string diagramNote; ///< Why there is no diagram, when there is none.
};

class ReportCollector final : public llvm::raw_ostream {
public:
  /// Every byte written is also written to `also` (the --trace file), if
  /// not null.
  explicit ReportCollector(llvm::raw_ostream *also = nullptr);
  ~ReportCollector() override;

  /// Writes the page. Fails (writing nothing) when the trace had a line
  /// that is not a record, or no `start` record.
  llvm::Error writeHtml(const ReportHeader &header, llvm::raw_ostream &os);

  struct Data;

private:
  void write_impl(const char *ptr, size_t size) override;
  uint64_t current_pos() const override { return pos; }
  void line(llvm::StringRef text);

  llvm::raw_ostream *also;
  std::string partial; ///< A line not yet ended.
  uint64_t pos = 0;
  std::unique_ptr<Data> data;
};

} // namespace infrac::runtime

#endif

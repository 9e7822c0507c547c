//===- Trace.h - What a run says: the timeline and the JSON-lines trace -*- C++ -*-===//
//
// One vocabulary of records for both shells. Each record is written as a
// line of the human-readable timeline, as a JSON object on the trace, or
// both: notes ("i-3: healthy -> draining ...") go to both, the structured
// records (target and group changes, metric datapoints, probes, requests,
// responses, verdicts) to the trace only. Every record carries the
// scheduler's instant. The same records feed the live shell's event log.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_TRACE_H
#define INFRAC_RUNTIME_TRACE_H

#include "Core/Core.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <string>

namespace infrac::runtime {

/// "30.000s".
std::string fmtTime(Instant t);
/// "8.25ms", "120.5ms", "1.500s".
std::string fmtDuration(Duration d);
/// The contents of a JSON string for `s`.
std::string jsonEscape(llvm::StringRef s);

class Trace {
public:
  /// `clock` stamps every record; either stream may be null.
  Trace(const Scheduler &clock, llvm::raw_ostream *timeline, llvm::raw_ostream *json)
      : clock(clock), timelineOs(timeline), jsonOs(json) {}

  /// Whether structured records are wanted (callers skip building them).
  bool tracing() const { return jsonOs != nullptr; }
  /// Whether a note was written since the last call (state an expectation
  /// may see changed).
  bool takeChanged() {
    bool c = changed;
    changed = false;
    return c;
  }

  /// A line of the timeline, also a "note" record.
  void note(llvm::StringRef who, const std::string &what);
  /// Also given every note as it is written (the live shell's event log).
  std::function<void(Instant at, llvm::StringRef who, llvm::StringRef what)> onNote;
  /// The run's first lines.
  void begin(llvm::StringRef scenario, uint64_t seed, Instant end);
  /// The timeline's last line.
  void finish(Instant end);

  // Structured records (trace only; call when tracing()).
  void target(llvm::StringRef tg, llvm::StringRef target, llvm::StringRef from,
              llvm::StringRef to, llvm::StringRef reason);
  void group(llvm::StringRef asg, const int64_t (&sizes)[5]);
  void metric(llvm::StringRef asg, llvm::StringRef policy, double value);
  void probe(llvm::StringRef tg, llvm::StringRef target, llvm::StringRef result);
  void verdict(llvm::StringRef expectation, llvm::StringRef result, llvm::StringRef detail);
  /// Any other record: `body` is the object's members after "t" ("\"ev\":...").
  void record(llvm::StringRef body);

private:
  const Scheduler &clock;
  llvm::raw_ostream *timelineOs;
  llvm::raw_ostream *jsonOs;
  bool changed = false;
};

} // namespace infrac::runtime

#endif

//===- RuntimeTestSupport.h - Helpers of the runtime's tests ----*- C++ -*-===//
#ifndef INFRAC_TESTS_RUNTIME_RUNTIMETESTSUPPORT_H
#define INFRAC_TESTS_RUNTIME_RUNTIMETESTSUPPORT_H

#include "Sim/Sim.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace infrac::test {

/// One simulation of a file's scenario, with everything it printed.
struct SimRun {
  bool built = false;      ///< The file checked without errors and has the scenario.
  std::string diagnostics; ///< Why not, when !built.
  runtime::SimResult result;
  std::string timeline;
  std::string trace;
};

/// Simulates `scenario` of the file at `path` (relative paths are taken from
/// the source directory). `opts` may set a seed and overrides; the timeline
/// and (with `withTrace`) the trace are captured.
SimRun simulateFile(const std::string &path, const std::string &scenario,
                    runtime::SimOptions opts = {}, bool withTrace = true);
/// The same for a file written from `text`.
SimRun simulateText(const std::string &text, const std::string &scenario,
                    runtime::SimOptions opts = {}, bool withTrace = true);

/// A file checked once and simulated many times (property tests).
class LoadedModel {
public:
  explicit LoadedModel(const std::string &path);
  ~LoadedModel();
  bool ok() const { return model != nullptr; }
  /// Runs `scenario` with `opts`, handing each trace line (without its
  /// newline) to `onLine`; no timeline.
  runtime::SimResult run(const std::string &scenario, runtime::SimOptions opts,
                         llvm::function_ref<void(llvm::StringRef)> onLine);

private:
  struct FrontEndRun *fe = nullptr;
  const sema::Model *model = nullptr;
};

/// A field of one JSON-lines trace record: the raw text of a number, or a
/// string's contents (no escapes are undone). nullopt when absent.
std::optional<llvm::StringRef> traceField(llvm::StringRef line, llvm::StringRef key);
int64_t traceInt(llvm::StringRef line, llvm::StringRef key);

} // namespace infrac::test

#endif

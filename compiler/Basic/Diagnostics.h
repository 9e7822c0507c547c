//===- Diagnostics.h - Diagnostics as data ----------------------*- C++ -*-===//
//
// The diagnostics engine. Stages report diagnostics as data (an id from a .def
// table, a source range, a message, notes and fix-its); the driver renders them
// (clang-style text or JSON). No stage prints.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_BASIC_DIAGNOSTICS_H
#define INFRAC_BASIC_DIAGNOSTICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace infrac {

enum class Severity : uint8_t { Ignored, Note, Warning, Error };

/// Every diagnostic kind of the front end, from DiagnosticKinds.def.
enum class DiagID : uint16_t {
#define DIAG(ID, SEV, CAT, FMT) ID,
#include "Basic/DiagnosticKinds.def"
  NumFrontEndDiags
};

/// Static description of one diagnostic kind.
struct DiagInfo {
  llvm::StringRef id;
  Severity defaultSeverity;
  llvm::StringRef category;
  llvm::StringRef format;
};

const DiagInfo &getDiagInfo(DiagID id);
llvm::StringRef severityName(Severity s);

struct FixIt {
  llvm::SMRange range; ///< Text to replace; empty range (start == end) inserts.
  std::string replacement;
};

struct DiagNote {
  llvm::SMRange range;
  std::string message;
};

struct Diagnostic {
  DiagID id;
  Severity severity;
  llvm::SMRange range;
  std::string message;
  std::vector<DiagNote> notes;
  std::vector<FixIt> fixits;
  /// Set for diagnostics of later stages (the rule catalogue): their id and
  /// category, static strings. Empty for the front end's own kinds.
  llvm::StringRef code;
  llvm::StringRef codeCategory;
};

/// The id printed as [ID]: the rule's, or the front-end kind's.
llvm::StringRef diagCode(const Diagnostic &d);
llvm::StringRef diagCategory(const Diagnostic &d);

class DiagnosticEngine;

/// Adds notes and fix-its to a diagnostic; the diagnostic is committed when the
/// builder goes out of scope.
class DiagnosticBuilder {
public:
  DiagnosticBuilder(DiagnosticEngine *engine, Diagnostic diag)
      : engine(engine), diag(std::move(diag)) {}
  DiagnosticBuilder(DiagnosticBuilder &&other) noexcept
      : engine(other.engine), diag(std::move(other.diag)) {
    other.engine = nullptr;
  }
  DiagnosticBuilder(const DiagnosticBuilder &) = delete;
  DiagnosticBuilder &operator=(const DiagnosticBuilder &) = delete;
  ~DiagnosticBuilder();

  template <typename... Args>
  DiagnosticBuilder &note(llvm::SMRange range, fmt::format_string<Args...> f,
                          Args &&...args) {
    if (engine)
      diag.notes.push_back({range, fmt::format(f, std::forward<Args>(args)...)});
    return *this;
  }
  DiagnosticBuilder &fixit(llvm::SMRange range, std::string replacement) {
    if (engine)
      diag.fixits.push_back({range, std::move(replacement)});
    return *this;
  }

private:
  DiagnosticEngine *engine;
  Diagnostic diag;
};

/// Collects diagnostics. Severity comes from the kind's table entry, possibly
/// overridden by the user (--warn=ID and friends), never from the call site.
class DiagnosticEngine {
public:
  explicit DiagnosticEngine(llvm::SourceMgr &sm) : sm(sm) {}

  llvm::SourceMgr &getSourceMgr() const { return sm; }

  template <typename... Args>
  DiagnosticBuilder report(DiagID id, llvm::SMRange range, Args &&...args) {
    const DiagInfo &info = getDiagInfo(id);
    return reportFormatted(
        id, range,
        fmt::vformat(fmt::string_view(info.format.data(), info.format.size()),
                     fmt::make_format_args(args...)));
  }

  /// Reports with an already formatted message.
  DiagnosticBuilder reportFormatted(DiagID id, llvm::SMRange range,
                                    std::string message);

  /// Reports a diagnostic of a later stage, whose id and severity that stage
  /// decided (the rule table and the user's overrides). Ignored drops it.
  DiagnosticBuilder reportCode(llvm::StringRef code, llvm::StringRef category,
                               Severity severity, llvm::SMRange range, std::string message);

  /// --Werror: every warning is reported as an error.
  void setWarningsAsErrors(bool on) { warningsAsErrors = on; }

  void setSeverity(DiagID id, Severity s) { overrides.emplace_back(id, s); }
  Severity getSeverity(DiagID id) const;

  /// Stop accepting errors after this many (0: no limit).
  void setErrorLimit(unsigned limit) { errorLimit = limit; }
  /// True once the error limit was reached: stages should stop early.
  bool shouldStop() const { return limitReached; }

  unsigned getNumErrors() const { return numErrors; }
  unsigned getNumWarnings() const { return numWarnings; }
  bool hasErrors() const { return numErrors != 0; }

  llvm::ArrayRef<Diagnostic> getDiagnostics() const { return diags; }

private:
  friend class DiagnosticBuilder;
  void commit(Diagnostic diag);

  llvm::SourceMgr &sm;
  std::vector<Diagnostic> diags;
  std::vector<std::pair<DiagID, Severity>> overrides;
  unsigned numErrors = 0;
  unsigned numWarnings = 0;
  unsigned errorLimit = 0;
  bool limitReached = false;
  bool warningsAsErrors = false;
};

/// Rendering options for text output.
struct TextRenderOptions {
  bool color = false;
  bool summary = true;
};

/// Prints diagnostics as clang does: file:line:col: severity: message [ID],
/// the source line with caret and ~ ranges, fix-its and notes, then a summary.
void renderText(const DiagnosticEngine &diags, llvm::raw_ostream &os,
                const TextRenderOptions &opts);

/// Prints diagnostics as a JSON document (stable key order).
void renderJSON(const DiagnosticEngine &diags, llvm::raw_ostream &os);

/// Returns " ; did you mean 'X'?" style suffix text (empty if no close match).
std::string didYouMean(llvm::StringRef word,
                       llvm::ArrayRef<llvm::StringRef> candidates);
/// The closest candidate within a small edit distance, or empty.
llvm::StringRef closestMatch(llvm::StringRef word,
                             llvm::ArrayRef<llvm::StringRef> candidates);

/// Resolved position of a location: file name, 1-based line and column.
struct PresumedLoc {
  llvm::StringRef file;
  unsigned line = 0;
  unsigned column = 0;
};
PresumedLoc getPresumedLoc(const llvm::SourceMgr &sm, llvm::SMLoc loc);

} // namespace infrac

/// Lets fmt print llvm::StringRef.
template <>
struct fmt::formatter<llvm::StringRef> : fmt::formatter<fmt::string_view> {
  template <typename Ctx>
  auto format(llvm::StringRef s, Ctx &ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(s.data(), s.size()), ctx);
  }
};

#endif

//===- Diagnostics.cpp - Diagnostics engine and renderers -----------------===//

#include "Basic/Diagnostics.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/JSON.h"

#include <algorithm>

using namespace infrac;

static const DiagInfo diagTable[] = {
#define DIAG(ID, SEV, CAT, FMT) {#ID, Severity::SEV, CAT, FMT},
#include "Basic/DiagnosticKinds.def"
};

const DiagInfo &infrac::getDiagInfo(DiagID id) {
  assert(static_cast<size_t>(id) < std::size(diagTable) && "bad diagnostic id");
  return diagTable[static_cast<size_t>(id)];
}

llvm::StringRef infrac::severityName(Severity s) {
  switch (s) {
  case Severity::Ignored:
    return "ignored";
  case Severity::Note:
    return "note";
  case Severity::Warning:
    return "warning";
  case Severity::Error:
    return "error";
  }
  llvm_unreachable("bad severity");
}

DiagnosticBuilder::~DiagnosticBuilder() {
  if (engine)
    engine->commit(std::move(diag));
}

Severity DiagnosticEngine::getSeverity(DiagID id) const {
  Severity s = getDiagInfo(id).defaultSeverity;
  for (const auto &[oid, os] : overrides)
    if (oid == id)
      s = os;
  return s;
}

DiagnosticBuilder DiagnosticEngine::reportFormatted(DiagID id,
                                                    llvm::SMRange range,
                                                    std::string message) {
  Severity s = getSeverity(id);
  if (s == Severity::Ignored || (s == Severity::Error && limitReached))
    return DiagnosticBuilder(nullptr, Diagnostic{});
  return DiagnosticBuilder(this,
                           Diagnostic{id, s, range, std::move(message), {}, {}, {}, {}});
}

DiagnosticBuilder DiagnosticEngine::reportCode(llvm::StringRef code,
                                               llvm::StringRef category, Severity severity,
                                               llvm::SMRange range, std::string message) {
  if (severity == Severity::Ignored || (severity == Severity::Error && limitReached))
    return DiagnosticBuilder(nullptr, Diagnostic{});
  Diagnostic d{DiagID::NumFrontEndDiags, severity, range, std::move(message), {}, {}, {}, {}};
  d.code = code;
  d.codeCategory = category;
  return DiagnosticBuilder(this, std::move(d));
}

llvm::StringRef infrac::diagCode(const Diagnostic &d) {
  return d.code.empty() ? getDiagInfo(d.id).id : d.code;
}

llvm::StringRef infrac::diagCategory(const Diagnostic &d) {
  return d.code.empty() ? getDiagInfo(d.id).category : d.codeCategory;
}

void DiagnosticEngine::commit(Diagnostic diag) {
  // One diagnostic per kind and location: recovery can otherwise repeat itself.
  for (auto it = diags.rbegin(), e = diags.rend(); it != e && it - diags.rbegin() < 8; ++it)
    if (it->id == diag.id && it->code == diag.code && it->range.Start == diag.range.Start &&
        it->message == diag.message)
      return;
  if (diag.severity == Severity::Warning && warningsAsErrors)
    diag.severity = Severity::Error;
  if (diag.severity == Severity::Error) {
    ++numErrors;
    if (errorLimit && numErrors >= errorLimit && !limitReached) {
      diags.push_back(std::move(diag));
      limitReached = true;
      Diagnostic stop{DiagID::SYN006, Severity::Error, {}, "", {}, {}, {}, {}};
      stop.message = fmt::format(fmt::runtime(getDiagInfo(DiagID::SYN006).format.str()),
                                 errorLimit);
      ++numErrors;
      diags.push_back(std::move(stop));
      return;
    }
  } else if (diag.severity == Severity::Warning) {
    ++numWarnings;
  }
  diags.push_back(std::move(diag));
}

//===----------------------------------------------------------------------===//
// Locations and suggestions
//===----------------------------------------------------------------------===//

PresumedLoc infrac::getPresumedLoc(const llvm::SourceMgr &sm, llvm::SMLoc loc) {
  PresumedLoc p;
  if (!loc.isValid())
    return p;
  unsigned buf = sm.FindBufferContainingLoc(loc);
  if (!buf)
    return p;
  p.file = sm.getMemoryBuffer(buf)->getBufferIdentifier();
  auto lc = sm.getLineAndColumn(loc, buf);
  p.line = lc.first;
  p.column = lc.second;
  return p;
}

/// Optimal string alignment distance: insertions, deletions, replacements and
/// transpositions of adjacent characters each cost one ("wbe" -> "web" is 1).
static unsigned editDistance(llvm::StringRef a, llvm::StringRef b) {
  if (a.size() > 64 || b.size() > 64)
    return ~0u;
  std::vector<unsigned> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

llvm::StringRef infrac::closestMatch(llvm::StringRef word,
                                     llvm::ArrayRef<llvm::StringRef> candidates) {
  llvm::StringRef best;
  unsigned bestDist = ~0u;
  // Allow about one edit per three characters, at least one and at most three.
  unsigned limit = std::clamp<unsigned>(word.size() / 3, 1, 3);
  for (llvm::StringRef c : candidates) {
    if (c == word)
      continue;
    unsigned d = editDistance(word, c);
    // A case-only difference is the best suggestion there is.
    if (word.equals_insensitive(c))
      d = 0;
    if ((d <= limit || d == 0) && d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

std::string infrac::didYouMean(llvm::StringRef word,
                               llvm::ArrayRef<llvm::StringRef> candidates) {
  llvm::StringRef m = closestMatch(word, candidates);
  if (m.empty())
    return {};
  return fmt::format("; did you mean '{}'?", m);
}

//===----------------------------------------------------------------------===//
// Rendering
//===----------------------------------------------------------------------===//

static llvm::SourceMgr::DiagKind toKind(Severity s) {
  switch (s) {
  case Severity::Error:
    return llvm::SourceMgr::DK_Error;
  case Severity::Warning:
    return llvm::SourceMgr::DK_Warning;
  default:
    return llvm::SourceMgr::DK_Note;
  }
}

/// Longest source line shown whole; longer lines are shown as a window around
/// the location, as clang does, so a 10 MB line costs nothing to report.
constexpr size_t MaxShownLine = 160;

static void printOne(const llvm::SourceMgr &sm, llvm::raw_ostream &os,
                     llvm::SMRange range, llvm::SourceMgr::DiagKind kind,
                     const std::string &message,
                     llvm::ArrayRef<FixIt> fixits, bool color) {
  unsigned buf = range.Start.isValid() ? sm.FindBufferContainingLoc(range.Start) : 0;
  if (!buf) {
    // No location: "infrac: error: message".
    llvm::SMDiagnostic d("infrac", kind, message);
    d.print(nullptr, os, color, /*ShowKindLabel=*/true);
    return;
  }
  const llvm::MemoryBuffer *mb = sm.getMemoryBuffer(buf);
  const char *bufStart = mb->getBufferStart(), *bufEnd = mb->getBufferEnd();
  const char *loc = range.Start.getPointer();
  auto [line, col] = sm.getLineAndColumn(range.Start, buf);

  // The line holding the location.
  const char *lineStart = loc;
  while (lineStart > bufStart && lineStart[-1] != '\n' && lineStart[-1] != '\r')
    --lineStart;
  const char *lineEnd = loc;
  while (lineEnd < bufEnd && *lineEnd != '\n' && *lineEnd != '\r')
    ++lineEnd;

  // Window it if it is long.
  const char *showStart = lineStart, *showEnd = lineEnd;
  std::string prefix, suffix;
  if (size_t(lineEnd - lineStart) > MaxShownLine) {
    showStart = std::max(lineStart, loc - 60);
    showEnd = std::min(lineEnd, showStart + MaxShownLine - 20);
    if (showStart > lineStart)
      prefix = "...";
    if (showEnd < lineEnd)
      suffix = "...";
  }
  std::string shown = prefix + std::string(showStart, showEnd) + suffix;
  auto column = [&](const char *p) -> unsigned {
    p = std::clamp(p, showStart, showEnd);
    return unsigned(prefix.size() + (p - showStart));
  };

  llvm::SmallVector<std::pair<unsigned, unsigned>, 1> ranges;
  const char *rEnd = range.End.isValid() ? range.End.getPointer() : nullptr;
  if (rEnd && rEnd > loc) {
    unsigned b = column(loc), e = column(std::min(rEnd, lineEnd));
    if (e > b)
      ranges.emplace_back(b, e);
  }
  llvm::SmallVector<llvm::SMFixIt, 2> fixes;
  if (prefix.empty() && suffix.empty())
    for (const FixIt &f : fixits)
      fixes.emplace_back(f.range, f.replacement);
  llvm::StringRef file = mb->getBufferIdentifier();
  if (!prefix.empty()) {
    // The caret column is the window's; print the real position ourselves.
    if (color)
      os.changeColor(llvm::raw_ostream::SAVEDCOLOR, /*Bold=*/true);
    os << file << ':' << line << ':' << col << ": ";
    if (color)
      os.resetColor();
    file = "";
  }
  llvm::SMDiagnostic d(sm, range.Start, file, int(line), int(column(loc)), kind,
                       message, shown, ranges, fixes);
  d.print(nullptr, os, color, /*ShowKindLabel=*/true);
}

namespace {
/// Forwards to another stream, with colour decided by us rather than by
/// whether the file descriptor is a terminal (--colour=always, NO_COLOR).
class ColorDecidedStream : public llvm::raw_ostream {
public:
  ColorDecidedStream(llvm::raw_ostream &out, bool colors) : out(out), colors(colors) {
    enable_colors(colors);
    SetUnbuffered();
  }
  bool has_colors() const override { return colors; }

private:
  void write_impl(const char *ptr, size_t size) override { out.write(ptr, size); }
  uint64_t current_pos() const override { return out.tell(); }
  llvm::raw_ostream &out;
  bool colors;
};
} // namespace

void infrac::renderText(const DiagnosticEngine &diags, llvm::raw_ostream &out,
                        const TextRenderOptions &opts) {
  ColorDecidedStream os(out, opts.color);
  const llvm::SourceMgr &sm = diags.getSourceMgr();
  for (const Diagnostic &d : diags.getDiagnostics()) {
    std::string msg = d.message;
    msg += " [";
    msg += diagCode(d).str();
    msg += "]";
    printOne(sm, os, d.range, toKind(d.severity), msg, d.fixits, opts.color);
    for (const DiagNote &n : d.notes)
      printOne(sm, os, n.range, llvm::SourceMgr::DK_Note, n.message, {},
               opts.color);
  }
  if (!opts.summary)
    return;
  unsigned e = diags.getNumErrors(), w = diags.getNumWarnings();
  if (e == 0 && w == 0)
    return;
  std::string line;
  if (w)
    line += fmt::format("{} warning{}", w, w == 1 ? "" : "s");
  if (w && e)
    line += " and ";
  if (e)
    line += fmt::format("{} error{}", e, e == 1 ? "" : "s");
  os << line << " generated.\n";
}

static void writeLoc(llvm::json::OStream &j, const llvm::SourceMgr &sm,
                     llvm::SMRange r) {
  PresumedLoc b = getPresumedLoc(sm, r.Start);
  if (!b.line)
    return;
  j.attribute("file", b.file);
  j.attribute("line", b.line);
  j.attribute("column", b.column);
  PresumedLoc e = getPresumedLoc(sm, r.End.isValid() ? r.End : r.Start);
  if (e.line) {
    j.attribute("endLine", e.line);
    j.attribute("endColumn", e.column);
  }
}

void infrac::renderJSON(const DiagnosticEngine &diags, llvm::raw_ostream &os) {
  const llvm::SourceMgr &sm = diags.getSourceMgr();
  llvm::json::OStream j(os, 2);
  j.object([&] {
    j.attributeArray("diagnostics", [&] {
      for (const Diagnostic &d : diags.getDiagnostics()) {
        j.object([&] {
          j.attribute("id", diagCode(d));
          j.attribute("severity", severityName(d.severity));
          j.attribute("category", diagCategory(d));
          j.attribute("message", d.message);
          writeLoc(j, sm, d.range);
          j.attributeArray("notes", [&] {
            for (const DiagNote &n : d.notes)
              j.object([&] {
                j.attribute("message", n.message);
                writeLoc(j, sm, n.range);
              });
          });
          j.attributeArray("fixits", [&] {
            for (const FixIt &f : d.fixits)
              j.object([&] {
                j.attribute("replacement", f.replacement);
                writeLoc(j, sm, f.range);
              });
          });
        });
      }
    });
    j.attribute("errors", diags.getNumErrors());
    j.attribute("warnings", diags.getNumWarnings());
  });
  os << "\n";
}

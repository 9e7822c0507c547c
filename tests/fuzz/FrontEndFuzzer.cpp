//===- FrontEndFuzzer.cpp - libFuzzer target over the whole front end -----===//
//
// One input is one .infra file. It goes through everything `infrac check
// --emit=ast` and `--emit=model` do — lexing, chunked parsing with recovery,
// the AST builder, sema (resolution, units, defaults, cycles), the rule
// catalogue (every rule on, informational ones too) — and both
// diagnostic renderers. Imports are not followed (the input is one buffer).
//
// Beyond crashes, it checks two invariants of the front end: every
// diagnostic, note and fix-it is located inside the buffer (or is
// unlocated); and a re-parse after an edit that reuses the unchanged
// top-level chunks (ParseCache, as the language server does) reports and
// builds what a parse from scratch does, the model included.
//
//===----------------------------------------------------------------------===//

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Parse/Parser.h"
#include "Rules/Rule.h"
#include "Sema/Model.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace infrac;

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "front-end invariant violated: %s\n", what);
  std::abort();
}

/// What a parse of `text` (then the model, when it parses) reports, located
/// by line and column, and the AST and model dumps: equal for equal results.
std::string observe(llvm::StringRef text, const ParseOptions &opts) {
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ast::ASTContext ctx;
  unsigned id = sm.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.infra"), llvm::SMLoc());
  ast::Program program;
  program.files.push_back(parseBuffer(id, sm, ctx, diags, opts));
  std::string out;
  llvm::raw_string_ostream os(out);
  ast::dumpAST(program, sm, os);
  if (!program.hasSyntaxErrors())
    if (auto model = sema::buildModel(program, diags))
      sema::dumpModel(*model, sm, os);
  renderJSON(diags, os);
  return os.str();
}

/// The language server's re-parse after an edit: `text` parsed with a
/// ParseCache recorded, then the text with a new line inserted in the middle
/// parsed reusing it, must give what a parse from scratch of that text gives.
void checkReuse(llvm::StringRef text) {
  std::string edited = text.str();
  edited.insert(text.size() / 2, "\n");
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ast::ASTContext ctx;
  unsigned id = sm.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.infra"), llvm::SMLoc());
  ParseCache cache;
  ParseOptions record;
  record.record = &cache;
  parseBuffer(id, sm, ctx, diags, record);
  ParseOptions reuse;
  reuse.reuse = &cache;
  if (observe(edited, reuse) != observe(edited, {}))
    fail("a re-parse reusing the unchanged chunks differs from a parse from scratch");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ast::ASTContext ctx;

  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  checkReuse(text);
  unsigned id = sm.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.infra"), llvm::SMLoc());
  ast::Program program;
  program.files.push_back(parseBuffer(id, sm, ctx, diags));

  llvm::raw_null_ostream null;
  ast::dumpAST(program, sm, null);
  std::unique_ptr<sema::Model> model;
  if (!program.hasSyntaxErrors()) {
    model = sema::buildModel(program, diags);
    if (!model)
      fail("sema returned no model");
    sema::dumpModel(*model, sm, null);
    // The rule catalogue runs on models without errors, as in infrac check;
    // every rule is enabled, the informational ones too.
    if (!diags.hasErrors()) {
      rules::RuleOptions all;
      for (const rules::RuleInfo &info : rules::allRuleInfos())
        if (info.defaultSeverity == Severity::Ignored)
          all.severities[static_cast<unsigned>(*rules::lookupRule(info.id))] = Severity::Warning;
      rules::runRules(*model, program, diags, all);
    }
  }

  const llvm::MemoryBuffer *buf = sm.getMemoryBuffer(id);
  auto checkRange = [&](llvm::SMRange r) {
    for (llvm::SMLoc loc : {r.Start, r.End}) {
      const char *p = loc.getPointer();
      if (p && (p < buf->getBufferStart() || p > buf->getBufferEnd()))
        fail("diagnostic located outside the buffer");
    }
    if (r.Start.getPointer() && r.End.getPointer() &&
        r.End.getPointer() < r.Start.getPointer())
      fail("diagnostic range ends before it starts");
  };
  for (const Diagnostic &d : diags.getDiagnostics()) {
    checkRange(d.range);
    for (const DiagNote &n : d.notes)
      checkRange(n.range);
    for (const FixIt &f : d.fixits)
      checkRange(f.range);
  }
  renderText(diags, null, TextRenderOptions{/*color=*/true, /*summary=*/true});
  renderJSON(diags, null);
  return 0;
}

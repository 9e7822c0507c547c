//===- CheckCommand.cpp - infrac check ------------------------------------===//

#include "Driver/Driver.h"

#include "llvm/Support/raw_ostream.h"

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand checkCmd("check", "Parse, resolve and check .infra files; print diagnostics");
FrontEndOptions options(checkCmd, /*withFormat=*/true);

enum class Emit { None, AST, Model };
cl::opt<Emit> emit("emit", cl::desc("Also print an intermediate form on stdout"),
                   cl::values(clEnumValN(Emit::AST, "ast", "the syntax tree"),
                              clEnumValN(Emit::Model, "model", "the resolved model")),
                   cl::init(Emit::None), cl::sub(checkCmd), cl::cat(optionCategory()));

cl::opt<bool> quiet("quiet",
                    cl::desc("Print no diagnostics, only a one-line summary when there are any (-q)"),
                    cl::sub(checkCmd), cl::cat(optionCategory()));
cl::alias quietShort("q", cl::desc("Alias for --quiet"), cl::aliasopt(quiet),
                     cl::cat(optionCategory()));
cl::opt<bool> summary("summary",
                      cl::desc("End with a one-line summary, also when the files are clean"),
                      cl::sub(checkCmd), cl::cat(optionCategory()));

/// "2 errors, 1 warning in 1 file" (stderr).
void printSummary(const FrontEnd &fe) {
  unsigned e = fe.diags.getNumErrors(), w = fe.diags.getNumWarnings();
  size_t files = options.files.size();
  llvm::errs() << e << (e == 1 ? " error, " : " errors, ") << w
               << (w == 1 ? " warning" : " warnings") << " in " << files
               << (files == 1 ? " file" : " files") << "\n";
}

int runCheck() {
  auto fe = runFrontEnd(options, [](const ast::Program &program, const llvm::SourceMgr &sm) {
    if (emit == Emit::AST)
      ast::dumpAST(program, sm, llvm::outs());
  });
  if (fe->status)
    return fe->status;
  if (emit == Emit::Model)
    for (const Unit &unit : fe->units)
      if (unit.model)
        sema::dumpModel(*unit.model, fe->sm, llvm::outs());
  if (quiet && options.getFormat() == DiagFormat::Text) {
    if (fe->diags.getNumErrors() || fe->diags.getNumWarnings() || summary)
      printSummary(*fe);
    return exitCode(*fe);
  }
  reportDiagnostics(*fe, options);
  if (summary && options.getFormat() == DiagFormat::Text)
    printSummary(*fe);
  return exitCode(*fe);
}

CommandRegistration reg({&checkCmd, "check FILE...",
                         "report diagnostics (exit 0 clean, 1 errors, 2 usage or I/O)", runCheck,
                         10});

} // namespace

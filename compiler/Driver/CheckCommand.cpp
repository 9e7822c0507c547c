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
  reportDiagnostics(*fe, options);
  return exitCode(*fe);
}

CommandRegistration reg({&checkCmd, "check FILE...",
                         "report diagnostics (exit 0 clean, 1 errors, 2 usage or I/O)", runCheck,
                         10});

} // namespace

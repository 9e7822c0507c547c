//===- LspCommand.cpp - infrac lsp ----------------------------------------===//
//
// The language server on standard input and output (compiler/Lsp). Editors
// start it; see editors/ for VS Code and the README for Neovim.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Lsp/Lsp.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand lspCmd("lsp", "Serve the Language Server Protocol on standard input and output");
cl::opt<std::string> logFile("log", cl::desc("Append a line per message to this file"),
                             cl::value_desc("FILE"), cl::sub(lspCmd), cl::cat(optionCategory()));
// Editors pass --stdio to every server they start; it is the only transport.
cl::opt<bool> stdio("stdio", cl::desc("Talk on standard input and output (the default)"),
                    cl::sub(lspCmd), cl::cat(optionCategory()));

int runLsp() {
  std::unique_ptr<llvm::raw_fd_ostream> log;
  if (!logFile.empty()) {
    std::error_code ec;
    log = std::make_unique<llvm::raw_fd_ostream>(logFile, ec, llvm::sys::fs::OF_Append);
    if (ec) {
      llvm::errs() << "infrac lsp: error: cannot write '" << logFile << "': " << ec.message()
                   << "\n";
      return 2;
    }
    log->SetUnbuffered();
  }
  return lsp::serve(stdin, stdout, log.get());
}

CommandRegistration reg({&lspCmd, "lsp",
                         "serve the Language Server Protocol on stdio (editors start it)", runLsp,
                         70});

} // namespace

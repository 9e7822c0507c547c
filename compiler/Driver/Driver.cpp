//===- Driver.cpp - The infrac command line -------------------------------===//
//
// The commands register themselves (see Driver.h); this file dispatches to
// them and prints the overall help.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"

#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <string>
#include <vector>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

#ifndef INFRAC_VERSION
#define INFRAC_VERSION "0.1.0"
#endif

namespace {

std::vector<CommandInfo> &commands() {
  static std::vector<CommandInfo> list;
  return list;
}

void printVersion(llvm::raw_ostream &os) { os << "infrac " << INFRAC_VERSION << "\n"; }

/// Every command ends here: output that could not be written (a full disk,
/// /dev/full, a closed descriptor) is one line and exit code 2, in every
/// command. Left pending, raw_fd_ostream's destructor would abort the
/// process with "IO failure on output stream" at exit.
int finish(int code) {
  llvm::raw_fd_ostream &out = llvm::outs();
  out.flush();
  if (std::error_code ec = out.error()) {
    out.clear_error();
    llvm::errs() << "infrac: error: cannot write to standard output: " << ec.message() << "\n";
    return 2;
  }
  return code;
}

/// The same for a command line that ends in exit() (--help, --version).
void finishAtExit() {
  llvm::raw_fd_ostream &out = llvm::outs();
  out.flush();
  if (std::error_code ec = out.error()) {
    out.clear_error();
    llvm::errs() << "infrac: error: cannot write to standard output: " << ec.message() << "\n";
    llvm::errs().flush();
    _exit(2);
  }
}

} // namespace

llvm::StringRef driver::infracVersion() { return INFRAC_VERSION; }

CommandRegistration::CommandRegistration(const CommandInfo &info) {
  commands().push_back(info);
}

int infrac::driverMain(int argc, char **argv) {
  // Constructed before the handler is registered, so destroyed after it runs.
  (void)llvm::outs();
  static bool registered = [] { return std::atexit(finishAtExit) == 0; }();
  (void)registered;
  std::vector<CommandInfo> cmds = commands();
  std::stable_sort(cmds.begin(), cmds.end(),
                   [](const CommandInfo &a, const CommandInfo &b) { return a.order < b.order; });

  // A first word that is not an option must be a command.
  if (argc >= 2 && argv[1][0] != '-') {
    std::vector<llvm::StringRef> names;
    for (const CommandInfo &c : cmds)
      names.push_back(c.sub->getName());
    if (std::find(names.begin(), names.end(), llvm::StringRef(argv[1])) == names.end()) {
      llvm::errs() << "infrac: error: unknown command '" << argv[1] << "'"
                   << didYouMean(argv[1], names)
                   << "\nRun 'infrac --help' for the list of commands.\n";
      return 2;
    }
  }

  std::string overview =
      "infrac: check, compile, draw, run and simulate AWS infrastructure declared in "
      ".infra files\n\n";
  size_t width = 0;
  for (const CommandInfo &c : cmds)
    width = std::max(width, std::strlen(c.synopsis));
  for (const CommandInfo &c : cmds)
    overview += "  infrac " + std::string(c.synopsis) +
                std::string(width + 3 - std::strlen(c.synopsis), ' ') + c.summary + "\n";
  overview += "\nRun 'infrac COMMAND --help' for a command's options.\n";

  // llvm::cl looks an option up by every prefix of its spelling in turn, each
  // hashed whole: quadratic in its length (a 100 KB -P value took 13 s).
  // -Pname=value is passed as -P name=value, which it finds at once; any
  // other option spelling is bounded.
  constexpr size_t maxOptionBytes = 4096;
  std::vector<std::string> split;
  split.reserve(static_cast<size_t>(argc) + 8);
  bool options = true;
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef a(argv[i]);
    if (i == 0 || !options || !a.startswith("-")) {
      split.push_back(a.str());
      continue;
    }
    if (a == "--") {
      options = false;
      split.push_back(a.str());
      continue;
    }
    if (a.startswith("-P") && a.size() > 2) {
      split.push_back("-P");
      split.push_back(a.drop_front(2).str());
      continue;
    }
    if (a.take_until([](char c) { return c == '='; }).size() > maxOptionBytes) {
      llvm::errs() << "infrac: error: option '" << a.take_front(40) << "...' is longer than "
                   << maxOptionBytes << " bytes\n";
      return 2;
    }
    split.push_back(a.str());
  }
  std::vector<const char *> args;
  for (const std::string &a : split)
    args.push_back(a.c_str());

  cl::SetVersionPrinter(printVersion);
  cl::HideUnrelatedOptions(optionCategory());
  std::string errors;
  llvm::raw_string_ostream errStream(errors);
  if (!cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(), overview,
                                   &errStream)) {
    llvm::errs() << errStream.str();
    return 2;
  }
  for (const CommandInfo &c : cmds)
    if (*c.sub)
      return finish(c.run());
  llvm::errs() << "infrac: error: no command given\nRun 'infrac --help' for usage.\n";
  return 2;
}

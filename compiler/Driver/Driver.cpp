//===- Driver.cpp - The infrac command line -------------------------------===//
//
// The commands register themselves (see Driver.h); this file dispatches to
// them and prints the overall help.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"

#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

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

} // namespace

llvm::StringRef driver::infracVersion() { return INFRAC_VERSION; }

CommandRegistration::CommandRegistration(const CommandInfo &info) {
  commands().push_back(info);
}

int infrac::driverMain(int argc, char **argv) {
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

  cl::SetVersionPrinter(printVersion);
  cl::HideUnrelatedOptions(optionCategory());
  std::string errors;
  llvm::raw_string_ostream errStream(errors);
  if (!cl::ParseCommandLineOptions(argc, argv, overview, &errStream)) {
    llvm::errs() << errStream.str();
    return 2;
  }
  for (const CommandInfo &c : cmds)
    if (*c.sub)
      return c.run();
  llvm::errs() << "infrac: error: no command given\nRun 'infrac --help' for usage.\n";
  return 2;
}

//===- InitCommand.cpp - infrac init [TEMPLATE] [DIR] ---------------------===//
//
// Writes a starting design: one of the repository's examples (embedded at
// build time, see EmbedTemplates.cmake), each of which checks clean and has a
// scenario that passes in `infrac sim` (tests/CliTest.cpp runs them all).
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

struct Template {
  const char *name;
  const char *example;
  const char *description;
  const char *text;
};

const Template templates[] = {
#include "InitTemplates.inc"
};

cl::SubCommand initCmd("init", "Write a small, checked starting design with a scenario");
cl::list<std::string> args(cl::Positional, cl::ZeroOrMore, cl::desc("[TEMPLATE] [DIR]"),
                           cl::sub(initCmd), cl::cat(optionCategory()));
cl::opt<bool> list("list", cl::desc("List the templates"), cl::sub(initCmd),
                   cl::cat(optionCategory()));
cl::opt<bool> force("force", cl::desc("Overwrite DIR/main.infra if it exists"), cl::sub(initCmd),
                    cl::cat(optionCategory()));

const Template *find(llvm::StringRef name) {
  for (const Template &t : templates)
    if (name == t.name)
      return &t;
  return nullptr;
}

int runInit() {
  if (list) {
    for (const Template &t : templates)
      llvm::outs() << llvm::left_justify(t.name, 10) << " " << t.description << "\n";
    return 0;
  }
  std::vector<llvm::StringRef> names;
  for (const Template &t : templates)
    names.push_back(t.name);
  const Template *tpl = &templates[0];
  std::string dir = ".";
  if (args.size() > 2) {
    llvm::errs() << "infrac init: error: too many arguments\nusage: infrac init [TEMPLATE] "
                    "[DIR]\n";
    return 2;
  }
  if (!args.empty()) {
    tpl = find(args[0]);
    if (!tpl) {
      llvm::errs() << "infrac init: error: unknown template '" << args[0] << "'"
                   << didYouMean(args[0], names) << "\nthe templates are:";
      for (llvm::StringRef n : names)
        llvm::errs() << " " << n;
      llvm::errs() << "\n";
      return 2;
    }
    if (args.size() == 2)
      dir = args[1];
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    llvm::errs() << "infrac init: error: cannot create '" << dir << "': " << ec.message() << "\n";
    return 2;
  }
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "main.infra");
  if (llvm::sys::fs::exists(path) && !force) {
    llvm::errs() << "infrac init: error: '" << path
                 << "' exists; not overwriting it (--force to replace it)\n";
    return 2;
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << "infrac init: error: cannot write '" << path << "': " << ec.message() << "\n";
    return 2;
  }
  os << tpl->text;
  os.close();
  if (os.has_error()) {
    llvm::errs() << "infrac init: error: cannot write '" << path << "'\n";
    os.clear_error();
    return 2;
  }
  llvm::outs() << "wrote " << path << " (" << tpl->name << ": " << tpl->description
               << ")\nnext: infrac check " << path << " && infrac sim " << path << " --all\n";
  return 0;
}

CommandRegistration reg({&initCmd, "init [TEMPLATE] [DIR]",
                         "write a starting design with a scenario (--list: the templates)",
                         runInit, 5});

} // namespace

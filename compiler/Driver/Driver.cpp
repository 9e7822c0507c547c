//===- Driver.cpp - The infrac command line -------------------------------===//
//
// The commands register themselves (see Driver.h); this file dispatches to
// them and prints the overall help.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>
#include <cstdlib>
#include <cstring>
#include <set>
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

std::vector<CommandInfo> driver::registeredCommands() {
  std::vector<CommandInfo> cmds = commands();
  std::stable_sort(cmds.begin(), cmds.end(),
                   [](const CommandInfo &a, const CommandInfo &b) { return a.order < b.order; });
  return cmds;
}

const CommandInfo *driver::findCommand(llvm::StringRef name) {
  for (const CommandInfo &c : commands())
    if (c.sub->getName() == name)
      return &c;
  return nullptr;
}

namespace {

/// The options of a command that belong to infrac (not LLVM's generic ones),
/// each once, by name.
std::vector<cl::Option *> commandOptions(const CommandInfo &cmd) {
  std::set<cl::Option *> seen;
  std::vector<cl::Option *> opts;
  for (auto &entry : cmd.sub->OptionsMap) {
    cl::Option *o = entry.second;
    if (!seen.insert(o).second || o->getOptionHiddenFlag() != cl::NotHidden)
      continue;
    if (std::find(o->Categories.begin(), o->Categories.end(), &optionCategory()) ==
        o->Categories.end())
      continue;
    opts.push_back(o);
  }
  std::sort(opts.begin(), opts.end(),
            [](const cl::Option *a, const cl::Option *b) { return a->ArgStr < b->ArgStr; });
  return opts;
}

std::string lowerFirst(llvm::StringRef s) {
  std::string out = s.str();
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z' &&
      !(out.size() > 1 && out[1] >= 'A' && out[1] <= 'Z'))
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

/// LLVM's option parser's messages in infrac's words ("infrac check: error:
/// ..." then the usage), one per line it reported.
void reportUsageError(llvm::StringRef raw, const CommandInfo *cmd) {
  std::string prefix = cmd ? "infrac " + cmd->sub->getName().str() : std::string("infrac");
  llvm::SmallVector<llvm::StringRef, 8> lines;
  raw.split(lines, '\n', -1, /*KeepEmpty=*/false);
  std::vector<std::string> messages;
  for (llvm::StringRef line : lines) {
    line = line.trim();
    // "infrac check: Unknown command line argument '--x'.  Try: 'infrac check --help'"
    size_t colon = line.find(": ");
    if (line.startswith("infrac") && colon != llvm::StringRef::npos)
      line = line.drop_front(colon + 2);
    if (line.startswith("Must specify at least") || line.startswith("See: "))
      continue;
    std::string msg;
    if (line.startswith("Not enough positional command line arguments")) {
      msg = "missing arguments";
    } else if (line.startswith("Too many positional arguments")) {
      msg = "too many arguments";
    } else if (line.startswith("Unknown command line argument '")) {
      llvm::StringRef arg = line.drop_front(strlen("Unknown command line argument '"));
      msg = "unknown option '" + arg.take_until([](char c) { return c == '\''; }).str() + "'";
    } else if (line.startswith("Did you mean '")) {
      llvm::StringRef arg = line.drop_front(strlen("Did you mean '"));
      arg = arg.take_until([](char c) { return c == '\''; }).trim();
      if (!messages.empty())
        messages.back() += "; did you mean '" + arg.str() + "'?";
      continue;
    } else if (line.startswith("for the ")) {
      // "for the --format option: Cannot find option named 'xml'!"
      llvm::StringRef rest = line.drop_front(strlen("for the "));
      llvm::StringRef opt = rest.take_until([](char c) { return c == ' '; });
      llvm::StringRef what = rest.drop_front(opt.size()).ltrim();
      what.consume_front("option:");
      what = what.trim().rtrim("!.");
      if (what.startswith("Cannot find option named '")) {
        llvm::StringRef v = what.drop_front(strlen("Cannot find option named '")).rtrim("'");
        msg = "invalid value '" + v.str() + "' for " + opt.str();
      } else if (what.contains("value invalid for")) {
        llvm::StringRef v = what.take_until([](char c) { return c == ' '; });
        msg = "invalid value " + v.str() + " for " + opt.str() + ": expected a number";
      } else if (what.startswith("may only occur zero or one times")) {
        msg = opt.str() + " given more than once";
      } else if (what.startswith("requires a value")) {
        msg = opt.str() + " requires a value";
      } else if (what.startswith("does not allow a value")) {
        msg = opt.str() + " takes no value";
      } else {
        msg = opt.str() + ": " + lowerFirst(what);
      }
    } else {
      msg = lowerFirst(line.rtrim("!."));
      size_t tryAt = msg.find("  Try:");
      if (tryAt != std::string::npos)
        msg = llvm::StringRef(msg).take_front(tryAt).rtrim(" .").str();
    }
    messages.push_back(msg);
  }
  if (messages.empty())
    messages.push_back("invalid command line");
  for (const std::string &m : messages)
    llvm::errs() << prefix << ": error: " << m << "\n";
  if (cmd)
    llvm::errs() << "usage: infrac " << cmd->synopsis << "\nRun 'infrac " << cmd->sub->getName()
                 << " --help' for its options.\n";
  else
    llvm::errs() << "Run 'infrac --help' for usage.\n";
}

/// Redirects a file descriptor (2, or 1) into a pipe while it lives. The
/// pipe does not block: what would not fit (64 KiB) is dropped rather than
/// wait.
class Captured {
public:
  explicit Captured(int target = 2) : target(target) {
    flush();
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      fds[0] = fds[1] = -1;
      return;
    }
    saved = ::dup(target);
    if (saved < 0 || ::dup2(fds[1], target) < 0)
      stop();
  }
  ~Captured() {
    stop();
    if (fds[0] >= 0)
      ::close(fds[0]);
  }
  /// Stops capturing; returns what was written.
  std::string take() {
    stop();
    std::string out;
    char buf[4096];
    ssize_t n;
    while (fds[0] >= 0 && (n = ::read(fds[0], buf, sizeof buf)) > 0)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }

private:
  void flush() {
    if (target == 2)
      llvm::errs().flush();
    else
      llvm::outs().flush();
  }
  void stop() {
    flush();
    if (saved >= 0) {
      ::dup2(saved, target);
      ::close(saved);
      saved = -1;
    }
    if (fds[1] >= 0) {
      ::close(fds[1]);
      fds[1] = -1;
    }
  }
  int target;
  int fds[2] = {-1, -1};
  int saved = -1;
};

} // namespace

void driver::printCommandHelp(const CommandInfo &cmd, llvm::raw_ostream &os) {
  os << "usage: infrac " << cmd.synopsis << "\n\n" << cmd.sub->getDescription() << "\n";
  struct Row {
    std::string left, help;
    std::vector<std::pair<std::string, std::string>> values;
  };
  std::vector<Row> rows;
  for (cl::Option *o : commandOptions(cmd)) {
    Row row;
    bool prefix = o->getFormattingFlag() == cl::Prefix;
    row.left = (o->ArgStr.size() == 1 ? "-" : "--") + o->ArgStr.str();
    row.help = o->HelpStr.str();
    if (o->getValueExpectedFlag() == cl::ValueRequired) {
      // An enumerated option's values: LLVM prints them only as part of its
      // own help text, so read them from that.
      std::string info;
      {
        Captured captured(1);
        o->printOptionInfo(40);
        info = captured.take();
      }
      llvm::SmallVector<llvm::StringRef, 8> lines;
      llvm::StringRef(info).split(lines, '\n', -1, false);
      for (llvm::StringRef l : lines) {
        llvm::StringRef t = l.ltrim();
        if (!l.startswith("    =") || !t.consume_front("="))
          continue;
        auto [name, desc] = t.split(" - ");
        row.values.push_back({name.trim().str(), desc.trim().str()});
      }
      std::string value = o->ValueStr.str();
      if (!row.values.empty()) {
        value.clear();
        for (auto &v : row.values)
          value += (value.empty() ? "" : "|") + v.first;
      } else if (value.empty() || value == "uint" || value == "ulong") {
        value = "N";
      }
      row.left += (prefix ? " " : "=") + value;
    }
    rows.push_back(std::move(row));
  }
  rows.push_back({"--help", "Show this help", {}});
  os << "\noptions:\n";
  const size_t column = 26;
  for (const Row &r : rows) {
    os << "  " << r.left;
    if (r.left.size() + 2 >= column)
      os << "\n" << std::string(column + 2, ' ');
    else
      os << std::string(column - r.left.size(), ' ');
    os << r.help << "\n";
    // The values' own descriptions, when they say more than the name.
    bool describe = false;
    for (auto &v : r.values)
      describe |= !v.second.empty() && v.second != v.first;
    if (describe)
      for (auto &v : r.values)
        os << std::string(column + 4, ' ') << v.first << ": " << v.second << "\n";
  }
  os.flush();
}

int infrac::driverMain(int argc, char **argv) {
  // Constructed before the handler is registered, so destroyed after it runs
  // (it writes to both).
  (void)llvm::outs();
  (void)llvm::errs();
  static bool registered = [] { return std::atexit(finishAtExit) == 0; }();
  (void)registered;
  std::vector<CommandInfo> cmds = registeredCommands();

  // A first word that is not an option must be a command (or `help`).
  if (argc >= 2 && argv[1][0] != '-' && llvm::StringRef(argv[1]) != "help") {
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
  overview += "\nRun 'infrac COMMAND --help' for a command's options, "
              "'infrac --version' for the version.\n";

  // LLVM's own help variants (--help-list, --help-hidden) show ours too.
  auto isHelp = [](llvm::StringRef a) {
    a.consume_front("-");
    a.consume_front("-");
    return a == "help" || a == "h" || a == "help-list" || a == "help-hidden" ||
           a == "help-list-hidden";
  };
  // infrac --help, infrac help [COMMAND], infrac COMMAND --help: our own text.
  if (argc >= 2 && (isHelp(argv[1]) || llvm::StringRef(argv[1]) == "help")) {
    if (argc >= 3 && llvm::StringRef(argv[1]) == "help") {
      if (const CommandInfo *c = findCommand(argv[2])) {
        printCommandHelp(*c, llvm::outs());
        return 0;
      }
    }
    llvm::outs() << "usage: infrac COMMAND [ARGS]...\n\n" << overview;
    return 0;
  }
  // --version here rather than in the option parser, whose exit() would
  // leave a failed write to be reported on a captured stderr.
  for (int i = 1; i < argc && llvm::StringRef(argv[i]) != "--"; ++i)
    if (llvm::StringRef(argv[i]) == "--version" || llvm::StringRef(argv[i]) == "-version") {
      printVersion(llvm::outs());
      return finish(0);
    }
  const CommandInfo *current = argc >= 2 ? findCommand(argv[1]) : nullptr;
  if (current)
    for (int i = 2; i < argc && llvm::StringRef(argv[i]) != "--"; ++i)
      if (isHelp(argv[i])) {
        printCommandHelp(*current, llvm::outs());
        return 0;
      }

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
  bool parsed;
  {
    // Some of the option parser's messages go straight to stderr rather than
    // to errStream: catch those too, to say them in our words.
    Captured captured(2);
    parsed = cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(), overview,
                                         &errStream);
    errors = captured.take() + errStream.str();
  }
  if (!parsed) {
    reportUsageError(errors, current);
    return 2;
  }
  for (const CommandInfo &c : cmds)
    if (*c.sub)
      return finish(c.run());
  llvm::errs() << "infrac: error: no command given\n\n" << overview;
  return 2;
}

//===- CompletionCommand.cpp - infrac completion bash|zsh -----------------===//
//
// Prints a shell completion script. The commands and their options come from
// the registered commands, so the script always matches the binary; the
// values of enumerated options, the templates of `init` and the scenarios of
// a file (`infrac sim FILE --list`) are completed too.
//
//   source <(infrac completion bash)
//   infrac completion zsh > "${fpath[1]}/_infrac"
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <set>

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand completionCmd("completion", "Print a bash or zsh completion script");

cl::opt<std::string> shell(cl::Positional, cl::Required, cl::desc("<bash|zsh>"),
                           cl::sub(completionCmd), cl::cat(optionCategory()));

/// The values an option takes, where there is a fixed set.
const std::map<std::string, std::string> &optionValues() {
  static const std::map<std::string, std::string> values = {
      {"format", "text json sarif mermaid dot svg png yaml"},
      {"colour", "auto always never"},
      {"emit", "ast model"},
  };
  return values;
}

struct OptInfo {
  std::string name;
  std::string help;
  bool takesValue;
};

std::vector<OptInfo> optionsOf(const CommandInfo &cmd) {
  std::set<cl::Option *> seen;
  std::vector<OptInfo> out;
  for (auto &entry : cmd.sub->OptionsMap) {
    cl::Option *o = entry.second;
    if (o->getOptionHiddenFlag() != cl::NotHidden || o->isPositional() || o->ArgStr.empty())
      continue;
    if (std::find(o->Categories.begin(), o->Categories.end(), &optionCategory()) ==
        o->Categories.end())
      continue;
    if (!seen.insert(o).second)
      continue;
    // Flags (cl::opt<bool>) say their value is optional: they take none.
    bool value = o->getValueExpectedFlag() == cl::ValueRequired;
    out.push_back({o->ArgStr.str(), o->HelpStr.str(), value});
  }
  std::sort(out.begin(), out.end(),
            [](const OptInfo &a, const OptInfo &b) { return a.name < b.name; });
  return out;
}

std::string dash(const OptInfo &o) { return (o.name.size() == 1 ? "-" : "--") + o.name; }

/// The values of `opt` for command `cmd` (emit and format differ by command).
std::string valuesFor(llvm::StringRef cmd, const std::string &opt) {
  if (opt == "format") {
    if (cmd == "check")
      return "text json sarif";
    if (cmd == "graph")
      return "mermaid dot svg png";
    if (cmd == "build")
      return "json yaml";
    return "";
  }
  if (opt == "emit")
    return cmd == "check" ? "ast model" : "";
  auto it = optionValues().find(opt);
  return it == optionValues().end() ? "" : it->second;
}

void printBash(llvm::raw_ostream &os) {
  std::vector<CommandInfo> cmds = registeredCommands();
  os << "# bash completion for infrac: source <(infrac completion bash)\n"
        "_infrac() {\n"
        "  local cur prev cword words\n"
        "  cword=$COMP_CWORD\n"
        "  words=(\"${COMP_WORDS[@]}\")\n"
        "  cur=\"${words[cword]}\"\n"
        "  prev=\"\"\n"
        "  (( cword > 0 )) && prev=\"${words[cword-1]}\"\n"
        "  COMPREPLY=()\n"
        "  local commands=\"";
  for (size_t i = 0; i < cmds.size(); ++i)
    os << (i ? " " : "") << cmds[i].sub->getName();
  os << " help\"\n"
        "  if (( cword == 1 )); then\n"
        "    COMPREPLY=( $(compgen -W \"$commands --help --version\" -- \"$cur\") )\n"
        "    return 0\n"
        "  fi\n"
        "  local cmd=\"${words[1]}\" opts=\"\" opt=\"\" values=\"\"\n"
        "  # --opt=value: bash splits the word at '='.\n"
        "  if [[ $cur == \"=\" ]]; then opt=\"$prev\"; cur=\"\";\n"
        "  elif [[ $prev == \"=\" ]] && (( cword > 1 )); then opt=\"${words[cword-2]}\";\n"
        "  elif [[ $cur == --*=* ]]; then opt=\"${cur%%=*}\"; cur=\"${cur#*=}\"; fi\n"
        "  case \"$cmd\" in\n";
  for (const CommandInfo &c : cmds) {
    llvm::StringRef name = c.sub->getName();
    os << "    " << name << ")\n      opts=\"";
    bool first = true;
    for (const OptInfo &o : optionsOf(c)) {
      os << (first ? "" : " ") << dash(o) << (o.takesValue && o.name.size() > 1 ? "=" : "");
      first = false;
    }
    os << (first ? "" : " ") << "--help\"\n";
    os << "      case \"$opt\" in\n";
    for (const OptInfo &o : optionsOf(c)) {
      std::string v = valuesFor(name, o.name);
      if (!v.empty())
        os << "        " << dash(o) << ") values=\"" << v << "\" ;;\n";
    }
    os << "      esac ;;\n";
  }
  os << "  esac\n"
        "  if [[ -n $opt ]]; then\n"
        "    if [[ -n $values ]]; then\n"
        "      COMPREPLY=( $(compgen -W \"$values\" -- \"$cur\") )\n"
        "    else\n"
        "      COMPREPLY=( $(compgen -f -- \"$cur\") )\n"
        "    fi\n"
        "    return 0\n"
        "  fi\n"
        "  if [[ $cur == -* ]]; then\n"
        "    COMPREPLY=( $(compgen -W \"$opts\" -- \"$cur\") )\n"
        "    if [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *= ]]; then\n"
        "      compopt -o nospace 2>/dev/null\n"
        "    fi\n"
        "    return 0\n"
        "  fi\n"
        "  case \"$cmd\" in\n"
        "    help)\n"
        "      COMPREPLY=( $(compgen -W \"$commands\" -- \"$cur\") ) ;;\n"
        "    completion)\n"
        "      COMPREPLY=( $(compgen -W \"bash zsh\" -- \"$cur\") ) ;;\n"
        "    init)\n"
        "      if (( cword == 2 )); then\n"
        "        COMPREPLY=( $(compgen -W \"$(infrac init --list 2>/dev/null | cut -d' ' -f1)\" "
        "-- \"$cur\") $(compgen -d -- \"$cur\") )\n"
        "      else\n"
        "        COMPREPLY=( $(compgen -d -- \"$cur\") )\n"
        "      fi ;;\n"
        "    sim)\n"
        "      if [[ $prev == --scenario ]]; then\n"
        "        local f w\n"
        "        for w in \"${words[@]:2}\"; do [[ $w == *.infra ]] && f=\"$w\"; done\n"
        "        [[ -n $f ]] && COMPREPLY=( $(compgen -W \"$(infrac sim \"$f\" --list "
        "2>/dev/null)\" -- \"$cur\") )\n"
        "        return 0\n"
        "      fi\n"
        "      COMPREPLY=( $(compgen -f -X '!*.infra' -- \"$cur\") $(compgen -d -- \"$cur\") ) ;;\n"
        "    *)\n"
        "      COMPREPLY=( $(compgen -f -X '!*.infra' -- \"$cur\") $(compgen -d -- \"$cur\") ) ;;\n"
        "  esac\n"
        "  return 0\n"
        "}\n"
        "complete -o filenames -F _infrac infrac\n";
}

/// Text safe inside a zsh _arguments description: [] : and ' escaped.
std::string zshEscape(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    if (c == '[' || c == ']' || c == ':' || c == '\\')
      out += '\\';
    if (c == '\'') {
      out += "'\\''";
      continue;
    }
    out += c;
  }
  return out;
}

void printZsh(llvm::raw_ostream &os) {
  std::vector<CommandInfo> cmds = registeredCommands();
  os << "#compdef infrac\n"
        "# zsh completion for infrac: infrac completion zsh > \"${fpath[1]}/_infrac\"\n"
        "_infrac() {\n"
        "  local -a commands\n"
        "  commands=(\n";
  for (const CommandInfo &c : cmds)
    os << "    '" << c.sub->getName() << ":" << zshEscape(c.summary) << "'\n";
  os << "    'help:show the help of a command'\n"
        "  )\n"
        "  if (( CURRENT == 2 )); then\n"
        "    _describe -t commands 'infrac command' commands\n"
        "    return\n"
        "  fi\n"
        "  local cmd=$words[2]\n"
        "  case $cmd in\n";
  for (const CommandInfo &c : cmds) {
    llvm::StringRef name = c.sub->getName();
    os << "    " << name << ")\n      _arguments -s \\\n";
    for (const OptInfo &o : optionsOf(c)) {
      std::string v = valuesFor(name, o.name);
      os << "        '" << dash(o) << (o.takesValue && o.name.size() > 1 ? "=" : "") << "["
         << zshEscape(o.help) << "]";
      if (o.takesValue)
        os << ":" << o.name << ":" << (v.empty() ? "_files" : "(" + v + ")");
      os << "' \\\n";
    }
    os << "        '--help[show this help]' \\\n";
    if (name == "completion")
      os << "        '1:shell:(bash zsh)'\n";
    else if (name == "init")
      os << "        '1:template:(${(f)\"$(infrac init --list 2>/dev/null | cut -d\" \" -f1)\"})' "
            "\\\n        '2:directory:_files -/'\n";
    else
      os << "        '*:file:_files -g \"*.infra\"'\n";
    os << "      ;;\n";
  }
  os << "    help)\n"
        "      _describe -t commands 'infrac command' commands ;;\n"
        "  esac\n"
        "}\n"
        "if (( $+functions[compdef] )); then\n"
        "  compdef _infrac infrac\n"
        "fi\n";
}

int runCompletion() {
  if (shell == "bash") {
    printBash(llvm::outs());
  } else if (shell == "zsh") {
    printZsh(llvm::outs());
  } else {
    llvm::errs() << "infrac completion: error: unknown shell '" << shell
                 << "'; the shells are bash and zsh\nusage: infrac completion bash|zsh\n";
    return 2;
  }
  return 0;
}

CommandRegistration reg({&completionCmd, "completion bash|zsh",
                         "print a shell completion script (source <(infrac completion bash))",
                         runCompletion, 90});

} // namespace

//===- Driver.h - The infrac command line -----------------------*- C++ -*-===//
//
// Each command lives in its own file (CheckCommand.cpp, ...): it defines its
// llvm::cl::SubCommand and options in that one translation unit (so their
// static initialisation is ordered) and registers itself with a
// CommandRegistration. Commands that read .infra files share FrontEndOptions
// and runFrontEnd, the pipeline up to and including the model.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_DRIVER_DRIVER_H
#define INFRAC_DRIVER_DRIVER_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Sema/Model.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace infrac::runtime {
struct Verdict;
}

namespace infrac {
namespace runtime {
struct SimResult;
} // namespace runtime

/// Runs the infrac command line. Returns the process exit code: 0 clean,
/// 1 errors in the input, 2 usage or I/O failure.
int driverMain(int argc, char **argv);

namespace driver {

/// The version `--version` prints and SARIF logs carry.
llvm::StringRef infracVersion();

/// The category every infrac option belongs to (others are hidden in --help).
llvm::cl::OptionCategory &optionCategory();

/// One command of the binary.
struct CommandInfo {
  llvm::cl::SubCommand *sub;
  const char *synopsis; ///< "check FILE..." as shown in `infrac --help`.
  const char *summary;  ///< What it does, one line.
  int (*run)();         ///< Returns the exit code.
  int order;            ///< Position in `infrac --help`.
};

/// Registers a command; define one at namespace scope in the command's file.
struct CommandRegistration {
  explicit CommandRegistration(const CommandInfo &info);
};

enum class DiagFormat { Text, JSON, SARIF };
enum class ColorMode { Auto, Always, Never };

/// The options of every command that reads .infra files, bound to one
/// subcommand. Construct it at namespace scope after the SubCommand.
struct FrontEndOptions {
  /// `withFormat`: offer --format=text|json (check); other commands print
  /// text diagnostics on stderr because stdout carries their output.
  FrontEndOptions(llvm::cl::SubCommand &sub, bool withFormat);

  llvm::cl::list<std::string> files;
  llvm::cl::list<std::string> params;
  llvm::cl::opt<unsigned> errorLimit;
  llvm::cl::opt<ColorMode> color;
  llvm::cl::list<std::string> disable, warn, error;
  llvm::cl::opt<bool> warningsAsErrors;
  llvm::cl::opt<std::string> config;
  llvm::cl::opt<bool> noConfig;
  llvm::cl::opt<unsigned> threads;
  std::unique_ptr<llvm::cl::opt<DiagFormat>> format;

  DiagFormat getFormat() const { return format ? format->getValue() : DiagFormat::Text; }
};

/// One root file and what it imports: a program of its own. Each FILE given
/// to a command is checked on its own, as cfn-lint checks each template;
/// designs are composed with `import`.
struct Unit {
  std::string root;
  ast::Program program;
  /// Null when the files had syntax errors (their diagnostics are the report).
  sema::Model *model = nullptr;
};

/// Everything one front-end run produces, kept alive together.
struct FrontEnd {
  llvm::SourceMgr sm;
  DiagnosticEngine diags{sm};
  ast::ASTContext ctx;
  std::vector<Unit> units;
  /// 0 when the files were read (diagnostics may hold errors), 2 when the
  /// command line or a root file was unusable (already reported).
  int status = 0;
};

/// Loads each root file with its imports and builds its model. `afterParse`
/// is called with each program before its model is built (for --emit=ast).
/// Nothing downstream (the emitters, the simulator) may see a model before
/// the whole run is known to be free of errors: a model that sema or the
/// rules rejected can hold values no back end is written for. Models are
/// leaked on purpose at exit: freeing 100,000 resources one by one costs a
/// tenth of a large check.
std::unique_ptr<FrontEnd>
runFrontEnd(const FrontEndOptions &opts,
            const std::function<void(const ast::Program &, const llvm::SourceMgr &)>
                &afterParse = nullptr);

/// Prints the diagnostics in the chosen format (text on stderr, JSON on stdout).
void reportDiagnostics(const FrontEnd &fe, const FrontEndOptions &opts);

/// The exit code for a finished run: 2 if the input could not be read, 1 if
/// there were errors, else 0.
inline int exitCode(const FrontEnd &fe) {
  return fe.status ? fe.status : fe.diags.hasErrors() ? 1 : 0;
}

/// The registered commands, in `infrac --help` order.
std::vector<CommandInfo> registeredCommands();

/// The command `name`, or null.
const CommandInfo *findCommand(llvm::StringRef name);

/// Prints `infrac COMMAND --help`: its usage line, what it does and its
/// options, nothing of the others.
void printCommandHelp(const CommandInfo &cmd, llvm::raw_ostream &os);

/// infrac sim --list: the scenario names, one a line.
int listScenarios(const sema::Model &model, llvm::raw_ostream &os);
/// infrac sim --all: every scenario, then a table of verdicts; 1 if any failed.
int runAllScenarios(const sema::Model &model, std::optional<uint64_t> seed,
                    llvm::raw_ostream &os);
/// The scenario `name` of the design (or its only one when `name` is
/// empty); null after saying on stderr, as `command`, which there are.
const sema::Resource *findScenario(const sema::Model &model, llvm::StringRef name,
                                   llvm::StringRef file, llvm::StringRef command);
/// The design's detailed diagram as `infrac graph` draws it, as an SVG
/// document; empty, with `why` set, when Graphviz cannot draw it (its
/// warnings go to stderr, prefixed with `command`).
std::string designSvg(const sema::Model &model, llvm::StringRef source, llvm::StringRef command,
                      std::string &why);
/// The "expectations:" block of `sim` and `run --scenario` and its counts
/// line ("2 passed, 1 failed"), without the final newline; `beforeCounts`
/// prints what goes between them.
void printVerdicts(const std::vector<runtime::Verdict> &verdicts, llvm::raw_ostream &os,
                   llvm::function_ref<void()> beforeCounts = nullptr);
/// The web session strategies of a run side by side: per group with
/// sessions, sessions lost, replication bytes, load skew and p99. Nothing
/// when no group keeps sessions.
void printSessionTable(const runtime::SimResult &res, llvm::raw_ostream &os);

} // namespace driver
} // namespace infrac

#endif

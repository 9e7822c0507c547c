//===- SimCommand.cpp - infrac sim ----------------------------------------===//
//
// Check the file, then run one scenario on the virtual clock: the timeline on
// stdout, the verdict of each expectation, exit 1 if any fails. --trace and
// --report write files: each to a temporary beside it, renamed into place
// only when the run is over and the file whole.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Report/Report.h"
#include "Sim/Sim.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cassert>
#include <memory>
#include <optional>

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand simCmd("sim", "Simulate a scenario on a virtual clock and judge its expectations");
FrontEndOptions options(simCmd, /*withFormat=*/false);

cl::opt<std::string> scenarioName("scenario",
                                  cl::desc("The scenario to run (default: the only one)"),
                                  cl::value_desc("NAME"), cl::sub(simCmd),
                                  cl::cat(optionCategory()));
cl::opt<uint64_t> seed("seed", cl::desc("Random seed (default: the scenario's, else 1)"),
                       cl::value_desc("N"), cl::sub(simCmd), cl::cat(optionCategory()));
cl::opt<bool> listOnly("list", cl::desc("Print the names of the scenarios and exit"),
                       cl::sub(simCmd), cl::cat(optionCategory()));
cl::opt<bool> runAll("all", cl::desc("Run every scenario; a summary table, exit 1 if any fails"),
                     cl::sub(simCmd), cl::cat(optionCategory()));
cl::opt<std::string> traceFile("trace", cl::desc("Write a JSON-lines trace of every event"),
                               cl::value_desc("FILE"), cl::sub(simCmd), cl::cat(optionCategory()));
cl::opt<std::string> reportFile("report",
                                cl::desc("Write the run as one self-contained HTML page: the "
                                         "diagram, charts, events and verdicts"),
                                cl::value_desc("FILE"), cl::sub(simCmd),
                                cl::cat(optionCategory()));
cl::opt<std::string> emitPlan("emit",
                              cl::desc("Print the runtime's plan of the design and the "
                                       "scenario instead of running it (--emit=plan)"),
                              cl::value_desc("plan"), cl::sub(simCmd), cl::cat(optionCategory()));

/// A file written to a temporary beside it and renamed into place by
/// commit(), so that no failed or interrupted run leaves part of it under
/// the name the user gave.
class OutputFile {
public:
  /// Creates the temporary; on failure says why, naming the option.
  bool open(llvm::StringRef option, llvm::StringRef path) {
    this->option = option.str();
    this->path = path.str();
    auto created = llvm::sys::fs::TempFile::create(path + "-%%%%%%.tmp");
    if (!created) {
      std::string why = llvm::toString(created.takeError());
      llvm::StringRef dir = llvm::sys::path::parent_path(path);
      if (!dir.empty() && !llvm::sys::fs::is_directory(dir))
        why = "the directory '" + dir.str() + "' does not exist";
      return complain(why);
    }
    tmp.emplace(std::move(*created));
    stream = std::make_unique<llvm::raw_fd_ostream>(tmp->FD, /*shouldClose=*/false);
    return true;
  }
  /// A file never committed is removed.
  ~OutputFile() {
    if (stream)
      discard();
  }
  bool isOpen() const { return stream != nullptr; }
  llvm::raw_ostream &os() { return *stream; }
  /// Renames the whole file into place, or removes it after a write error.
  bool commit() {
    assert(stream && "committing a file twice");
    stream->flush();
    bool failed = stream->has_error();
    stream->clear_error();
    stream.reset();
    if (failed) {
      llvm::consumeError(tmp->discard());
      return complain("a write failed");
    }
    if (llvm::Error e = tmp->keep(path))
      return complain(llvm::toString(std::move(e)));
    return true;
  }

private:
  void discard() {
    stream.reset();
    llvm::consumeError(tmp->discard());
  }
  bool complain(llvm::StringRef why) {
    llvm::errs() << "infrac sim: " << option << ": cannot write '" << path << "': " << why
                 << "\n";
    return false;
  }
  std::string option, path;
  std::optional<llvm::sys::fs::TempFile> tmp;
  std::unique_ptr<llvm::raw_fd_ostream> stream;
};

/// The design's detailed diagram as SVG, or why there is none.
runtime::ReportHeader reportHeader(const sema::Model &model, llvm::StringRef source) {
  runtime::ReportHeader h;
  h.source = source.str();
  std::string why;
  h.diagram = designSvg(model, source, "sim", why);
  if (h.diagram.empty()) {
    h.diagramNote = "no diagram: " + why;
    llvm::errs() << "infrac sim: warning: --report: " << h.diagramNote << "\n";
  }
  return h;
}

int runSim() {
  auto fe = runFrontEnd(options);
  if (fe->status)
    return fe->status;
  reportDiagnostics(*fe, options);
  if (fe->diags.hasErrors()) {
    llvm::errs() << "infrac sim: not simulating a design with errors\n";
    return 1;
  }
  if (fe->units.size() != 1 || !fe->units[0].model) {
    llvm::errs() << "infrac sim: give exactly one file\n";
    return 2;
  }
  const sema::Model &model = *fe->units[0].model;
  if (!reportFile.empty() && (listOnly || runAll || !emitPlan.empty())) {
    llvm::errs() << "infrac sim: --report writes the run of one scenario; it cannot go with "
                 << (listOnly ? "--list" : runAll ? "--all" : "--emit") << "\n";
    return 2;
  }
  if (listOnly)
    return listScenarios(model, llvm::outs());
  if (runAll)
    return runAllScenarios(model, seed.getNumOccurrences() ? std::optional<uint64_t>(seed)
                                                           : std::nullopt,
                           llvm::outs());
  const sema::Resource *sc = findScenario(model, scenarioName, fe->units[0].root, "sim");
  if (!sc)
    return 2;

  runtime::SimOptions opts;
  if (seed.getNumOccurrences())
    opts.seed = seed;
  runtime::Plan plan = runtime::buildPlan(model, sc, opts.planOptions());
  if (!emitPlan.empty()) {
    if (emitPlan != "plan") {
      llvm::errs() << "infrac sim: --emit takes 'plan', not '" << emitPlan << "'\n";
      return 2;
    }
    runtime::dumpPlan(plan, llvm::outs());
    return 0;
  }
  opts.timeline = &llvm::outs();
  // Both files are opened before the run, so a bad path costs no run.
  OutputFile trace, report;
  if (!traceFile.empty() && !trace.open("--trace", traceFile))
    return 2;
  if (!reportFile.empty() && !report.open("--report", reportFile))
    return 2;
  if (trace.isOpen())
    opts.trace = &trace.os();
  // The report is made from the trace's records: the collector reads the
  // trace (with the series the simulator adds for it) and passes it on.
  std::unique_ptr<runtime::ReportCollector> collector;
  if (report.isOpen()) {
    collector = std::make_unique<runtime::ReportCollector>(opts.trace);
    opts.trace = collector.get();
    opts.series = true;
  }
  runtime::SimResult res = runtime::simulate(plan, opts);
  if (collector) {
    llvm::Error e = collector->writeHtml(reportHeader(model, fe->units[0].root), report.os());
    collector.reset(); // Everything it had is passed on to the trace.
    if (e) {
      llvm::errs() << "infrac sim: --report: " << llvm::toString(std::move(e)) << "\n";
      return 2;
    }
  }
  if (trace.isOpen() && !trace.commit())
    return 2;
  if (report.isOpen() && !report.commit())
    return 2;

  llvm::raw_ostream &os = llvm::outs();
  printVerdicts(res.verdicts, os, [&] { printSessionTable(res, os); });
  os << " (" << res.requests << " requests, " << res.events << " events, seed " << res.seed
     << ")\n";
  return res.passed() ? 0 : 1;
}

CommandRegistration reg({&simCmd,
                         "sim FILE [--scenario NAME|--list|--all] [--seed N] [--trace FILE] "
                         "[--report FILE] [--emit=plan]",
                         "run a scenario on a virtual clock; exit 1 if an expectation fails",
                         runSim, 40});

} // namespace

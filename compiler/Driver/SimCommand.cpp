//===- SimCommand.cpp - infrac sim ----------------------------------------===//
//
// Check the file, then run one scenario on the virtual clock: the timeline on
// stdout, the verdict of each expectation, exit 1 if any fails.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Sim/Sim.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

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
cl::opt<std::string> emitPlan("emit",
                              cl::desc("Print the runtime's plan of the design and the "
                                       "scenario instead of running it (--emit=plan)"),
                              cl::value_desc("plan"), cl::sub(simCmd), cl::cat(optionCategory()));

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
  if (listOnly)
    return listScenarios(model, llvm::outs());
  if (runAll)
    return runAllScenarios(model, seed.getNumOccurrences() ? std::optional<uint64_t>(seed)
                                                           : std::nullopt,
                           llvm::outs());
  auto all = runtime::scenarios(model);
  const sema::Resource *sc = nullptr;
  for (const sema::Resource *r : all)
    if (scenarioName.empty() ? all.size() == 1 : r->name == scenarioName)
      sc = r;
  if (!sc) {
    llvm::errs() << "infrac sim: ";
    if (all.empty())
      llvm::errs() << "'" << fe->units[0].root << "' has no scenario\n";
    else if (scenarioName.empty())
      llvm::errs() << "several scenarios; choose one with --scenario:";
    else
      llvm::errs() << "no scenario named '" << scenarioName << "'; the scenarios are:";
    for (const sema::Resource *r : all)
      llvm::errs() << " " << r->name;
    if (!all.empty())
      llvm::errs() << "\n";
    return 2;
  }

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
  // The trace goes to a temporary file beside it, renamed into place at the
  // end (and removed if the run is interrupted), so a failed run never
  // leaves half a trace under the name the user gave.
  std::optional<llvm::sys::fs::TempFile> tmp;
  std::unique_ptr<llvm::raw_fd_ostream> trace;
  if (!traceFile.empty()) {
    auto created = llvm::sys::fs::TempFile::create(traceFile + "-%%%%%%.tmp");
    if (!created) {
      llvm::errs() << "infrac sim: cannot write '" << traceFile
                   << "': " << llvm::toString(created.takeError()) << "\n";
      return 2;
    }
    tmp.emplace(std::move(*created));
    trace = std::make_unique<llvm::raw_fd_ostream>(tmp->FD, /*shouldClose=*/false);
    opts.trace = trace.get();
  }
  runtime::SimResult res = runtime::simulate(plan, opts);
  if (trace) {
    trace->flush();
    bool failed = trace->has_error();
    trace->clear_error();
    trace.reset();
    llvm::Error e = failed ? tmp->discard() : tmp->keep(traceFile);
    if (failed || e) {
      llvm::consumeError(std::move(e));
      llvm::errs() << "infrac sim: cannot write '" << traceFile << "'\n";
      return 2;
    }
  }

  llvm::raw_ostream &os = llvm::outs();
  os << "\nexpectations:\n";
  unsigned pass = 0, fail = 0, unsupported = 0;
  for (const runtime::Verdict &v : res.verdicts) {
    const char *tag = v.kind == runtime::Verdict::Pass   ? "PASS"
                      : v.kind == runtime::Verdict::Fail ? "FAIL"
                                                         : "SKIP";
    (v.kind == runtime::Verdict::Pass   ? pass
     : v.kind == runtime::Verdict::Fail ? fail
                                        : unsupported)++;
    os << "  " << tag << "  " << v.expectation;
    if (!v.detail.empty())
      os << "\n        " << v.detail;
    os << "\n";
  }
  printSessionTable(res, os);
  os << "\n" << pass << " passed, " << fail << " failed";
  if (unsupported)
    os << ", " << unsupported << " could not be evaluated";
  os << " (" << res.requests << " requests, " << res.events << " events, seed " << res.seed
     << ")\n";
  return res.passed() ? 0 : 1;
}

CommandRegistration reg({&simCmd,
                         "sim FILE [--scenario NAME|--list|--all] [--seed N] [--trace FILE] [--emit=plan]",
                         "run a scenario on a virtual clock; exit 1 if an expectation fails",
                         runSim, 40});

} // namespace

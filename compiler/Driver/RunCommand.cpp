//===- RunCommand.cpp - infrac run ----------------------------------------===//
//
// Check the file, then bring the design up on 127.0.0.1 (runtime/Live): the
// listeners' URLs and the admin API's on stdout, then the timestamped event
// lines, until SIGINT or SIGTERM; with --scenario, until the scenario ends,
// then its verdicts.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Live/Live.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand runCmd("run", "Bring the design up on this machine: real instances behind real "
                             "load balancers, on 127.0.0.1");
FrontEndOptions options(runCmd, /*withFormat=*/false);

cl::list<std::string> portMap("port-map",
                              cl::desc("Listen for a listener on a given local port"),
                              cl::value_desc("LB.LISTENER=PORT"), cl::sub(runCmd),
                              cl::cat(optionCategory()));
cl::opt<std::string> readyFile("ready-file",
                               cl::desc("Write the listeners, instances and admin URL as JSON "
                                        "once everything is up"),
                               cl::value_desc("PATH"), cl::sub(runCmd), cl::cat(optionCategory()));
cl::opt<unsigned> adminPort("admin-port", cl::desc("The admin API's port (default: any free)"),
                            cl::value_desc("N"), cl::init(0), cl::sub(runCmd),
                            cl::cat(optionCategory()));
cl::opt<double> timeScale("time-scale",
                          cl::desc("Run every AWS timer this many times faster (health checks, "
                                   "delays, cooldowns, the spot notice)"),
                          cl::value_desc("X"), cl::init(1.0), cl::sub(runCmd),
                          cl::cat(optionCategory()));
cl::opt<std::string> scenarioName("scenario",
                                  cl::desc("Play a scenario in real time (time-scaled): its loads "
                                           "sent for real, its events, then its verdicts; exit 1 "
                                           "when one fails"),
                                  cl::value_desc("NAME"), cl::sub(runCmd),
                                  cl::cat(optionCategory()));
cl::opt<uint64_t> seed("seed", cl::desc("The scenario's random seed (default: its own, else 1)"),
                       cl::value_desc("N"), cl::sub(runCmd), cl::cat(optionCategory()));
cl::opt<bool> plain("plain",
                    cl::desc("Print the event lines even on a terminal, instead of the status "
                             "view"),
                    cl::sub(runCmd), cl::cat(optionCategory()));
cl::list<std::string> redis("redis",
                           cl::desc("Keep session store STORE in a real Redis already running "
                                    "at ADDR (HOST:PORT, or PRIMARY,REPLICA)"),
                           cl::value_desc("STORE=ADDR"), cl::sub(runCmd),
                           cl::cat(optionCategory()));
cl::opt<std::string> duration("duration", cl::desc("Stop after this long (e.g. 90s, 10m)"),
                              cl::value_desc("D"), cl::sub(runCmd), cl::cat(optionCategory()));

/// "90s", "500ms", "10m", "1h" in microseconds.
std::optional<runtime::Duration> parseDuration(llvm::StringRef s) {
  struct Unit {
    const char *suffix;
    runtime::Duration us;
  };
  static const Unit units[] = {{"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {"h", 3600000000}};
  for (const Unit &u : units) {
    llvm::StringRef n = s;
    uint64_t v = 0;
    if (n.consume_back(u.suffix) && !n.getAsInteger(10, v) && v < (1ull << 40))
      return runtime::Duration(v) * u.us;
  }
  return std::nullopt;
}

int runRun() {
  if (!(timeScale >= 0.001 && timeScale <= 10000)) {
    llvm::errs() << "infrac run: --time-scale must be between 0.001 and 10000\n";
    return 2;
  }
  live::RunOptions opts;
  opts.timeScale = timeScale;
  opts.readyFile = readyFile;
  if (adminPort > 65535) {
    llvm::errs() << "infrac run: --admin-port must be a port number\n";
    return 2;
  }
  opts.adminPort = uint16_t(adminPort);
  if (!duration.empty()) {
    auto d = parseDuration(duration);
    if (!d || *d <= 0) {
      llvm::errs() << "infrac run: --duration takes a duration such as 90s or 10m, not '"
                   << duration << "'\n";
      return 2;
    }
    opts.duration = *d;
  }
  for (llvm::StringRef m : portMap) {
    auto [name, port] = m.split('=');
    unsigned p = 0;
    if (name.empty() || port.getAsInteger(10, p) || p == 0 || p > 65535) {
      llvm::errs() << "infrac run: --port-map takes LB.LISTENER=PORT, not '" << m << "'\n";
      return 2;
    }
    opts.portMap.push_back({name.str(), uint16_t(p)});
  }
  auto fe = runFrontEnd(options);
  if (fe->status)
    return fe->status;
  reportDiagnostics(*fe, options);
  if (fe->diags.hasErrors()) {
    llvm::errs() << "infrac run: not running a design with errors\n";
    return 1;
  }
  if (fe->units.size() != 1 || !fe->units[0].model) {
    llvm::errs() << "infrac run: give exactly one file\n";
    return 2;
  }
  const sema::Model &model = *fe->units[0].model;
  const sema::Resource *scenario = nullptr;
  if (scenarioName.getNumOccurrences()) {
    scenario = findScenario(model, scenarioName, fe->units[0].root, "run");
    if (!scenario)
      return 2;
  } else if (seed.getNumOccurrences()) {
    llvm::errs() << "infrac run: --seed is the seed of a --scenario\n";
    return 2;
  }
  runtime::PlanOptions po;
  if (seed.getNumOccurrences())
    po.seed = seed;
  runtime::Plan plan = runtime::buildPlan(model, scenario, po);
  for (const auto &[name, port] : opts.portMap) {
    bool known = false;
    for (const runtime::LoadBalancerPlan &lb : plan.loadBalancers)
      for (const runtime::ListenerPlan &l : lb.listeners)
        known |= name == lb.name + "." + l.name;
    if (!known) {
      llvm::errs() << "infrac run: --port-map: no listener '" << name
                   << "' (write LOAD_BALANCER.LISTENER)\n";
      return 2;
    }
  }
  for (llvm::StringRef r : redis) {
    auto [name, address] = r.split('=');
    runtime::StorePlan *store = nullptr;
    for (runtime::StorePlan &s : plan.stores)
      if (s.name == name && !s.replicated)
        store = &s;
    if (!store || address.empty()) {
      llvm::errs() << "infrac run: --redis takes STORE=HOST:PORT with STORE an external "
                      "session_store of the design, not '"
                   << r << "'\n";
      return 2;
    }
    store->backend = address.str();
  }
  // infrac-echo lives next to infrac.
  std::string self = llvm::sys::fs::getMainExecutable("infrac", (void *)&runRun);
  llvm::SmallString<256> echo(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(echo, "infrac-echo");
  opts.echoBinary = std::string(echo);
  if (!llvm::sys::fs::can_execute(opts.echoBinary)) {
    llvm::errs() << "infrac run: the echo app '" << opts.echoBinary
                 << "' is missing; build the 'infrac-echo' target\n";
    return 2;
  }
  llvm::SmallString<256> dir(fe->units[0].root);
  llvm::sys::fs::make_absolute(dir);
  opts.workDir = std::string(llvm::sys::path::parent_path(dir));
  opts.source = fe->units[0].root;
  std::string why;
  opts.diagram = designSvg(model, opts.source, "run", why);
  if (opts.diagram.empty())
    llvm::errs() << "infrac run: warning: the dashboard has no diagram: " << why << "\n";
  opts.log = &llvm::outs();
  opts.statusView = !plain && llvm::sys::Process::StandardOutIsDisplayed();
  std::vector<runtime::Verdict> verdicts;
  if (scenario)
    opts.verdicts = &verdicts;
  int status = live::run(plan, opts);
  if (!scenario || status != 0)
    return status;
  printVerdicts(verdicts, llvm::outs());
  llvm::outs() << " (in real time, scaled " << llvm::format("%g", double(timeScale)) << "x, seed "
               << plan.scenario->seed
               << ")\n";
  for (const runtime::Verdict &v : verdicts)
    if (v.kind != runtime::Verdict::Pass)
      return 1;
  return 0;
}

CommandRegistration reg({&runCmd,
                         "run FILE [--time-scale X] [--ready-file PATH] [--admin-port N] "
                         "[--port-map LB.LISTENER=PORT]... [--duration D] [--plain] "
                         "[--scenario NAME [--seed N]]",
                         "bring the design up on 127.0.0.1; Ctrl-C stops it", runRun, 45});

} // namespace

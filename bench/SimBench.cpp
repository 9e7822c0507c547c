//===- SimBench.cpp - How fast is `infrac sim` --------------------------===//
//
//   infrac-simbench [--repeat=R] [FILE [SCENARIO]]
//
// Simulates a scenario (default: the web shop's black_friday) in-process at
// two loads: 200 requests/s for an hour of virtual time with the design's own
// capacity, and 10,000 requests/s across 100 instances for five minutes.
// Prints, for the fastest of R runs, the wall time, virtual seconds per wall
// second and scheduler events per second. No timeline, no trace.
//
//===----------------------------------------------------------------------===//

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Parse/Parser.h"
#include "Sema/Model.h"
#include "Sim/Sim.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

using namespace infrac;
using Clock = std::chrono::steady_clock;

namespace {

struct Case {
  const char *name;
  double rate;
  int64_t instances; ///< 0: the design's own.
  runtime::Duration duration;
};

} // namespace

int main(int argc, char **argv) {
  int repeat = 3;
  std::string file = INFRAC_SOURCE_DIR "/examples/webshop.infra", scenarioName = "black_friday";
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--repeat=", 9) == 0)
      repeat = std::max(1, std::atoi(argv[i] + 9));
    else if (argv[i][0] == '-') {
      std::fprintf(stderr, "usage: infrac-simbench [--repeat=R] [FILE [SCENARIO]]\n");
      return 2;
    } else if (positional++ == 0)
      file = argv[i];
    else
      scenarioName = argv[i];
  }

  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ast::ASTContext ctx;
  auto program = loadProgram({file}, sm, ctx, diags);
  if (!program) {
    std::fprintf(stderr, "infrac-simbench: %s\n", llvm::toString(program.takeError()).c_str());
    return 2;
  }
  auto model = sema::buildModel(*program, diags);
  if (!model || diags.hasErrors()) {
    std::fprintf(stderr, "infrac-simbench: '%s' has errors\n", file.c_str());
    return 2;
  }
  const sema::Resource *scenario = nullptr;
  for (const sema::Resource *r : runtime::scenarios(*model))
    if (r->name == scenarioName)
      scenario = r;
  if (!scenario) {
    std::fprintf(stderr, "infrac-simbench: no scenario '%s'\n", scenarioName.c_str());
    return 2;
  }

  const Case cases[] = {
      {"200 req/s, own capacity, 1 h", 200, 0, runtime::seconds(3600)},
      {"10,000 req/s, 100 instances, 5 min", 10000, 100, runtime::seconds(300)},
  };
  std::printf("%s, scenario '%s', best of %d\n\n", file.c_str(), scenarioName.c_str(), repeat);
  std::printf("| case | virtual | requests | events | wall | virtual s / wall s | events/s |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const Case &c : cases) {
    double best = 1e300;
    runtime::SimResult res;
    for (int r = 0; r < repeat; ++r) {
      runtime::SimOptions opts;
      opts.rate = c.rate;
      opts.duration = c.duration;
      opts.statsEvery = 0;
      if (c.instances)
        opts.instances = c.instances;
      auto t0 = Clock::now();
      res = runtime::simulate(runtime::buildPlan(*model, scenario, opts.planOptions()), opts);
      double wall = std::chrono::duration<double>(Clock::now() - t0).count();
      best = std::min(best, wall);
    }
    double virt = double(res.end) / 1e6;
    std::printf("| %s | %.0f s | %llu | %llu | %.3f s | %.0f× | %.2f M |\n", c.name, virt,
                (unsigned long long)res.requests, (unsigned long long)res.events, best,
                virt / best, double(res.events) / best / 1e6);
  }
  return 0;
}

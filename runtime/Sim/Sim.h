//===- Sim.h - Deterministic simulation of a model's scenario -*- C++ -*-===//
//
// `simulate` runs a plan's scenario: the control plane (runtime/Fabric) on a
// SimScheduler, hosted by simulated EC2 instances and a simulated data plane
// that plays the scenario's load; the scenario's timed events go to the
// Fabric as they would from an operator, and its expectations are judged on
// the Fabric's metrics. The same plan and seed always give the same timeline
// and trace, byte for byte.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_SIM_H
#define INFRAC_RUNTIME_SIM_H

#include "Plan/Plan.h"

#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace infrac::runtime {

struct SimOptions {
  /// Overrides the scenario's `seed` attribute.
  std::optional<uint64_t> seed;
  /// Where the human-readable timeline goes (null: nowhere).
  llvm::raw_ostream *timeline = nullptr;
  /// Where the JSON-lines trace of every event goes (null: nowhere).
  llvm::raw_ostream *trace = nullptr;
  /// Print a statistics line every this often (0: never).
  Duration statsEvery = seconds(30);
  /// Overrides the scenario's duration; every load then runs to the end
  /// (benchmarks).
  std::optional<Duration> duration;
  /// Overrides every load's rate (benchmarks).
  std::optional<double> rate;
  /// Overrides every Auto Scaling group's min, max and desired (benchmarks).
  std::optional<int64_t> instances;
  /// Overrides every target group's fail-open (tests: AWS always fails open).
  std::optional<bool> failOpen;
  /// Adds to the trace a `series` record every second (what each load
  /// balancer answered since the last one, every target group's healthy
  /// targets, every group's capacity, every EMR group's running nodes, every
  /// election's leader) and, at the end, a `decided` record per expectation
  /// with the instant (`at`) its verdict was settled: what `infrac sim
  /// --report` draws. Off, the trace is as it always was.
  bool series = false;

  /// The overrides that shape the plan.
  PlanOptions planOptions() const {
    PlanOptions p;
    p.seed = seed;
    p.duration = duration;
    p.rate = rate;
    p.instances = instances;
    p.failOpen = failOpen;
    return p;
  }
};

/// How one Auto Scaling group with web sessions fared (the comparison of
/// the strategies `infrac sim` prints).
struct SessionRow {
  std::string group;
  std::string strategy; ///< "in_memory", "replicated all_to_all", "external carts", ...
  unsigned instances = 0; ///< In service at the end.
  uint64_t responses = 0, sessionsLost = 0;
  uint64_t replicationBytes = 0, replicationMessages = 0;
  double loadSkew = 1;
  Duration p99 = 0;
};

struct SimResult {
  std::vector<Verdict> verdicts;
  std::vector<SessionRow> sessions; ///< Groups whose app keeps sessions.
  uint64_t events = 0;   ///< Events delivered by the scheduler.
  uint64_t requests = 0; ///< Requests sent by the loads.
  Instant end = 0;       ///< Virtual time simulated.
  uint64_t seed = 0;
  bool passed() const {
    for (const Verdict &v : verdicts)
      if (v.kind != Verdict::Pass)
        return false;
    return true;
  }
};

/// Runs the scenario of a plan (built with opts.planOptions()).
SimResult simulate(const Plan &plan, const SimOptions &opts);

} // namespace infrac::runtime

#endif

//===- Judge.h - The expectation judge, shared by sim and run -*- C++ -*-===//
//
// A scenario's `expect` lines judged against the Fabric's metrics as the
// run goes: timed expectations whenever their window is open and something
// changed (or at the shell's samples), `within` ones until they first hold,
// the rest at the end. Both shells own one, so a scenario passes or fails
// for the same reasons in `infrac sim` and in `infrac run --scenario`.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_FABRIC_JUDGE_H
#define INFRAC_RUNTIME_FABRIC_JUDGE_H

#include "Fabric/Fabric.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace infrac::runtime {

class Judge {
public:
  /// A metric only the shell knows (e.g. who served a client of its own
  /// load): its value and how to show it, or nullopt to ask the Fabric.
  using ShellMetric = std::function<std::optional<double>(const Operand &, std::string &shown)>;

  Judge(const ScenarioPlan &scenario, Fabric &fabric, ShellMetric shell = nullptr);

  /// Judges what is due at `now`; `atEnd` once, when the run ends.
  void check(Instant now, bool atEnd);
  /// served_by(LB, N) as a shell answers it: who served client N of the
  /// scenario's loads on that load balancer, where `lastOf(load, client)`
  /// is the shell's record (~0u: nobody yet); nullopt for any other metric.
  static std::optional<double>
  servedBy(const Operand &o, const ScenarioPlan &scenario,
           llvm::function_ref<uint32_t(size_t load, uint32_t client)> lastOf, std::string &shown);

  /// Every expectation's verdict, in the scenario's order (after the last
  /// check(now, true)); each one traced when the trace is on.
  std::vector<Verdict> verdicts(Trace &trace) const;

private:
  struct State {
    const ExpectationPlan *e;
    bool satisfied = false, failed = false, unsupported = false;
    std::string detail;
    Instant decided = Never; ///< When its verdict was settled.
  };
  std::optional<double> value(const Operand &o, std::string &shown, bool &unsupported);
  std::optional<bool> evaluate(const ConditionPlan &c, std::string &shown,
                               bool &unsupported);

  Fabric &fabric;
  ShellMetric shell;
  std::vector<State> states;
};

} // namespace infrac::runtime

#endif

//===- WorldScenario.cpp - The scenario player and the simulated clients' metrics -===//

#include "Sim/World.h"

using llvm::StringRef;

namespace infrac::runtime::sim {

//===----------------------------------------------------------------------===//
// Timed events
//===----------------------------------------------------------------------===//

void World::onScenario(const EventPlan &ev) {
  Instant now = sched.now();
  trace.note("scenario", ev.text);
  for (const ActionPlan &a : ev.actions) {
    if (a.kind != ActionKind::Rate) {
      fabric->act(a);
      continue;
    }
    // The load is the simulator's own.
    for (size_t li = 0; li < loads.size(); ++li) {
      bool wasIdle = loads[li].traffic.rateAt(now) <= 0;
      loads[li].traffic.setRate(a.rate);
      trace.note("scenario", "load on " + plan.loadBalancers[loads[li].plan->loadBalancer].name +
                                 " now " + std::to_string(int64_t(a.rate)) + " requests/s");
      if (wasIdle) {
        Instant next = loads[li].traffic.nextArrival(now, rng);
        if (next != Never && next < end)
          sched.runAt(next, {EvArrival, uint32_t(li), 0});
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Expectations: the shared judge, with the simulator's own clients
//===----------------------------------------------------------------------===//

std::optional<double> World::clientMetric(const Operand &o, std::string &shown) const {
  return Judge::servedBy(
      o, scenario,
      [&](size_t load, uint32_t client) { return loads[load].clients[client].lastInstance; },
      shown);
}

} // namespace infrac::runtime::sim

//===- WorldScenario.cpp - The scenario player and the expectation judge --===//

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
// Expectations
//===----------------------------------------------------------------------===//

static bool compare(CompareOp op, double a, double b) {
  switch (op) {
  case CompareOp::EQ: return a == b;
  case CompareOp::NE: return a != b;
  case CompareOp::LT: return a < b;
  case CompareOp::LE: return a <= b;
  case CompareOp::GT: return a > b;
  case CompareOp::GE: return a >= b;
  }
  return false;
}

std::optional<double> World::value(const Operand &o, std::string &shown, bool &unsupported) {
  switch (o.kind) {
  case Operand::Constant:
    shown = o.shown;
    return o.value;
  case Operand::Instance: {
    std::vector<uint32_t> ids = fabric->resolveInstances(o.instance, false, true);
    shown = o.shown;
    if (ids.size() != 1)
      return -1.0; // Not launched (yet): equals no instance.
    shown += " (" + Fabric::instanceName(ids[0]) + ")";
    return double(ids[0]);
  }
  case Operand::Unknown:
    return std::nullopt;
  case Operand::Metric:
    break;
  }
  if (o.metric == MetricId::ServedBy && o.object.kind == ObjectRef::LoadBalancer) {
    // The simulator's clients: who served client N's last request.
    auto give = [&](double v, std::string text) {
      shown = o.shown + " was " + text;
      return std::optional<double>(v);
    };
    int64_t client = o.arg;
    for (const Load &ld : loads)
      if (ld.plan->loadBalancer == o.object.index && client >= int64_t(ld.plan->firstClient) &&
          client < int64_t(ld.plan->firstClient + ld.clients.size())) {
        uint32_t id = ld.clients[client - ld.plan->firstClient].lastInstance;
        if (id == ~0u)
          return give(-1.0, "nobody yet");
        return give(double(id), Fabric::instanceName(id));
      }
    return give(-1.0, "nobody: the load balancer has no client " + std::to_string(client));
  }
  std::optional<double> v = fabric->metric(o, shown);
  if (!v)
    unsupported = true;
  return v;
}

std::optional<bool> World::evaluate(const ConditionPlan &cond, std::string &shown,
                                    bool &unsupported) {
  switch (cond.kind) {
  case ConditionPlan::Compare: {
    std::string l, r;
    auto a = value(cond.operands[0], l, unsupported);
    auto b = value(cond.operands[1], r, unsupported);
    shown = l;
    if (!a || !b)
      return std::nullopt;
    shown += std::string(" (expected ") + compareOpText(cond.op) + " " + r + ")";
    return compare(cond.op, *a, *b);
  }
  case ConditionPlan::And: {
    bool all = true;
    for (const ConditionPlan &c : cond.parts) {
      std::string s;
      auto v = evaluate(c, s, unsupported);
      if (!v)
        return std::nullopt;
      if (all)
        shown = s;
      if (!*v && all)
        all = false;
    }
    return all;
  }
  case ConditionPlan::Single:
    break;
  }
  auto v = value(cond.operands[0], shown, unsupported);
  if (!v)
    return std::nullopt;
  return *v != 0;
}

void World::checkExpectations(bool atEnd) {
  Instant now = sched.now();
  for (ExpState &s : exps) {
    const ExpectationPlan &e = *s.e;
    if (s.failed || s.unsupported || (e.within && s.satisfied))
      continue;
    bool due = e.timed ? now >= e.from && now <= e.until : atEnd;
    if (!due && !(atEnd && e.within))
      continue;
    std::string shown;
    bool unsupported = false;
    std::optional<bool> v = due ? evaluate(e.condition, shown, unsupported) : false;
    if (!v) {
      s.unsupported = true;
      s.detail = shown.empty() ? "the simulator cannot evaluate this expectation" : shown;
      continue;
    }
    if (e.within) {
      if (*v) {
        s.satisfied = true;
        s.detail = "held at " + fmtTime(now) + ": " + shown;
      } else if (now >= e.until || atEnd) {
        s.failed = true;
        s.detail = "never held between " + fmtTime(e.from) + " and " +
                   fmtTime(std::min(e.until, now)) + (shown.empty() ? "" : ": " + shown);
      }
      continue;
    }
    if (!*v) {
      s.failed = true;
      s.detail = (e.timed ? "failed at " + fmtTime(now) + ": " : "at the end: ") + shown;
    } else {
      s.satisfied = true;
      s.detail = shown;
    }
  }
  for (ExpState &s : exps)
    if (s.decided == Never && (atEnd || s.failed || s.unsupported || (s.e->within && s.satisfied)))
      s.decided = now;
}

} // namespace infrac::runtime::sim

//===- Judge.cpp - The expectation judge ---------------------------------===//

#include "Fabric/Judge.h"

namespace infrac::runtime {

Judge::Judge(const ScenarioPlan &scenario, Fabric &fabric, ShellMetric shell)
    : fabric(fabric), shell(std::move(shell)) {
  for (const ExpectationPlan &e : scenario.expectations)
    states.push_back(State{&e, false, false, false, {}});
}

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

std::optional<double> Judge::value(const Operand &o, std::string &shown, bool &unsupported) {
  switch (o.kind) {
  case Operand::Constant:
    shown = o.shown;
    return o.value;
  case Operand::Instance: {
    std::vector<uint32_t> ids = fabric.resolveInstances(o.instance, false, true);
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
  if (shell)
    if (std::optional<double> v = shell(o, shown))
      return v;
  std::optional<double> v = fabric.metric(o, shown);
  if (!v)
    unsupported = true;
  return v;
}

std::optional<bool> Judge::evaluate(const ConditionPlan &cond, std::string &shown,
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

void Judge::check(Instant now, bool atEnd) {
  for (State &s : states) {
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
      s.detail = shown.empty() ? "the runtime cannot evaluate this expectation" : shown;
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
  for (State &s : states)
    if (s.decided == Never && (atEnd || s.failed || s.unsupported || (s.e->within && s.satisfied)))
      s.decided = now;
}

std::optional<double>
Judge::servedBy(const Operand &o, const ScenarioPlan &scenario,
                llvm::function_ref<uint32_t(size_t load, uint32_t client)> lastOf,
                std::string &shown) {
  if (o.metric != MetricId::ServedBy || o.object.kind != ObjectRef::LoadBalancer)
    return std::nullopt;
  auto give = [&](double v, std::string text) {
    shown = o.shown + " was " + text;
    return std::optional<double>(v);
  };
  int64_t client = o.arg;
  for (size_t i = 0; i < scenario.loads.size(); ++i) {
    const LoadPlan &lp = scenario.loads[i];
    if (lp.loadBalancer != o.object.index || client < int64_t(lp.firstClient) ||
        client >= int64_t(lp.firstClient) + int64_t(lp.traffic.clients))
      continue;
    uint32_t id = lastOf(i, uint32_t(client - lp.firstClient));
    if (id == ~0u)
      return give(-1.0, "nobody yet");
    return give(double(id), Fabric::instanceName(id));
  }
  return give(-1.0, "nobody: the load balancer has no client " + std::to_string(client));
}

std::vector<Verdict> Judge::verdicts(Trace &trace) const {
  std::vector<Verdict> out;
  for (const State &s : states) {
    Verdict v;
    v.expectation = s.e->text;
    v.kind = s.unsupported                   ? Verdict::Unsupported
             : s.failed                      ? Verdict::Fail
             : (s.e->within && !s.satisfied) ? Verdict::Fail
                                             : Verdict::Pass;
    v.detail = s.detail;
    v.decided = s.decided;
    if (trace.tracing())
      trace.verdict(v.expectation, verdictName(v.kind), v.detail);
    out.push_back(std::move(v));
  }
  return out;
}

} // namespace infrac::runtime

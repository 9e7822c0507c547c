//===- FabricHealth.cpp - Registration, health checks and draining --------===//
//
// What Elastic Load Balancing does with targets: registering an instance
// with every target group of its Auto Scaling group, the probe chain of each
// target, the state machine's transitions and what follows from them (slow
// start, an NLB resetting the flows of an unhealthy target, the instance's
// health reaching its group), deregistration with its delay, and the targets
// of an instance that stopped.
//
//===----------------------------------------------------------------------===//

#include "Fabric/Fabric.h"

using llvm::StringRef;

namespace infrac::runtime {

void Fabric::traceTarget(const TargetGroupRt &g, const Target &t, TargetState from) {
  if (trace.tracing())
    trace.target(g.plan->name, instanceName(t.instance), stateName(from), stateName(t.state),
                 reasonCode(t.reason));
}

void Fabric::registerTarget(uint32_t tgi, uint32_t instance) {
  TargetGroupRt &g = tgs[tgi];
  Target t;
  t.instance = instance;
  g.state.targets.push_back(t);
  uint32_t idx = uint32_t(g.state.targets.size() - 1);
  Target &tt = g.state.targets.back();
  Instant first = g.checker.onRegistered(sched.now(), tt, rng);
  if (prewarming && g.checker.config().enabled) {
    // Deployed before the run: already healthy, probes in phase.
    tt.state = TargetState::Healthy;
    tt.reason = Reason::None;
    first = sched.now() + Duration(rng.below(uint64_t(g.checker.config().interval)));
  } else {
    trace.note(g.plan->name, instanceName(instance) + " registered: " + stateName(tt.state) +
                                 " (" + reasonCode(tt.reason) + ")");
  }
  traceTarget(g, tt, TargetState::Unused);
  if (first != Never)
    sched.runAt(first, {TmProbe, tgi, idx});
}

void Fabric::sendProbe(uint32_t tgi, uint32_t idx) {
  TargetGroupRt &g = tgs[tgi];
  Target &t = g.state.targets[idx];
  Instant now = sched.now();
  if (!g.checker.onProbeSent(now, t))
    return; // The chain ends with the registration.
  sched.runAt(g.checker.nextProbe(now), {TmProbe, tgi, idx});
  host.probe(tgi, idx, t.instance);
}

void Fabric::probeResult(uint32_t tgi, uint32_t idx, ProbeResult r) {
  TargetGroupRt &g = tgs[tgi];
  Target &t = g.state.targets[idx];
  if (trace.tracing())
    trace.probe(g.plan->name, instanceName(t.instance),
                r.kind == ProbeResult::Timeout         ? std::string("timeout")
                : r.kind == ProbeResult::ConnectFailed ? std::string("refused")
                                                       : std::to_string(r.status));
  if (auto tr = g.checker.onProbeResult(sched.now(), t, r))
    healthChanged(g, t, *tr);
}

std::optional<bool> Fabric::elbHealthy(uint32_t id) const {
  bool all = true;
  for (const TargetGroupRt &g : tgs) {
    int idx = g.state.find(id);
    if (idx < 0)
      continue;
    TargetState s = g.state.targets[idx].state;
    if (s == TargetState::Unhealthy)
      return false;
    all &= s == TargetState::Healthy || s == TargetState::Unavailable;
  }
  if (!all)
    return std::nullopt; // Still in its initial checks somewhere.
  return true;
}

void Fabric::healthChanged(TargetGroupRt &g, Target &t, const HealthTransition &tr) {
  Instant now = sched.now();
  uint32_t id = t.instance;
  std::string why = reasonCode(tr.reason);
  if (tr.reason == Reason::ResponseCodeMismatch)
    why += ": health checks failed with these codes: [" + std::to_string(tr.status) + "]";
  trace.note(g.plan->name, instanceName(id) + ": " + stateName(tr.from) + " -> " +
                               stateName(tr.to) + (why.empty() ? "" : " (" + why + ")"));
  traceTarget(g, t, tr.from);
  if (tr.to == TargetState::Healthy) {
    g.selector.onHealthy(now, g.state, t);
    if (t.slowStartBegin != Never)
      trace.note(g.plan->name, instanceName(id) + " enters slow start");
  } else {
    t.slowStartBegin = Never; // Turning unhealthy ends slow start.
  }
  // An NLB resets the connections of a target that turns unhealthy, unless
  // it is failing open.
  if (g.plan->network && tr.to == TargetState::Unhealthy &&
      g.state.count(TargetState::Healthy) > 0)
    cut(id, uint32_t(&g - tgs.data()), 502, "connection reset: the target is unhealthy");
  InstanceRt *in = inst(id);
  std::optional<bool> healthy = elbHealthy(id);
  if (in && in->asg != NoIndex && healthy) {
    std::vector<AsgCommand> more;
    groups[in->asg].scaler->onElbHealth(now, id, *healthy, more);
    apply(in->asg, more);
  }
}

void Fabric::cut(uint32_t instance, uint32_t tg, int status, StringRef why) {
  unsigned n = host.cutRequests(instance, tg, status);
  if (n)
    trace.note("elb", std::to_string(n) + " request" + (n == 1 ? "" : "s") + " in flight on " +
                          instanceName(instance) + " answered " + std::to_string(status) + ": " +
                          why.str());
}

void Fabric::onDrainExpire(uint32_t tgi, uint32_t idx) {
  TargetGroupRt &g = tgs[tgi];
  Target &t = g.state.targets[idx];
  if (t.state != TargetState::Draining)
    return;
  bool completes = false;
  unsigned open = g.drainer.expire(sched.now(), t, completes);
  uint32_t id = t.instance;
  traceTarget(g, t, TargetState::Draining);
  trace.note(g.plan->name,
             instanceName(id) + ": draining -> unused (" + reasonCode(t.reason) + ")" +
                 (open ? ", " + std::to_string(open) + " requests still in flight" : ""));
  if (open && g.plan->cutAtExpiry)
    cut(id, tgi, 502, "the deregistration delay ended");
  if (completes)
    drainCompleted(id);
}

void Fabric::drainCompleted(uint32_t id) {
  InstanceRt *in = inst(id);
  if (!in || in->drainsPending == 0 || --in->drainsPending > 0 || in->asg == NoIndex)
    return;
  std::vector<AsgCommand> more;
  groups[in->asg].scaler->onDrained(sched.now(), id, more);
  apply(in->asg, more);
}

void Fabric::deregister(uint32_t instance, uint32_t asgOwner) {
  InstanceRt *in = inst(instance);
  unsigned pending = 0;
  for (size_t tgi = 0; tgi < tgs.size(); ++tgi) {
    TargetGroupRt &g = tgs[tgi];
    int idx = g.state.find(instance);
    if (idx < 0 || g.state.targets[idx].state == TargetState::Draining)
      continue;
    Target &t = g.state.targets[idx];
    TargetState from = t.state;
    Instant until = g.drainer.begin(sched.now(), t);
    traceTarget(g, t, from);
    trace.note(g.plan->name,
               instanceName(instance) + ": " + stateName(from) + " -> draining (" +
                   reasonCode(t.reason) + ") until " + fmtTime(until) + ", " +
                   (t.drained ? std::string("nothing in flight: deregistration complete")
                              : std::to_string(t.outstanding) + " in flight"));
    sched.runAt(until, {TmDrainExpire, uint32_t(tgi), uint32_t(idx)});
    pending += !t.drained;
  }
  if (in)
    in->drainsPending += pending;
  if (pending == 0 && asgOwner != NoIndex) {
    std::vector<AsgCommand> more;
    groups[asgOwner].scaler->onDrained(sched.now(), instance, more);
    apply(asgOwner, more);
  }
}

void Fabric::targetsGone(uint32_t id) {
  // The load balancer sees the instance stopped: its targets become unused
  // (Target.InvalidState); a draining one goes on draining.
  for (TargetGroupRt &g : tgs) {
    int idx = g.state.find(id);
    if (idx < 0 || g.state.targets[idx].state == TargetState::Draining)
      continue;
    Target &t = g.state.targets[idx];
    trace.note(g.plan->name,
               instanceName(id) + ": " + stateName(t.state) + " -> unused (Target.InvalidState)");
    TargetState from = t.state;
    t.state = TargetState::Unused;
    t.reason = Reason::InvalidState;
    t.slowStartBegin = Never;
    traceTarget(g, t, from);
  }
}

} // namespace infrac::runtime

//===- FabricActions.cpp - What a scenario or an operator does, and metrics -===//
//
// The actions of the scenario language (kill, stop, recover, fail_health,
// slow, deregister, interrupt, scale, lose_zone, ...) on the instances,
// nodes and servers they name — the same for a scenario's timed events and
// for the live runtime's admin API — and the metrics expectations read.
//
//===----------------------------------------------------------------------===//

#include "Fabric/Fabric.h"

#include "Fabric/Clusters.h"

#include <cinttypes>

using llvm::StringRef;

namespace infrac::runtime {

std::vector<uint32_t> Fabric::resolveInstances(const TargetRef &r, bool spotOnly,
                                               bool acceptTerminated) {
  std::vector<uint32_t> out;
  if (r.kind == TargetRef::InstanceId) {
    const InstanceRt *in = instance(r.object);
    if (!in)
      trace.note("scenario", "there is no instance " + r.text);
    else if (in->terminated && !acceptTerminated)
      trace.note("scenario", r.text + " was terminated");
    else
      out.push_back(r.object);
    return out;
  }
  if (r.kind != TargetRef::AsgInstance && r.kind != TargetRef::AsgGroup)
    return out;
  const AsgRt &g = groups[r.object];
  const auto &all = g.scaler->instances();
  if (r.kind == TargetRef::AsgInstance) {
    // The n-th instance the group launched: a stable identity.
    if (size_t(r.index) >= all.size())
      trace.note("scenario", g.plan->name + " has launched no instance [" +
                                 std::to_string(r.index) + "] yet");
    else if (all[r.index].lifecycle == Lifecycle::Terminated && !acceptTerminated)
      trace.note("scenario",
                 r.text + " (" + instanceName(all[r.index].id) + ") was terminated");
    else
      out.push_back(all[r.index].id);
    return out;
  }
  for (const AsgInstance &i : all)
    if (i.lifecycle == Lifecycle::InService && (!spotOnly || i.spot))
      out.push_back(i.id);
  return out;
}

void Fabric::elsewhere(const ActionPlan &a, const TargetRef &r) {
  if (!clusters->act(a.kind, r))
    trace.note("scenario", "'" + r.path + "': '" + actionName(a.kind) + "' does nothing to a " +
                               r.refKind + " in a simulation");
}

void Fabric::actOnInstances(const ActionPlan &a) {
  Instant now = sched.now();
  // A whole group: its spot instances; a named instance: that one.
  bool wholeGroups = true;
  for (const TargetRef &r : a.targets)
    wholeGroups &= r.refIndex < 0;
  bool spotOnly = a.kind == ActionKind::Interrupt && wholeGroups;
  std::vector<uint32_t> ids;
  for (const TargetRef &r : a.targets) {
    if (r.kind == TargetRef::Store) {
      actOnStore(a, r.object);
      continue;
    }
    if (r.kind != TargetRef::AsgInstance && r.kind != TargetRef::AsgGroup &&
        r.kind != TargetRef::InstanceId) {
      elsewhere(a, r);
      continue;
    }
    std::vector<uint32_t> more = resolveInstances(r, spotOnly);
    ids.insert(ids.end(), more.begin(), more.end());
  }
  for (uint32_t id : ids) {
    InstanceRt *in = inst(id);
    switch (a.kind) {
    case ActionKind::Kill:
      crash(id, "killed");
      break;
    case ActionKind::Stop:
      beginStop(id);
      break;
    case ActionKind::Recover:
      if (!in)
        break;
      if (in->terminated) {
        trace.note("ec2", instanceName(id) + " cannot recover: it was terminated");
      } else if (!in->running) {
        in->running = true;
        in->appUp = true;
        in->runningSince = now;
        trace.note("ec2", instanceName(id) + " is running again");
        clusters->instanceUp(id);
      } else {
        appUp(id);
        clusters->instanceUp(id);
      }
      break;
    case ActionKind::FailHealth:
      if (in) {
        in->failHealth = true;
        trace.note("ec2", instanceName(id) + " now answers health checks with 500");
        host.knobsChanged(id);
      }
      break;
    case ActionKind::RestoreHealth:
      if (in) {
        in->failHealth = false;
        trace.note("ec2", instanceName(id) + " answers health checks with 200 again");
        host.knobsChanged(id);
      }
      break;
    case ActionKind::Slow:
      if (in) {
        in->slowBy = a.latency;
        trace.note("ec2", instanceName(id) +
                              (a.latency ? " slows down: +" + fmtDuration(a.latency) +
                                               " per request"
                                         : " runs at its normal speed again"));
        host.knobsChanged(id);
      }
      break;
    case ActionKind::Deregister:
      deregister(id, NoIndex);
      break;
    case ActionKind::Interrupt:
      if (!in || !in->running)
        break;
      trace.note("ec2", instanceName(id) +
                            ": EC2 Spot Instance Interruption Warning; it stops at " +
                            fmtTime(now + SpotNotice));
      sched.runAt(now + SpotNotice, {TmSpotStop, id, 0});
      if (in->asg != NoIndex) {
        std::vector<AsgCommand> more;
        groups[in->asg].scaler->onSpotNotice(now, id, more);
        apply(in->asg, more);
      }
      break;
    default:
      break;
    }
  }
}

void Fabric::act(const ActionPlan &a) {
  Instant now = sched.now();
  switch (a.kind) {
  case ActionKind::Scale: {
    AutoScaler &s = *groups[a.asg].scaler;
    std::vector<AsgCommand> more;
    s.setDesired(now, a.desired.value_or(s.desired()), "set by the scenario", more);
    apply(a.asg, more);
    return;
  }
  case ActionKind::Rate:
    return; // The load is the shell's.
  case ActionKind::LoseZone:
  case ActionKind::RestoreZone: {
    bool lose = a.kind == ActionKind::LoseZone;
    uint32_t z = a.zone;
    if (downZones[z] == lose)
      return;
    downZones[z] = lose;
    trace.note("ec2", "zone " + p.zones[z] + (lose ? " is down" : " is back"));
    // The groups stop launching there first, so replacements go elsewhere.
    for (size_t g = 0; g < groups.size(); ++g)
      for (size_t k = 0; k < groups[g].plan->zones.size(); ++k)
        if (groups[g].plan->zones[k] == z) {
          std::vector<AsgCommand> more;
          groups[g].scaler->setZoneAvailable(now, uint32_t(k), !lose, more);
          apply(uint32_t(g), more);
        }
    if (lose)
      clusters->zoneLost(z);
    if (lose)
      for (size_t i = 0; i < insts.size(); ++i)
        if (insts[i].zone == z && !insts[i].terminated) {
          if (insts[i].running)
            crash(insts[i].id, "lost with its zone");
          else if (insts[i].asg != NoIndex) // Still booting: it never comes up.
            instanceBooted(insts[i].id);
        }
    return;
  }
  default:
    actOnInstances(a);
    return;
  }
}

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

std::optional<double> Fabric::metric(const Operand &o, std::string &shown) const {
  auto give = [&](double v, std::string text) {
    shown = o.shown + " was " + text;
    return std::optional<double>(v);
  };
  const ObjectRef &obj = o.object;
  switch (o.metric) {
  case MetricId::Healthy:
  case MetricId::Unhealthy:
  case MetricId::Draining:
    if (obj.kind == ObjectRef::TargetGroup) {
      unsigned n = tgs[obj.index].state.count(o.metric == MetricId::Healthy ? TargetState::Healthy
                                              : o.metric == MetricId::Unhealthy
                                                  ? TargetState::Unhealthy
                                                  : TargetState::Draining);
      return give(n, std::to_string(n));
    }
    break;
  case MetricId::Capacity:
  case MetricId::Running:
  case MetricId::Desired:
    if (obj.kind == ObjectRef::Asg) {
      const AutoScaler &s = *groups[obj.index].scaler;
      int64_t n = o.metric == MetricId::Capacity ? s.inService() : s.desired();
      if (o.metric == MetricId::Running) {
        n = 0;
        for (const AsgInstance &i : s.instances())
          if (const InstanceRt *in = instance(i.id))
            n += in->running;
      }
      return give(double(n), std::to_string(n));
    }
    break;
  case MetricId::Requests:
  case MetricId::ErrorRate:
  case MetricId::LatencyP50:
  case MetricId::LatencyP90:
  case MetricId::LatencyP99:
    if (obj.kind == ObjectRef::LoadBalancer) {
      const LoadBalancerRt &b = lbs[obj.index];
      if (o.metric == MetricId::Requests)
        return give(double(b.requests), std::to_string(b.requests));
      if (o.metric == MetricId::ErrorRate) {
        double pct = b.requests ? 100.0 * double(b.errors5xx) / double(b.requests) : 0.0;
        char buf[96];
        snprintf(buf, sizeof buf, "%.2f%% (%" PRIu64 " of %" PRIu64 " responses were 5xx)", pct,
                 b.errors5xx, b.requests);
        return give(pct, buf);
      }
      Duration d = b.latency.percentile(o.percentile);
      return give(double(d),
                  fmtDuration(d) + " over " + std::to_string(b.latency.count()) + " responses");
    }
    break;
  case MetricId::SessionsLost:
  case MetricId::ReplicationBytes:
  case MetricId::LoadSkew:
  case MetricId::StoreUp:
    if (auto v = sessionMetric(o, shown))
      return v;
    break;
  default:
    break;
  }
  if (auto v = clusters->metric(o.metric, obj, shown)) {
    shown = o.shown + " was " + shown;
    return v;
  }
  shown = o.shown + " is not simulated";
  return std::nullopt;
}

} // namespace infrac::runtime

//===- FabricScaling.cpp - Instances, Auto Scaling and its metrics --------===//
//
// EC2's side of the Fabric (an instance launched, running, stopping, gone)
// and Amazon EC2 Auto Scaling's: carrying out a group's commands, waking it
// when it asks, and making CloudWatch-style datapoints for its policies.
//
//===----------------------------------------------------------------------===//

#include "Fabric/Fabric.h"

#include "Fabric/Clusters.h"

#include <algorithm>

using llvm::StringRef;

namespace infrac::runtime {

//===----------------------------------------------------------------------===//
// Instances
//===----------------------------------------------------------------------===//

void Fabric::launch(uint32_t a, const AsgCommand &c, std::vector<AsgCommand> &more) {
  AsgRt &g = groups[a];
  InstanceRt in;
  in.id = c.instance;
  in.asg = a;
  in.zone = g.plan->zones[c.zone];
  in.spot = c.spot;
  uint32_t slot = uint32_t(insts.size());
  if (in.id >= slotById.size())
    slotById.resize(size_t(in.id) + 1, NoIndex);
  slotById[in.id] = slot;
  insts.push_back(in);
  host.launch(slot, prewarming);
  if (prewarming) {
    InstanceRt &i = insts.back();
    i.running = true;
    i.runningSince = sched.now();
    g.scaler->onRunning(sched.now(), c.instance, more);
    clusters->instanceUp(c.instance);
  }
}

void Fabric::instanceBooted(uint32_t id) {
  InstanceRt *in = inst(id);
  if (!in || in->terminated || in->running)
    return;
  Instant now = sched.now();
  std::vector<AsgCommand> more;
  if (downZones[in->zone]) {
    trace.note("ec2", instanceName(id) + " could not start: zone " + p.zones[in->zone] +
                          " is down");
    if (in->asg != NoIndex) {
      groups[in->asg].scaler->onStopped(now, id, more);
      apply(in->asg, more);
    }
    return;
  }
  in->running = true;
  in->runningSince = now;
  trace.note("ec2", instanceName(id) + " is running");
  if (in->asg != NoIndex) {
    groups[in->asg].scaler->onRunning(now, id, more);
    apply(in->asg, more);
  }
  clusters->instanceUp(id);
}

void Fabric::crash(uint32_t id, StringRef why) {
  InstanceRt *in = inst(id);
  if (!in || !in->running)
    return;
  in->running = false;
  in->stopping = false;
  host.terminate(id, /*abrupt=*/true);
  trace.note("ec2", instanceName(id) + " " + why.str());
  // Requests in flight on it are cut: the load balancer answers 502.
  cut(id, NoIndex, 502, "the instance went away");
  targetsGone(id);
  clusters->instanceDown(id);
  if (in->asg != NoIndex) {
    std::vector<AsgCommand> more;
    groups[in->asg].scaler->onStopped(sched.now(), id, more);
    apply(in->asg, more);
  }
}

void Fabric::beginStop(uint32_t id) {
  InstanceRt *in = inst(id);
  if (!in || !in->running || in->stopping)
    return;
  in->stopping = true;
  trace.note("ec2", instanceName(id) + " stopping: " + std::to_string(host.inFlight(id)) +
                        " requests in flight finish first");
  targetsGone(id);
  host.stopWhenIdle(id);
}

void Fabric::instanceStopped(uint32_t id) {
  InstanceRt *in = inst(id);
  if (!in || !in->stopping)
    return;
  in->stopping = false;
  in->running = false;
  host.terminate(id, /*abrupt=*/false);
  trace.note("ec2", instanceName(id) + " stopped");
  clusters->instanceDown(id);
  if (in->asg != NoIndex) {
    std::vector<AsgCommand> more;
    groups[in->asg].scaler->onStopped(sched.now(), id, more);
    apply(in->asg, more);
  }
}

void Fabric::appDown(uint32_t id, StringRef why) {
  InstanceRt *in = inst(id);
  if (!in || !in->running || !in->appUp)
    return;
  in->appUp = false;
  trace.note("ec2", instanceName(id) + ": " + why.str());
  cut(id, NoIndex, 502, "the app's process died");
}

void Fabric::appUp(uint32_t id) {
  InstanceRt *in = inst(id);
  if (!in || !in->running || in->appUp)
    return;
  in->appUp = true;
  in->runningSince = sched.now(); // A new process: whatever it kept in memory is gone.
  trace.note("ec2", instanceName(id) + ": the app's process restarted");
}

//===----------------------------------------------------------------------===//
// Commands from the Auto Scaling groups
//===----------------------------------------------------------------------===//

void Fabric::scheduleAsgWake(uint32_t a) {
  Instant t = groups[a].scaler->nextWakeup();
  if (t == Never || t >= groups[a].wakeScheduled)
    return;
  groups[a].wakeScheduled = t;
  sched.runAt(std::max(t, sched.now()), {TmAsgWake, a, 0});
}

void Fabric::apply(uint32_t a, std::vector<AsgCommand> &cmds) {
  AsgRt &g = groups[a];
  // A command may make the group issue more (through the Fabric calling it
  // back); they are applied right after it, in order.
  for (size_t k = 0; k < cmds.size(); ++k) {
    AsgCommand c = cmds[k];
    std::vector<AsgCommand> more;
    switch (c.kind) {
    case AsgCommand::Activity:
      trace.note(g.plan->name, c.text);
      break;
    case AsgCommand::Launch:
      launch(a, c, more);
      break;
    case AsgCommand::Register:
      for (uint32_t tg : g.plan->targetGroups)
        registerTarget(tg, c.instance);
      break;
    case AsgCommand::Deregister:
      deregister(c.instance, a);
      break;
    case AsgCommand::Terminate: {
      InstanceRt *in = inst(c.instance);
      if (in && !in->terminated) {
        in->terminated = true;
        if (in->running) {
          in->running = false;
          in->stopping = false;
          cut(c.instance, NoIndex, 502, "the instance was terminated");
          targetsGone(c.instance);
          clusters->instanceDown(c.instance);
        }
        host.terminate(c.instance, /*abrupt=*/false);
      }
      g.scaler->onTerminated(sched.now(), c.instance, more);
      break;
    }
    }
    cmds.insert(cmds.begin() + k + 1, more.begin(), more.end());
  }
  cmds.clear();
  scheduleAsgWake(a);
  if (trace.tracing())
    traceAsg(g);
}

void Fabric::traceAsg(AsgRt &a) {
  const AutoScaler &s = *a.scaler;
  int64_t now[5] = {s.minSize(), s.maxSize(), s.desired(), s.capacity(), s.inService()};
  if (std::equal(now, now + 5, a.traced))
    return;
  std::copy(now, now + 5, a.traced);
  trace.group(a.plan->name, now);
}

//===----------------------------------------------------------------------===//
// Metrics for scaling policies
//===----------------------------------------------------------------------===//

void Fabric::onMetricTick() {
  Instant now = sched.now();
  if (now + MetricTick <= opts.end)
    sched.runAt(now + MetricTick, {TmMetricTick, 0, 0});
  // What each instance did during the tick, asked once per instance.
  std::vector<InstanceSample> samples;
  std::vector<bool> sampled;
  auto sampleOf = [&](uint32_t slot) -> const InstanceSample & {
    if (slot >= sampled.size()) {
      samples.resize(insts.size());
      sampled.resize(insts.size(), false);
    }
    if (!sampled[slot]) {
      samples[slot] = host.sample(insts[slot].id);
      sampled[slot] = true;
    }
    return samples[slot];
  };
  for (size_t a = 0; a < groups.size(); ++a) {
    AsgRt &g = groups[a];
    const AutoScaler &s = *g.scaler;
    std::vector<AsgCommand> more;
    for (size_t pi = 0; pi < g.policies.size(); ++pi) {
      AsgRt::PolicyState &pm = g.policies[pi];
      const PolicyPlan &pp = g.plan->policies[pi];
      const ScalingPolicyConfig &pc = s.config().policies[pi];
      if (pc.metric == Metric::RequestCountPerTarget) {
        if (pp.targetGroup != NoIndex) {
          pm.sum += double(tgs[pp.targetGroup].tickRequests);
          ++pm.samples;
        }
      } else {
        // Instances still warming up are left out of the aggregate.
        double sum = 0;
        unsigned counted = 0;
        for (const AsgInstance &i : s.instances()) {
          if (i.lifecycle != Lifecycle::InService || s.warming(now, i))
            continue;
          uint32_t slot = slotOf(i.id);
          if (slot == NoIndex || !insts[slot].running)
            continue;
          ++counted;
          const InstanceSample &x = sampleOf(slot);
          sum += pc.metric == Metric::CpuUtilization ? x.cpuPercent
                 : pc.metric == Metric::NetworkIn    ? x.bytesIn
                                                     : x.bytesOut;
        }
        if (counted) {
          pm.sum += sum / counted;
          ++pm.samples;
        }
      }
      if (++pm.seen < pp.ticks)
        continue;
      // A datapoint: CPU is the period's average, request counts and bytes
      // its sum (requests per healthy target).
      std::optional<double> value;
      if (pc.metric == Metric::RequestCountPerTarget) {
        unsigned healthy =
            pp.targetGroup != NoIndex ? tgs[pp.targetGroup].state.count(TargetState::Healthy) : 0;
        if (healthy && pm.samples)
          value = pm.sum / healthy;
      } else if (pm.samples) {
        value = pc.metric == Metric::CpuUtilization ? pm.sum / pm.samples : pm.sum;
      }
      pm.seen = pm.samples = 0;
      pm.sum = 0;
      if (!value)
        continue; // INSUFFICIENT_DATA: no scaling.
      if (trace.tracing())
        trace.metric(g.plan->name, pc.name, *value);
      g.scaler->onDatapoint(now, pi, *value, more);
    }
    apply(uint32_t(a), more);
  }
  for (TargetGroupRt &tg : tgs)
    tg.tickRequests = 0;
  // Every instance's counters start again, sampled or not.
  for (uint32_t slot = 0; slot < insts.size(); ++slot)
    if (slot >= sampled.size() || !sampled[slot])
      host.sample(insts[slot].id);
}

} // namespace infrac::runtime

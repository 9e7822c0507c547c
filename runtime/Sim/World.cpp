//===- World.cpp - The simulated shell: setting up, the loop, the host ----===//

#include "Sim/World.h"

namespace infrac::runtime {
namespace sim {

World::World(const Plan &p, const SimOptions &o)
    : plan(p), scenario(*p.scenario), opts(o), trace(sched, o.timeline, o.trace) {}

World::~World() = default;

//===----------------------------------------------------------------------===//
// The host of the Fabric: simulated EC2
//===----------------------------------------------------------------------===//

void World::launch(uint32_t slot, bool prewarmed) {
  const InstanceRt &fi = fabric->instances()[slot];
  const AsgPlan &g = plan.asgs[fi.asg];
  Instance in;
  in.id = fi.id;
  in.vcpus = g.vcpus;
  in.appLatency = g.app.latency;
  in.svc.extra = in.appLatency;
  in.svc.errorRate = g.app.errorRate;
  in.sessions = g.app.sessions;
  in.store = g.app.store;
  assert(slot == instances.size() && "instances are launched in slot order");
  instances.push_back(in);
  if (!prewarmed)
    sched.runAt(sched.now() + Ec2BootTime, {EvBoot, fi.id, 0});
}

unsigned World::cutRequests(uint32_t instance, uint32_t tg, int status) {
  unsigned n = 0;
  for (uint32_t s = 0; s < slots.size(); ++s)
    if (slots[s].live && slots[s].instance == instance && (tg == NoIndex || slots[s].tg == tg)) {
      complete(s, status);
      ++n;
    }
  return n;
}

void World::probe(uint32_t tgi, uint32_t idx, uint32_t instance) {
  Instant now = sched.now();
  const HealthChecker &checker = fabric->targetGroups()[tgi].checker;
  uint32_t slot = fabric->slotOf(instance);
  const InstanceRt *fi = slot == NoIndex ? nullptr : &fabric->instances()[slot];
  ProbeResult r;
  Instant at = now + millis(1);
  if (!fi || !fi->running || fi->stopping) {
    r.kind = ProbeResult::Timeout; // Nothing answers at that address.
    at = checker.probeDeadline(now);
  } else if (!fi->appUp) {
    r.kind = ProbeResult::ConnectFailed; // The host refuses the connection.
  } else {
    Instance &in = instances[slot];
    in.svc.extra = in.appLatency + fi->slowBy;
    Duration rt = in.svc.sample(rng);
    if (rt >= checker.config().timeout) {
      r.kind = ProbeResult::Timeout;
      at = checker.probeDeadline(now);
    } else {
      r.status = fi->failHealth ? 500 : 200;
      at = now + rt;
    }
  }
  uint64_t arg = uint64_t(idx) | uint64_t(r.kind) << 32 | uint64_t(r.status) << 40;
  sched.runAt(at, {EvProbeResult, tgi, arg});
}

void World::onProbeResult(uint32_t tgi, uint64_t arg) {
  ProbeResult r;
  r.kind = ProbeResult::Kind((arg >> 32) & 0xff);
  r.status = int(arg >> 40);
  fabric->probeResult(tgi, uint32_t(arg), r);
}

void World::stopWhenIdle(uint32_t instance) {
  uint32_t slot = fabric->slotOf(instance);
  if (slot != NoIndex && instances[slot].inflight == 0)
    fabric->instanceStopped(instance);
}

unsigned World::inFlight(uint32_t instance) {
  uint32_t slot = fabric->slotOf(instance);
  return slot == NoIndex ? 0 : instances[slot].inflight;
}

InstanceSample World::sample(uint32_t instance) {
  InstanceSample s;
  uint32_t slot = fabric->slotOf(instance);
  if (slot == NoIndex)
    return s;
  Instance &in = instances[slot];
  s.cpuPercent =
      std::min(100.0, 2.0 + 100.0 * double(in.busy) / (double(MetricTick) * double(in.vcpus)));
  s.bytesIn = double(in.bytesIn);
  s.bytesOut = double(in.bytesOut);
  in.busy = 0;
  in.bytesIn = in.bytesOut = 0;
  return s;
}

//===----------------------------------------------------------------------===//
// The loop
//===----------------------------------------------------------------------===//

void World::dispatch(const Timer &t) {
  switch (t.kind) {
  case EvArrival:
    onArrival(t.id);
    return; // Requests change only cumulative figures: judged at samples.
  case EvComplete:
    if (slots[t.id].live && slots[t.id].gen == uint32_t(t.arg))
      complete(t.id, slots[t.id].status);
    return;
  case EvProbeResult: onProbeResult(t.id, t.arg); break;
  case EvBoot: fabric->instanceBooted(t.id); break;
  case EvScenario: onScenario(scenario.events[t.id]); break;
  case EvSample: onSample(); break;
  default: fabric->onTimer(t); break;
  }
  // Health transitions, scaling activities and scenario events can change
  // what an expectation sees: judge the timed ones at once.
  if (trace.takeChanged())
    judge->check(sched.now(), false);
}

void World::onSample() {
  Instant now = sched.now();
  if (now + SampleEvery <= end)
    sched.runAt(now + SampleEvery, {EvSample, 0, 0});
  if (now > 0 && now % LoadPeriod == 0)
    fabric->sampleLoad();
  judge->check(sched.now(), false);
  if (opts.series)
    traceSeries();
  if (opts.statsEvery > 0 && now > 0 && now % opts.statsEvery == 0) {
    for (const LoadBalancerRt &b : fabric->loadBalancers()) {
      if (!b.requests)
        continue;
      trace.note(b.plan->name, std::to_string(b.requests) + " requests, " +
                                   std::to_string(b.errors5xx) + " 5xx so far, p99 " +
                                   fmtDuration(b.latency.percentile(99)));
    }
    for (const TargetGroupRt &g : fabric->targetGroups()) {
      bool served = false;
      for (const Target &t : g.state.targets)
        served |= t.served > 0;
      if (!served)
        continue; // Only the groups that carry traffic.
      std::string s;
      for (const Target &t : g.state.targets)
        if (t.state != TargetState::Unused)
          s += " " + Fabric::instanceName(t.instance) + "=" + stateName(t.state);
      trace.note(g.plan->name, "targets:" + (s.empty() ? std::string(" none") : s));
    }
    trace.takeChanged(); // The summary changes nothing an expectation sees.
  }
}

SimResult World::run() {
  assert((!opts.series || opts.trace) && "the series records go to the trace");
  SimResult res;
  rng.reseed(scenario.seed);
  res.seed = scenario.seed;
  end = scenario.end;
  FabricOptions fo;
  fo.prewarm = true;
  fo.end = end;
  fabric = std::make_unique<Fabric>(plan, sched, *this, trace, rng, fo);
  for (const LoadPlan &lp : scenario.loads) {
    Load ld(lp);
    ld.clients.resize(lp.traffic.clients);
    for (Client &c : ld.clients) {
      c.cookies.sticky.resize(plan.stickyGroups);
      c.cookies.groups.resize(plan.weightedActions);
    }
    const LoadBalancerRt &lb = fabric->loadBalancers()[lp.loadBalancer];
    if (!lb.routers.empty() && !lb.plan->listeners[lp.listener].sourceIpRules)
      for (const std::string &path : lp.paths) {
        Request req;
        req.method = lp.method;
        req.host = lp.host;
        req.path = path;
        req.query = lp.query;
        req.headers = lp.headers;
        ld.routeOfPath.push_back(lb.routers[lp.listener].match(req));
      }
    loads.push_back(std::move(ld));
  }
  if (opts.series)
    windows.resize(plan.loadBalancers.size());
  judge = std::make_unique<Judge>(scenario, *fabric, [this](const Operand &o, std::string &shown) {
    return clientMetric(o, shown);
  });

  trace.begin(scenario.name, scenario.seed, end);
  fabric->deploy();
  for (size_t i = 0; i < scenario.events.size(); ++i)
    sched.runAt(scenario.events[i].at, {EvScenario, uint32_t(i), 0});
  for (size_t li = 0; li < loads.size(); ++li) {
    Instant first = loads[li].traffic.nextArrival(0, rng);
    if (first != Never && first < end)
      sched.runAt(first, {EvArrival, uint32_t(li), 0});
  }
  fabric->beginMetrics();
  sched.runAt(0, {EvSample, 0, 0});
  trace.takeChanged();
  Timer t;
  while (sched.pop(end, t))
    dispatch(t);
  judge->check(end, true);
  trace.finish(end);
  res.verdicts = judge->verdicts(trace);
  if (opts.series)
    traceDecided(res.verdicts);
  for (uint32_t a = 0; a < plan.asgs.size(); ++a) {
    const AppPlan &app = plan.asgs[a].app;
    if (app.sessions == SessionStrategy::None)
      continue;
    SessionRow row;
    row.group = plan.asgs[a].name;
    row.strategy = strategyName(app.sessions);
    if (app.store != NoIndex) {
      const StorePlan &s = plan.stores[app.store];
      row.strategy += s.replicated ? (s.backupOnly ? " backup" : " all_to_all") : " " + s.name;
    }
    row.instances = fabric->asgs()[a].scaler->inService();
    const AsgSessions &g = fabric->sessionsOfGroups()[a];
    row.responses = g.latency.count();
    row.sessionsLost = g.sessionsLost;
    row.replicationBytes = g.replicationBytes;
    row.replicationMessages = g.replicationMessages;
    row.loadSkew = fabric->loadSkew(a);
    row.p99 = g.latency.percentile(99);
    res.sessions.push_back(std::move(row));
  }
  res.events = sched.deliveredCount();
  res.requests = requests;
  res.end = end;
  return res;
}

} // namespace sim

SimResult simulate(const Plan &plan, const SimOptions &opts) {
  assert(plan.scenario && "simulating a plan without a scenario");
  sim::World w(plan, opts);
  return w.run();
}

} // namespace infrac::runtime

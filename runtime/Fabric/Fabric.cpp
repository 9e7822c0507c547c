//===- Fabric.cpp - The control plane: building it, its timers, routing ---===//

#include "Fabric/Fabric.h"

#include "Fabric/Clusters.h"

#include <algorithm>
#include <cmath>

using llvm::StringRef;

namespace infrac::runtime {

Host::~Host() = default;

//===----------------------------------------------------------------------===//
// LatencyHistogram
//===----------------------------------------------------------------------===//

uint64_t LatencyHistogram::upper(size_t b) {
  if (b < 32)
    return b;
  unsigned msb = unsigned(b / 32) + 4;
  uint64_t sub = b % 32;
  return ((32 + sub + 1) << (msb - 5)) - 1;
}

Duration LatencyHistogram::percentile(double pct) const {
  if (!total)
    return 0;
  uint64_t want = uint64_t(std::ceil(double(total) * pct / 100.0));
  want = std::max<uint64_t>(want, 1);
  uint64_t seen = 0;
  for (size_t b = 0; b < counts.size(); ++b)
    if ((seen += counts[b]) >= want)
      return Duration(upper(b));
  return Duration(upper(counts.size() - 1));
}

//===----------------------------------------------------------------------===//
// Building and starting
//===----------------------------------------------------------------------===//

Fabric::Fabric(const Plan &plan, Scheduler &sched, Host &host, Trace &trace, Rng &rng,
               FabricOptions opts)
    : sched(sched), trace(trace), p(plan), host(host), rng(rng), opts(opts) {
  for (const TargetGroupPlan &g : p.targetGroups) {
    TargetGroupRt t;
    t.plan = &g;
    t.checker = HealthChecker(g.health);
    t.drainer = Drainer(g.deregistrationDelay);
    t.selector = TargetSelector(g.selector);
    tgs.push_back(std::move(t));
  }
  for (const LoadBalancerPlan &b : p.loadBalancers) {
    LoadBalancerRt lb;
    lb.plan = &b;
    for (const ListenerPlan &l : b.listeners)
      lb.routers.emplace_back(l.rules, l.defaultAction);
    lbs.push_back(std::move(lb));
  }
  for (const AsgPlan &a : p.asgs) {
    AsgRt g;
    g.plan = &a;
    g.scaler = std::make_unique<AutoScaler>(a.config, rng.fork());
    g.scaler->setIds(&ids);
    g.policies.resize(a.policies.size());
    groups.push_back(std::move(g));
  }
  downZones.assign(p.zones.size(), false);
  storeRts.resize(p.stores.size());
  for (size_t s = 0; s < p.stores.size(); ++s)
    storeRts[s].nodesUp = p.stores[s].nodes;
  asgSessions.resize(p.asgs.size());
  clusters = std::make_unique<Clusters>(*this);
}

Fabric::~Fabric() = default;

void Fabric::deploy() {
  // The stack is deployed before the run starts: clusters and ensembles are
  // up, and (prewarmed) the initial capacity is in service and healthy.
  clusters->start();
  prewarming = opts.prewarm;
  for (size_t a = 0; a < groups.size(); ++a) {
    std::vector<AsgCommand> cmds;
    groups[a].scaler->start(sched.now(), cmds);
    apply(uint32_t(a), cmds);
  }
  prewarming = false;
}

void Fabric::beginMetrics() {
  bool policies = false;
  for (const AsgRt &a : groups)
    policies |= !a.policies.empty();
  if (policies)
    sched.runAt(sched.now() + MetricTick, {TmMetricTick, 0, 0});
}

void Fabric::onTimer(const Timer &t) {
  switch (t.kind) {
  case TmProbe: sendProbe(t.id, uint32_t(t.arg)); return;
  case TmDrainExpire: onDrainExpire(t.id, uint32_t(t.arg)); return;
  case TmAsgWake: {
    groups[t.id].wakeScheduled = Never;
    std::vector<AsgCommand> more;
    groups[t.id].scaler->onWake(sched.now(), more);
    apply(t.id, more);
    return;
  }
  case TmMetricTick: onMetricTick(); return;
  case TmSpotStop:
    if (InstanceRt *in = inst(t.id); in && in->running && !in->terminated)
      crash(t.id, "interrupted: spot capacity reclaimed");
    return;
  case TmCluster:
  case TmCoord: clusters->onWake(t); return;
  }
  assert(false && "not a timer of the Fabric's");
}

//===----------------------------------------------------------------------===//
// Requests
//===----------------------------------------------------------------------===//

Route Fabric::route(uint32_t lbi, uint32_t listener, const Request &req, ClientCookies &cookies,
                    uint64_t flowHash, int rule) {
  Route r;
  const ListenerRouter &router = lbs[lbi].routers[listener];
  r.rule = rule == -2 ? router.match(req) : rule;
  r.action = &router.action(r.rule);
  if (r.action->kind != Action::Forward)
    return r;
  const Action &act = *r.action;
  Instant now = sched.now();
  r.groupCookie = act.groups.size() > 1 ? &cookies.groups[act.id] : nullptr;
  size_t gi = ListenerRouter::chooseGroup(now, act, r.groupCookie, rng);
  r.tg = act.groups[gi].group;
  TargetGroupRt &g = tgs[r.tg];
  StickyCookie *cookie = g.plan->sticky ? &cookies.sticky[g.plan->stickySlot] : nullptr;
  r.selection = g.selector.select(now, g.state, cookie, rng, flowHash);
  if (r.selection.index < 0)
    return r;
  Target &t = g.state.targets[r.selection.index];
  r.target = r.selection.index;
  r.instance = t.instance;
  ++t.outstanding;
  ++t.served;
  ++g.tickRequests;
  return r;
}

bool Fabric::drainingRequestDone(uint32_t tgi, Target &t) {
  TargetGroupRt &g = tgs[tgi];
  if (!g.drainer.onRequestDone(sched.now(), t))
    return false;
  trace.note(g.plan->name, instanceName(t.instance) +
                               ": deregistration complete (nothing in flight); shown draining "
                               "until " +
                               fmtTime(t.drainUntil));
  return true;
}

} // namespace infrac::runtime

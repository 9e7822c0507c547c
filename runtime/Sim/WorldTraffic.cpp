//===- WorldTraffic.cpp - The simulated data plane ------------------------===//
//
// Each arrival is routed by the Fabric (the listener's rules, the target
// group, the target), and the response comes back after the instance's
// service time, or the load balancer's own error: 502, 503, 504.
//
//===----------------------------------------------------------------------===//

#include "Sim/World.h"

#include <cmath>

using llvm::StringRef;

namespace infrac::runtime::sim {

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

void World::onArrival(uint32_t li) {
  Load &ld = loads[li];
  const LoadPlan &lp = *ld.plan;
  Instant now = sched.now();
  Instant next = ld.traffic.nextArrival(now, rng);
  if (next != Never && next < end)
    sched.runAt(next, {EvArrival, li, 0});
  ++requests;
  uint32_t ci = ld.traffic.pickClient(rng);
  Client &client = ld.clients[ci];
  const LoadBalancerRt &lb = fabric->loadBalancers()[lp.loadBalancer];
  const std::string &lbName = lb.plan->name;

  uint32_t slot;
  if (!freeSlots.empty()) {
    slot = freeSlots.back();
    freeSlots.pop_back();
  } else {
    slot = uint32_t(slots.size());
    slots.emplace_back();
  }
  InFlight &f = slots[slot];
  f.live = true;
  ++f.gen;
  f.lb = lp.loadBalancer;
  f.client = ci;
  f.load = li;
  f.start = now;
  f.instance = ~0u;
  f.tg = ~0u;
  f.busy = false;
  auto answer = [&](int status, const char *why) {
    f.status = status;
    sched.runAt(now + LbOverhead, {EvComplete, slot, f.gen});
    if (trace.tracing()) {
      std::string s = "\"ev\":\"request\",\"lb\":\"" + lbName + "\",\"client\":" +
                      std::to_string(lp.firstClient + ci) + ",\"answer\":" +
                      std::to_string(status) + ",\"why\":\"" + why + "\"";
      if (f.instance != ~0u)
        s += ",\"tg\":\"" + plan.targetGroups[f.tg].name + "\",\"target\":\"" +
             Fabric::instanceName(f.instance) + "\"";
      trace.record(s);
    }
  };
  if (lb.routers.empty())
    return answer(503, "no listener");

  size_t pi = lp.paths.size() > 1 ? size_t(rng.below(lp.paths.size())) : 0;
  uint32_t sourceIp = lp.baseIp + ci;
  Request req;
  req.method = lp.method;
  req.host = lp.host;
  req.path = lp.paths[pi];
  req.query = lp.query;
  req.headers = lp.headers;
  req.sourceIp = sourceIp;
  Route r = fabric->route(lp.loadBalancer, lp.listener, req, client.cookies, mix(sourceIp),
                          ld.routeOfPath.empty() ? -2 : ld.routeOfPath[pi]);
  const Action &act = *r.action;
  if (act.kind != Action::Forward)
    return answer(act.status, act.kind == Action::Redirect ? "redirect" : "fixed response");
  f.tg = r.tg;
  if (r.target < 0)
    return answer(503, "no target can take it");

  f.target = uint32_t(r.target);
  f.instance = r.instance;
  client.lastInstance = r.instance;
  uint32_t islot = fabric->slotOf(r.instance);
  const InstanceRt *fi = islot == NoIndex ? nullptr : &fabric->instances()[islot];
  if (!fi || !fi->running || fi->stopping || !fi->appUp)
    return answer(502, "connection refused"); // RST on connect.

  Instance &in = instances[islot];
  f.slot = islot;
  f.busy = true;
  ++in.inflight;
  Duration sessionCost = 0;
  bool sessionOk = in.sessions == SessionStrategy::None ||
                   sessionCheck(client, r.tg, lp.loadBalancer, islot, sessionCost);
  // CPU demand, averaged over about a second, stretches the app's own work
  // as a queue does (waiting time, the `extra`, uses no CPU).
  double cpuSeconds = double(in.svc.cpuPerRequest) / 1e6;
  double x = double(now - in.cpuAt) / 1e6;
  // exp(-x); the series is exact to 1e-9 for the small steps of busy instances.
  double decay = x < 0.01 ? 1 - x * (1 - x * (0.5 - x / 6)) : std::exp(-x);
  in.cpuRate = in.cpuRate * decay + cpuSeconds;
  in.cpuAt = now;
  in.svc.extra = in.appLatency + fi->slowBy + sessionCost;
  Duration svc = in.svc.sample(rng, ServiceModel::loadFactor(in.cpuRate / in.vcpus));
  in.busy += in.svc.cpuPerRequest;
  in.bytesIn += 512;
  in.bytesOut += 2048;
  f.status = !sessionOk || (in.svc.errorRate > 0 && rng.uniform() < in.svc.errorRate) ? 500 : 200;
  Duration total = LbOverhead + svc;
  if (!lb.plan->network && total > lb.plan->idleTimeout) {
    // No answer within the idle timeout: the load balancer gives up (504).
    f.status = 504;
    total = lb.plan->idleTimeout;
  }
  sched.runAt(now + total, {EvComplete, slot, f.gen});
  if (trace.tracing()) {
    const TargetGroupRt &g = fabric->targetGroups()[r.tg];
    const ListenerRouter &router = lb.routers[lp.listener];
    std::string s = "\"ev\":\"request\",\"lb\":\"" + lbName + "\",\"client\":" +
                    std::to_string(lp.firstClient + ci) + ",\"path\":\"" +
                    jsonEscape(lp.paths[pi]) + "\",\"rule\":\"" +
                    (r.rule < 0 ? std::string("default") : router.getRules()[r.rule].name) +
                    "\",\"tg\":\"" + g.plan->name + "\",\"target\":\"" +
                    Fabric::instanceName(r.instance) + "\"";
    if (g.plan->sticky) // The cookie the load balancer set or honoured.
      s += g.selector.config().stickiness == SelectorConfig::AppCookie
               ? ",\"cookie\":\"AWSALBAPP-0\""
               : ",\"cookie\":\"AWSALB\"";
    if (r.groupCookie && act.groupStickiness > 0)
      s += ",\"group_cookie\":\"AWSALBTG\"";
    if (r.selection.stuck)
      s += ",\"sticky\":true";
    if (r.selection.repicked)
      s += ",\"repicked\":true";
    if (r.selection.failOpen)
      s += ",\"fail_open\":true";
    trace.record(s);
  }
}

bool World::sessionCheck(Client &c, uint32_t tg, uint32_t lb, uint32_t islot, Duration &extra) {
  Instant now = sched.now();
  const Instance &in = instances[islot];
  const StorePlan *store = in.store != NoIndex ? &plan.stores[in.store] : nullptr;
  SessionPolicy policy;
  policy.strategy = in.sessions;
  policy.replicas = store && store->members != NoIndex;
  policy.backupOnly = store && store->backupOnly;
  policy.ttl = store ? store->ttl : seconds(1800);
  // What the deciding asks of the world, answered from the Fabric.
  struct Ask {
    World &w;
    const StorePlan *store;
    uint32_t storeIndex;
    bool holds(uint32_t id, Instant since) const {
      const InstanceRt *o = id ? w.fabric->instance(id) : nullptr;
      return o && o->running && o->appUp && o->runningSince <= since;
    }
    const std::vector<AsgInstance> &members() const {
      return w.fabric->asgs()[store->members].scaler->instances();
    }
    bool anyReplicaHolds(Instant since) const {
      for (const AsgInstance &i : members())
        if (holds(i.id, since))
          return true;
      return false;
    }
    // The first other running member holds the copy.
    uint32_t backupFor(uint32_t home) const {
      for (const AsgInstance &i : members())
        if (i.id != home)
          if (const InstanceRt *o = w.fabric->instance(i.id); o && o->running)
            return i.id;
      return 0;
    }
    bool storeHolds(Instant since) const {
      return !store || since >= w.fabric->stores()[storeIndex].emptiedAt;
    }
  };
  SessionHome *home = nullptr;
  for (SessionHome &h : c.sessions)
    if (h.tg == tg)
      home = &h;
  SessionHome fresh;
  fresh.tg = tg;
  uint32_t asg = fabric->instances()[islot].asg;
  uint32_t movedFrom = home ? home->instance : 0;
  Ask ask{*this, store, in.store};
  if (serveSession(now, in.id, policy, home, fresh, ask))
    fabric->sessionLost(lb, in.store, asg);
  if (!home)
    c.sessions.push_back(fresh);
  if (in.sessions == SessionStrategy::External) {
    extra = StoreRoundTrips;
    return !store || fabric->stores()[in.store].up;
  }
  if (in.sessions != SessionStrategy::Replicated || !policy.replicas)
    return true;
  // The change goes to every other running member (all-to-all) or to the
  // backup, plus, when the session moved here, a proxy to the rest.
  llvm::SmallVector<uint32_t, 8> peers;
  for (const AsgInstance &i : ask.members())
    if (const InstanceRt *o = fabric->instance(i.id); i.id != in.id && o && o->running)
      peers.push_back(fabric->slotOf(i.id));
  if (peers.empty())
    return true;
  uint64_t copies = policy.backupOnly ? 1 : peers.size();
  uint64_t proxies = policy.backupOnly && movedFrom != in.id ? peers.size() - 1 : 0;
  uint64_t bytes = copies * SessionChangeBytes + proxies * ProxyMessageBytes;
  fabric->replicated(store->members, copies + proxies, bytes);
  extra = ReplicationRoundTrip + Duration(double(bytes) / ReplicationBandwidth);
  // The receivers' CPU: every peer, or the backup alone.
  double cpuSeconds = double(ReplicationCpu) / 1e6;
  auto applyAt = [&](uint32_t slot) {
    if (slot == NoIndex)
      return;
    instances[slot].busy += ReplicationCpu;
    instances[slot].cpuRate += cpuSeconds;
  };
  if (policy.backupOnly)
    applyAt(fabric->slotOf(home ? home->backup : fresh.backup));
  else
    for (uint32_t s : peers)
      applyAt(s);
  return true;
}

void World::complete(uint32_t slot, int status) {
  InFlight &f = slots[slot];
  if (!f.live)
    return;
  f.live = false;
  freeSlots.push_back(slot);
  Instant now = sched.now();
  Duration lat = now - f.start;
  fabric->recordResponse(f.lb, status, lat);
  if (!windows.empty()) {
    ResponseWindow &w = windows[f.lb];
    ++w.responses;
    w.errors4xx += status >= 400 && status < 500;
    w.errors5xx += status >= 500;
    w.latency.add(lat);
  }
  if (trace.tracing()) {
    std::string s = "\"ev\":\"response\",\"lb\":\"" + plan.loadBalancers[f.lb].name +
                    "\",\"client\":" + std::to_string(loads[f.load].plan->firstClient + f.client) +
                    ",\"status\":" + std::to_string(status) +
                    ",\"latency_us\":" + std::to_string(lat);
    if (f.instance != ~0u)
      s += ",\"target\":\"" + Fabric::instanceName(f.instance) + "\"";
    trace.record(s);
  }
  if (f.instance == ~0u)
    return;
  if (const InstanceRt *in = fabric->instance(f.instance); in && in->asg != NoIndex)
    fabric->recordGroupResponse(in->asg, lat);
  uint32_t id = f.instance, islot = f.slot;
  bool busy = f.busy;
  bool deregistered = fabric->requestDone(f.tg, f.target);
  if (busy) {
    --instances[islot].inflight;
    if (fabric->instances()[islot].stopping && instances[islot].inflight == 0)
      fabric->instanceStopped(id);
  }
  if (deregistered)
    fabric->drainCompleted(id);
}

} // namespace infrac::runtime::sim

//===- WorldTraffic.cpp - Requests, health checks, draining, scaling ------===//
//
// The data plane of the simulated world: each arrival is routed by the
// listener's rules, a target group and a target are chosen by the
// controllers, and the response comes back after the instance's service time
// (or the load balancer's own error: 502, 503, 504). Health probes, draining
// timers and metric datapoints drive the other controllers.
//
//===----------------------------------------------------------------------===//

#include "Sim/World.h"

#include "Sim/Clusters.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>

using llvm::StringRef;

namespace infrac::runtime::sim {

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

//===----------------------------------------------------------------------===//
// Requests
//===----------------------------------------------------------------------===//

void World::onArrival(uint32_t li) {
  Load &ld = loads[li];
  Instant now = sched.now();
  Instant next = ld.traffic.nextArrival(now, rng);
  if (next != Never && next < end)
    sched.schedule(next, {EvArrival, li, 0});
  ++requests;
  uint32_t ci = ld.traffic.pickClient(rng);
  Client &client = ld.clients[ci];
  LoadBalancer &lb = lbs[ld.lb];

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
  f.lb = uint32_t(ld.lb);
  f.client = ci;
  f.load = li;
  f.start = now;
  f.instance = ~0u;
  f.tg = ~0u;
  f.busy = false;
  auto answer = [&](int status, const char *why) {
    f.status = status;
    sched.schedule(now + LbOverhead, {EvComplete, slot, f.gen});
    if (opts.trace) {
      std::string s = "\"ev\":\"request\",\"lb\":\"" + lb.name + "\",\"client\":" +
                      std::to_string(ld.firstClient + ci) + ",\"answer\":" +
                      std::to_string(status) + ",\"why\":\"" + why + "\"";
      if (f.instance != ~0u)
        s += ",\"tg\":\"" + tgs[f.tg].name + "\",\"target\":\"" + name(f.instance) + "\"";
      trace(s);
    }
  };
  if (lb.listeners.empty())
    return answer(503, "no listener");

  Listener &lis = lb.listeners[ld.listener];
  size_t pi = ld.paths.size() > 1 ? size_t(rng.below(ld.paths.size())) : 0;
  uint32_t sourceIp = ld.baseIp + ci;
  int rule;
  if (!ld.routeOfPath.empty()) {
    rule = ld.routeOfPath[pi];
  } else {
    Request req;
    req.method = ld.method;
    req.host = ld.host;
    req.path = ld.paths[pi];
    req.query = ld.query;
    req.headers = ld.headers;
    req.sourceIp = sourceIp;
    rule = lis.router.match(req);
  }
  const Action &act = lis.router.action(rule);
  if (act.kind != Action::Forward)
    return answer(act.status, act.kind == Action::Redirect ? "redirect" : "fixed response");

  GroupCookie *gc = act.groups.size() > 1 ? &client.groupCookies[act.id] : nullptr;
  size_t gi = ListenerRouter::chooseGroup(now, act, gc, rng);
  uint32_t tgi = act.groups[gi].group;
  TargetGroup &g = tgs[tgi];
  StickyCookie *cookie = g.sticky ? &client.cookies[g.stickyIndex] : nullptr;
  Selection sel = g.selector.select(now, g.state, cookie, rng, mix(sourceIp));
  f.tg = tgi;
  if (sel.index < 0)
    return answer(503, "no target can take it");

  Target &t = g.state.targets[sel.index];
  f.target = uint32_t(sel.index);
  f.instance = t.instance;
  ++t.outstanding;
  ++t.served;
  ++g.tickRequests;
  client.lastInstance = t.instance;
  Instance *in = inst(t.instance);
  if (!in || !in->running || in->stopping || !in->appUp)
    return answer(502, "connection refused"); // RST on connect.

  f.busy = true;
  ++in->inflight;
  if (in->sessions != Sessions::None)
    sessionCheck(client, tgi, *in, lb);
  // CPU demand, averaged over about a second, stretches the app's own work
  // as a queue does (waiting time, the `extra`, uses no CPU).
  double cpuSeconds = double(in->svc.cpuPerRequest) / 1e6;
  double x = double(now - in->cpuAt) / 1e6;
  // exp(-x); the series is exact to 1e-9 for the small steps of busy instances.
  double decay = x < 0.01 ? 1 - x * (1 - x * (0.5 - x / 6)) : std::exp(-x);
  in->cpuRate = in->cpuRate * decay + cpuSeconds;
  in->cpuAt = now;
  Duration svc = in->svc.sample(rng, ServiceModel::loadFactor(in->cpuRate / in->vcpus));
  in->busy += in->svc.cpuPerRequest;
  in->bytesIn += 512;
  in->bytesOut += 2048;
  f.status = in->svc.errorRate > 0 && rng.uniform() < in->svc.errorRate ? 500 : 200;
  Duration total = LbOverhead + svc;
  if (!lb.network && total > lb.idleTimeout) {
    // No answer within the idle timeout: the load balancer gives up (504).
    f.status = 504;
    total = lb.idleTimeout;
  }
  sched.schedule(now + total, {EvComplete, slot, f.gen});
  if (opts.trace) {
    std::string s = "\"ev\":\"request\",\"lb\":\"" + lb.name + "\",\"client\":" +
                    std::to_string(ld.firstClient + ci) + ",\"path\":\"" +
                    jsonEscape(ld.paths[pi]) + "\",\"rule\":\"" +
                    (rule < 0 ? std::string("default") : lis.router.getRules()[rule].name) +
                    "\",\"tg\":\"" + g.name + "\",\"target\":\"" + name(t.instance) + "\"";
    if (g.sticky) // The cookie the load balancer set or honoured.
      s += g.selector.config().stickiness == SelectorConfig::AppCookie
               ? ",\"cookie\":\"AWSALBAPP-0\""
               : ",\"cookie\":\"AWSALB\"";
    if (gc && act.groupStickiness > 0)
      s += ",\"group_cookie\":\"AWSALBTG\"";
    if (sel.stuck)
      s += ",\"sticky\":true";
    if (sel.repicked)
      s += ",\"repicked\":true";
    if (sel.failOpen)
      s += ",\"fail_open\":true";
    trace(s);
  }
}

void World::sessionCheck(Client &c, uint32_t tg, Instance &in, LoadBalancer &lb) {
  Instant now = sched.now();
  SessionStore *store = in.store >= 0 ? &stores[in.store] : nullptr;
  Duration ttl = store ? store->ttl : DefaultSessionTtl;
  SessionHome *e = nullptr;
  for (SessionHome &h : c.sessions)
    if (h.tg == tg)
      e = &h;
  // Who else holds a copy (replication with one backup): the first other
  // running member.
  auto backupFor = [&](uint32_t home) -> uint32_t {
    if (!store || !store->backupOnly || store->members < 0)
      return 0;
    for (const AsgInstance &i : asgs[store->members].scaler->instances())
      if (i.id != home)
        if (Instance *o = inst(i.id); o && o->running)
          return i.id;
    return 0;
  };
  if (!e) {
    c.sessions.push_back({tg, in.id, backupFor(in.id), now});
    return;
  }
  if (now - e->lastWrite <= ttl) {
    bool lost = false;
    auto heldBy = [&](uint32_t id) {
      Instance *o = id ? inst(id) : nullptr;
      return o && o->running && o->appUp && o->runningSince <= e->lastWrite;
    };
    switch (in.sessions) {
    case Sessions::None:
    case Sessions::External:
      break;
    case Sessions::InMemory:
      lost = !(e->instance == in.id && heldBy(in.id));
      break;
    case Sessions::Replicated:
      if (!store || store->members < 0)
        break;
      if (store->backupOnly) {
        lost = !heldBy(e->instance) && !heldBy(e->backup);
      } else {
        lost = true;
        for (const AsgInstance &i : asgs[store->members].scaler->instances())
          if (heldBy(i.id)) {
            lost = false;
            break;
          }
      }
      break;
    }
    if (lost) {
      ++lb.sessionsLost;
      if (store)
        ++store->lost;
    }
  }
  if (e->instance != in.id)
    e->backup = backupFor(in.id);
  e->instance = in.id;
  e->lastWrite = now;
}

void World::complete(uint32_t slot, int status) {
  InFlight &f = slots[slot];
  if (!f.live)
    return;
  f.live = false;
  freeSlots.push_back(slot);
  Instant now = sched.now();
  LoadBalancer &lb = lbs[f.lb];
  ++lb.requests;
  if (status >= 500)
    ++lb.errors5xx;
  Duration lat = now - f.start;
  lb.latency.add(lat);
  if (opts.trace) {
    std::string s = "\"ev\":\"response\",\"lb\":\"" + lb.name + "\",\"client\":" +
                    std::to_string(loads[f.load].firstClient + f.client) +
                    ",\"status\":" + std::to_string(status) +
                    ",\"latency_us\":" + std::to_string(lat);
    if (f.instance != ~0u)
      s += ",\"target\":\"" + name(f.instance) + "\"";
    trace(s);
  }
  if (f.instance == ~0u)
    return;
  TargetGroup &g = tgs[f.tg];
  Target &t = g.state.targets[f.target];
  assert(t.outstanding > 0 && "completing a request that is not in flight");
  --t.outstanding;
  uint32_t id = f.instance;
  bool busy = f.busy;
  // `t` may move once the Auto Scaling groups act (a registration grows the
  // group's targets): nothing below touches it after them.
  bool deregistered = t.state == TargetState::Draining && g.drainer.onRequestDone(now, t);
  if (deregistered)
    line(g.name, name(id) + ": deregistration complete (nothing in flight); shown draining until " +
                     fmtTime(t.drainUntil));
  if (busy)
    if (Instance *in = inst(id)) {
      --in->inflight;
      if (in->stopping && in->inflight == 0)
        finishStop(id);
    }
  if (deregistered)
    drainCompleted(id);
}

void World::reset(uint32_t instance, int onlyTg, int status, StringRef why) {
  unsigned n = 0;
  for (uint32_t s = 0; s < slots.size(); ++s)
    if (slots[s].live && slots[s].instance == instance &&
        (onlyTg < 0 || slots[s].tg == uint32_t(onlyTg))) {
      complete(s, status);
      ++n;
    }
  if (n)
    line("elb", std::to_string(n) + " request" + (n == 1 ? "" : "s") + " in flight on " +
                    name(instance) + " answered " + std::to_string(status) + ": " + why.str());
}

//===----------------------------------------------------------------------===//
// Health checks and draining
//===----------------------------------------------------------------------===//

void World::onProbeSend(uint32_t tgi, uint32_t idx) {
  TargetGroup &g = tgs[tgi];
  Target &t = g.state.targets[idx];
  Instant now = sched.now();
  if (!g.checker.onProbeSent(now, t))
    return; // The chain ends with the registration.
  sched.schedule(g.checker.nextProbe(now), {EvProbeSend, tgi, idx});
  Instance *in = inst(t.instance);
  ProbeResult r;
  Instant at = now + millis(1);
  if (!in || !in->running || in->stopping) {
    r.kind = ProbeResult::Timeout; // Nothing answers at that address.
    at = g.checker.probeDeadline(now);
  } else if (!in->appUp) {
    r.kind = ProbeResult::ConnectFailed; // The host refuses the connection.
  } else {
    Duration rt = in->svc.sample(rng);
    if (rt >= g.checker.config().timeout) {
      r.kind = ProbeResult::Timeout;
      at = g.checker.probeDeadline(now);
    } else {
      r.status = in->failHealth ? 500 : 200;
      at = now + rt;
    }
  }
  uint64_t arg = uint64_t(idx) | uint64_t(r.kind) << 32 | uint64_t(r.status) << 40;
  sched.schedule(at, {EvProbeResult, tgi, arg});
}

void World::onProbeResult(uint32_t tgi, uint64_t arg) {
  TargetGroup &g = tgs[tgi];
  uint32_t idx = uint32_t(arg);
  ProbeResult r;
  r.kind = ProbeResult::Kind((arg >> 32) & 0xff);
  r.status = int(arg >> 40);
  Target &t = g.state.targets[idx];
  if (opts.trace)
    trace("\"ev\":\"probe\",\"tg\":\"" + g.name + "\",\"target\":\"" + name(t.instance) +
          "\",\"result\":\"" +
          (r.kind == ProbeResult::Timeout         ? std::string("timeout")
           : r.kind == ProbeResult::ConnectFailed ? std::string("refused")
                                                  : std::to_string(r.status)) +
          "\"");
  if (auto tr = g.checker.onProbeResult(sched.now(), t, r))
    healthChanged(g, t, *tr);
}

std::optional<bool> World::elbHealthy(uint32_t id) const {
  bool all = true;
  for (const TargetGroup &g : tgs) {
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

void World::healthChanged(TargetGroup &g, Target &t, const HealthTransition &tr) {
  Instant now = sched.now();
  uint32_t id = t.instance;
  std::string why = reasonCode(tr.reason);
  if (tr.reason == Reason::ResponseCodeMismatch)
    why += ": health checks failed with these codes: [" + std::to_string(tr.status) + "]";
  line(g.name, name(id) + ": " + stateName(tr.from) + " -> " + stateName(tr.to) +
                   (why.empty() ? "" : " (" + why + ")"));
  traceTarget(g, t, tr.from);
  if (tr.to == TargetState::Healthy) {
    g.selector.onHealthy(now, g.state, t);
    if (t.slowStartBegin != Never)
      line(g.name, name(id) + " enters slow start");
  } else {
    t.slowStartBegin = Never; // Turning unhealthy ends slow start.
  }
  // An NLB resets the connections of a target that turns unhealthy, unless
  // it is failing open.
  if (g.network && tr.to == TargetState::Unhealthy && g.state.count(TargetState::Healthy) > 0)
    reset(id, int(&g - tgs.data()), 502, "connection reset: the target is unhealthy");
  Instance *in = inst(id);
  std::optional<bool> healthy = elbHealthy(id);
  if (in && in->asg >= 0 && healthy) {
    std::vector<AsgCommand> more;
    asgs[in->asg].scaler->onElbHealth(now, id, *healthy, more);
    apply(in->asg, more);
  }
}

void World::onDrainExpire(uint32_t tgi, uint32_t idx) {
  TargetGroup &g = tgs[tgi];
  Target &t = g.state.targets[idx];
  if (t.state != TargetState::Draining)
    return;
  bool completes = false;
  unsigned open = g.drainer.expire(sched.now(), t, completes);
  uint32_t id = t.instance;
  traceTarget(g, t, TargetState::Draining);
  line(g.name, name(id) + ": draining -> unused (" + reasonCode(t.reason) + ")" +
                   (open ? ", " + std::to_string(open) + " requests still in flight" : ""));
  if (open && g.cutAtExpiry)
    reset(id, int(tgi), 502, "the deregistration delay ended");
  if (completes)
    drainCompleted(id);
}

void World::drainCompleted(uint32_t id) {
  Instance *in = inst(id);
  if (!in || in->drainsPending == 0 || --in->drainsPending > 0 || in->asg < 0)
    return;
  std::vector<AsgCommand> more;
  asgs[in->asg].scaler->onDrained(sched.now(), id, more);
  apply(in->asg, more);
}

//===----------------------------------------------------------------------===//
// Instances
//===----------------------------------------------------------------------===//

void World::launch(int a, const AsgCommand &c, std::vector<AsgCommand> &more) {
  Asg &g = asgs[a];
  Instance in;
  in.id = c.instance;
  in.asg = a;
  in.zone = g.zones[c.zone];
  in.spot = c.spot;
  in.vcpus = 2;
  StringRef size = g.instanceType.split('.').second;
  unsigned n = 0;
  if (size == "xlarge")
    in.vcpus = 4;
  else if (size.consume_back("xlarge") && !size.getAsInteger(10, n) && n > 0)
    in.vcpus = 4 * n;
  if (g.app) {
    in.appLatency = millis(g.app->getInt("latency").value_or(0));
    in.svc.extra = in.appLatency;
    if (const Value *er = g.app->get("error_rate"))
      in.svc.errorRate = er->d / 100.0;
    StringRef s = g.app->getEnum("sessions");
    in.sessions = s == "in_memory"    ? Sessions::InMemory
                  : s == "replicated" ? Sessions::Replicated
                  : s == "external"   ? Sessions::External
                                      : Sessions::None;
    if (const Resource *st = g.app->getRef("session_store"))
      in.store = storeIndex(st);
  }
  instanceIndex[in.id] = uint32_t(instances.size());
  instances.push_back(in);
  if (prewarm) {
    Instance &i = instances.back();
    i.running = true;
    i.runningSince = 0;
    asgs[a].scaler->onRunning(sched.now(), c.instance, more);
    clusters->instanceUp(c.instance);
  } else {
    sched.schedule(sched.now() + BootTime, {EvBoot, c.instance, 0});
  }
}

void World::boot(uint32_t id) {
  Instance *in = inst(id);
  if (!in || in->terminated || in->running)
    return;
  Instant now = sched.now();
  std::vector<AsgCommand> more;
  if (zoneDown[in->zone]) {
    line("ec2", name(id) + " could not start: zone " + zones[in->zone] + " is down");
    if (in->asg >= 0) {
      asgs[in->asg].scaler->onStopped(now, id, more);
      apply(in->asg, more);
    }
    return;
  }
  in->running = true;
  in->runningSince = now;
  line("ec2", name(id) + " is running");
  if (in->asg >= 0) {
    asgs[in->asg].scaler->onRunning(now, id, more);
    apply(in->asg, more);
  }
  clusters->instanceUp(id);
}

void World::targetsGone(uint32_t id) {
  // The load balancer sees the instance stopped: its targets become unused
  // (Target.InvalidState); a draining one goes on draining.
  for (TargetGroup &g : tgs) {
    int idx = g.state.find(id);
    if (idx < 0 || g.state.targets[idx].state == TargetState::Draining)
      continue;
    Target &t = g.state.targets[idx];
    line(g.name, name(id) + ": " + stateName(t.state) + " -> unused (Target.InvalidState)");
    TargetState from = t.state;
    t.state = TargetState::Unused;
    t.reason = Reason::InvalidState;
    t.slowStartBegin = Never;
    traceTarget(g, t, from);
  }
}

void World::crash(uint32_t id, StringRef why) {
  Instance *in = inst(id);
  if (!in || !in->running)
    return;
  in->running = false;
  in->stopping = false;
  line("ec2", name(id) + " " + why.str());
  // Requests in flight on it are cut: the load balancer answers 502.
  reset(id, -1, 502, "the instance went away");
  targetsGone(id);
  clusters->instanceDown(id);
  if (in->asg >= 0) {
    std::vector<AsgCommand> more;
    asgs[in->asg].scaler->onStopped(sched.now(), id, more);
    apply(in->asg, more);
  }
}

void World::beginStop(uint32_t id) {
  Instance *in = inst(id);
  if (!in || !in->running || in->stopping)
    return;
  in->stopping = true;
  line("ec2", name(id) + " stopping: " + std::to_string(in->inflight) +
                  " requests in flight finish first");
  targetsGone(id);
  if (in->inflight == 0)
    finishStop(id);
}

void World::finishStop(uint32_t id) {
  Instance *in = inst(id);
  if (!in || !in->stopping)
    return;
  in->stopping = false;
  in->running = false;
  line("ec2", name(id) + " stopped");
  clusters->instanceDown(id);
  if (in->asg >= 0) {
    std::vector<AsgCommand> more;
    asgs[in->asg].scaler->onStopped(sched.now(), id, more);
    apply(in->asg, more);
  }
}

//===----------------------------------------------------------------------===//
// Commands from the Auto Scaling groups
//===----------------------------------------------------------------------===//

void World::scheduleAsgWake(int a) {
  Instant t = asgs[a].scaler->nextWakeup();
  if (t == Never || t >= asgs[a].wakeScheduled)
    return;
  asgs[a].wakeScheduled = t;
  sched.schedule(std::max(t, sched.now()), {EvAsgWake, uint32_t(a), 0});
}

void World::apply(int a, std::vector<AsgCommand> &cmds) {
  Asg &g = asgs[a];
  // A command may make the group issue more (through the world calling it
  // back); they are applied right after it, in order.
  for (size_t k = 0; k < cmds.size(); ++k) {
    AsgCommand c = cmds[k];
    std::vector<AsgCommand> more;
    switch (c.kind) {
    case AsgCommand::Activity:
      line(g.name, c.text);
      break;
    case AsgCommand::Launch:
      launch(a, c, more);
      break;
    case AsgCommand::Register:
      for (int tg : g.targetGroups)
        registerTarget(tg, c.instance, prewarm);
      break;
    case AsgCommand::Deregister:
      deregister(c.instance, a);
      break;
    case AsgCommand::Terminate: {
      Instance *in = inst(c.instance);
      if (in && !in->terminated) {
        in->terminated = true;
        if (in->running) {
          in->running = false;
          in->stopping = false;
          reset(c.instance, -1, 502, "the instance was terminated");
          targetsGone(c.instance);
          clusters->instanceDown(c.instance);
        }
      }
      g.scaler->onTerminated(sched.now(), c.instance, more);
      break;
    }
    }
    cmds.insert(cmds.begin() + k + 1, more.begin(), more.end());
  }
  cmds.clear();
  scheduleAsgWake(a);
  if (opts.trace)
    traceAsg(g);
}

void World::traceAsg(Asg &a) {
  const AutoScaler &s = *a.scaler;
  int64_t now[5] = {s.minSize(), s.maxSize(), s.desired(), s.capacity(), s.inService()};
  if (std::equal(now, now + 5, a.traced))
    return;
  std::copy(now, now + 5, a.traced);
  trace("\"ev\":\"asg\",\"asg\":\"" + a.name + "\",\"min\":" + std::to_string(now[0]) +
        ",\"max\":" + std::to_string(now[1]) + ",\"desired\":" + std::to_string(now[2]) +
        ",\"capacity\":" + std::to_string(now[3]) + ",\"in_service\":" + std::to_string(now[4]));
}

void World::traceTarget(const TargetGroup &g, const Target &t, TargetState from) {
  if (opts.trace)
    trace("\"ev\":\"target\",\"tg\":\"" + g.name + "\",\"target\":\"" + name(t.instance) +
          "\",\"from\":\"" + stateName(from) + "\",\"to\":\"" + stateName(t.state) +
          "\",\"reason\":\"" + reasonCode(t.reason) + "\"");
}

void World::registerTarget(int tgi, uint32_t instance, bool prewarmed) {
  TargetGroup &g = tgs[tgi];
  Target t;
  t.instance = instance;
  g.state.targets.push_back(t);
  uint32_t idx = uint32_t(g.state.targets.size() - 1);
  Target &tt = g.state.targets.back();
  Instant first = g.checker.onRegistered(sched.now(), tt, rng);
  if (prewarmed && g.checker.config().enabled) {
    // Deployed before the scenario: already healthy, probes in phase.
    tt.state = TargetState::Healthy;
    tt.reason = Reason::None;
    first = sched.now() + Duration(rng.below(uint64_t(g.checker.config().interval)));
  } else {
    line(g.name, name(instance) + " registered: " + stateName(tt.state) + " (" +
                     reasonCode(tt.reason) + ")");
  }
  traceTarget(g, tt, TargetState::Unused);
  if (first != Never)
    sched.schedule(first, {EvProbeSend, uint32_t(tgi), idx});
}

void World::deregister(uint32_t instance, int asgOwner) {
  Instance *in = inst(instance);
  unsigned pending = 0;
  for (size_t tgi = 0; tgi < tgs.size(); ++tgi) {
    TargetGroup &g = tgs[tgi];
    int idx = g.state.find(instance);
    if (idx < 0 || g.state.targets[idx].state == TargetState::Draining)
      continue;
    Target &t = g.state.targets[idx];
    TargetState from = t.state;
    Instant until = g.drainer.begin(sched.now(), t);
    traceTarget(g, t, from);
    line(g.name, name(instance) + ": " + stateName(from) + " -> draining (" +
                     reasonCode(t.reason) + ") until " + fmtTime(until) + ", " +
                     (t.drained ? std::string("nothing in flight: deregistration complete")
                                : std::to_string(t.outstanding) + " in flight"));
    sched.schedule(until, {EvDrainExpire, uint32_t(tgi), uint32_t(idx)});
    pending += !t.drained;
  }
  if (in)
    in->drainsPending += pending;
  if (pending == 0 && asgOwner >= 0) {
    std::vector<AsgCommand> more;
    asgs[asgOwner].scaler->onDrained(sched.now(), instance, more);
    apply(asgOwner, more);
  }
}

//===----------------------------------------------------------------------===//
// Metrics for scaling policies
//===----------------------------------------------------------------------===//

void World::onMetricTick() {
  Instant now = sched.now();
  if (now + MetricTick <= end)
    sched.schedule(now + MetricTick, {EvMetricTick, 0, 0});
  for (size_t a = 0; a < asgs.size(); ++a) {
    Asg &g = asgs[a];
    const AutoScaler &s = *g.scaler;
    std::vector<AsgCommand> more;
    for (size_t p = 0; p < g.policies.size(); ++p) {
      PolicyMetric &pm = g.policies[p];
      const ScalingPolicyConfig &pc = s.config().policies[p];
      if (pc.metric == Metric::RequestCountPerTarget) {
        if (pm.tg >= 0) {
          pm.sum += double(tgs[pm.tg].tickRequests);
          ++pm.samples;
        }
      } else {
        // Instances still warming up are left out of the aggregate.
        double sum = 0;
        unsigned counted = 0;
        for (const AsgInstance &i : s.instances()) {
          if (i.lifecycle != Lifecycle::InService || s.warming(now, i))
            continue;
          Instance *in = inst(i.id);
          if (!in || !in->running)
            continue;
          ++counted;
          if (pc.metric == Metric::CpuUtilization)
            sum += std::min(100.0, 2.0 + 100.0 * double(in->busy) /
                                             (double(MetricTick) * double(in->vcpus)));
          else
            sum += double(pc.metric == Metric::NetworkIn ? in->bytesIn : in->bytesOut);
        }
        if (counted) {
          pm.sum += sum / counted;
          ++pm.samples;
        }
      }
      if (++pm.seen < pm.ticks)
        continue;
      // A datapoint: CPU is the period's average, request counts and bytes
      // its sum (requests per healthy target).
      std::optional<double> value;
      if (pc.metric == Metric::RequestCountPerTarget) {
        unsigned healthy = pm.tg >= 0 ? tgs[pm.tg].state.count(TargetState::Healthy) : 0;
        if (healthy && pm.samples)
          value = pm.sum / healthy;
      } else if (pm.samples) {
        value = pc.metric == Metric::CpuUtilization ? pm.sum / pm.samples : pm.sum;
      }
      pm.seen = pm.samples = 0;
      pm.sum = 0;
      if (!value)
        continue; // INSUFFICIENT_DATA: no scaling.
      if (opts.trace) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.3f", *value);
        trace("\"ev\":\"metric\",\"asg\":\"" + g.name + "\",\"policy\":\"" + pc.name +
              "\",\"value\":" + buf);
      }
      g.scaler->onDatapoint(now, p, *value, more);
    }
    apply(int(a), more);
  }
  for (TargetGroup &tg : tgs)
    tg.tickRequests = 0;
  for (Instance &in : instances)
    in.busy = 0, in.bytesIn = in.bytesOut = 0;
}

} // namespace infrac::runtime::sim

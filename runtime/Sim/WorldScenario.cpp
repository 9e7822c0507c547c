//===- WorldScenario.cpp - A scenario's timed events and expectations -----===//

#include "Sim/World.h"

#include "Sim/Clusters.h"

#include <cmath>

using namespace infrac::sema;
using llvm::StringRef;

namespace infrac::runtime::sim {

//===----------------------------------------------------------------------===//
// Timed events
//===----------------------------------------------------------------------===//

void World::forEachRef(const Value &v, llvm::function_ref<void(const Value &)> fn) {
  if (v.kind == Value::Kind::List) {
    for (const Value &x : v.items)
      forEachRef(x, fn);
    return;
  }
  if (v.kind == Value::Kind::Ref)
    fn(v);
}

std::vector<uint32_t> World::resolveInstances(const Value &v, bool spotOnly,
                                              llvm::function_ref<void(const Value &)> other,
                                              bool acceptTerminated) {
  std::vector<uint32_t> out;
  forEachRef(v, [&](const Value &r) {
    int a = asgIndex(r.ref);
    if (a < 0) {
      other(r);
      return;
    }
    const auto &all = asgs[a].scaler->instances();
    if (r.member() == "instances" && r.index() >= 0) {
      if (size_t(r.index()) >= all.size())
        line("scenario", asgs[a].name + " has launched no instance [" +
                             std::to_string(r.index()) + "] yet");
      else if (all[r.index()].lifecycle == Lifecycle::Terminated && !acceptTerminated)
        line("scenario", sourceText(r.range).str() + " (" + name(all[r.index()].id) +
                             ") was terminated");
      else
        out.push_back(all[r.index()].id);
      return;
    }
    for (const AsgInstance &i : all)
      if (i.lifecycle == Lifecycle::InService && (!spotOnly || i.spot))
        out.push_back(i.id);
  });
  return out;
}

void World::appDown(uint32_t id, StringRef why) {
  Instance *in = inst(id);
  if (!in || !in->running || !in->appUp)
    return;
  in->appUp = false;
  line("ec2", name(id) + ": " + why.str());
  reset(id, -1, 502, "the app's process died");
}

void World::appUp(uint32_t id) {
  Instance *in = inst(id);
  if (!in || !in->running || in->appUp)
    return;
  in->appUp = true;
  in->runningSince = sched.now(); // A new process: whatever it kept in memory is gone.
  line("ec2", name(id) + ": the app's process restarted");
}

void World::onScenario(const Resource &ev) {
  Instant now = sched.now();
  std::string text = sourceText(ev.range).str();
  if (size_t nl = text.find('\n'); nl != std::string::npos)
    text = text.substr(0, nl) + " ...";
  line("scenario", text);
  // Everything this event names that is not an Auto Scaling group's goes
  // to the EMR and coordination part, which says whether it is its.
  auto elsewhere = [&](StringRef action) {
    return [this, action](const Value &r) {
      if (!clusters->act(action, r))
        line("scenario", "'" + r.ref->path.str() + "': '" + action.str() +
                             "' does nothing to a " + r.refKind().str() + " in a simulation");
    };
  };
  if (const Value *v = ev.get("kill"))
    for (uint32_t id : resolveInstances(*v, false, elsewhere("kill")))
      crash(id, "killed");
  if (const Value *v = ev.get("stop"))
    for (uint32_t id : resolveInstances(*v, false, elsewhere("stop")))
      beginStop(id);
  if (const Value *v = ev.get("recover"))
    for (uint32_t id : resolveInstances(*v, false, elsewhere("recover"))) {
      Instance *in = inst(id);
      if (!in)
        continue;
      if (in->terminated) {
        line("ec2", name(id) + " cannot recover: it was terminated");
      } else if (!in->running) {
        in->running = true;
        in->appUp = true;
        in->runningSince = now;
        line("ec2", name(id) + " is running again");
        clusters->instanceUp(id);
      } else {
        appUp(id);
        clusters->instanceUp(id);
      }
    }
  if (const Value *v = ev.get("fail_health"))
    for (uint32_t id : resolveInstances(*v, false, elsewhere("fail_health")))
      if (Instance *in = inst(id)) {
        in->failHealth = true;
        line("ec2", name(id) + " now answers health checks with 500");
      }
  if (const Value *v = ev.get("restore_health"))
    for (uint32_t id : resolveInstances(*v, false, elsewhere("restore_health")))
      if (Instance *in = inst(id)) {
        in->failHealth = false;
        line("ec2", name(id) + " answers health checks with 200 again");
      }
  if (const Value *v = ev.get("slow")) {
    Duration extra = millis(ev.getInt("latency").value_or(1000));
    for (uint32_t id : resolveInstances(*v, false, elsewhere("slow")))
      if (Instance *in = inst(id)) {
        in->svc.extra = in->appLatency + extra;
        line("ec2", name(id) + (extra ? " slows down: +" + fmtDuration(extra) + " per request"
                                      : " runs at its normal speed again"));
      }
  }
  if (const Value *v = ev.get("deregister"))
    for (uint32_t id : resolveInstances(*v, false, elsewhere("deregister")))
      deregister(id, -1);
  if (const Value *v = ev.get("interrupt")) {
    // A whole group: its spot instances; a named instance: that one.
    bool wholeGroups = true;
    forEachRef(*v, [&](const Value &r) { wholeGroups &= r.index() < 0; });
    for (uint32_t id : resolveInstances(*v, wholeGroups, elsewhere("interrupt"))) {
      Instance *in = inst(id);
      if (!in || !in->running)
        continue;
      line("ec2", name(id) + ": EC2 Spot Instance Interruption Warning; it stops at " +
                      fmtTime(now + SpotNotice));
      sched.schedule(now + SpotNotice, {EvSpotStop, id, 0});
      if (in->asg >= 0) {
        std::vector<AsgCommand> more;
        asgs[in->asg].scaler->onSpotNotice(now, id, more);
        apply(in->asg, more);
      }
    }
  }
  if (const Resource *asgRes = ev.getRef("scale")) {
    int a = asgIndex(asgRes);
    if (a >= 0) {
      std::vector<AsgCommand> more;
      asgs[a].scaler->setDesired(now, ev.getInt("desired").value_or(asgs[a].scaler->desired()),
                                 "set by the scenario", more);
      apply(a, more);
    }
  }
  if (const Value *r = ev.get("rate"))
    for (size_t li = 0; li < loads.size(); ++li) {
      bool wasIdle = loads[li].traffic.rateAt(now) <= 0;
      loads[li].traffic.setRate(r->d);
      line("scenario", "load on " + lbs[loads[li].lb].name + " now " +
                           std::to_string(int64_t(r->d)) + " requests/s");
      if (wasIdle) {
        Instant next = loads[li].traffic.nextArrival(now, rng);
        if (next != Never && next < end)
          sched.schedule(next, {EvArrival, uint32_t(li), 0});
      }
    }
  for (bool lose : {true, false}) {
    StringRef zone = ev.getString(lose ? "lose_zone" : "restore_zone");
    if (zone.empty())
      continue;
    uint32_t z = zoneIndex(zone);
    if (zoneDown[z] == lose)
      continue;
    zoneDown[z] = lose;
    line("ec2", "zone " + zone.str() + (lose ? " is down" : " is back"));
    // The groups stop launching there first, so replacements go elsewhere.
    for (size_t a = 0; a < asgs.size(); ++a)
      for (size_t k = 0; k < asgs[a].zones.size(); ++k)
        if (asgs[a].zones[k] == z) {
          std::vector<AsgCommand> more;
          asgs[a].scaler->setZoneAvailable(now, uint32_t(k), !lose, more);
          apply(int(a), more);
        }
    if (lose)
      for (size_t i = 0; i < instances.size(); ++i)
        if (instances[i].zone == z && !instances[i].terminated) {
          if (instances[i].running)
            crash(instances[i].id, "lost with its zone");
          else if (instances[i].asg >= 0) // Still booting: it never comes up.
            boot(instances[i].id);
        }
  }
}

//===----------------------------------------------------------------------===//
// Expectations
//===----------------------------------------------------------------------===//

static const char *opText(ast::CompareOp op) {
  switch (op) {
  case ast::CompareOp::EQ: return "==";
  case ast::CompareOp::NE: return "!=";
  case ast::CompareOp::LT: return "<";
  case ast::CompareOp::LE: return "<=";
  case ast::CompareOp::GT: return ">";
  case ast::CompareOp::GE: return ">=";
  }
  return "?";
}

static bool compare(ast::CompareOp op, double a, double b) {
  switch (op) {
  case ast::CompareOp::EQ: return a == b;
  case ast::CompareOp::NE: return a != b;
  case ast::CompareOp::LT: return a < b;
  case ast::CompareOp::LE: return a <= b;
  case ast::CompareOp::GT: return a > b;
  case ast::CompareOp::GE: return a >= b;
  }
  return false;
}

std::optional<double> World::metric(const Value &call, std::string &shown, bool &unsupported) {
  switch (call.kind) {
  case Value::Kind::Int:
    shown = std::to_string(call.i);
    return double(call.i);
  case Value::Kind::Duration:
    shown = fmtDuration(millis(call.i));
    return double(millis(call.i));
  case Value::Kind::Percent:
  case Value::Kind::Number: {
    char buf[32];
    snprintf(buf, sizeof buf, "%g%s", call.d, call.kind == Value::Kind::Percent ? "%" : "");
    shown = buf;
    return call.d;
  }
  case Value::Kind::Bool:
    shown = call.b ? "true" : "false";
    return call.b ? 1.0 : 0.0;
  case Value::Kind::Ref: {
    // An instance named in a comparison: served_by(lb, 7) == asg.instances[0].
    std::vector<uint32_t> ids = resolveInstances(call, false, [](const Value &) {}, true);
    shown = sourceText(call.range).str();
    if (ids.size() != 1)
      return -1.0; // Not launched (yet): equals no instance.
    shown += " (" + name(ids[0]) + ")";
    return double(ids[0]);
  }
  default:
    break;
  }
  if (call.kind != Value::Kind::Call || call.items.empty() ||
      call.items[0].kind != Value::Kind::Ref)
    return std::nullopt;
  StringRef fn = call.str;
  const Resource *r = call.items[0].ref;
  std::string label = sourceText(call.range).str();
  if (label.empty())
    label = fn.str() + "(" + r->path.str() + ")";
  auto give = [&](double v, std::string text) {
    shown = label + " was " + text;
    return std::optional<double>(v);
  };
  if (fn == "healthy" || fn == "unhealthy" || fn == "draining") {
    int tg = tgIndex(r);
    if (tg < 0)
      return std::nullopt;
    unsigned n = tgs[tg].state.count(fn == "healthy"     ? TargetState::Healthy
                                     : fn == "unhealthy" ? TargetState::Unhealthy
                                                         : TargetState::Draining);
    return give(n, std::to_string(n));
  }
  if (int a = asgIndex(r); a >= 0 && (fn == "capacity" || fn == "running" || fn == "desired")) {
    const AutoScaler &s = *asgs[a].scaler;
    int64_t n = fn == "capacity" ? s.inService() : s.desired();
    if (fn == "running") {
      n = 0;
      for (const AsgInstance &i : s.instances())
        if (Instance *in = inst(i.id))
          n += in->running;
    }
    return give(double(n), std::to_string(n));
  }
  if (int lb = lbIndex(r); lb >= 0) {
    LoadBalancer &b = lbs[lb];
    if (fn == "requests")
      return give(double(b.requests), std::to_string(b.requests));
    if (fn == "sessions_lost")
      return give(double(b.sessionsLost), std::to_string(b.sessionsLost));
    if (fn == "error_rate") {
      double pct = b.requests ? 100.0 * double(b.errors5xx) / double(b.requests) : 0.0;
      char buf[96];
      snprintf(buf, sizeof buf, "%.2f%% (%" PRIu64 " of %" PRIu64 " responses were 5xx)", pct,
               b.errors5xx, b.requests);
      return give(pct, buf);
    }
    if (fn.startswith("latency_p")) {
      double pct = 99;
      fn.drop_front(9).getAsDouble(pct);
      Duration d = b.latency.percentile(pct);
      return give(double(d), fmtDuration(d) + " over " + std::to_string(b.latency.count()) +
                                 " responses");
    }
    if (fn == "served_by") {
      int64_t client = call.items.size() > 1 ? call.items[1].i : -1;
      for (Load &ld : loads)
        if (ld.lb == lb && client >= int64_t(ld.firstClient) &&
            client < int64_t(ld.firstClient + ld.clients.size())) {
          uint32_t id = ld.clients[client - ld.firstClient].lastInstance;
          if (id == ~0u)
            return give(-1.0, "nobody yet");
          return give(double(id), name(id));
        }
      return give(-1.0, "nobody: the load balancer has no client " + std::to_string(client));
    }
  }
  if (int si = storeIndex(r); si >= 0 && fn == "sessions_lost") {
    uint64_t n = stores[si].lost;
    return give(double(n), std::to_string(n));
  }
  if (auto v = clusters->metric(fn, call.items[0], shown)) {
    shown = label + " was " + shown;
    return v;
  }
  unsupported = true;
  shown = label + " is not simulated";
  return std::nullopt;
}

std::optional<bool> World::evaluate(const Value &cond, std::string &shown, bool &unsupported) {
  if (cond.kind == Value::Kind::Compare && cond.items.size() == 2) {
    std::string l, r;
    auto a = metric(cond.items[0], l, unsupported);
    auto b = metric(cond.items[1], r, unsupported);
    shown = l;
    if (!a || !b)
      return std::nullopt;
    shown += std::string(" (expected ") + opText(cond.op) + " " + r + ")";
    return compare(cond.op, *a, *b);
  }
  if (cond.kind == Value::Kind::And) {
    bool all = true;
    for (const Value &c : cond.items) {
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
  auto v = metric(cond, shown, unsupported);
  if (!v)
    return std::nullopt;
  return *v != 0;
}

void World::checkExpectations(bool atEnd) {
  Instant now = sched.now();
  for (ExpState &s : exps) {
    if (s.failed || s.unsupported || (s.within && s.satisfied))
      continue;
    bool due = s.timed ? now >= s.from && now <= s.until : atEnd;
    if (!due && !(atEnd && s.within))
      continue;
    std::string shown;
    bool unsupported = false;
    std::optional<bool> v = due ? evaluate(s.e->condition, shown, unsupported) : false;
    if (!v) {
      s.unsupported = true;
      s.detail = shown.empty() ? "the simulator cannot evaluate this expectation" : shown;
      continue;
    }
    if (s.within) {
      if (*v) {
        s.satisfied = true;
        s.detail = "held at " + fmtTime(now) + ": " + shown;
      } else if (now >= s.until || atEnd) {
        s.failed = true;
        s.detail = "never held between " + fmtTime(s.from) + " and " +
                   fmtTime(std::min(s.until, now)) + (shown.empty() ? "" : ": " + shown);
      }
      continue;
    }
    if (!*v) {
      s.failed = true;
      s.detail = (s.timed ? "failed at " + fmtTime(now) + ": " : "at the end: ") + shown;
    } else {
      s.satisfied = true;
      s.detail = shown;
    }
  }
}

} // namespace infrac::runtime::sim

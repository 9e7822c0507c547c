//===- World.cpp - Building the world from the model, and the loop --------===//

#include "Sim/World.h"

#include "Sim/Clusters.h"

#include "llvm/Support/Format.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>

using namespace infrac::sema;
using llvm::StringRef;

namespace infrac::runtime {
namespace sim {

std::string fmtTime(Instant t) {
  char buf[32];
  formatInstant(t, buf, sizeof buf);
  return buf;
}

std::string fmtDuration(Duration d) {
  char buf[32];
  if (d < millis(10))
    snprintf(buf, sizeof buf, "%.2fms", double(d) / 1000.0);
  else if (d < seconds(1))
    snprintf(buf, sizeof buf, "%.1fms", double(d) / 1000.0);
  else
    snprintf(buf, sizeof buf, "%.3fs", double(d) / 1e6);
  return buf;
}

std::string jsonEscape(StringRef s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (uint8_t(c) < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

StringRef sourceText(llvm::SMRange r) {
  if (!r.isValid())
    return {};
  return StringRef(r.Start.getPointer(), r.End.getPointer() - r.Start.getPointer());
}

//===----------------------------------------------------------------------===//
// LatencyHistogram
//===----------------------------------------------------------------------===//

size_t LatencyHistogram::bucket(uint64_t v) {
  if (v < 32)
    return size_t(v);
  unsigned msb = 63 - unsigned(__builtin_clzll(v)); // >= 5
  size_t b = size_t(msb - 4) * 32 + size_t((v >> (msb - 5)) & 31);
  return std::min<size_t>(b, 64 * 32 - 1);
}

uint64_t LatencyHistogram::upper(size_t b) {
  if (b < 32)
    return b;
  unsigned msb = unsigned(b / 32) + 4;
  uint64_t sub = b % 32;
  return ((32 + sub + 1) << (msb - 5)) - 1;
}

void LatencyHistogram::add(Duration us) {
  ++counts[bucket(uint64_t(std::max<Duration>(0, us)))];
  ++total;
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
// Building the world from the model
//===----------------------------------------------------------------------===//

World::World(const Model &m, const Resource &sc, const SimOptions &o)
    : model(m), scenario(sc), opts(o) {}

World::~World() = default;

static std::vector<const Resource *> topLevelOfKind(const Model &m, StringRef kind) {
  std::vector<const Resource *> out;
  for (const Resource *r : m.resources)
    if (r->kind() == kind)
      out.push_back(r);
  return out;
}

static double numberOf(const Value &v) {
  return v.kind == Value::Kind::Int || v.kind == Value::Kind::Duration ? double(v.i) : v.d;
}

int World::tgIndex(const Resource *r) const {
  for (size_t i = 0; i < tgs.size(); ++i)
    if (tgs[i].res == r)
      return int(i);
  return -1;
}
int World::lbIndex(const Resource *r) const {
  for (size_t i = 0; i < lbs.size(); ++i)
    if (lbs[i].res == r)
      return int(i);
  return -1;
}
int World::asgIndex(const Resource *r) const {
  for (size_t i = 0; i < asgs.size(); ++i)
    if (asgs[i].res == r)
      return int(i);
  return -1;
}
int World::storeIndex(const Resource *r) const {
  for (size_t i = 0; i < stores.size(); ++i)
    if (stores[i].res == r)
      return int(i);
  return -1;
}

uint32_t World::zoneIndex(StringRef name) {
  for (size_t i = 0; i < zones.size(); ++i)
    if (zones[i] == name)
      return uint32_t(i);
  zones.push_back(name.str());
  zoneDown.push_back(false);
  return uint32_t(zones.size() - 1);
}

void World::buildConditions(const Value &v, std::vector<Condition> &out) {
  if (v.kind == Value::Kind::And) {
    for (const Value &x : v.items)
      buildConditions(x, out);
    return;
  }
  if (v.kind != Value::Kind::Call)
    return;
  Condition c;
  StringRef fn = v.str;
  size_t first = 0;
  if (fn == "path")
    c.kind = Condition::Path;
  else if (fn == "host")
    c.kind = Condition::Host;
  else if (fn == "method")
    c.kind = Condition::Method;
  else if (fn == "source_ip")
    c.kind = Condition::SourceIp;
  else if (fn == "header" || fn == "query") {
    c.kind = fn == "header" ? Condition::Header : Condition::Query;
    if (!v.items.empty())
      c.key = v.items[0].str.str();
    first = 1;
    if (fn == "query" && v.items.size() == 1) { // The value alone.
      c.key.clear();
      first = 0;
    }
  } else
    return;
  for (size_t i = first; i < v.items.size(); ++i) {
    c.values.push_back(v.items[i].str.str());
    if (c.kind == Condition::SourceIp)
      if (auto cidr = parseCidr(v.items[i].str))
        c.cidrs.push_back(*cidr);
  }
  out.push_back(std::move(c));
}

Action World::buildAction(const Value &v) {
  Action a;
  if (v.kind != Value::Kind::Call)
    return a;
  if (v.str == "forward") {
    a.kind = Action::Forward;
    for (const Value &item : v.items) {
      ForwardTarget f;
      const Value *ref = &item;
      if (item.kind == Value::Kind::Weighted && item.items.size() == 2) {
        ref = &item.items[0];
        f.weight = uint32_t(item.items[1].i);
      }
      if (ref->kind != Value::Kind::Ref)
        continue;
      int tg = tgIndex(ref->ref);
      if (tg < 0)
        continue;
      f.group = uint32_t(tg);
      a.groups.push_back(f);
    }
    if (const NamedValue *s = v.field("stickiness"))
      a.groupStickiness = millis(s->value.i);
    if (a.groups.empty()) {
      a.kind = Action::FixedResponse;
      a.status = 503;
    } else if (a.groups.size() > 1) {
      a.id = weightedActions++; // Its AWSALBTG slot in each client.
    }
    return a;
  }
  if (v.str == "redirect") {
    a.kind = Action::Redirect;
    const NamedValue *st = v.field("status");
    a.status = st ? int(st->value.i) : 301;
    return a;
  }
  if (v.str == "fixed_response") {
    a.kind = Action::FixedResponse;
    const NamedValue *st = v.field("status");
    a.status = st ? int(st->value.i) : 200;
    if (const NamedValue *b = v.field("body"))
      a.text = b->value.str.str();
  }
  return a;
}

void World::buildTargetGroups() {
  for (const Resource *r : topLevelOfKind(model, "target_group")) {
    TargetGroup g;
    g.res = r;
    g.name = r->name.str();
    HealthCheckConfig hc;
    if (const Resource *h = r->child("health_check")) {
      hc.enabled = h->getBool("enabled").value_or(true);
      hc.interval = millis(h->getInt("interval").value_or(30000));
      hc.timeout = millis(h->getInt("timeout").value_or(5000));
      hc.healthyThreshold = unsigned(h->getInt("healthy_threshold").value_or(5));
      hc.unhealthyThreshold = unsigned(h->getInt("unhealthy_threshold").value_or(2));
      StringRef m = h->getString("matcher");
      hc.matcher = m.empty() ? "200" : m.str();
    }
    g.checker = HealthChecker(hc);
    g.drainer = Drainer(millis(r->getInt("deregistration_delay").value_or(300000)));
    SelectorConfig sc;
    StringRef alg = r->getEnum("algorithm");
    sc.algorithm = alg == "least_outstanding_requests" ? SelectorConfig::LeastOutstanding
                   : alg == "weighted_random"          ? SelectorConfig::WeightedRandom
                                                       : SelectorConfig::RoundRobin;
    StringRef proto = r->getEnum("protocol");
    g.network = proto == "tcp" || proto == "udp" || proto == "tls" || proto == "tcp_udp";
    if (g.network) {
      // NLB: a flow hash per connection, which is a uniform random choice
      // for the short connections the traffic model makes.
      sc.algorithm = SelectorConfig::WeightedRandom;
      g.cutAtExpiry = r->getBool("connection_termination").value_or(false);
    }
    sc.slowStart = millis(r->getInt("slow_start").value_or(0));
    if (const Resource *s = r->child("stickiness")) {
      if (s->getBool("enabled").value_or(true)) {
        StringRef type = s->getEnum("type");
        sc.stickiness = type == "app_cookie"  ? SelectorConfig::AppCookie
                        : type == "lb_cookie" ? SelectorConfig::LbCookie
                                              : SelectorConfig::SourceIp;
        sc.stickyDuration = millis(s->getInt("duration").value_or(86400000));
        g.sticky = sc.stickiness == SelectorConfig::LbCookie ||
                   sc.stickiness == SelectorConfig::AppCookie;
        if (g.sticky)
          g.stickyIndex = int(stickyGroups++);
      }
    }
    if (opts.failOpen)
      sc.failOpen = *opts.failOpen;
    g.selector = TargetSelector(sc);
    tgs.push_back(std::move(g));
  }
}

void World::buildLoadBalancers() {
  for (const Resource *r : topLevelOfKind(model, "load_balancer")) {
    LoadBalancer lb;
    lb.res = r;
    lb.name = r->name.str();
    lb.network = r->getEnum("type") == "network";
    lb.idleTimeout = millis(r->getInt("idle_timeout").value_or(60000));
    for (const Resource *l : r->childrenOf("listener")) {
      std::vector<Rule> rules;
      Listener lis;
      for (const Resource *rr : l->childrenOf("rule")) {
        Rule rule;
        rule.name = rr->name.str();
        rule.priority = rr->getInt("priority").value_or(50000);
        if (const Value *w = rr->get("when"))
          buildConditions(*w, rule.conditions);
        if (const Value *t = rr->get("then"))
          rule.action = buildAction(*t);
        for (const Condition &c : rule.conditions)
          lis.sourceIpRules |= c.kind == Condition::SourceIp;
        rules.push_back(std::move(rule));
      }
      Action def;
      if (const Value *d = l->get("default"))
        def = buildAction(*d);
      lis.router = ListenerRouter(std::move(rules), std::move(def));
      lis.name = l->name.str();
      for (int ri = -1; ri < int(lis.router.getRules().size()); ++ri)
        for (const ForwardTarget &f : lis.router.action(ri).groups)
          if (tgs[f.group].lb < 0)
            tgs[f.group].lb = int(lbs.size());
      lb.listeners.push_back(std::move(lis));
    }
    lbs.push_back(std::move(lb));
  }
}

void World::buildAsgs() {
  for (const Resource *r : topLevelOfKind(model, "session_store")) {
    SessionStore s;
    s.res = r;
    s.replicated = r->getEnum("type") == "replicated";
    s.backupOnly = r->getEnum("replication") == "backup";
    s.ttl = millis(r->getInt("ttl").value_or(1800000));
    stores.push_back(s);
  }
  uint32_t idBase = 1;
  for (const Resource *r : topLevelOfKind(model, "auto_scaling_group")) {
    Asg a;
    a.res = r;
    a.name = r->name.str();
    AsgConfig c;
    c.name = a.name;
    c.min = r->getInt("min").value_or(1);
    c.max = r->getInt("max").value_or(c.min);
    c.desired = r->getInt("desired").value_or(c.min);
    if (opts.instances)
      c.min = c.max = c.desired = *opts.instances;
    if (const Value *subs = r->get("subnets"))
      for (const Value &s : subs->items)
        if (s.ref) {
          uint32_t z = zoneIndex(s.ref->getString("zone"));
          if (std::find(a.zones.begin(), a.zones.end(), z) == a.zones.end())
            a.zones.push_back(z);
        }
    if (a.zones.empty())
      a.zones.push_back(zoneIndex("default"));
    c.zones = unsigned(a.zones.size());
    c.elbHealth = r->getEnum("health_check_type") == "elb";
    c.grace = millis(r->getInt("health_check_grace").value_or(0));
    c.cooldown = millis(r->getInt("cooldown").value_or(300000));
    c.defaultWarmup = millis(r->getInt("default_instance_warmup").value_or(0));
    c.capacityRebalance = r->getBool("capacity_rebalance").value_or(false);
    if (const Value *tp = r->get("termination_policies"))
      for (const Value &p : tp->items) {
        StringRef n = p.str;
        if (n == "oldest_instance")
          c.termination.push_back(AsgConfig::OldestInstance);
        else if (n == "newest_instance")
          c.termination.push_back(AsgConfig::NewestInstance);
        else if (n == "oldest_launch_template" || n == "oldest_launch_configuration")
          c.termination.push_back(AsgConfig::OldestLaunchTemplate);
        else if (n == "closest_to_next_instance_hour")
          c.termination.push_back(AsgConfig::ClosestToNextInstanceHour);
        else if (n == "default")
          c.termination.push_back(AsgConfig::Default);
      }
    if (const Resource *mi = r->child("mixed_instances")) {
      c.onDemandBase = mi->getInt("on_demand_base").value_or(0);
      if (const Value *p = mi->get("on_demand_percentage"))
        c.onDemandPercent = p->d;
    }
    if (const Value *groups = r->get("target_groups"))
      for (const Value &g : groups->items)
        if (int i = tgIndex(g.ref); i >= 0)
          a.targetGroups.push_back(i);
    for (const Resource *p : r->childrenOf("policy")) {
      ScalingPolicyConfig pc;
      pc.name = p->name.str();
      StringRef type = p->getEnum("type");
      pc.type = type == "step"     ? ScalingPolicyConfig::Step
                : type == "simple" ? ScalingPolicyConfig::Simple
                                   : ScalingPolicyConfig::TargetTracking;
      StringRef metric = p->getEnum("metric");
      pc.metric = metric == "alb_request_count_per_target" ? Metric::RequestCountPerTarget
                  : metric == "network_in"                 ? Metric::NetworkIn
                  : metric == "network_out"                ? Metric::NetworkOut
                                                           : Metric::CpuUtilization;
      if (const Value *t = p->get("target"))
        pc.target = numberOf(*t);
      pc.disableScaleIn = p->getBool("disable_scale_in").value_or(false);
      if (auto w = p->getInt("warmup"))
        pc.warmup = millis(*w);
      StringRef adj = p->getEnum("adjustment_type");
      pc.adjustmentType = adj == "exact_capacity" ? ScalingPolicyConfig::ExactCapacity
                          : adj == "percent_change_in_capacity"
                              ? ScalingPolicyConfig::PercentChange
                              : ScalingPolicyConfig::ChangeInCapacity;
      pc.adjustment = p->getInt("adjustment").value_or(0);
      if (auto cd = p->getInt("cooldown"))
        pc.cooldown = millis(*cd);
      if (const Value *t = p->get("threshold"))
        pc.threshold = numberOf(*t);
      StringRef cmp = p->getEnum("comparison");
      pc.comparison = cmp == "ge"   ? ScalingPolicyConfig::GE
                      : cmp == "lt" ? ScalingPolicyConfig::LT
                      : cmp == "le" ? ScalingPolicyConfig::LE
                                    : ScalingPolicyConfig::GT;
      pc.period = millis(p->getInt("period").value_or(60000));
      pc.evaluationPeriods = unsigned(p->getInt("evaluation_periods").value_or(1));
      for (const Resource *s : p->childrenOf("step")) {
        StepAdjustment sa;
        if (const Value *lo = s->get("lower"))
          sa.lower = numberOf(*lo);
        if (const Value *hi = s->get("upper"))
          sa.upper = numberOf(*hi);
        sa.adjustment = s->getInt("adjustment").value_or(0);
        pc.steps.push_back(sa);
      }
      PolicyMetric pm;
      const Resource *tg = p->getRef("target_group");
      if (!tg && a.targetGroups.size() == 1)
        tg = tgs[a.targetGroups[0]].res;
      pm.tg = tg ? tgIndex(tg) : -1;
      // Target tracking works on one-minute datapoints; alarms on their period.
      Duration period = pc.type == ScalingPolicyConfig::TargetTracking ? seconds(60) : pc.period;
      pm.ticks = unsigned(std::max<Duration>(1, (period + MetricTick - 1) / MetricTick));
      a.policies.push_back(pm);
      c.policies.push_back(std::move(pc));
    }
    for (const Resource *s : r->childrenOf("scheduled")) {
      auto at = s->getInt("at");
      if (!at)
        continue; // Cron recurrences have no meaning on a scenario's clock.
      ScheduledActionConfig sc;
      sc.name = s->name.str();
      sc.at = millis(*at);
      sc.min = s->getInt("min");
      sc.max = s->getInt("max");
      sc.desired = s->getInt("desired");
      c.scheduled.push_back(sc);
    }
    for (const Resource *h : r->childrenOf("lifecycle_hook")) {
      LifecycleHookConfig hc;
      hc.name = h->name.str();
      hc.launching = h->getEnum("transition") == "launching";
      hc.heartbeat = millis(h->getInt("heartbeat_timeout").value_or(3600000));
      hc.continueOnTimeout = h->getEnum("default_result") == "continue";
      c.hooks.push_back(hc);
    }
    if (const Resource *lt = r->getRef("launch_template")) {
      a.instanceType = lt->getString("instance_type");
      if (const Value *app = lt->get("app"))
        a.app = app->ref;
    }
    if (a.app)
      if (const Resource *st = a.app->getRef("session_store"))
        if (int si = storeIndex(st); si >= 0 && stores[si].replicated)
          stores[si].members = int(asgs.size());
    a.scaler = std::make_unique<AutoScaler>(std::move(c), rng.fork());
    a.scaler->setIdBase(idBase);
    idBase += 1000;
    asgs.push_back(std::move(a));
  }
  // A replicated store's members: the group whose app uses it, or as written.
  for (SessionStore &s : stores)
    if (const Resource *m = s.res->getRef("members"))
      s.members = asgIndex(m);
}

void World::buildScenario() {
  for (const Resource *l : scenario.childrenOf("load")) {
    const Resource *lbRes = l->label.ref;
    int lb = lbIndex(lbRes);
    if (lb < 0)
      continue;
    LoadConfig lc;
    const Value *rate = l->get("rate");
    lc.rate = opts.rate ? *opts.rate : rate ? rate->d : 0;
    lc.start = millis(l->getInt("start").value_or(0));
    if (auto d = l->getInt("duration"); d && !opts.duration)
      lc.end = lc.start + millis(*d);
    lc.ramp = millis(l->getInt("ramp").value_or(0));
    lc.clients = uint32_t(std::max<int64_t>(1, l->getInt("clients").value_or(100)));
    Load ld(lc);
    ld.lb = lb;
    if (const Resource *lis = l->getRef("listener")) {
      auto ls = lbRes->childrenOf("listener");
      for (size_t i = 0; i < ls.size(); ++i)
        if (ls[i] == lis)
          ld.listener = int(i);
    }
    if (const Value *ps = l->get("paths"))
      for (const Value &p : ps->items)
        ld.paths.push_back(p.str.str());
    if (ld.paths.empty()) {
      StringRef p = l->getString("path");
      ld.paths.push_back(p.empty() ? "/" : p.str());
    }
    ld.method = l->getString("method").str();
    if (ld.method.empty())
      ld.method = "GET";
    ld.query = l->getString("query").str();
    ld.host = l->getString("host").str();
    if (ld.host.empty())
      ld.host = lbs[lb].name + ".elb.amazonaws.com";
    bool userAgent = false;
    if (const Value *hs = l->get("headers"))
      for (const NamedValue &h : hs->fields) {
        ld.headers.push_back({h.name.str(), h.value.str.str()});
        userAgent |= h.name.equals_insensitive("user-agent");
      }
    if (!userAgent)
      ld.headers.push_back({"User-Agent", "infrac-sim/1.0"});
    ld.clients.resize(lc.clients);
    for (Client &c : ld.clients) {
      c.cookies.resize(stickyGroups);
      c.groupCookies.resize(weightedActions);
    }
    // Clients come from 203.0.113.0/24 and up (TEST-NET-3), one address each.
    ld.baseIp = (203u << 24) | (0u << 16) | (113u << 8);
    ld.firstClient = lbs[lb].clients;
    lbs[lb].clients += lc.clients;
    if (!lbs[lb].listeners.empty()) {
      Listener &lis = lbs[lb].listeners[ld.listener];
      if (!lis.sourceIpRules)
        for (const std::string &p : ld.paths) {
          Request req;
          req.method = ld.method;
          req.host = ld.host;
          req.path = p;
          req.query = ld.query;
          req.headers = ld.headers;
          ld.routeOfPath.push_back(lis.router.match(req));
        }
    }
    loads.push_back(std::move(ld));
  }
  for (const Resource *ev : scenario.childrenOf("at"))
    events.push_back({ev, millis(ev->label.i)});
  std::stable_sort(events.begin(), events.end(),
                   [](const TimedEvent &a, const TimedEvent &b) { return a.at < b.at; });
  for (const Expectation &e : scenario.expectations) {
    ExpState s;
    s.e = &e;
    if (e.after.isSet())
      s.from = millis(e.after.i);
    if (e.within.isSet()) {
      s.within = true;
      s.until = s.from + millis(e.within.i);
    }
    s.timed = e.after.isSet() || e.within.isSet();
    exps.push_back(s);
  }
}

void World::build() {
  buildTargetGroups();
  buildLoadBalancers();
  buildAsgs();
  clusters = std::make_unique<Clusters>(*this, model);
  buildScenario();
}

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

void World::line(StringRef who, const std::string &what) {
  stateChanged = true;
  if (opts.timeline)
    *opts.timeline << llvm::format("%10s", fmtTime(sched.now()).c_str()) << "  "
                   << llvm::left_justify(who, 10) << "  " << what << "\n";
  if (opts.trace)
    trace("\"ev\":\"note\",\"who\":\"" + jsonEscape(who) + "\",\"text\":\"" + jsonEscape(what) +
          "\"");
}

void World::trace(const std::string &json) {
  *opts.trace << "{\"t\":" << sched.now() << "," << json << "}\n";
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
  case EvProbeSend: onProbeSend(t.id, uint32_t(t.arg)); break;
  case EvProbeResult: onProbeResult(t.id, t.arg); break;
  case EvDrainExpire: onDrainExpire(t.id, uint32_t(t.arg)); break;
  case EvBoot: boot(t.id); break;
  case EvAsgWake: {
    asgs[t.id].wakeScheduled = Never;
    std::vector<AsgCommand> more;
    asgs[t.id].scaler->onWake(sched.now(), more);
    apply(int(t.id), more);
    break;
  }
  case EvMetricTick: onMetricTick(); break;
  case EvScenario: onScenario(*events[t.id].res); break;
  case EvSpotStop:
    if (Instance *in = inst(t.id); in && in->running && !in->terminated)
      crash(t.id, "interrupted: spot capacity reclaimed");
    break;
  case EvSample: onSample(); break;
  case EvCluster: clusters->onWake(t); break;
  }
  // Health transitions, scaling activities and scenario events can change
  // what an expectation sees: judge the timed ones at once.
  if (stateChanged) {
    stateChanged = false;
    checkExpectations(false);
  }
}

void World::onSample() {
  Instant now = sched.now();
  if (now + SampleEvery <= end)
    sched.schedule(now + SampleEvery, {EvSample, 0, 0});
  checkExpectations(false);
  if (opts.statsEvery > 0 && now > 0 && now % opts.statsEvery == 0) {
    for (const LoadBalancer &b : lbs) {
      if (!b.requests)
        continue;
      line(b.name, std::to_string(b.requests) + " requests, " + std::to_string(b.errors5xx) +
                       " 5xx so far, p99 " + fmtDuration(b.latency.percentile(99)));
    }
    for (const TargetGroup &g : tgs) {
      bool served = false;
      for (const Target &t : g.state.targets)
        served |= t.served > 0;
      if (!served)
        continue; // Only the groups that carry traffic.
      std::string s;
      for (const Target &t : g.state.targets)
        if (t.state != TargetState::Unused)
          s += " " + name(t.instance) + "=" + stateName(t.state);
      line(g.name, "targets:" + (s.empty() ? std::string(" none") : s));
    }
    stateChanged = false;
  }
}

SimResult World::run() {
  SimResult res;
  seed = opts.seed ? *opts.seed : uint64_t(scenario.getInt("seed").value_or(1));
  rng.reseed(seed);
  res.seed = seed;
  build();
  end = opts.duration ? *opts.duration : millis(scenario.getInt("duration").value_or(60000));
  if (opts.timeline)
    *opts.timeline << "scenario '" << scenario.name << "': " << fmtTime(end)
                   << " of virtual time, seed " << seed << "\n";
  if (opts.trace)
    trace("\"ev\":\"start\",\"scenario\":\"" + jsonEscape(scenario.name) +
          "\",\"seed\":" + std::to_string(seed) + ",\"end\":" + std::to_string(end));
  // The stack is deployed before the scenario starts: clusters and
  // ensembles are up, the initial capacity is in service and healthy at 0s.
  clusters->start();
  for (size_t a = 0; a < asgs.size(); ++a) {
    std::vector<AsgCommand> cmds;
    asgs[a].scaler->start(0, cmds);
    apply(int(a), cmds);
  }
  prewarm = false;
  for (size_t i = 0; i < events.size(); ++i)
    sched.schedule(events[i].at, {EvScenario, uint32_t(i), 0});
  for (size_t li = 0; li < loads.size(); ++li) {
    Instant first = loads[li].traffic.nextArrival(0, rng);
    if (first != Never && first < end)
      sched.schedule(first, {EvArrival, uint32_t(li), 0});
  }
  bool policies = false;
  for (const Asg &a : asgs)
    policies |= !a.policies.empty();
  if (policies)
    sched.schedule(MetricTick, {EvMetricTick, 0, 0});
  sched.schedule(0, {EvSample, 0, 0});
  stateChanged = false;
  Timer t;
  while (sched.pop(end, t))
    dispatch(t);
  checkExpectations(true);
  if (opts.timeline)
    *opts.timeline << llvm::format("%10s", fmtTime(end).c_str()) << "  end\n";
  for (ExpState &s : exps) {
    Verdict v;
    v.expectation = "expect " + sourceText(s.e->range).str();
    if (StringRef(v.expectation).startswith("expect expect"))
      v.expectation = sourceText(s.e->range).str();
    v.kind = s.unsupported                 ? Verdict::Unsupported
             : s.failed                    ? Verdict::Fail
             : (s.within && !s.satisfied) ? Verdict::Fail
                                           : Verdict::Pass;
    v.detail = s.detail;
    if (opts.trace)
      trace(std::string("\"ev\":\"verdict\",\"expect\":\"") + jsonEscape(v.expectation) +
            "\",\"result\":\"" +
            (v.kind == Verdict::Pass   ? "pass"
             : v.kind == Verdict::Fail ? "fail"
                                       : "unsupported") +
            "\",\"detail\":\"" + jsonEscape(v.detail) + "\"");
    res.verdicts.push_back(std::move(v));
  }
  res.events = sched.deliveredCount();
  res.requests = requests;
  res.end = end;
  return res;
}

} // namespace sim

std::vector<const Resource *> scenarios(const Model &model) {
  return sim::topLevelOfKind(model, "scenario");
}

SimResult simulate(const Model &model, const Resource &scenario, const SimOptions &opts) {
  sim::World w(model, scenario, opts);
  return w.run();
}

} // namespace infrac::runtime

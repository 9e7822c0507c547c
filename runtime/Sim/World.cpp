//===- World.cpp - The simulated world: instances, load balancers, scenario -===//
//
// The world owns everything the controllers don't: instances and their
// request handling, the in-flight requests, clients and their cookies, the
// scenario's events and the metrics that expectations read. It turns
// scheduler events into controller calls and controller commands into
// scheduled events. Everything is iterated in declaration or index order.
//
//===----------------------------------------------------------------------===//

#include "Sim/Sim.h"

#include "Controllers/Controllers.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <cmath>

using namespace infrac::sema;
using llvm::StringRef;

namespace infrac::runtime {

namespace {

enum EventKind : uint32_t {
  EvArrival,
  EvComplete,
  EvProbeSend,
  EvProbeResult,
  EvDrainExpire,
  EvBoot,
  EvAsgWake,
  EvMetricTick,
  EvScenario,
  EvSpotStop,
  EvSample,
  EvEnd,
};

/// EC2 boot time of a launched instance, and the metric period.
constexpr Duration BootTime = seconds(30);
constexpr Duration MetricPeriod = seconds(60);
constexpr Duration SampleEvery = seconds(1);
constexpr Duration SpotNotice = seconds(120);
/// The load balancer's own processing time per request.
constexpr Duration LbOverhead = micros(500);

unsigned vcpusOf(StringRef type) {
  StringRef size = type.split('.').second;
  if (size.empty() || size == "nano" || size == "micro" || size == "small" || size == "medium" ||
      size == "large")
    return 2;
  if (size == "xlarge")
    return 4;
  unsigned n = 0;
  if (!size.consume_back("xlarge") || size.getAsInteger(10, n) || n == 0)
    return 2;
  return 4 * n;
}

struct Instance {
  uint32_t id = 0;
  int asg = -1;
  bool running = false;
  bool terminated = false;
  bool failHealth = false;
  bool spot = false;
  ServiceModel svc;
  unsigned vcpus = 2;
  Duration busy = 0; ///< CPU time used in the current metric period.
  uint64_t bytesIn = 0, bytesOut = 0;
  unsigned drainsPending = 0;
  bool sessionsInMemory = false;
};

struct TargetGroup {
  const Resource *res = nullptr;
  std::string name;
  TargetGroupState state;
  HealthChecker checker;
  Drainer drainer;
  TargetSelector selector;
  bool sticky = false;
  int stickyIndex = -1; ///< Into Client::cookies.
  uint64_t periodRequests = 0;
};

struct Listener {
  ListenerRouter router;
  std::string name;
};

struct LoadBalancer {
  const Resource *res = nullptr;
  std::string name;
  bool network = false;
  std::vector<Listener> listeners;
  uint64_t requests = 0, errors5xx = 0, sessionsLost = 0;
  std::vector<uint64_t> latencyMs; ///< Histogram by whole milliseconds.
};

struct Client {
  std::vector<StickyCookie> cookies;     ///< Per sticky target group.
  std::vector<GroupCookie> groupCookies; ///< Per weighted forward action.
  llvm::SmallVector<std::pair<uint32_t, uint32_t>, 2> sessionHome; ///< (tg, instance).
};

struct Load {
  explicit Load(LoadConfig c) : traffic(c) {}
  TrafficModel traffic;
  int lb = 0;
  int listener = 0;
  std::string host, path, query;
  std::vector<Header> headers;
  std::vector<Client> clients;
  uint32_t baseIp = 0;
};

struct InFlight {
  uint32_t gen = 0;
  bool live = false;
  uint32_t lb = 0, tg = 0, target = 0, instance = 0, client = 0, load = 0;
  int status = 200;
  Instant start = 0;
};

struct Asg {
  const Resource *res = nullptr;
  std::string name;
  std::unique_ptr<AutoScaler> scaler;
  std::vector<int> targetGroups;
  const Resource *app = nullptr;
  StringRef instanceType;
  Instant wakeScheduled = Never;
  std::vector<std::pair<int, const Resource *>> policyGroups; ///< Per policy: tg index.
};

struct TimedEvent {
  const Resource *res;
  Instant at;
};

std::string fmtTime(Instant t) {
  char buf[32];
  formatInstant(t, buf, sizeof buf);
  return buf;
}

std::string jsonEscape(StringRef s) {
  std::string out;
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

class World {
public:
  World(const Model &m, const Resource &sc, const SimOptions &o) : model(m), scenario(sc), opts(o) {}
  SimResult run();

private:
  // Building.
  void build();
  int tgIndex(const Resource *r) const;
  int lbIndex(const Resource *r) const;
  int asgIndex(const Resource *r) const;
  Action buildAction(const Value &v);
  void buildConditions(const Value &v, std::vector<Condition> &out);

  // Event handling.
  void dispatch(const Timer &t);
  void onArrival(uint32_t load);
  void finish(uint32_t slot, int status);
  void onProbeSend(uint32_t tg, uint32_t idx);
  void onProbeResult(uint32_t tg, uint64_t arg);
  void onDrainExpire(uint32_t tg, uint32_t idx);
  void onMetricTick();
  void onScenario(const Resource &ev);
  void onSample();

  // Instances and commands.
  void apply(int asg, std::vector<AsgCommand> &cmds);
  void registerTarget(int tg, uint32_t instance, bool prewarmed);
  void deregister(uint32_t instance, int asgOwner);
  void stopInstance(uint32_t instance, StringRef why);
  void scheduleAsgWake(int asg);
  Instance *inst(uint32_t id) {
    auto it = instanceIndex.find(id);
    return it == instanceIndex.end() ? nullptr : &instances[it->second];
  }
  std::vector<uint32_t> resolveInstances(const Value &v, bool spotOnly);
  void forEachRef(const Value &v, llvm::function_ref<void(const Value &)> fn);

  // Reporting.
  void line(StringRef who, const std::string &what);
  void traceLine(const std::string &json);
  std::string name(uint32_t id) const { return "i-" + std::to_string(id); }

  // Expectations.
  struct ExpState {
    const Expectation *e;
    Instant from = 0, until = Never;
    bool timed = false, within = false;
    bool satisfied = false, failed = false, unsupported = false;
    std::string detail;
  };
  std::optional<double> metric(const Value &call, std::string &shown, bool &unsupported);
  std::optional<bool> evaluate(const Value &cond, std::string &shown, bool &unsupported);
  void checkExpectations(bool atEnd);

  const Model &model;
  const Resource &scenario;
  const SimOptions &opts;
  SimScheduler sched;
  Rng rng{1};
  uint64_t seed = 1;
  Instant end = 0;

  std::vector<TargetGroup> tgs;
  std::vector<LoadBalancer> lbs;
  std::vector<Asg> asgs;
  std::vector<Instance> instances;
  llvm::DenseMap<uint32_t, uint32_t> instanceIndex;
  std::vector<Load> loads;
  std::vector<InFlight> slots;
  std::vector<uint32_t> freeSlots;
  std::vector<TimedEvent> events;
  std::vector<ExpState> exps;
  unsigned weightedActions = 0, stickyGroups = 0;
  uint64_t requests = 0;
  bool prewarm = true;
  std::vector<AsgCommand> scratch;
};

//===----------------------------------------------------------------------===//
// Building the world from the model
//===----------------------------------------------------------------------===//

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
      // AWSALBTG: a cookie slot per weighted action (unused when not sticky).
      a.status = int(weightedActions++);
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

std::vector<const Resource *> topLevelOfKind(const Model &m, StringRef kind) {
  std::vector<const Resource *> out;
  for (const Resource *r : m.resources)
    if (r->kind() == kind)
      out.push_back(r);
  return out;
}

void World::build() {
  // Target groups.
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
    if (proto == "tcp" || proto == "udp" || proto == "tls" || proto == "tcp_udp")
      sc.algorithm = SelectorConfig::WeightedRandom; // NLB: a flow hash per connection.
    sc.slowStart = millis(r->getInt("slow_start").value_or(0));
    if (const Resource *s = r->child("stickiness")) {
      if (s->getBool("enabled").value_or(true)) {
        StringRef type = s->getEnum("type");
        sc.stickiness = type == "app_cookie"  ? SelectorConfig::AppCookie
                        : type == "lb_cookie" ? SelectorConfig::LbCookie
                                              : SelectorConfig::SourceIp;
        sc.stickyDuration = millis(s->getInt("duration").value_or(86400000));
        g.sticky = sc.stickiness != SelectorConfig::SourceIp;
        if (g.sticky)
          g.stickyIndex = int(stickyGroups++);
      }
    }
    g.selector = TargetSelector(sc);
    tgs.push_back(std::move(g));
  }
  // Load balancers and listeners.
  for (const Resource *r : topLevelOfKind(model, "load_balancer")) {
    LoadBalancer lb;
    lb.res = r;
    lb.name = r->name.str();
    lb.network = r->getEnum("type") == "network";
    lb.latencyMs.assign(1 << 16, 0);
    for (const Resource *l : r->childrenOf("listener")) {
      std::vector<Rule> rules;
      for (const Resource *rr : l->childrenOf("rule")) {
        Rule rule;
        rule.name = rr->name.str();
        rule.priority = rr->getInt("priority").value_or(50000);
        if (const Value *w = rr->get("when"))
          buildConditions(*w, rule.conditions);
        if (const Value *t = rr->get("then"))
          rule.action = buildAction(*t);
        rules.push_back(std::move(rule));
      }
      Action def;
      if (const Value *d = l->get("default"))
        def = buildAction(*d);
      Listener lis;
      lis.router = ListenerRouter(std::move(rules), std::move(def));
      lis.name = l->name.str();
      lb.listeners.push_back(std::move(lis));
    }
    lbs.push_back(std::move(lb));
  }
  // Auto Scaling groups.
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
    std::vector<std::string> zones;
    if (const Value *subs = r->get("subnets"))
      for (const Value &s : subs->items)
        if (s.ref) {
          std::string z = s.ref->getString("zone").str();
          if (std::find(zones.begin(), zones.end(), z) == zones.end())
            zones.push_back(z);
        }
    c.zones = unsigned(std::max<size_t>(1, zones.size()));
    c.elbHealth = r->getEnum("health_check_type") == "elb";
    c.grace = millis(r->getInt("health_check_grace").value_or(0));
    c.cooldown = millis(r->getInt("cooldown").value_or(300000));
    c.defaultWarmup = millis(r->getInt("default_instance_warmup").value_or(0));
    c.capacityRebalance = r->getBool("capacity_rebalance").value_or(false);
    if (const Value *tp = r->get("termination_policies"))
      if (!tp->items.empty()) {
        StringRef first = tp->items[0].str;
        if (first == "oldest_instance")
          c.termination = AsgConfig::OldestInstance;
        else if (first == "newest_instance")
          c.termination = AsgConfig::NewestInstance;
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
        pc.target = t->kind == Value::Kind::Int ? double(t->i) : t->d;
      pc.disableScaleIn = p->getBool("disable_scale_in").value_or(false);
      if (auto w = p->getInt("warmup"))
        pc.warmup = millis(*w);
      StringRef adj = p->getEnum("adjustment_type");
      pc.adjustmentType = adj == "exact_capacity"               ? ScalingPolicyConfig::ExactCapacity
                          : adj == "percent_change_in_capacity" ? ScalingPolicyConfig::PercentChange
                                                                : ScalingPolicyConfig::ChangeInCapacity;
      pc.adjustment = p->getInt("adjustment").value_or(0);
      if (auto cd = p->getInt("cooldown"))
        pc.cooldown = millis(*cd);
      if (const Value *t = p->get("threshold"))
        pc.threshold = t->kind == Value::Kind::Int ? double(t->i) : t->d;
      StringRef cmp = p->getEnum("comparison");
      pc.comparison = cmp == "ge"   ? ScalingPolicyConfig::GE
                      : cmp == "lt" ? ScalingPolicyConfig::LT
                      : cmp == "le" ? ScalingPolicyConfig::LE
                                    : ScalingPolicyConfig::GT;
      pc.evaluationPeriods = unsigned(p->getInt("evaluation_periods").value_or(1));
      for (const Resource *s : p->childrenOf("step")) {
        StepAdjustment sa;
        if (const Value *lo = s->get("lower"))
          sa.lower = lo->kind == Value::Kind::Int ? double(lo->i) : lo->d;
        if (const Value *hi = s->get("upper"))
          sa.upper = hi->kind == Value::Kind::Int ? double(hi->i) : hi->d;
        sa.adjustment = s->getInt("adjustment").value_or(0);
        pc.steps.push_back(sa);
      }
      const Resource *tg = p->getRef("target_group");
      if (!tg && a.targetGroups.size() == 1)
        tg = tgs[a.targetGroups[0]].res;
      a.policyGroups.push_back({tg ? tgIndex(tg) : -1, p});
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
    a.scaler = std::make_unique<AutoScaler>(std::move(c));
    a.scaler->setIdBase(idBase);
    idBase += 1000;
    asgs.push_back(std::move(a));
  }
  // The scenario: loads, then timed events in time order (stable).
  for (const Resource *l : scenario.childrenOf("load")) {
    const Resource *lbRes = l->label.ref;
    int lb = lbIndex(lbRes);
    if (lb < 0)
      continue;
    LoadConfig lc;
    const Value *rate = l->get("rate");
    lc.rate = opts.rate ? *opts.rate : rate ? rate->d : 0;
    lc.start = millis(l->getInt("start").value_or(0));
    if (auto d = l->getInt("duration"))
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
    ld.path = l->getString("path").str();
    if (ld.path.empty())
      ld.path = "/";
    ld.host = l->getString("host").str();
    if (ld.host.empty())
      ld.host = lbs[lb].name + ".elb.amazonaws.com";
    ld.headers.push_back({"User-Agent", "infrac-sim/1.0"});
    ld.clients.resize(lc.clients);
    for (Client &c : ld.clients) {
      c.cookies.resize(stickyGroups);
      c.groupCookies.resize(weightedActions);
    }
    ld.baseIp = (203u << 24) | (0u << 16) | (113u << 8);
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

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

void World::line(StringRef who, const std::string &what) {
  if (opts.timeline)
    *opts.timeline << llvm::format("%10s", fmtTime(sched.now()).c_str()) << "  "
                   << llvm::left_justify(who, 10) << "  " << what << "\n";
  if (opts.trace)
    traceLine("\"ev\":\"note\",\"who\":\"" + jsonEscape(who) + "\",\"text\":\"" +
              jsonEscape(what) + "\"");
}

void World::traceLine(const std::string &json) {
  *opts.trace << "{\"t\":" << sched.now() << "," << json << "}\n";
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
  // Commands may produce more commands (through the controller); take them
  // one at a time in order.
  for (size_t k = 0; k < cmds.size(); ++k) {
    AsgCommand c = cmds[k];
    std::vector<AsgCommand> more;
    switch (c.kind) {
    case AsgCommand::Activity:
      line(g.name, c.text);
      break;
    case AsgCommand::Launch: {
      Instance in;
      in.id = c.instance;
      in.asg = a;
      in.spot = c.spot;
      in.vcpus = vcpusOf(g.instanceType);
      if (g.app) {
        in.svc.extra = millis(g.app->getInt("latency").value_or(0));
        if (const Value *er = g.app->get("error_rate"))
          in.svc.errorRate = er->d / 100.0;
        in.sessionsInMemory = g.app->getEnum("sessions") == "in_memory";
      }
      instanceIndex[in.id] = uint32_t(instances.size());
      instances.push_back(in);
      if (prewarm) {
        instances.back().running = true;
        g.scaler->onRunning(sched.now(), c.instance, more);
      } else {
        sched.schedule(sched.now() + BootTime, {EvBoot, c.instance, 0});
      }
      break;
    }
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
        stopInstance(c.instance, "");
        in->terminated = true;
      }
      g.scaler->onTerminated(sched.now(), c.instance, more);
      break;
    }
    }
    cmds.insert(cmds.begin() + k + 1, more.begin(), more.end());
  }
  cmds.clear();
  scheduleAsgWake(a);
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
    tt.state = TargetState::Healthy;
    tt.reason = Reason::None;
    tt.everHealthy = true;
    // Probes keep their own phase over the interval.
    first = sched.now() + Duration(rng.below(uint64_t(g.checker.config().interval)));
  } else {
    line(g.name, name(instance) + " registered: " + stateName(tt.state) + " (" +
                     reasonCode(tt.reason) + ")");
  }
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
    line(g.name, name(instance) + ": " + stateName(from) + " -> draining (" +
                     reasonCode(t.reason) + "), " + std::to_string(t.outstanding) +
                     " in flight, until " + fmtTime(until));
    sched.schedule(until, {EvDrainExpire, uint32_t(tgi), uint32_t(idx)});
    ++pending;
  }
  if (in)
    in->drainsPending += pending;
  if (pending == 0 && asgOwner >= 0) {
    std::vector<AsgCommand> more;
    asgs[asgOwner].scaler->onDrained(sched.now(), instance, more);
    apply(asgOwner, more);
  }
}

void World::stopInstance(uint32_t id, StringRef why) {
  Instance *in = inst(id);
  if (!in || !in->running)
    return;
  in->running = false;
  if (!why.empty())
    line("ec2", name(id) + " " + why.str());
  // Requests in flight on it are cut: the load balancer answers 502.
  for (uint32_t s = 0; s < slots.size(); ++s)
    if (slots[s].live && slots[s].instance == id)
      finish(s, 502);
  // The load balancer sees the instance stopped: its targets become unused.
  for (TargetGroup &g : tgs) {
    int idx = g.state.find(id);
    if (idx < 0 || g.state.targets[idx].state == TargetState::Draining)
      continue;
    Target &t = g.state.targets[idx];
    line(g.name, name(id) + ": " + stateName(t.state) + " -> unused (Target.InvalidState)");
    t.state = TargetState::Unused;
    t.reason = Reason::InvalidState;
    t.slowStartBegin = Never;
  }
  if (in->asg >= 0) {
    std::vector<AsgCommand> more;
    asgs[in->asg].scaler->onStopped(sched.now(), id, more);
    apply(in->asg, more);
  }
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
  if (lb.listeners.empty())
    return;
  Listener &lis = lb.listeners[ld.listener];
  Request req;
  req.host = ld.host;
  req.path = ld.path;
  req.query = ld.query;
  req.headers = ld.headers;
  req.sourceIp = ld.baseIp + ci;
  const Action &act = lis.router.action(lis.router.match(req));

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
  if (act.kind != Action::Forward) {
    f.status = act.status;
    sched.schedule(now + LbOverhead, {EvComplete, slot, f.gen});
    return;
  }
  GroupCookie *gc = act.groups.size() > 1 ? &client.groupCookies[act.status] : nullptr;
  size_t gi = ListenerRouter::chooseGroup(now, act, gc, rng);
  uint32_t tgi = act.groups[gi].group;
  TargetGroup &g = tgs[tgi];
  StickyCookie *cookie = g.sticky ? &client.cookies[g.stickyIndex] : nullptr;
  Selection sel = g.selector.select(now, g.state, cookie, rng, req.sourceIp);
  f.tg = tgi;
  if (sel.index < 0) {
    f.status = 503;
    sched.schedule(now + LbOverhead, {EvComplete, slot, f.gen});
    return;
  }
  Target &t = g.state.targets[sel.index];
  Instance *in = inst(t.instance);
  f.target = uint32_t(sel.index);
  f.instance = t.instance;
  ++t.outstanding;
  ++t.served;
  ++g.periodRequests;
  // Sessions kept in an instance's memory are lost when the client lands
  // elsewhere.
  if (in && in->sessionsInMemory) {
    bool found = false;
    for (auto &[tg, home] : client.sessionHome)
      if (tg == tgi) {
        found = true;
        if (home != t.instance) {
          ++lb.sessionsLost;
          home = t.instance;
        }
      }
    if (!found)
      client.sessionHome.push_back({tgi, t.instance});
  }
  if (!in || !in->running) {
    f.status = 502;
    sched.schedule(now + LbOverhead, {EvComplete, slot, f.gen});
    return;
  }
  Duration svc = in->svc.sample(rng);
  in->busy += in->svc.cpuPerRequest;
  in->bytesIn += 512;
  in->bytesOut += 2048;
  f.status = in->svc.errorRate > 0 && rng.uniform() < in->svc.errorRate ? 500 : 200;
  sched.schedule(now + LbOverhead + svc, {EvComplete, slot, f.gen});
}

void World::finish(uint32_t slot, int status) {
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
  Instant lat = now - f.start;
  lb.latencyMs[std::min<size_t>(size_t(lat / 1000), lb.latencyMs.size() - 1)]++;
  if (f.instance != ~0u) {
    Target &t = tgs[f.tg].state.targets[f.target];
    assert(t.outstanding > 0 && "completing a request that is not in flight");
    --t.outstanding;
  }
  if (opts.trace) {
    std::string s = "\"ev\":\"response\",\"lb\":\"" + lb.name + "\",\"client\":" +
                    std::to_string(f.client) + ",\"status\":" + std::to_string(status) +
                    ",\"latency_us\":" + std::to_string(lat);
    if (f.tg != ~0u)
      s += ",\"tg\":\"" + tgs[f.tg].name + "\"";
    if (f.instance != ~0u)
      s += ",\"target\":\"" + name(f.instance) + "\"";
    traceLine(s);
  }
}

//===----------------------------------------------------------------------===//
// Health checks and draining
//===----------------------------------------------------------------------===//

void World::onProbeSend(uint32_t tgi, uint32_t idx) {
  TargetGroup &g = tgs[tgi];
  Target &t = g.state.targets[idx];
  if (t.state == TargetState::Unused || t.state == TargetState::Draining ||
      t.state == TargetState::Unavailable)
    return; // The chain ends with the registration.
  Instant now = sched.now();
  sched.schedule(g.checker.nextProbe(now), {EvProbeSend, tgi, idx});
  Instance *in = inst(t.instance);
  ProbeResult r;
  Instant at = now + millis(1);
  if (!in || !in->running) {
    r.kind = ProbeResult::ConnectFailed;
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
  auto tr = g.checker.onProbeResult(sched.now(), t, r);
  if (!tr)
    return;
  std::string why = reasonCode(tr->reason);
  if (tr->reason == Reason::ResponseCodeMismatch)
    why += ": health checks failed with these codes: [" + std::to_string(tr->status) + "]";
  line(g.name, name(t.instance) + ": " + stateName(tr->from) + " -> " + stateName(tr->to) +
                   (why.empty() ? "" : " (" + why + ")"));
  if (opts.trace)
    traceLine("\"ev\":\"health\",\"tg\":\"" + g.name + "\",\"target\":\"" + name(t.instance) +
              "\",\"from\":\"" + stateName(tr->from) + "\",\"to\":\"" + stateName(tr->to) +
              "\",\"reason\":\"" + reasonCode(tr->reason) + "\"");
  if (tr->to == TargetState::Healthy) {
    g.selector.onHealthy(sched.now(), g.state, t);
    if (t.slowStartBegin != Never)
      line(g.name, name(t.instance) + " enters slow start");
  } else {
    t.slowStartBegin = Never;
  }
  Instance *in = inst(t.instance);
  if (in && in->asg >= 0) {
    std::vector<AsgCommand> more;
    asgs[in->asg].scaler->onElbHealth(sched.now(), t.instance, tr->to != TargetState::Unhealthy,
                                      more);
    apply(in->asg, more);
  }
}

void World::onDrainExpire(uint32_t tgi, uint32_t idx) {
  TargetGroup &g = tgs[tgi];
  Target &t = g.state.targets[idx];
  if (t.state != TargetState::Draining)
    return;
  unsigned cut = g.drainer.expire(sched.now(), t);
  uint32_t id = t.instance;
  line(g.name, name(id) + ": draining -> unused (" + reasonCode(t.reason) + ")" +
                   (cut ? ", " + std::to_string(cut) + " requests cut (502)" : ""));
  if (cut)
    for (uint32_t s = 0; s < slots.size(); ++s)
      if (slots[s].live && slots[s].tg == tgi && slots[s].target == idx)
        finish(s, 502);
  Instance *in = inst(id);
  if (in && in->drainsPending > 0 && --in->drainsPending == 0 && in->asg >= 0) {
    std::vector<AsgCommand> more;
    asgs[in->asg].scaler->onDrained(sched.now(), id, more);
    apply(in->asg, more);
  }
}

//===----------------------------------------------------------------------===//
// Metrics for scaling policies
//===----------------------------------------------------------------------===//

void World::onMetricTick() {
  Instant now = sched.now();
  sched.schedule(now + MetricPeriod, {EvMetricTick, 0, 0});
  for (size_t a = 0; a < asgs.size(); ++a) {
    Asg &g = asgs[a];
    const AutoScaler &s = *g.scaler;
    std::vector<AsgCommand> more;
    for (size_t p = 0; p < s.config().policies.size(); ++p) {
      const ScalingPolicyConfig &pc = s.config().policies[p];
      double sum = 0;
      unsigned counted = 0;
      if (pc.metric == Metric::RequestCountPerTarget) {
        int tgi = g.policyGroups[p].first;
        if (tgi < 0)
          continue;
        TargetGroup &tg = tgs[tgi];
        unsigned healthy = tg.state.count(TargetState::Healthy);
        if (healthy == 0)
          continue; // INSUFFICIENT_DATA: no scaling.
        sum = double(tg.periodRequests);
        counted = healthy;
      } else {
        for (const AsgInstance &i : s.instances()) {
          if (i.lifecycle != Lifecycle::InService || s.warming(now, i))
            continue;
          Instance *in = inst(i.id);
          if (!in)
            continue;
          ++counted;
          if (pc.metric == Metric::CpuUtilization)
            sum += 2.0 + 100.0 * double(in->busy) / (double(MetricPeriod) * in->vcpus);
          else if (pc.metric == Metric::NetworkIn)
            sum += double(in->bytesIn);
          else
            sum += double(in->bytesOut);
        }
        if (counted == 0)
          continue;
      }
      g.scaler->onDatapoint(now, p, sum / counted, more);
    }
    apply(int(a), more);
  }
  for (TargetGroup &tg : tgs)
    tg.periodRequests = 0;
  for (Instance &in : instances)
    in.busy = 0, in.bytesIn = in.bytesOut = 0;
}

//===----------------------------------------------------------------------===//
// Scenario events
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

std::vector<uint32_t> World::resolveInstances(const Value &v, bool spotOnly) {
  std::vector<uint32_t> out;
  forEachRef(v, [&](const Value &r) {
    int a = asgIndex(r.ref);
    if (a < 0) {
      line("scenario", "'" + r.ref->path.str() + "' is not simulated yet (only Auto Scaling "
                        "group instances are)");
      return;
    }
    const auto &all = asgs[a].scaler->instances();
    if (r.member() == "instances" && r.index() >= 0) {
      // The n-th instance the group launched: a stable identity.
      if (size_t(r.index()) < all.size())
        out.push_back(all[r.index()].id);
      else
        line("scenario", asgs[a].name + " has no instance [" + std::to_string(r.index()) + "]");
      return;
    }
    for (const AsgInstance &i : all)
      if (i.lifecycle == Lifecycle::InService && (!spotOnly || i.spot))
        out.push_back(i.id);
  });
  return out;
}

void World::onScenario(const Resource &ev) {
  Instant now = sched.now();
  std::string text = sourceText(ev.range).str();
  if (size_t nl = text.find('\n'); nl != std::string::npos)
    text = text.substr(0, nl);
  line("scenario", text);
  if (const Value *v = ev.get("kill"))
    for (uint32_t id : resolveInstances(*v, false))
      stopInstance(id, "killed");
  if (const Value *v = ev.get("recover"))
    for (uint32_t id : resolveInstances(*v, false)) {
      Instance *in = inst(id);
      if (in && !in->running && !in->terminated)
        in->running = true, line("ec2", name(id) + " recovered");
      else
        line("ec2", name(id) + " cannot recover: it was terminated");
    }
  if (const Value *v = ev.get("fail_health"))
    for (uint32_t id : resolveInstances(*v, false))
      if (Instance *in = inst(id)) {
        in->failHealth = true;
        line("ec2", name(id) + " now answers health checks with 500");
      }
  if (const Value *v = ev.get("restore_health"))
    for (uint32_t id : resolveInstances(*v, false))
      if (Instance *in = inst(id)) {
        in->failHealth = false;
        line("ec2", name(id) + " answers health checks with 200 again");
      }
  if (const Value *v = ev.get("deregister"))
    for (uint32_t id : resolveInstances(*v, false))
      deregister(id, -1);
  if (const Value *v = ev.get("interrupt"))
    for (uint32_t id : resolveInstances(*v, v->kind != Value::Kind::Ref || v->index() < 0)) {
      Instance *in = inst(id);
      if (!in || !in->running)
        continue;
      line("ec2", name(id) + ": spot interruption warning; it stops at " +
                      fmtTime(now + SpotNotice));
      sched.schedule(now + SpotNotice, {EvSpotStop, id, 0});
      if (in->asg >= 0) {
        std::vector<AsgCommand> more;
        asgs[in->asg].scaler->onSpotNotice(now, id, more);
        apply(in->asg, more);
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
      bool wasIdle = loads[li].traffic.config().rate <= 0;
      loads[li].traffic.setRate(r->d);
      if (wasIdle) {
        Instant next = loads[li].traffic.nextArrival(now, rng);
        if (next != Never && next < end)
          sched.schedule(next, {EvArrival, uint32_t(li), 0});
      }
    }
}

//===----------------------------------------------------------------------===//
// Expectations
//===----------------------------------------------------------------------===//

std::optional<double> World::metric(const Value &call, std::string &shown, bool &unsupported) {
  if (call.kind == Value::Kind::Int) {
    shown = std::to_string(call.i);
    return double(call.i);
  }
  if (call.kind == Value::Kind::Duration) {
    shown = std::to_string(call.i) + "ms";
    return double(call.i);
  }
  if (call.kind == Value::Kind::Percent || call.kind == Value::Kind::Number) {
    shown = std::to_string(call.d);
    return call.d;
  }
  if (call.kind == Value::Kind::Bool) {
    shown = call.b ? "true" : "false";
    return call.b ? 1.0 : 0.0;
  }
  if (call.kind != Value::Kind::Call || call.items.empty() || call.items[0].kind != Value::Kind::Ref)
    return std::nullopt;
  StringRef fn = call.str;
  const Resource *r = call.items[0].ref;
  std::string label = fn.str() + "(" + r->path.str() + ")";
  auto give = [&](double v, std::string text) {
    shown = label + " was " + text;
    return std::optional<double>(v);
  };
  if (fn == "healthy" || fn == "unhealthy") {
    int tg = tgIndex(r);
    if (tg < 0)
      return std::nullopt;
    unsigned n = tgs[tg].state.count(fn == "healthy" ? TargetState::Healthy
                                                     : TargetState::Unhealthy);
    return give(n, std::to_string(n));
  }
  if (fn == "capacity" || fn == "running") {
    int a = asgIndex(r);
    if (a < 0) {
      unsupported = true;
      return std::nullopt;
    }
    int64_t n = asgs[a].scaler->inService();
    if (fn == "running") {
      n = 0;
      for (const AsgInstance &i : asgs[a].scaler->instances())
        if (Instance *in = inst(i.id))
          n += in->running;
    }
    return give(double(n), std::to_string(n));
  }
  if (fn == "error_rate" || fn == "requests" || fn == "latency_p99" || fn == "sessions_lost") {
    int lb = lbIndex(r);
    if (lb < 0) {
      if (fn == "sessions_lost" && r->kind() == "session_store")
        return give(0, "0 (sessions in a store survive a server's loss)");
      unsupported = true;
      return std::nullopt;
    }
    LoadBalancer &b = lbs[lb];
    if (fn == "requests")
      return give(double(b.requests), std::to_string(b.requests));
    if (fn == "sessions_lost")
      return give(double(b.sessionsLost), std::to_string(b.sessionsLost));
    if (fn == "error_rate") {
      double pct = b.requests ? 100.0 * double(b.errors5xx) / double(b.requests) : 0.0;
      char buf[96];
      snprintf(buf, sizeof buf, "%.2f%% (%llu of %llu requests answered 5xx)", pct,
               (unsigned long long)b.errors5xx, (unsigned long long)b.requests);
      return give(pct, buf);
    }
    uint64_t want = (b.requests * 99 + 99) / 100, seen = 0;
    size_t ms = 0;
    for (; ms < b.latencyMs.size() && want; ++ms)
      if ((seen += b.latencyMs[ms]) >= want)
        break;
    return give(double(ms + 1), std::to_string(ms + 1) + "ms");
  }
  unsupported = true;
  shown = label + " is not simulated yet";
  return std::nullopt;
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

std::optional<bool> World::evaluate(const Value &cond, std::string &shown, bool &unsupported) {
  if (cond.kind == Value::Kind::Compare && cond.items.size() == 2) {
    std::string l, r;
    auto a = metric(cond.items[0], l, unsupported);
    auto b = metric(cond.items[1], r, unsupported);
    shown = l;
    if (!a || !b)
      return std::nullopt;
    return compare(cond.op, *a, *b);
  }
  if (cond.kind == Value::Kind::And) {
    bool all = true;
    for (const Value &c : cond.items) {
      std::string s;
      auto v = evaluate(c, s, unsupported);
      if (!v)
        return std::nullopt;
      if (!*v && all) {
        shown = s;
        all = false;
      }
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
    auto v = due ? evaluate(s.e->condition, shown, unsupported) : std::optional<bool>(false);
    if (!v) {
      s.unsupported = true;
      s.detail = shown.empty() ? "this expectation cannot be evaluated by the simulator yet"
                               : shown;
      continue;
    }
    if (s.within) {
      if (*v) {
        s.satisfied = true;
        s.detail = "held at " + fmtTime(now) + ": " + shown;
      } else if (now >= s.until || atEnd) {
        s.failed = true;
        s.detail = "never held between " + fmtTime(s.from) + " and " +
                   fmtTime(std::min(s.until, now)) + (shown.empty() ? "" : "; " + shown);
      } else {
        s.detail = shown;
      }
      continue;
    }
    if (!*v) {
      s.failed = true;
      s.detail = "failed at " + fmtTime(now) + ": " + shown;
    } else {
      s.satisfied = true;
      s.detail = shown;
    }
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
      std::string s = std::to_string(b.requests) + " requests, " + std::to_string(b.errors5xx) +
                      " 5xx so far";
      line(b.name, s);
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
  }
}

//===----------------------------------------------------------------------===//
// The loop
//===----------------------------------------------------------------------===//

void World::dispatch(const Timer &t) {
  switch (t.kind) {
  case EvArrival: onArrival(t.id); break;
  case EvComplete:
    if (slots[t.id].live && slots[t.id].gen == uint32_t(t.arg))
      finish(t.id, slots[t.id].status);
    break;
  case EvProbeSend: onProbeSend(t.id, uint32_t(t.arg)); break;
  case EvProbeResult: onProbeResult(t.id, t.arg); break;
  case EvDrainExpire: onDrainExpire(t.id, uint32_t(t.arg)); break;
  case EvBoot: {
    Instance *in = inst(t.id);
    if (!in || in->terminated)
      break;
    in->running = true;
    line("ec2", name(t.id) + " is running");
    if (in->asg >= 0) {
      std::vector<AsgCommand> more;
      asgs[in->asg].scaler->onRunning(sched.now(), t.id, more);
      apply(in->asg, more);
    }
    break;
  }
  case EvAsgWake: {
    asgs[t.id].wakeScheduled = Never;
    std::vector<AsgCommand> more;
    asgs[t.id].scaler->onWake(sched.now(), rng, more);
    apply(int(t.id), more);
    break;
  }
  case EvMetricTick: onMetricTick(); break;
  case EvScenario: onScenario(*events[t.id].res); break;
  case EvSpotStop: stopInstance(t.id, "interrupted (spot capacity reclaimed)"); break;
  case EvSample: onSample(); break;
  case EvEnd: break;
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
    *opts.timeline << "scenario '" << scenario.name << "': " << fmtTime(end) << " of virtual time, seed "
                   << seed << "\n";
  if (opts.trace)
    traceLine("\"ev\":\"start\",\"scenario\":\"" + jsonEscape(scenario.name) +
              "\",\"seed\":" + std::to_string(seed));
  // The stack is deployed before the scenario starts: the initial capacity is
  // in service and healthy at 0s.
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
  sched.schedule(MetricPeriod, {EvMetricTick, 0, 0});
  sched.schedule(0, {EvSample, 0, 0});
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
    v.kind = s.unsupported ? Verdict::Unsupported : s.failed ? Verdict::Fail
             : (s.within && !s.satisfied) ? Verdict::Fail : Verdict::Pass;
    v.detail = s.detail;
    if (opts.trace)
      traceLine(std::string("\"ev\":\"verdict\",\"expect\":\"") + jsonEscape(v.expectation) +
                "\",\"result\":\"" +
                (v.kind == Verdict::Pass ? "pass" : v.kind == Verdict::Fail ? "fail" : "unsupported") +
                "\",\"detail\":\"" + jsonEscape(v.detail) + "\"");
    res.verdicts.push_back(std::move(v));
  }
  res.events = sched.deliveredCount();
  res.requests = requests;
  res.end = end;
  return res;
}

} // namespace

std::vector<const Resource *> scenarios(const Model &model) {
  return topLevelOfKind(model, "scenario");
}

SimResult simulate(const Model &model, const Resource &scenario, const SimOptions &opts) {
  World w(model, scenario, opts);
  return w.run();
}

} // namespace infrac::runtime

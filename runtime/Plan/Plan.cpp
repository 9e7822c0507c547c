//===- Plan.cpp - From the checked model to the runtime's plan ------------===//

#include "Plan/Plan.h"

#include "Sema/Model.h"

#include <algorithm>

using namespace infrac::sema;
using llvm::StringRef;

namespace infrac::runtime {

const char *actionName(ActionKind k) {
  switch (k) {
  case ActionKind::Kill: return "kill";
  case ActionKind::Stop: return "stop";
  case ActionKind::Recover: return "recover";
  case ActionKind::FailHealth: return "fail_health";
  case ActionKind::RestoreHealth: return "restore_health";
  case ActionKind::Slow: return "slow";
  case ActionKind::Deregister: return "deregister";
  case ActionKind::Interrupt: return "interrupt";
  case ActionKind::Scale: return "scale";
  case ActionKind::Rate: return "rate";
  case ActionKind::LoseZone: return "lose_zone";
  case ActionKind::RestoreZone: return "restore_zone";
  }
  return "?";
}

const char *metricName(MetricId m) {
  switch (m) {
#define INFRAC_METRIC(Id, Name, Args, MinArgs, MaxArgs, Type, Doc)                                \
  case MetricId::Id:                                                                             \
    return Name;
#include "Basic/Metrics.def"
  }
  return "?";
}

const char *compareOpText(CompareOp op) {
  switch (op) {
  case CompareOp::EQ: return "==";
  case CompareOp::NE: return "!=";
  case CompareOp::LT: return "<";
  case CompareOp::LE: return "<=";
  case CompareOp::GT: return ">";
  case CompareOp::GE: return ">=";
  }
  return "?";
}

const char *verdictName(Verdict::Kind k) {
  switch (k) {
  case Verdict::Pass: return "pass";
  case Verdict::Fail: return "fail";
  case Verdict::Unsupported: return "unsupported";
  }
  return "?";
}

uint32_t Plan::zoneIndex(StringRef name) const {
  for (size_t i = 0; i < zones.size(); ++i)
    if (zones[i] == name)
      return uint32_t(i);
  return NoIndex;
}

std::vector<const Resource *> scenarios(const Model &model) {
  std::vector<const Resource *> out;
  for (const Resource *r : model.resources)
    if (r->kind() == "scenario")
      out.push_back(r);
  return out;
}

namespace {

StringRef sourceText(llvm::SMRange r) {
  if (!r.isValid())
    return {};
  return StringRef(r.Start.getPointer(), r.End.getPointer() - r.Start.getPointer());
}

double numberOf(const Value &v) {
  return v.kind == Value::Kind::Int || v.kind == Value::Kind::Duration ? double(v.i) : v.d;
}

std::string fmtMillis(int64_t ms) {
  char buf[32];
  formatDuration(millis(ms), buf, sizeof buf);
  return buf;
}

/// Builds a plan; the resources it has seen are kept to resolve references.
class PlanBuilder {
public:
  PlanBuilder(const Model &m, const PlanOptions &o) : model(m), opts(o) {}

  Plan build(const Resource *scenario) {
    targetGroups();
    loadBalancers();
    asgs();
    clusters();
    if (scenario)
      buildScenario(*scenario);
    return std::move(plan);
  }

private:
  std::vector<const Resource *> ofKind(StringRef kind) const {
    std::vector<const Resource *> out;
    for (const Resource *r : model.resources)
      if (r->kind() == kind)
        out.push_back(r);
    return out;
  }
  static uint32_t indexIn(const std::vector<const Resource *> &v, const Resource *r) {
    auto it = std::find(v.begin(), v.end(), r);
    return it == v.end() ? NoIndex : uint32_t(it - v.begin());
  }
  uint32_t zone(StringRef name) {
    uint32_t z = plan.zoneIndex(name);
    if (z != NoIndex)
      return z;
    plan.zones.push_back(name.str());
    return uint32_t(plan.zones.size() - 1);
  }

  void conditions(const Value &v, std::vector<Condition> &out);
  Action action(const Value &v);
  void targetGroups();
  void loadBalancers();
  void asgs();
  void clusters();
  void buildScenario(const Resource &sc);
  TargetRef target(const Value &r) const;
  void targets(const Value &v, std::vector<TargetRef> &out) const;
  Operand operand(const Value &v) const;
  ConditionPlan condition(const Value &v) const;

  const Model &model;
  const PlanOptions &opts;
  Plan plan;
  std::vector<const Resource *> tgRes, lbRes, asgRes, storeRes, emrRes, ensRes;
  std::vector<std::vector<const Resource *>> emrGroups; ///< Per cluster.
  std::vector<std::vector<const Resource *>> elections; ///< Per ensemble.
  std::vector<std::vector<const Resource *>> services;  ///< Per ensemble.
};

void PlanBuilder::conditions(const Value &v, std::vector<Condition> &out) {
  if (v.kind == Value::Kind::And) {
    for (const Value &x : v.items)
      conditions(x, out);
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

Action PlanBuilder::action(const Value &v) {
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
      uint32_t tg = indexIn(tgRes, ref->ref);
      if (tg == NoIndex)
        continue;
      f.group = tg;
      a.groups.push_back(f);
    }
    if (const NamedValue *s = v.field("stickiness"))
      a.groupStickiness = millis(s->value.i);
    if (a.groups.empty()) {
      a.kind = Action::FixedResponse;
      a.status = 503;
    } else if (a.groups.size() > 1) {
      a.id = plan.weightedActions++; // Its AWSALBTG slot in each client.
    }
    return a;
  }
  if (v.str == "redirect") {
    a.kind = Action::Redirect;
    const NamedValue *st = v.field("status");
    a.status = st ? int(st->value.i) : 301;
    auto part = [&](const char *name, std::string &out) {
      if (const NamedValue *f = v.field(name))
        out = f->value.kind == Value::Kind::Int ? std::to_string(f->value.i) : f->value.str.str();
      if (out == "keep")
        out.clear();
    };
    part("protocol", a.protocol);
    part("host", a.host);
    part("port", a.port);
    part("path", a.path);
    part("query", a.query);
    return a;
  }
  if (v.str == "fixed_response") {
    a.kind = Action::FixedResponse;
    const NamedValue *st = v.field("status");
    a.status = st ? int(st->value.i) : 200;
    if (const NamedValue *b = v.field("body"))
      a.text = b->value.str.str();
    if (const NamedValue *c = v.field("content_type"))
      a.contentType = c->value.str.str();
  }
  return a;
}

void PlanBuilder::targetGroups() {
  tgRes = ofKind("target_group");
  for (const Resource *r : tgRes) {
    TargetGroupPlan g;
    g.name = r->name.str();
    HealthCheckConfig &hc = g.health;
    if (const Resource *h = r->child("health_check")) {
      hc.enabled = h->getBool("enabled").value_or(true);
      hc.interval = millis(h->getInt("interval").value_or(30000));
      hc.timeout = millis(h->getInt("timeout").value_or(5000));
      hc.healthyThreshold = unsigned(h->getInt("healthy_threshold").value_or(5));
      hc.unhealthyThreshold = unsigned(h->getInt("unhealthy_threshold").value_or(2));
      StringRef m = h->getString("matcher");
      hc.matcher = m.empty() ? "200" : m.str();
      g.healthProtocol = h->getEnum("protocol").str();
      g.healthPath = h->getString("path").str();
      if (const Value *port = h->get("port"); port && port->kind == Value::Kind::Int)
        g.healthPort = port->i;
    }
    g.deregistrationDelay = millis(r->getInt("deregistration_delay").value_or(300000));
    SelectorConfig &sc = g.selector;
    StringRef alg = r->getEnum("algorithm");
    sc.algorithm = alg == "least_outstanding_requests" ? SelectorConfig::LeastOutstanding
                   : alg == "weighted_random"          ? SelectorConfig::WeightedRandom
                                                       : SelectorConfig::RoundRobin;
    StringRef proto = r->getEnum("protocol");
    g.protocol = proto.str();
    g.port = r->getInt("port").value_or(0);
    g.network = proto == "tcp" || proto == "udp" || proto == "tls" || proto == "tcp_udp";
    if (g.network) {
      // NLB: a flow hash per connection, which is a uniform random choice
      // for the short connections the traffic model makes.
      sc.algorithm = SelectorConfig::WeightedRandom;
      g.cutAtExpiry = r->getBool("connection_termination").value_or(false);
      g.proxyProtocolV2 = r->getBool("proxy_protocol_v2").value_or(false);
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
        g.appCookieName = s->getString("cookie_name").str();
        if (g.sticky)
          g.stickySlot = plan.stickyGroups++;
      }
    }
    if (opts.failOpen)
      sc.failOpen = *opts.failOpen;
    plan.targetGroups.push_back(std::move(g));
  }
}

void PlanBuilder::loadBalancers() {
  lbRes = ofKind("load_balancer");
  for (const Resource *r : lbRes) {
    LoadBalancerPlan lb;
    lb.name = r->name.str();
    lb.network = r->getEnum("type") == "network";
    lb.idleTimeout = millis(r->getInt("idle_timeout").value_or(60000));
    for (const Resource *l : r->childrenOf("listener")) {
      ListenerPlan lis;
      lis.name = l->name.str();
      lis.protocol = l->getEnum("protocol").str();
      lis.port = l->getInt("port").value_or(0);
      for (const Resource *rr : l->childrenOf("rule")) {
        Rule rule;
        rule.name = rr->name.str();
        rule.priority = rr->getInt("priority").value_or(50000);
        if (const Value *w = rr->get("when"))
          conditions(*w, rule.conditions);
        if (const Value *t = rr->get("then"))
          rule.action = action(*t);
        for (const Condition &c : rule.conditions)
          lis.sourceIpRules |= c.kind == Condition::SourceIp;
        lis.rules.push_back(std::move(rule));
      }
      if (const Value *d = l->get("default"))
        lis.defaultAction = action(*d);
      auto claim = [&](const Action &a) {
        for (const ForwardTarget &f : a.groups)
          if (plan.targetGroups[f.group].loadBalancer == NoIndex)
            plan.targetGroups[f.group].loadBalancer = uint32_t(plan.loadBalancers.size());
      };
      // The default first, then the rules (as the routers list them).
      claim(lis.defaultAction);
      for (const Rule &rule : lis.rules)
        claim(rule.action);
      lb.listeners.push_back(std::move(lis));
    }
    plan.loadBalancers.push_back(std::move(lb));
  }
}

void PlanBuilder::asgs() {
  storeRes = ofKind("session_store");
  for (const Resource *r : storeRes) {
    StorePlan s;
    s.name = r->name.str();
    s.replicated = r->getEnum("type") == "replicated";
    s.backupOnly = r->getEnum("replication") == "backup";
    s.ttl = millis(r->getInt("ttl").value_or(1800000));
    s.nodes = unsigned(std::max<int64_t>(1, r->getInt("nodes").value_or(1)));
    s.backend = r->getString("backend").str();
    plan.stores.push_back(s);
  }
  asgRes = ofKind("auto_scaling_group");
  for (const Resource *r : asgRes) {
    AsgPlan a;
    a.name = r->name.str();
    AsgConfig &c = a.config;
    c.name = a.name;
    c.min = r->getInt("min").value_or(1);
    c.max = r->getInt("max").value_or(c.min);
    c.desired = r->getInt("desired").value_or(c.min);
    if (opts.instances)
      c.min = c.max = c.desired = *opts.instances;
    if (const Value *subs = r->get("subnets"))
      for (const Value &s : subs->items)
        if (s.ref) {
          uint32_t z = zone(s.ref->getString("zone"));
          if (std::find(a.zones.begin(), a.zones.end(), z) == a.zones.end())
            a.zones.push_back(z);
        }
    if (a.zones.empty())
      a.zones.push_back(zone("default"));
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
        if (uint32_t i = indexIn(tgRes, g.ref); i != NoIndex)
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
      PolicyPlan pm;
      const Resource *tg = p->getRef("target_group");
      if (!tg && a.targetGroups.size() == 1)
        tg = tgRes[a.targetGroups[0]];
      pm.targetGroup = tg ? indexIn(tgRes, tg) : NoIndex;
      // Target tracking works on one-minute datapoints; alarms on their period.
      constexpr Duration MetricTick = seconds(10);
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
    const Resource *app = nullptr;
    if (const Resource *lt = r->getRef("launch_template")) {
      a.instanceType = lt->getString("instance_type").str();
      if (const Value *v = lt->get("app"))
        app = v->ref;
    }
    // vCPUs by size: large and below 2, xlarge 4, Nxlarge 4N.
    StringRef size = StringRef(a.instanceType).split('.').second;
    unsigned n = 0;
    if (size == "xlarge")
      a.vcpus = 4;
    else if (size.consume_back("xlarge") && !size.getAsInteger(10, n) && n > 0)
      a.vcpus = 4 * n;
    if (app) {
      AppPlan &ap = a.app;
      ap.kind = app->kind() == "command" || app->keyword == "command" ? AppPlan::Command
                                                                     : AppPlan::Echo;
      ap.latency = millis(app->getInt("latency").value_or(0));
      if (const Value *er = app->get("error_rate"))
        ap.errorRate = er->d / 100.0;
      StringRef s = app->getEnum("sessions");
      ap.sessions = s == "in_memory"    ? SessionStrategy::InMemory
                    : s == "replicated" ? SessionStrategy::Replicated
                    : s == "external"   ? SessionStrategy::External
                                        : SessionStrategy::None;
      if (const Resource *st = app->getRef("session_store")) {
        ap.store = indexIn(storeRes, st);
        if (ap.store != NoIndex && plan.stores[ap.store].replicated)
          plan.stores[ap.store].members = uint32_t(plan.asgs.size());
      }
      ap.command = app->getString("run").str();
      if (StringRef c = app->getString("session_cookie"); !c.empty())
        ap.sessionCookie = c.str();
      ap.port = app->getInt("port").value_or(0);
      ap.healthPath = app->getString("health_path").str();
    }
    plan.asgs.push_back(std::move(a));
  }
  // A replicated store's members: the group whose app uses it, or as written.
  for (size_t i = 0; i < storeRes.size(); ++i)
    if (const Resource *m = storeRes[i]->getRef("members"))
      plan.stores[i].members = indexIn(asgRes, m);
}

void PlanBuilder::clusters() {
  emrRes = ofKind("emr_cluster");
  for (const Resource *r : emrRes) {
    EmrPlan e;
    e.config.name = r->name.str();
    if (const Resource *sub = r->getRef("subnet"))
      e.zone = zone(sub->getString("zone"));
    emrGroups.emplace_back();
    for (const Resource *g : r->children) {
      if (g->kind() != "instance_group")
        continue;
      EmrGroupConfig gc;
      gc.role = g->keyword == "primary" ? NodeRole::Primary
                : g->keyword == "core"  ? NodeRole::Core
                                        : NodeRole::Task;
      gc.name = g->name.empty() ? g->keyword.str() : g->name.str();
      gc.count = unsigned(std::max<int64_t>(0, g->getInt("count").value_or(1)));
      gc.spot = g->getEnum("market") == "spot";
      e.config.groups.push_back(gc);
      emrGroups.back().push_back(g);
    }
    if (const Value *conf = r->get("configurations"))
      if (const NamedValue *hdfs = conf->field("hdfs-site"))
        if (const NamedValue *rep = hdfs->value.field("dfs.replication")) {
          unsigned n = 0;
          if (!rep->value.str.getAsInteger(10, n))
            e.config.replication = n;
        }
    plan.emrs.push_back(std::move(e));
  }
  ensRes = ofKind("coordination");
  auto members = [&](const Value *v) {
    MemberSource m;
    if (!v)
      return m;
    if (v->kind == Value::Kind::Int) {
      m.kind = MemberSource::Count;
      m.count = v->i;
      return m;
    }
    if (v->kind != Value::Kind::Ref || v->index() >= 0)
      return m;
    if (uint32_t a = indexIn(asgRes, v->ref); a != NoIndex) {
      m.kind = MemberSource::Asg;
      m.index = a;
    } else if (uint32_t c = indexIn(emrRes, v->ref); c != NoIndex) {
      m.kind = MemberSource::EmrPrimaries; // A whole cluster: its primaries fail over.
      m.index = c;
    } else {
      for (uint32_t c = 0; c < emrGroups.size(); ++c)
        if (uint32_t g = indexIn(emrGroups[c], v->ref); g != NoIndex) {
          m.kind = MemberSource::EmrGroup;
          m.index = c;
          m.group = g;
        }
    }
    return m;
  };
  for (const Resource *r : ensRes) {
    EnsemblePlan en;
    CoordinationConfig &cfg = en.config;
    cfg.name = r->name.str();
    cfg.servers = unsigned(std::max<int64_t>(1, r->getInt("ensemble").value_or(3)));
    cfg.tick = millis(r->getInt("tick").value_or(2000));
    cfg.sessionTimeout = millis(r->getInt("session_timeout").value_or(3 * 2000));
    cfg.initLimit = unsigned(r->getInt("init_limit").value_or(cfg.initLimit));
    cfg.syncLimit = unsigned(r->getInt("sync_limit").value_or(cfg.syncLimit));
    if (const Value *subs = r->get("subnets"))
      for (unsigned s = 0; !subs->items.empty() && s < cfg.servers; ++s)
        if (const Resource *sub = subs->items[s % subs->items.size()].ref)
          en.serverZones.push_back(zone(sub->getString("zone")));
    elections.emplace_back();
    services.emplace_back();
    for (const Resource *x : r->childrenOf("election")) {
      CoordinationConfig::Election e;
      e.name = x->name.str();
      e.path = x->getString("path").str();
      e.herd = x->getEnum("recipe") == "herd";
      cfg.elections.push_back(e);
      en.electionMembers.push_back(members(x->get("members")));
      elections.back().push_back(x);
    }
    for (const Resource *x : r->childrenOf("service")) {
      cfg.services.push_back({x->name.str(), x->getString("path").str()});
      en.serviceMembers.push_back(members(x->get("members")));
      services.back().push_back(x);
    }
    plan.ensembles.push_back(std::move(en));
  }
}

//===----------------------------------------------------------------------===//
// The scenario
//===----------------------------------------------------------------------===//

TargetRef PlanBuilder::target(const Value &r) const {
  TargetRef t;
  t.text = sourceText(r.range).str();
  t.path = r.ref->path.str();
  t.refKind = r.refKind().str();
  t.refIndex = r.index();
  StringRef member = r.member();
  const Resource *res = r.ref;
  if (uint32_t a = indexIn(asgRes, res); a != NoIndex) {
    t.object = a;
    if (member == "instances" && r.index() >= 0) {
      t.kind = TargetRef::AsgInstance;
      t.index = r.index();
    } else {
      t.kind = TargetRef::AsgGroup;
    }
    return t;
  }
  StringRef kind = res->kind();
  if (uint32_t s = indexIn(storeRes, res); s != NoIndex) {
    t.object = s;
    t.kind = TargetRef::Store;
    return t;
  }
  if (kind == "coordination" || kind == "election") {
    const Resource *owner = kind == "election" ? res->parent : res;
    uint32_t e = indexIn(ensRes, owner);
    if (e == NoIndex)
      return t;
    t.object = e;
    if (kind == "coordination") {
      if (member == "servers" && r.index() >= 0) {
        t.kind = TargetRef::EnsembleServer;
        t.index = r.index();
      } else {
        t.kind = member == "leader" ? TargetRef::EnsembleLeader : TargetRef::Ensemble;
      }
    } else {
      t.kind = member == "leader" ? TargetRef::ElectionLeader : TargetRef::Election;
      t.index = indexIn(elections[e], res);
    }
    return t;
  }
  if (kind == "emr_cluster" || kind == "instance_group") {
    const Resource *cluster = kind == "instance_group" ? res->parent : res;
    uint32_t c = indexIn(emrRes, cluster);
    if (c == NoIndex)
      return t;
    t.object = c;
    t.named = member == "nodes";
    t.node = t.named ? r.index() : -1;
    if (kind == "instance_group") {
      t.kind = TargetRef::EmrGroup;
      t.index = indexIn(emrGroups[c], res);
    } else {
      t.kind = TargetRef::EmrCluster;
    }
  }
  return t;
}

void PlanBuilder::targets(const Value &v, std::vector<TargetRef> &out) const {
  if (v.kind == Value::Kind::List) {
    for (const Value &x : v.items)
      targets(x, out);
    return;
  }
  if (v.kind == Value::Kind::Ref)
    out.push_back(target(v));
}

Operand PlanBuilder::operand(const Value &call) const {
  Operand o;
  switch (call.kind) {
  case Value::Kind::Int:
    o.kind = Operand::Constant;
    o.shown = std::to_string(call.i);
    o.value = double(call.i);
    return o;
  case Value::Kind::Duration:
    o.kind = Operand::Constant;
    o.shown = fmtMillis(call.i);
    o.value = double(millis(call.i));
    return o;
  case Value::Kind::Percent:
  case Value::Kind::Number: {
    char buf[32];
    snprintf(buf, sizeof buf, "%g%s", call.d, call.kind == Value::Kind::Percent ? "%" : "");
    o.kind = Operand::Constant;
    o.shown = buf;
    o.value = call.d;
    return o;
  }
  case Value::Kind::Bool:
    o.kind = Operand::Constant;
    o.shown = call.b ? "true" : "false";
    o.value = call.b ? 1.0 : 0.0;
    return o;
  case Value::Kind::Enum:
    // An EMR cluster's state: cluster_state(c) == terminated_with_errors.
    if (std::optional<EmrState> s = stateNamed(call.str)) {
      o.kind = Operand::Constant;
      o.shown = call.str.str();
      o.value = double(unsigned(*s));
    }
    return o;
  case Value::Kind::Ref:
    // An instance named in a comparison: served_by(lb, 7) == asg.instances[0].
    o.kind = Operand::Instance;
    o.instance = target(call);
    o.shown = sourceText(call.range).str();
    return o;
  default:
    break;
  }
  if (call.kind != Value::Kind::Call || call.items.empty() ||
      call.items[0].kind != Value::Kind::Ref)
    return o; // Unknown.
  StringRef fn = call.str;
  o.kind = Operand::Metric;
  o.shown = sourceText(call.range).str();
  const Resource *r = call.items[0].ref;
  if (o.shown.empty())
    o.shown = fn.str() + "(" + r->path.str() + ")";
  bool known = false;
#define INFRAC_METRIC(Id, Name, Args, MinArgs, MaxArgs, Type, Doc)                                \
  if (!known && fn == Name) {                                                                    \
    o.metric = MetricId::Id;                                                                     \
    known = true;                                                                                \
  }
#include "Basic/Metrics.def"
  if (!known) {
    o.kind = Operand::Unknown;
    return o;
  }
  if (fn.startswith("latency_p"))
    fn.drop_front(9).getAsDouble(o.percentile);
  if (call.items.size() > 1)
    o.arg = call.items[1].i;
  ObjectRef &obj = o.object;
  if (uint32_t i = indexIn(tgRes, r); i != NoIndex)
    obj = {ObjectRef::TargetGroup, i, 0};
  else if (uint32_t i = indexIn(asgRes, r); i != NoIndex)
    obj = {ObjectRef::Asg, i, 0};
  else if (uint32_t i = indexIn(lbRes, r); i != NoIndex)
    obj = {ObjectRef::LoadBalancer, i, 0};
  else if (uint32_t i = indexIn(storeRes, r); i != NoIndex)
    obj = {ObjectRef::Store, i, 0};
  else if (uint32_t i = indexIn(emrRes, r); i != NoIndex)
    obj = {ObjectRef::EmrCluster, i, 0};
  else if (uint32_t i = indexIn(ensRes, r); i != NoIndex)
    obj = {ObjectRef::Ensemble, i, 0};
  else if (r->kind() == "election") {
    uint32_t e = indexIn(ensRes, r->parent);
    if (e != NoIndex)
      obj = {ObjectRef::Election, e, indexIn(elections[e], r)};
  } else if (r->kind() == "service") {
    uint32_t e = indexIn(ensRes, r->parent);
    if (e != NoIndex)
      obj = {ObjectRef::Service, e, indexIn(services[e], r)};
  } else if (r->kind() == "instance_group") {
    uint32_t c = indexIn(emrRes, r->parent);
    if (c != NoIndex)
      obj = {ObjectRef::EmrGroup, c, indexIn(emrGroups[c], r)};
  }
  return o;
}

ConditionPlan PlanBuilder::condition(const Value &cond) const {
  ConditionPlan c;
  if (cond.kind == Value::Kind::Compare && cond.items.size() == 2) {
    c.kind = ConditionPlan::Compare;
    c.op = CompareOp(unsigned(cond.op));
    c.operands.push_back(operand(cond.items[0]));
    c.operands.push_back(operand(cond.items[1]));
    return c;
  }
  if (cond.kind == Value::Kind::And) {
    c.kind = ConditionPlan::And;
    for (const Value &x : cond.items)
      c.parts.push_back(condition(x));
    return c;
  }
  c.kind = ConditionPlan::Single;
  c.operands.push_back(operand(cond));
  return c;
}

void PlanBuilder::buildScenario(const Resource &sc) {
  ScenarioPlan s;
  s.name = sc.name.str();
  s.seed = opts.seed ? *opts.seed : uint64_t(sc.getInt("seed").value_or(1));
  s.end = opts.duration ? *opts.duration : millis(sc.getInt("duration").value_or(60000));
  plan.clientsPerLoadBalancer.assign(plan.loadBalancers.size(), 0);
  for (const Resource *l : sc.childrenOf("load")) {
    const Resource *lb = l->label.ref;
    uint32_t lbi = indexIn(lbRes, lb);
    if (lbi == NoIndex)
      continue;
    LoadPlan ld;
    LoadConfig &lc = ld.traffic;
    const Value *rate = l->get("rate");
    lc.rate = opts.rate ? *opts.rate : rate ? rate->d : 0;
    lc.start = millis(l->getInt("start").value_or(0));
    if (auto d = l->getInt("duration"); d && !opts.duration)
      lc.end = lc.start + millis(*d);
    lc.ramp = millis(l->getInt("ramp").value_or(0));
    lc.clients = uint32_t(std::max<int64_t>(1, l->getInt("clients").value_or(100)));
    ld.loadBalancer = lbi;
    if (const Resource *lis = l->getRef("listener")) {
      auto ls = lb->childrenOf("listener");
      for (size_t i = 0; i < ls.size(); ++i)
        if (ls[i] == lis)
          ld.listener = uint32_t(i);
    }
    if (const Value *ps = l->get("paths"))
      for (const Value &p : ps->items)
        ld.paths.push_back(p.str.str());
    if (ld.paths.empty()) {
      StringRef p = l->getString("path");
      ld.paths.push_back(p.empty() ? "/" : p.str());
    }
    ld.method = l->getString("method").str();
    ld.body = l->getString("body").str();
    if (ld.method.empty())
      ld.method = "GET";
    ld.query = l->getString("query").str();
    ld.host = l->getString("host").str();
    if (ld.host.empty())
      ld.host = plan.loadBalancers[lbi].name + ".elb.amazonaws.com";
    bool userAgent = false;
    if (const Value *hs = l->get("headers"))
      for (const NamedValue &h : hs->fields) {
        ld.headers.push_back({h.name.str(), h.value.str.str()});
        userAgent |= h.name.equals_insensitive("user-agent");
      }
    if (!userAgent)
      ld.headers.push_back({"User-Agent", "infrac-sim/1.0"});
    // Clients come from 203.0.113.0/24 and up (TEST-NET-3), one address each.
    ld.baseIp = (203u << 24) | (0u << 16) | (113u << 8);
    ld.firstClient = plan.clientsPerLoadBalancer[lbi];
    plan.clientsPerLoadBalancer[lbi] += lc.clients;
    s.loads.push_back(std::move(ld));
  }
  for (const Resource *ev : sc.childrenOf("at")) {
    EventPlan e;
    e.at = millis(ev->label.i);
    e.text = sourceText(ev->range).str();
    if (size_t nl = e.text.find('\n'); nl != std::string::npos)
      e.text = e.text.substr(0, nl) + " ...";
    // The order in which the runtime applies an event's actions.
    static const std::pair<const char *, ActionKind> onRefs[] = {
        {"kill", ActionKind::Kill},
        {"stop", ActionKind::Stop},
        {"recover", ActionKind::Recover},
        {"fail_health", ActionKind::FailHealth},
        {"restore_health", ActionKind::RestoreHealth},
        {"slow", ActionKind::Slow},
        {"deregister", ActionKind::Deregister},
        {"interrupt", ActionKind::Interrupt},
    };
    for (auto [key, kind] : onRefs)
      if (const Value *v = ev->get(key)) {
        ActionPlan a;
        a.kind = kind;
        targets(*v, a.targets);
        if (kind == ActionKind::Slow)
          a.latency = millis(ev->getInt("latency").value_or(1000));
        e.actions.push_back(std::move(a));
      }
    if (const Resource *asg = ev->getRef("scale"))
      if (uint32_t a = indexIn(asgRes, asg); a != NoIndex) {
        ActionPlan ap;
        ap.kind = ActionKind::Scale;
        ap.asg = a;
        ap.desired = ev->getInt("desired");
        e.actions.push_back(std::move(ap));
      }
    if (const Value *r = ev->get("rate")) {
      ActionPlan ap;
      ap.kind = ActionKind::Rate;
      ap.rate = r->d;
      e.actions.push_back(std::move(ap));
    }
    for (bool lose : {true, false}) {
      StringRef z = ev->getString(lose ? "lose_zone" : "restore_zone");
      if (z.empty())
        continue;
      ActionPlan ap;
      ap.kind = lose ? ActionKind::LoseZone : ActionKind::RestoreZone;
      ap.zone = zone(z);
      e.actions.push_back(std::move(ap));
    }
    s.events.push_back(std::move(e));
  }
  std::stable_sort(s.events.begin(), s.events.end(),
                   [](const EventPlan &a, const EventPlan &b) { return a.at < b.at; });
  for (const Expectation &e : sc.expectations) {
    ExpectationPlan x;
    x.text = "expect " + sourceText(e.range).str();
    if (StringRef(x.text).startswith("expect expect"))
      x.text = sourceText(e.range).str();
    x.condition = condition(e.condition);
    if (e.after.isSet())
      x.from = millis(e.after.i);
    if (e.within.isSet()) {
      x.within = true;
      x.until = x.from + millis(e.within.i);
    }
    x.timed = e.after.isSet() || e.within.isSet();
    s.expectations.push_back(std::move(x));
  }
  plan.scenario = std::move(s);
}

} // namespace

std::optional<ActionKind> parseAction(StringRef name) {
  for (unsigned k = 0; k <= unsigned(ActionKind::RestoreZone); ++k)
    if (name == actionName(ActionKind(k)))
      return ActionKind(k);
  return std::nullopt;
}

std::optional<TargetRef> parseTarget(const Plan &plan, StringRef text, std::string &error) {
  TargetRef t;
  t.text = text.str();
  StringRef rest = text.trim();
  // i-N: an instance by its id.
  if (rest.consume_front("i-")) {
    uint32_t id = 0;
    if (rest.getAsInteger(10, id) || id == 0) {
      error = "'" + text.str() + "' is not an instance id (i-1, i-2, ...)";
      return std::nullopt;
    }
    t.kind = TargetRef::InstanceId;
    t.object = id;
    t.refKind = "instance";
    t.path = text.str();
    return t;
  }
  // NAME(.member)*, a member possibly indexed: "x.instances[2]".
  llvm::SmallVector<StringRef, 4> parts;
  rest.split(parts, '.');
  int64_t index = -1;
  StringRef last = parts.back();
  if (last.endswith("]")) {
    auto [name, idx] = last.drop_back().split('[');
    if (idx.getAsInteger(10, index) || index < 0) {
      error = "'" + text.str() + "': the index must be a whole number";
      return std::nullopt;
    }
    parts.back() = name;
  }
  t.refIndex = index;
  auto fail = [&](const std::string &why) {
    error = "'" + text.str() + "': " + why;
    return std::nullopt;
  };
  for (uint32_t a = 0; a < plan.asgs.size(); ++a)
    if (parts[0] == plan.asgs[a].name) {
      t.object = a;
      t.path = plan.asgs[a].name;
      if (parts.size() == 1 && index < 0) {
        t.kind = TargetRef::AsgGroup;
        t.refKind = "auto_scaling_group";
        return t;
      }
      if (parts.size() == 2 && parts[1] == "instances" && index >= 0) {
        t.kind = TargetRef::AsgInstance;
        t.index = index;
        t.refKind = "instance";
        return t;
      }
      return fail("write '" + plan.asgs[a].name + "' or '" + plan.asgs[a].name +
                  ".instances[N]'");
    }
  for (uint32_t s = 0; s < plan.stores.size(); ++s)
    if (parts[0] == plan.stores[s].name) {
      if (parts.size() > 1 || index >= 0)
        return fail("a session store is named alone: '" + plan.stores[s].name + "'");
      t.kind = TargetRef::Store;
      t.object = s;
      t.path = plan.stores[s].name;
      t.refKind = "session_store";
      return t;
    }
  for (uint32_t e = 0; e < plan.ensembles.size(); ++e) {
    const CoordinationConfig &c = plan.ensembles[e].config;
    if (parts[0] != c.name)
      continue;
    t.object = e;
    t.path = c.name;
    if (parts.size() == 1) {
      t.kind = TargetRef::Ensemble;
      t.refKind = "coordination";
      return t;
    }
    if (parts.size() == 2 && parts[1] == "servers" && index >= 0) {
      if (uint64_t(index) >= c.servers)
        return fail("the ensemble has " + std::to_string(c.servers) + " servers");
      t.kind = TargetRef::EnsembleServer;
      t.index = index;
      t.refKind = "server";
      return t;
    }
    if (parts.size() == 2 && parts[1] == "leader") {
      t.kind = TargetRef::EnsembleLeader;
      t.refKind = "server";
      return t;
    }
    for (uint32_t k = 0; k < c.elections.size(); ++k)
      if (parts[1] == c.elections[k].name) {
        t.index = k;
        t.path = c.name + "." + c.elections[k].name;
        t.kind = parts.size() == 3 && parts[2] == "leader" ? TargetRef::ElectionLeader
                                                           : TargetRef::Election;
        t.refKind = "member";
        return t;
      }
    return fail("no server, leader or election of that name in '" + c.name + "'");
  }
  for (uint32_t c = 0; c < plan.emrs.size(); ++c) {
    const EmrConfig &cfg = plan.emrs[c].config;
    if (parts[0] != cfg.name)
      continue;
    t.object = c;
    t.path = cfg.name;
    t.refKind = "node";
    size_t at = 1;
    t.kind = TargetRef::EmrCluster;
    if (parts.size() > 1 && parts[1] != "nodes") {
      for (uint32_t g = 0; g < cfg.groups.size(); ++g)
        if (parts[1] == cfg.groups[g].name) {
          t.kind = TargetRef::EmrGroup;
          t.index = g;
          t.path += "." + cfg.groups[g].name;
        }
      if (t.kind != TargetRef::EmrGroup)
        return fail("no instance group of that name in '" + cfg.name + "'");
      at = 2;
    }
    if (parts.size() > at) {
      if (parts[at] != "nodes" || parts.size() > at + 1)
        return fail("write a group, then '.nodes[N]'");
      t.named = true;
      t.node = index;
    }
    return t;
  }
  return fail("names no Auto Scaling group, instance, session store, coordination ensemble or "
              "EMR cluster");
}

Plan buildPlan(const Model &model, const Resource *scenario, const PlanOptions &opts) {
  return PlanBuilder(model, opts).build(scenario);
}

} // namespace infrac::runtime

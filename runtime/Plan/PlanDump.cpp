//===- PlanDump.cpp - A stable text dump of the plan ----------------------===//
//
// `infrac sim FILE --emit=plan`: every configuration the runtime was given,
// by index, in plan order, in the runtime's units (durations as the
// timeline prints them), so each stage of the runtime can be checked alone.
//
//===----------------------------------------------------------------------===//

#include "Plan/Plan.h"

#include "llvm/Support/Format.h"

using llvm::raw_ostream;

namespace infrac::runtime {

namespace {

std::string dur(Duration d) {
  if (d == Never)
    return "never";
  char buf[32];
  if (d % seconds(1) == 0)
    snprintf(buf, sizeof buf, "%llds", (long long)(d / seconds(1)));
  else if (d % millis(1) == 0)
    snprintf(buf, sizeof buf, "%lldms", (long long)(d / millis(1)));
  else
    snprintf(buf, sizeof buf, "%lldus", (long long)d);
  return buf;
}

std::string num(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

const char *algorithmName(SelectorConfig::Algorithm a) {
  switch (a) {
  case SelectorConfig::RoundRobin: return "round_robin";
  case SelectorConfig::LeastOutstanding: return "least_outstanding_requests";
  case SelectorConfig::WeightedRandom: return "weighted_random";
  }
  return "?";
}

const char *stickinessName(SelectorConfig::Stickiness s) {
  switch (s) {
  case SelectorConfig::None: return "none";
  case SelectorConfig::LbCookie: return "lb_cookie";
  case SelectorConfig::AppCookie: return "app_cookie";
  case SelectorConfig::SourceIp: return "source_ip";
  }
  return "?";
}

const char *conditionName(Condition::Kind k) {
  switch (k) {
  case Condition::Path: return "path";
  case Condition::Host: return "host";
  case Condition::Header: return "header";
  case Condition::Method: return "method";
  case Condition::Query: return "query";
  case Condition::SourceIp: return "source_ip";
  }
  return "?";
}

const char *refKindName(TargetRef::Kind k) {
  switch (k) {
  case TargetRef::AsgInstance: return "asg-instance";
  case TargetRef::AsgGroup: return "asg";
  case TargetRef::EnsembleServer: return "ensemble-server";
  case TargetRef::EnsembleLeader: return "ensemble-leader";
  case TargetRef::Ensemble: return "ensemble";
  case TargetRef::ElectionLeader: return "election-leader";
  case TargetRef::Election: return "election";
  case TargetRef::EmrGroup: return "emr-group";
  case TargetRef::EmrCluster: return "emr-cluster";
  case TargetRef::InstanceId: return "instance-id";
  case TargetRef::Store: return "store";
  case TargetRef::Other: return "other";
  }
  return "?";
}

const char *objectKindName(ObjectRef::Kind k) {
  switch (k) {
  case ObjectRef::None: return "none";
  case ObjectRef::TargetGroup: return "target_group";
  case ObjectRef::Asg: return "asg";
  case ObjectRef::LoadBalancer: return "load_balancer";
  case ObjectRef::Store: return "store";
  case ObjectRef::EmrCluster: return "emr_cluster";
  case ObjectRef::EmrGroup: return "emr_group";
  case ObjectRef::Ensemble: return "ensemble";
  case ObjectRef::Election: return "election";
  case ObjectRef::Service: return "service";
  }
  return "?";
}

void dumpAction(const Action &a, raw_ostream &os) {
  switch (a.kind) {
  case Action::Forward:
    os << "forward(";
    for (size_t i = 0; i < a.groups.size(); ++i)
      os << (i ? ", " : "") << "tg#" << a.groups[i].group << ": " << a.groups[i].weight;
    os << ")";
    if (a.groupStickiness)
      os << " group-stickiness " << dur(a.groupStickiness);
    if (a.groups.size() > 1)
      os << " slot " << a.id;
    return;
  case Action::Redirect:
    os << "redirect " << a.status;
    return;
  case Action::FixedResponse:
    os << "fixed_response " << a.status;
    if (!a.text.empty())
      os << " \"" << a.text << "\"";
    return;
  }
}

void dumpTarget(const TargetRef &t, raw_ostream &os) {
  os << refKindName(t.kind) << "#" << t.object;
  if (t.index >= 0)
    os << "[" << t.index << "]";
  if (t.node >= 0)
    os << " node " << t.node;
  os << " '" << t.text << "'";
}

void dumpOperand(const Operand &o, raw_ostream &os) {
  switch (o.kind) {
  case Operand::Constant:
    os << o.shown;
    return;
  case Operand::Instance:
    os << "instance ";
    dumpTarget(o.instance, os);
    return;
  case Operand::Unknown:
    os << "?";
    return;
  case Operand::Metric:
    os << metricName(o.metric) << "(" << objectKindName(o.object.kind) << "#" << o.object.index;
    if (o.object.kind == ObjectRef::EmrGroup || o.object.kind == ObjectRef::Election ||
        o.object.kind == ObjectRef::Service)
      os << "." << o.object.sub;
    if (o.arg >= 0)
      os << ", " << o.arg;
    os << ")";
    return;
  }
}

void dumpCondition(const ConditionPlan &c, raw_ostream &os) {
  switch (c.kind) {
  case ConditionPlan::Compare:
    dumpOperand(c.operands[0], os);
    os << " " << compareOpText(c.op) << " ";
    dumpOperand(c.operands[1], os);
    return;
  case ConditionPlan::And:
    for (size_t i = 0; i < c.parts.size(); ++i) {
      os << (i ? " and " : "");
      dumpCondition(c.parts[i], os);
    }
    return;
  case ConditionPlan::Single:
    dumpOperand(c.operands[0], os);
    return;
  }
}

} // namespace

void dumpPlan(const Plan &p, raw_ostream &os) {
  os << "zones:";
  for (size_t i = 0; i < p.zones.size(); ++i)
    os << " #" << i << " " << p.zones[i];
  os << "\n";
  for (size_t i = 0; i < p.targetGroups.size(); ++i) {
    const TargetGroupPlan &g = p.targetGroups[i];
    const HealthCheckConfig &h = g.health;
    os << "target_group #" << i << " " << g.name << ": " << g.protocol << ":" << g.port
       << (g.network ? " network" : "") << ", lb #";
    if (g.loadBalancer == NoIndex)
      os << "none";
    else
      os << g.loadBalancer;
    os << "\n  health " << (h.enabled ? "on" : "off") << " every " << dur(h.interval)
       << " timeout " << dur(h.timeout) << " healthy " << h.healthyThreshold << " unhealthy "
       << h.unhealthyThreshold << " matcher " << h.matcher;
    if (!g.healthPath.empty())
      os << " path " << g.healthPath;
    os << "\n  " << algorithmName(g.selector.algorithm) << ", slow start "
       << dur(g.selector.slowStart) << ", deregistration delay " << dur(g.deregistrationDelay)
       << (g.cutAtExpiry ? " (cut at expiry)" : "") << ", stickiness "
       << stickinessName(g.selector.stickiness);
    if (g.selector.stickiness != SelectorConfig::None)
      os << " " << dur(g.selector.stickyDuration);
    if (g.sticky)
      os << " slot " << g.stickySlot;
    os << (g.selector.failOpen ? ", fail open" : ", no fail open") << "\n";
  }
  for (size_t i = 0; i < p.loadBalancers.size(); ++i) {
    const LoadBalancerPlan &b = p.loadBalancers[i];
    os << "load_balancer #" << i << " " << b.name << ": " << (b.network ? "network" : "application")
       << ", idle timeout " << dur(b.idleTimeout) << "\n";
    for (size_t l = 0; l < b.listeners.size(); ++l) {
      const ListenerPlan &lis = b.listeners[l];
      os << "  listener #" << l << " " << lis.name << ": " << lis.protocol << ":" << lis.port
         << "\n";
      for (const Rule &r : lis.rules) {
        os << "    rule " << r.name << " priority " << r.priority << ":";
        for (const Condition &c : r.conditions) {
          os << " " << conditionName(c.kind) << "(";
          if (!c.key.empty())
            os << c.key << ": ";
          for (size_t v = 0; v < c.values.size(); ++v)
            os << (v ? ", " : "") << c.values[v];
          os << ")";
        }
        os << " -> ";
        dumpAction(r.action, os);
        os << "\n";
      }
      os << "    default -> ";
      dumpAction(lis.defaultAction, os);
      os << "\n";
    }
  }
  for (size_t i = 0; i < p.stores.size(); ++i) {
    const StorePlan &s = p.stores[i];
    os << "session_store #" << i << " " << s.name << ": "
       << (s.replicated ? (s.backupOnly ? "replicated (backup)" : "replicated (all to all)")
                        : "external")
       << ", ttl " << dur(s.ttl);
    if (s.members != NoIndex)
      os << ", members asg #" << s.members;
    os << "\n";
  }
  for (size_t i = 0; i < p.asgs.size(); ++i) {
    const AsgPlan &a = p.asgs[i];
    const AsgConfig &c = a.config;
    os << "asg #" << i << " " << a.name << ": min " << c.min << " desired " << c.desired
       << " max " << c.max << ", zones";
    for (uint32_t z : a.zones)
      os << " #" << z;
    os << ", target groups";
    for (uint32_t t : a.targetGroups)
      os << " #" << t;
    os << "\n  health " << (c.elbHealth ? "elb" : "ec2") << " grace " << dur(c.grace)
       << ", cooldown " << dur(c.cooldown) << ", warm-up " << dur(c.defaultWarmup)
       << (c.capacityRebalance ? ", capacity rebalance" : "") << ", on-demand base "
       << c.onDemandBase << " and " << num(c.onDemandPercent) << "%\n";
    os << "  instances " << (a.instanceType.empty() ? "?" : a.instanceType) << " (" << a.vcpus
       << " vCPU), app ";
    switch (a.app.kind) {
    case AppPlan::None: os << "none"; break;
    case AppPlan::Echo: os << "echo"; break;
    case AppPlan::Command: os << "command \"" << a.app.command << "\""; break;
    }
    if (a.app.kind != AppPlan::None) {
      os << " port " << a.app.port << " latency " << dur(a.app.latency) << " errors "
         << num(a.app.errorRate * 100) << "% sessions " << strategyName(a.app.sessions);
      if (a.app.store != NoIndex)
        os << " store #" << a.app.store;
    }
    os << "\n";
    for (size_t k = 0; k < c.policies.size(); ++k) {
      const ScalingPolicyConfig &pc = c.policies[k];
      os << "  policy " << pc.name << ": "
         << (pc.type == ScalingPolicyConfig::TargetTracking ? "target tracking"
             : pc.type == ScalingPolicyConfig::Step         ? "step"
                                                            : "simple")
         << " target " << num(pc.target) << ", " << a.policies[k].ticks << " ticks per datapoint";
      if (a.policies[k].targetGroup != NoIndex)
        os << ", tg #" << a.policies[k].targetGroup;
      os << "\n";
    }
    for (const ScheduledActionConfig &s : c.scheduled)
      os << "  scheduled " << s.name << " at " << dur(s.at) << "\n";
    for (const LifecycleHookConfig &h : c.hooks)
      os << "  lifecycle hook " << h.name << ": " << (h.launching ? "launching" : "terminating")
         << " heartbeat " << dur(h.heartbeat) << "\n";
  }
  for (size_t i = 0; i < p.emrs.size(); ++i) {
    const EmrConfig &c = p.emrs[i].config;
    os << "emr_cluster #" << i << " " << c.name << ": replication "
       << (c.replication ? std::to_string(c.replication) : std::string("default")) << "\n";
    for (size_t g = 0; g < c.groups.size(); ++g)
      os << "  group #" << g << " " << c.groups[g].name << ": " << roleName(c.groups[g].role)
         << " x" << c.groups[g].count << (c.groups[g].spot ? " spot" : "") << "\n";
  }
  auto member = [&](const MemberSource &m) {
    switch (m.kind) {
    case MemberSource::None: return std::string("none");
    case MemberSource::Count: return std::to_string(m.count) + " members";
    case MemberSource::Asg: return "asg #" + std::to_string(m.index);
    case MemberSource::EmrGroup:
      return "emr #" + std::to_string(m.index) + " group #" + std::to_string(m.group);
    case MemberSource::EmrPrimaries: return "emr #" + std::to_string(m.index) + " primaries";
    }
    return std::string("?");
  };
  for (size_t i = 0; i < p.ensembles.size(); ++i) {
    const EnsemblePlan &e = p.ensembles[i];
    const CoordinationConfig &c = e.config;
    os << "coordination #" << i << " " << c.name << ": " << c.servers << " servers, tick "
       << dur(c.tick) << ", session timeout " << dur(c.sessionTimeout) << "\n";
    for (size_t k = 0; k < c.elections.size(); ++k)
      os << "  election #" << k << " " << c.elections[k].name << " at " << c.elections[k].path
         << (c.elections[k].herd ? " (herd)" : "") << ": " << member(e.electionMembers[k])
         << "\n";
    for (size_t k = 0; k < c.services.size(); ++k)
      os << "  service #" << k << " " << c.services[k].name << " at " << c.services[k].path
         << ": " << member(e.serviceMembers[k]) << "\n";
  }
  if (!p.scenario)
    return;
  const ScenarioPlan &s = *p.scenario;
  os << "scenario " << s.name << ": seed " << s.seed << ", until " << dur(s.end)
     << ", cookie slots " << p.stickyGroups << " sticky and " << p.weightedActions
     << " weighted\n";
  for (const LoadPlan &l : s.loads) {
    os << "  load on lb #" << l.loadBalancer << " listener #" << l.listener << ": "
       << num(l.traffic.rate) << "/s from " << dur(l.traffic.start) << " until "
       << dur(l.traffic.end) << ", ramp " << dur(l.traffic.ramp) << ", " << l.traffic.clients
       << " clients from #" << l.firstClient << ", " << l.method << " " << l.host;
    for (const std::string &path : l.paths)
      os << " " << path;
    os << "\n";
  }
  for (const EventPlan &e : s.events) {
    os << "  at " << dur(e.at) << ":";
    for (const ActionPlan &a : e.actions) {
      os << " " << actionName(a.kind);
      switch (a.kind) {
      case ActionKind::Scale:
        os << " asg #" << a.asg;
        if (a.desired)
          os << " to " << *a.desired;
        break;
      case ActionKind::Rate: os << " " << num(a.rate) << "/s"; break;
      case ActionKind::LoseZone:
      case ActionKind::RestoreZone: os << " #" << a.zone; break;
      default:
        for (const TargetRef &t : a.targets) {
          os << " ";
          dumpTarget(t, os);
        }
        if (a.kind == ActionKind::Slow)
          os << " by " << dur(a.latency);
      }
      os << ";";
    }
    os << "\n";
  }
  for (const ExpectationPlan &e : s.expectations) {
    os << "  expect ";
    dumpCondition(e.condition, os);
    if (e.timed)
      os << " from " << dur(e.from) << " until " << dur(e.until) << (e.within ? " (within)" : "");
    os << "\n";
  }
}

} // namespace infrac::runtime

//===- RulesTargetGroups.cpp - Target group, health check, stickiness -----===//

#include "Rules/Net.h"
#include "Rules/Rule.h"

#include <algorithm>

using namespace infrac;
using namespace infrac::rules;
using namespace infrac::sema;
using llvm::StringRef;

namespace {

/// The load balancer type a target group serves: the type of the load
/// balancer forwarding to it, else what its protocol implies.
StringRef familyOf(const Resource &tg, const Topology &topo) {
  StringRef t = topo.loadBalancerTypeOf(&tg);
  if (!t.empty())
    return t;
  StringRef p = tg.getEnum("protocol");
  if (tg.getEnum("target_type") == "lambda" || p == "http" || p == "https")
    return "application";
  if (p == "geneve")
    return "gateway";
  if (!p.empty())
    return "network";
  return "";
}

const Resource &targetGroupOf(const Resource &child) { return *child.parent; }

/// AWS takes these durations in whole seconds: reports a fraction (1.5s,
/// 2500ms) and returns false.
bool wholeSeconds(const Rule &rule, const Resource &r, llvm::StringRef attr, const char *what,
                  RuleContext &ctx) {
  const Value *v = r.get(attr);
  if (!v || v->kind != Value::Kind::Duration || v->i % 1000 == 0)
    return true;
  ctx.report(rule, rangeOf(r, attr), "{} is {} s; AWS takes whole seconds", what,
             static_cast<double>(v->i) / 1000.0);
  return false;
}

/// The protocol a target group's health check uses. AWS checks an alb-type
/// group over HTTP unless told otherwise, where the model's derived default
/// follows the group's own TCP.
StringRef checkProtocol(const Resource &hc) {
  if (hc.parent && hc.parent->getEnum("target_type") == "alb" && !written(hc, "protocol"))
    return "http";
  return hc.getEnum("protocol");
}

/// Whether a health check is a target group's (not a classic load balancer's).
bool ofTargetGroup(const Resource &hc) {
  return hc.parent && hc.parent->kind() == "target_group";
}

class Bounds final : public Rule {
public:
  using Check = Bound;
  Bounds(RuleID id, const char *kind, std::vector<Check> checks, RuleDoc d)
      : Rule(id, {kind}), checks(std::move(checks)), d(d) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    if (r.kind() == "health_check" && !ofTargetGroup(r))
      return; // A classic load balancer's own check: CLB002.
    std::vector<Check> whole; // Durations in fractions of a second are reported instead.
    for (const Check &c : checks)
      if (!*c.unit || wholeSeconds(*this, r, c.attr, c.what, ctx))
        whole.push_back(c);
    checkBounds(*this, r, ctx, whole);
  }
  RuleDoc doc() const override { return d; }

private:
  std::vector<Check> checks;
  RuleDoc d;
};

class ProtocolAndPort final : public Rule {
public:
  ProtocolAndPort() : Rule(RuleID::TG001, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    if (tg.getEnum("target_type") == "lambda")
      return; // TG003.
    if (tg.getEnum("protocol").empty())
      ctx.report(*this, tg.nameRange,
                 "target group '{}' needs a protocol, e.g. 'protocol = http'", tg.name);
    auto port = tg.getInt("port");
    if (!port)
      ctx.report(*this, tg.nameRange,
                 "target group '{}' needs a port: the one its targets listen on",
                 tg.name);
    else if (*port < 1 || *port > 65535)
      ctx.report(*this, rangeOf(tg, "port"), "port {} is outside 1..65535", *port);
    if (!tg.getRef("vpc"))
      ctx.report(*this, tg.nameRange, "target group '{}' needs a vpc: the one its targets are in",
                 tg.name);
  }
  RuleDoc doc() const override {
    return {"Every target group except lambda ones has a protocol, a port in 1..65535 and a "
            "VPC.",
            "CreateTargetGroup requires them for instance, ip and alb targets.",
            "CloudFormation schema AWS::ElasticLoadBalancingV2::TargetGroup; ALB/NLB guides.",
            "target_group web { vpc = v }",
            "target_group web { protocol = http; port = 8080; vpc = v }"};
  }
};

class TargetTypeForLoadBalancer final : public Rule {
public:
  TargetTypeForLoadBalancer() : Rule(RuleID::TG002, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    StringRef tt = tg.getEnum("target_type");
    for (const ForwardTarget &f : ctx.topology.forwardsTo(&tg)) {
      StringRef type = f.from->topLevel()->getEnum("type");
      const char *problem = nullptr;
      if (tt == "lambda" && type != "application")
        problem = "lambda targets are for application load balancers only";
      else if (tt == "alb" && type != "network")
        problem = "alb targets are for network load balancers only";
      else if (type == "gateway" && tt != "instance" && tt != "ip")
        problem = "a gateway load balancer takes instance or ip targets";
      if (problem) {
        ctx.report(*this, f.at->range, "target group '{}' has {} targets: {}", tg.name, tt,
                   problem)
            .note(rangeOf(tg, "target_type"), "target type declared here");
        return;
      }
    }
  }
  RuleDoc doc() const override {
    return {"The target type suits the load balancer: lambda only behind an application "
            "load balancer, alb only behind a network load balancer, a gateway load balancer "
            "only instance or ip.",
            "The listener cannot be created otherwise.",
            "NLB guide, \"Target type\"; GWLB guide; tflint aws_lb_target_group_invalid_target_type.",
            "target_group fn { target_type = lambda }  # behind an NLB",
            "(forward to it from an ALB)"};
  }
};

class LambdaTargetGroup final : public Rule {
public:
  LambdaTargetGroup() : Rule(RuleID::TG003, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    if (tg.getEnum("target_type") != "lambda")
      return;
    for (StringRef attr : {"protocol", "port", "vpc", "protocol_version"})
      if (const Attr *a = tg.attr(attr); a && !a->isDefault)
        ctx.report(*this, a->range(),
                   "a lambda target group takes no {}: the load balancer invokes the function "
                   "directly",
                   attr)
            .fixit(a->range(), "");
    if (const Value *t = tg.get("targets"); t && t->items.size() > 1)
      ctx.report(*this, t->items[1].range, "a lambda target group has at most one function");
  }
  RuleDoc doc() const override {
    return {"A lambda target group has no protocol, port, VPC or protocol version, and at most "
            "one function.",
            "The API rejects them (cfn-lint E3681).",
            "ALB guide, \"Lambda functions as targets\"; cfn-lint E3681; ALB quotas.",
            "target_group fn { target_type = lambda; protocol = http; port = 80 }",
            "target_group fn { target_type = lambda; targets = [\"arn:aws:lambda:...\"] }"};
  }
};

class PrivateIpTargets final : public Rule {
public:
  PrivateIpTargets() : Rule(RuleID::TG005, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    const Value *targets = tg.get("targets");
    if (tg.getEnum("target_type") != "ip" || !targets)
      return;
    static const char *const privateRanges[] = {"10.0.0.0/8", "172.16.0.0/12",
                                                "192.168.0.0/16", "100.64.0.0/10"};
    // A VPC may use a publicly routable block; addresses of its subnets are
    // fine targets.
    std::vector<Cidr4> vpcBlocks;
    if (const Resource *vpc = tg.getRef("vpc")) {
      if (auto c = parseCidr4(vpc->getString("cidr")))
        vpcBlocks.push_back(*c);
      if (const Value *sec = vpc->get("secondary_cidrs"))
        for (const Value &v : sec->items)
          if (auto c = v.kind == Value::Kind::String ? parseCidr4(v.str) : std::nullopt)
            vpcBlocks.push_back(*c);
    }
    for (const Value &t : targets->items) {
      if (t.kind != Value::Kind::String || ipFamily(targetAddress(t.str)) != 4)
        continue;
      auto ip = parseCidr4(targetAddress(t.str));
      if (!ip)
        continue;
      bool ok = std::any_of(std::begin(privateRanges), std::end(privateRanges),
                            [&](const char *r) { return parseCidr4(r)->contains(*ip); }) ||
                std::any_of(vpcBlocks.begin(), vpcBlocks.end(),
                            [&](const Cidr4 &b) { return b.contains(*ip); });
      if (!ok)
        ctx.report(*this, t.range,
                   "ip target {} is publicly routable; ip targets must be in the target "
                   "group's VPC or in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or "
                   "100.64.0.0/10",
                   t.str);
    }
  }
  RuleDoc doc() const override {
    return {"The IPv4 targets of an ip target group are in the target group's VPC (its "
            "primary or secondary CIDRs) or in the private ranges 10.0.0.0/8, 172.16.0.0/12, "
            "192.168.0.0/16 (RFC 1918) or 100.64.0.0/10 (RFC 6598).",
            "RegisterTargets rejects publicly routable addresses.",
            "ALB guide, \"Target type\", register targets.",
            "targets = [\"8.8.8.8\"]", "targets = [\"10.0.1.15\"]"};
  }
};

/// The load balancer an alb-type target group forwards to, when named.
const Resource *albTargetOf(const Resource &tg) {
  if (const Value *targets = tg.get("targets"))
    for (const Value &t : targets->items)
      if (t.kind == Value::Kind::Ref && t.ref && t.ref->kind() == "load_balancer")
        return t.ref;
  return nullptr;
}

class AlbTargetGroup final : public Rule {
public:
  AlbTargetGroup() : Rule(RuleID::TG004, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    const Value *targets = tg.get("targets");
    if (tg.getEnum("target_type") != "alb") {
      if (targets)
        for (const Value &t : targets->items)
          if (t.kind == Value::Kind::Ref && t.ref && t.ref->kind() == "load_balancer") {
            ctx.report(*this, t.range,
                       "a load balancer is a target only of an alb-type target group; set "
                       "'target_type = alb'");
            return;
          }
      return;
    }
    StringRef proto = tg.getEnum("protocol");
    if (!proto.empty() && proto != "tcp")
      ctx.report(*this, rangeOf(tg, "protocol"),
                 "an alb-type target group uses protocol TCP, not {}", proto.upper())
          .fixit(rangeOf(tg, "protocol"), "tcp");
    unsigned count = targets ? targets->items.size() : 0;
    if (count > 1)
      ctx.report(*this, targets->items[1].range,
                 "an alb-type target group holds exactly one application load balancer");
    const Resource *alb = albTargetOf(tg);
    if (targets) {
      for (const Value &t : targets->items) {
        if (t.kind != Value::Kind::Ref || !t.ref || t.ref->kind() != "load_balancer")
          ctx.report(*this, t.range,
                     "an alb-type target group's target is an application load balancer, "
                     "named by reference (e.g. 'targets = [web_alb]')");
        else if (t.ref->getEnum("type") != "application")
          ctx.report(*this, t.range,
                     "the target of an alb-type target group is an application load balancer; "
                     "'{}' is of type {}",
                     t.ref->name, t.ref->getEnum("type"));
      }
    }
    if (!alb || alb->getEnum("type") != "application")
      return;
    auto port = tg.getInt("port");
    bool matches = false;
    for (const Resource *l : alb->childrenOf("listener"))
      matches |= l->getInt("port") == port;
    if (port && !matches)
      ctx.report(*this, rangeOf(tg, "port"),
                 "port {} is not a listener port of '{}'; an alb-type target group sends to "
                 "one of the ALB's listeners",
                 *port, alb->name)
          .note(alb->nameRange, "'{}' declared here", alb->name);
    // The two load balancers should agree on cross-zone load balancing.
    for (const Resource *nlb : ctx.topology.loadBalancersOf(&tg)) {
      bool a = alb->getBool("cross_zone").value_or(true);
      bool n = nlb->getBool("cross_zone").value_or(false);
      if (a != n)
        ctx.reportAs(*this, Severity::Warning, rangeOf(*nlb, "cross_zone"),
                     "'{}' has cross-zone load balancing {} but its target '{}' has it {}; "
                     "traffic is uneven across zones: set the same 'cross_zone' on both",
                     nlb->name, n ? "on" : "off", alb->name, a ? "on" : "off");
    }
  }
  RuleDoc doc() const override {
    return {"An alb-type target group (an ALB behind an NLB) uses protocol TCP, holds "
            "exactly one application load balancer, and its port is one of that ALB's "
            "listener ports; its health checks are HTTP or HTTPS (TG013). The NLB and the ALB "
            "should share one cross-zone setting (warning). A load balancer is a target only "
            "of an alb-type group.",
            "RegisterTargets fails otherwise; mismatched cross-zone settings skew traffic.",
            "NLB guide, \"Application Load Balancers as targets\"; NLB health checks.",
            "target_group front { target_type = alb; protocol = http; port = 80; targets = [web_alb] }",
            "target_group front { target_type = alb; protocol = tcp; port = 80; targets = [web_alb] }"};
  }
};

class IpAddressType final : public Rule {
public:
  IpAddressType() : Rule(RuleID::TG006, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    bool v6 = tg.getEnum("ip_address_type") == "ipv6";
    if (v6 && tg.getEnum("target_type") != "ip")
      ctx.report(*this, rangeOf(tg, "ip_address_type"),
                 "an ipv6 target group takes ip targets only; this one has {} targets: set "
                 "'target_type = ip'",
                 tg.getEnum("target_type"))
          .note(rangeOf(tg, "target_type"), "target type here");
    if (v6)
      for (const ForwardTarget &f : ctx.topology.forwardsTo(&tg)) {
        const Resource *lb = f.from->topLevel();
        if (lb->getEnum("ip_address_type") == "ipv4") {
          ctx.report(*this, f.at->range,
                     "ipv6 target group '{}' needs a dualstack load balancer; '{}' is ipv4: set "
                     "'ip_address_type = dualstack' on it",
                     tg.name, lb->name)
              .note(rangeOf(*lb, "ip_address_type"), "'{}' declared here", lb->name);
          break;
        }
      }
    const Value *targets = tg.get("targets");
    if (!targets || tg.getEnum("target_type") != "ip")
      return;
    int want = v6 ? 6 : 4;
    for (const Value &t : targets->items) {
      if (t.kind != Value::Kind::String)
        continue;
      int family = ipFamily(targetAddress(t.str));
      if (family && family != want)
        ctx.report(*this, t.range, "'{}' is an IPv{} address in an {} target group", t.str,
                   family, v6 ? "ipv6" : "ipv4");
    }
  }
  RuleDoc doc() const override {
    return {"An ipv6 target group takes ip targets only and sits behind a dualstack load "
            "balancer; every ip target is of the group's address family.",
            "CreateTargetGroup and RegisterTargets reject mixed families.",
            "ALB guide, target groups, \"IP address type\".",
            "target_group v6 { target_type = instance; ip_address_type = ipv6 }",
            "target_group v6 { target_type = ip; ip_address_type = ipv6; targets = [\"2001:db8::10\"] }"};
  }
};

class TargetCountAndVpc final : public Rule {
public:
  TargetCountAndVpc() : Rule(RuleID::TG008, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    if (const Value *targets = tg.get("targets"); targets && targets->items.size() > 1000)
      ctx.report(*this, targets->items[1000].range,
                 "target group '{}' registers {} targets; the quota is 1,000: split them "
                 "over several groups", tg.name,
                 targets->items.size());
    const Resource *vpc = tg.getRef("vpc");
    if (!vpc)
      return;
    for (const Resource *lb : ctx.topology.loadBalancersOf(&tg)) {
      const Value *subnets = lb->get("subnets");
      if (!subnets)
        continue;
      for (const Value &s : subnets->items)
        if (s.ref && s.ref->getRef("vpc") && s.ref->getRef("vpc") != vpc) {
          ctx.report(*this, rangeOf(tg, "vpc"),
                     "target group '{}' is in VPC '{}' but load balancer '{}' is in '{}'; a load "
                     "balancer reaches targets in its own VPC only",
                     tg.name, vpc->name, lb->name, s.ref->getRef("vpc")->name)
              .note(s.range, "subnet of '{}' here", lb->name);
          break;
        }
    }
  }
  RuleDoc doc() const override {
    return {"A target group registers at most 1,000 instance or ip targets, and the load "
            "balancers forwarding to it are in the target group's VPC (instance targets from "
            "Auto Scaling groups: ASG010).",
            "RegisterTargets fails beyond the quota; a load balancer reaches targets only in "
            "its own VPC.",
            "ALB and NLB quotas; ALB guide, target groups.",
            "target_group web { vpc = other }  # the ALB is in 'shop'",
            "target_group web { vpc = shop }"};
  }
};

class GeneveTargetGroup final : public Rule {
public:
  GeneveTargetGroup() : Rule(RuleID::TG007, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    if (tg.getEnum("protocol") != "geneve")
      return;
    if (auto p = tg.getInt("port"); p && *p != 6081)
      ctx.report(*this, rangeOf(tg, "port"), "a GENEVE target group uses port 6081, not {}", *p)
          .fixit(rangeOf(tg, "port"), "6081");
    for (const ForwardTarget &f : ctx.topology.forwardsTo(&tg))
      if (f.from->topLevel()->getEnum("type") != "gateway") {
        ctx.report(*this, f.at->range, "GENEVE target group '{}' can only serve a gateway load "
                                       "balancer",
                   tg.name);
        return;
      }
  }
  RuleDoc doc() const override {
    return {"A GENEVE target group uses port 6081 and is used only by a gateway load balancer.",
            "The API rejects other ports (cfn-lint E3683).",
            "cfn-lint E3683; GWLB guide, \"Target groups\".",
            "target_group fw { protocol = geneve; port = 6080; vpc = v }",
            "target_group fw { protocol = geneve; port = 6081; vpc = v }"};
  }
};

class TimeoutBelowInterval final : public Rule {
public:
  TimeoutBelowInterval() : Rule(RuleID::TG012, {"health_check"}) {}
  void check(const Resource &hc, RuleContext &ctx) const override {
    if (!ofTargetGroup(hc))
      return; // A classic load balancer's own check: CLB002.
    auto timeout = seconds(hc, "timeout"), interval = seconds(hc, "interval");
    if (!timeout || !interval || *timeout < *interval)
      return;
    // The GWLB guide words it as interval >= timeout: equal is only a warning there.
    bool gateway = familyOf(targetGroupOf(hc), ctx.topology) == "gateway";
    std::optional<Severity> severity;
    if (gateway && *timeout == *interval)
      severity = Severity::Warning;
    bool wroteTimeout = written(hc, "timeout"), wroteInterval = written(hc, "interval");
    std::string message = fmt::format(
        "{} health-check timeout ({} s) must be less than the {}interval ({} s){}",
        wroteTimeout ? "the" : "the default", *timeout, wroteInterval ? "" : "default ",
        *interval,
        wroteTimeout ? "" : "; set 'timeout' below the interval");
    // Point at what was written: the timeout, else the interval.
    auto b = ctx.reportMessage(*this, rangeOf(hc, wroteTimeout ? "timeout" : "interval"),
                               message, severity);
    if (wroteTimeout && wroteInterval)
      b.note(rangeOf(hc, "interval"), "the interval is here");
  }
  RuleDoc doc() const override {
    return {"A health check's timeout is less than its interval, defaults included (an NLB's "
            "TCP check times out after 10 s by default, so an interval of 10 s fails). Behind a "
            "gateway load balancer an equal timeout and interval is a warning (the GWLB guide "
            "asks for interval >= timeout).",
            "The API rejects it: \"Health check interval must be greater than the timeout\".",
            "ELBv2 ValidationError text; GWLB guide.",
            "health_check { interval = 5s; timeout = 5s }",
            "health_check { interval = 10s; timeout = 5s }"};
  }
};

class HealthCheckProtocol final : public Rule {
public:
  HealthCheckProtocol() : Rule(RuleID::TG013, {"health_check"}) {}
  void check(const Resource &hc, RuleContext &ctx) const override {
    if (!ofTargetGroup(hc))
      return; // A classic load balancer's own check: CLB002.
    const Resource &tg = targetGroupOf(hc);
    StringRef proto = hc.getEnum("protocol"), tgProto = tg.getEnum("protocol");
    if (proto == "tcp" && (tgProto == "http" || tgProto == "https"))
      ctx.report(*this, rangeOf(hc, "protocol"),
                 "an {} target group is health-checked over HTTP or HTTPS, not TCP",
                 tgProto.upper());
    // AWS's default check of an alb-type group is HTTP (the model's derived
    // default follows the group's TCP protocol): only a written tcp is wrong.
    else if (proto == "tcp" && tg.getEnum("target_type") == "alb" && written(hc, "protocol"))
      ctx.report(*this, rangeOf(hc, "protocol"),
                 "an alb-type target group is health-checked over HTTP or HTTPS, not TCP: the "
                 "check goes to the ALB's listener");
  }
  RuleDoc doc() const override {
    return {"The health-check protocol fits the target group: HTTP or HTTPS for HTTP(S) and "
            "alb-type groups; HTTP, HTTPS or TCP otherwise.",
            "CreateTargetGroup rejects a TCP check of an HTTP group.",
            "ELBv2 API CreateTargetGroup; ALB and NLB health-check guides.",
            "target_group web { protocol = http; health_check { protocol = tcp } }",
            "target_group web { protocol = http; health_check { protocol = http } }"};
  }
};

/// "200", "200,202", "200-299" -> the codes' bounds; nullopt when malformed.
std::optional<std::pair<int, int>> matcherBounds(StringRef m) {
  int lo = 1000, hi = -1;
  llvm::SmallVector<StringRef, 4> parts;
  m.split(parts, ',');
  for (StringRef part : parts) {
    auto [a, b] = part.trim().split('-');
    int x, y;
    if (a.getAsInteger(10, x))
      return std::nullopt;
    y = x;
    if (!b.empty() && b.getAsInteger(10, y))
      return std::nullopt;
    lo = std::min({lo, x, y});
    hi = std::max({hi, x, y});
  }
  return std::make_pair(lo, hi);
}

class Matcher final : public Rule {
public:
  Matcher() : Rule(RuleID::TG014, {"health_check"}) {}
  void check(const Resource &hc, RuleContext &ctx) const override {
    if (!ofTargetGroup(hc))
      return; // A classic load balancer's own check: CLB002.
    const Attr *m = hc.attr("matcher");
    if (!m || m->isDefault || m->value.kind != Value::Kind::String)
      return;
    StringRef proto = checkProtocol(hc);
    if (proto == "tcp") {
      ctx.report(*this, m->range(), "a matcher applies to HTTP and HTTPS health checks only")
          .fixit(m->range(), "");
      return;
    }
    StringRef family = familyOf(targetGroupOf(hc), ctx.topology);
    auto b = matcherBounds(m->value.str);
    if (!b) {
      ctx.report(*this, m->value.range,
                 "matcher '{}' is not a list or range of HTTP codes such as \"200,202\" or "
                 "\"200-299\"",
                 m->value.str);
      return;
    }
    bool grpc = targetGroupOf(hc).getEnum("protocol_version") == "grpc";
    int lo = grpc ? 0 : 200, hi = grpc ? 99 : family == "application" ? 499 : 599;
    if (family == "gateway" && m->value.str != "200-399")
      ctx.report(*this, m->value.range, "a gateway load balancer's matcher must be \"200-399\"");
    else if (b->first < lo || b->second > hi)
      ctx.report(*this, m->value.range, "matcher '{}' is outside {}..{}, the {} {} allows",
                 m->value.str, lo, hi,
                 grpc ? "gRPC codes" : "HTTP codes",
                 grpc                      ? "a gRPC target group"
                 : family == "application" ? "an application load balancer"
                                           : "a network load balancer");
  }
  RuleDoc doc() const override {
    return {"A matcher is given only for HTTP and HTTPS health checks, as codes or ranges "
            "(\"200,202\", \"200-299\") within 200..499 (ALB) or 200..599 (NLB); a GWLB's is "
            "\"200-399\"; a gRPC target group's matcher gives gRPC codes 0..99.",
            "The API rejects other matchers (cfn-lint E3684).",
            "cfn-lint E3684; ALB and NLB health-check guides.",
            "health_check { protocol = http; matcher = \"100-600\" }",
            "health_check { protocol = http; matcher = \"200-299\" }"};
  }
};

class HealthCheckPath final : public Rule {
public:
  HealthCheckPath() : Rule(RuleID::TG015, {"health_check"}) {}
  void check(const Resource &hc, RuleContext &ctx) const override {
    if (!ofTargetGroup(hc))
      return; // A classic load balancer's own check: CLB002.
    if (auto port = hc.getInt("port"); port && (*port < 1 || *port > 65535))
      ctx.report(*this, rangeOf(hc, "port"), "health-check port {} is outside 1..65535", *port);
    const Value *p = hc.get("path");
    if (!p || p->kind != Value::Kind::String || checkProtocol(hc) == "tcp")
      return;
    std::string shown = p->str.size() > 40 ? p->str.take_front(40).str() + "..." : p->str.str();
    if (!p->str.startswith("/")) {
      auto d = ctx.report(*this, p->range, "health-check path '{}' must start with '/'", shown);
      if (p->str.find_first_of("\"\\") == StringRef::npos && p->str.size() < 1024)
        d.fixit(p->range, "\"/" + p->str.str() + "\"");
    }
    else if (p->str.size() > 1024)
      ctx.report(*this, p->range, "health-check path '{}' has {} characters; at most 1024",
                 shown, p->str.size());
  }
  RuleDoc doc() const override {
    return {"A health-check path starts with '/' and has 1..1024 characters; the port is "
            "traffic_port or 1..65535.",
            "CreateTargetGroup rejects other values.",
            "CloudFormation schema; ALB health-check guide.",
            "health_check { path = \"health\" }", "health_check { path = \"/health\" }"};
  }
};

class HealthCheckEnabled final : public Rule {
public:
  HealthCheckEnabled() : Rule(RuleID::TG016, {"health_check"}) {}
  void check(const Resource &hc, RuleContext &ctx) const override {
    if (!ofTargetGroup(hc))
      return; // A classic load balancer's own check: CLB002.
    if (hc.getBool("enabled") == false &&
        targetGroupOf(hc).getEnum("target_type") != "lambda")
      ctx.report(*this, attrRange(hc, "enabled"),
                 "only lambda target groups may disable health checks; {} targets are always "
                 "checked",
                 targetGroupOf(hc).getEnum("target_type"))
          .fixit(attrRange(hc, "enabled"), "");
  }
  RuleDoc doc() const override {
    return {"Health checks are always on for instance, ip and alb targets; only lambda "
            "target groups may turn them off.",
            "CreateTargetGroup rejects HealthCheckEnabled=false for other types.",
            "ELBv2 API CreateTargetGroup (HealthCheckEnabled).",
            "health_check { enabled = false }  # instance targets", "(remove it)"};
  }
};

class SlowStart final : public Rule {
public:
  SlowStart() : Rule(RuleID::TG018, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    StringRef family = familyOf(tg, ctx.topology);
    bool alb = family == "application" || family.empty();
    if (!alb && written(tg, "algorithm") && tg.getEnum("algorithm") != "round_robin")
      ctx.report(*this, rangeOf(tg, "algorithm"),
                 "the routing algorithm is an application load balancer's; {} target group "
                 "'{}' is flow-hashed by its load balancer",
                 tg.getEnum("protocol").upper(), tg.name)
          .fixit(attrRange(tg, "algorithm"), "");
    auto s = seconds(tg, "slow_start");
    if (!s || *s == 0)
      return;
    if (!alb) {
      ctx.report(*this, rangeOf(tg, "slow_start"),
                 "slow start is for the HTTP and HTTPS target groups of application load "
                 "balancers; {} target group '{}' cannot have it",
                 tg.getEnum("protocol").upper(), tg.name)
          .fixit(attrRange(tg, "slow_start"), "");
      return;
    }
    if (!wholeSeconds(*this, tg, "slow_start", "slow start", ctx))
      return;
    if (*s < 30 || *s > 900)
      ctx.report(*this, rangeOf(tg, "slow_start"),
                 "slow start is {} s; AWS allows 30..900 s (or 0 to turn it off)", *s);
    if (tg.getEnum("algorithm") == "least_outstanding_requests")
      ctx.report(*this, rangeOf(tg, "slow_start"),
                 "slow start cannot be combined with least_outstanding_requests")
          .note(rangeOf(tg, "algorithm"), "the algorithm is set here");
  }
  RuleDoc doc() const override {
    return {"Slow start is 0 (off) or 30..900 s in whole seconds, and never combined with "
            "the least_outstanding_requests algorithm. Slow start and the routing algorithm are "
            "attributes of application load balancers' target groups only.",
            "ModifyTargetGroupAttributes rejects both.", "ALB guide, target group attributes.",
            "target_group web { slow_start = 10s }", "target_group web { slow_start = 60s }"};
  }
};

class StickinessType final : public Rule {
public:
  StickinessType() : Rule(RuleID::TG019, {"stickiness"}) {}
  void check(const Resource &st, RuleContext &ctx) const override {
    const Resource &tg = targetGroupOf(st);
    StringRef type = st.getEnum("type"), family = familyOf(tg, ctx.topology);
    if (tg.getEnum("target_type") == "lambda") {
      ctx.report(*this, st.nameRange,
                 "lambda target groups have no stickiness; remove the stickiness block");
      return;
    }
    bool ok = (family == "application" && (type == "lb_cookie" || type == "app_cookie")) ||
              (family == "network" && type == "source_ip") ||
              (family == "gateway" &&
               (type == "source_ip_dest_ip" || type == "source_ip_dest_ip_proto")) ||
              family.empty() || family == "classic";
    if (!ok)
      ctx.report(*this, rangeOf(st, "type"), "{} stickiness is not available behind {}", type,
                 family == "application" ? "an application load balancer (use lb_cookie or "
                                           "app_cookie)"
                 : family == "network"   ? "a network load balancer (use source_ip)"
                                         : "a gateway load balancer (use source_ip_dest_ip or "
                                           "source_ip_dest_ip_proto)");
  }
  RuleDoc doc() const override {
    return {"The stickiness type suits the load balancer: lb_cookie (AWSALB) or app_cookie "
            "behind an ALB, source_ip behind an NLB, source_ip_dest_ip or "
            "source_ip_dest_ip_proto behind a GWLB; none for lambda.",
            "ModifyTargetGroupAttributes rejects other types.",
            "ALB guide, sticky sessions; NLB guide; GWLB guide, flow stickiness.",
            "target_group game { protocol = tcp; stickiness { type = lb_cookie } }",
            "target_group game { protocol = tcp; stickiness { type = source_ip } }"};
  }
};

class StickinessDuration final : public Rule {
public:
  StickinessDuration()
      : Rule(RuleID::TG020, {"stickiness", "listener", "listener_rule"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    if (r.kind() != "stickiness") {
      checkForward(r, ctx);
      return;
    }
    const Resource &st = r;
    StringRef type = st.getEnum("type");
    if (type == "lb_cookie" || type == "app_cookie")
      if (auto d = seconds(st, "duration"); d && (*d < 1 || *d > 604800))
        ctx.report(*this, rangeOf(st, "duration"),
                   "stickiness duration is {} s; AWS allows 1 s to 7 days", *d);
    if (type != "app_cookie")
      return;
    StringRef name = st.getString("cookie_name");
    if (name.empty())
      ctx.report(*this, rangeOf(st, "type"),
                 "app_cookie stickiness needs the application's cookie: add 'cookie_name'");
    else if (name.startswith("AWSALB"))
      ctx.report(*this, rangeOf(st, "cookie_name"),
                 "cookie name '{}' is reserved (AWSALB, AWSALBAPP and AWSALBTG prefixes)", name);
  }
  /// forward(a: 80, b: 20, stickiness = 1h): the group stickiness of a split.
  void checkForward(const Resource &r, RuleContext &ctx) const {
    const Value *a = r.get(r.kind() == "listener" ? "default" : "then");
    if (!a || a->kind != Value::Kind::Call || a->str != "forward")
      return;
    const NamedValue *st = a->field("stickiness");
    if (!st || st->value.kind != Value::Kind::Duration)
      return;
    double d = static_cast<double>(st->value.i) / 1000.0;
    if (d < 1 || d > 604800)
      ctx.report(*this, st->value.range,
                 "forward stickiness is {} s; AWS allows 1 s to 7 days", d);
  }
  RuleDoc doc() const override {
    return {"lb_cookie and app_cookie stickiness last 1 s to 7 days (604,800 s; default 1 "
            "day), and so does a weighted forward's group stickiness "
            "(`forward(a: 80, b: 20, stickiness = 1h)`). app_cookie names the application's "
            "cookie, which must not start with "
            "AWSALB, AWSALBAPP or AWSALBTG.",
            "The API rejects other durations and reserved names.",
            "ALB guide, target group attributes; ELBv2 API TargetGroupStickinessConfig.",
            "stickiness { type = app_cookie; cookie_name = \"AWSALBSESSION\" }",
            "stickiness { type = app_cookie; cookie_name = \"JSESSIONID\" }"};
  }
};

class StickyNeedsCrossZone final : public Rule {
public:
  StickyNeedsCrossZone() : Rule(RuleID::TG021, {"stickiness"}) {}
  void check(const Resource &st, RuleContext &ctx) const override {
    const Resource &tg = targetGroupOf(st);
    StringRef family = familyOf(tg, ctx.topology);
    if (st.getBool("enabled") == false)
      return;
    if (family == "network" && tg.getEnum("protocol") == "tls") {
      for (const ForwardTarget &f : ctx.topology.forwardsTo(&tg))
        if (f.from->kind() == "listener" && f.from->getEnum("protocol") == "tls") {
          ctx.report(*this, st.nameRange,
                     "a network load balancer has no sticky sessions for a TLS target group "
                     "behind a TLS listener; use a TCP target group or drop the stickiness")
              .note(f.at->range, "forwarded to from TLS {} here", describe(*f.from));
          return;
        }
      return;
    }
    if (family != "application")
      return;
    // An ALB always balances across zones (ELB007); only the group can turn it off.
    const Value *cz = tg.get("cross_zone");
    if (cz && cz->kind == Value::Kind::Bool && !cz->b)
      ctx.report(*this, st.nameRange,
                 "sticky sessions need cross-zone load balancing, which target group '{}' "
                 "turns off; remove 'cross_zone = false' or the stickiness",
                 tg.name)
          .note(rangeOf(tg, "cross_zone"), "turned off here");
  }
  RuleDoc doc() const override {
    return {"Sticky sessions on an ALB target group need cross-zone load balancing on (an "
            "ALB always has it; the group may turn it off). A network load balancer has no "
            "sticky sessions for a TLS target group behind a TLS listener.",
            "Enabling stickiness on a group with cross-zone off fails, and so does stickiness "
            "on an NLB's TLS-to-TLS group.",
            "ALB guide, \"Sticky sessions\"; NLB guide, target groups, \"Sticky sessions\".",
            "target_group web { cross_zone = false; stickiness { type = lb_cookie } }",
            "target_group web { stickiness { type = lb_cookie } }"};
  }
};

class ClientIpForUdp final : public Rule {
public:
  ClientIpForUdp() : Rule(RuleID::TG022, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    StringRef p = tg.getEnum("protocol");
    if ((p == "udp" || p == "tcp_udp") && tg.getBool("preserve_client_ip") == false)
      ctx.report(*this, attrRange(tg, "preserve_client_ip"),
                 "client IP preservation cannot be turned off for {} target groups",
                 p.upper())
          .fixit(attrRange(tg, "preserve_client_ip"), "");
  }
  RuleDoc doc() const override {
    return {"A UDP or TCP_UDP target group keeps client IP preservation on.",
            "ModifyTargetGroupAttributes rejects turning it off.", "NLB guide, target groups.",
            "target_group dns { protocol = udp; preserve_client_ip = false }",
            "target_group dns { protocol = udp }"};
  }
};

class UdpHealthCheckPort final : public Rule {
public:
  UdpHealthCheckPort() : Rule(RuleID::TG023, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    if (tg.getEnum("protocol") != "udp")
      return;
    const Resource *hc = tg.child("health_check");
    auto port = tg.getInt("port");
    auto hcPort = hc ? hc->getInt("port") : std::nullopt;
    if (!port || (hc && hc->getBool("enabled") == false) || (hcPort && *hcPort != *port))
      return;
    ctx.report(*this, hc ? hc->nameRange : tg.nameRange,
               "UDP target group '{}' is health-checked over TCP on its UDP port {}, where a "
               "UDP service does not answer; give the check the TCP port the targets answer "
               "on, e.g. 'health_check {{ port = {} }}'",
               tg.name, *port, *port == 8080 ? 8081 : 8080)
        .note(rangeOf(tg, "port"), "the group's port");
  }
  RuleDoc doc() const override {
    return {"A UDP target group's health check names its port: UDP groups are health-checked "
            "over TCP (or HTTP/HTTPS), by default on the traffic port, where a UDP-only "
            "service refuses the connection.",
            "Every target fails its health checks and the NLB fails open or drops the traffic: "
            "the design deploys but never serves.",
            "NLB guide, \"Health checks for Network Load Balancer target groups\" (\"If the "
            "target group protocol is UDP, the health check protocol must be TCP, HTTP or "
            "HTTPS\"; the port defaults to the traffic port) "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/"
            "target-group-health-checks.html).",
            "target_group dns { protocol = udp; port = 53 }",
            "target_group dns { protocol = udp; port = 53; health_check { port = 8080 } }"};
  }
};

} // namespace

void rules::addTargetGroupRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<ProtocolAndPort>());
  out.push_back(std::make_unique<TargetTypeForLoadBalancer>());
  out.push_back(std::make_unique<LambdaTargetGroup>());
  out.push_back(std::make_unique<PrivateIpTargets>());
  out.push_back(std::make_unique<GeneveTargetGroup>());
  out.push_back(std::make_unique<Bounds>(
      RuleID::TG009, "health_check",
      std::vector<Bounds::Check>{{"interval", 5, 300, "s", "health-check interval"}},
      RuleDoc{"The health-check interval is 5..300 s (ALB, NLB and GWLB alike).",
              "CreateTargetGroup rejects other intervals.",
              "CloudFormation schema; ALB, NLB and GWLB health-check guides.",
              "health_check { interval = 2s }", "health_check { interval = 10s }"}));
  out.push_back(std::make_unique<Bounds>(
      RuleID::TG010, "health_check",
      std::vector<Bounds::Check>{{"timeout", 2, 120, "s", "health-check timeout"},
                                 {"healthy_threshold", 2, 10, "", "healthy threshold"},
                                 {"unhealthy_threshold", 2, 10, "", "unhealthy threshold"}},
      RuleDoc{"Health-check timeout 2..120 s; healthy and unhealthy thresholds 2..10. These "
              "apply to NLB too: the pre-November-2022 NLB restrictions (interval 10 or 30 s, "
              "equal thresholds) are gone and not enforced.",
              "CreateTargetGroup rejects other values.",
              "CloudFormation schema; ALB and NLB health-check guides; aws-cdk issue #26023.",
              "health_check { healthy_threshold = 1 }", "health_check { healthy_threshold = 2 }"}));
  out.push_back(std::make_unique<TimeoutBelowInterval>());
  out.push_back(std::make_unique<HealthCheckProtocol>());
  out.push_back(std::make_unique<Matcher>());
  out.push_back(std::make_unique<HealthCheckPath>());
  out.push_back(std::make_unique<HealthCheckEnabled>());
  out.push_back(std::make_unique<Bounds>(
      RuleID::TG017, "target_group",
      std::vector<Bounds::Check>{
          {"deregistration_delay", 0, 3600, "s", "deregistration delay"}},
      RuleDoc{"The deregistration delay (draining time) is 0..3600 s; the default is 300 s.",
              "ModifyTargetGroupAttributes rejects other values.",
              "ALB and NLB guides, target group attributes.",
              "target_group web { deregistration_delay = 2h }",
              "target_group web { deregistration_delay = 30s }"}));
  out.push_back(std::make_unique<AlbTargetGroup>());
  out.push_back(std::make_unique<IpAddressType>());
  out.push_back(std::make_unique<TargetCountAndVpc>());
  out.push_back(std::make_unique<SlowStart>());
  out.push_back(std::make_unique<StickinessType>());
  out.push_back(std::make_unique<StickinessDuration>());
  out.push_back(std::make_unique<StickyNeedsCrossZone>());
  out.push_back(std::make_unique<ClientIpForUdp>());
  out.push_back(std::make_unique<UdpHealthCheckPort>());
}

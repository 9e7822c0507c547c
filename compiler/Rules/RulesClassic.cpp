//===- RulesClassic.cpp - Classic Load Balancer rules ----------------------===//
//
// The Classic Load Balancer has its own listener model (front-end and
// instance protocol pairs), its own health check on the load balancer itself
// and its own attributes; these rules keep each model to its own type.
//
//===----------------------------------------------------------------------===//

#include "Rules/Rule.h"

#include "llvm/ADT/StringSet.h"

using namespace infrac;
using namespace infrac::rules;
using namespace infrac::sema;
using llvm::StringRef;

namespace {

bool isClassic(const Resource &lb) { return lb.getEnum("type") == "classic"; }

/// HTTP and HTTPS form one family, TCP and SSL the other.
bool isLayer7(StringRef protocol) { return protocol == "http" || protocol == "https"; }

class ClassicListeners final : public Rule {
public:
  ClassicListeners() : Rule(RuleID::CLB001, {"listener", "load_balancer"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    if (r.kind() == "load_balancer") {
      checkZones(r, ctx);
      return;
    }
    const Resource *lb = r.topLevel();
    if (!isClassic(*lb)) {
      for (const char *attr : {"instance_port", "instance_protocol"})
        if (written(r, attr))
          ctx.report(*this, attrRange(r, attr),
                     "'{}' is for classic load balancers; {} is of type {} and sends to its "
                     "target groups' ports",
                     attr, describe(*lb), lb->getEnum("type"))
              .fixit(attrRange(r, attr), "");
      return;
    }
    auto port = r.getInt("instance_port");
    if (!port)
      ctx.report(*this, r.nameRange,
                 "classic {} needs 'instance_port': the port the instances listen on",
                 describe(r));
    else if (*port < 1 || *port > 65535)
      ctx.report(*this, rangeOf(r, "instance_port"), "instance port {} is outside 1..65535",
                 *port);
    StringRef front = r.getEnum("protocol"), back = r.getEnum("instance_protocol");
    if (!front.empty() && !back.empty() && isLayer7(front) != isLayer7(back))
      ctx.report(*this, rangeOf(r, "instance_protocol"),
                 "{} {} listener cannot send {} to the instances; pair HTTP/HTTPS with "
                 "HTTP/HTTPS and TCP/SSL with TCP/SSL",
                 front == "tcp" ? "a" : "an", front.upper(), back.upper())
          .note(rangeOf(r, "protocol"), "front-end protocol here");
  }
  RuleDoc doc() const override {
    return {"On a classic load balancer each listener gives `instance_port` (1..65535), and "
            "its protocols pair by layer: a front-end HTTP or HTTPS listener with instance "
            "protocol HTTP or HTTPS, TCP or SSL with TCP or SSL. Its subnets should span at "
            "least two availability zones (warning). `instance_port` and `instance_protocol` "
            "exist only on classic load balancers.",
            "CreateLoadBalancerListeners rejects mixed layers; one zone is a single point of "
            "failure.",
            "CLB guide, elb-listener-config and elb-manage-subnets.",
            "listener web { protocol = http; port = 80; instance_protocol = tcp; instance_port = 8080 }",
            "listener web { protocol = http; port = 80; instance_protocol = http; instance_port = 8080 }"};
  }

private:
  void checkZones(const Resource &lb, RuleContext &ctx) const {
    if (!isClassic(lb))
      return;
    const Value *subnets = lb.get("subnets");
    if (!subnets || subnets->items.empty())
      return;
    llvm::StringSet<> zones;
    for (const Value &s : subnets->items)
      if (s.ref)
        zones.insert(s.ref->getString("zone"));
    if (zones.size() == 1)
      ctx.reportAs(*this, Severity::Warning, subnets->range,
                   "every subnet of classic {} is in zone '{}'; use subnets in at least two "
                   "availability zones",
                   describe(lb), zones.begin()->getKey());
  }
};

class ClassicHealthCheck final : public Rule {
public:
  ClassicHealthCheck() : Rule(RuleID::CLB002, {"health_check"}) {}
  void check(const Resource &hc, RuleContext &ctx) const override {
    const Resource *lb = hc.parent;
    if (!lb || lb->kind() != "load_balancer")
      return;
    if (!isClassic(*lb)) {
      StringRef type = lb->getEnum("type");
      ctx.report(*this, hc.nameRange,
                 "only a classic load balancer has its own health check; {} {} load balancer's "
                 "health checks belong to its target groups: move this one into them",
                 type == "application" ? "an" : "a", type);
      return;
    }
    checkBounds(*this, hc, ctx,
                {{"interval", 5, 300, "s", "health-check interval"},
                 {"timeout", 2, 60, "s", "health-check timeout"},
                 {"healthy_threshold", 2, 10, "", "healthy threshold"},
                 {"unhealthy_threshold", 2, 10, "", "unhealthy threshold"}},
                "a classic load balancer");
    auto interval = seconds(hc, "interval"), timeout = seconds(hc, "timeout");
    if (interval && timeout && *timeout >= *interval)
      ctx.report(*this, rangeOf(hc, "timeout"),
                 "health-check timeout {} s must be smaller than the interval {} s", *timeout,
                 *interval)
          .note(rangeOf(hc, "interval"), "interval here");
  }
  RuleDoc doc() const override {
    return {"A classic load balancer's health check: interval 5..300 s (default 30), timeout "
            "2..60 s (default 5) and smaller than the interval, healthy and unhealthy "
            "thresholds 2..10 (defaults 10 and 2). Only a classic load balancer has a "
            "`health_check` block of its own; the others check through target groups.",
            "ConfigureHealthCheck rejects other values.",
            "CLB guide, elb-healthchecks; AWS::ElasticLoadBalancing::LoadBalancer HealthCheck.",
            "load_balancer old { type = classic; health_check { interval = 10s; timeout = 10s } }",
            "load_balancer old { type = classic; health_check { interval = 10s; timeout = 5s } }"};
  }
};

class TypeSpecificAttributes final : public Rule {
public:
  TypeSpecificAttributes() : Rule(RuleID::CLB003, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    StringRef type = lb.getEnum("type");
    if (type != "classic" && written(lb, "connection_draining"))
      ctx.report(*this, attrRange(lb, "connection_draining"),
                 "'connection_draining' is a classic load balancer's; {} {} load balancer "
                 "drains through its target groups' 'deregistration_delay'",
                 type == "application" ? "an" : "a", type)
          .fixit(attrRange(lb, "connection_draining"), "");
    if (type != "network" && written(lb, "security_groups_at_creation"))
      ctx.report(*this, attrRange(lb, "security_groups_at_creation"),
                 "'security_groups_at_creation' is a network load balancer's (ELB004); {} is "
                 "{}",
                 describe(lb), type)
          .fixit(attrRange(lb, "security_groups_at_creation"), "");
    if (type != "application")
      for (const char *attr : {"drop_invalid_header_fields", "desync_mitigation_mode", "http2"})
        if (written(lb, attr))
          ctx.report(*this, attrRange(lb, attr),
                     "'{}' is an application load balancer's attribute; {} is {}", attr,
                     describe(lb), type)
              .fixit(attrRange(lb, attr), "");
  }
  RuleDoc doc() const override {
    return {"Attributes of one load balancer type are set only on that type: "
            "`connection_draining` (1..3600 s, ELB007) on classic; "
            "`drop_invalid_header_fields`, `desync_mitigation_mode` and `http2` on "
            "application; `security_groups_at_creation` on network. Classic stickiness "
            "policies apply to HTTP and HTTPS listeners only "
            "and are not in the language (use an application load balancer).",
            "ModifyLoadBalancerAttributes rejects attributes of another type.",
            "CLB guide, config-conn-drain; ALB guide, \"Load balancer attributes\".",
            "load_balancer game { type = network; connection_draining = 30s }",
            "load_balancer old { type = classic; connection_draining = 30s }"};
  }
};

} // namespace

void rules::addClassicRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<ClassicListeners>());
  out.push_back(std::make_unique<ClassicHealthCheck>());
  out.push_back(std::make_unique<TypeSpecificAttributes>());
}

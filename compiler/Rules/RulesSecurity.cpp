//===- RulesSecurity.cpp - Security lint of load balancers ----------------===//
//
// Warnings, each naming the matching checkov / trivy (tfsec) check. The
// security-group lint (SEC001, SEC002) is in RulesNetwork.cpp, the launch
// template's (SEC012, SEC015) in RulesCompute.cpp.
//
//===----------------------------------------------------------------------===//

#include "Rules/Rule.h"

#include "llvm/ADT/DenseSet.h"

#include <algorithm>

using namespace infrac;
using namespace infrac::rules;
using namespace infrac::sema;
using llvm::StringRef;

namespace {

class HttpsRedirect final : public Rule {
public:
  HttpsRedirect() : Rule(RuleID::SEC004, {"listener"}) {}
  void check(const Resource &l, RuleContext &ctx) const override {
    if (l.topLevel()->getEnum("type") != "application" || l.getEnum("protocol") != "http")
      return;
    const Value *d = l.get("default");
    if (d && d->kind == Value::Kind::Call && d->str == "redirect")
      if (const NamedValue *p = d->field("protocol"); p && p->value.str == "https")
        return;
    ctx.report(*this, rangeOf(l, "protocol"),
               "HTTP listener '{}' serves plain HTTP; make its default "
               "'redirect(protocol = https, port = 443, status = 301)'",
               l.name);
  }
  RuleDoc doc() const override {
    return {"An ALB's HTTP listener redirects to HTTPS by default.",
            "Plain HTTP exposes sessions and credentials on the wire.",
            "checkov CKV_AWS_2, CKV2_AWS_20; trivy AVD-AWS-0054 (aws-elb-http-not-used).",
            "listener http { protocol = http; port = 80; default = forward(web) }",
            "listener http { protocol = http; port = 80\n"
            "  default = redirect(protocol = https, port = 443, status = 301) }"};
  }
};

/// A boolean or enum attribute of an ALB (or any load balancer) that should
/// have a safe value.
class LoadBalancerSetting final : public Rule {
public:
  LoadBalancerSetting(RuleID id, const char *attr, bool albOnly, bool skipGateway,
                      bool (*bad)(const Resource &), const char *message, RuleDoc d)
      : Rule(id, {"load_balancer"}), attr(attr), albOnly(albOnly), skipGateway(skipGateway),
        bad(bad), message(message), d(d) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    StringRef type = lb.getEnum("type");
    if ((albOnly && type != "application") || (skipGateway && type == "gateway"))
      return;
    if (bad(lb))
      ctx.report(*this, attrRange(lb, attr), "load balancer '{}': {}", lb.name, message);
  }
  RuleDoc doc() const override { return d; }

private:
  const char *attr;
  bool albOnly, skipGateway;
  bool (*bad)(const Resource &);
  const char *message;
  RuleDoc d;
};

class TlsPolicy final : public Rule {
public:
  TlsPolicy() : Rule(RuleID::SEC009, {"listener"}) {}
  void check(const Resource &l, RuleContext &ctx) const override {
    StringRef p = l.getString("ssl_policy");
    static const char *const outdated[] = {
        "ELBSecurityPolicy-2015-05",         "ELBSecurityPolicy-2016-08",
        "ELBSecurityPolicy-TLS-1-0-2015-04", "ELBSecurityPolicy-TLS-1-1-2017-01",
        "ELBSecurityPolicy-FS-2018-06",      "ELBSecurityPolicy-FS-1-1-2019-08",
        "ELBSecurityPolicy-TLS13-1-0-2021-06", "ELBSecurityPolicy-TLS13-1-1-2021-06"};
    // Newer policies name their lowest TLS version: ...-TLS13-1-0-..., -FS-1-1-...
    static const char *const lowVersions[] = {"-TLS-1-0-", "-TLS-1-1-", "-TLS13-1-0-",
                                              "-TLS13-1-1-", "-FS-1-1-"};
    bool weak = std::find(std::begin(outdated), std::end(outdated), p) != std::end(outdated) ||
                std::any_of(std::begin(lowVersions), std::end(lowVersions),
                            [&](const char *v) { return p.contains(v); });
    if (weak)
      ctx.report(*this, rangeOf(l, "ssl_policy"),
                 "'{}' allows TLS 1.0 or 1.1; use e.g. ELBSecurityPolicy-TLS13-1-2-2021-06", p);
  }
  RuleDoc doc() const override {
    return {"HTTPS and TLS listeners use a policy that requires TLS 1.2 or later: not "
            "ELBSecurityPolicy-2015-05, -2016-08 or -FS-2018-06, nor any policy whose name "
            "gives TLS 1.0 or 1.1 as its lowest version (-TLS-1-0-, -TLS-1-1-, -TLS13-1-0-, "
            "-TLS13-1-1-, -FS-1-1-).",
            "TLS 1.0 and 1.1 are deprecated and fail compliance scans.",
            "checkov CKV_AWS_103, CKV2_AWS_74; trivy AVD-AWS-0047 (aws-elb-use-secure-tls-policy).",
            "ssl_policy = \"ELBSecurityPolicy-2016-08\"",
            "ssl_policy = \"ELBSecurityPolicy-TLS13-1-2-2021-06\""};
  }
};

class UnattachedSecurityGroup final : public Rule {
public:
  UnattachedSecurityGroup() : Rule(RuleID::SEC003, {}) {}
  void checkModel(RuleContext &ctx) const override {
    // Every security group a member names (a load balancer, launch template,
    // ensemble, session store). A rule of another group that names it does not
    // attach it: it admits the group's members, and an unattached group has none.
    llvm::DenseSet<const Resource *> attached, named;
    std::vector<const Resource *> groups;
    ctx.model.forEach([&](const Resource &r) {
      if (r.kind() == "security_group")
        groups.push_back(&r);
      const Resource *owner = r.topLevel();
      bool inGroup = owner->kind() == "security_group";
      // The stored attributes only: a static default is a literal, never a
      // reference.
      for (const Attr &a : r.attrs)
        note(a.value, owner, inGroup ? named : attached);
    });
    for (const Resource *g : groups) {
      if (attached.count(g))
        continue;
      if (named.count(g))
        ctx.report(*this, g->nameRange,
                   "security group '{}' is attached to nothing, so the rules that admit it "
                   "admit no one; attach it to the resources it stands for, or remove it",
                   g->name);
      else
        ctx.report(*this, g->nameRange,
                   "security group '{}' is attached to nothing; attach it or remove it",
                   g->name);
    }
  }
  RuleDoc doc() const override {
    return {"Every security group is attached: to a load balancer, launch template, ensemble "
            "or session store (checkov CKV2_AWS_5). Being named in another group's rule does "
            "not count: such a rule admits the group's members, and it has none. Rule "
            "descriptions and unrestricted egress (the catalogue's informational part) are not "
            "flagged: every example needs egress to reach its dependencies.",
            "An unattached group is dead configuration that reviewers still have to read, "
            "and often a sign that the intended attachment was forgotten.",
            "checkov CKV2_AWS_5; tfsec AVD-AWS-0104, AVD-AWS-0124.",
            "security_group old { vpc = shop }  # referenced nowhere", "(remove it)"};
  }

private:
  static void note(const Value &v, const Resource *owner, llvm::DenseSet<const Resource *> &used) {
    if (v.kind == Value::Kind::Ref && v.ref && v.ref->kind() == "security_group" &&
        v.ref != owner)
      used.insert(v.ref);
    for (const Value &item : v.items)
      note(item, owner, used);
    for (const NamedValue &f : v.fields)
      note(f.value, owner, used);
  }
};

class CrossZoneOff final : public Rule {
public:
  CrossZoneOff() : Rule(RuleID::SEC010, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    if (lb.getBool("cross_zone") == false)
      ctx.report(*this, rangeOf(lb, "cross_zone"),
                 "cross-zone load balancing is off on '{}': a zone with fewer healthy targets "
                 "gets the same share of traffic; set 'cross_zone = true'",
                 lb.name);
  }
  RuleDoc doc() const override {
    return {"Informational, off by default (`--warn=SEC010`): cross-zone load balancing is off "
            "(the default for network and gateway load balancers). WAF on an internet-facing "
            "ALB (CKV2_AWS_28) is not in the language.",
            "Each zone's targets get an equal share of the zone's traffic regardless of how "
            "many are healthy; with cross-zone on, traffic spreads over all targets.",
            "checkov CKV_AWS_152 (NLB, GWLB), CKV_AWS_138 (CLB); tfsec AVD-AWS-0053.",
            "load_balancer game { type = network; subnets = [a, c] }",
            "load_balancer game { type = network; subnets = [a, c]; cross_zone = true }"};
  }
};

class HealthCheckPathGiven final : public Rule {
public:
  HealthCheckPathGiven() : Rule(RuleID::SEC011, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override {
    // The check's protocol: written, or the group's if HTTP(S) (the default).
    const Resource *hc = tg.child("health_check");
    StringRef p =
        hc && written(*hc, "protocol") ? hc->getEnum("protocol") : tg.getEnum("protocol");
    if (p != "http" && p != "https")
      return;
    if (hc && (hc->getBool("enabled") == false || written(*hc, "path")))
      return;
    ctx.report(*this, hc && !hc->implicit ? hc->nameRange : tg.nameRange,
               "target group '{}' checks health at \"/\", the default; give the app's health "
               "endpoint, e.g. 'health_check {{ path = \"/health\" }}'",
               tg.name);
  }
  RuleDoc doc() const override {
    return {"An HTTP or HTTPS health check names its path (checkov CKV_AWS_261): that of an "
            "HTTP(S) target group, or an HTTP(S) check of a TCP, TLS or UDP group. Plain HTTP "
            "to the targets (CKV_AWS_378) is not flagged: TLS usually ends at the load "
            "balancer.",
            "\"/\" often answers 200 from a cache or a static page while the application "
            "behind it is down.",
            "checkov CKV_AWS_261 (LBTargetGroupsDefinesHealthcheck).",
            "target_group web { protocol = http; port = 80; vpc = shop }",
            "target_group web { protocol = http; port = 80; vpc = shop; health_check { path = \"/health\" } }"};
  }
};

} // namespace

void rules::addSecurityRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<UnattachedSecurityGroup>());
  out.push_back(std::make_unique<HttpsRedirect>());
  out.push_back(std::make_unique<CrossZoneOff>());
  out.push_back(std::make_unique<HealthCheckPathGiven>());
  out.push_back(std::make_unique<LoadBalancerSetting>(
      RuleID::SEC005, "drop_invalid_header_fields", true, false,
      [](const Resource &lb) { return lb.getBool("drop_invalid_header_fields") != true; },
      "invalid HTTP header fields are passed to targets; set "
      "'drop_invalid_header_fields = true'",
      RuleDoc{"An ALB drops HTTP headers with invalid names "
              "(routing.http.drop_invalid_header_fields.enabled; default false). NLB and GWLB "
              "are skipped.",
              "Malformed headers are a request-smuggling vector.",
              "checkov CKV_AWS_131; trivy AVD-AWS-0052 (aws-elb-drop-invalid-headers).",
              "load_balancer web { subnets = [a, c] }",
              "load_balancer web { subnets = [a, c]; drop_invalid_header_fields = true }"}));
  out.push_back(std::make_unique<LoadBalancerSetting>(
      RuleID::SEC006, "desync_mitigation_mode", true, false,
      [](const Resource &lb) { return lb.getEnum("desync_mitigation_mode") == "monitor"; },
      "desync mitigation 'monitor' forwards ambiguous requests; use defensive or strictest",
      RuleDoc{"An ALB's desync mitigation mode is defensive (the default) or strictest, not "
              "monitor.",
              "monitor lets HTTP desync (request smuggling) attacks through.",
              "checkov CKV_AWS_328.", "desync_mitigation_mode = monitor",
              "desync_mitigation_mode = defensive"}));
  out.push_back(std::make_unique<LoadBalancerSetting>(
      RuleID::SEC007, "deletion_protection", false, false,
      [](const Resource &lb) {
        return lb.getEnum("type") != "classic" && lb.getBool("deletion_protection") != true;
      },
      "deletion protection is off; set 'deletion_protection = true'",
      RuleDoc{"Load balancers have deletion protection on (default off). Classic load "
              "balancers have no such attribute and are skipped.",
              "One mistaken delete takes the service's entry point, and its DNS name, away.",
              "checkov CKV_AWS_150.", "load_balancer web { subnets = [a, c] }",
              "load_balancer web { subnets = [a, c]; deletion_protection = true }"}));
  out.push_back(std::make_unique<LoadBalancerSetting>(
      RuleID::SEC008, "access_logs", false, true,
      [](const Resource &lb) {
        // An NLB logs TLS requests only: without a TLS listener there is
        // nothing to ask for (ELB010 refuses access_logs there).
        if (lb.getEnum("type") == "network") {
          bool tls = false;
          for (const Resource *l : lb.childrenOf("listener"))
            tls |= l->getEnum("protocol") == "tls";
          if (!tls)
            return false;
        }
        return lb.getString("access_logs").empty();
      },
      "no access logs; set e.g. 'access_logs = \"s3://bucket/prefix\"'",
      RuleDoc{"Load balancers write access logs to S3 (gateway load balancers have none, and "
              "network load balancers log only TLS listeners: both are skipped when they "
              "cannot write any, see ELB010).",
              "Without logs there is no record of who called what during an incident.",
              "checkov CKV_AWS_91 (ELBv2), CKV_AWS_92 (classic).",
              "load_balancer web { subnets = [a, c] }",
              "load_balancer web { subnets = [a, c]; access_logs = \"s3://logs/web\" }"}));
  out.push_back(std::make_unique<TlsPolicy>());
}

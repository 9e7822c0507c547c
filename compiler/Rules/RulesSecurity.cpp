//===- RulesSecurity.cpp - Security lint of load balancers ----------------===//
//
// Warnings, each naming the matching checkov / trivy (tfsec) check. The
// security-group lint (SEC001, SEC002) is in RulesNetwork.cpp, the launch
// template's (SEC012, SEC015) in RulesCompute.cpp.
//
//===----------------------------------------------------------------------===//

#include "Rules/Rule.h"

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
    for (const char *o : outdated)
      if (p == o)
        ctx.report(*this, rangeOf(l, "ssl_policy"),
                   "'{}' allows TLS 1.0 or 1.1; use e.g. ELBSecurityPolicy-TLS13-1-2-2021-06", p);
  }
  RuleDoc doc() const override {
    return {"HTTPS and TLS listeners use a policy that requires TLS 1.2 or later.",
            "TLS 1.0 and 1.1 are deprecated and fail compliance scans.",
            "checkov CKV_AWS_103, CKV2_AWS_74; trivy AVD-AWS-0047 (aws-elb-use-secure-tls-policy).",
            "ssl_policy = \"ELBSecurityPolicy-2016-08\"",
            "ssl_policy = \"ELBSecurityPolicy-TLS13-1-2-2021-06\""};
  }
};

} // namespace

void rules::addSecurityRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<HttpsRedirect>());
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
      [](const Resource &lb) { return lb.getBool("deletion_protection") != true; },
      "deletion protection is off; set 'deletion_protection = true'",
      RuleDoc{"Load balancers have deletion protection on (default off).",
              "One mistaken delete takes the service's entry point, and its DNS name, away.",
              "checkov CKV_AWS_150.", "load_balancer web { subnets = [a, c] }",
              "load_balancer web { subnets = [a, c]; deletion_protection = true }"}));
  out.push_back(std::make_unique<LoadBalancerSetting>(
      RuleID::SEC008, "access_logs", false, true,
      [](const Resource &lb) { return lb.getString("access_logs").empty(); },
      "no access logs; set e.g. 'access_logs = \"s3://bucket/prefix\"'",
      RuleDoc{"Load balancers write access logs to S3 (gateway load balancers have none and "
              "are skipped).",
              "Without logs there is no record of who called what during an incident.",
              "checkov CKV_AWS_91 (ELBv2), CKV_AWS_92 (classic).",
              "load_balancer web { subnets = [a, c] }",
              "load_balancer web { subnets = [a, c]; access_logs = \"s3://logs/web\" }"}));
  out.push_back(std::make_unique<TlsPolicy>());
}

//===- RulesLoadBalancing.cpp - Load balancer, listener and rule rules ----===//

#include "Rules/Net.h"
#include "Rules/Rule.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Regex.h"

#include <algorithm>
#include <map>
#include <set>

using namespace infrac;
using namespace infrac::rules;
using namespace infrac::sema;
using llvm::StringRef;

namespace {

StringRef lbType(const Resource &r) { return r.topLevel()->getEnum("type"); }

std::string upper(StringRef s) { return s.upper(); }

const char *typeName(StringRef type) {
  if (type == "application")
    return "an application load balancer";
  if (type == "network")
    return "a network load balancer";
  if (type == "gateway")
    return "a gateway load balancer";
  return "a classic load balancer";
}

//===--- Load balancers ---------------------------------------------------===//

class AlbZones final : public Rule {
public:
  AlbZones() : Rule(RuleID::ELB002, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    if (lb.getEnum("type") != "application")
      return;
    const Value *subnets = lb.get("subnets");
    if (!subnets)
      return;
    llvm::StringSet<> zones;
    for (const Value &s : subnets->items)
      if (s.ref)
        zones.insert(s.ref->getString("zone"));
    if (zones.size() < 2)
      ctx.report(*this, subnets->range,
                 "an application load balancer needs subnets in at least two availability "
                 "zones; these are all in {}",
                 zones.empty() ? std::string("none") : "'" + zones.begin()->first().str() + "'");
  }
  RuleDoc doc() const override {
    return {"An application load balancer's subnets lie in at least two distinct "
            "availability zones. cfn-lint (E3680) only counts two subnets; two subnets in one "
            "zone pass it and fail at deployment.",
            "CreateLoadBalancer rejects an ALB with fewer than two zones.",
            "ALB guide, \"Application Load Balancers\" (Availability Zones); cfn-lint E3680.",
            "load_balancer web { subnets = [a1, a2] }  # both in ap-northeast-2a",
            "load_balancer web { subnets = [a, c] }    # 2a and 2c"};
  }
};

class OneSubnetPerZone final : public Rule {
public:
  OneSubnetPerZone() : Rule(RuleID::ELB003, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    const Value *subnets = lb.get("subnets");
    if (!subnets)
      return;
    std::map<std::string, const Value *> byZone;
    for (const Value &s : subnets->items) {
      if (!s.ref)
        continue;
      auto [it, fresh] = byZone.emplace(s.ref->getString("zone").str(), &s);
      if (!fresh)
        ctx.report(*this, s.range,
                   "subnets '{}' and '{}' are both in zone '{}'; a load balancer takes one "
                   "subnet per availability zone",
                   it->second->ref->name, s.ref->name, it->first)
            .note(it->second->range, "'{}' is in the same zone", it->second->ref->name);
    }
  }
  RuleDoc doc() const override {
    return {"A load balancer has at most one subnet per availability zone (ALB, NLB and GWLB "
            "alike).",
            "The API rejects two subnets of one zone.",
            "NLB guide, \"Network Load Balancers\" (Availability Zones); ALB guide.",
            "load_balancer game { type = network; subnets = [a1, a2] }  # one zone",
            "load_balancer game { type = network; subnets = [a, c] }"};
  }
};

class NlbSecurityGroups final : public Rule {
public:
  NlbSecurityGroups() : Rule(RuleID::ELB004, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    const Value *sgs = lb.get("security_groups");
    if (lb.getEnum("type") != "network" || !sgs || sgs->items.empty())
      return;
    if (lb.getBool("security_groups_at_creation") == true) {
      ctx.reportAs(*this, Severity::Note, sgs->range,
                 "network load balancer '{}' gets security groups at creation: they can be "
                 "changed later but never all removed, and it can have no QUIC listeners",
                 lb.name)
          .note(rangeOf(lb, "security_groups_at_creation"),
                "attachment at creation declared here");
      return;
    }
    ctx.report(*this, sgs->range,
               "network load balancer '{}' has security groups, which an NLB can only get when "
               "it is created; remove them, or write 'security_groups_at_creation = true' if "
               "they are attached at creation",
               lb.name)
        .fixit(attrRange(lb, "security_groups"), "");
  }
  RuleDoc doc() const override {
    return {"A network load balancer declares no security groups: an error by default. Since "
            "2023-08-10 AWS lets an NLB have security groups, but only if they are attached "
            "when the NLB is created: an NLB created without them can never get one (it must be "
            "replaced), and one created with them must keep at least one and cannot have QUIC "
            "or TCP_QUIC listeners. Write `security_groups_at_creation = true` to state that "
            "the groups go on at creation; the finding is then a note. A gateway load balancer "
            "never has security groups (ELB005).",
            "Adding security groups to an existing NLB fails (\"You can't perform this "
            "operation on a Network Load Balancer unless you specified a security group for "
            "the load balancer when you created it\"), and the client-IP behaviour of NLBs "
            "means the targets' groups do the filtering anyway (SG006).",
            "NLB guide, \"Security groups for your Network Load Balancer\"; ELBv2 API "
            "SetSecurityGroups; AWS blog \"Network Load Balancers now support Security groups\" "
            "(2023-08-10).",
            "load_balancer game { type = network; subnets = [a, c]; security_groups = [sg] }",
            "load_balancer game { type = network; subnets = [a, c]; security_groups = [sg]\n"
            "                     security_groups_at_creation = true }"};
  }
};

class GwlbSecurityGroups final : public Rule {
public:
  GwlbSecurityGroups() : Rule(RuleID::ELB005, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    const Value *sgs = lb.get("security_groups");
    if (lb.getEnum("type") == "gateway" && sgs && !sgs->items.empty())
      ctx.report(*this, sgs->range,
                 "a gateway load balancer cannot have security groups, not even at creation; "
                 "remove them")
          .fixit(attrRange(lb, "security_groups"), "");
  }
  RuleDoc doc() const override {
    return {"A gateway load balancer declares no security groups.",
            "SetSecurityGroups: \"You can't associate a security group with a Gateway Load "
            "Balancer\".",
            "ELBv2 API SetSecurityGroups.",
            "load_balancer fw { type = gateway; subnets = [a]; security_groups = [sg] }",
            "load_balancer fw { type = gateway; subnets = [a] }"};
  }
};

class LoadBalancerAttributes final : public Rule {
public:
  LoadBalancerAttributes() : Rule(RuleID::ELB007, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    checkBounds(*this, lb, ctx,
                {{"idle_timeout", 1, 4000, "s", "idle timeout"},
                 {"connection_draining", 1, 3600, "s", "connection draining timeout"}});
    if (lb.getEnum("type") == "application" && written(lb, "cross_zone") &&
        lb.getBool("cross_zone") == false)
      ctx.report(*this, rangeOf(lb, "cross_zone"),
                 "an application load balancer always balances across zones; turn it off per "
                 "target group instead ('cross_zone = false' on the target group)")
          .fixit(attrRange(lb, "cross_zone"), "");
  }
  RuleDoc doc() const override {
    return {"Load balancer attributes are within AWS's bounds: idle timeout 1..4000 s "
            "(default 60), classic connection draining 1..3600 s (default 300). An "
            "application load balancer cannot turn cross-zone load balancing off (only its "
            "target groups can).",
            "ModifyLoadBalancerAttributes rejects other values; an ALB has no "
            "load_balancing.cross_zone.enabled attribute.",
            "ALB guide, \"Load balancer attributes\" and \"Cross-zone load balancing\"; CLB "
            "guide, config-conn-drain and config-idle-timeout.",
            "load_balancer web { subnets = [a, c]; idle_timeout = 2h }",
            "load_balancer web { subnets = [a, c]; idle_timeout = 60s }"};
  }
};

class ListenerQuota final : public Rule {
public:
  ListenerQuota() : Rule(RuleID::ELB008, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    auto listeners = lb.childrenOf("listener");
    if (listeners.size() > 50)
      ctx.report(*this, listeners[50]->nameRange,
                 "{} has {} listeners; the quota is 50 per load balancer", describe(lb),
                 listeners.size());
  }
  RuleDoc doc() const override {
    return {"An application or network load balancer has at most 50 listeners.",
            "CreateListener fails beyond the quota.", "ALB and NLB quotas.",
            "(51 listener blocks)", "(50 or fewer)"};
  }
};

/// Whether a network load balancer has a TLS listener: the only traffic its
/// access logs record.
bool hasTlsListener(const Resource &lb) {
  for (const Resource *l : lb.childrenOf("listener"))
    if (l->getEnum("protocol") == "tls")
      return true;
  return false;
}

class AccessLogsWhereWritten final : public Rule {
public:
  AccessLogsWhereWritten() : Rule(RuleID::ELB010, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    StringRef logs = lb.getString("access_logs");
    if (logs.empty())
      return;
    // s3://BUCKET[/PREFIX], the bucket named as S3 allows: 3..63 lowercase
    // letters, digits, dots and hyphens, a letter or digit at each end, no
    // two dots and no dot beside a hyphen.
    static const llvm::Regex bucket("^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?$");
    llvm::SmallVector<StringRef, 3> m;
    if (!bucket.match(logs, &m) || m[1].contains("..") || m[1].contains(".-") ||
        m[1].contains("-."))
      ctx.report(*this, rangeOf(lb, "access_logs"),
                 "'{}' is not an S3 location of the form s3://BUCKET/PREFIX with a valid bucket "
                 "name (3..63 lowercase letters, digits, dots and hyphens)",
                 logs.size() > 60 ? (logs.take_front(57) + "...").str() : logs.str());
    StringRef type = lb.getEnum("type");
    if (type == "gateway")
      ctx.report(*this, attrRange(lb, "access_logs"),
                 "gateway load balancer '{}' writes no access logs; remove 'access_logs'",
                 lb.name);
    else if (type == "network" && !hasTlsListener(lb))
      ctx.report(*this, attrRange(lb, "access_logs"),
                 "network load balancer '{}' writes access logs only for TLS listeners, and it "
                 "has none; remove 'access_logs' or terminate TLS on the load balancer",
                 lb.name);
  }
  RuleDoc doc() const override {
    return {"`access_logs` is set only on a load balancer that writes them: never on a "
            "gateway load balancer, and on a network load balancer only when it has a TLS "
            "listener (its logs record TLS requests only). It is an S3 location, "
            "s3://BUCKET[/PREFIX], whose bucket name S3 allows (3..63 characters of a-z, 0-9, "
            "'.' and '-', a letter or digit at each end, no '..', '.-' or '-.'; Amazon S3 User "
            "Guide, \"General purpose bucket naming rules\", "
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).",
            "A GWLB has no access logs at all (the attribute is refused), and an NLB without a "
            "TLS listener creates no log files: the design promises a record that never "
            "exists.",
            "NLB guide, \"Access logs for your Network Load Balancer\": \"Access logs are "
            "created only if the load balancer has a TLS listener and they contain information "
            "only about TLS requests\" "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/"
            "load-balancer-access-logs.html); GWLB guide, load balancer attributes "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/gateway/"
            "gateway-load-balancers.html).",
            "load_balancer game { type = network; access_logs = \"s3://logs/game\"\n  "
            "listener l { protocol = tcp; port = 7777; default = forward(lobby) } }",
            "load_balancer game { type = network\n  "
            "listener l { protocol = tcp; port = 7777; default = forward(lobby) } }"};
  }
};

class SchemeFitsSubnets final : public Rule {
public:
  SchemeFitsSubnets() : Rule(RuleID::ELB011, {}) {}
  void checkModel(RuleContext &ctx) const override {
    // Per VPC, whether it has public and private subnets: the rule applies
    // to designs that tell the two apart.
    llvm::DenseMap<const Resource *, std::pair<bool, bool>> kinds;
    for (const Resource *r : ctx.model.resources)
      if (r->kind() == "subnet")
        if (const Resource *vpc = r->getRef("vpc"))
          (r->getBool("public") == true ? kinds[vpc].first : kinds[vpc].second) = true;
    for (const Resource *lb : ctx.model.resources)
      if (lb->kind() == "load_balancer" && lb->getEnum("type") != "gateway")
        checkOne(*lb, kinds, ctx);
  }
  void checkOne(const Resource &lb,
                const llvm::DenseMap<const Resource *, std::pair<bool, bool>> &kinds,
                RuleContext &ctx) const {
    const Value *subnets = lb.get("subnets");
    if (!subnets)
      return;
    bool internet = lb.getEnum("scheme") == "internet_facing";
    for (const Value &s : subnets->items) {
      if (!s.ref || (s.ref->getBool("public") == true) == internet)
        continue;
      auto k = kinds.find(s.ref->getRef("vpc"));
      if (k == kinds.end() || !(internet ? k->second.first : k->second.second))
        continue;
      if (internet)
        ctx.report(*this, s.range,
                   "internet-facing '{}' has a node in private subnet '{}', which has no route "
                   "to the internet: clients cannot reach it there. Use a public subnet, or "
                   "'scheme = internal'",
                   lb.name, s.ref->name)
            .note(rangeOf(lb, "scheme"), "'{}' is internet-facing", lb.name);
      else
        ctx.report(*this, s.range,
                   "internal '{}' is in public subnet '{}'; an internal load balancer belongs in "
                   "private subnets (or did you mean 'scheme = internet_facing'?)",
                   lb.name, s.ref->name)
            .note(rangeOf(lb, "scheme"), "'{}' is internal", lb.name);
      return;
    }
  }
  RuleDoc doc() const override {
    return {"An internet-facing load balancer's subnets are public (`public = true`: a route "
            "to an internet gateway); an internal one's are private. The rule applies where "
            "the VPC has subnets of the other kind: a design that tells them apart.",
            "An internet-facing load balancer's nodes get public addresses in each of its "
            "subnets, and a node in a subnet without a route to an internet gateway is "
            "unreachable: clients resolving to it time out. An internal load balancer in "
            "public subnets deploys, but is usually a scheme or subnet mix-up.",
            "ALB guide, \"Application Load Balancers\" (subnets: \"for an internet-facing "
            "load balancer, the subnets must be public\") "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
            "application-load-balancers.html#subnets-load-balancer); NLB guide, "
            "\"Network Load Balancers\".",
            "load_balancer web { scheme = internet_facing; subnets = [private_a, private_c] }",
            "load_balancer web { scheme = internet_facing; subnets = [public_a, public_c] }"};
  }
};

class OneLoadBalancerPerTargetGroup final : public Rule {
public:
  OneLoadBalancerPerTargetGroup() : Rule(RuleID::ELB009, {"target_group"}) {}
  void check(const Resource &tg, RuleContext &ctx) const override { checkTargetGroup(tg, ctx); }
  /// Every load balancer after the first that forwards to the group.
  void checkTargetGroup(const Resource &tg, RuleContext &ctx) const {
    std::vector<const ForwardTarget *> firsts; // The first forward of each load balancer.
    for (const ForwardTarget &f : ctx.topology.forwardsTo(&tg)) {
      const Resource *lb = f.from->topLevel();
      if (std::any_of(firsts.begin(), firsts.end(), [&](const ForwardTarget *x) {
            return x->from->topLevel() == lb;
          }))
        continue;
      firsts.push_back(&f);
      if (firsts.size() == 1)
        continue;
      const Resource *first = firsts.front()->from->topLevel();
      ctx.report(*this, f.at->range,
                 "target group '{}' is already attached to load balancer '{}'; a target group "
                 "belongs to one load balancer: give '{}' a target group of its own",
                 tg.name, first->name, lb->name)
          .note(firsts.front()->at->range, "attached to '{}' here", first->name);
    }
  }
  /// An ALB is the target of at most two NLBs (through alb-type groups): one
  /// pass over the alb-type groups, in declaration order.
  struct Use {
    const Resource *nlb;
    const Value *at; ///< The ALB in the alb-type group's targets.
  };
  void checkModel(RuleContext &ctx) const override {
    std::vector<const Resource *> albs;
    llvm::DenseMap<const Resource *, std::vector<Use>> usesOf;
    for (const Resource *tg : ctx.model.resources) {
      if (tg->kind() != "target_group" || tg->getEnum("target_type") != "alb")
        continue;
      const Value *targets = tg->get("targets");
      if (!targets)
        continue;
      llvm::SmallVector<const Resource *, 2> seen;
      for (const Value &t : targets->items) {
        if (t.kind != Value::Kind::Ref || !t.ref || t.ref->getEnum("type") != "application" ||
            llvm::is_contained(seen, t.ref))
          continue;
        seen.push_back(t.ref);
        auto [it, fresh] = usesOf.try_emplace(t.ref);
        if (fresh)
          albs.push_back(t.ref);
        for (const Resource *nlb : ctx.topology.loadBalancersOf(tg))
          if (std::none_of(it->second.begin(), it->second.end(),
                           [&](const Use &u) { return u.nlb == nlb; }))
            it->second.push_back({nlb, &t});
      }
    }
    for (const Resource *alb : albs)
      reportAlb(*alb, usesOf[alb], ctx);
  }
  void reportAlb(const Resource &alb, const std::vector<Use> &uses, RuleContext &ctx) const {
    for (size_t i = 2; i < uses.size(); ++i) {
      auto b = ctx.report(*this, uses[i].at->range,
                          "application load balancer '{}' is already the target of network "
                          "load balancers '{}' and '{}'; an ALB can be the target of at most 2 "
                          "NLBs, so '{}' cannot reach it",
                          alb.name, uses[0].nlb->name, uses[1].nlb->name, uses[i].nlb->name);
      for (size_t j = 0; j < 2; ++j)
        b.note(uses[j].at->range, "the target of '{}' here", uses[j].nlb->name);
    }
  }
  RuleDoc doc() const override {
    return {"A target group is attached to at most one load balancer: every listener and rule "
            "forwarding to it belongs to the same load balancer (two listeners of one load "
            "balancer may share it). The error points at the attachment by each further load "
            "balancer, with a note at the first. Likewise an application load balancer is the "
            "target (through alb-type target groups) of at most two network load balancers.",
            "AWS's quota \"load balancers per target group\" is 1; registering the same group "
            "behind a second load balancer fails. An ALB can be registered with at most two "
            "NLBs.",
            "ALB quotas (\"Load balancers per target group: 1\"); NLB guide, \"Use an "
            "Application Load Balancer as a target\".",
            "load_balancer a { ... listener l { protocol = https; port = 443; default = "
            "forward(web) } }\nload_balancer b { ... listener l { protocol = https; port = 443; "
            "default = forward(web) } }",
            "(give load balancer b its own target group)"};
  }
};

//===--- Listeners --------------------------------------------------------===//

bool allowedProtocol(StringRef type, StringRef proto) {
  static const std::map<std::string, std::set<std::string>> allowed = {
      {"application", {"http", "https"}},
      {"network", {"tcp", "tls", "udp", "tcp_udp", "quic", "tcp_quic"}},
      {"classic", {"http", "https", "tcp", "ssl"}},
  };
  auto it = allowed.find(type.str());
  return it != allowed.end() && it->second.count(proto.str());
}

class ListenerProtocol final : public Rule {
public:
  ListenerProtocol() : Rule(RuleID::LSN001, {"listener"}) {}
  void check(const Resource &l, RuleContext &ctx) const override {
    StringRef type = lbType(l);
    if (type == "gateway" || type.empty())
      return; // LSN007.
    StringRef proto = l.getEnum("protocol");
    if (proto.empty()) {
      ctx.report(*this, l.nameRange, "listener '{}' needs a protocol, e.g. 'protocol = {}'",
                 l.name, type == "application" ? "https" : type == "network" ? "tcp" : "http");
      return;
    }
    if (!allowedProtocol(type, proto))
      ctx.report(*this, rangeOf(l, "protocol"), "{} has no {} listeners; use {}",
                 typeName(type), upper(proto),
                 type == "application"   ? "http or https"
                 : type == "network"     ? "tcp, tls, udp, tcp_udp, quic or tcp_quic"
                                         : "http, https, tcp or ssl");
  }
  RuleDoc doc() const override {
    return {"The listener protocol is one the load balancer type supports: application: "
            "HTTP, HTTPS; network: TCP, TLS, UDP, TCP_UDP, QUIC, TCP_QUIC; classic: HTTP, "
            "HTTPS, TCP, SSL. A gateway load balancer's listener has no protocol (LSN007).",
            "CreateListener rejects any other protocol.",
            "ALB and NLB guides, \"Listeners\"; CLB listener configuration; tflint "
            "aws_lb_listener_invalid_protocol.",
            "load_balancer web { listener l { protocol = tcp; port = 80 } }  # an ALB",
            "load_balancer web { listener l { protocol = http; port = 80 } }"};
  }
};

class ListenerPort final : public Rule {
public:
  ListenerPort() : Rule(RuleID::LSN002, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    if (lb.getEnum("type") == "gateway")
      return;
    std::map<int64_t, const Resource *> byPort;
    for (const Resource *l : lb.childrenOf("listener")) {
      auto port = l->getInt("port");
      if (!port) {
        ctx.report(*this, l->nameRange, "listener '{}' needs a port", l->name);
        continue;
      }
      if (*port < 1 || *port > 65535) {
        ctx.report(*this, rangeOf(*l, "port"), "port {} is outside 1..65535", *port);
        continue;
      }
      auto [it, fresh] = byPort.emplace(*port, l);
      if (!fresh) {
        auto b = ctx.report(*this, rangeOf(*l, "port"),
                            "load balancer '{}' already has listener '{}' on port {}; one "
                            "listener per port",
                            lb.name, it->second->name, *port);
        b.note(rangeOf(*it->second, "port"), "listener '{}' is here", it->second->name);
        StringRef a = it->second->getEnum("protocol"), c = l->getEnum("protocol");
        if ((a == "tcp" && c == "udp") || (a == "udp" && c == "tcp"))
          b.note(rangeOf(*l, "protocol"),
                 "for TCP and UDP on one port, use a single tcp_udp listener");
      }
    }
  }
  RuleDoc doc() const override {
    return {"Each listener has a port in 1..65535 and a load balancer has at most one listener "
            "per port. The error points at the second listener with a note at the first. For "
            "TCP and UDP on one NLB port, use one TCP_UDP listener.",
            "CreateListener fails with DuplicateListener.",
            "ALB and NLB guides, \"Listeners\".",
            "listener a { protocol = http; port = 80 }\nlistener b { protocol = http; port = 80 }",
            "listener a { protocol = http; port = 80 }\nlistener b { protocol = http; port = 8080 }"};
  }
};

class ListenerCertificates final : public Rule {
public:
  ListenerCertificates() : Rule(RuleID::LSN003, {"listener"}) {}
  void check(const Resource &l, RuleContext &ctx) const override {
    StringRef proto = l.getEnum("protocol");
    bool tls = proto == "https" || proto == "tls" || proto == "ssl";
    const Value *certs = l.get("certificates");
    if (tls && (!certs || certs->items.empty()))
      ctx.report(*this, rangeOf(l, "protocol"),
                 "{} {} listener needs a certificate; add 'certificates = "
                 "[\"arn:aws:acm:...\"]'",
                 proto == "tls" ? "a" : "an", upper(proto));
    if (!tls && l.get("ssl_policy"))
      ctx.report(*this, attrRange(l, "ssl_policy"),
                 "'ssl_policy' only applies to HTTPS and TLS listeners");
    if (!tls && certs && !certs->items.empty())
      ctx.report(*this, attrRange(l, "certificates"),
                 "certificates only apply to HTTPS, TLS and SSL listeners");
    if (proto != "tls" && written(l, "alpn_policy"))
      ctx.report(*this, attrRange(l, "alpn_policy"),
                 "'alpn_policy' only applies to the TLS listeners of a network load balancer");
    // An ACM certificate or an IAM server certificate, by ARN.
    static const llvm::Regex acm(
        "^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[A-Za-z0-9-]+$");
    static const llvm::Regex iam("^arn:aws[a-z-]*:iam::[0-9]{12}:server-certificate/.+$");
    StringRef region = regionOfSubnets(*l.topLevel());
    if (certs)
      for (const Value &c : certs->items) {
        if (c.kind != Value::Kind::String)
          continue;
        llvm::SmallVector<StringRef, 2> m;
        if (acm.match(c.str, &m)) {
          // ACM certificates are regional: the load balancer's own region.
          if (!region.empty() && m[1] != region)
            ctx.report(*this, c.range,
                       "ACM certificate of region '{}' on a load balancer in '{}'; a load "
                       "balancer takes certificates from its own region only",
                       m[1], region)
                .note(rangeOf(*l.topLevel(), "subnets"), "'{}' is in {} by its subnets",
                      l.topLevel()->name, region);
        } else if (!iam.match(c.str)) {
          ctx.report(*this, c.range,
                     "'{}' is not a certificate ARN; expected "
                     "'arn:aws:acm:REGION:ACCOUNT:certificate/ID' or "
                     "'arn:aws:iam::ACCOUNT:server-certificate/NAME'",
                     c.str.size() > 60 ? (c.str.take_front(57) + "...").str() : c.str.str());
        }
      }
    // The predefined policies' names (ELBv2 takes no custom policy): the
    // year-month form of the oldest, TLS-1-x, FS and TLS13 families with
    // their Res/Ext, FIPS and PQ variants.
    static const llvm::Regex policy(
        "^ELBSecurityPolicy-(20[0-9]{2}-[0-9]{2}|TLS-1-[0-2](-Ext)?-20[0-9]{2}-[0-9]{2}|"
        "FS(-1-[12](-Res)?)?-20[0-9]{2}-[0-9]{2}|"
        "TLS13-1-[0-3](-(Res|Ext[0-2]))?(-FIPS)?(-PQ)?-20[0-9]{2}-[0-9]{2})$");
    if (const Value *p = l.get("ssl_policy");
        p && p->kind == Value::Kind::String && tls && lbType(l) != "classic" &&
        !policy.match(p->str))
      ctx.report(*this, p->range,
                 "'{}' is not a predefined ELB security policy; use e.g. "
                 "\"ELBSecurityPolicy-TLS13-1-2-2021-06\" (aws elbv2 describe-ssl-policies "
                 "lists them)",
                 p->str.size() > 60 ? (p->str.take_front(57) + "...").str() : p->str.str());
  }
  RuleDoc doc() const override {
    return {"HTTPS and TLS listeners (and classic SSL) carry at least one certificate; "
            "certificates and ssl_policy appear on no other listener. A certificate is an ACM "
            "ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID) of the load balancer's own region "
            "(that of its subnets' zones) or an IAM server certificate "
            "(arn:aws:iam::ACCOUNT:server-certificate/NAME). `alpn_policy` is only on an NLB's "
            "TLS listeners. An HTTPS or TLS listener's `ssl_policy` names a predefined ELB "
            "security policy: ELBSecurityPolicy-YYYY-MM, -TLS-1-x[-Ext]-, -FS[-1-x[-Res]]- or "
            "-TLS13-1-x[-Res|-ExtN][-FIPS][-PQ]- followed by its date (no custom policies).",
            "CreateListener rejects an HTTPS or TLS listener without a certificate, a "
            "certificate from another region (ACM certificates are regional) and an unknown "
            "policy name.",
            "cfn-lint E3676, E3679; ALB guide, \"HTTPS listeners\" and \"Security policies "
            "for your Application Load Balancer\" "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
            "describe-ssl-policies.html); ACM User Guide, \"Supported Regions\" "
            "(https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html).",
            "listener https { protocol = https; port = 443; default = forward(web) }",
            "listener https { protocol = https; port = 443; default = forward(web)\n"
            "                 certificates = [\"arn:aws:acm:...\"] }"};
  }
};

class ForwardShape final : public Rule {
public:
  ForwardShape() : Rule(RuleID::LSN005, {"listener", "listener_rule"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    StringRef attr = r.kind() == "listener" ? "default" : "then";
    StringRef type = lbType(r);
    const Value *action = r.get(attr);
    if (!action) {
      if (r.kind() == "listener" && type != "classic" && !type.empty())
        ctx.report(*this, r.nameRange,
                   "listener '{}' has no default action; add e.g. 'default = forward(web)'",
                   r.name);
      return;
    }
    if (action->kind != Value::Kind::Call)
      return;
    if (action->str != "forward") {
      // A rule's action on an NLB or GWLB is LRL001's: they have no rules.
      if (r.kind() == "listener" && (type == "network" || type == "gateway"))
        ctx.report(*this, action->range,
                   "{} listener's default action must be a forward to a target group; {} "
                   "is for application load balancers",
                   type == "network" ? "a network load balancer" : "a gateway load balancer",
                   action->str);
      return;
    }
    size_t n = action->items.size();
    bool weighted = n > 0 && std::all_of(action->items.begin(), action->items.end(),
                                         [](const Value &v) {
                                           return v.kind == Value::Kind::Weighted;
                                         });
    if (n > 1 && !weighted) {
      ctx.report(*this, action->items[1].range,
                 "a forward sends to exactly one target group unless it is weighted; write "
                 "e.g. 'forward({}: 50, {}: 50)'",
                 name(action->items[0]), name(action->items[1]));
      return;
    }
    if (weighted) {
      llvm::DenseMap<const Resource *, const Value *> seen;
      for (const Value &w : action->items)
        if (!w.items.empty() && w.items[0].ref) {
          auto [it, fresh] = seen.try_emplace(w.items[0].ref, &w);
          if (!fresh)
            ctx.report(*this, w.range,
                       "target group '{}' is in this forward twice; a forward names each "
                       "group once: add the weights",
                       w.items[0].ref->name)
                .note(it->second->range, "first named here");
        }
      size_t limit = type == "gateway" ? 1 : 5;
      if (n > limit)
        ctx.report(*this, action->items[limit].range,
                   "a weighted forward on {} takes at most {} target group{}; this one has {}",
                   typeName(type), limit, limit == 1 ? "" : "s", n);
      for (const Value &w : action->items)
        if (w.items.size() == 2 && w.items[1].kind == Value::Kind::Int &&
            (w.items[1].i < 0 || w.items[1].i > 999))
          ctx.report(*this, w.items[1].range, "weight {} is outside 0..999", w.items[1].i);
    }
  }
  static std::string name(const Value &v) {
    const Value &t = v.kind == Value::Kind::Weighted && !v.items.empty() ? v.items[0] : v;
    return t.ref ? t.ref->name.str() : "tg";
  }
  RuleDoc doc() const override {
    return {"Every listener (except classic) has a default action. A forward — a listener's "
            "default or a rule's action — names exactly one target group, unless it is an "
            "explicit weighted forward (`forward(a: 80, b: 20)`, at most 5 groups with weights "
            "0..999, each group once; 1 on a gateway load balancer). A network or gateway "
            "load balancer's default action is a forward.",
            "This is one of the two headline rules: one target group behind each listener port "
            "and action. An unweighted list of groups is ambiguous: AWS needs the weights.",
            "ALB guide, \"Forward actions\"; ALB quotas (target groups per action: 5); NLB "
            "blog \"weighted target groups\"; ELBv2 API ForwardActionConfig (a target group "
            "appears once: CreateListener fails with a duplicate) "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
            "API_ForwardActionConfig.html).",
            "default = forward(web, api)",
            "default = forward(web: 90, api: 10)"};
  }
};

/// Which target-group protocols a listener of this protocol may forward to.
bool protocolFits(StringRef lbType, StringRef listener, const Resource &tg) {
  StringRef proto = tg.getEnum("protocol");
  StringRef tt = tg.getEnum("target_type");
  if (lbType == "application")
    return tt == "lambda" || proto == "http" || proto == "https";
  if (lbType == "gateway")
    return proto == "geneve";
  if (lbType != "network")
    return true;
  if (tt == "lambda")
    return true; // TG002: lambda targets are for ALBs only.
  if (tt == "alb")
    return listener == "tcp" && proto == "tcp";
  static const std::map<std::string, std::set<std::string>> fits = {
      {"tcp", {"tcp", "tcp_udp"}},      {"tls", {"tcp", "tls"}},
      {"udp", {"udp", "tcp_udp"}},      {"tcp_udp", {"tcp_udp"}},
      {"quic", {"quic", "tcp_quic"}},   {"tcp_quic", {"tcp_quic"}},
  };
  auto it = fits.find(listener.str());
  return it == fits.end() || it->second.count(proto.str());
}

/// "HTTP or HTTPS", "TCP, TLS or ..." : the groups a listener may forward to.
std::string fittingProtocols(StringRef lbType, StringRef listener, const Resource &tg) {
  if (lbType == "application")
    return "HTTP or HTTPS target groups (or lambda)";
  if (lbType == "gateway")
    return "a GENEVE target group on port 6081";
  static const std::map<std::string, std::string> fits = {
      {"tcp", "TCP or TCP_UDP target groups"},   {"tls", "TCP or TLS target groups"},
      {"udp", "UDP or TCP_UDP target groups"},   {"tcp_udp", "TCP_UDP target groups"},
      {"quic", "QUIC or TCP_QUIC target groups"}, {"tcp_quic", "TCP_QUIC target groups"},
  };
  auto it = fits.find(listener.str());
  return it == fits.end() ? std::string("other target groups") : it->second;
}

/// "an HTTP listener", "a TCP listener", "a gateway load balancer's listener".
std::string listenerPhrase(StringRef lbType, StringRef proto) {
  if (proto.empty())
    return lbType == "gateway" ? "a gateway load balancer's listener" : "this listener";
  std::string p = proto.upper();
  bool vowel = p == "HTTP" || p == "HTTPS" || p == "SSL";
  return (vowel ? "an " : "a ") + p + " listener";
}

class TargetGroupProtocol final : public Rule {
public:
  TargetGroupProtocol() : Rule(RuleID::LSN006, {"listener"}) {}
  void check(const Resource &l, RuleContext &ctx) const override {
    StringRef type = lbType(l), proto = l.getEnum("protocol");
    for (const ForwardTarget &f : ctx.topology.forwardsOf(&l)) {
      const Resource &tg = *f.targetGroup;
      if (protocolFits(type, proto, tg))
        continue;
      StringRef tgProto = tg.getEnum("protocol");
      std::string what = tg.getEnum("target_type") == "alb" ? "alb-type"
                         : tgProto.empty()                 ? "this"
                                                           : tgProto.upper();
      std::string phrase = listenerPhrase(type, proto);
      std::string why = tg.getEnum("target_type") == "alb" && type == "network"
                            ? "an alb-type target group sits only behind a TCP listener"
                            : phrase + " forwards to " + fittingProtocols(type, proto, tg);
      ctx.report(*this, f.at->range, "{} target group '{}' cannot serve {}; {}", what, tg.name,
                 phrase, why)
          .note(rangeOf(tg, "protocol"), "'{}' is declared here", tg.name);
    }
  }
  RuleDoc doc() const override {
    return {"A target group's protocol fits the listener that forwards to it. Application: "
            "HTTP or HTTPS groups (or lambda). Gateway: GENEVE. Network: TCP → TCP or TCP_UDP; "
            "TLS → TCP or TLS; UDP → UDP or TCP_UDP; TCP_UDP → TCP_UDP; QUIC → QUIC or "
            "TCP_QUIC; TCP_QUIC → TCP_QUIC; an `alb`-type group only behind TCP.",
            "CreateListener and CreateRule reject a mismatched target group.",
            "NLB guide, \"Target groups\" (routing configuration); ALB guide; cfn-lint E3711.",
            "listener l { protocol = udp; port = 53; default = forward(tcp_tg) }",
            "listener l { protocol = udp; port = 53; default = forward(udp_tg) }"};
  }
};

class GatewayListener final : public Rule {
public:
  GatewayListener() : Rule(RuleID::LSN007, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    if (lb.getEnum("type") != "gateway")
      return;
    auto listeners = lb.childrenOf("listener");
    if (listeners.size() != 1)
      ctx.report(*this, listeners.size() > 1 ? listeners[1]->nameRange : lb.nameRange,
                 "a gateway load balancer has exactly one listener; this one has {}",
                 listeners.size());
    for (const Resource *l : listeners)
      for (StringRef attr : {"protocol", "port"})
        if (const Attr *a = l->attr(attr); a && !a->isDefault)
          ctx.report(*this, a->range(),
                     "a gateway load balancer's listener takes no {}: it receives every IP "
                     "packet and forwards with GENEVE on port 6081",
                     attr)
              .fixit(a->range(), "");
  }
  RuleDoc doc() const override {
    return {"A gateway load balancer has exactly one listener, with no protocol and no port.",
            "GWLB listens on all IP packets of all ports and forwards them with GENEVE on 6081; "
            "the API rejects a protocol or port.",
            "GWLB guide, \"Listeners\", quotas.",
            "load_balancer fw { type = gateway; listener l { protocol = tcp; port = 80 } }",
            "load_balancer fw { type = gateway; listener l { default = forward(appliances) } }"};
  }
};

class RedirectAndFixedResponse final : public Rule {
public:
  RedirectAndFixedResponse() : Rule(RuleID::LSN010, {"listener", "listener_rule"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    const Value *a = r.get(r.kind() == "listener" ? "default" : "then");
    if (!a || a->kind != Value::Kind::Call)
      return;
    const Resource &listener = r.kind() == "listener" ? r : *r.parent;
    if (a->str == "redirect")
      checkRedirect(*a, listener, ctx);
    else if (a->str == "fixed_response")
      checkFixed(*a, ctx);
  }
  void checkRedirect(const Value &a, const Resource &listener, RuleContext &ctx) const {
    StringRef from = listener.getEnum("protocol");
    auto listenerPort = listener.getInt("port");
    // A redirect must change the protocol, host, port or path; the query
    // alone does not count (AWS rejects it as a loop).
    bool changes = false;
    const NamedValue *proto = a.field("protocol");
    if (proto && proto->value.kind == Value::Kind::Enum && proto->value.str != "keep" &&
        proto->value.str != from)
      changes = true;
    if (const NamedValue *port = a.field("port"); port && port->value.kind == Value::Kind::Int) {
      if (!listenerPort || port->value.i != *listenerPort)
        changes = true;
      if (port->value.i < 1 || port->value.i > 65535)
        ctx.report(*this, port->value.range, "redirect port {} is outside 1..65535",
                   port->value.i);
    }
    if (const NamedValue *host = a.field("host"); host && host->value.kind == Value::Kind::String) {
      if (host->value.str != "#{host}")
        changes = true;
      if (host->value.str.empty() || host->value.str.size() > 128)
        ctx.report(*this, host->value.range, "a redirect host has 1..128 characters; this one "
                                             "has {}",
                   host->value.str.size());
    }
    if (const NamedValue *path = a.field("path"); path && path->value.kind == Value::Kind::String) {
      if (path->value.str != "/#{path}")
        changes = true;
      if (!path->value.str.startswith("/") || path->value.str.size() > 128)
        ctx.report(*this, path->value.range,
                   "a redirect path starts with '/' and has at most 128 characters");
    }
    if (const NamedValue *q = a.field("query");
        q && q->value.kind == Value::Kind::String && q->value.str.size() > 128)
      ctx.report(*this, q->value.range, "a redirect query has at most 128 characters; this one "
                                        "has {}",
                 q->value.str.size());
    // Back to this load balancer (the host kept) on a port it has no
    // listener for: the client's connection is refused.
    const NamedValue *host = a.field("host");
    const NamedValue *port = a.field("port");
    if ((!host || host->value.str == "#{host}") && port && port->value.kind == Value::Kind::Int &&
        port->value.i >= 1 && port->value.i <= 65535) {
      auto listeners = listener.topLevel()->childrenOf("listener");
      if (std::none_of(listeners.begin(), listeners.end(), [&](const Resource *other) {
            return other->getInt("port") == port->value.i;
          }))
        ctx.report(*this, port->value.range,
                   "this redirect sends clients back to '{}' on port {}, where it has no "
                   "listener; add one or redirect to a port it listens on",
                   listener.topLevel()->name, port->value.i);
    }
    if (!changes)
      ctx.report(*this, a.range,
                 "this redirect changes neither protocol, host, port nor path: it sends the "
                 "client back to the same URL (a loop); give it a new protocol, host, port or "
                 "path");
    if (proto && proto->value.str == "http" && from == "https")
      ctx.report(*this, proto->value.range, "a redirect from HTTPS to HTTP is not allowed");
    if (const NamedValue *st = a.field("status"); st && st->value.kind == Value::Kind::Int &&
                                                  st->value.i != 301 && st->value.i != 302)
      ctx.report(*this, st->value.range, "redirect status is {}; use 301 or 302", st->value.i);
  }
  void checkFixed(const Value &a, RuleContext &ctx) const {
    if (const NamedValue *st = a.field("status"); st && st->value.kind == Value::Kind::Int) {
      int64_t s = st->value.i;
      if (!((s >= 200 && s <= 299) || (s >= 400 && s <= 599)))
        ctx.report(*this, st->value.range, "fixed-response status {} is not 2XX, 4XX or 5XX",
                   s);
    }
    if (const NamedValue *b = a.field("body"); b && b->value.str.size() > 1024)
      ctx.report(*this, b->value.range, "fixed-response body is {} characters; at most 1024",
                 b->value.str.size());
    static const char *const contentTypes[] = {"text/plain", "text/css", "text/html",
                                               "application/javascript", "application/json"};
    if (const NamedValue *c = a.field("content_type");
        c && c->value.kind == Value::Kind::String &&
        std::find(std::begin(contentTypes), std::end(contentTypes), c->value.str) ==
            std::end(contentTypes))
      ctx.report(*this, c->value.range,
                 "fixed-response content type '{}' is not one AWS takes: text/plain, text/css, "
                 "text/html, application/javascript or application/json",
                 c->value.str.size() > 40 ? (c->value.str.take_front(37) + "...").str()
                                          : c->value.str.str());
  }
  RuleDoc doc() const override {
    return {"A redirect changes at least one of protocol, host, port or path (else it loops; "
            "a new query alone does not count, nor a port or protocol equal to the listener's), "
            "never goes from HTTPS to HTTP, and uses status 301 or 302; its host and path have "
            "1..128 characters (the path starting with '/'), its query at most 128 and its "
            "port is 1..65535; a redirect that keeps the host goes to a port the load balancer "
            "has a listener on. A fixed response has a 2XX, 4XX or 5XX status, a body of at "
            "most 1024 characters and a content type of text/plain, text/css, text/html, "
            "application/javascript or application/json.",
            "The API rejects these actions; a redirect to a port without a listener sends "
            "every client to a refused connection.",
            "ALB guide, \"Redirect actions\", \"Fixed-response actions\"; ELBv2 API "
            "FixedResponseActionConfig (ContentType: valid values) "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
            "API_FixedResponseActionConfig.html).",
            "default = redirect(status = 301)",
            "default = redirect(protocol = https, port = 443, status = 301)"};
  }
};

//===--- Listener rules ---------------------------------------------------===//

class RulesOnlyOnAlb final : public Rule {
public:
  RulesOnlyOnAlb() : Rule(RuleID::LRL001, {"listener_rule"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    StringRef type = lbType(r);
    if (!type.empty() && type != "application")
      ctx.report(*this, r.nameRange,
                 "only application load balancers have listener rules; {}'s listener sends "
                 "everything to {}",
                 typeName(type),
                 type == "classic" ? "its instance port (route on an ALB instead)"
                                   : "its default action (use one listener per port, or route "
                                     "on an ALB)");
  }
  RuleDoc doc() const override {
    return {"Listener rules exist only on application load balancers (HTTP and HTTPS "
            "listeners).",
            "NLB, GWLB and classic listeners route everything to their default action.",
            "ALB guide, \"Listener rules\"; NLB guide, \"Listeners\".",
            "load_balancer game { type = network; listener l { rule r { ... } } }",
            "(route on an ALB, or use one NLB listener per port)"};
  }
};

class RulePriority final : public Rule {
public:
  RulePriority() : Rule(RuleID::LRL002, {"listener"}) {}
  void check(const Resource &l, RuleContext &ctx) const override {
    std::map<int64_t, const Resource *> seen;
    for (const Resource *r : l.childrenOf("rule")) {
      auto p = r->getInt("priority");
      if (!p)
        continue;
      if (*p < 1 || *p > 50000) {
        ctx.report(*this, rangeOf(*r, "priority"), "priority {} is outside 1..50000", *p);
        continue;
      }
      auto [it, fresh] = seen.emplace(*p, r);
      if (!fresh)
        ctx.report(*this, rangeOf(*r, "priority"),
                   "rules '{}' and '{}' both have priority {}; priorities are unique per "
                   "listener",
                   it->second->name, r->name, *p)
            .note(rangeOf(*it->second, "priority"), "'{}' has it here", it->second->name);
    }
  }
  RuleDoc doc() const override {
    return {"Rule priorities are integers 1..50000, unique within a listener. Rules run from "
            "the lowest priority up; the default action runs last.",
            "CreateRule fails with PriorityInUse or a validation error.",
            "CloudFormation schema (Priority 1..50000); ALB guide, \"Rule priority\".",
            "rule a { priority = 10; ... }\nrule b { priority = 10; ... }",
            "rule a { priority = 10; ... }\nrule b { priority = 20; ... }"};
  }
};

/// The calls of a condition: `path("/a") and host("b")` -> [path, host].
void conditionCalls(const Value &v, std::vector<const Value *> &out) {
  if (v.kind == Value::Kind::And) {
    for (const Value &item : v.items)
      conditionCalls(item, out);
  } else if (v.kind == Value::Kind::Call) {
    out.push_back(&v);
  }
}

/// The values a condition matches (header and query: their values, not names).
std::vector<const Value *> conditionValues(const Value &call) {
  std::vector<const Value *> out;
  size_t skip = call.str == "header" ? 1 : 0;
  for (size_t i = skip; i < call.items.size(); ++i) {
    const Value &v = call.items[i];
    if (v.kind == Value::Kind::List)
      for (const Value &x : v.items)
        out.push_back(&x);
    else
      out.push_back(&v);
  }
  return out;
}

class ConditionCardinality final : public Rule {
public:
  ConditionCardinality() : Rule(RuleID::LRL003, {"listener_rule"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    const Value *when = r.get("when");
    if (!when)
      return;
    std::vector<const Value *> calls;
    conditionCalls(*when, calls);
    std::map<std::string, const Value *> seen;
    for (const Value *c : calls) {
      if (c->str == "header" || c->str == "query")
        continue;
      auto [it, fresh] = seen.emplace(c->str.str(), c);
      if (!fresh)
        ctx.report(*this, c->range,
                   "a rule has at most one '{}' condition; give both values to the first, "
                   "e.g. {}(\"a\", \"b\")",
                   c->str, c->str)
            .note(it->second->range, "the first '{}' condition", c->str);
    }
  }
  RuleDoc doc() const override {
    return {"A rule has at least one condition and at most one each of host, method, path and "
            "source_ip (header and query may repeat). Several values of one kind go in one "
            "condition and match if any matches.",
            "CreateRule rejects repeated condition types.",
            "ALB guide, \"Rule condition types\".",
            "when = path(\"/a\") and path(\"/b\")", "when = path(\"/a\", \"/b\")"};
  }
};

class ConditionLimits final : public Rule {
public:
  ConditionLimits() : Rule(RuleID::LRL004, {"listener_rule", "load_balancer"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    if (r.kind() == "load_balancer") {
      checkRuleQuota(r, ctx);
      return;
    }
    const Value *when = r.get("when");
    if (!when)
      return;
    std::vector<const Value *> calls;
    conditionCalls(*when, calls);
    size_t total = 0, wildcards = 0;
    for (const Value *c : calls) {
      auto values = conditionValues(*c);
      if (values.size() > 3 && c->str != "query")
        ctx.report(*this, values[3]->range,
                   "a '{}' condition matches at most 3 values; this one has {}", c->str,
                   values.size());
      // query(key, value) is one key/value pair: one match evaluation.
      total += c->str == "query" ? 1 : values.size();
      for (const Value *v : values)
        if (v->kind == Value::Kind::String)
          wildcards += std::count_if(v->str.begin(), v->str.end(),
                                     [](char ch) { return ch == '*' || ch == '?'; });
    }
    if (total > 5)
      ctx.report(*this, when->range, "a rule matches at most 5 values in all; this one has {}",
                 total);
    if (wildcards > 5)
      ctx.report(*this, when->range, "a rule has at most 5 wildcards ('*', '?'); this one has {}",
                 wildcards);
  }
  /// The adjustable quota of 100 rules per ALB (default rules excluded).
  void checkRuleQuota(const Resource &lb, RuleContext &ctx) const {
    if (lb.getEnum("type") != "application")
      return;
    size_t count = 0;
    for (const Resource *l : lb.childrenOf("listener"))
      for (const Resource *rule : l->childrenOf("rule"))
        if (++count == 101)
          ctx.reportAs(*this, Severity::Warning, rule->nameRange,
                       "{} has more than 100 listener rules, the default quota; ask AWS for "
                       "more or split the routing",
                       describe(lb));
  }
  RuleDoc doc() const override {
    return {"Per rule: at most 3 values per condition, 5 values in all, and 5 wildcards "
            "('*' or '?'). A header condition's name is not a value; a query condition's "
            "key/value pair is one. These limits are not adjustable. An application load "
            "balancer has at most 100 rules besides the default ones (an adjustable quota: a "
            "warning).",
            "CreateRule rejects the rule.", "ALB guide, \"Listener rules\"; ALB quotas.",
            "when = path(\"/a\", \"/b\", \"/c\", \"/d\")",
            "when = path(\"/a\", \"/b\", \"/c\")"};
  }
};

bool hostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '*' ||
         c == '?';
}

class ConditionSyntax final : public Rule {
public:
  ConditionSyntax() : Rule(RuleID::LRL005, {"listener_rule"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    const Value *when = r.get("when");
    if (!when)
      return;
    std::vector<const Value *> calls;
    conditionCalls(*when, calls);
    for (const Value *c : calls) {
      if (c->str == "header" && !c->items.empty() && c->items[0].kind == Value::Kind::String) {
        StringRef name = c->items[0].str;
        if (name.empty() || name.size() > 40 ||
            !std::all_of(name.begin(), name.end(), tokenChar))
          ctx.report(*this, c->items[0].range,
                     "header name '{}' is not an HTTP field name of 1..40 characters (letters, "
                     "digits and !#$%&'+-.^_`|~; no wildcards)",
                     name.size() > 40 ? name.take_front(40).str() + "..." : name.str());
      }
      for (const Value *v : conditionValues(*c)) {
        if (v->kind != Value::Kind::String)
          continue;
        StringRef s = v->str;
        std::string shown = s.size() > 40 ? s.take_front(40).str() + "..." : s.str();
        if (c->str == "path" && !s.startswith("/"))
          ctx.report(*this, v->range, "path pattern '{}' must start with '/'", shown);
        else if ((c->str == "path" || c->str == "host" || c->str == "query" ||
                  c->str == "header") &&
                 s.size() > 128)
          ctx.report(*this, v->range, "a {} {} has at most 128 characters; '{}' has {}",
                     c->str, c->str == "path" || c->str == "host" ? "pattern" : "value", shown,
                     s.size());
        else if (c->str == "host" && !std::all_of(s.begin(), s.end(), hostChar)) {
          char bad = *std::find_if_not(s.begin(), s.end(), hostChar);
          ctx.report(*this, v->range,
                     "host pattern '{}' has '{}'; a host pattern takes only A-Z, a-z, 0-9, - . * "
                     "and ?",
                     shown, bad);
        } else if (c->str == "method" && (s.contains('*') || s.contains('?'))) {
          ctx.report(*this, v->range,
                     "method '{}' has a wildcard; a method matches exactly: list the methods",
                     shown);
        } else if (c->str == "method" &&
                   (s.empty() || s.size() > 40 || !std::all_of(s.begin(), s.end(), methodChar))) {
          ctx.report(*this, v->range,
                     "method '{}' is not a method name: 1..40 characters from A-Z, '-' and "
                     "'_' (methods are case-sensitive: \"{}\")",
                     shown, s.upper());
        } else if (c->str == "source_ip" && s == "255.255.255.255/32") {
          ctx.report(*this, v->range, "255.255.255.255/32 is not allowed as a source IP");
        }
      }
    }
  }
  /// RFC 9110's token characters, which an HTTP field name is made of, less
  /// the '*' that AWS refuses in a name (no wildcards).
  static bool tokenChar(char c) {
    return llvm::isAlnum(c) || StringRef("!#$%&'+-.^_`|~").contains(c);
  }
  static bool methodChar(char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }
  RuleDoc doc() const override {
    return {"Condition values are well formed: a path starts with '/' and has at most 128 "
            "characters; a host has at most 128 characters from A-Z a-z 0-9 - . * ?; a method "
            "has no wildcards and 1..40 characters from A-Z, '-' and '_' (case-sensitive); a "
            "header condition's name is an HTTP field name (token characters) of 1..40 "
            "characters without wildcards; a source IP is not 255.255.255.255/32 (its CIDR "
            "syntax is checked by the language); header and query values at most 128 "
            "characters.",
            "CreateRule rejects malformed values.",
            "ALB guide, \"Listener rules for your Application Load Balancer\" (HTTP header and "
            "HTTP request method conditions) "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
            "rule-condition-types.html); ELBv2 API HttpHeaderConditionConfig, "
            "HttpRequestMethodConditionConfig.",
            "when = path(\"api/*\")", "when = path(\"/api/*\")"};
  }
};

class ShadowedRule final : public Rule {
public:
  ShadowedRule() : Rule(RuleID::LRL006, {"listener"}) {}
  void check(const Resource &l, RuleContext &ctx) const override {
    struct Entry {
      int64_t priority;
      const Resource *rule;
      std::string key;
      bool catchAll;
    };
    std::vector<Entry> entries;
    for (const Resource *r : l.childrenOf("rule")) {
      auto p = r->getInt("priority");
      const Value *when = r->get("when");
      if (!p || !when)
        continue;
      std::vector<const Value *> calls;
      conditionCalls(*when, calls);
      std::vector<std::string> parts;
      bool catchAll = calls.size() == 1 && calls[0]->str == "path";
      for (const Value *c : calls) {
        std::string part = c->str.str() + "(";
        // A header condition's name is part of it (conditionValues skips it).
        if (c->str == "header" && !c->items.empty())
          part += c->items[0].str.str() + ":";
        for (const Value *v : conditionValues(*c)) {
          part += v->str.str() + ",";
          if (c->str == "path" && v->str != "/*" && v->str != "*")
            catchAll = false;
        }
        parts.push_back(part + ")");
      }
      std::sort(parts.begin(), parts.end());
      entries.push_back({*p, r, llvm::join(parts, " and "), catchAll});
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry &a, const Entry &b) { return a.priority < b.priority; });
    for (size_t i = 0; i < entries.size(); ++i)
      for (size_t j = 0; j < i; ++j) {
        const Entry &a = entries[j], &b = entries[i];
        if (a.priority == b.priority)
          continue; // LRL002.
        if (a.key == b.key || a.catchAll) {
          ctx.report(*this, rangeOf(*b.rule, "when"),
                     "rule '{}' never matches: rule '{}' (priority {}) {} and is evaluated "
                     "first; {}",
                     b.rule->name, a.rule->name, a.priority,
                     a.key == b.key ? "has the same conditions" : "matches every path",
                     a.key == b.key ? "remove one of them or make their conditions differ"
                                    : fmt::format("give '{}' a priority below {}", b.rule->name,
                                                  a.priority))
              .note(rangeOf(*a.rule, "when"), "'{}' is here", a.rule->name);
          break;
        }
      }
  }
  RuleDoc doc() const override {
    return {"No rule is shadowed: two rules of one listener with the same conditions, or a "
            "rule matching every path (`path(\"/*\")` alone) evaluated before another rule.",
            "Rules run in priority order and the first match wins: the later rule is dead "
            "code, usually a priority typo.",
            "Derived from the ALB guide's rule evaluation order.",
            "rule all { priority = 1; when = path(\"/*\"); then = forward(web) }\n"
            "rule api { priority = 2; when = path(\"/api/*\"); then = forward(api) }",
            "rule api { priority = 1; when = path(\"/api/*\"); then = forward(api) }\n"
            "rule all { priority = 2; when = path(\"/*\"); then = forward(web) }"};
  }
};

class NlbQuic final : public Rule {
public:
  NlbQuic() : Rule(RuleID::LSN008, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    if (lb.getEnum("type") != "network")
      return;
    const Resource *firstQuic = nullptr, *firstUdp = nullptr;
    for (const Resource *l : lb.childrenOf("listener")) {
      StringRef p = l->getEnum("protocol");
      if (p == "udp" || p == "tcp_udp") {
        if (!firstUdp)
          firstUdp = l;
        if (firstQuic)
          ctx.report(*this, rangeOf(*l, "protocol"),
                     "an NLB with a QUIC listener cannot have {} listeners; move them to "
                     "another NLB",
                     p.upper())
              .note(rangeOf(*firstQuic, "protocol"), "QUIC listener here");
        continue;
      }
      if (p != "quic" && p != "tcp_quic")
        continue;
      if (firstQuic) {
        ctx.report(*this, rangeOf(*l, "protocol"),
                   "an NLB has at most one QUIC or TCP_QUIC listener; put this one on another NLB")
            .note(rangeOf(*firstQuic, "protocol"), "the first is here");
        continue;
      }
      firstQuic = l;
      if (firstUdp)
        ctx.report(*this, rangeOf(*l, "protocol"),
                   "an NLB with {} listeners cannot have a QUIC listener; move it to another NLB",
                   firstUdp->getEnum("protocol").upper())
            .note(rangeOf(*firstUdp, "protocol"), "{} listener here",
                  firstUdp->getEnum("protocol").upper());
      if (lb.getEnum("ip_address_type") != "ipv4")
        ctx.report(*this, rangeOf(*l, "protocol"),
                   "QUIC listeners are not allowed on a dualstack NLB; use "
                   "'ip_address_type = ipv4' or another NLB")
            .note(rangeOf(lb, "ip_address_type"), "ip address type here");
      if (const Value *sgs = lb.get("security_groups"); sgs && !sgs->items.empty())
        ctx.report(*this, rangeOf(*l, "protocol"),
                   "QUIC listeners are not allowed on an NLB with security groups; remove the "
                   "groups or move QUIC to another NLB")
            .note(sgs->range, "security groups here");
    }
  }
  RuleDoc doc() const override {
    return {"On a network load balancer: at most one QUIC or TCP_QUIC listener; none when "
            "the NLB has UDP or TCP_UDP listeners, is dualstack, or has security groups. (A UDP "
            "listener on a dualstack NLB needing IPv6 target groups is TG006's family check.)",
            "CreateListener rejects these combinations.",
            "NLB guide, \"Listeners\" (create-listener prerequisites).",
            "load_balancer game { type = network; listener q { protocol = quic; port = 443 }\n"
            "                     listener u { protocol = udp; port = 7777 } }",
            "load_balancer game { type = network; listener q { protocol = quic; port = 443 } }"};
  }
};

class ProtocolVersionNeedsHttps final : public Rule {
public:
  ProtocolVersionNeedsHttps() : Rule(RuleID::LSN009, {"listener"}) {}
  void check(const Resource &l, RuleContext &ctx) const override {
    if (l.topLevel()->getEnum("type") != "application")
      return;
    for (const ForwardTarget &f : ctx.topology.forwardsOf(&l)) {
      const Resource *tg = f.targetGroup;
      StringRef version = tg->getEnum("protocol_version");
      if (version != "http2" && version != "grpc")
        continue;
      if (l.getEnum("protocol") != "https")
        ctx.report(*this, f.at->range,
                   "target group '{}' speaks {} to its targets, which needs an HTTPS listener; "
                   "{} is {}: forward from an HTTPS listener, or use 'protocol_version = http1'",
                   tg->name, version == "grpc" ? "gRPC" : "HTTP/2", describe(l),
                   l.getEnum("protocol").upper())
            .note(rangeOf(*tg, "protocol_version"), "protocol version set here");
      StringRef tt = tg->getEnum("target_type");
      if (version == "grpc" && tt != "instance" && tt != "ip")
        ctx.report(*this, rangeOf(*tg, "target_type"),
                   "a gRPC target group takes instance or ip targets, not {}", tt)
            .note(f.at->range, "forwarded to from {} here", describe(l));
    }
  }
  RuleDoc doc() const override {
    return {"A target group with protocol version HTTP/2 or gRPC is reached only through an "
            "HTTPS listener of an application load balancer, and a gRPC group takes instance "
            "or ip targets. (Authenticate actions, HTTPS-only too, are not in the language.)",
            "CreateListener and CreateRule reject the forward otherwise.",
            "ALB guide, listeners and target groups, \"Protocol version\".",
            "listener http { protocol = http; port = 80; default = forward(grpc_tg) }",
            "listener https { protocol = https; port = 443; certificates = [\"arn:...\"]; "
            "default = forward(grpc_tg) }"};
  }
};

} // namespace

void rules::addLoadBalancingRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<AlbZones>());
  out.push_back(std::make_unique<OneSubnetPerZone>());
  out.push_back(std::make_unique<NlbSecurityGroups>());
  out.push_back(std::make_unique<GwlbSecurityGroups>());
  out.push_back(std::make_unique<LoadBalancerAttributes>());
  out.push_back(std::make_unique<ListenerQuota>());
  out.push_back(std::make_unique<AccessLogsWhereWritten>());
  out.push_back(std::make_unique<OneLoadBalancerPerTargetGroup>());
  out.push_back(std::make_unique<SchemeFitsSubnets>());
  out.push_back(std::make_unique<ListenerProtocol>());
  out.push_back(std::make_unique<ListenerPort>());
  out.push_back(std::make_unique<ListenerCertificates>());
  out.push_back(std::make_unique<ForwardShape>());
  out.push_back(std::make_unique<TargetGroupProtocol>());
  out.push_back(std::make_unique<GatewayListener>());
  out.push_back(std::make_unique<NlbQuic>());
  out.push_back(std::make_unique<ProtocolVersionNeedsHttps>());
  out.push_back(std::make_unique<RedirectAndFixedResponse>());
  out.push_back(std::make_unique<RulesOnlyOnAlb>());
  out.push_back(std::make_unique<RulePriority>());
  out.push_back(std::make_unique<ConditionCardinality>());
  out.push_back(std::make_unique<ConditionLimits>());
  out.push_back(std::make_unique<ConditionSyntax>());
  out.push_back(std::make_unique<ShadowedRule>());
}

//===- RulesNetwork.cpp - VPC, subnet and security-group rules ------------===//

#include "Rules/Net.h"
#include "Rules/Rule.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

using namespace infrac;
using namespace infrac::rules;
using namespace infrac::sema;
using llvm::StringRef;

namespace {

/// The ingress or egress rules' peers: CIDR strings and security groups.
void forEachPeer(const Resource &rule, llvm::function_ref<void(const Value &)> fn) {
  const Value *v = rule.get(rule.kind() == "ingress_rule" ? "from" : "to");
  if (!v)
    return;
  if (v->kind == Value::Kind::List)
    for (const Value &item : v->items)
      fn(item);
  else
    fn(*v);
}

/// The port range of an ingress/egress rule; all ports for protocol all.
std::pair<int64_t, int64_t> portRange(const Resource &rule) {
  if (rule.getEnum("protocol") == "all")
    return {0, 65535};
  auto from = rule.getInt("port");
  auto to = rule.getInt("to_port");
  if (!from)
    return {-1, -1};
  return {*from, to ? *to : *from};
}

class CidrPrefix final : public Rule {
public:
  CidrPrefix() : Rule(RuleID::NET001, {"vpc", "subnet"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    checkOne(r, r.get("cidr"), ctx);
    if (const Value *sec = r.get("secondary_cidrs"))
      for (const Value &v : sec->items)
        checkOne(r, &v, ctx);
  }
  void checkOne(const Resource &r, const Value *v, RuleContext &ctx) const {
    if (!v || v->kind != Value::Kind::String)
      return;
    auto c = parseCidr4(v->str);
    if (c && (c->prefix < 16 || c->prefix > 28))
      ctx.report(*this, v->range,
                 "{} CIDR '{}' is a /{}; AWS allows /16 (65,536 addresses) to /28 (16)",
                 r.kind() == "vpc" ? "VPC" : "subnet", v->str, c->prefix);
  }
  RuleDoc doc() const override {
    return {"The primary and secondary IPv4 CIDR blocks of a VPC, and a subnet's block, have a "
            "prefix length from /16 to /28.",
            "CreateVpc and CreateSubnet reject any other size.",
            "EC2 API CreateSubnet, CreateVpc; VPC quotas.",
            "vpc main { cidr = \"10.0.0.0/8\" }",
            "vpc main { cidr = \"10.0.0.0/16\" }"};
  }
};

/// A block as written, with its host bits: "10.0.1.5/24" -> 10.0.1.5, 24.
std::optional<std::pair<uint32_t, unsigned>> writtenCidr4(StringRef text) {
  auto [ip, len] = text.split('/');
  std::string ipText = ip.str();
  in_addr a{};
  unsigned prefix = 32;
  if (inet_pton(AF_INET, ipText.c_str(), &a) != 1 || len.getAsInteger(10, prefix) || prefix > 32)
    return std::nullopt;
  return std::make_pair(ntohl(a.s_addr), prefix);
}

std::string formatCidr4(const Cidr4 &c) {
  return fmt::format("{}.{}.{}.{}/{}", c.addr >> 24, (c.addr >> 16) & 255, (c.addr >> 8) & 255,
                     c.addr & 255, c.prefix);
}

/// The ranges of AWS's association restrictions for secondary blocks.
enum class Range { Ten, OneSevenTwo, OneNineTwo, OneNineEight, Public };
Range rangeOf4(const Cidr4 &c) {
  static const std::pair<const char *, Range> ranges[] = {{"10.0.0.0/8", Range::Ten},
                                                         {"172.16.0.0/12", Range::OneSevenTwo},
                                                         {"192.168.0.0/16", Range::OneNineTwo},
                                                         {"198.19.0.0/16", Range::OneNineEight}};
  for (auto [text, r] : ranges)
    if (parseCidr4(text)->contains(c))
      return r;
  return Range::Public;
}
const char *rangeName(Range r) {
  switch (r) {
  case Range::Ten:
    return "10.0.0.0/8";
  case Range::OneSevenTwo:
    return "172.16.0.0/12";
  case Range::OneNineTwo:
    return "192.168.0.0/16";
  case Range::OneNineEight:
    return "198.19.0.0/16";
  case Range::Public:
    return "a publicly routable range";
  }
  return "";
}

class CidrBlocks final : public Rule {
public:
  CidrBlocks() : Rule(RuleID::NET004, {"vpc", "subnet"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    const Value *primary = r.get("cidr");
    hostBits(r, primary, ctx);
    const Value *sec = r.get("secondary_cidrs");
    if (!sec)
      return;
    for (const Value &v : sec->items)
      hostBits(r, &v, ctx);
    auto p = primary && primary->kind == Value::Kind::String ? parseCidr4(primary->str)
                                                               : std::nullopt;
    std::vector<std::pair<Cidr4, const Value *>> seen;
    if (p)
      seen.push_back({*p, primary});
    for (const Value &v : sec->items) {
      auto c = v.kind == Value::Kind::String ? parseCidr4(v.str) : std::nullopt;
      if (!c)
        continue;
      bool overlapped = false;
      for (const auto &[o, at] : seen)
        if (o.overlaps(*c)) {
          ctx.report(*this, v.range, "secondary CIDR '{}' of VPC '{}' overlaps '{}'", v.str,
                     r.name, at->str)
              .note(at->range, "'{}' is here", at->str);
          overlapped = true;
          break;
        }
      if (!overlapped && p) {
        Range pr = rangeOf4(*p), cr = rangeOf4(*c);
        if (pr != cr && cr != Range::Public)
          ctx.report(*this, v.range,
                     "VPC '{}' has its primary block in {}, so AWS refuses a secondary block "
                     "from {} such as '{}'",
                     r.name, rangeName(pr), rangeName(cr), v.str);
      }
      seen.push_back({*c, &v});
    }
  }
  void hostBits(const Resource &r, const Value *v, RuleContext &ctx) const {
    if (!v || v->kind != Value::Kind::String)
      return;
    auto w = writtenCidr4(v->str);
    auto c = parseCidr4(v->str);
    if (!w || !c || w->first == c->addr)
      return;
    std::string fixed = formatCidr4(*c);
    ctx.report(*this, v->range,
               "{} CIDR '{}' has host bits set; the block is '{}'",
               r.kind() == "vpc" ? "VPC" : "subnet", v->str, fixed)
        .fixit(v->range, "\"" + fixed + "\"");
  }
  RuleDoc doc() const override {
    return {"A VPC's and a subnet's IPv4 blocks are written as their network address (no "
            "host bits: 10.0.1.0/24, not 10.0.1.5/24; the fix-it gives the block). A VPC's "
            "secondary blocks overlap neither its primary block nor each other, and come from "
            "the primary's private range or a publicly routable one: with the primary in "
            "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 198.19.0.0/16, a secondary block "
            "from another of those four is refused.",
            "CreateVpc, CreateSubnet and AssociateVpcCidrBlock reject such a block, and the "
            "stack fails.",
            "Amazon VPC User Guide, \"VPC CIDR blocks\" (IPv4 CIDR block association "
            "restrictions) "
            "(https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html).",
            "vpc main { cidr = \"10.0.0.5/16\"; secondary_cidrs = [\"192.168.0.0/16\"] }",
            "vpc main { cidr = \"10.0.0.0/16\"; secondary_cidrs = [\"10.1.0.0/16\"] }"};
  }
};

class SubnetPlacement final : public Rule {
public:
  SubnetPlacement() : Rule(RuleID::NET002, {}) {}
  void checkModel(RuleContext &ctx) const override {
    std::map<const Resource *, std::vector<std::pair<const Resource *, Cidr4>>> byVpc;
    for (const Resource *r : ctx.model.resources) {
      if (r->kind() != "subnet")
        continue;
      const Resource *vpc = r->getRef("vpc");
      const Value *cidr = r->get("cidr");
      if (!vpc || !cidr || cidr->kind != Value::Kind::String)
        continue;
      auto c = parseCidr4(cidr->str);
      if (!c)
        continue;
      bool inside = false;
      for (const Value *v : vpcCidrs(*vpc))
        if (auto vc = parseCidr4(v->str); vc && vc->contains(*c))
          inside = true;
      if (!inside) {
        ctx.report(*this, cidr->range, "subnet CIDR '{}' is outside VPC '{}' ({})", cidr->str,
                   vpc->name, vpc->getString("cidr"))
            .note(rangeOf(*vpc, "cidr"), "the VPC's CIDR is here");
        continue;
      }
      for (const auto &[other, oc] : byVpc[vpc])
        if (oc.overlaps(*c)) {
          ctx.report(*this, cidr->range, "subnet CIDR '{}' overlaps subnet '{}' ({})",
                     cidr->str, other->name, other->getString("cidr"))
              .note(rangeOf(*other, "cidr"), "'{}' is declared here", other->name);
          break;
        }
      byVpc[vpc].push_back({r, *c});
    }
  }
  static std::vector<const Value *> vpcCidrs(const Resource &vpc) {
    std::vector<const Value *> out;
    if (const Value *v = vpc.get("cidr"); v && v->kind == Value::Kind::String)
      out.push_back(v);
    if (const Value *sec = vpc.get("secondary_cidrs"))
      for (const Value &v : sec->items)
        if (v.kind == Value::Kind::String)
          out.push_back(&v);
    return out;
  }
  RuleDoc doc() const override {
    return {"A subnet's CIDR lies inside its VPC's primary or a secondary CIDR, and no two "
            "subnets of one VPC overlap.",
            "CreateSubnet rejects a block outside the VPC or overlapping another subnet.",
            "EC2 API CreateSubnet.",
            "vpc v { cidr = \"10.0.0.0/16\" }\n"
            "subnet a { vpc = v; zone = \"ap-northeast-2a\"; cidr = \"10.1.0.0/24\" }",
            "vpc v { cidr = \"10.0.0.0/16\" }\n"
            "subnet a { vpc = v; zone = \"ap-northeast-2a\"; cidr = \"10.0.1.0/24\" }"};
  }
};

class ZonesOfTheRegion final : public Rule {
public:
  ZonesOfTheRegion() : Rule(RuleID::NET005, {}) {}
  void checkModel(RuleContext &ctx) const override {
    static const std::vector<StringRef> zones = {
#define ZONE(NAME) NAME,
#include "Rules/Zones.def"
    };
    // The design's region: that of its first subnet written in AWS's form.
    const Resource *first = nullptr;
    for (const Resource *sn : ctx.model.resources) {
      if (sn->kind() != "subnet")
        continue;
      StringRef zone = sn->getString("zone"), region = regionOfZone(zone);
      if (region.empty())
        continue;
      if (std::find(zones.begin(), zones.end(), zone) == zones.end()) {
        std::string known;
        for (StringRef z : zones)
          if (regionOfZone(z) == region)
            known += (known.empty() ? "" : ", ") + z.str();
        ctx.report(*this, rangeOf(*sn, "zone"), "{} has no availability zone '{}'{}{}", region,
                   zone, known.empty() ? "; it is not a region AWS has" : "; its zones are ",
                   known);
        continue;
      }
      if (!first) {
        first = sn;
        continue;
      }
      StringRef designRegion = regionOfZone(first->getString("zone"));
      if (region != designRegion)
        ctx.report(*this, rangeOf(*sn, "zone"),
                   "subnet '{}' is in {} ({}), but the design is in {}: a template deploys to "
                   "one region",
                   sn->name, region, zone, designRegion)
            .note(rangeOf(*first, "zone"), "subnet '{}' puts the design in {}", first->name,
                  designRegion);
    }
  }
  RuleDoc doc() const override {
    return {"A subnet's zone, written in AWS's form (REGION + letter, e.g. ap-northeast-2a, or "
            "a Local Zone), is one its region has, and all of a design's subnets are in one "
            "region (a template, and the VPCs it makes, deploy to one). The zones are compiler/Rules/Zones.def, generated from cfn-lint's data by "
            "tests/cfn-tools/gen-aws-data.py (a test keeps it equal to the installed "
            "cfn-lint's). Zone names of another form (placeholders such as \"z-a\") are not "
            "checked.",
            "CreateSubnet rejects a zone its region does not have; a stack deploys to one "
            "region, where another region's zones do not exist.",
            "Amazon EC2 User Guide, \"Regions and Zones\" "
            "(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-"
            "zones.html); Amazon VPC User Guide, \"Subnets for your VPC\" (a subnet is in one "
            "zone of the VPC's region); cfn-lint's availability-zone list.",
            "subnet a { vpc = v; zone = \"ap-northeast-2z\"; cidr = \"10.0.1.0/24\" }",
            "subnet a { vpc = v; zone = \"ap-northeast-2a\"; cidr = \"10.0.1.0/24\" }"};
  }
};

class SubnetListedOnce final : public Rule {
public:
  SubnetListedOnce() : Rule(RuleID::NET006, {}) {}
  void checkModel(RuleContext &ctx) const override {
    ctx.model.forEach([&](const Resource &r) {
      const Value *subnets = r.get("subnets");
      if (!subnets || subnets->kind != Value::Kind::List)
        return;
      llvm::DenseMap<const Resource *, const Value *> seen;
      for (const Value &sn : subnets->items)
        if (sn.ref)
          if (auto [it, fresh] = seen.try_emplace(sn.ref, &sn); !fresh)
            ctx.report(*this, sn.range, "subnet '{}' is listed twice in the subnets of {}",
                       sn.ref->name, describe(r))
                .note(it->second->range, "first listed here");
    });
  }
  RuleDoc doc() const override {
    return {"A list of subnets (a load balancer's, an Auto Scaling group's, an ensemble's, a "
            "session store's) names each subnet once.",
            "The APIs take a set: CreateLoadBalancer and CreateCacheSubnetGroup reject a "
            "repeated subnet id, and CloudFormation's schemas declare the lists unique "
            "(cfn-lint E3037).",
            "CloudFormation schemas (uniqueItems on SubnetIds, Subnets, VPCZoneIdentifier); "
            "ElastiCache API CreateCacheSubnetGroup "
            "(https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/"
            "API_CreateCacheSubnetGroup.html).",
            "subnets = [a, b, a]", "subnets = [a, b]"};
  }
};

class LoadBalancerSubnetSize final : public Rule {
public:
  LoadBalancerSubnetSize() : Rule(RuleID::NET003, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    if (lb.getEnum("type") != "application")
      return;
    const Value *subnets = lb.get("subnets");
    if (!subnets)
      return;
    for (const Value &s : subnets->items) {
      if (!s.ref)
        continue;
      auto c = parseCidr4(s.ref->getString("cidr"));
      if (c && c->prefix > 27)
        ctx.report(*this, s.range,
                   "subnet '{}' is a /{} ({} usable addresses); an ALB needs at least a /27 "
                   "with 8 free addresses",
                   s.ref->name, c->prefix, c->size() - 5)
            .note(rangeOf(*s.ref, "cidr"), "'{}' is declared here", s.ref->name);
    }
  }
  RuleDoc doc() const override {
    return {"Each subnet of an Application Load Balancer is at least a /27 (AWS reserves 5 "
            "addresses per subnet; the ALB needs 8 free and can grow to 100 across its subnets).",
            "A smaller subnet makes CreateLoadBalancer fail or stops the ALB from scaling.",
            "ALB guide, \"Application Load Balancers\" (subnets).",
            "subnet a { vpc = v; zone = \"ap-northeast-2a\"; cidr = \"10.0.1.0/28\" }",
            "subnet a { vpc = v; zone = \"ap-northeast-2a\"; cidr = \"10.0.1.0/24\" }"};
  }
};

class PortRange final : public Rule {
public:
  PortRange() : Rule(RuleID::SG001, {"ingress_rule", "egress_rule"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    StringRef proto = r.getEnum("protocol");
    if (proto == "all")
      return; // Ports are ignored: SG002.
    if (proto == "icmp" || proto == "icmpv6") {
      // AWS reads an ICMP rule's ports as the ICMP type and code (-1: any).
      for (auto [attr, what] : {std::pair<StringRef, const char *>{"port", "ICMP type"},
                                {"to_port", "ICMP code"}})
        if (auto p = r.getInt(attr); p && (*p < -1 || *p > 255))
          ctx.report(*this, rangeOf(r, attr),
                     "an {} rule's '{}' is the {}: {} is outside -1..255 (-1 is any)",
                     proto, attr, what, *p);
      return;
    }
    for (StringRef attr : {"port", "to_port"})
      if (auto p = r.getInt(attr); p && (*p < 0 || *p > 65535))
        ctx.report(*this, rangeOf(r, attr), "port {} is outside 0..65535", *p);
    auto from = r.getInt("port"), to = r.getInt("to_port");
    if (from && to && *from > *to)
      ctx.report(*this, rangeOf(r, "to_port"),
                 "port range {}..{} ends before it starts; write the lower port first", *from,
                 *to)
          .note(rangeOf(r, "port"), "the range starts here");
  }
  RuleDoc doc() const override {
    return {"tcp and udp rule ports are 0..65535 and `port` (the start) is not above "
            "`to_port` (the end). An icmp or icmpv6 rule's `port` and `to_port` are the ICMP "
            "type and code, each -1..255 (-1 for any).",
            "The EC2 API rejects the rule.",
            "CloudFormation schema (FromPort/ToPort); cfn-lint E3688.",
            "ingress { protocol = tcp; port = 9000; to_port = 8000; from = \"10.0.0.0/8\" }",
            "ingress { protocol = tcp; port = 8000; to_port = 9000; from = \"10.0.0.0/8\" }"};
  }
};

class ProtocolPorts final : public Rule {
public:
  ProtocolPorts() : Rule(RuleID::SG002, {"ingress_rule", "egress_rule"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    StringRef proto = r.getEnum("protocol");
    if ((proto == "tcp" || proto == "udp") && !r.getInt("port")) {
      ctx.report(*this, r.nameRange, "a {} rule needs a port; write e.g. 'port = 443'", proto);
      return;
    }
    // AWS ignores the ports of a rule for every protocol (-1): the rule opens
    // all of them, whatever the port says.
    if (proto == "all")
      for (StringRef attr : {"port", "to_port"})
        if (written(r, attr)) {
          ctx.reportAs(*this, Severity::Warning, attrRange(r, attr),
                       "protocol all opens every port; AWS ignores '{}' here. Use protocol "
                       "tcp or udp to open only port {}",
                       attr, *r.getInt(attr))
              .fixit(attrRange(r, attr), "");
          break;
        }
  }
  RuleDoc doc() const override {
    return {"A tcp or udp rule gives its port (`port`, optionally `to_port`): an error without "
            "one. A rule of protocol `all` opens every port and AWS ignores its ports "
            "(cfn-lint W3687): a `port` or `to_port` there is a warning, since it reads as if "
            "only that port were open. icmp and icmpv6 rules may give ports (AWS reads them as "
            "the ICMP type and code) or none (every type).",
            "AWS requires FromPort and ToPort for TCP and UDP, and silently widens a rule of "
            "every protocol to every port.",
            "cfn-lint E3687 (SecurityGroupProtocolsAndPortsInclusive), W3687 "
            "(SecurityGroupProtocolsAndPortsExclusive); tflint "
            "aws_security_group_invalid_protocol.",
            "ingress { protocol = tcp; from = \"10.0.0.0/8\" }\n"
            "ingress { protocol = all; port = 22; from = \"10.0.0.0/8\" }",
            "ingress { protocol = tcp; port = 443; from = \"10.0.0.0/8\" }\n"
            "ingress { protocol = tcp; port = 22; from = \"10.0.0.0/8\" }"};
  }
};

class GroupDescription final : public Rule {
public:
  GroupDescription() : Rule(RuleID::SG003, {"security_group", "ingress_rule", "egress_rule"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    const Value *d = r.get("description");
    if (!d || d->kind != Value::Kind::String)
      return;
    bool group = r.kind() == "security_group";
    if (d->str.empty() && group)
      ctx.report(*this, rangeOf(r, "description"),
                 "a security group's description is required; say what the group admits "
                 "(1..255 characters)");
    else if (d->str.size() > 255)
      ctx.report(*this, rangeOf(r, "description"),
                 "description is {} characters; AWS allows at most 255", d->str.size());
    else if (auto bad = std::find_if_not(d->str.begin(), d->str.end(), allowed);
             bad != d->str.end())
      ctx.report(*this, rangeOf(r, "description"),
                 "{} description has {}, which AWS refuses: use letters, digits, spaces and "
                 "._-:/()#,@[]+=&;{{}}!$*",
                 group ? "a security group's" : "a rule's",
                 static_cast<unsigned char>(*bad) < 0x80 ? "'" + std::string(1, *bad) + "'"
                                                         : std::string("a non-ASCII character"));
  }
  static bool allowed(char c) {
    return llvm::isAlnum(c) || StringRef(" ._-:/()#,@[]+=&;{}!$*").contains(c);
  }
  RuleDoc doc() const override {
    return {"A security group's description (GroupDescription) is 1..255 characters, and a "
            "rule's at most 255, from a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* (no "
            "other punctuation, no non-ASCII letters). A group's description cannot be changed "
            "later without replacing the group.",
            "CreateSecurityGroup and AuthorizeSecurityGroupIngress/Egress reject an empty or "
            "longer description and other characters.",
            "EC2 API CreateSecurityGroup (GroupDescription: \"Valid characters: a-z, A-Z, 0-9, "
            "spaces, and ._-:/()#,@[]+=&;{}!$*\") "
            "(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/"
            "API_CreateSecurityGroup.html), IpRange and UserIdGroupPair (Description); "
            "cfn-lint E3031.",
            "security_group web { vpc = v; description = \"caf\u00e9's web servers\" }",
            "security_group web { vpc = v; description = \"web servers\" }"};
  }
};

class RuleQuota final : public Rule {
public:
  RuleQuota() : Rule(RuleID::SG004, {"security_group"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    for (StringRef dir : {"ingress", "egress"}) {
      auto rules = r.childrenOf(dir);
      if (rules.size() > 60)
        ctx.report(*this, rules[60]->nameRange,
                   "{} has {} {} rules; the default quota is 60 per direction", describe(r),
                   rules.size(), dir);
    }
  }
  RuleDoc doc() const override {
    return {"A security group has at most 60 inbound and 60 outbound rules (the default, "
            "adjustable quota).",
            "AuthorizeSecurityGroupIngress fails once the quota is reached.",
            "Amazon VPC quotas.", "(61 ingress blocks in one security group)",
            "(60 or fewer, or a prefix list)"};
  }
};


/// The IP protocols a target group's traffic uses on its port.
std::vector<StringRef> trafficProtocols(const Resource &tg) {
  StringRef p = tg.getEnum("protocol");
  if (p == "udp" || p == "quic" || p == "geneve")
    return {"udp"};
  if (p == "tcp_udp" || p == "tcp_quic")
    return {"tcp", "udp"};
  return {"tcp"};
}

/// Does one of the rules (ingress or egress) cover `protocol` on `port` for a
/// peer `peerMatches` accepts? A rule of protocol all covers every protocol
/// and port.
bool anyRuleAllows(const std::vector<const Resource *> &rules, StringRef protocol, int64_t port,
                   llvm::function_ref<bool(const Value &)> peerMatches) {
  for (const Resource *rule : rules) {
    StringRef p = rule->getEnum("protocol");
    auto [lo, hi] = portRange(*rule);
    if ((p != "all" && p != protocol) || port < lo || port > hi)
      continue;
    bool ok = false;
    forEachPeer(*rule, [&](const Value &peer) { ok |= peerMatches(peer); });
    if (ok)
      return true;
  }
  return false;
}

/// Does one of the groups admit a peer (as `peerMatches` decides) over
/// `protocol` on `port`?
bool admits(const std::vector<const Resource *> &groups, StringRef protocol, int64_t port,
            llvm::function_ref<bool(const Value &)> peerMatches) {
  return std::any_of(groups.begin(), groups.end(), [&](const Resource *sg) {
    return anyRuleAllows(sg->childrenOf("ingress"), protocol, port, peerMatches);
  });
}

std::vector<const Resource *> refsOf(const Resource &r, StringRef attr) {
  std::vector<const Resource *> out;
  if (const Value *v = r.get(attr))
    for (const Value &item : v->items)
      if (item.kind == Value::Kind::Ref && item.ref)
        out.push_back(item.ref);
  return out;
}

/// Visits (load balancer, listener, target group, ASG, launch template) for
/// every forward whose target group an Auto Scaling group fills.
void forEachPath(RuleContext &ctx,
                 llvm::function_ref<void(const Resource &lb, const ForwardTarget &,
                                         const Resource &asg, const Resource &lt)>
                     fn) {
  ctx.model.forEach([&](const Resource &listener) {
    if (listener.kind() != "listener")
      return;
    const Resource &lb = *listener.topLevel();
    for (const ForwardTarget &f : ctx.topology.forwardsOf(&listener))
      for (const Resource *asg : ctx.topology.autoScalingGroupsOf(f.targetGroup))
        if (const Resource *lt = asg->getRef("launch_template"))
          fn(lb, f, *asg, *lt);
  });
}

/// The blocks of a resource's subnets (a load balancer's: where its nodes'
/// addresses are).
std::vector<Cidr4> subnetBlocks(const Resource &r) {
  std::vector<Cidr4> out;
  if (const Value *subnets = r.get("subnets"))
    for (const Value &sn : subnets->items)
      if (auto c = sn.ref ? parseCidr4(sn.ref->getString("cidr")) : std::nullopt)
        out.push_back(*c);
  return out;
}

/// Whether a check of the rules (admits or egressAllows, bound to groups,
/// protocol and port, asked with a peer predicate) lets traffic through for
/// the whole other side: one of `peerGroups`, or every one of `peerBlocks`,
/// each by some rule (a block that holds it, or the world).
using PeerCheck = llvm::function_ref<bool(llvm::function_ref<bool(const Value &)>)>;
bool coversPeers(PeerCheck allows, const std::vector<const Resource *> &peerGroups,
                 const std::vector<Cidr4> &peerBlocks) {
  if (allows([&](const Value &p) {
        return (p.kind == Value::Kind::Ref &&
                std::find(peerGroups.begin(), peerGroups.end(), p.ref) != peerGroups.end()) ||
               (p.kind == Value::Kind::String && isWorld(p.str));
      }))
    return true;
  return !peerBlocks.empty() &&
         std::all_of(peerBlocks.begin(), peerBlocks.end(), [&](const Cidr4 &b) {
           return allows([&](const Value &p) {
             auto c = p.kind == Value::Kind::String ? parseCidr4(p.str) : std::nullopt;
             return c && c->contains(b);
           });
         });
}

class LoadBalancerToTargets final : public Rule {
public:
  LoadBalancerToTargets() : Rule(RuleID::SG005, {}) {}
  void checkModel(RuleContext &ctx) const override {
    std::set<std::tuple<const Resource *, const Resource *, const Resource *>> seen;
    forEachPath(ctx, [&](const Resource &lb, const ForwardTarget &f, const Resource &asg,
                         const Resource &lt) {
      const Resource &tg = *f.targetGroup;
      std::vector<const Resource *> lbGroups = refsOf(lb, "security_groups");
      std::vector<const Resource *> ltGroups = refsOf(lt, "security_groups");
      auto port = tg.getInt("port");
      // An NLB without security groups sends from its nodes' addresses.
      bool viaGroups = !lbGroups.empty();
      if ((!viaGroups && lb.getEnum("type") != "network") || ltGroups.empty() || !port ||
          !seen.insert({&lt, &lb, &tg}).second)
        return;
      // The load balancer's nodes sit in its subnets: a block holding every one
      // of them admits it as well as its security group does.
      std::vector<Cidr4> lbSubnets = subnetBlocks(lb);
      auto admitted = [&](StringRef proto, int64_t p) {
        return coversPeers(
            [&](auto peer) { return admits(ltGroups, proto, p, peer); }, lbGroups, lbSubnets);
      };
      std::string peer = viaGroups ? lbGroups.front()->name.str()
                                   : "\"" + (vpcOf(tg) ? vpcOf(tg)->getString("cidr").str()
                                                        : std::string("10.0.0.0/16")) +
                                         "\"";
      auto sendsFrom = [&](DiagnosticBuilder &b) {
        if (viaGroups)
          b.note(rangeOf(lb, "security_groups"), "'{}' sends from these security groups",
                 lb.name);
        else
          b.note(rangeOf(lb, "subnets"),
                 "'{}' has no security groups: it sends from its addresses in these subnets",
                 lb.name);
      };
      // Requests come from the load balancer unless an NLB keeps the client's
      // address (then SG006 asks for the clients).
      bool trafficFromLb = viaGroups || tg.getBool("preserve_client_ip") != true;
      std::vector<StringRef> protos = trafficProtocols(tg);
      if (trafficFromLb)
        for (StringRef proto : protos)
          if (!admitted(proto, *port)) {
            auto b = ctx.report(*this, rangeOf(lt, "security_groups"),
                                "the security groups of launch template '{}' do not admit load "
                                "balancer '{}' on {} port {}; its instances (in '{}') get no "
                                "traffic from it. Add e.g. 'ingress {{ protocol = {}; port = {}; "
                                "from = {} }}'",
                                lt.name, lb.name, upper(proto), *port, asg.name, proto, *port,
                                peer);
            sendsFrom(b);
            b.note(rangeOf(tg, "port"), "target group '{}' uses port {}", tg.name, *port);
            return;
          }
      // Health checks (HTTP, HTTPS or TCP: over TCP) from the load balancer's
      // addresses, on their own port or the traffic port.
      const Resource *hc = tg.child("health_check");
      if (hc && hc->getBool("enabled") == false)
        return;
      int64_t hcPort = (hc ? hc->getInt("port") : std::nullopt).value_or(*port);
      bool checked = trafficFromLb && hcPort == *port &&
                     std::find(protos.begin(), protos.end(), "tcp") != protos.end();
      if (!checked && !admitted("tcp", hcPort)) {
        auto b = ctx.report(*this, rangeOf(lt, "security_groups"),
                            "the security groups of launch template '{}' do not admit load "
                            "balancer '{}' on health-check port {}; its instances (in '{}') "
                            "never become healthy. Add e.g. 'ingress {{ protocol = tcp; port = "
                            "{}; from = {} }}'",
                            lt.name, lb.name, hcPort, asg.name, hcPort, peer);
        sendsFrom(b);
        if (hc && written(*hc, "port"))
          b.note(rangeOf(*hc, "port"), "target group '{}' checks health on port {}", tg.name,
                 hcPort);
        else
          b.note(tg.nameRange, "target group '{}' checks health over TCP on its port {}",
                 tg.name, hcPort);
      }
    });
  }
  static const Resource *vpcOf(const Resource &tg) { return tg.getRef("vpc"); }
  static std::string upper(StringRef s) { return s.upper(); }
  RuleDoc doc() const override {
    return {"When a load balancer forwards to a target group that an Auto Scaling group "
            "fills, the instances' security groups (from the launch template) admit one of the "
            "load balancer's groups (or a CIDR block holding all of its subnets, or the world) "
            "on the target group's port and protocol (TCP; UDP for UDP groups; both for "
            "TCP_UDP), and over TCP on the health-check port (its own, else the traffic port: "
            "a UDP group is health-checked over TCP on its UDP port unless the check names "
            "another). A network load balancer without security groups sends its health "
            "checks (and, without client IP preservation, its traffic) from its addresses in "
            "its subnets: a block holding them must be admitted.",
            "Otherwise every health check and request from the load balancer is dropped: the "
            "targets never become healthy.",
            "ALB guide, \"Security groups for your Application Load Balancer\" (recommended "
            "rules); NLB guide, \"Health checks for Network Load Balancer target groups\" "
            "(health checks of UDP groups use TCP; \"the security groups for your targets "
            "must allow health check traffic from the load balancer\") "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/"
            "target-group-health-checks.html).",
            "security_group web_sg { vpc = v; ingress { port = 22; from = \"10.0.0.0/8\" } }",
            "security_group web_sg { vpc = v; ingress { port = 3000; from = alb_sg } }"};
  }
};

class NetworkLoadBalancerClients final : public Rule {
public:
  NetworkLoadBalancerClients() : Rule(RuleID::SG006, {}) {}
  void checkModel(RuleContext &ctx) const override {
    std::set<std::tuple<const Resource *, const Resource *, const Resource *>> seen;
    forEachPath(ctx, [&](const Resource &lb, const ForwardTarget &f, const Resource &asg,
                         const Resource &lt) {
      const Resource &tg = *f.targetGroup;
      if (lb.getEnum("type") != "network" || tg.getBool("preserve_client_ip") != true)
        return;
      std::vector<const Resource *> ltGroups = refsOf(lt, "security_groups");
      auto port = tg.getInt("port");
      if (ltGroups.empty() || !port || !seen.insert({&lt, &lb, &tg}).second)
        return;
      bool internet = lb.getEnum("scheme") == "internet_facing";
      const Resource *vpc = tg.getRef("vpc");
      auto vpcCidr = vpc ? parseCidr4(vpc->getString("cidr")) : std::nullopt;
      // An NLB with security groups: targets that admit one of them admit the
      // clients too, client IP preservation or not (NLB guide, "Security
      // groups": "the target ... security group can reference the load
      // balancer security group").
      std::vector<const Resource *> lbGroups = refsOf(lb, "security_groups");
      auto fromClients = [&](const Value &p) {
        if (p.kind == Value::Kind::Ref)
          return std::find(lbGroups.begin(), lbGroups.end(), p.ref) != lbGroups.end();
        if (p.kind != Value::Kind::String)
          return false;
        if (isWorld(p.str))
          return true;
        auto c = parseCidr4(p.str);
        return !internet && c && vpcCidr && c->contains(*vpcCidr);
      };
      const char *clients = internet ? "internet clients" : "clients from the VPC";
      std::string fix = !lbGroups.empty() ? lbGroups.front()->name.str()
                        : internet          ? "\"0.0.0.0/0\""
                                   : "\"" + (vpc ? vpc->getString("cidr").str() : "") + "\"";
      for (StringRef proto : trafficProtocols(tg))
        if (!admits(ltGroups, proto, *port, fromClients)) {
          auto b = ctx.report(*this, rangeOf(lt, "security_groups"),
                              "network load balancer '{}' keeps the client's IP address, so the "
                              "instances of '{}' see {} on {} port {}, and their security "
                              "groups do not admit them. Add e.g. 'ingress {{ protocol = {}; "
                              "port = {}; from = {} }}'",
                              lb.name, asg.name, clients, StringRef(proto).upper(), *port, proto,
                              *port, fix);
          if (written(tg, "preserve_client_ip"))
            b.note(rangeOf(tg, "preserve_client_ip"), "target group '{}' preserves client IPs",
                   tg.name);
          else
            b.note(tg.nameRange,
                   "target group '{}' preserves client IPs (the default for its targets)",
                   tg.name);
          return;
        }
    });
  }
  RuleDoc doc() const override {
    return {"A network load balancer forwarding to instance targets (client IP preservation "
            "on, the default) delivers packets with the client's source address. The "
            "instances' security groups must admit the clients themselves on the target port "
            "and protocol: the world (0.0.0.0/0) for an internet-facing NLB, the VPC's CIDR (or "
            "a block containing it) for an internal one, or, when the NLB has security "
            "groups of its own, one of those groups (AWS then admits the clients' traffic "
            "through the reference even with client IP preservation, and the fix offered "
            "names that group rather than opening the instances to the world). Admitting "
            "only the NLB's subnets or TCP where the group speaks UDP does not work.",
            "Traffic is silently dropped at the instance; health checks (from the NLB's own "
            "addresses) may still pass, so the failure looks like a timeout for clients only.",
            "NLB guide, \"Target groups\" (client IP preservation) and \"Security groups for "
            "your Network Load Balancer\" "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/"
            "load-balancer-security-groups.html).",
            "ingress { protocol = tcp; port = 7000; from = \"10.0.1.0/24\" }  # the NLB subnet",
            "ingress { protocol = tcp; port = 7000; from = \"0.0.0.0/0\" }"};
  }
};

/// The listener protocols' IP protocols: UDP for UDP and QUIC, both for
/// TCP_UDP and TCP_QUIC, else TCP.
std::vector<StringRef> listenerProtocols(const Resource &listener) {
  StringRef p = listener.getEnum("protocol");
  if (p == "udp" || p == "quic")
    return {"udp"};
  if (p == "tcp_udp" || p == "tcp_quic")
    return {"tcp", "udp"};
  return {"tcp"};
}

class LoadBalancerIngress final : public Rule {
public:
  LoadBalancerIngress() : Rule(RuleID::SG008, {"load_balancer"}) {}
  void check(const Resource &lb, RuleContext &ctx) const override {
    std::vector<const Resource *> groups = refsOf(lb, "security_groups");
    if (groups.empty() || lb.getEnum("type") == "gateway")
      return;
    for (const Resource *l : lb.childrenOf("listener")) {
      auto port = l->getInt("port");
      if (!port)
        continue;
      for (StringRef proto : listenerProtocols(*l))
        if (!admits(groups, proto, *port, [](const Value &) { return true; })) {
          ctx.report(*this, rangeOf(lb, "security_groups"),
                     "the security groups of '{}' admit nobody on {} port {}, where listener "
                     "'{}' listens; add e.g. 'ingress {{ protocol = {}; port = {}; from = "
                     "\"0.0.0.0/0\" }}' to '{}'",
                     lb.name, proto.upper(), *port, l->name, proto, *port,
                     groups.front()->name)
              .note(rangeOf(*l, "port"), "listener '{}' is on port {}", l->name, *port);
          break;
        }
    }
  }
  RuleDoc doc() const override {
    return {"A load balancer with security groups admits some client on each listener's "
            "port and protocol (TCP; UDP for UDP and QUIC listeners; both for TCP_UDP): an "
            "ingress rule of one of its groups covers the port.",
            "The security groups filter the traffic to the load balancer's nodes: a listener "
            "whose port no group admits receives nothing.",
            "ALB guide, \"Security groups for your Application Load Balancer\" (recommended "
            "rules: inbound on the listener port) "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
            "load-balancer-update-security-groups.html); NLB guide, \"Security groups\".",
            "security_group alb_sg { vpc = v; ingress { protocol = tcp; port = 80; from = "
            "\"0.0.0.0/0\" } }  # and an HTTPS listener on 443",
            "ingress { protocol = tcp; port = 443; from = \"0.0.0.0/0\" }"};
  }
};

/// Does one of the groups let traffic out to a peer (as `peerMatches`
/// decides) over `protocol` on `port`? A group without egress rules lets
/// everything out (AWS's default rule); with some, only what they name.
bool egressAllows(const std::vector<const Resource *> &groups, StringRef protocol, int64_t port,
                  llvm::function_ref<bool(const Value &)> peerMatches) {
  return std::any_of(groups.begin(), groups.end(), [&](const Resource *sg) {
    auto rules = sg->childrenOf("egress");
    return rules.empty() || anyRuleAllows(rules, protocol, port, peerMatches);
  });
}

class LoadBalancerEgress final : public Rule {
public:
  LoadBalancerEgress() : Rule(RuleID::SG009, {}) {}
  void checkModel(RuleContext &ctx) const override {
    std::set<std::tuple<const Resource *, const Resource *, const Resource *>> seen;
    forEachPath(ctx, [&](const Resource &lb, const ForwardTarget &f, const Resource &asg,
                         const Resource &lt) {
      const Resource &tg = *f.targetGroup;
      std::vector<const Resource *> lbGroups = refsOf(lb, "security_groups");
      std::vector<const Resource *> ltGroups = refsOf(lt, "security_groups");
      auto port = tg.getInt("port");
      if (lbGroups.empty() || !port || !seen.insert({&lb, &tg, &lt}).second)
        return;
      // The instances are in the group's subnets: a block holding all of
      // them reaches them as well as their security group does.
      std::vector<Cidr4> targets = subnetBlocks(asg);
      std::vector<std::pair<StringRef, int64_t>> needed;
      for (StringRef proto : trafficProtocols(tg))
        needed.push_back({proto, *port});
      const Resource *hc = tg.child("health_check");
      if (hc && hc->getBool("enabled") != false)
        if (auto hcPort = hc->getInt("port"); hcPort && *hcPort != *port)
          needed.push_back({"tcp", *hcPort});
      for (auto [proto, p] : needed)
        if (!coversPeers([&](auto peer) { return egressAllows(lbGroups, proto, p, peer); },
                         ltGroups, targets)) {
          ctx.report(*this, rangeOf(lb, "security_groups"),
                     "the security groups of '{}' let nothing out to the instances of '{}' on {} "
                     "port {}{}; add e.g. 'egress {{ protocol = {}; port = {}; to = {} }}'",
                     lb.name, asg.name, proto.upper(), p,
                     p == *port ? "" : " (the health check's)", proto, p,
                     ltGroups.empty() ? std::string("\"0.0.0.0/0\"")
                                      : ltGroups.front()->name.str())
              .note(tg.nameRange, "target group '{}' sends to port {}", tg.name, *port);
          return;
        }
    });
  }
  RuleDoc doc() const override {
    return {"When a load balancer's security groups have egress rules (a group without any "
            "keeps AWS's allow-all rule), one of them lets traffic out to the targets on the "
            "target group's port and protocol, and on the health check's own port: to the "
            "instances' security group, or a block holding all of their subnets, or the world.",
            "Security groups are stateful only for the connections they let through: with no "
            "matching outbound rule the load balancer can neither forward requests nor run "
            "health checks, and every target stays unhealthy.",
            "ALB guide, \"Security groups for your Application Load Balancer\" (recommended "
            "rules: outbound to the instance security group on the instance listener and "
            "health-check ports) "
            "(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
            "load-balancer-update-security-groups.html).",
            "egress { protocol = tcp; port = 80; to = web_sg }  # targets on 3000",
            "egress { protocol = tcp; port = 3000; to = web_sg }"};
  }
};

class ClientPorts final : public Rule {
public:
  ClientPorts() : Rule(RuleID::SG010, {}) {}
  void checkModel(RuleContext &ctx) const override {
    for (const Resource *r : ctx.model.resources) {
      std::vector<const Resource *> clients;
      std::optional<int64_t> port;
      if (r->kind() == "coordination") {
        port = r->getInt("client_port");
        for (const Resource *c : r->children)
          if (const Resource *m = c->getRef("members"); m && m->kind() == "auto_scaling_group")
            clients.push_back(m);
      } else if (r->kind() == "session_store" && r->getEnum("type") == "external") {
        port = r->getInt("port");
        for (const Resource *asg : ctx.model.resources)
          if (asg->kind() == "auto_scaling_group")
            if (const Resource *lt = asg->getRef("launch_template"); lt && sessionStoreOf(*lt) == r)
              clients.push_back(asg);
      }
      std::vector<const Resource *> serverGroups = refsOf(*r, "security_groups");
      if (!port || serverGroups.empty())
        continue;
      std::set<const Resource *> seen;
      for (const Resource *asg : clients)
        if (seen.insert(asg).second)
          checkClient(*r, *port, serverGroups, *asg, ctx);
    }
  }
  void checkClient(const Resource &server, int64_t port,
                   const std::vector<const Resource *> &serverGroups, const Resource &asg,
                   RuleContext &ctx) const {
    const Resource *lt = asg.getRef("launch_template");
    if (!lt)
      return;
    std::vector<const Resource *> clientGroups = refsOf(*lt, "security_groups");
    std::vector<Cidr4> clientBlocks = subnetBlocks(asg), serverBlocks = subnetBlocks(server);
    std::string clientPeer = clientGroups.empty() ? std::string("\"0.0.0.0/0\"")
                                                  : clientGroups.front()->name.str();
    if (!coversPeers([&](auto peer) { return admits(serverGroups, "tcp", port, peer); },
                     clientGroups, clientBlocks)) {
      ctx.report(*this, rangeOf(server, "security_groups"),
                 "the security groups of {} do not admit its clients, the instances of '{}', on "
                 "TCP port {}; add e.g. 'ingress {{ protocol = tcp; port = {}; from = {} }}'",
                 describe(server), asg.name, port, port, clientPeer)
          .note(asg.nameRange, "'{}' is a client of '{}'", asg.name, server.name);
      return;
    }
    if (!clientGroups.empty() &&
        !coversPeers([&](auto peer) { return egressAllows(clientGroups, "tcp", port, peer); },
                     serverGroups, serverBlocks))
      ctx.report(*this, rangeOf(*lt, "security_groups"),
                 "the security groups of launch template '{}' let nothing out to {} on TCP port "
                 "{}: the instances of '{}' cannot reach it. Add e.g. 'egress {{ protocol = tcp; "
                 "port = {}; to = {} }}'",
                 lt->name, describe(server), port, asg.name, port, serverGroups.front()->name)
          .note(rangeOf(server, "security_groups"), "'{}' has these security groups",
                server.name);
  }
  RuleDoc doc() const override {
    return {"An ensemble's clients (the Auto Scaling groups of its elections and services) and "
            "an external session store's clients (the groups whose app names it as its "
            "`session_store`) can reach its client port (2181; redis 6379, memcached 11211) "
            "over TCP, on both sides: the server's security groups admit the clients' group, a "
            "block holding their subnets, or the world; the clients' groups, when they have "
            "egress rules, let traffic out to the server's group, a block holding its subnets, "
            "or the world.",
            "Connections time out: ZooKeeper clients never get a session, the app loses every "
            "session it stores.",
            "Amazon VPC User Guide, \"Security group rules\" (inbound and outbound rules "
            "filter each direction) "
            "(https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html); "
            "ElastiCache User Guide, \"Access patterns for accessing an ElastiCache cache in "
            "an Amazon VPC\"; ZooKeeper Administrator's Guide (clientPort).",
            "security_group zk_sg { vpc = v; ingress { protocol = tcp; port = 2888; from = "
            "zk_sg } }",
            "ingress { protocol = tcp; port = 2181; from = app_sg }"};
  }
};

/// The VPC of a resource's subnets (the first that names one).
const Resource *vpcOfSubnets(const Resource &r) {
  if (const Value *subnets = r.get("subnets"))
    for (const Value &s : subnets->items)
      if (s.ref)
        if (const Resource *vpc = s.ref->getRef("vpc"))
          return vpc;
  return nullptr;
}

class SecurityGroupList final : public Rule {
public:
  SecurityGroupList()
      : Rule(RuleID::SG007, {"load_balancer", "launch_template", "coordination", "session_store"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    const Value *groups = r.get("security_groups");
    if (!groups || groups->kind != Value::Kind::List)
      return;
    if (groups->items.size() > 5)
      ctx.report(*this, groups->items[5].range,
                 "{} lists {} security groups; a load balancer or network interface takes at "
                 "most 5",
                 describe(r), groups->items.size());
    llvm::DenseMap<const Resource *, const Value *> seen;
    const Resource *vpc = r.kind() == "launch_template" ? nullptr : vpcOfSubnets(r);
    const Value *vpcFrom = nullptr; // A launch template: its first group's VPC.
    for (const Value &g : groups->items) {
      if (!g.ref)
        continue;
      auto [it, fresh] = seen.try_emplace(g.ref, &g);
      if (!fresh) {
        ctx.report(*this, g.range, "security group '{}' is listed twice", g.ref->name)
            .note(it->second->range, "first listed here");
        continue;
      }
      const Resource *gv = g.ref->getRef("vpc");
      if (!gv)
        continue;
      if (!vpc && r.kind() == "launch_template") {
        vpc = gv;
        vpcFrom = &g;
        continue;
      }
      if (vpc && gv != vpc) {
        auto b = ctx.report(*this, g.range,
                            "security group '{}' is in VPC '{}', but {} is in VPC '{}'; every "
                            "group must be in the resource's own VPC",
                            g.ref->name, gv->name,
                            vpcFrom ? "the first group" : describe(r), vpc->name);
        if (vpcFrom)
          b.note(vpcFrom->range, "'{}' is in VPC '{}'", vpcFrom->ref->name, vpc->name);
      }
    }
  }
  RuleDoc doc() const override {
    return {"A load balancer, launch template or ensemble lists at most 5 security groups, "
            "each once, all in the VPC of the resource's subnets (for a launch template, all "
            "in one VPC).",
            "CreateLoadBalancer and RunInstances refuse more than five groups per load "
            "balancer or network interface, and groups of another VPC.",
            "ELB API SetSecurityGroups; Amazon VPC quotas, \"Security groups per network "
            "interface\" (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).",
            "security_groups = [web_sg, web_sg]",
            "security_groups = [web_sg]"};
  }
};

/// SEC001 and SEC002: a port open to the world.
class OpenToWorld final : public Rule {
public:
  OpenToWorld(RuleID id, std::vector<int64_t> ports, bool udpToo, bool allPorts,
              const char *what, RuleDoc d)
      : Rule(id, {"ingress_rule"}), ports(std::move(ports)), udpToo(udpToo),
        allPorts(allPorts), what(what), d(d) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    // An icmp rule's "ports" are the ICMP type and code; SSH is TCP only, RDP
    // also uses UDP.
    StringRef proto = r.getEnum("protocol");
    if (proto != "all" && proto != "tcp" && !(udpToo && proto == "udp"))
      return;
    auto [lo, hi] = portRange(r);
    if (lo < 0)
      return;
    bool everything = lo == 0 && hi == 65535;
    bool hit = allPorts && everything;
    for (int64_t p : ports)
      hit |= lo <= p && p <= hi;
    if (!hit)
      return;
    forEachPeer(r, [&](const Value &p) {
      if (p.kind == Value::Kind::String && isWorld(p.str))
        ctx.report(*this, p.range,
                   "{} is open to the world ({}); admit a narrower CIDR block or a security "
                   "group such as a bastion's",
                   !everything ? std::string(what)
                   : allPorts  ? std::string("every port")
                               : "every port, " + std::string(what) + " included,",
                   p.str);
    });
  }
  RuleDoc doc() const override { return d; }

private:
  std::vector<int64_t> ports;
  bool udpToo;   ///< The service also listens on UDP (RDP does, SSH does not).
  bool allPorts; ///< Every port open is a finding of its own.
  const char *what;
  RuleDoc d;
};

} // namespace

void rules::addNetworkRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<CidrPrefix>());
  out.push_back(std::make_unique<CidrBlocks>());
  out.push_back(std::make_unique<SecurityGroupList>());
  out.push_back(std::make_unique<SubnetPlacement>());
  out.push_back(std::make_unique<ZonesOfTheRegion>());
  out.push_back(std::make_unique<SubnetListedOnce>());
  out.push_back(std::make_unique<LoadBalancerSubnetSize>());
  out.push_back(std::make_unique<PortRange>());
  out.push_back(std::make_unique<ProtocolPorts>());
  out.push_back(std::make_unique<GroupDescription>());
  out.push_back(std::make_unique<RuleQuota>());
  out.push_back(std::make_unique<LoadBalancerToTargets>());
  out.push_back(std::make_unique<NetworkLoadBalancerClients>());
  out.push_back(std::make_unique<LoadBalancerIngress>());
  out.push_back(std::make_unique<LoadBalancerEgress>());
  out.push_back(std::make_unique<ClientPorts>());
  out.push_back(std::make_unique<OpenToWorld>(
      RuleID::SEC001, std::vector<int64_t>{22}, /*udpToo=*/false, /*allPorts=*/false,
      "SSH (port 22)",
      RuleDoc{"An ingress rule admitting 0.0.0.0/0 or ::/0 on TCP port 22, a range containing "
              "it, or protocol all.",
              "SSH open to the internet is scanned and brute-forced within minutes. Use SSM "
              "Session Manager or a bastion's security group.",
              "checkov CKV_AWS_24; trivy AVD-AWS-0107 (aws-ec2-no-public-ingress-sgr).",
              "ingress { protocol = tcp; port = 22; from = \"0.0.0.0/0\" }",
              "ingress { protocol = tcp; port = 22; from = bastion_sg }"}));
  out.push_back(std::make_unique<OpenToWorld>(
      RuleID::SEC002, std::vector<int64_t>{3389}, /*udpToo=*/true, /*allPorts=*/true,
      "RDP (port 3389)",
      RuleDoc{"An ingress rule admitting 0.0.0.0/0 or ::/0 on TCP or UDP port 3389 (RDP), or "
              "on every port (protocol all, or tcp or udp 0..65535).",
              "RDP and all-port exposure are the commonest ways in for attackers.",
              "checkov CKV_AWS_25 (3389), CKV_AWS_277 (all ports); trivy AVD-AWS-0107.",
              "ingress { protocol = all; from = \"0.0.0.0/0\" }",
              "ingress { protocol = tcp; port = 443; from = \"0.0.0.0/0\" }"}));
}

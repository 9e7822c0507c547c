//===- CfnNetwork.cpp - vpc, subnet, security_group -----------------------===//
//
// vpc            -> AWS::EC2::VPC (+ AWS::EC2::VPCCidrBlock per secondary CIDR;
//                   + InternetGateway, VPCGatewayAttachment, a public RouteTable
//                   and its default Route when the VPC has public subnets or an
//                   internet-facing load balancer)
// subnet         -> AWS::EC2::Subnet (+ SubnetRouteTableAssociation if public)
// security_group -> AWS::EC2::SecurityGroup; rules from CIDR blocks inline, rules
//                   from or to other groups as SecurityGroupIngress/Egress
//                   resources, so that groups that name each other form no cycle
//
//===----------------------------------------------------------------------===//

#include "Emit/Emitter.h"

#include "llvm/ADT/StringExtras.h"

using namespace infrac;
using namespace infrac::emit;
using VK = sema::Value::Kind;
using llvm::StringRef;

bool emit::parseCidr(StringRef cidr, uint32_t &addr, unsigned &len) {
  auto [ip, bits] = cidr.split('/');
  if (bits.getAsInteger(10, len) || len > 32)
    return false;
  addr = 0;
  for (int n = 0; n < 4; ++n) {
    auto [part, rest] = ip.split('.');
    unsigned byte;
    if (part.getAsInteger(10, byte) || byte > 255)
      return false;
    addr = addr << 8 | byte;
    ip = rest;
  }
  return true;
}

namespace {

/// Whether `inner` lies inside `outer` (both IPv4 CIDR blocks).
bool cidrContains(StringRef outer, StringRef inner) {
  uint32_t oa, ia;
  unsigned ol, il;
  if (!parseCidr(outer, oa, ol) || !parseCidr(inner, ia, il) || il < ol)
    return false;
  uint32_t mask = ol == 0 ? 0 : ~uint32_t(0) << (32 - ol);
  return (oa & mask) == (ia & mask);
}

/// IpProtocol and the port range of a rule.
void addProtocolAndPorts(Emitter &e, const Resource &rule, Node &out) {
  StringRef proto = rule.getEnum("protocol");
  if (proto.empty() || proto == "all") {
    out.add("IpProtocol", Node::string("-1"));
    return;
  }
  out.add("IpProtocol", Node::string(proto));
  const Value *from = rule.get("port");
  const Value *to = rule.get("to_port");
  if (!from) {
    // ICMP without a port: every type and code.
    out.add("FromPort", Node::integer(proto.startswith("icmp") ? -1 : 0));
    out.add("ToPort", Node::integer(proto.startswith("icmp") ? -1 : 65535));
    return;
  }
  out.add("FromPort", e.scalar(*from));
  out.add("ToPort", e.scalar(to ? *to : *from));
}

/// "Ingress3000", "IngressUdp7778", "IngressAll", "Ingress8000To8010".
std::string ruleName(const Resource &rule, StringRef direction) {
  std::string name = direction.str();
  StringRef proto = rule.getEnum("protocol");
  if (proto.empty() || proto == "all")
    return name + "All";
  if (proto != "tcp")
    name += camel(proto);
  if (auto port = rule.getInt("port")) {
    name += std::to_string(*port);
    if (auto to = rule.getInt("to_port"); to && *to != *port)
      name += "To" + std::to_string(*to);
  }
  return name;
}

} // namespace

void Emitter::emitVpc(const Resource &r) {
  Node &p = add(id(&r), "AWS::EC2::VPC");
  p.add("CidrBlock", scalar(*r.get("cidr")));
  p.add("EnableDnsSupport", Node::boolean(r.getBool("dns_support").value_or(true)));
  p.add("EnableDnsHostnames", Node::boolean(r.getBool("dns_hostnames").value_or(false)));
  p.add("InstanceTenancy", Node::string(r.getEnum("tenancy")));
  p.add("Tags", tagsWithName(r, r.path));

  if (const Value *v = r.get("secondary_cidrs")) {
    const std::vector<std::string> &blocks = cidrBlocks[&r];
    for (size_t n = 0; n < v->items.size() && n < blocks.size(); ++n) {
      Node &b = add(blocks[n], "AWS::EC2::VPCCidrBlock");
      b.add("VpcId", ref(&r));
      b.add("CidrBlock", scalar(v->items[n]));
    }
  }

  auto it = internet.find(&r);
  if (it == internet.end())
    return;
  const Internet &net = it->second;
  Node &gw = add(net.gateway, "AWS::EC2::InternetGateway");
  gw.add("Tags", tagsWithName(r, r.path));
  Node &att = add(net.attachment, "AWS::EC2::VPCGatewayAttachment");
  att.add("VpcId", ref(&r));
  att.add("InternetGatewayId", Node::ref(net.gateway));
  Node &rt = add(net.routeTable, "AWS::EC2::RouteTable");
  rt.add("VpcId", ref(&r));
  rt.add("Tags", tagsWithName(r, (r.path + " public").str()));
  // The route names the gateway, not the attachment, yet fails until the
  // gateway is attached: the one place a DependsOn is needed here.
  Node &route = add(net.route, "AWS::EC2::Route", {net.attachment});
  route.add("RouteTableId", Node::ref(net.routeTable));
  route.add("DestinationCidrBlock", Node::string("0.0.0.0/0"));
  route.add("GatewayId", Node::ref(net.gateway));
}

void Emitter::emitSubnet(const Resource &r) {
  const Resource *vpc = r.getRef("vpc");
  const Value *cidr = r.get("cidr");
  // A subnet in a secondary CIDR block waits for that block.
  std::vector<std::string> deps;
  if (vpc && cidr && cidr->kind == VK::String && !cidrContains(vpc->getString("cidr"), cidr->str))
    if (const Value *more = vpc->get("secondary_cidrs")) {
      const std::vector<std::string> &blocks = cidrBlocks[vpc];
      for (size_t n = 0; n < more->items.size() && n < blocks.size(); ++n)
        if (cidrContains(more->items[n].str, cidr->str))
          deps.push_back(blocks[n]);
    }
  Node &p = add(id(&r), "AWS::EC2::Subnet", deps);
  p.add("VpcId", ref(vpc));
  p.add("CidrBlock", scalar(*cidr));
  p.add("AvailabilityZone", scalar(*r.get("zone")));
  bool isPublic = r.getBool("public").value_or(false);
  p.add("MapPublicIpOnLaunch", Node::boolean(isPublic));
  p.add("Tags", tagsWithName(r, r.path));

  auto assocId = routeAssociations.find(&r);
  if (!isPublic || assocId == routeAssociations.end())
    return;
  Node &assoc = add(assocId->second, "AWS::EC2::SubnetRouteTableAssociation");
  assoc.add("SubnetId", ref(&r));
  assoc.add("RouteTableId", Node::ref(internet.find(vpc)->second.routeTable));
}

void Emitter::emitSecurityGroup(const Resource &r) {
  std::vector<const Resource *> ingress = r.childrenOf("ingress");
  std::vector<const Resource *> egress = r.childrenOf("egress");

  Node inlineIngress = Node::list(), inlineEgress = Node::list();
  struct Separate {
    const Resource *rule;
    const Resource *peer;
    bool isIngress;
  };
  std::vector<Separate> separate;

  auto collect = [&](const std::vector<const Resource *> &rules, bool isIngress) {
    StringRef peerAttr = isIngress ? "from" : "to";
    for (const Resource *rule : rules) {
      const Value *peers = rule->get(peerAttr);
      if (!peers)
        continue;
      for (const Value &peer : peers->items) {
        if (peer.kind == VK::Ref && peer.ref) {
          separate.push_back({rule, peer.ref, isIngress});
          continue;
        }
        Node entry = Node::map();
        addProtocolAndPorts(*this, *rule, entry);
        bool v6 = peer.kind == VK::String && peer.str.contains(':');
        if (isIngress)
          entry.add(v6 ? "CidrIpv6" : "CidrIp", scalar(peer));
        else
          entry.add(v6 ? "CidrIpv6" : "CidrIp", scalar(peer));
        if (const Value *d = rule->get("description"))
          entry.add("Description", scalar(*d));
        (isIngress ? inlineIngress : inlineEgress).push(std::move(entry));
      }
    }
  };
  collect(ingress, true);
  collect(egress, false);

  Node &p = add(id(&r), "AWS::EC2::SecurityGroup");
  p.add("GroupDescription", scalar(*r.get("description")));
  p.add("VpcId", ref(r.getRef("vpc")));
  if (!inlineIngress.empty())
    p.add("SecurityGroupIngress", std::move(inlineIngress));
  if (!egress.empty() && inlineEgress.empty()) {
    // Egress rules only to other groups: without an inline rule AWS would keep
    // its default allow-all. This rule matches nothing (as AWS CDK writes it).
    Node &none = inlineEgress.push(Node::map());
    none.add("CidrIp", Node::string("255.255.255.255/32"));
    none.add("Description", Node::string("Disallow all traffic"));
    none.add("FromPort", Node::integer(252));
    none.add("IpProtocol", Node::string("icmp"));
    none.add("ToPort", Node::integer(86));
  }
  if (!inlineEgress.empty())
    p.add("SecurityGroupEgress", std::move(inlineEgress));
  p.add("Tags", tagsWithName(r, r.path));

  for (const Separate &s : separate) {
    std::string base = id(&r).str() + ruleName(*s.rule, s.isIngress ? "Ingress" : "Egress") +
                       (s.isIngress ? "From" : "To") + id(s.peer).str();
    Node &q = add(reserveId(base),
                  s.isIngress ? "AWS::EC2::SecurityGroupIngress" : "AWS::EC2::SecurityGroupEgress");
    q.add("GroupId", groupId(&r));
    addProtocolAndPorts(*this, *s.rule, q);
    q.add(s.isIngress ? "SourceSecurityGroupId" : "DestinationSecurityGroupId", groupId(s.peer));
    if (const Value *d = s.rule->get("description"))
      q.add("Description", scalar(*d));
  }
}

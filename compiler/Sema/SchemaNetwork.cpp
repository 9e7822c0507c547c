//===- SchemaNetwork.cpp - vpc, subnet, security_group --------------------===//
//
// Defaults are AWS's own (EC2 API / CloudFormation), so that what is left out
// means what it means on AWS.
//
//===----------------------------------------------------------------------===//

#include "Sema/Schema.h"

using namespace infrac::sema;

static const AttrSpec vpcAttrs[] = {
    {"cidr", "cidr", nullptr, Required, "primary IPv4 CIDR block (/16 to /28)"},
    {"secondary_cidrs", "list(cidr)", nullptr, Optional, "additional IPv4 CIDR blocks"},
    {"dns_support", "bool", "true", Optional, "enableDnsSupport"},
    {"dns_hostnames", "bool", "false", Optional, "enableDnsHostnames"},
    {"tenancy", "enum(default|dedicated)", "default", Optional, "instance tenancy"},
    {"tags", "map(string)", nullptr, Optional, "resource tags"},
};

static const AttrSpec subnetAttrs[] = {
    {"vpc", "ref(vpc)", nullptr, Required, "the VPC the subnet belongs to"},
    {"cidr", "cidr", nullptr, Required, "IPv4 CIDR block inside the VPC's"},
    {"zone", "string", nullptr, Required, "availability zone, e.g. \"ap-northeast-2a\""},
    {"public", "bool", "false", Optional, "map a public IP on launch (a public subnet)"},
    {"tags", "map(string)", nullptr, Optional, "resource tags"},
};

static const AttrSpec securityGroupAttrs[] = {
    {"vpc", "ref(vpc)", nullptr, Required, "the VPC the group belongs to"},
    {"description", "string", "\"Managed by infrac\"", Optional, "group description (0..255 characters)"},
    {"tags", "map(string)", nullptr, Optional, "resource tags"},
};

#define SG_RULE_COMMON                                                         \
  {"protocol", "enum(tcp|udp|icmp|icmpv6|all)", "tcp", Optional,             \
   "IP protocol; all means every protocol and port"},                         \
      {"port", "int", nullptr, Optional,                                       \
       "port, or first port of a range (required for tcp and udp)"},          \
      {"to_port", "int", nullptr, Optional, "last port of a range"},           \
      {"description", "string", nullptr, Optional, "rule description"}

static const AttrSpec ingressAttrs[] = {
    SG_RULE_COMMON,
    {"from", "many(union(cidr, ref(security_group)))", nullptr, Required,
     "who may connect: CIDR blocks or security groups"},
};

static const AttrSpec egressAttrs[] = {
    SG_RULE_COMMON,
    {"to", "many(union(cidr, ref(security_group)))", nullptr, Required,
     "where traffic may go: CIDR blocks or security groups"},
};
#undef SG_RULE_COMMON

static const ChildSpec securityGroupChildren[] = {
    {"ingress", "ingress_rule", Multiple},
    {"egress", "egress_rule", Multiple},
};

static const BlockSpec blocks[] = {
    {"vpc", "network", LabelKind::Name, nullptr, true, false, vpcAttrs, {},
     "a virtual private cloud"},
    {"subnet", "network", LabelKind::Name, nullptr, true, false, subnetAttrs, {},
     "a subnet in one availability zone"},
    {"security_group", "network", LabelKind::Name, nullptr, true, false,
     securityGroupAttrs, securityGroupChildren, "a stateful firewall for its members"},
    {"ingress_rule", "network", LabelKind::None, nullptr, false, false,
     ingressAttrs, {}, "an inbound security group rule"},
    {"egress_rule", "network", LabelKind::None, nullptr, false, false,
     egressAttrs, {}, "an outbound security group rule"},
};

SchemaFamily infrac::sema::networkSchema() { return {blocks, {}, {}}; }

//===- SchemaLoadBalancing.cpp - load_balancer, listener, target_group ----===//
//
// Defaults are AWS's (ELBv2 API and user guides). Defaults that depend on the
// load balancer or target type are marked Derived and set by
// Sema::applyDerivedDefaults; their doc says the rule.
//
//===----------------------------------------------------------------------===//

#include "Sema/Schema.h"

using namespace infrac::sema;

static const AttrSpec loadBalancerAttrs[] = {
    {"type", "enum(application|network|gateway|classic)", "application", Optional,
     "ALB, NLB, GWLB or Classic"},
    {"scheme", "enum(internet_facing|internal)", "internet_facing", Optional,
     "internet-facing or internal"},
    {"subnets", "list(ref(subnet))", nullptr, Required,
     "subnets, at most one per availability zone"},
    {"security_groups", "list(ref(security_group))", nullptr, Optional,
     "security groups (not for gateway; network only at creation)"},
    {"security_groups_at_creation", "bool", "false", Optional,
     "the NLB's security groups are attached when it is created"},
    {"ip_address_type", "enum(ipv4|dualstack|dualstack_without_public_ipv4)", "ipv4",
     Optional, "IP address type"},
    {"cross_zone", "bool", nullptr, Derived,
     "cross-zone load balancing; default on for application and classic, off otherwise"},
    {"idle_timeout", "duration(s)", "60s", Optional, "connection idle timeout (1..4000 s)"},
    {"deletion_protection", "bool", "false", Optional, "deletion protection"},
    {"drop_invalid_header_fields", "bool", "false", Optional,
     "drop HTTP headers with invalid names (application)"},
    {"desync_mitigation_mode", "enum(monitor|defensive|strictest)", "defensive",
     Optional, "HTTP desync mitigation (application)"},
    {"http2", "bool", "true", Optional, "HTTP/2 to clients (application)"},
    {"access_logs", "string", nullptr, Optional, "S3 location for access logs, e.g. \"s3://bucket/prefix\""},
    {"connection_draining", "duration(s)", nullptr, Optional,
     "connection draining timeout (classic)"},
    {"tags", "map(string)", nullptr, Optional, "resource tags"},
};

static const ChildSpec loadBalancerChildren[] = {
    {"listener", "listener", Multiple},
    {"health_check", "health_check", One},
};

static const AttrSpec listenerAttrs[] = {
    {"protocol", "enum(http|https|tcp|tls|udp|tcp_udp|quic|tcp_quic|geneve|ssl)",
     nullptr, Optional, "listener protocol (omitted on a gateway load balancer)"},
    {"port", "int", nullptr, Optional, "listener port (omitted on a gateway load balancer)"},
    {"certificates", "list(string)", nullptr, Optional,
     "certificate ARNs for HTTPS and TLS; the first is the default"},
    {"ssl_policy", "string", nullptr, Optional, "security policy for HTTPS and TLS"},
    {"alpn_policy", "enum(http1_only|http2_only|http2_optional|http2_preferred|none)",
     nullptr, Optional, "ALPN policy (TLS)"},
    {"default", "action", nullptr, Optional, "what to do when no rule matches"},
    {"instance_port", "int", nullptr, Optional, "instance port (classic)"},
    {"instance_protocol", "enum(http|https|tcp|ssl)", nullptr, Optional,
     "instance protocol (classic)"},
};

static const ChildSpec listenerChildren[] = {
    {"rule", "listener_rule", Multiple},
};

static const AttrSpec ruleAttrs[] = {
    {"priority", "int", nullptr, Required, "evaluation order, lowest first (1..50000)"},
    {"when", "condition", nullptr, Required,
     "conditions, joined with 'and': path, host, header, method, query, source_ip"},
    {"then", "action", nullptr, Required, "forward, redirect or fixed_response"},
};

static const AttrSpec targetGroupAttrs[] = {
    {"protocol", "enum(http|https|tcp|tls|udp|tcp_udp|geneve|quic|tcp_quic)", nullptr,
     Optional, "protocol to the targets (not for lambda targets)"},
    {"port", "int", nullptr, Optional, "port on the targets (not for lambda targets)"},
    {"target_type", "enum(instance|ip|lambda|alb)", "instance", Optional,
     "what the targets are"},
    {"vpc", "ref(vpc)", nullptr, Optional, "the targets' VPC"},
    {"protocol_version", "enum(http1|http2|grpc)", nullptr, Derived,
     "HTTP version to targets; http1 for HTTP and HTTPS target groups"},
    {"algorithm", "enum(round_robin|least_outstanding_requests|weighted_random)",
     "round_robin", Optional, "how an ALB picks a target"},
    {"slow_start", "duration(s)", "0s", Optional,
     "ramp-up time for new targets, 30s..15m; 0s is off"},
    {"deregistration_delay", "duration(s)", "300s", Optional,
     "draining time for deregistered targets (0..3600 s)"},
    {"connection_termination", "bool", "false", Optional,
     "close connections when the deregistration delay ends (network)"},
    {"preserve_client_ip", "bool", nullptr, Derived,
     "targets see the client's IP; default on for instance, udp and tcp_udp targets"},
    {"proxy_protocol_v2", "bool", "false", Optional, "send a PROXY v2 header (network)"},
    {"cross_zone", "union(bool, enum(use_load_balancer_configuration))",
     "use_load_balancer_configuration", Optional, "cross-zone override for this group"},
    {"ip_address_type", "enum(ipv4|ipv6)", "ipv4", Optional, "target IP family"},
    {"targets", "list(union(string, ref(load_balancer)))", nullptr, Optional,
     "registered targets: IPs (\"10.0.1.5\" or \"10.0.1.5:8080\"), lambda ARNs, an ALB"},
    {"tags", "map(string)", nullptr, Optional, "resource tags"},
};

static const ChildSpec targetGroupChildren[] = {
    {"health_check", "health_check", Implicit},
    {"stickiness", "stickiness", One},
};

static const AttrSpec healthCheckAttrs[] = {
    {"enabled", "bool", nullptr, Derived, "health checks on; off by default for lambda"},
    {"protocol", "enum(http|https|tcp)", nullptr, Derived,
     "check protocol; the group's protocol if HTTP(S), else tcp"},
    {"port", "union(int, enum(traffic_port))", nullptr, Derived,
     "check port; traffic_port (gateway: 80)"},
    {"path", "string", nullptr, Derived, "check path for HTTP(S) checks; \"/\""},
    {"interval", "duration(s)", nullptr, Derived,
     "time between checks (5..300 s); 30s, gateway 10s, lambda 35s"},
    {"timeout", "duration(s)", nullptr, Derived,
     "time to wait for an answer (2..120 s); ALB 5s, NLB 6s for HTTP and 10s otherwise, lambda 30s"},
    {"healthy_threshold", "int", "5", Optional, "consecutive successes to become healthy (2..10)"},
    {"unhealthy_threshold", "int", "2", Optional,
     "consecutive failures to become unhealthy (2..10)"},
    {"matcher", "string", nullptr, Derived,
     "HTTP codes that mean healthy; \"200\" (network: \"200-399\")"},
};

static const AttrSpec stickinessAttrs[] = {
    {"enabled", "bool", "true", Optional, "stickiness on"},
    {"type", "enum(lb_cookie|app_cookie|source_ip|source_ip_dest_ip|source_ip_dest_ip_proto)",
     nullptr, Derived, "lb_cookie for HTTP(S) groups, source_ip for network groups"},
    {"duration", "duration(s)", "1d", Optional, "cookie lifetime (1 s..7 d)"},
    {"cookie_name", "string", nullptr, Optional, "the application's cookie (app_cookie)"},
};

static const BlockSpec blocks[] = {
    {"load_balancer", "load_balancing", LabelKind::Name, nullptr, true, false,
     loadBalancerAttrs, loadBalancerChildren, "an Elastic Load Balancer"},
    {"listener", "load_balancing", LabelKind::Name, nullptr, false, false,
     listenerAttrs, listenerChildren, "a listener: a protocol and port with actions"},
    {"listener_rule", "load_balancing", LabelKind::Name, nullptr, false, false,
     ruleAttrs, {}, "a listener rule: conditions and an action"},
    {"target_group", "load_balancing", LabelKind::Name, nullptr, true, false,
     targetGroupAttrs, targetGroupChildren, "a group of targets with health checks"},
    {"health_check", "load_balancing", LabelKind::None, nullptr, false, false,
     healthCheckAttrs, {}, "how targets are checked"},
    {"stickiness", "load_balancing", LabelKind::None, nullptr, false, false,
     stickinessAttrs, {}, "sticky sessions"},
};

// Actions and conditions of listeners and rules.
static const char *const tgRef[] = {"ref(target_group)"};
static const ParamSpec forwardParams[] = {
    {"stickiness", "duration(s)", Optional},
};
static const ParamSpec redirectParams[] = {
    {"protocol", "enum(http|https|keep)", Optional},
    {"host", "string", Optional},
    {"port", "union(int, enum(keep))", Optional},
    {"path", "string", Optional},
    {"query", "string", Optional},
    {"status", "int", Optional},
};
static const ParamSpec fixedResponseParams[] = {
    {"status", "int", Required},
    {"body", "string", Optional},
    {"content_type", "string", Optional},
};
static const char *const strings[] = {"string"};
static const char *const cidrs[] = {"cidr"};
static const char *const twoStrings[] = {"string", "string"};

static const FunctionSpec functions[] = {
    {"forward", FunctionCategory::Action, tgRef, 1, ~0u, true, forwardParams, nullptr,
     "forward to a target group, or to several with weights: forward(a: 80, b: 20)"},
    {"redirect", FunctionCategory::Action, {}, 0, 0, false, redirectParams, nullptr,
     "redirect the client (HTTP 301 or 302)"},
    {"fixed_response", FunctionCategory::Action, {}, 0, 0, false, fixedResponseParams,
     nullptr, "answer with a fixed status and body"},
    {"path", FunctionCategory::Condition, strings, 1, ~0u, false, {}, nullptr,
     "the request path matches a pattern (* and ? wildcards)"},
    {"host", FunctionCategory::Condition, strings, 1, ~0u, false, {}, nullptr,
     "the Host header matches a pattern"},
    {"header", FunctionCategory::Condition, twoStrings, 2, ~0u, false, {}, nullptr,
     "a header (first argument) matches one of the patterns"},
    {"method", FunctionCategory::Condition, strings, 1, ~0u, false, {}, nullptr,
     "the HTTP method is one of these"},
    {"query", FunctionCategory::Condition, twoStrings, 1, 2, false, {}, nullptr,
     "the query string has key (first) with value (second), or the value alone"},
    {"source_ip", FunctionCategory::Condition, cidrs, 1, ~0u, false, {}, nullptr,
     "the client's address is in one of these CIDR blocks"},
};

SchemaFamily infrac::sema::loadBalancingSchema() { return {blocks, functions, {}}; }

//===- CfnLoadBalancing.cpp - target_group, load_balancer and listeners ---===//
//
// target_group   -> AWS::ElasticLoadBalancingV2::TargetGroup: health check,
//                   targets, and as TargetGroupAttributes the deregistration
//                   delay, stickiness, algorithm, slow start, cross-zone,
//                   connection termination, client IP preservation, proxy v2
// load_balancer  -> AWS::ElasticLoadBalancingV2::LoadBalancer (application,
//                   network, gateway) with its attributes and a DNS-name output;
//                   AWS::ElasticLoadBalancing::LoadBalancer for classic
// listener       -> AWS::ElasticLoadBalancingV2::Listener (+ ListenerCertificate
//                   for certificates after the first)
// listener_rule  -> AWS::ElasticLoadBalancingV2::ListenerRule
//
//===----------------------------------------------------------------------===//

#include "Emit/Emitter.h"

using namespace infrac;
using namespace infrac::emit;
using VK = sema::Value::Kind;
using llvm::StringRef;

namespace {

Node keyValue(StringRef key, StringRef value) {
  Node n = Node::map();
  n.add("Key", Node::string(key));
  n.add("Value", Node::string(value));
  return n;
}

StringRef boolText(bool b) { return b ? "true" : "false"; }

/// Whether the attribute was written (or derived), not a static default.
bool isWritten(const Resource &r, StringRef name) {
  const sema::Attr *a = r.attr(name);
  return a && !a->isDefault;
}

/// "s3://bucket/some/prefix" -> ("bucket", "some/prefix").
std::pair<StringRef, StringRef> splitS3(StringRef uri) {
  uri.consume_front("s3://");
  auto [bucket, prefix] = uri.split('/');
  return {bucket, prefix.rtrim('/')};
}

bool isHttp(StringRef proto) { return proto == "http" || proto == "https"; }

/// The strings of a call's positional arguments.
Node stringValues(Emitter &e, llvm::ArrayRef<Value> items) {
  Node out = Node::list();
  for (const Value &v : items)
    out.push(e.scalar(v));
  return out;
}

Node condition(Emitter &e, const Value &call) {
  Node c = Node::map();
  StringRef fn = call.str;
  auto config = [&](StringRef field, StringRef key) -> Node & {
    c.add("Field", Node::string(field));
    return c.add(key, Node::map());
  };
  if (fn == "path")
    config("path-pattern", "PathPatternConfig").add("Values", stringValues(e, call.items));
  else if (fn == "host")
    config("host-header", "HostHeaderConfig").add("Values", stringValues(e, call.items));
  else if (fn == "method")
    config("http-request-method", "HttpRequestMethodConfig")
        .add("Values", stringValues(e, call.items));
  else if (fn == "source_ip")
    config("source-ip", "SourceIpConfig").add("Values", stringValues(e, call.items));
  else if (fn == "header") {
    Node &h = config("http-header", "HttpHeaderConfig");
    h.add("HttpHeaderName", e.scalar(call.items[0]));
    h.add("Values", stringValues(e, call.items.drop_front()));
  } else if (fn == "query") {
    Node &q = config("query-string", "QueryStringConfig");
    Node kv = Node::map();
    if (call.items.size() == 2) {
      kv.add("Key", e.scalar(call.items[0]));
      kv.add("Value", e.scalar(call.items[1]));
    } else {
      kv.add("Value", e.scalar(call.items[0]));
    }
    Node values = Node::list();
    values.push(std::move(kv));
    q.add("Values", std::move(values));
  }
  return c;
}

Node conditions(Emitter &e, const Value *when) {
  Node out = Node::list();
  if (!when)
    return out;
  if (when->kind == VK::And) {
    for (const Value &v : when->items)
      if (v.kind == VK::Call)
        out.push(condition(e, v));
  } else if (when->kind == VK::Call) {
    out.push(condition(e, *when));
  }
  return out;
}

} // namespace

Node Emitter::action(const Value &v) {
  Node a = Node::map();
  if (v.kind != VK::Call)
    return a;
  if (v.str == "forward") {
    const sema::NamedValue *sticky = v.field("stickiness");
    bool weighted = v.items.size() > 1 || (v.items.size() == 1 && v.items[0].kind == VK::Weighted);
    a.add("Type", Node::string("forward"));
    if (!weighted && !sticky && v.items.size() == 1 && v.items[0].ref) {
      a.add("TargetGroupArn", ref(v.items[0].ref));
      return a;
    }
    Node &cfg = a.add("ForwardConfig", Node::map());
    Node groups = Node::list();
    for (const Value &item : v.items) {
      const Value &target = item.kind == VK::Weighted ? item.items[0] : item;
      if (!target.ref)
        continue;
      Node g = Node::map();
      g.add("TargetGroupArn", ref(target.ref));
      g.add("Weight", item.kind == VK::Weighted ? scalar(item.items[1]) : Node::integer(1));
      groups.push(std::move(g));
    }
    cfg.add("TargetGroups", std::move(groups));
    if (sticky) {
      Node s = Node::map();
      s.add("Enabled", Node::boolean(true));
      s.add("DurationSeconds", Node::integer(seconds(sticky->value.i)));
      cfg.add("TargetGroupStickinessConfig", std::move(s));
    }
    return a;
  }
  if (v.str == "redirect") {
    a.add("Type", Node::string("redirect"));
    Node &cfg = a.add("RedirectConfig", Node::map());
    if (const sema::NamedValue *f = v.field("protocol"))
      cfg.add("Protocol", Node::string(f->value.str == "keep" ? std::string("#{protocol}")
                                                              : upper(f->value.str)));
    if (const sema::NamedValue *f = v.field("host"))
      cfg.add("Host", scalar(f->value));
    if (const sema::NamedValue *f = v.field("port"))
      cfg.add("Port", f->value.kind == VK::Int ? intString(f->value) : Node::string("#{port}"));
    if (const sema::NamedValue *f = v.field("path"))
      cfg.add("Path", scalar(f->value));
    if (const sema::NamedValue *f = v.field("query"))
      cfg.add("Query", scalar(f->value));
    const sema::NamedValue *status = v.field("status");
    cfg.add("StatusCode", Node::string(status && status->value.i == 302 ? "HTTP_302" : "HTTP_301"));
    return a;
  }
  if (v.str == "fixed_response") {
    a.add("Type", Node::string("fixed-response"));
    Node &cfg = a.add("FixedResponseConfig", Node::map());
    if (const sema::NamedValue *f = v.field("status"))
      cfg.add("StatusCode", intString(f->value));
    if (const sema::NamedValue *f = v.field("content_type"))
      cfg.add("ContentType", scalar(f->value));
    if (const sema::NamedValue *f = v.field("body"))
      cfg.add("MessageBody", scalar(f->value));
    return a;
  }
  return a;
}

void Emitter::emitTargetGroup(const Resource &r) {
  StringRef proto = r.getEnum("protocol");
  StringRef type = r.getEnum("target_type");
  bool alb = isHttp(proto) || type == "lambda";
  bool gwlb = proto == "geneve";
  bool nlb = !alb && !gwlb;

  // Targets that are load balancers wait for the listener on the group's port.
  std::vector<std::string> deps;
  Node targets = Node::list();
  if (const Value *v = r.get("targets"))
    for (const Value &t : v->items) {
      Node n = Node::map();
      if (t.kind == VK::Ref && t.ref) {
        n.add("Id", ref(t.ref));
        if (const Value *port = r.get("port"))
          n.add("Port", scalar(*port));
        for (const Resource *l : t.ref->childrenOf("listener"))
          if (l->getInt("port") == r.getInt("port"))
            deps.push_back(id(l).str());
      } else if (t.kind == VK::String) {
        StringRef text = t.str;
        auto [host, port] = text.rsplit(':');
        unsigned portNum;
        if (!text.startswith("arn:") && !port.empty() && !port.getAsInteger(10, portNum)) {
          n.add("Id", Node::string(host));
          n.add("Port", Node::integer(portNum));
        } else {
          n.add("Id", scalar(t));
        }
      }
      targets.push(std::move(n));
    }

  // Elastic Load Balancing may only register a Lambda function it may invoke:
  // the permission comes first.
  if (type == "lambda")
    if (const Value *v = r.get("targets"))
      for (const Value &t : v->items) {
        if (t.kind != VK::String)
          continue;
        std::string permission = uniqueId(id(&r).str() + "InvokePermission");
        Node &q = add(permission, "AWS::Lambda::Permission");
        q.add("Action", Node::string("lambda:InvokeFunction"));
        q.add("FunctionName", scalar(t));
        q.add("Principal", Node::string("elasticloadbalancing.amazonaws.com"));
        deps.push_back(permission);
      }

  Node &p = add(id(&r), "AWS::ElasticLoadBalancingV2::TargetGroup", deps);
  if (!proto.empty())
    p.add("Protocol", Node::string(upper(proto)));
  if (const Value *port = r.get("port"))
    p.add("Port", scalar(*port));
  p.add("TargetType", Node::string(type));
  if (type != "lambda") {
    const Resource *vpc = r.getRef("vpc");
    if (!vpc)
      if (const Resource *lb = loadBalancerOf(&r))
        vpc = vpcOfSubnets(*lb, "subnets");
    if (vpc)
      p.add("VpcId", ref(vpc));
    else
      fail("target group '" + r.name + "' needs a 'vpc' for infrac build");
  }
  if (isHttp(proto))
    if (StringRef version = r.getEnum("protocol_version"); !version.empty())
      p.add("ProtocolVersion", Node::string(upper(version)));
  if (r.getEnum("ip_address_type") == "ipv6")
    p.add("IpAddressType", Node::string("ipv6"));

  if (const Resource *hc = r.child("health_check")) {
    bool enabled = hc->getBool("enabled").value_or(true);
    p.add("HealthCheckEnabled", Node::boolean(enabled));
    if (enabled) {
      StringRef hcProto = hc->getEnum("protocol");
      if (!hcProto.empty())
        p.add("HealthCheckProtocol", Node::string(upper(hcProto)));
      if (const Value *port = hc->get("port"))
        p.add("HealthCheckPort",
              port->kind == VK::Int ? intString(*port) : Node::string("traffic-port"));
      if (isHttp(hcProto))
        if (const Value *path = hc->get("path"))
          p.add("HealthCheckPath", scalar(*path));
      if (auto v = hc->getInt("interval"))
        p.add("HealthCheckIntervalSeconds", Node::integer(seconds(*v)));
      if (auto v = hc->getInt("timeout"))
        p.add("HealthCheckTimeoutSeconds", Node::integer(seconds(*v)));
      if (const Value *v = hc->get("healthy_threshold"))
        p.add("HealthyThresholdCount", scalar(*v));
      if (const Value *v = hc->get("unhealthy_threshold"))
        p.add("UnhealthyThresholdCount", scalar(*v));
      // gRPC groups answer with gRPC codes (AWS's default is 12): their
      // matcher is only written when the user gave one.
      bool grpc = r.getEnum("protocol_version") == "grpc";
      if (isHttp(hcProto) && (!grpc || isWritten(*hc, "matcher")))
        if (const Value *m = hc->get("matcher")) {
          Node matcher = Node::map();
          matcher.add(grpc ? "GrpcCode" : "HttpCode", scalar(*m));
          p.add("Matcher", std::move(matcher));
        }
    }
  }
  if (!targets.empty())
    p.add("Targets", std::move(targets));

  Node attrs = Node::list();
  if (type != "lambda")
    if (auto v = r.getInt("deregistration_delay"))
      attrs.push(keyValue("deregistration_delay.timeout_seconds", std::to_string(seconds(*v))));
  if (alb && type != "lambda") {
    attrs.push(keyValue("load_balancing.algorithm.type", r.getEnum("algorithm")));
    if (auto v = r.getInt("slow_start"); v && *v > 0)
      attrs.push(keyValue("slow_start.duration_seconds", std::to_string(seconds(*v))));
  }
  if (nlb) {
    if (r.getBool("connection_termination").value_or(false) ||
        isWritten(r, "connection_termination"))
      attrs.push(keyValue("deregistration_delay.connection_termination.enabled",
                          boolText(r.getBool("connection_termination").value_or(false))));
    if (isWritten(r, "preserve_client_ip"))
      if (auto v = r.getBool("preserve_client_ip"))
        attrs.push(keyValue("preserve_client_ip.enabled", boolText(*v)));
    if (r.getBool("proxy_protocol_v2").value_or(false))
      attrs.push(keyValue("proxy_protocol_v2.enabled", "true"));
  }
  if (const Value *cz = r.get("cross_zone")) {
    if (cz->kind == VK::Bool)
      attrs.push(keyValue("load_balancing.cross_zone.enabled", boolText(cz->b)));
  }
  if (const Resource *s = r.child("stickiness")) {
    bool enabled = s->getBool("enabled").value_or(true);
    StringRef stype = s->getEnum("type");
    attrs.push(keyValue("stickiness.enabled", boolText(enabled)));
    if (!stype.empty())
      attrs.push(keyValue("stickiness.type", stype));
    if (stype == "lb_cookie")
      if (auto d = s->getInt("duration"))
        attrs.push(keyValue("stickiness.lb_cookie.duration_seconds", std::to_string(seconds(*d))));
    if (stype == "app_cookie") {
      if (StringRef cookie = s->getString("cookie_name"); !cookie.empty())
        attrs.push(keyValue("stickiness.app_cookie.cookie_name", cookie));
      if (auto d = s->getInt("duration"))
        attrs.push(keyValue("stickiness.app_cookie.duration_seconds", std::to_string(seconds(*d))));
    }
  }
  if (!attrs.empty())
    p.add("TargetGroupAttributes", std::move(attrs));
  Node t = tags(r);
  if (!t.isNull())
    p.add("Tags", std::move(t));
}

void Emitter::emitLoadBalancer(const Resource &r) {
  StringRef type = r.getEnum("type");
  if (type == "classic") {
    emitClassicLoadBalancer(r);
    return;
  }
  bool internetFacing = r.getEnum("scheme") == "internet_facing";
  std::vector<std::string> deps;
  // An internet-facing load balancer fails to create until the VPC's internet
  // gateway is attached, and nothing it references says so.
  if (internetFacing && type != "gateway")
    if (StringRef att = gatewayAttachment(vpcOfSubnets(r, "subnets")); !att.empty())
      deps.push_back(att.str());

  Node &p = add(id(&r), "AWS::ElasticLoadBalancingV2::LoadBalancer", deps);
  p.add("Type", Node::string(type));
  if (type != "gateway")
    p.add("Scheme", Node::string(internetFacing ? "internet-facing" : "internal"));
  p.add("Subnets", refs(r, "subnets"));
  if (type != "gateway") {
    Node sgs = groupIds(r, "security_groups");
    if (!sgs.empty())
      p.add("SecurityGroups", std::move(sgs));
  }
  StringRef ipType = r.getEnum("ip_address_type");
  if (!ipType.empty() && ipType != "ipv4") {
    std::string spelled = ipType.str();
    std::replace(spelled.begin(), spelled.end(), '_', '-');
    p.add("IpAddressType", Node::string(spelled));
  }

  Node attrs = Node::list();
  attrs.push(keyValue("deletion_protection.enabled",
                      boolText(r.getBool("deletion_protection").value_or(false))));
  if (type == "application") {
    if (auto v = r.getInt("idle_timeout"))
      attrs.push(keyValue("idle_timeout.timeout_seconds", std::to_string(seconds(*v))));
    attrs.push(keyValue("routing.http.drop_invalid_header_fields.enabled",
                        boolText(r.getBool("drop_invalid_header_fields").value_or(false))));
    attrs.push(
        keyValue("routing.http.desync_mitigation_mode", r.getEnum("desync_mitigation_mode")));
    attrs.push(keyValue("routing.http2.enabled", boolText(r.getBool("http2").value_or(true))));
    if (auto cz = r.getBool("cross_zone"); cz && !*cz)
      attrs.push(keyValue("load_balancing.cross_zone.enabled", "false"));
  } else {
    attrs.push(keyValue("load_balancing.cross_zone.enabled",
                        boolText(r.getBool("cross_zone").value_or(false))));
  }
  if (StringRef logs = r.getString("access_logs"); !logs.empty()) {
    auto [bucket, prefix] = splitS3(logs);
    attrs.push(keyValue("access_logs.s3.enabled", "true"));
    attrs.push(keyValue("access_logs.s3.bucket", bucket));
    if (!prefix.empty())
      attrs.push(keyValue("access_logs.s3.prefix", prefix));
  }
  p.add("LoadBalancerAttributes", std::move(attrs));
  Node t = tags(r);
  if (!t.isNull())
    p.add("Tags", std::move(t));

  if (type != "gateway")
    output(id(&r).str() + "DnsName", Node::getAtt(id(&r), "DNSName"),
           ("DNS name of load balancer '" + r.name + "'").str());

  for (const Resource *l : r.childrenOf("listener")) {
    Node &lp = add(id(l), "AWS::ElasticLoadBalancingV2::Listener");
    lp.add("LoadBalancerArn", ref(&r));
    if (StringRef proto = l->getEnum("protocol"); !proto.empty())
      lp.add("Protocol", Node::string(upper(proto)));
    if (const Value *port = l->get("port"))
      lp.add("Port", scalar(*port));
    const Value *certs = l->get("certificates");
    if (certs && !certs->items.empty()) {
      Node list = Node::list();
      Node &c = list.push(Node::map());
      c.add("CertificateArn", scalar(certs->items[0]));
      lp.add("Certificates", std::move(list));
    }
    if (const Value *policy = l->get("ssl_policy"))
      lp.add("SslPolicy", scalar(*policy));
    if (StringRef alpn = l->getEnum("alpn_policy"); !alpn.empty()) {
      static const std::pair<StringRef, StringRef> spellings[] = {
          {"http1_only", "HTTP1Only"},
          {"http2_only", "HTTP2Only"},
          {"http2_optional", "HTTP2Optional"},
          {"http2_preferred", "HTTP2Preferred"},
          {"none", "None"}};
      for (const auto &[from, to] : spellings)
        if (alpn == from) {
          Node list = Node::list();
          list.push(Node::string(to));
          lp.add("AlpnPolicy", std::move(list));
        }
    }
    Node actions = Node::list();
    if (const Value *def = l->get("default"))
      actions.push(action(*def));
    else
      fail("listener '" + l->path + "' has no default action");
    lp.add("DefaultActions", std::move(actions));

    if (certs && certs->items.size() > 1) {
      Node &extra = add(reserveId(stripListener(id(l)) + "Certificates"),
                        "AWS::ElasticLoadBalancingV2::ListenerCertificate");
      extra.add("ListenerArn", ref(l));
      Node list = Node::list();
      for (const Value &c : certs->items.drop_front()) {
        Node &n = list.push(Node::map());
        n.add("CertificateArn", scalar(c));
      }
      extra.add("Certificates", std::move(list));
    }

    for (const Resource *rule : l->childrenOf("rule")) {
      Node &rp = add(id(rule), "AWS::ElasticLoadBalancingV2::ListenerRule");
      rp.add("ListenerArn", ref(l));
      rp.add("Priority", scalar(*rule->get("priority")));
      rp.add("Conditions", conditions(*this, rule->get("when")));
      Node ruleActions = Node::list();
      if (const Value *then = rule->get("then"))
        ruleActions.push(action(*then));
      rp.add("Actions", std::move(ruleActions));
    }
  }
}

void Emitter::emitClassicLoadBalancer(const Resource &r) {
  bool internetFacing = r.getEnum("scheme") == "internet_facing";
  std::vector<std::string> deps;
  if (internetFacing)
    if (StringRef att = gatewayAttachment(vpcOfSubnets(r, "subnets")); !att.empty())
      deps.push_back(att.str());
  Node &p = add(id(&r), "AWS::ElasticLoadBalancing::LoadBalancer", deps);
  p.add("Scheme", Node::string(internetFacing ? "internet-facing" : "internal"));
  p.add("Subnets", refs(r, "subnets"));
  Node sgs = groupIds(r, "security_groups");
  if (!sgs.empty())
    p.add("SecurityGroups", std::move(sgs));
  p.add("CrossZone", Node::boolean(r.getBool("cross_zone").value_or(true)));

  Node listeners = Node::list();
  int64_t firstInstancePort = 0;
  for (const Resource *l : r.childrenOf("listener")) {
    Node n = Node::map();
    StringRef proto = l->getEnum("protocol");
    const Value *port = l->get("port");
    const Value *instancePort = l->get("instance_port");
    n.add("LoadBalancerPort", port ? intString(*port) : Node::string("80"));
    n.add("InstancePort", instancePort ? intString(*instancePort)
                          : port       ? intString(*port)
                                       : Node::string("80"));
    if (!firstInstancePort)
      firstInstancePort = instancePort && instancePort->kind == VK::Int ? instancePort->i
                          : port && port->kind == VK::Int               ? port->i
                                                                        : 80;
    n.add("Protocol", Node::string(upper(proto.empty() ? "http" : proto)));
    if (StringRef ip = l->getEnum("instance_protocol"); !ip.empty())
      n.add("InstanceProtocol", Node::string(upper(ip)));
    if (const Value *certs = l->get("certificates"); certs && !certs->items.empty())
      n.add("SSLCertificateId", scalar(certs->items[0]));
    listeners.push(std::move(n));
  }
  p.add("Listeners", std::move(listeners));

  if (const Resource *hc = r.child("health_check")) {
    Node h = Node::map();
    StringRef proto = hc->getEnum("protocol");
    if (proto.empty())
      proto = "tcp";
    const Value *port = hc->get("port");
    int64_t portNum = port && port->kind == VK::Int ? port->i : firstInstancePort;
    std::string target = upper(proto) + ":" + std::to_string(portNum);
    if (isHttp(proto))
      target += hc->getString("path").empty() ? std::string("/") : hc->getString("path").str();
    h.add("Target", Node::string(target));
    h.add("HealthyThreshold",
          Node::string(std::to_string(hc->getInt("healthy_threshold").value_or(5))));
    h.add("UnhealthyThreshold",
          Node::string(std::to_string(hc->getInt("unhealthy_threshold").value_or(2))));
    h.add("Interval",
          Node::string(std::to_string(seconds(hc->getInt("interval").value_or(30000)))));
    h.add("Timeout", Node::string(std::to_string(seconds(hc->getInt("timeout").value_or(5000)))));
    p.add("HealthCheck", std::move(h));
  }
  if (auto v = r.getInt("connection_draining")) {
    Node d = Node::map();
    d.add("Enabled", Node::boolean(true));
    d.add("Timeout", Node::integer(seconds(*v)));
    p.add("ConnectionDrainingPolicy", std::move(d));
  }
  if (auto v = r.getInt("idle_timeout")) {
    Node c = Node::map();
    c.add("IdleTimeout", Node::integer(seconds(*v)));
    p.add("ConnectionSettings", std::move(c));
  }
  if (StringRef logs = r.getString("access_logs"); !logs.empty()) {
    auto [bucket, prefix] = splitS3(logs);
    Node a = Node::map();
    a.add("Enabled", Node::boolean(true));
    a.add("S3BucketName", Node::string(bucket));
    if (!prefix.empty())
      a.add("S3BucketPrefix", Node::string(prefix));
    p.add("AccessLoggingPolicy", std::move(a));
  }
  Node t = tags(r);
  if (!t.isNull())
    p.add("Tags", std::move(t));
  output(id(&r).str() + "DnsName", Node::getAtt(id(&r), "DNSName"),
         ("DNS name of load balancer '" + r.name + "'").str());
}

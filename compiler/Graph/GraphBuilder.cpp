//===- GraphBuilder.cpp - The model as a neutral graph --------------------===//
//
// Two passes over the model in declaration order: the first creates clusters
// and nodes (so every resource has its node id), the second draws the edges.
// Then the diagnostics overlay. Nothing here iterates an unordered container,
// so the graph, and every output written from it, is the same run to run.
//
// In the detailed drawing a resource that runs in subnets is drawn twice
// over: once beside the zones with its configuration (a load balancer with
// its listeners, a group with its capacity, policies and hooks, an ensemble
// with its quorum), and once in each subnet or zone it runs in, where its
// parts are (a load balancer node per subnet, a group's instances per zone as
// AZ balancing spreads them, ensemble servers round-robin over the subnets as
// `build` and the runtime place them, store nodes).
//
//===----------------------------------------------------------------------===//

#include "Graph/Graph.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <functional>
#include <map>
#include <tuple>

using namespace infrac;
using namespace infrac::graph;
using sema::Model;
using sema::Resource;
using sema::Value;
using VK = Value::Kind;

namespace {

//===----------------------------------------------------------------------===//
// Text helpers
//===----------------------------------------------------------------------===//

std::string valueText(const Value &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (v.kind == VK::String)
    os << v.str; // Unquoted in a label.
  else
    sema::printValue(v, os);
  return os.str();
}

std::string upper(llvm::StringRef s) { return s.upper(); }

/// A label is a list of one-line texts: control characters (tabs, newlines
/// inside a string) become spaces.
std::string oneLine(std::string s) {
  for (char &c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = ' ';
  return s;
}

void tidy(std::vector<std::string> &lines) {
  llvm::erase_if(lines, [](const std::string &l) { return l.empty(); });
  for (std::string &l : lines)
    l = oneLine(std::move(l));
}

std::string join(llvm::ArrayRef<std::string> parts, llvm::StringRef sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? sep.str() : "") + parts[i];
  return out;
}

/// The values of a list attribute (or a single value), skipping unset ones.
std::vector<const Value *> listOf(const Value *v) {
  std::vector<const Value *> out;
  if (!v)
    return out;
  if (v->kind != VK::List) {
    out.push_back(v);
    return out;
  }
  for (const Value &item : v->items)
    if (item.isSet())
      out.push_back(&item);
  return out;
}

std::vector<const Resource *> refsOf(const Resource &r, llvm::StringRef attr) {
  std::vector<const Resource *> out;
  for (const Value *v : listOf(r.get(attr)))
    if (v->kind == VK::Ref && v->ref)
      out.push_back(v->ref);
  return out;
}

llvm::StringRef lbTypeName(llvm::StringRef type) {
  return llvm::StringSwitch<llvm::StringRef>(type)
      .Case("application", "ALB")
      .Case("network", "NLB")
      .Case("gateway", "GWLB")
      .Case("classic", "CLB")
      .Default("load balancer");
}

/// "HTTPS:443" for a listener or target group; GWLB listeners are GENEVE:6081.
std::string protocolPort(const Resource &r) {
  llvm::StringRef proto = r.getEnum("protocol");
  std::optional<int64_t> port = r.getInt("port");
  if (proto.empty() && !port)
    return r.kind() == "listener" ? "GENEVE:6081" : "";
  std::string s = proto.empty() ? std::string("?") : upper(proto);
  if (port)
    s += ":" + std::to_string(*port);
  return s;
}

/// A classic listener's side towards the instances: "HTTP:8080".
std::string instancePort(const Resource &listener) {
  llvm::StringRef proto = listener.getEnum("instance_protocol");
  std::optional<int64_t> port = listener.getInt("instance_port");
  std::string s = upper(proto);
  if (port)
    s += (s.empty() ? "port " : ":") + std::to_string(*port);
  return s;
}

/// One condition of a listener rule: `path /api/*`, `User-Agent: *Mobile*`.
std::string conditionText(const Value &c) {
  if (c.kind == VK::And) {
    std::vector<std::string> parts;
    for (const Value &item : c.items)
      parts.push_back(conditionText(item));
    return join(parts, " and ");
  }
  if (c.kind != VK::Call)
    return valueText(c);
  std::vector<std::string> args;
  for (const Value &a : c.items)
    args.push_back(valueText(a));
  if (c.str == "header" && !args.empty())
    return args[0] + ": " +
           join(llvm::ArrayRef<std::string>(args).drop_front(), " or ");
  if (c.str == "query" && args.size() == 2)
    return "query " + args[0] + "=" + args[1];
  llvm::StringRef name = c.str == "source_ip" ? "from" : c.str;
  return name.str() + " " + join(args, " or ");
}

/// The label of a redirect or fixed-response action node.
std::vector<std::string> actionLines(const Value &a) {
  std::vector<std::string> details;
  auto field = [&](llvm::StringRef name) -> std::string {
    const sema::NamedValue *f = a.field(name);
    return f && f->value.isSet() ? valueText(f->value) : std::string();
  };
  if (a.str == "redirect") {
    std::string to = upper(field("protocol"));
    if (!field("host").empty())
      to += (to.empty() ? "" : "://") + field("host");
    if (!field("port").empty())
      to += ":" + field("port");
    to += field("path");
    details.push_back("to " + (to.empty() ? std::string("same URL") : to));
    if (!field("status").empty())
      details.back() += " · " + field("status");
    return {"redirect", details.back()};
  }
  std::string what = field("status");
  if (!field("content_type").empty())
    what += " " + field("content_type");
  return {"fixed response", what};
}

std::string portText(const Resource &rule) {
  llvm::StringRef proto = rule.getEnum("protocol");
  if (proto == "all")
    return "all traffic";
  std::string s = proto.str();
  if (std::optional<int64_t> port = rule.getInt("port")) {
    s += "/" + std::to_string(*port);
    if (std::optional<int64_t> to = rule.getInt("to_port"); to && *to != *port)
      s += "-" + std::to_string(*to);
  }
  return s;
}

bool isWorld(llvm::StringRef cidr) { return cidr == "0.0.0.0/0" || cidr == "::/0"; }

/// An IPv4 address ("10.0.1.5", a ":port" allowed after it) as a number.
std::optional<uint32_t> parseIpv4(llvm::StringRef s) {
  s = s.take_until([](char c) { return c == ':' || c == '/'; });
  uint32_t addr = 0;
  for (int i = 0; i < 4; ++i) {
    auto [part, rest] = s.split('.');
    unsigned byte;
    if (part.getAsInteger(10, byte) || byte > 255 || (i < 3) == rest.empty())
      return std::nullopt;
    addr = addr << 8 | byte;
    s = rest;
  }
  return addr;
}

/// `ip` lies in the IPv4 block `cidr` ("10.0.1.0/24").
bool inCidr(llvm::StringRef ip, llvm::StringRef cidr) {
  auto [base, bits] = cidr.split('/');
  unsigned len;
  std::optional<uint32_t> a = parseIpv4(ip), b = parseIpv4(base);
  if (!a || !b || bits.getAsInteger(10, len) || len > 32)
    return false;
  uint32_t mask = len ? ~uint32_t(0) << (32 - len) : 0;
  return (*a & mask) == (*b & mask);
}

/// The `j`th of `parts` shares of `total` spread evenly, the first ones
/// taking the remainder: 3 over 2 zones is 2 and 1.
int64_t shareOf(int64_t total, size_t parts, size_t j) {
  int64_t k = static_cast<int64_t>(parts);
  return total / k + (static_cast<int64_t>(j) < total % k ? 1 : 0);
}

/// "1 instance", "3 instances".
std::string count(int64_t n, llvm::StringRef one, llvm::StringRef many) {
  return std::to_string(n) + " " + (n == 1 ? one : many).str();
}

/// The end of an ARN, shortened: "…/0f1e2d3c" for an ACM certificate.
std::string arnTail(llvm::StringRef arn) {
  llvm::StringRef tail = arn.rsplit('/').second;
  if (tail.empty())
    tail = arn.rsplit(':').second;
  if (tail.empty())
    tail = arn;
  return tail.size() > 8 ? tail.take_front(8).str() + "…" : tail.str();
}

/// A scaling policy in a few words: "track CPU at 60%", "step on CPU > 70".
std::string policyText(const Resource &p) {
  llvm::StringRef metric = p.getEnum("metric");
  std::string what = llvm::StringSwitch<std::string>(metric)
                         .Case("cpu_utilization", "CPU")
                         .Case("alb_request_count_per_target", "requests/target")
                         .Case("network_in", "network in")
                         .Case("network_out", "network out")
                         .Default(metric.str());
  llvm::StringRef type = p.getEnum("type");
  if (type == "target_tracking") {
    const Value *target = p.get("target");
    std::string at = target ? valueText(*target) : std::string("?");
    if (metric == "cpu_utilization" && target && target->kind != VK::Percent)
      at += "%";
    return "scale: track " + what + " at " + at +
           (p.getBool("disable_scale_in").value_or(false) ? ", never in" : "");
  }
  std::string text = type.str() + " scaling on " + what;
  if (const Value *t = p.get("threshold"))
    text += " " +
            llvm::StringSwitch<std::string>(p.getEnum("comparison"))
                .Case("ge", ">=")
                .Case("lt", "<")
                .Case("le", "<=")
                .Default(">") +
            " " + valueText(*t);
  if (std::optional<int64_t> adj = p.getInt("adjustment"))
    text += ": " + std::string(*adj >= 0 ? "+" : "") + std::to_string(*adj);
  return text;
}

/// A target group's traffic settings: algorithm, deregistration delay, slow start.
std::string trafficText(const Resource &tg) {
  std::vector<std::string> parts;
  if (llvm::StringRef algorithm = tg.getEnum("algorithm");
      !algorithm.empty() && algorithm != "round_robin") {
    std::string words = algorithm.str();
    std::replace(words.begin(), words.end(), '_', ' ');
    parts.push_back(words);
  }
  if (const Value *d = tg.get("deregistration_delay"))
    parts.push_back("drain " + valueText(*d) +
                    (tg.getBool("connection_termination").value_or(false)
                         ? ", then close connections"
                         : ""));
  if (const Value *s = tg.get("slow_start"); s && s->kind == VK::Duration && s->i > 0)
    parts.push_back("slow start " + valueText(*s));
  return join(parts, " · ");
}

/// The deepest resource whose block holds `loc` (resources are visited
/// parents first, so the last hit is the innermost).
const Resource *resourceAt(const Model &model, llvm::SMLoc loc) {
  const Resource *found = nullptr;
  std::less<const char *> before;
  model.forEach([&](const Resource &r) {
    const char *p = loc.getPointer();
    if (r.range.isValid() && !before(p, r.range.Start.getPointer()) &&
        !before(r.range.End.getPointer(), p))
      found = &r;
  });
  return found;
}

//===----------------------------------------------------------------------===//
// The builder
//===----------------------------------------------------------------------===//

class GraphBuilder {
public:
  GraphBuilder(const Model &model, const GraphOptions &opts) : model(model), opts(opts) {
    g.title = opts.title;
    g.legend = opts.legend;
  }

  Graph build() {
    addClients();
    for (const Resource *r : model.resources)
      addNodes(*r);
    for (const Resource *r : model.resources)
      addEdges(*r);
    if (detail())
      addSecurityEdges();
    attachSecurityGroups();
    overlayDiagnostics();
    return std::move(g);
  }

private:
  bool detail() const { return opts.level == Level::Detail; }

  // Ids ---------------------------------------------------------------------

  std::string makeId(llvm::StringRef prefix, llvm::StringRef path) {
    std::string id = prefix.str() + "_";
    for (char c : path)
      id += llvm::isAlnum(c) ? c : '_';
    std::string unique = id;
    for (int n = 2; !usedIds.insert(unique).second; ++n)
      unique = id + "_" + std::to_string(n);
    return unique;
  }

  Node &addNode(NodeKind kind, llvm::StringRef prefix, llvm::StringRef path,
                std::vector<std::string> lines, int cluster, const Resource *r) {
    Node n;
    n.id = makeId(prefix, path);
    n.kind = kind;
    tidy(lines);
    n.lines = std::move(lines);
    n.cluster = cluster;
    if (r) {
      n.origins.push_back(r->path.str());
      nodeOf[r] = g.nodes.size();
    }
    g.nodes.push_back(std::move(n));
    return g.nodes.back();
  }

  int addCluster(ClusterKind kind, llvm::StringRef prefix, llvm::StringRef path,
                 std::vector<std::string> lines, int parent, const Resource *r) {
    Cluster c;
    c.id = makeId(prefix, path);
    c.kind = kind;
    tidy(lines);
    c.lines = std::move(lines);
    c.parent = parent;
    if (r) {
      c.origins.push_back(r->path.str());
      clusterOf[r] = g.clusters.size();
    }
    g.clusters.push_back(std::move(c));
    return static_cast<int>(g.clusters.size() - 1);
  }

  const Node *node(const Resource *r) const {
    auto it = nodeOf.find(r);
    return it == nodeOf.end() ? nullptr : &g.nodes[it->second];
  }
  std::string idOf(const Resource *r) const {
    const Node *n = node(r);
    return n ? n->id : std::string();
  }

  void addEdge(llvm::StringRef from, llvm::StringRef to, EdgeKind kind,
               llvm::StringRef label = {}) {
    if (from.empty() || to.empty())
      return;
    std::string text = oneLine(label.str());
    std::vector<size_t> &same = edgesBetween[{from.str(), to.str(), kind}];
    for (size_t i : same)
      if (g.edges[i].label == text)
        return;
    same.push_back(g.edges.size());
    g.edges.push_back({from.str(), to.str(), kind, std::move(text)});
  }

  /// Adds to an existing edge's label (overview edges merge listeners).
  void addOrMergeEdge(llvm::StringRef from, llvm::StringRef to, EdgeKind kind,
                      llvm::StringRef label) {
    auto it = edgesBetween.find({from.str(), to.str(), kind});
    if (it == edgesBetween.end() || it->second.empty())
      return addEdge(from, to, kind, label);
    Edge &e = g.edges[it->second.front()];
    if (!label.empty() && !llvm::StringRef(e.label).contains(label))
      e.label += (e.label.empty() ? "" : ", ") + label.str();
  }

  // Placement ---------------------------------------------------------------

  /// The VPC cluster that holds a resource placed in `subnets`, or -1 when
  /// they span VPCs (or there are none).
  int vpcClusterOf(llvm::ArrayRef<const Resource *> subnets, const Resource *vpc = nullptr) {
    for (const Resource *s : subnets) {
      const Resource *v = s->getRef("vpc");
      if (!v || (vpc && v != vpc))
        return -1;
      vpc = v;
    }
    auto it = clusterOf.find(vpc);
    return vpc && it != clusterOf.end() ? static_cast<int>(it->second) : -1;
  }

  std::vector<const Resource *> subnetsOf(const Resource &r) {
    std::vector<const Resource *> out = refsOf(r, "subnets");
    if (const Resource *s = r.getRef("subnet"))
      out.insert(out.begin(), s);
    return out;
  }

  /// The cluster that draws a subnet (detail only), or -1.
  int subnetCluster(const Resource *subnet) const {
    auto it = clusterOf.find(subnet);
    return it != clusterOf.end() && subnet->kind() == "subnet" ? static_cast<int>(it->second)
                                                              : -1;
  }

  /// The ids of the drawn subnets among `subnets`, for Node::subnets.
  std::vector<std::string> subnetIds(llvm::ArrayRef<const Resource *> subnets) const {
    std::vector<std::string> ids;
    for (const Resource *s : subnets)
      if (int c = subnetCluster(s); c >= 0 && !llvm::is_contained(ids, g.clusters[c].id))
        ids.push_back(g.clusters[c].id);
    return ids;
  }

  /// The drawn subnets among `subnets`, the first of each zone, in order:
  /// where a group's instances go (AZ balancing spreads them over zones).
  std::vector<const Resource *> firstPerZone(llvm::ArrayRef<const Resource *> subnets) const {
    std::vector<const Resource *> out;
    std::vector<int> zones;
    for (const Resource *s : subnets)
      if (int c = subnetCluster(s); c >= 0 && !llvm::is_contained(zones, g.clusters[c].parent)) {
        zones.push_back(g.clusters[c].parent);
        out.push_back(s);
      }
    return out;
  }

  /// Draws a part of `r` in the subnet `subnet`: its node there, an edge to
  /// it from `r`'s own node (in the second pass), and `r` in its origins.
  void addPart(const Resource &r, NodeKind kind, const Resource &subnet,
               std::vector<std::string> lines) {
    std::string id = addNode(kind, "part", (r.path + "_" + subnet.name).str(), std::move(lines),
                             subnetCluster(&subnet), nullptr)
                         .id;
    g.nodes.back().origins.push_back(r.path.str());
    partOwner.emplace(g.nodes.size() - 1, &r);
    partsOf[&r].push_back(std::move(id));
  }

  const std::vector<std::string> &parts(const Resource &r) {
    static const std::vector<std::string> none;
    auto it = partsOf.find(&r);
    return it == partsOf.end() ? none : it->second;
  }

  /// The clients that reach the internet-facing load balancers, made on
  /// first use.
  const std::string &internetClients() {
    if (clientsId.empty())
      clientsId = addNode(NodeKind::Clients, "clients", "internet", {"clients", "the internet"},
                          -1, nullptr)
                      .id;
    return clientsId;
  }

  // Nodes -------------------------------------------------------------------

  void addClients() {
    bool internet = false, internal = false;
    for (const Resource *r : model.resources)
      if (r->kind() == "load_balancer")
        (r->getEnum("scheme") == "internal" ? internal : internet) = true;
    if (internet)
      internetClients();
    if (internal)
      internalClientsId = addNode(NodeKind::Clients, "clients", "vpc",
                                  {"clients", "inside the VPC"}, -1, nullptr).id;
  }

  void addNodes(const Resource &r) {
    llvm::StringRef kind = r.kind();
    if (kind == "vpc")
      addVpc(r);
    else if (kind == "subnet")
      addSubnet(r);
    else if (kind == "load_balancer")
      addLoadBalancer(r);
    else if (kind == "target_group")
      addTargetGroup(r);
    else if (kind == "auto_scaling_group")
      addAutoScalingGroup(r);
    else if (kind == "emr_cluster")
      addEmrCluster(r);
    else if (kind == "coordination")
      addCoordination(r);
    else if (kind == "session_store")
      addSessionStore(r);
  }

  void addVpc(const Resource &r) {
    std::vector<std::string> lines = {"VPC " + r.name.str()};
    if (llvm::StringRef cidr = r.getString("cidr"); !cidr.empty())
      lines.push_back(cidr.str());
    int c = addCluster(ClusterKind::Vpc, "vpc", r.path, std::move(lines), -1, &r);
    if (detail() && reachesInternet(r))
      gatewayOf[&r] = addNode(NodeKind::InternetGateway, "igw", r.path,
                              {"internet gateway (IGW)"}, c, nullptr)
                          .id;
  }

  /// `build` gives a VPC an internet gateway, and its public subnets a route
  /// to it, when it has public subnets or an internet-facing load balancer.
  bool reachesInternet(const Resource &vpc) {
    for (const Resource *r : model.resources) {
      if (r->kind() == "subnet" && r->getRef("vpc") == &vpc && r->getBool("public").value_or(false))
        return true;
      if (r->kind() == "load_balancer" && r->getEnum("type") != "gateway" &&
          r->getEnum("scheme") != "internal") {
        std::vector<const Resource *> subnets = subnetsOf(*r);
        if (!subnets.empty() && subnets.front()->getRef("vpc") == &vpc)
          return true;
      }
    }
    return false;
  }

  /// The zone cluster inside the subnet's VPC cluster, made on first use.
  int zoneCluster(const Resource &subnet) {
    int vpc = vpcClusterOf({&subnet});
    llvm::StringRef zone = subnet.getString("zone");
    if (vpc < 0 || zone.empty())
      return vpc;
    std::string key = g.clusters[vpc].id + "/" + zone.str();
    auto it = zoneClusters.find(key);
    if (it != zoneClusters.end())
      return it->second;
    int c = addCluster(ClusterKind::Zone, "az", (g.clusters[vpc].id + "_" + zone).str(),
                       {"zone " + zone.str()}, vpc, nullptr);
    zoneClusters.emplace(key, c);
    return c;
  }

  /// A subnet is a box in its zone, labelled with its range and its route
  /// to the internet (the route table `build` associates with it).
  void addSubnet(const Resource &r) {
    if (!detail())
      return;
    bool pub = r.getBool("public").value_or(false);
    const Resource *vpc = r.getRef("vpc");
    std::string route = pub && vpc && gatewayOf.count(vpc) ? "0.0.0.0/0 → IGW" : "local route only";
    std::vector<std::string> lines = {r.name.str(), r.getString("cidr").str(),
                                      (pub ? "public · " : "private · ") + route};
    addCluster(pub ? ClusterKind::PublicSubnet : ClusterKind::PrivateSubnet, "subnet", r.path,
               std::move(lines), zoneCluster(r), &r);
  }

  void addLoadBalancer(const Resource &r) {
    std::string scheme = r.getEnum("scheme") == "internal" ? "internal" : "internet-facing";
    std::vector<const Resource *> subnets = subnetsOf(r);
    int vpc = vpcClusterOf(subnets);
    llvm::StringRef type = lbTypeName(r.getEnum("type"));
    std::vector<std::string> lines = {r.name.str(), type.str() + " · " + scheme};
    if (detail() && r.getBool("cross_zone").value_or(false) && r.getEnum("type") != "application")
      lines.push_back("cross-zone");
    addNode(NodeKind::LoadBalancer, "lb", r.path, std::move(lines), vpc, &r).subnets =
        subnetIds(subnets);
    if (!detail())
      return;
    // A load balancer node in each subnet it spans (one per zone).
    for (const Resource *s : subnets)
      if (subnetCluster(s) >= 0)
        addPart(r, NodeKind::LoadBalancerNode, *s, {r.name.str(), type.str() + " node"});
    for (const Resource *l : r.childrenOf("listener")) {
      std::vector<std::string> lines = {protocolPort(*l)};
      if (!llvm::StringRef(lines[0]).equals_insensitive(l->name))
        lines.push_back("listener " + l->name.str());
      std::vector<const Value *> certs = listOf(l->get("certificates"));
      if (!certs.empty() && certs[0]->kind == VK::String)
        lines.push_back("certificate " + arnTail(certs[0]->str) +
                        (certs.size() > 1 ? " +" + std::to_string(certs.size() - 1) : ""));
      if (llvm::StringRef policy = l->getString("ssl_policy"); !policy.empty()) {
        policy.consume_front("ELBSecurityPolicy-");
        lines.push_back("TLS policy " + policy.str());
      }
      addNode(NodeKind::Listener, "listener", l->path, std::move(lines), vpc, l);
      for (const Resource *rule : l->childrenOf("rule")) {
        std::vector<std::string> ruleLines = {"rule " + rule->name.str()};
        if (std::optional<int64_t> p = rule->getInt("priority"))
          ruleLines.push_back("priority " + std::to_string(*p));
        addNode(NodeKind::Rule, "rule", rule->path, std::move(ruleLines), vpc, rule);
      }
    }
  }

  void addTargetGroup(const Resource &r) {
    std::vector<std::string> lines = {r.name.str()};
    std::string proto = protocolPort(r);
    llvm::StringRef type = r.getEnum("target_type");
    lines.push_back(proto.empty() ? type.str() : proto + " → " + type.str());
    if (detail()) {
      if (const Resource *s = r.child("stickiness"); s && s->getBool("enabled").value_or(true)) {
        std::string sticky = "sticky " + s->getEnum("type").str();
        if (const Value *d = s->get("duration"); d && s->getEnum("type").endswith("cookie"))
          sticky += " " + valueText(*d);
        lines.push_back(sticky);
      }
      if (const Resource *h = r.child("health_check"); h && h->getBool("enabled").value_or(true)) {
        std::string check = "health " + h->getEnum("protocol").str();
        if (llvm::StringRef path = h->getString("path");
            !path.empty() && h->getEnum("protocol").startswith("http"))
          check += " " + path.str();
        if (const Value *i = h->get("interval"))
          check += " every " + valueText(*i);
        lines.push_back(check);
      }
      lines.push_back(trafficText(r));
    }
    const Resource *vpc = r.getRef("vpc");
    int vpcCluster = vpc ? vpcClusterOf({}, vpc) : -1;
    addNode(NodeKind::TargetGroup, "tg", r.path, std::move(lines), vpcCluster, &r);
    if (!detail())
      return;
    // Registered targets given by address (a load balancer target is an
    // edge), in the subnet whose range holds the address.
    for (const Value *t : listOf(r.get("targets")))
      if (t->kind == VK::String) {
        int cluster = vpcCluster;
        for (const Resource *s : model.resources)
          if (s->kind() == "subnet" && s->getRef("vpc") == vpc && subnetCluster(s) >= 0 &&
              inCidr(t->str, s->getString("cidr"))) {
            cluster = subnetCluster(s);
            break;
          }
        addNode(NodeKind::Target, "target", (r.path + "_" + t->str).str(), {t->str.str()},
                cluster, nullptr)
            .origins.push_back(r.path.str());
      }
  }

  void addAutoScalingGroup(const Resource &r) {
    std::string capacity;
    std::optional<int64_t> min = r.getInt("min"), max = r.getInt("max"),
                           desired = r.getInt("desired");
    if (min && max)
      capacity = "min " + std::to_string(*min) + " · desired " +
                 std::to_string(desired.value_or(*min)) + " · max " + std::to_string(*max);
    std::vector<std::string> lines = {r.name.str(), capacity};
    const Resource *lt = r.getRef("launch_template");
    if (lt && detail()) {
      // What each instance is and runs: "t3.small · echo :3000".
      std::string what = lt->getString("instance_type").str();
      const Value *app = lt->get("app");
      bool inMemory = false;
      if (app && app->kind == VK::Object && app->ref) {
        what += " · " + app->str.str();
        if (std::optional<int64_t> port = app->ref->getInt("port"))
          what += " :" + std::to_string(*port);
        inMemory = app->ref->getEnum("sessions") == "in_memory";
      }
      lines.push_back(what);
      if (inMemory)
        lines.push_back("sessions in memory");
    }
    bool spot = false;
    if (const Resource *mix = r.child("mixed_instances")) {
      const Value *pct = mix->get("on_demand_percentage");
      if (pct && pct->kind == VK::Percent && pct->d < 100) {
        spot = true;
        // "on-demand 2, then 50% SPOT": the base, then the Spot share above it.
        std::string spotShare;
        llvm::raw_string_ostream share(spotShare);
        Value rest = *pct;
        rest.d = 100 - pct->d;
        sema::printValue(rest, share);
        lines.push_back("on-demand " +
                        std::to_string(mix->getInt("on_demand_base").value_or(0)) + ", then " +
                        share.str() + " SPOT");
      }
    }
    if (detail())
      addGroupAnnotations(r, lines);
    std::vector<const Resource *> subnets = subnetsOf(r);
    Node &n = addNode(NodeKind::AutoScalingGroup, "asg", r.path, std::move(lines),
                      vpcClusterOf(subnets), &r);
    n.spot = spot;
    n.subnets = subnetIds(subnets);
    if (lt)
      n.origins.push_back(lt->path.str());
    if (!detail())
      return;
    // The desired capacity spread over the zones, as AZ balancing launches
    // it: each new instance goes to the zone with the fewest, the first of
    // them on a tie (the runtime's AutoScaler does the same).
    std::vector<const Resource *> zones = firstPerZone(subnets);
    int64_t running = desired.value_or(min.value_or(0));
    std::string type = lt ? lt->getString("instance_type").str() : std::string();
    for (size_t z = 0; z < zones.size(); ++z) {
      int64_t here = shareOf(running, zones.size(), z);
      addPart(r, NodeKind::Instances, *zones[z],
              {r.name.str(), count(here, "instance", "instances") +
                                 (type.empty() ? "" : " · " + type)});
    }
  }

  /// Scaling policies, scheduled actions and lifecycle hooks, a line each.
  void addGroupAnnotations(const Resource &r, std::vector<std::string> &lines) {
    for (const Resource *p : r.childrenOf("policy"))
      lines.push_back(policyText(*p));
    for (const Resource *a : r.childrenOf("scheduled")) {
      std::vector<std::string> sets;
      for (const char *k : {"min", "desired", "max"})
        if (std::optional<int64_t> v = a->getInt(k))
          sets.push_back(std::string(k) + " " + std::to_string(*v));
      std::string when = a->getString("recurrence").str();
      if (when.empty())
        when = a->getString("start").str();
      lines.push_back("schedule " + a->name.str() + (when.empty() ? "" : " " + when) + ": " +
                      join(sets, " · "));
    }
    for (const Resource *h : r.childrenOf("lifecycle_hook")) {
      std::string hold;
      if (const Value *t = h->get("heartbeat_timeout"))
        hold = " " + valueText(*t);
      lines.push_back("hook " + h->name.str() + ": " + h->getEnum("transition").str() + hold +
                      ", then " + h->getEnum("default_result").str());
    }
  }

  static std::string groupCount(const Resource &group) {
    std::string type = group.getString("instance_type").str();
    if (type.empty())
      type = valueText(group.get("instance_types") ? *group.get("instance_types") : Value());
    return std::to_string(group.getInt("count").value_or(1)) + " × " + type;
  }

  static bool isSpot(const Resource &group) { return group.getEnum("market") == "spot"; }

  void addEmrCluster(const Resource &r) {
    int vpc = vpcClusterOf(subnetsOf(r));
    std::vector<const Resource *> groups;
    for (const Resource *c : r.children)
      if (c->kind() == "instance_group")
        groups.push_back(c);
    std::string apps;
    for (const Value *a : listOf(r.get("applications")))
      apps += (apps.empty() ? "" : ", ") + valueText(*a);
    std::string release = r.getString("release").str();
    if (!detail()) {
      std::map<std::string, int64_t> counts;
      int64_t spotCount = 0;
      for (const Resource *gr : groups) {
        counts[gr->keyword.str()] += gr->getInt("count").value_or(1);
        spotCount += isSpot(*gr) ? gr->getInt("count").value_or(1) : 0;
      }
      std::string summary;
      for (const char *k : {"primary", "core", "task"})
        if (counts.count(k))
          summary += (summary.empty() ? "" : " · ") + std::to_string(counts[k]) + " " + k;
      std::vector<std::string> lines = {r.name.str(), "EMR " + release, summary};
      if (spotCount)
        lines.push_back(std::to_string(spotCount) + " on SPOT");
      addNode(NodeKind::EmrCluster, "emr", r.path, std::move(lines), vpc, &r).spot = spotCount;
      return;
    }
    // An EMR cluster runs in one subnet (so one zone): drawn inside it.
    std::vector<const Resource *> subnets = subnetsOf(r);
    int parent =
        !subnets.empty() && subnetCluster(subnets[0]) >= 0 ? subnetCluster(subnets[0]) : vpc;
    int c = addCluster(ClusterKind::Emr, "emr", r.path,
                       {"EMR " + r.name.str() + " · " + release, apps}, parent, &r);
    for (const Resource *gr : groups) {
      std::string title = gr->keyword.str();
      if (!gr->name.empty())
        title += " " + gr->name.str();
      std::vector<std::string> lines = {title, groupCount(*gr),
                                        isSpot(*gr) ? "SPOT" : "on-demand"};
      if (const Value *v = gr->get("volume_size"))
        lines.back() += " · " + valueText(*v) + " EBS";
      Node &n = addNode(NodeKind::EmrGroup, "emr", gr->path, std::move(lines), c, gr);
      n.spot = isSpot(*gr);
    }
  }

  void addCoordination(const Resource &r) {
    int64_t voters = r.getInt("ensemble").value_or(3);
    int64_t observers = r.getInt("observers").value_or(0);
    std::string servers = std::to_string(voters) + " voters";
    if (observers)
      servers += " + " + std::to_string(observers) + " observers";
    std::string quorum = "quorum " + std::to_string(voters / 2 + 1);
    std::string tolerates = "tolerates " + std::to_string((voters - 1) / 2);
    int vpc = vpcClusterOf(subnetsOf(r));
    if (!detail()) {
      std::vector<std::string> lines = {r.name.str(), servers + " · " + quorum};
      std::vector<std::string> names;
      for (const Resource *e : r.childrenOf("election"))
        names.push_back(e->name.str());
      if (!names.empty())
        lines.push_back("elections: " + join(names, ", "));
      addNode(NodeKind::Ensemble, "zk", r.path, std::move(lines), vpc, &r);
      return;
    }
    std::vector<const Resource *> subnets = subnetsOf(r);
    int c = addCluster(ClusterKind::Coordination, "zk", r.path, {"coordination " + r.name.str()},
                       vpc, &r);
    g.clusters[c].subnets = subnetIds(subnets);
    std::string timing;
    if (const Value *tick = r.get("tick"))
      timing = "tick " + valueText(*tick);
    if (const Value *s = r.get("session_timeout"))
      timing += " · session " + valueText(*s);
    std::vector<std::string> lines = {"ensemble " + r.name.str(),
                                      servers + " · " + r.getString("instance_type").str(),
                                      quorum + " · " + tolerates, timing};
    addNode(NodeKind::Ensemble, "zk", (r.path + "_ensemble").str(), std::move(lines), c, &r);
    for (const Resource *e : r.childrenOf("election")) {
      std::vector<std::string> el = {"election " + e->name.str(), e->getString("path").str()};
      if (llvm::StringRef recipe = e->getEnum("recipe"); !recipe.empty())
        el.push_back(recipe == "predecessor" ? "each watches its predecessor"
                                             : "all watch the leader");
      if (const Value *m = e->get("members"); m && m->kind == VK::Int)
        el.push_back(std::to_string(m->i) + " candidates");
      addNode(NodeKind::Election, "election", e->path, std::move(el), c, e);
    }
    for (const Resource *s : r.childrenOf("service")) {
      std::string path = s->getString("path").str();
      if (std::optional<int64_t> port = s->getInt("port"))
        path += " :" + std::to_string(*port);
      addNode(NodeKind::Service, "service", s->path, {"service " + s->name.str(), path}, c, s);
    }
    addServers(r, subnets, voters, observers);
  }

  /// The ensemble's servers in their subnets: server n (from 1) in subnet
  /// (n - 1) mod k, voters first, as `build` and the runtime place them. A
  /// zone holding a quorum of the voters says so (what ZK004 warns about).
  void addServers(const Resource &r, llvm::ArrayRef<const Resource *> subnets, int64_t voters,
                  int64_t observers) {
    if (subnets.empty())
      return;
    size_t k = subnets.size();
    std::map<std::string, int64_t> votersPerZone;
    for (int64_t n = 0; n < voters; ++n)
      ++votersPerZone[subnets[static_cast<size_t>(n) % k]->getString("zone").str()];
    for (size_t j = 0; j < k; ++j) {
      if (subnetCluster(subnets[j]) < 0)
        continue;
      std::vector<std::string> numbers;
      int64_t v = 0, o = 0;
      for (int64_t n = static_cast<int64_t>(j); n < voters + observers;
           n += static_cast<int64_t>(k)) {
        numbers.push_back(std::to_string(n + 1));
        (n < voters ? v : o)++;
      }
      if (numbers.empty())
        continue;
      std::string roles = count(v, "voter", "voters");
      if (o)
        roles += " + " + count(o, "observer", "observers");
      std::vector<std::string> lines = {
          r.name.str() + " " + (numbers.size() == 1 ? "server " : "servers ") + join(numbers, ", "),
          roles};
      int64_t inZone = votersPerZone[subnets[j]->getString("zone").str()];
      if (inZone >= voters / 2 + 1)
        lines.push_back("(!) " + std::to_string(inZone) + " of " + std::to_string(voters) +
                        " voters in this zone: a quorum");
      addPart(r, NodeKind::Servers, *subnets[j], std::move(lines));
    }
  }

  void addSessionStore(const Resource &r) {
    std::vector<std::string> lines = {r.name.str()};
    if (r.getEnum("type") == "replicated") {
      lines.push_back("replicated · " + r.getEnum("replication").str());
    } else {
      lines.push_back(r.getEnum("engine").str() + " · " +
                      std::to_string(r.getInt("nodes").value_or(1)) + " × " +
                      r.getString("node_type").str());
    }
    if (const Value *ttl = r.get("ttl"))
      lines.push_back("ttl " + valueText(*ttl));
    const Resource *members = r.getRef("members");
    std::vector<const Resource *> subnets = subnetsOf(r);
    std::vector<const Resource *> placement = subnets;
    if (placement.empty() && members)
      placement = subnetsOf(*members);
    addNode(NodeKind::SessionStore, "sessions", r.path, std::move(lines),
            vpcClusterOf(placement), &r)
        .subnets = subnetIds(subnets);
    if (!detail() || subnets.empty() || r.getString("node_type").empty())
      return;
    // An external store's nodes, spread over its subnets.
    int64_t nodes = r.getInt("nodes").value_or(1);
    for (size_t j = 0; j < subnets.size(); ++j) {
      int64_t here = shareOf(nodes, subnets.size(), j);
      if (here && subnetCluster(subnets[j]) >= 0)
        addPart(r, NodeKind::StoreNodes, *subnets[j],
                {r.name.str(), std::to_string(here) + " × " + r.getString("node_type").str()});
    }
  }

  // Edges -------------------------------------------------------------------

  void addEdges(const Resource &r) {
    llvm::StringRef kind = r.kind();
    if (kind == "vpc" && gatewayOf.count(&r))
      addEdge(internetClients(), gatewayOf.find(&r)->second, EdgeKind::Traffic);
    else if (kind == "load_balancer")
      addLoadBalancerEdges(r);
    else if (kind == "target_group")
      addTargetGroupEdges(r);
    else if (kind == "auto_scaling_group")
      addAutoScalingGroupEdges(r);
    else if (kind == "emr_cluster")
      addEmrEdges(r);
    else if (kind == "coordination")
      addCoordinationEdges(r);
    else if (kind == "session_store")
      addSessionStoreEdges(r);
    // A group, an ensemble, a store manage their parts in the subnets (a
    // load balancer's nodes carry its traffic instead).
    if (kind != "load_balancer")
      for (const std::string &part : parts(r))
        addEdge(idOf(&r), part, EdgeKind::Membership);
  }

  /// Edges for an action (`then` or `default`) from `from`; `owner` names
  /// the action node when the action is a redirect or a fixed response.
  void addActionEdges(llvm::StringRef from, const Value *action, const Resource &owner,
                      llvm::StringRef defaultLabel, int cluster) {
    if (!action || action->kind != VK::Call)
      return;
    if (action->str != "forward") {
      std::string id = addNode(NodeKind::Action, "action", (owner.path + "_" + action->str).str(),
                               actionLines(*action), cluster, nullptr)
                           .id;
      g.nodes.back().origins.push_back(owner.path.str());
      addEdge(from, id, EdgeKind::Traffic, defaultLabel);
      return;
    }
    int64_t total = 0;
    for (const Value &t : action->items)
      if (t.kind == VK::Weighted && t.items.size() == 2 && t.items[1].kind == VK::Int)
        total += t.items[1].i;
    for (const Value &t : action->items) {
      const Value &target = t.kind == VK::Weighted && !t.items.empty() ? t.items[0] : t;
      if (target.kind != VK::Ref || !target.ref)
        continue;
      std::string label = defaultLabel.str();
      if (t.kind == VK::Weighted && t.items.size() == 2 && t.items[1].kind == VK::Int && total)
        label += (label.empty() ? "" : " ") + std::to_string(t.items[1].i * 100 / total) + "%";
      addEdge(from, idOf(target.ref), EdgeKind::Traffic, label);
    }
  }

  void addLoadBalancerEdges(const Resource &r) {
    std::string lb = idOf(&r);
    const Node *lbNode = node(&r);
    int cluster = lbNode ? lbNode->cluster : -1;
    // From the internet through the VPC's gateway to the load balancer's
    // node in each subnet, and on to its listeners.
    std::string from = r.getEnum("scheme") == "internal" ? internalClientsId : clientsId;
    std::vector<const Resource *> subnets = subnetsOf(r);
    if (r.getEnum("scheme") != "internal" && r.getEnum("type") != "gateway" && !subnets.empty())
      if (auto gw = gatewayOf.find(subnets.front()->getRef("vpc")); gw != gatewayOf.end())
        from = gw->second;
    if (parts(r).empty())
      addEdge(from, lb, EdgeKind::Traffic);
    for (const std::string &part : parts(r)) {
      addEdge(from, part, EdgeKind::Traffic);
      addEdge(part, lb, EdgeKind::Traffic);
    }
    for (const Resource *l : r.childrenOf("listener")) {
      if (!detail()) {
        addOverviewListenerEdges(lb, *l);
        continue;
      }
      std::string listener = idOf(l);
      addEdge(lb, listener, EdgeKind::Traffic);
      // A classic load balancer's listener sends to the instances of the
      // groups registered with it, on the instance port.
      if (r.getEnum("type") == "classic")
        for (const Resource *asg : model.resources)
          if (asg->kind() == "auto_scaling_group" &&
              llvm::is_contained(refsOf(*asg, "load_balancers"), &r))
            addEdge(listener, idOf(asg), EdgeKind::Traffic, instancePort(*l));
      for (const Resource *rule : l->childrenOf("rule")) {
        std::string conditions;
        if (const Value *when = rule->get("when"))
          conditions = conditionText(*when);
        addEdge(listener, idOf(rule), EdgeKind::Traffic, conditions);
        addActionEdges(idOf(rule), rule->get("then"), *rule, "", cluster);
      }
      addActionEdges(listener, l->get("default"), *l, "default", cluster);
    }
  }

  /// Overview: load balancer → target groups, labelled with the listeners.
  void addOverviewListenerEdges(llvm::StringRef lb, const Resource &l) {
    std::vector<const Value *> actions = {l.get("default")};
    for (const Resource *rule : l.childrenOf("rule"))
      actions.push_back(rule->get("then"));
    for (const Value *a : actions) {
      if (!a || a->kind != VK::Call || a->str != "forward")
        continue;
      for (const Value &t : a->items) {
        const Value &target = t.kind == VK::Weighted && !t.items.empty() ? t.items[0] : t;
        if (target.kind == VK::Ref && target.ref)
          addOrMergeEdge(lb, idOf(target.ref), EdgeKind::Traffic, protocolPort(l));
      }
    }
  }

  void addTargetGroupEdges(const Resource &r) {
    std::string tg = idOf(&r);
    size_t i = 0;
    for (const Value *t : listOf(r.get("targets"))) {
      if (t->kind == VK::Ref && t->ref)
        addEdge(tg, idOf(t->ref), EdgeKind::Traffic);
      else if (t->kind == VK::String && detail())
        for (; i < g.nodes.size(); ++i)
          if (g.nodes[i].kind == NodeKind::Target && g.nodes[i].lines[0] == t->str &&
              g.nodes[i].origins[0] == r.path) {
            addEdge(tg, g.nodes[i].id, EdgeKind::Traffic);
            break;
          }
    }
  }

  void addAutoScalingGroupEdges(const Resource &r) {
    std::string asg = idOf(&r);
    for (const Resource *tg : refsOf(r, "target_groups"))
      addEdge(idOf(tg), asg, EdgeKind::Traffic);
    for (const Resource *lb : refsOf(r, "load_balancers"))
      if (!detail() || lb->childrenOf("listener").empty()) // Else from its listeners.
        addEdge(idOf(lb), asg, EdgeKind::Traffic);
    const Resource *lt = r.getRef("launch_template");
    const Value *app = lt ? lt->get("app") : nullptr;
    if (app && app->kind == VK::Object && app->ref)
      if (const Resource *store = app->ref->getRef("session_store"))
        addEdge(asg, idOf(store), EdgeKind::Sessions,
                store->getEnum("type") == "replicated" ? "replicates sessions"
                                                       : "keeps sessions in");
  }

  void addEmrEdges(const Resource &r) {
    if (!detail())
      return;
    const Resource *primary = r.child("primary");
    if (!primary)
      return;
    for (const Resource *c : r.children)
      if (c != primary && c->kind() == "instance_group")
        addEdge(idOf(primary), idOf(c), EdgeKind::Membership, "manages");
  }

  /// The node that draws what a `members` value names: an ASG, an EMR group
  /// or cluster (its primary group in the detailed drawing).
  std::string memberNode(const Value *m) {
    if (!m || m->kind != VK::Ref || !m->ref)
      return {};
    if (const Node *n = node(m->ref))
      return n->id;
    if (const Resource *primary = m->ref->child("primary"))
      return idOf(primary);
    return {};
  }

  void addCoordinationEdges(const Resource &r) {
    if (!detail()) {
      for (const Resource *e : r.childrenOf("election"))
        addEdge(memberNode(e->get("members")), idOf(&r), EdgeKind::Membership,
                "runs for leader");
      return;
    }
    for (const Resource *e : r.childrenOf("election"))
      addEdge(memberNode(e->get("members")), idOf(e), EdgeKind::Membership, "runs for leader");
    for (const Resource *s : r.childrenOf("service"))
      addEdge(memberNode(s->get("members")), idOf(s), EdgeKind::Membership, "registers");
  }

  void addSessionStoreEdges(const Resource &r) {
    if (const Resource *members = r.getRef("members"))
      addEdge(idOf(members), idOf(&r), EdgeKind::Sessions, "replicates sessions");
  }

  // Security groups ----------------------------------------------------------

  /// The nodes a security group is attached to, in declaration order. The
  /// first call, once every node is drawn, finds the members of every group.
  const std::vector<std::string> &membersOf(const Resource *sg) {
    if (!membersFound) {
      membersFound = true;
      for (const Resource *r : model.resources) {
        const Resource *holder = r;
        if (r->kind() == "auto_scaling_group")
          holder = r->getRef("launch_template");
        std::string id = holder ? idOf(r) : std::string();
        if (!id.empty())
          for (const Resource *group : refsOf(*holder, "security_groups")) {
            std::vector<std::string> &members = membersOfGroup[group];
            if (members.empty() || members.back() != id)
              members.push_back(id);
          }
      }
    }
    static const std::vector<std::string> none;
    auto it = membersOfGroup.find(sg);
    return it == membersOfGroup.end() ? none : it->second;
  }

  /// Where `from` of an ingress rule (or `to` of an egress rule) points.
  std::vector<std::string> peersOf(const Value *v, const Resource *self) {
    std::vector<std::string> out;
    for (const Value *p : listOf(v)) {
      if (p->kind == VK::Ref && p->ref && p->ref != self) {
        const std::vector<std::string> &m = membersOf(p->ref);
        out.insert(out.end(), m.begin(), m.end());
      } else if (p->kind == VK::String && isWorld(p->str)) {
        out.push_back(internetClients());
      } else if (p->kind == VK::String) {
        out.push_back(cidrNode(p->str));
      }
    }
    return out;
  }

  /// The node for an address range: inside the subnet or VPC whose whole
  /// range it is, else on its own.
  std::string cidrNode(llvm::StringRef cidr) {
    for (const Node &n : g.nodes)
      if (n.kind == NodeKind::Cidr && n.lines[0] == cidr)
        return n.id;
    std::vector<std::string> lines = {cidr.str()};
    int cluster = -1;
    for (const Resource *r : model.resources)
      if ((r->kind() == "vpc" || r->kind() == "subnet") && r->getString("cidr") == cidr &&
          clusterOf.count(r)) {
        lines.push_back("all of " + std::string(r->kind() == "vpc" ? "VPC " : "") +
                        r->name.str());
        cluster = static_cast<int>(clusterOf.find(r)->second);
        break;
      }
    return addNode(NodeKind::Cidr, "cidr", cidr, std::move(lines), cluster, nullptr).id;
  }

  struct Allowed {
    std::string from, to, group, ports;
  };

  void collectAllowed(const Resource &sg, std::vector<Allowed> &out, bool egress) {
    std::vector<std::string> members = membersOf(&sg);
    for (const Resource *rule : sg.childrenOf(egress ? "egress" : "ingress")) {
      const Value *peersValue = rule->get(egress ? "to" : "from");
      bool self = llvm::any_of(listOf(peersValue), [&](const Value *p) {
        return p->kind == VK::Ref && p->ref == &sg;
      });
      std::vector<std::string> peers;
      if (!egress)
        peers = peersOf(peersValue, &sg);
      else // Outbound to CIDR blocks gates nothing drawn.
        for (const Value *p : listOf(peersValue))
          if (p->kind == VK::Ref && p->ref && p->ref != &sg)
            for (const std::string &m : membersOf(p->ref))
              peers.push_back(m);
      std::string group = sg.name.str() + (egress ? " out" : "");
      for (const std::string &m : members) {
        for (const std::string &p : peers)
          out.push_back(egress ? Allowed{m, p, group, portText(*rule)}
                               : Allowed{p, m, group, portText(*rule)});
        if (self) // Among the group's own members: a loop on each.
          out.push_back({m, m, group, portText(*rule)});
      }
    }
  }

  /// --focus and the overlay reach a security group through its members.
  void attachSecurityGroups() {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < g.nodes.size(); ++i)
      index.emplace(g.nodes[i].id, i);
    for (const Resource *r : model.resources)
      if (r->kind() == "security_group")
        for (const std::string &id : membersOf(r))
          if (auto it = index.find(id); it != index.end())
            g.nodes[it->second].origins.push_back(r->path.str());
  }

  void addSecurityEdges() {
    std::vector<Allowed> allowed, outbound;
    for (const Resource *r : model.resources)
      if (r->kind() == "security_group") {
        collectAllowed(*r, allowed, /*egress=*/false);
        collectAllowed(*r, outbound, /*egress=*/true);
      }
    // An egress rule adds only what no ingress rule already shows.
    for (const Allowed &a : outbound)
      if (llvm::none_of(allowed, [&](const Allowed &b) { return a.from == b.from && a.to == b.to; }))
        allowed.push_back(a);
    // One edge per pair: "web_sg: tcp/80, tcp/443".
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const Allowed &a : allowed)
      if (!llvm::is_contained(pairs, std::make_pair(a.from, a.to)))
        pairs.emplace_back(a.from, a.to);
    for (const auto &[from, to] : pairs) {
      std::vector<std::string> groups;
      std::map<std::string, std::vector<std::string>> ports;
      for (const Allowed &a : allowed) {
        if (a.from != from || a.to != to)
          continue;
        if (!ports.count(a.group))
          groups.push_back(a.group);
        if (!llvm::is_contained(ports[a.group], a.ports))
          ports[a.group].push_back(a.ports);
      }
      std::vector<std::string> parts;
      for (const std::string &gr : groups)
        parts.push_back(gr + ": " + join(ports[gr], ", "));
      addEdge(from, to, EdgeKind::Security, join(parts, "; "));
    }
  }

  // Diagnostics ---------------------------------------------------------------

  void overlayDiagnostics() {
    std::vector<std::pair<int, int>> counts(g.nodes.size() + g.clusters.size());
    for (const Diagnostic &d : opts.diagnostics) {
      if (d.severity != Severity::Error && d.severity != Severity::Warning)
        continue;
      for (const Resource *r = resourceAt(model, d.range.Start); r; r = r->parent)
        if (markOrigin(r->path, d.severity == Severity::Error, counts))
          break;
    }
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (!partOwner.count(i))
        addMarkLine(g.nodes[i].lines, g.nodes[i].mark, counts[i]);
    for (size_t i = 0; i < g.clusters.size(); ++i)
      addMarkLine(g.clusters[i].lines, g.clusters[i].mark, counts[g.nodes.size() + i]);
    // A part shows its resource's colour; the counts are on the resource.
    for (const auto &[part, owner] : partOwner)
      if (const Node *o = node(owner))
        g.nodes[part].mark = o->mark;
  }

  /// Counts one diagnostic on every node and cluster that draws `path`.
  bool markOrigin(llvm::StringRef path, bool error, std::vector<std::pair<int, int>> &counts) {
    bool any = false;
    auto bump = [&](const std::vector<std::string> &origins, size_t slot) {
      if (!llvm::is_contained(origins, path))
        return;
      (error ? counts[slot].first : counts[slot].second)++;
      any = true;
    };
    for (size_t i = 0; i < g.nodes.size(); ++i)
      bump(g.nodes[i].origins, i);
    for (size_t i = 0; i < g.clusters.size(); ++i)
      bump(g.clusters[i].origins, g.nodes.size() + i);
    return any;
  }

  static void addMarkLine(std::vector<std::string> &lines, Mark &mark,
                          std::pair<int, int> count) {
    auto plural = [](int n, const char *word) {
      return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
    };
    std::vector<std::string> parts;
    if (count.first)
      parts.push_back(plural(count.first, "error"));
    if (count.second)
      parts.push_back(plural(count.second, "warning"));
    if (parts.empty())
      return;
    mark = count.first ? Mark::Error : Mark::Warning;
    lines.push_back("(!) " + join(parts, ", "));
  }

  const Model &model;
  const GraphOptions &opts;
  Graph g;
  llvm::StringSet<> usedIds;
  llvm::DenseMap<const Resource *, size_t> nodeOf, clusterOf;
  std::map<std::string, int> zoneClusters;
  /// The internet gateway node of a VPC; the parts of a resource in subnets.
  llvm::DenseMap<const Resource *, std::string> gatewayOf;
  llvm::DenseMap<const Resource *, std::vector<std::string>> partsOf;
  std::map<size_t, const Resource *> partOwner; ///< Part node index -> its resource.
  llvm::DenseMap<const Resource *, std::vector<std::string>> membersOfGroup;
  bool membersFound = false;
  /// The edges from one node to another of one kind (any label), by index.
  std::map<std::tuple<std::string, std::string, EdgeKind>, std::vector<size_t>> edgesBetween;
  std::string clientsId, internalClientsId;
};

} // namespace

Graph graph::buildGraph(const Model &model, const GraphOptions &opts) {
  return GraphBuilder(model, opts).build();
}

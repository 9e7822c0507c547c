//===- CloudFormation.cpp - Logical ids, parameters, template assembly ----===//
//
//   assign ids (declaration order) -> map each resource (one family per file)
//   -> Parameters (the params the template uses), Resources, Outputs
//
//===----------------------------------------------------------------------===//

#include "Emit/Emitter.h"

#include "Basic/Units.h"

#include "llvm/ADT/StringExtras.h"

using namespace infrac;
using namespace infrac::emit;
using VK = sema::Value::Kind;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string emit::camel(StringRef name) {
  std::string out;
  bool up = true;
  for (char c : name) {
    if (c == '_' || c == '.' || c == '-' || c == ' ') {
      up = true;
      continue;
    }
    if (!llvm::isAlnum(c))
      continue;
    out += up ? llvm::toUpper(c) : c;
    up = false;
  }
  return out;
}

int64_t emit::seconds(int64_t ms) { return (ms + 999) / 1000; }

int64_t emit::gibibytes(int64_t bytes) {
  const int64_t gib = int64_t(1) << 30;
  return (bytes + gib - 1) / gib;
}

std::string emit::upper(StringRef s) { return s.upper(); }

//===----------------------------------------------------------------------===//
// Logical ids
//===----------------------------------------------------------------------===//

namespace {

/// `base` + `suffix`, unless `base` already ends with one of `aliases`.
std::string withSuffix(StringRef name, StringRef suffix, std::initializer_list<StringRef> aliases) {
  std::string base = camel(name);
  for (StringRef a : aliases)
    if (StringRef(base).endswith(a) && base.size() > a.size())
      return base;
  return base + suffix.str();
}

StringRef loadBalancerSuffix(const Resource &r) {
  StringRef type = r.getEnum("type");
  if (type == "network")
    return "Nlb";
  if (type == "gateway")
    return "Gwlb";
  if (type == "classic")
    return "Clb";
  return "Alb";
}

} // namespace

StringRef emit::stripSuffix(StringRef id, StringRef suffix) {
  return id.endswith(suffix) && id.size() > suffix.size() ? id.drop_back(suffix.size()) : id;
}

std::string emit::stripListener(StringRef id) { return stripSuffix(id, "Listener").str(); }

std::string Emitter::uniqueId(StringRef base) {
  // Logical ids are alphanumeric and start with a letter.
  std::string stem = base.empty() || !llvm::isAlpha(base[0]) ? "R" + base.str() : base.str();
  std::string id = stem;
  for (unsigned n = 2; !taken.insert(id).second; ++n)
    id = stem + std::to_string(n);
  return id;
}

StringRef Emitter::id(const Resource *r) const {
  auto it = ids.find(r);
  assert(it != ids.end() && "resource without a logical id");
  return it->second;
}

void Emitter::assignIds() {
  for (const sema::ParamValue &p : model.params)
    paramIds[p.name] = uniqueId(camel(p.name));

  model.forEach([&](const Resource &r) {
    StringRef kind = r.kind();
    std::string name = r.name.empty() ? r.keyword.str() : r.name.str();
    std::string base;
    if (kind == "vpc")
      base = withSuffix(name, "Vpc", {"Vpc"});
    else if (kind == "subnet")
      base = withSuffix(name, "Subnet", {"Subnet"});
    else if (kind == "security_group")
      base = withSuffix(name, "Sg", {"Sg", "SecurityGroup"});
    else if (kind == "target_group")
      base = withSuffix(name, "TargetGroup", {"Tg", "TargetGroup"});
    else if (kind == "load_balancer")
      base = withSuffix(name, loadBalancerSuffix(r),
                        {"Alb", "Nlb", "Gwlb", "Clb", "Elb", "Lb", "LoadBalancer"});
    else if (kind == "listener" && r.parent)
      base = id(r.parent).str() + camel(name) + "Listener";
    else if (kind == "listener_rule" && r.parent)
      base = stripSuffix(id(r.parent), "Listener").str() + camel(name) + "Rule";
    else if (kind == "launch_template")
      base = withSuffix(name, "LaunchTemplate", {"Lt", "LaunchTemplate", "Template"});
    else if (kind == "auto_scaling_group")
      base = withSuffix(name, "Asg", {"Asg", "Group"});
    else if (kind == "scaling_policy" && r.parent)
      base = id(r.parent).str() + camel(name) + "Policy";
    else if (kind == "scheduled_action" && r.parent)
      base = id(r.parent).str() + camel(name) + "Schedule";
    else if (kind == "lifecycle_hook" && r.parent)
      base = id(r.parent).str() + camel(name) + "Hook";
    else if (kind == "emr_cluster")
      base = withSuffix(name, "Cluster", {"Cluster", "Emr"});
    else if (kind == "coordination")
      base = camel(name);
    else if (kind == "session_store") {
      if (r.getEnum("type") != "external")
        return; // Replicated sessions live in the app servers: no resource.
      base = r.getEnum("engine") == "dynamodb"
                 ? withSuffix(name, "Table", {"Table"})
                 : withSuffix(name, "Cache", {"Cache", "Store", "Sessions"});
    } else
      return;
    ids[&r] = uniqueId(base);
  });
}

void Emitter::collectForwards() {
  auto note = [&](const Value *v, const Resource *lb, StringRef from) {
    if (!v || v->kind != VK::Call || v->str != "forward")
      return;
    for (const Value &item : v->items) {
      const Value &target = item.kind == VK::Weighted ? item.items[0] : item;
      if (target.kind != VK::Ref || !target.ref)
        continue;
      Forwarding &f = forwards[target.ref];
      if (!f.lb)
        f.lb = lb;
      if (std::find(f.from.begin(), f.from.end(), from) == f.from.end())
        f.from.push_back(from.str());
    }
  };
  for (const Resource *lb : model.resources) {
    if (lb->kind() != "load_balancer" || lb->getEnum("type") == "classic")
      continue;
    for (const Resource *l : lb->childrenOf("listener")) {
      note(l->get("default"), lb, id(l));
      for (const Resource *rule : l->childrenOf("rule"))
        note(rule->get("then"), lb, id(rule));
    }
  }
}

const Resource *Emitter::loadBalancerOf(const Resource *tg) const {
  auto it = forwards.find(tg);
  return it == forwards.end() ? nullptr : it->second.lb;
}

std::vector<std::string> Emitter::attachmentsOf(const Resource *tg) const {
  auto it = forwards.find(tg);
  return it == forwards.end() ? std::vector<std::string>() : it->second.from;
}

StringRef Emitter::gatewayAttachment(const Resource *vpc) const {
  auto it = internet.find(vpc);
  return it == internet.end() ? StringRef() : StringRef(it->second.attachment);
}

std::vector<std::string> Emitter::internetRouteOf(const Resource *subnet) const {
  auto assoc = routeAssociations.find(subnet);
  if (assoc == routeAssociations.end())
    return {};
  return {internet.find(subnet->getRef("vpc"))->second.route, assoc->second};
}

const Resource *Emitter::vpcOfSubnets(const Resource &r, StringRef attr) {
  const Value *v = r.get(attr);
  if (!v || v->kind != VK::List)
    return nullptr;
  for (const Value &s : v->items)
    if (s.kind == VK::Ref && s.ref)
      if (const Resource *vpc = s.ref->getRef("vpc"))
        return vpc;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Template parts and values
//===----------------------------------------------------------------------===//

Node &Emitter::add(StringRef id, StringRef type, std::vector<std::string> dependsOn) {
  Node &r = resources.add(id, Node::map());
  r.add("Type", Node::string(type));
  if (dependsOn.size() == 1) {
    r.add("DependsOn", Node::string(dependsOn[0]));
  } else if (!dependsOn.empty()) {
    Node &deps = r.add("DependsOn", Node::list());
    for (const std::string &d : dependsOn)
      deps.push(Node::string(d));
  }
  return r.add("Properties", Node::map());
}

void Emitter::output(StringRef id, Node value, StringRef description) {
  Node o = Node::map();
  o.add("Description", Node::string(description));
  o.add("Value", std::move(value));
  outputs.add(uniqueId(id), std::move(o));
}

void Emitter::fail(const llvm::Twine &msg) {
  if (firstError.empty())
    firstError = msg.str();
}

Node Emitter::scalar(const Value &v) {
  // A param is substituted by Sema, and the value keeps the range of the
  // name that stood for it: that name tells us to emit a Ref instead.
  if ((v.kind == VK::String || v.kind == VK::Int) && v.range.isValid() && !paramIds.empty() &&
      llvm::isAlpha(*v.range.Start.getPointer())) {
    StringRef text(v.range.Start.getPointer(),
                   v.range.End.getPointer() - v.range.Start.getPointer());
    auto it = paramIds.find(text);
    if (it != paramIds.end()) {
      auto used = std::find_if(usedParams.begin(), usedParams.end(),
                               [&](const auto &p) { return p.first == text; });
      if (used == usedParams.end())
        usedParams.push_back({it->first(), UsedParam{it->second, v}});
      return Node::ref(it->second);
    }
  }
  switch (v.kind) {
  case VK::String:
  case VK::Enum:
    return Node::string(v.str);
  case VK::Int:
  case VK::Duration:
  case VK::Size:
    return Node::integer(v.i);
  case VK::Number:
  case VK::Percent:
  case VK::Rate:
    return Node::number(v.d);
  case VK::Bool:
    return Node::boolean(v.b);
  default:
    return Node();
  }
}

Node Emitter::intString(const Value &v) {
  Node n = scalar(v);
  if (n.kind() == Node::Kind::Int)
    return Node::string(std::to_string(n.asInt()));
  return n;
}

Node Emitter::refs(const Resource &r, StringRef attr) const {
  Node out = Node::list();
  if (const Value *v = r.get(attr))
    for (const Value &item : v->items)
      if (item.kind == VK::Ref && item.ref)
        out.push(ref(item.ref));
  return out;
}

Node Emitter::tags(const Resource &r, bool propagateAtLaunch) {
  const Value *v = r.get("tags");
  if (!v || v->kind != VK::Map || v->fields.empty())
    return Node();
  Node out = Node::list();
  for (const sema::NamedValue &f : v->fields) {
    Node &t = out.push(Node::map());
    t.add("Key", Node::string(f.name));
    t.add("Value", scalar(f.value));
    if (propagateAtLaunch)
      t.add("PropagateAtLaunch", Node::boolean(true));
  }
  return out;
}

Node Emitter::tagsWithName(const Resource &r, StringRef name) {
  Node out = Node::list();
  const Value *v = r.get("tags");
  if (!v || v->kind != VK::Map || !v->field("Name")) {
    Node &t = out.push(Node::map());
    t.add("Key", Node::string("Name"));
    t.add("Value", Node::string(name));
  }
  for (const Node::Entry &e : tags(r))
    out.push(e.value);
  return out;
}

Node Emitter::groupIds(const Resource &r, StringRef attr) const {
  Node out = Node::list();
  if (const Value *v = r.get(attr))
    for (const Value &item : v->items)
      if (item.kind == VK::Ref && item.ref)
        out.push(Node::getAtt(id(item.ref), "GroupId"));
  return out;
}

//===----------------------------------------------------------------------===//
// Assembly
//===----------------------------------------------------------------------===//

Node Emitter::parameters() {
  Node out = Node::map();
  for (const auto &[name, used] : usedParams) {
    Node p = Node::map();
    bool number = used.value.kind == VK::Int;
    p.add("Type", Node::string(number ? "Number" : "String"));
    p.add("Default", number ? Node::integer(used.value.i) : Node::string(used.value.str));
    p.add("Description", Node::string(("infrac param '" + name + "'").str()));
    out.add(used.id, std::move(p));
  }
  for (const Node::Entry &e : extraParameters)
    out.add(e.key(), e.value);
  return out;
}

llvm::Expected<Node> Emitter::run() {
  assignIds();
  collectForwards();

  // VPCs that reach the internet: public subnets or internet-facing balancers.
  for (const Resource *r : model.resources) {
    const Resource *vpc = nullptr;
    if (r->kind() == "subnet" && r->getBool("public").value_or(false))
      vpc = r->getRef("vpc");
    else if (r->kind() == "load_balancer" && r->getEnum("type") != "gateway" &&
             r->getEnum("scheme") == "internet_facing")
      vpc = vpcOfSubnets(*r, "subnets");
    if (vpc && !internet.count(vpc)) {
      std::string base = stripSuffix(id(vpc), "Vpc").str();
      Internet &net = internet[vpc];
      net.gateway = uniqueId(base + "InternetGateway");
      net.attachment = uniqueId(base + "GatewayAttachment");
      net.routeTable = uniqueId(base + "PublicRouteTable");
      net.route = uniqueId(base + "PublicRoute");
    }
  }
  for (const Resource *r : model.resources)
    if (r->kind() == "subnet" && r->getBool("public").value_or(false) &&
        internet.count(r->getRef("vpc")))
      routeAssociations[r] = uniqueId(id(r).str() + "RouteTableAssociation");
  for (const Resource *r : model.resources)
    if (r->kind() == "vpc")
      if (const Value *v = r->get("secondary_cidrs"))
        for (size_t n = 0; n < v->items.size(); ++n)
          cidrBlocks[r].push_back(
              uniqueId(stripSuffix(id(r), "Vpc").str() + "Cidr" + std::to_string(n + 2)));

  for (const Resource *r : model.resources) {
    StringRef kind = r->kind();
    if (kind == "vpc")
      emitVpc(*r);
    else if (kind == "subnet")
      emitSubnet(*r);
    else if (kind == "security_group")
      emitSecurityGroup(*r);
    else if (kind == "target_group")
      emitTargetGroup(*r);
    else if (kind == "load_balancer")
      emitLoadBalancer(*r);
    else if (kind == "launch_template")
      emitLaunchTemplate(*r);
    else if (kind == "auto_scaling_group")
      emitAutoScalingGroup(*r);
    else if (kind == "emr_cluster")
      emitEmrCluster(*r);
    else if (kind == "coordination")
      emitCoordination(*r);
    else if (kind == "session_store")
      emitSessionStore(*r);
    // Scenarios (and the instances' `app`) are the local runtime's only.
  }
  if (!firstError.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), firstError);

  Node root = Node::map();
  root.add("AWSTemplateFormatVersion", Node::string("2010-09-09"));
  if (!opts.description.empty())
    root.add("Description", Node::string(opts.description));
  Node params = parameters();
  if (!params.empty())
    root.add("Parameters", std::move(params));
  root.add("Resources", resources);
  if (resources.size() > 500)
    warn("the template has " + llvm::Twine(resources.size()) +
         " resources; CloudFormation takes at most 500 in one stack");
  if (!outputs.empty())
    root.add("Outputs", std::move(outputs));
  return root;
}

llvm::Expected<Template> emit::buildCloudFormation(const sema::Model &model,
                                                   const CfnOptions &opts) {
  Template t;
  t.arena = std::make_unique<NodeArena>();
  NodeArena::Scope scope(*t.arena);
  Emitter e(model, opts);
  llvm::Expected<Node> root = e.run();
  if (!root)
    return root.takeError();
  t.root = *root;
  t.warnings = std::move(e.warnings);
  return t;
}

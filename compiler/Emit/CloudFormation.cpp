//===- CloudFormation.cpp - Logical ids, parameters, template assembly ----===//
//
//   assign ids (declaration order) -> map each resource (one family per file)
//   -> Parameters (the params the template uses), Resources, Outputs
//
//===----------------------------------------------------------------------===//

#include "Emit/Emitter.h"

#include "Basic/Units.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"

using namespace infrac;
using namespace infrac::emit;
using VK = sema::Value::Kind;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

void emit::appendCamel(StringRef name, llvm::SmallVectorImpl<char> &out) {
  bool up = true;
  for (char c : name) {
    if (c == '_' || c == '.' || c == '-' || c == ' ') {
      up = true;
      continue;
    }
    if (!llvm::isAlnum(c))
      continue;
    out.push_back(up ? llvm::toUpper(c) : c);
    up = false;
  }
}

std::string emit::camel(StringRef name) {
  llvm::SmallString<64> out;
  appendCamel(name, out);
  return out.str().str();
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

/// Appends camel(name) + `suffix`, or only camel(name) when that already ends
/// with one of `aliases`.
void withSuffix(StringRef name, StringRef suffix, std::initializer_list<StringRef> aliases,
                llvm::SmallVectorImpl<char> &out) {
  size_t start = out.size();
  appendCamel(name, out);
  StringRef base(out.data() + start, out.size() - start);
  for (StringRef a : aliases)
    if (base.endswith(a) && base.size() > a.size())
      return;
  out.append(suffix.begin(), suffix.end());
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

StringRef Emitter::reserveId(StringRef base) {
  // Logical ids are alphanumeric and start with a letter.
  llvm::SmallString<64> stem;
  if (base.empty() || !llvm::isAlpha(base[0])) {
    stem = "R";
    stem += base;
    base = stem;
  }
  // The key of the set's entry, which stays where it is.
  auto inserted = taken.try_emplace(base);
  for (unsigned n = 2; !inserted.second; ++n) {
    llvm::SmallString<64> id(base);
    id += llvm::utostr(n);
    inserted = taken.try_emplace(id);
  }
  return inserted.first->getKey();
}

std::string Emitter::uniqueId(StringRef base) { return reserveId(base).str(); }

StringRef Emitter::id(const Resource *r) const {
  auto it = ids.find(r);
  assert(it != ids.end() && "resource without a logical id");
  return it->second;
}

void Emitter::assignIds() {
  for (const sema::ParamValue &p : model.params)
    paramIds[p.name] = uniqueId(camel(p.name));

  ids.reserve(model.size());
  model.forEach([&](const Resource &r) {
    StringRef kind = r.kind();
    StringRef name = r.name.empty() ? r.keyword : r.name;
    // Built in place: there are as many as resources.
    llvm::SmallString<64> base;
    auto child = [&](StringRef parent, StringRef suffix) {
      base = parent;
      appendCamel(name, base);
      base += suffix;
    };
    if (kind == "vpc")
      withSuffix(name, "Vpc", {"Vpc"}, base);
    else if (kind == "subnet")
      withSuffix(name, "Subnet", {"Subnet"}, base);
    else if (kind == "security_group")
      withSuffix(name, "Sg", {"Sg", "SecurityGroup"}, base);
    else if (kind == "target_group")
      withSuffix(name, "TargetGroup", {"Tg", "TargetGroup"}, base);
    else if (kind == "load_balancer")
      withSuffix(name, loadBalancerSuffix(r),
                 {"Alb", "Nlb", "Gwlb", "Clb", "Elb", "Lb", "LoadBalancer"}, base);
    else if (kind == "listener" && r.parent)
      child(id(r.parent), "Listener");
    else if (kind == "listener_rule" && r.parent)
      child(stripSuffix(id(r.parent), "Listener"), "Rule");
    else if (kind == "launch_template")
      withSuffix(name, "LaunchTemplate", {"Lt", "LaunchTemplate", "Template"}, base);
    else if (kind == "auto_scaling_group")
      withSuffix(name, "Asg", {"Asg", "Group"}, base);
    else if (kind == "scaling_policy" && r.parent)
      child(id(r.parent), "Policy");
    else if (kind == "scheduled_action" && r.parent)
      child(id(r.parent), "Schedule");
    else if (kind == "lifecycle_hook" && r.parent)
      child(id(r.parent), "Hook");
    else if (kind == "emr_cluster")
      withSuffix(name, "Cluster", {"Cluster", "Emr"}, base);
    else if (kind == "coordination")
      appendCamel(name, base);
    else if (kind == "session_store") {
      if (r.getEnum("type") != "external")
        return; // Replicated sessions live in the app servers: no resource.
      if (r.getEnum("engine") == "dynamodb")
        withSuffix(name, "Table", {"Table"}, base);
      else
        withSuffix(name, "Cache", {"Cache", "Store", "Sessions"}, base);
    } else
      return;
    ids[&r] = reserveId(base);
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

Node Emitter::ref(const Resource *r) const {
  Node &n = refNodes[r];
  if (n.isNull())
    n = Node::ref(id(r));
  return n;
}

Node Emitter::groupId(const Resource *sg) const {
  Node &n = groupIdNodes[sg];
  if (n.isNull())
    n = Node::getAtt(id(sg), "GroupId");
  return n;
}

Node &Emitter::add(StringRef id, StringRef type, llvm::ArrayRef<std::string> dependsOn) {
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
  outputs.add(reserveId(id), std::move(o));
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
        out.push(groupId(item.ref));
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
  // CloudFormation's quotas are the driver's to report (CFN001..CFN003).
  if (!outputs.empty())
    root.add("Outputs", std::move(outputs));
  return root;
}

void emit::checkBuildable(const sema::Model &model, DiagnosticEngine &diags) {
  for (const sema::Resource *r : model.resources)
    if (r->kind() == "coordination")
      if (const sema::Value *subnets = r->get("subnets"); !subnets || subnets->items.empty())
        diags.report(DiagID::BLD001, r->nameRange, r->name);
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

//===- CfnEmr.cpp - emr_cluster -------------------------------------------===//
//
// emr_cluster -> AWS::EMR::Cluster: primary, core and task nodes as instance
// groups (MasterInstanceGroup, CoreInstanceGroup, TaskInstanceGroups) or, with
// `collection = fleets`, as instance fleets; applications, release, roles, logs,
// idle auto-termination, configurations; spot markets and bids.
//
//===----------------------------------------------------------------------===//

#include "Emit/Emitter.h"

using namespace infrac;
using namespace infrac::emit;
using VK = sema::Value::Kind;
using llvm::StringRef;

namespace {

/// EMR's spelling of an application.
StringRef applicationName(StringRef app) {
  // clang-format off
  static const std::pair<StringRef, StringRef> names[] = {
      {"hadoop", "Hadoop"},         {"spark", "Spark"},       {"hive", "Hive"},
      {"hbase", "HBase"},           {"flink", "Flink"},       {"trino", "Trino"},
      {"presto", "Presto"},         {"tez", "Tez"},           {"pig", "Pig"},
      {"hue", "Hue"},               {"oozie", "Oozie"},       {"livy", "Livy"},
      {"jupyterhub", "JupyterHub"}, {"zeppelin", "Zeppelin"}, {"zookeeper", "ZooKeeper"},
      {"phoenix", "Phoenix"},       {"sqoop", "Sqoop"},       {"hcatalog", "HCatalog"},
      {"tensorflow", "TensorFlow"}, {"mxnet", "MXNet"},       {"mahout", "Mahout"},
      {"ganglia", "Ganglia"},       {"hudi", "Hudi"},         {"iceberg", "Iceberg"},
      {"delta", "Delta"}};
  // clang-format on
  for (const auto &[from, to] : names)
    if (app == from)
      return to;
  return app;
}

Node ebsConfig(const Resource &g) {
  Node cfg = Node::map();
  Node devices = Node::list();
  Node &d = devices.push(Node::map());
  Node &spec = d.add("VolumeSpecification", Node::map());
  spec.add("SizeInGB", Node::integer(gibibytes(*g.getInt("volume_size"))));
  spec.add("VolumeType", Node::string("gp3"));
  d.add("VolumesPerInstance", Node::integer(1));
  cfg.add("EbsBlockDeviceConfigs", std::move(devices));
  return cfg;
}

StringRef groupName(const Resource &g) { return g.name.empty() ? g.keyword : g.name; }

} // namespace

void Emitter::emitEmrCluster(const Resource &r) {
  bool fleets = r.getEnum("collection") == "fleets";

  auto instanceGroup = [&](const Resource &g) {
    Node n = Node::map();
    n.add("Name", Node::string(groupName(g)));
    n.add("InstanceCount", scalar(*g.get("count")));
    if (const Value *t = g.get("instance_type"))
      n.add("InstanceType", scalar(*t));
    else
      fail("instance group '" + g.path + "' needs an 'instance_type' for infrac build");
    bool spot = g.getEnum("market") == "spot";
    n.add("Market", Node::string(spot ? "SPOT" : "ON_DEMAND"));
    if (const Value *bid = g.get("bid_price"); bid && spot)
      n.add("BidPrice", scalar(*bid));
    if (g.get("volume_size"))
      n.add("EbsConfiguration", ebsConfig(g));
    return n;
  };

  auto instanceFleet = [&](const Resource &g) {
    Node n = Node::map();
    n.add("Name", Node::string(groupName(g)));
    bool spot = g.getEnum("market") == "spot";
    const Value *onDemand = g.get("target_on_demand");
    const Value *spotUnits = g.get("target_spot");
    if (!onDemand && !spotUnits) {
      n.add(spot ? "TargetSpotCapacity" : "TargetOnDemandCapacity", scalar(*g.get("count")));
    } else {
      if (onDemand)
        n.add("TargetOnDemandCapacity", scalar(*onDemand));
      if (spotUnits)
        n.add("TargetSpotCapacity", scalar(*spotUnits));
    }
    Node configs = Node::list();
    auto addType = [&](const Value &type) {
      Node &c = configs.push(Node::map());
      c.add("InstanceType", scalar(type));
      if (const Value *bid = g.get("bid_price"))
        c.add("BidPrice", scalar(*bid));
      if (g.get("volume_size"))
        c.add("EbsConfiguration", ebsConfig(g));
    };
    if (const Value *types = g.get("instance_types"))
      for (const Value &t : types->items)
        addType(t);
    else if (const Value *t = g.get("instance_type"))
      addType(*t);
    n.add("InstanceTypeConfigs", std::move(configs));
    if (auto timeout = g.getInt("spot_timeout")) {
      Node &launch = n.add("LaunchSpecifications", Node::map());
      Node &spotSpec = launch.add("SpotSpecification", Node::map());
      spotSpec.add("TimeoutDurationMinutes", Node::integer((*timeout + 59999) / 60000));
      spotSpec.add("TimeoutAction",
                   Node::string(g.getEnum("spot_timeout_action") == "terminate_cluster"
                                    ? "TERMINATE_CLUSTER"
                                    : "SWITCH_TO_ON_DEMAND"));
    }
    return n;
  };

  Node instances = Node::map();
  const Resource *primary = r.child("primary");
  const Resource *core = r.child("core");
  std::vector<const Resource *> tasks = r.childrenOf("task");
  if (fleets) {
    Node subnets = refs(r, "subnets");
    if (subnets.empty())
      if (const Resource *s = r.getRef("subnet")) {
        subnets = Node::list();
        subnets.push(ref(s));
      }
    if (!subnets.empty())
      instances.add("Ec2SubnetIds", std::move(subnets));
    if (primary)
      instances.add("MasterInstanceFleet", instanceFleet(*primary));
    if (core)
      instances.add("CoreInstanceFleet", instanceFleet(*core));
    if (!tasks.empty()) {
      Node list = Node::list();
      for (const Resource *t : tasks)
        list.push(instanceFleet(*t));
      instances.add("TaskInstanceFleets", std::move(list));
    }
  } else {
    if (const Resource *s = r.getRef("subnet"))
      instances.add("Ec2SubnetId", ref(s));
    if (primary)
      instances.add("MasterInstanceGroup", instanceGroup(*primary));
    if (core)
      instances.add("CoreInstanceGroup", instanceGroup(*core));
    if (!tasks.empty()) {
      Node list = Node::list();
      for (const Resource *t : tasks)
        list.push(instanceGroup(*t));
      instances.add("TaskInstanceGroups", std::move(list));
    }
  }
  // Without steps to run, the cluster is a long-running one.
  instances.add("KeepJobFlowAliveWhenNoSteps", Node::boolean(true));
  instances.add("TerminationProtected",
                Node::boolean(r.getBool("termination_protection").value_or(false)));

  Node &p = add(id(&r), "AWS::EMR::Cluster");
  p.add("Name", Node::string(r.name));
  p.add("ReleaseLabel", scalar(*r.get("release")));
  if (const Value *apps = r.get("applications")) {
    Node list = Node::list();
    for (const Value &a : apps->items) {
      Node &n = list.push(Node::map());
      n.add("Name", Node::string(applicationName(a.str)));
    }
    p.add("Applications", std::move(list));
  }
  p.add("Instances", std::move(instances));
  p.add("JobFlowRole", scalar(*r.get("job_flow_role")));
  p.add("ServiceRole", scalar(*r.get("service_role")));
  if (const Value *v = r.get("log_uri"))
    p.add("LogUri", scalar(*v));
  if (const Value *v = r.get("security_configuration"))
    p.add("SecurityConfiguration", scalar(*v));
  if (auto idle = r.getInt("idle_timeout")) {
    Node policy = Node::map();
    policy.add("IdleTimeout", Node::integer(seconds(*idle)));
    p.add("AutoTerminationPolicy", std::move(policy));
  }
  if (const Value *cfg = r.get("configurations"); cfg && cfg->kind == VK::Map) {
    Node list = Node::list();
    for (const sema::NamedValue &c : cfg->fields) {
      Node &n = list.push(Node::map());
      n.add("Classification", Node::string(c.name));
      Node props = Node::map();
      for (const sema::NamedValue &kv : c.value.fields)
        props.add(kv.name, scalar(kv.value));
      n.add("ConfigurationProperties", std::move(props));
    }
    p.add("Configurations", std::move(list));
  }
  p.add("VisibleToAllUsers", Node::boolean(true));
  Node t = tags(r);
  if (!t.isNull())
    p.add("Tags", std::move(t));
  output(id(&r).str() + "PrimaryDns", Node::getAtt(id(&r), "MasterPublicDNS"),
         ("DNS name of the primary node of EMR cluster '" + r.name + "'").str());
}

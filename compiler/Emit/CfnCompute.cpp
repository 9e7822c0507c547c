//===- CfnCompute.cpp - launch_template, auto_scaling_group ---------------===//
//
// launch_template    -> AWS::EC2::LaunchTemplate (the instances' `app` is the
//                       local runtime's only and is not emitted)
// auto_scaling_group -> AWS::AutoScaling::AutoScalingGroup, with a
//                       MixedInstancesPolicy for `mixed_instances`
// policy             -> AWS::AutoScaling::ScalingPolicy (+ an
//                       AWS::CloudWatch::Alarm for step and simple policies)
// scheduled          -> AWS::AutoScaling::ScheduledAction (`at` is sim-only)
// lifecycle_hook     -> AWS::AutoScaling::LifecycleHook
//
//===----------------------------------------------------------------------===//

#include "Emit/Emitter.h"

using namespace infrac;
using namespace infrac::emit;
using VK = sema::Value::Kind;
using llvm::StringRef;

namespace {

double numberOf(const Value &v) { return v.kind == VK::Int ? static_cast<double>(v.i) : v.d; }

/// The metric an alarm of a step or simple policy watches.
struct AlarmMetric {
  StringRef nameSpace, name, statistic;
};

AlarmMetric alarmMetric(StringRef metric) {
  if (metric == "network_in")
    return {"AWS/EC2", "NetworkIn", "Average"};
  if (metric == "network_out")
    return {"AWS/EC2", "NetworkOut", "Average"};
  if (metric == "alb_request_count_per_target")
    return {"AWS/ApplicationELB", "RequestCountPerTarget", "Sum"};
  return {"AWS/EC2", "CPUUtilization", "Average"};
}

StringRef comparisonOperator(StringRef c) {
  if (c == "ge")
    return "GreaterThanOrEqualToThreshold";
  if (c == "lt")
    return "LessThanThreshold";
  if (c == "le")
    return "LessThanOrEqualToThreshold";
  return "GreaterThanThreshold";
}

} // namespace

void Emitter::emitLaunchTemplate(const Resource &r) {
  Node data = Node::map();
  data.add("ImageId", scalar(*r.get("image")));
  data.add("InstanceType", scalar(*r.get("instance_type")));
  if (const Value *key = r.get("key_name"))
    data.add("KeyName", scalar(*key));
  Node groups = groupIds(r, "security_groups");
  if (r.getBool("associate_public_ip").value_or(false)) {
    Node nics = Node::list();
    Node &nic = nics.push(Node::map());
    nic.add("DeviceIndex", Node::integer(0));
    nic.add("AssociatePublicIpAddress", Node::boolean(true));
    if (!groups.empty())
      nic.add("Groups", std::move(groups));
    data.add("NetworkInterfaces", std::move(nics));
  } else if (!groups.empty()) {
    data.add("SecurityGroupIds", std::move(groups));
  }
  if (const Value *ud = r.get("user_data")) {
    Node b64 = Node::map();
    b64.add("Fn::Base64", scalar(*ud));
    data.add("UserData", std::move(b64));
  }
  Node meta = Node::map();
  meta.add("HttpEndpoint", Node::string("enabled"));
  meta.add("HttpTokens", Node::string(r.getEnum("metadata_tokens")));
  if (const Value *hops = r.get("metadata_hop_limit"))
    meta.add("HttpPutResponseHopLimit", scalar(*hops));
  data.add("MetadataOptions", std::move(meta));

  std::vector<const Resource *> volumes = r.childrenOf("volume");
  if (!volumes.empty()) {
    Node mappings = Node::list();
    for (const Resource *v : volumes) {
      Node &m = mappings.push(Node::map());
      m.add("DeviceName", scalar(*v->get("device")));
      Node &ebs = m.add("Ebs", Node::map());
      ebs.add("VolumeSize", Node::integer(gibibytes(v->getInt("size").value_or(8ll << 30))));
      ebs.add("VolumeType", Node::string(v->getEnum("type")));
      ebs.add("Encrypted", Node::boolean(v->getBool("encrypted").value_or(false)));
      if (const Value *iops = v->get("iops"))
        ebs.add("Iops", scalar(*iops));
      ebs.add("DeleteOnTermination", Node::boolean(true));
    }
    data.add("BlockDeviceMappings", std::move(mappings));
  }
  Node t = tags(r);
  if (!t.isNull()) {
    Node specs = Node::list();
    for (StringRef type : {"instance", "volume"}) {
      Node &s = specs.push(Node::map());
      s.add("ResourceType", Node::string(type));
      s.add("Tags", t);
    }
    data.add("TagSpecifications", std::move(specs));
  }

  Node &p = add(id(&r), "AWS::EC2::LaunchTemplate");
  p.add("LaunchTemplateData", std::move(data));
}

void Emitter::emitAutoScalingGroup(const Resource &r) {
  const Resource *lt = r.getRef("launch_template");
  auto templateSpec = [&] {
    Node spec = Node::map();
    spec.add("LaunchTemplateId", ref(lt));
    spec.add("Version", Node::getAtt(id(lt), "LatestVersionNumber"));
    return spec;
  };

  // Instances that run user data at boot in a public subnet wait for the
  // subnet's route to the internet (as AWS CDK's groups do).
  std::vector<std::string> deps;
  if (lt && lt->get("user_data"))
    if (const Value *subnets = r.get("subnets"))
      for (const Value &s : subnets->items)
        for (std::string &d : internetRouteOf(s.ref))
          if (std::find(deps.begin(), deps.end(), d) == deps.end())
            deps.push_back(std::move(d));
  Node &p = add(id(&r), "AWS::AutoScaling::AutoScalingGroup", deps);
  if (const Resource *mixed = r.child("mixed_instances")) {
    Node &policy = p.add("MixedInstancesPolicy", Node::map());
    Node &dist = policy.add("InstancesDistribution", Node::map());
    if (const Value *v = mixed->get("on_demand_base"))
      dist.add("OnDemandBaseCapacity", scalar(*v));
    if (const Value *v = mixed->get("on_demand_percentage"))
      dist.add("OnDemandPercentageAboveBaseCapacity",
               Node::integer(static_cast<int64_t>(numberOf(*v))));
    std::string strategy = mixed->getEnum("spot_allocation_strategy").str();
    std::replace(strategy.begin(), strategy.end(), '_', '-');
    if (!strategy.empty())
      dist.add("SpotAllocationStrategy", Node::string(strategy));
    if (const Value *v = mixed->get("spot_max_price"))
      dist.add("SpotMaxPrice", scalar(*v));
    Node &ltp = policy.add("LaunchTemplate", Node::map());
    ltp.add("LaunchTemplateSpecification", templateSpec());
    if (const Value *types = mixed->get("instance_types")) {
      Node overrides = Node::list();
      for (const Value &t : types->items) {
        Node &o = overrides.push(Node::map());
        o.add("InstanceType", scalar(t));
      }
      ltp.add("Overrides", std::move(overrides));
    }
  } else {
    p.add("LaunchTemplate", templateSpec());
  }
  p.add("MinSize", intString(*r.get("min")));
  p.add("MaxSize", intString(*r.get("max")));
  if (const Value *desired = r.get("desired"))
    p.add("DesiredCapacity", intString(*desired));
  p.add("VPCZoneIdentifier", refs(r, "subnets"));
  Node tgs = refs(r, "target_groups");
  if (!tgs.empty())
    p.add("TargetGroupARNs", std::move(tgs));
  Node clbs = refs(r, "load_balancers");
  if (!clbs.empty())
    p.add("LoadBalancerNames", std::move(clbs));
  p.add("HealthCheckType", Node::string(upper(r.getEnum("health_check_type"))));
  if (auto v = r.getInt("health_check_grace"))
    p.add("HealthCheckGracePeriod", Node::integer(seconds(*v)));
  if (auto v = r.getInt("cooldown"))
    p.add("Cooldown", Node::string(std::to_string(seconds(*v))));
  if (auto v = r.getInt("default_instance_warmup"))
    p.add("DefaultInstanceWarmup", Node::integer(seconds(*v)));
  if (auto v = r.getInt("max_instance_lifetime"))
    p.add("MaxInstanceLifetime", Node::integer(seconds(*v)));
  if (const Value *tp = r.get("termination_policies")) {
    bool onlyDefault = tp->items.size() == 1 && tp->items[0].str == "default";
    if (!onlyDefault) {
      Node list = Node::list();
      for (const Value &v : tp->items)
        list.push(Node::string(camel(v.str)));
      p.add("TerminationPolicies", std::move(list));
    }
  }
  if (r.getBool("capacity_rebalance").value_or(false))
    p.add("CapacityRebalance", Node::boolean(true));
  Node t = tags(r, /*propagateAtLaunch=*/true);
  if (!t.isNull())
    p.add("Tags", std::move(t));

  for (const Resource *policy : r.childrenOf("policy"))
    emitScalingPolicy(r, *policy);

  for (const Resource *s : r.childrenOf("scheduled")) {
    Node &q = add(id(s), "AWS::AutoScaling::ScheduledAction");
    q.add("AutoScalingGroupName", ref(&r));
    if (const Value *v = s->get("recurrence"))
      q.add("Recurrence", scalar(*v));
    if (const Value *v = s->get("start"))
      q.add("StartTime", scalar(*v));
    if (const Value *v = s->get("end"))
      q.add("EndTime", scalar(*v));
    if (const Value *v = s->get("timezone"))
      q.add("TimeZone", scalar(*v));
    if (const Value *v = s->get("min"))
      q.add("MinSize", scalar(*v));
    if (const Value *v = s->get("max"))
      q.add("MaxSize", scalar(*v));
    if (const Value *v = s->get("desired"))
      q.add("DesiredCapacity", scalar(*v));
  }

  for (const Resource *h : r.childrenOf("lifecycle_hook")) {
    Node &q = add(id(h), "AWS::AutoScaling::LifecycleHook");
    q.add("AutoScalingGroupName", ref(&r));
    q.add("LifecycleTransition", Node::string(h->getEnum("transition") == "launching"
                                                  ? "autoscaling:EC2_INSTANCE_LAUNCHING"
                                                  : "autoscaling:EC2_INSTANCE_TERMINATING"));
    if (auto v = h->getInt("heartbeat_timeout"))
      q.add("HeartbeatTimeout", Node::integer(seconds(*v)));
    q.add("DefaultResult", Node::string(upper(h->getEnum("default_result"))));
    if (const Value *v = h->get("notification_target"))
      q.add("NotificationTargetARN", scalar(*v));
    if (const Value *v = h->get("role"))
      q.add("RoleARN", scalar(*v));
  }
}

void Emitter::emitScalingPolicy(const Resource &asg, const Resource &policy) {
  StringRef type = policy.getEnum("type");
  StringRef metric = policy.getEnum("metric");
  // The target group of a request-count metric: named, or the group's only one.
  const Resource *tg = policy.getRef("target_group");
  if (!tg && metric == "alb_request_count_per_target")
    if (const Value *tgs = asg.get("target_groups"); tgs && tgs->items.size() == 1)
      tg = tgs->items[0].ref;
  const Resource *lb = tg ? loadBalancerOf(tg) : nullptr;
  if (metric == "alb_request_count_per_target" && !lb) {
    fail("policy '" + policy.path +
         "' tracks requests per target but no load balancer forwards to its target group");
    return;
  }

  // Request counts are only known once the target group is attached to the
  // load balancer, which only the listener or rule that forwards to it does.
  std::vector<std::string> deps;
  if (metric == "alb_request_count_per_target")
    deps = attachmentsOf(tg);
  Node &p = add(id(&policy), "AWS::AutoScaling::ScalingPolicy", deps);
  p.add("AutoScalingGroupName", ref(&asg));
  if (auto v = policy.getInt("warmup"))
    p.add("EstimatedInstanceWarmup", Node::integer(seconds(*v)));

  if (type == "target_tracking") {
    p.add("PolicyType", Node::string("TargetTrackingScaling"));
    Node &cfg = p.add("TargetTrackingConfiguration", Node::map());
    Node &spec = cfg.add("PredefinedMetricSpecification", Node::map());
    StringRef predefined = metric == "network_in"                     ? "ASGAverageNetworkIn"
                           : metric == "network_out"                  ? "ASGAverageNetworkOut"
                           : metric == "alb_request_count_per_target" ? "ALBRequestCountPerTarget"
                                                                      : "ASGAverageCPUUtilization";
    spec.add("PredefinedMetricType", Node::string(predefined));
    if (metric == "alb_request_count_per_target") {
      Node parts = Node::list();
      parts.push(Node::getAtt(id(lb), "LoadBalancerFullName"));
      parts.push(Node::getAtt(id(tg), "TargetGroupFullName"));
      Node args = Node::list();
      args.push(Node::string("/"));
      args.push(std::move(parts));
      Node join = Node::map();
      join.add("Fn::Join", std::move(args));
      spec.add("ResourceLabel", std::move(join));
    }
    if (const Value *target = policy.get("target"))
      cfg.add("TargetValue", Node::number(numberOf(*target)));
    if (policy.getBool("disable_scale_in").value_or(false))
      cfg.add("DisableScaleIn", Node::boolean(true));
    return;
  }

  p.add("AdjustmentType", Node::string(camel(policy.getEnum("adjustment_type"))));
  if (type == "step") {
    p.add("PolicyType", Node::string("StepScaling"));
    p.add("MetricAggregationType", Node::string("Average"));
    Node steps = Node::list();
    for (const Resource *s : policy.childrenOf("step")) {
      Node &n = steps.push(Node::map());
      if (const Value *v = s->get("lower"))
        n.add("MetricIntervalLowerBound", Node::number(numberOf(*v)));
      if (const Value *v = s->get("upper"))
        n.add("MetricIntervalUpperBound", Node::number(numberOf(*v)));
      n.add("ScalingAdjustment", scalar(*s->get("adjustment")));
    }
    p.add("StepAdjustments", std::move(steps));
  } else {
    p.add("PolicyType", Node::string("SimpleScaling"));
    if (const Value *v = policy.get("adjustment"))
      p.add("ScalingAdjustment", scalar(*v));
    if (auto v = policy.getInt("cooldown"))
      p.add("Cooldown", Node::string(std::to_string(seconds(*v))));
  }

  // The alarm that triggers a step or simple policy.
  AlarmMetric m = alarmMetric(metric);
  Node &a =
      add(reserveId(stripSuffix(id(&policy), "Policy").str() + "Alarm"), "AWS::CloudWatch::Alarm");
  a.add("AlarmDescription",
        Node::string(("scales '" + asg.name + "' (policy '" + policy.name + "')").str()));
  a.add("Namespace", Node::string(m.nameSpace));
  a.add("MetricName", Node::string(m.name));
  Node dims = Node::list();
  Node &dim = dims.push(Node::map());
  if (metric == "alb_request_count_per_target" && tg) {
    dim.add("Name", Node::string("TargetGroup"));
    dim.add("Value", Node::getAtt(id(tg), "TargetGroupFullName"));
  } else {
    dim.add("Name", Node::string("AutoScalingGroupName"));
    dim.add("Value", ref(&asg));
  }
  a.add("Dimensions", std::move(dims));
  a.add("Statistic", Node::string(m.statistic));
  a.add("Period", Node::integer(seconds(policy.getInt("period").value_or(60000))));
  a.add("EvaluationPeriods", Node::integer(policy.getInt("evaluation_periods").value_or(1)));
  const Value *threshold = policy.get("threshold");
  a.add("Threshold", Node::number(threshold ? numberOf(*threshold) : 0));
  a.add("ComparisonOperator", Node::string(comparisonOperator(policy.getEnum("comparison"))));
  Node actions = Node::list();
  actions.push(ref(&policy));
  a.add("AlarmActions", std::move(actions));
}

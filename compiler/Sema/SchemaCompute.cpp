//===- SchemaCompute.cpp - launch_template, auto_scaling_group, apps ------===//
//
// Defaults are the EC2 Auto Scaling API's. The `app` of a launch template is
// what each instance runs on this machine under `infrac run` and `infrac sim`.
//
//===----------------------------------------------------------------------===//

#include "Sema/Schema.h"

using namespace infrac::sema;

static const AttrSpec launchTemplateAttrs[] = {
    {"image", "string", nullptr, Required, "AMI id, e.g. \"ami-0123456789abcdef0\""},
    {"instance_type", "string", nullptr, Required, "EC2 instance type, e.g. \"t3.micro\""},
    {"security_groups", "list(ref(security_group))", nullptr, Optional,
     "security groups of the instances"},
    {"key_name", "string", nullptr, Optional, "EC2 key pair"},
    {"user_data", "string", nullptr, Optional, "cloud-init user data"},
    {"metadata_tokens", "enum(optional|required)", "optional", Optional,
     "IMDSv2: required enforces session tokens"},
    {"metadata_hop_limit", "int", "1", Optional, "IMDS PUT response hop limit"},
    {"associate_public_ip", "bool", "false", Optional, "give instances a public IP"},
    {"app", "object(echo|command)", nullptr, LocalOnly,
     "what each instance runs locally: echo { ... } or command { run = \"...\" }"},
    {"tags", "map(string)", nullptr, Optional, "resource tags"},
};

static const ChildSpec launchTemplateChildren[] = {
    {"volume", "volume", Multiple},
};

static const AttrSpec volumeAttrs[] = {
    {"device", "string", "\"/dev/xvda\"", Optional, "device name"},
    {"size", "size(GiB)", "8GiB", Optional, "volume size"},
    {"type", "enum(gp2|gp3|io1|io2|st1|sc1|standard)", "gp3", Optional, "EBS volume type"},
    {"encrypted", "bool", "false", Optional, "encrypt the volume"},
    {"iops", "int", nullptr, Optional, "provisioned IOPS (gp3, io1, io2)"},
};

#define APP_COMMON                                                             \
  {"port", "int", "8080", Optional, "port the app listens on"},                \
      {"health_path", "string", "\"/health\"", Optional,                      \
       "path that answers 200 when the app is healthy"},                       \
      {"sessions", "enum(none|in_memory|replicated|external)", "none",        \
       Optional, "where the app keeps web sessions"},                          \
      {"session_store", "ref(session_store)", nullptr, Optional,               \
       "the store for replicated or external sessions"},                       \
      {"session_cookie", "string", nullptr, Optional,                          \
       "the cookie that names the app's session; JSESSIONID when not set"}

static const AttrSpec echoAttrs[] = {
    APP_COMMON,
    {"latency", "duration", "0ms", Optional, "added response time"},
    {"error_rate", "percent", "0%", Optional, "share of requests answered with 500"},
    {"body", "string", nullptr, Optional, "response body (default: an echo of the request)"},
};

static const AttrSpec commandAttrs[] = {
    {"run", "string", nullptr, Required,
     "command line; $PORT is the port to listen on, e.g. \"./server --port $PORT\""},
    APP_COMMON,
    {"env", "map(string)", nullptr, Optional, "extra environment variables"},
    {"workdir", "string", nullptr, Optional, "working directory"},
};
#undef APP_COMMON

static const AttrSpec asgAttrs[] = {
    {"launch_template", "ref(launch_template)", nullptr, Required,
     "what each instance is launched from"},
    {"subnets", "list(ref(subnet))", nullptr, Required, "subnets to launch into"},
    {"min", "int(..10000)", nullptr, Required, "minimum capacity"},
    {"max", "int(..10000)", nullptr, Required, "maximum capacity"},
    {"desired", "int(..10000)", nullptr, Derived, "desired capacity; min when not set"},
    {"target_groups", "list(ref(target_group))", nullptr, Optional,
     "target groups the instances register with"},
    {"load_balancers", "list(ref(load_balancer))", nullptr, Optional,
     "classic load balancers the instances register with"},
    {"health_check_type", "enum(ec2|elb)", "ec2", Optional,
     "elb also replaces instances the load balancer finds unhealthy"},
    {"health_check_grace", "duration(s)", "0s", Optional,
     "time after launch before health checks count"},
    {"cooldown", "duration(s)", "300s", Optional, "default cooldown for simple policies"},
    {"default_instance_warmup", "duration(s)", nullptr, Optional,
     "time before a new instance's metrics count"},
    {"max_instance_lifetime", "duration(s)", nullptr, Optional,
     "replace instances older than this (0 or 1..365 d)"},
    {"termination_policies",
     "list(enum(default|oldest_instance|newest_instance|oldest_launch_template|"
     "oldest_launch_configuration|closest_to_next_instance_hour|allocation_strategy))",
     "[default]", Optional, "which instance is terminated first on scale-in"},
    {"capacity_rebalance", "bool", "false", Optional,
     "replace spot instances at elevated risk of interruption"},
    {"tags", "map(string)", nullptr, Optional, "tags propagated to instances"},
};

static const ChildSpec asgChildren[] = {
    {"policy", "scaling_policy", Multiple},
    {"scheduled", "scheduled_action", Multiple},
    {"lifecycle_hook", "lifecycle_hook", Multiple},
    {"mixed_instances", "mixed_instances", One},
};

static const AttrSpec policyAttrs[] = {
    {"type", "enum(target_tracking|step|simple)", nullptr, Required, "policy type"},
    {"metric",
     "enum(cpu_utilization|network_in|network_out|alb_request_count_per_target)",
     nullptr, Optional, "the metric tracked or alarmed on"},
    {"target", "union(number, percent)", nullptr, Optional,
     "target value (target tracking)"},
    {"target_group", "ref(target_group)", nullptr, Optional,
     "target group for alb_request_count_per_target; the group's only one when not set"},
    {"disable_scale_in", "bool", "false", Optional, "target tracking never scales in"},
    {"warmup", "duration(s)", nullptr, Optional, "estimated instance warm-up"},
    {"adjustment_type",
     "enum(change_in_capacity|exact_capacity|percent_change_in_capacity)",
     "change_in_capacity", Optional, "how adjustments are read (step, simple)"},
    {"adjustment", "int", nullptr, Optional, "capacity change (simple)"},
    {"cooldown", "duration(s)", nullptr, Optional, "cooldown after a simple scaling"},
    {"threshold", "number", nullptr, Optional, "alarm threshold (step, simple)"},
    {"comparison", "enum(gt|ge|lt|le)", "gt", Optional, "alarm comparison"},
    {"period", "duration(s)", "60s", Optional, "alarm period"},
    {"evaluation_periods", "int", "1", Optional, "periods over the threshold to alarm"},
};

static const ChildSpec policyChildren[] = {
    {"step", "step_adjustment", Multiple},
};

static const AttrSpec stepAttrs[] = {
    {"lower", "number", nullptr, Optional, "lower bound over the threshold (inclusive)"},
    {"upper", "number", nullptr, Optional, "upper bound over the threshold (exclusive)"},
    {"adjustment", "int", nullptr, Required, "capacity change in this step"},
};

static const AttrSpec scheduledAttrs[] = {
    {"recurrence", "string", nullptr, Optional, "cron expression, e.g. \"0 22 * * *\""},
    {"start", "string", nullptr, Optional, "first run, ISO 8601 time"},
    {"end", "string", nullptr, Optional, "last run, ISO 8601 time"},
    {"timezone", "string", nullptr, Optional, "IANA time zone, e.g. \"Asia/Seoul\""},
    {"min", "int(..10000)", nullptr, Optional, "new minimum capacity"},
    {"max", "int(..10000)", nullptr, Optional, "new maximum capacity"},
    {"desired", "int(..10000)", nullptr, Optional, "new desired capacity"},
    {"at", "duration", nullptr, LocalOnly,
     "when it runs under infrac sim, relative to the scenario start"},
};

static const AttrSpec lifecycleHookAttrs[] = {
    {"transition", "enum(launching|terminating)", nullptr, Required,
     "the instance transition it holds"},
    {"heartbeat_timeout", "duration(s)", "3600s", Optional, "how long the hook holds (30..7200 s)"},
    {"default_result", "enum(continue|abandon)", "abandon", Optional,
     "what happens when the timeout ends"},
    {"notification_target", "string", nullptr, Optional, "SNS topic or SQS queue ARN"},
    {"role", "string", nullptr, Optional, "IAM role ARN for notifications"},
};

static const AttrSpec mixedInstancesAttrs[] = {
    {"instance_types", "list(string)", nullptr, Optional, "instance type overrides"},
    {"on_demand_base", "int", "0", Optional, "on-demand instances before any spot"},
    {"on_demand_percentage", "percent(1)", "100%", Optional,
     "on-demand share above the base"},
    {"spot_allocation_strategy",
     "enum(lowest_price|capacity_optimized|capacity_optimized_prioritized|"
     "price_capacity_optimized)",
     "lowest_price", Optional, "how spot capacity is chosen"},
    {"spot_max_price", "string", nullptr, Optional, "maximum spot price (default: on-demand price)"},
};

static const BlockSpec blocks[] = {
    {"launch_template", "compute", LabelKind::Name, nullptr, true, false,
     launchTemplateAttrs, launchTemplateChildren, "how instances are launched"},
    {"volume", "compute", LabelKind::None, nullptr, false, false, volumeAttrs, {},
     "an EBS volume"},
    {"echo", "compute", LabelKind::None, nullptr, false, false, echoAttrs, {},
     "the built-in HTTP echo server"},
    {"command", "compute", LabelKind::None, nullptr, false, false, commandAttrs, {},
     "a program of yours"},
    {"auto_scaling_group", "compute", LabelKind::Name, nullptr, true, false, asgAttrs,
     asgChildren, "an EC2 Auto Scaling group"},
    {"scaling_policy", "compute", LabelKind::Name, nullptr, false, false, policyAttrs,
     policyChildren, "a scaling policy"},
    {"step_adjustment", "compute", LabelKind::None, nullptr, false, false, stepAttrs,
     {}, "one step of a step scaling policy"},
    {"scheduled_action", "compute", LabelKind::Name, nullptr, false, false,
     scheduledAttrs, {}, "a scheduled capacity change"},
    {"lifecycle_hook", "compute", LabelKind::Name, nullptr, false, false,
     lifecycleHookAttrs, {}, "a lifecycle hook"},
    {"mixed_instances", "compute", LabelKind::None, nullptr, false, false,
     mixedInstancesAttrs, {}, "on-demand and spot mix"},
};

static const MemberSpec members[] = {
    {"auto_scaling_group", "instances", true, "instance"},
};

SchemaFamily infrac::sema::computeSchema() { return {blocks, {}, members}; }

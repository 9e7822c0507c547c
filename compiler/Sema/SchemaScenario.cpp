//===- SchemaScenario.cpp - scenarios: load, timed events, expectations ---===//
//
// A scenario drives `infrac sim` and `infrac run`: load on load balancers,
// events at given times, and expectations that pass or fail like tests.
//
//===----------------------------------------------------------------------===//

#include "Sema/Schema.h"

using namespace infrac::sema;

static const AttrSpec scenarioAttrs[] = {
    {"duration", "duration", nullptr, Derived,
     "length of the run; the last event or expectation plus 60s when not set"},
    {"seed", "int", "1", Optional, "random seed (infrac sim)"},
};

static const ChildSpec scenarioChildren[] = {
    {"load", "load", Multiple},
    {"at", "event", Multiple},
};

static const AttrSpec loadAttrs[] = {
    {"rate", "rate", nullptr, Required, "requests per second, e.g. 200/s"},
    {"duration", "duration", nullptr, Optional, "how long (default: the whole scenario)"},
    {"start", "duration", "0s", Optional, "when the load starts"},
    {"ramp", "duration", "0s", Optional, "time to reach the full rate"},
    {"listener", "ref(listener)", nullptr, Optional, "listener to send to (default: the first)"},
    {"path", "string", "\"/\"", Optional, "request path"},
    {"paths", "list(string)", nullptr, Optional,
     "request paths, one picked at random per request (instead of path)"},
    {"method", "string", nullptr, Optional, "request method; GET when not set"},
    {"query", "string", nullptr, Optional, "query string, e.g. \"page=2&sort=asc\""},
    {"host", "string", nullptr, Optional, "Host header"},
    {"headers", "map(string)", nullptr, Optional,
     "request headers, e.g. { \"User-Agent\" = \"Mobile Safari\" }"},
    {"clients", "int(..100000)", "100", Optional, "distinct clients (each keeps its cookies)"},
};

#define TARGETS "many(ref(instance|node|member|server|auto_scaling_group|instance_group|coordination))"
static const AttrSpec eventAttrs[] = {
    {"kill", TARGETS, nullptr, Optional,
     "crash instances, nodes or servers (in-flight requests are cut); a member: its process"},
    {"stop", TARGETS, nullptr, Optional,
     "stop instances or nodes cleanly: requests in flight finish first"},
    {"recover", TARGETS, nullptr, Optional,
     "bring killed members back (a process restarts; a stopped instance starts)"},
    {"slow", TARGETS, nullptr, Optional, "slow instances down by 'latency' per request"},
    {"latency", "duration", nullptr, Optional,
     "added response time with slow; 1s when not set, 0s restores"},
    {"interrupt", "many(ref(instance_group|auto_scaling_group|node|instance))", nullptr,
     Optional, "spot interruption with the 2-minute notice"},
    {"fail_health", TARGETS, nullptr, Optional, "make members answer health checks with 500"},
    {"restore_health", TARGETS, nullptr, Optional, "make members healthy again"},
    {"deregister", "many(ref(instance))", nullptr, Optional,
     "deregister instances from their target groups (draining)"},
    {"scale", "ref(auto_scaling_group)", nullptr, Optional, "set the desired capacity of"},
    {"desired", "int(..10000)", nullptr, Optional, "the new desired capacity (with scale)"},
    {"rate", "rate", nullptr, Optional, "change the load rate of every load from now on"},
    {"lose_zone", "string", nullptr, Optional,
     "an availability zone fails: its instances stop and nothing launches there"},
    {"restore_zone", "string", nullptr, Optional, "an availability zone is usable again"},
};
#undef TARGETS

static const BlockSpec blocks[] = {
    {"scenario", "scenario", LabelKind::Name, nullptr, true, true, scenarioAttrs,
     scenarioChildren, "a scripted run with expectations"},
    {"load", "scenario", LabelKind::Value, "ref(load_balancer)", false, false,
     loadAttrs, {}, "load on a load balancer"},
    {"event", "scenario", LabelKind::Value, "duration", false, false, eventAttrs, {},
     "what happens at a time"},
};

static const char *const tgRef[] = {"ref(target_group)"};
static const char *const lbRef[] = {"ref(load_balancer)"};
static const char *const asgRef[] = {"ref(auto_scaling_group)"};
static const char *const electionRef[] = {"ref(election|coordination)"};
static const char *const groupRef[] = {"ref(instance_group|auto_scaling_group)"};
static const char *const emrRef[] = {"ref(emr_cluster)"};
static const char *const storeRef[] = {"ref(load_balancer|session_store)"};
static const char *const lbClient[] = {"ref(load_balancer)", "int"};

static const FunctionSpec functions[] = {
    {"healthy", FunctionCategory::Metric, tgRef, 1, 1, false, {}, "int",
     "healthy targets in a target group"},
    {"unhealthy", FunctionCategory::Metric, tgRef, 1, 1, false, {}, "int",
     "unhealthy targets in a target group"},
    {"capacity", FunctionCategory::Metric, asgRef, 1, 1, false, {}, "int",
     "in-service instances of an Auto Scaling group"},
    {"running", FunctionCategory::Metric, groupRef, 1, 1, false, {}, "int",
     "running nodes of an EMR group or instances of an ASG"},
    {"error_rate", FunctionCategory::Metric, lbRef, 1, 1, false, {}, "percent",
     "share of requests answered with 5xx"},
    {"requests", FunctionCategory::Metric, lbRef, 1, 1, false, {}, "int",
     "requests served"},
    {"latency_p50", FunctionCategory::Metric, lbRef, 1, 1, false, {}, "duration",
     "median response time"},
    {"latency_p90", FunctionCategory::Metric, lbRef, 1, 1, false, {}, "duration",
     "90th percentile response time"},
    {"latency_p99", FunctionCategory::Metric, lbRef, 1, 1, false, {}, "duration",
     "99th percentile response time"},
    {"draining", FunctionCategory::Metric, tgRef, 1, 1, false, {}, "int",
     "draining targets in a target group"},
    {"desired", FunctionCategory::Metric, asgRef, 1, 1, false, {}, "int",
     "desired capacity of an Auto Scaling group"},
    {"served_by", FunctionCategory::Metric, lbClient, 2, 2, false, {}, "ref(instance)",
     "the instance that served client N's last request: served_by(lb, 7) == asg.instances[0]"},
    {"leader", FunctionCategory::Metric, electionRef, 1, 1, false, {}, "bool",
     "the election (or ensemble) has a leader"},
    {"leader_changes", FunctionCategory::Metric, electionRef, 1, 1, false, {}, "int",
     "how many times the leader changed"},
    {"hdfs_at_risk", FunctionCategory::Metric, emrRef, 1, 1, false, {}, "bool",
     "core nodes were lost: HDFS blocks may be under-replicated"},
    {"sessions_lost", FunctionCategory::Metric, storeRef, 1, 1, false, {}, "int",
     "requests that arrived without the session they had"},
};

SchemaFamily infrac::sema::scenarioSchema() { return {blocks, functions, {}}; }

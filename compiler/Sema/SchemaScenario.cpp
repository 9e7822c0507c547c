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
    {"body", "string", nullptr, Optional,
     "request body, e.g. a cart item for POST /cart/items (sent by infrac run; the simulator "
     "models none)"},
    {"query", "string", nullptr, Optional, "query string, e.g. \"page=2&sort=asc\""},
    {"host", "string", nullptr, Optional, "Host header"},
    {"headers", "map(string)", nullptr, Optional,
     "request headers, e.g. { \"User-Agent\" = \"Mobile Safari\" }"},
    {"clients", "int(..100000)", "100", Optional, "distinct clients (each keeps its cookies)"},
};

#define TARGETS                                                                \
  "many(ref(instance|node|member|server|auto_scaling_group|instance_group|coordination|"       \
  "session_store))"
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

static const char *const ARGS_TG[] = {"ref(target_group)"};
static const char *const ARGS_LB[] = {"ref(load_balancer)"};
static const char *const ARGS_ASG[] = {"ref(auto_scaling_group)"};
static const char *const ARGS_ELECTION[] = {"ref(election|coordination)"};
static const char *const ARGS_GROUP[] = {"ref(instance_group|auto_scaling_group)"};
static const char *const ARGS_EMR[] = {"ref(emr_cluster)"};
static const char *const ARGS_SERVICE[] = {"ref(service)"};
static const char *const ARGS_STORE[] = {"ref(load_balancer|session_store|auto_scaling_group)"};
static const char *const ARGS_CACHE[] = {"ref(session_store)"};
static const char *const ARGS_LB_CLIENT[] = {"ref(load_balancer)", "int"};

// The metrics are one table shared with the runtime (Basic/Metrics.def).
static const FunctionSpec functions[] = {
#define INFRAC_METRIC(Id, Name, Args, MinArgs, MaxArgs, Type, Doc)                                \
  {Name, FunctionCategory::Metric, Args, MinArgs, MaxArgs, false, {}, Type, Doc},
#include "Basic/Metrics.def"
};

SchemaFamily infrac::sema::scenarioSchema() { return {blocks, functions, {}}; }

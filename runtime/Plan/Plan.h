//===- Plan.h - The runtime's typed, index-based view of a design -*- C++ -*-===//
//
// `buildPlan` reads the checked `sema::Model` once and turns it into plain
// configuration for the control plane: target groups, load balancers and
// their listeners, Auto Scaling groups with the apps their instances run,
// session stores, EMR clusters, coordination ensembles, and a scenario's
// loads, timed actions and expectations. Everything refers to everything
// else by index. This is the only runtime code that reads the model; the
// control plane (Fabric), the simulator (Sim) and the live shell (Live)
// consume the plan. `dumpPlan` prints it (`infrac sim FILE --emit=plan`).
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_PLAN_H
#define INFRAC_RUNTIME_PLAN_H

#include "Controllers/Controllers.h"
#include "Coord/Coord.h"
#include "Sessions/Sessions.h"

#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace infrac::sema {
class Model;
struct Resource;
} // namespace infrac::sema

namespace infrac::runtime {

constexpr uint32_t NoIndex = ~0u;

//===----------------------------------------------------------------------===//
// The design
//===----------------------------------------------------------------------===//

struct TargetGroupPlan {
  std::string name;
  HealthCheckConfig health;
  Duration deregistrationDelay = seconds(300);
  SelectorConfig selector;
  bool network = false;     ///< TCP/UDP/TLS: an NLB's group.
  bool cutAtExpiry = true;  ///< ALB always; NLB with connection_termination.
  bool sticky = false;      ///< lb_cookie or app_cookie (a client cookie slot).
  uint32_t stickySlot = NoIndex;
  uint32_t loadBalancer = NoIndex; ///< The first load balancer forwarding to it.
  // What the live shell needs to probe and serve it.
  std::string protocol;     ///< "http", "https", "tcp", "udp", ...
  int64_t port = 0;
  std::string healthProtocol, healthPath;
  int64_t healthPort = 0;   ///< 0: the traffic port.
  std::string appCookieName;
  bool proxyProtocolV2 = false;
};

struct ListenerPlan {
  std::string name;
  std::string protocol;
  int64_t port = 0;
  std::vector<Rule> rules;
  Action defaultAction;
  bool sourceIpRules = false; ///< Routing depends on the client's address.
};

struct LoadBalancerPlan {
  std::string name;
  bool network = false;
  Duration idleTimeout = seconds(60);
  std::vector<ListenerPlan> listeners;
};

/// What each instance of an Auto Scaling group runs.
struct AppPlan {
  enum Kind : uint8_t { None, Echo, Command };
  Kind kind = None;
  Duration latency = 0;
  double errorRate = 0; ///< 0..1.
  SessionStrategy sessions = SessionStrategy::None;
  uint32_t store = NoIndex;
  std::string command; ///< Command: what to run.
  std::string sessionCookie = "JSESSIONID"; ///< The cookie naming its session.
  int64_t port = 0;
  std::string healthPath;
};

/// How a scaling policy's datapoints are made from the metric ticks.
struct PolicyPlan {
  uint32_t targetGroup = NoIndex; ///< alb_request_count_per_target: its group.
  unsigned ticks = 1;             ///< Metric ticks per datapoint.
};

struct AsgPlan {
  std::string name;
  AsgConfig config;
  std::vector<uint32_t> targetGroups;
  std::vector<uint32_t> zones; ///< The group's zone number -> Plan::zones.
  std::vector<PolicyPlan> policies; ///< Parallel to config.policies.
  AppPlan app;
  std::string instanceType;
  unsigned vcpus = 2;
};

struct StorePlan {
  std::string name;
  bool replicated = false;
  bool backupOnly = false;   ///< replication = backup: one copy beside the home.
  uint32_t members = NoIndex; ///< Replicated: the Auto Scaling group holding copies.
  Duration ttl = seconds(1800);
  unsigned nodes = 1;  ///< External: cache nodes (2 or more: a primary and replicas).
  std::string backend; ///< External, live: a real Redis at "HOST:PORT" ("": embedded).
};

struct EmrPlan {
  EmrConfig config;
  uint32_t zone = NoIndex; ///< Its subnet's zone: every node runs there.
};

/// Who takes part in an election or registers in a service.
struct MemberSource {
  enum Kind : uint8_t { None, Count, Asg, EmrGroup, EmrPrimaries };
  Kind kind = None;
  uint32_t index = 0; ///< Asg: the group; EmrGroup/EmrPrimaries: the cluster.
  uint32_t group = 0; ///< EmrGroup: the cluster's group.
  int64_t count = 0;  ///< Count.
};

struct EnsemblePlan {
  CoordinationConfig config;
  std::vector<MemberSource> electionMembers; ///< Parallel to config.elections.
  std::vector<MemberSource> serviceMembers;  ///< Parallel to config.services.
  /// Each server's zone: server i in subnets[i % n] (empty without subnets).
  std::vector<uint32_t> serverZones;
};

//===----------------------------------------------------------------------===//
// A scenario
//===----------------------------------------------------------------------===//

struct LoadConfig {
  double rate = 0; ///< Requests per second at full rate.
  Instant start = 0;
  Instant end = Never;
  Duration ramp = 0;
  uint32_t clients = 100;
};

/// Poisson arrivals for one load, for both shells' load generators: the
/// rate ramps linearly from 0 over `ramp`, then holds until `end`. Arrivals
/// during a ramp use thinning, so the sequence is exact for a time-varying
/// rate.
class TrafficModel {
public:
  explicit TrafficModel(LoadConfig c) : cfg(c) {}
  const LoadConfig &config() const { return cfg; }
  /// The rate at an instant.
  double rateAt(Instant t) const;
  /// Changes the full rate from now on.
  void setRate(double r) { cfg.rate = r; }
  /// The next arrival strictly after `now`, or Never.
  Instant nextArrival(Instant now, Rng &rng) const;
  /// Which client sends a request.
  uint32_t pickClient(Rng &rng) const { return uint32_t(rng.below(cfg.clients ? cfg.clients : 1)); }

private:
  LoadConfig cfg;
};

struct LoadPlan {
  LoadConfig traffic;
  uint32_t loadBalancer = 0;
  uint32_t listener = 0;
  std::string host, method, query;
  std::string body; ///< Sent by the live shell's load; the simulator models none.
  std::vector<std::string> paths;
  std::vector<Header> headers;
  uint32_t baseIp = 0;      ///< Clients' addresses start here (one each).
  uint32_t firstClient = 0; ///< Its clients' numbers on the load balancer.
};

/// What a scenario action (or an admin request) names.
struct TargetRef {
  enum Kind : uint8_t {
    AsgInstance, ///< The `index`th instance group `object` launched.
    AsgGroup,    ///< Every in-service instance of group `object`.
    EnsembleServer, ///< Server `index` of ensemble `object`.
    EnsembleLeader, ///< The ensemble's leader server.
    Ensemble,       ///< Every server.
    ElectionLeader, ///< The member leading election `index` of ensemble `object`.
    Election,       ///< Every member of it.
    EmrGroup,       ///< Group `index` of cluster `object`: node `node`, or all.
    EmrCluster,     ///< Every group of cluster `object`: node `node` of each, or all.
    InstanceId,     ///< The instance whose id is `object` ("i-3").
    Store,          ///< Session store `object` (its primary node).
    Other,          ///< Something the runtime cannot act on.
  };
  Kind kind = Other;
  uint32_t object = 0;
  int64_t index = -1;
  int64_t node = -1;
  int64_t refIndex = -1; ///< The member's index as written, or -1.
  bool named = false;    ///< EMR: written as `.nodes` or `.nodes[i]`.
  std::string text;    ///< As written: "web_asg.instances[0]".
  std::string path;    ///< The resource's qualified name.
  std::string refKind; ///< What it denotes ("instance", "node", "load_balancer").
};

enum class ActionKind : uint8_t {
  Kill,
  Stop,
  Recover,
  FailHealth,
  RestoreHealth,
  Slow,
  Deregister,
  Interrupt,
  Scale,
  Rate,
  LoseZone,
  RestoreZone,
};
/// "kill", "fail_health", ... as the scenario language spells it.
const char *actionName(ActionKind k);

struct ActionPlan {
  ActionKind kind = ActionKind::Kill;
  std::vector<TargetRef> targets;
  Duration latency = 0;   ///< Slow.
  uint32_t asg = NoIndex; ///< Scale.
  std::optional<int64_t> desired; ///< Scale.
  double rate = 0;        ///< Rate.
  uint32_t zone = 0;      ///< Lose/RestoreZone: into Plan::zones.
};

/// One `at` block: its actions in the order the runtime applies them.
struct EventPlan {
  Instant at = 0;
  std::string text; ///< Its first source line, for the timeline.
  std::vector<ActionPlan> actions;
};

/// The metrics expectations read (and the admin API and reports show), one
/// entry each in compiler/Sema/Metrics.def.
enum class MetricId : uint8_t {
#define INFRAC_METRIC(Id, Name, Args, MinArgs, MaxArgs, Type, Doc) Id,
#include "Basic/Metrics.def"
};
const char *metricName(MetricId m);

/// What a metric is of.
struct ObjectRef {
  enum Kind : uint8_t {
    None,
    TargetGroup,
    Asg,
    LoadBalancer,
    Store,
    EmrCluster,
    EmrGroup, ///< `sub`: the group.
    Ensemble,
    Election, ///< `sub`: the election.
    Service,  ///< `sub`: the service of ensemble `index`.
  };
  Kind kind = None;
  uint32_t index = 0;
  uint32_t sub = 0;
};

/// One side of a comparison: a constant, an instance, or a metric.
struct Operand {
  enum Kind : uint8_t { Constant, Instance, Metric, Unknown };
  Kind kind = Unknown;
  double value = 0;   ///< Constant.
  std::string shown;  ///< Constant: as printed. Instance, Metric: the source text.
  TargetRef instance; ///< Instance.
  MetricId metric = MetricId::Healthy;
  ObjectRef object;   ///< Metric: its first argument.
  int64_t arg = -1;   ///< served_by: the client.
  double percentile = 99; ///< latency_pNN.
};

enum class CompareOp : uint8_t { EQ, NE, LT, LE, GT, GE };
/// "==", "<", ...
const char *compareOpText(CompareOp op);

struct ConditionPlan {
  enum Kind : uint8_t { Compare, And, Single };
  Kind kind = Single;
  CompareOp op = CompareOp::EQ;
  std::vector<Operand> operands;     ///< Compare: two; Single: one.
  std::vector<ConditionPlan> parts;  ///< And.
};

struct ExpectationPlan {
  std::string text; ///< "expect healthy(web) >= 2 after 45s".
  ConditionPlan condition;
  Instant from = 0, until = Never;
  bool timed = false, within = false;
};

/// What the judge (Fabric/Judge.h) decided of an expectation.
struct Verdict {
  std::string expectation; ///< As written: "expect healthy(web) >= 2 after 45s".
  enum Kind { Pass, Fail, Unsupported } kind = Pass;
  std::string detail; ///< Why it failed, or what was observed.
  /// When it was settled: when it failed, when a `within` held, else at
  /// the end.
  Instant decided = 0;
};
/// "pass", "fail", "unsupported".
const char *verdictName(Verdict::Kind k);

struct ScenarioPlan {
  std::string name;
  uint64_t seed = 1;
  Instant end = seconds(60);
  std::vector<LoadPlan> loads;
  std::vector<EventPlan> events; ///< By time, then as written.
  std::vector<ExpectationPlan> expectations;
};

struct Plan {
  std::vector<std::string> zones;
  std::vector<TargetGroupPlan> targetGroups;
  std::vector<LoadBalancerPlan> loadBalancers;
  std::vector<AsgPlan> asgs;
  std::vector<StorePlan> stores;
  std::vector<EmrPlan> emrs;
  std::vector<EnsemblePlan> ensembles;
  unsigned weightedActions = 0; ///< AWSALBTG slots per client.
  unsigned stickyGroups = 0;    ///< AWSALB/AWSALBAPP slots per client.
  /// Clients per load balancer over the scenario's loads.
  std::vector<uint32_t> clientsPerLoadBalancer;
  std::optional<ScenarioPlan> scenario;

  uint32_t zoneIndex(llvm::StringRef name) const;
};

struct PlanOptions {
  /// Overrides the scenario's `seed` attribute.
  std::optional<uint64_t> seed;
  /// Overrides the scenario's duration; every load then runs to the end.
  std::optional<Duration> duration;
  /// Overrides every load's rate.
  std::optional<double> rate;
  /// Overrides every Auto Scaling group's min, max and desired.
  std::optional<int64_t> instances;
  /// Overrides every target group's fail-open.
  std::optional<bool> failOpen;
};

/// The plan of a model that checked without errors, with `scenario` (one of
/// its scenarios, or null for none).
Plan buildPlan(const sema::Model &model, const sema::Resource *scenario,
               const PlanOptions &opts = {});

/// The scenarios of a model, in declaration order.
std::vector<const sema::Resource *> scenarios(const sema::Model &model);

/// A target as an operator writes it: "i-3", "web_asg.instances[0]",
/// "web_asg", "zk.servers[1]", "zk.leader", "zk.scheduler.leader",
/// "analytics.task", "analytics.core.nodes[0]". Sets `error` when it names
/// nothing of the plan.
std::optional<TargetRef> parseTarget(const Plan &plan, llvm::StringRef text, std::string &error);
/// An action's name as the scenario language spells it.
std::optional<ActionKind> parseAction(llvm::StringRef name);

/// A stable text dump of the plan.
void dumpPlan(const Plan &plan, llvm::raw_ostream &os);

} // namespace infrac::runtime

#endif

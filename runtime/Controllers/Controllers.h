//===- Controllers.h - The runtime's controllers as pure state machines -*- C++ -*-===//
//
// Listener routing, target selection, health checking, draining, Auto Scaling
// and EMR clusters. Each controller is called with the current
// instant and an event, changes only its own state (or the state handed to
// it), and tells the caller what to do next: commands to apply and the
// instant it next wants to be woken. None of them reads a clock, sleeps, does
// I/O or touches a global random source: an `Rng` is passed in. The simulator
// (runtime/Sim) and the live runtime drive the very same code.
//
// Behaviour follows AWS's documentation as docs/simulation.md cites it.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_CONTROLLERS_H
#define INFRAC_RUNTIME_CONTROLLERS_H

#include "Core/Core.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace infrac::runtime {

//===----------------------------------------------------------------------===//
// Listener routing
//===----------------------------------------------------------------------===//

/// AWS's listener-rule wildcards: `*` matches any run of characters (also
/// empty), `?` exactly one.
bool wildcardMatch(llvm::StringRef pattern, llvm::StringRef text, bool ignoreCase);
/// Parses "a.b.c.d/n" (or a bare address) into network and mask.
std::optional<std::pair<uint32_t, uint32_t>> parseCidr(llvm::StringRef cidr);
/// Parses a dotted IPv4 address.
std::optional<uint32_t> parseIpv4(llvm::StringRef ip);

struct Header {
  std::string name;
  std::string value;
};

/// What routing looks at in an HTTP request.
struct Request {
  llvm::StringRef method = "GET";
  llvm::StringRef host;
  llvm::StringRef path = "/";
  llvm::StringRef query; ///< Without the '?': "a=1&b=2".
  llvm::ArrayRef<Header> headers;
  uint32_t sourceIp = 0;
};

/// One condition of a rule; a rule matches when all of its conditions do, a
/// condition when any of its values does.
struct Condition {
  enum Kind : uint8_t { Path, Host, Header, Method, Query, SourceIp };
  Kind kind = Path;
  std::string key; ///< Header: the header name; Query: the key (may be empty).
  std::vector<std::string> values;
  std::vector<std::pair<uint32_t, uint32_t>> cidrs; ///< SourceIp.
  bool matches(const Request &r) const;
};

struct ForwardTarget {
  uint32_t group = 0; ///< The caller's target group index.
  uint32_t weight = 1;
};

struct Action {
  enum Kind : uint8_t { Forward, Redirect, FixedResponse };
  Kind kind = FixedResponse;
  std::vector<ForwardTarget> groups; ///< Forward.
  Duration groupStickiness = 0;      ///< AWSALBTG duration; 0 is off.
  int status = 503;                  ///< Redirect and FixedResponse.
  std::string text;                  ///< Redirect location or fixed body.
  uint32_t id = 0;                   ///< The caller's number for it (cookie slot).
  /// Redirect: the parts of the new URL; empty (or "keep"): the request's.
  std::string protocol, host, port, path, query;
  std::string contentType; ///< FixedResponse.
};

struct Rule {
  std::string name;
  int64_t priority = 0;
  std::vector<Condition> conditions;
  Action action;
};

/// AWSALBTG: which target group of a weighted forward a client sticks to.
struct GroupCookie {
  uint32_t group = ~0u;
  Instant expires = 0;
};

/// A listener's rules: evaluated by priority, lowest first; the default
/// action when none matches.
class ListenerRouter {
public:
  ListenerRouter() = default;
  ListenerRouter(std::vector<Rule> rules, Action defaultAction);
  /// The index of the matching rule, or -1 for the default action.
  int match(const Request &r) const;
  const Action &action(int ruleIndex) const {
    return ruleIndex < 0 ? defaultAction : rules[ruleIndex].action;
  }
  llvm::ArrayRef<Rule> getRules() const { return rules; }
  /// Picks the target group of a forward: in proportion to the weights, or
  /// the one the client's AWSALBTG cookie names while it is valid (then its
  /// expiry is reset). Returns the index into `a.groups`.
  static size_t chooseGroup(Instant now, const Action &a, GroupCookie *cookie, Rng &rng);

private:
  std::vector<Rule> rules;
  Action defaultAction;
};

//===----------------------------------------------------------------------===//
// Targets and their health
//===----------------------------------------------------------------------===//

enum class TargetState : uint8_t { Initial, Healthy, Unhealthy, Unused, Draining, Unavailable };

/// AWS's target health reason codes.
enum class Reason : uint8_t {
  None,
  RegistrationInProgress,
  InitialHealthChecking,
  ResponseCodeMismatch,
  Timeout,
  FailedHealthChecks,
  NotRegistered,
  NotInUse,
  InvalidState,
  DeregistrationInProgress,
  HealthCheckDisabled,
};

const char *stateName(TargetState s);
/// "Elb.InitialHealthChecking", "Target.Timeout", ...; "" for None.
const char *reasonCode(Reason r);

/// A registered target of one target group.
struct Target {
  uint32_t instance = 0; ///< The owner's instance id.
  TargetState state = TargetState::Initial;
  Reason reason = Reason::RegistrationInProgress;
  uint32_t outstanding = 0; ///< Requests in flight.
  uint8_t successes = 0;    ///< Consecutive passing probes.
  uint8_t failures = 0;     ///< Consecutive failing probes.
  Instant slowStartBegin = Never; ///< In slow start since; Never when not.
  Instant drainUntil = Never;     ///< Draining: when the delay ends.
  bool drained = false; ///< Draining: deregistration completed (nothing in flight).
  uint64_t served = 0;  ///< Requests sent to it.
};

/// The targets of one group, in registration order.
struct TargetGroupState {
  std::vector<Target> targets;
  /// The index of the registered (not unused) target for an instance, or -1.
  int find(uint32_t instance) const;
  unsigned count(TargetState s) const;
};

/// Whether an HTTP status satisfies a matcher: "200", "200,302", "200-299".
bool matcherAccepts(llvm::StringRef matcher, int status);

struct HealthCheckConfig {
  bool enabled = true;
  Duration interval = seconds(30);
  Duration timeout = seconds(5);
  unsigned healthyThreshold = 5;
  unsigned unhealthyThreshold = 2;
  std::string matcher = "200";
};

/// A probe's outcome: an HTTP status, or no answer within the timeout, or a
/// refused connection.
struct ProbeResult {
  enum Kind : uint8_t { Status, Timeout, ConnectFailed };
  Kind kind = Status;
  int status = 200;
};

struct HealthTransition {
  uint32_t instance = 0;
  TargetState from = TargetState::Initial;
  TargetState to = TargetState::Initial;
  Reason reason = Reason::None;
  int status = 0; ///< ResponseCodeMismatch: the code received.
};

/// One target group's health checks. A newly registered target is `initial`
/// until it passes one probe (healthy) or fails `unhealthyThreshold` in a row;
/// afterwards it needs `healthyThreshold` passes to recover and
/// `unhealthyThreshold` failures to fall. Draining and unused targets are not
/// probed.
class HealthChecker {
public:
  explicit HealthChecker(HealthCheckConfig c = {}) : cfg(std::move(c)) {}
  const HealthCheckConfig &config() const { return cfg; }
  /// A target was registered: it enters `initial`. Returns when to send the
  /// first probe (Never when checks are disabled: it is then `unavailable`).
  Instant onRegistered(Instant now, Target &t, Rng &rng) const;
  /// A probe goes out to `t`: an initial target's registration is done and
  /// its initial checks begin (Elb.InitialHealthChecking). Returns whether
  /// `t` is probed at all (draining, unused and unavailable targets are not).
  bool onProbeSent(Instant now, Target &t) const;
  /// A probe's result for `t` arrived. Returns the state change, if any.
  std::optional<HealthTransition> onProbeResult(Instant now, Target &t, ProbeResult r) const;
  /// When a probe sent at `sentAt` gives up waiting.
  Instant probeDeadline(Instant sentAt) const { return sentAt + cfg.timeout; }
  /// When the probe after one sent at `sentAt` goes out.
  Instant nextProbe(Instant sentAt) const { return sentAt + cfg.interval; }

private:
  HealthCheckConfig cfg;
};

/// Deregistration: a draining target gets no new requests; those in flight
/// may finish until the delay ends, when the rest are cut (502) and the
/// target becomes unused. Once nothing is in flight the deregistration is
/// complete (an Auto Scaling group may go on terminating the instance), but
/// the target is still shown draining until the delay ends.
class Drainer {
public:
  explicit Drainer(Duration delay = seconds(300)) : delay(delay) {}
  /// Starts draining `t`. Returns when the delay ends; `t.drained` says
  /// whether the deregistration completed at once (nothing in flight).
  Instant begin(Instant now, Target &t) const;
  /// A request on `t` finished (after its `outstanding` was decremented).
  /// Returns true when this completes the deregistration of a draining target.
  bool onRequestDone(Instant now, Target &t) const;
  /// The delay of `t` ended: it becomes unused. Returns how many in-flight
  /// requests are cut; `completes` is set when the deregistration had not
  /// completed before.
  unsigned expire(Instant now, Target &t, bool &completes) const;
  Duration getDelay() const { return delay; }

private:
  Duration delay;
};

/// The AWSALB / AWSALBAPP cookie a client holds for one target group.
struct StickyCookie {
  uint32_t instance = ~0u;
  Instant expires = 0;
  uint32_t hint = ~0u; ///< Where its target was in the group (a lookup shortcut).
};

struct SelectorConfig {
  enum Algorithm : uint8_t { RoundRobin, LeastOutstanding, WeightedRandom };
  enum Stickiness : uint8_t { None, LbCookie, AppCookie, SourceIp };
  Algorithm algorithm = RoundRobin;
  Duration slowStart = 0;
  Stickiness stickiness = None;
  Duration stickyDuration = seconds(86400);
  /// Route to every unhealthy target when none is healthy (AWS's behaviour).
  bool failOpen = true;
};

struct Selection {
  int index = -1;        ///< Into TargetGroupState::targets; -1: none.
  bool failOpen = false; ///< Chosen among unhealthy targets.
  bool stuck = false;    ///< The client's cookie chose it.
  bool repicked = false; ///< The cookie named a target that can't serve.
};

/// Chooses a target for each request: stickiness first, then the algorithm
/// among healthy targets (slow start lowers a new target's share linearly),
/// then fail-open among unhealthy ones, else none (the caller answers 503).
class TargetSelector {
public:
  explicit TargetSelector(SelectorConfig c = {}) : cfg(c) {}
  const SelectorConfig &config() const { return cfg; }
  /// `cookie`: the client's cookie for this group (null when the group is
  /// not sticky); it is rewritten when a new target is chosen and its expiry
  /// is reset on every request. `flowHash` picks for source_ip stickiness.
  Selection select(Instant now, TargetGroupState &g, StickyCookie *cookie, Rng &rng,
                   uint64_t flowHash = 0);
  /// `t` became healthy: it may enter slow start.
  void onHealthy(Instant now, TargetGroupState &g, Target &t) const;
  /// The share (0..1] of a target in slow start.
  double slowStartFactor(Instant now, const Target &t) const;

private:
  bool routable(const Target &t, bool failOpen) const;
  SelectorConfig cfg;
  uint64_t cursor = 0;
};

//===----------------------------------------------------------------------===//
// Auto Scaling
//===----------------------------------------------------------------------===//

enum class Lifecycle : uint8_t {
  Pending,
  PendingWait, ///< A launching lifecycle hook holds it.
  InService,
  Terminating,     ///< Deregistered: waiting for the target groups to drain.
  TerminatingWait, ///< A terminating lifecycle hook holds it.
  Terminated,
};
const char *lifecycleName(Lifecycle l);

enum class Metric : uint8_t { CpuUtilization, NetworkIn, NetworkOut, RequestCountPerTarget };

struct StepAdjustment {
  double lower = -1e300; ///< Over the threshold, inclusive.
  double upper = 1e300;  ///< Exclusive.
  int64_t adjustment = 0;
};

struct ScalingPolicyConfig {
  enum Type : uint8_t { TargetTracking, Step, Simple };
  enum Adjustment : uint8_t { ChangeInCapacity, ExactCapacity, PercentChange };
  enum Comparison : uint8_t { GT, GE, LT, LE };
  std::string name;
  Type type = TargetTracking;
  Metric metric = Metric::CpuUtilization;
  double target = 50;
  bool disableScaleIn = false;
  Duration warmup = -1; ///< -1: the group's default.
  Adjustment adjustmentType = ChangeInCapacity;
  int64_t adjustment = 0;
  Duration cooldown = -1; ///< -1: the group's.
  double threshold = 0;
  Comparison comparison = GT;
  Duration period = seconds(60); ///< One datapoint per period.
  unsigned evaluationPeriods = 1;
  std::vector<StepAdjustment> steps;
};

struct ScheduledActionConfig {
  std::string name;
  Instant at = Never;
  std::optional<int64_t> min, max, desired;
};

struct LifecycleHookConfig {
  std::string name;
  bool launching = false;
  Duration heartbeat = seconds(3600);
  bool continueOnTimeout = false;
};

struct AsgConfig {
  std::string name;
  int64_t min = 1, max = 1, desired = 1;
  unsigned zones = 1;
  bool elbHealth = false;
  Duration grace = 0;
  Duration cooldown = seconds(300);
  Duration defaultWarmup = 0;
  enum Termination : uint8_t {
    Default,
    OldestInstance,
    NewestInstance,
    OldestLaunchTemplate,
    ClosestToNextInstanceHour,
  };
  /// Applied in order after AZ balance; Default (always last) ends the list.
  std::vector<Termination> termination;
  bool capacityRebalance = false;
  int64_t onDemandBase = 0;
  double onDemandPercent = 100;
  std::vector<ScalingPolicyConfig> policies;
  std::vector<ScheduledActionConfig> scheduled;
  std::vector<LifecycleHookConfig> hooks;
  /// Target tracking alarms: datapoints above the target to scale out, below
  /// 90 % of it to scale in (AWS's AlarmHigh/AlarmLow shape).
  unsigned scaleOutDatapoints = 3;
  unsigned scaleInDatapoints = 15;
};

struct AsgInstance {
  uint32_t id = 0;
  uint32_t zone = 0;
  Lifecycle lifecycle = Lifecycle::Pending;
  bool healthy = true;       ///< The group's health status of it.
  bool elbUnhealthy = false; ///< The load balancer's last word (grace may defer it).
  bool spot = false;
  bool protectedFromScaleIn = false;
  bool rebalancing = false; ///< Capacity rebalancing is replacing it.
  uint32_t replaces = 0;    ///< The at-risk spot instance this one replaces (0: none).
  Instant launchedAt = 0;
  Instant inServiceAt = Never;
  uint32_t templateVersion = 1;
  Instant hookDeadline = Never;
};

/// What the group asks of the world.
struct AsgCommand {
  enum Kind : uint8_t {
    Launch,     ///< Start an instance `instance` in `zone` (spot if `spot`).
    Register,   ///< It is InService: register it with the target groups.
    Deregister, ///< Drain it from the target groups, then call onDrained.
    Terminate,  ///< Stop it; then call onTerminated.
    Activity,   ///< A scaling activity or notice, for the timeline.
  };
  Kind kind = Activity;
  uint32_t instance = 0;
  uint32_t zone = 0;
  bool spot = false;
  std::string text;
};

/// One Auto Scaling group. Inputs are EC2 and ELB events, metric datapoints
/// and wake-ups; output is commands. Capacity counts pending and in-service
/// instances (not those being terminated, nor spot instances that capacity
/// rebalancing is replacing); desired capacity never leaves [min, max].
class AutoScaler {
public:
  /// `rng` breaks the termination policy's last tie (a seeded choice).
  AutoScaler(AsgConfig c, Rng rng);
  const AsgConfig &config() const { return cfg; }

  /// Launches the initial desired capacity.
  void start(Instant now, std::vector<AsgCommand> &out);
  /// EC2: the instance booted and is running.
  void onRunning(Instant now, uint32_t id, std::vector<AsgCommand> &out);
  /// EC2: the instance left `running` (killed, stopped, interrupted).
  void onStopped(Instant now, uint32_t id, std::vector<AsgCommand> &out);
  /// ELB: the instance's health in its target groups (unhealthy if it is
  /// unhealthy in any). Counts only with the ELB health check type and after
  /// the grace period; an instance still unhealthy when grace ends is
  /// replaced then.
  void onElbHealth(Instant now, uint32_t id, bool healthy, std::vector<AsgCommand> &out);
  /// The target groups finished draining the instance.
  void onDrained(Instant now, uint32_t id, std::vector<AsgCommand> &out);
  /// EC2: the instance is terminated.
  void onTerminated(Instant now, uint32_t id, std::vector<AsgCommand> &out);
  /// EC2: a spot interruption notice (the instance stops 2 minutes later).
  void onSpotNotice(Instant now, uint32_t id, std::vector<AsgCommand> &out);
  /// CompleteLifecycleAction for the hook holding `id`.
  void completeLifecycleAction(Instant now, uint32_t id, bool proceed,
                               std::vector<AsgCommand> &out);
  /// An availability zone became unusable or usable again: launches go only
  /// to usable zones.
  void setZoneAvailable(Instant now, uint32_t zone, bool available,
                        std::vector<AsgCommand> &out);
  /// SetDesiredCapacity (clamped to [min, max]).
  void setDesired(Instant now, int64_t desired, llvm::StringRef cause,
                  std::vector<AsgCommand> &out);
  /// A metric datapoint for policy `policy` (warming instances excluded).
  void onDatapoint(Instant now, size_t policy, double value, std::vector<AsgCommand> &out);
  /// The group asked to be woken now (hooks, scheduled actions, grace ends).
  void onWake(Instant now, std::vector<AsgCommand> &out);
  /// When it next wants onWake.
  Instant nextWakeup() const;

  /// Pending and in-service instances.
  int64_t capacity() const;
  int64_t inService() const;
  int64_t desired() const { return desiredCap; }
  int64_t minSize() const { return minCap; }
  int64_t maxSize() const { return maxCap; }
  /// Whether an in-service instance is still warming up at `now`.
  bool warming(Instant now, const AsgInstance &i) const;
  const std::vector<AsgInstance> &instances() const { return all; }
  const AsgInstance *find(uint32_t id) const;

  /// Instance ids are the world's: the group takes them from `ids`, shared
  /// by every group of the run (alone, it numbers its launches from 1).
  void setIds(IdAllocator *ids) { shared = ids; }

private:
  AsgInstance *get(uint32_t id);
  bool counted(const AsgInstance &i) const;
  void reconcile(Instant now, std::vector<AsgCommand> &out);
  void beginTermination(Instant now, AsgInstance &i, llvm::StringRef cause,
                        std::vector<AsgCommand> &out);
  void enterService(Instant now, AsgInstance &i, std::vector<AsgCommand> &out);
  void replaceUnhealthy(Instant now, AsgInstance &i, std::vector<AsgCommand> &out);
  void finishRebalance(Instant now, const AsgInstance &replacement, std::vector<AsgCommand> &out);
  void activityDone(Instant now);
  AsgInstance *chooseVictim(Instant now);
  const LifecycleHookConfig *hook(bool launching) const;
  Duration warmupOf(const ScalingPolicyConfig &p) const;

  AsgConfig cfg;
  Rng rng;
  int64_t minCap, maxCap, desiredCap;
  std::vector<AsgInstance> all;
  std::vector<bool> zoneUp;
  IdAllocator own;
  IdAllocator *shared = nullptr;
  std::vector<std::vector<double>> history; ///< Per policy, recent datapoints.
  std::vector<bool> scheduledDone;
  Instant cooldownUntil = 0;
  /// A simple policy scaled: its cooldown starts when the activity completes.
  Duration cooldownPending = -1;
};

//===----------------------------------------------------------------------===//
// EMR clusters
//===----------------------------------------------------------------------===//

enum class NodeRole : uint8_t { Primary, Core, Task };
const char *roleName(NodeRole r);

/// The cluster's state as EMR's DescribeCluster reports it (ClusterState).
enum class EmrState : uint8_t {
  Starting,
  Bootstrapping,
  Running,
  Waiting,
  Terminating,
  Terminated,
  TerminatedWithErrors,
};
/// "waiting", "terminated_with_errors": as a scenario writes it.
const char *stateName(EmrState s);
/// The state a scenario names, if it names one.
std::optional<EmrState> stateNamed(llvm::StringRef name);

struct EmrGroupConfig {
  std::string name; ///< "primary", "core", or the task group's name.
  NodeRole role = NodeRole::Task;
  unsigned count = 1;
  bool spot = false;
};

struct EmrConfig {
  std::string name;
  std::vector<EmrGroupConfig> groups;
  /// dfs.replication; 0: EMR's default for the core count (1 under four
  /// core nodes, 2 under ten, else 3).
  unsigned replication = 0;
};

struct EmrNode {
  uint32_t group = 0;
  uint32_t index = 0; ///< Within its group.
  bool running = true;
  bool noticed = false;        ///< A spot interruption notice arrived.
  bool decommissioned = false; ///< Taken out of YARN (and HDFS) before it stopped.
};

/// What an EMR cluster reports: one shape for every change, turned into the
/// timeline's lines by the Fabric.
struct EmrEvent {
  enum Kind : uint8_t {
    Up,         ///< Every node runs.
    SpotNotice, ///< `node` got its two-minute interruption notice.
    NodeLost,   ///< `node` stopped (`cause` says how).
    TakesOver,  ///< Primary `node` is now the active one (high availability).
    Terminated, ///< Too few primaries: the cluster terminated with errors;
                ///< its `left` other running nodes stopped with it.
  };
  Kind kind = Up;
  size_t node = 0;
  std::string cause;
  unsigned left = 0;     ///< NodeLost: nodes of its group still running.
  unsigned coreLost = 0; ///< NodeLost of a core node: core nodes lost so far.
  /// NodeLost of a primary: primaries the cluster needs (1, or 2 of 3), and
  /// whether this loss made the cluster fail.
  unsigned primariesNeeded = 0;
  bool failed = false;
};

/// An EMR cluster's nodes and what their loss means: task nodes only
/// compute (YARN reschedules their containers), core nodes hold HDFS blocks
/// (their loss under-replicates blocks, and with as many losses as the
/// replication factor blocks may be lost), primary nodes run the managers:
/// with one primary its loss terminates the cluster (every node stops);
/// with three, a standby takes over while two of them run. EMR does not
/// replace nodes here. What changed goes to `out`.
class EmrCluster {
public:
  explicit EmrCluster(EmrConfig c);
  const EmrConfig &config() const { return cfg; }
  /// Every node runs from `now` (the cluster is up when a scenario starts).
  void start(Instant now, std::vector<EmrEvent> &out);
  /// A spot interruption notice for a node: it stops two minutes later.
  void onSpotNotice(Instant now, size_t node, std::vector<EmrEvent> &out);
  /// A node stopped; `cause` says how ("killed", "interrupted").
  void onNodeLost(Instant now, size_t node, llvm::StringRef cause, std::vector<EmrEvent> &out);
  const std::vector<EmrNode> &nodes() const { return all; }
  /// The nodes of a group, in order.
  std::vector<size_t> nodesOf(size_t group) const;
  unsigned running(size_t group) const;
  unsigned replication() const { return repl; }
  bool hdfsAtRisk() const { return coreLost > 0; }
  bool failed() const { return down; }
  EmrState state() const { return down ? EmrState::TerminatedWithErrors : EmrState::Waiting; }
  /// The active primary node (an index into nodes()), or -1 once terminated.
  int activePrimary() const { return down ? -1 : active; }
  /// "primary[0]", "spot_compute[3]".
  std::string nodeName(size_t node) const;

private:
  EmrConfig cfg;
  std::vector<EmrNode> all;
  unsigned repl = 1, coreLost = 0;
  bool down = false;
  int active = 0;
};

} // namespace infrac::runtime

#endif

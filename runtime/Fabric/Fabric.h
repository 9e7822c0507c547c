//===- Fabric.h - The control plane shared by `sim` and `run` -*- C++ -*-===//
//
// The Fabric is everything AWS does between the requests: it owns the
// controllers (target groups with their health checkers, drainers and
// selectors; Auto Scaling groups; EMR clusters; coordination ensembles), the
// EC2 view of every instance, and the metrics, and it glues them together as
// AWS does: a stopped instance's targets become unused, probe results move
// targets through their states, an instance's health over all of its target
// groups reaches its Auto Scaling group, a deregistration drains every target
// group, an NLB resets the flows of an unhealthy target, CloudWatch-style
// datapoints feed the scaling policies, a spot notice stops the instance two
// minutes later.
//
// It is driven by a `Scheduler` (virtual or steady clock) and talks to its
// shell through `Host`: the simulator (runtime/Sim) and the live runtime
// (runtime/Live) are two hosts of the same Fabric. It never reads a clock,
// sleeps or does I/O; what it has to say goes to a `Trace`.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_FABRIC_H
#define INFRAC_RUNTIME_FABRIC_H

#include "Plan/Plan.h"
#include "Trace/Trace.h"

#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace infrac::runtime {

/// The Fabric's timers occupy kinds from here up; a shell's own are below.
constexpr uint32_t FabricTimerBase = 64;
/// CloudWatch's finest period; policies with longer periods add ticks up.
constexpr Duration MetricTick = seconds(10);
/// How long a period load skew is measured over.
constexpr Duration LoadPeriod = seconds(10);
/// EC2's spot interruption notice.
constexpr Duration SpotNotice = seconds(120);

/// How long a launched instance takes from RunInstances to running: both
/// shells make a launch wait so long (the live one scaled by --time-scale),
/// except the design's first instances, which the simulator has running at
/// 0 s and the live shell starts at once.
constexpr Duration Ec2BootTime = seconds(30);

/// What a host measured on an instance since the last metric tick.
struct InstanceSample {
  double cpuPercent = 0; ///< Utilisation over the tick, 0..100.
  double bytesIn = 0, bytesOut = 0;
};

/// The shell's side of the Fabric: what it asks the world to do.
class Host {
public:
  virtual ~Host();
  /// EC2 RunInstances for instances()[slot]. It boots, and the host calls
  /// Fabric::instanceBooted when it has. With
  /// `prewarmed` it is running already (deployed before the run began) and
  /// the host does not answer.
  virtual void launch(uint32_t slot, bool prewarmed) = 0;
  /// Ends the requests in flight on an instance (through one target group
  /// only, unless `tg` is NoIndex) with `status`. Returns how many.
  virtual unsigned cutRequests(uint32_t instance, uint32_t tg, int status) = 0;
  /// Sends one health probe to target `index` of `tg`; the answer comes back
  /// through Fabric::probeResult.
  virtual void probe(uint32_t tg, uint32_t index, uint32_t instance) = 0;
  /// A clean stop began: call Fabric::instanceStopped once nothing is in
  /// flight on the instance (at once if nothing is).
  virtual void stopWhenIdle(uint32_t instance) = 0;
  /// Requests in flight on the instance.
  virtual unsigned inFlight(uint32_t instance) = 0;
  /// The instance no longer runs (crashed, stopped, terminated, reclaimed):
  /// whatever ran there is stopped; `abrupt` when it crashed or its zone was
  /// lost (nothing there gets to say goodbye: a ZooKeeper session then
  /// expires rather than closes).
  virtual void terminate(uint32_t instance, bool abrupt) = 0;
  /// What the instance did since the last call (the metric tick).
  virtual InstanceSample sample(uint32_t instance) = 0;
  /// The app's failHealth or slowBy changed (fail_health, restore_health,
  /// slow): a host whose apps are real tells the app.
  virtual void knobsChanged(uint32_t instance) {}
  /// The primary node of external session store `store` was killed (a
  /// replica, if one is left, takes over). The simulator has nothing to do.
  virtual void storeKilled(uint32_t store) {}
};

/// A target group at run time.
struct TargetGroupRt {
  const TargetGroupPlan *plan = nullptr;
  TargetGroupState state;
  HealthChecker checker;
  Drainer drainer;
  TargetSelector selector;
  uint64_t tickRequests = 0; ///< Requests routed since the last metric tick.
};

/// Response times: a log-linear histogram in microseconds (32 sub-buckets
/// per power of two, so a percentile is within about 3 %).
class LatencyHistogram {
public:
  void add(Duration us) {
    ++counts[bucket(uint64_t(us < 0 ? 0 : us))];
    ++total;
  }
  /// The smallest bucket bound at or below which `pct` percent fall.
  Duration percentile(double pct) const;
  uint64_t count() const { return total; }

private:
  static size_t bucket(uint64_t v) {
    if (v < 32)
      return size_t(v);
    unsigned msb = 63 - unsigned(__builtin_clzll(v)); // >= 5
    size_t b = size_t(msb - 4) * 32 + size_t((v >> (msb - 5)) & 31);
    return b < 64 * 32 - 1 ? b : 64 * 32 - 1;
  }
  static uint64_t upper(size_t b);
  std::vector<uint64_t> counts = std::vector<uint64_t>(64 * 32, 0);
  uint64_t total = 0;
};

/// A load balancer's listeners and its counters.
struct LoadBalancerRt {
  const LoadBalancerPlan *plan = nullptr;
  std::vector<ListenerRouter> routers; ///< Per listener.
  uint64_t requests = 0, errors5xx = 0, sessionsLost = 0;
  LatencyHistogram latency;
};

/// The EC2 view of one instance.
struct InstanceRt {
  uint32_t id = 0;
  uint32_t asg = NoIndex;
  uint32_t zone = 0; ///< Into Plan::zones.
  bool spot = false;
  bool running = false;
  bool terminated = false;
  bool stopping = false;    ///< A clean stop waits for its requests in flight.
  bool appUp = true;        ///< The app's process (a killed member restarts with recover).
  bool failHealth = false;  ///< Answers health checks with 500.
  Duration slowBy = 0;      ///< Added to each response.
  unsigned drainsPending = 0; ///< Target groups whose deregistration is not complete.
  Instant runningSince = Never;
};

/// An external session store at run time: its cache nodes.
struct StoreRt {
  unsigned nodesUp = 1;
  bool up = true;
  /// Sessions last written before then are gone (a store killed without a
  /// replica); -1 while none was.
  Instant emptiedAt = -1;
  uint64_t sessionsLost = 0;
};

/// Session metrics of an Auto Scaling group, and its responses' latency.
struct AsgSessions {
  uint64_t sessionsLost = 0;
  uint64_t replicationBytes = 0, replicationMessages = 0;
  double loadSkew = 1;
  LatencyHistogram latency;
};

/// An Auto Scaling group at run time.
struct AsgRt {
  const AsgPlan *plan = nullptr;
  std::unique_ptr<AutoScaler> scaler;
  Instant wakeScheduled = Never;
  struct PolicyState {
    unsigned seen = 0; ///< Ticks added up so far.
    double sum = 0;    ///< Sum of per-tick values (or requests).
    unsigned samples = 0;
  };
  std::vector<PolicyState> policies;
  int64_t traced[5] = {-1, -1, -1, -1, -1}; ///< min, max, desired, capacity, in service.
};

/// The result of routing one request.
struct Route {
  int rule = -1; ///< The listener rule, -1 for the default action.
  const Action *action = nullptr;
  uint32_t tg = NoIndex;
  int target = -1; ///< Into the group's targets; -1: none can take it (503).
  uint32_t instance = NoIndex;
  Selection selection;
  GroupCookie *groupCookie = nullptr;
};

/// What a client of a load balancer carries between requests.
struct ClientCookies {
  std::vector<StickyCookie> sticky;     ///< Per sticky target group.
  std::vector<GroupCookie> groups;      ///< Per weighted forward action.
};

class Clusters;

struct FabricOptions {
  /// Instances launched at the start are running and their targets healthy
  /// (the stack was deployed before the scenario began): the simulator.
  bool prewarm = true;
  /// The run ends then: no metric tick is scheduled past it.
  Instant end = Never;
};

class Fabric {
public:
  /// `rng` is the run's random source, shared with the shell in call order.
  Fabric(const Plan &plan, Scheduler &sched, Host &host, Trace &trace, Rng &rng,
         FabricOptions opts = {});
  ~Fabric();

  /// Deploys the stack: clusters and ensembles up, every group's desired
  /// capacity launched. Call once, at the start of the run.
  void deploy();
  /// Starts the metric ticks of the scaling policies (after deploy; the
  /// shell schedules its own first timers in between, so that at a tie its
  /// events come first).
  void beginMetrics();
  /// A timer of the Fabric's (kind >= FabricTimerBase) is due.
  void onTimer(const Timer &t);

  // Requests.
  /// Chooses the rule, target group and target for a request on listener
  /// `listener` of load balancer `lb`; the target's outstanding count and
  /// the group's counters are updated. `rule` is the listener rule when the
  /// caller has it already (-2: match it).
  Route route(uint32_t lb, uint32_t listener, const Request &req, ClientCookies &cookies,
              uint64_t flowHash, int rule = -2);
  /// A request routed to target `target` of `tg` finished. Returns true
  /// when this completed the deregistration of a draining target: the shell
  /// then calls drainCompleted(instance), after its own bookkeeping.
  bool requestDone(uint32_t tg, uint32_t target) {
    Target &t = tgs[tg].state.targets[target];
    assert(t.outstanding > 0 && "completing a request that is not in flight");
    --t.outstanding;
    return t.state == TargetState::Draining && drainingRequestDone(tg, t);
  }
  /// A target group finished draining an instance.
  void drainCompleted(uint32_t instance);
  /// An instance of group `asg` answered (its part of recordResponse).
  void recordGroupResponse(uint32_t asg, Duration latency) { asgSessions[asg].latency.add(latency); }
  /// A response left load balancer `lb`.
  void recordResponse(uint32_t lb, int status, Duration latency) {
    LoadBalancerRt &b = lbs[lb];
    ++b.requests;
    b.errors5xx += status >= 500;
    b.latency.add(latency);
  }
  /// A request through load balancer `lb` to an instance of `asg` came
  /// without the session it had (kept in `store`, or NoIndex).
  void sessionLost(uint32_t lb, uint32_t store, uint32_t asg);
  /// Instances of `asg` sent `messages` replication messages, `bytes` in all.
  void replicated(uint32_t asg, uint64_t messages, uint64_t bytes) {
    asgSessions[asg].replicationMessages += messages;
    asgSessions[asg].replicationBytes += bytes;
  }

  // EC2, from the host.
  /// A launched instance finished booting (it fails to start when its zone
  /// is down).
  void instanceBooted(uint32_t id);
  /// A clean stop completed (nothing in flight any more).
  void instanceStopped(uint32_t id);
  /// A probe's answer.
  void probeResult(uint32_t tg, uint32_t index, ProbeResult r);

  // Control: what a scenario does, or the admin API.
  void act(const ActionPlan &a);
  /// The instances a reference names (see resolveInstances in Fabric.cpp).
  std::vector<uint32_t> resolveInstances(const TargetRef &r, bool spotOnly,
                                         bool acceptTerminated = false);

  // Observing.
  /// A metric's value and how to show it; nullopt when this Fabric cannot
  /// give it (`shown` then says why).
  std::optional<double> metric(const Operand &o, std::string &shown) const;

  const Plan &plan() const { return p; }
  const std::vector<TargetGroupRt> &targetGroups() const { return tgs; }
  const std::vector<LoadBalancerRt> &loadBalancers() const { return lbs; }
  const std::vector<AsgRt> &asgs() const { return groups; }
  const std::vector<InstanceRt> &instances() const { return insts; }
  /// The slot of an instance id in instances(), or NoIndex.
  uint32_t slotOf(uint32_t id) const { return id < slotById.size() ? slotById[id] : NoIndex; }
  const InstanceRt *instance(uint32_t id) const {
    uint32_t s = slotOf(id);
    return s == NoIndex ? nullptr : &insts[s];
  }
  bool zoneDown(uint32_t zone) const { return downZones[zone]; }
  const std::vector<StoreRt> &stores() const { return storeRts; }
  const std::vector<AsgSessions> &sessionsOfGroups() const { return asgSessions; }
  /// Busiest over mean requests per in-service instance of `asg` in the
  /// last load period with requests (1: even, or no requests yet).
  double loadSkew(uint32_t asg) const { return asgSessions[asg].loadSkew; }
  /// Ends a load period (the shell calls it every LoadPeriod).
  void sampleLoad();
  static std::string instanceName(uint32_t id) { return "i-" + std::to_string(id); }

  // Used by the EMR and coordination part (FabricClusters.cpp).
  Scheduler &sched;
  Trace &trace;
  InstanceRt *inst(uint32_t id) {
    uint32_t s = slotOf(id);
    return s == NoIndex ? nullptr : &insts[s];
  }
  /// The app of an instance dies (its process, not the host) or comes back.
  void appDown(uint32_t id, llvm::StringRef why);
  void appUp(uint32_t id);

private:
  enum TimerKind : uint32_t {
    TmProbe = FabricTimerBase, ///< id: target group; arg: target index.
    TmDrainExpire,             ///< id: target group; arg: target index.
    TmAsgWake,                 ///< id: Auto Scaling group.
    TmMetricTick,
    TmSpotStop,                ///< id: instance.
    TmCluster,                 ///< id, arg: see FabricClusters.cpp.
    TmCoord,                   ///< id: ensemble; arg: the ensemble's own.
  };
  friend class Clusters;

  bool drainingRequestDone(uint32_t tg, Target &t);

  // Health checks and draining (FabricHealth.cpp).
  void sendProbe(uint32_t tg, uint32_t index);
  void healthChanged(TargetGroupRt &g, Target &t, const HealthTransition &tr);
  void onDrainExpire(uint32_t tg, uint32_t index);
  void registerTarget(uint32_t tg, uint32_t instance);
  void deregister(uint32_t instance, uint32_t asgOwner);
  void targetsGone(uint32_t instance);
  void cut(uint32_t instance, uint32_t tg, int status, llvm::StringRef why);
  std::optional<bool> elbHealthy(uint32_t instance) const;
  void traceTarget(const TargetGroupRt &g, const Target &t, TargetState from);

  // Instances and scaling (FabricScaling.cpp).
  void apply(uint32_t asg, std::vector<AsgCommand> &cmds);
  void launch(uint32_t asg, const AsgCommand &c, std::vector<AsgCommand> &more);
  void crash(uint32_t instance, llvm::StringRef why);
  void beginStop(uint32_t instance);
  void scheduleAsgWake(uint32_t asg);
  void traceAsg(AsgRt &a);
  void onMetricTick();

  // Actions (FabricActions.cpp).
  void actOnInstances(const ActionPlan &a);
  // Session stores (FabricSessions.cpp).
  void actOnStore(const ActionPlan &a, uint32_t store);
  std::optional<double> sessionMetric(const Operand &o, std::string &shown) const;
  void elsewhere(const ActionPlan &a, const TargetRef &r);

  const Plan &p;
  Host &host;
  Rng &rng;
  FabricOptions opts;
  bool prewarming = false;
  std::vector<TargetGroupRt> tgs;
  std::vector<LoadBalancerRt> lbs;
  std::vector<AsgRt> groups;
  std::vector<InstanceRt> insts;
  IdAllocator ids; ///< Instance ids, unique for the whole run.
  /// By instance id (small and dense: the allocator's); NoIndex for none.
  std::vector<uint32_t> slotById;
  std::vector<bool> downZones;
  std::vector<StoreRt> storeRts;
  std::vector<AsgSessions> asgSessions;
  std::vector<uint64_t> servedSeen; ///< By slot: requests sent to it at the last sampleLoad.
  std::unique_ptr<Clusters> clusters;
};

} // namespace infrac::runtime

#endif

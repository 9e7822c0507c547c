//===- World.h - The simulated world (private to runtime/Sim) -*- C++ -*-===//
//
// The world owns everything the controllers don't: instances and their
// request handling, the in-flight requests, clients and their cookies, the
// scenario's events and the metrics that expectations read. It turns
// scheduler events into controller calls and controller commands into
// scheduled events. Everything is iterated in declaration or index order, so
// a run is a pure function of the model, the scenario and the seed.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_SIM_WORLD_H
#define INFRAC_RUNTIME_SIM_WORLD_H

#include "Sim/Sim.h"

#include "Controllers/Controllers.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <string>
#include <vector>

namespace infrac::runtime::sim {

using sema::Resource;
using sema::Value;

enum EventKind : uint32_t {
  EvArrival,     ///< id: load.
  EvComplete,    ///< id: in-flight slot; arg: its generation.
  EvProbeSend,   ///< id: target group; arg: target index.
  EvProbeResult, ///< id: target group; arg: target index, kind, status.
  EvDrainExpire, ///< id: target group; arg: target index.
  EvBoot,        ///< id: instance.
  EvAsgWake,     ///< id: Auto Scaling group.
  EvMetricTick,
  EvScenario, ///< id: timed event.
  EvSpotStop, ///< id: instance.
  EvSample,
  EvCluster, ///< id: EMR cluster or ensemble wake-up (see Clusters).
};

/// EC2 boot time of a launched instance.
constexpr Duration BootTime = seconds(30);
/// CloudWatch's finest period; policies with longer periods add ticks up.
constexpr Duration MetricTick = seconds(10);
/// Timed expectations are judged at least this often.
constexpr Duration SampleEvery = seconds(1);
constexpr Duration SpotNotice = seconds(120);
/// The load balancer's own processing time per request.
constexpr Duration LbOverhead = micros(500);
/// How long a session lives after its last use when the app does not say.
constexpr Duration DefaultSessionTtl = seconds(1800);

enum class Sessions : uint8_t { None, InMemory, Replicated, External };

struct Instance {
  uint32_t id = 0;
  int asg = -1;
  uint32_t zone = 0; ///< Index into World::zones.
  bool running = false;
  bool terminated = false;
  bool stopping = false; ///< A clean stop waits for its requests in flight.
  bool appUp = true;     ///< The app process (a killed member restarts with recover).
  bool failHealth = false;
  bool spot = false;
  ServiceModel svc;
  Duration appLatency = 0; ///< The app's own added latency (slow adds to it).
  unsigned vcpus = 2;
  uint32_t inflight = 0;
  Duration busy = 0; ///< CPU time used in the current metric tick.
  double cpuRate = 0; ///< CPU seconds per second, decaying over about a second.
  Instant cpuAt = 0;  ///< When cpuRate was last brought up to date.
  uint64_t bytesIn = 0, bytesOut = 0;
  unsigned drainsPending = 0; ///< Target groups whose deregistration is not complete.
  Sessions sessions = Sessions::None;
  int store = -1; ///< Index into World::stores.
  Instant runningSince = Never;
};

struct TargetGroup {
  const Resource *res = nullptr;
  std::string name;
  TargetGroupState state;
  HealthChecker checker;
  Drainer drainer;
  TargetSelector selector;
  int lb = -1;      ///< The load balancer that forwards to it (first found).
  bool network = false;
  bool cutAtExpiry = true; ///< ALB always; NLB with connection_termination.
  bool sticky = false;
  int stickyIndex = -1; ///< Into Client::cookies.
  uint64_t tickRequests = 0;
};

struct Listener {
  ListenerRouter router;
  std::string name;
  bool sourceIpRules = false; ///< Routing depends on the client's address.
};

/// Response times: a log-linear histogram in microseconds (32 sub-buckets
/// per power of two, so a percentile is within about 3 %).
class LatencyHistogram {
public:
  void add(Duration us);
  /// The smallest bucket bound at or below which `pct` percent fall.
  Duration percentile(double pct) const;
  uint64_t count() const { return total; }

private:
  static size_t bucket(uint64_t v);
  static uint64_t upper(size_t b);
  std::vector<uint64_t> counts = std::vector<uint64_t>(64 * 32, 0);
  uint64_t total = 0;
};

struct LoadBalancer {
  const Resource *res = nullptr;
  std::string name;
  bool network = false;
  Duration idleTimeout = seconds(60);
  std::vector<Listener> listeners;
  uint64_t requests = 0, errors5xx = 0, sessionsLost = 0;
  LatencyHistogram latency;
  /// First client number of each load on it (served_by numbers clients
  /// across the loads of one load balancer in declaration order).
  uint32_t clients = 0;
};

struct SessionHome {
  uint32_t tg = 0;
  uint32_t instance = 0;
  uint32_t backup = 0; ///< Replicated with one backup: the copy's holder.
  Instant lastWrite = 0;
};

struct Client {
  std::vector<StickyCookie> cookies;     ///< Per sticky target group.
  std::vector<GroupCookie> groupCookies; ///< Per weighted forward action.
  llvm::SmallVector<SessionHome, 1> sessions;
  uint32_t lastInstance = ~0u; ///< Who served its last request.
};

struct Load {
  explicit Load(LoadConfig c) : traffic(c) {}
  TrafficModel traffic;
  int lb = 0;
  int listener = 0;
  std::string host, method, query;
  std::vector<std::string> paths;
  std::vector<Header> headers;
  std::vector<Client> clients;
  uint32_t baseIp = 0;
  uint32_t firstClient = 0; ///< Its clients' numbers on the load balancer.
  /// The matching rule per path (-1 default), when no rule looks at the
  /// client's address; else recomputed per request.
  std::vector<int> routeOfPath;
};

struct InFlight {
  uint32_t gen = 0;
  bool live = false;
  uint32_t lb = 0, tg = ~0u, target = 0, instance = ~0u, client = 0, load = 0;
  int status = 200;
  bool busy = false; ///< Counted in its instance's in-flight requests.
  Instant start = 0;
};

struct SessionStore {
  const Resource *res = nullptr;
  bool replicated = false;
  bool backupOnly = false; ///< replication = backup: one copy beside the home.
  int members = -1;        ///< Replicated: the Auto Scaling group holding the copies.
  Duration ttl = DefaultSessionTtl;
  uint64_t lost = 0;
};

struct PolicyMetric {
  int tg = -1;         ///< alb_request_count_per_target: its target group.
  unsigned ticks = 1;  ///< Metric ticks per datapoint.
  unsigned seen = 0;   ///< Ticks added up so far.
  double sum = 0;      ///< Sum of per-tick values (or requests).
  unsigned samples = 0;
};

struct Asg {
  const Resource *res = nullptr;
  std::string name;
  std::unique_ptr<AutoScaler> scaler;
  std::vector<int> targetGroups;
  std::vector<uint32_t> zones; ///< The group's zone number -> World::zones.
  const Resource *app = nullptr;
  llvm::StringRef instanceType;
  Instant wakeScheduled = Never;
  std::vector<PolicyMetric> policies;
  int64_t traced[5] = {-1, -1, -1, -1, -1}; ///< min, max, desired, capacity, in service.
};

struct TimedEvent {
  const Resource *res;
  Instant at;
};

class Clusters;

class World {
public:
  World(const sema::Model &m, const Resource &sc, const SimOptions &o);
  ~World();
  SimResult run();

  // Used by the EMR and coordination parts (Clusters.cpp).
  SimScheduler sched;
  Rng rng{1};
  void line(llvm::StringRef who, const std::string &what);
  void trace(const std::string &json);
  bool tracing() const { return opts.trace != nullptr; }
  Instance *inst(uint32_t id) {
    auto it = instanceIndex.find(id);
    return it == instanceIndex.end() ? nullptr : &instances[it->second];
  }
  int asgIndex(const Resource *r) const;
  /// The app of an instance dies (its process, not the host) or comes back.
  void appDown(uint32_t id, llvm::StringRef why);
  void appUp(uint32_t id);
  std::vector<Asg> asgs;
  Instant end = 0;

private:
  // Building (World.cpp).
  void build();
  void buildTargetGroups();
  void buildLoadBalancers();
  void buildAsgs();
  void buildScenario();
  int tgIndex(const Resource *r) const;
  int lbIndex(const Resource *r) const;
  int storeIndex(const Resource *r) const;
  uint32_t zoneIndex(llvm::StringRef name);
  Action buildAction(const Value &v);
  void buildConditions(const Value &v, std::vector<Condition> &out);

  // The loop (World.cpp).
  void dispatch(const Timer &t);
  void onSample();

  // Requests, health, draining, scaling (WorldTraffic.cpp).
  void onArrival(uint32_t load);
  void complete(uint32_t slot, int status);
  void reset(uint32_t instance, int onlyTg, int status, llvm::StringRef why);
  void sessionCheck(Client &c, uint32_t tg, Instance &in, LoadBalancer &lb);
  void onProbeSend(uint32_t tg, uint32_t idx);
  void onProbeResult(uint32_t tg, uint64_t arg);
  void healthChanged(TargetGroup &g, Target &t, const HealthTransition &tr);
  void onDrainExpire(uint32_t tg, uint32_t idx);
  void drainCompleted(uint32_t instance);
  void onMetricTick();
  void apply(int asg, std::vector<AsgCommand> &cmds);
  void launch(int asg, const AsgCommand &c, std::vector<AsgCommand> &more);
  void registerTarget(int tg, uint32_t instance, bool prewarmed);
  void deregister(uint32_t instance, int asgOwner);
  void crash(uint32_t instance, llvm::StringRef why);
  void beginStop(uint32_t instance);
  void finishStop(uint32_t instance);
  void targetsGone(uint32_t instance);
  void scheduleAsgWake(int asg);
  void traceTarget(const TargetGroup &g, const Target &t, TargetState from);
  void traceAsg(Asg &a);
  /// Healthy in all its target groups, unhealthy in one, or neither yet.
  std::optional<bool> elbHealthy(uint32_t instance) const;
  void boot(uint32_t instance);

  // Scenario events and expectations (WorldScenario.cpp).
  void onScenario(const Resource &ev);
  /// The instances of Auto Scaling groups that `v` names: `asg.instances[n]`
  /// is the n-th instance the group launched (a stable identity; terminated
  /// ones are reported and left out unless `acceptTerminated`), a bare group
  /// its instances in service (spot ones only with `spotOnly`). References
  /// to other resources go to `other`.
  std::vector<uint32_t> resolveInstances(const Value &v, bool spotOnly,
                                         llvm::function_ref<void(const Value &)> other,
                                         bool acceptTerminated = false);
  void forEachRef(const Value &v, llvm::function_ref<void(const Value &)> fn);
  struct ExpState {
    const sema::Expectation *e;
    Instant from = 0, until = Never;
    bool timed = false, within = false;
    bool satisfied = false, failed = false, unsupported = false;
    std::string detail;
  };
  std::optional<double> metric(const Value &call, std::string &shown, bool &unsupported);
  std::optional<bool> evaluate(const Value &cond, std::string &shown, bool &unsupported);
  void checkExpectations(bool atEnd);
  std::string name(uint32_t id) const { return "i-" + std::to_string(id); }

  const sema::Model &model;
  const Resource &scenario;
  const SimOptions &opts;
  uint64_t seed = 1;

  std::vector<TargetGroup> tgs;
  std::vector<LoadBalancer> lbs;
  std::vector<Instance> instances;
  llvm::DenseMap<uint32_t, uint32_t> instanceIndex;
  std::vector<std::string> zones;
  std::vector<bool> zoneDown;
  std::vector<SessionStore> stores;
  std::vector<Load> loads;
  std::vector<InFlight> slots;
  std::vector<uint32_t> freeSlots;
  std::vector<TimedEvent> events;
  std::vector<ExpState> exps;
  std::unique_ptr<Clusters> clusters;
  unsigned weightedActions = 0, stickyGroups = 0;
  uint64_t requests = 0;
  bool prewarm = true;
  bool stateChanged = false; ///< Judge expectations after this event.
};

std::string fmtTime(Instant t);
std::string fmtDuration(Duration d);
std::string jsonEscape(llvm::StringRef s);
llvm::StringRef sourceText(llvm::SMRange r);

} // namespace infrac::runtime::sim

#endif

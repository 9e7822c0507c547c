//===- World.h - The simulated shell (private to runtime/Sim) -*- C++ -*-===//
//
// The simulator's host of the Fabric: simulated EC2 (instances boot in 30 s
// and answer probes), the simulated data plane (the scenario's loads, their
// clients with cookies and sessions, requests in flight, the app's service
// times and CPU), the scenario player and the expectation judge, on a
// SimScheduler. Everything is iterated in declaration or index order, so a
// run is a pure function of the plan and the seed.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_SIM_WORLD_H
#define INFRAC_RUNTIME_SIM_WORLD_H

#include "Sim/Sim.h"
#include "Sim/Traffic.h"

#include "Fabric/Fabric.h"
#include "Fabric/Judge.h"

#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <string>
#include <vector>

namespace infrac::runtime::sim {

enum EventKind : uint32_t {
  EvArrival,     ///< id: load.
  EvComplete,    ///< id: in-flight slot; arg: its generation.
  EvProbeResult, ///< id: target group; arg: target index, kind, status.
  EvBoot,        ///< id: instance.
  EvScenario,    ///< id: timed event.
  EvSample,
};
static_assert(EvSample < FabricTimerBase, "the shell's timers are below the Fabric's");

/// Timed expectations are judged at least this often.
constexpr Duration SampleEvery = seconds(1);
/// The load balancer's own processing time per request.
constexpr Duration LbOverhead = micros(500);
/// What one session change costs to replicate: the bytes of the message
/// (a small cart, as Tomcat serialises a session's changed attributes), the
/// acknowledged round trip to the peers (sent in parallel, answered before
/// the response), the peers' CPU to apply it, and a proxy message (the
/// backup strategy tells the other members where a session moved).
constexpr uint64_t SessionChangeBytes = 512;
constexpr uint64_t ProxyMessageBytes = 64;
constexpr Duration ReplicationRoundTrip = micros(300);
constexpr Duration ReplicationCpu = micros(100);
/// Bytes per microsecond a member's network sends (1 Gbit/s).
constexpr double ReplicationBandwidth = 125;
/// An external store: a GET and a SET per request, in the same zone.
constexpr Duration StoreRoundTrips = micros(800);

/// The data plane's side of an instance (the Fabric has its EC2 side, in
/// the same slot).
struct Instance {
  uint32_t id = 0;
  ServiceModel svc;
  Duration appLatency = 0; ///< The app's own added latency.
  unsigned vcpus = 2;
  uint32_t inflight = 0;
  Duration busy = 0;  ///< CPU time used in the current metric tick.
  double cpuRate = 0; ///< CPU seconds per second, decaying over about a second.
  Instant cpuAt = 0;  ///< When cpuRate was last brought up to date.
  uint64_t bytesIn = 0, bytesOut = 0;
  SessionStrategy sessions = SessionStrategy::None;
  uint32_t store = NoIndex;
  bool stopWhenIdle = false;
};

/// What a load balancer answered since the last series record.
struct ResponseWindow {
  uint64_t responses = 0, errors4xx = 0, errors5xx = 0;
  LatencyHistogram latency;
};

struct Client {
  ClientCookies cookies;
  llvm::SmallVector<SessionHome, 1> sessions;
  uint32_t lastInstance = ~0u; ///< Who served its last request.
};

struct Load {
  Load(const LoadPlan &p) : plan(&p), traffic(p.traffic) {}
  const LoadPlan *plan;
  TrafficModel traffic;
  std::vector<Client> clients;
  /// The matching rule per path (-1 default), when no rule looks at the
  /// client's address; else recomputed per request.
  std::vector<int> routeOfPath;
};

struct InFlight {
  uint32_t gen = 0;
  bool live = false;
  uint32_t lb = 0, tg = ~0u, target = 0, instance = ~0u, client = 0, load = 0;
  uint32_t slot = ~0u; ///< The instance's slot in the Fabric (and in World::instances).
  int status = 200;
  bool busy = false; ///< Counted in its instance's in-flight requests.
  Instant start = 0;
};

class World final : public Host {
public:
  World(const Plan &plan, const SimOptions &o);
  ~World() override;
  SimResult run();

  // Host.
  void launch(uint32_t slot, bool prewarmed) override;
  unsigned cutRequests(uint32_t instance, uint32_t tg, int status) override;
  void probe(uint32_t tg, uint32_t index, uint32_t instance) override;
  void stopWhenIdle(uint32_t instance) override;
  unsigned inFlight(uint32_t instance) override;
  void terminate(uint32_t instance, bool abrupt) override {}
  InstanceSample sample(uint32_t instance) override;

private:
  void dispatch(const Timer &t);
  void onSample();
  /// The `series` record of this instant (WorldSeries.cpp).
  void traceSeries();

  // Requests (WorldTraffic.cpp).
  void onArrival(uint32_t load);
  void complete(uint32_t slot, int status);
  /// Whether the request found its session, what keeping it costs (the
  /// replication's bytes and the peers' CPU, counted here) and the latency it
  /// adds; false: the store is down and the app answers 500.
  bool sessionCheck(Client &c, uint32_t tg, uint32_t lb, uint32_t slot, Duration &extra);
  void onProbeResult(uint32_t tg, uint64_t arg);

  // Scenario events, and the metrics of the simulator's own clients
  // (WorldScenario.cpp).
  void onScenario(const EventPlan &ev);
  std::optional<double> clientMetric(const Operand &o, std::string &shown) const;
  /// The `decided` records of the verdicts (WorldSeries.cpp).
  void traceDecided(const std::vector<Verdict> &verdicts);

  const Plan &plan;
  const ScenarioPlan &scenario;
  const SimOptions &opts;
  SimScheduler sched;
  Rng rng{1};
  Trace trace;
  std::unique_ptr<Fabric> fabric;
  std::unique_ptr<Judge> judge;
  Instant end = 0;

  std::vector<Instance> instances; ///< By the Fabric's slot.
  std::vector<Load> loads;
  std::vector<InFlight> slots;
  std::vector<uint32_t> freeSlots;
  uint64_t requests = 0;
  /// Per load balancer, when SimOptions::series is on.
  std::vector<ResponseWindow> windows;
};

} // namespace infrac::runtime::sim

#endif

//===- PropertyTest.cpp - Invariants over many seeds ----------------------===//
//
// Each property is checked two ways over at least 1,000 seeds: on the
// controllers alone, driven by random event sequences, and on whole
// simulations of tests/runtime/property.infra, read back from their traces.
// The coordination service's properties run over 10,000 seeds
// (INFRAC_COORD_SEEDS for more), each with at least five faults.
//
//===----------------------------------------------------------------------===//

#include "Controllers/Controllers.h"
#include "Coord/Coord.h"
#include "RuntimeTestSupport.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

using namespace infrac::runtime;
using namespace infrac::test;
using llvm::StringRef;

namespace {

constexpr uint64_t Seeds = 1000;

//===----------------------------------------------------------------------===//
// Capacity stays within [min, max]
//===----------------------------------------------------------------------===//

/// Drives an Auto Scaling group with random EC2, ELB and metric events,
/// delivering its commands back in a random order, as a world would.
void churnAutoScaler(uint64_t seed) {
  Rng rng(seed);
  AsgConfig c;
  c.min = int64_t(rng.below(4));
  c.max = c.min + 1 + int64_t(rng.below(8));
  c.desired = c.min + int64_t(rng.below(uint64_t(c.max - c.min + 1)));
  c.zones = 1 + unsigned(rng.below(3));
  c.elbHealth = rng.below(2);
  c.grace = seconds(int64_t(rng.below(60)));
  c.capacityRebalance = rng.below(2);
  c.onDemandPercent = double(rng.below(101));
  c.defaultWarmup = seconds(int64_t(rng.below(120)));
  if (rng.below(2))
    c.hooks.push_back({"launch", true, seconds(30), rng.below(2) == 1});
  if (rng.below(2))
    c.hooks.push_back({"term", false, seconds(20), false});
  ScalingPolicyConfig tt;
  tt.name = "cpu";
  tt.target = 50;
  c.policies.push_back(tt);
  ScalingPolicyConfig simple;
  simple.name = "simple";
  simple.type = ScalingPolicyConfig::Simple;
  simple.threshold = 90;
  simple.adjustment = 2;
  simple.cooldown = seconds(60);
  c.policies.push_back(simple);
  ScalingPolicyConfig step;
  step.name = "step";
  step.type = ScalingPolicyConfig::Step;
  step.threshold = 20;
  step.comparison = ScalingPolicyConfig::LT;
  step.steps = {{-1e300, 0, -1}};
  c.policies.push_back(step);
  int64_t lo = int64_t(rng.below(3));
  c.scheduled.push_back({"s", seconds(int64_t(rng.below(600))), lo, lo + 1 + int64_t(rng.below(6)),
                         int64_t(rng.below(12))});
  AutoScaler a(c, rng.fork());

  std::vector<AsgCommand> out;
  struct Pending {
    AsgCommand::Kind kind;
    uint32_t id;
  };
  std::vector<Pending> queue;
  auto take = [&] {
    for (const AsgCommand &cmd : out)
      if (cmd.kind != AsgCommand::Activity && cmd.kind != AsgCommand::Register)
        queue.push_back({cmd.kind, cmd.instance});
    out.clear();
  };
  auto check = [&](const char *after) {
    ASSERT_LE(a.minSize(), a.desired()) << "seed " << seed << " after " << after;
    ASSERT_LE(a.desired(), a.maxSize()) << "seed " << seed << " after " << after;
    ASSERT_EQ(a.capacity(), a.desired()) << "seed " << seed << " after " << after;
    ASSERT_GE(a.capacity(), a.minSize()) << "seed " << seed << " after " << after;
    ASSERT_LE(a.capacity(), a.maxSize()) << "seed " << seed << " after " << after;
  };
  a.start(0, out);
  take();
  check("start");
  Instant now = 0;
  for (int step = 0; step < 300; ++step) {
    now += millis(int64_t(rng.below(10000)));
    if (Instant w = a.nextWakeup(); w <= now) {
      a.onWake(now, out);
      take();
      check("wake");
    }
    uint64_t what = rng.below(10);
    std::vector<uint32_t> live;
    for (const AsgInstance &i : a.instances())
      if (i.lifecycle != Lifecycle::Terminated)
        live.push_back(i.id);
    uint32_t someone = live.empty() ? 0 : live[rng.below(live.size())];
    switch (what) {
    case 0:
    case 1:
    case 2: // Deliver a queued command's outcome.
      if (!queue.empty()) {
        size_t k = size_t(rng.below(queue.size()));
        Pending p = queue[k];
        queue.erase(queue.begin() + long(k));
        if (p.kind == AsgCommand::Launch)
          a.onRunning(now, p.id, out);
        else if (p.kind == AsgCommand::Deregister)
          a.onDrained(now, p.id, out);
        else
          a.onTerminated(now, p.id, out);
      }
      break;
    case 3:
      if (someone)
        a.onStopped(now, someone, out);
      break;
    case 4:
      if (someone)
        a.onElbHealth(now, someone, rng.below(3) != 0, out);
      break;
    case 5:
      if (someone)
        a.onSpotNotice(now, someone, out);
      break;
    case 6:
      a.setDesired(now, int64_t(rng.below(20)) - 5, "test", out);
      break;
    case 7:
    case 8:
      a.onDatapoint(now, size_t(rng.below(3)), double(rng.below(120)), out);
      break;
    case 9:
      if (someone)
        a.completeLifecycleAction(now, someone, rng.below(2), out);
      break;
    }
    take();
    check("an event");
  }
}

TEST(PropertyTest, AutoScalerCapacityStaysWithinBounds) {
  for (uint64_t seed = 1; seed <= Seeds; ++seed) {
    churnAutoScaler(seed);
    if (testing::Test::HasFatalFailure())
      return;
  }
}

//===----------------------------------------------------------------------===//
// A target group under churn: draining and stickiness
//===----------------------------------------------------------------------===//

/// A target group's controllers driven by random registrations, probe
/// results, deregistrations and requests from sticky clients.
struct GroupChurn {
  explicit GroupChurn(uint64_t seed) : rng(seed) {
    SelectorConfig c;
    c.algorithm = SelectorConfig::Algorithm(rng.below(3));
    c.slowStart = c.algorithm == SelectorConfig::LeastOutstanding ? 0 : seconds(30) * rng.below(2);
    c.stickiness = rng.below(2) ? SelectorConfig::LbCookie : SelectorConfig::AppCookie;
    c.stickyDuration = seconds(3600);
    c.failOpen = rng.below(2);
    selector = TargetSelector(c);
    HealthCheckConfig hc;
    hc.healthyThreshold = 2 + unsigned(rng.below(3));
    hc.unhealthyThreshold = 2 + unsigned(rng.below(3));
    checker = HealthChecker(hc);
    drainer = Drainer(seconds(int64_t(rng.below(30))));
    cookies.resize(20);
  }
  Rng rng;
  TargetGroupState g;
  HealthChecker checker;
  Drainer drainer;
  TargetSelector selector;
  std::vector<StickyCookie> cookies;
  std::vector<int> inFlight; ///< Target index per open request.
  std::set<int> drained;     ///< Targets that started draining.
  uint32_t nextInstance = 1;
  Instant now = 0;

  /// One random step; `onRequest(client, selection, cookieTargetBefore)`
  /// sees each routed request.
  template <typename Fn> void step(Fn &&onRequest) {
    now += millis(int64_t(rng.below(2000)));
    uint64_t what = rng.below(12);
    size_t n = g.targets.size();
    int some = n ? int(rng.below(n)) : -1;
    if (what == 0 || n == 0) {
      Target t;
      t.instance = nextInstance++;
      g.targets.push_back(t);
      checker.onRegistered(now, g.targets.back(), rng);
    } else if (what <= 3) {
      Target &t = g.targets[some];
      checker.onProbeSent(now, t);
      ProbeResult r;
      r.status = rng.below(3) ? 200 : 500;
      if (auto tr = checker.onProbeResult(now, t, r)) {
        if (tr->to == TargetState::Healthy)
          selector.onHealthy(now, g, t);
        else
          t.slowStartBegin = Never;
      }
    } else if (what == 4) {
      Target &t = g.targets[some];
      if (t.state != TargetState::Draining && t.state != TargetState::Unused) {
        drainer.begin(now, t);
        drained.insert(some);
      }
    } else if (what == 5) {
      Target &t = g.targets[some];
      if (t.state == TargetState::Draining && now >= t.drainUntil) {
        bool completes;
        drainer.expire(now, t, completes);
        llvm::erase_if(inFlight, [&](int i) { return i == some; });
        t.outstanding = 0;
      }
    } else if (what == 6 && !inFlight.empty()) {
      size_t k = size_t(rng.below(inFlight.size()));
      Target &t = g.targets[inFlight[k]];
      --t.outstanding;
      drainer.onRequestDone(now, t);
      inFlight.erase(inFlight.begin() + long(k));
    } else {
      size_t client = size_t(rng.below(cookies.size()));
      StickyCookie before = cookies[client];
      Selection sel = selector.select(now, g, &cookies[client], rng);
      onRequest(client, sel, before);
      if (sel.index >= 0) {
        ++g.targets[sel.index].outstanding;
        inFlight.push_back(sel.index);
      }
    }
  }
};

TEST(PropertyTest, NoNewRequestToADrainingTarget) {
  for (uint64_t seed = 1; seed <= Seeds; ++seed) {
    GroupChurn c(seed);
    for (int i = 0; i < 400; ++i)
      c.step([&](size_t, const Selection &sel, const StickyCookie &) {
        if (sel.index < 0)
          return;
        ASSERT_FALSE(c.drained.count(sel.index))
            << "seed " << seed << ": a request went to a target after it started draining";
        TargetState s = c.g.targets[sel.index].state;
        ASSERT_TRUE(s == TargetState::Healthy || (sel.failOpen && s == TargetState::Unhealthy))
            << "seed " << seed << ": routed to a " << stateName(s) << " target";
      });
    if (testing::Test::HasFatalFailure())
      return;
  }
}

TEST(PropertyTest, StickyClientStaysWhileItsTargetIsHealthy) {
  for (uint64_t seed = 1; seed <= Seeds; ++seed) {
    GroupChurn c(seed);
    for (int i = 0; i < 400; ++i)
      c.step([&](size_t client, const Selection &sel, const StickyCookie &before) {
        if (before.instance == ~0u || before.expires <= c.now)
          return;
        int home = c.g.find(before.instance);
        if (home < 0 || c.g.targets[home].state != TargetState::Healthy)
          return;
        ASSERT_EQ(sel.index, home) << "seed " << seed << ": client " << client
                                   << " left its healthy target";
        ASSERT_TRUE(sel.stuck);
      });
    if (testing::Test::HasFatalFailure())
      return;
  }
}

TEST(PropertyTest, FailOpenOffAndAllUnhealthyMeansNoTarget) {
  for (uint64_t seed = 1; seed <= Seeds; ++seed) {
    Rng rng(seed);
    SelectorConfig c;
    c.algorithm = SelectorConfig::Algorithm(rng.below(3));
    c.stickiness = SelectorConfig::Stickiness(rng.below(4));
    c.failOpen = false;
    TargetSelector s(c);
    TargetGroupState g;
    size_t n = 1 + size_t(rng.below(8));
    for (size_t i = 0; i < n; ++i) {
      Target t;
      t.instance = uint32_t(i + 1);
      t.state = rng.below(4) ? TargetState::Unhealthy
                             : TargetState(rng.below(2) ? int(TargetState::Draining)
                                                        : int(TargetState::Initial));
      g.targets.push_back(t);
    }
    StickyCookie cookie;
    cookie.instance = uint32_t(1 + rng.below(n));
    cookie.expires = seconds(1000);
    for (int i = 0; i < 20; ++i)
      ASSERT_EQ(s.select(seconds(i), g, rng.below(2) ? &cookie : nullptr, rng, rng.next()).index,
                -1)
          << "seed " << seed;
  }
}

//===----------------------------------------------------------------------===//
// Whole simulations
//===----------------------------------------------------------------------===//

/// Runs `scenario` of property.infra under `Seeds` seeds; `Check` sees each
/// trace line, then the end of the run.
template <typename Check> void overSeeds(const std::string &scenario, SimOptions base) {
  static LoadedModel model("tests/runtime/property.infra");
  ASSERT_TRUE(model.ok());
  for (uint64_t seed = 1; seed <= Seeds; ++seed) {
    SimOptions opts = base;
    opts.seed = seed;
    opts.statsEvery = 0;
    Check check;
    check.seed = seed;
    model.run(scenario, opts, [&](StringRef line) {
      if (!testing::Test::HasFatalFailure())
        check.line(line);
    });
    if (testing::Test::HasFatalFailure())
      return;
    check.atEnd();
    if (testing::Test::HasFatalFailure())
      return;
  }
}

/// Over the churn scenario: Auto Scaling capacity stays within [min, max];
/// no request goes to a target after it started draining; a client whose
/// last target is still healthy goes back to it.
struct ChurnCheck {
  uint64_t seed = 0;
  llvm::StringMap<std::string> targetState; ///< "tg/target" -> state.
  std::set<std::string> everDrained;
  std::map<int64_t, std::string> lastTarget; ///< Client -> "tg/target".
  unsigned asgRecords = 0, stuck = 0, drains = 0, requests = 0;

  void line(StringRef line) {
    auto ev = traceField(line, "ev");
    if (!ev)
      return;
    if (*ev == "asg") {
      ++asgRecords;
      int64_t min = traceInt(line, "min"), max = traceInt(line, "max");
      int64_t desired = traceInt(line, "desired"), cap = traceInt(line, "capacity");
      ASSERT_TRUE(min <= desired && desired <= max) << "seed " << seed << ": " << line.str();
      ASSERT_TRUE(min <= cap && cap <= max) << "seed " << seed << ": " << line.str();
      return;
    }
    if (*ev == "target") {
      std::string key = traceField(line, "tg")->str() + "/" + traceField(line, "target")->str();
      StringRef to = *traceField(line, "to");
      targetState[key] = to.str();
      if (to == "draining") {
        everDrained.insert(key);
        ++drains;
      }
      return;
    }
    if (*ev != "request" || !traceField(line, "target"))
      return;
    ++requests;
    std::string key = traceField(line, "tg")->str() + "/" + traceField(line, "target")->str();
    ASSERT_FALSE(everDrained.count(key))
        << "seed " << seed << ": a new request after draining began: " << line.str();
    int64_t client = traceInt(line, "client");
    auto last = lastTarget.find(client);
    if (last != lastTarget.end() && targetState.lookup(last->second) == "healthy") {
      ASSERT_EQ(key, last->second)
          << "seed " << seed << ": client " << client << " left its healthy target: " << line.str();
      ++stuck;
    }
    lastTarget[client] = key;
  }
  void atEnd() {
    ASSERT_GT(asgRecords, 3u) << "seed " << seed << ": the groups never changed";
    ASSERT_GT(drains, 0u) << "seed " << seed;
    ASSERT_GT(stuck, requests / 2) << "seed " << seed;
  }
};

TEST(PropertyTest, SimulatedCapacityDrainingAndStickiness) {
  overSeeds<ChurnCheck>("churn", {});
}

/// With fail-open off: once no target of the pool is healthy, every request
/// is answered 503, and every request gets exactly one response.
struct NoSilentDropCheck {
  uint64_t seed = 0;
  llvm::StringMap<std::string> targetState;
  unsigned requests = 0, responses = 0, after = 0;
  bool allUnhealthy = false;

  void line(StringRef line) {
    auto ev = traceField(line, "ev");
    if (!ev)
      return;
    if (*ev == "target") {
      if (traceField(line, "tg") != StringRef("pool"))
        return;
      targetState[traceField(line, "target")->str()] = traceField(line, "to")->str();
      bool any = false, healthy = false;
      for (const auto &e : targetState) {
        if (e.second == "unused")
          continue;
        any = true;
        healthy |= e.second != "unhealthy";
      }
      allUnhealthy = any && !healthy;
      return;
    }
    if (traceField(line, "lb") != StringRef("back"))
      return;
    if (*ev == "request") {
      ++requests;
      if (allUnhealthy) {
        ++after;
        ASSERT_EQ(traceInt(line, "answer"), 503)
            << "seed " << seed << ": every target is unhealthy: " << line.str();
      }
    } else if (*ev == "response") {
      ++responses;
    }
  }
  void atEnd() {
    ASSERT_EQ(requests, responses) << "seed " << seed << ": a request got no answer";
    ASSERT_GT(after, 100u) << "seed " << seed << ": the targets never all became unhealthy";
  }
};

TEST(PropertyTest, SimulatedFailOpenOffAnswers503NeverDrops) {
  SimOptions opts;
  opts.failOpen = false;
  overSeeds<NoSilentDropCheck>("all_unhealthy", opts);
}

//===----------------------------------------------------------------------===//
// Coordination under faults
//===----------------------------------------------------------------------===//

/// Seeds per run: INFRAC_COORD_SEEDS overrides (the bench switch:
/// INFRAC_COORD_SEEDS=1000000).
uint64_t coordSeeds() {
  if (const char *s = std::getenv("INFRAC_COORD_SEEDS"))
    return std::strtoull(s, nullptr, 10);
  return 10000;
}

/// Seeds that failed once, replayed before the random ones.
const std::string RegressionFile = INFRAC_SOURCE_DIR "/tests/runtime/coordination.regressions";

/// One seed: an ensemble of three or five servers and three to five members
/// of one election, with at least five faults (a crash, a pause past the
/// session timeout, a server loss, a quorum loss and its return, a restart)
/// and more at random. Returns what broke, or "".
std::string checkCoordination(uint64_t seed) {
  Rng rng(seed);
  CoordinationConfig cfg;
  cfg.name = "zk";
  cfg.servers = rng.below(2) ? 5 : 3;
  cfg.tick = millis(500) * int64_t(1 + rng.below(4));
  cfg.sessionTimeout = cfg.tick * int64_t(2 + rng.below(6));
  cfg.syncLimit = 2 + unsigned(rng.below(4));
  cfg.elections.push_back({"e", "/election/e", rng.below(4) == 0});
  cfg.services.push_back({"s", "/services/s"});
  SimScheduler sched;
  Coordination c(cfg, sched, Timer{1, 0, 0});
  std::vector<CoordEvent> out;
  c.start(out);
  unsigned n = 3 + unsigned(rng.below(3));
  for (unsigned i = 0; i < n; ++i) {
    c.addMember("m" + std::to_string(i), {0}, {0});
    c.memberUp(i, out);
  }
  Duration timeout = c.negotiatedTimeout();
  // How long a leader may be missing after the last fault: the ensemble
  // noticing a silent leader and electing one, every session renewed, the
  // dead leader's session expiring on the next tick, a reconnection.
  Duration bound = Duration(cfg.syncLimit) * cfg.tick + c.ensemble().electionDuration() +
                   timeout + cfg.tick + cfg.reconnectDelay + 20 * cfg.opLatency;
  Instant lastFault = 0;
  std::string failure;
  auto fail = [&](const std::string &what) {
    if (failure.empty())
      failure = what + " at " + std::to_string(sched.now()) + "us";
  };
  auto check = [&] {
    Instant now = sched.now();
    if (c.leaderCount(0) > 1)
      fail("two members act as leader");
    if (c.leaderServer() >= 0)
      for (zk::SessionId s : c.znodes().sessions()) {
        Instant since = c.silentSince(s);
        if (since != Never && now > since + timeout + cfg.tick && !c.znodes().ephemerals(s).empty())
          fail("an ephemeral znode outlived its session");
      }
    bool someoneUp = false;
    for (uint32_t m = 0; m < n; ++m)
      someoneUp |= c.memberIsUp(m) && !c.memberIsPaused(m);
    if (c.hasQuorum() && someoneUp && now > lastFault + bound && c.leader(0) < 0)
      fail("no leader " + std::to_string(now - lastFault) + "us after the last fault");
  };
  auto runUntil = [&](Instant until) {
    Timer t;
    while (sched.pop(until, t)) {
      c.onTimer(t, out);
      check();
    }
    check();
  };
  // The five required faults in a random order, then random ones.
  std::vector<unsigned> faults = {0, 1, 2, 3, 4};
  for (size_t i = faults.size(); i > 1; --i)
    std::swap(faults[i - 1], faults[rng.below(i)]);
  for (unsigned extra = unsigned(rng.below(6)); extra; --extra)
    faults.push_back(unsigned(rng.below(5)));
  std::vector<uint32_t> paused;
  for (unsigned f : faults) {
    runUntil(sched.now() + millis(int64_t(rng.below(20000))));
    uint32_t m = uint32_t(rng.below(n));
    // Strike the leader half the time.
    if (c.leader(0) >= 0 && rng.below(2))
      m = uint32_t(c.leader(0));
    lastFault = sched.now();
    switch (f) {
    case 0: // A crash.
      c.memberDown(m, rng.below(4) == 0, out);
      break;
    case 1: // A pause past the session timeout.
      c.memberPause(m, out);
      check();
      runUntil(sched.now() + timeout + millis(int64_t(rng.below(4000))));
      c.memberResume(m, out);
      break;
    case 2: { // A server lost (its process, or silently its machine), back later.
      unsigned s = unsigned(rng.below(cfg.servers));
      if (rng.below(2) && c.leaderServer() >= 0)
        s = unsigned(c.leaderServer());
      c.serverDown(s, rng.below(2), out);
      check();
      runUntil(sched.now() + millis(int64_t(rng.below(15000))));
      c.serverUp(s, out);
      break;
    }
    case 3: { // The quorum lost and back.
      std::vector<unsigned> down;
      for (unsigned s = 0; s <= cfg.servers / 2; ++s)
        down.push_back(unsigned((s + rng.below(cfg.servers)) % cfg.servers));
      for (unsigned s : down)
        c.serverDown(s, false, out);
      check();
      runUntil(sched.now() + millis(int64_t(rng.below(20000))));
      for (unsigned s : down)
        c.serverUp(s, out);
      break;
    }
    case 4: // A restart: every member that is down comes back.
      for (uint32_t k = 0; k < n; ++k)
        c.memberUp(k, out);
      break;
    }
    lastFault = sched.now();
    check();
    out.clear();
  }
  // Everyone back, then quiet: a leader must come.
  for (uint32_t k = 0; k < n; ++k)
    c.memberUp(k, out);
  for (unsigned s = 0; s < cfg.servers; ++s)
    c.serverUp(s, out);
  lastFault = sched.now();
  runUntil(lastFault + bound + seconds(1));
  if (failure.empty() && c.leader(0) < 0)
    fail("no leader at the end");
  return failure;
}

TEST(PropertyTest, CoordinationUnderFaults) {
  std::vector<uint64_t> seeds;
  if (std::ifstream in(RegressionFile); in)
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#')
        seeds.push_back(std::strtoull(line.c_str(), nullptr, 10));
  size_t replayed = seeds.size();
  for (uint64_t s = 1; s <= coordSeeds(); ++s)
    seeds.push_back(s);
  unsigned failures = 0;
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::string what = checkCoordination(seeds[i]);
    if (what.empty())
      continue;
    ADD_FAILURE() << "coordination seed " << seeds[i] << ": " << what;
    if (i >= replayed && failures++ < 10)
      std::ofstream(RegressionFile, std::ios::app) << seeds[i] << " # " << what << "\n";
  }
}

} // namespace

//===- ClustersTest.cpp - EMR nodes, the ensemble and its elections -------===//

#include "Controllers/Controllers.h"
#include "Coord/Coord.h"
#include "RuntimeTestSupport.h"

#include <gtest/gtest.h>

using namespace infrac::runtime;

namespace {

using EmrEvents = std::vector<EmrEvent>;
using Notes = std::vector<CoordEvent>;

/// The events of kind `k` for member `m` (any member if NoIndex), as
/// "path>other" strings.
std::vector<std::string> of(const Notes &n, CoordEvent::Kind k, uint32_t m = ~0u) {
  std::vector<std::string> out;
  for (const CoordEvent &e : n)
    if (e.kind == k && (m == ~0u || e.member == m))
      out.push_back(e.path + (e.other.empty() ? "" : ">" + e.other));
  return out;
}
using Paths = std::vector<std::string>;

EmrConfig emr(unsigned primaries, unsigned core, unsigned task) {
  EmrConfig c;
  c.name = "analytics";
  c.groups.push_back({"primary", NodeRole::Primary, primaries, false});
  c.groups.push_back({"core", NodeRole::Core, core, false});
  c.groups.push_back({"spot", NodeRole::Task, task, true});
  return c;
}

TEST(EmrClusterTest, RolesAndReplicationDefaults) {
  EXPECT_EQ(EmrCluster(emr(1, 3, 2)).replication(), 1u);
  EXPECT_EQ(EmrCluster(emr(1, 4, 2)).replication(), 2u);
  EXPECT_EQ(EmrCluster(emr(1, 10, 2)).replication(), 3u);
  EmrConfig c = emr(1, 4, 2);
  c.replication = 3;
  EmrCluster x(c);
  EXPECT_EQ(x.replication(), 3u);
  EXPECT_EQ(x.nodes().size(), 7u);
  EXPECT_EQ(x.nodesOf(2), (std::vector<size_t>{5, 6}));
  EmrEvents out;
  x.start(0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, EmrEvent::Up);
  EXPECT_EQ(x.nodeName(5), "spot[0]");
}

TEST(EmrClusterTest, LosingTaskNodesKeepsHdfsLosingCoreRisksIt) {
  EmrCluster c(emr(1, 4, 2));
  EmrEvents out;
  c.onSpotNotice(seconds(10), 5, out);
  EXPECT_TRUE(c.nodes()[5].decommissioned);
  c.onNodeLost(seconds(130), 5, "interrupted", out);
  EXPECT_EQ(c.running(2), 1u);
  EXPECT_FALSE(c.hdfsAtRisk());
  c.onNodeLost(seconds(140), 1, "killed", out);
  EXPECT_TRUE(c.hdfsAtRisk());
  EXPECT_EQ(c.running(1), 3u);
  ASSERT_EQ(out.back().kind, EmrEvent::NodeLost);
  EXPECT_EQ(out.back().node, 1u);
  EXPECT_EQ(out.back().cause, "killed");
  EXPECT_EQ(out.back().left, 3u);
  EXPECT_EQ(out.back().coreLost, 1u);
  c.onNodeLost(seconds(150), 2, "killed", out);
  EXPECT_EQ(out.back().coreLost, 2u) << "as many as the replication: blocks may be lost";
  EXPECT_FALSE(c.failed());
}

TEST(EmrClusterTest, PrimaryLossFailsTheClusterUnlessHighlyAvailable) {
  EmrCluster one(emr(1, 2, 0));
  EmrEvents out;
  one.onNodeLost(0, 0, "killed", out);
  EXPECT_TRUE(one.failed());
  EmrCluster three(emr(3, 2, 0));
  three.onNodeLost(0, 0, "killed", out);
  EXPECT_FALSE(three.failed()) << "two of three primaries remain";
  three.onNodeLost(0, 1, "killed", out);
  EXPECT_TRUE(three.failed());
}

CoordinationConfig ensemble(bool herd = false) {
  CoordinationConfig c;
  c.name = "zk";
  c.servers = 3;
  c.tick = seconds(2);
  c.sessionTimeout = seconds(6);
  c.elections.push_back({"scheduler", "/election/scheduler", herd});
  c.services.push_back({"workers", "/services/workers"});
  return c;
}

/// An ensemble on a simulated scheduler, with members w1, w2, ... that run
/// in the election and register in the service.
struct Election {
  SimScheduler sched;
  Coordination c;
  Notes out;
  std::vector<uint32_t> m;
  explicit Election(unsigned members = 3, bool herd = false)
      : c(ensemble(herd), sched, Timer{1, 0, 0}) {
    c.start(out);
    for (unsigned i = 0; i < members; ++i) {
      m.push_back(c.addMember("w" + std::to_string(i + 1), {0}, {0}));
      c.memberUp(m.back(), out);
    }
    runUntil(seconds(1));
  }
  /// Delivers the ensemble's timers up to `until`; the clock ends there.
  void runUntil(Instant until) {
    Timer t;
    while (sched.pop(until, t))
      c.onTimer(t, out);
  }
};

TEST(CoordinationTest, TimeoutsAreNegotiatedIntoTwoToTwentyTicks) {
  SimScheduler s;
  CoordinationConfig c = ensemble();
  c.sessionTimeout = seconds(1);
  EXPECT_EQ(Coordination(c, s, {}).negotiatedTimeout(), seconds(4));
  c.sessionTimeout = seconds(60);
  EXPECT_EQ(Coordination(c, s, {}).negotiatedTimeout(), seconds(40));
  c.sessionTimeout = seconds(6);
  EXPECT_EQ(Coordination(c, s, {}).negotiatedTimeout(), seconds(6));
}

TEST(CoordinationTest, LowestSequenceLeadsOthersWatchTheirPredecessor) {
  Election e;
  EXPECT_EQ(e.c.leader(0), int(e.m[0]));
  EXPECT_EQ(e.c.registered(0), 3u);
  EXPECT_EQ(of(e.out, CoordEvent::Created, e.m[0]), Paths{"/election/scheduler/w1-0000000000"});
  EXPECT_EQ(of(e.out, CoordEvent::Follows, e.m[1]),
            Paths{"/election/scheduler/w2-0000000001>/election/scheduler/w1-0000000000"});
  EXPECT_EQ(of(e.out, CoordEvent::Follows, e.m[2]),
            Paths{"/election/scheduler/w3-0000000002>/election/scheduler/w2-0000000001"});
  EXPECT_EQ(of(e.out, CoordEvent::Registered, e.m[2]), Paths{"/services/workers/w3"});
  EXPECT_EQ(e.c.leaderChanges(0), 0u);
}

TEST(CoordinationTest, CrashedLeaderIsReplacedWhenItsSessionExpires) {
  Election e;
  e.runUntil(seconds(30));
  uint64_t told = e.c.notifications();
  e.c.memberDown(e.m[0], false, e.out);
  EXPECT_EQ(e.c.leader(0), -1) << "a dead process leads nothing";
  // Its last heartbeat at 30 s: due at 36 s, expired on the tick boundary
  // after it (ExpiryQueue.roundToNextInterval).
  e.runUntil(seconds(38) - 1);
  EXPECT_EQ(e.c.registered(0), 3u);
  e.runUntil(seconds(40));
  EXPECT_EQ(e.c.leader(0), int(e.m[1]));
  EXPECT_EQ(e.c.leaderChanges(0), 1u);
  EXPECT_EQ(e.c.registered(0), 2u);
  EXPECT_EQ(e.c.notifications() - told, 1u) << "only the successor is told, no herd";
  // The old leader comes back as a follower, with a larger number.
  e.out.clear();
  e.runUntil(seconds(50));
  e.c.memberUp(e.m[0], e.out);
  e.runUntil(seconds(51));
  EXPECT_EQ(e.c.leader(0), int(e.m[1]));
  EXPECT_EQ(of(e.out, CoordEvent::Follows, e.m[0]),
            Paths{"/election/scheduler/w1-0000000003>/election/scheduler/w3-0000000002"});
}

TEST(CoordinationTest, ClosingASessionHandsOverAtOnce) {
  Election e;
  e.runUntil(seconds(10));
  e.c.memberDown(e.m[0], true, e.out);
  e.runUntil(seconds(10) + millis(100));
  EXPECT_EQ(e.c.leader(0), int(e.m[1]));
}

TEST(CoordinationTest, HerdRecipeWakesEveryCandidate) {
  Election e(4, true);
  e.runUntil(seconds(10));
  uint64_t told = e.c.notifications();
  e.c.memberDown(e.m[0], true, e.out);
  e.runUntil(seconds(11));
  EXPECT_EQ(e.c.leader(0), int(e.m[1]));
  EXPECT_EQ(e.c.notifications() - told, 3u) << "every other candidate wakes up";
}

TEST(CoordinationTest, ServerLossSuspendsItsClientsQuorumLossStopsEverything) {
  Election e;
  // The leader, member 0, is connected to server 0.
  e.runUntil(seconds(10));
  e.out.clear();
  e.c.serverDown(0, false, e.out);
  EXPECT_TRUE(e.c.hasQuorum());
  EXPECT_EQ(e.c.leader(0), -1) << "SUSPENDED: it gives up leadership";
  EXPECT_EQ(of(e.out, CoordEvent::Suspended, e.m[0]).size(), 1u);
  e.runUntil(seconds(12));
  // Curator's LeaderLatch on RECONNECTED lists the children again: its
  // znode is still the lowest, so it leads again.
  EXPECT_EQ(e.c.leader(0), int(e.m[0]));
  EXPECT_EQ(e.c.leaderChanges(0), 0u);
  // Losing the ensemble's leader as well: no quorum.
  EXPECT_EQ(e.c.leaderServer(), 2);
  e.runUntil(seconds(20));
  e.c.serverDown(2, false, e.out);
  EXPECT_FALSE(e.c.hasQuorum());
  EXPECT_EQ(e.c.leaderServer(), -1);
  EXPECT_EQ(e.c.leader(0), -1);
  e.runUntil(seconds(60));
  EXPECT_EQ(e.c.registered(0), 3u) << "without a leader no session expires";
  e.c.serverUp(0, e.out);
  e.runUntil(seconds(62));
  EXPECT_EQ(e.c.leaderServer(), 1);
  EXPECT_EQ(e.c.serverLeaderChanges(), 1u);
  EXPECT_EQ(e.c.leader(0), int(e.m[0]));
}

TEST(CoordinationTest, ANewServerLeaderTakesAnElectionAndASync) {
  // A killed leader's sockets close: the followers go LOOKING at once, settle
  // after finalizeWait, retry the learner connection once and sync.
  Election e;
  e.runUntil(seconds(10));
  e.c.serverDown(2, false, e.out);
  Duration election = e.c.ensemble().electionDuration();
  EXPECT_EQ(election, millis(400));
  e.runUntil(seconds(10) + election - 1);
  EXPECT_EQ(e.c.leaderServer(), -1);
  e.runUntil(seconds(10) + election);
  EXPECT_EQ(e.c.leaderServer(), 1);
  // A leader whose machine goes silent is noticed only after syncLimit
  // ticks (5 x 2 s); until then its followers keep their clients.
  e.runUntil(seconds(30));
  e.c.serverUp(2, e.out);
  e.runUntil(seconds(40));
  e.c.serverDown(1, true, e.out);
  e.runUntil(seconds(50) - 1);
  EXPECT_EQ(e.c.leaderServer(), -1);
  EXPECT_EQ(e.c.leader(0), int(e.m[0])) << "its server has not noticed yet";
  e.runUntil(seconds(50));
  EXPECT_EQ(e.c.leader(0), -1) << "the followers went LOOKING and dropped their clients";
  e.runUntil(seconds(50) + election);
  EXPECT_EQ(e.c.leaderServer(), 2);
  e.runUntil(seconds(51));
  EXPECT_EQ(e.c.leader(0), int(e.m[0]));
}

TEST(CoordinationTest, AClientAwayLongerThanItsSessionStartsOver) {
  Election e;
  e.runUntil(seconds(10));
  e.c.serverDown(0, false, e.out);
  e.c.serverDown(1, false, e.out); // No quorum.
  e.runUntil(seconds(11));
  e.c.serverUp(1, e.out); // Quorum again: timers restart.
  e.runUntil(seconds(20));
  EXPECT_EQ(e.c.leader(0), int(e.m[0]));
  EXPECT_EQ(e.c.registered(0), 3u);
}

TEST(CoordinationTest, APausedLeaderStopsLeadingWhenItResumes) {
  Election e;
  e.runUntil(seconds(10));
  e.c.memberPause(e.m[0], e.out);
  EXPECT_EQ(e.c.leader(0), -1) << "a frozen process acts as nothing";
  e.runUntil(seconds(19));
  EXPECT_EQ(e.c.leader(0), int(e.m[1])) << "its session expired at 18 s";
  e.out.clear();
  e.c.memberResume(e.m[0], e.out);
  EXPECT_EQ(e.c.leaderCount(0), 1u) << "it gives up before acting";
  EXPECT_EQ(of(e.out, CoordEvent::Suspended, e.m[0]).size(), 1u);
  e.runUntil(seconds(20));
  EXPECT_EQ(of(e.out, CoordEvent::SessionLost, e.m[0]).size(), 1u);
  EXPECT_EQ(e.c.leader(0), int(e.m[1]));
  EXPECT_EQ(of(e.out, CoordEvent::Follows, e.m[0]),
            Paths{"/election/scheduler/w1-0000000003>/election/scheduler/w3-0000000002"});
}

//===----------------------------------------------------------------------===//
// Whole simulations
//===----------------------------------------------------------------------===//

std::string verdicts(const infrac::test::SimRun &r) {
  std::string s = r.diagnostics;
  for (const Verdict &v : r.result.verdicts)
    s += std::string(v.kind == Verdict::Pass ? "PASS " : "FAIL ") + v.expectation + ": " +
         v.detail + "\n";
  return s;
}

bool allPass(const infrac::test::SimRun &r) {
  if (!r.built || r.result.verdicts.empty())
    return false;
  for (const Verdict &v : r.result.verdicts)
    if (v.kind != Verdict::Pass)
      return false;
  return true;
}

const char *const Network = R"(
vpc v { cidr = "10.0.0.0/16" }
subnet a { vpc = v; zone = "z-a"; cidr = "10.0.1.0/24" }
subnet b { vpc = v; zone = "z-b"; cidr = "10.0.2.0/24" }
)";

TEST(ClustersSimTest, ACountOfMembersRunsInItsElection) {
  infrac::test::SimRun r = infrac::test::simulateText(std::string(Network) + R"(
coordination zk {
  ensemble = 3
  subnets = [a]
  election jobs { path = "/election/jobs"; members = 3 }
}
scenario count {
  at 10s { kill = zk.jobs.leader }
  expect leader(zk.jobs) within 1s after 0s
  expect leader(zk.jobs) within 12s after 10s
  expect leader_changes(zk.jobs) == 1 after 20s
}
)",
                                                      "count");
  EXPECT_TRUE(allPass(r)) << verdicts(r) << r.timeline;
}

std::string emrCluster(unsigned primaries) {
  return std::string(Network) + R"(
emr_cluster x {
  release = "emr-6.15.0"
  applications = [hadoop, spark]
  subnet = a
  log_uri = "s3://x-logs/"
  primary { instance_type = "m5.xlarge"; count = )" +
         std::to_string(primaries) + R"( }
  core { instance_type = "r5.2xlarge"; count = 4 }
  task t { instance_type = "c5.2xlarge"; count = 2; market = spot }
}
)";
}

TEST(ClustersSimTest, LosingTheSinglePrimaryTerminatesTheCluster) {
  infrac::test::SimRun r = infrac::test::simulateText(emrCluster(1) + R"(
scenario lose_primary {
  at 10s { kill = x.primary.nodes[0] }
  expect cluster_state(x) == waiting within 1s after 5s
  expect cluster_state(x) == terminated_with_errors after 11s
  expect running(x.core) == 0 after 11s
  expect running(x.t) == 0 after 11s
}
)",
                                                      "lose_primary");
  EXPECT_TRUE(allPass(r)) << verdicts(r) << r.timeline;
}

TEST(ClustersSimTest, WithThreePrimariesAStandbyTakesOver) {
  infrac::test::SimRun r = infrac::test::simulateText(emrCluster(3) + R"(
scenario lose_primary {
  at 10s { kill = x.primary.nodes[0] }
  expect cluster_state(x) == waiting after 11s
  expect running(x.primary) == 2 after 11s
  expect running(x.core) == 4 after 11s
}
)",
                                                      "lose_primary");
  EXPECT_TRUE(allPass(r)) << verdicts(r) << r.timeline;
  EXPECT_NE(r.timeline.find("primary[1] is the active primary now"), std::string::npos)
      << r.timeline;
}

TEST(ClustersSimTest, ExactlyOneLeaderAndRegistered) {
  infrac::test::SimRun r = infrac::test::simulateText(emrCluster(1) + R"(
coordination zk {
  ensemble = 3
  subnets = [a]
  election jobs { path = "/election/jobs"; members = 3 }
  service data { path = "/services/data"; members = x.core }
}
scenario s {
  at 10s { kill = [zk.jobs.leader, x.core.nodes[0]] }
  expect exactly_one_leader(zk.jobs) within 1s after 1s
  expect registered(zk.data) == 4 within 1s after 1s
  expect exactly_one_leader(zk.jobs) within 12s after 10s
  expect registered(zk.data) == 3 within 12s after 10s
}
)",
                                                      "s");
  EXPECT_TRUE(allPass(r)) << verdicts(r) << r.timeline;
}

TEST(ClustersSimTest, LosingAZoneReachesEmrNodesAndEnsembleServers) {
  infrac::test::SimRun r = infrac::test::simulateText(emrCluster(1) + R"(
coordination zk {
  ensemble = 3
  tick = 2s
  sync_limit = 5
  subnets = [b, b, a]
  election jobs { path = "/election/jobs"; members = 3 }
}
scenario s {
  at 10s { lose_zone = "z-a" }
  expect running(x.core) == 0 after 11s
  expect cluster_state(x) == terminated_with_errors after 11s
  expect leader_changes(zk) == 1 within 11s after 10s
  expect leader(zk.jobs) within 12s after 10s
}
)",
                                                      "s");
  EXPECT_TRUE(allPass(r)) << verdicts(r) << r.timeline;
  // Server 2 (the leader, in z-a) went silent: the followers notice after
  // syncLimit ticks (10 s), elect and sync (0.4 s).
  EXPECT_NE(r.timeline.find("20.400s  zk          server 1 leads the ensemble"), std::string::npos)
      << r.timeline;
}

} // namespace

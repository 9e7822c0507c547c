//===- ClustersTest.cpp - EMR nodes, the ensemble and its elections -------===//

#include "Controllers/Controllers.h"
#include "Coord/Coord.h"

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

/// Runs the ensemble's wake-ups up to `until`.
void runUntil(Coordination &c, Instant until, Notes &out) {
  for (Instant t = c.nextWakeup(); t <= until; t = c.nextWakeup())
    c.onWake(t, out);
}

struct Election {
  Coordination c{ensemble()};
  Notes out;
  std::vector<uint32_t> m;
  explicit Election(unsigned members = 3, bool herd = false) : c(ensemble(herd)) {
    c.start(0, out);
    for (unsigned i = 0; i < members; ++i) {
      m.push_back(c.addMember("w" + std::to_string(i + 1), {0}, {0}));
      c.memberUp(0, m.back(), out);
    }
    runUntil(c, seconds(1), out);
  }
};

TEST(CoordinationTest, TimeoutsAreNegotiatedIntoTwoToTwentyTicks) {
  CoordinationConfig c = ensemble();
  c.sessionTimeout = seconds(1);
  EXPECT_EQ(Coordination(c).negotiatedTimeout(), seconds(4));
  c.sessionTimeout = seconds(60);
  EXPECT_EQ(Coordination(c).negotiatedTimeout(), seconds(40));
  c.sessionTimeout = seconds(6);
  EXPECT_EQ(Coordination(c).negotiatedTimeout(), seconds(6));
}

TEST(CoordinationTest, LowestSequenceLeadsOthersWatchTheirPredecessor) {
  Election e;
  EXPECT_EQ(e.c.leader(0), int(e.m[0]));
  EXPECT_EQ(e.c.registered(0), 3u);
  EXPECT_EQ(of(e.out, CoordEvent::Created, e.m[0]), Paths{"/election/scheduler/n_0000000000"});
  EXPECT_EQ(of(e.out, CoordEvent::Follows, e.m[1]),
            Paths{"/election/scheduler/n_0000000001>/election/scheduler/n_0000000000"});
  EXPECT_EQ(of(e.out, CoordEvent::Follows, e.m[2]),
            Paths{"/election/scheduler/n_0000000002>/election/scheduler/n_0000000001"});
  EXPECT_EQ(e.c.leaderChanges(0), 0u);
}

TEST(CoordinationTest, CrashedLeaderIsReplacedWhenItsSessionExpires) {
  Election e;
  e.out.clear();
  e.c.memberDown(seconds(30), e.m[0], false, e.out);
  EXPECT_EQ(e.c.leader(0), -1) << "a dead process leads nothing";
  EXPECT_EQ(e.c.nextWakeup(), seconds(36)) << "30 s + 6 s, on a tick";
  runUntil(e.c, seconds(40), e.out);
  EXPECT_EQ(e.c.leader(0), int(e.m[1]));
  EXPECT_EQ(e.c.leaderChanges(0), 1u);
  EXPECT_EQ(e.c.registered(0), 2u);
  EXPECT_EQ(e.c.notifications(), 1u) << "only the successor is told, no herd";
  // The old leader comes back as a follower.
  e.out.clear();
  e.c.memberUp(seconds(50), e.m[0], e.out);
  runUntil(e.c, seconds(51), e.out);
  EXPECT_EQ(e.c.leader(0), int(e.m[1]));
  EXPECT_EQ(of(e.out, CoordEvent::Follows, e.m[0]),
            Paths{"/election/scheduler/n_0000000003>/election/scheduler/n_0000000002"});
  // An expiry that lands off a tick is checked on the next one.
  e.c.memberDown(seconds(61), e.m[1], false, e.out);
  EXPECT_EQ(e.c.nextWakeup(), seconds(68));
}

TEST(CoordinationTest, ClosingASessionHandsOverAtOnce) {
  Election e;
  e.c.memberDown(seconds(10), e.m[0], true, e.out);
  runUntil(e.c, seconds(10) + millis(100), e.out);
  EXPECT_EQ(e.c.leader(0), int(e.m[1]));
}

TEST(CoordinationTest, HerdRecipeWakesEveryCandidate) {
  Election e(4, true);
  e.c.memberDown(seconds(10), e.m[0], true, e.out);
  runUntil(e.c, seconds(11), e.out);
  EXPECT_EQ(e.c.leader(0), int(e.m[1]));
  EXPECT_EQ(e.c.notifications(), 3u) << "every other candidate wakes up";
}

TEST(CoordinationTest, ServerLossSuspendsItsClientsQuorumLossStopsEverything) {
  Election e;
  // The leader member 0 is connected to server 0.
  e.out.clear();
  e.c.serverDown(seconds(10), 0, e.out);
  EXPECT_TRUE(e.c.hasQuorum());
  EXPECT_EQ(e.c.leader(0), -1) << "SUSPENDED: it gives up leadership";
  EXPECT_EQ(of(e.out, CoordEvent::Suspended, e.m[0]).size(), 1u);
  runUntil(e.c, seconds(12), e.out);
  EXPECT_EQ(e.c.leader(0), int(e.m[0])) << "reconnected, its znode is still the lowest";
  EXPECT_EQ(e.c.leaderChanges(0), 0u);
  // Losing the ensemble's leader: a new one is elected.
  EXPECT_EQ(e.c.leaderServer(), 2);
  e.c.serverDown(seconds(20), 2, e.out);
  EXPECT_FALSE(e.c.hasQuorum());
  EXPECT_EQ(e.c.leaderServer(), -1);
  EXPECT_EQ(e.c.leader(0), -1);
  runUntil(e.c, seconds(60), e.out);
  EXPECT_EQ(e.c.registered(0), 3u) << "without a leader no session expires";
  e.c.serverUp(seconds(60), 0, e.out);
  runUntil(e.c, seconds(62), e.out);
  EXPECT_EQ(e.c.leaderServer(), 1);
  EXPECT_EQ(e.c.serverLeaderChanges(), 1u);
  EXPECT_EQ(e.c.leader(0), int(e.m[0]));
}

TEST(CoordinationTest, AClientAwayLongerThanItsSessionStartsOver) {
  Election e;
  e.c.serverDown(seconds(10), 0, e.out);
  e.c.serverDown(seconds(10), 1, e.out); // No quorum.
  e.c.serverUp(seconds(11), 1, e.out);   // Quorum again: timers restart.
  runUntil(e.c, seconds(20), e.out);
  EXPECT_EQ(e.c.leader(0), int(e.m[0]));
  EXPECT_EQ(e.c.registered(0), 3u);
}

TEST(PropertyTest, OneLeaderAtATime) {
  unsigned seedsWithLeaders = 0, handovers = 0;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    Rng rng(seed);
    Coordination c(ensemble(rng.below(2)));
    Notes out;
    c.start(0, out);
    std::vector<uint32_t> m;
    for (unsigned i = 0; i < 5; ++i) {
      m.push_back(c.addMember("w" + std::to_string(i), {0}, {}));
      c.memberUp(0, m.back(), out);
    }
    Instant now = 0;
    bool sawLeader = false;
    for (int step = 0; step < 120; ++step) {
      Instant next = now + millis(int64_t(rng.below(4000)));
      // Check after every wake-up, not only between the random events.
      for (Instant t = c.nextWakeup(); t <= next; t = c.nextWakeup()) {
        c.onWake(t, out);
        ASSERT_LE(c.leaderCount(0), 1u) << "seed " << seed << " at " << t;
      }
      now = next;
      switch (rng.below(6)) {
      case 0: c.memberDown(now, m[rng.below(m.size())], rng.below(2), out); break;
      case 1: c.memberUp(now, m[rng.below(m.size())], out); break;
      case 2: c.serverDown(now, unsigned(rng.below(3)), out); break;
      case 3: c.serverUp(now, unsigned(rng.below(3)), out); break;
      default: break;
      }
      ASSERT_LE(c.leaderCount(0), 1u) << "seed " << seed;
      sawLeader |= c.leader(0) >= 0;
      out.clear();
    }
    seedsWithLeaders += sawLeader;
    handovers += c.leaderChanges(0);
  }
  EXPECT_GT(seedsWithLeaders, 900u);
  EXPECT_GT(handovers, 1000u);
}

} // namespace

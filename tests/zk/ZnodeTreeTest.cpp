//===- ZnodeTreeTest.cpp - The znode tree with hand-made instants --------===//
#include "Coord/Ensemble.h"
#include "Coord/ZnodeTree.h"

#include <gtest/gtest.h>

using namespace infrac::runtime;
using namespace infrac::runtime::zk;

namespace {

ZnodeTree::Options opts(Duration tick = millis(200)) {
  ZnodeTree::Options o;
  o.tick = tick;
  o.epochMillis = 1700000000000;
  return o;
}

TEST(ZnodeTree, RootHoldsTheSystemNodes) {
  ZnodeTree t(opts());
  ChildrenResult r = t.getChildren(0, 0, "/");
  ASSERT_EQ(r.err, Error::Ok);
  EXPECT_EQ(r.children, std::vector<std::string>{"zookeeper"});
  EXPECT_EQ(t.getChildren(0, 0, "/zookeeper").children,
            (std::vector<std::string>{"config", "quota"}));
}

TEST(ZnodeTree, CreateGetSetDeleteWithStat) {
  ZnodeTree t(opts());
  const Session &s = t.createSession(0, seconds(1));
  SessionId sid = s.id;
  int64_t z0 = t.lastZxid();
  CreateResult c = t.create(millis(5), sid, "/a", "one", CreateMode::Persistent);
  ASSERT_EQ(c.err, Error::Ok);
  EXPECT_EQ(c.path, "/a");
  EXPECT_EQ(c.stat.czxid, z0 + 1);
  EXPECT_EQ(c.stat.mzxid, z0 + 1);
  EXPECT_EQ(c.stat.pzxid, z0 + 1);
  EXPECT_EQ(c.stat.ctime, 1700000000005);
  EXPECT_EQ(c.stat.version, 0);
  EXPECT_EQ(c.stat.dataLength, 3);
  EXPECT_EQ(c.stat.ephemeralOwner, 0);

  DataResult d = t.getData(millis(6), sid, "/a");
  EXPECT_EQ(d.data, "one");
  EXPECT_TRUE(d.stat == c.stat);

  StatResult st = t.setData(millis(7), sid, "/a", "two!", 0);
  ASSERT_EQ(st.err, Error::Ok);
  EXPECT_EQ(st.stat.version, 1);
  EXPECT_EQ(st.stat.mzxid, z0 + 2);
  EXPECT_EQ(st.stat.czxid, z0 + 1);
  EXPECT_EQ(st.stat.mtime, 1700000000007);
  EXPECT_EQ(st.stat.dataLength, 4);
  EXPECT_EQ(t.setData(millis(8), sid, "/a", "x", 0).err, Error::BadVersion);
  EXPECT_EQ(t.setData(millis(8), sid, "/a", "x", -1).stat.version, 2);

  EXPECT_EQ(t.remove(millis(9), sid, "/a", 1), Error::BadVersion);
  EXPECT_EQ(t.remove(millis(9), sid, "/a", 2), Error::Ok);
  EXPECT_EQ(t.exists(millis(9), sid, "/a").err, Error::NoNode);
}

TEST(ZnodeTree, ErrorCodesOfKeeperException) {
  ZnodeTree t(opts());
  SessionId sid = t.createSession(0, seconds(1)).id;
  EXPECT_EQ(t.create(0, sid, "/a/b", "", CreateMode::Persistent).err, Error::NoNode);
  EXPECT_EQ(t.create(0, sid, "/a", "", CreateMode::Persistent).err, Error::Ok);
  EXPECT_EQ(t.create(0, sid, "/a", "", CreateMode::Persistent).err, Error::NodeExists);
  EXPECT_EQ(t.create(0, sid, "/", "", CreateMode::Persistent).err, Error::NodeExists);
  EXPECT_EQ(t.create(0, sid, "/a/b", "", CreateMode::Persistent).err, Error::Ok);
  EXPECT_EQ(t.remove(0, sid, "/a", -1), Error::NotEmpty);
  EXPECT_EQ(t.remove(0, sid, "/nope", -1), Error::NoNode);
  EXPECT_EQ(t.remove(0, sid, "/", -1), Error::BadArguments);
  EXPECT_EQ(t.remove(0, sid, "/zookeeper", -1), Error::BadArguments);
  EXPECT_EQ(t.create(0, sid, "/e", "", CreateMode::Ephemeral).err, Error::Ok);
  EXPECT_EQ(t.create(0, sid, "/e/c", "", CreateMode::Persistent).err,
            Error::NoChildrenForEphemerals);
  for (const char *bad : {"", "a", "/a/", "//", "/a//b", "/a/./b", "/a/..", "/x\x01"})
    EXPECT_EQ(t.create(0, sid, bad, "", CreateMode::Persistent).err, Error::BadArguments)
        << bad;
  EXPECT_EQ(t.getData(0, sid, "/nope").err, Error::NoNode);
  EXPECT_EQ(t.getChildren(0, sid, "/nope").err, Error::NoNode);
  EXPECT_EQ(t.setData(0, sid, "/nope", "", -1).err, Error::NoNode);
  EXPECT_STREQ(errorName(Error::NoChildrenForEphemerals), "NOCHILDRENFOREPHEMERALS");
}

TEST(ZnodeTree, SequenceNumbersComeFromTheParentsCversion) {
  ZnodeTree t(opts());
  SessionId sid = t.createSession(0, seconds(1)).id;
  ASSERT_EQ(t.create(0, sid, "/el", "", CreateMode::Persistent).err, Error::Ok);
  CreateResult a = t.create(0, sid, "/el/n_", "", CreateMode::EphemeralSequential);
  CreateResult b = t.create(0, sid, "/el/n_", "", CreateMode::EphemeralSequential);
  EXPECT_EQ(a.path, "/el/n_0000000000");
  EXPECT_EQ(b.path, "/el/n_0000000001");
  EXPECT_EQ(t.remove(0, sid, a.path, -1), Error::Ok);
  // A delete counts in cversion but not in the sequence counter (as in
  // ZooKeeper 3.8, where DataNode reports 2 * created - numChildren).
  EXPECT_EQ(t.exists(0, sid, "/el").stat.cversion, 3);
  EXPECT_EQ(t.create(0, sid, "/el/n_", "", CreateMode::PersistentSequential).path,
            "/el/n_0000000002");
  EXPECT_EQ(t.create(0, sid, "/el/", "", CreateMode::PersistentSequential).path,
            "/el/0000000003");
  StatResult parent = t.exists(0, sid, "/el");
  EXPECT_EQ(parent.stat.cversion, 5);
  EXPECT_EQ(parent.stat.numChildren, 3);
  EXPECT_EQ(ZnodeTree::sequenceSuffix(42), "0000000042");
}

TEST(ZnodeTree, SessionTimeoutIsNegotiatedIntoTwoToTwentyTicks) {
  ZnodeTree t(opts(millis(200)));
  EXPECT_EQ(t.negotiate(millis(10)), millis(400));
  EXPECT_EQ(t.negotiate(millis(1000)), millis(1000));
  EXPECT_EQ(t.negotiate(seconds(60)), millis(4000));
  const Session &s = t.createSession(0, seconds(60));
  EXPECT_EQ(s.timeout, millis(4000));
  EXPECT_NE(s.id, 0);
  EXPECT_NE(s.password, (std::array<uint8_t, 16>{}));
}

TEST(ZnodeTree, SessionsExpireOnTickBoundariesAndTakeTheirEphemerals) {
  ZnodeTree t(opts(millis(200)));
  // Touched at 50 ms with a 400 ms timeout: due after 450 ms, expired at the
  // next tick boundary, 600 ms (ExpiryQueue.roundToNextInterval).
  SessionId sid = t.createSession(millis(50), millis(400)).id;
  SessionId other = t.createSession(millis(50), millis(4000)).id;
  ASSERT_EQ(t.create(millis(50), sid, "/eph", "", CreateMode::Ephemeral).err, Error::Ok);
  ASSERT_EQ(t.create(millis(50), sid, "/keep", "", CreateMode::Persistent).err, Error::Ok);
  EXPECT_EQ(t.exists(millis(50), other, "/eph", /*watch=*/7).err, Error::Ok);
  EXPECT_EQ(t.ephemerals(sid), std::vector<std::string>{"/eph"});
  EXPECT_EQ(t.nextExpiry(), millis(600));
  t.expire(millis(599));
  EXPECT_NE(t.session(sid), nullptr);
  t.takeEffects();
  t.expire(millis(600));
  EXPECT_EQ(t.session(sid), nullptr);
  Effects fx = t.takeEffects();
  EXPECT_EQ(fx.expiredSessions, std::vector<SessionId>{sid});
  EXPECT_EQ(fx.deletedEphemerals, std::vector<std::string>{"/eph"});
  ASSERT_EQ(fx.events.size(), 1u);
  EXPECT_EQ(fx.events[0], (WatchEvent{7, EventType::NodeDeleted, "/eph"}));
  EXPECT_EQ(t.exists(millis(600), other, "/keep").err, Error::Ok);
  EXPECT_EQ(t.exists(millis(600), other, "/eph").err, Error::NoNode);
  // The expired session can no longer do anything.
  EXPECT_EQ(t.getData(millis(601), sid, "/keep").err, Error::SessionExpired);
  EXPECT_FALSE(t.touch(millis(601), sid));
}

TEST(ZnodeTree, TrafficAndPingsKeepASessionAlive) {
  ZnodeTree t(opts(millis(200)));
  SessionId sid = t.createSession(0, millis(400)).id;
  for (Instant at = 0; at <= millis(3000); at += millis(150)) {
    t.expire(at);
    ASSERT_TRUE(t.touch(at, sid)) << at;
  }
  // Last touch at 3000: due after 3400, so the 3600 boundary expires it.
  EXPECT_EQ(t.nextExpiry(), millis(3600));
  t.expire(millis(3400));
  EXPECT_NE(t.session(sid), nullptr);
  t.expire(millis(3600));
  EXPECT_EQ(t.session(sid), nullptr);
}

TEST(ZnodeTree, OperationsNeedNotTouchTheirSession) {
  ZnodeTree::Options o = opts(millis(200));
  o.touchOnRequests = false;
  ZnodeTree t(o);
  SessionId sid = t.createSession(0, millis(400)).id;
  EXPECT_EQ(t.create(millis(300), sid, "/a", "", CreateMode::Persistent).err, Error::Ok);
  EXPECT_EQ(t.nextExpiry(), millis(600)); // still due from its creation
  t.expire(millis(600));
  EXPECT_EQ(t.getData(millis(601), sid, "/a").err, Error::SessionExpired);
}

TEST(ZnodeTree, ClosingASessionDeletesItsEphemeralsButIsNotAnExpiry) {
  ZnodeTree t(opts());
  SessionId a = t.createSession(0, seconds(1)).id;
  SessionId b = t.createSession(0, seconds(1)).id;
  ASSERT_EQ(t.create(0, 0, "/el", "", CreateMode::Persistent).err, Error::Ok);
  std::string mine = t.create(0, a, "/el/n_", "", CreateMode::EphemeralSequential).path;
  EXPECT_EQ(mine, "/el/n_0000000000");
  EXPECT_EQ(t.create(0, a, "/el/n_", "x", CreateMode::EphemeralSequential).stat.ephemeralOwner,
            a);
  ASSERT_EQ(t.getChildren(0, b, "/el", /*watch=*/99).children.size(), 2u);
  t.takeEffects();
  EXPECT_TRUE(t.closeSession(millis(1), a));
  EXPECT_FALSE(t.closeSession(millis(1), a));
  Effects fx = t.takeEffects();
  EXPECT_TRUE(fx.expiredSessions.empty());
  EXPECT_EQ(fx.deletedEphemerals,
            (std::vector<std::string>{"/el/n_0000000000", "/el/n_0000000001"}));
  // One-shot: the child watch fires once for the first deletion only.
  ASSERT_EQ(fx.events.size(), 1u);
  EXPECT_EQ(fx.events[0], (WatchEvent{99, EventType::NodeChildrenChanged, "/el"}));
  EXPECT_TRUE(t.getChildren(1, b, "/el").children.empty());
}

TEST(ZnodeTree, WatchesFireOnceInZooKeepersOrder) {
  ZnodeTree t(opts());
  SessionId s = t.createSession(0, seconds(1)).id;
  // exists on a missing node: NodeCreated, then the parent's child watch.
  EXPECT_EQ(t.exists(0, s, "/w", 1).err, Error::NoNode);
  EXPECT_EQ(t.getChildren(0, s, "/", 2).err, Error::Ok);
  ASSERT_EQ(t.create(0, s, "/w", "", CreateMode::Persistent).err, Error::Ok);
  Effects fx = t.takeEffects();
  ASSERT_EQ(fx.events.size(), 2u);
  EXPECT_EQ(fx.events[0], (WatchEvent{1, EventType::NodeCreated, "/w"}));
  EXPECT_EQ(fx.events[1], (WatchEvent{2, EventType::NodeChildrenChanged, "/"}));

  // getData watch: NodeDataChanged once; a second set fires nothing.
  ASSERT_EQ(t.getData(0, s, "/w", 3).err, Error::Ok);
  t.setData(0, s, "/w", "a", -1);
  t.setData(0, s, "/w", "b", -1);
  fx = t.takeEffects();
  ASSERT_EQ(fx.events.size(), 1u);
  EXPECT_EQ(fx.events[0], (WatchEvent{3, EventType::NodeDataChanged, "/w"}));

  // getData on a missing node leaves no watch (DataTree.getData throws first).
  EXPECT_EQ(t.getData(0, s, "/missing", 4).err, Error::NoNode);
  t.create(0, s, "/missing", "", CreateMode::Persistent);
  EXPECT_TRUE(t.takeEffects().events.empty());

  // Delete: a watcher with a data and a child watch on the node gets one
  // NodeDeleted; the parent's child watchers get NodeChildrenChanged.
  t.getData(0, s, "/w", 5);
  t.getChildren(0, s, "/w", 5);
  t.getChildren(0, s, "/w", 6);
  t.exists(0, s, "/w", 7);
  t.getChildren(0, s, "/", 8);
  ASSERT_EQ(t.remove(0, s, "/w", -1), Error::Ok);
  fx = t.takeEffects();
  std::vector<WatchEvent> want = {{5, EventType::NodeDeleted, "/w"},
                                  {7, EventType::NodeDeleted, "/w"},
                                  {6, EventType::NodeDeleted, "/w"},
                                  {8, EventType::NodeChildrenChanged, "/"}};
  EXPECT_EQ(fx.events, want);
  EXPECT_EQ(t.watchCount(), 0u);
}

TEST(ZnodeTree, RemovingAWatcherDropsItsWatches) {
  ZnodeTree t(opts());
  t.create(0, 0, "/a", "", CreateMode::Persistent);
  t.getData(0, 0, "/a", 1);
  t.getChildren(0, 0, "/a", 1);
  t.exists(0, 0, "/b", 1);
  t.getData(0, 0, "/a", 2);
  EXPECT_EQ(t.watchCount(), 4u);
  t.removeWatcher(1);
  EXPECT_EQ(t.watchCount(), 1u);
  t.setData(0, 0, "/a", "x", -1);
  Effects fx = t.takeEffects();
  ASSERT_EQ(fx.events.size(), 1u);
  EXPECT_EQ(fx.events[0].watcher, 2u);
}

TEST(ZnodeTree, SetWatchesFiresWhatChangedWhileAway) {
  ZnodeTree t(opts());
  t.create(0, 0, "/same", "", CreateMode::Persistent);
  t.create(0, 0, "/changed", "", CreateMode::Persistent);
  t.create(0, 0, "/gone", "", CreateMode::Persistent);
  t.create(0, 0, "/kids", "", CreateMode::Persistent);
  int64_t seen = t.lastZxid();
  t.setData(0, 0, "/changed", "x", -1);
  t.remove(0, 0, "/gone", -1);
  t.create(0, 0, "/born", "", CreateMode::Persistent);
  t.create(0, 0, "/kids/k", "", CreateMode::Persistent);
  t.takeEffects();
  t.setWatches(0, 9, seen, {"/same", "/changed", "/gone"}, {"/born", "/unborn"},
               {"/kids", "/same"});
  Effects fx = t.takeEffects();
  std::vector<WatchEvent> want = {{9, EventType::NodeDataChanged, "/changed"},
                                  {9, EventType::NodeDeleted, "/gone"},
                                  {9, EventType::NodeCreated, "/born"},
                                  {9, EventType::NodeChildrenChanged, "/kids"}};
  EXPECT_EQ(fx.events, want);
  // /same (data and children) and /unborn stay registered.
  EXPECT_EQ(t.watchCount(), 3u);
  t.create(0, 0, "/unborn", "", CreateMode::Persistent);
  EXPECT_EQ(t.takeEffects().events,
            (std::vector<WatchEvent>{{9, EventType::NodeCreated, "/unborn"}}));
}

TEST(ZnodeTree, MultiIsAllOrNothing) {
  ZnodeTree t(opts());
  SessionId s = t.createSession(0, seconds(1)).id;
  t.create(0, s, "/m", "", CreateMode::Persistent);
  t.getChildren(0, s, "/m", 1);
  int64_t before = t.lastZxid();
  size_t nodes = t.nodeCount();
  MultiResult bad = t.multi(0, s,
                            {Op::create("/m/a", "", CreateMode::Ephemeral),
                             Op::setData("/m", "x", -1), Op::check("/m", 0),
                             Op::remove("/nope"), Op::create("/m/b", "", CreateMode::Persistent)});
  EXPECT_EQ(bad.err, Error::BadVersion);
  ASSERT_EQ(bad.results.size(), 5u);
  EXPECT_EQ(bad.results[0].err, Error::Ok);
  EXPECT_EQ(bad.results[1].err, Error::Ok);
  EXPECT_EQ(bad.results[2].err, Error::BadVersion);
  EXPECT_EQ(bad.results[3].err, Error::RuntimeInconsistency);
  EXPECT_EQ(bad.results[4].err, Error::RuntimeInconsistency);
  EXPECT_EQ(t.nodeCount(), nodes);
  EXPECT_EQ(t.exists(0, s, "/m").stat.version, 0);
  EXPECT_EQ(t.exists(0, s, "/m").stat.cversion, 0);
  EXPECT_TRUE(t.ephemerals(s).empty());
  EXPECT_TRUE(t.takeEffects().events.empty());
  EXPECT_EQ(t.watchCount(), 1u);
  EXPECT_GT(t.lastZxid(), before);

  MultiResult ok = t.multi(0, s,
                           {Op::create("/m/a", "1", CreateMode::EphemeralSequential),
                            Op::create("/m/b", "2", CreateMode::Persistent),
                            Op::setData("/m/b", "3", 0), Op::check("/m", 0),
                            Op::remove("/m/b", 1)});
  ASSERT_EQ(ok.err, Error::Ok);
  EXPECT_EQ(ok.results[0].path, "/m/a0000000000");
  EXPECT_EQ(ok.results[2].stat.version, 1);
  // One txn: one zxid for every op.
  EXPECT_EQ(ok.results[0].stat.czxid, ok.results[2].stat.mzxid);
  EXPECT_EQ(t.getChildren(0, s, "/m").children, std::vector<std::string>{"a0000000000"});
  EXPECT_EQ(t.ephemerals(s), std::vector<std::string>{"/m/a0000000000"});
  Effects fx = t.takeEffects();
  ASSERT_EQ(fx.events.size(), 1u);
  EXPECT_EQ(fx.events[0], (WatchEvent{1, EventType::NodeChildrenChanged, "/m"}));
}

TEST(ZnodeTree, ANewLeaderStartsEverySessionsTimeoutOver) {
  ZnodeTree t(opts(millis(200)));
  SessionId sid = t.createSession(0, millis(400)).id;
  EXPECT_EQ(t.nextExpiry(), millis(600));
  t.renewAllSessions(millis(1000));
  EXPECT_EQ(t.nextExpiry(), millis(1600));
  t.expire(millis(1599));
  EXPECT_NE(t.session(sid), nullptr);
}

TEST(ZnodeTree, ReconnectNeedsThePassword) {
  ZnodeTree t(opts());
  Session s = t.createSession(0, seconds(1));
  std::array<uint8_t, 16> wrong = s.password;
  wrong[0] ^= 1;
  EXPECT_FALSE(t.revalidate(millis(10), s.id, wrong));
  EXPECT_TRUE(t.revalidate(millis(10), s.id, s.password));
  EXPECT_FALSE(t.revalidate(millis(10), s.id + 1, s.password));
}

TEST(ZnodeTree, Deterministic) {
  auto run = [] {
    ZnodeTree t(opts());
    std::string log;
    SessionId a = t.createSession(0, millis(400)).id;
    SessionId b = t.createSession(0, millis(800)).id;
    t.create(0, 0, "/e", "", CreateMode::Persistent);
    for (int i = 0; i < 20; ++i) {
      SessionId s = i % 2 ? a : b;
      log += t.create(millis(i), s, "/e/n_", "", CreateMode::EphemeralSequential).path;
      t.getChildren(millis(i), b, "/e", 1);
    }
    t.expire(millis(600));
    t.expire(millis(1000));
    for (const WatchEvent &e : t.takeEffects().events)
      log += std::to_string(e.watcher) + eventName(e.type) + e.path;
    return log + std::to_string(t.lastZxid());
  };
  EXPECT_EQ(run(), run());
}

//===----------------------------------------------------------------------===//
// Ensemble
//===----------------------------------------------------------------------===//

TEST(Ensemble, ElectsTheHighestIdAfterTheElectionDelay) {
  Ensemble::Options o;
  o.servers = 3;
  o.tick = millis(200);
  Ensemble e(o);
  EXPECT_EQ(e.electionDuration(), millis(400));
  e.start(0);
  EXPECT_FALSE(e.serving(0));
  EXPECT_FALSE(e.advance(millis(399)));
  EXPECT_TRUE(e.advance(millis(400)));
  EXPECT_EQ(e.leader(), 2);
  EXPECT_TRUE(e.serving(0) && e.serving(1) && e.serving(2));

  // A follower goes: the others carry on.
  e.kill(millis(600), 0);
  EXPECT_EQ(e.leader(), 2);
  EXPECT_TRUE(e.serving(1));
  EXPECT_FALSE(e.serving(0));
  e.restore(millis(700), 0);
  EXPECT_TRUE(e.serving(0));

  // The leader goes: nobody serves until the survivors elect one.
  e.kill(millis(1000), 2);
  EXPECT_EQ(e.leader(), -1);
  EXPECT_FALSE(e.serving(0) || e.serving(1));
  EXPECT_EQ(e.nextWake(), millis(1400));
  EXPECT_TRUE(e.advance(millis(1400)));
  EXPECT_EQ(e.leader(), 1);
  EXPECT_EQ(e.leaderChanges(), 2u);

  // Quorum lost: every server refuses, and no election is due.
  e.kill(millis(2000), 0);
  EXPECT_FALSE(e.hasQuorum());
  EXPECT_FALSE(e.serving(1));
  EXPECT_EQ(e.nextWake(), Never);
  // It returns: an election, then service.
  e.restore(millis(3000), 2);
  EXPECT_FALSE(e.serving(1));
  EXPECT_TRUE(e.advance(millis(3400)));
  EXPECT_EQ(e.leader(), 2);
  EXPECT_TRUE(e.serving(1) && e.serving(2));
}

} // namespace

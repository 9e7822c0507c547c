//===- RecipesTest.cpp - The recipes driven over a ZnodeTree -------------===//
#include "Coord/Recipes.h"

#include <gtest/gtest.h>

#include <deque>

using namespace infrac::runtime;
using namespace infrac::runtime::zk;

namespace {

/// Members running the election recipe over one tree, each with its own
/// session; watch events go to the member whose watcher id they carry.
struct World {
  ZnodeTree tree{[] {
    ZnodeTree::Options o;
    o.tick = millis(200);
    return o;
  }()};
  Instant now = 0;
  struct Member {
    LeaderElection election;
    SessionId session = 0;
    bool paused = false; ///< Its process is stopped: nothing reaches it.
    int became = 0, lost = 0;
  };
  std::vector<Member> members;
  std::deque<std::pair<size_t, Request>> queue;

  size_t join(const std::string &name, bool herd = false) {
    LeaderElection::Config c;
    c.path = "/election/scheduler";
    c.herd = herd;
    c.prefix = name + "-";
    c.data = name;
    members.push_back({LeaderElection(c)});
    size_t i = members.size() - 1;
    members[i].session = tree.createSession(now, millis(400)).id;
    apply(i, members[i].election.start());
    run();
    return i;
  }
  void apply(size_t i, const Actions &a) {
    members[i].became += a.becameLeader;
    members[i].lost += a.lostLeadership;
    for (const Request &r : a.requests)
      queue.emplace_back(i, r);
  }
  void run() {
    for (;;) {
      deliverEffects();
      if (queue.empty())
        return;
      auto [i, r] = queue.front();
      queue.pop_front();
      Reply rep = execute(tree, now, members[i].session, WatcherId(i + 1), r);
      if (!members[i].paused)
        apply(i, members[i].election.onReply(rep));
    }
  }
  void deliverEffects() {
    for (const WatchEvent &e : tree.takeEffects().events) {
      size_t i = size_t(e.watcher - 1);
      if (!members[i].paused)
        apply(i, members[i].election.onWatch(e.type, e.path));
    }
  }
  /// Time passes; every unpaused member's client pings.
  void advance(Duration d) {
    Instant end = now + d;
    while (now < end) {
      now = std::min(end, now + millis(50));
      for (Member &m : members)
        if (!m.paused)
          tree.touch(now, m.session);
      tree.expire(now);
      run();
    }
  }
  std::vector<size_t> leaders() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < members.size(); ++i)
      if (members[i].election.leading())
        out.push_back(i);
    return out;
  }
};

TEST(LeaderElection, LowestLeadsAndEachWatchesOnlyItsPredecessor) {
  World w;
  size_t a = w.join("a"), b = w.join("b"), c = w.join("c");
  EXPECT_EQ(w.leaders(), std::vector<size_t>{a});
  EXPECT_EQ(w.members[a].election.node(), "/election/scheduler/a-0000000000");
  EXPECT_EQ(w.members[b].election.watching(), "/election/scheduler/a-0000000000");
  EXPECT_EQ(w.members[c].election.watching(), "/election/scheduler/b-0000000001");
  EXPECT_EQ(w.members[a].became, 1);
  // Only one watch per follower, on its predecessor.
  EXPECT_EQ(w.tree.watchCount(), 2u);
}

TEST(LeaderElection, TheHerdRecipeWatchesTheChildren) {
  World w;
  size_t a = w.join("a", true), b = w.join("b", true), c = w.join("c", true);
  EXPECT_EQ(w.leaders(), std::vector<size_t>{a});
  EXPECT_EQ(w.members[b].election.watching(), "/election/scheduler");
  w.apply(a, w.members[a].election.stop());
  w.run();
  EXPECT_EQ(w.leaders(), std::vector<size_t>{b});
  EXPECT_EQ(w.members[c].election.watching(), "/election/scheduler")
      << "it woke up, looked, and watches the children again";
}

TEST(LeaderElection, AKilledLeadersSessionExpiresAndTheNextTakesOver) {
  World w;
  size_t a = w.join("a"), b = w.join("b"), c = w.join("c");
  w.members[a].paused = true; // killed: no more pings
  w.advance(millis(300));
  EXPECT_EQ(w.leaders(), std::vector<size_t>{a}); // it does not know yet
  w.advance(millis(400));
  EXPECT_EQ(w.tree.session(w.members[a].session), nullptr);
  // b leads; c was not woken (no herd) and still watches b.
  EXPECT_TRUE(w.members[b].election.leading());
  EXPECT_EQ(w.members[c].election.watching(), "/election/scheduler/b-0000000001");
  EXPECT_EQ(w.members[b].became, 1);
}

TEST(LeaderElection, AMiddleMemberGoingRewiresOnlyItsFollower) {
  World w;
  size_t a = w.join("a"), b = w.join("b"), c = w.join("c");
  ASSERT_TRUE(w.tree.closeSession(w.now, w.members[b].session));
  w.members[b].paused = true;
  w.run();
  EXPECT_EQ(w.leaders(), std::vector<size_t>{a});
  EXPECT_EQ(w.members[c].election.watching(), "/election/scheduler/a-0000000000");
  EXPECT_EQ(w.members[a].lost, 0);
}

TEST(LeaderElection, APausedLeaderStopsLeadingAndRejoinsWithALargerNumber) {
  World w;
  size_t a = w.join("a"), b = w.join("b");
  // SIGSTOP past the session timeout: its session expires, b takes over.
  w.members[a].paused = true;
  w.advance(millis(800));
  EXPECT_TRUE(w.members[b].election.leading());
  // a resumes: its client reconnects and learns the session expired.
  w.members[a].paused = false;
  w.apply(a, w.members[a].election.onSession(SessionEvent::Disconnected));
  EXPECT_FALSE(w.members[a].election.leading());
  EXPECT_EQ(w.members[a].lost, 1);
  w.apply(a, w.members[a].election.onSession(SessionEvent::Expired));
  EXPECT_EQ(w.members[a].election.current(), LeaderElection::State::Expired);
  EXPECT_EQ(w.leaders(), std::vector<size_t>{b});
  // A new session, and it starts over behind b.
  w.members[a].session = w.tree.createSession(w.now, millis(400)).id;
  w.apply(a, w.members[a].election.start());
  w.run();
  EXPECT_EQ(w.members[a].election.node(), "/election/scheduler/a-0000000002");
  EXPECT_EQ(w.members[a].election.watching(), "/election/scheduler/b-0000000001");
  EXPECT_EQ(w.leaders(), std::vector<size_t>{b});
}

TEST(LeaderElection, ADisconnectedLeaderStepsDownAndReclaimsOnReconnect) {
  World w;
  size_t a = w.join("a");
  w.join("b");
  w.apply(a, w.members[a].election.onSession(SessionEvent::Disconnected));
  EXPECT_TRUE(w.leaders().empty());
  w.apply(a, w.members[a].election.onSession(SessionEvent::Connected));
  w.run();
  EXPECT_EQ(w.leaders(), std::vector<size_t>{a});
  EXPECT_EQ(w.members[a].became, 2);
  EXPECT_EQ(w.members[a].lost, 1);
}

TEST(LeaderElection, ALostCreateReplyIsFoundByPrefix) {
  ZnodeTree tree(ZnodeTree::Options{});
  SessionId s = tree.createSession(0, seconds(4)).id;
  LeaderElection::Config c;
  c.path = "/e";
  c.prefix = "guid42-";
  LeaderElection el(c);
  std::deque<Request> q;
  auto push = [&](const Actions &a) {
    for (const Request &r : a.requests)
      q.push_back(r);
  };
  push(el.start());
  bool dropped = false;
  while (!q.empty()) {
    Request r = q.front();
    q.pop_front();
    Reply rep = execute(tree, 0, s, 1, r);
    if (r.kind == Request::Create && r.mode == CreateMode::EphemeralSequential && !dropped) {
      // The create happened but its reply was lost with the connection.
      dropped = true;
      push(el.onSession(SessionEvent::Disconnected));
      rep.err = Error::ConnectionLoss;
      push(el.onReply(rep));
      push(el.onSession(SessionEvent::Connected));
      continue;
    }
    push(el.onReply(rep));
  }
  EXPECT_TRUE(el.leading());
  EXPECT_EQ(el.node(), "/e/guid42-0000000000");
  EXPECT_EQ(tree.getChildren(0, s, "/e").children.size(), 1u);
}

TEST(ServiceRegistration, RegistersAndWaitsOutItsPreviousSessionsZnode) {
  ZnodeTree::Options o;
  o.tick = millis(200);
  ZnodeTree tree(o);
  ServiceRegistration::Config c;
  c.path = "/services/workers";
  c.name = "w1";
  c.data = "127.0.0.1:8080";
  auto drive = [&](ServiceRegistration &reg, SessionId s, Actions a, Instant now) {
    std::deque<Request> q(a.requests.begin(), a.requests.end());
    bool registered = a.registered;
    while (!q.empty()) {
      Actions next = reg.onReply(execute(tree, now, s, 7, q.front()));
      q.pop_front();
      for (WatchEvent &e : tree.takeEffects().events)
        if (e.watcher == 7) {
          Actions w = reg.onWatch(e.type, e.path);
          q.insert(q.end(), w.requests.begin(), w.requests.end());
        }
      q.insert(q.end(), next.requests.begin(), next.requests.end());
      registered |= next.registered;
    }
    return registered;
  };
  SessionId old = tree.createSession(0, millis(400)).id;
  ServiceRegistration first(c);
  EXPECT_TRUE(drive(first, old, first.start(), 0));
  EXPECT_EQ(tree.getData(0, 0, "/services/workers/w1").data, "127.0.0.1:8080");
  // The member restarts with a new session before the old one expired.
  SessionId fresh = tree.createSession(millis(100), millis(400)).id;
  ServiceRegistration second(c);
  second.onSession(SessionEvent::Connected, fresh);
  EXPECT_FALSE(drive(second, fresh, second.start(), millis(100)));
  EXPECT_EQ(second.current(), ServiceRegistration::State::WaitingOutOld);
  // The old session expires; its znode goes and the new one registers.
  tree.touch(millis(500), fresh);
  tree.expire(millis(600));
  Actions after;
  for (WatchEvent &e : tree.takeEffects().events) {
    Actions w = second.onWatch(e.type, e.path);
    after.requests.insert(after.requests.end(), w.requests.begin(), w.requests.end());
  }
  EXPECT_TRUE(drive(second, fresh, after, millis(600)));
  EXPECT_TRUE(second.registered());
  EXPECT_EQ(tree.exists(millis(600), 0, "/services/workers/w1").stat.ephemeralOwner, fresh);
  // Its own session expiring unregisters it.
  EXPECT_TRUE(second.onSession(SessionEvent::Expired).unregistered);
}

TEST(Recipes, AncestorsAndSelf) {
  EXPECT_EQ(ancestorsAndSelf("/a/b/c"), (std::vector<std::string>{"/a", "/a/b", "/a/b/c"}));
  EXPECT_EQ(LeaderElection::sequenceOf("n_0000000042"), 42);
  EXPECT_EQ(LeaderElection::sequenceOf("n_42"), -1);
}

} // namespace

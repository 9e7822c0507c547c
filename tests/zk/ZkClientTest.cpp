//===- ZkClientTest.cpp - The ZooKeeper C client against a backend -------===//
//
// One suite for both backends: INFRAC_ZK_BACKEND=embedded runs it against
// infrac-zk, =real against a three-server ZooKeeper ensemble from Debian's
// package (tests/zk/zk_ensemble.py). The backend starts once for the binary.
//
//   ZkClientTest --hold-session HOSTS PATH   (a helper child, see below)
//
//===----------------------------------------------------------------------===//
#include "ZkTestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <thread>

using namespace std::chrono_literals;
using zktest::Backend;
using zktest::Client;

namespace {

Backend *backend = nullptr;
const int TickMs = 200;

std::string root(const char *name) { return std::string("/t-") + name; }

std::string getData(zhandle_t *zh, const std::string &path, Stat *st = nullptr, int watch = 0) {
  char buf[1024];
  int len = sizeof buf;
  Stat s;
  int rc = zoo_get(zh, path.c_str(), watch, buf, &len, st ? st : &s);
  if (rc != ZOK)
    return "<" + std::string(zerror(rc)) + ">";
  return std::string(buf, len < 0 ? 0 : size_t(len));
}

std::vector<std::string> children(zhandle_t *zh, const std::string &path, int watch = 0) {
  String_vector v{};
  std::vector<std::string> out;
  if (zoo_get_children(zh, path.c_str(), watch, &v) != ZOK)
    return {"<error>"};
  for (int i = 0; i < v.count; ++i)
    out.push_back(v.data[i]);
  deallocate_String_vector(&v);
  std::sort(out.begin(), out.end());
  return out;
}

int create(zhandle_t *zh, const std::string &path, const std::string &data = "", int flags = 0,
           std::string *created = nullptr) {
  char buf[512];
  int rc = zoo_create(zh, path.c_str(), data.data(), int(data.size()), &ZOO_OPEN_ACL_UNSAFE,
                      flags, buf, sizeof buf);
  if (rc == ZOK && created)
    *created = buf;
  return rc;
}

class ZkClient : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_NE(backend, nullptr);
    c = std::make_unique<Client>(backend->connect);
    ASSERT_TRUE(c->waitConnected()) << "no connection to " << backend->connect;
  }
  std::unique_ptr<Client> c;
};

TEST_F(ZkClient, CreateGetSetDeleteWithVersions) {
  std::string p = root("crud");
  ASSERT_EQ(create(c->zh, p, "one"), ZOK);
  Stat st;
  EXPECT_EQ(getData(c->zh, p, &st), "one");
  EXPECT_EQ(st.version, 0);
  EXPECT_EQ(st.dataLength, 3);
  EXPECT_EQ(st.ephemeralOwner, 0);
  EXPECT_EQ(st.czxid, st.mzxid);
  EXPECT_GT(st.ctime, 1600000000000);
  EXPECT_EQ(zoo_set(c->zh, p.c_str(), "two", 3, 0), ZOK);
  EXPECT_EQ(zoo_set(c->zh, p.c_str(), "three", 5, 0), ZBADVERSION);
  Stat st2;
  EXPECT_EQ(getData(c->zh, p, &st2), "two");
  EXPECT_EQ(st2.version, 1);
  EXPECT_GT(st2.mzxid, st.mzxid);
  EXPECT_EQ(st2.czxid, st.czxid);
  // create2 returns the Stat of the new node.
  char buf[256];
  Stat cst;
  ASSERT_EQ(zoo_create2(c->zh, (p + "/kid").c_str(), "k", 1, &ZOO_OPEN_ACL_UNSAFE, 0, buf,
                        sizeof buf, &cst),
            ZOK);
  EXPECT_STREQ(buf, (p + "/kid").c_str());
  EXPECT_EQ(cst.dataLength, 1);
  Stat pst;
  ASSERT_EQ(zoo_exists(c->zh, p.c_str(), 0, &pst), ZOK);
  EXPECT_EQ(pst.numChildren, 1);
  EXPECT_EQ(pst.cversion, 1);
  EXPECT_EQ(pst.pzxid, cst.czxid);
  String_vector v{};
  Stat gst;
  ASSERT_EQ(zoo_get_children2(c->zh, p.c_str(), 0, &v, &gst), ZOK);
  ASSERT_EQ(v.count, 1);
  EXPECT_STREQ(v.data[0], "kid");
  EXPECT_EQ(gst.numChildren, 1);
  deallocate_String_vector(&v);
  EXPECT_EQ(zoo_delete(c->zh, p.c_str(), -1), ZNOTEMPTY);
  EXPECT_EQ(zoo_delete(c->zh, (p + "/kid").c_str(), 5), ZBADVERSION);
  EXPECT_EQ(zoo_delete(c->zh, (p + "/kid").c_str(), 0), ZOK);
  EXPECT_EQ(zoo_delete(c->zh, p.c_str(), 1), ZOK);
  EXPECT_EQ(zoo_exists(c->zh, p.c_str(), 0, nullptr), ZNONODE);
}

TEST_F(ZkClient, ErrorCodes) {
  std::string p = root("errors");
  EXPECT_EQ(create(c->zh, p + "/a/b"), ZNONODE);
  ASSERT_EQ(create(c->zh, p), ZOK);
  EXPECT_EQ(create(c->zh, p), ZNODEEXISTS);
  EXPECT_EQ(getData(c->zh, p + "/none"), "<" + std::string(zerror(ZNONODE)) + ">");
  EXPECT_EQ(zoo_set(c->zh, (p + "/none").c_str(), "", 0, -1), ZNONODE);
  EXPECT_EQ(zoo_delete(c->zh, (p + "/none").c_str(), -1), ZNONODE);
  ASSERT_EQ(create(c->zh, p + "/eph", "", ZOO_EPHEMERAL), ZOK);
  EXPECT_EQ(create(c->zh, p + "/eph/child"), ZNOCHILDRENFOREPHEMERALS);
  String_vector v{};
  EXPECT_EQ(zoo_get_children(c->zh, (p + "/none").c_str(), 0, &v), ZNONODE);
  EXPECT_EQ(zoo_delete(c->zh, "/", -1), ZBADARGUMENTS);
}

TEST_F(ZkClient, SequenceNumbersAreTenDigitsPerParent) {
  std::string p = root("seq");
  ASSERT_EQ(create(c->zh, p), ZOK);
  std::string a, b, d;
  ASSERT_EQ(create(c->zh, p + "/n_", "", ZOO_EPHEMERAL_SEQUENTIAL, &a), ZOK);
  ASSERT_EQ(create(c->zh, p + "/n_", "", ZOO_PERSISTENT_SEQUENTIAL, &b), ZOK);
  EXPECT_EQ(a, p + "/n_0000000000");
  EXPECT_EQ(b, p + "/n_0000000001");
  ASSERT_EQ(zoo_delete(c->zh, a.c_str(), -1), ZOK);
  // cversion counts the delete; the sequence counts only creations.
  Stat st;
  ASSERT_EQ(zoo_exists(c->zh, p.c_str(), 0, &st), ZOK);
  EXPECT_EQ(st.cversion, 3);
  ASSERT_EQ(create(c->zh, p + "/n_", "", ZOO_EPHEMERAL_SEQUENTIAL, &d), ZOK);
  EXPECT_EQ(d, p + "/n_0000000002");
  EXPECT_EQ(children(c->zh, p),
            (std::vector<std::string>{b.substr(p.size() + 1), d.substr(p.size() + 1)}));
  EXPECT_GT(d, b);
}

TEST_F(ZkClient, WatchesFireOnceWithTheirEventTypes) {
  std::string p = root("watch");
  ASSERT_EQ(zoo_exists(c->zh, p.c_str(), 1, nullptr), ZNONODE); // exists watch
  ASSERT_EQ(create(c->zh, p, "x"), ZOK);
  EXPECT_TRUE(c->waitEvent(ZOO_CREATED_EVENT, p, 5s));

  getData(c->zh, p, nullptr, /*watch=*/1);
  Client other(backend->connect);
  ASSERT_TRUE(other.waitConnected());
  ASSERT_EQ(zoo_set(other.zh, p.c_str(), "y", 1, -1), ZOK);
  EXPECT_TRUE(c->waitEvent(ZOO_CHANGED_EVENT, p, 5s));
  // One-shot: a second change without a new watch is not reported.
  ASSERT_EQ(zoo_set(other.zh, p.c_str(), "z", 1, -1), ZOK);

  children(c->zh, p, /*watch=*/1);
  ASSERT_EQ(create(other.zh, p + "/kid"), ZOK);
  EXPECT_TRUE(c->waitEvent(ZOO_CHILD_EVENT, p, 5s));

  ASSERT_EQ(zoo_exists(c->zh, (p + "/kid").c_str(), 1, nullptr), ZOK);
  ASSERT_EQ(zoo_delete(other.zh, (p + "/kid").c_str(), -1), ZOK);
  EXPECT_TRUE(c->waitEvent(ZOO_DELETED_EVENT, p + "/kid", 5s));
  // Let anything stray arrive, then check that nothing else came.
  ASSERT_EQ(zoo_exists(c->zh, p.c_str(), 0, nullptr), ZOK);
  for (const Client::Event &e : c->drain())
    ADD_FAILURE() << "unexpected event " << e.type << " on " << e.path;
}

TEST_F(ZkClient, MultiIsAllOrNothing) {
  std::string p = root("multi");
  ASSERT_EQ(create(c->zh, p), ZOK);
  std::string a = p + "/a", b = p + "/b";
  char buf1[256], buf2[256];
  zoo_op_t ops[3];
  zoo_op_result_t res[3];
  zoo_create_op_init(&ops[0], a.c_str(), "1", 1, &ZOO_OPEN_ACL_UNSAFE, 0, buf1, sizeof buf1);
  zoo_check_op_init(&ops[1], p.c_str(), 7);
  zoo_create_op_init(&ops[2], b.c_str(), "2", 1, &ZOO_OPEN_ACL_UNSAFE, 0, buf2, sizeof buf2);
  EXPECT_EQ(zoo_multi(c->zh, 3, ops, res), ZBADVERSION);
  EXPECT_EQ(res[0].err, ZOK);
  EXPECT_EQ(res[1].err, ZBADVERSION);
  EXPECT_EQ(res[2].err, ZRUNTIMEINCONSISTENCY);
  EXPECT_EQ(zoo_exists(c->zh, a.c_str(), 0, nullptr), ZNONODE);

  zoo_check_op_init(&ops[1], p.c_str(), 0);
  ASSERT_EQ(zoo_multi(c->zh, 3, ops, res), ZOK);
  EXPECT_STREQ(buf1, a.c_str());
  EXPECT_EQ(children(c->zh, p), (std::vector<std::string>{"a", "b"}));
}

TEST_F(ZkClient, EphemeralsGoWithTheirClosedSession) {
  std::string p = root("close");
  ASSERT_EQ(create(c->zh, p), ZOK);
  {
    Client owner(backend->connect);
    ASSERT_TRUE(owner.waitConnected());
    ASSERT_EQ(create(owner.zh, p + "/e", "", ZOO_EPHEMERAL), ZOK);
    Stat st;
    ASSERT_EQ(zoo_exists(c->zh, (p + "/e").c_str(), 1, &st), ZOK);
    EXPECT_EQ(st.ephemeralOwner, owner.sessionId());
  } // zookeeper_close sends closeSession
  EXPECT_TRUE(c->waitEvent(ZOO_DELETED_EVENT, p + "/e", 5s));
  EXPECT_EQ(zoo_exists(c->zh, (p + "/e").c_str(), 0, nullptr), ZNONODE);
}

TEST_F(ZkClient, APausedClientsSessionExpiresAndItLearnsSoOnResume) {
  std::string p = root("expiry");
  ASSERT_EQ(create(c->zh, p), ZOK);
  zktest::Child holder;
  ASSERT_TRUE(holder.spawn({"/proc/self/exe", "--hold-session", backend->connect, p + "/e"}));
  ASSERT_EQ(holder.readLine(), "held");
  ASSERT_EQ(zoo_exists(c->zh, (p + "/e").c_str(), 1, nullptr), ZOK);
  holder.signal(SIGSTOP);
  auto t0 = std::chrono::steady_clock::now();
  // 400 ms session (2 ticks): expired on the next tick boundary after it.
  EXPECT_TRUE(c->waitEvent(ZOO_DELETED_EVENT, p + "/e", 10s));
  // Not at once: the last ping came at most a third of the timeout before
  // the stop, and expiry waits for the timeout after it.
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 200ms);
  holder.signal(SIGCONT);
  EXPECT_EQ(holder.readLine(), "expired");
  holder.finish();
}

/// Restores every server when a test that kills some ends, even on failure.
struct RestoreAll {
  ~RestoreAll() {
    for (int id = 1; id <= 3; ++id)
      backend->restore(id);
  }
};

TEST_F(ZkClient, AClientMovesWhenItsServerIsKilled) {
  RestoreAll guard;
  std::string p = root("move");
  ASSERT_EQ(create(c->zh, p, "", ZOO_EPHEMERAL), ZOK);
  int64_t session = c->sessionId();
  int id = backend->idOf(c->server());
  ASSERT_NE(id, 0) << "connected to '" << c->server() << "'";
  c->forgetStates();
  ASSERT_TRUE(backend->kill(id));
  EXPECT_TRUE(c->waitPassed(ZOO_CONNECTING_STATE, 5s));
  ASSERT_TRUE(c->waitConnected(15s));
  EXPECT_NE(backend->idOf(c->server()), id);
  EXPECT_EQ(c->sessionId(), session);
  Stat st;
  ASSERT_EQ(zoo_exists(c->zh, p.c_str(), 0, &st), ZOK);
  EXPECT_EQ(st.ephemeralOwner, session);
}

TEST_F(ZkClient, WatchesFollowTheClientToItsNewServer) {
  RestoreAll guard;
  std::string p = root("rewatch");
  ASSERT_EQ(create(c->zh, p, "a"), ZOK);
  getData(c->zh, p, nullptr, /*watch=*/1);
  ASSERT_EQ(zoo_exists(c->zh, (p + "/later").c_str(), 1, nullptr), ZNONODE);
  int id = backend->idOf(c->server());
  ASSERT_NE(id, 0);
  c->forgetStates();
  ASSERT_TRUE(backend->kill(id));
  ASSERT_TRUE(c->waitPassed(ZOO_CONNECTING_STATE, 5s));
  ASSERT_TRUE(c->waitConnected(15s));
  // The client sent SetWatches on reconnecting; the new server fires them.
  Client other(backend->connect);
  ASSERT_TRUE(other.waitConnected());
  ASSERT_EQ(zoo_set(other.zh, p.c_str(), "b", 1, -1), ZOK);
  EXPECT_TRUE(c->waitEvent(ZOO_CHANGED_EVENT, p, 5s));
  ASSERT_EQ(create(other.zh, p + "/later"), ZOK);
  EXPECT_TRUE(c->waitEvent(ZOO_CREATED_EVENT, p + "/later", 5s));
}

TEST_F(ZkClient, WithoutAQuorumEveryServerRefuses) {
  RestoreAll guard;
  std::string p = root("quorum");
  ASSERT_EQ(create(c->zh, p, "", ZOO_EPHEMERAL), ZOK);
  int64_t session = c->sessionId();
  ASSERT_TRUE(backend->kill(1));
  ASSERT_TRUE(backend->kill(2));
  // The survivor closes its clients and refuses new ones.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  int rc = ZOK;
  while (std::chrono::steady_clock::now() < deadline) {
    rc = zoo_exists(c->zh, p.c_str(), 0, nullptr);
    if (rc != ZOK)
      break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT) << zerror(rc);
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * TickMs));
  EXPECT_NE(c->state(), ZOO_CONNECTED_STATE);
  // The quorum returns: the session survived (no leader expired it).
  ASSERT_TRUE(backend->restore(1));
  ASSERT_TRUE(c->waitConnected(30s));
  EXPECT_EQ(c->sessionId(), session);
  EXPECT_EQ(zoo_exists(c->zh, p.c_str(), 0, nullptr), ZOK);
}

/// The helper child: holds a 400 ms session with an ephemeral znode, says
/// "held", then says "expired" once the client learns its session expired.
int holdSession(const char *hosts, const char *path) {
  Client c(hosts, 2 * TickMs);
  if (!c.waitConnected())
    return 1;
  if (create(c.zh, path, "", ZOO_EPHEMERAL) != ZOK)
    return 2;
  std::printf("held\n");
  std::fflush(stdout);
  if (!c.waitState(ZOO_EXPIRED_SESSION_STATE, 60s))
    return 3;
  std::printf("expired\n");
  std::fflush(stdout);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  zoo_set_debug_level(ZooLogLevel(0)); // quiet: the tests cut connections on purpose
  if (argc == 4 && std::string(argv[1]) == "--hold-session")
    return holdSession(argv[2], argv[3]);
  ::testing::InitGoogleTest(&argc, argv);
  const char *kind = std::getenv("INFRAC_ZK_BACKEND");
  Backend b;
  if (!b.start(kind ? kind : "embedded", INFRAC_ZK_BINARY, INFRAC_ZK_ENSEMBLE_SCRIPT, TickMs)) {
    std::fprintf(stderr, "cannot start the backend\n");
    return 1;
  }
  backend = &b;
  int rc = RUN_ALL_TESTS();
  b.stop();
  return rc;
}

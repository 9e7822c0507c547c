//===- RespStoreTest.cpp - The embedded store and the Redis adapter -------===//
//
// Both backends behind RespBackend, over real sockets: a primary and a
// replica, a kill of the primary with and without a replica, through the
// store's public headers (Live/...). The Redis half starts redis-server
// processes (RedisBackend::spawn) and stops them.
//
//===----------------------------------------------------------------------===//
#include "Live/RedisBackend.h"
#include "Live/RespClient.h"
#include "Live/RespStore.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

using namespace infrac;
using namespace infrac::live;

namespace {

std::string text(llvm::Expected<RespValue> v) {
  if (!v)
    return "error: " + llvm::toString(v.takeError());
  switch (v->kind) {
  case RespValue::Simple:
  case RespValue::Bulk:
    return v->str;
  case RespValue::Error:
    return "-" + v->str;
  case RespValue::Integer:
    return std::to_string(v->integer);
  case RespValue::Nil:
    return "(nil)";
  case RespValue::Array:
    return "[" + std::to_string(v->elements.size()) + "]";
  }
  return "";
}

std::string send(const std::string &address, std::vector<llvm::StringRef> argv) {
  auto c = RespClient::connect(address);
  if (!c)
    return "error: " + llvm::toString(c.takeError());
  return text(c->command(argv));
}

// Polls until the node answers `want` (replication is asynchronous).
std::string eventually(const std::string &address,
                       std::vector<llvm::StringRef> argv, const std::string &want) {
  std::string got;
  for (int i = 0; i < 200; ++i) {
    got = send(address, argv);
    if (got == want)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return got;
}

// The scenario both backends must pass.
void failover(RespBackend &store) {
  ASSERT_EQ(store.nodeCount(), 2u);
  ASSERT_EQ(store.primary(), 0);
  std::string p = store.address(0), r = store.address(1);
  EXPECT_EQ(send(p, {"HSET", "cart:1", "apple", "2", "pear", "1"}), "2");
  EXPECT_EQ(send(p, {"SET", "user:1", "ada"}), "OK");
  EXPECT_EQ(send(p, {"WAIT", "1", "1000"}), "1");
  EXPECT_EQ(eventually(r, {"HGET", "cart:1", "apple"}, "2"), "2");
  EXPECT_EQ(send(r, {"SET", "x", "y"}),
            "-READONLY You can't write against a read only replica.");

  ASSERT_FALSE(bool(store.kill(0)));
  EXPECT_FALSE(store.isUp(0));
  EXPECT_EQ(store.primary(), 1);
  EXPECT_EQ(store.primaryAddress(), r);
  EXPECT_EQ(send(p, {"PING"}).rfind("error: ", 0), 0u) << "a killed node stops answering";
  EXPECT_EQ(send(r, {"GET", "user:1"}), "ada") << "the replica kept the data";
  EXPECT_EQ(eventually(r, {"SET", "after", "failover"}, "OK"), "OK");
  EXPECT_EQ(send(r, {"HGET", "cart:1", "pear"}), "1");
}

TEST(RespStore, ServesOverSocketsWithPipelining) {
  RespStore store;
  auto port = store.start(0);
  ASSERT_TRUE(bool(port)) << llvm::toString(port.takeError());
  auto c = RespClient::connect("127.0.0.1", *port);
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  std::vector<std::vector<std::string>> cmds;
  for (int i = 0; i < 500; ++i)
    cmds.push_back({"INCR", "counter"});
  cmds.push_back({"GET", "counter"});
  auto replies = c->pipeline(cmds);
  ASSERT_TRUE(bool(replies)) << llvm::toString(replies.takeError());
  ASSERT_EQ(replies->size(), 501u);
  EXPECT_EQ((*replies)[499].integer, 500);
  EXPECT_EQ((*replies)[500].str, "500");
  RespNodeStats s = store.stats(0);
  EXPECT_EQ(s.commands, 501u);
  EXPECT_EQ(s.keys, 1u);
  EXPECT_EQ(s.connectionsOpen, 1u);
  store.stop();
  EXPECT_EQ(send("127.0.0.1:" + std::to_string(*port), {"PING"}).rfind("error: ", 0), 0u);
}

TEST(RespStore, ActiveExpiryDeletesWithoutReads) {
  RespStoreOptions o;
  o.activeExpiryPeriod = runtime::millis(10);
  RespStore store(o);
  auto port = store.start(0);
  ASSERT_TRUE(bool(port));
  std::string a = store.address(0);
  for (int i = 0; i < 50; ++i)
    send(a, {"SET", "k" + std::to_string(i), "v", "PX", "20"});
  for (int i = 0; i < 300 && store.stats(0).keys > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(store.stats(0).keys, 0u);
  EXPECT_EQ(store.stats(0).expiredKeys, 50u);
}

TEST(RespStore, KillWithoutReplicaLosesTheData) {
  RespStore store;
  ASSERT_TRUE(bool(store.start(0)));
  std::string a = store.address(0);
  EXPECT_EQ(send(a, {"SET", "k", "v"}), "OK");
  ASSERT_FALSE(bool(store.kill(0)));
  EXPECT_EQ(store.primary(), -1);
  EXPECT_EQ(store.primaryAddress(), "");
  EXPECT_EQ(store.stats(0).keys, 0u);
  EXPECT_EQ(send(a, {"GET", "k"}).rfind("error: ", 0), 0u);
}

TEST(RespStore, ReplicaTakesOverFromAKilledPrimary) {
  RespStoreOptions o;
  o.replica = true;
  RespStore store(o);
  ASSERT_TRUE(bool(store.start(0)));
  failover(store);
  EXPECT_GT(store.stats(0).replicationBytes + 0, 0u);
}

TEST(RespStore, ShutdownKillsTheNodeAndPromotesTheReplica) {
  RespStoreOptions o;
  o.replica = true;
  RespStore store(o);
  ASSERT_TRUE(bool(store.start(0)));
  EXPECT_EQ(send(store.address(0), {"SET", "k", "v"}), "OK");
  EXPECT_EQ(send(store.address(0), {"SHUTDOWN", "NOSAVE"}).rfind("error: ", 0), 0u);
  EXPECT_FALSE(store.isUp(0));
  EXPECT_EQ(store.primary(), 1);
  EXPECT_EQ(send(store.address(1), {"GET", "k"}), "v");
  EXPECT_FALSE(store.waitAllDown(runtime::millis(1)));
  EXPECT_EQ(send(store.address(1), {"SHUTDOWN"}).rfind("error: ", 0), 0u);
  EXPECT_TRUE(store.waitAllDown(runtime::seconds(1)));
}

TEST(RedisBackend, ReplicaTakesOverFromAKilledPrimary) {
  RedisSpawnOptions o;
  o.nodes = 2;
  auto redis = RedisBackend::spawn(o);
  ASSERT_TRUE(bool(redis)) << llvm::toString(redis.takeError());
  EXPECT_EQ((*redis)->backendName(), "redis");
  int pid = (*redis)->pid(0);
  failover(**redis);
  EXPECT_EQ(::kill(pid, 0), -1) << "the killed redis-server was reaped";
  (*redis)->stop();
}

TEST(RedisBackend, KillWithoutReplicaLosesTheData) {
  auto redis = RedisBackend::spawn({});
  ASSERT_TRUE(bool(redis)) << llvm::toString(redis.takeError());
  std::string a = (*redis)->address(0);
  EXPECT_EQ(send(a, {"SET", "k", "v"}), "OK");
  ASSERT_FALSE(bool((*redis)->kill(0)));
  EXPECT_EQ((*redis)->primary(), -1);
  EXPECT_EQ(send(a, {"GET", "k"}).rfind("error: ", 0), 0u);
}

TEST(RedisBackend, AttachAndShutdown) {
  // A server the adapter did not start (here the embedded store) is killed
  // with SHUTDOWN NOSAVE.
  RespStore store;
  ASSERT_TRUE(bool(store.start(0)));
  auto redis = RedisBackend::attach({store.address(0)});
  ASSERT_TRUE(bool(redis)) << llvm::toString(redis.takeError());
  ASSERT_FALSE(bool((*redis)->kill(0)));
  EXPECT_FALSE(store.isUp(0));
}

} // namespace

namespace {
// A value of several megabytes arrives in many reads and leaves in many
// writes; the connection serves small requests afterwards.
TEST(RespStore, LargeValues) {
  RespStore store;
  auto port = store.start(0);
  ASSERT_TRUE(bool(port));
  auto c = RespClient::connect("127.0.0.1", *port);
  ASSERT_TRUE(bool(c));
  std::string big(5 * 1024 * 1024 + 7, 'x');
  for (size_t i = 0; i < big.size(); i += 4096)
    big[i] = char('a' + i % 26);
  EXPECT_EQ(text(c->command({"SET", "big", big})), "OK");
  auto v = c->command({"GET", "big"});
  ASSERT_TRUE(bool(v));
  EXPECT_TRUE(v->str == big) << "the value came back changed";
  EXPECT_EQ(text(c->command({"PING"})), "PONG");
}
} // namespace

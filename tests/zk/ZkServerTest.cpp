//===- ZkServerTest.cpp - The embedded ensemble through its C++ API ------===//
//
// ZkEnsembleServer in-process: its status, the election after the leader
// server is killed, a port that cannot be taken back, and frames that are not
// ZooKeeper's (the connection goes, the server stays).
//
//===----------------------------------------------------------------------===//
#include "Live/ZkServer.h"
#include "ZkTestSupport.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>

using namespace std::chrono_literals;
using namespace infrac;

namespace {

std::unique_ptr<live::ZkEnsembleServer> startServer(unsigned servers = 3) {
  live::ZkServerOptions o;
  o.servers = servers;
  o.tick = runtime::millis(100);
  auto s = live::ZkEnsembleServer::start(o);
  if (!s) {
    ADD_FAILURE() << llvm::toString(s.takeError());
    return nullptr;
  }
  return std::move(*s);
}

/// A raw TCP connection to 127.0.0.1:port; -1 on failure.
int dial(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/// Reads until the peer closes (true) or the timeout passes (false).
bool closedByPeer(int fd) {
  char buf[256];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0)
      return true;
    if (n < 0)
      return errno == ECONNRESET;
  }
}

TEST(ZkServer, StatusCountsSessionsConnectionsAndZnodes) {
  auto srv = startServer();
  ASSERT_TRUE(srv);
  live::ZkServerStatus st = srv->status();
  EXPECT_EQ(st.ports.size(), 3u);
  EXPECT_EQ(st.leader, 2); // the highest id wins the first election
  EXPECT_EQ(st.znodes, 4u); // /, /zookeeper, /zookeeper/quota, /zookeeper/config
  {
    zktest::Client c(srv->connectString());
    ASSERT_TRUE(c.waitConnected());
    ASSERT_EQ(zoo_create(c.zh, "/s", "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0),
              ZOK);
    st = srv->status();
    EXPECT_EQ(st.sessions, 1u);
    EXPECT_EQ(st.connections, 1u);
    EXPECT_EQ(st.znodes, 5u);
  }
  st = srv->status();
  EXPECT_EQ(st.sessions, 0u);
  EXPECT_EQ(st.znodes, 4u);
}

TEST(ZkServer, KillingTheLeaderServerCostsAnElection) {
  auto srv = startServer();
  ASSERT_TRUE(srv);
  srv->kill(2);
  live::ZkServerStatus st = srv->status();
  EXPECT_EQ(st.leader, -1);
  EXPECT_FALSE(st.up[2]);
  // While electing, an up server accepts and closes at once.
  int fd = dial(st.ports[0]);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(closedByPeer(fd));
  close(fd);
  // A killed server refuses.
  EXPECT_EQ(dial(st.ports[2]), -1);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (srv->status().leader < 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(srv->status().leader, 1);
  ASSERT_FALSE(bool(srv->restore(2)));
  EXPECT_TRUE(srv->status().up[2]);
  EXPECT_EQ(srv->status().leader, 1); // a returning server follows
}

TEST(ZkServer, RestoreFailsWhenThePortWasTaken) {
  auto srv = startServer(1);
  ASSERT_TRUE(srv);
  uint16_t port = srv->ports()[0];
  srv->kill(0);
  // Someone else takes the port meanwhile.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, (sockaddr *)&a, sizeof a), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  llvm::Error e = srv->restore(0);
  EXPECT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("cannot listen"), std::string::npos);
  close(fd);
  EXPECT_FALSE(bool(srv->restore(0)));
}

TEST(ZkServer, FramesThatAreNotZooKeepersEndOnlyTheirConnection) {
  auto srv = startServer();
  ASSERT_TRUE(srv);
  uint16_t port = srv->ports()[0];
  const std::vector<std::string> bad = {
      std::string("\xff\xff\xff\xff", 4),                     // a negative length
      std::string("\x7f\x00\x00\x00", 4),                     // 2 GB
      std::string("\x00\x00\x00\x03" "abc", 7),               // a short ConnectRequest
      std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),       // not even jute
  };
  for (const std::string &b : bad) {
    int fd = dial(port);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(send(fd, b.data(), b.size(), MSG_NOSIGNAL), ssize_t(b.size()));
    EXPECT_TRUE(closedByPeer(fd)) << "frame of " << b.size() << " bytes";
    close(fd);
  }
  zktest::Client c(srv->connectString());
  ASSERT_TRUE(c.waitConnected());
  EXPECT_EQ(zoo_exists(c.zh, "/zookeeper", 0, nullptr), ZOK);
}

TEST(ZkServer, ADurationParses) {
  runtime::Duration d = 0;
  EXPECT_TRUE(live::parseDuration("200ms", d));
  EXPECT_EQ(d, runtime::millis(200));
  EXPECT_TRUE(live::parseDuration("2s", d));
  EXPECT_EQ(d, runtime::seconds(2));
  EXPECT_TRUE(live::parseDuration("150", d));
  EXPECT_EQ(d, runtime::millis(150));
  EXPECT_FALSE(live::parseDuration("fast", d));
  EXPECT_FALSE(live::parseDuration("3h", d));
}

} // namespace

int main(int argc, char **argv) {
  zoo_set_debug_level(ZooLogLevel(0));
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

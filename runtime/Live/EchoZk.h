//===- EchoZk.h - The echo app's ZooKeeper member (private) -*- C++ -*-===//
//
// Private to infrac-echo. When `infrac run` gives an instance ZK_CONNECT, the
// echo app is a real ZooKeeper client (the C client, libzookeeper-mt): it
// registers itself under ZK_REGISTRY_PATH with an ephemeral znode, and runs
// the leader election recipe under ZK_ELECTION_PATH — an ephemeral
// sequential znode, leading while it is the lowest, otherwise watching only
// its predecessor. It stops acting as leader as soon as its connection is
// suspended (as Curator's LeaderLatch does) and, when its session expired
// (a pause past the session timeout), starts over with a new session and a
// new, larger number.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_ECHOZK_H
#define INFRAC_RUNTIME_LIVE_ECHOZK_H

#include <memory>
#include <string>

namespace infrac::live {

struct ZkMemberConfig {
  std::string connect;      ///< "127.0.0.1:p1,127.0.0.1:p2,..."
  std::string electionPath; ///< Empty: no election.
  std::string registryPath; ///< Empty: no registration.
  std::string id;           ///< The znodes' data: the instance id.
  int sessionTimeoutMs = 6000;
};

struct ZkMemberState {
  bool connected = false, leading = false;
  std::string znode;     ///< Its election znode ("/election/x/n_0000000003").
  unsigned sessions = 0; ///< Sessions it has had (a new one after each expiry).
};

class ZkMember {
public:
  /// Starts the member's thread; stop() (or the destructor) ends it.
  explicit ZkMember(ZkMemberConfig cfg);
  ~ZkMember();
  ZkMemberState state() const;
  void stop();

  struct Impl;

private:
  std::unique_ptr<Impl> impl;
};

} // namespace infrac::live

#endif

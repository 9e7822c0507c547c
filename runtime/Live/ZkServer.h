//===- ZkServer.h - The embedded ZooKeeper-compatible ensemble -*- C++ -*-===//
//
// One listening endpoint per declared ensemble server on 127.0.0.1, speaking
// ZooKeeper's client wire protocol (length-prefixed jute records: connect with
// session negotiation, ping, create/create2, delete, exists, getData, setData,
// getChildren/getChildren2, sync, check, multi, closeSession, setWatches, watch
// notifications), all backed by one shared zk::ZnodeTree. The ensemble is
// emulated from the clients' side by zk::Ensemble: a killed server drops its
// connections and refuses new ones, an election (all servers refuse) follows
// the loss of the leader or the return of a quorum, and without a quorum every
// server refuses.
//
// The server runs its own thread with one Asio io_context; it reads the steady
// clock and feeds `now` into the tree. The control calls are thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_ZKSERVER_H
#define INFRAC_RUNTIME_LIVE_ZKSERVER_H

#include "Core/Core.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace infrac::live {

struct ZkServerOptions {
  unsigned servers = 3;
  runtime::Duration tick = runtime::millis(200);
  /// One port per server; empty or 0 entries take an ephemeral port.
  std::vector<uint16_t> ports;
  std::string host = "127.0.0.1";
  /// Start with a leader already elected (no initial election delay).
  bool electedAtStart = true;
};

struct ZkServerStatus {
  std::vector<uint16_t> ports;
  std::vector<bool> up;
  int leader = -1; ///< -1: electing or no quorum.
  size_t sessions = 0, connections = 0, znodes = 0, watches = 0;
  int64_t lastZxid = 0;
  unsigned leaderChanges = 0;
};

class ZkEnsembleServer {
public:
  /// Binds every server's port and starts the server thread.
  static llvm::Expected<std::unique_ptr<ZkEnsembleServer>> start(ZkServerOptions opts);
  ~ZkEnsembleServer();
  ZkEnsembleServer(const ZkEnsembleServer &) = delete;
  ZkEnsembleServer &operator=(const ZkEnsembleServer &) = delete;

  const std::vector<uint16_t> &ports() const;
  /// "127.0.0.1:p1,127.0.0.1:p2,..." for a client.
  std::string connectString() const;
  /// The server process dies: its connections drop, its port refuses.
  void kill(unsigned server);
  /// The server process is back on its port.
  llvm::Error restore(unsigned server);
  ZkServerStatus status() const;
  /// Stops every server and joins the thread (also done by the destructor).
  void stop();

  class Impl;

private:
  explicit ZkEnsembleServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// Parses "200ms", "2s", "1500us" or a bare number of milliseconds.
bool parseDuration(const std::string &text, runtime::Duration &out);

} // namespace infrac::live

#endif

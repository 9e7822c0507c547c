//===- RedisBackend.h - A real Redis as the session store ------*- C++ -*-===//
//
// The adapter `infrac run --redis NAME=ADDR` (or `backend = "HOST:PORT"`)
// uses: either redis-server processes this adapter starts on loopback
// (ephemeral ports, no persistence, a temporary directory, no systemd; the
// replica started with --replicaof), or servers already running that it
// attaches to. Killing a node kills the process it started (SIGKILL) or sends
// SHUTDOWN NOSAVE to one it attached to; when the primary goes and the
// replica is up, the replica is promoted with REPLICAOF NO ONE.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_REDISBACKEND_H
#define INFRAC_RUNTIME_LIVE_REDISBACKEND_H

#include "RespBackend.h"
#include "RespClient.h"

#include "Core/Core.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace infrac::live {

struct RedisSpawnOptions {
  /// 1, or 2 for a primary and its replica.
  unsigned nodes = 1;
  /// The server binary; empty: `redis-server` on PATH.
  std::string redisServer;
  /// How long a server may take to answer PING (and the replica to sync).
  runtime::Duration startTimeout = runtime::seconds(10);
};

class RedisBackend final : public RespBackend {
public:
  /// Starts redis-server processes (see the file comment).
  static llvm::Expected<std::unique_ptr<RedisBackend>>
  spawn(const RedisSpawnOptions &options);
  /// Servers already running: the primary's "HOST:PORT", then optionally its
  /// replica's. Both must answer PING.
  static llvm::Expected<std::unique_ptr<RedisBackend>>
  attach(llvm::ArrayRef<std::string> addresses);

  /// Kills the processes it started and removes their directory.
  ~RedisBackend() override;

  llvm::StringRef backendName() const override { return "redis"; }
  unsigned nodeCount() const override;
  std::string address(unsigned node) const override;
  int primary() const override;
  bool isUp(unsigned node) const override;
  llvm::Error kill(unsigned node) override;
  void stop() override;

  /// Waits until the replica reports `master_link_status:up`.
  llvm::Error waitForReplica(runtime::Duration timeout);
  /// One command to a node on a fresh connection.
  llvm::Expected<RespValue> command(unsigned node,
                                    llvm::ArrayRef<llvm::StringRef> argv);
  /// The process id of a node this adapter started, or -1.
  int pid(unsigned node) const;

private:
  struct NodeState {
    std::string address;
    int pid = -1;
    bool up = true;
  };
  RedisBackend() = default;
  llvm::Error promote(unsigned node);

  std::vector<NodeState> nodes;
  int primaryNode = 0;
  std::string workDir;
};

} // namespace infrac::live

#endif // INFRAC_RUNTIME_LIVE_REDISBACKEND_H

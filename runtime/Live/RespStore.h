//===- RespStore.h - The embedded Redis-compatible store -------*- C++ -*-===//
//
// An in-process server speaking RESP2 on 127.0.0.1, one Asio event-loop
// thread for all its nodes (as Redis has one per process). Its keyspace is a
// RespKeyspace driven with a steady clock. With `replica`, a second node on
// its own port receives the primary's write stream (asynchronous, applied
// after each batch the primary serves, as Redis replicates); killing the
// primary promotes it.
//
// The control methods (start, kill, stop, primary, stats) are called from one
// thread at a time; from another thread they run on the loop and wait for it.
//
// Besides the data commands (RespKeyspace.h) a node answers SHUTDOWN (the
// node is killed, as a Redis process would exit), REPLICAOF NO ONE (a
// replica is promoted), WAIT, ROLE and INFO.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_RESPSTORE_H
#define INFRAC_RUNTIME_LIVE_RESPSTORE_H

#include "RespBackend.h"

#include "Core/Core.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>

namespace infrac::live {

struct RespStoreOptions {
  /// Run a second node, a replica of the first.
  bool replica = false;
  /// The replica's port; 0: an ephemeral one.
  uint16_t replicaPort = 0;
  /// `requirepass`; empty: none.
  std::string password;
  /// How often the primary runs active expiry (Redis's default hz 10).
  runtime::Duration activeExpiryPeriod = runtime::millis(100);
};

/// A node's counters (read on the event loop; a consistent snapshot).
struct RespNodeStats {
  bool up = false;
  bool primary = false;
  uint16_t port = 0;
  uint64_t connectionsAccepted = 0;
  uint64_t connectionsOpen = 0;
  uint64_t commands = 0;
  uint64_t keys = 0;
  uint64_t expiredKeys = 0;
  /// What the primary streamed to the replica.
  uint64_t replicationBytes = 0;
  uint64_t replicationCommands = 0;
};

class RespStore final : public RespBackend {
public:
  explicit RespStore(RespStoreOptions options = {});
  /// Stops the store.
  ~RespStore() override;
  RespStore(const RespStore &) = delete;
  RespStore &operator=(const RespStore &) = delete;

  /// Binds 127.0.0.1:`port` (0: an ephemeral port) for the primary, and the
  /// replica's port, then starts the event loop. Returns the primary's port.
  llvm::Expected<uint16_t> start(uint16_t port = 0);

  llvm::StringRef backendName() const override { return "embedded"; }
  unsigned nodeCount() const override;
  std::string address(unsigned node) const override;
  uint16_t port(unsigned node) const;
  int primary() const override;
  bool isUp(unsigned node) const override;
  llvm::Error kill(unsigned node) override;
  void stop() override;

  RespNodeStats stats(unsigned node) const;
  /// Waits until every node is down or `timeout` passed; true when all are
  /// down (the standalone server exits then).
  bool waitAllDown(runtime::Duration timeout) const;

private:
  class Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace infrac::live

#endif // INFRAC_RUNTIME_LIVE_RESPSTORE_H

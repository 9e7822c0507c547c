//===- RespBackend.h - A session store's nodes, embedded or Redis -*- C++ -*-===//
//
// What `infrac run` needs of a session store, whichever serves it: the
// embedded store (RespStore) or a real Redis (RedisBackend). A store has one
// node, or two (a primary streaming its writes to a replica). Killing a node
// makes it drop its connections and stop answering; its data is gone. When
// the primary is killed and the replica is up, the replica takes over.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_RESPBACKEND_H
#define INFRAC_RUNTIME_LIVE_RESPBACKEND_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace infrac::live {

class RespBackend {
public:
  virtual ~RespBackend() = default;
  /// "embedded" or "redis" (the `backend` of `GET /v1/status`).
  virtual llvm::StringRef backendName() const = 0;
  /// One node, or two with a replica.
  virtual unsigned nodeCount() const = 0;
  /// "127.0.0.1:PORT" of a node.
  virtual std::string address(unsigned node) const = 0;
  /// The node that takes writes, or -1 when none is up.
  virtual int primary() const = 0;
  virtual bool isUp(unsigned node) const = 0;
  /// Kills a node; when it was the primary and the replica is up, the
  /// replica is promoted.
  virtual llvm::Error kill(unsigned node) = 0;
  /// Stops every node (idempotent).
  virtual void stop() = 0;

  /// The primary's address, or "" when no node is up.
  std::string primaryAddress() const {
    int p = primary();
    return p < 0 ? std::string() : address(unsigned(p));
  }
};

} // namespace infrac::live

#endif // INFRAC_RUNTIME_LIVE_RESPBACKEND_H

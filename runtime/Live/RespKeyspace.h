//===- RespKeyspace.h - The store's keyspace and commands ------*- C++ -*-===//
//
// The embedded store's logic without sockets or clocks: a keyspace (strings
// and hashes in a flat hash table, expiry lazy on access and active by
// sampling, as Redis does) and the commands that act on it, from an argument
// vector and the instant the command was received to a RESP2 reply appended
// to a buffer. The server drives it from one event-loop thread with a steady
// clock; tests drive it with hand-made instants.
//
// Replies and errors are worded as Redis 7.0 words them.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_RESPKEYSPACE_H
#define INFRAC_RUNTIME_LIVE_RESPKEYSPACE_H

#include "Core/Core.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <memory>
#include <string>

namespace infrac::live {

using runtime::Instant;

/// One connection as the keyspace sees it.
struct RespSession {
  int64_t id = 0;
  bool authenticated = false;
  /// The connection must be closed once the reply is written (QUIT, a
  /// protocol error).
  bool closeAfterReply = false;
  /// The primary's replication stream: not subject to AUTH or READONLY.
  bool replicationLink = false;
  std::string name;
};

enum class RespRole { Primary, Replica };

/// A command the keyspace validated but that acts on the node (its process,
/// its replication) and that the server answers.
enum class RespNodeCommand { None, Shutdown, ReplicaOf, Wait, Role, Info };

struct RespResult {
  /// The command may have changed the data set: the primary streams it to
  /// its replica.
  bool write = false;
  RespNodeCommand node = RespNodeCommand::None;
};

/// Counters for INFO and the server's stats.
struct RespKeyspaceStats {
  uint64_t commands = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t expiredKeys = 0;
};

class RespKeyspace {
public:
  struct Options {
    /// The `requirepass` password; empty: none (AUTH answers as Redis does
    /// without one).
    std::string password;
  };

  explicit RespKeyspace(Options options = {});
  ~RespKeyspace();
  RespKeyspace(const RespKeyspace &) = delete;
  RespKeyspace &operator=(const RespKeyspace &) = delete;

  /// Executes one command received at `now` and appends its RESP2 reply to
  /// `out` (nothing for a node command, which the caller answers).
  RespResult execute(RespSession &session, llvm::ArrayRef<llvm::StringRef> argv,
                     Instant now, std::string &out);

  /// One round of active expiry as Redis's `activeExpireCycle`: samples keys
  /// with a time to live, deletes the expired ones and goes on while more than
  /// a quarter of a sample had expired, at most `maxRounds` rounds. Calls
  /// `onExpired` with each deleted key (the primary streams a DEL).
  size_t activeExpireCycle(Instant now, runtime::Rng &rng,
                           llvm::function_ref<void(llvm::StringRef)> onExpired,
                           unsigned maxRounds = 16);

  /// A replica refuses writes from clients (READONLY) and never deletes an
  /// expired key itself: it waits for the primary's DEL, and reads treat the
  /// key as absent meanwhile.
  void setRole(RespRole role);
  RespRole role() const;

  /// Number of keys, counting expired keys not yet deleted.
  size_t size() const;
  /// Number of keys with a time to live.
  size_t volatileSize() const;
  void flush();
  const RespKeyspaceStats &stats() const;
  /// Whether a connection must AUTH first.
  bool requiresAuth() const;

private:
  class Impl;
  std::unique_ptr<Impl> impl;
};

/// Writes RESP2 values into a buffer.
namespace resp {
void simple(std::string &out, llvm::StringRef s);
void error(std::string &out, llvm::StringRef s);
void integer(std::string &out, int64_t v);
void bulk(std::string &out, llvm::StringRef s);
void nil(std::string &out);
void array(std::string &out, size_t n);
/// Redis's `string2ll`: decimal, no spaces, no '+', no leading zeros.
bool parseInt(llvm::StringRef s, int64_t &v);
} // namespace resp

} // namespace infrac::live

#endif // INFRAC_RUNTIME_LIVE_RESPKEYSPACE_H

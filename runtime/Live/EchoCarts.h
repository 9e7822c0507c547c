//===- EchoCarts.h - infrac-echo's shopping carts, kept per strategy -*- C++ -*-===//
//
// The cart each user of the echo app has, in the session its own cookie
// names (JSESSIONID unless configured), kept as the group's strategy says:
//   in_memory   in this process only (a crash, or another server, loses it);
//   replicated  all-to-all: every change is sent to every peer over a real
//               socket and acknowledged before the answer (Tomcat's
//               DeltaManager with a synchronous send); a new member asks a
//               peer for every session first;
//   backup      primary/backup: the change goes to one backup, chosen round
//               robin among the other members, and the others are told only
//               where the session lives (Tomcat's BackupManager and its
//               LazyReplicatedMap); a member that serves a session it holds
//               no copy of fetches it from the backup (else the primary) and
//               becomes its primary;
//   external    in the session store, through RESP (the embedded store or a
//               real Redis): GET and SET of one key per session with its TTL.
// Replication is a line protocol on the instance's replication port:
// HELLO, ALL, SET, BACKUP, PROXY, DEL, GET; each message is answered.
// Messages and bytes are counted both ways.
//
// Everything runs on the echo app's one event-loop thread.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_ECHOCARTS_H
#define INFRAC_RUNTIME_LIVE_ECHOCARTS_H

// g++ 12 needs <utility> before Asio's coroutine headers.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace infrac::echo {

enum class CartStrategy { InMemory, Replicated, Backup, External };

struct CartsConfig {
  CartStrategy strategy = CartStrategy::InMemory;
  std::string cookie = "JSESSIONID";
  std::chrono::milliseconds ttl{30 * 60 * 1000};
  std::string instance; ///< Appended to session ids (as Tomcat's jvmRoute).
  uint16_t replicationPort = 0; ///< Replicated, backup: 0 for any free port.
  std::vector<std::string> peers; ///< "127.0.0.1:PORT" of the other members.
  std::vector<std::string> store; ///< External: the store's nodes, primary first.
};

/// From SESSIONS, SESSION_COOKIE, SESSION_TTL_MS, REPLICATION_PORT,
/// SESSION_PEERS and SESSION_STORE; nullopt without SESSIONS. `error` is set
/// when one is malformed.
std::optional<CartsConfig> cartsConfigFromEnv(std::string &error);

/// What a cart request answers; the app wraps it in its HTTP response.
struct CartReply {
  unsigned status = 200;
  std::string body;      ///< JSON.
  std::string setCookie; ///< A new session's cookie, or empty.
};

class Carts {
public:
  /// Listens on the replication port (replicated, backup) and greets the
  /// peers. Null and `error` set when the port cannot be bound.
  static std::unique_ptr<Carts> create(boost::asio::io_context &io, CartsConfig config,
                                       std::string &error);
  ~Carts();

  /// POST /cart/items {"sku": "...", "qty": N}, GET /cart, DELETE /cart;
  /// `cookieHeader` is the request's Cookie header.
  boost::asio::awaitable<CartReply> serve(llvm::StringRef method, llvm::StringRef path,
                                          llvm::StringRef cookieHeader, llvm::StringRef body);
  /// Whether `path` is one of the cart's.
  static bool isCartPath(llvm::StringRef path) {
    return path == "/cart" || path == "/cart/items";
  }
  /// The "sessions" object of the control endpoint: the strategy, sessions
  /// held, created, found and lost, and the replication counters.
  llvm::json::Object stats() const;
  uint16_t replicationPort() const;

private:
  class Impl;
  explicit Carts(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace infrac::echo

#endif // INFRAC_RUNTIME_LIVE_ECHOCARTS_H

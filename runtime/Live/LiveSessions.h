//===- LiveSessions.h - `infrac run`'s session stores and replication -*- C++ -*-===//
//
// What the live shell adds for web sessions: one store per external
// `session_store` (the embedded RESP store, with a replica node when
// `nodes >= 2`; or a real Redis at its `backend`, or `--redis NAME=ADDR`),
// the environment each instance gets for its strategy (SESSIONS, the cookie,
// the TTL on the scaled clock, the store's nodes, its replication port and
// its running peers'), killing a store's primary, and the stores' JSON for
// the ready file and GET /v1/status. Private to runtime/Live.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_LIVESESSIONS_H
#define INFRAC_RUNTIME_LIVE_LIVESESSIONS_H

#include "Live/RespBackend.h"
#include "Plan/Plan.h"

// g++ 12 needs <utility> before Asio's coroutine headers.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace infrac::live {

/// An instance whose app keeps sessions, and where its control endpoint is.
struct SessionInstance {
  uint32_t asg = 0, id = 0;
  uint16_t controlPort = 0;
};

/// What an instance's counters moved by since they were last read.
struct SessionCounts {
  uint32_t asg = 0;
  uint64_t lost = 0, messages = 0, bytes = 0;
};

class LiveSessions {
public:
  /// Starts (or attaches to) every external store of the plan.
  static llvm::Expected<std::unique_ptr<LiveSessions>> start(const runtime::Plan &plan,
                                                             double timeScale);
  ~LiveSessions();

  /// The environment of instance `id` of group `asg`: its strategy, and
  /// with replication `replicationPort` (free) and the replication
  /// addresses of the group's members `running` says are.
  std::vector<std::string> instanceEnv(uint32_t asg, uint32_t id, uint16_t replicationPort,
                                       llvm::function_ref<bool(uint32_t id)> running);
  /// Kills the primary of store `store` (a replica takes over where there
  /// is one); a line for the log.
  std::string killStore(uint32_t store);
  /// Until the io_context stops: every `every`, reads the control endpoint
  /// of each of `instances()` (GET /control) and hands each one's counters
  /// that moved (sessions lost, replication messages and bytes sent) to
  /// `moved`, then calls `tick` (both with what the caller guards held by
  /// the caller's functions themselves).
  boost::asio::awaitable<void>
  countSessions(boost::asio::io_context &io, std::chrono::milliseconds every,
                std::function<std::vector<SessionInstance>()> instances,
                std::function<void(const SessionCounts &)> moved, std::function<void()> tick);
  /// [{"name", "address", "backend", "nodes": [...]}] of the external stores.
  llvm::json::Array json() const;
  void stop();

private:
  LiveSessions(const runtime::Plan &plan, double timeScale) : plan(plan), timeScale(timeScale) {}
  const runtime::Plan &plan;
  double timeScale;
  std::vector<std::unique_ptr<RespBackend>> backends; ///< By store; null for replicated.
  /// Replication ports of the instances, by group: id -> port.
  std::map<uint32_t, std::map<uint32_t, uint16_t>> replicationPorts;
  /// The counters last read, by instance id.
  std::map<uint32_t, SessionCounts> seen;
};

} // namespace infrac::live

#endif

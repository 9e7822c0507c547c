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

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace infrac::live {

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
};

} // namespace infrac::live

#endif

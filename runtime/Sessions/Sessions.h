//===- Sessions.h - How a web tier keeps its users' sessions -*- C++ -*-===//
//
// The session strategies of a scaled-out web tier as pure decisions: where a
// client's session lives after each request, and whether a request found the
// session it had. In memory, only the instance that wrote it holds it (a
// crash or a new process loses it); replicated all-to-all, every member of
// the group holds a copy (Tomcat's DeltaManager); replicated with one backup,
// the home and one other member do (Tomcat's BackupManager); in an external
// store, no instance matters. Who holds what is asked of the caller, so the
// simulator and the live runtime decide the same way.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_SESSIONS_H
#define INFRAC_RUNTIME_SESSIONS_H

#include "Core/Core.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace infrac::runtime {

enum class SessionStrategy : uint8_t { None, InMemory, Replicated, External };

/// Where one client's session for one target group lives.
struct SessionHome {
  uint32_t tg = 0;
  uint32_t instance = 0; ///< The instance that last wrote it.
  uint32_t backup = 0;   ///< Replicated with one backup: the copy's holder (0: none).
  Instant lastWrite = 0;
};

/// How the sessions of the serving instance are kept.
struct SessionPolicy {
  SessionStrategy strategy = SessionStrategy::None;
  bool replicas = false;   ///< Replicated, with a group holding the copies.
  bool backupOnly = false; ///< Replicated with one backup, not all-to-all.
  Duration ttl = seconds(1800);
};

/// What the deciding needs to know of the world.
struct SessionWorld {
  /// Whether `instance` still holds what it had at `since`: it runs, its app
  /// is up, and its process started no later than that.
  llvm::function_ref<bool(uint32_t instance, Instant since)> holds;
  /// Whether any member of the replica group holds it.
  llvm::function_ref<bool(Instant since)> anyReplicaHolds;
  /// Replicated with one backup: the member that takes the copy of a
  /// session homed on `home` (0: none).
  llvm::function_ref<uint32_t(uint32_t home)> backupFor;
};

/// A request of a client whose session is `home` (null: it has none yet)
/// served at `now` by `instance`. Returns whether the session was lost, and
/// moves the session to `instance` (`fresh` is filled in for a new one).
bool serveSession(Instant now, uint32_t instance, const SessionPolicy &policy,
                  SessionHome *home, SessionHome &fresh, const SessionWorld &world);

} // namespace infrac::runtime

#endif

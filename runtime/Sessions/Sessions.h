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

#include <cstdint>

namespace infrac::runtime {

enum class SessionStrategy : uint8_t { None, InMemory, Replicated, External };

/// "in_memory", ... as the language spells it.
const char *strategyName(SessionStrategy s);

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

/// A request of a client whose session is `home` (null: it has none yet)
/// served at `now` by `instance`. Returns whether the session was lost, and
/// moves the session to `instance` (`fresh` is filled in for a new one).
/// `world` says what the deciding needs to know (inlined: it runs per
/// request):
///   bool holds(uint32_t instance, Instant since) - the instance still holds
///     what it had at `since`: it runs, its app is up, and its process started
///     no later than that;
///   bool anyReplicaHolds(Instant since) - a member of the replica group does;
///   uint32_t backupFor(uint32_t home) - replicated with one backup: the member
///     that takes the copy of a session homed on `home` (0: none);
///   bool storeHolds(Instant since) - external: the store still holds what
///     was written to it at `since` (it was not lost with its last node).
template <typename World>
bool serveSession(Instant now, uint32_t instance, const SessionPolicy &policy, SessionHome *home,
                  SessionHome &fresh, World &&world) {
  bool oneBackup = policy.backupOnly && policy.replicas;
  if (!home) {
    fresh.instance = instance;
    fresh.backup = oneBackup ? world.backupFor(instance) : 0;
    fresh.lastWrite = now;
    return false;
  }
  bool lost = false;
  if (now - home->lastWrite <= policy.ttl) {
    switch (policy.strategy) {
    case SessionStrategy::None:
      break;
    case SessionStrategy::External:
      lost = !world.storeHolds(home->lastWrite);
      break;
    case SessionStrategy::InMemory:
      lost = !(home->instance == instance && world.holds(instance, home->lastWrite));
      break;
    case SessionStrategy::Replicated:
      if (!policy.replicas)
        break;
      if (policy.backupOnly)
        lost = !world.holds(home->instance, home->lastWrite) &&
               !world.holds(home->backup, home->lastWrite);
      else
        lost = !world.anyReplicaHolds(home->lastWrite);
      break;
    }
  }
  if (home->instance != instance)
    home->backup = oneBackup ? world.backupFor(instance) : 0;
  home->instance = instance;
  home->lastWrite = now;
  return lost;
}

} // namespace infrac::runtime

#endif

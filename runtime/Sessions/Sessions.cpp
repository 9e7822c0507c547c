//===- Sessions.cpp - Session strategies as pure decisions ----------------===//

#include "Sessions/Sessions.h"

namespace infrac::runtime {

bool serveSession(Instant now, uint32_t instance, const SessionPolicy &policy,
                  SessionHome *home, SessionHome &fresh, const SessionWorld &world) {
  if (!home) {
    fresh.instance = instance;
    fresh.backup = policy.backupOnly && policy.replicas ? world.backupFor(instance) : 0;
    fresh.lastWrite = now;
    return false;
  }
  bool lost = false;
  if (now - home->lastWrite <= policy.ttl) {
    switch (policy.strategy) {
    case SessionStrategy::None:
    case SessionStrategy::External:
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
    home->backup = policy.backupOnly && policy.replicas ? world.backupFor(instance) : 0;
  home->instance = instance;
  home->lastWrite = now;
  return lost;
}

} // namespace infrac::runtime

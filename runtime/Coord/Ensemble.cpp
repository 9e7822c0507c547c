//===- Ensemble.cpp - A ZooKeeper ensemble's quorum, as clients see it ---===//
#include "Coord/Ensemble.h"

namespace infrac::runtime::zk {

Ensemble::Ensemble(Options o) : opts(o), up(o.servers, false) {
  assert(o.servers > 0 && "an ensemble has servers");
}

Duration Ensemble::electionDuration() const {
  // Votes settle after finalizeWait; a follower usually races the new
  // leader's learner socket once and retries; then the sync.
  return opts.finalizeWait + opts.connectRetry + opts.sync;
}

bool Ensemble::hasQuorum() const {
  unsigned n = 0;
  for (bool u : up)
    n += u;
  return 2 * n > up.size();
}

void Ensemble::startElection(Instant now) {
  leaderIdx = -1;
  noticeAt = Never;
  electedAt = hasQuorum() ? now + electionDuration() : Never;
}

void Ensemble::start(Instant now, bool established) {
  up.assign(up.size(), true);
  if (!established) {
    startElection(now);
    return;
  }
  leaderIdx = int(up.size()) - 1;
  noticeAt = electedAt = Never;
}

void Ensemble::kill(Instant now, unsigned server, bool silent) {
  assert(server < up.size() && "no such server");
  if (!up[server])
    return;
  up[server] = false;
  if (silent && int(server) == leaderIdx && hasQuorum()) {
    // Nothing commits from now on, but the followers hold their clients
    // until their reads from the leader time out.
    leaderIdx = -1;
    noticeAt = now + Duration(opts.syncLimit) * opts.tick;
    electedAt = noticeAt + electionDuration();
    return;
  }
  if (int(server) == leaderIdx || !hasQuorum()) {
    // The followers' sockets to the leader close (or the leader loses its
    // quorum of followers and steps down): everyone goes LOOKING.
    startElection(now);
  }
}

void Ensemble::restore(Instant now, unsigned server) {
  assert(server < up.size() && "no such server");
  if (up[server])
    return;
  up[server] = true;
  // A restored server joins an established leader as a follower; without a
  // leader, the quorum it completes elects one.
  if (leaderIdx < 0 && !electing())
    startElection(now);
}

bool Ensemble::advance(Instant now) {
  if (noticeAt <= now)
    noticeAt = Never; // The followers go LOOKING: they drop their clients.
  if (electedAt == Never || now < electedAt)
    return false;
  electedAt = Never;
  if (!hasQuorum())
    return false;
  // FastLeaderElection orders votes by (epoch, zxid, myid); the peers share
  // their zxid here, so the highest id that is up wins.
  for (int i = int(up.size()) - 1; i >= 0; --i)
    if (up[i]) {
      leaderIdx = i;
      break;
    }
  ++changes;
  return true;
}

} // namespace infrac::runtime::zk

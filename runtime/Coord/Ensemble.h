//===- Ensemble.h - A ZooKeeper ensemble's quorum, as clients see it -*- C++ -*-===//
//
// Which servers of an ensemble serve clients at an instant: a server serves
// when it is up and the ensemble has an established leader. Losing the leader
// (or regaining a quorum) starts an election, during which every server
// refuses clients; losing the quorum makes every server refuse until it
// returns. Pure: no clock, no I/O; the caller passes `now` and wakes the model
// at nextWake().
//
// The timeouts are the ones zookeeperAdmin.md defines, in ticks of tickTime:
// initLimit bounds how long followers take to connect and sync to a new
// leader, syncLimit how far a follower may lag its leader, and so how long a
// silent leader (its machine gone, its sockets not closed) goes unnoticed:
// the follower's socket to the leader reads with a syncLimit-tick timeout
// (Learner.java), then it goes LOOKING.
//
// The election's length follows ZooKeeper 3.8's FastLeaderElection and
// Learner (zookeeper-server/.../server/quorum/): a follower notices a dead
// leader's closed socket at once (a silent one after syncLimit ticks), every
// LOOKING peer waits `finalizeWait` (200 ms) after a quorum agrees before it
// settles, and a follower that reaches the new leader before its learner port
// is open retries after `leaderConnectDelayDuringRetryMs` (100 ms), then syncs
// (a DIFF and UPTODATE; about 100 ms on loopback). None of it scales with the
// tick: Debian's ZooKeeper 3.8 on loopback, leader SIGKILLed, served again
// after 0.43-0.48 s at tickTime 200 ms and 0.36-0.49 s at 1000 ms (three
// trials each, tests/zk/zk_ensemble.py).
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_COORD_ENSEMBLE_H
#define INFRAC_RUNTIME_COORD_ENSEMBLE_H

#include "Core/Core.h"

#include <algorithm>
#include <vector>

namespace infrac::runtime::zk {

class Ensemble {
public:
  struct Options {
    unsigned servers = 3;
    Duration tick = millis(2000);
    Duration finalizeWait = millis(200); ///< FastLeaderElection.finalizeWait.
    Duration connectRetry = millis(100); ///< Learner's leaderConnectDelayDuringRetryMs.
    Duration sync = millis(100);         ///< The new leader syncs its followers.
    unsigned syncLimit = 5;              ///< Ticks before a silent leader is noticed.
  };
  explicit Ensemble(Options o);

  /// How long an election takes from the moment the peers go LOOKING.
  Duration electionDuration() const;

  /// Every server starts at `now` and elects a leader; `established`: the
  /// highest one leads already (deployed before the run began).
  void start(Instant now, bool established = false);
  /// A server process dies: its clients are cut off; if it led, the others
  /// elect a new leader when they still form a quorum. `silent`: the machine
  /// went away without closing its sockets, so the followers keep their
  /// clients and notice the lost leader only after syncLimit ticks.
  void kill(Instant now, unsigned server, bool silent = false);
  /// A server process is back: it joins (and may complete a quorum).
  void restore(Instant now, unsigned server);
  /// Completes what is due: the followers noticing a silent leader's loss
  /// (they go LOOKING) or an election. Returns true when a leader was
  /// established at this call (the caller then renews every session: the new
  /// leader's session tracker starts each session's timeout over).
  bool advance(Instant now);
  Instant nextWake() const { return std::min(noticeAt, electedAt); }

  unsigned size() const { return unsigned(up.size()); }
  bool isUp(unsigned server) const { return up[server]; }
  bool hasQuorum() const;
  /// True when `server` accepts clients now: it has a leader, or has not
  /// noticed yet that its leader is gone (nothing commits meanwhile).
  bool serving(unsigned server) const {
    return up[server] && (leaderIdx >= 0 || noticeAt != Never);
  }
  /// The leader server's index, or -1 (electing or no quorum).
  int leader() const { return leaderIdx; }
  bool electing() const { return electedAt != Never; }
  unsigned leaderChanges() const { return changes; }

private:
  void startElection(Instant now);

  Options opts;
  std::vector<bool> up;
  int leaderIdx = -1;
  Instant noticeAt = Never; ///< When the followers notice a silent leader's loss.
  Instant electedAt = Never;
  unsigned changes = 0;
};

} // namespace infrac::runtime::zk

#endif

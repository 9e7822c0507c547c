//===- Coord.h - Coordination: a ZooKeeper ensemble and its members -*- C++ -*-===//
//
// The simulated coordination service: the ensemble's quorum (Ensemble.h), the
// server-side znode tree with its sessions and watches (ZnodeTree.h, the
// tree the embedded live server serves) and each member's client recipes
// (Recipes.h: the election and registration the live members run), wired
// together by virtual time: requests take a round trip, watch notifications
// half of one, sessions expire on tick boundaries, and the ensemble elects
// its leader as ZooKeeper does. Timers go through the caller's Scheduler;
// what changes is reported as typed events. Nothing here reads a clock or
// does I/O.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_COORD_H
#define INFRAC_RUNTIME_COORD_H

#include "Coord/Ensemble.h"
#include "Coord/Recipes.h"
#include "Coord/ZnodeTree.h"
#include "Core/Core.h"

#include <map>
#include <string>
#include <vector>

namespace infrac::runtime {

struct CoordinationConfig {
  std::string name;
  unsigned servers = 3; ///< Voting servers.
  Duration tick = seconds(2);
  /// initLimit and syncLimit, in ticks: how long followers have to connect
  /// and sync to a new leader, and how long a silent leader goes unnoticed.
  unsigned initLimit = 10, syncLimit = 5;
  /// The sessions' requested timeout; negotiated into [2, 20] ticks.
  Duration sessionTimeout = seconds(6);
  Duration opLatency = millis(2);        ///< A request's round trip.
  Duration reconnectDelay = millis(500); ///< A client trying the next server.
  struct Election {
    std::string name, path;
    bool herd = false; ///< Every candidate watches the children (the herd effect).
  };
  std::vector<Election> elections;
  struct Service {
    std::string name, path;
  };
  std::vector<Service> services;
};

/// What the ensemble and its members' recipes report: one shape for every
/// change, turned into the timeline's lines by the Fabric.
struct CoordEvent {
  enum Kind : uint8_t {
    EnsembleUp,     ///< `n` servers up; `server` leads.
    ServerDown,     ///< `server` went down, `n` up; `led`: it was the leader.
    ServerUp,       ///< `server` is back.
    NoQuorum,       ///< Only `n` servers up: nothing is served.
    ServerLeads,    ///< `server` leads the ensemble: session timers restart.
    Created,        ///< `member` created `path` in `election`.
    Registered,     ///< `member` registered as `path`.
    Leads,          ///< `member` leads `election`: its znode `path` is the lowest.
    Follows,        ///< `member` follows in `election` as `path`, watching
                    ///< `other` (empty: every candidate, the herd recipe).
    Suspended,      ///< `member` lost its connection (`cause`) and gave up leading `election`.
    Disconnected,   ///< `member` lost its server (`cause`) and reconnects.
    StoppedLeading, ///< `member`'s process stopped while leading `election` (znode `path`).
    SessionClosed,  ///< `member` closed its session; `paths` went with it.
    SessionExpired, ///< `member`'s session expired; `paths` went with it.
    WatchesFired,   ///< Deleting `path` fired `n` watches.
    SessionLost,    ///< `member` came back to an expired session: it starts over.
  };
  enum Cause : uint8_t { ServerGone, NoLeader, Paused };
  Kind kind = EnsembleUp;
  Cause cause = ServerGone;
  bool led = false;
  uint32_t member = 0, election = 0;
  int server = -1;
  unsigned n = 0;
  std::string path, other;
  std::vector<std::string> paths;
};

/// An ensemble and its members. Members are client processes: each opens a
/// session on a serving server and runs a LeaderElection per election and a
/// ServiceRegistration per service over it. When a member dies its session
/// stops heartbeating and the tree expires it after the negotiated timeout
/// (on the tick boundary after it), deleting its ephemeral znodes and firing
/// the watches on them. A member whose server goes is SUSPENDED (a leader
/// gives up leading, as Curator's LeaderLatch does) and reconnects to
/// another; one whose session expired meanwhile starts over with a new one.
/// Without a quorum, or while the servers elect a leader, nothing is served
/// and no session expires; a new leader renews every session.
class Coordination {
public:
  /// Timers go to `sched` as `timer` with its `arg` replaced; the owner
  /// hands them back to onTimer().
  Coordination(CoordinationConfig c, Scheduler &sched, Timer timer);
  const CoordinationConfig &config() const { return cfg; }
  Duration negotiatedTimeout() const { return tree.negotiate(cfg.sessionTimeout); }

  /// The servers are up and have a leader (deployed before the run).
  void start(std::vector<CoordEvent> &out);
  /// A server stops. `silent`: its machine is gone without closing its
  /// sockets, so the followers notice only after syncLimit ticks.
  void serverDown(unsigned server, bool silent, std::vector<CoordEvent> &out);
  void serverUp(unsigned server, std::vector<CoordEvent> &out);
  /// Declares a member (not yet running) that runs in `elections` and
  /// registers in `services`; returns its number.
  uint32_t addMember(std::string name, std::vector<uint32_t> elections,
                     std::vector<uint32_t> services);
  /// The member's process starts: it opens a session and runs its recipes.
  void memberUp(uint32_t member, std::vector<CoordEvent> &out);
  /// The member's process dies (`graceful`: it closes its session first, so
  /// its znodes go at once).
  void memberDown(uint32_t member, bool graceful, std::vector<CoordEvent> &out);
  /// The member's process is frozen (SIGSTOP, a long GC pause): it sends no
  /// heartbeat and sees nothing until it resumes.
  void memberPause(uint32_t member, std::vector<CoordEvent> &out);
  /// It runs again: before acting it checks its connection and session, so
  /// a leader whose session expired meanwhile stops leading.
  void memberResume(uint32_t member, std::vector<CoordEvent> &out);
  /// A timer of this ensemble's is due.
  void onTimer(const Timer &t, std::vector<CoordEvent> &out);

  bool hasQuorum() const { return ens.hasQuorum(); }
  bool serverIsUp(unsigned server) const { return server < ens.size() && ens.isUp(server); }
  /// The ensemble's leader server, or -1 (electing, or no quorum).
  int leaderServer() const { return ens.leader(); }
  /// Times a server was elected the ensemble's leader after the start.
  unsigned serverLeaderChanges() const { return ens.leaderChanges(); }
  /// The member acting as an election's leader (running, connected, and
  /// its recipe leads), or -1.
  int leader(uint32_t election) const;
  /// Members acting as the election's leader (the recipe keeps this at
  /// most one).
  unsigned leaderCount(uint32_t election) const;
  /// Times an election's leadership passed to another member.
  unsigned leaderChanges(uint32_t election) const { return elections[election].changes; }
  /// Members registered under a service's path (its ephemeral children).
  unsigned registered(uint32_t service) const;
  const std::string &memberName(uint32_t m) const { return members[m].name; }
  bool memberIsUp(uint32_t m) const { return members[m].up; }
  bool memberIsPaused(uint32_t m) const { return members[m].paused; }
  /// The member's session (0: none yet).
  zk::SessionId memberSession(uint32_t m) const { return members[m].session; }
  /// Since when a live session's client has not heartbeated (its last
  /// heartbeat, or the instant a new ensemble leader renewed it); Never
  /// while it heartbeats.
  Instant silentSince(zk::SessionId session) const;
  size_t memberCount() const { return members.size(); }
  /// Notifications delivered so far (watches that fired at a live client).
  uint64_t notifications() const { return notified; }
  const zk::ZnodeTree &znodes() const { return tree; }
  const zk::Ensemble &ensemble() const { return ens; }

private:
  enum TimerKind : uint8_t { Reply, Notify, Expiry, Election, Reconnect };
  struct Member {
    std::string name;
    std::vector<uint32_t> elections, services;
    std::vector<zk::LeaderElection> runs;        ///< Per election it runs in.
    std::vector<zk::ServiceRegistration> regs;   ///< Per service.
    std::vector<std::string> reported;           ///< Per run: the last Follows.
    std::vector<std::string> created;            ///< Per run: the last znode reported.
    bool up = false, paused = false;
    int server = -1;          ///< Connected to; -1: disconnected.
    uint64_t connection = 0;  ///< Bumped at every (dis)connection.
    zk::SessionId session = 0;
    TimerId reconnect = NoTimer;
  };
  /// A request on its way, or a notification.
  struct Pending {
    uint32_t member;
    uint64_t connection;
    uint32_t recipe; ///< < runs.size(): an election; then its services.
    zk::Request request;
    zk::EventType event = zk::EventType::None;
    std::string path;
  };
  struct ElectionState {
    int lastLeader = -1;
    unsigned changes = 0;
  };

  TimerId at(Instant when, TimerKind k, uint64_t payload);
  bool heartbeating(const Member &mb) const {
    return mb.up && !mb.paused && mb.server >= 0 && ens.serving(unsigned(mb.server));
  }
  void send(uint32_t m, uint32_t recipe, zk::Actions &&a, std::vector<CoordEvent> &out);
  void deliver(uint64_t key, std::vector<CoordEvent> &out);
  void connect(uint32_t m, std::vector<CoordEvent> &out);
  void disconnect(uint32_t m, CoordEvent::Cause why, std::vector<CoordEvent> &out);
  /// Tells the member's recipes their connection is lost; it reconnects.
  void suspend(uint32_t m, CoordEvent::Cause why, std::vector<CoordEvent> &out);
  void sessionEvent(uint32_t m, zk::SessionEvent e, std::vector<CoordEvent> &out);
  /// Disconnects the members whose server no longer serves; reconnects
  /// the waiting ones when the ensemble serves again.
  void reconcile(std::vector<CoordEvent> &out);
  /// Runs the tree's due expiries and reports what the tree did.
  void expire(std::vector<CoordEvent> &out);
  /// Turns the tree's effects into notifications and events.
  void effects(const std::vector<std::pair<zk::SessionId, std::vector<std::string>>> &ended,
               bool closed, std::vector<CoordEvent> &out);
  void armExpiry();
  void armElection();

  CoordinationConfig cfg;
  Scheduler &sched;
  Timer timer;
  zk::ZnodeTree tree;
  zk::Ensemble ens;
  bool served = false; ///< Whether the ensemble had a leader at the last reconcile.
  std::vector<Member> members;
  std::vector<ElectionState> elections;
  std::map<uint64_t, Pending> pending;
  std::map<zk::SessionId, uint32_t> owner;  ///< Every session's member.
  std::map<zk::SessionId, Instant> silent;  ///< Live sessions not heartbeating.
  uint64_t nextPending = 1;
  Instant expiryArmed = Never, electionArmed = Never;
  uint64_t notified = 0;
};

} // namespace infrac::runtime

#endif

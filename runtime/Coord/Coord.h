//===- Coord.h - Coordination: a ZooKeeper-style ensemble and its recipes -*- C++ -*-===//
//
// The coordination service's server side (the ensemble's quorum, sessions
// and their expiry, znodes and watches) and its clients' recipes (leader
// election by ephemeral sequential znodes, each candidate watching only its
// predecessor; service registration by ephemeral znodes), as pure state
// machines driven with the current instant. Like the controllers, nothing
// here reads a clock or does I/O.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_COORD_H
#define INFRAC_RUNTIME_COORD_H

#include "Core/Core.h"

#include "llvm/ADT/StringRef.h"

#include <map>
#include <string>
#include <vector>

namespace infrac::runtime {

//===----------------------------------------------------------------------===//
// Coordination: a ZooKeeper-style ensemble and leader elections
//===----------------------------------------------------------------------===//

struct CoordinationConfig {
  std::string name;
  unsigned servers = 3; ///< Voting servers.
  Duration tick = seconds(2);
  /// The sessions' requested timeout; negotiated into [2, 20] ticks.
  Duration sessionTimeout = seconds(6);
  Duration opLatency = millis(2);          ///< A request's round trip.
  Duration leaderElection = millis(200);   ///< The servers electing their leader.
  Duration reconnectDelay = millis(500);   ///< A client trying the next server.
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
    Suspended,      ///< `member` lost its server (`cause`) and gave up leading `election`.
    Disconnected,   ///< `member` lost its server (`cause`) and reconnects.
    StoppedLeading, ///< `member`'s process stopped while leading `election` (znode `path`).
    SessionClosed,  ///< `member` closed its session; `paths` went with it.
    SessionExpired, ///< `member`'s session expired; `paths` went with it.
    WatchesFired,   ///< Deleting `path` fired `n` watches.
    SessionLost,    ///< `member` came back to an expired session: it starts over.
  };
  enum Cause : uint8_t { ServerGone, NoLeader };
  Kind kind = EnsembleUp;
  Cause cause = ServerGone;
  bool led = false;
  uint32_t member = 0, election = 0;
  int server = -1;
  unsigned n = 0;
  std::string path, other;
  std::vector<std::string> paths;
};

/// The ensemble, its sessions and znodes, and its clients' recipes (leader
/// election by ephemeral sequential znodes, each candidate watching only its
/// predecessor; service registration by ephemeral znodes), as one state
/// machine. Members are the client processes: when one dies its session
/// stops heartbeating and expires after the negotiated timeout (in the tick
/// the ensemble checks it), its ephemeral znodes are deleted and the
/// watches on them fire. A client that loses its server is SUSPENDED (a
/// leader gives up leadership, as Curator's LeaderLatch does) and reconnects
/// to another; a client whose session expired meanwhile starts over with a
/// new one. Without a quorum there is no ensemble leader and no session can
/// be served; a new ensemble leader restarts the session timers.
class Coordination {
public:
  explicit Coordination(CoordinationConfig c);
  const CoordinationConfig &config() const { return cfg; }
  Duration negotiatedTimeout() const;

  /// The servers are up and have a leader at `now`.
  void start(Instant now, std::vector<CoordEvent> &out);
  void serverDown(Instant now, unsigned server, std::vector<CoordEvent> &out);
  void serverUp(Instant now, unsigned server, std::vector<CoordEvent> &out);
  /// Declares a member (not yet running) that runs in `elections` and
  /// registers in `services`; returns its number.
  uint32_t addMember(std::string name, std::vector<uint32_t> elections,
                     std::vector<uint32_t> services);
  /// The member's process starts: it opens a session and runs its recipes.
  void memberUp(Instant now, uint32_t member, std::vector<CoordEvent> &out);
  /// The member's process dies (`graceful`: it closes its session first, so
  /// its znodes go at once).
  void memberDown(Instant now, uint32_t member, bool graceful, std::vector<CoordEvent> &out);
  void onWake(Instant now, std::vector<CoordEvent> &out);
  Instant nextWakeup() const;

  bool hasQuorum() const;
  bool serverIsUp(unsigned server) const { return server < up.size() && up[server]; }
  /// The ensemble's leader server, or -1 (electing, or no quorum).
  int leaderServer() const { return leaderSrv; }
  unsigned serverLeaderChanges() const { return srvChanges; }
  /// The member leading an election (acknowledged and connected), or -1.
  int leader(uint32_t election) const;
  /// Members that act as the election's leader: believe they lead and are
  /// connected (the recipe keeps this at most one).
  unsigned leaderCount(uint32_t election) const;
  /// Times an election's leadership passed to another member.
  unsigned leaderChanges(uint32_t election) const { return elections[election].changes; }
  /// Members registered under a service's path.
  unsigned registered(uint32_t service) const;
  const std::string &memberName(uint32_t m) const { return members[m].name; }
  bool memberIsUp(uint32_t m) const { return members[m].up; }
  size_t memberCount() const { return members.size(); }
  /// Notifications delivered so far (watches that fired at a live client).
  uint64_t notifications() const { return notified; }

private:
  enum class Run : uint8_t { Idle, Creating, Checking, Waiting, Leading };
  struct Candidacy {
    uint32_t election = 0;
    std::string node; ///< Its znode, once created.
    Run state = Run::Idle;
  };
  struct Member {
    std::string name;
    std::vector<uint32_t> elections, services;
    bool up = false;
    int session = -1;
    std::vector<Candidacy> runs;
  };
  struct Session {
    uint32_t member = 0;
    int server = -1; ///< Connected to; -1: disconnected.
    Instant lastHeard = 0;
    bool open = true;
  };
  struct ElectionState {
    int lastLeader = -1;
    unsigned changes = 0;
  };
  struct Op {
    Instant at;
    uint64_t order;
    enum Kind : uint8_t { Connect, Create, Check, Register, ElectLeader } kind;
    uint32_t member;
    uint32_t run; ///< Candidacy index, or service.
  };

  void schedule(Instant at, Op::Kind k, uint32_t member, uint32_t run = 0);
  void openSession(Instant now, uint32_t m, std::vector<CoordEvent> &out);
  bool live(uint32_t m) const; ///< Up, with an open, connected session.
  void connect(Instant now, uint32_t m, std::vector<CoordEvent> &out);
  void disconnect(Instant now, uint32_t m, CoordEvent::Cause why, std::vector<CoordEvent> &out);
  void check(Instant now, uint32_t m, uint32_t run, std::vector<CoordEvent> &out);
  void expire(Instant now, int session, bool closed, std::vector<CoordEvent> &out);
  void deleteNode(Instant now, const std::string &path, std::vector<CoordEvent> &out);
  Instant expiryOf(const Session &s) const;
  void loseLeader(Instant now, std::vector<CoordEvent> &out);

  CoordinationConfig cfg;
  std::vector<bool> up;
  int leaderSrv = -1;
  unsigned srvChanges = 0;
  int lastSrvLeader = -1;
  std::vector<Member> members;
  std::vector<Session> sessions;
  std::vector<ElectionState> elections;
  std::map<std::string, int> znodes; ///< Path -> owner session (-1: persistent).
  std::map<std::string, uint32_t> sequence;
  struct Watch {
    std::string path;
    int session;
    bool children; ///< On the children of `path`, else on `path` itself.
    uint32_t run;  ///< The candidacy that looks again when it fires.
  };
  std::vector<Watch> watches;
  std::vector<Op> ops;
  uint64_t opOrder = 0;
  uint64_t notified = 0;
};

} // namespace infrac::runtime

#endif

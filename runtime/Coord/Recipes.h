//===- Recipes.h - ZooKeeper recipes as client state machines -*- C++ -*-===//
//
// Leader election and service registration as ZooKeeper clients run them, but
// with no I/O: each recipe emits the ZooKeeper operations it wants sent
// (Request) and consumes their replies, the watch events its watches fire and
// the session's state changes. The echo app drives them over a real client,
// the simulator over a ZnodeTree (execute() below).
//
// Leader election: recipes.md#sc_leaderElection (Apache ZooKeeper) with
// Curator LeaderLatch's handling of the connection: an EPHEMERAL_SEQUENTIAL
// znode under the election path; the member whose number is lowest leads;
// every other member watches only its predecessor (no herd effect); when the
// watch fires it lists the children again. While disconnected it does not
// act as leader (LeaderLatch on SUSPENDED); on reconnection it checks again;
// when its session expires it stops leading and starts over with a new
// znode (a larger number) once its owner has opened a new session.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_COORD_RECIPES_H
#define INFRAC_RUNTIME_COORD_RECIPES_H

#include "Coord/ZnodeTree.h"

#include <string>
#include <vector>

namespace infrac::runtime::zk {

/// An operation a recipe asks its client to send.
struct Request {
  enum Kind : uint8_t { Create, Delete, Exists, GetChildren } kind = Exists;
  std::string path;
  std::string data;
  CreateMode mode = CreateMode::Persistent;
  int32_t version = -1;
  bool watch = false;
  uint64_t tag = 0; ///< Comes back in the Reply.
};

/// The answer to a Request.
struct Reply {
  uint64_t tag = 0;
  Error err = Error::Ok;
  std::string path;                  ///< Create: the created path.
  std::vector<std::string> children; ///< GetChildren.
  Stat stat;
};

/// The session as the client library reports it.
enum class SessionEvent : uint8_t { Connected, Disconnected, Expired };

/// What one call to a recipe asks for and what it changed.
struct Actions {
  std::vector<Request> requests;
  bool becameLeader = false;
  bool lostLeadership = false;
  bool registered = false;
  bool unregistered = false;
};

class LeaderElection {
public:
  struct Config {
    std::string path;           ///< The election's parent znode, e.g. "/election/scheduler".
    std::string prefix = "n_";  ///< The member's znode name before its number; a
                                ///< unique prefix lets it find its znode after a
                                ///< lost create reply.
    std::string data;           ///< Stored in the member's znode (its name).
    /// Every candidate watches the election's children instead of its
    /// predecessor: the herd effect the recipe avoids, for comparison.
    bool herd = false;
  };
  enum class State : uint8_t {
    Idle,        ///< Not started, or stopped.
    EnsuringPath,
    Creating,
    Listing,
    Watching,    ///< Waiting on its predecessor.
    Leading,
    Expired,     ///< Its session expired; start() again with a new session.
  };

  explicit LeaderElection(Config c);
  /// Joins (or joins again, after an expiry) on a connected session.
  Actions start();
  /// Leaves: deletes its znode.
  Actions stop();
  Actions onReply(const Reply &r);
  Actions onWatch(EventType type, const std::string &path);
  Actions onSession(SessionEvent e);

  /// Acts as the leader: it is the lowest and its session is connected.
  bool leading() const { return state == State::Leading && connected; }
  State current() const { return state; }
  /// Its znode's full path ("" before it is created).
  const std::string &node() const { return mine; }
  /// The predecessor it watches ("" unless Watching; the election's path
  /// with `herd`).
  const std::string &watching() const { return pred; }
  const Config &config() const { return cfg; }

  /// The sequence number at the end of a sequential znode's name, or -1.
  static int64_t sequenceOf(const std::string &name);

private:
  Request make(Request::Kind k, std::string path);
  void ensurePath(Actions &a);
  void create(Actions &a);
  void list(Actions &a);
  /// Reports a change of leading() since the last call.
  Actions &finish(Actions &a);

  Config cfg;
  State state = State::Idle;
  bool connected = true;
  bool wasLeading = false;
  std::string mine, pred;
  uint64_t nextTag = 1;
  uint64_t awaiting = 0; ///< The tag of the reply it waits for; others are stale.
  std::vector<uint64_t> pathTags;
};

/// Service registration: an ephemeral znode named after the member under the
/// registry path, present while its session lives. A znode left by the
/// member's previous session is waited out (watched until it goes).
class ServiceRegistration {
public:
  struct Config {
    std::string path; ///< The registry, e.g. "/services/workers".
    std::string name; ///< The member's znode name.
    std::string data; ///< Its address.
  };
  enum class State : uint8_t { Idle, EnsuringPath, Creating, WaitingOutOld, Registered, Expired };

  explicit ServiceRegistration(Config c);
  Actions start();
  Actions stop();
  Actions onReply(const Reply &r);
  Actions onWatch(EventType type, const std::string &path);
  /// `session` is the (new) session's id on Connected: a znode it already
  /// owns counts as registered.
  Actions onSession(SessionEvent e, SessionId session = 0);

  bool registered() const { return state == State::Registered; }
  State current() const { return state; }
  std::string node() const { return cfg.path + "/" + cfg.name; }

private:
  Request make(Request::Kind k, std::string path);
  void ensurePath(Actions &a);
  void create(Actions &a);

  Config cfg;
  State state = State::Idle;
  SessionId session = 0;
  uint64_t nextTag = 1;
  uint64_t awaiting = 0;
  std::vector<uint64_t> pathTags;
};

/// Creates for each missing ancestor of `path` and `path` itself (persistent,
/// NodeExists is fine), in order from the root.
std::vector<std::string> ancestorsAndSelf(const std::string &path);

/// Runs a recipe's request on a tree for session `s` (watches registered for
/// `w`): how the simulator serves its members.
Reply execute(ZnodeTree &tree, Instant now, SessionId s, WatcherId w, const Request &r);

} // namespace infrac::runtime::zk

#endif

//===- ZnodeTree.h - ZooKeeper's data tree and sessions, as a pure class -*- C++ -*-===//
//
// The server side of ZooKeeper that clients can observe: znodes (persistent,
// ephemeral, sequential), their Stat, conditional updates, one-shot watches,
// sessions with ZooKeeper's tick-bucketed expiry, and multi. No clock, no I/O,
// no threads: every call takes `now`, and what a call causes beyond its reply
// (watch events, ephemerals deleted, sessions expired) is collected as data
// the caller takes with takeEffects().
//
// Behaviour follows Apache ZooKeeper 3.8 (server: DataTree.java,
// PrepRequestProcessor.java, ExpiryQueue.java, SessionTrackerImpl.java;
// protocol: zookeeper.jute; codes: KeeperException.java / ZooDefs.java).
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_COORD_ZNODETREE_H
#define INFRAC_RUNTIME_COORD_ZNODETREE_H

#include "Core/Core.h"

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace infrac::runtime::zk {

/// KeeperException.Code values, as they travel in a reply header.
enum class Error : int32_t {
  Ok = 0,
  SystemError = -1,
  RuntimeInconsistency = -2,
  DataInconsistency = -3,
  ConnectionLoss = -4,
  MarshallingError = -5,
  Unimplemented = -6,
  OperationTimeout = -7,
  BadArguments = -8,
  UnknownSession = -12,
  NewConfigNoQuorum = -13,
  ReconfigInProgress = -14,
  ApiError = -100,
  NoNode = -101,
  NoAuth = -102,
  BadVersion = -103,
  NoChildrenForEphemerals = -108,
  NodeExists = -110,
  NotEmpty = -111,
  SessionExpired = -112,
  InvalidCallback = -113,
  InvalidAcl = -114,
  AuthFailed = -115,
  SessionMoved = -118,
  NotReadOnly = -119,
  EphemeralOnLocalSession = -120,
  NoWatcher = -121,
  RequestTimeout = -122,
};
/// The code's name as KeeperException spells it ("NONODE", "BADVERSION").
const char *errorName(Error e);

/// Watcher.Event.EventType.
enum class EventType : int32_t {
  None = -1,
  NodeCreated = 1,
  NodeDeleted = 2,
  NodeDataChanged = 3,
  NodeChildrenChanged = 4,
};
const char *eventName(EventType t);

/// CreateMode as the wire's create flags (ephemeral = 1, sequential = 2).
enum class CreateMode : int32_t {
  Persistent = 0,
  Ephemeral = 1,
  PersistentSequential = 2,
  EphemeralSequential = 3,
};
inline bool isEphemeral(CreateMode m) { return int32_t(m) & 1; }
inline bool isSequential(CreateMode m) { return int32_t(m) & 2; }

/// data.Stat in zookeeper.jute. Times are milliseconds since the epoch.
struct Stat {
  int64_t czxid = 0, mzxid = 0, ctime = 0, mtime = 0;
  int32_t version = 0, cversion = 0, aversion = 0;
  int64_t ephemeralOwner = 0;
  int32_t dataLength = 0, numChildren = 0;
  int64_t pzxid = 0;
  bool operator==(const Stat &o) const;
};

using SessionId = int64_t;
/// Who registered a watch: the live server uses a connection, the simulator a
/// session or a client. 0 means "no watch".
using WatcherId = uint64_t;
constexpr WatcherId NoWatch = 0;

/// One watch firing, to be delivered to `watcher` as a notification (xid -1).
struct WatchEvent {
  WatcherId watcher;
  EventType type;
  std::string path;
  bool operator==(const WatchEvent &o) const {
    return watcher == o.watcher && type == o.type && path == o.path;
  }
};

/// What calls caused beyond their replies, in the order it happened.
struct Effects {
  std::vector<WatchEvent> events;
  /// Ephemeral znodes deleted because their session expired or closed.
  std::vector<std::string> deletedEphemerals;
  /// Sessions that expired (not those closed by their client).
  std::vector<SessionId> expiredSessions;
  bool empty() const {
    return events.empty() && deletedEphemerals.empty() && expiredSessions.empty();
  }
};

struct Session {
  SessionId id = 0;
  Duration timeout = 0; ///< Negotiated.
  std::array<uint8_t, 16> password{};
  Instant lastTouch = 0;
  Instant expiresAt = 0; ///< A tick boundary (ExpiryQueue.roundToNextInterval).
};

struct StatResult {
  Error err = Error::Ok;
  Stat stat;
};
struct DataResult {
  Error err = Error::Ok;
  std::string data;
  Stat stat;
};
struct ChildrenResult {
  Error err = Error::Ok;
  std::vector<std::string> children; ///< Sorted by name.
  Stat stat;                         ///< The parent's.
};
struct CreateResult {
  Error err = Error::Ok;
  std::string path; ///< With the sequence suffix when sequential.
  Stat stat;
};

/// One operation of a multi (MultiTransactionRecord): create, delete, setData
/// or check.
struct Op {
  enum Kind : int32_t { Create = 1, Delete = 2, SetData = 5, Check = 13 };
  Kind kind = Check;
  std::string path;
  std::string data;
  int32_t version = -1;
  CreateMode mode = CreateMode::Persistent;
  static Op create(std::string path, std::string data, CreateMode m) {
    Op o;
    o.kind = Create, o.path = std::move(path), o.data = std::move(data), o.mode = m;
    return o;
  }
  static Op remove(std::string path, int32_t version = -1) {
    Op o;
    o.kind = Delete, o.path = std::move(path), o.version = version;
    return o;
  }
  static Op setData(std::string path, std::string data, int32_t version = -1) {
    Op o;
    o.kind = SetData, o.path = std::move(path), o.data = std::move(data), o.version = version;
    return o;
  }
  static Op check(std::string path, int32_t version) {
    Op o;
    o.kind = Check, o.path = std::move(path), o.version = version;
    return o;
  }
};
struct OpResult {
  Op::Kind kind = Op::Check;
  /// Ok for a committed op; on failure, Ok for the ops before the failing one,
  /// its code for it and RuntimeInconsistency after it (DataTree.processTxn).
  Error err = Error::Ok;
  std::string path; ///< Create: the created path.
  Stat stat;        ///< Create and SetData.
};
struct MultiResult {
  Error err = Error::Ok; ///< The first failure, or Ok when all committed.
  std::vector<OpResult> results;
};

/// ZooKeeper's data tree and session tracker. Deterministic: the same calls
/// with the same instants give the same results, effects and zxids.
class ZnodeTree {
public:
  struct Options {
    Duration tick = millis(2000);     ///< tickTime.
    Duration minSessionTimeout = 0;   ///< 0: 2 * tick.
    Duration maxSessionTimeout = 0;   ///< 0: 20 * tick.
    int64_t epochMillis = 0;          ///< Wall time of instant 0, for ctime/mtime.
    uint8_t serverId = 1;             ///< The top byte of session ids.
    uint64_t passwordSeed = 0x5eed;   ///< Derives session passwords.
    bool systemNodes = true;          ///< Create /zookeeper, /zookeeper/quota and /zookeeper/config.
    /// Operations touch their session. A shell that models where a session's
    /// touches reach the leader (a follower relays them on the leader's next
    /// ping) turns this off and calls touch() itself.
    bool touchOnRequests = true;
  };
  explicit ZnodeTree(Options o);

  const Options &options() const { return opts; }
  /// The last zxid assigned (every write, session create and close is one).
  int64_t lastZxid() const { return zxid; }

  // --- sessions -----------------------------------------------------------
  /// The requested timeout clamped into [minSessionTimeout, maxSessionTimeout].
  Duration negotiate(Duration requested) const;
  /// Opens a session (a createSession txn) with the negotiated timeout.
  const Session &createSession(Instant now, Duration requestedTimeout);
  /// A live session, or null (never opened, closed or expired).
  const Session *session(SessionId id) const;
  /// Any traffic from the session's client (a request or a ping). Returns
  /// false when the session is not live.
  bool touch(Instant now, SessionId id);
  /// A reconnecting client presents its id and password: true when the
  /// session is live and the password matches (then it is touched).
  bool revalidate(Instant now, SessionId id, const std::array<uint8_t, 16> &password);
  /// The client closes its session: its ephemerals go (watches fire).
  /// Returns false when it was not live.
  bool closeSession(Instant now, SessionId id);
  /// Expires every session whose bucket is due at `now`; their ephemerals are
  /// deleted. ExpiryQueue runs on tick boundaries, so call it at nextExpiry().
  void expire(Instant now);
  /// The next tick boundary at which some session expires (Never if none).
  Instant nextExpiry() const;
  /// A new leader takes over (or quorum returns): every session's timeout
  /// starts over at `now` (SessionTrackerImpl is rebuilt from the sessions
  /// the new leader loads, each touched with its own timeout).
  void renewAllSessions(Instant now);
  /// Live sessions in id order.
  std::vector<SessionId> sessions() const;

  // --- operations ---------------------------------------------------------
  // `session` is the caller's session (touched); 0 is allowed for reads and
  // persistent writes. A `watch` other than NoWatch leaves a one-shot watch.
  CreateResult create(Instant now, SessionId session, std::string_view path,
                      std::string_view data, CreateMode mode);
  Error remove(Instant now, SessionId session, std::string_view path, int32_t version);
  StatResult setData(Instant now, SessionId session, std::string_view path,
                     std::string_view data, int32_t version);
  /// Registers the watch even when the node does not exist (an exists watch
  /// fires NodeCreated).
  StatResult exists(Instant now, SessionId session, std::string_view path,
                    WatcherId watch = NoWatch);
  DataResult getData(Instant now, SessionId session, std::string_view path,
                     WatcherId watch = NoWatch);
  ChildrenResult getChildren(Instant now, SessionId session, std::string_view path,
                             WatcherId watch = NoWatch);
  /// All or nothing; watches fire only when every op commits.
  MultiResult multi(Instant now, SessionId session, const std::vector<Op> &ops);
  /// A reconnecting client re-registers its watches (SetWatches): a watch
  /// whose node changed after `relativeZxid` fires at once.
  void setWatches(Instant now, WatcherId watcher, int64_t relativeZxid,
                  const std::vector<std::string> &dataWatches,
                  const std::vector<std::string> &existWatches,
                  const std::vector<std::string> &childWatches);
  /// Drops every watch of `watcher` (its connection closed).
  void removeWatcher(WatcherId watcher);
  /// Paths of the session's ephemerals, sorted.
  std::vector<std::string> ephemerals(SessionId session) const;
  size_t nodeCount() const { return nodes.size(); }
  size_t watchCount() const;

  /// Takes what happened since the last call.
  Effects takeEffects();
  const Effects &pendingEffects() const { return fx; }

  /// A path ZooKeeper accepts (PathUtils.validatePath); `sequential` allows a
  /// trailing '/' (the suffix follows it).
  static bool validPath(std::string_view path, bool sequential = false);
  /// "%010d", as the sequence suffix.
  static std::string sequenceSuffix(int32_t n);

private:
  struct Node {
    std::string data;
    Stat stat; ///< cversion: children created (see statOf).
    std::set<std::string, std::less<>> children;
  };
  enum WatchKind : uint8_t { DataWatch = 0, ChildWatch = 1 };

  static Stat statOf(const Node &n);
  Node *find(std::string_view path);
  const Node *find(std::string_view path) const;
  static std::string_view parentOf(std::string_view path);
  static std::string_view nameOf(std::string_view path);
  int64_t millisAt(Instant now) const { return opts.epochMillis + now / 1000; }
  Instant bucketFor(Instant t) const;
  void schedule(Session &s, Instant now);
  bool sessionOk(Instant now, SessionId s);
  void killSession(Instant now, SessionId id, bool expired);

  // The checks and the change of one write, shared by single ops and multi.
  Error checkCreate(std::string_view path, CreateMode mode, SessionId owner,
                    std::string &outPath) const;
  void applyCreate(Instant now, const std::string &path, std::string_view data,
                   CreateMode mode, SessionId owner, int64_t txZxid);
  Error checkDelete(std::string_view path, int32_t version) const;
  void applyDelete(const std::string &path, int64_t txZxid);
  Error checkSetData(std::string_view path, int32_t version) const;
  void applySetData(Instant now, const std::string &path, std::string_view data,
                    int64_t txZxid);

  void addWatch(WatchKind k, std::string_view path, WatcherId w);
  /// Fires and removes the watches of kind `k` on `path`, skipping watchers in
  /// `skip`; returns the watchers fired.
  std::vector<WatcherId> trigger(WatchKind k, std::string_view path, EventType type,
                                 const std::vector<WatcherId> &skip = {});
  void queueEvent(WatcherId w, EventType type, std::string_view path);
  enum class Change : uint8_t { Created, Deleted, DataChanged };
  /// A write changed `path`: its watches fire now, or when the multi commits.
  void changed(Change c, const std::string &path);
  void fire(Change c, const std::string &path);

  Options opts;
  int64_t zxid = 0;
  std::map<std::string, Node, std::less<>> nodes;
  std::map<SessionId, Session> live;
  std::map<SessionId, std::set<std::string>> ephemeralsBySession;
  /// Expiry buckets (ExpiryQueue): tick boundary -> sessions due then.
  std::map<Instant, std::set<SessionId>> buckets;
  uint64_t nextSession = 1;
  // Watches in registration order per path; the reverse index removes a
  // watcher's watches when its connection goes.
  std::map<std::string, std::vector<WatcherId>, std::less<>> watches[2];
  std::map<WatcherId, std::set<std::pair<uint8_t, std::string>>> watchesOf;
  // While a multi runs, its changes wait here until it commits.
  bool inMulti = false;
  std::vector<std::pair<Change, std::string>> multiChanges;
  Effects fx;
};

} // namespace infrac::runtime::zk

#endif

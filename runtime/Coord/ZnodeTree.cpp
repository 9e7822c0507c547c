//===- ZnodeTree.cpp - ZooKeeper's data tree and sessions ----------------===//
//
// The order of checks in each write is PrepRequestProcessor's, the changes and
// the watches they fire are DataTree's, and session expiry is ExpiryQueue's
// (Apache ZooKeeper 3.8, zookeeper-server/src/main/java/org/apache/zookeeper/
// server/).
//
//===----------------------------------------------------------------------===//
#include "Coord/ZnodeTree.h"

#include <algorithm>
#include <cstdio>
#include <optional>

namespace infrac::runtime::zk {

const char *errorName(Error e) {
  switch (e) {
  case Error::Ok: return "OK";
  case Error::SystemError: return "SYSTEMERROR";
  case Error::RuntimeInconsistency: return "RUNTIMEINCONSISTENCY";
  case Error::DataInconsistency: return "DATAINCONSISTENCY";
  case Error::ConnectionLoss: return "CONNECTIONLOSS";
  case Error::MarshallingError: return "MARSHALLINGERROR";
  case Error::Unimplemented: return "UNIMPLEMENTED";
  case Error::OperationTimeout: return "OPERATIONTIMEOUT";
  case Error::BadArguments: return "BADARGUMENTS";
  case Error::UnknownSession: return "UNKNOWNSESSION";
  case Error::NewConfigNoQuorum: return "NEWCONFIGNOQUORUM";
  case Error::ReconfigInProgress: return "RECONFIGINPROGRESS";
  case Error::ApiError: return "APIERROR";
  case Error::NoNode: return "NONODE";
  case Error::NoAuth: return "NOAUTH";
  case Error::BadVersion: return "BADVERSION";
  case Error::NoChildrenForEphemerals: return "NOCHILDRENFOREPHEMERALS";
  case Error::NodeExists: return "NODEEXISTS";
  case Error::NotEmpty: return "NOTEMPTY";
  case Error::SessionExpired: return "SESSIONEXPIRED";
  case Error::InvalidCallback: return "INVALIDCALLBACK";
  case Error::InvalidAcl: return "INVALIDACL";
  case Error::AuthFailed: return "AUTHFAILED";
  case Error::SessionMoved: return "SESSIONMOVED";
  case Error::NotReadOnly: return "NOTREADONLY";
  case Error::EphemeralOnLocalSession: return "EPHEMERALONLOCALSESSION";
  case Error::NoWatcher: return "NOWATCHER";
  case Error::RequestTimeout: return "REQUESTTIMEOUT";
  }
  return "UNKNOWN";
}

const char *eventName(EventType t) {
  switch (t) {
  case EventType::None: return "None";
  case EventType::NodeCreated: return "NodeCreated";
  case EventType::NodeDeleted: return "NodeDeleted";
  case EventType::NodeDataChanged: return "NodeDataChanged";
  case EventType::NodeChildrenChanged: return "NodeChildrenChanged";
  }
  return "Unknown";
}

bool Stat::operator==(const Stat &o) const {
  return czxid == o.czxid && mzxid == o.mzxid && ctime == o.ctime && mtime == o.mtime &&
         version == o.version && cversion == o.cversion && aversion == o.aversion &&
         ephemeralOwner == o.ephemeralOwner && dataLength == o.dataLength &&
         numChildren == o.numChildren && pzxid == o.pzxid;
}

static uint64_t splitmix(uint64_t &x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

ZnodeTree::ZnodeTree(Options o) : opts(o) {
  assert(opts.tick > 0 && "tick must be positive");
  if (opts.minSessionTimeout <= 0)
    opts.minSessionTimeout = 2 * opts.tick;
  if (opts.maxSessionTimeout <= 0)
    opts.maxSessionTimeout = 20 * opts.tick;
  nodes.emplace("/", Node());
  if (opts.systemNodes) {
    // DataTree's constructor: /zookeeper, /zookeeper/quota, /zookeeper/config,
    // all at zxid 0.
    for (const char *p : {"/zookeeper", "/zookeeper/quota", "/zookeeper/config"}) {
      nodes.emplace(p, Node());
      Node *parent = find(parentOf(p));
      parent->children.emplace(nameOf(p));
      parent->stat.numChildren = int32_t(parent->children.size());
    }
  }
}

//===----------------------------------------------------------------------===//
// Paths
//===----------------------------------------------------------------------===//

bool ZnodeTree::validPath(std::string_view path, bool sequential) {
  // PathUtils.validatePath.
  if (path.empty() || path[0] != '/')
    return false;
  if (path.size() == 1)
    return true;
  if (path.back() == '/' && !sequential)
    return false;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos)
      end = path.size();
    std::string_view part = path.substr(start, end - start);
    bool last = end == path.size();
    if (part.empty() && !(last && sequential))
      return false;
    if (part == "." || part == "..")
      return false;
    for (char c : part) {
      unsigned char u = (unsigned char)c;
      if (u == 0 || (u > 0 && u < 0x20) || u == 0x7f)
        return false;
    }
    start = end + 1;
  }
  return true;
}

std::string ZnodeTree::sequenceSuffix(int32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%010d", n);
  return buf;
}

std::string_view ZnodeTree::parentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == 0 || slash == std::string_view::npos)
    return "/";
  return path.substr(0, slash);
}

std::string_view ZnodeTree::nameOf(std::string_view path) {
  return path.substr(path.rfind('/') + 1);
}

ZnodeTree::Node *ZnodeTree::find(std::string_view path) {
  auto it = nodes.find(path);
  return it == nodes.end() ? nullptr : &it->second;
}
const ZnodeTree::Node *ZnodeTree::find(std::string_view path) const {
  auto it = nodes.find(path);
  return it == nodes.end() ? nullptr : &it->second;
}

Stat ZnodeTree::statOf(const Node &n) {
  // DataNode keeps cversion as the number of children created (the
  // sequence counter) and reports 2 * created - numChildren, so that a
  // delete counts as a change too (DataNode.copyStat).
  Stat s = n.stat;
  s.cversion = 2 * n.stat.cversion - n.stat.numChildren;
  return s;
}

static bool isSpecialPath(std::string_view p) {
  return p == "/" || p == "/zookeeper" || p == "/zookeeper/quota" ||
         p == "/zookeeper/config";
}

//===----------------------------------------------------------------------===//
// Sessions
//===----------------------------------------------------------------------===//

Duration ZnodeTree::negotiate(Duration requested) const {
  return std::clamp(requested, opts.minSessionTimeout, opts.maxSessionTimeout);
}

Instant ZnodeTree::bucketFor(Instant t) const {
  // ExpiryQueue.roundToNextInterval: the first tick boundary after `t`.
  return (t / opts.tick + 1) * opts.tick;
}

void ZnodeTree::schedule(Session &s, Instant now) {
  s.lastTouch = now;
  Instant at = bucketFor(now + s.timeout);
  if (at == s.expiresAt)
    return;
  if (s.expiresAt) {
    auto it = buckets.find(s.expiresAt);
    if (it != buckets.end()) {
      it->second.erase(s.id);
      if (it->second.empty())
        buckets.erase(it);
    }
  }
  s.expiresAt = at;
  buckets[at].insert(s.id);
}

const Session &ZnodeTree::createSession(Instant now, Duration requestedTimeout) {
  ++zxid; // createSession is a txn
  SessionId id = SessionId((uint64_t(opts.serverId) << 56) | nextSession++);
  Session s;
  s.id = id;
  s.timeout = negotiate(requestedTimeout);
  uint64_t x = uint64_t(id) ^ opts.passwordSeed;
  for (int i = 0; i < 2; ++i) {
    uint64_t w = splitmix(x);
    for (int b = 0; b < 8; ++b)
      s.password[i * 8 + b] = uint8_t(w >> (8 * b));
  }
  Session &stored = live.emplace(id, s).first->second;
  schedule(stored, now);
  return stored;
}

const Session *ZnodeTree::session(SessionId id) const {
  auto it = live.find(id);
  return it == live.end() ? nullptr : &it->second;
}

bool ZnodeTree::touch(Instant now, SessionId id) {
  auto it = live.find(id);
  if (it == live.end())
    return false;
  schedule(it->second, now);
  return true;
}

bool ZnodeTree::revalidate(Instant now, SessionId id,
                           const std::array<uint8_t, 16> &password) {
  auto it = live.find(id);
  if (it == live.end() || it->second.password != password)
    return false;
  schedule(it->second, now);
  return true;
}

bool ZnodeTree::sessionOk(Instant now, SessionId s) {
  if (s == 0)
    return true;
  return opts.touchOnRequests ? touch(now, s) : live.count(s) != 0;
}

void ZnodeTree::killSession(Instant now, SessionId id, bool expired) {
  auto it = live.find(id);
  assert(it != live.end() && "killing a session that is not live");
  auto b = buckets.find(it->second.expiresAt);
  if (b != buckets.end()) {
    b->second.erase(id);
    if (b->second.empty())
      buckets.erase(b);
  }
  live.erase(it);
  int64_t txZxid = ++zxid; // closeSession is one txn for all its deletes
  if (expired)
    fx.expiredSessions.push_back(id);
  auto eph = ephemeralsBySession.find(id);
  if (eph == ephemeralsBySession.end())
    return;
  std::vector<std::string> paths(eph->second.begin(), eph->second.end());
  for (const std::string &p : paths) {
    applyDelete(p, txZxid);
    fx.deletedEphemerals.push_back(p);
  }
  ephemeralsBySession.erase(id);
}

bool ZnodeTree::closeSession(Instant now, SessionId id) {
  if (!live.count(id))
    return false;
  killSession(now, id, /*expired=*/false);
  return true;
}

void ZnodeTree::expire(Instant now) {
  while (!buckets.empty() && buckets.begin()->first <= now) {
    std::vector<SessionId> due(buckets.begin()->second.begin(),
                               buckets.begin()->second.end());
    for (SessionId id : due)
      killSession(now, id, /*expired=*/true);
  }
}

Instant ZnodeTree::nextExpiry() const {
  return buckets.empty() ? Never : buckets.begin()->first;
}

void ZnodeTree::renewAllSessions(Instant now) {
  for (auto &[id, s] : live)
    schedule(s, now);
}

std::vector<SessionId> ZnodeTree::sessions() const {
  std::vector<SessionId> out;
  for (const auto &[id, s] : live)
    out.push_back(id);
  return out;
}

std::vector<std::string> ZnodeTree::ephemerals(SessionId session) const {
  auto it = ephemeralsBySession.find(session);
  if (it == ephemeralsBySession.end())
    return {};
  return std::vector<std::string>(it->second.begin(), it->second.end());
}

//===----------------------------------------------------------------------===//
// Writes: checks (PrepRequestProcessor) and changes (DataTree)
//===----------------------------------------------------------------------===//

Error ZnodeTree::checkCreate(std::string_view path, CreateMode mode, SessionId owner,
                             std::string &outPath) const {
  bool seq = isSequential(mode);
  if (path == "/" && !seq)
    return Error::NodeExists;
  if (!validPath(path, seq))
    return Error::BadArguments;
  std::string_view parentPath = parentOf(path);
  if (seq && path.back() == '/')
    parentPath = path.size() == 1 ? std::string_view("/") : path.substr(0, path.size() - 1);
  const Node *parent = find(parentPath);
  if (!parent)
    return Error::NoNode;
  outPath.assign(path);
  if (seq)
    outPath += sequenceSuffix(parent->stat.cversion);
  if (find(outPath))
    return Error::NodeExists;
  if (parent->stat.ephemeralOwner != 0)
    return Error::NoChildrenForEphemerals;
  if (isEphemeral(mode) && owner == 0)
    return Error::BadArguments;
  return Error::Ok;
}

void ZnodeTree::applyCreate(Instant now, const std::string &path, std::string_view data,
                            CreateMode mode, SessionId owner, int64_t txZxid) {
  std::string_view parentPath = parentOf(path);
  Node *parent = find(parentPath);
  assert(parent && "create checked its parent");
  parent->children.emplace(nameOf(path));
  parent->stat.cversion += 1;
  parent->stat.pzxid = txZxid;
  parent->stat.numChildren = int32_t(parent->children.size());
  Node n;
  n.data.assign(data);
  int64_t ms = millisAt(now);
  n.stat.czxid = n.stat.mzxid = n.stat.pzxid = txZxid;
  n.stat.ctime = n.stat.mtime = ms;
  n.stat.ephemeralOwner = isEphemeral(mode) ? owner : 0;
  n.stat.dataLength = int32_t(n.data.size());
  nodes.emplace(path, std::move(n));
  if (isEphemeral(mode))
    ephemeralsBySession[owner].insert(path);
  changed(Change::Created, path);
}

Error ZnodeTree::checkDelete(std::string_view path, int32_t version) const {
  if (!validPath(path) || isSpecialPath(path))
    return Error::BadArguments;
  if (!find(parentOf(path)))
    return Error::NoNode;
  const Node *n = find(path);
  if (!n)
    return Error::NoNode;
  if (version != -1 && version != n->stat.version)
    return Error::BadVersion;
  if (!n->children.empty())
    return Error::NotEmpty;
  return Error::Ok;
}

void ZnodeTree::applyDelete(const std::string &path, int64_t txZxid) {
  auto it = nodes.find(path);
  assert(it != nodes.end() && "delete checked its node");
  SessionId owner = it->second.stat.ephemeralOwner;
  if (owner != 0) {
    auto e = ephemeralsBySession.find(owner);
    if (e != ephemeralsBySession.end())
      e->second.erase(path);
  }
  nodes.erase(it);
  Node *parent = find(parentOf(path));
  assert(parent && "a node's parent exists");
  parent->children.erase(parent->children.find(nameOf(path)));
  if (txZxid > parent->stat.pzxid)
    parent->stat.pzxid = txZxid;
  parent->stat.numChildren = int32_t(parent->children.size());
  changed(Change::Deleted, path);
}

Error ZnodeTree::checkSetData(std::string_view path, int32_t version) const {
  if (!validPath(path))
    return Error::BadArguments;
  const Node *n = find(path);
  if (!n)
    return Error::NoNode;
  if (version != -1 && version != n->stat.version)
    return Error::BadVersion;
  return Error::Ok;
}

void ZnodeTree::applySetData(Instant now, const std::string &path, std::string_view data,
                             int64_t txZxid) {
  Node *n = find(path);
  assert(n && "setData checked its node");
  n->data.assign(data);
  n->stat.mzxid = txZxid;
  n->stat.mtime = millisAt(now);
  n->stat.version += 1;
  n->stat.dataLength = int32_t(n->data.size());
  changed(Change::DataChanged, path);
}

CreateResult ZnodeTree::create(Instant now, SessionId session, std::string_view path,
                               std::string_view data, CreateMode mode) {
  CreateResult r;
  if (!sessionOk(now, session)) {
    r.err = Error::SessionExpired;
    return r;
  }
  r.err = checkCreate(path, mode, session, r.path);
  if (r.err != Error::Ok) {
    r.path.clear();
    return r;
  }
  int64_t txZxid = ++zxid;
  applyCreate(now, r.path, data, mode, session, txZxid);
  r.stat = statOf(*find(r.path));
  return r;
}

Error ZnodeTree::remove(Instant now, SessionId session, std::string_view path,
                        int32_t version) {
  if (!sessionOk(now, session))
    return Error::SessionExpired;
  Error e = checkDelete(path, version);
  if (e != Error::Ok)
    return e;
  applyDelete(std::string(path), ++zxid);
  return Error::Ok;
}

StatResult ZnodeTree::setData(Instant now, SessionId session, std::string_view path,
                              std::string_view data, int32_t version) {
  StatResult r;
  if (!sessionOk(now, session)) {
    r.err = Error::SessionExpired;
    return r;
  }
  r.err = checkSetData(path, version);
  if (r.err != Error::Ok)
    return r;
  std::string p(path);
  applySetData(now, p, data, ++zxid);
  r.stat = statOf(*find(p));
  return r;
}

//===----------------------------------------------------------------------===//
// Reads
//===----------------------------------------------------------------------===//

StatResult ZnodeTree::exists(Instant now, SessionId session, std::string_view path,
                             WatcherId watch) {
  StatResult r;
  if (!sessionOk(now, session)) {
    r.err = Error::SessionExpired;
    return r;
  }
  if (!validPath(path)) {
    r.err = Error::BadArguments;
    return r;
  }
  // DataTree.statNode registers the watch before it looks the node up.
  if (watch != NoWatch)
    addWatch(DataWatch, path, watch);
  const Node *n = find(path);
  if (!n)
    r.err = Error::NoNode;
  else
    r.stat = statOf(*n);
  return r;
}

DataResult ZnodeTree::getData(Instant now, SessionId session, std::string_view path,
                              WatcherId watch) {
  DataResult r;
  if (!sessionOk(now, session)) {
    r.err = Error::SessionExpired;
    return r;
  }
  if (!validPath(path)) {
    r.err = Error::BadArguments;
    return r;
  }
  const Node *n = find(path);
  if (!n) {
    r.err = Error::NoNode;
    return r;
  }
  r.data = n->data;
  r.stat = statOf(*n);
  if (watch != NoWatch)
    addWatch(DataWatch, path, watch);
  return r;
}

ChildrenResult ZnodeTree::getChildren(Instant now, SessionId session, std::string_view path,
                                      WatcherId watch) {
  ChildrenResult r;
  if (!sessionOk(now, session)) {
    r.err = Error::SessionExpired;
    return r;
  }
  if (!validPath(path)) {
    r.err = Error::BadArguments;
    return r;
  }
  const Node *n = find(path);
  if (!n) {
    r.err = Error::NoNode;
    return r;
  }
  r.children.assign(n->children.begin(), n->children.end());
  r.stat = statOf(*n);
  if (watch != NoWatch)
    addWatch(ChildWatch, path, watch);
  return r;
}

//===----------------------------------------------------------------------===//
// Multi
//===----------------------------------------------------------------------===//

MultiResult ZnodeTree::multi(Instant now, SessionId session, const std::vector<Op> &ops) {
  MultiResult r;
  r.results.resize(ops.size());
  for (size_t i = 0; i < ops.size(); ++i)
    r.results[i].kind = ops[i].kind;
  if (!sessionOk(now, session)) {
    r.err = Error::SessionExpired;
    for (OpResult &o : r.results)
      o.err = Error::SessionExpired;
    return r;
  }
  // Each op is checked against the tree as the ops before it left it; the
  // nodes an op changes are saved first so that a failure restores them all.
  struct Saved {
    std::string path;
    std::optional<Node> node;
  };
  std::vector<Saved> undo;
  auto save = [&](std::string_view p) {
    const Node *n = find(p);
    undo.push_back({std::string(p), n ? std::optional<Node>(*n) : std::nullopt});
  };
  int64_t txZxid = ++zxid; // a multi is one txn
  inMulti = true;
  multiChanges.clear();
  size_t failed = ops.size();
  for (size_t i = 0; i < ops.size() && failed == ops.size(); ++i) {
    const Op &op = ops[i];
    OpResult &res = r.results[i];
    switch (op.kind) {
    case Op::Create: {
      std::string p;
      res.err = checkCreate(op.path, op.mode, session, p);
      if (res.err != Error::Ok)
        break;
      save(parentOf(p));
      save(p);
      applyCreate(now, p, op.data, op.mode, session, txZxid);
      res.path = p;
      res.stat = statOf(*find(p));
      break;
    }
    case Op::Delete:
      res.err = checkDelete(op.path, op.version);
      if (res.err != Error::Ok)
        break;
      save(parentOf(op.path));
      save(op.path);
      applyDelete(op.path, txZxid);
      break;
    case Op::SetData:
      res.err = checkSetData(op.path, op.version);
      if (res.err != Error::Ok)
        break;
      save(op.path);
      applySetData(now, op.path, op.data, txZxid);
      res.stat = statOf(*find(op.path));
      break;
    case Op::Check: {
      const Node *n = validPath(op.path) ? find(op.path) : nullptr;
      if (!validPath(op.path))
        res.err = Error::BadArguments;
      else if (!n)
        res.err = Error::NoNode;
      else if (op.version != -1 && op.version != n->stat.version)
        res.err = Error::BadVersion;
      break;
    }
    }
    if (res.err != Error::Ok)
      failed = i;
  }
  inMulti = false;
  std::vector<std::pair<Change, std::string>> changes = std::move(multiChanges);
  multiChanges.clear();
  if (failed == ops.size()) {
    // The watches fire once the whole txn is applied, in the ops' order.
    for (const auto &[c, p] : changes)
      fire(c, p);
    return r;
  }
  // Roll back in reverse, fixing the ephemeral index as nodes come and go.
  for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
    auto cur = nodes.find(it->path);
    if (cur != nodes.end()) {
      if (SessionId o = cur->second.stat.ephemeralOwner)
        ephemeralsBySession[o].erase(it->path);
      nodes.erase(cur);
    }
    if (it->node) {
      if (SessionId o = it->node->stat.ephemeralOwner)
        ephemeralsBySession[o].insert(it->path);
      nodes.emplace(it->path, std::move(*it->node));
    }
  }
  for (auto it = ephemeralsBySession.begin(); it != ephemeralsBySession.end();)
    it = it->second.empty() ? ephemeralsBySession.erase(it) : std::next(it);
  r.err = r.results[failed].err;
  for (size_t i = 0; i < ops.size(); ++i) {
    OpResult &res = r.results[i];
    res.path.clear();
    res.stat = Stat();
    if (i < failed)
      res.err = Error::Ok;
    else if (i > failed)
      res.err = Error::RuntimeInconsistency;
  }
  return r;
}

//===----------------------------------------------------------------------===//
// Watches
//===----------------------------------------------------------------------===//

void ZnodeTree::addWatch(WatchKind k, std::string_view path, WatcherId w) {
  auto it = watches[k].find(path);
  if (it == watches[k].end())
    it = watches[k].emplace(std::string(path), std::vector<WatcherId>()).first;
  if (std::find(it->second.begin(), it->second.end(), w) != it->second.end())
    return;
  it->second.push_back(w);
  watchesOf[w].emplace(uint8_t(k), std::string(path));
}

std::vector<WatcherId> ZnodeTree::trigger(WatchKind k, std::string_view path, EventType type,
                                          const std::vector<WatcherId> &skip) {
  auto it = watches[k].find(path);
  if (it == watches[k].end())
    return {};
  std::vector<WatcherId> ws = std::move(it->second);
  watches[k].erase(it);
  for (WatcherId w : ws) {
    auto rev = watchesOf.find(w);
    if (rev != watchesOf.end()) {
      rev->second.erase({uint8_t(k), std::string(path)});
      if (rev->second.empty())
        watchesOf.erase(rev);
    }
    if (std::find(skip.begin(), skip.end(), w) == skip.end())
      queueEvent(w, type, path);
  }
  return ws;
}

void ZnodeTree::queueEvent(WatcherId w, EventType type, std::string_view path) {
  fx.events.push_back(WatchEvent{w, type, std::string(path)});
}

void ZnodeTree::changed(Change c, const std::string &path) {
  if (inMulti)
    multiChanges.emplace_back(c, path);
  else
    fire(c, path);
}

void ZnodeTree::fire(Change c, const std::string &path) {
  switch (c) {
  case Change::Created:
    // DataTree.createNode: the node's watchers, then the parent's children.
    trigger(DataWatch, path, EventType::NodeCreated);
    trigger(ChildWatch, parentOf(path), EventType::NodeChildrenChanged);
    break;
  case Change::Deleted: {
    // DataTree.deleteNode: one NodeDeleted per watcher even when it watched
    // both the data and the children, then the parent's children changed.
    std::vector<WatcherId> fired = trigger(DataWatch, path, EventType::NodeDeleted);
    trigger(ChildWatch, path, EventType::NodeDeleted, fired);
    trigger(ChildWatch, parentOf(path), EventType::NodeChildrenChanged);
    break;
  }
  case Change::DataChanged:
    trigger(DataWatch, path, EventType::NodeDataChanged);
    break;
  }
}

void ZnodeTree::setWatches(Instant now, WatcherId watcher, int64_t relativeZxid,
                           const std::vector<std::string> &dataWatches,
                           const std::vector<std::string> &existWatches,
                           const std::vector<std::string> &childWatches) {
  // DataTree.setWatches.
  for (const std::string &p : dataWatches) {
    const Node *n = find(p);
    if (!n)
      queueEvent(watcher, EventType::NodeDeleted, p);
    else if (n->stat.mzxid > relativeZxid)
      queueEvent(watcher, EventType::NodeDataChanged, p);
    else
      addWatch(DataWatch, p, watcher);
  }
  for (const std::string &p : existWatches) {
    if (find(p))
      queueEvent(watcher, EventType::NodeCreated, p);
    else
      addWatch(DataWatch, p, watcher);
  }
  for (const std::string &p : childWatches) {
    const Node *n = find(p);
    if (!n)
      queueEvent(watcher, EventType::NodeDeleted, p);
    else if (n->stat.pzxid > relativeZxid)
      queueEvent(watcher, EventType::NodeChildrenChanged, p);
    else
      addWatch(ChildWatch, p, watcher);
  }
}

void ZnodeTree::removeWatcher(WatcherId watcher) {
  auto rev = watchesOf.find(watcher);
  if (rev == watchesOf.end())
    return;
  for (const auto &[k, path] : rev->second) {
    auto it = watches[k].find(path);
    if (it == watches[k].end())
      continue;
    auto &v = it->second;
    v.erase(std::remove(v.begin(), v.end(), watcher), v.end());
    if (v.empty())
      watches[k].erase(it);
  }
  watchesOf.erase(rev);
}

size_t ZnodeTree::watchCount() const {
  size_t n = 0;
  for (const auto &m : watches)
    for (const auto &[p, v] : m)
      n += v.size();
  return n;
}

Effects ZnodeTree::takeEffects() {
  Effects out = std::move(fx);
  fx = Effects();
  return out;
}

} // namespace infrac::runtime::zk

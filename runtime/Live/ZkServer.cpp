//===- ZkServer.cpp - The embedded ZooKeeper-compatible ensemble ---------===//
//
// Request and reply records are those of zookeeper.jute (Apache ZooKeeper
// 3.8, zookeeper-jute/src/main/resources/zookeeper.jute); op codes and
// special xids are ZooDefs.OpCode and ClientCnxn's (notification -1, ping -2,
// auth -4, setWatches -8). The reply order is FinalRequestProcessor's: the
// watch notifications a write triggers go out before its reply.
//
//===----------------------------------------------------------------------===//
#include "Live/ZkServer.h"

#include "Coord/Ensemble.h"
#include "Coord/ZnodeTree.h"
#include "Live/ZkJute.h"

#include <utility>

#include <boost/asio.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <thread>

namespace infrac::live {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace runtime;
using zk::Error;

namespace {

// ZooDefs.OpCode.
enum OpCode : int32_t {
  OpNotification = 0,
  OpCreate = 1,
  OpDelete = 2,
  OpExists = 3,
  OpGetData = 4,
  OpSetData = 5,
  OpGetAcl = 6,
  OpSetAcl = 7,
  OpGetChildren = 8,
  OpSync = 9,
  OpPing = 11,
  OpGetChildren2 = 12,
  OpCheck = 13,
  OpMulti = 14,
  OpCreate2 = 15,
  OpReconfig = 16,
  OpCreateContainer = 19,
  OpCreateTtl = 21,
  OpAuth = 100,
  OpSetWatches = 101,
  OpSetWatches2 = 105,
  OpCloseSession = -11,
  OpError = -1,
};
constexpr int32_t NotificationXid = -1;
constexpr int32_t SyncConnected = 3; // Watcher.Event.KeeperState
constexpr size_t MaxFrame = 16 << 20;

} // namespace

class ZkEnsembleServer::Impl {
public:
  struct Conn;

  explicit Impl(ZkServerOptions o)
      : opts(std::move(o)), tree(treeOptions(opts)), ens(ensembleOptions(opts)),
        tickTimer(io), electionTimer(io), pingTimer(io), guard(asio::make_work_guard(io)) {
    t0 = std::chrono::steady_clock::now();
  }

  static zk::ZnodeTree::Options treeOptions(const ZkServerOptions &o) {
    zk::ZnodeTree::Options t;
    t.tick = o.tick;
    // The server touches sessions itself: at once on the leader's connections,
    // relayed on the leader's next ping for a follower's (see armPing).
    t.touchOnRequests = false;
    t.epochMillis = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    return t;
  }
  static zk::Ensemble::Options ensembleOptions(const ZkServerOptions &o) {
    zk::Ensemble::Options e;
    e.servers = o.servers;
    e.tick = o.tick;
    return e;
  }

  Instant now() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now() - t0)
        .count();
  }
  std::chrono::steady_clock::time_point at(Instant t) const {
    return t0 + std::chrono::microseconds(t);
  }

  llvm::Error bind(unsigned i, uint16_t port) {
    boost::system::error_code ec;
    auto acc = std::make_unique<tcp::acceptor>(io);
    tcp::endpoint ep(asio::ip::make_address(opts.host, ec), port);
    if (ec)
      return llvm::createStringError(std::errc::invalid_argument, "bad host '%s'",
                                     opts.host.c_str());
    acc->open(ep.protocol(), ec);
    if (!ec)
      acc->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
      acc->bind(ep, ec);
    if (!ec)
      acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return llvm::createStringError(std::errc::address_in_use,
                                     "cannot listen on %s:%u: %s", opts.host.c_str(),
                                     unsigned(port), ec.message().c_str());
    portList[i] = acc->local_endpoint().port();
    acceptors[i] = std::move(acc);
    ++generation[i];
    accept(i, generation[i]);
    return llvm::Error::success();
  }

  void accept(unsigned i, uint64_t gen);

  void armTick() {
    Instant n = now();
    Instant next = (n / opts.tick + 1) * opts.tick;
    tickTimer.expires_at(at(next));
    tickTimer.async_wait([this](boost::system::error_code ec) {
      if (ec)
        return;
      // Sessions are checked on tick boundaries (ExpiryQueue); only a
      // serving ensemble has a leader to expire them.
      if (ens.leader() >= 0) {
        tree.expire(now());
        dispatch();
      }
      armTick();
    });
  }

  /// The leader pings its followers every half tick and they answer with the
  /// sessions their clients touched since (Leader.lead, LearnerSessionTracker
  /// in ZooKeeper 3.8): a follower's session is touched on the leader then.
  /// The pings run a quarter tick off the tick boundaries (their phase is
  /// wherever the leader started).
  void armPing() {
    Duration half = std::max<Duration>(opts.tick / 2, 1);
    Instant n = now();
    Instant next = ((n - half / 2) / half + 1) * half + half / 2;
    pingTimer.expires_at(at(next));
    pingTimer.async_wait([this](boost::system::error_code ec) {
      if (ec)
        return;
      if (ens.leader() >= 0) {
        Instant t = now();
        for (zk::SessionId s : relayed)
          tree.touch(t, s);
      }
      relayed.clear();
      armPing();
    });
  }

  void armElection() {
    if (!ens.electing())
      return;
    electionTimer.expires_at(at(ens.nextWake()));
    electionTimer.async_wait([this](boost::system::error_code ec) {
      if (ec)
        return;
      if (ens.advance(now()))
        tree.renewAllSessions(now());
      armElection();
    });
  }

  /// Sends what the tree's last calls caused: notifications to their
  /// connections, and the end of the connections of expired sessions.
  void dispatch();

  void closeServerConns(int server);

  void doKill(unsigned i);

  llvm::Error doRestore(unsigned i) {
    if (acceptors[i])
      return llvm::Error::success();
    if (llvm::Error e = bind(i, portList[i]))
      return e;
    ens.restore(now(), i);
    armElection();
    return llvm::Error::success();
  }

  void onClosed(Conn &c);

  void handleFrame(Conn &c, const uint8_t *p, size_t n);
  void handleConnect(Conn &c, jute::Reader &r);
  void handleRequest(Conn &c, jute::Reader &r);
  void multi(Conn &c, int32_t xid, jute::Reader &r, jute::Writer &w);

  ZkServerOptions opts;
  asio::io_context io;
  zk::ZnodeTree tree;
  zk::Ensemble ens;
  asio::steady_timer tickTimer, electionTimer, pingTimer;
  std::set<zk::SessionId> relayed; ///< Touched on a follower since the last ping.
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::chrono::steady_clock::time_point t0;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<uint64_t> generation;
  std::vector<uint16_t> portList;
  std::map<uint64_t, std::shared_ptr<Conn>> conns;
  std::map<zk::SessionId, uint64_t> sessionConn;
  uint64_t nextConn = 1;
  std::thread thread;
  bool stopped = false;
};

struct ZkEnsembleServer::Impl::Conn : std::enable_shared_from_this<Conn> {
  Conn(Impl &srv, tcp::socket s, unsigned server, uint64_t id)
      : srv(srv), sock(std::move(s)), server(server), id(id), in(64 * 1024) {}

  void read() {
    if (closed)
      return;
    if (inLen == in.size())
      in.resize(in.size() * 2);
    sock.async_read_some(asio::buffer(in.data() + inLen, in.size() - inLen),
                         [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                           self->onRead(ec, n);
                         });
  }

  void onRead(boost::system::error_code ec, size_t n) {
    if (closed)
      return;
    if (ec) {
      close();
      return;
    }
    inLen += n;
    size_t off = 0;
    inRead = true;
    while (!closed && inLen - off >= 4) {
      const uint8_t *p = in.data() + off;
      uint32_t len = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
      if (len > MaxFrame) {
        close();
        break;
      }
      if (inLen - off - 4 < len) {
        if (in.size() < len + 4)
          in.resize(len + 4);
        break;
      }
      srv.handleFrame(*this, p + 4, len);
      off += 4 + len;
    }
    inRead = false;
    if (closed)
      return;
    if (off) {
      std::memmove(in.data(), in.data() + off, inLen - off);
      inLen -= off;
    }
    flush();
    read();
  }

  void flush() {
    if (closed || writing || out.empty())
      return;
    writing = true;
    inflight.swap(out);
    asio::async_write(sock, asio::buffer(inflight),
                      [self = shared_from_this()](boost::system::error_code ec, size_t) {
                        self->writing = false;
                        self->inflight.clear();
                        if (ec)
                          self->close();
                        else if (self->closing && self->out.empty())
                          self->close();
                        else
                          self->flush();
                      });
  }

  void closeAfterFlush() {
    closing = true;
    if (!writing && out.empty())
      close();
    else if (!inRead)
      flush();
  }

  void close() {
    if (closed)
      return;
    closed = true;
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
    auto keep = shared_from_this();
    srv.onClosed(*this);
  }

  Impl &srv;
  tcp::socket sock;
  unsigned server;
  uint64_t id;
  zk::SessionId session = 0;
  bool handshaken = false, oldClient = false;
  bool closing = false, closed = false, writing = false, inRead = false;
  std::vector<uint8_t> in;
  size_t inLen = 0;
  std::string out, inflight;
};

void ZkEnsembleServer::Impl::accept(unsigned i, uint64_t gen) {
  tcp::acceptor *acc = acceptors[i].get();
  acc->async_accept([this, i, gen](boost::system::error_code ec, tcp::socket s) {
    if (ec || gen != generation[i] || !acceptors[i])
      return;
    if (!ens.serving(i)) {
      // Up but without a leader (LOOKING): ZooKeeper accepts the socket
      // and closes it, its ZooKeeperServer is not running.
      s.close(ec);
    } else {
      s.set_option(tcp::no_delay(true), ec);
      auto c = std::make_shared<Conn>(*this, std::move(s), i, nextConn++);
      conns.emplace(c->id, c);
      c->read();
    }
    accept(i, gen);
  });
}

void ZkEnsembleServer::Impl::dispatch() {
  if (tree.pendingEffects().empty())
    return;
  zk::Effects fx = tree.takeEffects();
  std::vector<std::shared_ptr<Conn>> touched;
  for (const zk::WatchEvent &e : fx.events) {
    auto it = conns.find(e.watcher);
    if (it == conns.end() || it->second->closed)
      continue;
    jute::Writer w(it->second->out);
    w.writeReplyHeader(NotificationXid, -1, Error::Ok);
    w.writeInt(int32_t(e.type));
    w.writeInt(SyncConnected);
    w.writeBuffer(e.path);
    w.finish();
    touched.push_back(it->second);
  }
  for (zk::SessionId s : fx.expiredSessions) {
    auto it = sessionConn.find(s);
    if (it == sessionConn.end())
      continue;
    auto c = conns.find(it->second);
    sessionConn.erase(it);
    if (c != conns.end())
      touched.push_back(c->second), c->second->session = 0, c->second->closeAfterFlush();
  }
  for (auto &c : touched)
    if (!c->inRead)
      c->flush();
}

void ZkEnsembleServer::Impl::closeServerConns(int server) {
  std::vector<std::shared_ptr<Conn>> victims;
  for (auto &[id, c] : conns)
    if (server < 0 || c->server == unsigned(server))
      victims.push_back(c);
  for (auto &c : victims)
    c->close();
}

void ZkEnsembleServer::Impl::doKill(unsigned i) {
  if (!acceptors[i])
    return;
  boost::system::error_code ec;
  acceptors[i]->close(ec);
  acceptors[i].reset();
  ++generation[i];
  closeServerConns(int(i));
  bool hadLeader = ens.leader() >= 0;
  ens.kill(now(), i);
  if (hadLeader && ens.leader() < 0)
    closeServerConns(-1); // every follower goes LOOKING and drops its clients
  armElection();
}

void ZkEnsembleServer::Impl::onClosed(Conn &c) {
  tree.removeWatcher(c.id);
  if (c.session) {
    auto it = sessionConn.find(c.session);
    if (it != sessionConn.end() && it->second == c.id)
      sessionConn.erase(it);
  }
  conns.erase(c.id);
}

void ZkEnsembleServer::Impl::handleFrame(Conn &c, const uint8_t *p, size_t n) {
  if (c.closing)
    return;
  if (!ens.serving(c.server)) {
    c.close();
    return;
  }
  jute::Reader r(p, n);
  if (!c.handshaken)
    handleConnect(c, r);
  else
    handleRequest(c, r);
}

void ZkEnsembleServer::Impl::handleConnect(Conn &c, jute::Reader &r) {
  // ConnectRequest.
  r.readInt(); // protocolVersion
  int64_t lastZxidSeen = r.readLong();
  int32_t timeoutMs = r.readInt();
  zk::SessionId sid = r.readLong();
  std::string passwd = r.readBuffer();
  if (r.bad) {
    c.close();
    return;
  }
  if (r.remaining() >= 1)
    r.readBool(); // readOnly
  else
    c.oldClient = true;
  if (lastZxidSeen > tree.lastZxid()) {
    // ZooKeeperServer.processConnectRequest: a client that has seen a later
    // zxid than this server must look for another one.
    c.close();
    return;
  }
  Instant t = now();
  const zk::Session *s = nullptr;
  if (sid == 0) {
    s = &tree.createSession(t, millis(timeoutMs));
  } else {
    std::array<uint8_t, 16> pw{};
    if (passwd.size() == pw.size())
      std::memcpy(pw.data(), passwd.data(), pw.size());
    if (passwd.size() == pw.size() && tree.revalidate(t, sid, pw))
      s = tree.session(sid);
  }
  std::string &o = c.out;
  jute::Writer w(o);
  w.writeInt(0);
  if (!s) {
    // An expired (or unknown) session: timeout 0, id 0, then the end.
    w.writeInt(0);
    w.writeLong(0);
    w.writeBuffer(std::string(16, '\0'));
    if (!c.oldClient)
      w.writeBool(false);
    w.finish();
    c.closeAfterFlush();
    return;
  }
  w.writeInt(int32_t(s->timeout / 1000));
  w.writeLong(s->id);
  w.writeBuffer(std::string_view(reinterpret_cast<const char *>(s->password.data()), 16));
  if (!c.oldClient)
    w.writeBool(false);
  w.finish();
  c.handshaken = true;
  c.session = s->id;
  // The session moved here: its previous connection goes.
  auto prev = sessionConn.find(s->id);
  if (prev != sessionConn.end() && prev->second != c.id) {
    auto old = conns.find(prev->second);
    if (old != conns.end()) {
      old->second->session = 0;
      old->second->close();
    }
  }
  sessionConn[s->id] = c.id;
}

static zk::CreateMode createMode(int32_t flags, Error &err) {
  if (flags >= 0 && flags <= 3)
    return zk::CreateMode(flags);
  // Containers and TTL nodes (4-6) are not emulated.
  err = flags <= 6 ? Error::Unimplemented : Error::BadArguments;
  return zk::CreateMode::Persistent;
}

void ZkEnsembleServer::Impl::handleRequest(Conn &c, jute::Reader &r) {
  int32_t xid = r.readInt();
  int32_t type = r.readInt();
  if (r.bad) {
    c.close();
    return;
  }
  Instant t = now();
  if (!tree.session(c.session)) {
    c.close();
    return;
  }
  zk::SessionId sid = c.session;
  if (int(c.server) == ens.leader())
    tree.touch(t, sid);
  else
    relayed.insert(sid);
  std::string reply;
  jute::Writer w(reply);
  auto header = [&](Error e) { w.writeReplyHeader(xid, tree.lastZxid(), e); };
  bool closeAfter = false;
  switch (type) {
  case OpPing:
  case OpAuth:
    header(Error::Ok);
    break;
  case OpCreate:
  case OpCreate2:
  case OpCreateContainer:
  case OpCreateTtl: {
    std::string path = r.readBuffer();
    std::string data = r.readBuffer();
    int32_t acls = r.skipAcls();
    int32_t flags = r.readInt();
    if (r.bad) {
      c.close();
      return;
    }
    Error err = Error::Ok;
    zk::CreateMode mode = createMode(flags, err);
    if (type == OpCreateContainer || type == OpCreateTtl)
      err = Error::Unimplemented;
    if (err == Error::Ok && acls <= 0)
      err = Error::InvalidAcl;
    if (err != Error::Ok) {
      header(err);
      break;
    }
    zk::CreateResult res = tree.create(t, sid, path, data, mode);
    header(res.err);
    if (res.err == Error::Ok) {
      w.writeBuffer(res.path);
      if (type == OpCreate2)
        w.writeStat(res.stat);
    }
    break;
  }
  case OpDelete: {
    std::string path = r.readBuffer();
    int32_t version = r.readInt();
    header(tree.remove(t, sid, path, version));
    break;
  }
  case OpExists: {
    std::string path = r.readBuffer();
    bool watch = r.readBool();
    zk::StatResult res = tree.exists(t, sid, path, watch ? c.id : zk::NoWatch);
    header(res.err);
    if (res.err == Error::Ok)
      w.writeStat(res.stat);
    break;
  }
  case OpGetData: {
    std::string path = r.readBuffer();
    bool watch = r.readBool();
    zk::DataResult res = tree.getData(t, sid, path, watch ? c.id : zk::NoWatch);
    header(res.err);
    if (res.err == Error::Ok) {
      w.writeBuffer(res.data);
      w.writeStat(res.stat);
    }
    break;
  }
  case OpSetData: {
    std::string path = r.readBuffer();
    std::string data = r.readBuffer();
    int32_t version = r.readInt();
    zk::StatResult res = tree.setData(t, sid, path, data, version);
    header(res.err);
    if (res.err == Error::Ok)
      w.writeStat(res.stat);
    break;
  }
  case OpGetAcl: {
    std::string path = r.readBuffer();
    zk::StatResult res = tree.exists(t, sid, path);
    header(res.err);
    if (res.err == Error::Ok) {
      // Every znode is world:anyone with all permissions (ZooDefs.Ids.OPEN_ACL_UNSAFE).
      w.writeInt(1);
      w.writeInt(31);
      w.writeBuffer("world");
      w.writeBuffer("anyone");
      w.writeStat(res.stat);
    }
    break;
  }
  case OpGetChildren:
  case OpGetChildren2: {
    std::string path = r.readBuffer();
    bool watch = r.readBool();
    zk::ChildrenResult res = tree.getChildren(t, sid, path, watch ? c.id : zk::NoWatch);
    header(res.err);
    if (res.err == Error::Ok) {
      w.writeStrings(res.children);
      if (type == OpGetChildren2)
        w.writeStat(res.stat);
    }
    break;
  }
  case OpSync: {
    std::string path = r.readBuffer();
    header(Error::Ok);
    w.writeBuffer(path);
    break;
  }
  case OpCheck: {
    std::string path = r.readBuffer();
    int32_t version = r.readInt();
    zk::MultiResult res = tree.multi(t, sid, {zk::Op::check(path, version)});
    header(res.err);
    break;
  }
  case OpMulti:
    multi(c, xid, r, w);
    break;
  case OpSetWatches:
  case OpSetWatches2: {
    int64_t rel = r.readLong();
    std::vector<std::string> data = r.readStrings();
    std::vector<std::string> exist = r.readStrings();
    std::vector<std::string> child = r.readStrings();
    if (r.bad) {
      c.close();
      return;
    }
    tree.setWatches(t, c.id, rel, data, exist, child);
    header(Error::Ok);
    break;
  }
  case OpCloseSession:
    tree.closeSession(t, sid);
    sessionConn.erase(sid);
    c.session = 0;
    header(Error::Ok);
    closeAfter = true;
    break;
  default:
    header(Error::Unimplemented);
    break;
  }
  if (r.bad) {
    c.close();
    return;
  }
  w.finish();
  // The notifications this request triggered precede its reply.
  dispatch();
  if (c.closed)
    return;
  c.out += reply;
  if (closeAfter)
    c.closeAfterFlush();
}

void ZkEnsembleServer::Impl::multi(Conn &c, int32_t xid, jute::Reader &r,
                                   jute::Writer &w) {
  std::vector<zk::Op> ops;
  std::vector<int32_t> types;
  Error pre = Error::Ok;
  for (;;) {
    // MultiHeader.
    int32_t type = r.readInt();
    bool done = r.readBool();
    r.readInt(); // err
    if (r.bad || done)
      break;
    types.push_back(type);
    switch (type) {
    case OpCreate:
    case OpCreate2: {
      std::string path = r.readBuffer();
      std::string data = r.readBuffer();
      int32_t acls = r.skipAcls();
      int32_t flags = r.readInt();
      Error err = Error::Ok;
      zk::CreateMode m = createMode(flags, err);
      if (err == Error::Ok && acls <= 0)
        err = Error::InvalidAcl;
      if (err != Error::Ok && pre == Error::Ok)
        pre = err;
      ops.push_back(zk::Op::create(std::move(path), std::move(data), m));
      break;
    }
    case OpDelete: {
      std::string path = r.readBuffer();
      ops.push_back(zk::Op::remove(std::move(path), r.readInt()));
      break;
    }
    case OpSetData: {
      std::string path = r.readBuffer();
      std::string data = r.readBuffer();
      ops.push_back(zk::Op::setData(std::move(path), std::move(data), r.readInt()));
      break;
    }
    case OpCheck: {
      std::string path = r.readBuffer();
      ops.push_back(zk::Op::check(std::move(path), r.readInt()));
      break;
    }
    default:
      r.bad = true;
      break;
    }
  }
  if (r.bad) {
    r.bad = false; // answered, not dropped
    w.writeReplyHeader(xid, tree.lastZxid(), Error::MarshallingError);
    return;
  }
  zk::MultiResult res;
  if (pre != Error::Ok) {
    res.err = pre;
    for (size_t i = 0; i < ops.size(); ++i)
      res.results.push_back({ops[i].kind, Error::RuntimeInconsistency, "", {}});
  } else {
    res = tree.multi(now(), c.session, ops);
  }
  // MultiResponse: the reply header carries Ok; each result says its own.
  w.writeReplyHeader(xid, tree.lastZxid(), Error::Ok);
  for (size_t i = 0; i < res.results.size(); ++i) {
    const zk::OpResult &o = res.results[i];
    if (res.err != Error::Ok) {
      w.writeInt(OpError);
      w.writeBool(false);
      w.writeInt(int32_t(o.err));
      w.writeInt(int32_t(o.err)); // ErrorResponse
      continue;
    }
    w.writeInt(types[i]);
    w.writeBool(false);
    w.writeInt(0);
    if (types[i] == OpCreate || types[i] == OpCreate2) {
      w.writeBuffer(o.path);
      if (types[i] == OpCreate2)
        w.writeStat(o.stat);
    } else if (types[i] == OpSetData) {
      w.writeStat(o.stat);
    }
  }
  w.writeInt(-1);
  w.writeBool(true);
  w.writeInt(-1);
}

//===----------------------------------------------------------------------===//
// The public face: start, control calls posted to the server thread, stop.
//===----------------------------------------------------------------------===//

ZkEnsembleServer::ZkEnsembleServer(std::unique_ptr<Impl> i) : impl(std::move(i)) {}

ZkEnsembleServer::~ZkEnsembleServer() { stop(); }

llvm::Expected<std::unique_ptr<ZkEnsembleServer>>
ZkEnsembleServer::start(ZkServerOptions opts) {
  if (opts.servers == 0)
    return llvm::createStringError(std::errc::invalid_argument,
                                   "an ensemble needs at least one server");
  if (opts.tick <= 0)
    return llvm::createStringError(std::errc::invalid_argument, "the tick must be positive");
  auto impl = std::make_unique<Impl>(opts);
  unsigned n = opts.servers;
  impl->acceptors.resize(n);
  impl->generation.assign(n, 0);
  impl->portList.assign(n, 0);
  for (unsigned i = 0; i < n; ++i) {
    uint16_t port = i < opts.ports.size() ? opts.ports[i] : 0;
    if (llvm::Error e = impl->bind(i, port))
      return llvm::Expected<std::unique_ptr<ZkEnsembleServer>>(std::move(e));
  }
  impl->ens.start(0);
  if (opts.electedAtStart)
    impl->ens.advance(impl->ens.nextWake());
  impl->armElection();
  impl->armTick();
  impl->armPing();
  Impl *raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<ZkEnsembleServer>(new ZkEnsembleServer(std::move(impl)));
}

template <class F> static auto onServerThread(ZkEnsembleServer::Impl &impl, F f) {
  using R = decltype(f());
  std::packaged_task<R()> task(std::move(f));
  std::future<R> fut = task.get_future();
  asio::post(impl.io, [&task] { task(); });
  return fut.get();
}

const std::vector<uint16_t> &ZkEnsembleServer::ports() const { return impl->portList; }

std::string ZkEnsembleServer::connectString() const {
  std::string s;
  for (uint16_t p : impl->portList) {
    if (!s.empty())
      s += ',';
    s += impl->opts.host + ":" + std::to_string(p);
  }
  return s;
}

void ZkEnsembleServer::kill(unsigned server) {
  assert(server < impl->portList.size() && "no such server");
  if (impl->stopped)
    return;
  onServerThread(*impl, [this, server] { impl->doKill(server); });
}

llvm::Error ZkEnsembleServer::restore(unsigned server) {
  assert(server < impl->portList.size() && "no such server");
  if (impl->stopped)
    return llvm::createStringError(std::errc::operation_canceled, "the server is stopped");
  std::string msg = onServerThread(*impl, [this, server] {
    llvm::Error e = impl->doRestore(server);
    return e ? llvm::toString(std::move(e)) : std::string();
  });
  if (!msg.empty())
    return llvm::createStringError(std::errc::address_in_use, "%s", msg.c_str());
  return llvm::Error::success();
}

ZkServerStatus ZkEnsembleServer::status() const {
  if (impl->stopped)
    return {};
  return onServerThread(*impl, [this] {
    ZkServerStatus s;
    s.ports = impl->portList;
    for (unsigned i = 0; i < impl->ens.size(); ++i)
      s.up.push_back(impl->ens.isUp(i));
    s.leader = impl->ens.leader();
    s.sessions = impl->tree.sessions().size();
    s.connections = impl->conns.size();
    s.znodes = impl->tree.nodeCount();
    s.watches = impl->tree.watchCount();
    s.lastZxid = impl->tree.lastZxid();
    s.leaderChanges = impl->ens.leaderChanges();
    return s;
  });
}

void ZkEnsembleServer::stop() {
  if (!impl || impl->stopped)
    return;
  onServerThread(*impl, [this] {
    boost::system::error_code ec;
    for (auto &a : impl->acceptors)
      if (a)
        a->close(ec);
    impl->closeServerConns(-1);
    impl->tickTimer.cancel();
    impl->electionTimer.cancel();
    impl->pingTimer.cancel();
    impl->guard.reset();
    impl->io.stop();
    return 0;
  });
  impl->thread.join();
  impl->stopped = true;
}

bool parseDuration(const std::string &text, Duration &out) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9')
    ++i;
  if (i == 0 || i > 12)
    return false;
  int64_t v = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  if (unit.empty() || unit == "ms")
    out = millis(v);
  else if (unit == "s")
    out = seconds(v);
  else if (unit == "us")
    out = micros(v);
  else
    return false;
  return true;
}

} // namespace infrac::live

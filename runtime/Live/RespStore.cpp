//===- RespStore.cpp - The embedded Redis-compatible store ----------------===//
//
// One io_context on one thread serves every node. A connection reads what
// the socket has, parses and executes every complete request in it and
// answers the whole batch with one write (tried at once on the non-blocking
// socket, asynchronously only for what did not fit), then reads again: a
// pipeline costs one read and one write per batch, and a request allocates
// nothing (the input, output and argument buffers belong to the connection).
//
// Replication: a primary appends each write command, prefixed by the instant
// it ran at, to a stream; after the batch the stream is applied by the
// replica's keyspace with the primary's instants, so both compute the same
// expiry. The primary's active expiry streams a DEL per key it deletes.
//
//===----------------------------------------------------------------------===//
#include "RespStore.h"
#include "RespKeyspace.h"
#include "RespProtocol.h"

#include <utility>

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

using namespace infrac::live;
using boost::asio::ip::tcp;
using infrac::runtime::Duration;
using llvm::StringRef;

namespace {

struct Node;

constexpr size_t InitialBuffer = 16 * 1024;
constexpr size_t LargeBuffer = 1024 * 1024;

struct Connection : std::enable_shared_from_this<Connection> {
  Connection(tcp::socket socket, Node &node)
      : socket(std::move(socket)), node(&node) {
    in.resize(InitialBuffer);
    out.reserve(InitialBuffer);
  }
  tcp::socket socket;
  Node *node;
  RespSession session;
  std::vector<char> in;
  size_t inUsed = 0;
  std::string out;
  llvm::SmallVector<StringRef, 8> argv;
  std::string scratch, error;
  bool closed = false;
  std::list<std::shared_ptr<Connection>>::iterator self;
};

struct Node {
  Node(boost::asio::io_context &io, RespKeyspace::Options options)
      : keyspace(std::move(options)), acceptor(io), expiryTimer(io) {}
  unsigned index = 0;
  RespKeyspace keyspace;
  tcp::acceptor acceptor;
  boost::asio::steady_timer expiryTimer;
  uint16_t port = 0;
  std::atomic<bool> up{false};
  std::atomic<bool> isPrimary{false};
  std::list<std::shared_ptr<Connection>> connections;
  RespNodeStats stats;
  // Primary side: the pending stream to the replica.
  std::string stream;
  bool drainPosted = false;
};

Instant steadyMicros(std::chrono::steady_clock::time_point epoch) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now() - epoch)
      .count();
}

} // namespace

class RespStore::Impl {
public:
  explicit Impl(RespStoreOptions options)
      : options(std::move(options)), epoch(std::chrono::steady_clock::now()) {}

  RespStoreOptions options;
  // Every socket is used on the loop thread only; other threads only post.
  boost::asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  // Keeps the loop running with every node down (control still posts).
  std::optional<boost::asio::executor_work_guard<
      boost::asio::io_context::executor_type>>
      work;
  std::thread thread;
  std::vector<std::unique_ptr<Node>> nodes;
  std::chrono::steady_clock::time_point epoch;
  runtime::Rng rng{0x5e55};
  int64_t nextClientId = 1;
  bool started = false;
  bool stopped = false;
  // Replica side of the stream.
  RespSession linkSession;
  llvm::SmallVector<StringRef, 8> linkArgv;
  std::string linkScratch, linkError, linkOut;
  mutable std::mutex downMutex;
  mutable std::condition_variable downChanged;

  Instant now() const { return steadyMicros(epoch); }

  llvm::Error bind(Node &node, uint16_t port) {
    boost::system::error_code ec;
    tcp::endpoint ep(boost::asio::ip::address_v4::loopback(), port);
    node.acceptor.open(ep.protocol(), ec);
    if (!ec)
      node.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
      node.acceptor.bind(ep, ec);
    if (!ec)
      node.acceptor.listen(511, ec);
    if (ec)
      return llvm::createStringError(
          std::errc::address_in_use, "cannot listen on 127.0.0.1:%u: %s",
          unsigned(port), ec.message().c_str());
    node.port = node.acceptor.local_endpoint().port();
    node.stats.port = node.port;
    return llvm::Error::success();
  }

  Node *replicaOf(Node &primary) {
    if (nodes.size() < 2 || !primary.isPrimary)
      return nullptr;
    Node &other = *nodes[1 - primary.index];
    return other.up && !other.isPrimary ? &other : nullptr;
  }

  void accept(Node &node) {
    node.acceptor.async_accept([this, &node](boost::system::error_code ec,
                                             tcp::socket socket) {
      if (!node.up || ec == boost::asio::error::operation_aborted)
        return;
      if (ec) // out of descriptors, a reset before accept: keep listening
        return accept(node);
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      socket.non_blocking(true, ignored);
      auto conn = std::make_shared<Connection>(std::move(socket), node);
      conn->session.id = nextClientId++;
      conn->session.authenticated = !node.keyspace.requiresAuth();
      node.connections.push_front(conn);
      conn->self = node.connections.begin();
      ++node.stats.connectionsAccepted;
      read(conn);
      accept(node);
    });
  }

  // Waits for the socket to be readable, then reads what it has: no read
  // is tried before the client can have sent anything (Redis's epoll loop).
  void read(const std::shared_ptr<Connection> &conn) {
    conn->socket.async_wait(
        tcp::socket::wait_read,
        [this, conn](boost::system::error_code ec) {
          if (conn->closed)
            return;
          if (ec)
            return close(*conn);
          Connection &c = *conn;
          if (c.inUsed == c.in.size())
            c.in.resize(c.in.size() * 2);
          size_t n = c.socket.read_some(
              boost::asio::buffer(c.in.data() + c.inUsed, c.in.size() - c.inUsed),
              ec);
          if (ec == boost::asio::error::would_block ||
              ec == boost::asio::error::try_again)
            return read(conn);
          if (ec)
            return close(c);
          c.inUsed += n;
          serve(conn);
        });
  }

  void close(Connection &c) {
    if (c.closed)
      return;
    c.closed = true;
    boost::system::error_code ignored;
    c.socket.close(ignored);
    // A pending handler owns the connection too; `keep` outlives the erase.
    std::shared_ptr<Connection> keep = *c.self;
    c.node->connections.erase(c.self);
  }

  // Executes every complete request of the input and answers them at once.
  void serve(const std::shared_ptr<Connection> &conn) {
    Connection &c = *conn;
    Node &node = *c.node;
    Instant t = now();
    size_t off = 0;
    while (off < c.inUsed && !c.session.closeAfterReply && !c.closed) {
      size_t consumed = 0;
      RespParse r = parseRequest(StringRef(c.in.data() + off, c.inUsed - off),
                                 consumed, c.argv, c.scratch, c.error);
      if (r == RespParse::Incomplete)
        break;
      if (r == RespParse::Error) {
        resp::error(c.out, c.error);
        c.session.closeAfterReply = true;
        break;
      }
      off += consumed;
      if (c.argv.empty())
        continue;
      runCommand(node, c, t);
    }
    if (c.closed)
      return;
    if (off > 0) {
      std::memmove(c.in.data(), c.in.data() + off, c.inUsed - off);
      c.inUsed -= off;
    }
    // A huge request or reply does not keep its memory on an idle connection.
    if (c.inUsed == 0 && c.in.size() > LargeBuffer) {
      c.in.resize(InitialBuffer);
      c.in.shrink_to_fit();
    }
    if (!node.stream.empty())
      scheduleDrain(node);
    write(conn);
  }

  void runCommand(Node &node, Connection &c, Instant t) {
    RespResult r = node.keyspace.execute(c.session, c.argv, t, c.out);
    ++node.stats.commands;
    if (r.write && node.isPrimary && replicaOf(node)) {
      appendStream(node, t, c.argv);
    }
    if (r.node != RespNodeCommand::None)
      nodeCommand(node, c, r.node, t);
  }

  void appendStream(Node &node, Instant t, llvm::ArrayRef<StringRef> argv) {
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", static_cast<long long>(t));
    llvm::SmallVector<StringRef, 8> entry;
    entry.push_back(StringRef(buf, size_t(n)));
    entry.append(argv.begin(), argv.end());
    size_t before = node.stream.size();
    encodeCommand(node.stream, entry);
    node.stats.replicationBytes += node.stream.size() - before;
    ++node.stats.replicationCommands;
  }

  void scheduleDrain(Node &node) {
    if (node.drainPosted)
      return;
    node.drainPosted = true;
    boost::asio::post(io, [this, &node] {
      node.drainPosted = false;
      drain(node);
    });
  }

  // Applies the primary's pending stream on its replica.
  void drain(Node &primary) {
    Node *replica = replicaOf(primary);
    if (!replica) {
      primary.stream.clear();
      return;
    }
    linkSession.replicationLink = true;
    linkSession.authenticated = true;
    StringRef data(primary.stream);
    while (!data.empty()) {
      size_t consumed = 0;
      RespParse r =
          parseRequest(data, consumed, linkArgv, linkScratch, linkError);
      assert(r == RespParse::Complete && "the stream holds whole commands");
      (void)r;
      data = data.drop_front(consumed);
      int64_t at = 0;
      bool ok = resp::parseInt(linkArgv[0], at);
      assert(ok && "a stream entry starts with its instant");
      (void)ok;
      linkOut.clear();
      replica->keyspace.execute(
          linkSession, llvm::ArrayRef<StringRef>(linkArgv).drop_front(), at,
          linkOut);
      ++replica->stats.commands;
    }
    primary.stream.clear();
  }

  void write(const std::shared_ptr<Connection> &conn) {
    Connection &c = *conn;
    if (c.out.empty()) {
      if (c.session.closeAfterReply)
        return close(c);
      return read(conn);
    }
    boost::system::error_code ec;
    size_t n = c.socket.write_some(boost::asio::buffer(c.out), ec);
    if (ec && ec != boost::asio::error::would_block)
      return close(c);
    if (n == c.out.size()) {
      c.out.clear();
      if (c.out.capacity() > LargeBuffer)
        c.out.shrink_to_fit();
      if (c.session.closeAfterReply)
        return close(c);
      return read(conn);
    }
    c.out.erase(0, n);
    boost::asio::async_write(
        c.socket, boost::asio::buffer(c.out),
        [this, conn](boost::system::error_code ec, size_t) {
          if (conn->closed)
            return;
          if (ec)
            return close(*conn);
          conn->out.clear();
          if (conn->out.capacity() > LargeBuffer)
            conn->out.shrink_to_fit();
          if (conn->session.closeAfterReply)
            return close(*conn);
          read(conn);
        });
  }

  void nodeCommand(Node &node, Connection &c, RespNodeCommand cmd, Instant t) {
    switch (cmd) {
    case RespNodeCommand::None:
      return;
    case RespNodeCommand::Shutdown:
      // As a Redis process exiting: no reply, every connection dropped.
      c.out.clear();
      killNode(node);
      return;
    case RespNodeCommand::ReplicaOf: {
      StringRef host = c.argv[1], port = c.argv[2];
      if (host.equals_insensitive("no") && port.equals_insensitive("one")) {
        if (!node.isPrimary)
          promote(node);
        return resp::simple(c.out, "OK");
      }
      Node *primary = nodes.size() == 2 ? nodes[1 - node.index].get() : nullptr;
      int64_t p;
      if (!node.isPrimary && primary && resp::parseInt(port, p) &&
          p == primary->port &&
          (host == "127.0.0.1" || host.equals_insensitive("localhost")))
        return resp::simple(c.out, "OK Already connected to specified master");
      return resp::error(c.out, "ERR REPLICAOF another server is not "
                                "supported by the embedded store");
    }
    case RespNodeCommand::Wait: {
      drain(node);
      return resp::integer(c.out, replicaOf(node) ? 1 : 0);
    }
    case RespNodeCommand::Role: {
      if (node.isPrimary) {
        Node *r = replicaOf(node);
        resp::array(c.out, 3);
        resp::bulk(c.out, "master");
        resp::integer(c.out, int64_t(node.stats.replicationBytes));
        resp::array(c.out, r ? 1 : 0);
        if (r) {
          resp::array(c.out, 3);
          resp::bulk(c.out, "127.0.0.1");
          resp::bulk(c.out, std::to_string(r->port));
          resp::bulk(c.out, std::to_string(node.stats.replicationBytes));
        }
        return;
      }
      Node &p = *nodes[1 - node.index];
      resp::array(c.out, 5);
      resp::bulk(c.out, "slave");
      resp::bulk(c.out, "127.0.0.1");
      resp::integer(c.out, p.port);
      resp::bulk(c.out, p.up ? "connected" : "connect");
      resp::integer(c.out, int64_t(p.stats.replicationBytes));
      return;
    }
    case RespNodeCommand::Info:
      return resp::bulk(c.out, info(node, t));
    }
  }

  std::string info(Node &node, Instant t) {
    std::string s;
    s += "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"
         "infrac_store:embedded\r\ntcp_port:";
    s += std::to_string(node.port);
    s += "\r\nuptime_in_seconds:" + std::to_string(t / 1000000);
    s += "\r\n\r\n# Clients\r\nconnected_clients:" +
         std::to_string(node.connections.size());
    s += "\r\n\r\n# Stats\r\ntotal_connections_received:" +
         std::to_string(node.stats.connectionsAccepted);
    s += "\r\ntotal_commands_processed:" + std::to_string(node.stats.commands);
    s += "\r\nexpired_keys:" + std::to_string(node.keyspace.stats().expiredKeys);
    s += "\r\nkeyspace_hits:" + std::to_string(node.keyspace.stats().hits);
    s += "\r\nkeyspace_misses:" + std::to_string(node.keyspace.stats().misses);
    s += "\r\n\r\n# Replication\r\n";
    if (node.isPrimary) {
      Node *r = replicaOf(node);
      s += "role:master\r\nconnected_slaves:";
      s += r ? "1" : "0";
      if (r)
        s += "\r\nslave0:ip=127.0.0.1,port=" + std::to_string(r->port) +
             ",state=online,offset=" +
             std::to_string(node.stats.replicationBytes) + ",lag=0";
      s += "\r\nmaster_repl_offset:" +
           std::to_string(node.stats.replicationBytes);
    } else {
      Node &p = *nodes[1 - node.index];
      s += "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:" +
           std::to_string(p.port);
      s += "\r\nmaster_link_status:";
      s += p.up ? "up" : "down";
    }
    s += "\r\n\r\n# Keyspace\r\n";
    if (node.keyspace.size())
      s += "db0:keys=" + std::to_string(node.keyspace.size()) +
           ",expires=" + std::to_string(node.keyspace.volatileSize()) +
           ",avg_ttl=0\r\n";
    return s;
  }

  void promote(Node &node) {
    // A primary still up sends what it has streamed, then no more: both
    // nodes are primaries with their own data from here on.
    Node &other = *nodes[1 - node.index];
    if (other.up && other.isPrimary)
      drain(other);
    node.isPrimary = true;
    node.keyspace.setRole(RespRole::Primary);
    scheduleExpiry(node);
  }

  void killNode(Node &node) {
    if (!node.up)
      return;
    // The replica takes over before a client can see the primary go.
    if (node.isPrimary && nodes.size() == 2) {
      Node &other = *nodes[1 - node.index];
      if (other.up && !other.isPrimary)
        promote(other); // drains what the primary streamed before the kill
    }
    node.up = false;
    node.isPrimary = false;
    boost::system::error_code ignored;
    node.acceptor.close(ignored);
    node.expiryTimer.cancel();
    while (!node.connections.empty())
      close(*node.connections.front());
    node.keyspace.flush();
    node.stream.clear();
    std::lock_guard<std::mutex> lock(downMutex);
    downChanged.notify_all();
  }

  void scheduleExpiry(Node &node) {
    node.expiryTimer.expires_after(
        std::chrono::microseconds(options.activeExpiryPeriod));
    node.expiryTimer.async_wait([this, &node](boost::system::error_code ec) {
      if (ec || !node.up || !node.isPrimary)
        return;
      Instant t = now();
      bool streaming = replicaOf(node) != nullptr;
      node.keyspace.activeExpireCycle(t, rng, [&](StringRef key) {
        if (streaming) {
          StringRef argv[] = {"DEL", key};
          appendStream(node, t, argv);
        }
      });
      if (!node.stream.empty())
        scheduleDrain(node);
      scheduleExpiry(node);
    });
  }

  // Runs `f` on the event loop and waits for it (or runs it directly when
  // the loop is not running).
  template <class F> auto onLoop(F f) const -> decltype(f()) {
    if (!started || stopped || std::this_thread::get_id() == thread.get_id())
      return f();
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto future = task.get_future();
    boost::asio::post(const_cast<boost::asio::io_context &>(io),
                      [&task] { task(); });
    return future.get();
  }
};

RespStore::RespStore(RespStoreOptions options)
    : impl(std::make_unique<Impl>(std::move(options))) {}

RespStore::~RespStore() { stop(); }

llvm::Expected<uint16_t> RespStore::start(uint16_t port) {
  assert(!impl->started && "started twice");
  RespKeyspace::Options ko;
  ko.password = impl->options.password;
  unsigned count = impl->options.replica ? 2 : 1;
  for (unsigned i = 0; i < count; ++i) {
    auto node = std::make_unique<Node>(impl->io, ko);
    node->index = i;
    if (llvm::Error e = impl->bind(*node, i == 0 ? port : impl->options.replicaPort))
      return e;
    node->isPrimary = i == 0;
    node->stats.primary = i == 0;
    node->keyspace.setRole(i == 0 ? RespRole::Primary : RespRole::Replica);
    node->up = true;
    impl->nodes.push_back(std::move(node));
  }
  for (auto &node : impl->nodes) {
    impl->accept(*node);
    if (node->isPrimary)
      impl->scheduleExpiry(*node);
  }
  impl->started = true;
  impl->work.emplace(impl->io.get_executor());
  impl->thread = std::thread([this] { impl->io.run(); });
  return impl->nodes[0]->port;
}

unsigned RespStore::nodeCount() const {
  return impl->options.replica ? 2 : 1;
}

uint16_t RespStore::port(unsigned node) const {
  assert(node < impl->nodes.size() && "no such node");
  return impl->nodes[node]->port;
}

std::string RespStore::address(unsigned node) const {
  return "127.0.0.1:" + std::to_string(port(node));
}

int RespStore::primary() const {
  return impl->onLoop([&] {
    for (auto &node : impl->nodes)
      if (node->up && node->isPrimary)
        return int(node->index);
    return -1;
  });
}

bool RespStore::isUp(unsigned node) const {
  return node < impl->nodes.size() && impl->nodes[node]->up;
}

llvm::Error RespStore::kill(unsigned node) {
  if (node >= impl->nodes.size())
    return llvm::createStringError(std::errc::invalid_argument,
                                   "the store has no node %u", node);
  impl->onLoop([&] {
    impl->killNode(*impl->nodes[node]);
    return 0;
  });
  return llvm::Error::success();
}

void RespStore::stop() {
  if (!impl->started || impl->stopped)
    return;
  impl->onLoop([&] {
    for (auto &node : impl->nodes)
      impl->killNode(*node);
    return 0;
  });
  impl->work.reset();
  impl->io.stop();
  impl->thread.join();
  impl->stopped = true;
  // The handlers still queued see their connections closed and return.
  impl->io.restart();
  impl->io.poll();
}

RespNodeStats RespStore::stats(unsigned node) const {
  assert(node < impl->nodes.size() && "no such node");
  return impl->onLoop([&] {
    Node &n = *impl->nodes[node];
    RespNodeStats s = n.stats;
    s.up = n.up;
    s.primary = n.up && n.isPrimary;
    s.connectionsOpen = n.connections.size();
    s.keys = n.keyspace.size();
    s.expiredKeys = n.keyspace.stats().expiredKeys;
    return s;
  });
}

bool RespStore::waitAllDown(Duration timeout) const {
  std::unique_lock<std::mutex> lock(impl->downMutex);
  return impl->downChanged.wait_for(
      lock, std::chrono::microseconds(timeout), [&] {
        for (auto &node : impl->nodes)
          if (node->up)
            return false;
        return true;
      });
}

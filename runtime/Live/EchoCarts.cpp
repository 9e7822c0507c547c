//===- EchoCarts.cpp - infrac-echo's shopping carts, kept per strategy ----===//
//
// See EchoCarts.h. A cart is {"version": N, "items": {"sku": qty, ...}}; a
// session entry is that cart (or, on a backup-strategy member that holds no
// copy, only where it lives) and the time it was last used.
//
// The backup choice follows Tomcat's LazyReplicatedMap (the map behind
// BackupManager): "uses primary/secondary backup strategy. One node is always
// the primary and one node is always the backup"; the backup is the next of
// the other members in turn (a round-robin index per member), and every
// other member gets a proxy message naming the primary and the backup
// (https://tomcat.apache.org/tomcat-9.0-doc/api/org/apache/catalina/tribes/tipis/LazyReplicatedMap.html,
// https://tomcat.apache.org/tomcat-9.0-doc/config/cluster-manager.html).
//
//===----------------------------------------------------------------------===//

#include "EchoCarts.h"

#include "Live/RespClient.h"

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <map>
#include <optional>
#include <random>

// g++ 12 takes the coroutine frame's own operator delete (Asio's
// awaitable_frame_base) for a mismatch with the frame's allocation in
// Impl::serve, a false positive of its -Wmismatched-new-delete.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace infrac::echo {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using llvm::StringRef;

namespace {

auto ec_(error_code &ec) { return asio::redirect_error(asio::use_awaitable, ec); }

const char *strategyText(CartStrategy s) {
  switch (s) {
  case CartStrategy::InMemory: return "in_memory";
  case CartStrategy::Replicated: return "replicated";
  case CartStrategy::Backup: return "backup";
  case CartStrategy::External: return "external";
  }
  return "?";
}

std::vector<std::string> splitList(StringRef text) {
  llvm::SmallVector<StringRef, 8> parts;
  text.split(parts, ',', -1, false);
  std::vector<std::string> out;
  for (StringRef p : parts)
    if (!p.trim().empty())
      out.push_back(p.trim().str());
  return out;
}

struct Cart {
  int64_t version = 0;
  std::map<std::string, int64_t> items; // Sorted: a deterministic body.

  std::string encode() const {
    llvm::json::Object its;
    for (auto &[sku, qty] : items)
      its[sku] = qty;
    std::string s;
    llvm::raw_string_ostream os(s);
    os << llvm::json::Value(llvm::json::Object{{"version", version}, {"items", std::move(its)}});
    return os.str();
  }
  static std::optional<Cart> decode(StringRef text) {
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
    if (!v) {
      llvm::consumeError(v.takeError());
      return std::nullopt;
    }
    const llvm::json::Object *o = v->getAsObject();
    if (!o)
      return std::nullopt;
    Cart c;
    c.version = o->getInteger("version").getValueOr(0);
    if (const llvm::json::Object *its = o->getObject("items"))
      for (auto &[sku, qty] : *its)
        if (auto n = qty.getAsInteger())
          c.items[sku.str()] = *n;
    return c;
  }
};

/// A session as one member knows it.
struct Entry {
  enum Role { Owner, Copy, Backup, Proxy };
  Role role = Owner; ///< Owner: in_memory's, or a backup strategy's primary.
  std::optional<Cart> cart; ///< None on a proxy.
  std::string primary, backup; ///< Backup strategy: replication addresses.
  Clock::time_point lastUse;
};

/// A peer's replication address and the connections to it kept open.
struct Peer {
  std::string address;
  uint16_t port = 0;
  bool alive = true;
  std::vector<std::unique_ptr<tcp::socket>> idle;
};

} // namespace

std::optional<CartsConfig> cartsConfigFromEnv(std::string &error) {
  auto env = [](const char *name) -> const char * {
    const char *v = std::getenv(name);
    return v && *v ? v : nullptr;
  };
  const char *s = env("SESSIONS");
  if (!s)
    return std::nullopt;
  CartsConfig c;
  StringRef strategy(s);
  if (strategy == "in_memory")
    c.strategy = CartStrategy::InMemory;
  else if (strategy == "replicated")
    c.strategy = CartStrategy::Replicated;
  else if (strategy == "backup")
    c.strategy = CartStrategy::Backup;
  else if (strategy == "external")
    c.strategy = CartStrategy::External;
  else {
    error = "SESSIONS must be in_memory, replicated, backup or external, not '" + strategy.str() +
            "'";
    return std::nullopt;
  }
  if (const char *v = env("SESSION_COOKIE"))
    c.cookie = v;
  if (const char *v = env("SESSION_TTL_MS")) {
    unsigned long long ms = 0;
    if (StringRef(v).getAsInteger(10, ms) || ms == 0) {
      error = "SESSION_TTL_MS must be a positive number of milliseconds, not '" +
              std::string(v) + "'";
      return std::nullopt;
    }
    c.ttl = std::chrono::milliseconds(ms);
  }
  if (const char *v = env("REPLICATION_PORT")) {
    unsigned p = 0;
    if (StringRef(v).getAsInteger(10, p) || p > 65535) {
      error = "REPLICATION_PORT must be a port, not '" + std::string(v) + "'";
      return std::nullopt;
    }
    c.replicationPort = uint16_t(p);
  }
  if (const char *v = env("SESSION_PEERS"))
    c.peers = splitList(v);
  if (const char *v = env("SESSION_STORE"))
    c.store = splitList(v);
  if (c.strategy == CartStrategy::External && c.store.empty()) {
    error = "sessions = external needs SESSION_STORE=HOST:PORT[,HOST:PORT] (the store's nodes)";
    return std::nullopt;
  }
  for (const std::string &a : c.peers) {
    std::string host;
    uint16_t port;
    if (!live::splitAddress(a, host, port)) {
      error = "SESSION_PEERS: '" + a + "' is not HOST:PORT";
      return std::nullopt;
    }
  }
  return c;
}

//===----------------------------------------------------------------------===//
// The carts
//===----------------------------------------------------------------------===//

class Carts::Impl {
public:
  Impl(asio::io_context &io, CartsConfig config)
      : io(io), cfg(std::move(config)), acceptor(io), rng(std::random_device{}()) {}

  bool listen(std::string &error);
  asio::awaitable<CartReply> serve(StringRef method, StringRef path, StringRef cookies,
                                   StringRef body);
  llvm::json::Object stats() const;

  asio::io_context &io;
  CartsConfig cfg;
  tcp::acceptor acceptor;
  std::mt19937_64 rng;
  std::map<std::string, Entry> sessions;
  std::map<std::string, Peer> peers; ///< By address; never erased (coroutines hold them).
  size_t nextBackup = 0;             ///< LazyReplicatedMap's round-robin index.
  uint64_t created = 0, found = 0, lost = 0, storeErrors = 0;
  uint64_t sentMessages = 0, sentBytes = 0, receivedMessages = 0, receivedBytes = 0;
  size_t storeNode = 0; ///< The store node tried first.
  bool storeFailed = false; ///< The last load found no store node answering.
  std::optional<live::RespClient> store;

private:
  std::string self() const {
    return "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  }
  std::string newSessionId() {
    return llvm::utohexstr(rng(), /*LowerCase=*/true) + llvm::utohexstr(rng(), true) + "." +
           cfg.instance;
  }
  Peer &peer(const std::string &address);
  std::vector<Peer *> alivePeers(llvm::ArrayRef<std::string> except = {});

  // The replication protocol.
  asio::awaitable<void> acceptLoop();
  asio::awaitable<void> replicationSession(tcp::socket socket);
  std::string handle(StringRef line, bool &sendAll);
  asio::awaitable<std::optional<std::string>> call(Peer &p, std::string line,
                                                   std::vector<std::string> *more = nullptr);
  asio::awaitable<void> callAndCount(Peer *p, std::string line,
                                     std::shared_ptr<asio::steady_timer> done,
                                     std::shared_ptr<size_t> left);
  asio::awaitable<void> broadcast(std::vector<Peer *> to, std::string line);
  asio::awaitable<void> greet();

  // Where a session's cart is got and put, per strategy.
  asio::awaitable<std::optional<Cart>> load(const std::string &id);
  asio::awaitable<bool> save(const std::string &id, const Cart &cart);
  asio::awaitable<bool> erase(const std::string &id);
  std::optional<live::RespValue> storeCommand(llvm::ArrayRef<StringRef> argv);
  // One key per session, "session:ID", with the TTL (plain functions: the
  // client blocks, on loopback, for one round trip).
  std::optional<Cart> storeGet(const std::string &id);
  bool storeSet(const std::string &id, const std::string &cart);
  bool storeDel(const std::string &id);
  void expire();
};

Peer &Carts::Impl::peer(const std::string &address) {
  auto [it, fresh] = peers.try_emplace(address);
  if (fresh) {
    std::string host;
    live::splitAddress(address, host, it->second.port);
    it->second.address = address;
  }
  return it->second;
}

std::vector<Peer *> Carts::Impl::alivePeers(llvm::ArrayRef<std::string> except) {
  std::vector<Peer *> out;
  for (auto &[address, p] : peers)
    if (p.alive && llvm::find(except, address) == except.end())
      out.push_back(&p);
  return out;
}

bool Carts::Impl::listen(std::string &error) {
  if (cfg.strategy != CartStrategy::Replicated && cfg.strategy != CartStrategy::Backup)
    return true;
  error_code ec;
  tcp::endpoint ep(asio::ip::address_v4::loopback(), cfg.replicationPort);
  acceptor.open(ep.protocol(), ec);
  if (!ec)
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor.bind(ep, ec);
  if (!ec)
    acceptor.listen(1024, ec);
  if (ec) {
    error = "cannot listen for replication on 127.0.0.1:" + std::to_string(cfg.replicationPort) +
            ": " + ec.message();
    return false;
  }
  for (const std::string &a : cfg.peers)
    peer(a);
  asio::co_spawn(io, acceptLoop(), asio::detached);
  asio::co_spawn(io, greet(), asio::detached);
  return true;
}

asio::awaitable<void> Carts::Impl::acceptLoop() {
  for (;;) {
    error_code ec;
    tcp::socket s = co_await acceptor.async_accept(ec_(ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open())
      co_return;
    if (ec)
      continue;
    s.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(io, replicationSession(std::move(s)), asio::detached);
  }
}

/// Tells every peer this member is here (again while one does not answer:
/// it may be starting too, for up to 10 s); all-to-all, then asks one of them
/// for every session it has (DeltaManager's state transfer at start).
asio::awaitable<void> Carts::Impl::greet() {
  std::vector<Peer *> left;
  for (auto &[address, p] : peers)
    left.push_back(&p);
  asio::steady_timer pause(io);
  for (int round = 0; !left.empty() && round < 200; ++round) {
    std::vector<Peer *> again;
    for (Peer *p : left) {
      std::string hello = "HELLO " + self();
      p->alive = true;
      if (!co_await call(*p, std::move(hello)))
        again.push_back(p);
    }
    left = std::move(again);
    if (!left.empty()) {
      error_code ec;
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(ec_(ec));
    }
  }
  if (cfg.strategy != CartStrategy::Replicated)
    co_return;
  for (Peer *p : alivePeers()) {
    std::vector<std::string> lines;
    std::string all = "ALL";
    auto r = co_await call(*p, std::move(all), &lines);
    if (!r)
      continue;
    for (const std::string &l : lines) {
      auto [op, rest] = StringRef(l).split(' ');
      auto [id, json] = rest.split(' ');
      std::optional<Cart> c = Cart::decode(json);
      if (op != "SET" || !c)
        continue;
      Entry &e = sessions[id.str()];
      if (!e.cart || e.cart->version < c->version) {
        e.role = Entry::Copy;
        e.cart = std::move(c);
        e.lastUse = Clock::now();
      }
    }
    break;
  }
}

asio::awaitable<void> Carts::Impl::replicationSession(tcp::socket socket) {
  std::string buf;
  for (;;) {
    error_code ec;
    size_t n = co_await asio::async_read_until(socket, asio::dynamic_buffer(buf), '\n', ec_(ec));
    if (ec)
      break;
    std::string line = buf.substr(0, n - 1);
    buf.erase(0, n);
    ++receivedMessages;
    receivedBytes += n;
    bool sendAll = false;
    std::string reply = handle(line, sendAll);
    if (sendAll) // The state transfer: every session held, then END.
      for (auto &[id, e] : sessions)
        if (e.cart)
          reply += "SET " + id + " " + e.cart->encode() + "\n";
    reply += sendAll ? "END\n" : "";
    co_await asio::async_write(socket, asio::buffer(reply), ec_(ec));
    if (ec)
      break;
  }
  error_code ignored;
  socket.close(ignored);
}

std::string Carts::Impl::handle(StringRef line, bool &sendAll) {
  auto [op, rest] = line.split(' ');
  if (op == "HELLO") {
    Peer &p = peer(rest.str());
    p.alive = true;
    return "OK\n";
  }
  if (op == "ALL") {
    sendAll = true;
    return "";
  }
  auto [id, arg] = rest.split(' ');
  if (id.empty())
    return "ERR missing session\n";
  if (op == "GET") {
    auto it = sessions.find(id.str());
    if (it == sessions.end() || !it->second.cart)
      return "NONE\n";
    return "CART " + it->second.cart->encode() + "\n";
  }
  if (op == "DEL") {
    sessions.erase(id.str());
    return "OK\n";
  }
  if (op == "PROXY") { // "PROXY id PRIMARY BACKUP": only where it lives.
    auto [primary, backup] = arg.split(' ');
    Entry &e = sessions[id.str()];
    e.role = Entry::Proxy;
    e.cart.reset();
    e.primary = primary.str();
    e.backup = backup.str();
    e.lastUse = Clock::now();
    return "OK\n";
  }
  if (op == "SET" || op == "BACKUP") { // "BACKUP id PRIMARY CART".
    StringRef primary;
    if (op == "BACKUP")
      std::tie(primary, arg) = arg.split(' ');
    std::optional<Cart> c = Cart::decode(arg);
    if (!c)
      return "ERR bad cart\n";
    Entry &e = sessions[id.str()];
    if (op == "BACKUP" || !e.cart || e.cart->version <= c->version) {
      e.role = op == "SET" ? Entry::Copy : Entry::Backup;
      e.cart = std::move(c);
      e.primary = primary.str();
      e.backup = op == "BACKUP" ? self() : std::string();
    }
    e.lastUse = Clock::now();
    return "OK\n";
  }
  return "ERR unknown message '" + op.str() + "'\n";
}

/// One message to a peer and its answer (a line; with `more`, the lines up
/// to END). A peer that does not answer is taken for gone.
asio::awaitable<std::optional<std::string>> Carts::Impl::call(Peer &p, std::string line,
                                                            std::vector<std::string> *more) {
  std::unique_ptr<tcp::socket> s;
  error_code ec;
  if (!p.idle.empty()) {
    s = std::move(p.idle.back());
    p.idle.pop_back();
  } else {
    s = std::make_unique<tcp::socket>(io);
    co_await s->async_connect({asio::ip::address_v4::loopback(), p.port}, ec_(ec));
    if (!ec)
      s->set_option(tcp::no_delay(true), ec);
  }
  asio::steady_timer deadline(io, std::chrono::seconds(2));
  deadline.async_wait([&s](error_code e) {
    if (!e) {
      error_code ignored;
      s->close(ignored);
    }
  });
  line += "\n";
  if (!ec) {
    co_await asio::async_write(*s, asio::buffer(line), ec_(ec));
    ++sentMessages;
    sentBytes += line.size();
  }
  std::string buf, answer;
  while (!ec) {
    size_t n = co_await asio::async_read_until(*s, asio::dynamic_buffer(buf), '\n', ec_(ec));
    if (ec)
      break;
    std::string got = buf.substr(0, n - 1);
    receivedBytes += n;
    buf.erase(0, n);
    if (!more) {
      answer = got;
      break;
    }
    if (got == "END")
      break;
    more->push_back(std::move(got));
  }
  deadline.cancel();
  if (ec) {
    p.alive = false;
    co_return std::nullopt;
  }
  p.idle.push_back(std::move(s));
  co_return answer;
}

asio::awaitable<void> Carts::Impl::callAndCount(Peer *p, std::string line,
                                                std::shared_ptr<asio::steady_timer> done,
                                                std::shared_ptr<size_t> left) {
  co_await call(*p, std::move(line));
  if (--*left == 0)
    done->cancel();
}

/// The message to each of `to` at once; done when every one answered or
/// was found gone (a synchronous, acknowledged send).
asio::awaitable<void> Carts::Impl::broadcast(std::vector<Peer *> to, std::string line) {
  if (to.empty())
    co_return;
  auto done = std::make_shared<asio::steady_timer>(io, asio::steady_timer::time_point::max());
  auto left = std::make_shared<size_t>(to.size());
  for (Peer *p : to)
    asio::co_spawn(io, callAndCount(p, line, done, left), asio::detached);
  error_code ec;
  if (*left)
    co_await done->async_wait(ec_(ec));
}

std::optional<live::RespValue> Carts::Impl::storeCommand(llvm::ArrayRef<StringRef> argv) {
  // Each node in turn, from the one that answered last: a killed primary's
  // replica takes over at its own address.
  for (size_t tries = 0; tries < cfg.store.size(); ++tries) {
    if (!store || !store->connected()) {
      auto c = live::RespClient::connect(cfg.store[storeNode], runtime::millis(500));
      if (!c) {
        llvm::consumeError(c.takeError());
        store.reset();
        storeNode = (storeNode + 1) % cfg.store.size();
        continue;
      }
      store = std::move(*c);
    }
    auto r = store->command(argv);
    if (r && !(r->isError() && StringRef(r->str).startswith("READONLY")))
      return std::move(*r);
    if (!r)
      llvm::consumeError(r.takeError());
    store.reset();
    storeNode = (storeNode + 1) % cfg.store.size();
  }
  ++storeErrors;
  return std::nullopt;
}

std::optional<Cart> Carts::Impl::storeGet(const std::string &id) {
  std::string key = "session:" + id;
  auto r = storeCommand({"GET", key});
  storeFailed = !r;
  if (!r || r->kind != live::RespValue::Bulk)
    return std::nullopt;
  return Cart::decode(r->str);
}

bool Carts::Impl::storeSet(const std::string &id, const std::string &cart) {
  std::string key = "session:" + id, ttl = std::to_string(cfg.ttl.count());
  auto r = storeCommand({"SET", key, cart, "PX", ttl});
  return r && !r->isError();
}

bool Carts::Impl::storeDel(const std::string &id) {
  std::string key = "session:" + id;
  auto r = storeCommand({"DEL", key});
  return r && !r->isError();
}

void Carts::Impl::expire() {
  auto now = Clock::now();
  for (auto it = sessions.begin(); it != sessions.end();)
    it = now - it->second.lastUse > cfg.ttl ? sessions.erase(it) : std::next(it);
}

/// The cart of session `id` as this member can get it; nullopt when it is
/// nowhere (lost). Throws nothing; a store that does not answer is lost too.
asio::awaitable<std::optional<Cart>> Carts::Impl::load(const std::string &id) {
  if (cfg.strategy == CartStrategy::External)
    co_return storeGet(id);
  auto it = sessions.find(id);
  if (it == sessions.end())
    co_return std::nullopt;
  Entry &e = it->second;
  if (e.cart)
    co_return e.cart;
  // A proxy: from the backup, else the primary.
  for (const std::string &from : std::vector<std::string>{e.backup, e.primary}) {
    if (from.empty() || from == self())
      continue;
    Peer &p = peer(from);
    std::string msg = "GET " + id;
    auto r = co_await call(p, std::move(msg));
    StringRef answer = r ? StringRef(*r) : StringRef();
    if (answer.consume_front("CART "))
      if (std::optional<Cart> c = Cart::decode(answer))
        co_return c;
  }
  co_return std::nullopt;
}

/// Stores a changed (or relocated) cart where the strategy keeps it; false
/// when it could not (the store is down).
asio::awaitable<bool> Carts::Impl::save(const std::string &id, const Cart &cart) {
  std::string text = cart.encode();
  switch (cfg.strategy) {
  case CartStrategy::External: // The store keeps it; this member nothing.
    co_return storeSet(id, text);
  case CartStrategy::InMemory:
    break;
  case CartStrategy::Replicated: {
    std::string msg = "SET " + id + " " + text;
    co_await broadcast(alivePeers(), std::move(msg));
    break;
  }
  case CartStrategy::Backup: {
    // This member is now the primary. A backup of its own keeps the one it
    // has; one that was the backup, or has none alive, takes the next
    // member in turn.
    Entry &e = sessions[id];
    std::string me = self();
    bool moved = e.role != Entry::Owner;
    std::string backup = e.backup;
    if (backup == me || backup.empty() || !peer(backup).alive) {
      std::vector<Peer *> others = alivePeers(std::vector<std::string>{me});
      backup = others.empty() ? std::string() : others[nextBackup++ % others.size()]->address;
      moved = true;
    }
    e.role = Entry::Owner;
    e.primary = me;
    e.backup = backup;
    // (Arguments named first: g++ 12 cannot keep an initializer list's
    // array across a co_await.)
    std::string copy = "BACKUP " + id + " " + me + " " + text;
    std::string where = "PROXY " + id + " " + me + " " + backup;
    if (!backup.empty())
      co_await call(peer(backup), std::move(copy));
    std::vector<std::string> notThem{me, backup};
    std::vector<Peer *> proxies = alivePeers(notThem);
    if (moved)
      co_await broadcast(std::move(proxies), std::move(where));
    break;
  }
  }
  Entry &e = sessions[id];
  if (cfg.strategy == CartStrategy::Replicated)
    e.role = Entry::Copy;
  e.cart = cart;
  e.lastUse = Clock::now();
  co_return true;
}

asio::awaitable<bool> Carts::Impl::erase(const std::string &id) {
  sessions.erase(id);
  switch (cfg.strategy) {
  case CartStrategy::External:
    co_return storeDel(id);
  case CartStrategy::InMemory:
    break;
  case CartStrategy::Replicated:
  case CartStrategy::Backup: {
    std::string msg = "DEL " + id;
    co_await broadcast(alivePeers(), std::move(msg));
    break;
  }
  }
  co_return true;
}

asio::awaitable<CartReply> Carts::Impl::serve(StringRef method, StringRef path,
                                              StringRef cookieHeader, StringRef body) {
  auto error = [](unsigned status, const std::string &m) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << llvm::json::Value(llvm::json::Object{{"error", m}}) << "\n";
    return CartReply{status, os.str(), ""};
  };
  bool add = path == "/cart/items" && method == "POST";
  bool get = path == "/cart" && (method == "GET" || method == "HEAD");
  bool clear = path == "/cart" && method == "DELETE";
  if (!add && !get && !clear)
    co_return error(405, "the cart takes POST /cart/items, GET /cart and DELETE /cart");
  std::string sku;
  int64_t qty = 1;
  if (add) {
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(body);
    const llvm::json::Object *o = v ? v->getAsObject() : nullptr;
    if (!v)
      llvm::consumeError(v.takeError());
    if (o)
      if (auto s = o->getString("sku"))
        sku = s->str();
    if (o && o->get("qty"))
      qty = o->getInteger("qty").getValueOr(0);
    if (sku.empty() || qty <= 0)
      co_return error(400, "POST /cart/items takes {\"sku\": \"...\", \"qty\": N} (N >= 1)");
  }
  expire();
  // The session the cookie names, if any.
  std::string id;
  llvm::SmallVector<StringRef, 8> pairs;
  cookieHeader.split(pairs, ';', -1, false);
  for (StringRef kv : pairs) {
    auto [name, value] = kv.trim().split('=');
    if (name == cfg.cookie)
      id = value.str();
  }
  const char *state = "none";
  std::optional<Cart> cart;
  if (!id.empty()) {
    storeFailed = false;
    cart = co_await load(id);
    if (storeFailed)
      co_return error(503, "the session store does not answer");
    state = cart ? "found" : "lost";
    ++(cart ? found : lost);
  }
  CartReply reply;
  if (add && id.empty()) {
    id = newSessionId();
    state = "new";
    ++created;
    reply.setCookie = cfg.cookie + "=" + id + "; Path=/; HttpOnly";
  }
  if (!cart)
    cart.emplace();
  bool ok = true;
  if (add) {
    cart->items[sku] += qty;
    ++cart->version;
    ok = co_await save(id, *cart);
  } else if (clear && !id.empty()) {
    cart.emplace();
    ok = co_await erase(id);
  } else if (get && StringRef(state) == "found" && cfg.strategy == CartStrategy::Backup &&
             sessions[id].role != Entry::Owner) {
    ok = co_await save(id, *cart); // Served here: this member becomes the primary.
  } else if (get && StringRef(state) == "found" && sessions.count(id)) {
    sessions[id].lastUse = Clock::now();
  }
  if (!ok)
    co_return error(503, "the session store does not answer");
  llvm::json::Array items;
  int64_t count = 0;
  for (auto &[s, q] : cart->items) {
    items.push_back(llvm::json::Object{{"sku", s}, {"qty", q}});
    count += q;
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::json::Value(llvm::json::Object{{"instance", cfg.instance},
                                             {"session", id},
                                             {"state", state},
                                             {"version", cart->version},
                                             {"count", count},
                                             {"items", std::move(items)}})
     << "\n";
  reply.body = os.str();
  co_return reply;
}

llvm::json::Object Carts::Impl::stats() const {
  int64_t held = 0;
  for (auto &[id, e] : sessions)
    held += e.cart.has_value();
  int64_t alive = 0;
  for (auto &[a, p] : peers)
    alive += p.alive;
  llvm::json::Object o{{"strategy", strategyText(cfg.strategy)},
                       {"cookie", cfg.cookie},
                       {"held", held},
                       {"created", int64_t(created)},
                       {"found", int64_t(found)},
                       {"lost", int64_t(lost)}};
  if (cfg.strategy == CartStrategy::Replicated || cfg.strategy == CartStrategy::Backup)
    o["replication"] = llvm::json::Object{{"port", int64_t(acceptor.local_endpoint().port())},
                                          {"peers", alive},
                                          {"messages_sent", int64_t(sentMessages)},
                                          {"bytes_sent", int64_t(sentBytes)},
                                          {"messages_received", int64_t(receivedMessages)},
                                          {"bytes_received", int64_t(receivedBytes)}};
  if (cfg.strategy == CartStrategy::External)
    o["store"] = llvm::json::Object{{"address", cfg.store[storeNode]},
                                    {"errors", int64_t(storeErrors)}};
  return o;
}

//===----------------------------------------------------------------------===//
// The public face
//===----------------------------------------------------------------------===//

Carts::Carts(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Carts::~Carts() = default;

std::unique_ptr<Carts> Carts::create(asio::io_context &io, CartsConfig config,
                                     std::string &error) {
  auto impl = std::make_unique<Impl>(io, std::move(config));
  if (!impl->listen(error))
    return nullptr;
  return std::unique_ptr<Carts>(new Carts(std::move(impl)));
}

asio::awaitable<CartReply> Carts::serve(StringRef method, StringRef path, StringRef cookies,
                                        StringRef body) {
  return impl->serve(method, path, cookies, body);
}

llvm::json::Object Carts::stats() const { return impl->stats(); }

uint16_t Carts::replicationPort() const {
  return impl->acceptor.is_open() ? impl->acceptor.local_endpoint().port() : 0;
}

} // namespace infrac::echo

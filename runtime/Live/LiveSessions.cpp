//===- LiveSessions.cpp - `infrac run`'s session stores and replication ---===//
//
// See LiveSessions.h. The instance's environment is what infrac-echo reads
// (EchoCarts.h); a `command` app gets the same, SESSION_STORE among it, so
// that its own code can reach the store.
//
//===----------------------------------------------------------------------===//

#include "Live/LiveSessions.h"

#include "Live/RedisBackend.h"
#include "Live/RespStore.h"

#include <boost/asio.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

namespace infrac::live {

using namespace infrac::runtime;

LiveSessions::~LiveSessions() { stop(); }

llvm::Expected<std::unique_ptr<LiveSessions>> LiveSessions::start(const Plan &plan,
                                                                  double timeScale) {
  std::unique_ptr<LiveSessions> s(new LiveSessions(plan, timeScale));
  for (const StorePlan &sp : plan.stores) {
    std::unique_ptr<RespBackend> b;
    if (sp.replicated) {
      // Kept by its members: nothing to start.
    } else if (!sp.backend.empty()) {
      llvm::SmallVector<llvm::StringRef, 2> parts;
      llvm::StringRef(sp.backend).split(parts, ',', -1, false);
      std::vector<std::string> addresses;
      for (llvm::StringRef a : parts)
        addresses.push_back(a.trim().str());
      auto r = RedisBackend::attach(addresses);
      if (!r)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "session store '%s': the Redis at %s: %s", sp.name.c_str(),
                                       sp.backend.c_str(), llvm::toString(r.takeError()).c_str());
      b = std::move(*r);
    } else {
      RespStoreOptions o;
      o.replica = sp.nodes >= 2; // A primary and one replica: what the embedded store has.
      auto store = std::make_unique<RespStore>(o);
      if (auto port = store->start(); !port)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "session store '%s': %s", sp.name.c_str(),
                                       llvm::toString(port.takeError()).c_str());
      b = std::move(store);
    }
    s->backends.push_back(std::move(b));
  }
  return s;
}

std::vector<std::string> LiveSessions::instanceEnv(uint32_t asg, uint32_t id,
                                                   uint16_t replicationPort,
                                                   llvm::function_ref<bool(uint32_t)> running) {
  const AppPlan &app = plan.asgs[asg].app;
  std::vector<std::string> env;
  const StorePlan *store = app.store == NoIndex ? nullptr : &plan.stores[app.store];
  const char *strategy = nullptr;
  switch (app.sessions) {
  case SessionStrategy::None:
    break;
  case SessionStrategy::InMemory:
    strategy = "in_memory";
    break;
  case SessionStrategy::Replicated:
    strategy = store && store->backupOnly ? "backup" : "replicated";
    break;
  case SessionStrategy::External:
    strategy = "external";
    break;
  }
  if (store && !store->replicated && backends[app.store]) {
    // The store's nodes, the one taking writes first.
    const RespBackend &b = *backends[app.store];
    std::string nodes = b.primaryAddress();
    for (unsigned n = 0; n < b.nodeCount(); ++n)
      if (int(n) != b.primary())
        nodes += (nodes.empty() ? "" : ",") + b.address(n);
    env.push_back("SESSION_STORE=" + nodes);
  }
  if (!strategy)
    return env;
  env.push_back(std::string("SESSIONS=") + strategy);
  env.push_back("SESSION_COOKIE=" + app.sessionCookie);
  Duration ttl = store ? store->ttl : seconds(1800);
  env.push_back("SESSION_TTL_MS=" +
                std::to_string(std::max<int64_t>(1, int64_t(double(ttl) / 1000 / timeScale))));
  if (app.sessions == SessionStrategy::Replicated) {
    uint32_t group = store && store->members != NoIndex ? store->members : asg;
    std::string peers;
    for (const auto &[other, port] : replicationPorts[group])
      if (other != id && running(other))
        peers += (peers.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(port);
    replicationPorts[group][id] = replicationPort;
    env.push_back("REPLICATION_PORT=" + std::to_string(replicationPort));
    env.push_back("SESSION_PEERS=" + peers);
  }
  return env;
}

std::string LiveSessions::killStore(uint32_t store) {
  RespBackend *b = backends[store].get();
  if (!b)
    return plan.stores[store].name + " has no store to kill";
  int primary = b->primary();
  if (primary < 0)
    return plan.stores[store].name + " is down already";
  std::string was = b->address(unsigned(primary));
  if (llvm::Error e = b->kill(unsigned(primary)))
    return plan.stores[store].name + ": " + llvm::toString(std::move(e));
  std::string now = b->primaryAddress();
  return plan.stores[store].name + ": killed its primary at " + was +
         (now.empty() ? "; no node is left" : "; the replica at " + now + " took over");
}

boost::asio::awaitable<void>
LiveSessions::countSessions(boost::asio::io_context &io, std::chrono::milliseconds every,
                            std::function<std::vector<SessionInstance>()> instances,
                            std::function<void(const SessionCounts &)> moved,
                            std::function<void()> tick) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  using tcp = asio::ip::tcp;
  boost::system::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  asio::steady_timer timer(io);
  for (;;) {
    timer.expires_after(every);
    co_await timer.async_wait(token);
    if (ec)
      co_return;
    for (const SessionInstance &in : instances()) {
      tcp::socket s(io);
      asio::steady_timer deadline(io, std::chrono::seconds(1));
      deadline.async_wait([&s](boost::system::error_code e) {
        if (!e)
          s.close(e);
      });
      co_await s.async_connect({asio::ip::address_v4::loopback(), in.controlPort}, token);
      http::request<http::empty_body> req{http::verb::get, "/control", 11};
      req.set(http::field::host, "127.0.0.1");
      if (!ec)
        co_await http::async_write(s, req, token);
      boost::beast::flat_buffer buf;
      http::response<http::string_body> res;
      if (!ec)
        co_await http::async_read(s, buf, res, token);
      deadline.cancel();
      if (ec)
        continue; // Gone, or not up yet: its counters come next time.
      auto v = llvm::json::parse(res.body());
      if (!v) {
        llvm::consumeError(v.takeError());
        continue;
      }
      const llvm::json::Object *o = v->getAsObject();
      const llvm::json::Object *st = o ? o->getObject("sessions") : nullptr;
      if (!st)
        continue;
      SessionCounts now;
      now.asg = in.asg;
      now.lost = uint64_t(st->getInteger("lost").getValueOr(0));
      if (const llvm::json::Object *r = st->getObject("replication")) {
        now.messages = uint64_t(r->getInteger("messages_sent").getValueOr(0));
        now.bytes = uint64_t(r->getInteger("bytes_sent").getValueOr(0));
      }
      SessionCounts &was = seen[in.id];
      SessionCounts delta{in.asg, now.lost - std::min(now.lost, was.lost),
                          now.messages - std::min(now.messages, was.messages),
                          now.bytes - std::min(now.bytes, was.bytes)};
      was = now;
      if (delta.lost || delta.messages || delta.bytes)
        moved(delta);
    }
    tick();
  }
}

llvm::json::Array LiveSessions::json() const {
  llvm::json::Array out;
  for (size_t s = 0; s < backends.size(); ++s) {
    const RespBackend *b = backends[s].get();
    if (!b)
      continue;
    llvm::json::Array nodes;
    for (unsigned n = 0; n < b->nodeCount(); ++n)
      nodes.push_back(llvm::json::Object{{"address", b->address(n)},
                                         {"role", int(n) == b->primary() ? "primary" : "replica"},
                                         {"up", b->isUp(n)}});
    out.push_back(llvm::json::Object{{"name", plan.stores[s].name},
                                     {"address", b->primaryAddress()},
                                     {"backend", b->backendName()},
                                     {"up", b->primary() >= 0},
                                     {"nodes", std::move(nodes)}});
  }
  return out;
}

void LiveSessions::stop() {
  for (auto &b : backends)
    if (b)
      b->stop();
}

} // namespace infrac::live

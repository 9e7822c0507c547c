//===- LoadGen.cpp - A scenario's load, sent for real ---------------------===//
//
// One io_context on one thread. The arrival loop sleeps until the next
// Poisson arrival (scenario time mapped to real time), then spawns the
// request on behalf of one client; a client reuses its idle keep-alive
// connection or opens another from its own 127.x.y.z address.
//
//===----------------------------------------------------------------------===//

#include "Live/LoadGen.h"

// g++ 12 needs <utility> before Asio's coroutine headers.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "llvm/ADT/StringRef.h"

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace infrac::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using namespace infrac::runtime;

namespace {

auto ec_(error_code &ec) { return asio::redirect_error(asio::use_awaitable, ec); }

/// Client `i`'s own address: 127.16.0.1, 127.16.0.2, ... (never .0 or .255).
asio::ip::address_v4 clientAddress(uint32_t i) {
  uint32_t host = 1 + i % 250, mid = (i / 250) % 250, top = 16 + (i / 62500) % 200;
  return asio::ip::address_v4((127u << 24) | (top << 16) | (mid << 8) | host);
}

/// The instance an answer names: the first "i-<digits>" in it.
uint32_t instanceIn(llvm::StringRef text) {
  for (size_t at = text.find("i-"); at != llvm::StringRef::npos; at = text.find("i-", at + 2)) {
    llvm::StringRef digits = text.drop_front(at + 2);
    digits = digits.take_while([](char c) { return c >= '0' && c <= '9'; });
    uint32_t id = 0;
    if (!digits.empty() && digits.size() < 10 && !digits.getAsInteger(10, id))
      return id;
  }
  return ~0u;
}

/// How long a request may take, in real time, before it counts as failed.
constexpr auto RequestTimeout = std::chrono::seconds(10);

} // namespace

struct LoadGenerator::Impl {
  struct Connection {
    explicit Connection(asio::io_context &io, asio::ssl::context *tls)
        : plain(io), secure(tls ? std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, *tls)
                                : nullptr) {}
    beast::tcp_stream plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    beast::tcp_stream &lowest() { return secure ? beast::get_lowest_layer(*secure) : plain; }
  };
  struct Client {
    std::map<std::string, std::string> cookies;
    std::unique_ptr<Connection> idle;
  };

  Impl(const LoadPlan &plan, const Options &opts)
      : plan(plan), opts(opts), traffic(plan.traffic), rng(opts.seed), wake(io),
        lastOf(std::max<uint32_t>(1, plan.traffic.clients)), clients(lastOf.size()) {
    for (auto &l : lastOf)
      l.store(~0u, std::memory_order_relaxed);
    if (opts.protocol == Protocol::Https) {
      tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      tls->set_verify_mode(asio::ssl::verify_none); // The runtime's own certificate.
    }
  }

  Clock::time_point realAt(Instant t) const {
    return opts.zero + std::chrono::microseconds(int64_t(double(t) / opts.timeScale));
  }
  Instant scenarioNow() const {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - opts.zero);
    return Instant(double(us.count()) * opts.timeScale);
  }

  asio::awaitable<void> arrivals();
  asio::awaitable<void> request(uint32_t client, uint32_t path);
  asio::awaitable<bool> exchange(Client &c, uint32_t client, uint32_t path, int &status);
  asio::awaitable<bool> stream(uint32_t client, int &status);
  /// Connects `s` to the listener from client `client`'s own address.
  asio::awaitable<error_code> connect(beast::tcp_stream &s, uint32_t client);
  asio::awaitable<bool> datagram(uint32_t client, int &status);
  void answered(uint32_t client, int status, llvm::StringRef body);

  const LoadPlan &plan;
  Options opts;
  TrafficModel traffic;
  Rng rng;
  asio::io_context io;
  asio::steady_timer wake; ///< The arrival loop's sleep; setRate cuts it short.
  std::unique_ptr<asio::ssl::context> tls;
  std::thread thread;
  std::vector<std::atomic<uint32_t>> lastOf;
  std::vector<Client> clients;
  unsigned inFlight = 0;
  bool stopped = false;
  mutable std::mutex statsMu;
  Stats counts;
};

asio::awaitable<void> LoadGenerator::Impl::arrivals() {
  Instant t = scenarioNow();
  while (!stopped) {
    Instant next = traffic.nextArrival(t, rng);
    if (next == Never) {
      if (t >= traffic.config().end)
        co_return; // The load is over.
      // No rate now: sleep until setRate.
      wake.expires_at(Clock::time_point::max());
      error_code ec;
      co_await wake.async_wait(ec_(ec));
      t = scenarioNow();
      continue;
    }
    wake.expires_at(realAt(next));
    error_code ec;
    co_await wake.async_wait(ec_(ec));
    if (stopped)
      co_return;
    if (ec) { // setRate: draw the next arrival at the new rate.
      t = scenarioNow();
      continue;
    }
    t = next;
    uint32_t client = traffic.pickClient(rng);
    uint32_t path = plan.paths.size() > 1 ? uint32_t(rng.below(plan.paths.size())) : 0;
    double real = traffic.rateAt(t) * opts.timeScale;
    bool thinned = real > opts.maxRealRate && rng.uniform() * real >= opts.maxRealRate;
    if (thinned || inFlight >= opts.maxInFlight) {
      std::lock_guard<std::mutex> g(statsMu);
      ++counts.skipped;
      continue;
    }
    ++inFlight;
    asio::co_spawn(io, request(client, path), asio::detached);
  }
}

void LoadGenerator::Impl::answered(uint32_t client, int status, llvm::StringRef body) {
  uint32_t id = instanceIn(body);
  if (id != ~0u)
    lastOf[client].store(id, std::memory_order_relaxed);
  std::lock_guard<std::mutex> g(statsMu);
  ++counts.answered;
  ++counts.byClass[status >= 100 && status < 600 ? status / 100 : 0];
}

asio::awaitable<void> LoadGenerator::Impl::request(uint32_t client, uint32_t path) {
  {
    std::lock_guard<std::mutex> g(statsMu);
    ++counts.sent;
  }
  int status = 0;
  bool ok = false;
  switch (opts.protocol) {
  case Protocol::Http:
  case Protocol::Https: ok = co_await exchange(clients[client], client, path, status); break;
  case Protocol::Tcp: ok = co_await stream(client, status); break;
  case Protocol::Udp: ok = co_await datagram(client, status); break;
  }
  --inFlight;
  if (!ok && !stopped) {
    std::lock_guard<std::mutex> g(statsMu);
    ++counts.failed;
  }
}

asio::awaitable<bool> LoadGenerator::Impl::exchange(Client &c, uint32_t client, uint32_t path,
                                                     int &status) {
  std::unique_ptr<Connection> conn = std::move(c.idle);
  error_code ec;
  if (!conn) {
    conn = std::make_unique<Connection>(io, tls.get());
    ec = co_await connect(conn->lowest(), client);
    if (!ec && conn->secure)
      co_await conn->secure->async_handshake(asio::ssl::stream_base::client, ec_(ec));
    if (ec)
      co_return false;
  }
  http::request<http::string_body> req;
  req.method_string(plan.method.empty() ? "GET" : plan.method);
  std::string target = plan.paths.empty() ? "/" : plan.paths[path];
  if (!plan.query.empty())
    target += "?" + plan.query;
  req.target(target);
  req.version(11);
  req.set(http::field::host,
          plan.host.empty() ? "127.0.0.1:" + std::to_string(opts.port) : plan.host);
  req.set(http::field::user_agent, "infrac-load");
  for (const Header &h : plan.headers)
    req.set(h.name, h.value);
  if (!c.cookies.empty()) {
    std::string jar;
    for (const auto &[name, value] : c.cookies)
      jar += (jar.empty() ? "" : "; ") + name + "=" + value;
    req.set(http::field::cookie, jar);
  }
  req.keep_alive(true);
  if (!plan.body.empty()) {
    req.body() = plan.body;
    req.set(http::field::content_type, "application/json");
  }
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  conn->lowest().expires_after(RequestTimeout);
  if (conn->secure) {
    co_await http::async_write(*conn->secure, req, ec_(ec));
    if (!ec)
      co_await http::async_read(*conn->secure, conn->buffer, parser, ec_(ec));
  } else {
    co_await http::async_write(conn->plain, req, ec_(ec));
    if (!ec)
      co_await http::async_read(conn->plain, conn->buffer, parser, ec_(ec));
  }
  if (ec)
    co_return false;
  const auto &res = parser.get();
  status = int(res.result_int());
  for (auto it = res.find(http::field::set_cookie);
       it != res.end() && it->name() == http::field::set_cookie; ++it) {
    llvm::StringRef v(it->value().data(), it->value().size());
    auto [pair, attrs] = v.split(';');
    auto [name, value] = pair.trim().split('=');
    if (attrs.contains_insensitive("max-age=0"))
      c.cookies.erase(name.str());
    else
      c.cookies[name.str()] = value.str();
  }
  answered(client, status, res.body());
  if (res.keep_alive() && !c.idle && !stopped)
    c.idle = std::move(conn);
  co_return true;
}

asio::awaitable<error_code> LoadGenerator::Impl::connect(beast::tcp_stream &s, uint32_t client) {
  error_code ec;
  s.socket().open(tcp::v4(), ec);
  if (!ec)
    s.socket().bind({clientAddress(client), 0}, ec);
  if (ec)
    co_return ec;
  s.expires_after(RequestTimeout);
  co_await s.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), opts.port), ec_(ec));
  co_return ec;
}

asio::awaitable<bool> LoadGenerator::Impl::stream(uint32_t client, int &status) {
  beast::tcp_stream s(io);
  error_code ec = co_await connect(s, client);
  std::string line;
  if (!ec)
    co_await asio::async_read_until(s, asio::dynamic_buffer(line, 4096), '\n', ec_(ec));
  if (ec)
    co_return false;
  status = 0;
  answered(client, status, line);
  co_return true;
}

asio::awaitable<bool> LoadGenerator::Impl::datagram(uint32_t client, int &status) {
  udp::socket s(io);
  error_code ec;
  s.open(udp::v4(), ec);
  if (!ec)
    s.bind({clientAddress(client), 0}, ec);
  if (ec)
    co_return false;
  std::string ping = "ping " + std::to_string(client) + "\n";
  co_await s.async_send_to(asio::buffer(ping),
                           udp::endpoint(asio::ip::address_v4::loopback(), opts.port), ec_(ec));
  if (ec)
    co_return false;
  // The answer, or the deadline.
  asio::steady_timer deadline(io, std::chrono::seconds(2));
  deadline.async_wait([&s](error_code e) {
    if (!e)
      s.close();
  });
  char buf[2048];
  udp::endpoint from;
  size_t n = co_await s.async_receive_from(asio::buffer(buf), from, ec_(ec));
  deadline.cancel();
  if (ec)
    co_return false;
  status = 0;
  answered(client, status, llvm::StringRef(buf, n));
  co_return true;
}

LoadGenerator::LoadGenerator(const LoadPlan &plan, const Options &opts)
    : impl(std::make_unique<Impl>(plan, opts)) {}

LoadGenerator::~LoadGenerator() { stop(); }

void LoadGenerator::start() {
  asio::co_spawn(impl->io, impl->arrivals(), asio::detached);
  impl->thread = std::thread([this] { impl->io.run(); });
}

void LoadGenerator::setRate(double perSecond) {
  asio::post(impl->io, [this, perSecond] {
    impl->traffic.setRate(perSecond);
    impl->wake.cancel();
  });
}

void LoadGenerator::stop() {
  if (!impl->thread.joinable())
    return;
  asio::post(impl->io, [this] {
    impl->stopped = true;
    impl->wake.cancel();
    for (Impl::Client &c : impl->clients)
      c.idle.reset();
    impl->io.stop();
  });
  impl->thread.join();
}

uint32_t LoadGenerator::lastInstance(uint32_t client) const {
  return client < impl->lastOf.size() ? impl->lastOf[client].load(std::memory_order_relaxed)
                                      : ~0u;
}

LoadGenerator::Stats LoadGenerator::stats() const {
  std::lock_guard<std::mutex> g(impl->statsMu);
  return impl->counts;
}

} // namespace infrac::live

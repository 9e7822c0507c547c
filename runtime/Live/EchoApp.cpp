//===- EchoApp.cpp - infrac-echo: the built-in `app = echo` instance -----===//
//
// An HTTP/1.1 server on 127.0.0.1 (Boost.Beast) answering every path with
// JSON {"instance", "group", "zone", "method", "path", "query", "headers",
// "served"} (served: this instance's request counter), its health path with
// 200 (and any request of a load balancer's health checker, whatever its
// path: target groups may probe other paths), and obeying knobs: latency, error rate, CPU cost per request (a busy
// loop) and failing health. The knobs are set from flags or the environment
// at start and changed at run time through a control endpoint on its own
// port:
//   GET  /control  -> {"instance", ..., "latency_ms", "error_rate", "cpu_ms",
//                      "fail_health", "served", "cpu_utilization"}
//   PUT  /control  <- {"latency_ms": 200, "fail_health": true, ...}
// cpu_utilization is the process's CPU time over the last second, in percent
// of one core. With SESSIONS in the environment it keeps a cart per user
// (POST /cart/items, GET /cart, DELETE /cart; EchoCarts.h), and the control
// state has "sessions" (held, lost, the replication counters). Every extra PORT_<n> in the environment is served alike (a
// separate health-check port). SIGTERM or SIGINT: exit 0.
//
//===----------------------------------------------------------------------===//

#include "EchoZk.h"

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "EchoCarts.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

extern char **environ;

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

struct Knobs {
  double latencyMs = 0;
  double errorRate = 0;
  double cpuMs = 0;
  bool failHealth = false;
};

struct App {
  std::string instance = "i-local", group, zone, healthPath = "/health";
  Knobs knobs;
  uint64_t served = 0;
  uint64_t rng = 88172645463325252ull;
  double cpuUtilization = 0; ///< Percent of one core, last second.
  /// With ZK_CONNECT: its election and registration, for real (EchoZk.h).
  std::unique_ptr<infrac::live::ZkMember> zk;
  std::unique_ptr<infrac::echo::Carts> carts; ///< With SESSIONS: the users' carts.

  double random01() {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return double(rng >> 11) / double(1ull << 53);
  }
};

auto ec_(error_code &ec) { return asio::redirect_error(asio::use_awaitable, ec); }

double processCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

void burn(double ms) {
  if (ms <= 0)
    return;
  // Busy on the CPU clock, so that a descheduled process still burns `ms`.
  double end = processCpuSeconds() + ms / 1000.0;
  volatile uint64_t x = 0;
  while (processCpuSeconds() < end)
    for (int i = 0; i < 1000; ++i)
      x = x + uint64_t(i);
}

std::string json(const llvm::json::Value &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << v;
  os.flush();
  return s;
}

llvm::json::Object identity(const App &app) {
  return llvm::json::Object{{"instance", app.instance}, {"group", app.group}, {"zone", app.zone}};
}

std::string controlState(const App &app) {
  llvm::json::Object o = identity(app);
  o["latency_ms"] = app.knobs.latencyMs;
  o["error_rate"] = app.knobs.errorRate;
  o["cpu_ms"] = app.knobs.cpuMs;
  o["fail_health"] = app.knobs.failHealth;
  o["served"] = int64_t(app.served);
  o["cpu_utilization"] = app.cpuUtilization;
  o["health_path"] = app.healthPath;
  if (app.zk) {
    infrac::live::ZkMemberState z = app.zk->state();
    o["zk"] = llvm::json::Object{{"connected", z.connected},
                                 {"leading", z.leading},
                                 {"znode", z.znode},
                                 {"sessions", int64_t(z.sessions)}};
  }
  if (app.carts)
    o["sessions"] = app.carts->stats();
  return json(llvm::json::Value(std::move(o)));
}

/// Applies a JSON object of knobs; an error text when it is not one.
std::string applyKnobs(App &app, llvm::StringRef body) {
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(body);
  if (!v)
    return "invalid json: " + llvm::toString(v.takeError());
  const llvm::json::Object *o = v->getAsObject();
  if (!o)
    return "expected a json object";
  Knobs k = app.knobs;
  for (auto &[key, value] : *o) {
    auto num = value.getAsNumber();
    if (key == "latency_ms" && num && *num >= 0)
      k.latencyMs = *num;
    else if (key == "error_rate" && num && *num >= 0 && *num <= 1)
      k.errorRate = *num;
    else if (key == "cpu_ms" && num && *num >= 0)
      k.cpuMs = *num;
    else if (key == "fail_health" && value.getAsBoolean())
      k.failHealth = *value.getAsBoolean();
    else
      return "unknown knob or bad value: '" + key.str() + "'";
  }
  app.knobs = k;
  return "";
}

http::response<http::string_body> reply(http::status status, std::string body, bool keepAlive,
                                        const char *type = "application/json") {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::server, "infrac-echo");
  res.set(http::field::content_type, type);
  res.body() = std::move(body);
  res.keep_alive(keepAlive);
  res.prepare_payload();
  return res;
}

/// A load balancer's health check (ELB's probes name themselves so).
template <class Request> bool isHealthCheck(const Request &req) {
  auto ua = req[http::field::user_agent];
  return llvm::StringRef(ua.data(), ua.size()).startswith("ELB-HealthChecker/");
}

asio::awaitable<void> serveHttp(App &app, tcp::socket socket, bool control) {
  beast::flat_buffer buf;
  error_code ec;
  auto exec = co_await asio::this_coro::executor;
  asio::steady_timer delay(exec);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    co_await http::async_read(socket, buf, parser, ec_(ec));
    if (ec)
      break;
    auto &req = parser.get();
    bool keepAlive = req.keep_alive();
    llvm::StringRef target(req.target().data(), req.target().size());
    auto [path, query] = target.split('?');
    http::response<http::string_body> res;
    if (control) {
      if (path != "/control") {
        res = reply(http::status::not_found, "{\"error\":\"not found\"}\n", keepAlive);
      } else if (req.method() == http::verb::put || req.method() == http::verb::post) {
        std::string err = applyKnobs(app, req.body());
        if (err.empty())
          res = reply(http::status::ok, controlState(app) + "\n", keepAlive);
        else
          res = reply(http::status::bad_request, json(llvm::json::Object{{"error", err}}) + "\n",
                      keepAlive);
      } else {
        res = reply(http::status::ok, controlState(app) + "\n", keepAlive);
      }
    } else if (path == app.healthPath || isHealthCheck(req)) {
      if (app.knobs.failHealth)
        res = reply(http::status::internal_server_error, "unhealthy\n", keepAlive, "text/plain");
      else
        res = reply(http::status::ok, "ok\n", keepAlive, "text/plain");
    } else if (app.carts && infrac::echo::Carts::isCartPath(path)) {
      ++app.served;
      auto cookie = req[http::field::cookie];
      infrac::echo::CartReply r = co_await app.carts->serve(
          llvm::StringRef(req.method_string().data(), req.method_string().size()), path,
          llvm::StringRef(cookie.data(), cookie.size()), req.body());
      res = reply(http::status(r.status), std::move(r.body), keepAlive);
      if (!r.setCookie.empty())
        res.set(http::field::set_cookie, r.setCookie);
    } else {
      ++app.served;
      burn(app.knobs.cpuMs);
      if (app.knobs.latencyMs > 0) {
        delay.expires_after(std::chrono::microseconds(int64_t(app.knobs.latencyMs * 1000)));
        co_await delay.async_wait(ec_(ec));
      }
      if (app.knobs.errorRate > 0 && app.random01() < app.knobs.errorRate) {
        llvm::json::Object o = identity(app);
        o["error"] = "injected error";
        o["served"] = int64_t(app.served);
        res = reply(http::status::internal_server_error,
                    json(llvm::json::Value(std::move(o))) + "\n", keepAlive);
      } else {
        std::map<std::string, std::string> headers; // sorted: deterministic
        for (auto &f : req) {
          std::string name(f.name_string());
          for (char &c : name)
            c = char(std::tolower((unsigned char)c));
          auto [it, fresh] = headers.emplace(name, std::string(f.value()));
          if (!fresh)
            it->second += ", " + std::string(f.value());
        }
        llvm::json::Object h;
        for (auto &[k, v] : headers)
          h[k] = v;
        llvm::json::Object o = identity(app);
        o["method"] = std::string(req.method_string());
        o["path"] = path.str();
        o["query"] = query.str();
        o["headers"] = std::move(h);
        o["served"] = int64_t(app.served);
        res = reply(http::status::ok, json(llvm::json::Value(std::move(o))) + "\n", keepAlive);
      }
    }
    if (req.method() == http::verb::head)
      res.body().clear(), res.set(http::field::content_length, "0");
    co_await http::async_write(socket, res, ec_(ec));
    if (ec || !keepAlive)
      break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> acceptLoop(App &app, tcp::acceptor &a, bool control) {
  for (;;) {
    error_code ec;
    tcp::socket s = co_await a.async_accept(ec_(ec));
    if (ec == asio::error::operation_aborted || !a.is_open())
      co_return;
    if (ec)
      continue;
    s.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(a.get_executor(), serveHttp(app, std::move(s), control),
                   [](std::exception_ptr) {});
  }
}

asio::awaitable<void> cpuSampler(App &app) {
  auto exec = co_await asio::this_coro::executor;
  asio::steady_timer t(exec);
  auto wall0 = std::chrono::steady_clock::now();
  double cpu0 = processCpuSeconds();
  error_code ec;
  for (;;) {
    t.expires_after(std::chrono::seconds(1));
    co_await t.async_wait(ec_(ec));
    if (ec)
      co_return;
    auto wall1 = std::chrono::steady_clock::now();
    double cpu1 = processCpuSeconds();
    double dt = std::chrono::duration<double>(wall1 - wall0).count();
    if (dt > 0)
      app.cpuUtilization = std::min(100.0, 100.0 * (cpu1 - cpu0) / dt);
    wall0 = wall1, cpu0 = cpu1;
  }
}

const char *env(const char *name) {
  const char *v = std::getenv(name);
  return v && *v ? v : nullptr;
}

bool parsePort(const char *text, uint16_t &out) {
  char *end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (!*text || *end || v < 0 || v > 65535)
    return false;
  out = uint16_t(v);
  return true;
}

int usage() {
  std::fprintf(stderr,
               "usage: infrac-echo [--port N] [--control-port N] [--instance ID] [--group G] "
               "[--zone Z]\n"
               "                   [--health-path P] [--latency-ms X] [--error-rate F] "
               "[--cpu-ms X] [--fail-health]\n"
               "environment: PORT, CONTROL_PORT, INSTANCE_ID, GROUP, AZ, HEALTH_PATH, PORT_<n>,\n"
               "  ZK_CONNECT, ZK_ELECTION_PATH, ZK_REGISTRY_PATH, ZK_SESSION_TIMEOUT_MS,\n"
               "  SESSIONS, SESSION_COOKIE, SESSION_TTL_MS, REPLICATION_PORT,\n"
               "  SESSION_PEERS, SESSION_STORE\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  App app;
  uint16_t port = 0, controlPort = 0;
  std::vector<uint16_t> extraPorts;
  if (const char *v = env("PORT"); v && !parsePort(v, port))
    return std::fprintf(stderr, "infrac-echo: error: bad PORT '%s'\n", v), 2;
  if (const char *v = env("CONTROL_PORT"); v && !parsePort(v, controlPort))
    return std::fprintf(stderr, "infrac-echo: error: bad CONTROL_PORT '%s'\n", v), 2;
  if (const char *v = env("INSTANCE_ID"))
    app.instance = v;
  if (const char *v = env("GROUP"))
    app.group = v;
  if (const char *v = env("AZ"))
    app.zone = v;
  if (const char *v = env("HEALTH_PATH"))
    app.healthPath = v;
  for (char **e = environ; *e; ++e) {
    llvm::StringRef kv(*e);
    if (!kv.startswith("PORT_"))
      continue;
    uint16_t p;
    std::string value = kv.split('=').second.str();
    if (parsePort(value.c_str(), p) && p)
      extraPorts.push_back(p);
  }
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef a(argv[i]);
    auto value = [&](const char *&out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    const char *v = nullptr;
    auto number = [&](double &out, double lo, double hi) {
      if (!value(v))
        return false;
      char *end = nullptr;
      out = std::strtod(v, &end);
      return *v && !*end && out >= lo && out <= hi;
    };
    bool ok = true;
    if (a == "--port")
      ok = value(v) && parsePort(v, port);
    else if (a == "--control-port")
      ok = value(v) && parsePort(v, controlPort);
    else if (a == "--instance")
      ok = value(v) && (app.instance = v, true);
    else if (a == "--group")
      ok = value(v) && (app.group = v, true);
    else if (a == "--zone")
      ok = value(v) && (app.zone = v, true);
    else if (a == "--health-path")
      ok = value(v) && (app.healthPath = v, true);
    else if (a == "--latency-ms")
      ok = number(app.knobs.latencyMs, 0, 1e7);
    else if (a == "--error-rate")
      ok = number(app.knobs.errorRate, 0, 1);
    else if (a == "--cpu-ms")
      ok = number(app.knobs.cpuMs, 0, 1e6);
    else if (a == "--fail-health")
      app.knobs.failHealth = true;
    else if (a == "--help" || a == "-h")
      return usage(), 0;
    else
      ok = false;
    if (!ok) {
      std::fprintf(stderr, "infrac-echo: error: bad argument '%s'\n", argv[i]);
      return usage();
    }
  }
  uint64_t seed = 1469598103934665603ull;
  for (char c : app.instance)
    seed = (seed ^ uint8_t(c)) * 1099511628211ull;
  app.rng = seed | 1;

  asio::io_context io{1};
  auto addr = asio::ip::make_address_v4("127.0.0.1");
  auto listen = [&](uint16_t p, tcp::acceptor &a) {
    error_code ec;
    a.open(tcp::v4(), ec);
    if (!ec)
      a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
      a.bind(tcp::endpoint(addr, p), ec);
    if (!ec)
      a.listen(1024, ec);
    if (ec) {
      std::fprintf(stderr, "infrac-echo: error: cannot listen on 127.0.0.1:%u: %s\n", unsigned(p),
                   ec.message().c_str());
      return false;
    }
    return true;
  };
  tcp::acceptor main(io), control(io);
  std::vector<std::unique_ptr<tcp::acceptor>> extra;
  if (!listen(port, main) || !listen(controlPort, control))
    return 1;
  for (uint16_t p : extraPorts) {
    if (p == main.local_endpoint().port())
      continue;
    extra.push_back(std::make_unique<tcp::acceptor>(io));
    if (!listen(p, *extra.back()))
      return 1;
  }
  std::string cartsError;
  if (auto cc = infrac::echo::cartsConfigFromEnv(cartsError)) {
    cc->instance = app.instance;
    app.carts = infrac::echo::Carts::create(io, std::move(*cc), cartsError);
  }
  if (!cartsError.empty())
    return std::fprintf(stderr, "infrac-echo: error: %s\n", cartsError.c_str()), 2;
  asio::co_spawn(io, acceptLoop(app, main, false), [](std::exception_ptr) {});
  asio::co_spawn(io, acceptLoop(app, control, true), [](std::exception_ptr) {});
  for (auto &a : extra)
    asio::co_spawn(io, acceptLoop(app, *a, false), [](std::exception_ptr) {});
  asio::co_spawn(io, cpuSampler(app), [](std::exception_ptr) {});
  if (const char *connect = env("ZK_CONNECT")) {
    infrac::live::ZkMemberConfig z;
    z.connect = connect;
    z.id = app.instance;
    if (const char *v = env("ZK_ELECTION_PATH"))
      z.electionPath = v;
    if (const char *v = env("ZK_REGISTRY_PATH"))
      z.registryPath = v;
    if (const char *v = env("ZK_SESSION_TIMEOUT_MS"))
      z.sessionTimeoutMs = std::max(100, std::atoi(v));
    app.zk = std::make_unique<infrac::live::ZkMember>(std::move(z));
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const error_code &, int) { io.stop(); });
  std::printf("infrac-echo: %s serving http://127.0.0.1:%u control http://127.0.0.1:%u\n",
              app.instance.c_str(), unsigned(main.local_endpoint().port()),
              unsigned(control.local_endpoint().port()));
  std::fflush(stdout);
  for (;;) {
    try {
      io.run();
      break;
    } catch (...) {
      // An allocation failure in a handler: keep serving.
    }
  }
  if (app.zk)
    app.zk->stop(); // Closes its session: its znodes go at once.
  app.carts.reset(); // Its sockets belong to `io`.
  return 0;
}

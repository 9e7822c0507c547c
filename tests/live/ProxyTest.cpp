//===- ProxyTest.cpp - The live ALB and NLB proxies over real sockets ----===//
//
// Each test starts a DataPlane with the stand-alone StaticControl, test
// backends on ephemeral ports and blocking clients with timeouts.
//
//===----------------------------------------------------------------------===//

#include "LiveTestSupport.h"

#include "Live/DataPlane.h"

#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <regex>

using namespace infrac::live;
using namespace livetest;
using infrac::runtime::millis;
using infrac::runtime::seconds;

namespace {

std::vector<StaticControl::Backend> backends(std::initializer_list<TcpServer *> servers) {
  std::vector<StaticControl::Backend> out;
  TargetKey key = 1;
  for (TcpServer *s : servers)
    out.push_back({Endpoint{0x7f000001, s->port()}, key++, true});
  return out;
}

struct Fixture {
  std::unique_ptr<StaticControl> control;
  std::unique_ptr<DataPlane> plane;
  uint16_t port = 0;

  Fixture(std::vector<StaticControl::Backend> b, HttpListenerConfig cfg = {}, unsigned threads = 1,
          std::function<void(StaticControl &)> setup = nullptr) {
    control = std::make_unique<StaticControl>(std::move(b));
    if (setup)
      setup(*control);
    DataPlaneOptions opts;
    opts.threads = threads;
    opts.tick = millis(20);
    auto p = DataPlane::create(opts, control.get(), control.get());
    if (!p) {
      ADD_FAILURE() << llvm::toString(p.takeError());
      return;
    }
    plane = std::move(*p);
    auto bound = plane->addHttpListener(1, cfg);
    if (!bound) {
      ADD_FAILURE() << llvm::toString(bound.takeError());
      return;
    }
    port = *bound;
  }
  ~Fixture() {
    if (plane)
      plane->shutdown();
  }
};

/// Waits up to 3 s for `pred` (the proxy reports an exchange just after
/// the client has its response).
bool waitFor(const std::function<bool()> &pred) {
  for (int i = 0; i < 300; ++i) {
    if (pred())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

std::string lineOf(const std::string &body, const std::string &prefix) {
  size_t at = body.find("\n" + prefix);
  if (at == std::string::npos)
    return "";
  size_t start = at + 1 + prefix.size();
  return body.substr(start, body.find('\n', start) - start);
}

} // namespace

TEST(Proxy, ForwardsAndAddsHeaders) {
  auto b = httpBackend("a");
  HttpListenerConfig cfg;
  cfg.forwardedPort = 80;
  Fixture f(backends({b.get()}), cfg);
  Response r = get(f.port, "/some/path?x=1", {{"X-Forwarded-For", "10.1.2.3"}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-backend"), "a");
  EXPECT_NE(r.body.find("GET /some/path?x=1"), std::string::npos) << r.body;
  EXPECT_EQ(lineOf(r.body, "X-Forwarded-For: "), "10.1.2.3, 127.0.0.1");
  EXPECT_EQ(lineOf(r.body, "X-Forwarded-Proto: "), "http");
  EXPECT_EQ(lineOf(r.body, "X-Forwarded-Port: "), "80");
  std::string trace = lineOf(r.body, "X-Amzn-Trace-Id: ");
  EXPECT_TRUE(std::regex_match(trace, std::regex("Root=1-[0-9a-f]{8}-[0-9a-f]{24}"))) << trace;
  // A client's own trace id is passed on.
  Response r2 = get(f.port, "/", {{"X-Amzn-Trace-Id", "Root=1-00000001-000000000000000000000001"}});
  EXPECT_EQ(lineOf(r2.body, "X-Amzn-Trace-Id: "), "Root=1-00000001-000000000000000000000001");
  waitFor([&] { return f.control->httpOutcomes().size() >= 2; });
  auto outcomes = f.control->httpOutcomes();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status, 200);
  EXPECT_EQ(outcomes[0].key, 1u);
  EXPECT_EQ(outcomes[0].failure, TargetFailure::None);
}

TEST(Proxy, XffModes) {
  auto b = httpBackend("a");
  std::vector<std::pair<std::string, std::string>> h = {{"X-Forwarded-For", "10.1.2.3"}};
  {
    HttpListenerConfig cfg;
    cfg.xffClientPort = true;
    Fixture f(backends({b.get()}), cfg);
    std::string xff = lineOf(get(f.port, "/", h).body, "X-Forwarded-For: ");
    EXPECT_TRUE(std::regex_match(xff, std::regex("10\\.1\\.2\\.3, 127\\.0\\.0\\.1:[0-9]+"))) << xff;
  }
  {
    HttpListenerConfig cfg;
    cfg.xffMode = XffMode::Preserve;
    Fixture f(backends({b.get()}), cfg);
    EXPECT_EQ(lineOf(get(f.port, "/", h).body, "X-Forwarded-For: "), "10.1.2.3");
    EXPECT_EQ(get(f.port, "/").body.find("X-Forwarded-For"), std::string::npos);
  }
  {
    HttpListenerConfig cfg;
    cfg.xffMode = XffMode::Remove;
    Fixture f(backends({b.get()}), cfg);
    Response r = get(f.port, "/", h);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body.find("X-Forwarded-For"), std::string::npos) << r.body;
    EXPECT_EQ(lineOf(r.body, "X-Forwarded-Proto: "), "http");
  }
}

TEST(Proxy, PostBodyIsForwarded) {
  auto b = httpBackend("a");
  Fixture f(backends({b.get()}));
  Client c(f.port);
  Response r = c.request("POST", "/form", {{"Expect", "100-continue"}}, "hello=world");
  ASSERT_TRUE(r.ok) << r.error;
  // The proxy answers the interim 100 itself; the final answer follows.
  EXPECT_EQ(r.status, 100);
  r = c.readResponse();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(lineOf(r.body, "Expect: "), "");
  EXPECT_NE(r.body.find("body=hello=world"), std::string::npos) << r.body;
}

TEST(Proxy, KeepAliveBothSides) {
  auto b = httpBackend("a");
  Fixture f(backends({b.get()}));
  Client c(f.port);
  for (int i = 0; i < 5; ++i) {
    Response r = c.request("GET", "/k" + std::to_string(i));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.header("connection"), "close");
  }
  // Five requests from one client connection over one pooled target connection.
  EXPECT_EQ(b->connections(), 1);
  // Connection: close from the client closes after the answer.
  Response last = c.request("GET", "/bye", {{"Connection", "close"}});
  EXPECT_EQ(last.header("connection"), "close");
  EXPECT_TRUE(c.closedByPeer());
}

TEST(Proxy, RoundRobinAndCookieStickiness) {
  auto a = httpBackend("a"), b = httpBackend("b");
  Fixture f(backends({a.get(), b.get()}), {}, 1,
            [](StaticControl &c) { c.stickiness = seconds(3600); });
  Response r1 = get(f.port, "/"), r2 = get(f.port, "/");
  ASSERT_TRUE(r1.ok && r2.ok);
  EXPECT_NE(r1.header("x-backend"), r2.header("x-backend"));
  std::string cookie = r1.header("set-cookie");
  ASSERT_EQ(cookie.rfind("AWSALB=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; Expires="), std::string::npos);
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos);
  bool cors = false;
  for (auto [it, end] = r1.headers.equal_range("set-cookie"); it != end; ++it)
    cors |= it->second.rfind("AWSALBCORS=", 0) == 0 &&
            it->second.find("SameSite=None; Secure") != std::string::npos;
  EXPECT_TRUE(cors);
  std::string value = cookie.substr(0, cookie.find(';'));
  std::string stuck = r1.header("x-backend");
  for (int i = 0; i < 6; ++i) {
    Response r = get(f.port, "/", {{"Cookie", "other=1; " + value}});
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.header("x-backend"), stuck);
  }
  // The sticky target goes away: re-picked, with a new cookie.
  f.control->setEnabled(stuck == "a" ? 1 : 2, false);
  Response moved = get(f.port, "/", {{"Cookie", value}});
  ASSERT_TRUE(moved.ok);
  EXPECT_NE(moved.header("x-backend"), stuck);
  EXPECT_NE(moved.header("set-cookie").substr(0, value.size()), value);
}

TEST(Proxy, RedirectFixedAndNoTarget) {
  auto a = httpBackend("a");
  Fixture f(backends({a.get()}), {}, 1, [](StaticControl &c) {
    HttpRoute redirect;
    redirect.kind = HttpRoute::Redirect;
    redirect.status = 301;
    redirect.location = "https://example.test:443/new";
    HttpRoute fixed;
    fixed.kind = HttpRoute::Fixed;
    fixed.status = 418;
    fixed.contentType = "text/plain";
    fixed.body = "teapot\n";
    c.specials = {{"/old", redirect}, {"/tea", fixed}};
  });
  Client c(f.port);
  Response r = c.request("GET", "/old/page");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("location"), "https://example.test:443/new");
  Response t = c.request("GET", "/tea");
  EXPECT_EQ(t.status, 418);
  EXPECT_EQ(t.body, "teapot\n");
  EXPECT_EQ(t.header("content-type"), "text/plain");
  f.control->setEnabled(1, false);
  Response none = c.request("GET", "/x");
  EXPECT_EQ(none.status, 503);
  waitFor([&] { return f.plane->counters(1).requests >= 3; });
  ListenerCounters n = f.plane->counters(1);
  EXPECT_EQ(n.requests, 3u);
  EXPECT_EQ(n.status3xx, 1u);
  EXPECT_EQ(n.status4xx, 1u);
  EXPECT_EQ(n.status5xx, 1u);
}

TEST(Proxy, BadTargetsGive502) {
  auto reset = httpBackend("r", Mode::Reset);
  auto garbage = httpBackend("g", Mode::Garbage);
  auto cut = httpBackend("c", Mode::CloseMidBody);
  uint16_t closedPort;
  {
    TcpServer gone([](int) {});
    closedPort = gone.port();
  }
  auto list = backends({reset.get(), garbage.get(), cut.get()});
  list.push_back({Endpoint{0x7f000001, closedPort}, 4, true});
  Fixture f(list);
  Client c(f.port);
  for (int i = 0; i < 4; ++i) {
    Response r = c.request("GET", "/");
    ASSERT_TRUE(r.ok) << i << ": " << r.error;
    EXPECT_EQ(r.status, 502) << i;
    EXPECT_NE(r.body.find("502 Bad Gateway"), std::string::npos);
  }
  waitFor([&] { return f.control->httpOutcomes().size() >= 4; });
  auto o = f.control->httpOutcomes();
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(o[0].failure, TargetFailure::Reset);
  EXPECT_EQ(o[1].failure, TargetFailure::BadResponse);
  EXPECT_EQ(o[2].failure, TargetFailure::Reset);
  EXPECT_EQ(o[3].failure, TargetFailure::Refused);
  EXPECT_EQ(f.plane->counters(1).status5xx, 4u);
}

TEST(Proxy, HangingTargetGives504) {
  auto hang = httpBackend("h", Mode::Hang);
  Fixture f(backends({hang.get()}), {}, 1, [](StaticControl &c) { c.timeout = millis(300); });
  auto t0 = std::chrono::steady_clock::now();
  Response r = get(f.port, "/slow");
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 504);
  EXPECT_LT(took, std::chrono::seconds(3));
  waitFor([&] { return f.control->httpOutcomes().size() >= 1; });
  auto o = f.control->httpOutcomes();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].failure, TargetFailure::Timeout);
}

TEST(Proxy, CutTargetEndsInFlightWith502) {
  auto hang = httpBackend("h", Mode::Hang);
  Fixture f(backends({hang.get()}), {}, 2);
  auto pending = std::async(std::launch::async, [&] { return get(f.port, "/long"); });
  // Wait until the request is at the target.
  for (int i = 0; i < 200 && hang->connections() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  f.plane->cutTarget(1);
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  Response r = pending.get();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 502);
  waitFor([&] { return f.control->httpOutcomes().size() >= 1; });
  auto o = f.control->httpOutcomes();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].failure, TargetFailure::Cut);
}

TEST(Proxy, SlowlorisIsCut) {
  auto a = httpBackend("a");
  HttpListenerConfig cfg;
  cfg.headerTimeout = millis(300);
  Fixture f(backends({a.get()}), cfg);
  Client c(f.port, std::chrono::seconds(5));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n"));
  bool closed = false;
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!c.send("X-Slow-" + std::to_string(i) + ": 1\r\n")) {
      closed = true;
      break;
    }
  }
  if (!closed)
    closed = c.closedByPeer();
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(a->connections(), 0);
}

TEST(Proxy, IdleTimeoutClosesConnection) {
  auto a = httpBackend("a");
  HttpListenerConfig cfg;
  cfg.idleTimeout = millis(300);
  Fixture f(backends({a.get()}), cfg);
  Client c(f.port);
  ASSERT_TRUE(c.request("GET", "/").ok);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST(Proxy, OversizeHeaderAndBody) {
  auto a = httpBackend("a");
  HttpListenerConfig cfg;
  cfg.maxHeaderBytes = 2048;
  cfg.maxBodyBytes = 1024;
  Fixture f(backends({a.get()}), cfg);
  Response big = get(f.port, "/", {{"X-Big", std::string(4096, 'x')}});
  ASSERT_TRUE(big.ok) << big.error;
  EXPECT_EQ(big.status, 431);
  Client c(f.port);
  Response body = c.request("POST", "/", {}, std::string(4096, 'y'));
  ASSERT_TRUE(body.ok) << body.error;
  EXPECT_EQ(body.status, 413);
  EXPECT_EQ(get(f.port, "/").status, 200);
}

TEST(Proxy, MalformedRequestsGet400) {
  auto a = httpBackend("a");
  Fixture f(backends({a.get()}), {}, 2);
  const char *bad[] = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
      "GET\x01/ HTTP/1.1\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  };
  for (const char *req : bad) {
    Client c(f.port);
    ASSERT_TRUE(c.send(req));
    std::string out = c.readAll();
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << req << " -> " << out;
  }
  EXPECT_EQ(get(f.port, "/").status, 200);
  EXPECT_EQ(a->connections(), 1);
}

// Random bytes, random cuts: every connection ends, the proxy keeps serving.
TEST(Proxy, RandomInputNeverCrashes) {
  auto a = httpBackend("a");
  HttpListenerConfig cfg;
  cfg.headerTimeout = millis(100);
  cfg.idleTimeout = millis(100);
  Fixture f(backends({a.get()}), cfg, 2);
  uint64_t x = 0x2545F4914F6CDD1Dull;
  auto next = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  const std::string prefixes[] = {"", "GET / HTTP/1.1\r\n", "POST /p HTTP/1.1\r\nHost: h\r\n",
                                  "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"};
  for (int i = 0; i < 60; ++i) {
    Client c(f.port, std::chrono::seconds(3));
    std::string junk = prefixes[next() % 4];
    size_t n = next() % 300;
    for (size_t k = 0; k < n; ++k) {
      uint64_t r = next();
      junk += r % 4 == 0 ? "\r\n" : std::string(1, char(r >> 8));
    }
    c.send(junk);
    if (i % 3 == 0)
      continue;                         // the client goes away at once
    EXPECT_TRUE(c.closedByPeer()) << i; // answered and/or timed out, never left open
  }
  EXPECT_EQ(get(f.port, "/").status, 200);
}

// shutdown() with a request stuck at a target and idle clients: it returns.
TEST(Proxy, ShutdownWithOpenConnections) {
  auto hang = httpBackend("h", Mode::Hang);
  Fixture f(backends({hang.get()}), {}, 2);
  Client idle(f.port);
  auto pending = std::async(std::launch::async, [&] { return get(f.port, "/stuck"); });
  for (int i = 0; i < 200 && hang->connections() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto t0 = std::chrono::steady_clock::now();
  f.plane->shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  EXPECT_TRUE(idle.closedByPeer());
}

TEST(Proxy, ConnectionCap) {
  auto a = httpBackend("a");
  HttpListenerConfig cfg;
  cfg.maxConnections = 2;
  Fixture f(backends({a.get()}), cfg);
  Client c1(f.port), c2(f.port);
  ASSERT_TRUE(c1.request("GET", "/").ok);
  ASSERT_TRUE(c2.request("GET", "/").ok);
  Client c3(f.port, std::chrono::seconds(3));
  EXPECT_TRUE(c3.closedByPeer());
  EXPECT_EQ(f.plane->counters(1).rejectedConnections, 1u);
  EXPECT_EQ(f.plane->counters(1).activeConnections, 2u);
}

TEST(Proxy, StopAndStartListener) {
  auto a = httpBackend("a");
  Fixture f(backends({a.get()}), {}, 2);
  ASSERT_EQ(get(f.port, "/").status, 200);
  f.plane->stopListener(1);
  Client refused(f.port);
  EXPECT_FALSE(refused.connected());
  ASSERT_FALSE(bool(f.plane->startListener(1)));
  EXPECT_EQ(get(f.port, "/").status, 200);
}

TEST(Proxy, LatencyCounters) {
  auto a = httpBackend("a");
  Fixture f(backends({a.get()}));
  Client c(f.port);
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(c.request("GET", "/").status, 200);
  waitFor([&] { return f.plane->counters(1).requests >= 20; });
  ListenerCounters n = f.plane->counters(1);
  EXPECT_EQ(n.requests, 20u);
  EXPECT_EQ(n.status2xx, 20u);
  uint64_t total = 0;
  for (uint64_t b : n.latency)
    total += b;
  EXPECT_EQ(total, 20u);
  EXPECT_GT(n.quantile(0.99), 0);
  EXPECT_GE(n.quantile(0.99), n.quantile(0.5));
}

// An HTTPS listener with the generated certificate, through OpenSSL.
TEST(Proxy, TlsListener) {
  auto a = httpBackend("a");
  HttpListenerConfig cfg;
  cfg.tls = true;
  cfg.forwardedPort = 443;
  Fixture f(backends({a.get()}), cfg);
  EXPECT_NE(f.plane->certificatePem().find("BEGIN CERTIFICATE"), std::string::npos);
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  setTimeouts(fd, std::chrono::seconds(5));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(f.port);
  ASSERT_EQ(connect(fd, (sockaddr *)&addr, sizeof addr), 0);
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  ASSERT_EQ(SSL_connect(ssl), 1);
  std::string req = "GET /secure HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(SSL_write(ssl, req.data(), int(req.size())), int(req.size()));
  std::string out;
  char buf[4096];
  for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;)
    out.append(buf, size_t(n));
  SSL_free(ssl);
  close(fd);
  SSL_CTX_free(ctx);
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_NE(out.find("X-Forwarded-Proto: https"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Forwarded-Port: 443"), std::string::npos) << out;
}

// What a user does: `curl -k` against the HTTPS listener (when curl is here).
TEST(Proxy, TlsListenerWithCurl) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "curl is not installed";
  auto a = httpBackend("a");
  HttpListenerConfig cfg;
  cfg.tls = true;
  Fixture f(backends({a.get()}), cfg);
  std::string cmd =
      "curl -sk --max-time 5 -o - -w '%{http_code}' https://127.0.0.1:" + std::to_string(f.port) +
      "/via-curl";
  std::string out;
  if (FILE *p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;)
      out.append(buf, n);
    pclose(p);
  }
  EXPECT_NE(out.find("GET /via-curl"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Forwarded-Proto: https"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() >= 3 ? out.size() - 3 : 0), "200") << out;
}

//===----------------------------------------------------------------------===//
// NLB
//===----------------------------------------------------------------------===//

namespace {

struct TcpFixture {
  std::unique_ptr<StaticControl> control;
  std::unique_ptr<DataPlane> plane;
  uint16_t port = 0;
  TcpFixture(std::vector<StaticControl::Backend> b, TcpListenerConfig cfg, bool ppv2 = false) {
    control = std::make_unique<StaticControl>(std::move(b));
    control->proxyProtocolV2 = ppv2;
    DataPlaneOptions opts;
    opts.threads = 2;
    opts.tick = millis(20);
    auto p = DataPlane::create(opts, nullptr, control.get());
    if (!p) {
      ADD_FAILURE() << llvm::toString(p.takeError());
      return;
    }
    plane = std::move(*p);
    auto bound = plane->addTcpListener(7, cfg);
    if (!bound) {
      ADD_FAILURE() << llvm::toString(bound.takeError());
      return;
    }
    port = *bound;
  }
  ~TcpFixture() {
    if (plane)
      plane->shutdown();
  }
};

std::string roundTrip(Client &c, const std::string &msg) {
  if (!c.send(msg))
    return "";
  std::string got;
  char buf[4096];
  while (got.size() < msg.size()) {
    ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    got.append(buf, size_t(n));
  }
  return got;
}

} // namespace

TEST(Nlb, TcpRoundTripAndFlows) {
  auto e1 = tcpEcho(), e2 = tcpEcho();
  TcpFixture f(backends({e1.get(), e2.get()}), {});
  {
    Client c(f.port);
    EXPECT_EQ(roundTrip(c, "hello over tcp"), "hello over tcp");
    std::string big(100000, 'z');
    EXPECT_EQ(roundTrip(c, big).size(), big.size());
    Client d(f.port);
    EXPECT_EQ(roundTrip(d, "second"), "second");
  }
  EXPECT_EQ(e1->connections(), 1);
  EXPECT_EQ(e2->connections(), 1);
  auto flows = f.control->flows();
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].protocol, 6);
  EXPECT_EQ(flows[0].dstPort, f.port);
  EXPECT_EQ(flows[0].srcIp, 0x7f000001u);
  EXPECT_NE(flows[0].srcPort, flows[1].srcPort);
  EXPECT_NE(flows[0].hash(), flows[1].hash());
  for (int i = 0; i < 100 && f.control->tcpOutcomes().size() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto o = f.control->tcpOutcomes();
  ASSERT_EQ(o.size(), 2u);
  uint64_t bytes = o[0].bytesToTarget + o[1].bytesToTarget;
  EXPECT_EQ(bytes, 14u + 100000u + 6u);
  EXPECT_EQ(f.plane->counters(7).requests, 2u);
}

TEST(Nlb, ProxyProtocolV2) {
  Flow flow;
  flow.srcIp = 0x0a000001; // 10.0.0.1
  flow.srcPort = 0x1234;
  flow.dstIp = 0x7f000001;
  flow.dstPort = 80;
  auto h = proxyV2Header(flow);
  const uint8_t expected[28] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
                                0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C, 10,   0,    0,    1,
                                127,  0,    0,    1,    0x12, 0x34, 0x00, 80};
  EXPECT_EQ(std::memcmp(h.data(), expected, 28), 0);

  std::string header;
  std::mutex m;
  auto e = tcpEcho(&header, &m);
  TcpFixture f(backends({e.get()}), {}, true);
  Client c(f.port);
  EXPECT_EQ(roundTrip(c, "after the header"), "after the header");
  std::lock_guard<std::mutex> lock(m);
  ASSERT_EQ(header.size(), 28u);
  EXPECT_EQ(std::memcmp(header.data(), expected, 16), 0);
  EXPECT_EQ(uint8_t(header[16]), 127); // source 127.0.0.1
  EXPECT_EQ(uint16_t((uint8_t(header[26]) << 8) | uint8_t(header[27])), f.port);
}

TEST(Nlb, ResetTargetResetsConnections) {
  auto e = tcpEcho();
  TcpFixture f(backends({e.get()}), {});
  Client c(f.port);
  ASSERT_EQ(roundTrip(c, "x"), "x");
  f.plane->resetTarget(1);
  char buf[16];
  ssize_t n = recv(c.fd, buf, sizeof buf, 0);
  EXPECT_EQ(n, -1);
  EXPECT_EQ(errno, ECONNRESET);
  for (int i = 0; i < 100 && f.control->tcpOutcomes().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto o = f.control->tcpOutcomes();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_TRUE(o[0].reset);
}

TEST(Nlb, TcpIdleTimeout) {
  auto e = tcpEcho();
  TcpListenerConfig cfg;
  cfg.idleTimeout = millis(300);
  TcpFixture f(backends({e.get()}), cfg);
  Client c(f.port);
  ASSERT_EQ(roundTrip(c, "x"), "x");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST(Nlb, NoTargetResets) {
  auto e = tcpEcho();
  auto list = backends({e.get()});
  list[0].enabled = false;
  TcpFixture f(list, {});
  Client c(f.port);
  EXPECT_TRUE(c.closedByPeer());
  EXPECT_EQ(e->connections(), 0);
}

TEST(Nlb, UdpFlows) {
  UdpEcho u1("one"), u2("two");
  std::vector<StaticControl::Backend> list = {{Endpoint{0x7f000001, u1.port()}, 1, true},
                                              {Endpoint{0x7f000001, u2.port()}, 2, true}};
  TcpListenerConfig cfg;
  cfg.udp = true;
  cfg.idleTimeout = millis(300);
  TcpFixture f(list, cfg);
  auto client = [&] {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    setTimeouts(fd, std::chrono::seconds(3));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(f.port);
    connect(fd, (sockaddr *)&a, sizeof a);
    return fd;
  };
  auto ask = [](int fd, const std::string &m) {
    send(fd, m.data(), m.size(), 0);
    char buf[2048];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  };
  int a = client(), b = client();
  std::string r1 = ask(a, "ping"), r2 = ask(a, "again"), r3 = ask(b, "other");
  EXPECT_TRUE(r1 == "one:ping" || r1 == "two:ping") << r1;
  // One flow stays on its target; the next flow goes to the next one.
  EXPECT_EQ(r2.substr(0, 4), r1.substr(0, 4)) << r2;
  EXPECT_NE(r3.substr(0, 3), r1.substr(0, 3)) << r3;
  close(a);
  close(b);
  EXPECT_EQ(f.control->flows().size(), 2u);
  EXPECT_EQ(f.control->flows()[0].protocol, 17);
  // Both flows expire after the idle timeout.
  for (int i = 0; i < 100 && f.control->tcpOutcomes().size() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto o = f.control->tcpOutcomes();
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].bytesToTarget + o[1].bytesToTarget, 4u + 5u + 5u);
}

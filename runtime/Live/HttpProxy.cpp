//===- HttpProxy.cpp - The ALB listener: an HTTP/1.1 reverse proxy -------===//
//
// One coroutine per client connection: read a request (Beast's parser, with
// header and body limits), ask the control plane, answer or forward it on a
// pooled keep-alive connection to the target, write the response back, and
// loop while both sides keep the connection alive. Every wait has a deadline
// that the worker's sweeper enforces: the header timeout while a request's
// header arrives (a slowloris client is cut), the idle timeout between
// requests and while bodies move, the connect timeout and the route's target
// timeout (504) while the target is busy.
//
//===----------------------------------------------------------------------===//

#include "LiveInternal.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstring>
#include <ctime>

using namespace infrac::live;
using namespace infrac::live::detail;

namespace http = boost::beast::http;
namespace beast = boost::beast;

namespace {

using Req = http::request<http::string_body>;
using Res = http::response<http::string_body>;

/// A client connection as the sweeper and the control plane see it.
struct HttpConn final : Watched {
  HttpConn(Worker &w, TcpSocket &client) : w(w), client(client) { w.watch(this); }
  ~HttpConn() override { w.unwatch(this); }

  Worker &w;
  TcpSocket &client;
  TcpSocket *upstream = nullptr; ///< While a request is at a target.
  TargetKey key = 0;
  bool clientTimedOut = false, targetTimedOut = false, wasCut = false;

  void closeUpstream() {
    error_code ec;
    if (upstream)
      upstream->close(ec);
  }
  void expire() override {
    if (upstream) {
      // The target is late: 504; the client connection stays.
      targetTimedOut = true;
      closeUpstream();
      expired = false;
      deadline = Clock::time_point::max();
      return;
    }
    clientTimedOut = true;
    error_code ec;
    client.close(ec);
  }
  void cut(TargetKey k) override {
    if (upstream && key == k) {
      wasCut = true;
      closeUpstream();
    }
  }
  void close() override {
    closeUpstream();
    error_code ec;
    client.close(ec);
  }
  void after(Duration d) { deadline = w.now + toClock(d); }
};

const char *reason(int status) {
  return http::obsolete_reason(http::int_to_status(unsigned(status))).data();
}

/// An error page as ALB writes it.
Res errorResponse(int status, bool keepAlive) {
  Res res;
  res.result(unsigned(status));
  res.version(11);
  char body[256];
  std::snprintf(body, sizeof body,
                "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d "
                "%s</h1></center>\r\n</body>\r\n</html>\r\n",
                status, reason(status), status, reason(status));
  res.set(http::field::server, "awselb/2.0");
  res.set(http::field::content_type, "text/html");
  res.body() = body;
  res.keep_alive(keepAlive);
  res.prepare_payload();
  return res;
}

bool isHttpError(const error_code &ec) {
  return ec.category() == make_error_code(http::error::bad_target).category();
}

void stripHopByHop(http::fields &f) {
  f.erase(http::field::connection);
  f.erase(http::field::keep_alive);
  f.erase(http::field::proxy_connection);
  f.erase(http::field::te);
  f.erase(http::field::trailer);
  f.erase(http::field::upgrade);
}

/// "Root=1-<8 hex digits of the Unix time>-<24 random hex digits>".
void traceId(Worker &w, char out[64]) {
  static const char hex[] = "0123456789abcdef";
  auto put = [&](char *at, uint64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i, v >>= 4)
      at[i] = hex[v & 15];
  };
  std::memcpy(out, "Root=1-", 7);
  put(out + 7, uint64_t(std::time(nullptr)) & 0xffffffffu, 8);
  out[15] = '-';
  put(out + 16, w.random(), 16);
  put(out + 32, w.random(), 8);
  out[40] = 0;
}

/// Splits Cookie header values into name/value pairs.
void parseCookies(llvm::StringRef header, std::vector<Cookie> &out) {
  while (!header.empty()) {
    auto [item, rest] = header.split(';');
    header = rest;
    item = item.trim();
    if (item.empty())
      continue;
    auto [name, value] = item.split('=');
    out.push_back({name.trim(), value.trim()});
  }
}

/// Per-connection scratch reused across requests.
struct Scratch {
  std::vector<infrac::runtime::Header> headers;
  std::vector<Cookie> cookies;
  std::string xff;
  beast::flat_buffer upstreamBuffer;
};

template <class Stream>
Task serve(Worker &w, ListenerState &l, Stream &stream, HttpConn &conn, tcp::endpoint peer) {
  const HttpListenerConfig &cfg = l.http;
  HttpControl &control = *w.plane.httpControl;
  Counters &counters = l.counters[w.index];
  beast::flat_buffer buf;
  buf.reserve(8192);
  Scratch s;
  uint32_t peerIp = peer.address().is_v4() ? peer.address().to_v4().to_uint() : 0;
  std::string peerText = peer.address().to_string();
  const char *proto = cfg.tls ? "https" : "http";
  std::string forwardedPort = std::to_string(cfg.forwardedPort ? cfg.forwardedPort : l.port);
  error_code ec;

  for (;;) {
    // Between requests: the idle timeout until the first byte, then the
    // header timeout for the whole header.
    if (buf.size() == 0) {
      conn.after(cfg.idleTimeout);
      size_t n = co_await stream.async_read_some(buf.prepare(8192), ec_(ec));
      if (ec)
        co_return;
      buf.commit(n);
    }
    conn.after(cfg.headerTimeout);
    http::request_parser<http::string_body> parser;
    parser.header_limit(cfg.maxHeaderBytes);
    parser.body_limit(cfg.maxBodyBytes);
    co_await http::async_read_header(stream, buf, parser, ec_(ec));
    if (ec) {
      if (conn.clientTimedOut || !isHttpError(ec) || ec == http::error::end_of_stream)
        co_return;
      // A Content-Length over the body limit is found with the header.
      int status = ec == http::error::header_limit ? 431
                   : ec == http::error::body_limit ? 413
                                                   : 400;
      counters.count(status, 0);
      Res res = errorResponse(status, false);
      conn.after(cfg.idleTimeout);
      co_await http::async_write(stream, res, ec_(ec));
      co_return;
    }
    Clock::time_point t0 = Clock::now();
    if (unsigned v = parser.get().version(); v != 10 && v != 11) {
      // HTTP/1.0 and 1.1 only (an HTTP/2 preface, HTTP/9.9, ...).
      counters.count(400, 0);
      Res res = errorResponse(400, false);
      conn.after(cfg.idleTimeout);
      co_await http::async_write(stream, res, ec_(ec));
      co_return;
    }
    if (!parser.is_done()) {
      // The body: 100-continue first when asked.
      auto expect = parser.get()[http::field::expect];
      if (beast::iequals(expect, "100-continue")) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        conn.after(cfg.idleTimeout);
        co_await asio::async_write(stream, asio::buffer(cont, sizeof cont - 1), ec_(ec));
        if (ec)
          co_return;
      }
      conn.after(cfg.idleTimeout);
      co_await http::async_read(stream, buf, parser, ec_(ec));
      if (ec) {
        if (conn.clientTimedOut || !isHttpError(ec) || ec == http::error::end_of_stream ||
            ec == http::error::partial_message)
          co_return;
        int status = ec == http::error::body_limit ? 413 : 400;
        counters.count(status, 0);
        Res res = errorResponse(status, false);
        conn.after(cfg.idleTimeout);
        co_await http::async_write(stream, res, ec_(ec));
        co_return;
      }
    }
    Req &req = parser.get();
    bool keepAlive = req.keep_alive();
    bool head = req.method() == http::verb::head;

    // What routing sees.
    // (The strings of earlier requests are reused: no allocation per header.)
    size_t nHeaders = 0;
    s.cookies.clear();
    for (auto &f : req) {
      if (nHeaders == s.headers.size())
        s.headers.emplace_back();
      infrac::runtime::Header &h = s.headers[nHeaders++];
      h.name.assign(f.name_string().data(), f.name_string().size());
      h.value.assign(f.value().data(), f.value().size());
    }
    for (size_t i = 0; i < nHeaders; ++i)
      if (llvm::StringRef(s.headers[i].name).equals_insensitive("cookie"))
        parseCookies(s.headers[i].value, s.cookies);
    llvm::StringRef target(req.target().data(), req.target().size());
    auto [path, query] = target.split('?');
    auto hostField = req[http::field::host];
    llvm::StringRef host(hostField.data(), hostField.size());
    if (!host.startswith("["))
      host = host.split(':').first;
    HttpRequestInfo info;
    info.request.method = llvm::StringRef(req.method_string().data(), req.method_string().size());
    info.request.host = host;
    info.request.path = path;
    info.request.query = query;
    info.request.headers = llvm::ArrayRef<infrac::runtime::Header>(s.headers).take_front(nHeaders);
    info.request.sourceIp = peerIp;
    info.cookies = s.cookies;
    info.sourcePort = peer.port();
    info.tls = cfg.tls;
    HttpRoute route = control.route(l.id, info);

    if (route.kind != HttpRoute::Forward) {
      Res res;
      if (route.kind == HttpRoute::NoTarget) {
        res = errorResponse(503, keepAlive);
      } else {
        res.result(unsigned(route.status));
        res.version(11);
        res.set(http::field::server, "awselb/2.0");
        if (route.kind == HttpRoute::Redirect) {
          res.set(http::field::location, route.location);
        } else {
          res.set(http::field::content_type, route.contentType);
          res.body() = route.body;
        }
        for (auto &c : route.setCookies)
          res.insert(http::field::set_cookie, c);
        res.keep_alive(keepAlive);
        res.prepare_payload();
      }
      conn.after(cfg.idleTimeout);
      co_await http::async_write(stream, res, ec_(ec));
      counters.count(res.result_int(), since(t0, Clock::now()));
      if (ec || !keepAlive)
        co_return;
      continue;
    }

    // Forward: the headers ALB adds.
    {
      if (cfg.xffMode == XffMode::Append) {
        auto old = req["X-Forwarded-For"];
        s.xff.assign(old.data(), old.size());
        if (!s.xff.empty())
          s.xff += ", ";
        s.xff += peerText;
        if (cfg.xffClientPort)
          s.xff += ":" + std::to_string(peer.port());
        req.set("X-Forwarded-For", s.xff);
      } else if (cfg.xffMode == XffMode::Remove) {
        req.erase("X-Forwarded-For");
      }
      req.set("X-Forwarded-Proto", proto);
      req.set("X-Forwarded-Port", forwardedPort);
      if (req["X-Amzn-Trace-Id"].empty()) {
        char id[64];
        traceId(w, id);
        req.set("X-Amzn-Trace-Id", id);
      }
      stripHopByHop(req);
      req.erase(http::field::expect);
      req.version(11);
      req.keep_alive(true);
      if (req.chunked() || !req.body().empty())
        req.prepare_payload();
    }

    HttpOutcome outcome;
    outcome.key = route.key;
    outcome.requestBytes = req.body().size();
    tcp::endpoint targetEp(asio::ip::address_v4(route.target.ip), route.target.port);
    std::unique_ptr<TcpSocket> up = w.takePooled(route.key);
    bool reused = up != nullptr;
    conn.key = route.key;
    conn.wasCut = conn.targetTimedOut = false;
    std::optional<http::response_parser<http::string_body>> rp;
    int status = 0;
    for (int attempt = 0;; ++attempt) {
      ec = {};
      if (!up) {
        up = std::make_unique<TcpSocket>(w.io);
        conn.upstream = up.get();
        conn.after(cfg.connectTimeout);
        co_await up->async_connect(targetEp, ec_(ec));
        if (ec) {
          if (conn.targetTimedOut)
            outcome.failure = TargetFailure::Timeout, status = 504;
          else if (conn.wasCut)
            outcome.failure = TargetFailure::Cut, status = 502;
          else if (ec == asio::error::connection_refused)
            outcome.failure = TargetFailure::Refused, status = 502;
          else
            outcome.failure = TargetFailure::Reset, status = 502;
          break;
        }
        up->set_option(tcp::no_delay(true), ec);
      }
      conn.upstream = up.get();
      conn.after(route.timeout);
      s.upstreamBuffer.clear();
      co_await http::async_write(*up, req, ec_(ec));
      if (!ec) {
        rp.emplace();
        rp->header_limit(32 * 1024);
        rp->body_limit(cfg.maxResponseBytes);
        if (head)
          rp->skip(true);
        co_await http::async_read(*up, s.upstreamBuffer, *rp, ec_(ec));
      }
      if (!ec)
        break;
      bool nothing = !rp || !rp->got_some();
      if (reused && attempt == 0 && nothing && !conn.wasCut && !conn.targetTimedOut) {
        // A pooled connection the target had closed: once more on a new one.
        error_code ignored;
        up->close(ignored);
        up.reset();
        reused = false;
        continue;
      }
      if (conn.wasCut)
        outcome.failure = TargetFailure::Cut, status = 502;
      else if (conn.targetTimedOut)
        outcome.failure = TargetFailure::Timeout, status = 504;
      else if (isHttpError(ec) && ec != http::error::end_of_stream &&
               ec != http::error::partial_message)
        outcome.failure = TargetFailure::BadResponse, status = 502;
      else
        outcome.failure = TargetFailure::Reset, status = 502;
      break;
    }
    conn.upstream = nullptr;

    Res res;
    if (status) {
      error_code ignored;
      if (up)
        up->close(ignored);
      res = errorResponse(status, keepAlive);
    } else {
      res = rp->release();
      if (res.keep_alive() && s.upstreamBuffer.size() == 0 && !conn.wasCut)
        w.givePooled(route.key, std::move(up));
      else {
        error_code ignored;
        up->close(ignored);
      }
      stripHopByHop(res);
      int code = res.result_int();
      if (!head && code >= 200 && code != 204 && code != 304)
        res.prepare_payload();
      res.version(11);
      res.keep_alive(keepAlive);
    }
    for (auto &c : route.setCookies)
      res.insert(http::field::set_cookie, c);
    conn.after(cfg.idleTimeout);
    co_await http::async_write(stream, res, ec_(ec));
    outcome.status = res.result_int();
    outcome.responseBytes = res.body().size();
    outcome.latency = since(t0, Clock::now());
    if (ec && outcome.failure == TargetFailure::None)
      outcome.failure = TargetFailure::ClientGone;
    counters.count(outcome.status, outcome.latency);
    counters.bytesIn.fetch_add(outcome.requestBytes, std::memory_order_relaxed);
    counters.bytesOut.fetch_add(outcome.responseBytes, std::memory_order_relaxed);
    control.finished(outcome);
    if (ec || !keepAlive)
      co_return;
  }
}

Task serveConnection(Worker &w, std::shared_ptr<ListenerState> l, TcpSocket socket,
                     tcp::endpoint peer) {
  struct Active {
    ListenerState &l;
    ~Active() { l.active.fetch_sub(1, std::memory_order_relaxed); }
  } active{*l};
  error_code ec;
  if (!l->http.tls) {
    HttpConn conn(w, socket);
    co_await serve(w, *l, socket, conn, peer);
    socket.shutdown(asio::socket_base::shutdown_send, ec);
    socket.close(ec);
    co_return;
  }
  asio::ssl::stream<TcpSocket> stream(std::move(socket), *w.plane.tls);
  HttpConn conn(w, stream.next_layer());
  conn.after(l->http.headerTimeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server, ec_(ec));
  if (!ec)
    co_await serve(w, *l, stream, conn, peer);
  stream.next_layer().shutdown(asio::socket_base::shutdown_send, ec);
  stream.next_layer().close(ec);
}

} // namespace

Task infrac::live::detail::acceptHttp(Worker &w, std::shared_ptr<ListenerState> l,
                                      std::shared_ptr<TcpAcceptor> a) {
  for (;;) {
    error_code ec;
    tcp::endpoint peer; // from accept(2) itself
    TcpSocket socket = co_await a->async_accept(peer, ec_(ec));
    if (ec == asio::error::operation_aborted || !a->is_open() || w.closing)
      co_return;
    if (ec) {
      // Out of descriptors or the like: back off a little.
      Timer t(w.io, std::chrono::milliseconds(10));
      co_await t.async_wait(ec_(ec));
      continue;
    }
    if (l->active.load(std::memory_order_relaxed) >= l->http.maxConnections) {
      l->counters[w.index].rejected.fetch_add(1, std::memory_order_relaxed);
      socket.close(ec);
      continue;
    }
    l->active.fetch_add(1, std::memory_order_relaxed);
    socket.set_option(tcp::no_delay(true), ec);
    spawn(w.io, serveConnection(w, l, std::move(socket), peer));
  }
}

//===- DataPlane.cpp - Event loops, listeners and the certificate --------===//

#include "LiveInternal.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>

using namespace infrac::live;
using namespace infrac::live::detail;

HttpControl::~HttpControl() = default;
TcpControl::~TcpControl() = default;
DataPlane::~DataPlane() = default;

uint64_t Flow::hash() const {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  mix(protocol, 1);
  mix(srcIp, 4);
  mix(srcPort, 2);
  mix(dstIp, 4);
  mix(dstPort, 2);
  return h;
}

std::array<uint8_t, 28> infrac::live::proxyV2Header(const Flow &f) {
  std::array<uint8_t, 28> h = {0x0D,
                               0x0A,
                               0x0D,
                               0x0A,
                               0x00,
                               0x0D,
                               0x0A,
                               0x51,
                               0x55,
                               0x49,
                               0x54,
                               0x0A,
                               0x21,                                    // version 2, PROXY
                               uint8_t(f.protocol == 17 ? 0x12 : 0x11), // AF_INET, STREAM/DGRAM
                               0x00,
                               12};
  auto put32 = [&](size_t at, uint32_t v) {
    h[at] = v >> 24, h[at + 1] = v >> 16, h[at + 2] = v >> 8, h[at + 3] = v;
  };
  put32(16, f.srcIp);
  put32(20, f.dstIp);
  h[24] = f.srcPort >> 8, h[25] = f.srcPort & 0xff;
  h[26] = f.dstPort >> 8, h[27] = f.dstPort & 0xff;
  return h;
}

Duration ListenerCounters::quantile(double q) const {
  uint64_t total = 0;
  for (uint64_t c : latency)
    total += c;
  if (total == 0)
    return 0;
  uint64_t want = uint64_t(q * double(total));
  if (want >= total)
    want = total - 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < Buckets; ++i) {
    seen += latency[i];
    if (seen > want)
      return Duration(2) << i;
  }
  return Duration(2) << (Buckets - 1);
}

void Counters::count(int status, Duration us) {
  requests.fetch_add(1, std::memory_order_relaxed);
  if (status >= 200 && status < 300)
    s2xx.fetch_add(1, std::memory_order_relaxed);
  else if (status >= 300 && status < 400)
    s3xx.fetch_add(1, std::memory_order_relaxed);
  else if (status >= 400 && status < 500)
    s4xx.fetch_add(1, std::memory_order_relaxed);
  else if (status >= 500)
    s5xx.fetch_add(1, std::memory_order_relaxed);
  size_t b = us <= 1 ? 0 : size_t(63 - __builtin_clzll(uint64_t(us)));
  if (b >= ListenerCounters::Buckets)
    b = ListenerCounters::Buckets - 1;
  latency[b].fetch_add(1, std::memory_order_relaxed);
}

//===----------------------------------------------------------------------===//
// Worker
//===----------------------------------------------------------------------===//

Worker::Worker(DataPlaneImpl &plane, unsigned index)
    : plane(plane), index(index),
      rngState(0x9e3779b97f4a7c15ull * (index + 1) ^
               uint64_t(std::chrono::system_clock::now().time_since_epoch().count())) {}

Worker::~Worker() {
  if (thread.joinable()) {
    io.stop();
    thread.join();
  }
  // Sockets go before their io_context.
  pool.clear();
  tick.reset();
}

bool Worker::waitExit(std::chrono::milliseconds d) {
  return !exitedFuture.valid() || exitedFuture.wait_for(d) == std::future_status::ready;
}

void Worker::start() {
  guard.emplace(io.get_executor());
  tick = std::make_unique<Timer>(io);
  spawn(io, sweeper());
  exitedFuture = exited.get_future();
  thread = std::thread([this] {
    for (;;) {
      try {
        io.run();
        break;
      } catch (...) {
        // A handler threw (out of memory): keep serving.
      }
    }
    exited.set_value();
  });
}

void Worker::runSync(std::function<void()> fn) {
  std::promise<void> done;
  asio::post(io, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

Task Worker::sweeper() {
  error_code ec;
  while (!closing) {
    tick->expires_after(toClock(plane.options.tick));
    co_await tick->async_wait(ec_(ec));
    if (closing)
      break;
    now = Clock::now();
    for (auto it = watched.begin(); it != watched.end();) {
      Watched *w = *it++; // expire() may unwatch w, never another
      if (!w->expired && w->deadline <= now) {
        w->expired = true;
        w->expire();
      }
    }
    // Pooled connections idle for long are closed (targets close theirs too).
    for (auto &[key, list] : pool) {
      auto keep = list.begin();
      for (auto &p : list)
        if (now - p.since < std::chrono::seconds(30))
          *keep++ = std::move(p);
      list.erase(keep, list.end());
    }
  }
}

void Worker::closeAll() {
  closing = true;
  if (tick)
    tick->cancel();
  for (auto it = watched.begin(); it != watched.end();) {
    Watched *w = *it++;
    w->expired = true;
    w->close();
  }
  pool.clear();
  guard.reset();
}

std::unique_ptr<TcpSocket> Worker::takePooled(TargetKey key) {
  auto it = pool.find(key);
  if (it == pool.end() || it->second.empty())
    return nullptr;
  auto s = std::move(it->second.back().socket);
  it->second.pop_back();
  return s;
}

void Worker::givePooled(TargetKey key, std::unique_ptr<TcpSocket> s) {
  auto &list = pool[key];
  if (closing || list.size() >= 256)
    return;
  list.push_back({std::move(s), now});
}

void Worker::dropPooled(TargetKey key) { pool.erase(key); }

uint64_t Worker::random() {
  // splitmix64
  uint64_t z = (rngState += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

//===----------------------------------------------------------------------===//
// DataPlaneImpl
//===----------------------------------------------------------------------===//

llvm::Expected<std::unique_ptr<DataPlane>> DataPlane::create(const DataPlaneOptions &options,
                                                             HttpControl *http, TcpControl *tcp) {
  auto plane = std::make_unique<DataPlaneImpl>(options, http, tcp);
  if (llvm::Error e = plane->init())
    return e;
  return std::unique_ptr<DataPlane>(std::move(plane));
}

DataPlaneImpl::DataPlaneImpl(const DataPlaneOptions &options, HttpControl *http, TcpControl *tcp)
    : options(options), httpControl(http), tcpControl(tcp) {
  if (this->options.tick <= 0)
    this->options.tick = runtime::millis(50);
}

DataPlaneImpl::~DataPlaneImpl() { shutdown(); }

llvm::Error DataPlaneImpl::init() {
  tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  if (llvm::Error e = makeSelfSignedContext(*tls, certPem))
    return e;
  unsigned n =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i)
    workers.push_back(std::make_unique<Worker>(*this, i));
  for (auto &w : workers)
    w->start();
  return llvm::Error::success();
}

static llvm::Error socketError(llvm::StringRef what, uint16_t port, const error_code &ec) {
  return llvm::createStringError(std::errc::io_error, "cannot %s 127.0.0.1:%u: %s",
                                 what.str().c_str(), unsigned(port), ec.message().c_str());
}

// Binds every worker's acceptor (or the UDP socket) on l.port (0 first:
// an ephemeral one, then the others join it with SO_REUSEPORT).
llvm::Error DataPlaneImpl::open(ListenerState &l) {
  auto addr = asio::ip::make_address_v4("127.0.0.1");
  if (l.kind == ListenerState::Udp) {
    Worker &w = *workers[l.udpWorker];
    llvm::Error err = llvm::Error::success();
    w.runSync([&] {
      auto s = std::make_shared<UdpSocket>(w.io);
      error_code ec;
      s->open(udp::v4(), ec);
      if (!ec)
        s->bind(udp::endpoint(addr, l.port), ec);
      if (ec) {
        err = socketError("bind udp", l.port, ec);
        return;
      }
      l.port = s->local_endpoint(ec).port();
      l.udpSocket = std::move(s);
    });
    if (err)
      return err;
    auto sp = listeners.at(l.id);
    asio::post(w.io, [&w, sp, s = sp->udpSocket] { spawn(w.io, serveUdp(w, sp, s)); });
    l.running = true;
    return llvm::Error::success();
  }
  l.acceptors.resize(workers.size());
  for (size_t i = 0; i < workers.size(); ++i) {
    Worker &w = *workers[i];
    llvm::Error err = llvm::Error::success();
    w.runSync([&] {
      auto a = std::make_shared<TcpAcceptor>(w.io);
      error_code ec;
      a->open(tcp::v4(), ec);
      if (!ec)
        a->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) {
        int one = 1;
        if (::setsockopt(a->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
          ec = error_code(errno, boost::system::system_category());
      }
      if (!ec)
        a->bind(tcp::endpoint(addr, l.port), ec);
      if (!ec)
        a->listen(4096, ec);
      if (ec) {
        err = socketError("listen on", l.port, ec);
        return;
      }
      l.port = a->local_endpoint(ec).port();
      l.acceptors[i] = std::move(a);
    });
    if (err) {
      close(l);
      return err;
    }
  }
  auto sp = listeners.at(l.id);
  for (size_t i = 0; i < workers.size(); ++i) {
    Worker &w = *workers[i];
    asio::post(w.io, [&w, sp, a = sp->acceptors[i]] {
      if (sp->kind == ListenerState::Http)
        spawn(w.io, acceptHttp(w, sp, a));
      else
        spawn(w.io, acceptTcp(w, sp, a));
    });
  }
  l.running = true;
  return llvm::Error::success();
}

void DataPlaneImpl::close(ListenerState &l) {
  for (size_t i = 0; i < l.acceptors.size() && i < workers.size(); ++i)
    workers[i]->runSync([&] {
      if (l.acceptors[i]) {
        error_code ec;
        l.acceptors[i]->close(ec); // its accept loop ends on the abort
        l.acceptors[i].reset();
      }
    });
  if (l.udpSocket)
    workers[l.udpWorker]->runSync([&] {
      error_code ec;
      l.udpSocket->close(ec);
      l.udpSocket.reset();
    });
  l.running = false;
}

llvm::Expected<uint16_t> DataPlaneImpl::addHttpListener(uint32_t id,
                                                        const HttpListenerConfig &config) {
  std::lock_guard<std::mutex> lock(mutex);
  if (down || listeners.count(id))
    return llvm::createStringError(std::errc::invalid_argument, "listener %u exists", unsigned(id));
  assert(httpControl && "an HTTP listener needs an HttpControl");
  auto l = std::make_shared<ListenerState>();
  l->id = id;
  l->kind = ListenerState::Http;
  l->http = config;
  l->port = config.port;
  l->counters = std::make_unique<Counters[]>(workers.size());
  listeners[id] = l;
  if (llvm::Error e = open(*l)) {
    listeners.erase(id);
    return e;
  }
  if (!l->http.forwardedPort)
    l->http.forwardedPort = l->port;
  return l->port;
}

llvm::Expected<uint16_t> DataPlaneImpl::addTcpListener(uint32_t id,
                                                       const TcpListenerConfig &config) {
  std::lock_guard<std::mutex> lock(mutex);
  if (down || listeners.count(id))
    return llvm::createStringError(std::errc::invalid_argument, "listener %u exists", unsigned(id));
  assert(tcpControl && "a TCP/UDP listener needs a TcpControl");
  auto l = std::make_shared<ListenerState>();
  l->id = id;
  l->kind = config.udp ? ListenerState::Udp : ListenerState::Tcp;
  l->tcp = config;
  l->port = config.port;
  l->udpWorker = id % workers.size();
  l->counters = std::make_unique<Counters[]>(workers.size());
  listeners[id] = l;
  if (llvm::Error e = open(*l)) {
    listeners.erase(id);
    return e;
  }
  return l->port;
}

void DataPlaneImpl::stopListener(uint32_t id) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = listeners.find(id);
  if (it == listeners.end() || !it->second->running)
    return;
  close(*it->second);
}

llvm::Error DataPlaneImpl::startListener(uint32_t id) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = listeners.find(id);
  if (it == listeners.end())
    return llvm::createStringError(std::errc::invalid_argument, "no listener %u", unsigned(id));
  if (it->second->running)
    return llvm::Error::success();
  return open(*it->second);
}

void DataPlaneImpl::cutTarget(TargetKey key) {
  for (auto &w : workers)
    asio::post(w->io, [w = w.get(), key] {
      w->dropPooled(key);
      for (auto it = w->watched.begin(); it != w->watched.end();) {
        Watched *c = *it++;
        c->cut(key);
      }
    });
}

void DataPlaneImpl::resetTarget(TargetKey key) {
  for (auto &w : workers)
    asio::post(w->io, [w = w.get(), key] {
      for (auto it = w->watched.begin(); it != w->watched.end();) {
        Watched *c = *it++;
        c->reset(key);
      }
    });
}

ListenerCounters DataPlaneImpl::counters(uint32_t id) const {
  ListenerCounters out;
  std::shared_ptr<ListenerState> l;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = listeners.find(id);
    if (it == listeners.end())
      return out;
    l = it->second;
  }
  auto get = [](const std::atomic<uint64_t> &a) { return a.load(std::memory_order_relaxed); };
  for (size_t i = 0; i < workers.size(); ++i) {
    const Counters &c = l->counters[i];
    out.requests += get(c.requests);
    out.status2xx += get(c.s2xx);
    out.status3xx += get(c.s3xx);
    out.status4xx += get(c.s4xx);
    out.status5xx += get(c.s5xx);
    out.rejectedConnections += get(c.rejected);
    out.bytesIn += get(c.bytesIn);
    out.bytesOut += get(c.bytesOut);
    for (size_t b = 0; b < ListenerCounters::Buckets; ++b)
      out.latency[b] += get(c.latency[b]);
  }
  out.activeConnections = l->active.load(std::memory_order_relaxed);
  return out;
}

void DataPlaneImpl::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (down)
      return;
    down = true;
    for (auto &[id, l] : listeners)
      if (l->running)
        close(*l);
  }
  for (auto &w : workers)
    asio::post(w->io, [w = w.get()] { w->closeAll(); });
  // Sessions finish on their aborted operations; a loop that does not
  // return in time is stopped (its pending handlers are destroyed).
  for (auto &w : workers) {
    if (!w->waitExit(std::chrono::milliseconds(2000)))
      w->io.stop();
  }
  workers.clear();
}

//===----------------------------------------------------------------------===//
// The certificate
//===----------------------------------------------------------------------===//

llvm::Error infrac::live::detail::makeSelfSignedContext(asio::ssl::context &ctx, std::string &pem) {
  auto fail = [](const char *what) {
    return llvm::createStringError(std::errc::io_error, "cannot generate the tls certificate: %s",
                                   what);
  };
  EVP_PKEY *key = EVP_EC_gen("prime256v1");
  if (!key)
    return fail("key generation failed");
  X509 *cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert),
                   long(std::chrono::system_clock::now().time_since_epoch().count() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"infrac run", -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  if (X509_EXTENSION *ext =
          X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1")) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  bool ok = X509_sign(cert, key, EVP_sha256()) > 0 &&
            SSL_CTX_use_certificate(ctx.native_handle(), cert) == 1 &&
            SSL_CTX_use_PrivateKey(ctx.native_handle(), key) == 1;
  if (ok) {
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char *data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    pem.assign(data, size_t(n));
    BIO_free(bio);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok)
    return fail("signing failed");
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  return llvm::Error::success();
}

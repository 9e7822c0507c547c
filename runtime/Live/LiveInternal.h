//===- LiveInternal.h - Event loops, listeners, sessions (private) -*- C++ -*-===//
//
// Private to runtime/Live. One `Worker` per core: an io_context run by one
// thread, the connections it serves (watched by a coarse sweeper that
// enforces every deadline: header, idle, target and UDP flow timeouts) and
// its upstream keep-alive pool. Compiled as C++20 for Asio's coroutines.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_LIVEINTERNAL_H
#define INFRAC_RUNTIME_LIVE_LIVEINTERNAL_H

#include "DataPlane.h"

// g++ 12 needs <utility> before Asio's coroutine headers (asio#944).
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace infrac::live::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

// Every I/O object and coroutine names the io_context's executor type
// itself: no type-erased any_io_executor on the hot path.
using Executor = asio::io_context::executor_type;
using TcpSocket = asio::basic_stream_socket<tcp, Executor>;
using TcpAcceptor = asio::basic_socket_acceptor<tcp, Executor>;
using UdpSocket = asio::basic_datagram_socket<udp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;
using Task = asio::awaitable<void, Executor>;
constexpr asio::use_awaitable_t<Executor> awaitable;

/// `co_await op(..., ec_(ec))`: errors into `ec`, never thrown.
inline auto ec_(error_code &ec) { return asio::redirect_error(awaitable, ec); }

inline Duration since(Clock::time_point t0, Clock::time_point t1) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count();
}
inline Clock::duration toClock(Duration d) { return std::chrono::microseconds(d); }

/// One event loop's counters of one listener; written by its worker only.
struct alignas(64) Counters {
  std::atomic<uint64_t> requests{0}, s2xx{0}, s3xx{0}, s4xx{0}, s5xx{0};
  std::atomic<uint64_t> rejected{0}, bytesIn{0}, bytesOut{0};
  std::array<std::atomic<uint64_t>, ListenerCounters::Buckets> latency{};
  void count(int status, Duration latency);
};

/// A connection or flow whose deadline the sweeper watches.
struct Watched {
  Clock::time_point deadline = Clock::time_point::max();
  bool expired = false; ///< Set by the sweeper before `expire()`.
  virtual ~Watched() = default;
  /// The deadline passed: close the sockets (pending operations abort).
  virtual void expire() = 0;
  /// `DataPlane::cutTarget` / `resetTarget`.
  virtual void cut(TargetKey key) {}
  virtual void reset(TargetKey key) {}
  /// `shutdown`: close everything.
  virtual void close() { expire(); }
  std::list<Watched *>::iterator self;
};

struct ListenerState;
class DataPlaneImpl;

class Worker {
public:
  Worker(DataPlaneImpl &plane, unsigned index);
  ~Worker();
  void start();
  /// Runs `fn` on this worker's thread and waits for it.
  void runSync(std::function<void()> fn);
  /// Closes every connection, acceptor and pooled socket; lets run() return.
  void closeAll();

  void watch(Watched *w) { w->self = watched.insert(watched.end(), w); }
  void unwatch(Watched *w) { watched.erase(w->self); }

  /// Pooled connections, per target, most recently used last.
  std::unique_ptr<TcpSocket> takePooled(TargetKey key);
  void givePooled(TargetKey key, std::unique_ptr<TcpSocket> s);
  void dropPooled(TargetKey key);

  uint64_t random();

  /// 64 KiB copy buffers for the TCP/UDP proxies, reused across connections.
  static constexpr size_t BufferSize = 64 * 1024;
  std::unique_ptr<char[]> takeBuffer() {
    if (freeBuffers.empty())
      return std::unique_ptr<char[]>(new char[BufferSize]);
    auto b = std::move(freeBuffers.back());
    freeBuffers.pop_back();
    return b;
  }
  void giveBuffer(std::unique_ptr<char[]> b) {
    if (freeBuffers.size() < 256)
      freeBuffers.push_back(std::move(b));
  }
  std::vector<std::unique_ptr<char[]>> freeBuffers;

  DataPlaneImpl &plane;
  unsigned index;
  std::list<Watched *> watched;
  struct Pooled {
    std::unique_ptr<TcpSocket> socket;
    Clock::time_point since;
  };
  std::unordered_map<TargetKey, std::vector<Pooled>> pool;
  /// The time of the last tick (coarse; for deadlines).
  Clock::time_point now = Clock::now();
  uint64_t rngState;
  bool closing = false;
  /// Waits up to `d` for the thread's io.run() to return.
  bool waitExit(std::chrono::milliseconds d);

private:
  Task sweeper();
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::unique_ptr<Timer> tick;
  std::thread thread;
  std::promise<void> exited;
  std::future<void> exitedFuture;

public:
  // Declared last: destroyed first, while the members above still exist.
  // Its sockets and timers are only touched on its own thread (others
  // post to it): no locking in the reactor.
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
};

/// A listener, shared by the workers; each worker owns its own acceptor.
struct ListenerState {
  uint32_t id = 0;
  enum Kind : uint8_t { Http, Tcp, Udp } kind = Http;
  HttpListenerConfig http;
  TcpListenerConfig tcp;
  uint16_t port = 0;
  std::unique_ptr<Counters[]> counters; ///< One per worker.
  std::atomic<uint64_t> active{0};
  /// Per worker (index), touched only on that worker's thread.
  std::vector<std::shared_ptr<TcpAcceptor>> acceptors;
  std::shared_ptr<UdpSocket> udpSocket; ///< On worker `udpWorker`.
  unsigned udpWorker = 0;
  bool running = false;
};

class DataPlaneImpl final : public DataPlane {
public:
  DataPlaneImpl(const DataPlaneOptions &options, HttpControl *http, TcpControl *tcp);
  ~DataPlaneImpl() override;
  llvm::Error init();

  llvm::Expected<uint16_t> addHttpListener(uint32_t id, const HttpListenerConfig &config) override;
  llvm::Expected<uint16_t> addTcpListener(uint32_t id, const TcpListenerConfig &config) override;
  void stopListener(uint32_t id) override;
  llvm::Error startListener(uint32_t id) override;
  void cutTarget(TargetKey key) override;
  void resetTarget(TargetKey key) override;
  ListenerCounters counters(uint32_t id) const override;
  std::string certificatePem() const override { return certPem; }
  void shutdown() override;

  DataPlaneOptions options;
  HttpControl *httpControl;
  TcpControl *tcpControl;
  std::unique_ptr<asio::ssl::context> tls;
  std::string certPem;
  std::vector<std::unique_ptr<Worker>> workers;

private:
  llvm::Error open(ListenerState &l);
  void close(ListenerState &l);
  mutable std::mutex mutex; // guards `listeners` (the map, not the states)
  std::map<uint32_t, std::shared_ptr<ListenerState>> listeners;
  bool down = false;
};

/// The accept loops and sessions (HttpProxy.cpp, TcpProxy.cpp).
Task acceptHttp(Worker &w, std::shared_ptr<ListenerState> l, std::shared_ptr<TcpAcceptor> a);
Task acceptTcp(Worker &w, std::shared_ptr<ListenerState> l, std::shared_ptr<TcpAcceptor> a);
Task serveUdp(Worker &w, std::shared_ptr<ListenerState> l, std::shared_ptr<UdpSocket> s);

/// Generates a self-signed certificate for localhost / 127.0.0.1 (P-256).
llvm::Error makeSelfSignedContext(asio::ssl::context &ctx, std::string &pem);

/// Spawns a coroutine whose exceptions (allocation failures) are dropped.
template <class Awaitable> void spawn(asio::io_context &io, Awaitable &&a) {
  asio::co_spawn(io, std::forward<Awaitable>(a), [](std::exception_ptr) {});
}

} // namespace infrac::live::detail

#endif // INFRAC_RUNTIME_LIVE_LIVEINTERNAL_H

//===- LoadGen.h - A scenario's load, sent for real (private) -*- C++ -*-===//
//
// Private to runtime/Live. `infrac run --scenario` plays a scenario's `load`
// blocks as real clients on their own event loop: Poisson arrivals from the
// same TrafficModel as the simulator (in the scenario's time, so scaled by
// --time-scale), each client with its own source address in 127.0.0.0/8,
// its own keep-alive connection and its own cookie jar (AWSALB and the
// app's cookies come back as a browser would send them). HTTP and HTTPS
// listeners get the load's requests; TCP listeners a connection that reads
// the server's first line; UDP listeners a datagram and its answer.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_LOADGEN_H
#define INFRAC_RUNTIME_LIVE_LOADGEN_H

#include "Plan/Plan.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace infrac::live {

class LoadGenerator {
public:
  enum class Protocol : uint8_t { Http, Https, Tcp, Udp };
  struct Options {
    uint16_t port = 0; ///< The listener, on 127.0.0.1.
    Protocol protocol = Protocol::Http;
    uint64_t seed = 1;
    double timeScale = 1;
    /// The real instant of the scenario's 0 s.
    std::chrono::steady_clock::time_point zero;
    /// Real requests per second at most (arrivals beyond it are thinned
    /// and counted as skipped): the machine, not the design, is the limit.
    double maxRealRate = 2000;
    /// Requests in flight at most; beyond, arrivals are skipped.
    unsigned maxInFlight = 512;
  };
  struct Stats {
    uint64_t sent = 0, answered = 0, failed = 0, skipped = 0;
    uint64_t byClass[6] = {}; ///< Answers by status class (1xx..5xx); [0]: TCP/UDP answers.
  };

  LoadGenerator(const runtime::LoadPlan &plan, const Options &opts);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator &) = delete;
  LoadGenerator &operator=(const LoadGenerator &) = delete;

  /// Starts sending, on a thread of its own.
  void start();
  /// The load's full rate from now on (a scenario's `rate` event).
  void setRate(double perSecond);
  /// Stops sending, abandons what is in flight and joins the thread.
  void stop();

  /// The instance that answered client `client`'s last request (the app
  /// names itself: the echo app's "instance", a server's "i-N" greeting),
  /// or ~0u.
  uint32_t lastInstance(uint32_t client) const;
  Stats stats() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace infrac::live

#endif

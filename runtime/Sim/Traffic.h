//===- Traffic.h - The simulated load and the simulated app -*- C++ -*-===//
//
// Poisson arrivals for a scenario's loads and the service time and CPU cost
// of the simulated app. Private to runtime/Sim: the live shell has real
// clients and real apps.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_SIM_TRAFFIC_H
#define INFRAC_RUNTIME_SIM_TRAFFIC_H

#include "Plan/Plan.h"

namespace infrac::runtime {


/// Poisson arrivals for one load: the rate ramps linearly from 0 over `ramp`,
/// then holds until `end`. Arrivals during a ramp use thinning, so the
/// sequence is exact for a time-varying rate.
class TrafficModel {
public:
  explicit TrafficModel(LoadConfig c) : cfg(c) {}
  const LoadConfig &config() const { return cfg; }
  /// The rate at an instant.
  double rateAt(Instant t) const;
  /// Changes the full rate from now on.
  void setRate(double r) { cfg.rate = r; }
  /// The next arrival strictly after `now`, or Never.
  Instant nextArrival(Instant now, Rng &rng) const;
  /// Which client sends a request.
  uint32_t pickClient(Rng &rng) const { return uint32_t(rng.below(cfg.clients ? cfg.clients : 1)); }

private:
  LoadConfig cfg;
};

/// Per-request service time and CPU cost of the simulated app.
struct ServiceModel {
  Duration base = millis(8);   ///< Mean service time (exponential part).
  Duration extra = 0;          ///< The app's configured latency.
  Duration cpuPerRequest = millis(5);
  double errorRate = 0;        ///< 0..1: answered with 500.
  /// A response time: the app's own work (stretched by `load`, the factor
  /// from its CPU utilisation) plus whatever it waits for (`extra`).
  Duration sample(Rng &rng, double load = 1) const {
    return Duration((double(millis(1)) + rng.exponential(double(base))) * load) + extra;
  }
  /// The stretch of a queue at CPU utilisation `u` (0..1): 1 / (1 - u),
  /// capped at 50 for an overloaded instance.
  static double loadFactor(double u) { return u >= 0.98 ? 50.0 : 1.0 / (1.0 - u); }
};

} // namespace infrac::runtime

#endif

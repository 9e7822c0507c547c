//===- Traffic.h - The simulated app -*- C++ -*-===//
//
// The service time and CPU cost of the simulated app. Private to
// runtime/Sim: the live shell has real apps. (The loads' arrivals,
// TrafficModel, are in Plan.h: both shells' load generators use them.)
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_SIM_TRAFFIC_H
#define INFRAC_RUNTIME_SIM_TRAFFIC_H

#include "Plan/Plan.h"

namespace infrac::runtime {

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

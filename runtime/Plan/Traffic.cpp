//===- Traffic.cpp - Request arrivals of a scenario's loads -------------===//

#include "Plan/Plan.h"

namespace infrac::runtime {

double TrafficModel::rateAt(Instant t) const {
  if (t < cfg.start || t >= cfg.end || cfg.rate <= 0)
    return 0;
  if (cfg.ramp > 0 && t < cfg.start + cfg.ramp)
    return cfg.rate * double(t - cfg.start) / double(cfg.ramp);
  return cfg.rate;
}

Instant TrafficModel::nextArrival(Instant now, Rng &rng) const {
  if (cfg.rate <= 0)
    return Never;
  Instant t = now < cfg.start ? cfg.start : now;
  // Thinning against the full rate: exact for the linear ramp as well.
  for (;;) {
    double gap = rng.exponential(1e6 / cfg.rate);
    Instant next = t + Instant(gap) + 1;
    if (next >= cfg.end)
      return Never;
    if (cfg.ramp <= 0 || next >= cfg.start + cfg.ramp || rng.uniform() * cfg.rate < rateAt(next))
      return next;
    t = next;
  }
}

} // namespace infrac::runtime

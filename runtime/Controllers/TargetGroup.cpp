//===- TargetGroup.cpp - Health checks, draining and target selection -----===//
//
// AWS: target-group-health-checks.md (states, reason codes, thresholds,
// fail-open), load-balancer-target-groups.md (algorithms, slow start,
// deregistration delay), sticky-sessions.md (AWSALB, AWSALBAPP).
//
//===----------------------------------------------------------------------===//

#include "Controllers/Controllers.h"

#include "llvm/ADT/StringExtras.h"

namespace infrac::runtime {

const char *stateName(TargetState s) {
  switch (s) {
  case TargetState::Initial: return "initial";
  case TargetState::Healthy: return "healthy";
  case TargetState::Unhealthy: return "unhealthy";
  case TargetState::Unused: return "unused";
  case TargetState::Draining: return "draining";
  case TargetState::Unavailable: return "unavailable";
  }
  return "?";
}

const char *reasonCode(Reason r) {
  switch (r) {
  case Reason::None: return "";
  case Reason::RegistrationInProgress: return "Elb.RegistrationInProgress";
  case Reason::InitialHealthChecking: return "Elb.InitialHealthChecking";
  case Reason::ResponseCodeMismatch: return "Target.ResponseCodeMismatch";
  case Reason::Timeout: return "Target.Timeout";
  case Reason::FailedHealthChecks: return "Target.FailedHealthChecks";
  case Reason::NotRegistered: return "Target.NotRegistered";
  case Reason::NotInUse: return "Target.NotInUse";
  case Reason::InvalidState: return "Target.InvalidState";
  case Reason::DeregistrationInProgress: return "Target.DeregistrationInProgress";
  case Reason::HealthCheckDisabled: return "Target.HealthCheckDisabled";
  }
  return "";
}

int TargetGroupState::find(uint32_t instance) const {
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i].instance == instance && targets[i].state != TargetState::Unused)
      return int(i);
  return -1;
}

unsigned TargetGroupState::count(TargetState s) const {
  unsigned n = 0;
  for (const Target &t : targets)
    n += t.state == s;
  return n;
}

bool matcherAccepts(llvm::StringRef matcher, int status) {
  llvm::StringRef rest = matcher;
  while (!rest.empty()) {
    llvm::StringRef item;
    std::tie(item, rest) = rest.split(',');
    item = item.trim();
    auto [lo, hi] = item.split('-');
    int a = 0, b = 0;
    if (lo.trim().getAsInteger(10, a))
      continue;
    if (hi.empty())
      b = a;
    else if (hi.trim().getAsInteger(10, b))
      continue;
    if (status >= a && status <= b)
      return true;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// HealthChecker
//===----------------------------------------------------------------------===//

Instant HealthChecker::onRegistered(Instant now, Target &t, Rng &rng) const {
  t.successes = t.failures = 0;
  if (!cfg.enabled) {
    t.state = TargetState::Unavailable;
    t.reason = Reason::HealthCheckDisabled;
    return Never;
  }
  t.state = TargetState::Initial;
  t.reason = Reason::RegistrationInProgress;
  // Registration takes a moment; the first probe goes out within a second.
  return now + millis(100) + Duration(rng.below(uint64_t(millis(900))));
}

bool HealthChecker::onProbeSent(Instant now, Target &t) const {
  if (t.state == TargetState::Draining || t.state == TargetState::Unused ||
      t.state == TargetState::Unavailable)
    return false;
  if (t.state == TargetState::Initial && t.reason == Reason::RegistrationInProgress)
    t.reason = Reason::InitialHealthChecking;
  return true;
}

std::optional<HealthTransition> HealthChecker::onProbeResult(Instant now, Target &t,
                                                             ProbeResult r) const {
  if (t.state == TargetState::Draining || t.state == TargetState::Unused ||
      t.state == TargetState::Unavailable)
    return std::nullopt;
  bool pass = r.kind == ProbeResult::Status && matcherAccepts(cfg.matcher, r.status);
  Reason why = r.kind == ProbeResult::Timeout         ? Reason::Timeout
               : r.kind == ProbeResult::ConnectFailed ? Reason::FailedHealthChecks
               : pass                                 ? Reason::None
                                                      : Reason::ResponseCodeMismatch;
  HealthTransition tr;
  tr.instance = t.instance;
  tr.from = t.state;
  tr.reason = why;
  tr.status = r.kind == ProbeResult::Status ? r.status : 0;
  auto become = [&](TargetState s) -> std::optional<HealthTransition> {
    t.state = s;
    t.reason = why;
    t.successes = t.failures = 0;
    tr.to = s;
    return tr;
  };
  if (pass) {
    t.failures = 0;
    ++t.successes;
    if (t.state == TargetState::Initial)
      return become(TargetState::Healthy); // One passing check after registration.
    if (t.state == TargetState::Unhealthy && t.successes >= cfg.healthyThreshold)
      return become(TargetState::Healthy);
    return std::nullopt;
  }
  t.successes = 0;
  ++t.failures;
  if (t.state == TargetState::Initial)
    t.reason = Reason::InitialHealthChecking;
  if ((t.state == TargetState::Healthy || t.state == TargetState::Initial) &&
      t.failures >= cfg.unhealthyThreshold)
    return become(TargetState::Unhealthy);
  if (t.state == TargetState::Unhealthy)
    t.reason = why;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Drainer
//===----------------------------------------------------------------------===//

Instant Drainer::begin(Instant now, Target &t) const {
  t.state = TargetState::Draining;
  t.reason = Reason::DeregistrationInProgress;
  t.slowStartBegin = Never; // Deregistering ends slow start.
  t.drainUntil = now + delay;
  t.drained = t.outstanding == 0;
  return t.drainUntil;
}

bool Drainer::onRequestDone(Instant now, Target &t) const {
  if (t.state != TargetState::Draining || t.drained || t.outstanding > 0)
    return false;
  t.drained = true;
  return true;
}

unsigned Drainer::expire(Instant now, Target &t, bool &completes) const {
  assert(t.state == TargetState::Draining && "expiring a target that is not draining");
  unsigned cut = t.outstanding;
  completes = !t.drained;
  t.state = TargetState::Unused;
  t.reason = Reason::NotRegistered;
  t.drainUntil = Never;
  t.drained = true;
  return cut;
}

//===----------------------------------------------------------------------===//
// TargetSelector
//===----------------------------------------------------------------------===//

void TargetSelector::onHealthy(Instant now, TargetGroupState &g, Target &t) const {
  t.slowStartBegin = Never;
  if (cfg.slowStart <= 0 || cfg.algorithm == SelectorConfig::LeastOutstanding)
    return;
  // A target enters slow start only if some other healthy target is not in it.
  for (const Target &o : g.targets)
    if (&o != &t && o.state == TargetState::Healthy && slowStartFactor(now, o) >= 1.0) {
      t.slowStartBegin = now;
      return;
    }
}

double TargetSelector::slowStartFactor(Instant now, const Target &t) const {
  if (t.slowStartBegin == Never || cfg.slowStart <= 0 || now >= t.slowStartBegin + cfg.slowStart)
    return 1.0;
  double f = double(now - t.slowStartBegin) / double(cfg.slowStart);
  return f < 0.02 ? 0.02 : f;
}

bool TargetSelector::routable(const Target &t, bool failOpen) const {
  return failOpen ? t.state == TargetState::Unhealthy : t.state == TargetState::Healthy ||
                                                           t.state == TargetState::Unavailable;
}

Selection TargetSelector::select(Instant now, TargetGroupState &g, StickyCookie *cookie,
                                 Rng &rng, uint64_t flowHash) {
  Selection sel;
  std::vector<Target> &ts = g.targets;
  size_t n = ts.size();
  bool sticky = cookie && cookie->instance != ~0u && cookie->expires > now;
  // The common case first: the cookie's target is healthy (so the group is
  // not failing open) and sits where it sat last time.
  if (sticky && cookie->hint < n && ts[cookie->hint].instance == cookie->instance &&
      routable(ts[cookie->hint], false)) {
    cookie->expires = now + cfg.stickyDuration;
    sel.index = int(cookie->hint);
    sel.stuck = true;
    return sel;
  }
  unsigned healthy = 0, unhealthy = 0;
  for (const Target &t : ts) {
    healthy += routable(t, false);
    unhealthy += t.state == TargetState::Unhealthy;
  }
  bool open = false;
  if (healthy == 0) {
    if (!cfg.failOpen || unhealthy == 0)
      return sel; // No target can take it: 503.
    open = true;
  }
  unsigned candidates = open ? unhealthy : healthy;
  sel.failOpen = open;

  // Stickiness overrides the algorithm while the cookie's target can serve;
  // otherwise a new target is picked and the cookie rewritten.
  if (sticky) {
    for (size_t i = 0; i < n; ++i)
      if (ts[i].instance == cookie->instance && ts[i].state != TargetState::Unused) {
        if (routable(ts[i], open)) {
          cookie->expires = now + cfg.stickyDuration;
          cookie->hint = uint32_t(i);
          sel.index = int(i);
          sel.stuck = true;
          return sel;
        }
        break;
      }
    sel.repicked = true;
  }

  int pick = -1;
  if (cfg.stickiness == SelectorConfig::SourceIp) {
    uint64_t k = flowHash % candidates;
    for (size_t i = 0; i < n; ++i)
      if (routable(ts[i], open) && k-- == 0) {
        pick = int(i);
        break;
      }
  } else if (cfg.algorithm == SelectorConfig::LeastOutstanding) {
    // Fewest in flight; ties go round robin from the cursor.
    uint32_t best = ~0u;
    size_t i = size_t(cursor++ % n);
    for (size_t k = 0; k < n; ++k) {
      const Target &t = ts[i];
      if (t.outstanding < best && routable(t, open)) {
        best = t.outstanding;
        pick = int(i);
      }
      if (++i == n)
        i = 0;
    }
  } else if (cfg.algorithm == SelectorConfig::WeightedRandom) {
    double total = 0;
    for (const Target &t : ts)
      if (routable(t, open))
        total += slowStartFactor(now, t);
    double x = rng.uniform() * total;
    for (size_t i = 0; i < n; ++i)
      if (routable(ts[i], open)) {
        pick = int(i);
        x -= slowStartFactor(now, ts[i]);
        if (x < 0)
          break;
      }
  } else {
    // Round robin; a target in slow start takes its turn with probability
    // equal to its share, so its traffic rises linearly.
    for (size_t tries = 0; tries < 4 * n && pick < 0; ++tries) {
      size_t i = size_t(cursor++ % n);
      if (!routable(ts[i], open))
        continue;
      double f = slowStartFactor(now, ts[i]);
      if (f >= 1.0 || rng.uniform() < f)
        pick = int(i);
    }
    if (pick < 0)
      for (size_t i = 0; i < n; ++i)
        if (routable(ts[i], open)) {
          pick = int(i);
          break;
        }
  }
  sel.index = pick;
  if (cookie && pick >= 0) {
    cookie->instance = ts[pick].instance;
    cookie->hint = uint32_t(pick);
    cookie->expires = now + cfg.stickyDuration;
  }
  return sel;
}

} // namespace infrac::runtime

//===- AutoScaler.cpp - EC2 Auto Scaling as a state machine ---------------===//
//
// AWS: ec2-auto-scaling-* (§5 of aws-behaviour.md): desired within [min, max];
// lifecycle hooks; grace period; EC2/ELB health replacement; target tracking
// (out on any policy, in only when all agree, round up out and down in,
// warm-up); step and simple policies (cooldown for simple only); scheduled
// actions; default termination policy; spot notices and capacity rebalancing.
//
//===----------------------------------------------------------------------===//

#include "Controllers/Controllers.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace infrac::runtime {

const char *lifecycleName(Lifecycle l) {
  switch (l) {
  case Lifecycle::Pending: return "Pending";
  case Lifecycle::PendingWait: return "Pending:Wait";
  case Lifecycle::InService: return "InService";
  case Lifecycle::Terminating: return "Terminating";
  case Lifecycle::TerminatingWait: return "Terminating:Wait";
  case Lifecycle::Terminated: return "Terminated";
  }
  return "?";
}

static std::string instanceName(uint32_t id) { return "i-" + std::to_string(id); }

static void activity(std::vector<AsgCommand> &out, std::string text) {
  AsgCommand c;
  c.kind = AsgCommand::Activity;
  c.text = std::move(text);
  out.push_back(std::move(c));
}

AutoScaler::AutoScaler(AsgConfig c) : cfg(std::move(c)) {
  minCap = cfg.min;
  maxCap = cfg.max;
  desiredCap = std::clamp(cfg.desired, minCap, maxCap);
  history.resize(cfg.policies.size());
  scheduledDone.assign(cfg.scheduled.size(), false);
  if (cfg.zones == 0)
    cfg.zones = 1;
}

AsgInstance *AutoScaler::get(uint32_t id) {
  for (AsgInstance &i : all)
    if (i.id == id)
      return &i;
  return nullptr;
}

const AsgInstance *AutoScaler::find(uint32_t id) const {
  for (const AsgInstance &i : all)
    if (i.id == id)
      return &i;
  return nullptr;
}

int64_t AutoScaler::capacity() const {
  int64_t n = 0;
  for (const AsgInstance &i : all)
    n += i.lifecycle == Lifecycle::Pending || i.lifecycle == Lifecycle::PendingWait ||
         i.lifecycle == Lifecycle::InService;
  return n;
}

int64_t AutoScaler::inService() const {
  int64_t n = 0;
  for (const AsgInstance &i : all)
    n += i.lifecycle == Lifecycle::InService;
  return n;
}

const LifecycleHookConfig *AutoScaler::hook(bool launching) const {
  for (const LifecycleHookConfig &h : cfg.hooks)
    if (h.launching == launching)
      return &h;
  return nullptr;
}

Duration AutoScaler::warmupOf(const ScalingPolicyConfig &p) const {
  return p.warmup >= 0 ? p.warmup : cfg.defaultWarmup;
}

bool AutoScaler::warming(Instant now, const AsgInstance &i) const {
  Duration w = cfg.defaultWarmup;
  for (const ScalingPolicyConfig &p : cfg.policies)
    w = std::max(w, warmupOf(p));
  return i.lifecycle == Lifecycle::InService && now < i.inServiceAt + w;
}

void AutoScaler::start(Instant now, std::vector<AsgCommand> &out) {
  activity(out, "desired capacity " + std::to_string(desiredCap) + " (min " +
                    std::to_string(minCap) + ", max " + std::to_string(maxCap) + ")");
  reconcile(now, nullptr, out);
}

void AutoScaler::reconcile(Instant now, Rng *rng, std::vector<AsgCommand> &out) {
  int64_t have = capacity();
  while (have < desiredCap) {
    // Launch into the zone with the fewest instances (AZ balance).
    std::vector<unsigned> perZone(cfg.zones, 0);
    int64_t onDemand = 0;
    for (const AsgInstance &i : all)
      if (i.lifecycle != Lifecycle::Terminated && i.lifecycle != Lifecycle::TerminatingWait &&
          i.lifecycle != Lifecycle::Terminating) {
        ++perZone[i.zone];
        onDemand += !i.spot;
      }
    uint32_t zone = uint32_t(std::min_element(perZone.begin(), perZone.end()) - perZone.begin());
    int64_t n = have + 1;
    int64_t wantOnDemand =
        std::min<int64_t>(n, cfg.onDemandBase +
                                 int64_t(std::ceil(double(std::max<int64_t>(0, n - cfg.onDemandBase)) *
                                                   cfg.onDemandPercent / 100.0)));
    AsgInstance i;
    i.id = nextId++;
    i.zone = zone;
    i.launchedAt = now;
    i.spot = onDemand >= wantOnDemand;
    all.push_back(i);
    activity(out, "launching " + instanceName(i.id) + (i.spot ? " (spot)" : "") + " in zone " +
                      std::to_string(zone) + ": capacity " + std::to_string(have) + " -> " +
                      std::to_string(desiredCap));
    AsgCommand c;
    c.kind = AsgCommand::Launch;
    c.instance = i.id;
    c.zone = zone;
    c.spot = i.spot;
    out.push_back(c);
    ++have;
  }
  while (have > desiredCap) {
    AsgInstance *v = chooseVictim(rng);
    if (!v)
      break;
    beginTermination(now, *v,
                     "capacity " + std::to_string(have) + " -> " + std::to_string(desiredCap),
                     out);
    --have;
  }
}

AsgInstance *AutoScaler::chooseVictim(Rng *rng) {
  // Pending instances go first (they serve nothing yet), then the default
  // policy on in-service ones: the zone with the most instances, then the
  // oldest launch template, then closest to the next instance hour, then at
  // random (the caller's seeded source; the lowest id without one).
  std::vector<AsgInstance *> pool;
  for (AsgInstance &i : all)
    if ((i.lifecycle == Lifecycle::Pending || i.lifecycle == Lifecycle::PendingWait) &&
        !i.protectedFromScaleIn)
      pool.push_back(&i);
  if (pool.empty())
    for (AsgInstance &i : all)
      if (i.lifecycle == Lifecycle::InService && !i.protectedFromScaleIn)
        pool.push_back(&i);
  if (pool.empty())
    return nullptr;
  std::vector<unsigned> perZone(cfg.zones, 0);
  for (AsgInstance *i : pool)
    ++perZone[i->zone];
  unsigned most = *std::max_element(perZone.begin(), perZone.end());
  llvm::erase_if(pool, [&](AsgInstance *i) { return perZone[i->zone] != most; });
  if (cfg.termination == AsgConfig::OldestInstance || cfg.termination == AsgConfig::NewestInstance) {
    bool oldest = cfg.termination == AsgConfig::OldestInstance;
    return *std::min_element(pool.begin(), pool.end(), [&](AsgInstance *a, AsgInstance *b) {
      return oldest ? a->launchedAt < b->launchedAt : a->launchedAt > b->launchedAt;
    });
  }
  uint32_t oldestVersion = ~0u;
  for (AsgInstance *i : pool)
    oldestVersion = std::min(oldestVersion, i->templateVersion);
  llvm::erase_if(pool, [&](AsgInstance *i) { return i->templateVersion != oldestVersion; });
  if (pool.size() > 1 && rng)
    return pool[rng->below(pool.size())];
  return pool.front();
}

void AutoScaler::beginTermination(Instant now, AsgInstance &i, llvm::StringRef cause,
                                  std::vector<AsgCommand> &out) {
  bool wasServing = i.lifecycle == Lifecycle::InService;
  i.lifecycle = Lifecycle::Terminating;
  activity(out, "terminating " + instanceName(i.id) + ": " + cause.str());
  AsgCommand c;
  c.instance = i.id;
  if (wasServing) {
    // Deregister first; the hook and the termination wait for draining.
    c.kind = AsgCommand::Deregister;
    out.push_back(c);
  } else {
    onDrained(now, i.id, out);
  }
}

void AutoScaler::enterService(Instant now, AsgInstance &i, std::vector<AsgCommand> &out) {
  i.lifecycle = Lifecycle::InService;
  i.inServiceAt = now;
  AsgCommand c;
  c.kind = AsgCommand::Register;
  c.instance = i.id;
  out.push_back(c);
  activity(out, instanceName(i.id) + " is InService");
}

void AutoScaler::onRunning(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i || i->lifecycle != Lifecycle::Pending)
    return;
  if (const LifecycleHookConfig *h = hook(true)) {
    i->lifecycle = Lifecycle::PendingWait;
    i->hookDeadline = now + h->heartbeat;
    activity(out, instanceName(id) + " Pending:Wait (lifecycle hook '" + h->name + "')");
    return;
  }
  enterService(now, *i, out);
}

void AutoScaler::onStopped(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i || i->lifecycle == Lifecycle::Terminated)
    return;
  if (i->lifecycle == Lifecycle::TerminatingWait || i->lifecycle == Lifecycle::Terminating) {
    i->healthy = false;
    return;
  }
  // Leaving `running` is an immediate failure, even during the grace period.
  i->healthy = false;
  activity(out, instanceName(id) + " is unhealthy: EC2 health check has failed");
  beginTermination(now, *i, "an EC2 health check indicates it has been terminated or stopped",
                   out);
  reconcile(now, nullptr, out);
}

void AutoScaler::onElbHealth(Instant now, uint32_t id, bool healthy,
                             std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!cfg.elbHealth || !i || i->lifecycle != Lifecycle::InService || healthy)
    return;
  if (now < i->launchedAt + cfg.grace)
    return; // Health check grace period.
  i->healthy = false;
  activity(out, instanceName(id) + " is unhealthy: an ELB health check failed");
  beginTermination(now, *i, "taken out of service in response to an ELB system health check failure",
                   out);
  reconcile(now, nullptr, out);
}

void AutoScaler::onDrained(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i || i->lifecycle != Lifecycle::Terminating)
    return;
  if (const LifecycleHookConfig *h = hook(false)) {
    i->lifecycle = Lifecycle::TerminatingWait;
    i->hookDeadline = now + h->heartbeat;
    activity(out, instanceName(id) + " Terminating:Wait (lifecycle hook '" + h->name + "')");
    return;
  }
  AsgCommand c;
  c.kind = AsgCommand::Terminate;
  c.instance = id;
  out.push_back(c);
}

void AutoScaler::onTerminated(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i)
    return;
  bool wasCounted = i->lifecycle == Lifecycle::Pending || i->lifecycle == Lifecycle::PendingWait ||
                    i->lifecycle == Lifecycle::InService;
  i->lifecycle = Lifecycle::Terminated;
  activity(out, instanceName(id) + " terminated");
  if (wasCounted)
    reconcile(now, nullptr, out);
}

void AutoScaler::onSpotNotice(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i || i->lifecycle != Lifecycle::InService)
    return;
  activity(out, instanceName(id) + " received a spot interruption notice (2 minutes)");
  if (!cfg.capacityRebalance)
    return; // Replaced after the interruption and a failed health check.
  // Capacity rebalancing: launch the replacement first (may exceed max),
  // then take the old one out.
  i->protectedFromScaleIn = true;
  ++desiredCap;
  reconcile(now, nullptr, out);
  --desiredCap;
  beginTermination(now, *i, "capacity rebalancing replaced a spot instance at risk", out);
}

void AutoScaler::setDesired(Instant now, int64_t d, llvm::StringRef cause,
                            std::vector<AsgCommand> &out) {
  int64_t clamped = std::clamp(d, minCap, maxCap);
  if (clamped == desiredCap)
    return;
  activity(out, "desired capacity " + std::to_string(desiredCap) + " -> " +
                    std::to_string(clamped) + ": " + cause.str());
  desiredCap = clamped;
  reconcile(now, nullptr, out);
}

void AutoScaler::onDatapoint(Instant now, size_t pi, double value, std::vector<AsgCommand> &out) {
  assert(pi < cfg.policies.size() && "no such policy");
  const ScalingPolicyConfig &p = cfg.policies[pi];
  std::vector<double> &h = history[pi];
  h.push_back(value);
  if (h.size() > 64)
    h.erase(h.begin());
  int64_t cur = desiredCap;
  std::string vtext;
  {
    llvm::raw_string_ostream os(vtext);
    os << llvm::format("%.1f", value);
  }
  auto lastN = [&](unsigned n, auto pred) {
    if (h.size() < n)
      return false;
    for (size_t k = h.size() - n; k < h.size(); ++k)
      if (!pred(h[k]))
        return false;
    return true;
  };
  bool anyWarming = false;
  for (const AsgInstance &i : all)
    anyWarming |= warming(now, i);

  if (p.type == ScalingPolicyConfig::TargetTracking) {
    if (p.target <= 0)
      return;
    if (lastN(cfg.scaleOutDatapoints, [&](double v) { return v > p.target; })) {
      int64_t want = int64_t(std::ceil(double(std::max<int64_t>(cur, 1)) * value / p.target));
      if (want > cur) {
        h.clear();
        setDesired(now, want, "target tracking policy '" + p.name + "': metric " + vtext +
                                  " above target", out);
      }
      return;
    }
    if (p.disableScaleIn || anyWarming)
      return;
    if (lastN(cfg.scaleInDatapoints, [&](double v) { return v < 0.9 * p.target; })) {
      // Scale in only if every target-tracking policy agrees.
      int64_t want = int64_t(std::floor(double(cur) * value / p.target));
      for (size_t k = 0; k < cfg.policies.size(); ++k) {
        const ScalingPolicyConfig &o = cfg.policies[k];
        if (k == pi || o.type != ScalingPolicyConfig::TargetTracking)
          continue;
        const std::vector<double> &oh = history[k];
        if (o.disableScaleIn || oh.empty() || !(oh.back() < 0.9 * o.target))
          return;
        want = std::max(want, int64_t(std::floor(double(cur) * oh.back() / o.target)));
      }
      if (want < cur) {
        h.clear();
        setDesired(now, want, "target tracking policy '" + p.name + "': metric " + vtext +
                                  " below target", out);
      }
    }
    return;
  }

  // Step and simple policies: an alarm on a threshold.
  auto breach = [&](double v) {
    switch (p.comparison) {
    case ScalingPolicyConfig::GT: return v > p.threshold;
    case ScalingPolicyConfig::GE: return v >= p.threshold;
    case ScalingPolicyConfig::LT: return v < p.threshold;
    case ScalingPolicyConfig::LE: return v <= p.threshold;
    }
    return false;
  };
  if (!lastN(std::max(1u, p.evaluationPeriods), breach))
    return;
  int64_t adj = p.adjustment;
  if (p.type == ScalingPolicyConfig::Step) {
    adj = 0;
    double over = value - p.threshold;
    for (const StepAdjustment &s : p.steps)
      if (over >= s.lower && over < s.upper)
        adj = s.adjustment;
  } else if (now < cooldownUntil) {
    return; // Simple scaling waits for its cooldown.
  }
  int64_t want = cur;
  switch (p.adjustmentType) {
  case ScalingPolicyConfig::ChangeInCapacity: want = cur + adj; break;
  case ScalingPolicyConfig::ExactCapacity: want = adj; break;
  case ScalingPolicyConfig::PercentChange:
    want = cur + int64_t(std::trunc(double(cur) * double(adj) / 100.0));
    if (want == cur && adj != 0)
      want += adj > 0 ? 1 : -1;
    break;
  }
  if (want < cur && anyWarming)
    return;
  if (p.type == ScalingPolicyConfig::Simple)
    cooldownUntil = now + (p.cooldown >= 0 ? p.cooldown : cfg.cooldown);
  h.clear();
  setDesired(now, want,
             std::string(p.type == ScalingPolicyConfig::Step ? "step" : "simple") +
                 " scaling policy '" + p.name + "': metric " + vtext + " breached " +
                 std::to_string(int64_t(p.threshold)),
             out);
}

void AutoScaler::onWake(Instant now, Rng &rng, std::vector<AsgCommand> &out) {
  for (size_t k = 0; k < cfg.scheduled.size(); ++k) {
    const ScheduledActionConfig &s = cfg.scheduled[k];
    if (scheduledDone[k] || s.at > now)
      continue;
    scheduledDone[k] = true;
    if (s.min)
      minCap = *s.min;
    if (s.max)
      maxCap = *s.max;
    int64_t d = s.desired ? *s.desired : desiredCap;
    activity(out, "scheduled action '" + s.name + "': min " + std::to_string(minCap) + ", max " +
                      std::to_string(maxCap) + ", desired " + std::to_string(d));
    desiredCap = std::clamp(d, minCap, maxCap);
    reconcile(now, &rng, out);
  }
  for (AsgInstance &i : all) {
    if (i.hookDeadline > now)
      continue;
    i.hookDeadline = Never;
    if (i.lifecycle == Lifecycle::PendingWait) {
      const LifecycleHookConfig *h = hook(true);
      if (h && h->continueOnTimeout) {
        enterService(now, i, out);
      } else {
        activity(out, instanceName(i.id) + ": launching hook timed out (ABANDON)");
        i.lifecycle = Lifecycle::Terminating;
        onDrained(now, i.id, out);
        reconcile(now, &rng, out);
      }
    } else if (i.lifecycle == Lifecycle::TerminatingWait) {
      // CONTINUE or ABANDON: either way the instance is terminated.
      AsgCommand c;
      c.kind = AsgCommand::Terminate;
      c.instance = i.id;
      out.push_back(c);
    }
  }
  // Scale-in requested through reconcile without a random source earlier
  // picks deterministically; nothing else to do here.
}

Instant AutoScaler::nextWakeup() const {
  Instant t = Never;
  for (size_t k = 0; k < cfg.scheduled.size(); ++k)
    if (!scheduledDone[k])
      t = std::min(t, cfg.scheduled[k].at);
  for (const AsgInstance &i : all)
    t = std::min(t, i.hookDeadline);
  return t;
}

} // namespace infrac::runtime

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

AutoScaler::AutoScaler(AsgConfig c, Rng r) : cfg(std::move(c)), rng(r) {
  if (cfg.zones == 0)
    cfg.zones = 1;
  if (cfg.termination.empty() || cfg.termination.back() != AsgConfig::Default)
    cfg.termination.push_back(AsgConfig::Default);
  minCap = cfg.min;
  maxCap = cfg.max;
  desiredCap = std::clamp(cfg.desired, minCap, maxCap);
  history.resize(cfg.policies.size());
  scheduledDone.assign(cfg.scheduled.size(), false);
  zoneUp.assign(cfg.zones, true);
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

bool AutoScaler::counted(const AsgInstance &i) const {
  return (i.lifecycle == Lifecycle::Pending || i.lifecycle == Lifecycle::PendingWait ||
          i.lifecycle == Lifecycle::InService) &&
         !i.rebalancing;
}

int64_t AutoScaler::capacity() const {
  int64_t n = 0;
  for (const AsgInstance &i : all)
    n += counted(i);
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
  reconcile(now, out);
}

void AutoScaler::reconcile(Instant now, std::vector<AsgCommand> &out) {
  int64_t have = capacity();
  while (have < desiredCap) {
    // Launch into the usable zone with the fewest instances (AZ balance).
    std::vector<unsigned> perZone(cfg.zones, 0);
    int64_t onDemand = 0;
    for (const AsgInstance &i : all)
      if (counted(i)) {
        ++perZone[i.zone];
        onDemand += !i.spot;
      }
    int zone = -1;
    for (unsigned z = 0; z < cfg.zones; ++z)
      if (zoneUp[z] && (zone < 0 || perZone[z] < perZone[zone]))
        zone = int(z);
    if (zone < 0) {
      activity(out, "cannot launch: no availability zone of the group is usable (capacity " +
                        std::to_string(have) + ", desired " + std::to_string(desiredCap) + ")");
      break;
    }
    int64_t n = have + 1;
    int64_t wantOnDemand = std::min<int64_t>(
        n, cfg.onDemandBase +
               int64_t(std::ceil(double(std::max<int64_t>(0, n - cfg.onDemandBase)) *
                                 cfg.onDemandPercent / 100.0)));
    AsgInstance i;
    i.id = shared ? shared->next() : own.next();
    i.zone = uint32_t(zone);
    i.launchedAt = now;
    i.spot = onDemand >= wantOnDemand;
    // A spot instance at risk whose replacement has not been launched yet.
    for (const AsgInstance &r : all)
      if (r.rebalancing && r.lifecycle == Lifecycle::InService &&
          std::none_of(all.begin(), all.end(),
                       [&](const AsgInstance &o) { return o.replaces == r.id; })) {
        i.replaces = r.id;
        break;
      }
    all.push_back(i);
    activity(out, "launching " + instanceName(i.id) + (i.spot ? " (spot)" : "") + " in zone " +
                      std::to_string(zone) + ": capacity " + std::to_string(have) + " -> " +
                      std::to_string(desiredCap));
    AsgCommand c;
    c.kind = AsgCommand::Launch;
    c.instance = i.id;
    c.zone = uint32_t(zone);
    c.spot = i.spot;
    out.push_back(c);
    ++have;
  }
  while (have > desiredCap) {
    AsgInstance *v = chooseVictim(now);
    if (!v)
      break;
    beginTermination(now, *v,
                     "capacity " + std::to_string(have) + " -> " + std::to_string(desiredCap),
                     out);
    --have;
  }
}

AsgInstance *AutoScaler::chooseVictim(Instant now) {
  // AZ balance first: the zone with the most instances that has one not
  // protected from scale-in; then the termination policies in order; the
  // default policy is the oldest launch template, then the closest to the
  // next instance hour, then a seeded random choice.
  std::vector<unsigned> perZone(cfg.zones, 0);
  std::vector<AsgInstance *> pool;
  for (AsgInstance &i : all)
    if (counted(i)) {
      ++perZone[i.zone];
      if (!i.protectedFromScaleIn)
        pool.push_back(&i);
    }
  if (pool.empty())
    return nullptr;
  unsigned most = 0;
  for (AsgInstance *i : pool)
    most = std::max(most, perZone[i->zone]);
  llvm::erase_if(pool, [&](AsgInstance *i) { return perZone[i->zone] != most; });
  auto keepBest = [&](auto key) { // Keeps the instances with the largest key.
    auto best = key(*pool.front());
    for (AsgInstance *i : pool)
      best = std::max(best, key(*i));
    llvm::erase_if(pool, [&](AsgInstance *i) { return key(*i) != best; });
  };
  auto oldestTemplate = [](const AsgInstance &i) { return -int64_t(i.templateVersion); };
  auto closestToHour = [&](const AsgInstance &i) {
    return (now - i.launchedAt) % seconds(3600);
  };
  for (AsgConfig::Termination t : cfg.termination) {
    switch (t) {
    case AsgConfig::OldestInstance:
      keepBest([](const AsgInstance &i) { return -i.launchedAt; });
      break;
    case AsgConfig::NewestInstance:
      keepBest([](const AsgInstance &i) { return i.launchedAt; });
      break;
    case AsgConfig::OldestLaunchTemplate:
      keepBest(oldestTemplate);
      break;
    case AsgConfig::ClosestToNextInstanceHour:
      keepBest(closestToHour);
      break;
    case AsgConfig::Default:
      keepBest(oldestTemplate);
      if (pool.size() > 1)
        keepBest(closestToHour);
      break;
    }
    if (pool.size() == 1 || t == AsgConfig::Default)
      break;
  }
  return pool[pool.size() == 1 ? 0 : rng.below(pool.size())];
}

void AutoScaler::beginTermination(Instant now, AsgInstance &i, llvm::StringRef cause,
                                  std::vector<AsgCommand> &out) {
  bool wasServing = i.lifecycle == Lifecycle::InService;
  i.lifecycle = Lifecycle::Terminating;
  i.hookDeadline = Never;
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
  i.hookDeadline = Never;
  AsgCommand c;
  c.kind = AsgCommand::Register;
  c.instance = i.id;
  out.push_back(c);
  activity(out, instanceName(i.id) + " is InService");
  // Without ELB health checks, being in service is all the replacement of
  // an at-risk spot instance waits for.
  if (i.replaces && !cfg.elbHealth)
    finishRebalance(now, i, out);
  activityDone(now);
}

void AutoScaler::finishRebalance(Instant now, const AsgInstance &replacement,
                                 std::vector<AsgCommand> &out) {
  uint32_t oldId = replacement.replaces;
  AsgInstance *old = get(oldId);
  if (!old || !old->rebalancing || old->lifecycle != Lifecycle::InService)
    return;
  beginTermination(now, *old,
                   "capacity rebalancing: its replacement " + instanceName(replacement.id) +
                       " is in service",
                   out);
}

void AutoScaler::activityDone(Instant now) {
  if (cooldownPending < 0)
    return;
  for (const AsgInstance &i : all)
    if (i.lifecycle != Lifecycle::InService && i.lifecycle != Lifecycle::Terminated)
      return; // Still launching or terminating.
  cooldownUntil = now + cooldownPending;
  cooldownPending = -1;
}

void AutoScaler::onRunning(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i || i->lifecycle != Lifecycle::Pending)
    return;
  if (const LifecycleHookConfig *h = hook(true)) {
    i->lifecycle = Lifecycle::PendingWait;
    i->hookDeadline = now + h->heartbeat;
    activity(out, instanceName(id) + " " + lifecycleName(i->lifecycle) + " (lifecycle hook '" +
                      h->name + "')");
    return;
  }
  enterService(now, *i, out);
}

void AutoScaler::onStopped(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i || i->lifecycle == Lifecycle::Terminated)
    return;
  i->healthy = false;
  if (i->lifecycle == Lifecycle::TerminatingWait || i->lifecycle == Lifecycle::Terminating)
    return;
  // Leaving `running` is an immediate failure, even during the grace period.
  activity(out, instanceName(id) + " is unhealthy: EC2 health check has failed");
  beginTermination(now, *i, "an EC2 health check indicates it has been terminated or stopped",
                   out);
  reconcile(now, out);
}

void AutoScaler::replaceUnhealthy(Instant now, AsgInstance &i, std::vector<AsgCommand> &out) {
  i.healthy = false;
  activity(out, instanceName(i.id) + " is unhealthy: an ELB health check failed");
  beginTermination(now, i,
                   "taken out of service in response to an ELB system health check failure",
                   out);
  reconcile(now, out);
}

void AutoScaler::onElbHealth(Instant now, uint32_t id, bool healthy,
                             std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!cfg.elbHealth || !i)
    return; // ELB results are ignored unless the group uses them.
  i->elbUnhealthy = !healthy;
  if (i->lifecycle != Lifecycle::InService)
    return;
  if (healthy) {
    if (i->replaces)
      finishRebalance(now, *i, out);
    return;
  }
  if (now < i->inServiceAt + cfg.grace)
    return; // Health check grace period: judged again when it ends.
  replaceUnhealthy(now, *i, out);
}

void AutoScaler::onDrained(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i || i->lifecycle != Lifecycle::Terminating)
    return;
  if (const LifecycleHookConfig *h = hook(false)) {
    i->lifecycle = Lifecycle::TerminatingWait;
    i->hookDeadline = now + h->heartbeat;
    activity(out, instanceName(id) + " " + lifecycleName(i->lifecycle) + " (lifecycle hook '" +
                      h->name + "')");
    return;
  }
  AsgCommand c;
  c.kind = AsgCommand::Terminate;
  c.instance = id;
  out.push_back(c);
}

void AutoScaler::onTerminated(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i || i->lifecycle == Lifecycle::Terminated)
    return;
  i->lifecycle = Lifecycle::Terminated;
  i->hookDeadline = Never;
  activity(out, instanceName(id) + " terminated");
  reconcile(now, out);
  activityDone(now);
}

void AutoScaler::onSpotNotice(Instant now, uint32_t id, std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i || i->lifecycle != Lifecycle::InService || i->rebalancing)
    return;
  activity(out, instanceName(id) + " received a spot interruption notice (2 minutes)");
  if (!cfg.capacityRebalance)
    return; // Replaced after the interruption and a failed health check.
  // Capacity rebalancing: launch the replacement first (the group may run
  // above max meanwhile); the old instance is terminated once it serves.
  i->rebalancing = true;
  activity(out,
           "capacity rebalancing: replacing " + instanceName(id) + " before it is interrupted");
  reconcile(now, out);
}

void AutoScaler::completeLifecycleAction(Instant now, uint32_t id, bool proceed,
                                         std::vector<AsgCommand> &out) {
  AsgInstance *i = get(id);
  if (!i)
    return;
  if (i->lifecycle == Lifecycle::PendingWait) {
    if (proceed) {
      enterService(now, *i, out);
    } else {
      activity(out, instanceName(id) + ": launching lifecycle action ABANDON");
      i->lifecycle = Lifecycle::Terminating;
      onDrained(now, id, out);
      reconcile(now, out);
    }
  } else if (i->lifecycle == Lifecycle::TerminatingWait) {
    i->hookDeadline = Never;
    AsgCommand c;
    c.kind = AsgCommand::Terminate;
    c.instance = id;
    out.push_back(c);
  }
}

void AutoScaler::setZoneAvailable(Instant now, uint32_t zone, bool available,
                                  std::vector<AsgCommand> &out) {
  if (zone >= cfg.zones || zoneUp[zone] == available)
    return;
  zoneUp[zone] = available;
  activity(out, "zone " + std::to_string(zone) +
                    (available ? " is usable again" : " is unusable: launching elsewhere"));
  reconcile(now, out);
}

void AutoScaler::setDesired(Instant now, int64_t d, llvm::StringRef cause,
                            std::vector<AsgCommand> &out) {
  int64_t clamped = std::clamp(d, minCap, maxCap);
  if (clamped == desiredCap)
    return;
  activity(out, "desired capacity " + std::to_string(desiredCap) + " -> " +
                    std::to_string(clamped) + ": " + cause.str());
  desiredCap = clamped;
  reconcile(now, out);
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
  } else if (cooldownPending >= 0 || now < cooldownUntil) {
    return; // Simple scaling waits for its activity and then its cooldown.
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
  h.clear();
  int64_t before = desiredCap;
  setDesired(now, want,
             std::string(p.type == ScalingPolicyConfig::Step ? "step" : "simple") +
                 " scaling policy '" + p.name + "': metric " + vtext + " breached " +
                 std::to_string(int64_t(p.threshold)),
             out);
  if (p.type == ScalingPolicyConfig::Simple && desiredCap != before) {
    cooldownPending = p.cooldown >= 0 ? p.cooldown : cfg.cooldown;
    activityDone(now);
  }
}

void AutoScaler::onWake(Instant now, std::vector<AsgCommand> &out) {
  for (size_t k = 0; k < cfg.scheduled.size(); ++k) {
    const ScheduledActionConfig &sa = cfg.scheduled[k];
    if (scheduledDone[k] || sa.at > now)
      continue;
    scheduledDone[k] = true;
    if (sa.min)
      minCap = *sa.min;
    if (sa.max)
      maxCap = std::max(*sa.max, minCap);
    int64_t d = sa.desired ? *sa.desired : desiredCap;
    activity(out, "scheduled action '" + sa.name + "': min " + std::to_string(minCap) +
                      ", max " + std::to_string(maxCap) + ", desired " + std::to_string(d));
    desiredCap = std::clamp(d, minCap, maxCap);
    reconcile(now, out);
  }
  // Index loop: handling one instance may launch another (push_back).
  for (size_t k = 0; k < all.size(); ++k) {
    AsgInstance &i = all[k];
    if (i.hookDeadline <= now) {
      i.hookDeadline = Never;
      if (i.lifecycle == Lifecycle::PendingWait) {
        const LifecycleHookConfig *h = hook(true);
        bool proceed = h && h->continueOnTimeout;
        activity(out, instanceName(i.id) + ": launching lifecycle hook timed out (" +
                          (proceed ? "CONTINUE" : "ABANDON") + ")");
        completeLifecycleAction(now, i.id, proceed, out);
      } else if (i.lifecycle == Lifecycle::TerminatingWait) {
        // CONTINUE or ABANDON: either way the instance is terminated.
        completeLifecycleAction(now, i.id, true, out);
      }
      continue;
    }
    if (cfg.elbHealth && i.lifecycle == Lifecycle::InService && i.elbUnhealthy &&
        now >= i.inServiceAt + cfg.grace)
      replaceUnhealthy(now, all[k], out);
  }
}

Instant AutoScaler::nextWakeup() const {
  Instant t = Never;
  for (size_t k = 0; k < cfg.scheduled.size(); ++k)
    if (!scheduledDone[k])
      t = std::min(t, cfg.scheduled[k].at);
  for (const AsgInstance &i : all) {
    t = std::min(t, i.hookDeadline);
    if (cfg.elbHealth && i.lifecycle == Lifecycle::InService && i.elbUnhealthy)
      t = std::min(t, i.inServiceAt + cfg.grace);
  }
  return t;
}

} // namespace infrac::runtime

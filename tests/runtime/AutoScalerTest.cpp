//===- AutoScalerTest.cpp - EC2 Auto Scaling as a state machine -----------===//

#include "Controllers/Controllers.h"

#include <gtest/gtest.h>

#include <set>

using namespace infrac::runtime;

namespace {

using Cmds = std::vector<AsgCommand>;

std::vector<uint32_t> ids(const Cmds &out, AsgCommand::Kind k) {
  std::vector<uint32_t> v;
  for (const AsgCommand &c : out)
    if (c.kind == k)
      v.push_back(c.instance);
  return v;
}

std::string activities(const Cmds &out) {
  std::string s;
  for (const AsgCommand &c : out)
    if (c.kind == AsgCommand::Activity)
      s += c.text + "\n";
  return s;
}

AsgConfig config(int64_t min, int64_t max, int64_t desired, unsigned zones = 2) {
  AsgConfig c;
  c.name = "web";
  c.min = min;
  c.max = max;
  c.desired = desired;
  c.zones = zones;
  return c;
}

/// Starts the group and brings every launched instance into service at `at`.
AutoScaler started(AsgConfig c, Instant at = 0, uint64_t seed = 1) {
  AutoScaler a(std::move(c), Rng(seed));
  Cmds out;
  a.start(0, out);
  for (uint32_t id : ids(out, AsgCommand::Launch)) {
    Cmds more;
    a.onRunning(at, id, more);
  }
  return a;
}

void bringUp(AutoScaler &a, const Cmds &out, Instant at) {
  for (uint32_t id : ids(out, AsgCommand::Launch)) {
    Cmds more;
    a.onRunning(at, id, more);
  }
}

TEST(AutoScalerTest, StartLaunchesTheDesiredCapacityAcrossZones) {
  AutoScaler a(config(2, 6, 4), Rng(1));
  Cmds out;
  a.start(0, out);
  std::vector<uint32_t> zones;
  for (const AsgCommand &c : out)
    if (c.kind == AsgCommand::Launch)
      zones.push_back(c.zone);
  EXPECT_EQ(zones, (std::vector<uint32_t>{0, 1, 0, 1}));
  EXPECT_EQ(a.capacity(), 4);
  EXPECT_EQ(a.inService(), 0);
  Cmds more;
  a.onRunning(seconds(30), ids(out, AsgCommand::Launch)[1], more);
  EXPECT_EQ(ids(more, AsgCommand::Register).size(), 1u);
  EXPECT_EQ(a.inService(), 1);
}

TEST(AutoScalerTest, DesiredCapacityStaysWithinBounds) {
  AutoScaler a = started(config(2, 5, 3));
  Cmds out;
  a.setDesired(seconds(1), 100, "test", out);
  EXPECT_EQ(a.desired(), 5);
  EXPECT_EQ(a.capacity(), 5);
  out.clear();
  a.setDesired(seconds(2), -3, "test", out);
  EXPECT_EQ(a.desired(), 2);
  EXPECT_EQ(a.capacity(), 2);
  EXPECT_EQ(ids(out, AsgCommand::Deregister).size() + ids(out, AsgCommand::Terminate).size(), 3u);
}

TEST(AutoScalerTest, AStoppedInstanceIsTerminatedAndReplaced) {
  AutoScaler a = started(config(2, 4, 2));
  uint32_t victim = a.instances()[0].id;
  Cmds out;
  a.onStopped(seconds(10), victim, out);
  EXPECT_EQ(ids(out, AsgCommand::Deregister), std::vector<uint32_t>{victim});
  EXPECT_EQ(ids(out, AsgCommand::Launch).size(), 1u);
  EXPECT_NE(activities(out).find("EC2 health check"), std::string::npos) << activities(out);
  EXPECT_EQ(a.capacity(), 2);
  Cmds drained;
  a.onDrained(seconds(11), victim, drained);
  EXPECT_EQ(ids(drained, AsgCommand::Terminate), std::vector<uint32_t>{victim});
  Cmds gone;
  a.onTerminated(seconds(12), victim, gone);
  EXPECT_TRUE(ids(gone, AsgCommand::Launch).empty()) << "already replaced";
  EXPECT_EQ(a.find(victim)->lifecycle, Lifecycle::Terminated);
}

TEST(AutoScalerTest, ElbHealthCountsOnlyAfterTheGracePeriod) {
  AsgConfig c = config(1, 3, 1, 1);
  c.elbHealth = true;
  c.grace = seconds(60);
  AutoScaler a = started(c, seconds(0));
  uint32_t id = a.instances()[0].id;
  Cmds out;
  a.onElbHealth(seconds(20), id, false, out);
  EXPECT_TRUE(ids(out, AsgCommand::Deregister).empty()) << "within the grace period";
  EXPECT_EQ(a.nextWakeup(), seconds(60));
  a.onWake(seconds(60), out);
  EXPECT_EQ(ids(out, AsgCommand::Deregister), std::vector<uint32_t>{id})
      << "still unhealthy when the grace period ends";
  EXPECT_EQ(ids(out, AsgCommand::Launch).size(), 1u);

  // Unhealthy then healthy again within the grace period: kept.
  AutoScaler b = started(c);
  uint32_t bid = b.instances()[0].id;
  Cmds o2;
  b.onElbHealth(seconds(20), bid, false, o2);
  b.onElbHealth(seconds(40), bid, true, o2);
  b.onWake(seconds(60), o2);
  EXPECT_TRUE(ids(o2, AsgCommand::Deregister).empty());
  // After the grace period a failure replaces at once.
  b.onElbHealth(seconds(90), bid, false, o2);
  EXPECT_EQ(ids(o2, AsgCommand::Deregister), std::vector<uint32_t>{bid});

  // Without the ELB health check type, ELB results are ignored.
  AutoScaler e = started(config(1, 3, 1, 1));
  Cmds o3;
  e.onElbHealth(seconds(500), e.instances()[0].id, false, o3);
  EXPECT_TRUE(o3.empty());
}

TEST(AutoScalerTest, LifecycleHooksHoldLaunchAndTermination) {
  AsgConfig c = config(1, 3, 1, 1);
  c.hooks.push_back({"warm", true, seconds(30), true});
  c.hooks.push_back({"flush", false, seconds(60), false});
  AutoScaler a(c, Rng(1));
  Cmds out;
  a.start(0, out);
  uint32_t id = ids(out, AsgCommand::Launch)[0];
  Cmds w;
  a.onRunning(seconds(10), id, w);
  EXPECT_EQ(a.find(id)->lifecycle, Lifecycle::PendingWait);
  EXPECT_TRUE(ids(w, AsgCommand::Register).empty());
  EXPECT_EQ(a.nextWakeup(), seconds(40));
  a.onWake(seconds(40), w);
  EXPECT_EQ(a.find(id)->lifecycle, Lifecycle::InService) << "default result CONTINUE";
  EXPECT_EQ(ids(w, AsgCommand::Register), std::vector<uint32_t>{id});
  Cmds t;
  a.setDesired(seconds(50), 0, "test", t); // Clamped to min 1: nothing.
  EXPECT_TRUE(ids(t, AsgCommand::Deregister).empty());
  a.onStopped(seconds(50), id, t);
  a.onDrained(seconds(55), id, t);
  EXPECT_EQ(a.find(id)->lifecycle, Lifecycle::TerminatingWait);
  EXPECT_TRUE(ids(t, AsgCommand::Terminate).empty());
  Cmds done;
  a.completeLifecycleAction(seconds(56), id, true, done);
  EXPECT_EQ(ids(done, AsgCommand::Terminate), std::vector<uint32_t>{id});

  // ABANDON on a launch: the instance is terminated and another launched.
  AsgConfig ab = config(1, 3, 1, 1);
  ab.hooks.push_back({"check", true, seconds(30), false});
  AutoScaler b(ab, Rng(1));
  Cmds o;
  b.start(0, o);
  uint32_t bid = ids(o, AsgCommand::Launch)[0];
  b.onRunning(seconds(1), bid, o);
  Cmds timeout;
  b.onWake(seconds(31), timeout);
  EXPECT_EQ(ids(timeout, AsgCommand::Terminate), std::vector<uint32_t>{bid});
  EXPECT_EQ(ids(timeout, AsgCommand::Launch).size(), 1u);
  EXPECT_NE(activities(timeout).find("ABANDON"), std::string::npos);
}

AsgConfig tracking(double target, int64_t desired = 2) {
  AsgConfig c = config(1, 10, desired);
  ScalingPolicyConfig p;
  p.name = "cpu";
  p.type = ScalingPolicyConfig::TargetTracking;
  p.target = target;
  c.policies.push_back(p);
  return c;
}

TEST(AutoScalerTest, TargetTrackingScalesOutAfterThreeDatapointsRoundingUp) {
  AutoScaler a = started(tracking(50));
  Cmds out;
  a.onDatapoint(seconds(60), 0, 60, out);
  a.onDatapoint(seconds(120), 0, 60, out);
  EXPECT_EQ(a.desired(), 2);
  a.onDatapoint(seconds(180), 0, 60, out);
  EXPECT_EQ(a.desired(), 3) << "ceil(2 * 60 / 50) = 3";
  EXPECT_EQ(ids(out, AsgCommand::Launch).size(), 1u);
  EXPECT_NE(activities(out).find("target tracking policy 'cpu'"), std::string::npos);
  // A breach interrupted by a datapoint under the target starts over.
  AutoScaler b = started(tracking(50));
  Cmds o;
  b.onDatapoint(seconds(60), 0, 90, o);
  b.onDatapoint(seconds(120), 0, 40, o);
  b.onDatapoint(seconds(180), 0, 90, o);
  b.onDatapoint(seconds(240), 0, 90, o);
  EXPECT_EQ(b.desired(), 2);
  b.onDatapoint(seconds(300), 0, 90, o);
  EXPECT_EQ(b.desired(), 4);
}

TEST(AutoScalerTest, TargetTrackingScalesInSlowlyRoundingDown) {
  AutoScaler a = started(tracking(50, 5));
  Cmds out;
  for (int i = 1; i < 15; ++i)
    a.onDatapoint(seconds(60 * i), 0, 20, out);
  EXPECT_EQ(a.desired(), 5) << "fifteen datapoints below the target are needed";
  a.onDatapoint(seconds(900), 0, 20, out);
  EXPECT_EQ(a.desired(), 2) << "floor(5 * 20 / 50) = 2";
}

TEST(AutoScalerTest, ScaleInOnlyWhenEveryPolicyAgrees) {
  AsgConfig c = tracking(50, 5);
  ScalingPolicyConfig req;
  req.name = "requests";
  req.metric = Metric::RequestCountPerTarget;
  req.target = 1000;
  c.policies.push_back(req);
  AutoScaler a = started(c);
  Cmds out;
  for (int i = 1; i <= 20; ++i) {
    a.onDatapoint(seconds(60 * i), 1, 950, out); // Neither above the target nor low.
    a.onDatapoint(seconds(60 * i), 0, 10, out);
  }
  EXPECT_EQ(a.desired(), 5) << "the request policy does not agree to scale in";
  // Scale-out needs only one policy.
  AutoScaler b = started(c);
  Cmds o;
  for (int i = 1; i <= 3; ++i) {
    b.onDatapoint(seconds(60 * i), 0, 10, o);
    b.onDatapoint(seconds(60 * i), 1, 3000, o);
  }
  EXPECT_EQ(b.desired(), 10) << "ceil(5 * 3000 / 1000) = 15, clamped to max";
}

TEST(AutoScalerTest, WarmingInstancesBlockScaleIn) {
  AsgConfig c = tracking(50, 4);
  c.defaultWarmup = seconds(3600);
  AutoScaler a = started(c);
  EXPECT_TRUE(a.warming(seconds(10), a.instances()[0]));
  Cmds out;
  for (int i = 1; i <= 20; ++i)
    a.onDatapoint(seconds(60 * i), 0, 5, out);
  EXPECT_EQ(a.desired(), 4);
  EXPECT_FALSE(a.warming(seconds(3600), a.instances()[0]));
}

TEST(AutoScalerTest, StepPolicyPicksTheStepOfTheBreach) {
  AsgConfig c = config(1, 20, 4);
  ScalingPolicyConfig p;
  p.name = "steps";
  p.type = ScalingPolicyConfig::Step;
  p.threshold = 70;
  p.comparison = ScalingPolicyConfig::GT;
  p.steps = {{0, 10, 1}, {10, 1e300, 3}};
  c.policies.push_back(p);
  AutoScaler a = started(c);
  Cmds out;
  a.onDatapoint(seconds(60), 0, 75, out);
  EXPECT_EQ(a.desired(), 5);
  a.onDatapoint(seconds(120), 0, 95, out);
  EXPECT_EQ(a.desired(), 8);
  a.onDatapoint(seconds(180), 0, 50, out);
  EXPECT_EQ(a.desired(), 8) << "no breach";
}

TEST(AutoScalerTest, SimpleScalingCooldownStartsWhenTheActivityEnds) {
  AsgConfig c = config(1, 10, 2, 1);
  ScalingPolicyConfig p;
  p.name = "add";
  p.type = ScalingPolicyConfig::Simple;
  p.threshold = 80;
  p.adjustment = 1;
  p.cooldown = seconds(100);
  c.policies.push_back(p);
  AutoScaler a = started(c);
  Cmds out;
  a.onDatapoint(seconds(0), 0, 90, out);
  EXPECT_EQ(a.desired(), 3);
  std::vector<uint32_t> launched = ids(out, AsgCommand::Launch);
  a.onDatapoint(seconds(10), 0, 90, out);
  EXPECT_EQ(a.desired(), 3) << "the launch is still in progress";
  Cmds up;
  a.onRunning(seconds(30), launched[0], up); // Activity done: cooldown to 130 s.
  a.onDatapoint(seconds(120), 0, 90, out);
  EXPECT_EQ(a.desired(), 3) << "in cooldown";
  a.onDatapoint(seconds(131), 0, 90, out);
  EXPECT_EQ(a.desired(), 4);
  // Percent change: at least one instance.
  AsgConfig pc = config(1, 10, 2, 1);
  p.adjustmentType = ScalingPolicyConfig::PercentChange;
  p.adjustment = 10;
  pc.policies.push_back(p);
  AutoScaler b = started(pc);
  Cmds o;
  b.onDatapoint(0, 0, 99, o);
  EXPECT_EQ(b.desired(), 3);
}

TEST(AutoScalerTest, ScheduledActionsRunAtTheirTime) {
  AsgConfig c = config(1, 10, 2);
  c.scheduled.push_back({"morning", seconds(50), 3, std::nullopt, 5});
  AutoScaler a = started(c);
  EXPECT_EQ(a.nextWakeup(), seconds(50));
  Cmds out;
  a.onWake(seconds(50), out);
  EXPECT_EQ(a.minSize(), 3);
  EXPECT_EQ(a.desired(), 5);
  EXPECT_EQ(ids(out, AsgCommand::Launch).size(), 3u);
  EXPECT_EQ(a.nextWakeup(), Never);
}

TEST(AutoScalerTest, TerminationPolicyBalancesZonesThenChoosesBySeed) {
  std::set<uint32_t> victims;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    AutoScaler a = started(config(1, 10, 4), 0, seed); // Zones 0,1,0,1.
    Cmds out;
    a.setDesired(seconds(100), 5, "up", out);          // A fifth in zone 0.
    bringUp(a, out, seconds(130));
    Cmds in;
    a.setDesired(seconds(200), 4, "down", in);
    std::vector<uint32_t> v = ids(in, AsgCommand::Deregister);
    ASSERT_EQ(v.size(), 1u);
    const AsgInstance *i = a.find(v[0]);
    EXPECT_EQ(i->zone, 0u) << "the zone with the most instances";
    EXPECT_EQ(i->launchedAt, 0) << "closest to the next instance hour";
    victims.insert(v[0]);
    // The same seed makes the same choice.
    AutoScaler b = started(config(1, 10, 4), 0, seed);
    Cmds o2, i2;
    b.setDesired(seconds(100), 5, "up", o2);
    bringUp(b, o2, seconds(130));
    b.setDesired(seconds(200), 4, "down", i2);
    EXPECT_EQ(ids(i2, AsgCommand::Deregister), v);
  }
  EXPECT_EQ(victims.size(), 2u) << "a random choice between the two oldest of zone 0";

  AsgConfig newest = config(1, 10, 4);
  newest.termination = {AsgConfig::NewestInstance};
  AutoScaler n = started(newest);
  Cmds out, in;
  n.setDesired(seconds(100), 5, "up", out);
  uint32_t fifth = ids(out, AsgCommand::Launch)[0];
  bringUp(n, out, seconds(130));
  n.setDesired(seconds(200), 4, "down", in);
  EXPECT_EQ(ids(in, AsgCommand::Deregister), std::vector<uint32_t>{fifth});
}

TEST(AutoScalerTest, SpotNoticeWithCapacityRebalancingLaunchesFirst) {
  AsgConfig c = config(1, 2, 2, 1);
  c.onDemandPercent = 0;
  c.capacityRebalance = true;
  AutoScaler a = started(c);
  uint32_t old = a.instances()[0].id;
  ASSERT_TRUE(a.instances()[0].spot);
  Cmds out;
  a.onSpotNotice(seconds(10), old, out);
  std::vector<uint32_t> launched = ids(out, AsgCommand::Launch);
  ASSERT_EQ(launched.size(), 1u) << activities(out);
  EXPECT_TRUE(ids(out, AsgCommand::Deregister).empty()) << "the old one serves meanwhile";
  EXPECT_EQ(a.capacity(), 2);
  EXPECT_EQ(a.inService(), 2);
  Cmds up;
  a.onRunning(seconds(40), launched[0], up);
  EXPECT_EQ(ids(up, AsgCommand::Deregister), std::vector<uint32_t>{old});

  // Without rebalancing: replaced only once it is interrupted.
  c.capacityRebalance = false;
  AutoScaler b = started(c);
  uint32_t bold = b.instances()[0].id;
  Cmds o;
  b.onSpotNotice(seconds(10), bold, o);
  EXPECT_TRUE(ids(o, AsgCommand::Launch).empty());
  b.onStopped(seconds(130), bold, o);
  EXPECT_EQ(ids(o, AsgCommand::Launch).size(), 1u);
}

TEST(AutoScalerTest, LosingAZoneLaunchesInTheOthers) {
  AutoScaler a = started(config(2, 6, 4));
  Cmds out;
  a.setZoneAvailable(seconds(10), 1, false, out);
  for (const AsgInstance &i : std::vector<AsgInstance>(a.instances()))
    if (i.zone == 1)
      a.onStopped(seconds(10), i.id, out);
  for (const AsgCommand &c : out) {
    if (c.kind == AsgCommand::Launch) {
      EXPECT_EQ(c.zone, 0u);
    }
  }
  EXPECT_EQ(ids(out, AsgCommand::Launch).size(), 2u);
  EXPECT_EQ(a.capacity(), 4);
  AutoScaler b = started(config(1, 2, 1, 1));
  Cmds o;
  b.setZoneAvailable(seconds(1), 0, false, o);
  b.onStopped(seconds(1), b.instances()[0].id, o);
  EXPECT_NE(activities(o).find("cannot launch"), std::string::npos);
}

} // namespace

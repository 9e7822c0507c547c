//===- TargetGroupTest.cpp - Health checks, draining, target selection ----===//

#include "Controllers/Controllers.h"

#include <gtest/gtest.h>

#include <map>

using namespace infrac::runtime;

namespace {

ProbeResult ok() { return {ProbeResult::Status, 200}; }
ProbeResult code(int c) { return {ProbeResult::Status, c}; }
ProbeResult timeout() { return {ProbeResult::Timeout, 0}; }
ProbeResult refused() { return {ProbeResult::ConnectFailed, 0}; }

HealthCheckConfig hc(unsigned healthy = 3, unsigned unhealthy = 2) {
  HealthCheckConfig c;
  c.interval = seconds(10);
  c.timeout = seconds(5);
  c.healthyThreshold = healthy;
  c.unhealthyThreshold = unhealthy;
  return c;
}

TEST(MatcherTest, CodesListsAndRanges) {
  EXPECT_TRUE(matcherAccepts("200", 200));
  EXPECT_FALSE(matcherAccepts("200", 204));
  EXPECT_TRUE(matcherAccepts("200,302", 302));
  EXPECT_TRUE(matcherAccepts("200-299", 204));
  EXPECT_FALSE(matcherAccepts("200-299", 301));
  EXPECT_TRUE(matcherAccepts("200-399, 404", 404));
}

TEST(HealthCheckerTest, RegistrationThenOnePassingCheckMakesItHealthy) {
  HealthChecker h(hc());
  Rng rng(1);
  Target t;
  Instant first = h.onRegistered(seconds(100), t, rng);
  EXPECT_GE(first, seconds(100));
  EXPECT_LT(first, seconds(101));
  EXPECT_EQ(t.state, TargetState::Initial);
  EXPECT_STREQ(reasonCode(t.reason), "Elb.RegistrationInProgress");
  EXPECT_TRUE(h.onProbeSent(first, t));
  EXPECT_STREQ(reasonCode(t.reason), "Elb.InitialHealthChecking");
  auto tr = h.onProbeResult(first + millis(5), t, ok());
  ASSERT_TRUE(tr);
  EXPECT_EQ(tr->from, TargetState::Initial);
  EXPECT_EQ(tr->to, TargetState::Healthy);
  EXPECT_EQ(t.state, TargetState::Healthy);
  EXPECT_EQ(h.nextProbe(first), first + seconds(10));
  EXPECT_EQ(h.probeDeadline(first), first + seconds(5));
}

TEST(HealthCheckerTest, InitialTargetFailingItsChecksBecomesUnhealthy) {
  HealthChecker h(hc(3, 2));
  Rng rng(1);
  Target t;
  h.onRegistered(0, t, rng);
  h.onProbeSent(seconds(1), t);
  EXPECT_FALSE(h.onProbeResult(seconds(1), t, code(503)));
  EXPECT_EQ(t.state, TargetState::Initial);
  EXPECT_STREQ(reasonCode(t.reason), "Elb.InitialHealthChecking");
  auto tr = h.onProbeResult(seconds(11), t, code(503));
  ASSERT_TRUE(tr);
  EXPECT_EQ(tr->to, TargetState::Unhealthy);
  EXPECT_EQ(tr->reason, Reason::ResponseCodeMismatch);
  EXPECT_EQ(tr->status, 503);
  EXPECT_STREQ(reasonCode(t.reason), "Target.ResponseCodeMismatch");
}

TEST(HealthCheckerTest, ThresholdsAndReasonCodes) {
  HealthChecker h(hc(3, 2));
  Target t;
  t.state = TargetState::Healthy;
  t.reason = Reason::None;
  // One failure is not enough; a pass in between resets the count.
  EXPECT_FALSE(h.onProbeResult(seconds(10), t, timeout()));
  EXPECT_FALSE(h.onProbeResult(seconds(20), t, ok()));
  EXPECT_FALSE(h.onProbeResult(seconds(30), t, timeout()));
  auto tr = h.onProbeResult(seconds(40), t, timeout());
  ASSERT_TRUE(tr);
  EXPECT_EQ(tr->to, TargetState::Unhealthy);
  EXPECT_STREQ(reasonCode(tr->reason), "Target.Timeout");
  // Recovery needs healthyThreshold passes in a row.
  EXPECT_FALSE(h.onProbeResult(seconds(50), t, ok()));
  EXPECT_FALSE(h.onProbeResult(seconds(60), t, ok()));
  EXPECT_FALSE(h.onProbeResult(seconds(70), t, refused()));
  EXPECT_STREQ(reasonCode(t.reason), "Target.FailedHealthChecks");
  EXPECT_FALSE(h.onProbeResult(seconds(80), t, ok()));
  EXPECT_FALSE(h.onProbeResult(seconds(90), t, ok()));
  tr = h.onProbeResult(seconds(100), t, ok());
  ASSERT_TRUE(tr);
  EXPECT_EQ(tr->from, TargetState::Unhealthy);
  EXPECT_EQ(tr->to, TargetState::Healthy);
  EXPECT_EQ(t.reason, Reason::None);
}

TEST(HealthCheckerTest, DrainingUnusedAndDisabledAreNotProbed) {
  HealthChecker h(hc());
  Target t;
  t.state = TargetState::Draining;
  EXPECT_FALSE(h.onProbeSent(0, t));
  EXPECT_FALSE(h.onProbeResult(0, t, code(500)));
  t.state = TargetState::Unused;
  EXPECT_FALSE(h.onProbeSent(0, t));
  HealthCheckConfig off = hc();
  off.enabled = false;
  HealthChecker d(off);
  Rng rng(1);
  Target u;
  EXPECT_EQ(d.onRegistered(0, u, rng), Never);
  EXPECT_EQ(u.state, TargetState::Unavailable);
  EXPECT_STREQ(reasonCode(u.reason), "Target.HealthCheckDisabled");
}

TEST(DrainerTest, NewRequestsStopInFlightFinishThenUnused) {
  Drainer d(seconds(30));
  Target t;
  t.state = TargetState::Healthy;
  t.outstanding = 2;
  EXPECT_EQ(d.begin(seconds(100), t), seconds(130));
  EXPECT_EQ(t.state, TargetState::Draining);
  EXPECT_STREQ(reasonCode(t.reason), "Target.DeregistrationInProgress");
  EXPECT_FALSE(t.drained);
  --t.outstanding;
  EXPECT_FALSE(d.onRequestDone(seconds(101), t));
  --t.outstanding;
  EXPECT_TRUE(d.onRequestDone(seconds(102), t)) << "nothing in flight: deregistration completes";
  EXPECT_FALSE(d.onRequestDone(seconds(103), t)) << "only once";
  EXPECT_EQ(t.state, TargetState::Draining) << "still shown draining until the delay ends";
  bool completes = true;
  EXPECT_EQ(d.expire(seconds(130), t, completes), 0u);
  EXPECT_FALSE(completes);
  EXPECT_EQ(t.state, TargetState::Unused);
  EXPECT_STREQ(reasonCode(t.reason), "Target.NotRegistered");
}

TEST(DrainerTest, RequestsStillInFlightAtExpiryAreCut) {
  Drainer d(seconds(5));
  Target t;
  t.state = TargetState::Healthy;
  t.outstanding = 3;
  d.begin(0, t);
  bool completes = false;
  EXPECT_EQ(d.expire(seconds(5), t, completes), 3u);
  EXPECT_TRUE(completes);
  Target idle;
  idle.state = TargetState::Healthy;
  d.begin(0, idle);
  EXPECT_TRUE(idle.drained) << "no request in flight: complete at once";
}

TargetGroupState group(std::initializer_list<TargetState> states) {
  TargetGroupState g;
  uint32_t id = 1;
  for (TargetState s : states) {
    Target t;
    t.instance = id++;
    t.state = s;
    g.targets.push_back(t);
  }
  return g;
}

TEST(TargetSelectorTest, RoundRobinVisitsHealthyTargetsInTurn) {
  auto g = group({TargetState::Healthy, TargetState::Unhealthy, TargetState::Healthy,
                  TargetState::Draining, TargetState::Healthy, TargetState::Initial});
  TargetSelector s;
  Rng rng(1);
  std::vector<uint32_t> seen;
  for (int i = 0; i < 6; ++i)
    seen.push_back(g.targets[s.select(0, g, nullptr, rng).index].instance);
  EXPECT_EQ(seen, (std::vector<uint32_t>{1, 3, 5, 1, 3, 5}));
}

TEST(TargetSelectorTest, LeastOutstandingPicksTheLeastBusy) {
  auto g = group({TargetState::Healthy, TargetState::Healthy, TargetState::Healthy});
  g.targets[0].outstanding = 5;
  g.targets[1].outstanding = 1;
  g.targets[2].outstanding = 3;
  SelectorConfig c;
  c.algorithm = SelectorConfig::LeastOutstanding;
  TargetSelector s(c);
  Rng rng(1);
  EXPECT_EQ(s.select(0, g, nullptr, rng).index, 1);
  g.targets[2].outstanding = 0;
  EXPECT_EQ(s.select(0, g, nullptr, rng).index, 2);
  // Ties are shared.
  for (Target &t : g.targets)
    t.outstanding = 0;
  std::map<int, int> counts;
  for (int i = 0; i < 30; ++i)
    ++counts[s.select(0, g, nullptr, rng).index];
  EXPECT_EQ(counts.size(), 3u);
}

TEST(TargetSelectorTest, WeightedRandomSpreadsEvenly) {
  auto g = group({TargetState::Healthy, TargetState::Healthy, TargetState::Unhealthy});
  SelectorConfig c;
  c.algorithm = SelectorConfig::WeightedRandom;
  TargetSelector s(c);
  Rng rng(5);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 10000; ++i)
    ++counts[s.select(0, g, nullptr, rng).index];
  EXPECT_EQ(counts[2], 0);
  EXPECT_NEAR(counts[0] / 10000.0, 0.5, 0.03);
}

TEST(TargetSelectorTest, SlowStartRampsANewTargetLinearly) {
  SelectorConfig c;
  c.slowStart = seconds(100);
  TargetSelector s(c);
  auto g = group({TargetState::Healthy, TargetState::Healthy});
  // The second became healthy at 0 while the first was serving fully.
  s.onHealthy(0, g, g.targets[1]);
  EXPECT_EQ(g.targets[1].slowStartBegin, 0);
  EXPECT_NEAR(s.slowStartFactor(seconds(25), g.targets[1]), 0.25, 1e-9);
  EXPECT_DOUBLE_EQ(s.slowStartFactor(seconds(100), g.targets[1]), 1.0);
  Rng rng(9);
  auto shareAt = [&](Instant now) {
    int second = 0;
    for (int i = 0; i < 20000; ++i)
      second += s.select(now, g, nullptr, rng).index == 1;
    return second / 20000.0;
  };
  double early = shareAt(seconds(10)), late = shareAt(seconds(60)), done = shareAt(seconds(200));
  EXPECT_LT(early, late);
  EXPECT_LT(late, done);
  EXPECT_NEAR(done, 0.5, 0.02);
  // No slow start when no other healthy target is out of it, and none with LOR.
  auto lone = group({TargetState::Healthy});
  s.onHealthy(0, lone, lone.targets[0]);
  EXPECT_EQ(lone.targets[0].slowStartBegin, Never);
  c.algorithm = SelectorConfig::LeastOutstanding;
  TargetSelector lor(c);
  auto g2 = group({TargetState::Healthy, TargetState::Healthy});
  lor.onHealthy(0, g2, g2.targets[1]);
  EXPECT_EQ(g2.targets[1].slowStartBegin, Never);
}

TEST(TargetSelectorTest, StickyCookieOverridesTheAlgorithm) {
  SelectorConfig c;
  c.stickiness = SelectorConfig::LbCookie;
  c.stickyDuration = seconds(3600);
  TargetSelector s(c);
  auto g = group({TargetState::Healthy, TargetState::Healthy, TargetState::Healthy});
  Rng rng(1);
  StickyCookie cookie;
  Selection first = s.select(seconds(1), g, &cookie, rng);
  ASSERT_GE(first.index, 0);
  EXPECT_FALSE(first.stuck);
  EXPECT_EQ(cookie.instance, g.targets[first.index].instance);
  for (int i = 2; i < 20; ++i) {
    Selection again = s.select(seconds(i), g, &cookie, rng);
    EXPECT_EQ(again.index, first.index);
    EXPECT_TRUE(again.stuck);
    EXPECT_EQ(cookie.expires, seconds(i) + seconds(3600));
  }
}

TEST(TargetSelectorTest, RepicksWhenTheStickyTargetIsUnhealthyOrDraining) {
  SelectorConfig c;
  c.stickiness = SelectorConfig::AppCookie;
  TargetSelector s(c);
  auto g = group({TargetState::Healthy, TargetState::Healthy, TargetState::Healthy});
  Rng rng(1);
  StickyCookie cookie;
  int first = s.select(0, g, &cookie, rng).index;
  g.targets[first].state = TargetState::Unhealthy;
  Selection moved = s.select(seconds(1), g, &cookie, rng);
  EXPECT_TRUE(moved.repicked);
  EXPECT_NE(moved.index, first);
  EXPECT_EQ(cookie.instance, g.targets[moved.index].instance) << "the cookie is rewritten";
  // The old target recovers: the client stays on its new one.
  g.targets[first].state = TargetState::Healthy;
  EXPECT_EQ(s.select(seconds(2), g, &cookie, rng).index, moved.index);
  g.targets[moved.index].state = TargetState::Draining;
  Selection again = s.select(seconds(3), g, &cookie, rng);
  EXPECT_TRUE(again.repicked);
  EXPECT_NE(again.index, moved.index);
  // An expired cookie is not a stickiness.
  cookie.expires = 0;
  Selection fresh = s.select(seconds(4), g, &cookie, rng);
  EXPECT_FALSE(fresh.stuck);
  EXPECT_FALSE(fresh.repicked);
}

TEST(TargetSelectorTest, FailOpenRoutesToUnhealthyTargetsOnlyWhenNoneIsHealthy) {
  auto g = group({TargetState::Unhealthy, TargetState::Unhealthy, TargetState::Draining});
  TargetSelector open;
  Rng rng(1);
  Selection sel = open.select(0, g, nullptr, rng);
  EXPECT_TRUE(sel.failOpen);
  ASSERT_GE(sel.index, 0);
  EXPECT_EQ(g.targets[sel.index].state, TargetState::Unhealthy);
  SelectorConfig c;
  c.failOpen = false;
  TargetSelector closed(c);
  EXPECT_EQ(closed.select(0, g, nullptr, rng).index, -1) << "the caller answers 503";
  auto none = group({TargetState::Draining, TargetState::Unused, TargetState::Initial});
  EXPECT_EQ(open.select(0, none, nullptr, rng).index, -1);
  g.targets[1].state = TargetState::Healthy;
  sel = open.select(0, g, nullptr, rng);
  EXPECT_FALSE(sel.failOpen);
  EXPECT_EQ(sel.index, 1);
}

TEST(TargetSelectorTest, SourceIpStickinessHashesTheClient) {
  SelectorConfig c;
  c.stickiness = SelectorConfig::SourceIp;
  TargetSelector s(c);
  auto g = group({TargetState::Healthy, TargetState::Healthy, TargetState::Healthy});
  Rng rng(1);
  for (uint64_t h : {1ull, 99ull, 12345ull}) {
    int a = s.select(0, g, nullptr, rng, h).index;
    for (int i = 0; i < 10; ++i)
      EXPECT_EQ(s.select(0, g, nullptr, rng, h).index, a);
  }
}

} // namespace

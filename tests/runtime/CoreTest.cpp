//===- CoreTest.cpp - The simulated scheduler and the seeded source -------===//

#include "Core/Core.h"

#include <gtest/gtest.h>

#include <set>

using namespace infrac::runtime;

namespace {

TEST(SimSchedulerTest, OrdersByTimeThenInsertion) {
  SimScheduler s;
  s.runAt(seconds(2), {1, 0, 0});
  s.runAt(seconds(1), {2, 0, 0});
  s.runAt(seconds(2), {3, 0, 0});
  s.runAt(seconds(1), {4, 0, 0});
  s.runAt(seconds(1), {5, 0, 0});
  std::vector<uint32_t> order;
  std::vector<Instant> times;
  Timer t;
  while (s.pop(Never, t)) {
    order.push_back(t.kind);
    times.push_back(s.now());
  }
  EXPECT_EQ(order, (std::vector<uint32_t>{2, 4, 5, 1, 3}));
  EXPECT_EQ(times, (std::vector<Instant>{seconds(1), seconds(1), seconds(1), seconds(2),
                                         seconds(2)}));
  EXPECT_EQ(s.deliveredCount(), 5u);
}

TEST(SimSchedulerTest, EventsScheduledAtNowComeAfterThoseAlreadyDue) {
  SimScheduler s;
  s.runAt(seconds(1), {1, 0, 0});
  s.runAt(seconds(1), {2, 0, 0});
  Timer t;
  ASSERT_TRUE(s.pop(Never, t));
  EXPECT_EQ(t.kind, 1u);
  s.runAt(s.now(), {3, 0, 0}); // Same instant, later insertion.
  ASSERT_TRUE(s.pop(Never, t));
  EXPECT_EQ(t.kind, 2u);
  ASSERT_TRUE(s.pop(Never, t));
  EXPECT_EQ(t.kind, 3u);
}

TEST(SimSchedulerTest, PopStopsAtTheLimitAndAdvancesTheClock) {
  SimScheduler s;
  s.runAt(seconds(10), {1, 0, 0});
  Timer t;
  EXPECT_FALSE(s.pop(seconds(5), t));
  EXPECT_EQ(s.now(), seconds(5));
  EXPECT_EQ(s.pending(), 1u);
  EXPECT_TRUE(s.pop(seconds(10), t));
  EXPECT_EQ(s.now(), seconds(10));
}

TEST(SimSchedulerTest, CancelledTimersAreNotDelivered) {
  SimScheduler s;
  TimerId a = s.runAt(seconds(1), {1, 0, 0});
  TimerId b = s.runAt(seconds(2), {2, 0, 0});
  TimerId c = s.runAt(seconds(3), {3, 0, 0});
  EXPECT_NE(a, NoTimer);
  EXPECT_NE(a, b);
  s.cancel(b);
  s.cancel(b); // Twice: still one withdrawal.
  EXPECT_EQ(s.pending(), 2u);
  Timer t;
  ASSERT_TRUE(s.pop(Never, t));
  EXPECT_EQ(t.kind, 1u);
  s.cancel(a); // Delivered already: nothing happens.
  EXPECT_EQ(s.pending(), 1u);
  ASSERT_TRUE(s.pop(Never, t));
  EXPECT_EQ(t.kind, 3u);
  EXPECT_EQ(s.now(), seconds(3));
  EXPECT_FALSE(s.pop(Never, t));
  EXPECT_EQ(s.deliveredCount(), 2u);
  s.cancel(c);
  s.cancel(NoTimer);
  s.cancel(12345); // Never issued.
  EXPECT_EQ(s.pending(), 0u);
}

TEST(SimSchedulerTest, ManyEventsComeOutSorted) {
  SimScheduler s;
  Rng rng(7);
  for (uint32_t i = 0; i < 10000; ++i)
    s.runAt(Instant(rng.below(1000)), {i, 0, 0});
  Timer t;
  Instant last = -1;
  std::vector<uint32_t> seqAtLast;
  uint32_t lastKind = 0;
  while (s.pop(Never, t)) {
    ASSERT_GE(s.now(), last);
    if (s.now() == last) {
      ASSERT_GT(t.kind, lastKind) << "same instant must keep insertion order";
    }
    last = s.now();
    lastKind = t.kind;
  }
}

TEST(RngTest, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(RngTest, RangesAndForks) {
  Rng r(1);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    uint64_t v = r.below(6);
    ASSERT_LT(v, 6u);
    seen.insert(v);
    double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
  EXPECT_EQ(seen.size(), 6u);
  Rng f1 = Rng(5).fork(), f2 = Rng(5).fork();
  EXPECT_EQ(f1.next(), f2.next());
  double sum = 0;
  for (int i = 0; i < 20000; ++i)
    sum += r.exponential(10.0);
  EXPECT_NEAR(sum / 20000, 10.0, 0.5);
}

TEST(CoreTest, FormatsInstants) {
  char buf[32];
  formatInstant(seconds(30) + millis(250), buf, sizeof buf);
  EXPECT_STREQ(buf, "30.250s");
  formatInstant(0, buf, sizeof buf);
  EXPECT_STREQ(buf, "0.000s");
}

} // namespace

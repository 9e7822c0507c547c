//===- TrafficTest.cpp - Request arrivals and service times ---------------===//

#include "Sim/Traffic.h"

#include <gtest/gtest.h>

using namespace infrac::runtime;

namespace {

unsigned arrivals(const TrafficModel &m, Instant from, Instant to, Rng &rng) {
  unsigned n = 0;
  for (Instant t = m.nextArrival(from, rng); t != Never && t < to; t = m.nextArrival(t, rng))
    ++n;
  return n;
}

TEST(TrafficModelTest, PoissonArrivalsAtTheRate) {
  LoadConfig c;
  c.rate = 200;
  c.end = seconds(100);
  TrafficModel m(c);
  Rng rng(1);
  unsigned n = arrivals(m, 0, seconds(100), rng);
  EXPECT_NEAR(n, 20000, 600);
  EXPECT_EQ(m.nextArrival(seconds(100), rng), Never) << "the load has ended";
}

TEST(TrafficModelTest, StartRampAndEnd) {
  LoadConfig c;
  c.rate = 100;
  c.start = seconds(10);
  c.ramp = seconds(20);
  c.end = seconds(60);
  TrafficModel m(c);
  EXPECT_EQ(m.rateAt(seconds(5)), 0);
  EXPECT_DOUBLE_EQ(m.rateAt(seconds(20)), 50);
  EXPECT_DOUBLE_EQ(m.rateAt(seconds(40)), 100);
  EXPECT_EQ(m.rateAt(seconds(60)), 0);
  Rng rng(2);
  EXPECT_GE(m.nextArrival(0, rng), seconds(10));
  // The ramp carries half the traffic of its length at full rate.
  unsigned ramp = 0, full = 0;
  for (int run = 0; run < 20; ++run) {
    ramp += arrivals(m, seconds(10), seconds(30), rng);
    Instant t = seconds(30);
    for (t = m.nextArrival(t, rng); t != Never && t < seconds(50); t = m.nextArrival(t, rng))
      ++full;
  }
  EXPECT_NEAR(double(ramp) / full, 0.5, 0.05);
}

TEST(TrafficModelTest, ClientsAndServiceTimes) {
  LoadConfig c;
  c.clients = 7;
  TrafficModel m(c);
  Rng rng(3);
  for (int i = 0; i < 100; ++i)
    EXPECT_LT(m.pickClient(rng), 7u);
  ServiceModel s;
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    Duration d = s.sample(rng);
    ASSERT_GE(d, millis(1));
    sum += double(d);
  }
  EXPECT_NEAR(sum / 10000, double(millis(9)), double(millis(1)) / 2);
  s.extra = seconds(2);
  EXPECT_GE(s.sample(rng), seconds(2));
}

} // namespace

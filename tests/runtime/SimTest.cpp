//===- SimTest.cpp - Whole simulations: determinism, examples, behaviour --===//

#include "RuntimeTestSupport.h"
#include "TestSupport.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

#include <map>

using namespace infrac;
using namespace infrac::test;
using llvm::StringRef;

namespace {

const std::string bin = INFRAC_BINARY;

std::string verdicts(const runtime::SimResult &r) {
  std::string s;
  for (const runtime::Verdict &v : r.verdicts)
    s += std::string(v.kind == runtime::Verdict::Pass   ? "PASS "
                     : v.kind == runtime::Verdict::Fail ? "FAIL "
                                                        : "SKIP ") +
         v.expectation + ": " + v.detail + "\n";
  return s;
}

unsigned count(StringRef text, StringRef needle) {
  unsigned n = 0;
  for (size_t at = text.find(needle); at != StringRef::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

//===----------------------------------------------------------------------===//
// Determinism
//===----------------------------------------------------------------------===//

TEST(DeterminismTest, SameFileScenarioAndSeedGiveTheSameTraceByteForByte) {
  for (auto [file, scenario] : {std::pair<const char *, const char *>{"examples/webshop.infra",
                                                                      "black_friday"},
                                {"examples/nlb_game.infra", "spot_reclaim"},
                                {"tests/runtime/property.infra", "churn"}}) {
    runtime::SimOptions opts;
    opts.seed = 20261123;
    SimRun a = simulateFile(file, scenario, opts);
    SimRun b = simulateFile(file, scenario, opts);
    ASSERT_TRUE(a.built) << a.diagnostics;
    EXPECT_GT(a.trace.size(), 100000u);
    EXPECT_TRUE(a.trace == b.trace) << file << ": two runs differ";
    EXPECT_TRUE(a.timeline == b.timeline) << file;
    opts.seed = 20261124;
    SimRun c = simulateFile(file, scenario, opts);
    EXPECT_FALSE(a.trace == c.trace) << file << ": another seed should change the run";
  }
}

TEST(DeterminismTest, TheCommandLineTraceIsIdenticalRunToRun) {
  std::string dir = makeTempDir();
  std::string t1 = dir + "/one.jsonl", t2 = dir + "/two.jsonl";
  ProcessResult a = runProcess({bin, "sim", sourceDir() + "/examples/webshop.infra", "--scenario",
                                "black_friday", "--seed", "7", "--trace", t1});
  ProcessResult b = runProcess({bin, "sim", sourceDir() + "/examples/webshop.infra", "--scenario",
                                "black_friday", "--seed", "7", "--trace", t2});
  ASSERT_EQ(a.exitCode, 0) << a.out << a.err;
  ASSERT_EQ(b.exitCode, 0);
  std::string x = readFile(t1), y = readFile(t2);
  EXPECT_FALSE(x.empty());
  EXPECT_TRUE(x == y) << "the traces differ";
  EXPECT_EQ(a.out, b.out);
  // Every line is one JSON object with a time and an event kind.
  StringRef rest = x;
  unsigned lines = 0;
  while (!rest.empty()) {
    StringRef line;
    std::tie(line, rest) = rest.split('\n');
    auto v = llvm::json::parse(line);
    ASSERT_TRUE(bool(v)) << line.str();
    const llvm::json::Object *o = v->getAsObject();
    ASSERT_TRUE(o && o->getInteger("t") && o->getString("ev")) << line.str();
    ++lines;
  }
  EXPECT_GT(lines, 40000u);
}

//===----------------------------------------------------------------------===//
// The examples' scenarios, and one written to fail
//===----------------------------------------------------------------------===//

TEST(ScenarioTest, EveryExampleScenarioPasses) {
  unsigned scenarios = 0;
  for (const std::string &path : listFiles("examples", ".infra", false)) {
    auto fe = runFrontEnd({path});
    ASSERT_TRUE(fe->model) << path;
    for (const sema::Resource *sc : runtime::scenarios(*fe->model)) {
      SimRun run = simulateFile(path, sc->name.str(), {}, false);
      ASSERT_TRUE(run.built) << run.diagnostics;
      EXPECT_TRUE(run.result.passed()) << path << " " << sc->name.str() << ":\n"
                                       << verdicts(run.result) << run.timeline;
      EXPECT_FALSE(run.result.verdicts.empty());
      ++scenarios;
    }
  }
  EXPECT_GE(scenarios, 5u);
}

TEST(ScenarioTest, AScenarioWrittenToFailFailsWithAClearMessage) {
  ProcessResult r =
      runProcess({bin, "sim", sourceDir() + "/tests/runtime/fail_kill_everything.infra"});
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  expect error_rate(front) < 1%\n"
                       "        at the end: error_rate(front) was "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(expected < 1%)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL  expect healthy(web) >= 2 after 25s\n"
                       "        failed at 25.000s: healthy(web) was 0 (expected >= 2)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("FAIL  expect capacity(asg) >= 2 within 10s after 20s\n"
                       "        never held between 20.000s and 30.000s"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PASS  expect requests(front) > 1000"), std::string::npos);
  EXPECT_NE(r.out.find("1 passed, 3 failed"), std::string::npos);
}

TEST(ScenarioTest, CommandLine) {
  std::string webshop = sourceDir() + "/examples/webshop.infra";
  ProcessResult ok = runProcess({bin, "sim", webshop, "--scenario", "black_friday"});
  EXPECT_EQ(ok.exitCode, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("scenario 'black_friday': 210.000s of virtual time, seed 1"),
            std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find("3 passed, 0 failed"), std::string::npos);
  ProcessResult seeded = runProcess({bin, "sim", webshop, "--seed", "99"});
  EXPECT_EQ(seeded.exitCode, 0);
  EXPECT_NE(seeded.out.find("seed 99"), std::string::npos);
  ProcessResult unknown = runProcess({bin, "sim", webshop, "--scenario", "cyber_monday"});
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_NE(unknown.err.find("no scenario named 'cyber_monday'; the scenarios are: black_friday"),
            std::string::npos)
      << unknown.err;
  ProcessResult badTrace =
      runProcess({bin, "sim", webshop, "--trace", "/no/such/dir/trace.jsonl"});
  EXPECT_EQ(badTrace.exitCode, 2);
  EXPECT_NE(badTrace.err.find("cannot write '/no/such/dir/trace.jsonl'"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Behaviour of the simulated world
//===----------------------------------------------------------------------===//

/// A small world: `front` (an ALB) forwards to `web`, the targets of `asg`.
std::string world(const std::string &tgExtra, const std::string &asgExtra,
                  const std::string &scenario, const std::string &lbExtra = "",
                  const std::string &app = "app = echo { port = 80 }") {
  return "vpc v { cidr = \"10.0.0.0/16\" }\n"
         "subnet a { vpc = v; zone = \"z-a\"; cidr = \"10.0.1.0/24\" }\n"
         "subnet b { vpc = v; zone = \"z-b\"; cidr = \"10.0.2.0/24\" }\n"
         "target_group web {\n  protocol = http; port = 80; vpc = v\n"
         "  health_check { interval = 5s; timeout = 2s; healthy_threshold = 2; "
         "unhealthy_threshold = 2 }\n" +
         tgExtra +
         "\n}\n"
         "load_balancer front {\n  subnets = [a, b]\n" +
         lbExtra +
         "\n  listener l { protocol = http; port = 80; default = forward(web) }\n}\n"
         "launch_template lt {\n  image = \"ami-0123456789abcdef0\"; instance_type = "
         "\"t3.micro\"\n  " +
         app +
         "\n}\n"
         "auto_scaling_group asg {\n  launch_template = lt; subnets = [a, b]; "
         "target_groups = [web]\n" +
         asgExtra + "\n}\n" + scenario;
}

TEST(WorldTest, DrainingLetsRequestsFinishThenCutsTheRest) {
  // Requests take 20 s on the slowed instance; the delay is 5 s.
  std::string text = world("  deregistration_delay = 5s", "  min = 2; max = 2",
                           "scenario s {\n  load front { rate = 20/s; duration = 40s }\n"
                           "  at 10s { slow = asg.instances[0]; latency = 20s }\n"
                           "  at 15s { deregister = asg.instances[0] }\n"
                           "  expect draining(web) == 1 within 1s after 15s\n"
                           "  expect draining(web) == 0 after 21s\n}\n");
  SimRun run = simulateText(text, "s");
  ASSERT_TRUE(run.built) << run.diagnostics;
  EXPECT_TRUE(run.result.passed()) << verdicts(run.result) << run.timeline;
  EXPECT_NE(run.timeline.find("-> draining (Target.DeregistrationInProgress) until 20.000s"),
            std::string::npos)
      << run.timeline;
  EXPECT_NE(
      run.timeline.find("20.000s  web         i-1: draining -> unused (Target.NotRegistered)"),
      std::string::npos)
      << run.timeline;
  EXPECT_NE(run.timeline.find("answered 502: the deregistration delay ended"), std::string::npos)
      << run.timeline;
  // No request routed to i-1 after 15 s.
  StringRef rest = run.trace;
  while (!rest.empty()) {
    StringRef line;
    std::tie(line, rest) = rest.split('\n');
    if (traceField(line, "ev") == StringRef("request") && traceInt(line, "t") > 15000000) {
      EXPECT_NE(traceField(line, "target"), StringRef("i-1")) << line.str();
    }
  }
}

TEST(WorldTest, IdleTimeoutGives504) {
  std::string text = world("", "  min = 1; max = 1",
                           "scenario s {\n  load front { rate = 10/s; duration = 20s }\n"
                           "  at 5s { slow = asg.instances[0]; latency = 10s }\n"
                           "  expect latency_p99(front) <= 4s\n}\n",
                           "  idle_timeout = 3s");
  SimRun run = simulateText(text, "s");
  ASSERT_TRUE(run.built) << run.diagnostics;
  EXPECT_TRUE(run.result.passed()) << verdicts(run.result);
  EXPECT_GT(count(run.trace, "\"status\":504"), 50u);
}

TEST(WorldTest, StickyClientsAndServedBy) {
  std::string text =
      world("  stickiness { type = lb_cookie; duration = 1h }", "  min = 3; max = 3",
            "scenario s {\n  load front { rate = 50/s; duration = 60s; clients = 5 }\n"
            "  at 30s { fail_health = asg.instances[0] }\n"
            "  expect served_by(front, 0) == asg.instances[0] within 20s\n"
            "  expect served_by(front, 0) != asg.instances[0] after 45s\n}\n");
  // Client 0 lands on i-1 under some seed; find one, then check it moves.
  bool found = false;
  for (uint64_t seed = 1; seed < 40 && !found; ++seed) {
    runtime::SimOptions opts;
    opts.seed = seed;
    SimRun run = simulateText(text, "s", opts);
    ASSERT_TRUE(run.built) << run.diagnostics;
    if (run.result.verdicts[0].kind != runtime::Verdict::Pass)
      continue;
    found = true;
    EXPECT_TRUE(run.result.passed()) << verdicts(run.result) << run.timeline;
    EXPECT_NE(verdicts(run.result).find("was i-1"), std::string::npos) << verdicts(run.result);
    EXPECT_GT(count(run.trace, "\"repicked\":true"), 0u);
  }
  EXPECT_TRUE(found);
}

TEST(WorldTest, InMemorySessionsAreLostWithTheirServer) {
  std::string text =
      world("  stickiness { type = lb_cookie; duration = 1h }", "  min = 3; max = 3",
            "scenario s {\n  load front { rate = 50/s; duration = 60s; clients = 30 }\n"
            "  at 20s { kill = asg.instances[0] }\n"
            "  expect sessions_lost(front) == 0 after 19s\n}\n",
            "", "app = echo { port = 80; sessions = in_memory }");
  SimRun run = simulateText(text, "s");
  ASSERT_TRUE(run.built) << run.diagnostics;
  ASSERT_EQ(run.result.verdicts.size(), 1u);
  EXPECT_EQ(run.result.verdicts[0].kind, runtime::Verdict::Fail) << verdicts(run.result);
  EXPECT_NE(run.result.verdicts[0].detail.find("sessions_lost(front) was"), std::string::npos);
}

/// The replication bytes of `group` in examples/sessions.infra under a
/// steady load on every site (nothing dies), every group at `n` instances
/// and 50 requests per second per instance.
static uint64_t replicationBytes(int64_t n, llvm::StringRef group) {
  std::string text = readFile(sourceDir() + "/examples/sessions.infra") +
                     "scenario steady {\n"
                     "  load front { rate = 1/s; duration = 60s; host = \"cluster.shop.example.com\" }\n"
                     "  load front { rate = 1/s; duration = 60s; host = \"store.shop.example.com\" }\n"
                     "}\n";
  runtime::SimOptions opts;
  opts.instances = n;
  opts.rate = 50.0 * double(n);
  SimRun run = simulateText(text, "steady", opts, false);
  EXPECT_TRUE(run.built) << run.diagnostics;
  for (const runtime::SessionRow &r : run.result.sessions)
    if (r.group == group)
      return r.replicationBytes;
  ADD_FAILURE() << "no sessions row for " << group.str();
  return 0;
}

TEST(WorldTest, AllToAllReplicationGrowsWithTheSquareOfTheGroup) {
  // Each change goes to the n - 1 others, and the load grows with n: bytes
  // in n (n - 1). From 2 to 4 instances that is 6 times, from 4 to 8 4.67.
  uint64_t two = replicationBytes(2, "cluster_asg"), four = replicationBytes(4, "cluster_asg"),
           eight = replicationBytes(8, "cluster_asg");
  ASSERT_GT(two, 0u);
  EXPECT_NEAR(double(four) / double(two), 6.0, 0.6);
  EXPECT_NEAR(double(eight) / double(four), 56.0 / 12.0, 0.5);
  // The other groups replicate nothing.
  EXPECT_EQ(replicationBytes(4, "store_asg"), 0u);
}

TEST(WorldTest, StopLetsRequestsFinishKillCutsThem) {
  for (bool kill : {false, true}) {
    std::string text = world("", "  min = 2; max = 2",
                             std::string("scenario s {\n  load front { rate = 100/s; duration = "
                                         "20s }\n  at 5s { slow = asg.instances[0]; latency = "
                                         "2s }\n  at 10s { ") +
                                 (kill ? "kill" : "stop") +
                                 " = asg.instances[0] }\n  expect error_rate(front) == 0%\n}\n");
    SimRun run = simulateText(text, "s");
    ASSERT_TRUE(run.built) << run.diagnostics;
    EXPECT_EQ(run.result.passed(), !kill) << verdicts(run.result) << run.timeline;
    if (!kill) {
      EXPECT_NE(run.timeline.find("i-1 stopping: "), std::string::npos) << run.timeline;
    }
  }
}

TEST(WorldTest, LosingAZoneMovesTheGroup) {
  std::string text = world("", "  min = 4; max = 4",
                           "scenario s {\n  load front { rate = 20/s; duration = 100s }\n"
                           "  at 10s { lose_zone = \"z-a\" }\n"
                           "  expect capacity(asg) == 4 within 60s after 10s\n"
                           "  expect healthy(web) == 4 after 60s\n}\n");
  SimRun run = simulateText(text, "s");
  ASSERT_TRUE(run.built) << run.diagnostics;
  EXPECT_TRUE(run.result.passed()) << verdicts(run.result) << run.timeline;
  EXPECT_EQ(count(run.timeline, "lost with its zone"), 2u) << run.timeline;
  EXPECT_EQ(count(run.timeline, "in zone 0: capacity 3"), 0u) << run.timeline;
}

TEST(WorldTest, SpotInterruptionGivesTwoMinutes) {
  std::string text =
      world("", "  min = 2; max = 2\n  mixed_instances { on_demand_percentage = 0% }",
            "scenario s {\n  load front { rate = 20/s; duration = 200s }\n"
            "  at 10s { interrupt = asg }\n"
            "  expect running(asg) == 2 after 100s\n}\n");
  SimRun run = simulateText(text, "s");
  ASSERT_TRUE(run.built) << run.diagnostics;
  EXPECT_NE(run.timeline.find("EC2 Spot Instance Interruption Warning; it stops at 130.000s"),
            std::string::npos)
      << run.timeline;
  EXPECT_NE(run.timeline.find("130.000s  ec2         i-1 interrupted: spot capacity reclaimed"),
            std::string::npos)
      << run.timeline;
  EXPECT_FALSE(run.result.passed()) << "without capacity rebalancing both go at once";
}

TEST(WorldTest, RequestCountTrackingScalesOut) {
  std::string text = world("", "  min = 2; max = 8\n"
                               "  policy rc { type = target_tracking; metric = "
                               "alb_request_count_per_target; target_group = web; target = 1200 }",
                           "scenario s {\n  load front { rate = 30/s; duration = 400s }\n"
                           "  at 60s { rate = 200/s }\n"
                           "  expect desired(asg) >= 4 within 300s after 60s\n}\n");
  SimRun run = simulateText(text, "s");
  ASSERT_TRUE(run.built) << run.diagnostics;
  EXPECT_TRUE(run.result.passed()) << verdicts(run.result) << run.timeline;
  EXPECT_NE(run.timeline.find("target tracking policy 'rc'"), std::string::npos);
}

TEST(WorldTest, CpuTrackingAndScheduledActions) {
  // 600 requests/s of 5 ms CPU each on two 2-vCPU instances: about 77 % CPU.
  std::string text = world("", "  min = 2; max = 6\n"
                               "  policy cpu { type = target_tracking; metric = cpu_utilization; "
                               "target = 50 }\n"
                               "  scheduled shrink { at = 400s; max = 3; desired = 3 }",
                           "scenario s {\n  load front { rate = 600/s; duration = 500s }\n"
                           "  expect desired(asg) == 4 within 200s\n"
                           "  expect desired(asg) == 3 after 401s\n}\n");
  SimRun run = simulateText(text, "s");
  ASSERT_TRUE(run.built) << run.diagnostics;
  EXPECT_TRUE(run.result.passed()) << verdicts(run.result) << run.timeline;
  EXPECT_NE(run.timeline.find("target tracking policy 'cpu': metric 7"), std::string::npos)
      << run.timeline;
  EXPECT_NE(run.timeline.find("scheduled action 'shrink': min 2, max 3, desired 3"),
            std::string::npos)
      << run.timeline;
}

} // namespace

TEST(WorldTest, InstanceIdsAreUniqueForTheWholeRun) {
  // One group replaces its instance 5,000 times beside a second group: every
  // launch gets an id of its own, and the groups never share one (instance
  // ids once stepped by 1,000 per group and collided after 1,000 launches).
  std::string sc = "auto_scaling_group other {\n  launch_template = lt; subnets = [a, b]; "
                   "min = 2; max = 2\n}\n"
                   "scenario s {\n  duration = 200400s\n";
  const int kills = 5000;
  for (int k = 0; k < kills; ++k)
    sc += "  at " + std::to_string(40 * (k + 1)) + "s { kill = asg }\n"; // Its one instance.
  sc += "  at 200100s { kill = other.instances[1] }\n"
        "  expect capacity(asg) == 1 after 200300s\n"
        "  expect capacity(other) == 2 after 200300s\n}\n";
  SimRun run = simulateText(world("", "  min = 1; max = 1", sc), "s", {}, false);
  ASSERT_TRUE(run.built) << run.diagnostics;
  EXPECT_TRUE(run.result.passed()) << verdicts(run.result);
  std::map<std::string, std::string> owner; // Instance -> the group that launched it.
  unsigned launches = 0, collisions = 0;
  for (StringRef rest = run.timeline; !rest.empty();) {
    auto [line, tail] = rest.split('\n');
    rest = tail;
    size_t at = line.find("launching i-");
    if (at == StringRef::npos)
      continue;
    StringRef group = line.drop_front(12).ltrim().split(' ').first;
    std::string id = line.drop_front(at + 10).split(' ').first.str();
    ++launches;
    if (!owner.emplace(id, group.str()).second)
      ++collisions;
  }
  EXPECT_EQ(launches, 1u + kills + 2u + 1u);
  EXPECT_EQ(collisions, 0u);
  EXPECT_EQ(owner.size(), launches);
  EXPECT_EQ(count(run.timeline, " killed"), unsigned(kills + 1));
}

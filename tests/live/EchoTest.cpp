//===- EchoTest.cpp - infrac-echo as a process: JSON, health, knobs -------===//

#include "LiveTestSupport.h"

#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <regex>

using namespace livetest;

namespace {

struct Echo {
  std::unique_ptr<Process> process;
  uint16_t port = 0, control = 0;
  explicit Echo(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), INFRAC_ECHO_BINARY);
    process = std::make_unique<Process>(args, env);
    std::string line = process->readLine(std::chrono::seconds(10));
    std::smatch m;
    if (std::regex_search(
            line, m, std::regex("http://127.0.0.1:([0-9]+) control http://127.0.0.1:([0-9]+)"))) {
      port = uint16_t(std::stoi(m[1]));
      control = uint16_t(std::stoi(m[2]));
    } else {
      ADD_FAILURE() << "no ports in '" << line << "'";
    }
  }
};

llvm::json::Object parse(const std::string &text) {
  auto v = llvm::json::parse(text);
  if (!v) {
    ADD_FAILURE() << llvm::toString(v.takeError()) << " in " << text;
    return {};
  }
  if (auto *o = v->getAsObject())
    return std::move(*o);
  ADD_FAILURE() << "not an object: " << text;
  return {};
}

Response put(uint16_t port, const std::string &body) {
  Client c(port);
  return c.request("PUT", "/control", {{"Content-Type", "application/json"}}, body);
}

} // namespace

TEST(Echo, AnswersJsonAndCounts) {
  Echo e({"--port", "0", "--control-port", "0"}, {"INSTANCE_ID=i-7", "GROUP=web", "AZ=eu-west-1a"});
  ASSERT_NE(e.port, 0);
  Client c(e.port);
  Response r1 = c.request("GET", "/a/b?x=1", {{"X-Test", "yes"}});
  ASSERT_TRUE(r1.ok) << r1.error;
  EXPECT_EQ(r1.status, 200);
  EXPECT_EQ(r1.header("content-type"), "application/json");
  llvm::json::Object o = parse(r1.body);
  EXPECT_EQ(o.getString("instance").getValueOr(""), "i-7");
  EXPECT_EQ(o.getString("group").getValueOr(""), "web");
  EXPECT_EQ(o.getString("zone").getValueOr(""), "eu-west-1a");
  EXPECT_EQ(o.getString("method").getValueOr(""), "GET");
  EXPECT_EQ(o.getString("path").getValueOr(""), "/a/b");
  EXPECT_EQ(o.getString("query").getValueOr(""), "x=1");
  EXPECT_EQ(o.getInteger("served").getValueOr(0), 1);
  ASSERT_NE(o.getObject("headers"), nullptr);
  EXPECT_EQ(o.getObject("headers")->getString("x-test").getValueOr(""), "yes");
  Response r2 = c.request("POST", "/other", {}, "data");
  EXPECT_EQ(parse(r2.body).getInteger("served").getValueOr(0), 2);
  // The health path answers 200 and is not counted.
  Response h = c.request("GET", "/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(parse(c.request("GET", "/").body).getInteger("served").getValueOr(0), 3);
  EXPECT_EQ(e.process->signalAndWait(SIGTERM, std::chrono::seconds(5)), 0);
}

TEST(Echo, KnobsAtStartAndAtRunTime) {
  Echo e({"--port", "0", "--control-port", "0", "--health-path", "/hc", "--fail-health"});
  ASSERT_NE(e.port, 0);
  EXPECT_EQ(get(e.port, "/hc").status, 500);
  Response p = put(e.control, "{\"fail_health\": false}");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(get(e.port, "/hc").status, 200);
  EXPECT_EQ(get(e.port, "/health").status, 200); // any other path is echoed
  EXPECT_EQ(parse(get(e.port, "/health").body).getString("path").getValueOr(""), "/health");

  ASSERT_EQ(put(e.control, "{\"error_rate\": 1}").status, 200);
  EXPECT_EQ(get(e.port, "/x").status, 500);
  ASSERT_EQ(put(e.control, "{\"error_rate\": 0, \"latency_ms\": 250}").status, 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(get(e.port, "/x").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));
  ASSERT_EQ(put(e.control, "{\"latency_ms\": 0, \"cpu_ms\": 50}").status, 200);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(get(e.port, "/burn").status, 200);
  Response state = get(e.control, "/control");
  llvm::json::Object s = parse(state.body);
  EXPECT_EQ(s.getNumber("cpu_ms").getValueOr(-1), 50);
  EXPECT_EQ(s.getBoolean("fail_health").getValueOr(true), false);
  EXPECT_TRUE(s.getNumber("cpu_utilization").hasValue());
  EXPECT_GE(s.getNumber("cpu_utilization").getValueOr(0), 0);
  // Bad knobs are refused and change nothing.
  EXPECT_EQ(put(e.control, "{\"error_rate\": 7}").status, 400);
  EXPECT_EQ(put(e.control, "not json").status, 400);
  EXPECT_EQ(put(e.control, "{\"nope\": 1}").status, 400);
  EXPECT_EQ(e.process->signalAndWait(SIGTERM, std::chrono::seconds(5)), 0);
}

TEST(Echo, CpuUtilizationFigure) {
  Echo e({"--port", "0", "--control-port", "0", "--cpu-ms", "20"});
  ASSERT_NE(e.port, 0);
  // Keep it busy for about 1.3 s, then read the figure.
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1300);
  Client c(e.port);
  while (std::chrono::steady_clock::now() < end)
    ASSERT_EQ(c.request("GET", "/").status, 200);
  llvm::json::Object s = parse(get(e.control, "/control").body);
  EXPECT_GT(s.getNumber("cpu_utilization").getValueOr(0), 10) << get(e.control, "/control").body;
}

TEST(Echo, BadArgumentsExit2) {
  Process p({INFRAC_ECHO_BINARY, "--port", "notaport"});
  int st = -1;
  for (int i = 0; i < 200 && st < 0; ++i) {
    st = p.signalAndWait(0, std::chrono::milliseconds(20));
  }
  ASSERT_GE(st, 0);
  EXPECT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 2);
}

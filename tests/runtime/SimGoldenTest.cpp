//===- SimGoldenTest.cpp - Golden timelines and traces of every scenario --===//
//
// Every scenario of every example and of tests/runtime/*.infra, at seeds 1, 2
// and 3, through the real command line: `infrac sim FILE --scenario S --seed N
// --trace T`. Its standard output (timeline, verdicts, summary) is compared
// byte for byte with tests/golden/sim/<file>.<scenario>.seed<N>.timeline.
//
// The traces hold tens of megabytes of request, response and probe records,
// too many to keep in the repository; their golden (.trace) keeps the SHA-256
// of the whole trace, its record count per kind, and every other record
// verbatim (targets, groups, metrics, notes, verdicts), so any change to any
// byte fails the test and most changes show which record moved.
//
// The plan each scenario runs (`--emit=plan`) has its golden (.plan) too.
//
// INFRAC_UPDATE_GOLDENS=1 rewrites them; review the diff.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"
#include "TestSupport.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"

#include <gtest/gtest.h>

#include <map>

using namespace infrac;
using namespace infrac::test;
using llvm::StringRef;

namespace {

struct GoldenCase {
  std::string file;     ///< Relative to the source directory.
  std::string scenario;
  unsigned seed;
  /// "webshop.black_friday.seed1": the golden files' stem.
  std::string stem() const {
    return llvm::sys::path::stem(file).str() + "." + scenario + ".seed" + std::to_string(seed);
  }
};

void PrintTo(const GoldenCase &c, std::ostream *os) {
  *os << c.file << " --scenario " << c.scenario << " --seed " << c.seed;
}

std::vector<GoldenCase> goldenCases() {
  std::vector<GoldenCase> out;
  std::vector<std::string> files = listFiles("examples", ".infra", false);
  for (const std::string &f : listFiles("tests/runtime", ".infra", false))
    files.push_back(f);
  for (const std::string &path : files) {
    std::string text = readFile(path);
    std::string rel = StringRef(path).drop_front(sourceDir().size() + 1).str();
    // Top-level `scenario NAME {` lines.
    for (StringRef rest = text; !rest.empty();) {
      auto [line, tail] = rest.split('\n');
      rest = tail;
      if (!line.consume_front("scenario "))
        continue;
      StringRef name = line.take_while([](char c) { return llvm::isAlnum(c) || c == '_'; });
      for (unsigned seed : {1u, 2u, 3u})
        out.push_back({rel, name.str(), seed});
    }
  }
  return out;
}

/// The kinds of record kept only as counts (and in the hash).
bool bulk(StringRef kind) { return kind == "request" || kind == "response" || kind == "probe"; }

std::string summarizeTrace(StringRef trace) {
  llvm::SHA256 sha;
  sha.update(trace);
  std::map<std::string, uint64_t> kinds;
  std::string kept;
  uint64_t records = 0;
  for (StringRef rest = trace; !rest.empty();) {
    auto [line, tail] = rest.split('\n');
    rest = tail;
    ++records;
    std::string kind = traceField(line, "ev").value_or("?").str();
    ++kinds[kind];
    if (!bulk(kind))
      kept += line.str() + "\n";
  }
  std::string out = "# sha256 " + llvm::toHex(sha.final(), /*LowerCase=*/true) + "\n";
  out += "# " + std::to_string(trace.size()) + " bytes, " + std::to_string(records) +
         " records:";
  for (const auto &[kind, n] : kinds)
    out += " " + kind + " " + std::to_string(n);
  return out + "\n" + kept;
}

class SimGoldenTest : public testing::TestWithParam<GoldenCase> {};

TEST_P(SimGoldenTest, TimelineAndTraceAreUnchanged) {
  const GoldenCase &c = GetParam();
  std::string dir = makeTempDir();
  std::string tracePath = dir + "/trace.jsonl";
  ProcessResult r = runProcess({INFRAC_BINARY, "sim", sourceDir() + "/" + c.file, "--scenario",
                                c.scenario, "--seed", std::to_string(c.seed), "--trace",
                                tracePath, "--colour=never"});
  ASSERT_TRUE(r.exitCode == 0 || r.exitCode == 1) << r.err;
  std::string golden = sourceDir() + "/tests/golden/sim/" + c.stem();
  std::string diff = compareGolden(golden + ".timeline", r.out);
  EXPECT_TRUE(diff.empty()) << diff;
  diff = compareGolden(golden + ".trace", summarizeTrace(readFile(tracePath)));
  EXPECT_TRUE(diff.empty()) << diff;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, SimGoldenTest, testing::ValuesIn(goldenCases()),
                         [](const testing::TestParamInfo<GoldenCase> &info) {
                           std::string name = info.param.stem();
                           for (char &ch : name)
                             if (!llvm::isAlnum(ch))
                               ch = '_';
                           return name;
                         });

/// `infrac sim FILE --scenario S --emit=plan`: what the runtime was given,
/// once per scenario (the seed does not change the plan).
class PlanGoldenTest : public testing::TestWithParam<GoldenCase> {};

TEST_P(PlanGoldenTest, PlanIsUnchanged) {
  const GoldenCase &c = GetParam();
  ProcessResult r = runProcess({INFRAC_BINARY, "sim", sourceDir() + "/" + c.file, "--scenario",
                                c.scenario, "--emit=plan"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::string golden = sourceDir() + "/tests/golden/sim/" + llvm::sys::path::stem(c.file).str() +
                       "." + c.scenario + ".plan";
  std::string diff = compareGolden(golden, r.out);
  EXPECT_TRUE(diff.empty()) << diff;
}

std::vector<GoldenCase> planCases() {
  std::vector<GoldenCase> out;
  for (const GoldenCase &c : goldenCases())
    if (c.seed == 1)
      out.push_back(c);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, PlanGoldenTest, testing::ValuesIn(planCases()),
                         [](const testing::TestParamInfo<GoldenCase> &info) {
                           std::string name =
                               llvm::sys::path::stem(info.param.file).str() + "_" +
                               info.param.scenario;
                           for (char &ch : name)
                             if (!llvm::isAlnum(ch))
                               ch = '_';
                           return name;
                         });

TEST(SimGoldenTest, EveryScenarioHasGoldens) {
  // The golden folder holds exactly the cases above: a scenario that is
  // renamed or removed leaves no stale golden behind.
  std::vector<std::string> expected;
  for (const GoldenCase &c : goldenCases()) {
    expected.push_back(c.stem() + ".timeline");
    expected.push_back(c.stem() + ".trace");
    if (c.seed == 1)
      expected.push_back(llvm::sys::path::stem(c.file).str() + "." + c.scenario + ".plan");
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> actual;
  for (const char *ext : {".timeline", ".trace", ".plan"})
    for (const std::string &p : listFiles("tests/golden/sim", ext, false))
      actual.push_back(llvm::sys::path::filename(p).str());
  std::sort(actual.begin(), actual.end());
  if (std::getenv("INFRAC_UPDATE_GOLDENS"))
    return; // Being rewritten now.
  EXPECT_EQ(expected, actual);
}

} // namespace

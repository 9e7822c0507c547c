//===- ReportTest.cpp - infrac sim --report --------------------------------===//
//
// The page itself is tested in a browser (tests/browser); here, the command:
// the same run gives the same page byte for byte, the page holds the trace's
// verdicts and events and nothing to fetch, --report leaves the records of
// --trace as they are (it only adds `series` and `decided`), and a bad path
// is a located error that leaves no file behind.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

using namespace infrac::test;
using llvm::StringRef;

namespace {

const std::string bin = INFRAC_BINARY;

std::string example(const char *name) { return sourceDir() + "/examples/" + name; }

/// Every line of `text` that does not contain `drop`.
std::string without(StringRef text, std::initializer_list<StringRef> drop) {
  std::string out;
  while (!text.empty()) {
    auto [line, rest] = text.split('\n');
    bool keep = true;
    for (StringRef d : drop)
      keep &= !line.contains(d);
    if (keep)
      out += line.str() + "\n";
    text = rest;
  }
  return out;
}

size_t count(StringRef text, StringRef what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != StringRef::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(Report, SameRunSamePage) {
  std::string dir = makeTempDir();
  for (const char *page : {"/a.html", "/b.html"}) {
    ProcessResult r = runProcess({bin, "sim", example("webshop.infra"), "--scenario",
                                  "black_friday", "--report", dir + page});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_EQ(r.err, "");
  }
  std::string a = readFile(dir + "/a.html");
  EXPECT_GT(a.size(), 50000u) << "the page inlines uPlot";
  EXPECT_EQ(a, readFile(dir + "/b.html"));
}

TEST(Report, PageHoldsTheTraceAndFetchesNothing) {
  std::string dir = makeTempDir();
  ProcessResult r = runProcess({bin, "sim", example("zk_election.infra"), "--report",
                                dir + "/r.html", "--trace", dir + "/t.jsonl"});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  std::string page = readFile(dir + "/r.html");
  std::string trace = readFile(dir + "/t.jsonl");
  // Every verdict and every `decided` record of the trace is on the page.
  EXPECT_EQ(count(page, "<tr class=\"verdict pass\">"), count(trace, "\"ev\":\"verdict\""));
  EXPECT_EQ(count(trace, "\"ev\":\"decided\""), count(trace, "\"ev\":\"verdict\""));
  // The leader chart of the election, and the diagram.
  EXPECT_NE(page.find("\"id\":\"leader\""), std::string::npos);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  // No element loads anything, and the policy forbids it.
  for (StringRef fetch : {"<script src", "<link", "<img", "<iframe", "url("})
    EXPECT_EQ(page.find(fetch.str()), std::string::npos) << fetch.str();
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
}

TEST(Report, TraceKeepsItsRecords) {
  std::string dir = makeTempDir();
  std::string file = example("webshop.infra");
  ProcessResult plain = runProcess({bin, "sim", file, "--trace", dir + "/plain.jsonl"});
  ProcessResult with = runProcess(
      {bin, "sim", file, "--trace", dir + "/with.jsonl", "--report", dir + "/r.html"});
  ASSERT_EQ(plain.exitCode, 0) << plain.err;
  ASSERT_EQ(with.exitCode, 0) << with.err;
  EXPECT_EQ(plain.out, with.out) << "the timeline is the same";
  std::string added = readFile(dir + "/with.jsonl");
  EXPECT_GT(count(added, "\"ev\":\"series\""), 200u) << "one a second of 210 s";
  EXPECT_EQ(without(added, {"\"ev\":\"series\"", "\"ev\":\"decided\""}),
            readFile(dir + "/plain.jsonl"));
}

TEST(Report, BadPathIsALocatedErrorAndLeavesNothing) {
  std::string dir = makeTempDir();
  std::string page = dir + "/missing/r.html";
  ProcessResult r =
      runProcess({bin, "sim", example("webshop.infra"), "--report", page});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.out, "") << "nothing is simulated";
  EXPECT_EQ(r.err, "infrac sim: --report: cannot write '" + page + "': the directory '" + dir +
                       "/missing' does not exist\n");
  // A trace given with it is not left behind either.
  ProcessResult both = runProcess({bin, "sim", example("webshop.infra"), "--trace",
                                   dir + "/t.jsonl", "--report", page});
  EXPECT_EQ(both.exitCode, 2);
  std::error_code ec;
  unsigned files = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    ++files;
  EXPECT_EQ(files, 0u) << "no page, no trace, no temporary";
}

TEST(Report, OnlyOfOneScenario) {
  std::string dir = makeTempDir();
  ProcessResult all =
      runProcess({bin, "sim", example("webshop.infra"), "--all", "--report", dir + "/r.html"});
  EXPECT_EQ(all.exitCode, 2);
  EXPECT_EQ(all.err,
            "infrac sim: --report writes the run of one scenario; it cannot go with --all\n");
  EXPECT_FALSE(llvm::sys::fs::exists(dir + "/r.html"));
}

} // namespace

//===- VerifyTest.cpp - .infra files with inline expected diagnostics -----===//
//
// Every tests/check/**/*.infra file (except those under an inc/ folder, which
// are only imported) is checked like clang -verify: each comment
//
//   # expected-error@+1 [REF001] {{unknown target group 'wbe'; did you mean 'web'?}}
//
// expects one diagnostic of that severity, on that line (@+N / @-N relative to
// the comment, @N absolute, none: the comment's own line), with that id (optional)
// and a message containing the text in {{...}}. A missing and an unexpected
// error or warning both fail. Notes are checked when the file expects any.
// ok_*.infra files must produce nothing; fail_*.infra must expect an error.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

using namespace infrac;
using namespace infrac::test;

namespace {

struct Expected {
  std::string file;
  unsigned line;
  std::string severity;
  std::string id;
  std::string text;
  unsigned commentLine;
  bool matched = false;
};

struct Actual {
  std::string file;
  unsigned line;
  std::string severity;
  std::string id;
  std::string message;
  bool matched = false;
};

std::vector<Expected> parseExpectations(const std::string &file, const std::string &text,
                                        std::vector<std::string> &errors) {
  static const std::regex re(
      R"(expected-(error|warning|note)(@([+-]?)(\d+))?\s*(\[([A-Z]+[0-9]+)\])?\s*\{\{(.*?)\}\})");
  std::vector<Expected> out;
  std::istringstream in(text);
  std::string line;
  unsigned lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    size_t hash = line.find('#');
    if (hash == std::string::npos || line.find("expected-", hash) == std::string::npos)
      continue;
    std::string comment = line.substr(hash);
    auto begin = std::sregex_iterator(comment.begin(), comment.end(), re);
    if (begin == std::sregex_iterator()) {
      errors.push_back(file + ":" + std::to_string(lineNo) + ": malformed expectation");
      continue;
    }
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const std::smatch &m = *it;
      Expected e;
      e.file = file;
      e.severity = m[1];
      e.commentLine = lineNo;
      e.line = lineNo;
      if (m[2].matched) {
        int n = std::stoi(m[4]);
        if (m[3] == "+")
          e.line = lineNo + n;
        else if (m[3] == "-")
          e.line = lineNo - n;
        else
          e.line = n;
      }
      e.id = m[6];
      e.text = m[7];
      out.push_back(e);
    }
  }
  return out;
}

std::string describe(const Actual &a) {
  return a.file + ":" + std::to_string(a.line) + ": " + a.severity + ": " + a.message +
         (a.id.empty() ? "" : " [" + a.id + "]");
}

std::string describe(const Expected &e) {
  return e.file + ":" + std::to_string(e.line) + ": " + e.severity + ": {{" + e.text +
         "}}" + (e.id.empty() ? "" : " [" + e.id + "]") + " (expectation on line " +
         std::to_string(e.commentLine) + ")";
}

class VerifyTest : public testing::TestWithParam<std::string> {};

TEST_P(VerifyTest, DiagnosticsMatchExpectations) {
  const std::string path = GetParam();
  // Front-end tests see the front end only; tests/check/rules/ the rules too.
  bool rules = path.find("/tests/check/rules/") != std::string::npos;
  auto run = runFrontEnd({path}, {}, 0, rules ? Stages::WithRules : Stages::FrontEnd);
  ASSERT_TRUE(run->loaded) << "cannot load " << path;

  // Expectations from every loaded file (the root and what it imports).
  std::vector<std::string> problems;
  std::vector<Expected> expected;
  for (const ast::File *f : run->program.files) {
    std::string name = llvm::sys::path::filename(f->path).str();
    llvm::StringRef text = run->sm.getMemoryBuffer(f->bufferId)->getBuffer();
    auto exps = parseExpectations(name, text.str(), problems);
    expected.insert(expected.end(), exps.begin(), exps.end());
  }
  bool checkNotes = false;
  for (const Expected &e : expected)
    checkNotes |= e.severity == "note";

  std::vector<Actual> actual;
  for (const Diagnostic &d : run->diags.getDiagnostics()) {
    PresumedLoc p = getPresumedLoc(run->sm, d.range.Start);
    EXPECT_GT(p.line, 0u) << "diagnostic without a location: " << d.message;
    actual.push_back({llvm::sys::path::filename(p.file).str(), p.line,
                      severityName(d.severity).str(), diagCode(d).str(),
                      d.message});
    if (checkNotes)
      for (const DiagNote &n : d.notes) {
        PresumedLoc np = getPresumedLoc(run->sm, n.range.Start);
        actual.push_back({llvm::sys::path::filename(np.file).str(), np.line, "note", "",
                          n.message});
      }
  }

  for (Expected &e : expected)
    for (Actual &a : actual)
      if (!a.matched && a.file == e.file && a.line == e.line && a.severity == e.severity &&
          (e.id.empty() || e.id == a.id) && a.message.find(e.text) != std::string::npos) {
        a.matched = e.matched = true;
        break;
      }
  for (const Expected &e : expected)
    if (!e.matched)
      problems.push_back("missing:    " + describe(e));
  for (const Actual &a : actual)
    if (!a.matched)
      problems.push_back("unexpected: " + describe(a));

  std::string base = llvm::sys::path::filename(path).str();
  if (llvm::StringRef(base).startswith("ok_") && !expected.empty())
    problems.push_back("an ok_ file must not expect diagnostics");
  // tests/check/rules/<ID>/fail_*: the file exists to show rule <ID> firing,
  // at whatever severity the rule has. Elsewhere a fail_ file expects an error.
  std::string ruleId;
  if (rules)
    ruleId = llvm::sys::path::filename(llvm::sys::path::parent_path(path)).str();
  if (llvm::StringRef(base).startswith("fail_")) {
    bool shown = false;
    for (const Expected &e : expected)
      shown |= ruleId.empty() ? e.severity == "error" : e.id == ruleId;
    if (!shown)
      problems.push_back(ruleId.empty() ? "a fail_ file must expect at least one error"
                                        : "a fail_ file of rule " + ruleId +
                                              " must expect a diagnostic [" + ruleId + "]");
  }

  std::string report;
  for (const std::string &p : problems)
    report += "  " + p + "\n";
  EXPECT_TRUE(problems.empty()) << path << ":\n" << report;
}

std::vector<std::string> checkFiles() {
  std::vector<std::string> out;
  for (const std::string &f : listFiles("tests/check", ".infra", /*recursive=*/true))
    if (f.find("/inc/") == std::string::npos)
      out.push_back(f);
  return out;
}

std::string testName(const testing::TestParamInfo<std::string> &info) {
  std::string rel = info.param.substr(info.param.find("tests/check/") + 12);
  std::string name;
  for (char c : rel.substr(0, rel.size() - 6))
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Check, VerifyTest, testing::ValuesIn(checkFiles()), testName);

TEST(VerifyTest, ThereAreCheckFiles) { EXPECT_GE(checkFiles().size(), 20u); }

} // namespace

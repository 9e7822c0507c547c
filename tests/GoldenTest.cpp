//===- GoldenTest.cpp - AST and model dumps against golden files ----------===//
//
// tests/golden/<name>.infra has <name>.ast and <name>.model beside it; every
// examples/<name>.infra has tests/golden/examples/<name>.model and must check
// clean. INFRAC_UPDATE_GOLDENS=1 rewrites the goldens (review the diff).
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace infrac;
using namespace infrac::test;

namespace {

std::string renderDiagnostics(FrontEndRun &run) {
  std::string s;
  llvm::raw_string_ostream os(s);
  renderText(run.diags, os, TextRenderOptions{});
  return os.str();
}

std::string dumpAst(FrontEndRun &run) {
  std::string s;
  llvm::raw_string_ostream os(s);
  ast::dumpAST(run.program, run.sm, os);
  return os.str();
}

std::string dumpModel(FrontEndRun &run) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (run.model)
    sema::dumpModel(*run.model, run.sm, os);
  return os.str();
}

std::string stem(const std::string &path) {
  return llvm::sys::path::stem(path).str();
}

std::string paramName(const testing::TestParamInfo<std::string> &info) {
  std::string name;
  for (char c : stem(info.param))
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

class GoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, AstAndModelMatch) {
  const std::string path = GetParam();
  auto run = runFrontEnd({path});
  ASSERT_TRUE(run->loaded);
  EXPECT_EQ(run->diags.getNumErrors(), 0u) << renderDiagnostics(*run);
  std::string base = path.substr(0, path.size() - 6);
  std::string msg = compareGolden(base + ".ast", dumpAst(*run));
  EXPECT_TRUE(msg.empty()) << msg;
  msg = compareGolden(base + ".model", dumpModel(*run));
  EXPECT_TRUE(msg.empty()) << msg;
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenTest,
                         testing::ValuesIn(listFiles("tests/golden", ".infra", false)),
                         paramName);

class ExampleTest : public testing::TestWithParam<std::string> {};

TEST_P(ExampleTest, ChecksCleanAndMatchesGolden) {
  const std::string path = GetParam();
  auto run = runFrontEnd({path}, {}, 0, Stages::WithRules);
  ASSERT_TRUE(run->loaded);
  EXPECT_TRUE(run->diags.getDiagnostics().empty()) << renderDiagnostics(*run);
  std::string golden = sourceDir() + "/tests/golden/examples/" + stem(path) + ".model";
  std::string msg = compareGolden(golden, dumpModel(*run));
  EXPECT_TRUE(msg.empty()) << msg;
}

TEST_P(ExampleTest, DumpIsDeterministic) {
  auto a = runFrontEnd({GetParam()});
  auto b = runFrontEnd({GetParam()});
  EXPECT_EQ(dumpModel(*a), dumpModel(*b));
  EXPECT_EQ(dumpAst(*a), dumpAst(*b));
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleTest,
                         testing::ValuesIn(listFiles("examples", ".infra", false)),
                         paramName);

TEST(ExampleTest, TheFiveExamplesExist) {
  for (const char *name : {"webshop", "nlb_game", "emr_analytics", "zk_election", "sessions"})
    EXPECT_FALSE(readFile(sourceDir() + "/examples/" + name + ".infra").empty()) << name;
}

} // namespace

namespace {

// docs/kinds.md is `infrac schema`; regenerate it with INFRAC_UPDATE_GOLDENS=1.
TEST(DocsTest, KindsReferenceIsInSyncWithTheSchema) {
  std::string s;
  llvm::raw_string_ostream os(s);
  sema::printSchemaMarkdown(os);
  std::string msg = compareGolden(sourceDir() + "/docs/kinds.md", os.str());
  EXPECT_TRUE(msg.empty()) << msg;
}

} // namespace

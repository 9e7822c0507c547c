//===- RobustnessTest.cpp - Bad input never crashes, hangs or overflows ---===//
//
// Each input is generated here (some are megabytes) and must give at least
// one located error and no crash; the binary must exit with 1.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include <gtest/gtest.h>

using namespace infrac;
using namespace infrac::test;

namespace {

struct BadInput {
  const char *name;
  std::string (*make)();
  const char *expectedId; ///< The id of the first error.
};

std::string repeat(const std::string &s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

/// An example with its first `from` replaced by `to`.
std::string exampleWith(const char *name, const std::string &from, const std::string &to) {
  std::string text = readFile(sourceDir() + "/examples/" + name);
  size_t at = text.find(from);
  if (at == std::string::npos)
    return "# '" + from + "' is no longer in " + name; // LEX007: the test fails.
  return text.replace(at, from.size(), to);
}

/// let a0 = a1, let a1 = a2, ... through `n` names, used by a VPC.
std::string letChain(size_t n, bool cycle) {
  std::string s;
  for (size_t i = 0; i < n; ++i)
    s += "let a" + std::to_string(i) + " = a" + std::to_string(i + 1) + "\n";
  s += "let a" + std::to_string(n) + (cycle ? " = a0\n" : " = \"10.0.0.0/16\"\n");
  return s + "vpc v { cidr = a0 }\n";
}

const BadInput inputs[] = {
    {"Empty", [] { return std::string(); }, "LEX007"},
    {"OnlyComments", [] { return std::string("# nothing here\n# at all\n"); }, "LEX007"},
    {"Binary",
     [] {
       std::string s;
       for (int i = 0; i < 4096; ++i)
         s += static_cast<char>((i * 7919) & 0xff);
       return s;
     },
     "LEX006"},
    {"InvalidUtf8InString", [] { return std::string("vpc a { cidr = \"\xff\xfe\" }\n"); },
     "LEX004"},
    {"InvalidUtf8AsName", [] { return std::string("vpc \xc3\x28 { }\n"); }, "LEX004"},
    {"TenMegabyteString",
     [] { return "vpc a { cidr = \"" + std::string(10 << 20, 'x') + "\" }\n"; }, "TYP005"},
    {"TenMegabyteLineOfBlocks",
     [] {
       std::string s;
       for (int i = 0; s.size() < (10u << 20); ++i)
         s += "vpc v" + std::to_string(i) + " { cidr = \"10.0.0.0/16\" zz = 1 } ";
       return s;
     },
     "ATTR001"},
    {"DeepBrackets",
     [] { return "let x = " + repeat("[", 10000) + repeat("]", 10000) + "\n"; }, "LEX005"},
    {"DeepBlocks",
     [] { return "vpc a " + repeat("{ b ", 10000) + repeat("}", 10000) + "\n"; },
     "LEX005"},
    {"DeepParens",
     [] { return "let x = " + repeat("(", 10000) + "1" + repeat(")", 10000) + "\n"; },
     "LEX005"},
    {"UnterminatedString", [] { return std::string("vpc a { cidr = \"10.0.0.0/16 }\n"); },
     "LEX002"},
    {"UnterminatedBlock", [] { return std::string("vpc a {\n  cidr = \"10.0.0.0/16\"\n"); },
     "SYN003"},
    {"MissingImport", [] { return std::string("import \"no/such/file.infra\"\n"); },
     "IMP001"},
    {"StrayCloser", [] { return std::string("}\n"); }, "SYN002"},
    {"HugeNumber", [] { return std::string("let x = 99999999999999999999999\n"); }, "SYN005"},
    // Issue 18: recursion without a bound, overflow after unit conversion.
    {"LongUnaryMinus", [] { return "let x = " + std::string(100000, '-') + "1\n"; }, "LEX005"},
    {"LongUnaryMinusInAValue",
     [] { return exampleWith("nlb_game.infra", "port = 7777; vpc", "port = " +
                                                                   std::string(30000, '-') +
                                                                   "7777; vpc"); },
     "LEX005"},
    {"NulInComment",
     [] { return std::string("# a comment\0 with a NUL\nvpc a { cidr = \"10.0.0.0/16\" }\n", 55); },
     "LEX006"},
    {"LetChain30000", [] { return letChain(30000, false); }, "CYC003"},
    {"LetCycle30000", [] { return letChain(30000, true); }, "CYC003"},
    {"HugeSize", [] { return exampleWith("nlb_game.infra", "size = 30GiB", "size = 99999999TiB"); },
     "UNIT005"},
    {"HugeDuration",
     [] {
       return exampleWith("nlb_game.infra", "deregistration_delay = 120s",
                          "deregistration_delay = 1000000000000d");
     },
     "UNIT005"},
    {"HugeTolerate",
     [] {
       return exampleWith("zk_election.infra", "tolerate = 1",
                          "tolerate = 4611686018427387904");
     },
     "TYP009"},
    {"HugeClients",
     [] { return exampleWith("nlb_game.infra", "clients = 2000", "clients = 4294967296"); },
     "TYP009"},
    {"NulInImportPath",
     [] { return std::string("import \"a\\0b.infra\"\nvpc a { cidr = \"10.0.0.0/16\" }\n"); },
     "IMP001"},
    {"TenMegabyteLineOfSemicolons", [] { return std::string(10 << 20, ';'); }, "LEX007"},
};

void PrintTo(const BadInput &in, std::ostream *os) { *os << in.name; }

class RobustnessTest : public testing::TestWithParam<BadInput> {};

TEST_P(RobustnessTest, LocatedErrorAndNoCrash) {
  const BadInput &in = GetParam();
  std::string dir = makeTempDir();
  std::string path = dir + "/input.infra";
  writeFile(path, in.make());

  auto run = runFrontEnd({path}, {}, /*errorLimit=*/50);
  ASSERT_TRUE(run->loaded);
  ASSERT_GT(run->diags.getNumErrors(), 0u);
  const Diagnostic &first = run->diags.getDiagnostics().front();
  EXPECT_EQ(getDiagInfo(first.id).id, in.expectedId) << first.message;
  PresumedLoc loc = getPresumedLoc(run->sm, first.range.Start);
  EXPECT_GT(loc.line, 0u) << "the first error has no location: " << first.message;

  ProcessResult r = runProcess({INFRAC_BINARY, "check", path});
  EXPECT_EQ(r.exitCode, 1) << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find("error:"), std::string::npos);
  // A long line is shown as a window, never whole.
  EXPECT_LT(r.err.size(), 64u * 1024) << "diagnostics output is too large";
}

INSTANTIATE_TEST_SUITE_P(BadInput, RobustnessTest, testing::ValuesIn(inputs),
                         [](const testing::TestParamInfo<BadInput> &i) {
                           return std::string(i.param.name);
                         });

TEST(RobustnessTest, ImportCycleIsReportedOnce) {
  std::string dir = makeTempDir();
  writeFile(dir + "/a.infra", "import \"b.infra\"\nvpc a { cidr = \"10.0.0.0/16\" }\n");
  writeFile(dir + "/b.infra", "import \"a.infra\"\nvpc b { cidr = \"10.1.0.0/16\" }\n");
  auto run = runFrontEnd({dir + "/a.infra"});
  ASSERT_TRUE(run->loaded);
  ASSERT_EQ(run->diags.getNumErrors(), 1u);
  EXPECT_EQ(getDiagInfo(run->diags.getDiagnostics()[0].id).id, "IMP002");
  EXPECT_EQ(run->program.files.size(), 2u);
}

TEST(RobustnessTest, ErrorLimitStopsAFloodOfErrors) {
  std::string dir = makeTempDir();
  writeFile(dir + "/f.infra", "vpc a { " + repeat("zz = 1 ", 10000) + "}\n");
  ProcessResult r = runProcess({INFRAC_BINARY, "check", dir + "/f.infra"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("too many errors; stopping after 50"), std::string::npos);
}

} // namespace

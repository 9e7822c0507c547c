//===- BuildTest.cpp - infrac build: goldens, cfn-lint, the specification ---===//
//
// The designs are every examples/*.infra and the coverage designs in
// tests/golden/cfn/*.infra; their templates are tests/golden/cfn/<name>.template
// .json and .yaml (INFRAC_UPDATE_GOLDENS=1 rewrites them; review the diff).
// Each template must then pass the real cfn-lint with no errors and only the
// warnings justified in CfnTools.cpp, and the check of every resource type,
// property and primitive type against npm @aws-cdk/cfnspec
// (tests/cfn-tools/check-spec.js).
// scripts/setup-cfn-tools.sh installs node, the specification and cfn-lint.
//
//===----------------------------------------------------------------------===//

#include "CfnTools.h"
#include "Emit/CloudFormation.h"
#include "TestSupport.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <set>

using namespace infrac;
using namespace infrac::test;

namespace {

const std::string bin = INFRAC_BINARY;

/// A temporary directory removed at the end of the test.
struct TempDir {
  std::string path = makeTempDir();
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
};

std::string stem(const std::string &path) { return llvm::sys::path::stem(path).str(); }

/// Every design that has a golden template.
std::vector<std::string> designs() {
  std::vector<std::string> out = listFiles("examples", ".infra", false);
  for (const std::string &f : listFiles("tests/golden/cfn", ".infra", false))
    out.push_back(f);
  return out;
}

std::string goldenBase(const std::string &design) {
  return sourceDir() + "/tests/golden/cfn/" + stem(design) + ".template";
}

/// Builds every design into `dir` (JSON and YAML); returns the file names.
std::vector<std::string> buildAll(const std::string &dir) {
  std::vector<std::string> files;
  for (const std::string &design : designs()) {
    ProcessResult r = runProcess({bin, "build", design, "-o", dir, "--yaml"});
    EXPECT_EQ(r.exitCode, 0) << design << "\n" << r.err;
    files.push_back(dir + "/" + stem(design) + ".template.json");
    files.push_back(dir + "/" + stem(design) + ".template.yaml");
  }
  return files;
}

//===----------------------------------------------------------------------===//
// Goldens and determinism
//===----------------------------------------------------------------------===//

std::string paramName(const testing::TestParamInfo<std::string> &info) {
  std::string name;
  for (char c : stem(info.param))
    name += llvm::isAlnum(c) ? c : '_';
  return name;
}

class BuildGoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(BuildGoldenTest, TemplatesMatchGoldens) {
  const std::string design = GetParam();
  TempDir out;
  ProcessResult r = runProcess({bin, "build", design, "-o", out.path, "--yaml"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::string json = readFile(out.path + "/" + stem(design) + ".template.json");
  std::string yaml = readFile(out.path + "/" + stem(design) + ".template.yaml");
  std::string msg = compareGolden(goldenBase(design) + ".json", json);
  EXPECT_TRUE(msg.empty()) << msg;
  msg = compareGolden(goldenBase(design) + ".yaml", yaml);
  EXPECT_TRUE(msg.empty()) << msg;

  // Byte-identical run to run, and -o - prints what the file holds.
  ProcessResult again = runProcess({bin, "build", design, "-o", "-"});
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_EQ(again.out, json);
  ProcessResult yamlOut = runProcess({bin, "build", design, "-o", "-", "--yaml"});
  ASSERT_EQ(yamlOut.exitCode, 0) << yamlOut.err;
  EXPECT_EQ(yamlOut.out, yaml);
}

INSTANTIATE_TEST_SUITE_P(Designs, BuildGoldenTest, testing::ValuesIn(designs()), paramName);

TEST(BuildTest, EveryDesignHasGoldens) {
  std::set<std::string> expected;
  for (const std::string &design : designs()) {
    expected.insert(stem(design) + ".template.json");
    expected.insert(stem(design) + ".template.yaml");
  }
  std::set<std::string> found;
  for (const char *ext : {".json", ".yaml"})
    for (const std::string &f : listFiles("tests/golden/cfn", ext, false))
      found.insert(llvm::sys::path::filename(f).str());
  EXPECT_EQ(found, expected) << "a golden without its design, or a design without goldens";
}

//===----------------------------------------------------------------------===//
// cfn-lint
//===----------------------------------------------------------------------===//

/// The region a design is in.
std::string regionOfDesign(const std::string &design) { return regionOfText(readFile(design)); }

std::vector<std::string> regions() {
  std::set<std::string> out;
  for (const std::string &design : designs())
    out.insert(regionOfDesign(design));
  return {out.begin(), out.end()};
}

/// cfn-lint over the templates of the designs in one region (each region its
/// own test, so that ctest runs them side by side: cfn-lint takes seconds to
/// start), with region-specific checks (instance types, zones) for it.
class CfnLintTest : public testing::TestWithParam<std::string> {};

TEST_P(CfnLintTest, NoErrorsAndOnlyJustifiedWarnings) {
  const std::string region = GetParam();
  std::string cfnLintPath = findTool("cfn-lint", "INFRAC_CFN_LINT");
  ASSERT_FALSE(cfnLintPath.empty()) << "cfn-lint is not installed" << cfnSetupHint;
  TempDir out;
  std::vector<std::string> files;
  for (const std::string &design : designs()) {
    if (regionOfDesign(design) != region)
      continue;
    ProcessResult r = runProcess({bin, "build", design, "-o", out.path, "--yaml"});
    ASSERT_EQ(r.exitCode, 0) << design << "\n" << r.err;
    files.push_back(out.path + "/" + stem(design) + ".template.json");
    files.push_back(out.path + "/" + stem(design) + ".template.yaml");
  }
  int rc = 0;
  size_t warnings = 0;
  for (const LintFinding &f : cfnLint(cfnLintPath, region, files, &rc)) {
    if (allowedCfnLintWarnings.count(f.rule)) {
      ++warnings;
      continue;
    }
    ADD_FAILURE() << "cfn-lint: " << f.file << ": " << f.rule << ": " << f.message;
  }
  // cfn-lint exits with a bit mask: 2 errors, 4 warnings, 8 informational.
  EXPECT_EQ(rc & 2, 0);
  EXPECT_GT(warnings, 0u) << "not even W3010: is cfn-lint reading the templates?";
}

std::string regionName(const testing::TestParamInfo<std::string> &info) {
  std::string name;
  for (char c : info.param)
    name += llvm::isAlnum(c) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Regions, CfnLintTest, testing::ValuesIn(regions()), regionName);

TEST(BuildTest, CfnLintFindsErrors) {
  // The same runner on a broken template reports its errors: the test above
  // can fail.
  std::string cfnLintPath = findTool("cfn-lint", "INFRAC_CFN_LINT");
  ASSERT_FALSE(cfnLintPath.empty()) << "cfn-lint is not installed" << cfnSetupHint;
  TempDir out;
  std::string path = out.path + "/broken.template.json";
  writeFile(path, R"({
  "Resources": {
    "Tg": {
      "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
      "Properties": { "Port": 80, "Protocol": "HTTP", "HealthCheckIntervalSeconds": 900, "Colour": "red" }
    }
  }
}
)");
  int rc = 0;
  std::set<std::string> rules;
  for (const LintFinding &f : cfnLint(cfnLintPath, "us-east-1", {path}, &rc))
    rules.insert(f.rule);
  EXPECT_NE(rc & 2, 0);
  EXPECT_TRUE(rules.count("E3002")) << "unknown property 'Colour'";
  EXPECT_TRUE(rules.count("E3034")) << "interval out of range";
}

//===----------------------------------------------------------------------===//
// The resource specification
//===----------------------------------------------------------------------===//

struct SpecRun {
  int exitCode;
  std::string out;
};

SpecRun checkSpec(const std::vector<std::string> &files) {
  std::string node = findTool("node", "INFRAC_NODE");
  EXPECT_FALSE(node.empty()) << "node is not installed" << cfnSetupHint;
  std::string spec = sourceDir() + "/tests/cfn-tools/node_modules/@aws-cdk/cfnspec/package.json";
  EXPECT_TRUE(llvm::sys::fs::exists(spec)) << "@aws-cdk/cfnspec is not installed" << cfnSetupHint;
  if (node.empty())
    return {-1, ""};
  std::vector<std::string> args = {node, sourceDir() + "/tests/cfn-tools/check-spec.js"};
  args.insert(args.end(), files.begin(), files.end());
  ProcessResult r = runProcess(args);
  return {r.exitCode, r.out + r.err};
}

TEST(BuildTest, EveryTemplateMatchesTheSpecification) {
  TempDir out;
  std::vector<std::string> json;
  for (const std::string &f : buildAll(out.path))
    if (llvm::StringRef(f).endswith(".json"))
      json.push_back(f);
  SpecRun r = checkSpec(json);
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_NE(r.out.find(": 0 problems"), std::string::npos) << r.out;
}

TEST(BuildTest, SpecificationCheckRejectsWhatAwsWouldNot) {
  TempDir out;
  std::string path = out.path + "/bogus.template.json";
  writeFile(path, R"({
  "Parameters": { "Env": { "Type": "Strung" } },
  "Resources": {
    "Net": { "Type": "AWS::EC2::VPC",
             "Properties": { "CidrBlock": "10.0.0.0/16", "EnableDnsSupport": "true", "Colour": "red" } },
    "Typo": { "Type": "AWS::EC2::Vpc" },
    "Tg": { "Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "DependsOn": "Nothing",
            "Properties": { "Port": "80", "VpcId": { "Ref": "Missing" },
                            "Matcher": { "HttpCodes": "200" }, "Tags": [ { "Key": "a" } ] } },
    "Sub": { "Type": "AWS::EC2::Subnet",
             "Properties": { "VpcId": { "Fn::GetAtt": [ "Net", "Arn" ] }, "CidrBlock": "10.0.0.0/24" } }
  },
  "Outputs": { "Dns": { "Value": { "Fn::GetAtt": [ "Tg", "DNSName" ] } } }
}
)");
  SpecRun r = checkSpec({path});
  EXPECT_EQ(r.exitCode, 1) << r.out;
  for (const char *expected : {
           "Parameters.Env: parameter type 'Strung' is not a CloudFormation parameter type",
           "Resources.Net.Properties.EnableDnsSupport: expected Boolean, found \"true\"",
           "Resources.Net.Properties.Colour: unknown property 'Colour'",
           "Resources.Typo.Type: unknown resource type 'AWS::EC2::Vpc'",
           "Resources.Tg.DependsOn: depends on unknown resource 'Nothing'",
           "Resources.Tg.Properties.Port: expected Integer, found \"80\"",
           "Resources.Tg.Properties.VpcId: Ref to unknown resource or parameter 'Missing'",
           "Resources.Tg.Properties.Matcher.HttpCodes: unknown property 'HttpCodes'",
           "Resources.Tg.Properties.Tags[0]: required property 'Value' is missing",
           "Resources.Sub.Properties.VpcId: AWS::EC2::VPC has no attribute 'Arn'",
           "Outputs.Dns.Value: AWS::ElasticLoadBalancingV2::TargetGroup has no attribute "
           "'DNSName'",
       })
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << "\n" << r.out;
}

//===----------------------------------------------------------------------===//
// YAML reads back as the JSON
//===----------------------------------------------------------------------===//

TEST(BuildTest, YamlIsTheSameTreeAsJson) {
  std::string python = findTool("python3", "INFRAC_PYTHON");
  ASSERT_FALSE(python.empty()) << "python3 is not installed" << cfnSetupHint;
  TempDir out;
  std::vector<std::string> files = buildAll(out.path);
  // Strings YAML would read as something else unless quoted, through a param.
  std::string tricky = out.path + "/tricky.infra";
  writeFile(tricky, "param a = \"yes\"\nparam b = \"1.0\"\nparam c = \"a: b # c\"\n"
                    "param d = \"line\\nbreak \\\"quoted\\\" \\\\ tab\\t\"\nparam e = \"\"\n"
                    "param f = \"Null\"\nparam g = \"- item\"\nparam h = \"@x\"\n"
                    "vpc v { cidr = \"10.0.0.0/16\"; tags = { a = a, b = b, c = c, d = d, "
                    "e = e, f = f, g = g, h = h, \"k: v\" = \"~\" } }\n");
  ProcessResult r = runProcess({bin, "build", tricky, "-o", out.path, "--yaml"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  files.push_back(out.path + "/tricky.template.json");
  files.push_back(out.path + "/tricky.template.yaml");

  std::vector<std::string> args = {python, "-c",
                                   "import json, sys, yaml\n"
                                   "bad = 0\n"
                                   "for j, y in zip(sys.argv[1::2], sys.argv[2::2]):\n"
                                   "    if json.load(open(j)) != yaml.safe_load(open(y)):\n"
                                   "        print('differs:', y); bad += 1\n"
                                   "print(len(sys.argv[1:]) // 2, 'pairs,', bad, 'differ')\n"
                                   "sys.exit(1 if bad else 0)\n"};
  args.insert(args.end(), files.begin(), files.end());
  ProcessResult check = runProcess(args);
  EXPECT_EQ(check.exitCode, 0) << check.out << check.err;
  EXPECT_NE(check.out.find(" 0 differ"), std::string::npos) << check.out << check.err;
}

//===----------------------------------------------------------------------===//
// The command
//===----------------------------------------------------------------------===//

const char *cleanDesign = "param env = \"prod\"\n"
                          "vpc main { cidr = \"10.0.0.0/16\"; tags = { env = env } }\n";

std::vector<std::string> filesIn(const std::string &dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    out.push_back(llvm::sys::path::filename(it->path()).str());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(BuildCliTest, WritesTheTemplateAndNothingElse) {
  TempDir dir;
  writeFile(dir.path + "/main.infra", cleanDesign);
  std::string out = dir.path + "/out/nested";
  ProcessResult r = runProcess({bin, "build", dir.path + "/main.infra", "-o", out});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(filesIn(out), std::vector<std::string>{"main.template.json"});
  std::string json = readFile(out + "/main.template.json");
  EXPECT_NE(json.find("\"Ref\": \"Env\""), std::string::npos) << json;
  // A second build replaces the file in place.
  r = runProcess({bin, "build", dir.path + "/main.infra", "-o", out, "--yaml", "-P", "env=dev"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(filesIn(out), (std::vector<std::string>{"main.template.json", "main.template.yaml"}));
  EXPECT_NE(readFile(out + "/main.template.json").find("\"Default\": \"dev\""), std::string::npos);
}

TEST(BuildCliTest, EachFileIsAStackWithItsImports) {
  TempDir dir;
  writeFile(dir.path + "/net.infra", "vpc main { cidr = \"10.0.0.0/16\" }\n");
  writeFile(dir.path + "/app.infra",
            "import \"net.infra\"\n"
            "subnet a { vpc = main; zone = \"us-east-1a\"; cidr = \"10.0.1.0/24\" }\n");
  writeFile(dir.path + "/other.infra", cleanDesign);
  ProcessResult r = runProcess(
      {bin, "build", dir.path + "/app.infra", dir.path + "/other.infra", "-o", dir.path + "/out"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(filesIn(dir.path + "/out"),
            (std::vector<std::string>{"app.template.json", "other.template.json"}));
  std::string app = readFile(dir.path + "/out/app.template.json");
  EXPECT_NE(app.find("\"MainVpc\": {"), std::string::npos) << app;
  EXPECT_NE(app.find("\"VpcId\": {\n          \"Ref\": \"MainVpc\""), std::string::npos) << app;
  EXPECT_NE(app.find("\"Description\": \"Built by infrac from app.infra\""), std::string::npos);
}

TEST(BuildCliTest, ErrorsFromSemaStopTheBuild) {
  TempDir dir;
  writeFile(dir.path + "/bad.infra",
            "vpc main { cidr = \"10.0.0.0/16\" }\n"
            "subnet a { vpc = mian; zone = \"z\"; cidr = \"10.0.1.0/24\" }\n");
  ProcessResult r = runProcess({bin, "build", dir.path + "/bad.infra", "-o", dir.path + "/out"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("[REF001]"), std::string::npos) << r.err;
  EXPECT_FALSE(llvm::sys::fs::exists(dir.path + "/out"));
}

TEST(BuildCliTest, ErrorsFromRulesStopTheBuild) {
  TempDir dir;
  // Clean for sema; the rule catalogue rejects the health check (TG012).
  writeFile(dir.path + "/rule.infra", "vpc main { cidr = \"10.0.0.0/16\" }\n"
                                      "target_group web { protocol = http; port = 80; vpc = main\n"
                                      "  health_check { interval = 5s; timeout = 10s } }\n");
  ProcessResult r = runProcess({bin, "build", dir.path + "/rule.infra", "-o", dir.path + "/out"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("[TG012]"), std::string::npos) << r.err;
  EXPECT_FALSE(llvm::sys::fs::exists(dir.path + "/out"));
  // Turned into a warning, the same design builds.
  r = runProcess({bin, "build", dir.path + "/rule.infra", "-o", dir.path + "/out", "--warn=TG012"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST(BuildCliTest, WarningsBuildUnlessWerror) {
  TempDir dir;
  writeFile(dir.path + "/warn.infra",
            "vpc main { cidr = \"10.0.0.0/16\" }\n"
            "security_group ssh { vpc = main\n"
            "  ingress { protocol = tcp; port = 22; from = \"0.0.0.0/0\" } }\n");
  ProcessResult r = runProcess({bin, "build", dir.path + "/warn.infra", "-o", "-"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.err.find("warning:"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("AWS::EC2::SecurityGroup"), std::string::npos);
  r = runProcess({bin, "build", dir.path + "/warn.infra", "-o", dir.path + "/out", "--Werror"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_FALSE(llvm::sys::fs::exists(dir.path + "/out"));
}

TEST(BuildCliTest, UsageErrors) {
  TempDir dir;
  writeFile(dir.path + "/a.infra", cleanDesign);
  std::string sub = dir.path + "/sub";
  llvm::sys::fs::create_directories(sub);
  writeFile(sub + "/a.infra", cleanDesign);
  // -o is required; -o - takes one file; two files may not write one name.
  EXPECT_EQ(runProcess({bin, "build", dir.path + "/a.infra"}).exitCode, 2);
  ProcessResult two =
      runProcess({bin, "build", dir.path + "/a.infra", sub + "/a.infra", "-o", "-"});
  EXPECT_EQ(two.exitCode, 2);
  EXPECT_NE(two.err.find("-o - takes one file"), std::string::npos) << two.err;
  ProcessResult same =
      runProcess({bin, "build", dir.path + "/a.infra", sub + "/a.infra", "-o", dir.path + "/out"});
  EXPECT_EQ(same.exitCode, 2);
  EXPECT_NE(same.err.find("two files would write 'a.template.json'"), std::string::npos)
      << same.err;
  EXPECT_FALSE(llvm::sys::fs::exists(dir.path + "/out"));
}

TEST(BuildCliTest, AFailedWriteLeavesNothingBehind) {
  TempDir dir;
  writeFile(dir.path + "/a.infra", cleanDesign);
  // The YAML's destination is a directory: the JSON must not be written
  // either, and no temporary may stay.
  std::string out = dir.path + "/out";
  llvm::sys::fs::create_directories(out + "/a.template.yaml");
  ProcessResult r = runProcess({bin, "build", dir.path + "/a.infra", "-o", out, "--yaml"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("a.template.yaml"), std::string::npos) << r.err;
  EXPECT_EQ(filesIn(out), std::vector<std::string>{"a.template.yaml"});
  // The output directory cannot be made: a file is in the way.
  writeFile(dir.path + "/file", "x");
  r = runProcess({bin, "build", dir.path + "/a.infra", "-o", dir.path + "/file/out"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("cannot create directory"), std::string::npos) << r.err;
}

TEST(BuildCliTest, WarnsWhatDeploysButMayNotWork) {
  // zk_election's servers sit in private subnets yet fetch ZooKeeper at boot:
  // the example suppresses BLD002 (it runs under sim); without the
  // suppression build warns, located, as check does.
  std::string text = readFile(sourceDir() + "/examples/zk_election.infra");
  size_t at = text.find("# infrac:ignore BLD002");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, text.find('\n', at) - at);
  TempDir dir;
  std::string zk = dir.path + "/zk_election.infra";
  writeFile(zk, text);
  ProcessResult r = runProcess({bin, "build", zk, "-o", "-"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.err.find("zk_election.infra:37:14: warning: coordination 'zk' puts a server in "
                       "subnet 'coord_a', which has no route to the internet"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("[BLD002]"), std::string::npos) << r.err;
  ProcessResult c = runProcess({bin, "check", zk});
  EXPECT_NE(c.err.find("[BLD002]"), std::string::npos) << c.err;
  r = runProcess({bin, "build", zk, "-o", dir.path + "/out", "--Werror"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("error: coordination 'zk' puts a server"), std::string::npos) << r.err;
  EXPECT_FALSE(llvm::sys::fs::exists(dir.path + "/out"));
  // The web shop has nothing to warn about.
  r = runProcess({bin, "build", sourceDir() + "/examples/webshop.infra", "-o", "-"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.err, "");
}

TEST(BuildCliTest, DesignsInfracCannotDeployFail) {
  TempDir dir;
  writeFile(dir.path + "/zk.infra", "coordination zk { ensemble = 3 }\n");
  ProcessResult r = runProcess({bin, "build", dir.path + "/zk.infra", "-o", dir.path + "/out"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("coordination 'zk' needs 'subnets' for infrac build"), std::string::npos)
      << r.err;
  EXPECT_FALSE(llvm::sys::fs::exists(dir.path + "/out"));
}

//===----------------------------------------------------------------------===//
// The back end, in process
//===----------------------------------------------------------------------===//

/// The template of a design, or the error.
std::string build(const std::string &text, bool *ok = nullptr, Stages stages = Stages::WithRules) {
  TempDir dir;
  writeFile(dir.path + "/t.infra", text);
  auto run = runFrontEnd({dir.path + "/t.infra"}, {}, 0, stages);
  EXPECT_EQ(run->diags.getNumErrors(), 0u);
  auto t = emit::buildCloudFormation(*run->model, {});
  if (ok)
    *ok = static_cast<bool>(t);
  if (!t)
    return llvm::toString(t.takeError());
  std::string s;
  llvm::raw_string_ostream os(s);
  emit::writeJSON(t->root, os);
  return os.str();
}

TEST(BuildTest, LogicalIdsAreReadableAndUnique) {
  std::string json = build("vpc main { cidr = \"10.0.0.0/16\" }\n"
                           "vpc main_vpc { cidr = \"10.1.0.0/16\" }\n"
                           "vpc mainVpc { cidr = \"10.2.0.0/16\" }\n"
                           "target_group web_tg { protocol = http; port = 80; vpc = main }\n");
  EXPECT_NE(json.find("\"MainVpc\": {"), std::string::npos) << json;
  EXPECT_NE(json.find("\"MainVpc2\": {"), std::string::npos) << json;
  EXPECT_NE(json.find("\"MainVpc3\": {"), std::string::npos) << json;
  EXPECT_NE(json.find("\"WebTg\": {"), std::string::npos) << json;
}

TEST(BuildTest, OnlyUsedParamsBecomeParameters) {
  std::string json =
      build("param cidr = \"10.0.0.0/16\"\nparam unused = 3\n"
            "param size = 4\n"
            "vpc main { cidr = cidr }\n"
            "subnet a { vpc = main; zone = \"us-east-1a\"; cidr = \"10.0.1.0/24\" }\n"
            "launch_template lt { image = \"ami-12345678\"; instance_type = \"t3.micro\" }\n"
            "auto_scaling_group g { launch_template = lt; subnets = [a]; "
            "min = 1; max = size }\n");
  EXPECT_NE(json.find("\"Cidr\": {\n      \"Type\": \"String\",\n      \"Default\": "
                      "\"10.0.0.0/16\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"Size\": {\n      \"Type\": \"Number\",\n      \"Default\": 4"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"MaxSize\": {\n          \"Ref\": \"Size\""), std::string::npos) << json;
  EXPECT_EQ(json.find("Unused"), std::string::npos) << json;
}

TEST(BuildTest, RequestTrackingWithoutALoadBalancerFails) {
  // The rule catalogue rejects this design (ASP004); with the rule turned
  // off, the back end still refuses to write a policy it cannot wire.
  bool ok = true;
  std::string err =
      build("vpc main { cidr = \"10.0.0.0/16\" }\n"
            "subnet a { vpc = main; zone = \"us-east-1a\"; cidr = \"10.0.1.0/24\" }\n"
            "target_group web { protocol = http; port = 80; vpc = main }\n"
            "launch_template lt { image = \"ami-12345678\"; instance_type = \"t3.micro\" }\n"
            "auto_scaling_group g { launch_template = lt; subnets = [a]; min = 1; max = 2\n"
            "  target_groups = [web]\n"
            "  policy r { type = target_tracking; metric = alb_request_count_per_target; "
            "target_group = web; target = 100 } }\n",
            &ok, Stages::FrontEnd);
  EXPECT_FALSE(ok);
  EXPECT_NE(err.find("no load balancer forwards to its target group"), std::string::npos) << err;
}

TEST(BuildTest, JsonEscapesAndYamlQuotes) {
  emit::NodeArena arena;
  emit::NodeArena::Scope scope(arena);
  emit::Node root = emit::Node::map();
  root.add("plain", emit::Node::string("/health"));
  root.add("bool-like", emit::Node::string("yes"));
  root.add("number-like", emit::Node::string("80"));
  root.add("control", emit::Node::string(llvm::StringRef("a\"b\\c\nd\x01", 8)));
  root.add("number", emit::Node::number(0.5));
  root.add("whole", emit::Node::number(1000.0));
  emit::Node &list = root.add("list", emit::Node::list());
  list.push(emit::Node::list()).push(emit::Node::integer(-1));
  root.add("empty", emit::Node::map());
  std::string json, yaml;
  llvm::raw_string_ostream j(json), y(yaml);
  emit::writeJSON(root, j);
  emit::writeYAML(root, y);
  EXPECT_EQ(j.str(), "{\n"
                     "  \"plain\": \"/health\",\n"
                     "  \"bool-like\": \"yes\",\n"
                     "  \"number-like\": \"80\",\n"
                     "  \"control\": \"a\\\"b\\\\c\\nd\\u0001\",\n"
                     "  \"number\": 0.5,\n"
                     "  \"whole\": 1000,\n"
                     "  \"list\": [\n"
                     "    [\n"
                     "      -1\n"
                     "    ]\n"
                     "  ],\n"
                     "  \"empty\": {}\n"
                     "}\n");
  EXPECT_EQ(y.str(), "plain: /health\n"
                     "bool-like: \"yes\"\n"
                     "number-like: \"80\"\n"
                     "control: \"a\\\"b\\\\c\\nd\\u0001\"\n"
                     "number: 0.5\n"
                     "whole: 1000\n"
                     "list:\n"
                     "  -\n"
                     "    - -1\n"
                     "empty: {}\n");
}

} // namespace

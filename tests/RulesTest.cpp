//===- RulesTest.cpp - The rule catalogue: coverage, docs, SARIF, control -===//
//
// The rules' own behaviour is tested by tests/check/rules/<ID>/{ok,fail}_*
// (VerifyTest). Here: every rule has those tests, the table and the docs
// agree, SARIF output is valid against the SARIF 2.1.0 schema, and the user's
// controls (flags, configuration, suppressions, explain) work end to end.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "Rules/Rule.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <set>

using namespace infrac;
using namespace infrac::test;

namespace {

const std::string bin = INFRAC_BINARY;

std::string fixtureDir() {
  static std::string dir = makeTempDir();
  return dir;
}

std::string fixture(const std::string &name, const std::string &text) {
  std::string path = fixtureDir() + "/" + name;
  llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path));
  writeFile(path, text);
  return path;
}

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

//===----------------------------------------------------------------------===//
// The table, its tests and its docs
//===----------------------------------------------------------------------===//

TEST(RulesTest, AtLeastOneHundredRules) {
  EXPECT_GE(rules::allRuleInfos().size(), 100u);
  ProcessResult r = runProcess({bin, "rules"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_TRUE(contains(r.out, std::to_string(rules::allRuleInfos().size()) + " rules."))
      << r.out;
}

TEST(RulesTest, EveryRowHasOneDocumentedClass) {
  std::set<std::string> seen;
  for (const auto &rule : rules::allRules()) {
    const rules::RuleInfo &info = rule->info();
    EXPECT_TRUE(seen.insert(info.id.str()).second) << "two classes for " << info.id.str();
    rules::RuleDoc d = rule->doc();
    for (const char *field : {d.checks, d.why, d.source, d.bad, d.good})
      EXPECT_TRUE(field && *field) << info.id.str() << " has an empty doc field";
  }
  for (const rules::RuleInfo &info : rules::allRuleInfos())
    EXPECT_TRUE(seen.count(info.id.str())) << info.id.str() << " has no rule class";
}

/// Every rule has tests/check/rules/<ID>/ with ok_ and fail_ inputs (what
/// each fail_ file must expect is enforced by VerifyTest); every folder there
/// is a rule's.
TEST(RulesTest, EveryRuleHasOkAndFailTests) {
  std::string root = sourceDir() + "/tests/check/rules";
  std::set<std::string> ids;
  for (const rules::RuleInfo &info : rules::allRuleInfos()) {
    std::string id = info.id.str();
    ids.insert(id);
    bool ok = false, fail = false;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(root + "/" + id, ec), end; !ec && it != end;
         it.increment(ec)) {
      llvm::StringRef name = llvm::sys::path::filename(it->path());
      ok |= name.startswith("ok_") && name.endswith(".infra");
      fail |= name.startswith("fail_") && name.endswith(".infra");
    }
    EXPECT_TRUE(ok) << "rule " << id << " has no tests/check/rules/" << id << "/ok_*.infra";
    EXPECT_TRUE(fail) << "rule " << id << " has no tests/check/rules/" << id << "/fail_*.infra";
  }
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    EXPECT_TRUE(ids.count(llvm::sys::path::filename(it->path()).str()))
        << it->path() << " is not a rule's folder";
}

TEST(RulesTest, DocsAreGeneratedFromTheTable) {
  std::string text;
  llvm::raw_string_ostream os(text);
  rules::printRulesMarkdown(os);
  os.flush();
  std::string msg = compareGolden(sourceDir() + "/docs/rules.md", text);
  EXPECT_TRUE(msg.empty()) << msg << "\nregenerate: infrac rules --markdown > docs/rules.md";
  ProcessResult r = runProcess({bin, "rules", "--markdown"});
  EXPECT_EQ(r.out, text);
}

TEST(RulesTest, AwsTablesAreCfnLintsData) {
  // LT006's instance types and NET005's zones are generated from the
  // installed cfn-lint's data (AWS's APIs) and must not drift from it.
  auto python = llvm::sys::findProgramByName("python3");
  ASSERT_TRUE(python) << "python3 is not installed";
  for (auto [kind, table] : {std::pair<std::string, std::string>{"instance-types",
                                                                 "InstanceTypes.def"},
                             {"zones", "Zones.def"}}) {
    std::string path = sourceDir() + "/compiler/Rules/" + table;
    ProcessResult r = runProcess(
        {*python, sourceDir() + "/tests/cfn-tools/gen-aws-data.py", kind, "--check", path});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err << "regenerate it: python3 "
                             << "tests/cfn-tools/gen-aws-data.py " << kind << " > " << path;
    EXPECT_TRUE(contains(r.out, "matches cfn-lint's data")) << r.out << r.err;
  }
}

TEST(RulesTest, ExplainPrintsEverySection) {
  ProcessResult r = runProcess({bin, "explain", "ELB004"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  for (const char *part : {"ELB004", "What it checks", "Why", "Source", "Rejected", "Accepted",
                           "2023", "security_groups_at_creation", "# infrac:ignore ELB004"})
    EXPECT_TRUE(contains(r.out, part)) << "missing '" << part << "' in\n" << r.out;
  ProcessResult bad = runProcess({bin, "explain", "ELB04"});
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_TRUE(contains(bad.err, "did you mean 'ELB004'?")) << bad.err;
}

//===----------------------------------------------------------------------===//
// SARIF
//===----------------------------------------------------------------------===//

const char *failing =
    "vpc v { cidr = \"10.0.0.0/16\" }\n"
    "subnet a { vpc = v; zone = \"z-a\"; cidr = \"10.0.1.0/24\" }\n"
    "security_group sg { vpc = v\n"
    "  ingress { protocol = tcp; port = 22; from = \"0.0.0.0/0\" }\n"
    "  ingress { protocol = tcp; port = 80; from = \"0.0.0.0/0\" } }\n"
    "target_group t { protocol = tcp; port = 80; vpc = v }\n"
    "load_balancer nlb { type = network; subnets = [a]; security_groups = [sg]\n"
    "  deletion_protection = true\n"
    "  listener l1 { protocol = tcp; port = 80; default = forward(t) }\n"
    "  listener l2 { protocol = tcp; port = 80; default = forward(t) }\n"
    "}\n";

/// Runs the schema validator (tests/sarif-tools, installed by
/// scripts/setup-node-tools.sh) on a file.
ProcessResult validateSarif(const std::string &path) {
  auto node = llvm::sys::findProgramByName("node");
  if (!node)
    return {127, "", "node is not installed (scripts/setup-node-tools.sh installs it)"};
  return runProcess({*node, sourceDir() + "/tests/sarif-tools/validate.js", path});
}

TEST(RulesTest, SarifIsValidAgainstTheSchema) {
  std::string src = fixture("sarif/failing.infra", failing);
  ProcessResult r = runProcess({bin, "check", "--format=sarif", src});
  ASSERT_EQ(r.exitCode, 1) << r.err;
  std::string log = fixture("sarif/failing.sarif", r.out);
  ProcessResult v = validateSarif(log);
  EXPECT_EQ(v.exitCode, 0) << "SARIF rejected by the schema:\n" << v.out << v.err
                           << "(tools missing? run scripts/setup-node-tools.sh)";

  // The log carries the findings with their rules' metadata and the notes.
  auto parsed = llvm::json::parse(r.out);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const llvm::json::Object *run = parsed->getAsObject()->getArray("runs")->front().getAsObject();
  const llvm::json::Array *results = run->getArray("results");
  const llvm::json::Array *ruleList =
      run->getObject("tool")->getObject("driver")->getArray("rules");
  ASSERT_TRUE(results && ruleList);
  std::set<std::string> ids;
  for (const llvm::json::Value &res : *results) {
    const llvm::json::Object &o = *res.getAsObject();
    std::string id = o.getString("ruleId")->str();
    ids.insert(id);
    auto index = o.getInteger("ruleIndex");
    ASSERT_TRUE(index) << id;
    const llvm::json::Object &rule = *(*ruleList)[*index].getAsObject();
    EXPECT_EQ(rule.getString("id")->str(), id);
    EXPECT_TRUE(rule.getObject("help") && rule.getObject("help")->getString("markdown")) << id;
    if (id == "LSN002") {
      EXPECT_TRUE(o.getArray("relatedLocations")) << "the note at the first listener";
    }
  }
  EXPECT_EQ(ids, (std::set<std::string>{"ELB004", "LSN002", "SEC001"}));

  // A clean file is a valid log with no results.
  ProcessResult clean = runProcess(
      {bin, "check", "--format=sarif", sourceDir() + "/examples/webshop.infra"});
  EXPECT_EQ(clean.exitCode, 0) << clean.err;
  EXPECT_EQ(validateSarif(fixture("sarif/clean.sarif", clean.out)).exitCode, 0);
}

TEST(RulesTest, SarifValidatorRejectsAnInvalidLog) {
  // The validator itself must be able to fail.
  std::string bad = fixture("sarif/bad.sarif",
                            "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {}}}]}");
  ProcessResult v = validateSarif(bad);
  EXPECT_EQ(v.exitCode, 1) << v.out << v.err;
  EXPECT_TRUE(contains(v.err, "name")) << v.err;
}

//===----------------------------------------------------------------------===//
// The user's control: flags, configuration, suppressions
//===----------------------------------------------------------------------===//

/// An NLB with security groups (ELB004, error) and a TLS listener but no
/// access logs (SEC008).
const char *nlbFile =
    "vpc v { cidr = \"10.0.0.0/16\" }\n"
    "subnet a { vpc = v; zone = \"z-a\"; cidr = \"10.0.1.0/24\" }\n"
    "security_group sg { vpc = v; ingress { protocol = tcp; port = 443; from = \"0.0.0.0/0\" } }\n"
    "target_group api { protocol = tcp; port = 8443; vpc = v }\n"
    "load_balancer nlb { type = network; subnets = [a]; security_groups = [sg]\n"
    "  deletion_protection = true\n"
    "  listener tls { protocol = tls; port = 443; default = forward(api)\n"
    "    certificates = [\"arn:aws:acm:us-east-1:123456789012:certificate/api\"]\n"
    "    ssl_policy = \"ELBSecurityPolicy-TLS13-1-2-2021-06\" } }\n";

TEST(RulesTest, DisableWarnErrorAndWerror) {
  std::string f = fixture("flags/nlb.infra", nlbFile);
  ProcessResult plain = runProcess({bin, "check", f});
  EXPECT_EQ(plain.exitCode, 1);
  EXPECT_TRUE(contains(plain.err, "error: network load balancer 'nlb' has security groups"))
      << plain.err;
  EXPECT_TRUE(contains(plain.err, "warning: load balancer 'nlb': no access logs")) << plain.err;

  ProcessResult off = runProcess({bin, "check", "--disable=ELB004,SEC008", f});
  EXPECT_EQ(off.exitCode, 0) << off.err;
  EXPECT_EQ(off.err, "");

  ProcessResult lowered = runProcess({bin, "check", "--warn=ELB004", f});
  EXPECT_EQ(lowered.exitCode, 0) << lowered.err;
  EXPECT_TRUE(contains(lowered.err, "warning: network load balancer 'nlb' has security groups"))
      << lowered.err;

  ProcessResult raised = runProcess({bin, "check", "--disable=ELB004", "--error=SEC008", f});
  EXPECT_EQ(raised.exitCode, 1);
  EXPECT_TRUE(contains(raised.err, "error: load balancer 'nlb': no access logs")) << raised.err;

  ProcessResult werror = runProcess({bin, "check", "--disable=ELB004", "--Werror", f});
  EXPECT_EQ(werror.exitCode, 1);
  EXPECT_TRUE(contains(werror.err, "error: load balancer 'nlb': no access logs")) << werror.err;

  // Informational rules are off until asked for.
  ProcessResult info = runProcess({bin, "check", "--disable=ELB004,SEC008", "--warn=SEC010", f});
  EXPECT_TRUE(contains(info.err, "[SEC010]")) << info.err;

  ProcessResult unknown = runProcess({bin, "check", "--disable=ELB04", f});
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_TRUE(contains(unknown.err, "unknown rule 'ELB04' in --disable; did you mean 'ELB004'?"))
      << unknown.err;
}

TEST(RulesTest, ConfigurationFileIsFoundAndFlagsWin) {
  std::string f = fixture("config/project/sub/nlb.infra", nlbFile);
  fixture("config/project/.infrac.yaml",
          "# the project's choices\nrules:\n  disable: [SEC008]\n  warn: [ELB004]\n");
  ProcessResult r = runProcess({bin, "check", f});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "warning: network load balancer 'nlb' has security groups"))
      << r.err;
  EXPECT_FALSE(contains(r.err, "SEC008")) << r.err;

  // Flags win over the file; --no-config ignores it.
  ProcessResult flags = runProcess({bin, "check", "--error=ELB004", f});
  EXPECT_EQ(flags.exitCode, 1) << flags.err;
  ProcessResult none = runProcess({bin, "check", "--no-config", f});
  EXPECT_TRUE(contains(none.err, "[SEC008]")) << none.err;

  // --config names a file explicitly.
  std::string other = fixture("config/strict.yaml", "warnings_as_errors: true\n");
  ProcessResult strict = runProcess({bin, "check", "--config=" + other, "--disable=ELB004", f});
  EXPECT_EQ(strict.exitCode, 1);
  EXPECT_TRUE(contains(strict.err, "error: load balancer 'nlb': no access logs")) << strict.err;
}

TEST(RulesTest, ConfigurationErrorsPointIntoTheFile) {
  std::string f = fixture("badconfig/nlb.infra", nlbFile);
  std::string config = fixture("badconfig/.infrac.yaml", "rules:\n  disabel: [SEC008]\n");
  ProcessResult r = runProcess({bin, "check", f});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.err, config + ":2:3: error: unknown key 'disabel' in 'rules'; did you "
                                       "mean 'disable'? [CFG002]"))
      << r.err;
  fixture("badconfig/.infrac.yaml", "rules:\n  warn: [ELB04]\n");
  r = runProcess({bin, "check", f});
  EXPECT_TRUE(contains(r.err, ":2:10: error: unknown rule 'ELB04' in 'warn'; did you mean "
                              "'ELB004'? [CFG003]"))
      << r.err;
  fixture("badconfig/.infrac.yaml", "rules: [SEC008\n");
  r = runProcess({bin, "check", f});
  EXPECT_TRUE(contains(r.err, "error: invalid YAML")) << r.err;
}

TEST(RulesTest, SuppressionsSilenceAndAreAccountedFor) {
  std::string f = fixture(
      "suppress/nlb.infra",
      "vpc v { cidr = \"10.0.0.0/16\" }\n"
      "subnet a { vpc = v; zone = \"z-a\"; cidr = \"10.0.1.0/24\" }\n"
      "security_group sg { vpc = v }\n"
      "# infrac:ignore ELB004, SEC008 -- groups attached at creation by the platform team\n"
      "load_balancer nlb { type = network; subnets = [a]; security_groups = [sg]\n"
      "  deletion_protection = true }\n"
      "vpc w { cidr = \"10.1.0.0/16\" }  # infrac:ignore NET001 -- nothing to silence\n"
      "# infrac:ignore SEC008\n"
      "vpc x { cidr = \"10.2.0.0/16\" }\n"
      "# infrac:ignore SEC0008 -- typo\n"
      "vpc y { cidr = \"10.3.0.0/16\" }\n");
  ProcessResult r = runProcess({bin, "check", f});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_FALSE(contains(r.err, "[ELB004]")) << r.err;
  EXPECT_TRUE(contains(r.err, ":7:33: warning: suppression of NET001 matches no finding; "
                              "remove it [SUP001]"))
      << r.err;
  EXPECT_TRUE(contains(r.err, ":8:1: warning: suppression without a reason; add one after '--' "
                              "[SUP002]"))
      << r.err;
  EXPECT_TRUE(contains(r.err, ":10:1: warning: unknown rule 'SEC0008' in suppression; did you "
                              "mean 'SEC008'? [SUP003]"))
      << r.err;
}

} // namespace

//===- CliTest.cpp - The infrac command line, run as a process ------------===//

#include "TestSupport.h"

#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

using namespace infrac;
using namespace infrac::test;

namespace {

const std::string bin = INFRAC_BINARY;

std::string fixture(const std::string &name, const std::string &text) {
  static std::string dir = makeTempDir();
  std::string path = dir + "/" + name;
  writeFile(path, text);
  return path;
}

const char *cleanFile = "param cidr = \"10.0.0.0/16\"\nvpc main { cidr = cidr }\n";
const char *badFile = "vpc main { cidr = \"10.0.0.0/16\" }\n"
                      "subnet a { vpc = mian; cidr = \"10.0.1.0/24\"; zone = \"z\" }\n";

TEST(CliTest, Version) {
  ProcessResult r = runProcess({bin, "--version"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("infrac "), std::string::npos) << r.out << r.err;
}

TEST(CliTest, HelpListsCommands) {
  ProcessResult r = runProcess({bin, "--help"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("check"), std::string::npos) << r.out;
  ProcessResult c = runProcess({bin, "check", "--help"});
  EXPECT_EQ(c.exitCode, 0);
  EXPECT_NE(c.out.find("--format"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("--emit"), std::string::npos) << c.out;
}

TEST(CliTest, UsageErrorsExitTwo) {
  ProcessResult unknown = runProcess({bin, "chekc", "x.infra"});
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_NE(unknown.err.find("did you mean 'check'?"), std::string::npos) << unknown.err;
  EXPECT_EQ(runProcess({bin}).exitCode, 2);
  EXPECT_EQ(runProcess({bin, "check"}).exitCode, 2);
  EXPECT_EQ(runProcess({bin, "check", "--format=xml", fixture("c.infra", cleanFile)}).exitCode,
            2);
  ProcessResult missing = runProcess({bin, "check", "/no/such/file.infra"});
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_NE(missing.err.find("cannot open '/no/such/file.infra'"), std::string::npos)
      << missing.err;
}

TEST(CliTest, CleanFileIsSilent) {
  ProcessResult r = runProcess({bin, "check", fixture("clean.infra", cleanFile)});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST(CliTest, ErrorsInClangStyle) {
  std::string path = fixture("bad.infra", badFile);
  ProcessResult r = runProcess({bin, "check", path});
  EXPECT_EQ(r.exitCode, 1);
  std::string expected = path + ":2:18: error: unknown VPC 'mian'; did you mean 'main'? [REF001]\n"
                                "subnet a { vpc = mian; cidr = \"10.0.1.0/24\"; zone = \"z\" }\n"
                                "                 ^~~~\n"
                                "                 main\n"
                                "1 error generated.\n";
  EXPECT_EQ(r.err, expected);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << "no colour when piped";
}

TEST(CliTest, ColourIsForcedOrRefused) {
  std::string path = fixture("bad.infra", badFile);
  ProcessResult on = runProcess({bin, "check", "--colour=always", path});
  EXPECT_NE(on.err.find('\x1b'), std::string::npos);
  ProcessResult off = runProcess({bin, "check", path}, {"NO_COLOR=1"});
  EXPECT_EQ(off.err.find('\x1b'), std::string::npos);
  ProcessResult never = runProcess({bin, "check", "--colour=never", path});
  EXPECT_EQ(never.err.find('\x1b'), std::string::npos);
}

TEST(CliTest, JsonFormat) {
  std::string path = fixture("bad.infra", badFile);
  ProcessResult r = runProcess({bin, "check", "--format=json", path});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "");
  llvm::Expected<llvm::json::Value> doc = llvm::json::parse(r.out);
  ASSERT_TRUE(bool(doc)) << llvm::toString(doc.takeError()) << "\n" << r.out;
  const llvm::json::Object *root = doc->getAsObject();
  ASSERT_TRUE(root);
  EXPECT_EQ(root->getInteger("errors").getValueOr(-1), 1);
  EXPECT_EQ(root->getInteger("warnings").getValueOr(-1), 0);
  const llvm::json::Array *list = root->getArray("diagnostics");
  ASSERT_TRUE(list && list->size() == 1);
  const llvm::json::Object *d = (*list)[0].getAsObject();
  EXPECT_EQ(d->getString("id"), llvm::StringRef("REF001"));
  EXPECT_EQ(d->getString("severity"), llvm::StringRef("error"));
  EXPECT_EQ(d->getInteger("line").getValueOr(-1), 2);
  EXPECT_EQ(d->getInteger("column").getValueOr(-1), 18);
  EXPECT_EQ(d->getInteger("endColumn").getValueOr(-1), 22);
  const llvm::json::Array *fixits = d->getArray("fixits");
  ASSERT_TRUE(fixits && fixits->size() == 1);
  EXPECT_EQ((*fixits)[0].getAsObject()->getString("replacement"), llvm::StringRef("main"));
}

TEST(CliTest, ParamOverride) {
  std::string path = fixture("clean.infra", cleanFile);
  ProcessResult def = runProcess({bin, "check", "--emit=model", path});
  EXPECT_NE(def.out.find("cidr = \"10.0.0.0/16\""), std::string::npos) << def.out;
  ProcessResult over =
      runProcess({bin, "check", "--emit=model", "-P", "cidr=\"10.9.0.0/16\"", path});
  EXPECT_EQ(over.exitCode, 0) << over.err;
  EXPECT_NE(over.out.find("cidr = \"10.9.0.0/16\""), std::string::npos) << over.out;
  EXPECT_NE(over.out.find("# from -P"), std::string::npos) << over.out;
  // A value that is not an expression is taken as a string.
  ProcessResult bare = runProcess({bin, "check", "--emit=model", "-Pcidr=10.8.0.0/16", path});
  EXPECT_EQ(bare.exitCode, 0) << bare.err;
  EXPECT_NE(bare.out.find("cidr = \"10.8.0.0/16\""), std::string::npos) << bare.out;
  // A bare name given to a string param is the string, not a reference.
  std::string tagged = fixture("tagged.infra", "param env = \"prod\"\n"
                                               "vpc v { cidr = \"10.0.0.0/16\"; tags = { env = env } }\n");
  ProcessResult name = runProcess({bin, "check", "--emit=model", "-P", "env=staging", tagged});
  EXPECT_EQ(name.exitCode, 0) << name.err;
  EXPECT_NE(name.out.find("\"env\" = \"staging\""), std::string::npos) << name.out;
  ProcessResult unknown = runProcess({bin, "check", "-P", "cdir=1", path});
  EXPECT_EQ(unknown.exitCode, 1);
  EXPECT_NE(unknown.err.find("unknown parameter 'cdir'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("did you mean 'cidr'?"), std::string::npos) << unknown.err;
  EXPECT_EQ(runProcess({bin, "check", "-P", "novalue", path}).exitCode, 2);
}

TEST(CliTest, EmitAstAndModel) {
  std::string path = fixture("clean.infra", cleanFile);
  ProcessResult ast = runProcess({bin, "check", "--emit=ast", path});
  EXPECT_EQ(ast.exitCode, 0);
  EXPECT_NE(ast.out.find("Block vpc main"), std::string::npos) << ast.out;
  ProcessResult model = runProcess({bin, "check", "--emit=model", path});
  EXPECT_NE(model.out.find("dns_support = true  # default"), std::string::npos) << model.out;
}

TEST(CliTest, EachFileIsItsOwnProgram) {
  // Two designs may use the same names; a file sees another only by import.
  std::string a = fixture("net.infra", "vpc main { cidr = \"10.0.0.0/16\" }\n");
  std::string b = fixture("net2.infra", "vpc main { cidr = \"10.1.0.0/16\" }\n");
  ProcessResult both = runProcess({bin, "check", a, b});
  EXPECT_EQ(both.exitCode, 0) << both.err;

  std::string alone =
      fixture("sub.infra", "subnet s { vpc = main; cidr = \"10.0.1.0/24\"; zone = \"z\" }\n");
  ProcessResult r = runProcess({bin, "check", a, alone});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("sub.infra:1:18: error: unknown VPC 'main' [REF001]"), std::string::npos)
      << r.err;

  std::string imported = fixture(
      "sub2.infra",
      "import \"net.infra\"\nsubnet s { vpc = main; cidr = \"10.0.1.0/24\"; zone = \"z\" }\n");
  ProcessResult ok = runProcess({bin, "check", a, imported});
  EXPECT_EQ(ok.exitCode, 0) << ok.err;
}

TEST(CliTest, ParamOverrideAcrossFiles) {
  // With several files an override must name a param of at least one of them.
  std::string a = fixture("pa.infra", "param size = 2\nvpc main { cidr = \"10.0.0.0/16\" }\n");
  std::string b = fixture("pb.infra", "vpc main { cidr = \"10.0.0.0/16\" }\n");
  EXPECT_EQ(runProcess({bin, "check", "-P", "size=3", a, b}).exitCode, 0);
  ProcessResult bad = runProcess({bin, "check", "-P", "sise=3", a, b});
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_NE(bad.err.find("unknown parameter 'sise' in -P; did you mean 'size'?"),
            std::string::npos)
      << bad.err;
}

TEST(CliTest, ParallelParseMatchesOneThread) {
  // A file large enough to be parsed on several threads (about 130,000
  // tokens), with every way a chunk can fail the fast pass: syntax errors,
  // a number out of range and an unknown unit (the AST builder's own errors).
  // Items, diagnostics and their order must not depend on the thread count.
  std::string text;
  for (int i = 0; i < 2400; ++i) {
    text += "vpc v" + std::to_string(i) + " { cidr = \"10." + std::to_string(i % 256) +
            ".0.0/16\"; tags = { team = \"t\", n = \"" + std::to_string(i) + "\" } }\n";
    text += "security_group s" + std::to_string(i) + " {\n  vpc = v" + std::to_string(i) +
            "\n  ingress { protocol = tcp; port = 80; from = [\"0.0.0.0/0\"] }\n}\n";
    if (i % 401 == 7)
      text += "subnet x" + std::to_string(i) + " { cidr \"10.0.0.0/24\" }\n";
    if (i % 577 == 11)
      text += "let big" + std::to_string(i) + " = 99999999999999999999999\n";
    if (i % 613 == 13)
      text += "let d" + std::to_string(i) + " = 5parsecs\n";
  }
  std::string path = fixture("parallel.infra", text);
  auto run = [&](const char *threads) {
    return runProcess({bin, "check", "--emit=ast", "--format=json", "--error-limit=0",
                       std::string("--threads=") + threads, path});
  };
  ProcessResult one = run("1");
  EXPECT_EQ(one.exitCode, 1);
  EXPECT_NE(one.out.find("\"SYN004\""), std::string::npos);
  EXPECT_NE(one.out.find("\"SYN005\""), std::string::npos);
  EXPECT_NE(one.out.find("\"UNIT002\""), std::string::npos);
  EXPECT_NE(one.out.find("Block security_group s2399"), std::string::npos);
  for (const char *threads : {"2", "3", "8"}) {
    ProcessResult many = run(threads);
    EXPECT_EQ(many.exitCode, one.exitCode) << threads;
    EXPECT_TRUE(many.out == one.out) << "--threads=" << threads << " differs from one thread";
    EXPECT_EQ(many.err, one.err) << threads;
  }
}

} // namespace

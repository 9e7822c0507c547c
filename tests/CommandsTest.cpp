//===- CommandsTest.cpp - init, sim --list/--all, completion, help --------===//

#include "TestSupport.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

using namespace infrac;
using namespace infrac::test;

namespace {

const std::string bin = INFRAC_BINARY;

std::string binDir() { return llvm::sys::path::parent_path(bin).str(); }

std::vector<std::string> templates() {
  ProcessResult r = runProcess({bin, "init", "--list"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  std::vector<std::string> names;
  llvm::SmallVector<llvm::StringRef, 8> lines;
  llvm::StringRef(r.out).split(lines, '\n', -1, false);
  for (llvm::StringRef l : lines)
    names.push_back(l.split(' ').first.str());
  return names;
}

// Each template checks clean and its scenarios pass.
TEST(CommandsTest, InitTemplatesCheckAndSimulate) {
  std::vector<std::string> names = templates();
  EXPECT_EQ(names, (std::vector<std::string>{"web", "nlb", "emr", "zookeeper", "sessions"}));
  for (const std::string &name : names) {
    SCOPED_TRACE(name);
    std::string dir = makeTempDir() + "/" + name;
    ProcessResult init = runProcess({bin, "init", name, dir});
    ASSERT_EQ(init.exitCode, 0) << init.err;
    std::string file = dir + "/main.infra";
    ProcessResult check = runProcess({bin, "check", file});
    EXPECT_EQ(check.exitCode, 0) << check.err;
    EXPECT_EQ(check.err, "");
    ProcessResult sim = runProcess({bin, "sim", file, "--all"});
    EXPECT_EQ(sim.exitCode, 0) << sim.out << sim.err;
    EXPECT_NE(sim.out.find("PASS"), std::string::npos) << sim.out;
    EXPECT_EQ(sim.out.find("FAIL"), std::string::npos) << sim.out;
  }
}

TEST(CommandsTest, InitRefusesToOverwrite) {
  std::string dir = makeTempDir();
  EXPECT_EQ(runProcess({bin, "init", "web", dir}).exitCode, 0);
  ProcessResult again = runProcess({bin, "init", "nlb", dir});
  EXPECT_EQ(again.exitCode, 2);
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
  EXPECT_EQ(runProcess({bin, "init", "nlb", dir, "--force"}).exitCode, 0);
  ProcessResult unknown = runProcess({bin, "init", "zookeper", dir});
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_NE(unknown.err.find("did you mean 'zookeeper'?"), std::string::npos) << unknown.err;
}

TEST(CommandsTest, SimListAndAll) {
  std::string ok = sourceDir() + "/examples/webshop.infra";
  ProcessResult list = runProcess({bin, "sim", ok, "--list"});
  EXPECT_EQ(list.exitCode, 0) << list.err;
  EXPECT_EQ(list.out, "black_friday\n");

  ProcessResult all = runProcess({bin, "sim", ok, "--all"});
  EXPECT_EQ(all.exitCode, 0) << all.out << all.err;
  EXPECT_TRUE(llvm::StringRef(all.out).startswith("scenario")) << all.out;
  EXPECT_NE(all.out.find("black_friday"), std::string::npos);
  EXPECT_NE(all.out.find("1 of 1 scenarios passed"), std::string::npos) << all.out;

  // A failing scenario: exit 1, the failed expectation named.
  std::string bad = sourceDir() + "/tests/runtime/fail_kill_everything.infra";
  ProcessResult failed = runProcess({bin, "sim", bad, "--all"});
  EXPECT_EQ(failed.exitCode, 1) << failed.out << failed.err;
  EXPECT_NE(failed.out.find("FAIL"), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("0 of 1 scenarios passed"), std::string::npos) << failed.out;
}

/// Runs a bash completion: the words typed and the index of the one completed.
std::string complete(const std::vector<std::string> &words, size_t cword) {
  std::string array;
  for (const std::string &w : words)
    array += " '" + w + "'";
  std::string script = "export PATH='" + binDir() + "':$PATH; source <(infrac completion bash)\n"
                       "complete -p infrac\n"
                       "COMP_WORDS=(" + array + " ); COMP_CWORD=" + std::to_string(cword) +
                       "\n_infrac\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
  ProcessResult r = runProcess({"/bin/bash", "--norc", "--noprofile", "-c", script});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  return r.out;
}

TEST(CommandsTest, BashCompletion) {
  std::string out = complete({"infrac", "ch"}, 1);
  EXPECT_NE(out.find("complete -o filenames -F _infrac infrac\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\ncheck\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("build"), std::string::npos) << out;
  // Options of the command, values of an option, templates, scenarios.
  EXPECT_NE(complete({"infrac", "check", "--for"}, 2).find("--format="), std::string::npos);
  EXPECT_NE(complete({"infrac", "fmt", "--ch"}, 2).find("--check"), std::string::npos);
  std::string values = complete({"infrac", "check", "--format", "=", "js"}, 4);
  EXPECT_NE(values.find("json"), std::string::npos) << values;
  EXPECT_EQ(values.find("sarif"), std::string::npos) << values;
  EXPECT_NE(complete({"infrac", "init", "zoo"}, 2).find("zookeeper"), std::string::npos);
  std::string example = sourceDir() + "/examples/zk_election.infra";
  EXPECT_NE(complete({"infrac", "sim", example, "--scenario", "lea"}, 4).find("leader_failover"),
            std::string::npos);
  EXPECT_NE(complete({"infrac", "completion", "z"}, 2).find("zsh"), std::string::npos);
}

TEST(CommandsTest, ZshCompletion) {
  ProcessResult script = runProcess({bin, "completion", "zsh"});
  ASSERT_EQ(script.exitCode, 0);
  EXPECT_TRUE(llvm::StringRef(script.out).startswith("#compdef infrac\n"));
  std::string dir = makeTempDir();
  writeFile(dir + "/_infrac", script.out);
  if (!llvm::sys::fs::can_execute("/usr/bin/zsh"))
    GTEST_SKIP() << "zsh is not installed (scripts/setup.sh installs it)";
  // The script parses, and compinit registers it for infrac.
  ProcessResult syntax = runProcess({"/usr/bin/zsh", "-n", dir + "/_infrac"});
  EXPECT_EQ(syntax.exitCode, 0) << syntax.err;
  ProcessResult loaded = runProcess(
      {"/usr/bin/zsh", "-f", "-c",
       "fpath=('" + dir + "' $fpath); autoload -Uz compinit; compinit -u -d '" + dir +
           "/zcompdump'; print -r -- ${_comps[infrac]}"});
  EXPECT_EQ(loaded.exitCode, 0) << loaded.err;
  EXPECT_EQ(loaded.out, "_infrac\n") << loaded.err;
}

TEST(CommandsTest, CommandHelpShowsThatCommandOnly) {
  ProcessResult r = runProcess({bin, "fmt", "--help"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_TRUE(llvm::StringRef(r.out).startswith("usage: infrac fmt [FILE|DIR]...")) << r.out;
  EXPECT_NE(r.out.find("--check"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--recursive"), std::string::npos) << r.out;
  for (const char *foreign : {"--emit", "--scenario", "--help-list", "Generic Options", "USAGE:",
                              "--print-", "SUBCOMMANDS"})
    EXPECT_EQ(r.out.find(foreign), std::string::npos) << foreign << "\n" << r.out;
  ProcessResult list = runProcess({bin, "check", "--help-list"});
  EXPECT_TRUE(llvm::StringRef(list.out).startswith("usage: infrac check FILE...")) << list.out;
  ProcessResult sim = runProcess({bin, "help", "sim"});
  EXPECT_NE(sim.out.find("--all"), std::string::npos) << sim.out;
  EXPECT_EQ(sim.out.find("--check"), std::string::npos) << sim.out;
  ProcessResult top = runProcess({bin, "--help"});
  EXPECT_EQ(top.exitCode, 0);
  for (const char *cmd : {"infrac fmt", "infrac init", "infrac lsp", "infrac completion"})
    EXPECT_NE(top.out.find(cmd), std::string::npos) << cmd << "\n" << top.out;
  EXPECT_EQ(top.out.find("--help-list"), std::string::npos) << top.out;
}

TEST(CommandsTest, UsageErrorsInOurWords) {
  ProcessResult missing = runProcess({bin, "check"});
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_EQ(missing.err, "infrac check: error: missing arguments\nusage: infrac check FILE...\n"
                         "Run 'infrac check --help' for its options.\n");
  ProcessResult unknown = runProcess({bin, "check", "--formt=json", "x.infra"});
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_NE(unknown.err.find("infrac check: error: unknown option '--formt=json'"),
            std::string::npos)
      << unknown.err;
  ProcessResult value = runProcess({bin, "check", "--format=xml", "x.infra"});
  EXPECT_EQ(value.exitCode, 2);
  EXPECT_NE(value.err.find("infrac check: error: invalid value 'xml' for --format"),
            std::string::npos)
      << value.err;
  for (const ProcessResult *r : {&missing, &unknown, &value})
    for (const char *raw : {"Must specify", "See: ", "!", "Try:", "command line argument"})
      EXPECT_EQ(r->err.find(raw), std::string::npos) << raw << "\n" << r->err;
}

TEST(CommandsTest, CheckQuietAndSummary) {
  std::string dir = makeTempDir();
  writeFile(dir + "/bad.infra", "vpc main { cidr = \"10.0.0.0/16\" }\n"
                                "subnet a { vpc = mian; cidr = \"10.0.1.0/24\"; zone = \"z\" }\n");
  writeFile(dir + "/ok.infra", "vpc main { cidr = \"10.0.0.0/16\" }\n");
  ProcessResult q = runProcess({bin, "check", "--quiet", dir + "/bad.infra"});
  EXPECT_EQ(q.exitCode, 1);
  EXPECT_EQ(q.err, "1 error, 0 warnings in 1 file\n");
  ProcessResult clean = runProcess({bin, "check", "-q", dir + "/ok.infra"});
  EXPECT_EQ(clean.exitCode, 0);
  EXPECT_EQ(clean.err, "");
  ProcessResult s = runProcess({bin, "check", "--summary", dir + "/ok.infra", dir + "/ok.infra"});
  EXPECT_EQ(s.exitCode, 0);
  EXPECT_EQ(s.err, "0 errors, 0 warnings in 2 files\n");
}

} // namespace

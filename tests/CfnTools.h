//===- CfnTools.h - cfn-lint and the other tools of the build tests -*- C++ -*-===//
//
// What tests/BuildTest.cpp and tests/DifferentialTest.cpp share: finding the
// tools scripts/setup-cfn-tools.sh installs, running cfn-lint, and the region
// a design is in.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_TESTS_CFNTOOLS_H
#define INFRAC_TESTS_CFNTOOLS_H

#include <map>
#include <string>
#include <vector>

namespace infrac::test {

/// A tool of the test set-up: $ENV, else PATH, else ~/.local/bin (pip --user
/// and pipx). Empty when missing.
std::string findTool(const char *name, const char *envVar);

/// What a failed look-up adds to its message.
extern const char *const cfnSetupHint;

/// cfn-lint warnings the templates may carry, each with the reason.
extern const std::map<std::string, std::string> allowedCfnLintWarnings;

struct LintFinding {
  std::string file, rule, message;
};

/// Runs cfn-lint on `files` for `region`; the findings of its parseable format
/// ("file:line:col:line:col:RULE:message"). `exitCode` gets cfn-lint's bit
/// mask (2 errors, 4 warnings, 8 informational).
std::vector<LintFinding> cfnLint(const std::string &cfnLintPath, const std::string &region,
                                 const std::vector<std::string> &files, int *exitCode);

/// The region a design's text is in: that of its first zone ("eu-west-2a"),
/// else us-east-1.
std::string regionOfText(const std::string &text);

} // namespace infrac::test

#endif

//===- CfnTools.cpp - cfn-lint and the other tools of the build tests ------===//

#include "CfnTools.h"
#include "TestSupport.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

namespace infrac::test {

std::string findTool(const char *name, const char *envVar) {
  if (const char *fromEnv = std::getenv(envVar); fromEnv && *fromEnv)
    return fromEnv;
  if (auto p = llvm::sys::findProgramByName(name))
    return *p;
  if (const char *home = std::getenv("HOME"))
    if (auto p = llvm::sys::findProgramByName(name, {std::string(home) + "/.local/bin"}))
      return *p;
  return "";
}

const char *const cfnSetupHint = "; run 'bash scripts/setup-cfn-tools.sh'";

const std::map<std::string, std::string> allowedCfnLintWarnings = {
    // A design names its availability zones ("ap-northeast-2a"): subnets, the
    // coordination servers' fixed addresses and the rules about zones (ALB
    // subnets in two zones, a quorum across zones) depend on them, so the
    // template keeps them rather than picking zones with Fn::GetAZs.
    {"W3010", "availability zones are the design's own"},
};

std::vector<LintFinding> cfnLint(const std::string &cfnLintPath, const std::string &region,
                                 const std::vector<std::string> &files, int *exitCode) {
  std::vector<std::string> args = {cfnLintPath, "--format", "parseable",
                                   "--regions", region,     "--template"};
  args.insert(args.end(), files.begin(), files.end());
  ProcessResult r = runProcess(args);
  *exitCode = r.exitCode;
  std::vector<LintFinding> out;
  llvm::SmallVector<llvm::StringRef, 0> lines;
  llvm::StringRef(r.out).split(lines, '\n', -1, false);
  for (llvm::StringRef line : lines) {
    llvm::SmallVector<llvm::StringRef, 7> parts;
    line.split(parts, ':', 6);
    if (parts.size() == 7)
      out.push_back({parts[0].str(), parts[5].str(), parts[6].str()});
    else
      out.push_back({"?", "?", line.str()});
  }
  if (!r.err.empty() && out.empty() && r.exitCode != 0)
    out.push_back({"?", "?", r.err});
  return out;
}

std::string regionOfText(const std::string &text) {
  size_t at = 0;
  while ((at = text.find("zone = \"", at)) != std::string::npos && at > 0 &&
         llvm::isAlpha(text[at - 1]))
    ++at; // "timezone = ..."
  if (at == std::string::npos)
    return "us-east-1";
  at += 8;
  size_t end = text.find('"', at);
  return text.substr(at, end - at - 1);
}

} // namespace infrac::test

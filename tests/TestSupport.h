//===- TestSupport.h - Shared helpers of the test suite ---------*- C++ -*-===//
#ifndef INFRAC_TESTS_TESTSUPPORT_H
#define INFRAC_TESTS_TESTSUPPORT_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Parse/Parser.h"
#include "Sema/Model.h"

#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <string>
#include <vector>

namespace infrac::test {

/// Everything one front-end run produces, kept alive together.
struct FrontEndRun {
  llvm::SourceMgr sm;
  DiagnosticEngine diags{sm};
  ast::ASTContext ctx;
  ast::Program program;
  std::unique_ptr<sema::Model> model;
  bool loaded = false;
};

/// Whether a run includes the rule catalogue after the model.
enum class Stages { FrontEnd, WithRules };

/// Runs the front end as `infrac check` does: load (parse + imports), then
/// the model unless there were syntax errors, then (WithRules) the rules
/// unless the model has errors.
std::unique_ptr<FrontEndRun> runFrontEnd(const std::vector<std::string> &paths,
                                         const sema::SemaOptions &opts = {},
                                         unsigned errorLimit = 0,
                                         Stages stages = Stages::FrontEnd);

/// The repository's source directory.
std::string sourceDir();
/// Files under `dir` (relative to the source dir) with the extension, sorted.
std::vector<std::string> listFiles(const std::string &dir, const std::string &ext,
                                   bool recursive);
std::string readFile(const std::string &path);
void writeFile(const std::string &path, const std::string &text);
/// Compares `actual` with the golden file, or rewrites it when
/// INFRAC_UPDATE_GOLDENS=1; returns a failure message or empty.
std::string compareGolden(const std::string &goldenPath, const std::string &actual);

/// The result of running a program.
struct ProcessResult {
  int exitCode = -1;
  std::string out, err;
  long maxRssKiB = 0; ///< The child's peak resident set.
};
struct ProcessOptions {
  std::vector<std::string> env; ///< Extra environment entries.
  /// Where standard output goes (`out` stays empty); empty: captured in `out`.
  std::string stdoutPath;
  unsigned alarmSeconds = 0; ///< Killed by SIGALRM after this long (0: never).
};
/// Runs `args` (args[0] is the program) with extra environment entries.
ProcessResult runProcess(const std::vector<std::string> &args,
                         const std::vector<std::string> &env = {});
ProcessResult runProcess(const std::vector<std::string> &args, const ProcessOptions &opts);

/// A fresh directory for one test's files.
std::string makeTempDir();

} // namespace infrac::test

#endif

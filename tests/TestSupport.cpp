//===- TestSupport.cpp - Shared helpers of the test suite -----------------===//

#include "TestSupport.h"

#include "Rules/Config.h"
#include "Rules/Rule.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace infrac::test {

std::unique_ptr<FrontEndRun> runFrontEnd(const std::vector<std::string> &paths,
                                         const sema::SemaOptions &opts,
                                         unsigned errorLimit, Stages stages) {
  auto run = std::make_unique<FrontEndRun>();
  run->diags.setErrorLimit(errorLimit);
  auto program = loadProgram(paths, run->sm, run->ctx, run->diags);
  if (!program) {
    llvm::consumeError(program.takeError());
    return run;
  }
  run->loaded = true;
  run->program = std::move(*program);
  if (!run->program.hasSyntaxErrors()) {
    unsigned errorsBefore = run->diags.getNumErrors();
    run->model = sema::buildModel(run->program, run->diags, opts);
    if (stages == Stages::WithRules && run->diags.getNumErrors() == errorsBefore &&
        !run->diags.shouldStop()) {
      // As the driver does: the nearest .infrac.yaml governs the file.
      rules::ProjectConfig config;
      std::string configPath = rules::findConfigFor(paths.front());
      if (!configPath.empty())
        rules::loadConfig(configPath, run->diags, config);
      run->diags.setWarningsAsErrors(config.warningsAsErrors);
      rules::runRules(*run->model, run->program, run->diags, config.rules);
    }
  }
  return run;
}

std::string sourceDir() { return INFRAC_SOURCE_DIR; }

std::vector<std::string> listFiles(const std::string &dir, const std::string &ext,
                                   bool recursive) {
  std::vector<std::string> out;
  std::string root = sourceDir() + "/" + dir;
  std::error_code ec;
  if (recursive) {
    for (llvm::sys::fs::recursive_directory_iterator it(root, ec), end;
         it != end && !ec; it.increment(ec))
      if (llvm::StringRef(it->path()).endswith(ext))
        out.push_back(it->path());
  } else {
    for (llvm::sys::fs::directory_iterator it(root, ec), end; it != end && !ec;
         it.increment(ec))
      if (llvm::StringRef(it->path()).endswith(ext))
        out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string readFile(const std::string &path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  return buf ? (*buf)->getBuffer().str() : std::string();
}

void writeFile(const std::string &path, const std::string &text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  os << text;
}

std::string compareGolden(const std::string &goldenPath, const std::string &actual) {
  const char *update = std::getenv("INFRAC_UPDATE_GOLDENS");
  if (update && std::string(update) == "1") {
    writeFile(goldenPath, actual);
    return {};
  }
  if (!llvm::sys::fs::exists(goldenPath))
    return "missing golden file " + goldenPath +
           " (run the tests with INFRAC_UPDATE_GOLDENS=1 to create it, then review it)";
  std::string expected = readFile(goldenPath);
  if (expected == actual)
    return {};
  // Report the first differing line.
  size_t line = 1, i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) {
    if (expected[i] == '\n')
      ++line;
    ++i;
  }
  auto lineAt = [](const std::string &s, size_t pos) {
    size_t b = s.rfind('\n', pos == 0 ? 0 : pos - 1);
    b = b == std::string::npos ? 0 : b + 1;
    size_t e = s.find('\n', pos);
    return s.substr(b, e == std::string::npos ? std::string::npos : e - b);
  };
  return goldenPath + ":" + std::to_string(line) + ": differs\n  expected: " +
         lineAt(expected, i) + "\n  actual:   " + lineAt(actual, i) +
         "\n(INFRAC_UPDATE_GOLDENS=1 rewrites goldens; review the diff)";
}

static std::string drain(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    out.append(buf, n);
  return out;
}

ProcessResult runProcess(const std::vector<std::string> &args,
                         const std::vector<std::string> &env) {
  ProcessOptions opts;
  opts.env = env;
  return runProcess(args, opts);
}

ProcessResult runProcess(const std::vector<std::string> &args, const ProcessOptions &opts) {
  ProcessResult r;
  std::string dir = makeTempDir();
  std::string outPath = opts.stdoutPath.empty() ? dir + "/stdout" : opts.stdoutPath;
  std::string errPath = dir + "/stderr";
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    for (const std::string &kv : opts.env)
      putenv(const_cast<char *>(kv.c_str()));
    if (opts.alarmSeconds)
      alarm(opts.alarmSeconds);
    std::vector<char *> argv;
    for (const std::string &a : args)
      argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru = {};
  wait4(pid, &status, 0, &ru);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.maxRssKiB = ru.ru_maxrss;
  if (opts.stdoutPath.empty()) {
    int o = open(outPath.c_str(), O_RDONLY);
    r.out = drain(o);
    close(o);
  }
  int e = open(errPath.c_str(), O_RDONLY);
  r.err = drain(e);
  close(e);
  llvm::sys::fs::remove_directories(dir);
  return r;
}

std::string makeTempDir() {
  llvm::SmallString<128> path;
  llvm::sys::fs::createUniqueDirectory("infrac-test", path);
  return std::string(path);
}

} // namespace infrac::test

//===- Bench.cpp - How fast is `infrac check`, beside a bare ANTLR parse --===//
//
//   infrac-bench                      the table at N = 100 .. 100,000
//   infrac-bench --sizes=1000,5000    chosen sizes
//   infrac-bench gen N [-o FILE]      write a generated file
//   infrac-bench bare FILE            ANTLR's own lexer + parser over FILE
//
// For each N the runner writes a generated file, then runs `infrac check` and
// `infrac-bench bare` on it as child processes (so each has its own peak RSS,
// read from wait4), --repeat times each, and keeps the fastest wall time. The
// bare parse is the floor for an ANTLR front end: the generated lexer feeding
// the generated parser, two-stage (SLL, then LL on failure), no tree walk.
//
//===----------------------------------------------------------------------===//

#include "Child.h"
#include "Generator.h"

#include "InfraLexer.h"
#include "InfraParser.h"
#include "antlr4-runtime.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <spawn.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

using namespace infrac;
using infrac::bench::best;
using infrac::bench::Run;
using Clock = std::chrono::steady_clock;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: infrac-bench [--sizes=N,N,...] [--repeat=R] [--infrac=PATH] "
               "[--keep=DIR]\n"
               "       infrac-bench gen N [-o FILE]\n"
               "       infrac-bench bare FILE\n");
  return 2;
}

bool readWhole(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

/// Counts syntax errors instead of printing them.
struct CountingListener : antlr4::BaseErrorListener {
  size_t errors = 0;
  void syntaxError(antlr4::Recognizer *, antlr4::Token *, size_t, size_t, const std::string &,
                   std::exception_ptr) override {
    ++errors;
  }
};

int bareParse(const std::string &path) {
  std::string text;
  if (!readWhole(path, text)) {
    std::fprintf(stderr, "infrac-bench: cannot read %s\n", path.c_str());
    return 2;
  }
  auto start = Clock::now();
  antlr4::ANTLRInputStream input(text);
  grammar::InfraLexer lexer(&input);
  CountingListener lexErrors;
  lexer.removeErrorListeners();
  lexer.addErrorListener(&lexErrors);
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  auto lexed = Clock::now();

  grammar::InfraParser parser(&tokens);
  parser.removeErrorListeners();
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  bool sll = true;
  try {
    parser.file();
  } catch (antlr4::ParseCancellationException &) {
    sll = false;
  }
  CountingListener parseErrors;
  if (!sll) {
    tokens.seek(0);
    parser.reset();
    parser.addErrorListener(&parseErrors);
    parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::LL);
    parser.file();
  }
  auto parsed = Clock::now();
  auto ms = [](Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
  };
  std::printf("%zu tokens: lex %.1f ms, parse %.1f ms (%s)\n", tokens.size(),
              ms(lexed - start), ms(parsed - lexed), sll ? "SLL" : "LL");
  return lexErrors.errors + parseErrors.errors ? 1 : 0;
}


std::string selfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("infrac-bench");
}

std::string bytes(size_t n) {
  if (n >= (1u << 20))
    return fmt::format("{:.1f} MiB", n / 1048576.0);
  return fmt::format("{:.0f} KiB", n / 1024.0);
}

std::string human(double v) {
  if (v >= 1e6)
    return fmt::format("{:.2f} M", v / 1e6);
  if (v >= 1e3)
    return fmt::format("{:.1f} k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

int runTable(const std::vector<size_t> &sizes, unsigned repeat, const std::string &infrac,
             std::string dir) {
  bool keep = !dir.empty();
  if (dir.empty()) {
    char tmpl[] = "/tmp/infrac-bench-XXXXXX";
    if (!mkdtemp(tmpl)) {
      std::perror("infrac-bench: mkdtemp");
      return 2;
    }
    dir = tmpl;
  }
  std::printf("infrac check vs ANTLR's bare lex+parse; best of %u runs, peak RSS from wait4\n\n",
              repeat);
  std::printf("| resources | lines | size | check | lines/s | resources/s | check RSS | bare "
              "parse | bare RSS | check / bare |\n");
  std::printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  std::fflush(stdout);
  int rc = 0;
  std::vector<std::string> written;
  for (size_t n : sizes) {
    bench::GeneratedFile file = bench::generate(n);
    std::string path = fmt::format("{}/bench_{}.infra", dir, n);
    if (!bench::writeWhole(path, file.text)) {
      std::fprintf(stderr, "infrac-bench: cannot write %s\n", path.c_str());
      return 2;
    }
    written.push_back(path);
    Run check = best({infrac, "check", path}, repeat, false);
    Run bare = best({selfPath(), "bare", path}, repeat, file.text.size() >= (512u << 10));
    if (!check.ok || !bare.ok) {
      std::fprintf(stderr, "infrac-bench: %s on %s exited with %d\n",
                   check.ok ? "the bare parse" : "infrac check", path.c_str(),
                   check.ok ? bare.exitCode : check.exitCode);
      rc = 1;
      continue;
    }
    std::printf("| %s | %s | %s | %.3f s | %s | %s | %.0f MiB | %.3f s | %.0f MiB | %.2f× |\n",
                human(static_cast<double>(file.resources)).c_str(),
                human(static_cast<double>(file.lines)).c_str(), bytes(file.text.size()).c_str(),
                check.seconds, human(file.lines / check.seconds).c_str(),
                human(file.resources / check.seconds).c_str(), check.maxRssKiB / 1024.0,
                bare.seconds, bare.maxRssKiB / 1024.0, check.seconds / bare.seconds);
    std::fflush(stdout);
  }
  if (!keep) {
    for (const std::string &p : written)
      std::remove(p.c_str());
    rmdir(dir.c_str());
  }
  return rc;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "bare")
    return args.size() == 2 ? bareParse(args[1]) : usage();
  if (!args.empty() && args[0] == "gen") {
    int code = bench::generateCommand(args, bench::generate);
    return code < 0 ? usage() : code;
  }

  std::vector<size_t> sizes = {100, 1000, 10000, 100000};
  unsigned repeat = 3;
  std::string infrac = INFRAC_BINARY, keepDir;
  for (const std::string &a : args) {
    if (a.rfind("--sizes=", 0) == 0) {
      if (!bench::parseSizes(a.substr(8), sizes))
        return usage();
    } else if (a.rfind("--repeat=", 0) == 0) {
      size_t r;
      if (!bench::parseSize(a.substr(9), r))
        return usage();
      repeat = static_cast<unsigned>(r);
    } else if (a.rfind("--infrac=", 0) == 0) {
      infrac = a.substr(9);
    } else if (a.rfind("--keep=", 0) == 0) {
      keepDir = a.substr(7);
    } else {
      return usage();
    }
  }
  return runTable(sizes, repeat, infrac, keepDir);
}

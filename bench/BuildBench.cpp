//===- BuildBench.cpp - `infrac build` beside AWS CDK's synth -------------===//
//
//   infrac-bench-build                      N = 100 and 500 fragments
//   infrac-bench-build --sizes=10,100       chosen sizes
//   infrac-bench-build gen N [-o FILE]      write a generated file
//
// For each N the runner writes a generated .infra file of N fragments (see
// generateBuildTopology), then runs, as child processes, `infrac build` on it
// and `node bench/cdk/synth.js N` (AWS CDK's app.synth() over the same
// topology), each --repeat / --cdk-repeat times, keeping the fastest wall time
// and the largest peak RSS (from wait4). Both templates are read back to count
// their resources, so that the table shows the two did the same work.
// scripts/bench-build.sh builds the Release binaries and installs aws-cdk-lib.
//
//===----------------------------------------------------------------------===//

#include "Child.h"
#include "Generator.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
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
  std::fprintf(stderr, "usage: infrac-bench-build [--sizes=N,N,...] [--repeat=R] [--cdk-repeat=R] "
                       "[--infrac=PATH] [--cdk=DIR] [--keep=DIR] [--no-cdk]\n"
                       "       infrac-bench-build gen N [-o FILE]\n");
  return 2;
}

/// A template's resources by type, read back from the file.
struct Census {
  size_t resources = 0;
  size_t bytes = 0;
  std::map<std::string, size_t> byType;
};

bool census(const std::string &path, Census &out) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return false;
  out.bytes = (*buf)->getBufferSize();
  auto json = llvm::json::parse((*buf)->getBuffer());
  if (!json) {
    llvm::consumeError(json.takeError());
    return false;
  }
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *resources = root ? root->getObject("Resources") : nullptr;
  if (!resources)
    return false;
  for (const auto &kv : *resources)
    if (const llvm::json::Object *r = kv.second.getAsObject())
      if (auto type = r->getString("Type")) {
        ++out.resources;
        ++out.byType[type->str()];
      }
  return true;
}

std::string mib(long kib) { return fmt::format("{:.0f} MiB", kib / 1024.0); }

std::string seconds(double s) {
  return s < 1 ? fmt::format("{:.0f} ms", s * 1000) : fmt::format("{:.2f} s", s);
}

struct Options {
  std::vector<size_t> sizes = {100, 500};
  unsigned repeat = 5, cdkRepeat = 1;
  std::string infrac = INFRAC_BINARY;
  std::string cdkDir = INFRAC_BENCH_CDK_DIR;
  std::string keepDir;
  bool cdk = true;
};

int runTable(const Options &opts) {
  std::string node;
  if (opts.cdk) {
    auto found = llvm::sys::findProgramByName("node");
    struct stat st;
    if (!found ||
        stat((opts.cdkDir + "/node_modules/aws-cdk-lib/package.json").c_str(), &st) != 0) {
      std::fprintf(stderr,
                   "infrac-bench-build: node or aws-cdk-lib missing in %s; run "
                   "scripts/bench-build.sh (or npm ci there), or pass --no-cdk\n",
                   opts.cdkDir.c_str());
      return 2;
    }
    node = *found;
  }
  std::string dir = opts.keepDir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/infrac-bench-build-XXXXXX";
    if (!mkdtemp(tmpl)) {
      std::perror("infrac-bench-build: mkdtemp");
      return 2;
    }
    dir = tmpl;
  } else {
    mkdir(dir.c_str(), 0755);
  }

  std::printf("infrac build vs AWS CDK app.synth(); infrac best of %u, CDK best of %u; peak RSS "
              "from wait4\n\n",
              opts.repeat, opts.cdkRepeat);
  std::printf("| fragments | .infra | infrac template | infrac build | infrac RSS | CDK "
              "template | CDK synth | CDK RSS | faster | memory |\n");
  std::printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  std::fflush(stdout);
  int rc = 0;
  std::vector<std::pair<size_t, Census>> types;
  for (size_t n : opts.sizes) {
    bench::GeneratedFile file = bench::generateBuildTopology(n);
    std::string path = fmt::format("{}/build_{}.infra", dir, n);
    std::string out = fmt::format("{}/infrac_{}", dir, n);
    std::string cdkOut = fmt::format("{}/cdk_{}", dir, n);
    if (!bench::writeWhole(path, file.text)) {
      std::fprintf(stderr, "infrac-bench-build: cannot write %s\n", path.c_str());
      return 2;
    }
    Run build = best({opts.infrac, "build", path, "-o", out, "--disable=SEC004,SEC007,SEC008"},
                     opts.repeat);
    Census mine;
    if (!build.ok || !census(fmt::format("{}/build_{}.template.json", out, n), mine)) {
      std::fprintf(stderr, "infrac-bench-build: infrac build on %s exited with %d\n", path.c_str(),
                   build.exitCode);
      rc = 1;
      continue;
    }
    Run synth;
    Census theirs;
    if (opts.cdk) {
      synth = best({node, opts.cdkDir + "/synth.js", std::to_string(n), cdkOut}, opts.cdkRepeat);
      if (!synth.ok || !census(cdkOut + "/Bench.template.json", theirs)) {
        std::fprintf(stderr, "infrac-bench-build: CDK synth of %zu fragments exited with %d\n", n,
                     synth.exitCode);
        rc = 1;
        continue;
      }
    }
    std::printf("| %zu | %zu lines | %zu resources, %.1f MiB | %s | %s | ", n, file.lines,
                mine.resources, mine.bytes / 1048576.0, seconds(build.seconds).c_str(),
                mib(build.maxRssKiB).c_str());
    if (opts.cdk)
      std::printf("%zu resources, %.1f MiB | %s | %s | %.0f× | 1/%.1f |\n", theirs.resources,
                  theirs.bytes / 1048576.0, seconds(synth.seconds).c_str(),
                  mib(synth.maxRssKiB).c_str(), synth.seconds / build.seconds,
                  static_cast<double>(synth.maxRssKiB) / build.maxRssKiB);
    else
      std::printf("- | - | - | - | - |\n");
    std::fflush(stdout);
    types.push_back({n, mine});
    if (opts.cdk)
      types.push_back({n, theirs});
  }

  // What each side wrote, type by type (for the smallest size).
  if (!types.empty()) {
    std::printf("\nresources by type at %zu fragments (infrac%s):\n", types[0].first,
                opts.cdk ? " / CDK" : "");
    std::map<std::string, std::pair<size_t, size_t>> rows;
    for (const auto &[type, count] : types[0].second.byType)
      rows[type].first = count;
    if (opts.cdk && types.size() > 1 && types[1].first == types[0].first)
      for (const auto &[type, count] : types[1].second.byType)
        rows[type].second = count;
    for (const auto &[type, counts] : rows)
      std::printf("  %-48s %6zu%s\n", type.c_str(), counts.first,
                  opts.cdk ? fmt::format(" / {}", counts.second).c_str() : "");
  }
  if (opts.keepDir.empty()) {
    std::string cmd = "rm -rf '" + dir + "'";
    if (std::system(cmd.c_str()) != 0)
      std::fprintf(stderr, "infrac-bench-build: could not remove %s\n", dir.c_str());
  }
  return rc;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "gen") {
    int code = bench::generateCommand(args, bench::generateBuildTopology);
    return code < 0 ? usage() : code;
  }
  Options opts;
  for (const std::string &a : args) {
    size_t n;
    if (a.rfind("--sizes=", 0) == 0) {
      if (!bench::parseSizes(a.substr(8), opts.sizes))
        return usage();
    } else if (a.rfind("--repeat=", 0) == 0 && bench::parseSize(a.substr(9), n)) {
      opts.repeat = static_cast<unsigned>(n);
    } else if (a.rfind("--cdk-repeat=", 0) == 0 && bench::parseSize(a.substr(13), n)) {
      opts.cdkRepeat = static_cast<unsigned>(n);
    } else if (a.rfind("--infrac=", 0) == 0) {
      opts.infrac = a.substr(9);
    } else if (a.rfind("--cdk=", 0) == 0) {
      opts.cdkDir = a.substr(6);
    } else if (a.rfind("--keep=", 0) == 0) {
      opts.keepDir = a.substr(7);
    } else if (a == "--no-cdk") {
      opts.cdk = false;
    } else {
      return usage();
    }
  }
  return runTable(opts);
}

//===- BackEndFuzzer.cpp - libFuzzer target over imports and the back ends ===//
//
// One input is a small project: the text up to the first line `#--- NAME`
// is main.infra, and each such line starts another file NAME (letters,
// digits, '_', '-' and '.', at most 32 bytes) that main.infra or the others
// may import. The files are written to a directory of this process and
// loaded as `infrac build` loads them (imports followed, cycles and missing
// files diagnosed). A design the front end, rules included, accepts then goes
// through every back end: the CloudFormation template in JSON and YAML, the
// diagram in DOT and Mermaid at both levels, and each scenario on the
// simulator (bounded to one virtual minute at 20 requests a second, so that
// an execution stays in milliseconds).
//
// Beyond crashes, it checks what the back ends promise: a template is built
// for every accepted design (buildCloudFormation may not fail on one).
//
//===----------------------------------------------------------------------===//

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Emit/CloudFormation.h"
#include "Graph/Graph.h"
#include "Parse/Parser.h"
#include "Rules/Rule.h"
#include "Sema/Model.h"
#include "Sim/Sim.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace infrac;

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "back-end invariant violated: %s\n", what);
  std::abort();
}

/// This process's directory for the input's files, emptied for each input.
const std::string &workDir() {
  static std::string dir = [] {
    llvm::SmallString<128> path;
    if (llvm::sys::fs::createUniqueDirectory("infrac-fuzz-backend", path))
      fail("cannot create a temporary directory");
    return std::string(path);
  }();
  return dir;
}

bool validName(llvm::StringRef name) {
  if (name.empty() || name.size() > 32 || name == "." || name == "..")
    return false;
  for (char c : name)
    if (!llvm::isAlnum(c) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

/// Splits the input into (name, text) files; the first is main.infra.
std::vector<std::pair<std::string, std::string>> splitFiles(llvm::StringRef text) {
  std::vector<std::pair<std::string, std::string>> files{{"main.infra", ""}};
  while (!text.empty()) {
    auto [line, rest] = text.split('\n');
    if (line.startswith("#--- ") && validName(line.drop_front(5).trim()) && files.size() < 8)
      files.push_back({line.drop_front(5).trim().str(), ""});
    else
      files.back().second += (line + (rest.data() ? "\n" : "")).str();
    text = rest;
  }
  return files;
}

void writeFile(const std::string &path, const std::string &text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    fail("cannot write an input file");
  os << text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &dir = workDir();
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    llvm::sys::fs::remove(it->path());
  for (const auto &[name, text] :
       splitFiles(llvm::StringRef(reinterpret_cast<const char *>(data), size)))
    writeFile(dir + "/" + name, text);

  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ast::ASTContext ctx;
  auto program = loadProgram({dir + "/main.infra"}, sm, ctx, diags);
  if (!program) {
    llvm::consumeError(program.takeError());
    return 0;
  }
  if (program->hasSyntaxErrors())
    return 0;
  std::unique_ptr<sema::Model> model = sema::buildModel(*program, diags);
  if (!model)
    fail("sema returned no model");
  if (diags.hasErrors())
    return 0;
  rules::runRules(*model, *program, diags);
  llvm::raw_null_ostream null;
  renderText(diags, null, TextRenderOptions{/*color=*/false, /*summary=*/true});
  emit::checkBuildable(*model, diags);
  if (diags.hasErrors())
    return 0; // As `infrac build`: no back end sees a rejected design.

  // build
  emit::CfnOptions cfn;
  llvm::Expected<emit::Template> t = emit::buildCloudFormation(*model, cfn);
  if (!t) {
    llvm::consumeError(t.takeError());
    fail("no template for a design the front end accepted");
  }
  emit::writeJSON(t->root, null);
  emit::writeYAML(t->root, null);

  // graph
  for (graph::Level level : {graph::Level::Overview, graph::Level::Detail}) {
    graph::GraphOptions g;
    g.level = level;
    g.title = "fuzz";
    graph::Graph drawn = graph::buildGraph(*model, g);
    graph::writeDot(drawn, null);
    graph::writeMermaid(drawn, null);
  }

  // sim, bounded
  for (const sema::Resource *sc : runtime::scenarios(*model)) {
    runtime::SimOptions opts;
    opts.timeline = &null;
    opts.trace = &null;
    opts.duration = runtime::seconds(60);
    opts.rate = 20;
    opts.instances = 3;
    runtime::simulate(*model, *sc, opts);
  }
  return 0;
}

//===- GraphTest.cpp - infrac graph: goldens and the real renderers -------===//
//
// Every case runs `infrac graph` as a process and compares its Mermaid and
// DOT with tests/golden/graph/<case>.mmd and .dot (INFRAC_UPDATE_GOLDENS=1
// rewrites them; review the diff). Then every golden goes through the real
// renderers: Graphviz's `dot -Tsvg` must print nothing on stderr, and the
// real Mermaid parser (npm `mermaid` under jsdom, tests/graph-tools, set up
// by scripts/setup-graph-tools.sh) must accept every diagram. Both checks
// are shown to reject broken input. Then the command line: SVG and PNG,
// --dpi, a missing Graphviz, atomic output, --focus, --with-diagnostics,
// determinism, and the README's diagram. Then what the library places where:
// load balancer nodes, instances per zone, ensemble servers, the internet
// gateway and routes, and the annotations.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "Graph/Graph.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace infrac;
using namespace infrac::test;

namespace {

const std::string bin = INFRAC_BINARY;

std::string stem(const std::string &path) { return llvm::sys::path::stem(path).str(); }

std::string goldenDir() { return sourceDir() + "/tests/golden/graph"; }

/// One invocation of `infrac graph`, drawn in both text formats.
struct Case {
  std::string name;  ///< The goldens' stem.
  std::string input; ///< Relative to the source dir.
  std::vector<std::string> args;
  int exitCode = 0;
};

/// How CTest and GoogleTest name a case's parameter.
void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

std::vector<Case> cases() {
  std::vector<Case> out;
  std::vector<std::string> inputs = listFiles("examples", ".infra", false);
  inputs.push_back(sourceDir() + "/tests/graph/every_kind.infra");
  for (const std::string &path : inputs) {
    std::string rel = path.substr(sourceDir().size() + 1);
    out.push_back({stem(path), rel, {}});
    out.push_back({stem(path) + ".overview", rel, {"--level=overview"}});
  }
  out.push_back({"webshop.focus-web", "examples/webshop.infra", {"--focus=web"}});
  out.push_back({"webshop.focus-public_a", "examples/webshop.infra", {"--focus=public_a"}});
  out.push_back({"webshop.focus-web_sg", "examples/webshop.infra", {"--focus=web_sg"}});
  out.push_back(
      {"zk_election.focus-zk.scheduler", "examples/zk_election.infra", {"--focus=zk.scheduler"}});
  out.push_back({"emr_analytics.no-legend", "examples/emr_analytics.infra", {"--legend=false"}});
  out.push_back({"with_problems.diagnostics",
                 "tests/graph/with_problems.infra",
                 {"--with-diagnostics"},
                 1});
  return out;
}

ProcessResult graph(const Case &c, const std::string &format) {
  std::vector<std::string> args = {bin, "graph", sourceDir() + "/" + c.input,
                                   "--format=" + format, "--colour=never"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  return runProcess(args);
}

std::string caseName(const testing::TestParamInfo<Case> &info) {
  std::string name;
  for (char ch : info.param.name)
    name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
}

class GraphGolden : public testing::TestWithParam<Case> {};

TEST_P(GraphGolden, MermaidAndDotMatch) {
  const Case &c = GetParam();
  for (const char *format : {"mermaid", "dot"}) {
    ProcessResult r = graph(c, format);
    EXPECT_EQ(r.exitCode, c.exitCode) << format << "\n" << r.err;
    ASSERT_FALSE(r.out.empty()) << format << "\n" << r.err;
    std::string ext = std::string(format) == "mermaid" ? ".mmd" : ".dot";
    std::string failure = compareGolden(goldenDir() + "/" + c.name + ext, r.out);
    EXPECT_TRUE(failure.empty()) << failure;
  }
}

INSTANTIATE_TEST_SUITE_P(Graph, GraphGolden, testing::ValuesIn(cases()), caseName);

//===----------------------------------------------------------------------===//
// The real renderers
//===----------------------------------------------------------------------===//

std::string findDot() {
  llvm::ErrorOr<std::string> dot = llvm::sys::findProgramByName("dot");
  return dot ? *dot : std::string();
}

const char *NoGraphviz = "Graphviz's 'dot' is not on PATH: run 'bash scripts/setup.sh' "
                         "(Debian package graphviz)";

std::string mermaidTools() { return sourceDir() + "/tests/graph-tools"; }

/// Runs the Mermaid checker over `files`: each file's line of output.
std::map<std::string, std::string> checkMermaid(const std::vector<std::string> &files,
                                                ProcessResult &r) {
  llvm::ErrorOr<std::string> node = llvm::sys::findProgramByName("node");
  std::vector<std::string> args = {node ? *node : "node", mermaidTools() + "/check-mermaid.mjs"};
  args.insert(args.end(), files.begin(), files.end());
  r = runProcess(args);
  std::map<std::string, std::string> verdicts;
  llvm::SmallVector<llvm::StringRef, 16> lines;
  llvm::StringRef(r.out).split(lines, '\n', -1, false);
  std::string current;
  for (llvm::StringRef line : lines) {
    for (const std::string &f : files)
      if (line.startswith(f + ": ")) {
        current = f;
        line = line.drop_front(f.size() + 2);
        verdicts[current].clear();
        break;
      }
    if (!current.empty())
      verdicts[current] += line.str() + "\n";
  }
  return verdicts;
}

bool mermaidToolsInstalled() {
  return llvm::sys::fs::exists(mermaidTools() + "/node_modules/mermaid/package.json") &&
         llvm::sys::fs::exists(mermaidTools() + "/node_modules/jsdom/package.json") &&
         llvm::sys::findProgramByName("node");
}

const char *NoMermaid = "the Mermaid parser is not installed in tests/graph-tools: run "
                        "'bash scripts/setup-graph-tools.sh' (npm ci)";

TEST(GraphRenderers, EveryDotGoldenRendersWithoutWarnings) {
  std::string dot = findDot();
  ASSERT_FALSE(dot.empty()) << NoGraphviz;
  std::vector<std::string> goldens = listFiles("tests/golden/graph", ".dot", false);
  ASSERT_GE(goldens.size(), 12u);
  for (const std::string &path : goldens) {
    ProcessResult r = runProcess({dot, "-Tsvg", path, "-o", "/dev/null"});
    EXPECT_EQ(r.exitCode, 0) << path << "\n" << r.err;
    EXPECT_EQ(r.err, "") << path << ": Graphviz warned";
  }
}

/// Ids an edge of `dot` names that no node statement declares: Graphviz
/// would draw them as stray default nodes.
std::vector<std::string> undeclaredNodes(llvm::StringRef dot) {
  std::set<std::string> declared;
  std::vector<std::string> used, out;
  llvm::SmallVector<llvm::StringRef, 64> lines;
  dot.split(lines, '\n');
  auto quotedAt = [](llvm::StringRef s) {
    s = s.ltrim();
    if (!s.consume_front("\""))
      return std::string();
    return s.take_until([](char c) { return c == '"'; }).str();
  };
  for (llvm::StringRef line : lines) {
    size_t arrow = line.find("\" -> \"");
    if (arrow != llvm::StringRef::npos) {
      used.push_back(quotedAt(line));
      used.push_back(quotedAt(line.substr(arrow + 5)));
    } else if (line.ltrim().startswith("\"") && line.contains("\" [")) {
      declared.insert(quotedAt(line));
    }
  }
  for (const std::string &id : used)
    if (!declared.count(id))
      out.push_back(id);
  return out;
}

TEST(GraphRenderers, EveryDotEdgeJoinsDeclaredNodes) {
  for (const std::string &path : listFiles("tests/golden/graph", ".dot", false))
    EXPECT_EQ(undeclaredNodes(readFile(path)), std::vector<std::string>()) << path;
  EXPECT_EQ(undeclaredNodes("digraph {\n  \"a\" [label=x];\n  \"a\" -> \"b\";\n}\n"),
            std::vector<std::string>{"b"});
}

TEST(GraphRenderers, DotCheckSeesWarnings) {
  std::string dot = findDot();
  ASSERT_FALSE(dot.empty()) << NoGraphviz;
  std::string dir = makeTempDir();
  writeFile(dir + "/bad.dot", "digraph g { a [shape=hexagonn]; a -> b [style=dashd]; }\n");
  ProcessResult r = runProcess({dot, "-Tsvg", dir + "/bad.dot", "-o", "/dev/null"});
  EXPECT_NE(r.err, "") << "dot printed no warning for an unknown shape and style";
  llvm::sys::fs::remove_directories(dir);
}

TEST(GraphRenderers, EveryMermaidGoldenParses) {
  ASSERT_TRUE(mermaidToolsInstalled()) << NoMermaid;
  std::vector<std::string> goldens = listFiles("tests/golden/graph", ".mmd", false);
  ASSERT_GE(goldens.size(), 12u);
  ProcessResult r;
  std::map<std::string, std::string> verdicts = checkMermaid(goldens, r);
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  for (const std::string &path : goldens)
    EXPECT_EQ(verdicts[path], "ok (flowchart-v2)\n") << path;
}

TEST(GraphRenderers, MermaidCheckerRejectsBrokenDiagrams) {
  ASSERT_TRUE(mermaidToolsInstalled()) << NoMermaid;
  std::string dir = makeTempDir();
  std::vector<std::pair<std::string, std::string>> broken = {
      {"unclosed.mmd", "flowchart TB\n  a[[\"x\"] --> b\n"},
      {"unclosedlabel.mmd", "flowchart TB\n  a -->|\"x\" b\n"},
      {"linkstyle.mmd", "flowchart TB\n  a --> b\n  linkStyle 3 stroke:#f00\n"},
      {"subgraph.mmd", "flowchart TB\n  subgraph s[\"S\"]\n    a --> b\n"},
  };
  std::vector<std::string> files;
  for (const auto &[name, text] : broken) {
    writeFile(dir + "/" + name, text);
    files.push_back(dir + "/" + name);
  }
  writeFile(dir + "/good.mmd", "flowchart TB\n  a[\"#quot;x#quot;\"] -->|\"1|2\"| b\n");
  files.push_back(dir + "/good.mmd");
  ProcessResult r;
  std::map<std::string, std::string> verdicts = checkMermaid(files, r);
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  for (size_t i = 0; i + 1 < files.size(); ++i)
    EXPECT_TRUE(llvm::StringRef(verdicts[files[i]]).startswith("error: "))
        << files[i] << ": " << verdicts[files[i]];
  EXPECT_EQ(verdicts[dir + "/good.mmd"], "ok (flowchart-v2)\n");
  llvm::sys::fs::remove_directories(dir);
}

//===----------------------------------------------------------------------===//
// The command line
//===----------------------------------------------------------------------===//

std::vector<std::string> examples() { return listFiles("examples", ".infra", false); }

TEST(GraphCli, SvgAndPngForEveryExample) {
  ASSERT_FALSE(findDot().empty()) << NoGraphviz;
  std::string dir = makeTempDir();
  for (const std::string &path : examples()) {
    std::string svg = dir + "/" + stem(path) + ".svg", png = dir + "/" + stem(path) + ".png";
    ProcessResult s = runProcess({bin, "graph", path, "--format=svg", "-o", svg});
    EXPECT_EQ(s.exitCode, 0) << path << "\n" << s.err;
    EXPECT_EQ(s.err, "") << path;
    std::string svgText = readFile(svg);
    EXPECT_TRUE(llvm::StringRef(svgText).startswith("<?xml")) << svg;
    EXPECT_NE(svgText.find("<svg"), std::string::npos) << svg;
    EXPECT_NE(svgText.find("Legend"), std::string::npos) << svg;

    ProcessResult p = runProcess({bin, "graph", path, "--format=png", "-o", png});
    EXPECT_EQ(p.exitCode, 0) << path << "\n" << p.err;
    EXPECT_EQ(p.err, "") << path;
    std::string pngBytes = readFile(png);
    EXPECT_TRUE(llvm::StringRef(pngBytes).startswith("\x89PNG\r\n\x1a\n")) << png;
    EXPECT_GT(pngBytes.size(), 10000u) << png;

    // To stdout, the same SVG.
    ProcessResult out = runProcess({bin, "graph", path, "--format=svg"});
    EXPECT_EQ(out.exitCode, 0);
    EXPECT_EQ(out.out, svgText) << path;
  }
  // Nothing but the outputs: no temporary files left behind.
  unsigned files = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    ++files;
  EXPECT_EQ(files, 2 * examples().size());
  llvm::sys::fs::remove_directories(dir);
}

/// A PNG's width and height, from its IHDR chunk.
std::pair<unsigned, unsigned> pngSize(llvm::StringRef png) {
  auto word = [&](size_t at) {
    unsigned v = 0;
    for (size_t i = at; i < at + 4 && i < png.size(); ++i)
      v = v << 8 | static_cast<unsigned char>(png[i]);
    return v;
  };
  return {word(16), word(20)};
}

TEST(GraphCli, DpiScalesThePng) {
  ASSERT_FALSE(findDot().empty()) << NoGraphviz;
  std::string dir = makeTempDir();
  std::string input = sourceDir() + "/examples/webshop.infra";
  ProcessResult plain = runProcess({bin, "graph", input, "--format=png", "-o", dir + "/96.png"});
  ProcessResult print =
      runProcess({bin, "graph", input, "--format=png", "--dpi=300", "-o", dir + "/300.png"});
  ASSERT_EQ(plain.exitCode, 0) << plain.err;
  ASSERT_EQ(print.exitCode, 0) << print.err;
  EXPECT_EQ(print.err, "");
  auto [w96, h96] = pngSize(readFile(dir + "/96.png"));
  auto [w300, h300] = pngSize(readFile(dir + "/300.png"));
  ASSERT_GT(w96, 100u);
  ASSERT_GT(h96, 100u);
  // Graphviz draws a PNG at 96 dpi by default: 300 dpi is 3.125 times as wide.
  EXPECT_NEAR(double(w300) / w96, 300.0 / 96, 0.1) << w96 << " -> " << w300;
  EXPECT_NEAR(double(h300) / h96, 300.0 / 96, 0.1) << h96 << " -> " << h300;
  EXPECT_EQ(readFile(dir + "/300.png"),
            runProcess({bin, "graph", input, "--format=png", "--dpi=300"}).out)
      << "the same picture to standard output, byte for byte";

  ProcessResult svg = runProcess({bin, "graph", input, "--format=svg", "--dpi=300"});
  EXPECT_EQ(svg.exitCode, 2);
  EXPECT_NE(svg.err.find("--dpi sets the resolution of a PNG; add --format=png"),
            std::string::npos)
      << svg.err;
  ProcessResult tiny = runProcess({bin, "graph", input, "--format=png", "--dpi=5", "-o", "-"});
  EXPECT_EQ(tiny.exitCode, 2);
  EXPECT_NE(tiny.err.find("--dpi=5 is out of range; give 36..1200"), std::string::npos)
      << tiny.err;
  llvm::sys::fs::remove_directories(dir);
}

TEST(GraphCli, MissingGraphvizIsAClearErrorAndWritesNothing) {
  std::string dir = makeTempDir();
  std::string out = dir + "/webshop.svg";
  writeFile(out, "keep me\n");
  std::string input = sourceDir() + "/examples/webshop.infra";
  for (const char *format : {"svg", "png"}) {
    ProcessResult r = runProcess({bin, "graph", input, std::string("--format=") + format, "-o", out},
                                 {"PATH=/nonexistent"});
    EXPECT_EQ(r.exitCode, 2) << r.err;
    EXPECT_NE(r.err.find("infrac: error: --format=" + std::string(format) +
                         " needs Graphviz's 'dot'"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("apt-get install graphviz"), std::string::npos) << r.err;
    EXPECT_EQ(readFile(out), "keep me\n") << "a failed render must leave the file alone";
  }
  // Mermaid and DOT need no Graphviz.
  ProcessResult dot = runProcess({bin, "graph", input, "--format=dot"}, {"PATH=/nonexistent"});
  EXPECT_EQ(dot.exitCode, 0) << dot.err;
  EXPECT_TRUE(llvm::StringRef(dot.out).startswith("digraph")) << dot.out;
  llvm::sys::fs::remove_directories(dir);
}

TEST(GraphCli, OutputFileIsWrittenWholeOrNotAtAll) {
  std::string dir = makeTempDir();
  std::string input = sourceDir() + "/examples/webshop.infra";
  ProcessResult toStdout = runProcess({bin, "graph", input, "--format=dot"});
  ProcessResult toFile = runProcess({bin, "graph", input, "--format=dot", "-o", dir + "/w.dot"});
  EXPECT_EQ(toFile.exitCode, 0) << toFile.err;
  EXPECT_EQ(toFile.out, "");
  EXPECT_EQ(readFile(dir + "/w.dot"), toStdout.out);

  ProcessResult noDir =
      runProcess({bin, "graph", input, "--format=dot", "-o", dir + "/missing/w.dot"});
  EXPECT_EQ(noDir.exitCode, 2);
  EXPECT_NE(noDir.err.find("infrac: error: cannot write '" + dir + "/missing/w.dot'"),
            std::string::npos)
      << noDir.err;
  EXPECT_FALSE(llvm::sys::fs::exists(dir + "/missing"));
  llvm::sys::fs::remove_directories(dir);
}

TEST(GraphCli, UsageErrors) {
  std::string webshop = sourceDir() + "/examples/webshop.infra";
  ProcessResult focus = runProcess({bin, "graph", webshop, "--focus=wbe"});
  EXPECT_EQ(focus.exitCode, 2);
  EXPECT_NE(focus.err.find("--focus: nothing named 'wbe' is drawn; did you mean 'web'?"),
            std::string::npos)
      << focus.err;
  EXPECT_EQ(focus.out, "");

  ProcessResult two =
      runProcess({bin, "graph", webshop, sourceDir() + "/examples/nlb_game.infra"});
  EXPECT_EQ(two.exitCode, 2);
  EXPECT_NE(two.err.find("graph draws one file"), std::string::npos) << two.err;

  EXPECT_EQ(runProcess({bin, "graph", webshop, "--format=jpeg"}).exitCode, 2);
  EXPECT_EQ(runProcess({bin, "graph", webshop, "--level=everything"}).exitCode, 2);
  EXPECT_EQ(runProcess({bin, "graph", "/no/such/file.infra"}).exitCode, 2);
}

TEST(GraphCli, ErrorsAreDrawnOnlyWhenAsked) {
  std::string input = sourceDir() + "/tests/graph/with_problems.infra";
  ProcessResult plain = runProcess({bin, "graph", input, "--colour=never"});
  EXPECT_EQ(plain.exitCode, 1);
  EXPECT_EQ(plain.out, "") << "a design with errors is not drawn without --with-diagnostics";
  EXPECT_NE(plain.err.find("error: max (2) is less than min (4) [ASG001]"), std::string::npos)
      << plain.err;

  ProcessResult marked = runProcess({bin, "graph", input, "--with-diagnostics", "--colour=never"});
  EXPECT_EQ(marked.exitCode, 1);
  EXPECT_EQ(marked.err, plain.err) << "the diagnostics are reported either way";
  // Rule warnings count too: SSH open to the world (SEC001) on the group's
  // instances, IMDSv1 (SEC012) on the launch template's group.
  EXPECT_NE(marked.out.find("(!) 1 error, 2 warnings"), std::string::npos) << marked.out;
  EXPECT_NE(marked.out.find("(!) 1 error\""), std::string::npos) << marked.out;
  EXPECT_NE(marked.out.find("classDef error"), std::string::npos) << marked.out;
  // The group's instances in each zone take its colour; the counts are said
  // once, on the group.
  size_t errorClass = marked.out.find("\n  class ", marked.out.find("classDef error"));
  ASSERT_NE(errorClass, std::string::npos);
  llvm::StringRef errorIds = llvm::StringRef(marked.out).substr(errorClass + 1).split('\n').first;
  EXPECT_TRUE(errorIds.contains("part_web_asg_a,") && errorIds.endswith(" error"))
      << errorIds.str();
  EXPECT_EQ(llvm::StringRef(marked.out).count("(!) 1 error, 2 warnings"), 1u) << marked.out;
  EXPECT_EQ(llvm::StringRef(marked.out).count("(!) 1 error\""), 1u)
      << "the target group's error, and no count on the group's parts\n"
      << marked.out;

  // A clean design with a warning is drawn, exit 0, the warning on stderr.
  ProcessResult warned = runProcess(
      {bin, "graph", sourceDir() + "/tests/graph/every_kind.infra", "--with-diagnostics"});
  EXPECT_EQ(warned.exitCode, 0);
  EXPECT_NE(warned.err.find("[ZK004]"), std::string::npos) << warned.err;
  EXPECT_NE(warned.out.find("(!) 1 warning"), std::string::npos) << warned.out;
}

TEST(GraphCli, OutputIsByteIdenticalRunToRun) {
  for (const std::string &path : examples())
    for (const char *format : {"mermaid", "dot", "svg", "png"}) {
      std::vector<std::string> args = {bin, "graph", path, std::string("--format=") + format};
      ProcessResult a = runProcess(args), b = runProcess(args);
      EXPECT_EQ(a.exitCode, 0) << a.err;
      EXPECT_FALSE(a.out.empty());
      EXPECT_EQ(a.out, b.out) << path << " " << format;
    }
}

//===----------------------------------------------------------------------===//
// The library
//===----------------------------------------------------------------------===//

graph::Graph build(const std::string &path, graph::Level level = graph::Level::Detail) {
  auto run = runFrontEnd({sourceDir() + "/" + path});
  EXPECT_TRUE(run->model);
  graph::GraphOptions opts;
  opts.level = level;
  // The run (and its model) outlives nothing the graph holds: it is all strings.
  return graph::buildGraph(*run->model, opts);
}

const graph::Node *findNode(const graph::Graph &g, llvm::StringRef id) {
  for (const graph::Node &n : g.nodes)
    if (n.id == id)
      return &n;
  return nullptr;
}

const graph::Cluster *findCluster(const graph::Graph &g, llvm::StringRef id) {
  for (const graph::Cluster &c : g.clusters)
    if (c.id == id)
      return &c;
  return nullptr;
}

/// The id of the cluster a node is drawn in ("" outside any).
std::string clusterOf(const graph::Graph &g, llvm::StringRef node) {
  const graph::Node *n = findNode(g, node);
  return n && n->cluster >= 0 ? g.clusters[n->cluster].id : std::string();
}

bool hasLine(const std::vector<std::string> &lines, llvm::StringRef line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

const graph::Edge *findEdge(const graph::Graph &g, llvm::StringRef from, llvm::StringRef to,
                            graph::EdgeKind kind) {
  for (const graph::Edge &e : g.edges)
    if (e.from == from && e.to == to && e.kind == kind)
      return &e;
  return nullptr;
}

TEST(GraphLibrary, FocusOnASubnetKeepsWhatRunsInIt) {
  graph::Graph g = build("examples/webshop.infra");
  ASSERT_TRUE(graph::focusGraph(g, "private_a"));
  EXPECT_TRUE(findCluster(g, "subnet_private_a"));
  EXPECT_EQ(clusterOf(g, "part_web_asg_private_a"), "subnet_private_a")
      << "the group's instances in the zone";
  EXPECT_TRUE(findNode(g, "asg_web_asg")) << "the group runs in private_a";
  EXPECT_FALSE(findNode(g, "part_web_asg_private_c")) << "its instances in the other zone";
  EXPECT_FALSE(findNode(g, "lb_shop_alb")) << "the ALB runs in the public subnets";
  EXPECT_FALSE(findCluster(g, "subnet_public_a"));
  EXPECT_EQ(findNode(g, "asg_web_asg")->subnets, std::vector<std::string>{"subnet_private_a"})
      << "a subnet no longer drawn is no longer named";
  for (const graph::Edge &e : g.edges) {
    EXPECT_TRUE(findNode(g, e.from)) << e.from;
    EXPECT_TRUE(findNode(g, e.to)) << e.to;
  }
}

TEST(GraphLibrary, FocusOnNothingLeavesTheGraphAlone) {
  graph::Graph g = build("examples/webshop.infra");
  size_t nodes = g.nodes.size(), edges = g.edges.size();
  EXPECT_FALSE(graph::focusGraph(g, "shop_alb2"));
  EXPECT_EQ(g.nodes.size(), nodes);
  EXPECT_EQ(g.edges.size(), edges);
  std::vector<std::string> names = graph::drawnNames(g);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "shop_alb.https.mobile"), names.end());
}

TEST(GraphLibrary, WhatIsDrawn) {
  graph::Graph g = build("examples/webshop.infra");
  // Listeners with protocol:port, rules with their conditions on the edges,
  // weights as percentages, the group's capacity.
  ASSERT_TRUE(findNode(g, "listener_shop_alb_https"));
  EXPECT_EQ(findNode(g, "listener_shop_alb_https")->lines[0], "HTTPS:443");
  auto edge = [&](llvm::StringRef from, llvm::StringRef to) -> const graph::Edge * {
    for (const graph::Edge &e : g.edges)
      if (e.from == from && e.to == to && e.kind == graph::EdgeKind::Traffic)
        return &e;
    return nullptr;
  };
  ASSERT_TRUE(edge("listener_shop_alb_https", "rule_shop_alb_https_api"));
  EXPECT_EQ(edge("listener_shop_alb_https", "rule_shop_alb_https_api")->label, "path /api/*");
  ASSERT_TRUE(edge("rule_shop_alb_https_mobile", "tg_canary"));
  EXPECT_EQ(edge("rule_shop_alb_https_mobile", "tg_canary")->label, "20%");
  ASSERT_TRUE(findNode(g, "asg_web_asg"));
  EXPECT_EQ(findNode(g, "asg_web_asg")->lines[1], "min 2 · desired 3 · max 10");

  // EMR: spot groups are marked; the overview folds the groups into one node.
  graph::Graph emr = build("examples/emr_analytics.infra");
  ASSERT_TRUE(findNode(emr, "emr_analytics_spot_compute"));
  EXPECT_TRUE(findNode(emr, "emr_analytics_spot_compute")->spot);
  EXPECT_FALSE(findNode(emr, "emr_analytics_core")->spot);
  graph::Graph overview = build("examples/emr_analytics.infra", graph::Level::Overview);
  ASSERT_TRUE(findNode(overview, "emr_analytics"));
  EXPECT_TRUE(findNode(overview, "emr_analytics")->spot);
  EXPECT_TRUE(overview.clusters.size() == 1 && overview.clusters[0].kind == graph::ClusterKind::Vpc);
}

TEST(GraphLibrary, WhatRunsInSubnetsIsDrawnInThem) {
  using graph::EdgeKind;
  graph::Graph g = build("examples/webshop.infra");
  // The subnets are boxes in their zones, with their route to the internet.
  ASSERT_TRUE(findCluster(g, "subnet_public_a"));
  EXPECT_EQ(findCluster(g, "subnet_public_a")->kind, graph::ClusterKind::PublicSubnet);
  EXPECT_EQ(g.clusters[findCluster(g, "subnet_public_a")->parent].id,
            "az_vpc_shop_ap_northeast_2a");
  EXPECT_EQ(findCluster(g, "subnet_public_a")->lines,
            (std::vector<std::string>{"public_a", "10.0.1.0/24", "public · 0.0.0.0/0 → IGW"}));
  EXPECT_EQ(findCluster(g, "subnet_private_a")->lines,
            (std::vector<std::string>{"private_a", "10.0.11.0/24", "private · local route only"}));
  // The internet gateway `build` creates, in the VPC, between the clients
  // and a node of the ALB in each public subnet it spans.
  EXPECT_EQ(clusterOf(g, "igw_shop"), "vpc_shop");
  EXPECT_TRUE(findEdge(g, "clients_internet", "igw_shop", EdgeKind::Traffic));
  for (const char *subnet : {"public_a", "public_c"}) {
    std::string node = std::string("part_shop_alb_") + subnet;
    EXPECT_EQ(clusterOf(g, node), std::string("subnet_") + subnet);
    EXPECT_TRUE(findEdge(g, "igw_shop", node, EdgeKind::Traffic)) << node;
    EXPECT_TRUE(findEdge(g, node, "lb_shop_alb", EdgeKind::Traffic)) << node;
  }
  EXPECT_FALSE(findEdge(g, "clients_internet", "lb_shop_alb", EdgeKind::Traffic));
  // Desired 3 over two zones: 2 and 1, as AZ balancing launches them.
  EXPECT_EQ(clusterOf(g, "part_web_asg_private_a"), "subnet_private_a");
  EXPECT_EQ(findNode(g, "part_web_asg_private_a")->lines[1], "2 instances · t3.small");
  EXPECT_EQ(findNode(g, "part_web_asg_private_c")->lines[1], "1 instance · t3.small");
  EXPECT_TRUE(findEdge(g, "asg_web_asg", "part_web_asg_private_c", EdgeKind::Membership));
  // No resource names its subnets as text any more.
  for (const graph::Node &n : g.nodes)
    for (const std::string &line : n.lines)
      EXPECT_FALSE(llvm::StringRef(line).startswith("in ")) << n.id << ": " << line;

  // EMR runs in one subnet: the cluster's box is inside it.
  graph::Graph emr = build("examples/emr_analytics.infra");
  ASSERT_TRUE(findCluster(emr, "emr_analytics"));
  EXPECT_EQ(emr.clusters[findCluster(emr, "emr_analytics")->parent].id, "subnet_data_a");

  // Ensemble servers round-robin over the subnets: one per zone here.
  graph::Graph zk = build("examples/zk_election.infra");
  EXPECT_EQ(clusterOf(zk, "part_zk_coord_b"), "subnet_coord_b");
  EXPECT_EQ(findNode(zk, "part_zk_coord_b")->lines,
            (std::vector<std::string>{"zk server 2", "1 voter"}));
  EXPECT_TRUE(findEdge(zk, "zk_zk_ensemble", "part_zk_coord_b", EdgeKind::Membership));

  // Five voters and two observers over two zones: 3 voters in the first, a
  // quorum, which the diagram says (ZK004 warns about it).
  graph::Graph all = build("tests/graph/every_kind.infra");
  EXPECT_EQ(findNode(all, "part_locks_priv_a")->lines,
            (std::vector<std::string>{"locks servers 1, 3, 5, 7", "3 voters + 1 observer",
                                      "(!) 3 of 5 voters in this zone: a quorum"}));
  EXPECT_EQ(findNode(all, "part_locks_priv_b")->lines,
            (std::vector<std::string>{"locks servers 2, 4, 6", "2 voters + 1 observer"}));
  // Targets by address in the subnet that holds the address; a range that
  // is a subnet's, inside it.
  EXPECT_EQ(clusterOf(all, "target_legacy_10_0_11_5"), "subnet_priv_a");
  EXPECT_EQ(clusterOf(all, "target_legacy_10_0_12_7_8080"), "subnet_priv_b");
  EXPECT_EQ(clusterOf(all, "cidr_10_0_12_0_24"), "subnet_priv_b");
  // An external store's nodes in its subnets: 3 over two, 2 and 1.
  EXPECT_EQ(findNode(all, "part_sessions_priv_a")->lines[1], "2 × cache.t3.micro");
  EXPECT_EQ(findNode(all, "part_sessions_priv_b")->lines[1], "1 × cache.t3.micro");
  // An internal load balancer's nodes take traffic from inside the VPC.
  EXPECT_TRUE(findEdge(all, "clients_vpc", "part_inner_priv_a", EdgeKind::Traffic));
  // A subnet nothing runs in is still drawn (with a placeholder in it).
  ASSERT_TRUE(findCluster(all, "subnet_spare"));
  std::string dot = graph(Case{"", "tests/graph/every_kind.infra", {}}, "dot").out;
  EXPECT_NE(dot.find("\"subnet_spare_empty\" [label=\"\""), std::string::npos);
}

TEST(GraphLibrary, ConfigurationIsAnnotated) {
  graph::Graph g = build("examples/webshop.infra");
  const graph::Node *https = findNode(g, "listener_shop_alb_https");
  ASSERT_TRUE(https);
  EXPECT_TRUE(hasLine(https->lines, "certificate 0f1e2d3c…")) << https->lines.size();
  EXPECT_TRUE(hasLine(https->lines, "TLS policy TLS13-1-2-2021-06"));
  EXPECT_TRUE(hasLine(findNode(g, "tg_web")->lines, "least outstanding requests · drain 30s"));
  EXPECT_TRUE(hasLine(findNode(g, "tg_canary")->lines, "drain 5m · slow start 1m"));
  const graph::Node *asg = findNode(g, "asg_web_asg");
  EXPECT_TRUE(hasLine(asg->lines, "scale: track requests/target at 1000"));
  EXPECT_TRUE(hasLine(asg->lines, "schedule night 0 1 * * *: min 2 · desired 2"));
  EXPECT_TRUE(hasLine(asg->lines, "hook drain_logs: terminating 1m, then continue"));

  graph::Graph game = build("examples/nlb_game.infra");
  EXPECT_TRUE(hasLine(findNode(game, "tg_lobby")->lines, "drain 2m, then close connections"));
  EXPECT_TRUE(hasLine(findNode(game, "asg_game_asg")->lines, "scale: track CPU at 60%"));
  EXPECT_TRUE(hasLine(findNode(game, "lb_game_nlb")->lines, "cross-zone"));

  // The overview keeps to the resources: no parts, no gateway, no subnets.
  graph::Graph overview = build("examples/webshop.infra", graph::Level::Overview);
  EXPECT_FALSE(findNode(overview, "igw_shop"));
  EXPECT_FALSE(findNode(overview, "part_web_asg_private_a"));
  EXPECT_FALSE(findCluster(overview, "subnet_public_a"));
  EXPECT_FALSE(hasLine(findNode(overview, "asg_web_asg")->lines,
                       "scale: track requests/target at 1000"));
}

//===----------------------------------------------------------------------===//
// The README's diagram
//===----------------------------------------------------------------------===//

std::string graphvizVersion(llvm::StringRef svg) {
  size_t at = svg.find("Generated by graphviz version ");
  if (at == llvm::StringRef::npos)
    return {};
  llvm::StringRef rest = svg.substr(at);
  return rest.take_until([](char c) { return c == '\n'; }).str();
}

TEST(GraphDocs, ReadmeShowsTheWebshopDiagramAsTheToolDrawsIt) {
  std::string readme = readFile(sourceDir() + "/README.md");
  EXPECT_NE(readme.find("](docs/webshop.svg)"), std::string::npos)
      << "the README shows docs/webshop.svg";
  ASSERT_FALSE(findDot().empty()) << NoGraphviz;
  ProcessResult r =
      runProcess({bin, "graph", sourceDir() + "/examples/webshop.infra", "--format=svg"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::string committed = readFile(sourceDir() + "/docs/webshop.svg");
  const char *update = std::getenv("INFRAC_UPDATE_GOLDENS");
  bool updating = update && std::string(update) == "1";
  if (!updating && !committed.empty() && committed != r.out &&
      graphvizVersion(committed) != graphvizVersion(r.out))
    GTEST_SKIP() << "docs/webshop.svg was drawn by " << graphvizVersion(committed)
                 << ", this machine has " << graphvizVersion(r.out)
                 << "; the DOT it comes from is checked by the goldens";
  std::string failure = compareGolden(sourceDir() + "/docs/webshop.svg", r.out);
  EXPECT_TRUE(failure.empty()) << failure;
}

} // namespace

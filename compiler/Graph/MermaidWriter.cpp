//===- MermaidWriter.cpp - The graph as a Mermaid flowchart ---------------===//
//
// Nodes are written inside their subgraphs, then the edges, then the styles:
// one classDef per kind, `style` per subgraph and `linkStyle` per edge kind
// (by edge index, so edges are counted as they are written).
//
//===----------------------------------------------------------------------===//

#include "Graph/Graph.h"
#include "Graph/Style.h"

#include "llvm/ADT/STLExtras.h"

using namespace infrac;
using namespace infrac::graph;

namespace {

/// Text inside a quoted Mermaid label: entity codes for what Mermaid reads.
std::string escape(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '"':
      out += "#quot;";
      break;
    case '#':
      out += "#35;";
      break;
    case '<':
      out += "#lt;";
      break;
    case '>':
      out += "#gt;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string label(llvm::ArrayRef<std::string> lines) {
  std::string out = "\"";
  for (size_t i = 0; i < lines.size(); ++i)
    out += (i ? "<br/>" : "") + escape(lines[i]);
  return out + "\"";
}

class MermaidWriter {
public:
  MermaidWriter(const Graph &g, llvm::raw_ostream &os) : g(g), os(os) {}

  void write() {
    if (!g.title.empty())
      os << "---\ntitle: " << g.title << "\n---\n";
    os << "flowchart LR\n";
    writeClusterContents(-1, 1);
    writeLegendNodes();
    for (const Edge &e : g.edges)
      writeEdge(e.from, e.to, e.kind, e.label);
    writeLegendEdges();
    writeStyles();
  }

private:
  void indent(int depth) { os.indent(depth * 2); }

  void writeNode(const Node &n, int depth) {
    const style::KindStyle &s = style::of(n.kind);
    indent(depth);
    os << n.id << s.mermaidOpen << label(n.lines) << s.mermaidClose << "\n";
  }

  void writeClusterContents(int cluster, int depth) {
    for (size_t c = 0; c < g.clusters.size(); ++c) {
      if (g.clusters[c].parent != cluster)
        continue;
      indent(depth);
      os << "subgraph " << g.clusters[c].id << "[" << label(g.clusters[c].lines) << "]\n";
      writeClusterContents(static_cast<int>(c), depth + 1);
      indent(depth);
      os << "end\n";
    }
    for (const Node &n : g.nodes)
      if (n.cluster == cluster)
        writeNode(n, depth);
  }

  void writeLegendNodes() {
    if (!legend())
      return;
    os << "  subgraph legend[\"Legend\"]\n";
    for (NodeKind k : g.kindsUsed()) {
      const style::KindStyle &s = style::of(k);
      os << "    legend_" << s.className << s.mermaidOpen << label({legendName(k).str()})
         << s.mermaidClose << "\n";
    }
    if (g.hasSpot())
      os << "    legend_spot[\"spot capacity\"]\n";
    if (g.hasMark(Mark::Error))
      os << "    legend_error[\"has errors\"]\n";
    if (g.hasMark(Mark::Warning))
      os << "    legend_warning[\"has warnings\"]\n";
    for (EdgeKind k : style::AllEdgeKinds)
      if (g.hasEdge(k))
        os << "    legend_" << edgeName(k) << "_a[\" \"]\n    legend_" << edgeName(k)
           << "_b[\" \"]\n";
    os << "  end\n";
  }

  void writeLegendEdges() {
    if (!legend())
      return;
    for (EdgeKind k : style::AllEdgeKinds)
      if (g.hasEdge(k))
        writeEdge("legend_" + edgeName(k) + "_a", "legend_" + edgeName(k) + "_b", k,
                  style::of(k).legend);
  }

  bool legend() const { return g.legend && !g.nodes.empty(); }

  static std::string edgeName(EdgeKind k) {
    return std::to_string(static_cast<unsigned>(k)) + "_edge";
  }

  void writeEdge(llvm::StringRef from, llvm::StringRef to, EdgeKind kind,
                 llvm::StringRef text) {
    const char *arrow = kind == EdgeKind::Security    ? "-.->"
                        : kind == EdgeKind::Placement ? "-.-"
                                                      : "-->";
    os << "  " << from << " " << arrow;
    if (!text.empty())
      os << "|" << label({text.str()}) << "|";
    os << " " << to << "\n";
    edgeIndex[static_cast<unsigned>(kind)].push_back(edgeCount++);
  }

  void writeStyles() {
    for (NodeKind k : g.kindsUsed()) {
      const style::KindStyle &s = style::of(k);
      os << "  classDef " << s.className << " fill:" << s.fill << ",stroke:" << s.stroke
         << ",color:#000\n";
      std::vector<std::string> ids;
      for (const Node &n : g.nodes)
        if (n.kind == k)
          ids.push_back(n.id);
      if (legend())
        ids.push_back(std::string("legend_") + s.className);
      writeClass(ids, s.className);
    }
    writeFlagClass("spot", std::string("stroke:") + style::SpotStroke +
                               ",stroke-width:3px,stroke-dasharray:6 3",
                   [](const Node &n) { return n.spot; }, "legend_spot");
    writeFlagClass("error",
                   std::string("fill:") + style::ErrorFill + ",stroke:" + style::ErrorStroke +
                       ",stroke-width:3px",
                   [](const Node &n) { return n.mark == Mark::Error; }, "legend_error");
    writeFlagClass("warning",
                   std::string("fill:") + style::WarningFill + ",stroke:" +
                       style::WarningStroke + ",stroke-width:3px",
                   [](const Node &n) { return n.mark == Mark::Warning; }, "legend_warning");
    for (const Cluster &c : g.clusters) {
      style::ClusterStyle s = style::of(c.kind);
      const char *stroke = c.mark == Mark::Error     ? style::ErrorStroke
                           : c.mark == Mark::Warning ? style::WarningStroke
                                                     : s.stroke;
      os << "  style " << c.id << " fill:" << s.fill << ",stroke:" << stroke << "\n";
    }
    if (legend())
      os << "  style legend fill:#ffffff,stroke:#9e9e9e\n";
    for (EdgeKind k : style::AllEdgeKinds) {
      const std::vector<unsigned> &idx = edgeIndex[static_cast<unsigned>(k)];
      if (idx.empty())
        continue;
      os << "  linkStyle ";
      for (size_t i = 0; i < idx.size(); ++i)
        os << (i ? "," : "") << idx[i];
      os << " stroke:" << style::of(k).color << ",color:" << style::of(k).color << "\n";
    }
  }

  void writeClass(llvm::ArrayRef<std::string> ids, llvm::StringRef cls) {
    if (ids.empty())
      return;
    os << "  class ";
    for (size_t i = 0; i < ids.size(); ++i)
      os << (i ? "," : "") << ids[i];
    os << " " << cls << "\n";
  }

  template <typename Pred>
  void writeFlagClass(llvm::StringRef cls, llvm::StringRef css, Pred pred,
                      llvm::StringRef legendId) {
    std::vector<std::string> ids;
    for (const Node &n : g.nodes)
      if (pred(n))
        ids.push_back(n.id);
    if (ids.empty())
      return;
    ids.push_back(legendId.str());
    os << "  classDef " << cls << " " << css << "\n";
    writeClass(ids, cls);
  }

  const Graph &g;
  llvm::raw_ostream &os;
  unsigned edgeCount = 0;
  std::vector<unsigned> edgeIndex[std::size(style::AllEdgeKinds)];
};

} // namespace

void graph::writeMermaid(const Graph &g, llvm::raw_ostream &os) {
  MermaidWriter(g, os).write();
}

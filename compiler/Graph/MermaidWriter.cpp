//===- MermaidWriter.cpp - The graph as a Mermaid flowchart ---------------===//
//
// Top to bottom like the DOT. Nodes are written inside their subgraphs, then
// the edges, the invisible layout links (Layout.h), the legend, then the
// styles: one classDef per kind, `style` per subgraph and `linkStyle` per
// edge kind (by link index, so every link, invisible ones too, is counted as
// it is written).
//
//===----------------------------------------------------------------------===//

#include "Graph/Graph.h"
#include "Graph/Layout.h"
#include "Graph/Style.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace infrac;
using namespace infrac::graph;

namespace {

/// Kinds per row in the legend.
constexpr size_t LegendColumns = 4;

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
    case '&':
      out += "#amp;";
      break;
    case '`': // Would open a Markdown string.
      out += "#96;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// The lines of a label as one: "public_a · 10.0.1.0/24 · public".
std::string join(llvm::ArrayRef<std::string> lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i)
    out += (i ? " · " : "") + lines[i];
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
    hints = layout::hints(g);
    if (!g.title.empty())
      os << "---\ntitle: " << g.title << "\n---\n";
    os << "flowchart TB\n";
    writeClusterContents(-1, 1);
    for (const Edge &e : g.edges)
      writeEdge(e.from, e.to, e.kind, e.label);
    writeLayoutHints();
    writeLegend();
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
      // Mermaid draws a subgraph's title over its first row of nodes when it
      // runs to several lines: one line it is.
      os << "subgraph " << g.clusters[c].id << "[" << label({join(g.clusters[c].lines)}) << "]\n";
      // Mermaid lays out a subgraph that nothing outside links to on its own,
      // turned a quarter (TB inside LR and back); keep the diagram's direction.
      indent(depth + 1);
      os << "direction TB\n";
      writeClusterContents(static_cast<int>(c), depth + 1);
      if (llvm::is_contained(hints.empty, c)) {
        std::string id = layout::placeholder(g.clusters[c]);
        indent(depth + 1);
        os << id << "[\" \"]\n";
        points.push_back(id);
      }
      indent(depth);
      os << "end\n";
    }
    for (const Node &n : g.nodes)
      if (n.cluster == cluster)
        writeNode(n, depth);
  }

  /// The invisible links of Layout.h (they count in linkStyle too).
  void writeLayoutHints() {
    for (const auto &[from, to] : hints.links) {
      os << "  " << from << " ~~~ " << to << "\n";
      ++edgeCount;
    }
  }

  /// The legend: a subgraph laid out left to right (none of its nodes links
  /// outside it, so Mermaid honours its direction), kinds in rows chained by
  /// invisible links, then a sample of each edge kind between invisible
  /// points. Written after the edges because its links count in linkStyle.
  void writeLegend() {
    if (!legend())
      return;
    struct Entry {
      std::string id, text;
      const char *open, *close;
    };
    std::vector<Entry> entries;
    for (NodeKind k : g.kindsUsed()) {
      const style::KindStyle &s = style::of(k);
      entries.push_back({std::string("legend_") + s.className, legendName(k).str(),
                         s.mermaidOpen, s.mermaidClose});
    }
    for (ClusterKind k : style::LegendClusterKinds)
      if (g.hasCluster(k))
        entries.push_back({std::string("legend_") + style::of(k).className, style::of(k).legend,
                           "[", "]"});
    if (g.hasSpot())
      entries.push_back({"legend_spot", "spot capacity", "[", "]"});
    if (g.hasMark(Mark::Error))
      entries.push_back({"legend_error", "has errors", "[", "]"});
    if (g.hasMark(Mark::Warning))
      entries.push_back({"legend_warning", "has warnings", "[", "]"});

    os << "  subgraph legend[\"Legend\"]\n    direction LR\n";
    for (size_t i = 0; i < entries.size(); i += LegendColumns) {
      os << "    ";
      for (size_t j = i; j < std::min(i + LegendColumns, entries.size()); ++j) {
        if (j > i) {
          os << " ~~~ ";
          ++edgeCount; // Invisible links count too.
        }
        os << entries[j].id << entries[j].open << label({entries[j].text}) << entries[j].close;
      }
      os << "\n";
    }
    for (EdgeKind k : style::AllEdgeKinds)
      if (g.hasEdge(k)) {
        std::string a = "legend_" + edgeName(k) + "_a", b = "legend_" + edgeName(k) + "_b";
        os << "    " << a << "[\" \"]\n    " << b << "[\" \"]\n";
        writeEdge(a, b, k, style::of(k).legend, 2);
        points.push_back(a);
        points.push_back(b);
      }
    os << "  end\n";
  }

  bool legend() const { return g.legend && !g.nodes.empty(); }

  static std::string edgeName(EdgeKind k) {
    return std::to_string(static_cast<unsigned>(k)) + "_edge";
  }

  void writeEdge(llvm::StringRef from, llvm::StringRef to, EdgeKind kind, llvm::StringRef text,
                 int depth = 1) {
    const char *arrow = kind == EdgeKind::Security ? "-.->" : "-->";
    indent(depth);
    os << from << " " << arrow;
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
    if (legend())
      for (ClusterKind k : style::LegendClusterKinds)
        if (g.hasCluster(k)) {
          style::ClusterStyle s = style::of(k);
          os << "  classDef " << s.className << " fill:" << s.fill << ",stroke:" << s.stroke
             << ",color:#000\n";
          writeClass({std::string("legend_") + s.className}, s.className);
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
      os << "  style " << c.id << " fill:" << s.fill << ",stroke:" << stroke
         << (c.kind == ClusterKind::Zone ? ",stroke-dasharray:6 4" : "") << "\n";
    }
    if (legend())
      os << "  style legend fill:#ffffff,stroke:#9e9e9e\n";
    if (!points.empty()) {
      os << "  classDef invisible fill:none,stroke:none\n";
      writeClass(points, "invisible");
    }
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
  layout::Hints hints;
  /// The legend's invisible edge ends and the empty clusters' placeholders.
  std::vector<std::string> points;
  std::vector<unsigned> edgeIndex[std::size(style::AllEdgeKinds)];
};

} // namespace

void graph::writeMermaid(const Graph &g, llvm::raw_ostream &os) {
  MermaidWriter(g, os).write();
}

//===- DotWriter.cpp - The graph as Graphviz DOT --------------------------===//
//
// Left to right, clusters nested as in the graph, HTML-like labels with the
// title in bold. Security and placement edges do not constrain the ranks, so
// the traffic path (clients → load balancer → ... → instances) sets the
// layout.
//
//===----------------------------------------------------------------------===//

#include "Graph/Graph.h"
#include "Graph/Style.h"

using namespace infrac;
using namespace infrac::graph;

namespace {

constexpr const char *Font = "Helvetica,Arial,sans-serif";

/// Text inside an HTML-like label.
std::string html(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// A quoted DOT string.
std::string quoted(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

/// <<b>title</b><br/>detail...>: the title bold, details smaller.
std::string label(llvm::ArrayRef<std::string> lines) {
  std::string out = "<";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i == 0)
      out += "<b>" + html(lines[i]) + "</b>";
    else
      out += "<br/><font point-size=\"9\">" + html(lines[i]) + "</font>";
  }
  return out + ">";
}

class DotWriter {
public:
  DotWriter(const Graph &g, llvm::raw_ostream &os) : g(g), os(os) {}

  void write() {
    os << "digraph " << quoted(g.title.empty() ? "infrac" : g.title) << " {\n";
    os << "  graph [rankdir=LR, newrank=true, fontname=" << quoted(Font)
       << ", fontsize=12, nodesep=0.3, ranksep=0.55, pad=0.3";
    if (!g.title.empty())
      os << ", label=" << quoted(g.title) << ", labelloc=t, labeljust=l";
    os << "];\n";
    os << "  node [fontname=" << quoted(Font)
       << ", fontsize=11, style=filled, penwidth=1.3, margin=\"0.12,0.06\"];\n";
    os << "  edge [fontname=" << quoted(Font) << ", fontsize=9, arrowsize=0.7];\n";
    writeClusterContents(-1, 1);
    writeLegend();
    for (const Edge &e : g.edges)
      writeEdge(e.from, e.to, e.kind, e.label);
    os << "}\n";
  }

private:
  void indent(int depth) { os.indent(depth * 2); }

  void writeNode(llvm::StringRef id, NodeKind kind, llvm::ArrayRef<std::string> lines,
                 bool spot, Mark mark, int depth) {
    const style::KindStyle &s = style::of(kind);
    const char *fill = mark == Mark::Error     ? style::ErrorFill
                       : mark == Mark::Warning ? style::WarningFill
                                               : s.fill;
    const char *stroke = mark == Mark::Error     ? style::ErrorStroke
                         : mark == Mark::Warning ? style::WarningStroke
                         : spot                  ? style::SpotStroke
                                                 : s.stroke;
    std::string nodeStyle = "filled";
    if (kind == NodeKind::Listener || kind == NodeKind::Rule)
      nodeStyle += ",rounded";
    if (spot)
      nodeStyle += ",dashed";
    indent(depth);
    os << quoted(id) << " [label=" << label(lines) << ", shape=" << s.dotShape
       << ", style=" << quoted(nodeStyle) << ", fillcolor=" << quoted(fill)
       << ", color=" << quoted(stroke);
    if (spot || mark != Mark::None)
      os << ", penwidth=2.5";
    os << "];\n";
  }

  void writeClusterContents(int cluster, int depth) {
    for (size_t c = 0; c < g.clusters.size(); ++c) {
      const Cluster &cl = g.clusters[c];
      if (cl.parent != cluster)
        continue;
      style::ClusterStyle s = style::of(cl.kind);
      const char *stroke = cl.mark == Mark::Error     ? style::ErrorStroke
                           : cl.mark == Mark::Warning ? style::WarningStroke
                                                      : s.stroke;
      indent(depth);
      os << "subgraph " << quoted("cluster_" + cl.id) << " {\n";
      indent(depth + 1);
      os << "label=" << label(cl.lines) << "; labeljust=l; style=\"rounded,filled\"; fillcolor="
         << quoted(s.fill) << "; color=" << quoted(stroke)
         << (cl.kind == ClusterKind::Zone ? "; style=\"rounded,dashed\"" : "")
         << (cl.mark != Mark::None ? "; penwidth=2.5" : "") << ";\n";
      writeClusterContents(static_cast<int>(c), depth + 1);
      indent(depth);
      os << "}\n";
    }
    for (const Node &n : g.nodes)
      if (n.cluster == cluster)
        writeNode(n.id, n.kind, n.lines, n.spot, n.mark, depth);
  }

  void writeLegend() {
    if (!g.legend || g.nodes.empty())
      return;
    os << "  subgraph \"cluster_legend\" {\n"
       << "    label=<<b>Legend</b>>; labeljust=l; style=\"rounded\"; color=\"#9e9e9e\";\n";
    for (NodeKind k : g.kindsUsed())
      writeNode(std::string("legend_") + style::of(k).className, k,
                {legendName(k).str()}, false, Mark::None, 2);
    if (g.hasSpot())
      writeNode("legend_spot", NodeKind::EmrGroup, {"spot capacity"}, true, Mark::None, 2);
    if (g.hasMark(Mark::Error))
      writeNode("legend_error", NodeKind::Target, {"has errors"}, false, Mark::Error, 2);
    if (g.hasMark(Mark::Warning))
      writeNode("legend_warning", NodeKind::Target, {"has warnings"}, false, Mark::Warning, 2);
    for (EdgeKind k : style::AllEdgeKinds) {
      if (!g.hasEdge(k))
        continue;
      std::string a = "legend_edge" + std::to_string(static_cast<unsigned>(k));
      os << "    " << quoted(a + "a") << " [label=\"\", shape=point, width=0.05];\n"
         << "    " << quoted(a + "b") << " [label=\"\", shape=point, width=0.05];\n";
      writeEdge(a + "a", a + "b", k, style::of(k).legend, /*constrain=*/true, 2);
    }
    os << "  }\n";
  }

  void writeEdge(llvm::StringRef from, llvm::StringRef to, EdgeKind kind, llvm::StringRef text,
                 bool constrain = false, int depth = 1) {
    style::EdgeStyle s = style::of(kind);
    indent(depth);
    os << quoted(from) << " -> " << quoted(to) << " [";
    if (!text.empty())
      os << "label=" << quoted(text) << ", ";
    os << "color=" << quoted(s.color) << ", fontcolor=" << quoted(s.color);
    if (llvm::StringRef(s.dotStyle) != "solid")
      os << ", style=" << s.dotStyle;
    if (kind == EdgeKind::Placement)
      os << ", dir=none";
    if (!constrain && (kind == EdgeKind::Placement || kind == EdgeKind::Security))
      os << ", constraint=false";
    os << "];\n";
  }

  const Graph &g;
  llvm::raw_ostream &os;
};

} // namespace

void graph::writeDot(const Graph &g, llvm::raw_ostream &os) { DotWriter(g, os).write(); }

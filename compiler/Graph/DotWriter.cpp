//===- DotWriter.cpp - The graph as Graphviz DOT --------------------------===//
//
// Top to bottom, clusters nested as in the graph, HTML-like labels with the
// title in bold. Security edges do not constrain the ranks, so the traffic
// path (clients → internet gateway → load balancer nodes in the public
// subnets → listeners → target groups → groups → their instances in the
// private subnets) sets the layout: the zones stand side by side as columns,
// and the resources' own nodes beside them. The legend is one table node.
//
//===----------------------------------------------------------------------===//

#include "Graph/Graph.h"
#include "Graph/Layout.h"
#include "Graph/Style.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using namespace infrac;
using namespace infrac::graph;

namespace {

constexpr const char *Font = "Helvetica,Arial,sans-serif";
/// Cells per row in the legend.
constexpr size_t LegendColumns = 3;

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

/// Graphviz's scanner refuses a quoted string longer than 16,384 bytes
/// ("longer than 16384?") and the whole diagram with it. A longer name is cut
/// and made unique again with a hash of the whole, the same at every use.
constexpr size_t MaxQuoted = 4096;
/// A label line longer than this is shortened for display.
constexpr size_t MaxLabelLine = 120;

/// `s` cut to at most `n` bytes at a UTF-8 character boundary.
llvm::StringRef cutUtf8(llvm::StringRef s, size_t n) {
  if (s.size() <= n)
    return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return s.take_front(n);
}

/// A quoted DOT string.
std::string quoted(llvm::StringRef s) {
  std::string shortened;
  if (s.size() > MaxQuoted) {
    uint64_t h = 1469598103934665603ull; // FNV-1a
    for (char c : s)
      h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    shortened = cutUtf8(s, MaxQuoted - 32).str() + "..." + llvm::utohexstr(h);
    s = shortened;
  }
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
    llvm::StringRef line = lines[i];
    std::string shown = line.size() > MaxLabelLine
                            ? (cutUtf8(line, MaxLabelLine - 3) + "...").str()
                            : line.str();
    if (i == 0)
      out += "<b>" + html(shown) + "</b>";
    else
      out += "<br/><font point-size=\"9\">" + html(shown) + "</font>";
  }
  return out + ">";
}

class DotWriter {
public:
  DotWriter(const Graph &g, llvm::raw_ostream &os) : g(g), os(os) {}

  void write() {
    hints = layout::hints(g);
    os << "digraph " << quoted(g.title.empty() ? "infrac" : g.title) << " {\n";
    os << "  graph [rankdir=TB, newrank=true, fontname=" << quoted(Font)
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
    writeLayoutHints();
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
      const char *boxStyle = cl.kind == ClusterKind::Zone ? "rounded,dashed"
                             : layout::isSubnet(cl.kind) ? "filled"
                                                         : "rounded,filled";
      indent(depth);
      os << "subgraph " << quoted("cluster_" + cl.id) << " {\n";
      indent(depth + 1);
      os << "label=" << label(cl.lines) << "; labeljust=l; style=" << quoted(boxStyle)
         << "; fillcolor=" << quoted(s.fill) << "; color=" << quoted(stroke)
         << (cl.mark != Mark::None ? "; penwidth=2.5" : "") << ";\n";
      writeClusterContents(static_cast<int>(c), depth + 1);
      if (llvm::is_contained(hints.empty, c)) {
        indent(depth + 1);
        os << quoted(layout::placeholder(cl))
           << " [label=\"\", shape=none, style=invis, width=1.4, height=0.3];\n";
      }
      indent(depth);
      os << "}\n";
    }
    for (const Node &n : g.nodes)
      if (n.cluster == cluster)
        writeNode(n.id, n.kind, n.lines, n.spot, n.mark, depth);
  }

  /// The invisible edges of Layout.h.
  void writeLayoutHints() {
    for (const auto &[from, to] : hints.links)
      os << "  " << quoted(from) << " -> " << quoted(to) << " [style=invis, weight=0];\n";
  }

  /// One node, an HTML table: a cell in each kind's colours, the flags, and
  /// a line of text per edge kind. Compact, so it never outgrows the diagram.
  void writeLegend() {
    if (!g.legend || g.nodes.empty())
      return;
    struct Entry {
      std::string text;
      const char *fill, *stroke;
      bool dashed;
    };
    std::vector<Entry> entries;
    for (NodeKind k : g.kindsUsed())
      entries.push_back({legendName(k).str(), style::of(k).fill, style::of(k).stroke, false});
    for (ClusterKind k : style::LegendClusterKinds)
      if (g.hasCluster(k))
        entries.push_back({style::of(k).legend, style::of(k).fill, style::of(k).stroke, false});
    if (g.hasSpot())
      entries.push_back({"spot capacity", "#ffffff", style::SpotStroke, true});
    if (g.hasMark(Mark::Error))
      entries.push_back({"has errors", style::ErrorFill, style::ErrorStroke, false});
    if (g.hasMark(Mark::Warning))
      entries.push_back({"has warnings", style::WarningFill, style::WarningStroke, false});

    const size_t columns = std::min<size_t>(LegendColumns, entries.size());
    os << "  \"legend\" [shape=plain, style=\"\", label=<<table border=\"1\" "
          "color=\"#9e9e9e\" style=\"rounded\" cellborder=\"1\" cellspacing=\"4\" "
          "cellpadding=\"3\">\n";
    os << "    <tr><td colspan=\"" << columns
       << "\" border=\"0\" align=\"left\"><b>Legend</b></td></tr>\n";
    for (size_t i = 0; i < entries.size(); i += columns) {
      os << "    <tr>";
      for (size_t j = i; j < i + columns; ++j) {
        if (j >= entries.size()) {
          os << "<td border=\"0\"></td>";
          continue;
        }
        const Entry &e = entries[j];
        os << "<td bgcolor=\"" << e.fill << "\" color=\"" << e.stroke << "\""
           << (e.dashed ? " style=\"dashed\"" : "") << "><font point-size=\"9\">"
           << html(e.text) << "</font></td>";
      }
      os << "</tr>\n";
    }
    for (EdgeKind k : style::AllEdgeKinds)
      if (g.hasEdge(k))
        os << "    <tr><td colspan=\"" << columns
           << "\" border=\"0\" align=\"left\"><font point-size=\"9\" color=\""
           << style::of(k).color << "\">" << style::of(k).glyph << "  "
           << html(style::of(k).legend) << "</font></td></tr>\n";
    os << "  </table>>];\n";
  }

  void writeEdge(llvm::StringRef from, llvm::StringRef to, EdgeKind kind, llvm::StringRef text) {
    style::EdgeStyle s = style::of(kind);
    os << "  " << quoted(from) << " -> " << quoted(to) << " [";
    if (!text.empty())
      os << "label=" << quoted(text) << ", ";
    os << "color=" << quoted(s.color) << ", fontcolor=" << quoted(s.color);
    if (llvm::StringRef(s.dotStyle) != "solid")
      os << ", style=" << s.dotStyle;
    if (kind == EdgeKind::Security)
      os << ", constraint=false";
    os << "];\n";
  }

  const Graph &g;
  llvm::raw_ostream &os;
  layout::Hints hints;
};

} // namespace

void graph::writeDot(const Graph &g, llvm::raw_ostream &os) { DotWriter(g, os).write(); }

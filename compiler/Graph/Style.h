//===- Style.h - Colours and shapes shared by the writers -------*- C++ -*-===//
//
// Private to Graph/: one table, so a kind looks the same in Mermaid and in
// Graphviz. Colours follow the AWS icon families (networking purple,
// compute orange, analytics blue-violet, databases teal).
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_GRAPH_STYLE_H
#define INFRAC_GRAPH_STYLE_H

#include "Graph/Graph.h"

#include <iterator>

namespace infrac::graph::style {

struct KindStyle {
  const char *className; ///< Mermaid classDef name.
  const char *fill;
  const char *stroke;
  const char *dotShape;
  const char *mermaidOpen, *mermaidClose;
};

/// How many kinds NodeKinds.def declares.
inline constexpr unsigned NodeKindCount = 0
#define NODE_KIND(Name, Legend) +1
#include "Graph/NodeKinds.def"
    ;

inline const KindStyle &of(NodeKind kind) {
  static const KindStyle styles[] = {
      {"clients", "#eceff1", "#455a64", "oval", "([", "])"},
      {"igw", "#f3e5f5", "#6a1b9a", "invtrapezium", "[\\", "/]"},
      {"lb", "#e1bee7", "#6a1b9a", "hexagon", "{{", "}}"},
      {"lbnode", "#f3e5f5", "#6a1b9a", "hexagon", "{{", "}}"},
      {"listener", "#ede7f6", "#5e35b1", "box", "([", "])"},
      {"rule", "#f3e5f5", "#8e24aa", "box", "[", "]"},
      {"action", "#fce4ec", "#ad1457", "cds", ">", "]"},
      {"tg", "#bbdefb", "#1565c0", "tab", "[[", "]]"},
      {"asg", "#ffe0b2", "#e65100", "box3d", "[", "]"},
      {"instances", "#fff3e0", "#e65100", "box3d", "(", ")"},
      {"target", "#fff3e0", "#ef6c00", "box", "[", "]"},
      {"emrcluster", "#d1c4e9", "#4527a0", "component", "[/", "\\]"},
      {"emrgroup", "#d1c4e9", "#4527a0", "box3d", "[/", "\\]"},
      {"ensemble", "#c8e6c9", "#2e7d32", "doubleoctagon", "{{", "}}"},
      {"servers", "#e8f5e9", "#2e7d32", "box3d", "(", ")"},
      {"election", "#dcedc8", "#558b2f", "octagon", "[\\", "/]"},
      {"service", "#f0f4c3", "#9e9d24", "octagon", "[\\", "/]"},
      {"store", "#b2ebf2", "#00838f", "cylinder", "[(", ")]"},
      {"storenodes", "#e0f7fa", "#00838f", "cylinder", "[(", ")]"},
      {"cidr", "#f5f5f5", "#757575", "note", "[/", "/]"},
  };
  static_assert(std::size(styles) == NodeKindCount, "one style for each kind in NodeKinds.def");
  return styles[static_cast<unsigned>(kind)];
}

/// Spot capacity: a dashed red outline.
inline constexpr const char *SpotStroke = "#d50000";
/// The diagnostics overlay.
inline constexpr const char *ErrorFill = "#ffcdd2", *ErrorStroke = "#c62828";
inline constexpr const char *WarningFill = "#fff59d", *WarningStroke = "#f9a825";

struct ClusterStyle {
  const char *fill;
  const char *stroke;
  /// The legend's words and the Mermaid class of its sample; null for boxes
  /// whose own label says what they are.
  const char *legend = nullptr;
  const char *className = nullptr;
};

inline ClusterStyle of(ClusterKind kind) {
  switch (kind) {
  case ClusterKind::Vpc:
    return {"#fafafa", "#7b1fa2"};
  case ClusterKind::Zone:
    return {"#ffffff", "#90a4ae"};
  case ClusterKind::PublicSubnet:
    return {"#f1f8e9", "#43a047", "public subnet", "publicsubnet"};
  case ClusterKind::PrivateSubnet:
    return {"#e3f2fd", "#1e88e5", "private subnet", "privatesubnet"};
  case ClusterKind::Emr:
    return {"#ede7f6", "#4527a0"};
  case ClusterKind::Coordination:
    return {"#f1f8e9", "#2e7d32"};
  }
  return {"#ffffff", "#000000"};
}

/// The boxes the legend explains, in its order.
inline constexpr ClusterKind LegendClusterKinds[] = {ClusterKind::PublicSubnet,
                                                     ClusterKind::PrivateSubnet};

struct EdgeStyle {
  const char *color;
  const char *dotStyle;
  const char *legend;
  const char *glyph; ///< The line as text, for the legend.
};

inline EdgeStyle of(EdgeKind kind) {
  switch (kind) {
  case EdgeKind::Traffic:
    return {"#37474f", "solid", "traffic", "——▶"};
  case EdgeKind::Security:
    return {"#d84315", "dashed", "allowed by a security group", "- - ▶"};
  case EdgeKind::Membership:
    return {"#2e7d32", "solid", "manages, runs for leader, registers", "——▶"};
  case EdgeKind::Sessions:
    return {"#00838f", "solid", "keeps web sessions in", "——▶"};
  }
  return {"#000000", "solid", "", ""};
}

inline constexpr EdgeKind AllEdgeKinds[] = {EdgeKind::Traffic, EdgeKind::Security,
                                            EdgeKind::Membership, EdgeKind::Sessions};

} // namespace infrac::graph::style

#endif

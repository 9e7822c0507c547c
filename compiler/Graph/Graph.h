//===- Graph.h - Architecture diagrams of the model -------------*- C++ -*-===//
//
// `infrac graph` in three steps: buildGraph() turns the resolved model into a
// neutral graph (nodes of a kind, nested clusters, edges of a kind, in a
// stable order), focusGraph() keeps a resource and its neighbours, and a
// writer prints the graph as Mermaid or Graphviz DOT; renderDot() turns the
// DOT into SVG or PNG through Graphviz. No step prints on its own.
//
// The detailed drawing places what runs in subnets inside them: the VPC holds
// its zones, a zone its subnets, and a subnet the load balancer nodes, the
// instances of each Auto Scaling group in that zone, EMR clusters, ensemble
// servers and store nodes in it. The resources themselves (their
// configuration, as compact annotations) sit in the VPC beside the zones.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_GRAPH_GRAPH_H
#define INFRAC_GRAPH_GRAPH_H

#include "Basic/Diagnostics.h"
#include "Sema/Model.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace infrac::graph {

/// What a node stands for; each kind has its own shape and colour.
enum class NodeKind : unsigned char {
#define NODE_KIND(Name, Legend) Name,
#include "Graph/NodeKinds.def"
};

/// The legend's words for a kind ("load balancer").
llvm::StringRef legendName(NodeKind kind);

enum class ClusterKind : unsigned char {
  Vpc,
  Zone,
  PublicSubnet,
  PrivateSubnet,
  Emr,
  Coordination
};

/// What an edge means, which fixes its line style.
enum class EdgeKind : unsigned char {
  Traffic,    ///< Requests flow this way (solid).
  Security,   ///< A security group admits this traffic (dashed).
  Membership, ///< Manages, runs for leader, registers with (solid, green).
  Sessions,   ///< Keeps its web sessions in (solid, teal).
};

/// Diagnostics overlaid on a node or cluster (--with-diagnostics).
enum class Mark : unsigned char { None, Warning, Error };

struct Node {
  std::string id; ///< Stable, unique, [A-Za-z0-9_].
  NodeKind kind;
  std::vector<std::string> lines; ///< The label, first line is the title.
  int cluster = -1;               ///< Index into Graph::clusters, or -1.
  bool spot = false;              ///< Spot capacity: visibly marked.
  Mark mark = Mark::None;
  /// Resource paths this node draws ("shop_alb.https"); --focus and the
  /// diagnostics overlay find nodes through them.
  std::vector<std::string> origins;
  /// Ids of the subnet clusters it runs in, for a resource drawn beside the
  /// zones whose parts are drawn inside them (a load balancer, a group, an
  /// ensemble): --focus on a subnet keeps it.
  std::vector<std::string> subnets;
};

struct Cluster {
  std::string id;
  ClusterKind kind;
  std::vector<std::string> lines;
  int parent = -1;
  Mark mark = Mark::None;
  std::vector<std::string> origins;
  std::vector<std::string> subnets; ///< As for Node.
};

struct Edge {
  std::string from, to; ///< Node ids.
  EdgeKind kind;
  std::string label; ///< May be empty.
};

struct Graph {
  std::string title;
  bool legend = true;
  std::vector<Cluster> clusters; ///< Parents before children.
  std::vector<Node> nodes;
  std::vector<Edge> edges;

  /// The kinds that occur, in NodeKind order (what the legend shows).
  std::vector<NodeKind> kindsUsed() const;
  bool hasCluster(ClusterKind kind) const;
  bool hasSpot() const;
  bool hasEdge(EdgeKind kind) const;
  bool hasMark(Mark mark) const;
};

/// Overview: load balancers, target groups, Auto Scaling groups, EMR
/// clusters and ensembles as single nodes, session stores. Detail adds
/// listeners, rules, actions, the internet gateway, subnets in their zones
/// with what runs in each, EMR node groups, elections and registries, and
/// security-group edges.
enum class Level { Overview, Detail };

struct GraphOptions {
  Level level = Level::Detail;
  std::string title;
  /// Diagnostics to overlay: each marks the innermost drawn resource whose
  /// block contains it. Empty: no overlay.
  llvm::ArrayRef<Diagnostic> diagnostics;
  bool legend = true;
};

/// Draws the model. Tolerates erroneous values (they are skipped), so a
/// model with errors can be drawn with its diagnostics overlaid.
Graph buildGraph(const sema::Model &model, const GraphOptions &opts);

/// Keeps the nodes that draw `name` (a resource, or a path inside one) or sit
/// in a cluster that does, the nodes one edge away from them, the resources
/// that run in a subnet it names, the edges among those, and the clusters
/// that hold them. Returns false, leaving the graph alone, when nothing
/// draws `name`.
bool focusGraph(Graph &graph, llvm::StringRef name);

/// Every resource name the graph draws, sorted (for "did you mean").
std::vector<std::string> drawnNames(const Graph &graph);

/// A Mermaid `flowchart`.
void writeMermaid(const Graph &graph, llvm::raw_ostream &os);
/// A Graphviz `digraph`.
void writeDot(const Graph &graph, llvm::raw_ostream &os);

/// Runs Graphviz's `dot` over DOT text: `format` is "svg" or "png"; `dpi`,
/// when not 0, sets the resolution (a PNG at 300 dpi is fit to print; an SVG
/// is sized in points either way). Fails, saying how to install Graphviz,
/// when `dot` is not on PATH; Graphviz's warnings go to `warnings`.
llvm::Expected<std::string> renderDot(llvm::StringRef dot, llvm::StringRef format,
                                      unsigned dpi, std::string &warnings);

} // namespace infrac::graph

#endif

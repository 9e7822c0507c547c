//===- Graph.cpp - Queries on the graph, and --focus ----------------------===//

#include "Graph/Graph.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace infrac;
using namespace infrac::graph;

llvm::StringRef graph::legendName(NodeKind kind) {
  static const char *const names[] = {
#define NODE_KIND(Name, Legend) Legend,
#include "Graph/NodeKinds.def"
  };
  return names[static_cast<unsigned>(kind)];
}

std::vector<NodeKind> Graph::kindsUsed() const {
  std::vector<NodeKind> kinds;
  for (const Node &n : nodes)
    if (!llvm::is_contained(kinds, n.kind))
      kinds.push_back(n.kind);
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

bool Graph::hasSpot() const {
  return llvm::any_of(nodes, [](const Node &n) { return n.spot; });
}

bool Graph::hasEdge(EdgeKind kind) const {
  return llvm::any_of(edges, [&](const Edge &e) { return e.kind == kind; });
}

bool Graph::hasMark(Mark mark) const {
  return llvm::any_of(nodes, [&](const Node &n) { return n.mark == mark; }) ||
         llvm::any_of(clusters, [&](const Cluster &c) { return c.mark == mark; });
}

namespace {

/// `origin` draws `name`: the resource itself or something inside it.
bool draws(llvm::StringRef origin, llvm::StringRef name) {
  return origin == name || (origin.startswith(name) && origin[name.size()] == '.');
}

bool drawsAny(const std::vector<std::string> &origins, llvm::StringRef name) {
  return llvm::any_of(origins, [&](const std::string &o) { return draws(o, name); });
}

/// Cluster `c` is `ancestor` or nested in it.
bool within(const Graph &g, int c, int ancestor) {
  for (; c >= 0; c = g.clusters[c].parent)
    if (c == ancestor)
      return true;
  return false;
}

} // namespace

bool graph::focusGraph(Graph &g, llvm::StringRef name) {
  std::vector<bool> focused(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    focused[i] = drawsAny(g.nodes[i].origins, name);
    for (size_t c = 0; c < g.clusters.size() && !focused[i]; ++c)
      focused[i] = drawsAny(g.clusters[c].origins, name) &&
                   within(g, g.nodes[i].cluster, static_cast<int>(c));
  }
  if (llvm::none_of(focused, [](bool b) { return b; }))
    return false;

  // The focus, and what one edge leads to or comes from.
  auto isFocused = [&](const std::string &id) {
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].id == id)
        return bool(focused[i]);
    return false;
  };
  std::vector<std::string> keep;
  for (const Edge &e : g.edges) {
    if (isFocused(e.from))
      keep.push_back(e.to);
    if (isFocused(e.to))
      keep.push_back(e.from);
  }
  std::vector<Node> nodes;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (focused[i] || llvm::is_contained(keep, g.nodes[i].id))
      nodes.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(nodes);

  auto kept = [&](const std::string &id) {
    return llvm::any_of(g.nodes, [&](const Node &n) { return n.id == id; });
  };
  llvm::erase_if(g.edges, [&](const Edge &e) { return !kept(e.from) || !kept(e.to); });

  // Clusters that still hold a node; indices are remapped, order kept.
  std::vector<bool> used(g.clusters.size());
  for (const Node &n : g.nodes)
    for (int c = n.cluster; c >= 0; c = g.clusters[c].parent)
      used[c] = true;
  std::vector<int> remap(g.clusters.size(), -1);
  std::vector<Cluster> clusters;
  for (size_t c = 0; c < g.clusters.size(); ++c)
    if (used[c]) {
      remap[c] = static_cast<int>(clusters.size());
      clusters.push_back(std::move(g.clusters[c]));
    }
  for (Cluster &c : clusters)
    c.parent = c.parent >= 0 ? remap[c.parent] : -1;
  for (Node &n : g.nodes)
    n.cluster = n.cluster >= 0 ? remap[n.cluster] : -1;
  g.clusters = std::move(clusters);
  return true;
}

std::vector<std::string> graph::drawnNames(const Graph &g) {
  std::vector<std::string> names;
  auto add = [&](const std::vector<std::string> &origins) {
    for (const std::string &o : origins)
      if (!llvm::is_contained(names, o))
        names.push_back(o);
  };
  for (const Node &n : g.nodes)
    add(n.origins);
  for (const Cluster &c : g.clusters)
    add(c.origins);
  std::sort(names.begin(), names.end());
  return names;
}

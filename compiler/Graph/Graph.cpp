//===- Graph.cpp - Queries on the graph, and --focus ----------------------===//

#include "Graph/Graph.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <map>
#include <set>

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

bool Graph::hasCluster(ClusterKind kind) const {
  return llvm::any_of(clusters, [&](const Cluster &c) { return c.kind == kind; });
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

/// The subnets a node runs in, directly or through its clusters.
std::vector<std::string> subnetsOf(const Graph &g, const Node &n) {
  std::vector<std::string> out = n.subnets;
  for (int c = n.cluster; c >= 0; c = g.clusters[c].parent)
    out.insert(out.end(), g.clusters[c].subnets.begin(), g.clusters[c].subnets.end());
  return out;
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
  size_t n = g.nodes.size();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < n; ++i)
    index.emplace(g.nodes[i].id, i);

  // The focus: nodes that draw `name`, or sit in a cluster that does.
  std::vector<bool> focused(n);
  for (size_t i = 0; i < n; ++i) {
    focused[i] = drawsAny(g.nodes[i].origins, name);
    for (size_t c = 0; c < g.clusters.size() && !focused[i]; ++c)
      focused[i] = drawsAny(g.clusters[c].origins, name) &&
                   within(g, g.nodes[i].cluster, static_cast<int>(c));
  }
  if (llvm::none_of(focused, [](bool b) { return b; }))
    return false;

  // And what one edge leads to or comes from.
  std::vector<bool> keep = focused;
  auto mark = [&](const std::string &id) {
    auto it = index.find(id);
    if (it != index.end())
      keep[it->second] = true;
  };
  auto isFocused = [&](const std::string &id) {
    auto it = index.find(id);
    return it != index.end() && focused[it->second];
  };
  for (const Edge &e : g.edges) {
    if (isFocused(e.from))
      mark(e.to);
    if (isFocused(e.to))
      mark(e.from);
  }
  // And what runs in a focused subnet, drawn beside the zones.
  std::set<std::string> focusedClusters;
  for (const Cluster &c : g.clusters)
    if (drawsAny(c.origins, name))
      focusedClusters.insert(c.id);
  for (size_t i = 0; i < n; ++i)
    for (const std::string &subnet : subnetsOf(g, g.nodes[i]))
      if (focusedClusters.count(subnet))
        keep[i] = true;

  std::vector<Node> nodes;
  for (size_t i = 0; i < n; ++i)
    if (keep[i])
      nodes.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(nodes);
  std::set<std::string> kept;
  for (const Node &node : g.nodes)
    kept.insert(node.id);
  llvm::erase_if(g.edges, [&](const Edge &e) { return !kept.count(e.from) || !kept.count(e.to); });

  // Clusters that still hold a node; indices are remapped, order kept.
  std::vector<bool> used(g.clusters.size());
  for (const Node &node : g.nodes)
    for (int c = node.cluster; c >= 0; c = g.clusters[c].parent)
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
  for (Node &node : g.nodes)
    node.cluster = node.cluster >= 0 ? remap[node.cluster] : -1;
  g.clusters = std::move(clusters);
  // Subnets that are no longer drawn are no longer named.
  std::set<std::string> drawnClusters;
  for (const Cluster &c : g.clusters)
    drawnClusters.insert(c.id);
  auto gone = [&](const std::string &id) { return !drawnClusters.count(id); };
  for (Node &node : g.nodes)
    llvm::erase_if(node.subnets, gone);
  for (Cluster &c : g.clusters)
    llvm::erase_if(c.subnets, gone);
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

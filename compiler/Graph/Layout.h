//===- Layout.h - Layout hints shared by the writers ------------*- C++ -*-===//
//
// Private to Graph/. A zone holds its public subnets above its private ones
// (traffic comes in at the top), and what no drawn edge ranks (an EMR
// cluster's primary group, an address range) would otherwise float to the
// top rank, dragging its subnet's box up with it. Both writers add the same
// invisible links from a zone's head (the first node of its first public
// subnet) to every node in its private subnets and to every node in its
// public ones that nothing ranks. A subnet with nothing in it gets an
// invisible placeholder node, or neither renderer would draw its box. Which zone
// stands left of which is the layout engine's choice: Graphviz lets the
// security edges (which do not rank) sway it, and keeps no flat edge between
// clusters; each zone's box is labelled.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_GRAPH_LAYOUT_H
#define INFRAC_GRAPH_LAYOUT_H

#include "Graph/Graph.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace infrac::graph::layout {

struct Hints {
  /// Indices of the clusters that hold nothing: each gets a placeholder.
  std::vector<size_t> empty;
  /// Invisible links, in a stable order.
  std::vector<std::pair<std::string, std::string>> links;
};

inline bool isSubnet(ClusterKind k) {
  return k == ClusterKind::PublicSubnet || k == ClusterKind::PrivateSubnet;
}

/// The id of the invisible node that keeps an empty cluster's box drawn.
inline std::string placeholder(const Cluster &c) { return c.id + "_empty"; }

inline Hints hints(const Graph &g) {
  Hints h;
  size_t n = g.clusters.size();
  // Each cluster's first node, directly or in a nested cluster (clusters
  // come parents first, so a child's index is above its parent's).
  std::vector<std::string> first(n);
  std::vector<bool> hasChild(n);
  for (const Node &node : g.nodes)
    for (int c = node.cluster; c >= 0; c = g.clusters[c].parent)
      if (first[c].empty())
        first[c] = node.id;
  for (size_t c = 0; c < n; ++c)
    if (g.clusters[c].parent >= 0)
      hasChild[g.clusters[c].parent] = true;
  for (size_t c = 0; c < n; ++c)
    if (first[c].empty() && !hasChild[c]) {
      h.empty.push_back(c);
      first[c] = placeholder(g.clusters[c]);
      for (int p = g.clusters[c].parent; p >= 0; p = g.clusters[p].parent)
        if (first[p].empty())
          first[p] = first[c];
    }

  // The zone a cluster lies in, through its subnet.
  auto zoneOf = [&](int c) {
    for (; c >= 0; c = g.clusters[c].parent)
      if (g.clusters[c].kind == ClusterKind::Zone)
        return c;
    return -1;
  };
  auto link = [&](const std::string &from, const std::string &to) {
    std::pair<std::string, std::string> l(from, to);
    if (from != to && std::find(h.links.begin(), h.links.end(), l) == h.links.end())
      h.links.push_back(std::move(l));
  };
  // Each zone's head: the first node of its first public subnet.
  std::vector<std::string> head(n);
  for (size_t c = 0; c < n; ++c)
    if (g.clusters[c].kind == ClusterKind::PublicSubnet && g.clusters[c].parent >= 0 &&
        head[g.clusters[c].parent].empty())
      head[g.clusters[c].parent] = first[c];
  // The subnet a cluster lies in (or is).
  auto subnetOf = [&](int c) {
    for (; c >= 0; c = g.clusters[c].parent)
      if (isSubnet(g.clusters[c].kind))
        return c;
    return -1;
  };
  std::set<std::string> ranked; // Security edges do not rank (see DotWriter).
  for (const Edge &e : g.edges)
    if (e.kind != EdgeKind::Security)
      ranked.insert(e.to);
  for (const Node &node : g.nodes) {
    int zone = zoneOf(node.cluster), subnet = subnetOf(node.cluster);
    if (zone < 0 || subnet < 0 || head[zone].empty())
      continue;
    if (g.clusters[subnet].kind == ClusterKind::PrivateSubnet || !ranked.count(node.id))
      link(head[zone], node.id);
  }
  for (size_t c : h.empty) {
    int zone = zoneOf(static_cast<int>(c));
    if (g.clusters[c].kind == ClusterKind::PrivateSubnet && zone >= 0 && !head[zone].empty())
      link(head[zone], first[c]);
  }
  return h;
}

} // namespace infrac::graph::layout

#endif

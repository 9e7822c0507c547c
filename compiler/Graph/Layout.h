//===- Layout.h - Layout hints shared by the writers ------------*- C++ -*-===//
//
// Private to Graph/. Subnets are drawn in their zones but no drawn edge
// reaches them, so a layout engine puts them anywhere in the top rank, in
// any order, and the VPC around them, pushing the clients aside. Both
// writers add the same invisible links: from the clients to every subnet
// (the zones sit in a row beside the load balancers), and from a subnet to
// what runs in it when no drawn edge ranks that node already.
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
  /// Subnet node ids, zone by zone in the order the zones were first used.
  std::vector<std::string> subnets;
  /// Clients node ids: each gets an invisible link to every subnet.
  std::vector<std::string> tops;
  /// (subnet, node): the node runs in the subnet and nothing drawn ranks it.
  std::vector<std::pair<std::string, std::string>> placements;
};

inline Hints hints(const Graph &g) {
  Hints h;
  std::vector<const Node *> subnets;
  for (const Node &n : g.nodes)
    if (n.kind == NodeKind::PublicSubnet || n.kind == NodeKind::PrivateSubnet)
      subnets.push_back(&n);
  if (subnets.empty())
    return h;
  std::stable_sort(subnets.begin(), subnets.end(),
                   [](const Node *a, const Node *b) { return a->cluster < b->cluster; });
  for (const Node *s : subnets)
    h.subnets.push_back(s->id);
  for (const Node &n : g.nodes)
    if (n.kind == NodeKind::Clients)
      h.tops.push_back(n.id);

  std::set<std::string> drawn(h.subnets.begin(), h.subnets.end());
  std::set<std::string> ranked; // Security edges do not rank (see DotWriter).
  for (const Edge &e : g.edges)
    if (e.kind != EdgeKind::Security)
      ranked.insert(e.to);
  auto place = [&](const std::vector<std::string> &in, const Node &n) {
    if (!ranked.count(n.id))
      for (const std::string &s : in)
        if (drawn.count(s))
          h.placements.emplace_back(s, n.id);
  };
  for (const Node &n : g.nodes)
    place(n.subnets, n);
  for (size_t c = 0; c < g.clusters.size(); ++c)
    for (const Node &n : g.nodes)
      if (n.cluster == static_cast<int>(c)) { // A cluster's first node stands for it.
        place(g.clusters[c].subnets, n);
        break;
      }
  return h;
}

} // namespace infrac::graph::layout

#endif

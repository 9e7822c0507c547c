//===- EmrCluster.cpp - EMR nodes with their roles ------------------------===//
//
// AWS: emr-master-core-task-nodes.html, emr-plan-ha*.html (§5.7 of
// aws-behaviour.md): primary nodes run the managers (1, or 3 of which 2 must
// stay), core nodes hold HDFS, task nodes only compute; a spot node gets a
// two-minute interruption notice.
//
//===----------------------------------------------------------------------===//

#include "Controllers/Controllers.h"

namespace infrac::runtime {

const char *roleName(NodeRole r) {
  switch (r) {
  case NodeRole::Primary: return "primary";
  case NodeRole::Core: return "core";
  case NodeRole::Task: return "task";
  }
  return "?";
}

EmrCluster::EmrCluster(EmrConfig c) : cfg(std::move(c)) {
  unsigned core = 0;
  for (size_t g = 0; g < cfg.groups.size(); ++g) {
    if (cfg.groups[g].role == NodeRole::Core)
      core += cfg.groups[g].count;
    for (unsigned i = 0; i < cfg.groups[g].count; ++i) {
      EmrNode n;
      n.group = uint32_t(g);
      n.index = i;
      all.push_back(n);
    }
  }
  repl = cfg.replication ? cfg.replication : core < 4 ? 1 : core < 10 ? 2 : 3;
}

std::vector<size_t> EmrCluster::nodesOf(size_t group) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].group == group)
      out.push_back(i);
  return out;
}

unsigned EmrCluster::running(size_t group) const {
  unsigned n = 0;
  for (const EmrNode &x : all)
    n += x.group == group && x.running;
  return n;
}

std::string EmrCluster::nodeName(size_t node) const {
  const EmrNode &n = all[node];
  return cfg.groups[n.group].name + "[" + std::to_string(n.index) + "]";
}

void EmrCluster::start(Instant now, std::vector<EmrEvent> &out) {
  EmrEvent e;
  e.kind = EmrEvent::Up;
  out.push_back(std::move(e));
}

void EmrCluster::onSpotNotice(Instant now, size_t node, std::vector<EmrEvent> &out) {
  EmrNode &n = all[node];
  if (!n.running || n.noticed)
    return;
  n.noticed = true;
  // YARN stops scheduling on a task node at once; a core node's HDFS
  // decommissioning may not finish within the notice.
  n.decommissioned = cfg.groups[n.group].role == NodeRole::Task;
  EmrEvent e;
  e.kind = EmrEvent::SpotNotice;
  e.node = node;
  out.push_back(std::move(e));
}

void EmrCluster::onNodeLost(Instant now, size_t node, llvm::StringRef cause,
                            std::vector<EmrEvent> &out) {
  EmrNode &n = all[node];
  if (!n.running)
    return;
  n.running = false;
  const EmrGroupConfig &g = cfg.groups[n.group];
  EmrEvent e;
  e.kind = EmrEvent::NodeLost;
  e.node = node;
  e.cause = cause.str();
  e.left = running(n.group);
  if (g.role == NodeRole::Core)
    e.coreLost = ++coreLost;
  if (g.role == NodeRole::Primary) {
    e.primariesNeeded = g.count >= 3 ? 2 : 1;
    e.failed = e.left < e.primariesNeeded && !down;
    down = down || e.failed;
  }
  out.push_back(std::move(e));
}

} // namespace infrac::runtime

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

void EmrCluster::start(Instant now, std::vector<std::string> &out) {
  std::string s = "cluster up:";
  for (size_t g = 0; g < cfg.groups.size(); ++g)
    s += std::string(g ? "," : "") + " " + std::to_string(cfg.groups[g].count) + " " +
         roleName(cfg.groups[g].role) +
         (cfg.groups[g].role == NodeRole::Task ? " '" + cfg.groups[g].name + "'" : "") +
         (cfg.groups[g].spot ? " (spot)" : "");
  out.push_back(s + "; HDFS replication " + std::to_string(repl));
}

void EmrCluster::onSpotNotice(Instant now, size_t node, std::vector<std::string> &out) {
  EmrNode &n = all[node];
  if (!n.running || n.noticed)
    return;
  n.noticed = true;
  const EmrGroupConfig &g = cfg.groups[n.group];
  std::string who = g.name + "[" + std::to_string(n.index) + "]";
  switch (g.role) {
  case NodeRole::Task:
    n.decommissioned = true;
    out.push_back(who + ": spot interruption notice; YARN stops scheduling on it");
    break;
  case NodeRole::Core:
    out.push_back(who + ": spot interruption notice; HDFS decommissioning may not finish in "
                        "two minutes");
    break;
  case NodeRole::Primary:
    out.push_back(who + ": spot interruption notice on a primary node");
    break;
  }
}

void EmrCluster::onNodeLost(Instant now, size_t node, llvm::StringRef cause,
                            std::vector<std::string> &out) {
  EmrNode &n = all[node];
  if (!n.running)
    return;
  n.running = false;
  const EmrGroupConfig &g = cfg.groups[n.group];
  std::string who = g.name + "[" + std::to_string(n.index) + "] " + cause.str();
  unsigned left = running(n.group);
  switch (g.role) {
  case NodeRole::Task:
    out.push_back(who + ": its YARN containers are rescheduled, no HDFS data on it (" +
                  std::to_string(left) + " of " + std::to_string(g.count) + " '" + g.name +
                  "' left)");
    break;
  case NodeRole::Core: {
    ++coreLost;
    std::string s = who + ": HDFS blocks on it are under-replicated (replication " +
                    std::to_string(repl) + ", " + std::to_string(left) + " core nodes left)";
    if (coreLost >= repl)
      s += "; with " + std::to_string(coreLost) + " core nodes lost, blocks may be lost";
    out.push_back(s);
    break;
  }
  case NodeRole::Primary: {
    unsigned need = g.count >= 3 ? 2 : 1;
    if (left < need && !down) {
      down = true;
      out.push_back(who + ": the cluster fails (" + std::to_string(left) + " of " +
                    std::to_string(g.count) + " primary nodes left, " + std::to_string(need) +
                    " needed)");
    } else {
      out.push_back(who + ": " + std::to_string(left) + " of " + std::to_string(g.count) +
                    " primary nodes left, the cluster carries on");
    }
    break;
  }
  }
}

} // namespace infrac::runtime

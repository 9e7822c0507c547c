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

const char *stateName(EmrState s) {
  switch (s) {
  case EmrState::Starting: return "starting";
  case EmrState::Bootstrapping: return "bootstrapping";
  case EmrState::Running: return "running";
  case EmrState::Waiting: return "waiting";
  case EmrState::Terminating: return "terminating";
  case EmrState::Terminated: return "terminated";
  case EmrState::TerminatedWithErrors: return "terminated_with_errors";
  }
  return "?";
}

std::optional<EmrState> stateNamed(llvm::StringRef name) {
  for (unsigned s = 0; s <= unsigned(EmrState::TerminatedWithErrors); ++s)
    if (name == stateName(EmrState(s)))
      return EmrState(s);
  return std::nullopt;
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
  for (size_t i = 0; i < all.size(); ++i)
    if (cfg.groups[all[i].group].role == NodeRole::Primary) {
      active = int(i);
      break;
    }
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
  if (g.role != NodeRole::Primary || (!down && int(node) != active))
    return;
  if (down) {
    // emr-plan-ha.html: a cluster whose primary fails terminates; every
    // node stops with it.
    EmrEvent t;
    t.kind = EmrEvent::Terminated;
    for (EmrNode &x : all)
      if (x.running) {
        x.running = false;
        ++t.left;
      }
    out.push_back(std::move(t));
    return;
  }
  // A standby primary becomes the active one.
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].running && all[i].group == n.group) {
      active = int(i);
      EmrEvent t;
      t.kind = EmrEvent::TakesOver;
      t.node = i;
      out.push_back(std::move(t));
      return;
    }
}

} // namespace infrac::runtime

//===- FabricSessions.cpp - Session stores, lost sessions, load skew ------===//
//
// What the Fabric knows of web sessions: an external store's nodes (killing
// the primary promotes a replica while one is left; the last one takes the
// sessions it held with it), the sessions lost and the replication traffic
// per Auto Scaling group, and how evenly a group's instances are loaded
// (stickiness keeps clients where they were, so an instance added later
// gets only new ones). The shells count; the decisions of which request
// lost its session are Sessions.h's.
//
//===----------------------------------------------------------------------===//

#include "Fabric/Fabric.h"

#include <algorithm>
#include <cstdio>

namespace infrac::runtime {

void Fabric::sessionLost(uint32_t lbi, uint32_t store, uint32_t asg) {
  if (lbi != NoIndex)
    ++lbs[lbi].sessionsLost;
  if (store != NoIndex)
    ++storeRts[store].sessionsLost;
  if (asg != NoIndex)
    ++asgSessions[asg].sessionsLost;
}

void Fabric::actOnStore(const ActionPlan &a, uint32_t store) {
  const StorePlan &sp = p.stores[store];
  StoreRt &s = storeRts[store];
  if (sp.replicated) {
    trace.note("scenario", "'" + sp.name + "' is kept by its members' copies: " +
                               actionName(a.kind) + " them instead");
    return;
  }
  if (a.kind != ActionKind::Kill) {
    trace.note("scenario", "'" + sp.name + "': only 'kill' acts on a session store");
    return;
  }
  if (!s.up) {
    trace.note("elasticache", sp.name + " is down already");
    return;
  }
  host.storeKilled(store);
  if (s.nodesUp > 1) {
    --s.nodesUp;
    trace.note("elasticache", sp.name + ": the primary was killed; a replica is promoted (" +
                                  std::to_string(s.nodesUp) + " node" +
                                  (s.nodesUp == 1 ? "" : "s") + " left), no session is lost");
    return;
  }
  s.nodesUp = 0;
  s.up = false;
  s.emptiedAt = sched.now();
  trace.note("elasticache", sp.name + " is down, with no replica: the sessions it held are lost");
}

void Fabric::sampleLoad() {
  servedSeen.resize(insts.size(), 0);
  for (uint32_t a = 0; a < groups.size(); ++a) {
    uint64_t most = 0, total = 0, n = 0;
    for (const AsgInstance &i : groups[a].scaler->instances()) {
      uint32_t slot = slotOf(i.id);
      if (slot == NoIndex)
        continue;
      uint64_t served = 0;
      for (uint32_t g : groups[a].plan->targetGroups) {
        int t = tgs[g].state.find(i.id);
        if (t >= 0)
          served += tgs[g].state.targets[t].served;
      }
      uint64_t delta = served - std::min(served, servedSeen[slot]);
      servedSeen[slot] = served;
      if (i.lifecycle != Lifecycle::InService)
        continue;
      most = std::max(most, delta);
      total += delta;
      ++n;
    }
    if (total) // A period without requests says nothing.
      asgSessions[a].loadSkew = double(most) * double(n) / double(total);
  }
}

std::optional<double> Fabric::sessionMetric(const Operand &o, std::string &shown) const {
  auto give = [&](double v, std::string text) {
    shown = o.shown + " was " + text;
    return std::optional<double>(v);
  };
  const ObjectRef &obj = o.object;
  switch (o.metric) {
  case MetricId::SessionsLost: {
    uint64_t n = obj.kind == ObjectRef::LoadBalancer ? lbs[obj.index].sessionsLost
                 : obj.kind == ObjectRef::Store      ? storeRts[obj.index].sessionsLost
                 : obj.kind == ObjectRef::Asg        ? asgSessions[obj.index].sessionsLost
                                                     : 0;
    return give(double(n), std::to_string(n));
  }
  case MetricId::ReplicationBytes:
    if (obj.kind == ObjectRef::Asg) {
      const AsgSessions &s = asgSessions[obj.index];
      return give(double(s.replicationBytes), std::to_string(s.replicationBytes) + " (" +
                                                  std::to_string(s.replicationMessages) +
                                                  " messages)");
    }
    break;
  case MetricId::LoadSkew:
    if (obj.kind == ObjectRef::Asg) {
      char buf[32];
      double v = loadSkew(obj.index);
      snprintf(buf, sizeof buf, "%.2f", v);
      return give(v, buf);
    }
    break;
  case MetricId::StoreUp:
    if (obj.kind == ObjectRef::Store) {
      bool up = storeRts[obj.index].up;
      return give(up ? 1 : 0, up ? "true" : "false");
    }
    break;
  default:
    break;
  }
  return std::nullopt;
}

} // namespace infrac::runtime

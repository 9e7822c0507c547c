//===- FabricClusters.cpp - EMR clusters and coordination ensembles -------===//
//
// An EmrCluster per emr_cluster and a Coordination per coordination block,
// the elections' and services' members bound to what runs them (Auto Scaling
// instances or EMR nodes), and scenario actions, instance events and
// wake-ups turned into controller calls.
//
//===----------------------------------------------------------------------===//

#include "Fabric/Clusters.h"

using llvm::StringRef;

namespace infrac::runtime {

/// The last component of a znode's path.
static StringRef baseName(StringRef path) { return path.substr(path.rfind('/') + 1); }

/// The timeline's line for what an EMR cluster reported.
static std::string describe(const EmrCluster &c, const EmrEvent &e) {
  const EmrConfig &cfg = c.config();
  if (e.kind == EmrEvent::Up) {
    std::string s = "cluster up:";
    for (size_t g = 0; g < cfg.groups.size(); ++g)
      s += std::string(g ? "," : "") + " " + std::to_string(cfg.groups[g].count) + " " +
           roleName(cfg.groups[g].role) +
           (cfg.groups[g].role == NodeRole::Task ? " '" + cfg.groups[g].name + "'" : "") +
           (cfg.groups[g].spot ? " (spot)" : "");
    return s + "; HDFS replication " + std::to_string(c.replication());
  }
  if (e.kind == EmrEvent::Terminated)
    return "the cluster terminated with errors: its " + std::to_string(e.left) +
           " other nodes stop with it";
  const EmrGroupConfig &g = cfg.groups[c.nodes()[e.node].group];
  std::string who = c.nodeName(e.node);
  if (e.kind == EmrEvent::TakesOver)
    return who + " is the active primary now (YARN and HDFS fail over to it)";
  if (e.kind == EmrEvent::SpotNotice) {
    switch (g.role) {
    case NodeRole::Task:
      return who + ": spot interruption notice; YARN stops scheduling on it";
    case NodeRole::Core:
      return who + ": spot interruption notice; HDFS decommissioning may not finish in two "
                   "minutes";
    case NodeRole::Primary:
      return who + ": spot interruption notice on a primary node";
    }
  }
  who += " " + e.cause;
  std::string left = std::to_string(e.left);
  switch (g.role) {
  case NodeRole::Task:
    return who + ": its YARN containers are rescheduled, no HDFS data on it (" + left + " of " +
           std::to_string(g.count) + " '" + g.name + "' left)";
  case NodeRole::Core: {
    std::string s = who + ": HDFS blocks on it are under-replicated (replication " +
                    std::to_string(c.replication()) + ", " + left + " core nodes left)";
    if (e.coreLost >= c.replication())
      s += "; with " + std::to_string(e.coreLost) + " core nodes lost, blocks may be lost";
    return s;
  }
  case NodeRole::Primary:
    if (e.failed)
      return who + ": the cluster fails (" + left + " of " + std::to_string(g.count) +
             " primary nodes left, " + std::to_string(e.primariesNeeded) + " needed)";
    return who + ": " + left + " of " + std::to_string(g.count) +
           " primary nodes left, the cluster carries on";
  }
  return who;
}

/// The timeline's line for what an ensemble or a member's recipe reported.
static std::string describe(const Coordination &c, const CoordEvent &e) {
  const CoordinationConfig &cfg = c.config();
  const std::string &who = e.kind >= CoordEvent::Created && e.kind != CoordEvent::WatchesFired
                               ? c.memberName(e.member)
                               : cfg.name;
  std::string election =
      e.election < cfg.elections.size() ? "'" + cfg.elections[e.election].name + "'" : "";
  std::string server = "server " + std::to_string(e.server);
  std::string servers = std::to_string(e.n) + " of " + std::to_string(cfg.servers) + " up";
  StringRef cause = e.cause == CoordEvent::ServerGone ? "its server went away"
                    : e.cause == CoordEvent::NoLeader ? "the ensemble has no leader"
                                                      : "it was paused";
  switch (e.kind) {
  case CoordEvent::EnsembleUp:
    return "ensemble of " + std::to_string(e.n) + " servers up, quorum " +
           std::to_string(cfg.servers / 2 + 1) + ", " + server +
           " leads; sessions time out after " + fmtTime(c.negotiatedTimeout());
  case CoordEvent::ServerDown:
    return server + " down (" + servers + (e.led ? ", it led" : "") + ")";
  case CoordEvent::ServerUp:
    return server + " up again";
  case CoordEvent::NoQuorum:
    return "no quorum (" + servers + ", " + std::to_string(cfg.servers / 2 + 1) +
           " needed): no leader, nothing is served";
  case CoordEvent::ServerLeads:
    return server + " leads the ensemble; session timers restart";
  case CoordEvent::Created:
    return who + " runs in " + election + ": created " + e.path + " (ephemeral, sequential)";
  case CoordEvent::Registered:
    return who + " registered as " + e.path;
  case CoordEvent::Leads:
    return who + " leads " + election + ": its znode " + baseName(e.path).str() +
           " is the lowest";
  case CoordEvent::Follows:
    return who + " follows in " + election + " as " + baseName(e.path).str() + ", watching " +
           (e.other.empty() ? std::string("all the candidates") : baseName(e.other).str());
  case CoordEvent::Suspended:
    return who + " is SUSPENDED (" + cause.str() + "): it gives up leading " + election;
  case CoordEvent::Disconnected:
    return who + " is disconnected (" + cause.str() + "): it reconnects";
  case CoordEvent::StoppedLeading:
    return who + " stops: " + election + " has no leader until its znode " +
           baseName(e.path).str() + " goes";
  case CoordEvent::SessionClosed:
  case CoordEvent::SessionExpired: {
    std::string s = "session of " + who +
                    (e.kind == CoordEvent::SessionClosed
                         ? std::string(" closed")
                         : " expired (" + fmtTime(c.negotiatedTimeout()) + " without a heartbeat)");
    if (!e.paths.empty())
      s += ": deleted";
    for (const std::string &p : e.paths)
      s += " " + p;
    return s;
  }
  case CoordEvent::WatchesFired:
    return "deleting " + e.path + " fired " + std::to_string(e.n) +
           (e.n == 1 ? " watch" : " watches");
  case CoordEvent::SessionLost:
    return who + "'s session expired while it was away (LOST): it starts over";
  }
  return who;
}

/// TmCluster timers: a spot node of an EMR cluster stopping (id = SpotStop |
/// cluster, arg = node). An ensemble's own timers are TmCoord (id = ensemble).
constexpr uint32_t SpotStop = 0x80000000u;

struct Clusters::Impl {
  Fabric &f;

  struct Emr {
    const EmrPlan *plan = nullptr;
    std::unique_ptr<EmrCluster> c;
  };
  std::vector<Emr> emrs;

  /// Who a coordination member is.
  struct Binding {
    enum Kind : uint8_t { Instance, Node, Abstract } kind = Abstract;
    uint32_t id = 0; ///< Instance: its id. Abstract: its number in the count.
    /// Abstract: the election (or ServiceBit | the service) whose count of
    /// members it is one of.
    uint32_t source = 0;
    size_t emr = 0;  ///< Node: cluster and node.
    size_t node = 0;
  };
  struct Ensemble {
    const EnsemblePlan *plan = nullptr;
    std::unique_ptr<Coordination> c;
    std::vector<Binding> members; ///< Per Coordination member.
  };
  std::vector<Ensemble> ens;

  explicit Impl(Fabric &f) : f(f) {
    for (const EmrPlan &e : f.plan().emrs)
      emrs.push_back({&e, std::make_unique<EmrCluster>(e.config)});
    for (const EnsemblePlan &e : f.plan().ensembles) {
      Ensemble en;
      en.plan = &e;
      en.c = std::make_unique<Coordination>(
          e.config, f.sched, Timer{Fabric::TmCoord, uint32_t(ens.size()), 0});
      ens.push_back(std::move(en));
    }
  }

  const std::string &name(size_t e) const { return ens[e].plan->config.name; }
  void note(size_t c, std::vector<EmrEvent> &out) {
    for (const EmrEvent &x : out)
      f.trace.note(emrs[c].plan->config.name, describe(*emrs[c].c, x));
    out.clear();
  }
  void done(size_t e, std::vector<CoordEvent> &out) {
    for (const CoordEvent &x : out)
      f.trace.note(name(e), describe(*ens[e].c, x));
    out.clear();
  }

  static constexpr uint32_t ServiceBit = 0x8000;

  /// Whether the members of election `k` (or service `k`, with `service`),
  /// declared as `m`, are what `b` runs on: the instances of an Auto Scaling
  /// group, an EMR node, or one of the election's own count of members.
  bool matches(const MemberSource &m, bool service, uint32_t k, const Binding &b) const {
    if (b.kind == Binding::Instance) {
      const InstanceRt *in = f.instance(b.id);
      return in && m.kind == MemberSource::Asg && m.index == in->asg;
    }
    if (b.kind == Binding::Abstract)
      return m.kind == MemberSource::Count && b.source == (service ? ServiceBit | k : k);
    const EmrNode &n = emrs[b.emr].c->nodes()[b.node];
    bool primary = emrs[b.emr].plan->config.groups[n.group].role == NodeRole::Primary;
    return (m.kind == MemberSource::EmrGroup && m.index == b.emr && m.group == n.group) ||
           (primary && m.kind == MemberSource::EmrPrimaries && m.index == b.emr);
  }

  bool takesPart(size_t e, const Binding &b) const {
    const EnsemblePlan &p = *ens[e].plan;
    for (uint32_t k = 0; k < p.electionMembers.size(); ++k)
      if (matches(p.electionMembers[k], false, k, b))
        return true;
    for (uint32_t k = 0; k < p.serviceMembers.size(); ++k)
      if (matches(p.serviceMembers[k], true, k, b))
        return true;
    return false;
  }

  /// The member of ensemble `e` bound to `b`, declared (not started) if new.
  uint32_t memberFor(size_t e, const Binding &b, const std::string &memberName) {
    Ensemble &en = ens[e];
    for (uint32_t m = 0; m < en.members.size(); ++m) {
      const Binding &x = en.members[m];
      if (x.kind == b.kind && x.id == b.id && x.source == b.source && x.emr == b.emr &&
          x.node == b.node)
        return m;
    }
    std::vector<uint32_t> els, svcs;
    for (uint32_t k = 0; k < en.plan->electionMembers.size(); ++k)
      if (matches(en.plan->electionMembers[k], false, k, b))
        els.push_back(k);
    for (uint32_t k = 0; k < en.plan->serviceMembers.size(); ++k)
      if (matches(en.plan->serviceMembers[k], true, k, b))
        svcs.push_back(k);
    en.members.push_back(b);
    return en.c->addMember(memberName, els, svcs);
  }

  void nodeLost(size_t c, size_t node, bool graceful, StringRef cause);
  bool actOnEnsemble(ActionKind action, const TargetRef &ref);
  bool actOnEmr(ActionKind action, const TargetRef &ref);
  void memberDown(size_t e, uint32_t m, bool graceful, StringRef why);
};

Clusters::Clusters(Fabric &f) : impl(new Impl(f)) {}
Clusters::~Clusters() = default;

void Clusters::start() {
  Impl &I = *impl;
  Instant now = I.f.sched.now();
  for (size_t c = 0; c < I.emrs.size(); ++c) {
    std::vector<EmrEvent> out;
    I.emrs[c].c->start(now, out);
    I.note(c, out);
  }
  for (size_t e = 0; e < I.ens.size(); ++e) {
    Impl::Ensemble &en = I.ens[e];
    std::vector<CoordEvent> out;
    en.c->start(out);
    // Members that are not Auto Scaling instances: counts and EMR nodes.
    // (The schema allows a count for elections only.)
    auto counted = [&](const MemberSource &ms, uint32_t source, const std::string &name) {
      if (ms.kind != MemberSource::Count)
        return;
      for (int64_t i = 0; i < ms.count; ++i) {
        Impl::Binding b;
        b.kind = Impl::Binding::Abstract;
        b.id = uint32_t(i);
        b.source = source;
        en.c->memberUp(I.memberFor(e, b, name + "-" + std::to_string(i + 1)), out);
      }
    };
    const CoordinationConfig &cfg = en.plan->config;
    for (uint32_t k = 0; k < cfg.elections.size(); ++k)
      counted(en.plan->electionMembers[k], k, cfg.elections[k].name);

    for (size_t c = 0; c < I.emrs.size(); ++c) {
      const EmrCluster &cl = *I.emrs[c].c;
      for (size_t n = 0; n < cl.nodes().size(); ++n) {
        Impl::Binding b;
        b.kind = Impl::Binding::Node;
        b.emr = c;
        b.node = n;
        if (!I.takesPart(e, b))
          continue;
        uint32_t m = I.memberFor(e, b,
                                 cl.config().name + "." +
                                     cl.config().groups[cl.nodes()[n].group].name + "[" +
                                     std::to_string(cl.nodes()[n].index) + "]");
        en.c->memberUp(m, out);
      }
    }
    I.done(e, out);
  }
}

void Clusters::instanceUp(uint32_t id) {
  Impl &I = *impl;
  const InstanceRt *in = I.f.instance(id);
  if (!in || in->asg == NoIndex || !in->running || !in->appUp)
    return;
  std::vector<CoordEvent> out;
  Impl::Binding b;
  b.kind = Impl::Binding::Instance;
  b.id = id;
  for (size_t e = 0; e < I.ens.size(); ++e) {
    if (!I.takesPart(e, b))
      continue;
    uint32_t m = I.memberFor(e, b, Fabric::instanceName(id));
    I.ens[e].c->memberUp(m, out);
    I.done(e, out);
  }
}

void Clusters::instanceDown(uint32_t id) {
  Impl &I = *impl;
  for (size_t e = 0; e < I.ens.size(); ++e)
    for (uint32_t m = 0; m < I.ens[e].members.size(); ++m) {
      const Impl::Binding &b = I.ens[e].members[m];
      if (b.kind == Impl::Binding::Instance && b.id == id && I.ens[e].c->memberIsUp(m)) {
        std::vector<CoordEvent> out;
        I.ens[e].c->memberDown(m, false, out);
        I.done(e, out);
      }
    }
}

void Clusters::Impl::memberDown(size_t e, uint32_t m, bool graceful, StringRef why) {
  const Binding &b = ens[e].members[m];
  if (b.kind == Binding::Instance)
    f.appDown(b.id, why); // The process, not the host.
  std::vector<CoordEvent> out;
  ens[e].c->memberDown(m, graceful, out);
  done(e, out);
}

void Clusters::Impl::nodeLost(size_t c, size_t node, bool graceful, StringRef cause) {
  std::vector<EmrEvent> lost;
  emrs[c].c->onNodeLost(f.sched.now(), node, cause, lost);
  note(c, lost);
  std::vector<CoordEvent> out;
  // The members on every node that stopped (all of them when the cluster
  // terminated).
  const EmrCluster &cl = *emrs[c].c;
  for (size_t e = 0; e < ens.size(); ++e)
    for (uint32_t m = 0; m < ens[e].members.size(); ++m) {
      const Binding &b = ens[e].members[m];
      if (b.kind == Binding::Node && b.emr == c && !cl.nodes()[b.node].running &&
          ens[e].c->memberIsUp(m)) {
        ens[e].c->memberDown(m, graceful, out);
        done(e, out);
      }
    }
}

void Clusters::onWake(const Timer &t) {
  Impl &I = *impl;
  if (t.kind == Fabric::TmCluster) {
    size_t c = t.id & ~SpotStop;
    if (I.emrs[c].c->nodes()[t.arg].running)
      I.nodeLost(c, size_t(t.arg), false, "interrupted (spot capacity reclaimed)");
    return;
  }
  std::vector<CoordEvent> out;
  I.ens[t.id].c->onTimer(t, out);
  I.done(t.id, out);
}

void Clusters::zoneLost(uint32_t zone) {
  Impl &I = *impl;
  for (size_t c = 0; c < I.emrs.size(); ++c)
    if (I.emrs[c].plan->zone == zone)
      for (size_t n = 0; n < I.emrs[c].c->nodes().size(); ++n)
        I.nodeLost(c, n, false, "lost with its zone");
  for (size_t e = 0; e < I.ens.size(); ++e) {
    const std::vector<uint32_t> &zones = I.ens[e].plan->serverZones;
    std::vector<CoordEvent> out;
    for (unsigned s = 0; s < zones.size(); ++s)
      if (zones[s] == zone)
        I.ens[e].c->serverDown(s, /*silent=*/true, out);
    I.done(e, out);
  }
}

bool Clusters::Impl::actOnEnsemble(ActionKind action, const TargetRef &ref) {
  size_t e = ref.object;
  Ensemble &en = ens[e];
  Coordination &c = *en.c;
  std::vector<CoordEvent> out;
  bool down = action == ActionKind::Kill || action == ActionKind::Stop;
  bool upAgain = action == ActionKind::Recover;
  if (!down && !upAgain)
    return false;
  if (ref.kind == TargetRef::EnsembleServer || ref.kind == TargetRef::EnsembleLeader ||
      ref.kind == TargetRef::Ensemble) {
    std::vector<unsigned> servers;
    if (ref.kind == TargetRef::EnsembleServer)
      servers.push_back(unsigned(ref.index));
    else if (ref.kind == TargetRef::EnsembleLeader) {
      if (c.leaderServer() < 0)
        f.trace.note(name(e), "the ensemble has no leader right now");
      else
        servers.push_back(unsigned(c.leaderServer()));
    } else {
      for (unsigned s = 0; s < c.config().servers; ++s)
        servers.push_back(s);
    }
    for (unsigned s : servers)
      down ? c.serverDown(s, false, out) : c.serverUp(s, out);
    done(e, out);
    return true;
  }
  // An election: its leader, or every member.
  uint32_t k = uint32_t(ref.index);
  std::vector<uint32_t> targets;
  if (ref.kind == TargetRef::ElectionLeader) {
    int m = c.leader(k);
    if (m < 0)
      f.trace.note(name(e), "'" + c.config().elections[k].name + "' has no leader right now");
    else
      targets.push_back(uint32_t(m));
  } else {
    for (uint32_t m = 0; m < c.memberCount(); ++m)
      targets.push_back(m);
  }
  for (uint32_t m : targets) {
    if (down) {
      if (c.memberIsUp(m))
        memberDown(e, m, action == ActionKind::Stop,
                   action == ActionKind::Stop ? "its member process exits"
                                              : "its member process was killed");
    } else if (!c.memberIsUp(m)) {
      const Binding &b = en.members[m];
      if (b.kind == Binding::Instance)
        f.appUp(b.id);
      if (b.kind != Binding::Node || emrs[b.emr].c->nodes()[b.node].running) {
        c.memberUp(m, out);
        done(e, out);
      }
    }
  }
  return true;
}

bool Clusters::Impl::actOnEmr(ActionKind action, const TargetRef &ref) {
  size_t c = ref.object;
  Emr &em = emrs[c];
  const std::string &cluster = em.plan->config.name;
  std::vector<size_t> nodes;
  for (size_t g = 0; g < em.plan->config.groups.size(); ++g) {
    if (ref.kind == TargetRef::EmrGroup && g != size_t(ref.index))
      continue;
    std::vector<size_t> of = em.c->nodesOf(g);
    if (ref.named && ref.node >= 0) {
      if (size_t(ref.node) < of.size())
        nodes.push_back(of[ref.node]);
      else
        f.trace.note(cluster,
                     "'" + ref.path + "' has no node [" + std::to_string(ref.node) + "]");
    } else {
      nodes.insert(nodes.end(), of.begin(), of.end());
    }
  }
  Instant now = f.sched.now();
  std::vector<EmrEvent> out;
  if (action == ActionKind::Interrupt) {
    for (size_t n : nodes) {
      const EmrNode &node = em.c->nodes()[n];
      if (!node.running || (!ref.named && !em.c->config().groups[node.group].spot))
        continue;
      em.c->onSpotNotice(now, n, out);
      f.sched.runAt(now + SpotNotice, {Fabric::TmCluster, SpotStop | uint32_t(c), n});
    }
    note(c, out);
    return true;
  }
  if (action == ActionKind::Kill || action == ActionKind::Stop) {
    for (size_t n : nodes)
      nodeLost(c, n, action == ActionKind::Stop,
               action == ActionKind::Stop ? "stopped" : "killed");
    return true;
  }
  if (action == ActionKind::Recover) {
    f.trace.note(cluster, "EMR does not bring a lost node back");
    return true;
  }
  return false;
}

bool Clusters::act(ActionKind action, const TargetRef &ref) {
  switch (ref.kind) {
  case TargetRef::EnsembleServer:
  case TargetRef::EnsembleLeader:
  case TargetRef::Ensemble:
  case TargetRef::ElectionLeader:
  case TargetRef::Election:
    return impl->actOnEnsemble(action, ref);
  case TargetRef::EmrGroup:
  case TargetRef::EmrCluster:
    return impl->actOnEmr(action, ref);
  default:
    return false;
  }
}

std::optional<double> Clusters::metric(MetricId m, const ObjectRef &o,
                                       std::string &shown) const {
  const Impl &I = *impl;
  if (o.kind == ObjectRef::EmrGroup && m == MetricId::Running) {
    unsigned n = I.emrs[o.index].c->running(o.sub);
    shown = std::to_string(n);
    return double(n);
  }
  if (o.kind == ObjectRef::EmrCluster && m == MetricId::ClusterState) {
    EmrState s = I.emrs[o.index].c->state();
    shown = stateName(s);
    return double(unsigned(s));
  }
  if (o.kind == ObjectRef::Service && m == MetricId::Registered) {
    unsigned n = I.ens[o.index].c->registered(o.sub);
    shown = std::to_string(n);
    return double(n);
  }
  if (o.kind == ObjectRef::EmrCluster && m == MetricId::HdfsAtRisk) {
    const EmrCluster &c = *I.emrs[o.index].c;
    bool risk = c.hdfsAtRisk();
    shown = risk ? "true (core nodes were lost; replication " + std::to_string(c.replication()) +
                       ")"
                 : "false";
    return risk ? 1.0 : 0.0;
  }
  if (o.kind == ObjectRef::Ensemble) {
    const Coordination &c = *I.ens[o.index].c;
    if (m == MetricId::Leader) {
      shown = c.leaderServer() < 0 ? "false (no leader)"
                                   : "true (server " + std::to_string(c.leaderServer()) + ")";
      return c.leaderServer() >= 0 ? 1.0 : 0.0;
    }
    if (m == MetricId::LeaderChanges) {
      shown = std::to_string(c.serverLeaderChanges());
      return double(c.serverLeaderChanges());
    }
    return std::nullopt;
  }
  if (o.kind == ObjectRef::Election) {
    const Coordination &c = *I.ens[o.index].c;
    if (m == MetricId::Leader) {
      int who = c.leader(o.sub);
      shown = who < 0 ? "false (no leader)" : "true (" + c.memberName(uint32_t(who)) + ")";
      return who >= 0 ? 1.0 : 0.0;
    }
    if (m == MetricId::LeaderChanges) {
      shown = std::to_string(c.leaderChanges(o.sub));
      return double(c.leaderChanges(o.sub));
    }
    if (m == MetricId::ExactlyOneLeader) {
      unsigned n = c.leaderCount(o.sub);
      shown = (n == 1 ? "true (" : "false (") + std::to_string(n) +
              (n == 1 ? " member acts as leader)" : " members act as leader)");
      return n == 1 ? 1.0 : 0.0;
    }
  }
  return std::nullopt;
}

} // namespace infrac::runtime

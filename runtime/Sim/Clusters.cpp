//===- Clusters.cpp - EMR clusters and coordination ensembles in the world -===//
//
// Builds an EmrCluster per emr_cluster and a Coordination per coordination
// block, binds the elections' and services' members (Auto Scaling instances,
// EMR nodes, or a count of abstract members) and turns scenario actions,
// instance events and wake-ups into controller calls.
//
//===----------------------------------------------------------------------===//

#include "Sim/Clusters.h"

using namespace infrac::sema;
using llvm::StringRef;

namespace infrac::runtime::sim {

/// EvCluster timers: the ensemble's wake-up (id = ensemble), or a spot node
/// of an EMR cluster stopping (id = SpotStop | cluster, arg = node).
constexpr uint32_t SpotStop = 0x80000000u;

struct Clusters::Impl {
  World &w;
  const Model &model;

  struct Emr {
    const Resource *res = nullptr;
    std::string name;
    std::unique_ptr<EmrCluster> c;
    std::vector<const Resource *> groups; ///< Per EmrConfig group.
  };
  std::vector<Emr> emrs;

  /// Who a coordination member is.
  struct Binding {
    enum Kind : uint8_t { Instance, Node, Abstract } kind = Abstract;
    uint32_t id = 0;  ///< Instance: its id.
    size_t emr = 0;   ///< Node: cluster and node.
    size_t node = 0;
  };
  struct Ensemble {
    const Resource *res = nullptr;
    std::string name;
    std::unique_ptr<Coordination> c;
    std::vector<const Resource *> elections, services;
    std::vector<const Value *> electionMembers, serviceMembers;
    std::vector<Binding> members; ///< Per Coordination member.
    Instant wakeScheduled = Never;
  };
  std::vector<Ensemble> ens;

  Impl(World &w, const Model &m) : w(w), model(m) {}

  void note(const std::string &who, std::vector<std::string> &out) {
    for (const std::string &s : out)
      w.line(who, s);
    out.clear();
  }
  void wake(size_t e) {
    Instant t = ens[e].c->nextWakeup();
    if (t == Never || t >= ens[e].wakeScheduled)
      return;
    ens[e].wakeScheduled = t;
    w.sched.schedule(std::max(t, w.sched.now()), {EvCluster, uint32_t(e), 0});
  }
  void done(size_t e, std::vector<std::string> &out) {
    note(ens[e].name, out);
    wake(e);
  }

  /// Whether `members` (an election's or a service's) names this source.
  static bool names(const Value *members, const Resource *source) {
    return members && members->kind == Value::Kind::Ref && members->ref == source &&
           members->index() < 0;
  }

  /// The member of ensemble `e` bound to `b`, declared (not started) if new.
  uint32_t memberFor(size_t e, const Binding &b, const std::string &name,
                     const Resource *source, const Resource *group) {
    Ensemble &en = ens[e];
    for (uint32_t m = 0; m < en.members.size(); ++m) {
      const Binding &x = en.members[m];
      if (x.kind == b.kind && x.id == b.id && x.emr == b.emr && x.node == b.node)
        return m;
    }
    std::vector<uint32_t> els, svcs;
    for (uint32_t k = 0; k < en.elections.size(); ++k)
      if (names(en.electionMembers[k], source) || (group && names(en.electionMembers[k], group)))
        els.push_back(k);
    for (uint32_t k = 0; k < en.services.size(); ++k)
      if (names(en.serviceMembers[k], source) || (group && names(en.serviceMembers[k], group)))
        svcs.push_back(k);
    en.members.push_back(b);
    return en.c->addMember(name, els, svcs);
  }

  bool takesPart(size_t e, const Resource *source, const Resource *group) const {
    for (const Value *v : ens[e].electionMembers)
      if (names(v, source) || (group && names(v, group)))
        return true;
    for (const Value *v : ens[e].serviceMembers)
      if (names(v, source) || (group && names(v, group)))
        return true;
    return false;
  }

  void build();
  void nodeLost(size_t c, size_t node, bool graceful, StringRef cause);
  bool actOnEnsemble(StringRef action, const Value &ref);
  bool actOnEmr(StringRef action, const Value &ref);
  void memberDown(size_t e, uint32_t m, bool graceful, StringRef why);
};

void Clusters::Impl::build() {
  for (const Resource *r : model.resources) {
    if (r->kind() != "emr_cluster")
      continue;
    Emr e;
    e.res = r;
    e.name = r->name.str();
    EmrConfig cfg;
    cfg.name = e.name;
    for (const Resource *g : r->children) {
      if (g->kind() != "instance_group")
        continue;
      EmrGroupConfig gc;
      gc.role = g->keyword == "primary" ? NodeRole::Primary
                : g->keyword == "core"  ? NodeRole::Core
                                        : NodeRole::Task;
      gc.name = g->name.empty() ? g->keyword.str() : g->name.str();
      gc.count = unsigned(std::max<int64_t>(0, g->getInt("count").value_or(1)));
      gc.spot = g->getEnum("market") == "spot";
      cfg.groups.push_back(gc);
      e.groups.push_back(g);
    }
    if (const Value *conf = r->get("configurations"))
      if (const NamedValue *hdfs = conf->field("hdfs-site"))
        if (const NamedValue *rep = hdfs->value.field("dfs.replication")) {
          unsigned n = 0;
          if (!rep->value.str.getAsInteger(10, n))
            cfg.replication = n;
        }
    e.c = std::make_unique<EmrCluster>(std::move(cfg));
    emrs.push_back(std::move(e));
  }
  for (const Resource *r : model.resources) {
    if (r->kind() != "coordination")
      continue;
    Ensemble en;
    en.res = r;
    en.name = r->name.str();
    CoordinationConfig cfg;
    cfg.name = en.name;
    cfg.servers = unsigned(std::max<int64_t>(1, r->getInt("ensemble").value_or(3)));
    cfg.tick = millis(r->getInt("tick").value_or(2000));
    cfg.sessionTimeout = millis(r->getInt("session_timeout").value_or(3 * 2000));
    for (const Resource *x : r->childrenOf("election")) {
      CoordinationConfig::Election e;
      e.name = x->name.str();
      e.path = x->getString("path").str();
      e.herd = x->getEnum("recipe") == "herd";
      cfg.elections.push_back(e);
      en.elections.push_back(x);
      en.electionMembers.push_back(x->get("members"));
    }
    for (const Resource *x : r->childrenOf("service")) {
      cfg.services.push_back({x->name.str(), x->getString("path").str()});
      en.services.push_back(x);
      en.serviceMembers.push_back(x->get("members"));
    }
    en.c = std::make_unique<Coordination>(std::move(cfg));
    ens.push_back(std::move(en));
  }
}

Clusters::Clusters(World &w, const Model &m) : impl(new Impl(w, m)) { impl->build(); }
Clusters::~Clusters() = default;

void Clusters::start() {
  Impl &I = *impl;
  Instant now = I.w.sched.now();
  std::vector<std::string> out;
  for (Impl::Emr &e : I.emrs) {
    e.c->start(now, out);
    I.note(e.name, out);
  }
  for (size_t e = 0; e < I.ens.size(); ++e) {
    Impl::Ensemble &en = I.ens[e];
    en.c->start(now, out);
    I.note(en.name, out);
    // Members that are not Auto Scaling instances: counts and EMR nodes.
    for (size_t k = 0; k < en.elections.size(); ++k) {
      const Value *v = en.electionMembers[k];
      if (!v || v->kind != Value::Kind::Int)
        continue;
      for (int64_t i = 0; i < v->i; ++i) {
        Impl::Binding b;
        b.kind = Impl::Binding::Abstract;
        b.id = uint32_t(k << 16 | uint64_t(i));
        uint32_t m = I.memberFor(e, b, en.elections[k]->name.str() + "-" + std::to_string(i + 1),
                                 nullptr, nullptr);
        en.c->memberUp(now, m, out);
      }
    }
    for (size_t c = 0; c < I.emrs.size(); ++c) {
      const Impl::Emr &em = I.emrs[c];
      const EmrCluster &cl = *em.c;
      for (size_t n = 0; n < cl.nodes().size(); ++n) {
        const Resource *group = em.groups[cl.nodes()[n].group];
        // A whole cluster's members are its primary nodes (they fail over).
        const Resource *whole = group->keyword == "primary" ? em.res : nullptr;
        if (!I.takesPart(e, group, whole))
          continue;
        Impl::Binding b;
        b.kind = Impl::Binding::Node;
        b.emr = c;
        b.node = n;
        uint32_t m = I.memberFor(e, b,
                                 em.name + "." + cl.config().groups[cl.nodes()[n].group].name +
                                     "[" + std::to_string(cl.nodes()[n].index) + "]",
                                 group, whole);
        en.c->memberUp(now, m, out);
      }
    }
    I.done(e, out);
  }
}

void Clusters::instanceUp(uint32_t id) {
  Impl &I = *impl;
  Instance *in = I.w.inst(id);
  if (!in || in->asg < 0 || !in->running || !in->appUp)
    return;
  const Resource *asg = I.w.asgs[in->asg].res;
  std::vector<std::string> out;
  for (size_t e = 0; e < I.ens.size(); ++e) {
    if (!I.takesPart(e, asg, nullptr))
      continue;
    Impl::Binding b;
    b.kind = Impl::Binding::Instance;
    b.id = id;
    uint32_t m = I.memberFor(e, b, "i-" + std::to_string(id), asg, nullptr);
    I.ens[e].c->memberUp(I.w.sched.now(), m, out);
    I.done(e, out);
  }
}

void Clusters::instanceDown(uint32_t id) {
  Impl &I = *impl;
  for (size_t e = 0; e < I.ens.size(); ++e)
    for (uint32_t m = 0; m < I.ens[e].members.size(); ++m) {
      const Impl::Binding &b = I.ens[e].members[m];
      if (b.kind == Impl::Binding::Instance && b.id == id && I.ens[e].c->memberIsUp(m)) {
        std::vector<std::string> out;
        I.ens[e].c->memberDown(I.w.sched.now(), m, false, out);
        I.done(e, out);
      }
    }
}

void Clusters::Impl::memberDown(size_t e, uint32_t m, bool graceful, StringRef why) {
  const Binding &b = ens[e].members[m];
  if (b.kind == Binding::Instance)
    w.appDown(b.id, why); // The process, not the host.
  std::vector<std::string> out;
  ens[e].c->memberDown(w.sched.now(), m, graceful, out);
  done(e, out);
}

void Clusters::Impl::nodeLost(size_t c, size_t node, bool graceful, StringRef cause) {
  std::vector<std::string> out;
  emrs[c].c->onNodeLost(w.sched.now(), node, cause, out);
  note(emrs[c].name, out);
  for (size_t e = 0; e < ens.size(); ++e)
    for (uint32_t m = 0; m < ens[e].members.size(); ++m) {
      const Binding &b = ens[e].members[m];
      if (b.kind == Binding::Node && b.emr == c && b.node == node && ens[e].c->memberIsUp(m)) {
        ens[e].c->memberDown(w.sched.now(), m, graceful, out);
        done(e, out);
      }
    }
}

void Clusters::onWake(const Timer &t) {
  Impl &I = *impl;
  if (t.id & SpotStop) {
    size_t c = t.id & ~SpotStop;
    if (I.emrs[c].c->nodes()[t.arg].running)
      I.nodeLost(c, size_t(t.arg), false, "interrupted (spot capacity reclaimed)");
    return;
  }
  Impl::Ensemble &en = I.ens[t.id];
  en.wakeScheduled = Never;
  std::vector<std::string> out;
  en.c->onWake(I.w.sched.now(), out);
  I.done(t.id, out);
}

bool Clusters::Impl::actOnEnsemble(StringRef action, const Value &ref) {
  const Resource *r = ref.ref;
  const Resource *owner = r->kind() == "election" ? r->parent : r;
  size_t e = 0;
  while (e < ens.size() && ens[e].res != owner)
    ++e;
  if (e == ens.size())
    return false;
  Ensemble &en = ens[e];
  Coordination &c = *en.c;
  Instant now = w.sched.now();
  std::vector<std::string> out;
  bool down = action == "kill" || action == "stop";
  bool upAgain = action == "recover";
  if (!down && !upAgain)
    return false;
  if (r->kind() == "coordination") {
    std::vector<unsigned> servers;
    if (ref.member() == "servers" && ref.index() >= 0)
      servers.push_back(unsigned(ref.index()));
    else if (ref.member() == "leader") {
      if (c.leaderServer() < 0)
        w.line(en.name, "the ensemble has no leader right now");
      else
        servers.push_back(unsigned(c.leaderServer()));
    } else {
      for (unsigned s = 0; s < c.config().servers; ++s)
        servers.push_back(s);
    }
    for (unsigned s : servers)
      down ? c.serverDown(now, s, out) : c.serverUp(now, s, out);
    done(e, out);
    return true;
  }
  // An election: its leader, or every member.
  size_t k = 0;
  while (k < en.elections.size() && en.elections[k] != r)
    ++k;
  std::vector<uint32_t> targets;
  if (ref.member() == "leader") {
    int m = c.leader(uint32_t(k));
    if (m < 0)
      w.line(en.name, "'" + r->name.str() + "' has no leader right now");
    else
      targets.push_back(uint32_t(m));
  } else {
    for (uint32_t m = 0; m < c.memberCount(); ++m)
      targets.push_back(m);
  }
  for (uint32_t m : targets) {
    if (down) {
      if (c.memberIsUp(m))
        memberDown(e, m, action == "stop",
                   action == "stop" ? "its member process exits" : "its member process was killed");
    } else if (!c.memberIsUp(m)) {
      const Binding &b = en.members[m];
      if (b.kind == Binding::Instance)
        w.appUp(b.id);
      if (b.kind != Binding::Node || emrs[b.emr].c->nodes()[b.node].running) {
        c.memberUp(now, m, out);
        done(e, out);
      }
    }
  }
  return true;
}

bool Clusters::Impl::actOnEmr(StringRef action, const Value &ref) {
  const Resource *r = ref.ref;
  const Resource *cluster = r->kind() == "instance_group" ? r->parent : r;
  size_t c = 0;
  while (c < emrs.size() && emrs[c].res != cluster)
    ++c;
  if (c == emrs.size())
    return false;
  Emr &em = emrs[c];
  std::vector<size_t> nodes;
  for (size_t g = 0; g < em.groups.size(); ++g) {
    if (r->kind() == "instance_group" && em.groups[g] != r)
      continue;
    std::vector<size_t> of = em.c->nodesOf(g);
    if (ref.member() == "nodes" && ref.index() >= 0) {
      if (size_t(ref.index()) < of.size())
        nodes.push_back(of[ref.index()]);
      else
        w.line(em.name,
               "'" + r->path.str() + "' has no node [" + std::to_string(ref.index()) + "]");
    } else {
      nodes.insert(nodes.end(), of.begin(), of.end());
    }
  }
  Instant now = w.sched.now();
  std::vector<std::string> out;
  if (action == "interrupt") {
    bool named = ref.member() == "nodes";
    for (size_t n : nodes) {
      const EmrNode &node = em.c->nodes()[n];
      if (!node.running || (!named && !em.c->config().groups[node.group].spot))
        continue;
      em.c->onSpotNotice(now, n, out);
      w.sched.schedule(now + SpotNotice, {EvCluster, SpotStop | uint32_t(c), n});
    }
    note(em.name, out);
    return true;
  }
  if (action == "kill" || action == "stop") {
    for (size_t n : nodes)
      nodeLost(c, n, action == "stop", action == "stop" ? "stopped" : "killed");
    return true;
  }
  if (action == "recover") {
    w.line(em.name, "EMR does not bring a lost node back");
    return true;
  }
  return false;
}

bool Clusters::act(StringRef action, const Value &ref) {
  StringRef kind = ref.ref->kind();
  if (kind == "coordination" || kind == "election")
    return impl->actOnEnsemble(action, ref);
  if (kind == "emr_cluster" || kind == "instance_group")
    return impl->actOnEmr(action, ref);
  return false;
}

std::optional<double> Clusters::metric(StringRef fn, const Value &arg, std::string &shown) {
  Impl &I = *impl;
  const Resource *r = arg.ref;
  if (r->kind() == "instance_group" && fn == "running")
    for (const Impl::Emr &em : I.emrs)
      for (size_t g = 0; g < em.groups.size(); ++g)
        if (em.groups[g] == r) {
          unsigned n = em.c->running(g);
          shown = std::to_string(n);
          return double(n);
        }
  if (r->kind() == "emr_cluster" && fn == "hdfs_at_risk")
    for (const Impl::Emr &em : I.emrs)
      if (em.res == r) {
        bool risk = em.c->hdfsAtRisk();
        shown = risk ? "true (core nodes were lost; replication " +
                           std::to_string(em.c->replication()) + ")"
                     : "false";
        return risk ? 1.0 : 0.0;
      }
  if (r->kind() == "coordination" || r->kind() == "election") {
    const Resource *owner = r->kind() == "election" ? r->parent : r;
    for (const Impl::Ensemble &en : I.ens) {
      if (en.res != owner)
        continue;
      const Coordination &c = *en.c;
      if (r->kind() == "coordination") {
        if (fn == "leader") {
          shown = c.leaderServer() < 0 ? "false (no leader)"
                                       : "true (server " + std::to_string(c.leaderServer()) + ")";
          return c.leaderServer() >= 0 ? 1.0 : 0.0;
        }
        if (fn == "leader_changes") {
          shown = std::to_string(c.serverLeaderChanges());
          return double(c.serverLeaderChanges());
        }
        return std::nullopt;
      }
      uint32_t k = 0;
      while (k < en.elections.size() && en.elections[k] != r)
        ++k;
      if (fn == "leader") {
        int m = c.leader(k);
        shown = m < 0 ? "false (no leader)" : "true (" + c.memberName(uint32_t(m)) + ")";
        return m >= 0 ? 1.0 : 0.0;
      }
      if (fn == "leader_changes") {
        shown = std::to_string(c.leaderChanges(k));
        return double(c.leaderChanges(k));
      }
    }
  }
  return std::nullopt;
}

} // namespace infrac::runtime::sim

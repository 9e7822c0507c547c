//===- Coordination.cpp - A ZooKeeper ensemble and its members ------------===//
//
// The ensemble (Ensemble), the znode tree (ZnodeTree) and the members'
// recipes (LeaderElection, ServiceRegistration) in virtual time. ZooKeeper:
// recipes.md#sc_leaderElection, zookeeperProgrammers.md#ch_zkSessions
// (timeouts negotiated into [2, 20] ticks, expiry deletes ephemerals and
// notifies watchers); Curator's LeaderLatch for the connection's states.
//
//===----------------------------------------------------------------------===//

#include "Coord/Coord.h"

#include <algorithm>

namespace infrac::runtime {

using zk::SessionEvent;

static CoordEvent event(CoordEvent::Kind k, uint32_t member = 0) {
  CoordEvent e;
  e.kind = k;
  e.member = member;
  return e;
}

static zk::ZnodeTree::Options treeOptions(const CoordinationConfig &c) {
  zk::ZnodeTree::Options o;
  o.tick = c.tick;
  return o;
}

static zk::Ensemble::Options ensembleOptions(const CoordinationConfig &c) {
  zk::Ensemble::Options o;
  o.servers = std::max(1u, c.servers);
  o.tick = c.tick;
  o.syncLimit = c.syncLimit;
  return o;
}

/// The watcher id of a member's recipe: one per recipe, so that a watch
/// event goes to the recipe that set it.
static zk::WatcherId watcherOf(uint32_t member, uint32_t recipe) {
  return (uint64_t(member) << 16 | recipe) + 1;
}

static std::string_view parentOf(std::string_view path) {
  return path.substr(0, path.rfind('/'));
}

constexpr unsigned KindShift = 56;

Coordination::Coordination(CoordinationConfig c, Scheduler &sched, Timer timer)
    : cfg(std::move(c)), sched(sched), timer(timer), tree(treeOptions(cfg)),
      ens(ensembleOptions(cfg)) {
  cfg.servers = ens.size();
  elections.resize(cfg.elections.size());
}

TimerId Coordination::at(Instant when, TimerKind k, uint64_t payload) {
  Timer t = timer;
  t.arg = uint64_t(k) << KindShift | payload;
  return sched.runAt(std::max(when, sched.now()), t);
}

void Coordination::start(std::vector<CoordEvent> &out) {
  ens.start(sched.now(), /*established=*/true);
  served = true;
  CoordEvent e = event(CoordEvent::EnsembleUp);
  e.n = ens.size();
  e.server = ens.leader();
  out.push_back(std::move(e));
}

uint32_t Coordination::addMember(std::string name, std::vector<uint32_t> els,
                                 std::vector<uint32_t> svcs) {
  Member m;
  m.name = std::move(name);
  m.elections = std::move(els);
  m.services = std::move(svcs);
  members.push_back(std::move(m));
  return uint32_t(members.size() - 1);
}

/// Fresh recipes for a (re)started process.
static void freshRecipes(const CoordinationConfig &cfg, const std::string &name,
                         const std::vector<uint32_t> &els, const std::vector<uint32_t> &svcs,
                         std::vector<zk::LeaderElection> &runs,
                         std::vector<zk::ServiceRegistration> &regs) {
  runs.clear();
  regs.clear();
  for (uint32_t e : els) {
    zk::LeaderElection::Config c;
    c.path = cfg.elections[e].path;
    // A prefix of its own: after a lost create reply it finds its znode by
    // it (Curator's protected mode), never another member's.
    c.prefix = name + "-";
    c.data = name;
    c.herd = cfg.elections[e].herd;
    runs.emplace_back(std::move(c));
  }
  for (uint32_t s : svcs)
    regs.emplace_back(zk::ServiceRegistration::Config{cfg.services[s].path, name, name});
}

void Coordination::memberUp(uint32_t m, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (mb.up)
    return;
  mb.up = true;
  mb.paused = false;
  mb.session = 0; // A new process opens a new session.
  freshRecipes(cfg, mb.name, mb.elections, mb.services, mb.runs, mb.regs);
  mb.reported.assign(mb.runs.size(), std::string());
  mb.created.assign(mb.runs.size(), std::string());
  connect(m, out);
}

void Coordination::connect(uint32_t m, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (!mb.up || mb.paused || mb.server >= 0)
    return;
  sched.cancel(mb.reconnect);
  mb.reconnect = NoTimer;
  int srv = -1;
  for (unsigned k = 0; k < ens.size() && srv < 0; ++k)
    if (ens.serving((m + k) % ens.size()))
      srv = int((m + k) % ens.size());
  if (srv < 0)
    return; // Waits for the ensemble to serve again (reconcile).
  Instant now = sched.now();
  const zk::Session *s = mb.session ? tree.session(mb.session) : nullptr;
  mb.server = srv;
  ++mb.connection;
  if (s) {
    tree.revalidate(now, mb.session, s->password);
    silent.erase(mb.session);
    sessionEvent(m, SessionEvent::Connected, out);
  } else {
    if (mb.session) {
      // The client learns on reconnecting that its session expired (LOST).
      out.push_back(event(CoordEvent::SessionLost, m));
      sessionEvent(m, SessionEvent::Expired, out);
    }
    mb.session = tree.createSession(now, cfg.sessionTimeout).id;
    owner[mb.session] = m;
    for (uint32_t k = 0; k < mb.regs.size(); ++k)
      send(m, uint32_t(mb.runs.size()) + k, mb.regs[k].onSession(SessionEvent::Connected, mb.session),
           out);
    for (uint32_t k = 0; k < mb.runs.size(); ++k)
      send(m, k, mb.runs[k].start(), out);
    for (uint32_t k = 0; k < mb.regs.size(); ++k)
      send(m, uint32_t(mb.runs.size()) + k, mb.regs[k].start(), out);
  }
  armExpiry();
}

void Coordination::sessionEvent(uint32_t m, SessionEvent e, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  for (uint32_t k = 0; k < mb.runs.size(); ++k)
    send(m, k, mb.runs[k].onSession(e), out);
  for (uint32_t k = 0; k < mb.regs.size(); ++k)
    send(m, uint32_t(mb.runs.size()) + k, mb.regs[k].onSession(e, mb.session), out);
}

void Coordination::disconnect(uint32_t m, CoordEvent::Cause why, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (mb.server < 0)
    return;
  mb.server = -1;
  ++mb.connection;
  if (!mb.up)
    return;
  if (!mb.paused) {
    // Its last heartbeat reached the ensemble now.
    tree.touch(sched.now(), mb.session);
    silent[mb.session] = sched.now();
  }
  suspend(m, why, out);
}

void Coordination::suspend(uint32_t m, CoordEvent::Cause why, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  bool led = false;
  for (uint32_t k = 0; k < mb.runs.size(); ++k)
    if (mb.runs[k].leading()) {
      CoordEvent e = event(CoordEvent::Suspended, m);
      e.cause = why;
      e.election = mb.elections[k];
      out.push_back(std::move(e));
      led = true;
    }
  if (!led) {
    CoordEvent e = event(CoordEvent::Disconnected, m);
    e.cause = why;
    out.push_back(std::move(e));
  }
  sessionEvent(m, SessionEvent::Disconnected, out);
  sched.cancel(mb.reconnect);
  mb.reconnect = at(sched.now() + (why == CoordEvent::Paused ? 0 : cfg.reconnectDelay),
                    Reconnect, m);
}

void Coordination::memberDown(uint32_t m, bool graceful, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (!mb.up)
    return;
  Instant now = sched.now();
  bool wasLive = heartbeating(mb);
  for (uint32_t k = 0; k < mb.runs.size(); ++k)
    if (mb.runs[k].leading()) {
      CoordEvent e = event(CoordEvent::StoppedLeading, m);
      e.election = mb.elections[k];
      e.path = mb.runs[k].node();
      out.push_back(std::move(e));
    }
  mb.up = false;
  mb.paused = false;
  mb.server = -1;
  ++mb.connection;
  sched.cancel(mb.reconnect);
  mb.reconnect = NoTimer;
  zk::SessionId sid = mb.session;
  mb.session = 0;
  if (!tree.session(sid))
    return;
  if (graceful && wasLive) {
    // Closed: its ephemerals go at once.
    std::vector<std::pair<zk::SessionId, std::vector<std::string>>> ended{
        {sid, tree.ephemerals(sid)}};
    tree.closeSession(now, sid);
    effects(ended, true, out);
  } else if (wasLive) {
    tree.touch(now, sid); // Its heartbeats stop; the ensemble expires it later.
    silent[sid] = now;
  }
  armExpiry();
}

void Coordination::memberPause(uint32_t m, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (!mb.up || mb.paused)
    return;
  if (heartbeating(mb)) {
    tree.touch(sched.now(), mb.session);
    silent[mb.session] = sched.now();
  }
  mb.paused = true;
  ++mb.connection; // What was in flight waits in a socket it never reads.
  armExpiry();
}

void Coordination::memberResume(uint32_t m, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (!mb.up || !mb.paused)
    return;
  mb.paused = false;
  // It cannot know what happened while it was frozen: it treats its
  // connection as lost (giving up leadership) and reconnects at once, which
  // tells it whether its session survived.
  mb.server = -1;
  ++mb.connection;
  suspend(m, CoordEvent::Paused, out);
}

void Coordination::send(uint32_t m, uint32_t recipe, zk::Actions &&a,
                        std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (recipe < mb.runs.size()) {
    const zk::LeaderElection &r = mb.runs[recipe];
    uint32_t election = mb.elections[recipe];
    if (!r.node().empty() && r.node() != mb.created[recipe]) {
      mb.created[recipe] = r.node();
      CoordEvent e = event(CoordEvent::Created, m);
      e.election = election;
      e.path = r.node();
      out.push_back(std::move(e));
    }
    if (a.becameLeader) {
      ElectionState &st = elections[election];
      if (st.lastLeader >= 0 && st.lastLeader != int(m))
        ++st.changes;
      st.lastLeader = int(m);
      mb.reported[recipe].clear();
      CoordEvent e = event(CoordEvent::Leads, m);
      e.election = election;
      e.path = r.node();
      out.push_back(std::move(e));
    } else if (r.current() == zk::LeaderElection::State::Watching &&
               mb.reported[recipe] != r.node() + ">" + r.watching()) {
      mb.reported[recipe] = r.node() + ">" + r.watching();
      CoordEvent e = event(CoordEvent::Follows, m);
      e.election = election;
      e.path = r.node();
      if (!cfg.elections[election].herd)
        e.other = r.watching();
      out.push_back(std::move(e));
    }
  } else if (a.registered) {
    CoordEvent e = event(CoordEvent::Registered, m);
    e.path = mb.regs[recipe - mb.runs.size()].node();
    out.push_back(std::move(e));
  }
  if (mb.server < 0 || mb.paused)
    return; // Nothing leaves a disconnected client; it asks again on reconnection.
  for (zk::Request &r : a.requests) {
    uint64_t key = nextPending++;
    pending[key] = {m, mb.connection, recipe, std::move(r), zk::EventType::None, {}};
    at(sched.now() + cfg.opLatency, Reply, key);
  }
}

void Coordination::deliver(uint64_t key, std::vector<CoordEvent> &out) {
  auto it = pending.find(key);
  if (it == pending.end())
    return;
  Pending p = std::move(it->second);
  pending.erase(it);
  Member &mb = members[p.member];
  // Lost with its connection (the recipe asks again when it reconnects),
  // or stuck while no leader commits anything.
  if (p.connection != mb.connection || !heartbeating(mb) || ens.leader() < 0)
    return;
  uint32_t nRuns = uint32_t(mb.runs.size());
  if (p.event != zk::EventType::None) {
    ++notified;
    send(p.member, p.recipe,
         p.recipe < nRuns ? mb.runs[p.recipe].onWatch(p.event, p.path)
                          : mb.regs[p.recipe - nRuns].onWatch(p.event, p.path),
         out);
    return;
  }
  zk::Reply r = zk::execute(tree, sched.now(), mb.session, watcherOf(p.member, p.recipe),
                            p.request);
  effects({}, false, out);
  send(p.member, p.recipe,
       p.recipe < nRuns ? mb.runs[p.recipe].onReply(r) : mb.regs[p.recipe - nRuns].onReply(r),
       out);
  armExpiry();
}

void Coordination::effects(
    const std::vector<std::pair<zk::SessionId, std::vector<std::string>>> &ended, bool closed,
    std::vector<CoordEvent> &out) {
  zk::Effects fx = tree.takeEffects();
  for (const auto &[sid, paths] : ended) {
    if (!closed && std::find(fx.expiredSessions.begin(), fx.expiredSessions.end(), sid) ==
                       fx.expiredSessions.end())
      continue;
    CoordEvent e = event(closed ? CoordEvent::SessionClosed : CoordEvent::SessionExpired,
                         owner[sid]);
    e.paths = paths;
    out.push_back(std::move(e));
    silent.erase(sid);
  }
  // Each watch goes to its client half a round trip later, if that client
  // is still connected then.
  std::vector<bool> counted(fx.events.size(), false);
  for (const std::string &d : fx.deletedEphemerals) {
    unsigned n = 0;
    for (size_t i = 0; i < fx.events.size(); ++i) {
      const zk::WatchEvent &w = fx.events[i];
      bool hit = w.path == d || (w.type == zk::EventType::NodeChildrenChanged &&
                                 w.path == parentOf(d));
      if (counted[i] || !hit)
        continue;
      counted[i] = true;
      n += heartbeating(members[uint32_t((w.watcher - 1) >> 16)]);
    }
    if (n) {
      CoordEvent e = event(CoordEvent::WatchesFired);
      e.path = d;
      e.n = n;
      out.push_back(std::move(e));
    }
  }
  for (const zk::WatchEvent &w : fx.events) {
    uint32_t m = uint32_t((w.watcher - 1) >> 16);
    if (!heartbeating(members[m]))
      continue;
    uint64_t key = nextPending++;
    pending[key] = {m, members[m].connection, uint32_t((w.watcher - 1) & 0xffff), {}, w.type,
                    w.path};
    at(sched.now() + cfg.opLatency / 2, Notify, key);
  }
}

void Coordination::expire(std::vector<CoordEvent> &out) {
  if (ens.leader() < 0)
    return;
  Instant now = sched.now();
  // Clients that heartbeat are touched as their pings arrive; only the
  // silent ones are due.
  for (const Member &mb : members)
    if (heartbeating(mb))
      tree.touch(now, mb.session);
  std::vector<std::pair<zk::SessionId, std::vector<std::string>>> ended;
  for (zk::SessionId sid : tree.sessions())
    if (tree.session(sid)->expiresAt <= now)
      ended.push_back({sid, tree.ephemerals(sid)});
  tree.expire(now);
  effects(ended, false, out);
}

void Coordination::armExpiry() {
  Instant t = ens.leader() < 0 ? Never : tree.nextExpiry();
  if (t == Never || t >= expiryArmed)
    return;
  expiryArmed = t;
  at(t, Expiry, 0);
}

void Coordination::armElection() {
  Instant t = ens.nextWake();
  if (t == Never || t >= electionArmed)
    return;
  electionArmed = t;
  at(t, Election, 0);
}

void Coordination::reconcile(std::vector<CoordEvent> &out) {
  for (uint32_t m = 0; m < members.size(); ++m) {
    Member &mb = members[m];
    if (mb.server < 0 || ens.serving(unsigned(mb.server)))
      continue;
    CoordEvent::Cause why = ens.isUp(unsigned(mb.server)) ? CoordEvent::NoLeader
                                                          : CoordEvent::ServerGone;
    if (mb.paused) {
      mb.server = -1; // It finds out when it resumes.
      ++mb.connection;
    } else {
      disconnect(m, why, out);
    }
  }
  bool serving = ens.leader() >= 0;
  if (serving && !served)
    // Every waiting client reaches a serving server within a round trip.
    for (uint32_t m = 0; m < members.size(); ++m) {
      Member &mb = members[m];
      if (mb.up && !mb.paused && mb.server < 0) {
        sched.cancel(mb.reconnect);
        mb.reconnect = at(sched.now() + cfg.opLatency, Reconnect, m);
      }
    }
  served = serving;
  armElection();
  armExpiry();
}

void Coordination::serverDown(unsigned srv, bool silentLoss, std::vector<CoordEvent> &out) {
  if (srv >= ens.size() || !ens.isUp(srv))
    return;
  bool led = ens.leader() == int(srv);
  bool quorum = ens.hasQuorum();
  ens.kill(sched.now(), srv, silentLoss);
  CoordEvent e = event(CoordEvent::ServerDown);
  e.server = int(srv);
  for (unsigned s = 0; s < ens.size(); ++s)
    e.n += ens.isUp(s);
  e.led = led;
  out.push_back(e);
  if (quorum && !ens.hasQuorum()) {
    CoordEvent q = event(CoordEvent::NoQuorum);
    q.n = e.n;
    out.push_back(std::move(q));
  }
  reconcile(out);
}

void Coordination::serverUp(unsigned srv, std::vector<CoordEvent> &out) {
  if (srv >= ens.size() || ens.isUp(srv))
    return;
  ens.restore(sched.now(), srv);
  CoordEvent e = event(CoordEvent::ServerUp);
  e.server = int(srv);
  out.push_back(std::move(e));
  reconcile(out);
}

void Coordination::onTimer(const Timer &t, std::vector<CoordEvent> &out) {
  uint64_t payload = t.arg & ((uint64_t(1) << KindShift) - 1);
  switch (TimerKind(t.arg >> KindShift)) {
  case Reply:
  case Notify:
    deliver(payload, out);
    return;
  case Expiry:
    expiryArmed = Never;
    expire(out);
    armExpiry();
    return;
  case Election:
    electionArmed = Never;
    if (ens.advance(sched.now())) {
      // The new leader's session tracker starts every session over.
      tree.renewAllSessions(sched.now());
      for (auto &[sid, since] : silent)
        since = sched.now();
      CoordEvent e = event(CoordEvent::ServerLeads);
      e.server = ens.leader();
      out.push_back(std::move(e));
    }
    reconcile(out);
    return;
  case Reconnect:
    members[payload].reconnect = NoTimer;
    connect(uint32_t(payload), out);
    return;
  }
}

int Coordination::leader(uint32_t election) const {
  for (uint32_t m = 0; m < members.size(); ++m) {
    const Member &mb = members[m];
    if (mb.up && !mb.paused)
      for (uint32_t k = 0; k < mb.runs.size(); ++k)
        if (mb.elections[k] == election && mb.runs[k].leading())
          return int(m);
  }
  return -1;
}

unsigned Coordination::leaderCount(uint32_t election) const {
  unsigned n = 0;
  for (const Member &mb : members)
    if (mb.up && !mb.paused)
      for (uint32_t k = 0; k < mb.runs.size(); ++k)
        n += mb.elections[k] == election && mb.runs[k].leading();
  return n;
}

unsigned Coordination::registered(uint32_t service) const {
  const std::string &path = cfg.services[service].path;
  unsigned n = 0;
  for (zk::SessionId sid : tree.sessions())
    for (const std::string &p : tree.ephemerals(sid))
      n += parentOf(p) == path;
  return n;
}

Instant Coordination::silentSince(zk::SessionId session) const {
  auto it = silent.find(session);
  return it == silent.end() ? Never : it->second;
}

} // namespace infrac::runtime

//===- Coordination.cpp - A ZooKeeper-style ensemble and its recipes ------===//
//
// ZooKeeper: recipes.md#sc_leaderElection (ephemeral sequential znodes, each
// candidate watching the largest sequence number below its own), sessions.mdx
// (timeouts negotiated into [2, 20] ticks, expiry deletes ephemerals and
// notifies watchers); Curator LeaderLatch (SUSPENDED gives up leadership,
// LOST recreates the node). §4 of aws-behaviour.md.
//
//===----------------------------------------------------------------------===//

#include "Coord/Coord.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cstdio>

namespace infrac::runtime {

static CoordEvent event(CoordEvent::Kind k, uint32_t member = 0) {
  CoordEvent e;
  e.kind = k;
  e.member = member;
  return e;
}

Coordination::Coordination(CoordinationConfig c) : cfg(std::move(c)) {
  if (cfg.servers == 0)
    cfg.servers = 1;
  up.assign(cfg.servers, true);
  elections.resize(cfg.elections.size());
}

Duration Coordination::negotiatedTimeout() const {
  return std::clamp(cfg.sessionTimeout, 2 * cfg.tick, 20 * cfg.tick);
}

bool Coordination::hasQuorum() const {
  unsigned n = 0;
  for (bool u : up)
    n += u;
  return n >= cfg.servers / 2 + 1;
}

void Coordination::schedule(Instant at, Op::Kind k, uint32_t member, uint32_t run) {
  ops.push_back({at, opOrder++, k, member, run});
}

void Coordination::start(Instant now, std::vector<CoordEvent> &out) {
  for (const CoordinationConfig::Election &e : cfg.elections)
    znodes[e.path] = -1;
  for (const CoordinationConfig::Service &s : cfg.services)
    znodes[s.path] = -1;
  leaderSrv = lastSrvLeader = int(cfg.servers) - 1;
  CoordEvent e = event(CoordEvent::EnsembleUp);
  e.n = cfg.servers;
  e.server = leaderSrv;
  out.push_back(std::move(e));
}

uint32_t Coordination::addMember(std::string name, std::vector<uint32_t> els,
                                 std::vector<uint32_t> svcs) {
  Member m;
  m.name = std::move(name);
  for (uint32_t e : els) {
    Candidacy c;
    c.election = e;
    m.runs.push_back(c);
  }
  m.elections = std::move(els);
  m.services = std::move(svcs);
  members.push_back(std::move(m));
  return uint32_t(members.size() - 1);
}

bool Coordination::live(uint32_t m) const {
  const Member &mb = members[m];
  return mb.up && mb.session >= 0 && sessions[mb.session].open &&
         sessions[mb.session].server >= 0 && leaderSrv >= 0;
}

void Coordination::memberUp(Instant now, uint32_t m, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (mb.up)
    return;
  mb.up = true;
  openSession(now, m, out);
}

void Coordination::openSession(Instant now, uint32_t m, std::vector<CoordEvent> &out) {
  Session s;
  s.member = m;
  s.lastHeard = now;
  sessions.push_back(s);
  Member &mb = members[m];
  mb.session = int(sessions.size() - 1);
  for (Candidacy &c : mb.runs) {
    c.node.clear();
    c.state = Run::Idle;
  }
  connect(now, m, out);
}

void Coordination::connect(Instant now, uint32_t m, std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (!mb.up || mb.session < 0)
    return;
  Session &s = sessions[mb.session];
  if (!s.open || s.server >= 0 || leaderSrv < 0)
    return; // Waits for an ensemble leader, which reconnects every client.
  for (unsigned k = 0; k < cfg.servers; ++k) {
    unsigned srv = (m + k) % cfg.servers;
    if (up[srv]) {
      s.server = int(srv);
      break;
    }
  }
  s.lastHeard = now;
  for (uint32_t k = 0; k < mb.runs.size(); ++k) {
    Candidacy &c = mb.runs[k];
    c.state = c.node.empty() ? Run::Creating : Run::Checking;
    schedule(now + cfg.opLatency, c.node.empty() ? Op::Create : Op::Check, m, k);
  }
  for (uint32_t k = 0; k < mb.services.size(); ++k)
    schedule(now + cfg.opLatency, Op::Register, m, k);
}

void Coordination::disconnect(Instant now, uint32_t m, CoordEvent::Cause why,
                              std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (mb.session < 0)
    return;
  Session &s = sessions[mb.session];
  if (s.server < 0)
    return;
  s.server = -1;
  s.lastHeard = now;
  if (!mb.up)
    return;
  bool led = false;
  for (Candidacy &c : mb.runs)
    if (c.state == Run::Leading) {
      CoordEvent e = event(CoordEvent::Suspended, m);
      e.cause = why;
      e.election = c.election;
      out.push_back(std::move(e));
      c.state = Run::Checking;
      led = true;
    }
  if (!led) {
    CoordEvent e = event(CoordEvent::Disconnected, m);
    e.cause = why;
    out.push_back(std::move(e));
  }
  schedule(now + cfg.reconnectDelay, Op::Connect, m);
}

void Coordination::memberDown(Instant now, uint32_t m, bool graceful,
                              std::vector<CoordEvent> &out) {
  Member &mb = members[m];
  if (!mb.up)
    return;
  bool wasLive = live(m);
  mb.up = false;
  for (Candidacy &c : mb.runs) {
    if (c.state == Run::Leading) {
      CoordEvent e = event(CoordEvent::StoppedLeading, m);
      e.election = c.election;
      e.path = c.node;
      out.push_back(std::move(e));
    }
    c.state = Run::Idle;
  }
  if (mb.session < 0 || !sessions[mb.session].open)
    return;
  if (graceful && wasLive) {
    expire(now, mb.session, true, out); // Closed: its ephemerals go at once.
    return;
  }
  // Its heartbeats stop; the ensemble expires the session later.
  sessions[mb.session].lastHeard = now;
}

Instant Coordination::expiryOf(const Session &s) const {
  if (!s.open || leaderSrv < 0)
    return Never;
  const Member &mb = members[s.member];
  if (mb.up && s.server >= 0)
    return Never; // Heartbeating.
  // The ensemble checks sessions once per tick.
  Instant t = s.lastHeard + negotiatedTimeout();
  return (t + cfg.tick - 1) / cfg.tick * cfg.tick;
}

void Coordination::expire(Instant now, int sid, bool closed, std::vector<CoordEvent> &out) {
  Session &s = sessions[sid];
  if (!s.open)
    return;
  s.open = false;
  std::vector<std::string> owned;
  for (const auto &[path, owner] : znodes)
    if (owner == sid)
      owned.push_back(path);
  llvm::erase_if(watches, [&](const Watch &w) { return w.session == sid; });
  CoordEvent e = event(closed ? CoordEvent::SessionClosed : CoordEvent::SessionExpired, s.member);
  e.paths = owned;
  out.push_back(std::move(e));
  for (const std::string &p : owned)
    deleteNode(now, p, out);
}

void Coordination::deleteNode(Instant now, const std::string &path,
                              std::vector<CoordEvent> &out) {
  znodes.erase(path);
  std::string parent = path.substr(0, path.rfind('/'));
  unsigned fired = 0;
  std::vector<Watch> keep;
  for (const Watch &w : watches) {
    bool hit = w.children ? w.path == parent : w.path == path;
    if (!hit) {
      keep.push_back(w);
      continue;
    }
    // One-shot: the watch is gone; its client hears of it and looks again.
    const Session &s = sessions[w.session];
    if (s.open && members[s.member].up && s.server >= 0) {
      ++fired;
      ++notified;
      schedule(now + 2 * cfg.opLatency, Op::Check, s.member, w.run);
    }
  }
  watches = std::move(keep);
  if (fired) {
    CoordEvent e = event(CoordEvent::WatchesFired);
    e.path = path;
    e.n = fired;
    out.push_back(std::move(e));
  }
}

void Coordination::check(Instant now, uint32_t m, uint32_t run, std::vector<CoordEvent> &out) {
  if (!live(m))
    return;
  Member &mb = members[m];
  Candidacy &c = mb.runs[run];
  if (c.node.empty() || !znodes.count(c.node)) {
    c.state = Run::Creating;
    schedule(now + cfg.opLatency, Op::Create, m, run);
    return;
  }
  const CoordinationConfig::Election &e = cfg.elections[c.election];
  std::string prefix = e.path + "/";
  std::vector<std::string> children;
  for (auto it = znodes.lower_bound(prefix); it != znodes.end() &&
                                             llvm::StringRef(it->first).startswith(prefix);
       ++it)
    children.push_back(it->first);
  size_t me = size_t(std::find(children.begin(), children.end(), c.node) - children.begin());
  int sid = mb.session;
  llvm::erase_if(watches, [&](const Watch &w) { return w.session == sid && w.run == run; });
  if (me == 0) {
    if (c.state != Run::Leading) {
      c.state = Run::Leading;
      ElectionState &st = elections[c.election];
      if (st.lastLeader >= 0 && st.lastLeader != int(m))
        ++st.changes;
      st.lastLeader = int(m);
      CoordEvent ev = event(CoordEvent::Leads, m);
      ev.election = c.election;
      ev.path = c.node;
      out.push_back(std::move(ev));
    }
    return;
  }
  bool first = c.state != Run::Waiting;
  c.state = Run::Waiting;
  if (e.herd) {
    watches.push_back({e.path, sid, true, run});
    if (!first)
      return;
  } else {
    watches.push_back({children[me - 1], sid, false, run});
  }
  CoordEvent ev = event(CoordEvent::Follows, m);
  ev.election = c.election;
  ev.path = c.node;
  if (!e.herd)
    ev.other = children[me - 1];
  out.push_back(std::move(ev));
}

void Coordination::loseLeader(Instant now, std::vector<CoordEvent> &out) {
  leaderSrv = -1;
  for (uint32_t m = 0; m < members.size(); ++m)
    disconnect(now, m, CoordEvent::NoLeader, out);
}

void Coordination::serverDown(Instant now, unsigned srv, std::vector<CoordEvent> &out) {
  if (srv >= cfg.servers || !up[srv])
    return;
  up[srv] = false;
  unsigned n = unsigned(std::count(up.begin(), up.end(), true));
  bool wasLeader = leaderSrv == int(srv);
  CoordEvent e = event(CoordEvent::ServerDown);
  e.server = int(srv);
  e.n = n;
  e.led = wasLeader;
  out.push_back(std::move(e));
  for (uint32_t m = 0; m < members.size(); ++m)
    if (members[m].session >= 0 && sessions[members[m].session].server == int(srv))
      disconnect(now, m, CoordEvent::ServerGone, out);
  if (!hasQuorum()) {
    if (leaderSrv >= 0) {
      CoordEvent q = event(CoordEvent::NoQuorum);
      q.n = n;
      out.push_back(std::move(q));
      loseLeader(now, out);
    }
    return;
  }
  if (wasLeader) {
    loseLeader(now, out);
    schedule(now + cfg.leaderElection, Op::ElectLeader, 0);
  }
}

void Coordination::serverUp(Instant now, unsigned srv, std::vector<CoordEvent> &out) {
  if (srv >= cfg.servers || up[srv])
    return;
  up[srv] = true;
  CoordEvent e = event(CoordEvent::ServerUp);
  e.server = int(srv);
  out.push_back(std::move(e));
  if (leaderSrv < 0 && hasQuorum())
    schedule(now + cfg.leaderElection, Op::ElectLeader, 0);
}

void Coordination::onWake(Instant now, std::vector<CoordEvent> &out) {
  for (;;) {
    // The earliest due operation, or session expiry, in a fixed order.
    size_t op = ops.size();
    for (size_t k = 0; k < ops.size(); ++k)
      if (ops[k].at <= now &&
          (op == ops.size() || ops[k].at < ops[op].at ||
           (ops[k].at == ops[op].at && ops[k].order < ops[op].order)))
        op = k;
    int sid = -1;
    Instant sat = Never;
    for (size_t k = 0; k < sessions.size(); ++k) {
      Instant t = expiryOf(sessions[k]);
      if (t <= now && t < sat) {
        sat = t;
        sid = int(k);
      }
    }
    if (op == ops.size() && sid < 0)
      return;
    if (sid >= 0 && (op == ops.size() || sat <= ops[op].at)) {
      expire(now, sid, false, out);
      continue;
    }
    Op o = ops[op];
    ops.erase(ops.begin() + long(op));
    Member *mb = o.kind == Op::ElectLeader ? nullptr : &members[o.member];
    switch (o.kind) {
    case Op::Connect:
      if (!mb->up)
        break;
      if (mb->session >= 0 && !sessions[mb->session].open) {
        out.push_back(event(CoordEvent::SessionLost, o.member));
        openSession(now, o.member, out);
      } else {
        connect(now, o.member, out);
      }
      break;
    case Op::Create: {
      if (!live(o.member))
        break;
      Candidacy &c = mb->runs[o.run];
      if (!c.node.empty() && znodes.count(c.node)) {
        check(now, o.member, o.run, out);
        break;
      }
      const CoordinationConfig::Election &e = cfg.elections[c.election];
      char name[32];
      std::snprintf(name, sizeof name, "/n_%010u", sequence[e.path]++);
      c.node = e.path + name;
      znodes[c.node] = mb->session;
      c.state = Run::Checking;
      CoordEvent ev = event(CoordEvent::Created, o.member);
      ev.election = c.election;
      ev.path = c.node;
      out.push_back(std::move(ev));
      schedule(now + cfg.opLatency, Op::Check, o.member, o.run);
      break;
    }
    case Op::Check:
      check(now, o.member, o.run, out);
      break;
    case Op::Register: {
      if (!live(o.member))
        break;
      const CoordinationConfig::Service &s = cfg.services[mb->services[o.run]];
      std::string node = s.path + "/" + mb->name;
      if (znodes.count(node))
        break;
      znodes[node] = mb->session;
      CoordEvent ev = event(CoordEvent::Registered, o.member);
      ev.path = node;
      out.push_back(std::move(ev));
      break;
    }
    case Op::ElectLeader: {
      if (leaderSrv >= 0 || !hasQuorum())
        break;
      for (int k = int(cfg.servers) - 1; k >= 0; --k)
        if (up[k]) {
          leaderSrv = k;
          break;
        }
      if (lastSrvLeader >= 0 && lastSrvLeader != leaderSrv)
        ++srvChanges;
      lastSrvLeader = leaderSrv;
      CoordEvent ev = event(CoordEvent::ServerLeads);
      ev.server = leaderSrv;
      out.push_back(std::move(ev));
      for (Session &s : sessions)
        if (s.open)
          s.lastHeard = now;
      for (uint32_t m = 0; m < members.size(); ++m)
        if (members[m].up)
          schedule(now + cfg.opLatency, Op::Connect, m);
      break;
    }
    }
  }
}

Instant Coordination::nextWakeup() const {
  Instant t = Never;
  for (const Op &o : ops)
    t = std::min(t, o.at);
  for (const Session &s : sessions)
    t = std::min(t, expiryOf(s));
  return t;
}

int Coordination::leader(uint32_t election) const {
  for (uint32_t m = 0; m < members.size(); ++m)
    if (live(m))
      for (const Candidacy &c : members[m].runs)
        if (c.election == election && c.state == Run::Leading)
          return int(m);
  return -1;
}

unsigned Coordination::leaderCount(uint32_t election) const {
  unsigned n = 0;
  for (uint32_t m = 0; m < members.size(); ++m)
    if (live(m))
      for (const Candidacy &c : members[m].runs)
        n += c.election == election && c.state == Run::Leading;
  return n;
}

unsigned Coordination::registered(uint32_t service) const {
  std::string prefix = cfg.services[service].path + "/";
  unsigned n = 0;
  for (auto it = znodes.lower_bound(prefix);
       it != znodes.end() && llvm::StringRef(it->first).startswith(prefix); ++it)
    ++n;
  return n;
}

} // namespace infrac::runtime

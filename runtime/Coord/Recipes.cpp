//===- Recipes.cpp - ZooKeeper recipes as client state machines ----------===//
#include "Coord/Recipes.h"

#include <algorithm>

namespace infrac::runtime::zk {

std::vector<std::string> ancestorsAndSelf(const std::string &path) {
  std::vector<std::string> out;
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/')
      out.push_back(path.substr(0, i));
  return out;
}

Reply execute(ZnodeTree &tree, Instant now, SessionId s, WatcherId w, const Request &r) {
  Reply out;
  out.tag = r.tag;
  switch (r.kind) {
  case Request::Create: {
    CreateResult c = tree.create(now, s, r.path, r.data, r.mode);
    out.err = c.err, out.path = std::move(c.path), out.stat = c.stat;
    break;
  }
  case Request::Delete:
    out.err = tree.remove(now, s, r.path, r.version);
    break;
  case Request::Exists: {
    StatResult e = tree.exists(now, s, r.path, r.watch ? w : NoWatch);
    out.err = e.err, out.stat = e.stat;
    break;
  }
  case Request::GetChildren: {
    ChildrenResult c = tree.getChildren(now, s, r.path, r.watch ? w : NoWatch);
    out.err = c.err, out.children = std::move(c.children), out.stat = c.stat;
    break;
  }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// LeaderElection
//===----------------------------------------------------------------------===//

LeaderElection::LeaderElection(Config c) : cfg(std::move(c)) {
  assert(!cfg.path.empty() && cfg.path[0] == '/' && "an election path is absolute");
}

int64_t LeaderElection::sequenceOf(const std::string &name) {
  if (name.size() < 10)
    return -1;
  int64_t v = 0;
  for (size_t i = name.size() - 10; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9')
      return -1;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

Request LeaderElection::make(Request::Kind k, std::string path) {
  Request r;
  r.kind = k;
  r.path = std::move(path);
  r.tag = nextTag++;
  return r;
}

Actions &LeaderElection::finish(Actions &a) {
  bool now = leading();
  if (now && !wasLeading)
    a.becameLeader = true;
  if (!now && wasLeading)
    a.lostLeadership = true;
  wasLeading = now;
  return a;
}

void LeaderElection::ensurePath(Actions &a) {
  state = State::EnsuringPath;
  pathTags.clear();
  for (std::string &p : ancestorsAndSelf(cfg.path)) {
    Request r = make(Request::Create, std::move(p));
    pathTags.push_back(r.tag);
    a.requests.push_back(std::move(r));
  }
  awaiting = pathTags.back();
}

void LeaderElection::create(Actions &a) {
  state = State::Creating;
  mine.clear();
  pred.clear();
  Request r = make(Request::Create, cfg.path + "/" + cfg.prefix);
  r.data = cfg.data;
  r.mode = CreateMode::EphemeralSequential;
  awaiting = r.tag;
  a.requests.push_back(std::move(r));
}

void LeaderElection::list(Actions &a) {
  state = State::Listing;
  pred.clear();
  Request r = make(Request::GetChildren, cfg.path);
  r.watch = cfg.herd;
  awaiting = r.tag;
  a.requests.push_back(std::move(r));
}

Actions LeaderElection::start() {
  Actions a;
  connected = true;
  mine.clear();
  pred.clear();
  ensurePath(a);
  return finish(a);
}

Actions LeaderElection::stop() {
  Actions a;
  if (!mine.empty() && state != State::Expired)
    a.requests.push_back(make(Request::Delete, mine));
  state = State::Idle;
  mine.clear();
  pred.clear();
  awaiting = 0;
  return finish(a);
}

Actions LeaderElection::onReply(const Reply &r) {
  Actions a;
  if (r.tag != awaiting || awaiting == 0)
    return a; // an earlier round's, or an ancestor's create
  if (!connected || r.err == Error::ConnectionLoss || r.err == Error::SessionExpired ||
      r.err == Error::OperationTimeout) {
    // Retried on reconnection (onSession), or ended by the expiry.
    return finish(a);
  }
  switch (state) {
  case State::EnsuringPath:
    if (r.err == Error::Ok || r.err == Error::NodeExists)
      create(a);
    break;
  case State::Creating:
    if (r.err == Error::Ok) {
      mine = r.path;
      list(a);
    } else if (r.err == Error::NoNode) {
      ensurePath(a); // the election's parent went away
    }
    break;
  case State::Listing: {
    if (r.err == Error::NoNode) {
      ensurePath(a);
      break;
    }
    if (r.err != Error::Ok)
      break;
    std::string prefix = cfg.path + "/";
    if (mine.empty()) {
      // A create whose reply was lost: find the znode by the member's prefix.
      for (const std::string &c : r.children)
        if (c.compare(0, cfg.prefix.size(), cfg.prefix) == 0 && sequenceOf(c) >= 0)
          mine = prefix + c;
      if (mine.empty()) {
        create(a);
        break;
      }
    }
    std::string me = mine.substr(prefix.size());
    int64_t mySeq = sequenceOf(me);
    if (std::find(r.children.begin(), r.children.end(), me) == r.children.end()) {
      create(a); // our znode is gone (deleted by someone, or a stale session)
      break;
    }
    // The predecessor: the largest sequence number below ours.
    const std::string *best = nullptr;
    int64_t bestSeq = -1;
    for (const std::string &c : r.children) {
      int64_t s = sequenceOf(c);
      if (s >= 0 && s < mySeq && s > bestSeq)
        best = &c, bestSeq = s;
    }
    if (!best) {
      state = State::Leading;
      awaiting = 0;
      break;
    }
    state = State::Watching;
    if (cfg.herd) {
      pred = cfg.path; // The list set the watch on the children.
      awaiting = 0;
      break;
    }
    pred = prefix + *best;
    Request ex = make(Request::Exists, pred);
    ex.watch = true;
    awaiting = ex.tag;
    a.requests.push_back(std::move(ex));
    break;
  }
  case State::Watching:
    if (r.err == Error::NoNode)
      list(a); // gone before the watch was set
    else
      awaiting = 0; // the watch is set; wait for it
    break;
  default:
    break;
  }
  return finish(a);
}

Actions LeaderElection::onWatch(EventType type, const std::string &path) {
  Actions a;
  if (state == State::Watching && path == pred && type != EventType::None)
    list(a);
  return finish(a);
}

Actions LeaderElection::onSession(SessionEvent e) {
  Actions a;
  switch (e) {
  case SessionEvent::Disconnected:
    connected = false;
    break;
  case SessionEvent::Connected:
    if (connected)
      break;
    connected = true;
    // What was in flight may be lost: check again from what is known.
    if (state == State::EnsuringPath)
      ensurePath(a);
    else if (state == State::Creating || state == State::Listing ||
             state == State::Watching || state == State::Leading)
      list(a);
    break;
  case SessionEvent::Expired:
    connected = false;
    state = State::Expired;
    mine.clear();
    pred.clear();
    awaiting = 0;
    break;
  }
  return finish(a);
}

//===----------------------------------------------------------------------===//
// ServiceRegistration
//===----------------------------------------------------------------------===//

ServiceRegistration::ServiceRegistration(Config c) : cfg(std::move(c)) {
  assert(!cfg.path.empty() && cfg.path[0] == '/' && "a registry path is absolute");
  assert(!cfg.name.empty() && "a registration has a name");
}

Request ServiceRegistration::make(Request::Kind k, std::string path) {
  Request r;
  r.kind = k;
  r.path = std::move(path);
  r.tag = nextTag++;
  return r;
}

void ServiceRegistration::ensurePath(Actions &a) {
  state = State::EnsuringPath;
  pathTags.clear();
  for (std::string &p : ancestorsAndSelf(cfg.path)) {
    Request r = make(Request::Create, std::move(p));
    pathTags.push_back(r.tag);
    a.requests.push_back(std::move(r));
  }
  awaiting = pathTags.back();
}

void ServiceRegistration::create(Actions &a) {
  state = State::Creating;
  Request r = make(Request::Create, node());
  r.data = cfg.data;
  r.mode = CreateMode::Ephemeral;
  awaiting = r.tag;
  a.requests.push_back(std::move(r));
}

Actions ServiceRegistration::start() {
  Actions a;
  ensurePath(a);
  return a;
}

Actions ServiceRegistration::stop() {
  Actions a;
  if (state == State::Registered) {
    a.requests.push_back(make(Request::Delete, node()));
    a.unregistered = true;
  }
  state = State::Idle;
  awaiting = 0;
  return a;
}

Actions ServiceRegistration::onReply(const Reply &r) {
  Actions a;
  if (r.tag != awaiting || awaiting == 0)
    return a;
  if (r.err == Error::ConnectionLoss || r.err == Error::SessionExpired ||
      r.err == Error::OperationTimeout)
    return a;
  switch (state) {
  case State::EnsuringPath:
    if (r.err == Error::Ok || r.err == Error::NodeExists)
      create(a);
    break;
  case State::Creating:
    if (r.err == Error::Ok) {
      state = State::Registered;
      awaiting = 0;
      a.registered = true;
    } else if (r.err == Error::NodeExists) {
      // Left by an earlier session (or ours, if a reply was lost): look.
      state = State::WaitingOutOld;
      Request ex = make(Request::Exists, node());
      ex.watch = true;
      awaiting = ex.tag;
      a.requests.push_back(std::move(ex));
    } else if (r.err == Error::NoNode) {
      ensurePath(a);
    }
    break;
  case State::WaitingOutOld:
    if (r.err == Error::NoNode) {
      create(a);
    } else if (r.err == Error::Ok && session != 0 && r.stat.ephemeralOwner == session) {
      state = State::Registered;
      awaiting = 0;
      a.registered = true;
    } else {
      awaiting = 0; // wait for the old one to go
    }
    break;
  default:
    break;
  }
  return a;
}

Actions ServiceRegistration::onWatch(EventType type, const std::string &path) {
  Actions a;
  if (state == State::WaitingOutOld && path == node() && type == EventType::NodeDeleted)
    create(a);
  return a;
}

Actions ServiceRegistration::onSession(SessionEvent e, SessionId s) {
  Actions a;
  switch (e) {
  case SessionEvent::Disconnected:
    break;
  case SessionEvent::Connected:
    if (s)
      session = s;
    if (state == State::EnsuringPath)
      ensurePath(a);
    else if (state == State::Creating || state == State::WaitingOutOld)
      create(a);
    break;
  case SessionEvent::Expired:
    if (state == State::Registered)
      a.unregistered = true;
    state = State::Expired;
    awaiting = 0;
    break;
  }
  return a;
}

} // namespace infrac::runtime::zk

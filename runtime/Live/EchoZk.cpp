//===- EchoZk.cpp - The echo app's ZooKeeper member -----------------------===//
//
// One thread per member runs the recipe with the C client's synchronous
// calls; the client's watcher (on its own thread) only records the session
// state and wakes the member, which then looks again.
//
//===----------------------------------------------------------------------===//

#include "EchoZk.h"

#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace infrac::live {

struct ZkMember::Impl {
  ZkMemberConfig cfg;
  mutable std::mutex mu;
  std::condition_variable cv;
  int session = 0;   ///< The client's last session state (ZOO_*_STATE).
  bool kicked = false;
  bool stopping = false;
  ZkMemberState st;
  std::thread thread;

  static void watcher(zhandle_t *, int type, int state, const char *, void *ctx) {
    auto *m = static_cast<Impl *>(ctx);
    std::lock_guard<std::mutex> g(m->mu);
    if (type == ZOO_SESSION_EVENT) {
      m->session = state;
      m->st.connected = state == ZOO_CONNECTED_STATE;
      if (!m->st.connected)
        m->st.leading = false; // Suspended: not the leader until it knows again.
    }
    m->kicked = true;
    m->cv.notify_all();
  }

  /// Waits for a watcher event (or `ms`); false when stopping.
  bool wait(int ms) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::milliseconds(ms), [&] { return kicked || stopping; });
    kicked = false;
    return !stopping;
  }
  int sessionState() {
    std::lock_guard<std::mutex> g(mu);
    return session;
  }
  void setLeading(bool on, const std::string &znode) {
    std::lock_guard<std::mutex> g(mu);
    st.leading = on && st.connected;
    st.znode = znode;
  }

  /// Creates every missing parent of `path` (persistent, empty).
  static void ensurePath(zhandle_t *zh, const std::string &path) {
    for (size_t at = path.find('/', 1);; at = path.find('/', at + 1)) {
      std::string prefix = path.substr(0, at);
      zoo_create(zh, prefix.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
      if (at == std::string::npos)
        return;
    }
  }

  /// One session: register, stand, and lead or watch until it ends.
  void runSession(zhandle_t *zh) {
    // Connected, within the session timeout, or give up on this session.
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(cfg.sessionTimeoutMs);
    while (sessionState() != ZOO_CONNECTED_STATE) {
      if (!wait(50) || std::chrono::steady_clock::now() > deadline ||
          sessionState() == ZOO_EXPIRED_SESSION_STATE)
        return;
    }
    {
      std::lock_guard<std::mutex> g(mu);
      ++st.sessions;
    }
    if (!cfg.registryPath.empty()) {
      ensurePath(zh, cfg.registryPath);
      std::string me = cfg.registryPath + "/" + cfg.id;
      zoo_create(zh, me.c_str(), cfg.id.data(), int(cfg.id.size()), &ZOO_OPEN_ACL_UNSAFE,
                 ZOO_EPHEMERAL, nullptr, 0);
    }
    if (cfg.electionPath.empty()) {
      while (wait(1000) && sessionState() != ZOO_EXPIRED_SESSION_STATE) {
      }
      return;
    }
    ensurePath(zh, cfg.electionPath);
    char created[512];
    std::string prefix = cfg.electionPath + "/n_";
    int rc = ZCONNECTIONLOSS;
    while (rc != ZOK) {
      rc = zoo_create(zh, prefix.c_str(), cfg.id.data(), int(cfg.id.size()),
                      &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE, created,
                      sizeof created);
      if (rc != ZOK && (!wait(100) || sessionState() == ZOO_EXPIRED_SESSION_STATE))
        return;
    }
    std::string mine = created;
    std::string name = mine.substr(cfg.electionPath.size() + 1);
    for (;;) {
      if (sessionState() == ZOO_EXPIRED_SESSION_STATE)
        return;
      if (sessionState() != ZOO_CONNECTED_STATE) {
        setLeading(false, mine);
        if (!wait(1000))
          return;
        continue;
      }
      String_vector kids{};
      rc = zoo_get_children(zh, cfg.electionPath.c_str(), 0, &kids);
      if (rc != ZOK) {
        if (!wait(100))
          return;
        continue;
      }
      std::vector<std::string> names(kids.data, kids.data + kids.count);
      deallocate_String_vector(&kids);
      std::sort(names.begin(), names.end()); // One prefix: the sequence orders them.
      auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end())
        return; // Its znode is gone: the session ended under it.
      if (it == names.begin()) {
        setLeading(true, mine);
        if (!wait(1000))
          return;
        continue;
      }
      setLeading(false, mine);
      // Watch only the predecessor; gone already: look again at once.
      std::string before = cfg.electionPath + "/" + *(it - 1);
      Stat stat;
      rc = zoo_wexists(zh, before.c_str(), watcher, this, &stat);
      if (rc == ZNONODE)
        continue;
      if (!wait(1000))
        return;
    }
  }

  void run() {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    while (true) {
      {
        std::lock_guard<std::mutex> g(mu);
        if (stopping)
          return;
        session = 0;
      }
      zhandle_t *zh =
          zookeeper_init(cfg.connect.c_str(), watcher, cfg.sessionTimeoutMs, nullptr, this, 0);
      if (zh) {
        runSession(zh);
        setLeading(false, "");
        zookeeper_close(zh);
      }
      if (!wait(100))
        return;
    }
  }
};

ZkMember::ZkMember(ZkMemberConfig cfg) : impl(std::make_unique<Impl>()) {
  impl->cfg = std::move(cfg);
  impl->thread = std::thread([this] { impl->run(); });
}

ZkMember::~ZkMember() { stop(); }

void ZkMember::stop() {
  {
    std::lock_guard<std::mutex> g(impl->mu);
    impl->stopping = true;
    impl->cv.notify_all();
  }
  if (impl->thread.joinable())
    impl->thread.join();
}

ZkMemberState ZkMember::state() const {
  std::lock_guard<std::mutex> g(impl->mu);
  return impl->st;
}

} // namespace infrac::live

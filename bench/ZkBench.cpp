//===- ZkBench.cpp - infrac-zkbench: the embedded ensemble beside a real one --===//
//
//   infrac-zkbench [--seconds S] [--connections N] [--trials T] [--tick MS]
//
// Starts infrac-zk and a real three-server ZooKeeper ensemble (Debian's
// zookeeper, tests/zk/zk_ensemble.py) at the same tick, then measures on both
// in one run, with the ZooKeeper C client:
//   - operations per second of create, getData, setData and getChildren over
//     N connections (32), each a thread making synchronous calls for S s;
//   - failover: member processes run the election recipe (an
//     ephemeral-sequential znode, the lowest leads, each watches its
//     predecessor) with a session of 2 ticks; the leader member is SIGKILLed
//     (at a phase of the tick that varies from trial to trial), and the time
//     until the next member reports that it leads is measured.
// Prints figures; asserts nothing.
//
//   infrac-zkbench --member HOSTS PATH TIMEOUT_MS   (one member, internal)
//
//===----------------------------------------------------------------------===//
#include "ZkTestSupport.h"

#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <time.h>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using zktest::Backend;
using zktest::Client;

namespace {

int64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Options {
  double seconds = 2.0;
  int connections = 32;
  int trials = 5;
  int tickMs = 200;
};

//===----------------------------------------------------------------------===//
// Operations per second
//===----------------------------------------------------------------------===//

enum class Phase { Create, GetData, SetData, GetChildren };
const char *phaseName(Phase p) {
  switch (p) {
  case Phase::Create: return "create";
  case Phase::GetData: return "getData";
  case Phase::SetData: return "setData";
  case Phase::GetChildren: return "getChildren";
  }
  return "?";
}

struct OpsResult {
  double perSecond[4] = {0, 0, 0, 0};
  long errors = 0;
};

OpsResult measureOps(const Backend &b, const Options &o) {
  OpsResult res;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < o.connections; ++i) {
    clients.push_back(std::make_unique<Client>(b.connect, 4000));
  }
  for (auto &c : clients)
    if (!c->waitConnected(30s)) {
      std::fprintf(stderr, "a connection to %s failed\n", b.connect.c_str());
      return res;
    }
  zhandle_t *zh0 = clients[0]->zh;
  zoo_create(zh0, "/bench", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
  for (int i = 0; i < o.connections; ++i) {
    std::string base = "/bench/c" + std::to_string(i);
    zoo_create(zh0, base.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    zoo_create(zh0, (base + "/kids").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    for (int k = 0; k < 10; ++k)
      zoo_create(zh0, (base + "/kids/k" + std::to_string(k)).c_str(), "", 0,
                 &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
  }
  std::vector<long> created(o.connections, 0);
  std::atomic<long> errors{0};
  const char payload[] = "0123456789abcdef";
  for (Phase ph : {Phase::Create, Phase::GetData, Phase::SetData, Phase::GetChildren}) {
    std::atomic<long> total{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    Clock::time_point start;
    for (int i = 0; i < o.connections; ++i) {
      threads.emplace_back([&, i] {
        zhandle_t *zh = clients[i]->zh;
        std::string base = "/bench/c" + std::to_string(i);
        while (!go.load())
          std::this_thread::yield();
        Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(o.seconds));
        long n = 0;
        char buf[64];
        while (Clock::now() < end) {
          int rc = ZOK;
          std::string node = base + "/n" + std::to_string(created[i] ? n % created[i] : 0);
          switch (ph) {
          case Phase::Create: {
            std::string p = base + "/n" + std::to_string(n);
            rc = zoo_create(zh, p.c_str(), payload, 16, &ZOO_OPEN_ACL_UNSAFE, 0, buf, sizeof buf);
            break;
          }
          case Phase::GetData: {
            int len = sizeof buf;
            rc = zoo_get(zh, node.c_str(), 0, buf, &len, nullptr);
            break;
          }
          case Phase::SetData:
            rc = zoo_set(zh, node.c_str(), payload, 16, -1);
            break;
          case Phase::GetChildren: {
            String_vector v{};
            rc = zoo_get_children(zh, (base + "/kids").c_str(), 0, &v);
            deallocate_String_vector(&v);
            break;
          }
          }
          if (rc != ZOK)
            ++errors;
          ++n;
        }
        if (ph == Phase::Create)
          created[i] = n;
        total += n;
      });
    }
    start = Clock::now();
    go = true;
    for (auto &t : threads)
      t.join();
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    res.perSecond[int(ph)] = double(total.load()) / secs;
  }
  res.errors = errors.load();
  return res;
}

//===----------------------------------------------------------------------===//
// Failover
//===----------------------------------------------------------------------===//

/// One election member: says "follower" while it waits on its predecessor
/// and "leader NS" (CLOCK_MONOTONIC) when it becomes the lowest.
int member(const char *hosts, const std::string &path, int timeoutMs) {
  Client c(hosts, timeoutMs);
  if (!c.waitConnected(30s))
    return 1;
  zoo_create(c.zh, path.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
  char mine[256];
  if (zoo_create(c.zh, (path + "/m_").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE,
                 ZOO_EPHEMERAL_SEQUENTIAL, mine, sizeof mine) != ZOK)
    return 2;
  std::string me = std::string(mine).substr(path.size() + 1);
  bool saidFollower = false;
  for (;;) {
    String_vector v{};
    if (zoo_get_children(c.zh, path.c_str(), 0, &v) != ZOK)
      return 3;
    std::vector<std::string> kids(v.data, v.data + v.count);
    deallocate_String_vector(&v);
    std::sort(kids.begin(), kids.end());
    auto it = std::find(kids.begin(), kids.end(), me);
    if (it == kids.end())
      return 4; // our znode is gone: the session expired
    if (it == kids.begin()) {
      std::printf("leader %lld\n", (long long)monotonicNs());
      std::fflush(stdout);
      // Leads until it is killed or its stdin closes.
      char line[16];
      while (std::fgets(line, sizeof line, stdin))
        ;
      return 0;
    }
    std::string pred = path + "/" + *(it - 1);
    if (zoo_exists(c.zh, pred.c_str(), 1, nullptr) == ZNONODE)
      continue;
    if (!saidFollower) {
      std::printf("follower\n");
      std::fflush(stdout);
      saidFollower = true;
    }
    c.waitEvent(ZOO_DELETED_EVENT, pred, 3600s);
  }
}

std::vector<double> measureFailover(const Backend &b, const Options &o, const char *self) {
  int timeoutMs = 2 * o.tickMs;
  std::string path = "/bench-election";
  std::vector<double> out;
  auto spawn = [&] {
    auto m = std::make_unique<zktest::Child>();
    m->spawn({self, "--member", b.connect, path, std::to_string(timeoutMs)});
    return m;
  };
  std::unique_ptr<zktest::Child> leader = spawn();
  std::string l = leader->readLine();
  if (l.rfind("leader", 0) != 0) {
    std::fprintf(stderr, "the first member did not lead: '%s'\n", l.c_str());
    return out;
  }
  for (int t = 0; t < o.trials; ++t) {
    std::unique_ptr<zktest::Child> next = spawn();
    if (next->readLine() != "follower") {
      std::fprintf(stderr, "the next member did not follow\n");
      return out;
    }
    // Let the follower's session settle into its ping rhythm, then kill at a
    // point of the tick that moves from trial to trial (the same points for
    // both backends): each takeover ends on a tick boundary, and a fixed
    // delay would kill every time at the same phase of the tick.
    double phase = std::fmod(0.13 + 0.618034 * t, 1.0);
    std::this_thread::sleep_for(
        std::chrono::microseconds(int64_t((3 + phase) * o.tickMs * 1000)));
    int64_t t0 = monotonicNs();
    leader->signal(SIGKILL);
    std::string line = next->readLine();
    if (line.rfind("leader ", 0) != 0) {
      std::fprintf(stderr, "no takeover: '%s'\n", line.c_str());
      return out;
    }
    int64_t t1 = std::atoll(line.c_str() + 7);
    out.push_back(double(t1 - t0) / 1e9);
    leader->finish(1s);
    leader = std::move(next);
  }
  leader->finish(1s);
  return out;
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

} // namespace

int main(int argc, char **argv) {
  zoo_set_debug_level(ZooLogLevel(0));
  if (argc == 5 && std::string(argv[1]) == "--member")
    return member(argv[2], argv[3], std::atoi(argv[4]));
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds")
      o.seconds = std::atof(argv[i + 1]);
    else if (a == "--connections")
      o.connections = std::atoi(argv[i + 1]);
    else if (a == "--trials")
      o.trials = std::atoi(argv[i + 1]);
    else if (a == "--tick")
      o.tickMs = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: infrac-zkbench [--seconds S] [--connections N] "
                           "[--trials T] [--tick MS]\n");
      return 2;
    }
  }
  Backend embedded, real;
  if (!embedded.start("embedded", INFRAC_ZK_BINARY, INFRAC_ZK_ENSEMBLE_SCRIPT, o.tickMs) ||
      !real.start("real", INFRAC_ZK_BINARY, INFRAC_ZK_ENSEMBLE_SCRIPT, o.tickMs)) {
    std::fprintf(stderr, "cannot start the backends\n");
    return 1;
  }
  std::printf("tick %d ms, session timeout %d ms, %d connections, %.1f s per operation\n",
              o.tickMs, 2 * o.tickMs, o.connections, o.seconds);
  OpsResult e = measureOps(embedded, o);
  OpsResult r = measureOps(real, o);
  std::printf("\n%-12s %14s %14s %8s\n", "ops/s", "embedded", "real (3 JVMs)", "ratio");
  for (Phase ph : {Phase::Create, Phase::GetData, Phase::SetData, Phase::GetChildren})
    std::printf("%-12s %14.0f %14.0f %7.2fx\n", phaseName(ph), e.perSecond[int(ph)],
                r.perSecond[int(ph)],
                r.perSecond[int(ph)] > 0 ? e.perSecond[int(ph)] / r.perSecond[int(ph)] : 0.0);
  std::printf("errors: embedded %ld, real %ld\n", e.errors, r.errors);

  std::vector<double> fe = measureFailover(embedded, o, "/proc/self/exe");
  std::vector<double> fr = measureFailover(real, o, "/proc/self/exe");
  auto list = [](const std::vector<double> &v) {
    std::string s;
    for (double x : v) {
      char b[16];
      std::snprintf(b, sizeof b, "%s%.3f", s.empty() ? "" : " ", x);
      s += b;
    }
    return s;
  };
  std::printf("\nfailover (leader member SIGKILLed -> next member leads), seconds\n");
  std::printf("embedded: median %.3f  [%s]\n", median(fe), list(fe).c_str());
  std::printf("real:     median %.3f  [%s]\n", median(fr), list(fr).c_str());
  std::printf("difference of medians: %+.0f ms\n", (median(fe) - median(fr)) * 1000);
  embedded.stop();
  real.stop();
  return 0;
}

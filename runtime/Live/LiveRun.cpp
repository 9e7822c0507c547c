//===- LiveRun.cpp - `infrac run`: the Fabric on the steady clock ---------===//
//
// One control thread runs an io_context with the Fabric's timers, the
// instances' processes, the health probes and the admin API; the proxies'
// event loops call the Fabric (route, finished) from their own threads. One
// mutex guards the Fabric and everything here; the proxies hold none of
// theirs while they call.
//
//===----------------------------------------------------------------------===//

#include "Live/Live.h"

#include "Fabric/Fabric.h"
#include "Fabric/Judge.h"
#include "Live/DataPlane.h"
#include "Live/LoadGen.h"
#include "Live/Dashboard.h"
#include "Live/StatusView.h"
#include "Live/ZkServer.h"
#include "Live/LiveSessions.h"

// g++ 12 needs <utility> before Asio's coroutine headers.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace infrac::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using namespace infrac::runtime;

namespace {

auto ec_(error_code &ec) { return asio::redirect_error(asio::use_awaitable, ec); }

//===----------------------------------------------------------------------===//
// The steady-clock scheduler: the only clock the runtime reads
//===----------------------------------------------------------------------===//

class LiveScheduler final : public Scheduler {
public:
  LiveScheduler(asio::io_context &io, double scale) : io(io), scale(scale), start(Clock::now()) {}
  /// Called (with the lock held) for each timer that is due.
  std::function<void(const Timer &)> onDue;
  std::recursive_mutex *lock = nullptr;

  Instant now() const override {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    return Instant(double(us) * scale);
  }
  /// The real time of a scaled instant.
  Clock::time_point realAt(Instant at) const {
    return start + std::chrono::microseconds(int64_t(double(at) / scale));
  }
  /// A scaled duration in real time.
  Clock::duration real(Duration d) const {
    return std::chrono::microseconds(std::max<int64_t>(1, int64_t(double(d) / scale)));
  }
  TimerId runAt(Instant at, Timer t) override {
    TimerId id = next++;
    auto timer = std::make_unique<asio::steady_timer>(io);
    timer->expires_at(realAt(at));
    timer->async_wait([this, id, t](error_code ec) {
      if (ec)
        return;
      std::lock_guard<std::recursive_mutex> g(*lock);
      if (!timers.erase(id))
        return; // Cancelled meanwhile.
      onDue(t);
    });
    timers.emplace(id, std::move(timer));
    return id;
  }
  void cancel(TimerId id) override {
    auto it = timers.find(id);
    if (it == timers.end())
      return;
    it->second->cancel();
    timers.erase(it);
  }
  void clear() { timers.clear(); }

private:
  asio::io_context &io;
  double scale;
  Clock::time_point start;
  TimerId next = 1;
  std::unordered_map<TimerId, std::unique_ptr<asio::steady_timer>> timers;
};

/// A free port on 127.0.0.1 (bound and released: the caller binds it next).
uint16_t freePort(asio::io_context &io) {
  tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return a.local_endpoint().port();
}

std::string json(const llvm::json::Value &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << v;
  return os.str();
}

/// AWSALB's value: every sticky slot the client holds, tamper-evident
/// ("slot:instance:expiry" entries, then a keyed FNV-1a of them).
uint64_t fnv(llvm::StringRef s, uint64_t key) {
  uint64_t h = 1469598103934665603ULL ^ key;
  for (char c : s)
    h = (h ^ uint8_t(c)) * 1099511628211ULL;
  return h;
}

//===----------------------------------------------------------------------===//
// The runtime
//===----------------------------------------------------------------------===//

/// The shell's own timers (the Fabric's kinds are FabricTimerBase and up).
enum LiveTimer : uint32_t {
  LtScenarioEvent, ///< id: the scenario's event.
  LtSample,        ///< The judge's periodic look.
  LtScenarioEnd,
};
static_assert(LtScenarioEnd < FabricTimerBase, "the shell's timers are below the Fabric's");

/// Timed expectations are judged at least this often (scenario time).
constexpr Duration SampleEvery = seconds(1);
/// The scenario's loads together send at most this many requests per real
/// second: beyond, this machine would measure itself, not the design.
constexpr double MaxRealRate = 2000;
/// The event log keeps this many lines for GET /v1/events.
constexpr size_t EventLogSize = 10000;

class LiveRuntime final : public Host, public HttpControl, public TcpControl {
public:
  LiveRuntime(const Plan &plan, const RunOptions &opts)
      : plan(plan), opts(opts), sched(ctl, opts.timeScale),
        trace(sched, opts.statusView ? nullptr : opts.log, nullptr),
        signals(ctl, SIGINT, SIGTERM, SIGHUP), children(ctl, SIGCHLD) {
    sched.lock = &mu;
    sched.onDue = [this](const Timer &t) { onDue(t); };
    trace.onNote = [this](Instant at, llvm::StringRef who, llvm::StringRef what) {
      noted(at, who, what);
    };
    cookieKey = uint64_t(::getpid()) * 0x9e3779b97f4a7c15ULL ^ uint64_t(Clock::now().time_since_epoch().count());
  }

  int run();

  // Host.
  void launch(uint32_t slot, bool prewarmed) override;
  unsigned cutRequests(uint32_t instance, uint32_t tg, int status) override;
  void probe(uint32_t tg, uint32_t index, uint32_t instance) override;
  void stopWhenIdle(uint32_t instance) override;
  unsigned inFlight(uint32_t instance) override;
  void terminate(uint32_t instance, bool abrupt) override;
  InstanceSample sample(uint32_t instance) override;
  void knobsChanged(uint32_t instance) override;
  void storeKilled(uint32_t store) override { trace.note("elasticache", sessions->killStore(store)); }

  // HttpControl, TcpControl (proxy threads).
  HttpRoute route(uint32_t listener, const HttpRequestInfo &request) override;
  void finished(const HttpOutcome &outcome) override;
  std::optional<TcpPick> pickTarget(uint32_t listener, const Flow &flow) override;
  void closed(const TcpOutcome &outcome) override;

private:
  struct Proc {
    uint32_t id = 0;
    pid_t pid = -1;
    uint16_t port = 0, controlPort = 0;
    /// The design's other ports of the instance (target groups' traffic and
    /// health ports) -> where they are here (PORT_<n> in its environment).
    std::map<int64_t, uint16_t> ports;
    /// Where the design's `port` is here (the app's own port: PORT).
    uint16_t local(int64_t designPort) const {
      auto it = ports.find(designPort);
      return it == ports.end() ? port : it->second;
    }
    bool exited = false, stopping = false;
    double cpu = 2;
    bool leading = false; ///< The echo app's election says it leads.
  };
  struct ListenerRt {
    uint32_t lb = 0, listener = 0;
    uint16_t port = 0; ///< Where it listens here.
    bool tls = false, network = false, udp = false;
    std::string url;
  };

  static TargetKey keyOf(uint32_t tg, uint32_t index) { return TargetKey(tg) << 32 | index; }
  Proc *proc(uint32_t id) {
    uint32_t slot = fabric->slotOf(id);
    return slot < procs.size() ? &procs[slot] : nullptr;
  }
  ClientCookies decodeCookies(llvm::ArrayRef<Cookie> cookies) const;
  std::string encodeSticky(const ClientCookies &c) const;
  void spawn(Proc &p, const AsgPlan &g, const InstanceRt &fi);
  void reap();
  asio::awaitable<void> waitUntilUp(uint32_t id, uint16_t port);
  asio::awaitable<void> runProbe(uint32_t tg, uint32_t index, uint16_t port, bool httpCheck,
                                 std::string path, Clock::duration timeout);
  asio::awaitable<void> pollIdle(uint32_t id);
  /// One request to an echo instance's control endpoint: its body, or
  /// nothing when it did not answer 200.
  asio::awaitable<std::optional<std::string>> control(uint16_t port, http::verb method,
                                                      std::string body);
  /// The echo instances' reports (CPU figure for the metric tick, whether
  /// they lead their election): every second, or every scenario second
  /// while elections are watched.
  asio::awaitable<void> pollApps();
  /// Whether instances of group `asg` are members of election `e` of
  /// ensemble `z` (or, `service`, registered with service `e`).
  bool memberOf(uint32_t asg, uint32_t z, uint32_t e, bool service) const;
  /// The elections' leaders from the members' reports.
  void updateLeaders();
  /// The live answer for metrics of the embedded ensembles; nullopt for others.
  std::optional<double> coordinationMetric(const Operand &o, std::string &shown) const;
  /// An action naming an election's leader acts on the instance that leads.
  ActionPlan resolveLeaders(ActionPlan a) const;
  llvm::json::Array coordinationJson() const;
  asio::awaitable<void> admin(tcp::acceptor acceptor);
  asio::awaitable<void> adminSession(tcp::socket socket);
  std::string status();
  std::string actOn(llvm::StringRef body, unsigned &code);
  void writeReadyFile();
  bool allInService() const;
  void stop();

  // The event log: every timeline line, for GET /v1/events and the view.
  struct Event {
    uint64_t seq = 0;
    Instant at = 0;
    std::string who, what;
  };
  void noted(Instant at, llvm::StringRef who, llvm::StringRef what);
  static std::string eventLine(const Event &e);
  static llvm::json::Value eventJson(const Event &e);
  std::string eventsSince(uint64_t since);
  asio::awaitable<void> eventStream(tcp::socket &socket, uint64_t since, unsigned version);
  /// On a terminal: the status view, redrawn in place.
  asio::awaitable<void> view();

  // The scenario (with --scenario): played from the moment the design is
  // ready, its loads sent for real, judged by the same Judge as `sim`.
  void onDue(const Timer &t);
  void startScenario();
  /// Plays, in order, the events due by `at` (scenario time) not yet played.
  void playDue(Instant at);
  void playEvent(const EventPlan &ev);
  void finishScenario();

  const Plan &plan;
  const RunOptions &opts;
  asio::io_context ctl;
  std::recursive_mutex mu;
  LiveScheduler sched;
  Rng rng{1};
  Trace trace;
  std::unique_ptr<Fabric> fabric;
  std::unique_ptr<DataPlane> dp;
  std::unique_ptr<LiveSessions> sessions; ///< The session stores, the replication peers.
  std::vector<Proc> procs; ///< By the Fabric's slot.
  std::vector<ListenerRt> listeners;
  asio::signal_set signals, children;
  uint16_t adminPort = 0;
  uint64_t cookieKey = 0;
  bool ready = false, stopping = false;
  std::vector<std::unique_ptr<LoadGenerator>> loads; ///< The scenario's, by its loads' order.
  /// The embedded ZooKeeper ensembles, by the plan's ensembles.
  std::vector<std::unique_ptr<ZkEnsembleServer>> zks;
  /// Per ensemble and election: who leads now (as its members say), who led
  /// last, and how often the leader changed.
  struct ElectionRt {
    uint32_t leader = ~0u, last = ~0u;
    int64_t changes = 0;
  };
  std::vector<std::vector<ElectionRt>> elections;
  std::unique_ptr<Judge> judge;
  Instant zero = 0; ///< The scenario's 0 s on the runtime's clock.
  bool scenarioOver = false;
  size_t played = 0; ///< The scenario's events played so far.
  std::deque<Event> events; ///< The newest EventLogSize.
  uint64_t nextEvent = 1;
  /// The event streams' waits (control thread only): cut short by a note.
  std::vector<asio::steady_timer *> eventWaiters;
  int status_ = 0;
};

//===----------------------------------------------------------------------===//
// Instances: processes
//===----------------------------------------------------------------------===//

void LiveRuntime::spawn(Proc &p, const AsgPlan &g, const InstanceRt &fi) {
  p.port = freePort(ctl);
  p.controlPort = freePort(ctl);
  std::vector<std::string> env;
  for (char **e = environ; *e; ++e)
    env.push_back(*e);
  // Every other port the design gives the instance, mapped to a free one.
  int64_t appPort = g.app.port;
  for (uint32_t t : g.targetGroups) {
    const TargetGroupPlan &tp = plan.targetGroups[t];
    if (!appPort)
      appPort = tp.port;
    for (int64_t dp : {tp.port, tp.healthPort})
      if (dp && dp != appPort && !p.ports.count(dp)) {
        p.ports[dp] = freePort(ctl);
        env.push_back("PORT_" + std::to_string(dp) + "=" + std::to_string(p.ports[dp]));
      }
  }
  std::string id = Fabric::instanceName(fi.id);
  env.push_back("PORT=" + std::to_string(p.port));
  env.push_back("CONTROL_PORT=" + std::to_string(p.controlPort));
  env.push_back("INSTANCE_ID=" + id);
  env.push_back("GROUP=" + g.name);
  env.push_back("AZ=" + plan.zones[fi.zone]);
  if (!g.app.healthPath.empty())
    env.push_back("HEALTH_PATH=" + g.app.healthPath);
  // A member of an election or a service of an embedded ensemble: where it is.
  for (uint32_t z = 0; z < zks.size(); ++z) {
    const CoordinationConfig &c = plan.ensembles[z].config;
    bool member = false;
    for (uint32_t e = 0; e < c.elections.size(); ++e)
      if (memberOf(fi.asg, z, e, false) && !member) {
        env.push_back("ZK_ELECTION_PATH=" + c.elections[e].path);
        member = true;
      }
    bool registered = false;
    for (uint32_t e = 0; e < c.services.size(); ++e)
      if (memberOf(fi.asg, z, e, true) && !registered) {
        env.push_back("ZK_REGISTRY_PATH=" + c.services[e].path);
        registered = true;
      }
    if (member || registered) {
      env.push_back("ZK_CONNECT=" + zks[z]->connectString());
      env.push_back("ZK_SESSION_TIMEOUT_MS=" +
                    std::to_string(std::max<int64_t>(1, sched.real(c.sessionTimeout) /
                                                            std::chrono::milliseconds(1))));
      break; // One ensemble per instance.
    }
  }
  auto running = [this](uint32_t other) {
    Proc *q = proc(other);
    return q && q->pid > 0 && !q->exited;
  };
  for (std::string &e : sessions->instanceEnv(fi.asg, fi.id, freePort(ctl), running))
    env.push_back(std::move(e));
  std::vector<std::string> args;
  if (g.app.kind == AppPlan::Command) {
    args = {"/bin/sh", "-c", "exec " + g.app.command};
  } else {
    args = {opts.echoBinary};
    if (g.app.latency)
      args.insert(args.end(), {"--latency-ms", std::to_string(g.app.latency / 1000)});
    if (g.app.errorRate > 0)
      args.insert(args.end(), {"--error-rate", std::to_string(g.app.errorRate)});
  }
  std::vector<char *> argv, envp;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string &e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0); // Its own process group: stopped as a whole.
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    // A command runs from the design's directory (its paths are relative to it).
    if (!opts.workDir.empty() && ::chdir(opts.workDir.c_str()) != 0)
      _exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (pid < 0) {
    trace.note("ec2", id + " could not be started: " + std::strerror(errno));
    return;
  }
  ::setpgid(pid, pid);
  p.pid = pid;
  trace.note("ec2", id + " started as process " + std::to_string(pid) + " on 127.0.0.1:" +
                        std::to_string(p.port));
}

void LiveRuntime::launch(uint32_t slot, bool prewarmed) {
  const InstanceRt &fi = fabric->instances()[slot];
  assert(slot == procs.size() && "instances are launched in slot order");
  procs.emplace_back();
  procs.back().id = fi.id;
  auto boot = [this, id = fi.id] {
    const InstanceRt *in = fabric->instance(id);
    Proc *p = proc(id);
    if (!in || in->terminated || !p || stopping)
      return; // Gone before it booted.
    spawn(*p, plan.asgs[in->asg], *in);
    if (p->pid > 0)
      asio::co_spawn(ctl, waitUntilUp(id, p->port), asio::detached);
  };
  if (!ready)
    return boot(); // The design's first instances: at once.
  // A launch boots as long as on EC2.
  auto t = std::make_shared<asio::steady_timer>(ctl, sched.real(Ec2BootTime));
  t->async_wait([this, t, boot](error_code ec) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!ec)
      boot();
  });
}

asio::awaitable<void> LiveRuntime::waitUntilUp(uint32_t id, uint16_t port) {
  asio::steady_timer t(ctl);
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    tcp::socket s(ctl);
    error_code ec;
    co_await s.async_connect({asio::ip::address_v4::loopback(), port}, ec_(ec));
    if (!ec) {
      std::lock_guard<std::recursive_mutex> g(mu);
      fabric->instanceBooted(id);
      co_return;
    }
    {
      std::lock_guard<std::recursive_mutex> g(mu);
      Proc *p = proc(id);
      if (!p || p->exited || p->stopping)
        co_return;
    }
    t.expires_after(std::chrono::milliseconds(20));
    co_await t.async_wait(ec_(ec));
  }
  std::lock_guard<std::recursive_mutex> g(mu);
  trace.note("ec2", Fabric::instanceName(id) + " did not listen on its port within 30 s");
}

void LiveRuntime::terminate(uint32_t id, bool abrupt) {
  Proc *p = proc(id);
  if (!p || p->pid <= 0 || p->exited || p->stopping)
    return;
  p->stopping = true;
  if (abrupt) { // A crash: no shutdown at all.
    ::kill(-p->pid, SIGKILL);
    return;
  }
  ::kill(-p->pid, SIGTERM);
  // SIGKILL after a grace period if it is still there.
  auto t = std::make_shared<asio::steady_timer>(ctl, std::chrono::seconds(3));
  pid_t pid = p->pid;
  t->async_wait([this, t, pid, id](error_code ec) {
    if (ec)
      return;
    std::lock_guard<std::recursive_mutex> g(mu);
    Proc *p = proc(id);
    if (p && !p->exited)
      ::kill(-pid, SIGKILL);
  });
}

void LiveRuntime::reap() {
  for (;;) {
    int st = 0;
    pid_t pid = ::waitpid(-1, &st, WNOHANG);
    if (pid <= 0)
      return;
    std::lock_guard<std::recursive_mutex> g(mu);
    for (Proc &p : procs) {
      if (p.pid != pid)
        continue;
      p.exited = true;
      if (p.stopping || stopping)
        break;
      // The app died on a running instance: its process, not the host.
      std::string how = WIFSIGNALED(st) ? "killed by signal " + std::to_string(WTERMSIG(st))
                                        : "exited with status " + std::to_string(WEXITSTATUS(st));
      fabric->appDown(p.id, "the app's process " + how);
      break;
    }
  }
}

unsigned LiveRuntime::inFlight(uint32_t instance) {
  unsigned n = 0;
  for (const TargetGroupRt &g : fabric->targetGroups())
    for (const Target &t : g.state.targets)
      if (t.instance == instance)
        n += t.outstanding;
  return n;
}

void LiveRuntime::stopWhenIdle(uint32_t instance) {
  asio::co_spawn(ctl, pollIdle(instance), asio::detached);
}

asio::awaitable<void> LiveRuntime::pollIdle(uint32_t id) {
  asio::steady_timer t(ctl);
  for (;;) {
    {
      std::lock_guard<std::recursive_mutex> g(mu);
      const InstanceRt *in = fabric->instance(id);
      if (!in || !in->stopping)
        co_return;
      if (inFlight(id) == 0) {
        fabric->instanceStopped(id);
        co_return;
      }
    }
    error_code ec;
    t.expires_after(std::chrono::milliseconds(20));
    co_await t.async_wait(ec_(ec));
  }
}

asio::awaitable<std::optional<std::string>>
LiveRuntime::control(uint16_t port, http::verb method, std::string body) {
  tcp::socket s(ctl);
  asio::steady_timer deadline(ctl, std::chrono::seconds(2));
  deadline.async_wait([&](error_code ec) {
    if (!ec) {
      error_code ignored;
      s.close(ignored);
    }
  });
  error_code ec;
  co_await s.async_connect({asio::ip::address_v4::loopback(), port}, ec_(ec));
  http::request<http::string_body> req{method, "/control", 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.body() = std::move(body);
  req.prepare_payload();
  if (!ec)
    co_await http::async_write(s, req, ec_(ec));
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  if (!ec)
    co_await http::async_read(s, buf, res, ec_(ec));
  deadline.cancel();
  if (ec || res.result() != http::status::ok)
    co_return std::nullopt;
  co_return std::move(res.body());
}

void LiveRuntime::knobsChanged(uint32_t id) {
  const InstanceRt *in = fabric->instance(id);
  Proc *p = proc(id);
  if (!in || !p || p->exited)
    return;
  const AppPlan &app = plan.asgs[in->asg].app;
  if (app.kind == AppPlan::Command) {
    trace.note("ec2", Fabric::instanceName(id) +
                          " runs the design's own command, which has no control endpoint: it "
                          "answers as it will");
    return;
  }
  std::string body = json(llvm::json::Object{
      {"fail_health", in->failHealth},
      {"latency_ms", double(app.latency + in->slowBy) / 1000.0}});
  asio::co_spawn(
      ctl,
      [this, id, port = p->controlPort, body]() -> asio::awaitable<void> {
        if (!co_await control(port, http::verb::put, body)) {
          std::lock_guard<std::recursive_mutex> g(mu);
          trace.note("ec2", Fabric::instanceName(id) + " did not take its new settings");
        }
      },
      asio::detached);
}

asio::awaitable<void> LiveRuntime::pollApps() {
  asio::steady_timer t(ctl);
  while (!stopping) {
    std::vector<std::pair<uint32_t, uint16_t>> echo;
    {
      std::lock_guard<std::recursive_mutex> g(mu);
      for (const Proc &p : procs) {
        const InstanceRt *in = fabric->instance(p.id);
        if (in && p.pid > 0 && !p.exited && plan.asgs[in->asg].app.kind != AppPlan::Command)
          echo.push_back({p.id, p.controlPort});
      }
    }
    for (auto [id, port] : echo) {
      std::optional<std::string> body = co_await control(port, http::verb::get, "");
      if (!body)
        continue;
      auto v = llvm::json::parse(*body);
      std::optional<double> cpu;
      bool leading = false;
      if (const llvm::json::Object *o = v ? v->getAsObject() : nullptr) {
        if (auto c = o->getNumber("cpu_utilization"))
          cpu = *c;
        if (const llvm::json::Object *z = o->getObject("zk"))
          leading = z->getBoolean("leading").getValueOr(false);
      }
      if (!v)
        llvm::consumeError(v.takeError());
      std::lock_guard<std::recursive_mutex> g(mu);
      if (Proc *p = proc(id); p && cpu) {
        p->cpu = *cpu;
        p->leading = leading;
      }
    }
    {
      std::lock_guard<std::recursive_mutex> g(mu);
      updateLeaders();
    }
    // Once a second, or a scenario second when elections are watched.
    t.expires_after(zks.empty() ? std::chrono::seconds(1)
                                : std::clamp<Clock::duration>(sched.real(seconds(1)),
                                                              std::chrono::milliseconds(50),
                                                              std::chrono::seconds(1)));
    error_code ec;
    co_await t.async_wait(ec_(ec));
  }
}

bool LiveRuntime::memberOf(uint32_t asg, uint32_t z, uint32_t e, bool service) const {
  const EnsemblePlan &ep = plan.ensembles[z];
  const MemberSource &m = service ? ep.serviceMembers[e] : ep.electionMembers[e];
  return m.kind == MemberSource::Asg && m.index == asg;
}

void LiveRuntime::updateLeaders() {
  for (uint32_t z = 0; z < elections.size(); ++z)
    for (uint32_t e = 0; e < elections[z].size(); ++e) {
      ElectionRt &el = elections[z][e];
      uint32_t now = ~0u;
      for (const Proc &p : procs) {
        const InstanceRt *in = fabric->instance(p.id);
        if (in && p.leading && !p.exited && memberOf(in->asg, z, e, false)) {
          now = p.id;
          break;
        }
      }
      if (now == el.leader)
        continue;
      const std::string &name = plan.ensembles[z].config.elections[e].name;
      if (now == ~0u) {
        trace.note(plan.ensembles[z].config.name, name + ": no member leads");
      } else {
        if (el.last != ~0u && el.last != now)
          ++el.changes;
        el.last = now;
        trace.note(plan.ensembles[z].config.name,
                   name + ": " + Fabric::instanceName(now) + " leads (its own report)");
      }
      el.leader = now;
    }
}

std::optional<double> LiveRuntime::coordinationMetric(const Operand &o, std::string &shown) const {
  if (o.kind != Operand::Metric || zks.empty())
    return std::nullopt;
  uint32_t z = o.object.index;
  if (o.object.kind == ObjectRef::Election && z < elections.size() &&
      o.object.sub < elections[z].size()) {
    const ElectionRt &el = elections[z][o.object.sub];
    if (o.metric == MetricId::Leader) {
      shown = o.shown + " was " +
              (el.leader == ~0u ? std::string("false: no member leads")
                                : "true: " + Fabric::instanceName(el.leader) + " leads");
      return el.leader != ~0u;
    }
    if (o.metric == MetricId::LeaderChanges) {
      shown = o.shown + " was " + std::to_string(el.changes);
      return double(el.changes);
    }
  }
  if (o.object.kind == ObjectRef::Ensemble && z < zks.size() && o.metric == MetricId::Leader) {
    int leader = zks[z]->status().leader;
    shown = o.shown + " was " +
            (leader < 0 ? std::string("false: no quorum, or electing")
                        : "true: server " + std::to_string(leader) + " leads");
    return leader >= 0;
  }
  return std::nullopt;
}

ActionPlan LiveRuntime::resolveLeaders(ActionPlan a) const {
  for (TargetRef &r : a.targets)
    if (r.kind == TargetRef::ElectionLeader && r.object < elections.size() &&
        uint32_t(r.index) < elections[r.object].size()) {
      uint32_t leader = elections[r.object][r.index].leader;
      r.text += leader == ~0u ? " (nobody leads)" : " (" + Fabric::instanceName(leader) + ")";
      r.kind = TargetRef::InstanceId;
      r.object = leader; // ~0u: no such instance, said so by the Fabric.
    }
  return a;
}

llvm::json::Array LiveRuntime::coordinationJson() const {
  llvm::json::Array out;
  for (uint32_t z = 0; z < zks.size(); ++z) {
    const CoordinationConfig &c = plan.ensembles[z].config;
    llvm::json::Array servers, els;
    for (uint16_t port : zks[z]->ports())
      servers.push_back("127.0.0.1:" + std::to_string(port));
    for (uint32_t e = 0; e < c.elections.size(); ++e) {
      llvm::json::Array members;
      for (const Proc &p : procs) {
        const InstanceRt *in = fabric->instance(p.id);
        if (in && in->running && memberOf(in->asg, z, e, false))
          members.push_back(Fabric::instanceName(p.id));
      }
      uint32_t leader = elections[z][e].leader;
      els.push_back(llvm::json::Object{
          {"name", c.elections[e].name},
          {"path", c.elections[e].path},
          {"leader", leader == ~0u ? llvm::json::Value(nullptr)
                                   : llvm::json::Value(Fabric::instanceName(leader))},
          {"leader_changes", elections[z][e].changes},
          {"members", std::move(members)}});
    }
    out.push_back(llvm::json::Object{{"name", c.name},
                                     {"servers", std::move(servers)},
                                     {"connect", zks[z]->connectString()},
                                     {"elections", std::move(els)}});
  }
  return out;
}

InstanceSample LiveRuntime::sample(uint32_t instance) {
  InstanceSample s;
  if (Proc *p = proc(instance))
    s.cpuPercent = p->cpu;
  return s;
}

unsigned LiveRuntime::cutRequests(uint32_t instance, uint32_t tg, int status) {
  unsigned n = 0;
  const auto &tgs = fabric->targetGroups();
  for (uint32_t g = 0; g < tgs.size(); ++g) {
    if (tg != NoIndex && g != tg)
      continue;
    for (uint32_t i = 0; i < tgs[g].state.targets.size(); ++i) {
      const Target &t = tgs[g].state.targets[i];
      if (t.instance != instance || !t.outstanding)
        continue;
      n += t.outstanding;
      if (dp)
        tgs[g].plan->network ? dp->resetTarget(keyOf(g, i)) : dp->cutTarget(keyOf(g, i));
    }
  }
  return n;
}

//===----------------------------------------------------------------------===//
// Health probes
//===----------------------------------------------------------------------===//

void LiveRuntime::probe(uint32_t tg, uint32_t index, uint32_t instance) {
  const TargetGroupRt &g = fabric->targetGroups()[tg];
  const TargetGroupPlan &tp = *g.plan;
  Proc *p = proc(instance);
  uint16_t port =
      p && !p->exited ? p->local(tp.healthPort ? tp.healthPort : tp.port) : 0;
  bool httpCheck = !(tp.network && (tp.healthProtocol.empty() || tp.healthProtocol == "tcp"));
  std::string path = tp.healthPath.empty() ? "/" : tp.healthPath;
  asio::co_spawn(ctl,
                 runProbe(tg, index, port, httpCheck, path, sched.real(g.checker.config().timeout)),
                 asio::detached);
}

asio::awaitable<void> LiveRuntime::runProbe(uint32_t tg, uint32_t index, uint16_t port,
                                            bool httpCheck, std::string path,
                                            Clock::duration timeout) {
  ProbeResult r;
  r.kind = ProbeResult::ConnectFailed;
  if (port) {
    tcp::socket s(ctl);
    asio::steady_timer deadline(ctl, timeout);
    bool timedOut = false;
    deadline.async_wait([&](error_code ec) {
      if (!ec) {
        timedOut = true;
        error_code ignored;
        s.close(ignored);
      }
    });
    error_code ec;
    co_await s.async_connect({asio::ip::address_v4::loopback(), port}, ec_(ec));
    if (!ec && !httpCheck) {
      r.kind = ProbeResult::Status;
      r.status = 200;
    } else if (!ec) {
      http::request<http::empty_body> req{http::verb::get, path, 11};
      req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
      req.set(http::field::user_agent, "ELB-HealthChecker/2.0");
      co_await http::async_write(s, req, ec_(ec));
      beast::flat_buffer buf;
      http::response<http::string_body> res;
      if (!ec)
        co_await http::async_read(s, buf, res, ec_(ec));
      if (!ec) {
        r.kind = ProbeResult::Status;
        r.status = int(res.result_int());
      }
    }
    if (timedOut)
      r.kind = ProbeResult::Timeout;
    deadline.cancel();
  }
  std::lock_guard<std::recursive_mutex> g(mu);
  if (!stopping)
    fabric->probeResult(tg, index, r);
}

//===----------------------------------------------------------------------===//
// Routing, from the proxies' threads
//===----------------------------------------------------------------------===//

ClientCookies LiveRuntime::decodeCookies(llvm::ArrayRef<Cookie> cookies) const {
  ClientCookies c;
  c.sticky.resize(plan.stickyGroups);
  c.groups.resize(plan.weightedActions);
  for (const Cookie &k : cookies) {
    bool tg = k.name == "AWSALBTG";
    if (k.name != "AWSALB" && !k.name.startswith("AWSALBAPP-") && !tg)
      continue;
    auto [body, mac] = k.value.rsplit('.');
    uint64_t m = 0;
    if (mac.getAsInteger(16, m) || m != fnv(body, cookieKey))
      continue; // Not one of ours: ignored, as AWS ignores a tampered cookie.
    llvm::SmallVector<llvm::StringRef, 4> entries;
    body.split(entries, '-', -1, false);
    for (llvm::StringRef e : entries) {
      llvm::SmallVector<llvm::StringRef, 3> f;
      e.split(f, ':');
      uint32_t slot = 0, what = 0;
      int64_t expires = 0;
      if (f.size() != 3 || f[0].getAsInteger(16, slot) || f[1].getAsInteger(16, what) ||
          f[2].getAsInteger(16, expires))
        continue;
      if (tg && slot < c.groups.size())
        c.groups[slot] = {what, expires};
      else if (!tg && slot < c.sticky.size())
        c.sticky[slot] = {what, expires, ~0u};
    }
  }
  return c;
}

std::string LiveRuntime::encodeSticky(const ClientCookies &c) const {
  std::string body;
  for (uint32_t s = 0; s < c.sticky.size(); ++s)
    if (c.sticky[s].instance != ~0u)
      body += (body.empty() ? "" : "-") + llvm::utohexstr(s) + ":" +
              llvm::utohexstr(c.sticky[s].instance) + ":" + llvm::utohexstr(c.sticky[s].expires);
  return body + "." + llvm::utohexstr(fnv(body, cookieKey));
}

HttpRoute LiveRuntime::route(uint32_t listener, const HttpRequestInfo &info) {
  std::lock_guard<std::recursive_mutex> g(mu);
  HttpRoute out;
  if (stopping || listener >= listeners.size())
    return out; // 503.
  const ListenerRt &l = listeners[listener];
  const LoadBalancerPlan &lb = plan.loadBalancers[l.lb];
  ClientCookies cookies = decodeCookies(info.cookies);
  uint64_t flow = uint64_t(info.request.sourceIp) * 0x9e3779b97f4a7c15ULL ^ info.sourcePort;
  Route r = fabric->route(l.lb, l.listener, info.request, cookies, flow);
  const Action &a = *r.action;
  if (a.kind == Action::Redirect) {
    out.kind = HttpRoute::Redirect;
    out.status = a.status;
    std::string proto = a.protocol.empty() ? (l.tls ? "https" : "http") : a.protocol;
    std::string host = a.host.empty() ? "127.0.0.1" : a.host;
    std::string port = a.port;
    // A redirect to one of this load balancer's own ports goes where it listens here.
    for (const ListenerRt &o : listeners)
      if (o.lb == l.lb && std::to_string(lb.listeners[o.listener].port) == port)
        port = std::to_string(o.port);
    if (port.empty())
      port = std::to_string(l.port);
    std::string path = a.path.empty() ? info.request.path.str() : a.path;
    std::string query = a.query.empty() ? info.request.query.str() : a.query;
    out.location = proto + "://" + host + ":" + port + path + (query.empty() ? "" : "?" + query);
    fabric->recordResponse(l.lb, out.status, 0); // Answered by the load balancer itself.
    return out;
  }
  if (a.kind == Action::FixedResponse) {
    out.kind = HttpRoute::Fixed;
    out.status = a.status;
    out.body = a.text;
    if (!a.contentType.empty())
      out.contentType = a.contentType;
    fabric->recordResponse(l.lb, out.status, 0);
    return out;
  }
  if (r.target < 0) {
    fabric->recordResponse(l.lb, 503, 0); // No target can take it.
    return out;
  }
  Proc *p = proc(r.instance);
  out.kind = HttpRoute::Forward;
  out.target.port = p ? p->local(plan.targetGroups[r.tg].port) : 0;
  out.key = keyOf(r.tg, uint32_t(r.target));
  out.timeout = std::max<Duration>(millis(1), Duration(double(lb.idleTimeout) / opts.timeScale));
  const TargetGroupPlan &tp = plan.targetGroups[r.tg];
  if (tp.sticky) {
    std::string v = encodeSticky(cookies);
    Instant exp = cookies.sticky[tp.stickySlot].expires;
    std::string maxAge = std::to_string(std::max<int64_t>(0, (exp - sched.now()) / seconds(1)));
    std::string name = tp.selector.stickiness == SelectorConfig::AppCookie
                           ? "AWSALBAPP-0"
                           : "AWSALB";
    out.setCookies.push_back(name + "=" + v + "; Max-Age=" + maxAge + "; Path=/");
    if (name == "AWSALB")
      out.setCookies.push_back("AWSALBCORS=" + v + "; Max-Age=" + maxAge +
                               "; Path=/; SameSite=None; Secure");
  }
  if (r.groupCookie && a.groupStickiness > 0) {
    std::string body = llvm::utohexstr(a.id) + ":" + llvm::utohexstr(r.groupCookie->group) + ":" +
                       llvm::utohexstr(r.groupCookie->expires);
    out.setCookies.push_back("AWSALBTG=" + body + "." + llvm::utohexstr(fnv(body, cookieKey)) +
                             "; Max-Age=" + std::to_string(a.groupStickiness / seconds(1)) +
                             "; Path=/");
  }
  return out;
}

void LiveRuntime::finished(const HttpOutcome &o) {
  asio::post(ctl, [this, o] {
    std::lock_guard<std::recursive_mutex> g(mu);
    uint32_t tg = uint32_t(o.key >> 32), index = uint32_t(o.key);
    const TargetGroupRt &t = fabric->targetGroups()[tg];
    uint32_t id = t.state.targets[index].instance;
    uint32_t lb = t.plan->loadBalancer;
    if (lb != NoIndex)
      fabric->recordResponse(lb, o.status, o.latency);
    if (fabric->requestDone(tg, index))
      fabric->drainCompleted(id);
  });
}

std::optional<TcpPick> LiveRuntime::pickTarget(uint32_t listener, const Flow &flow) {
  std::lock_guard<std::recursive_mutex> g(mu);
  if (stopping || listener >= listeners.size())
    return std::nullopt;
  const ListenerRt &l = listeners[listener];
  Request req;
  req.sourceIp = flow.srcIp;
  ClientCookies cookies;
  cookies.sticky.resize(plan.stickyGroups);
  cookies.groups.resize(plan.weightedActions);
  // source_ip stickiness hashes the client's address (as the simulator
  // does); without it the selector spreads the flows.
  uint64_t byClient = uint64_t(flow.srcIp) * 0xff51afd7ed558ccdULL;
  Route r = fabric->route(l.lb, l.listener, req, cookies, byClient ^ (byClient >> 33));
  if (r.action->kind != Action::Forward || r.target < 0) {
    fabric->recordResponse(l.lb, 503, 0); // Reset: no target can take it.
    return std::nullopt;
  }
  Proc *p = proc(r.instance);
  TcpPick pick;
  pick.target.port = p ? p->local(plan.targetGroups[r.tg].port) : 0;
  pick.key = keyOf(r.tg, uint32_t(r.target));
  pick.proxyProtocolV2 = plan.targetGroups[r.tg].proxyProtocolV2;
  return pick;
}

void LiveRuntime::closed(const TcpOutcome &o) {
  asio::post(ctl, [this, o] {
    std::lock_guard<std::recursive_mutex> g(mu);
    uint32_t tg = uint32_t(o.key >> 32), index = uint32_t(o.key);
    const TargetGroupRt &t = fabric->targetGroups()[tg];
    uint32_t id = t.state.targets[index].instance;
    if (t.plan->loadBalancer != NoIndex) // A flow the target reset is an error.
      fabric->recordResponse(t.plan->loadBalancer, o.reset ? 502 : 200, o.duration);
    if (fabric->requestDone(tg, index))
      fabric->drainCompleted(id);
  });
}

//===----------------------------------------------------------------------===//
// The scenario
//===----------------------------------------------------------------------===//

void LiveRuntime::onDue(const Timer &t) {
  switch (t.kind) {
  case LtScenarioEvent: playDue(plan.scenario->events[t.id].at); break;
  case LtSample: { // arg: the how-manieth.
    Instant next = SampleEvery * Instant(t.arg + 1);
    if (next <= plan.scenario->end)
      sched.runAt(zero + next, {LtSample, 0, t.arg + 1});
    // What is due by now happens before the judge looks (two timers of one
    // instant fire in no set order).
    playDue(sched.now() - zero);
    judge->check(sched.now() - zero, false);
    break;
  }
  case LtScenarioEnd: finishScenario(); return;
  default: fabric->onTimer(t); break;
  }
  // Health transitions, scaling activities and the scenario's events can
  // change what an expectation sees: judge the timed ones at once.
  if (judge && trace.takeChanged())
    judge->check(sched.now() - zero, false);
}

void LiveRuntime::startScenario() {
  const ScenarioPlan &sc = *plan.scenario;
  zero = sched.now();
  trace.note("scenario", "'" + sc.name + "' starts: its 0s is now, its end " +
                             fmtDuration(sc.end) + " from now (seed " +
                             std::to_string(sc.seed) + ")");
  judge = std::make_unique<Judge>(sc, *fabric, [this](const Operand &o, std::string &shown) {
    if (std::optional<double> v = coordinationMetric(o, shown))
      return v;
    return Judge::servedBy(
        o, *plan.scenario,
        [this](size_t load, uint32_t client) { return loads[load]->lastInstance(client); },
        shown);
  });
  for (size_t i = 0; i < sc.events.size(); ++i)
    sched.runAt(zero + sc.events[i].at, {LtScenarioEvent, uint32_t(i), 0});
  sched.runAt(zero, {LtSample, 0, 0});
  sched.runAt(zero + sc.end, {LtScenarioEnd, 0, 0});
  for (size_t i = 0; i < sc.loads.size(); ++i) {
    const LoadPlan &lp = sc.loads[i];
    LoadGenerator::Options o;
    for (const ListenerRt &l : listeners)
      if (l.lb == lp.loadBalancer && l.listener == lp.listener) {
        o.port = l.port;
        o.protocol = l.udp       ? LoadGenerator::Protocol::Udp
                     : l.network ? LoadGenerator::Protocol::Tcp
                     : l.tls     ? LoadGenerator::Protocol::Https
                                 : LoadGenerator::Protocol::Http;
      }
    o.seed = sc.seed * 0x9e3779b97f4a7c15ULL + i;
    o.maxRealRate = MaxRealRate / double(sc.loads.size()); // The machine's share of each.
    o.timeScale = opts.timeScale;
    o.zero = sched.realAt(zero);
    double real = lp.traffic.rate * opts.timeScale;
    if (real > o.maxRealRate)
      trace.note("scenario", "the load on " + plan.loadBalancers[lp.loadBalancer].name + " (" +
                                 std::to_string(int64_t(real)) +
                                 " requests/s in real time) is thinned to " +
                                 std::to_string(int64_t(o.maxRealRate)) +
                                 "/s (this machine's share of the load): lower --time-scale "
                                 "for all of it");
    loads.push_back(std::make_unique<LoadGenerator>(lp, o));
    loads.back()->start();
  }
}

void LiveRuntime::playDue(Instant at) {
  const std::vector<EventPlan> &evs = plan.scenario->events;
  while (played < evs.size() && evs[played].at <= at)
    playEvent(evs[played++]);
}

void LiveRuntime::playEvent(const EventPlan &ev) {
  trace.note("scenario", ev.text);
  for (const ActionPlan &a : ev.actions) {
    if (a.kind != ActionKind::Rate) {
      fabric->act(resolveLeaders(a));
      continue;
    }
    for (size_t i = 0; i < loads.size(); ++i) {
      loads[i]->setRate(a.rate);
      trace.note("scenario",
                 "load on " + plan.loadBalancers[plan.scenario->loads[i].loadBalancer].name +
                     " now " + std::to_string(int64_t(a.rate)) + " requests/s");
    }
  }
}

void LiveRuntime::finishScenario() {
  const ScenarioPlan &sc = *plan.scenario;
  judge->check(sc.end, true);
  for (size_t i = 0; i < loads.size(); ++i) {
    loads[i]->stop();
    LoadGenerator::Stats st = loads[i]->stats();
    trace.note("scenario", "load on " + plan.loadBalancers[sc.loads[i].loadBalancer].name + ": " +
                               std::to_string(st.sent) + " sent, " +
                               std::to_string(st.answered) + " answered (" +
                               std::to_string(st.byClass[5]) + " 5xx), " +
                               std::to_string(st.failed) + " without an answer, " +
                               std::to_string(st.sent - st.answered - st.failed) +
                               " still in flight at the end, " + std::to_string(st.skipped) +
                               " skipped");
  }
  if (opts.verdicts)
    *opts.verdicts = judge->verdicts(trace);
  scenarioOver = true;
  trace.note("scenario", "'" + sc.name + "' is over");
  asio::post(ctl, [this] { stop(); });
}

//===----------------------------------------------------------------------===//
// The event log and the status view
//===----------------------------------------------------------------------===//

void LiveRuntime::noted(Instant at, llvm::StringRef who, llvm::StringRef what) {
  events.push_back(Event{nextEvent++, at, who.str(), what.str()});
  if (events.size() > EventLogSize)
    events.pop_front();
  // Wake the streams, on the control thread (a note may come from a proxy's).
  asio::post(ctl, [this] {
    for (asio::steady_timer *t : eventWaiters)
      t->cancel();
  });
}

std::string LiveRuntime::eventLine(const Event &e) {
  std::string line;
  llvm::raw_string_ostream os(line);
  os << llvm::format("%10s", fmtTime(e.at).c_str()) << "  " << llvm::left_justify(e.who, 10)
     << "  " << e.what;
  return os.str();
}

llvm::json::Value LiveRuntime::eventJson(const Event &e) {
  return llvm::json::Object{{"seq", int64_t(e.seq)},
                            {"t_us", e.at},
                            {"time", fmtTime(e.at)},
                            {"who", e.who},
                            {"text", e.what}};
}

std::string LiveRuntime::eventsSince(uint64_t since) {
  llvm::json::Array out;
  for (const Event &e : events)
    if (e.seq > since)
      out.push_back(eventJson(e));
  return json(llvm::json::Object{{"events", std::move(out)}, {"last", int64_t(nextEvent - 1)}});
}

asio::awaitable<void> LiveRuntime::eventStream(tcp::socket &socket, uint64_t since,
                                               unsigned version) {
  // Server-Sent Events: one "data:" line of JSON per event, until either
  // side stops; a comment line now and then finds a client that left.
  http::response<http::empty_body> res{http::status::ok, version};
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-cache");
  res.keep_alive(false);
  http::response_serializer<http::empty_body> sr{res};
  error_code ec;
  co_await http::async_write_header(socket, sr, ec_(ec));
  asio::steady_timer wake(ctl);
  while (!ec && !stopping) {
    std::string chunk;
    {
      std::lock_guard<std::recursive_mutex> g(mu);
      for (const Event &e : events)
        if (e.seq > since) {
          chunk += "id: " + std::to_string(e.seq) + "\ndata: " + json(eventJson(e)) + "\n\n";
          since = e.seq;
        }
    }
    if (!chunk.empty()) {
      co_await asio::async_write(socket, asio::buffer(chunk), ec_(ec));
      continue;
    }
    wake.expires_after(std::chrono::seconds(15));
    eventWaiters.push_back(&wake);
    error_code waited;
    co_await wake.async_wait(ec_(waited));
    eventWaiters.erase(std::find(eventWaiters.begin(), eventWaiters.end(), &wake));
    if (!waited) // Quiet for a while: is anyone there?
      co_await asio::async_write(socket, asio::buffer(std::string_view(": idle\n\n")), ec_(ec));
  }
}

asio::awaitable<void> LiveRuntime::view() {
  StatusView screen;
  asio::steady_timer t(ctl);
  auto started = Clock::now();
  for (;;) {
    std::string text;
    {
      std::lock_guard<std::recursive_mutex> g(mu);
      winsize ws{};
      unsigned width = 120, height = 40;
      if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row)
        width = ws.ws_col, height = ws.ws_row;
      std::vector<std::string> lines;
      for (size_t i = events.size() > height ? events.size() - height : 0; i < events.size(); ++i)
        lines.push_back(eventLine(events[i]));
      auto doc = llvm::json::parse(status());
      if (!doc)
        llvm::consumeError(doc.takeError());
      else if (const llvm::json::Object *o = doc->getAsObject())
        text = screen.render(*o, std::chrono::duration<double>(Clock::now() - started).count(),
                             lines, width, height - 1);
    }
    // Home, each line over the old one, then clear what is left.
    std::string frame = "\x1b[H";
    for (llvm::StringRef rest = text; !rest.empty();) {
      auto [line, next] = rest.split('\n');
      frame += line.str() + "\x1b[K\n";
      rest = next;
    }
    frame += "\x1b[J";
    if (::write(STDOUT_FILENO, frame.data(), frame.size()) < 0 || stopping)
      co_return;
    t.expires_after(std::chrono::milliseconds(500));
    error_code ec;
    co_await t.async_wait(ec_(ec));
    if (ec || stopping)
      co_return;
  }
}

//===----------------------------------------------------------------------===//
// The admin API
//===----------------------------------------------------------------------===//

std::string LiveRuntime::status() {
  llvm::json::Array lbs, tgs, groups;
  for (uint32_t b = 0; b < plan.loadBalancers.size(); ++b) {
    const LoadBalancerRt &rt = fabric->loadBalancers()[b];
    llvm::json::Array ls;
    for (const ListenerRt &l : listeners)
      if (l.lb == b)
        ls.push_back(llvm::json::Object{
            {"listener", plan.loadBalancers[b].listeners[l.listener].name},
            {"port", plan.loadBalancers[b].listeners[l.listener].port},
            {"url", l.url}});
    lbs.push_back(llvm::json::Object{{"name", plan.loadBalancers[b].name},
                                     {"listeners", std::move(ls)},
                                     {"requests", int64_t(rt.requests)},
                                     {"errors_5xx", int64_t(rt.errors5xx)},
                                     {"p50_us", rt.latency.percentile(50)},
                                     {"p99_us", rt.latency.percentile(99)}});
  }
  for (const TargetGroupRt &g : fabric->targetGroups()) {
    llvm::json::Array ts;
    for (const Target &t : g.state.targets)
      ts.push_back(llvm::json::Object{{"id", Fabric::instanceName(t.instance)},
                                      {"state", stateName(t.state)},
                                      {"reason", reasonCode(t.reason)},
                                      {"in_flight", int64_t(t.outstanding)},
                                      {"requests", int64_t(t.served)}});
    tgs.push_back(llvm::json::Object{{"name", g.plan->name}, {"targets", std::move(ts)}});
  }
  for (const AsgRt &a : fabric->asgs()) {
    llvm::json::Array is;
    for (const AsgInstance &i : a.scaler->instances()) {
      const InstanceRt *in = fabric->instance(i.id);
      Proc *p = proc(i.id);
      is.push_back(llvm::json::Object{
          {"id", Fabric::instanceName(i.id)},
          {"lifecycle", lifecycleName(i.lifecycle)},
          {"zone", in ? plan.zones[in->zone] : std::string()},
          {"running", in && in->running},
          {"url", p && p->port ? "http://127.0.0.1:" + std::to_string(p->port) : std::string()},
          {"control", p && p->controlPort ? "http://127.0.0.1:" + std::to_string(p->controlPort)
                                          : std::string()},
          {"pid", p ? int64_t(p->pid) : int64_t(-1)}});
    }
    uint32_t ai = uint32_t(&a - fabric->asgs().data());
    const AsgSessions &ss = fabric->sessionsOfGroups()[ai];
    groups.push_back(llvm::json::Object{{"name", a.plan->name},
                                        {"sessions_lost", int64_t(ss.sessionsLost)},
                                        {"replication_bytes", int64_t(ss.replicationBytes)},
                                        {"load_skew", fabric->loadSkew(ai)},
                                        {"min", a.scaler->minSize()},
                                        {"desired", a.scaler->desired()},
                                        {"max", a.scaler->maxSize()},
                                        {"in_service", a.scaler->inService()},
                                        {"instances", std::move(is)}});
  }
  return json(llvm::json::Object{{"time_us", sched.now()},
                                 {"admin", "http://127.0.0.1:" + std::to_string(adminPort)},
                                 {"load_balancers", std::move(lbs)},
                                 {"target_groups", std::move(tgs)},
                                 {"groups", std::move(groups)},
                                 {"coordination", coordinationJson()},
                                 {"stores", sessions->json()}});
}

std::string LiveRuntime::actOn(llvm::StringRef body, unsigned &code) {
  code = 400;
  auto error = [](const std::string &m) {
    return json(llvm::json::Object{{"error", m}});
  };
  auto v = llvm::json::parse(body);
  if (!v) {
    llvm::consumeError(v.takeError());
    return error("the body is not JSON: send {\"action\": \"kill\", \"target\": \"web.instances[0]\"}");
  }
  const llvm::json::Object *o = v->getAsObject();
  llvm::Optional<llvm::StringRef> action;
  if (o)
    action = o->getString("action");
  if (!action)
    return error("missing \"action\" (kill, stop, recover, fail_health, restore_health, slow, "
                 "deregister, interrupt, scale, lose_zone, restore_zone)");
  auto kind = parseAction(*action);
  if (!kind || *kind == ActionKind::Rate)
    return error("unknown action '" + action->str() + "'");
  ActionPlan a;
  a.kind = *kind;
  std::string err;
  if (a.kind == ActionKind::Scale) {
    auto target = o->getString("target");
    for (uint32_t i = 0; target && i < plan.asgs.size(); ++i)
      if (plan.asgs[i].name == *target)
        a.asg = i;
    if (a.asg == NoIndex)
      return error("scale: \"target\" must name an Auto Scaling group");
    if (auto d = o->getInteger("desired"))
      a.desired = *d;
    if (!a.desired)
      return error("scale: give \"desired\"");
  } else if (a.kind == ActionKind::LoseZone || a.kind == ActionKind::RestoreZone) {
    auto zone = o->getString("target");
    uint32_t z = zone ? plan.zoneIndex(*zone) : NoIndex;
    if (z == NoIndex)
      return error("'" + (zone ? zone->str() : std::string()) + "' is not a zone of the design");
    a.zone = z;
  } else {
    auto target = o->getString("target");
    if (!target)
      return error("missing \"target\", e.g. \"web_asg.instances[0]\" or \"i-3\"");
    auto t = parseTarget(plan, *target, err);
    if (!t)
      return error(err);
    a.targets.push_back(*t);
    if (auto ms = o->getInteger("latency_ms"))
      a.latency = millis(*ms);
    else if (a.kind == ActionKind::Slow)
      a.latency = seconds(1);
  }
  std::lock_guard<std::recursive_mutex> g(mu);
  trace.note("admin", std::string(actionName(a.kind)) + " " +
                          (a.targets.empty() ? std::string() : a.targets[0].text));
  fabric->act(resolveLeaders(a));
  code = 200;
  return json(llvm::json::Object{{"ok", true}});
}

asio::awaitable<void> LiveRuntime::adminSession(tcp::socket socket) {
  beast::flat_buffer buf;
  for (;;) {
    http::request<http::string_body> req;
    error_code ec;
    co_await http::async_read(socket, buf, req, ec_(ec));
    if (ec)
      co_return;
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::content_type, "application/json");
    auto [path, query] = llvm::StringRef(req.target().data(), req.target().size()).split('?');
    unsigned code = 200;
    uint64_t since = 0;
    bool follow = false;
    for (llvm::StringRef rest = query; !rest.empty();) {
      auto [pair, next] = rest.split('&');
      auto [key, value] = pair.split('=');
      if (key == "since")
        value.getAsInteger(10, since);
      else if (key == "follow")
        follow = value != "0" && value != "false";
      rest = next;
    }
    if (req.method() == http::verb::get && (path == "/" || path == "/index.html")) {
      res.set(http::field::content_type, "text/html; charset=utf-8");
      res.set(http::field::cache_control, "no-cache");
      res.body() = dashboardPage(opts.source, opts.diagram);
    } else if (req.method() == http::verb::get && path == "/v1/status") {
      std::lock_guard<std::recursive_mutex> g(mu);
      res.body() = status();
    } else if (req.method() == http::verb::get && path == "/v1/events" && follow) {
      co_await eventStream(socket, since, req.version());
      co_return;
    } else if (req.method() == http::verb::get && path == "/v1/events") {
      std::lock_guard<std::recursive_mutex> g(mu);
      res.body() = eventsSince(since);
    } else if (req.method() == http::verb::post && path == "/v1/actions") {
      res.body() = actOn(req.body(), code);
    } else {
      code = 404;
      res.body() = json(llvm::json::Object{
          {"error", "no such endpoint: GET / (the dashboard), GET /v1/status, "
                    "GET /v1/events[?since=N][&follow=1], POST /v1/actions"}});
    }
    res.result(code);
    res.prepare_payload();
    co_await http::async_write(socket, res, ec_(ec));
    if (ec || !res.keep_alive())
      co_return;
  }
}

asio::awaitable<void> LiveRuntime::admin(tcp::acceptor acceptor) {
  for (;;) {
    error_code ec;
    tcp::socket s = co_await acceptor.async_accept(ec_(ec));
    if (ec)
      co_return;
    asio::co_spawn(ctl, adminSession(std::move(s)), asio::detached);
  }
}

//===----------------------------------------------------------------------===//
// Starting and stopping
//===----------------------------------------------------------------------===//

bool LiveRuntime::allInService() const {
  for (const AsgRt &a : fabric->asgs()) {
    if (a.scaler->inService() < a.scaler->desired())
      return false;
    for (const AsgInstance &i : a.scaler->instances()) {
      if (i.lifecycle != Lifecycle::InService)
        continue;
      // And healthy in every target group it is registered with.
      for (uint32_t g : a.plan->targetGroups) {
        const TargetGroupRt &t = fabric->targetGroups()[g];
        int idx = t.state.find(i.id);
        if (idx < 0 || (t.state.targets[idx].state != TargetState::Healthy &&
                        t.state.targets[idx].state != TargetState::Unavailable))
          return false;
      }
    }
  }
  return true;
}

void LiveRuntime::writeReadyFile() {
  llvm::json::Array ls, is;
  for (const ListenerRt &l : listeners) {
    const LoadBalancerPlan &lb = plan.loadBalancers[l.lb];
    ls.push_back(llvm::json::Object{{"load_balancer", lb.name},
                                    {"listener", lb.listeners[l.listener].name},
                                    {"protocol", lb.listeners[l.listener].protocol},
                                    {"port", lb.listeners[l.listener].port},
                                    {"url", l.url}});
  }
  for (const Proc &p : procs) {
    const InstanceRt *in = fabric->instance(p.id);
    if (!in || !in->running)
      continue;
    is.push_back(llvm::json::Object{{"id", Fabric::instanceName(p.id)},
                                    {"group", plan.asgs[in->asg].name},
                                    {"zone", plan.zones[in->zone]},
                                    {"url", "http://127.0.0.1:" + std::to_string(p.port)},
                                    {"control", "http://127.0.0.1:" + std::to_string(p.controlPort)},
                                    {"pid", int64_t(p.pid)}});
  }
  std::string text = json(llvm::json::Object{
      {"pid", int64_t(::getpid())},
      {"admin", "http://127.0.0.1:" + std::to_string(adminPort)},
      {"listeners", std::move(ls)},
      {"instances", std::move(is)},
      {"coordination", coordinationJson()},
      {"stores", sessions->json()}});
  std::string tmp = opts.readyFile + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec) {
      trace.note("run", "cannot write '" + opts.readyFile + "': " + ec.message());
      return;
    }
    os << text << "\n";
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, opts.readyFile))
    trace.note("run", "cannot write '" + opts.readyFile + "': " + ec.message());
}

void LiveRuntime::stop() {
  {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (stopping)
      return;
    stopping = true;
    if (plan.scenario && !scenarioOver) {
      trace.note("run", "interrupted before the scenario's end: no verdicts");
      status_ = 1;
    }
    for (auto &l : loads)
      l->stop();
    trace.note("run", "stopping: every instance is stopped, then the load balancers");
    sched.clear();
    for (Proc &p : procs)
      if (p.pid > 0 && !p.exited)
        ::kill(-p.pid, SIGTERM);
  }
  // Wait (a little) for them, then make sure.
  auto deadline = Clock::now() + std::chrono::seconds(3);
  for (;;) {
    reap();
    bool left = false;
    for (Proc &p : procs)
      left |= p.pid > 0 && !p.exited;
    if (!left)
      break;
    if (Clock::now() > deadline) {
      for (Proc &p : procs)
        if (p.pid > 0 && !p.exited)
          ::kill(-p.pid, SIGKILL);
      deadline = Clock::now() + std::chrono::seconds(3);
    }
    ::usleep(10000);
  }
  for (auto &z : zks) // After the members, which close their sessions.
    z->stop();
  if (dp)
    dp->shutdown();
  sessions->stop();
  ctl.stop();
}

int LiveRuntime::run() {
  auto plane = DataPlane::create({}, this, this);
  if (!plane) {
    llvm::errs() << "infrac run: " << llvm::toString(plane.takeError()) << "\n";
    return 2;
  }
  dp = std::move(*plane);
  // The embedded ZooKeeper ensembles, one port per server, at the design's
  // tick (scaled): the instances' election and registration run on them.
  for (const EnsemblePlan &ep : plan.ensembles) {
    ZkServerOptions zo;
    zo.servers = ep.config.servers;
    zo.tick = std::max<Duration>(millis(2), Duration(double(ep.config.tick) / opts.timeScale));
    auto z = ZkEnsembleServer::start(zo);
    if (!z) {
      llvm::errs() << "infrac run: cannot start the coordination service '" << ep.config.name
                   << "': " << llvm::toString(z.takeError()) << "\n";
      dp->shutdown();
      return 2;
    }
    zks.push_back(std::move(*z));
    elections.emplace_back(ep.config.elections.size());
  }
  auto stores = LiveSessions::start(plan, opts.timeScale);
  if (!stores) {
    llvm::errs() << "infrac run: " << llvm::toString(stores.takeError()) << "\n";
    dp->shutdown();
    return 2;
  }
  sessions = std::move(*stores);
  FabricOptions fo;
  fo.prewarm = false;
  fabric = std::make_unique<Fabric>(plan, sched, *this, trace, rng, fo);
  // The listeners, on 127.0.0.1 only.
  for (uint32_t b = 0; b < plan.loadBalancers.size(); ++b) {
    const LoadBalancerPlan &lb = plan.loadBalancers[b];
    for (uint32_t l = 0; l < lb.listeners.size(); ++l) {
      const ListenerPlan &lp = lb.listeners[l];
      ListenerRt rt;
      rt.lb = b;
      rt.listener = l;
      rt.tls = lp.protocol == "https" || lp.protocol == "tls";
      rt.network = lb.network;
      rt.udp = lp.protocol == "udp";
      uint16_t want = 0;
      for (const auto &[name, port] : opts.portMap)
        if (name == lb.name + "." + lp.name)
          want = port;
      uint32_t id = uint32_t(listeners.size());
      llvm::Expected<uint16_t> port = uint16_t(0);
      if (rt.network) {
        TcpListenerConfig c;
        c.port = want;
        c.udp = rt.udp;
        port = dp->addTcpListener(id, c);
      } else {
        HttpListenerConfig c;
        c.port = want;
        c.tls = rt.tls;
        c.forwardedPort = uint16_t(lp.port);
        c.idleTimeout = std::max<Duration>(millis(10), Duration(double(lb.idleTimeout) / opts.timeScale));
        port = dp->addHttpListener(id, c);
      }
      if (!port) {
        llvm::errs() << "infrac run: cannot listen for " << lb.name << "." << lp.name << ": "
                     << llvm::toString(port.takeError()) << "\n";
        dp->shutdown();
        return 2;
      }
      rt.port = *port;
      std::string scheme = rt.network ? (rt.udp ? "udp" : "tcp") : rt.tls ? "https" : "http";
      rt.url = scheme + "://127.0.0.1:" + std::to_string(rt.port);
      listeners.push_back(rt);
    }
  }
  tcp::acceptor acceptor(ctl);
  {
    error_code ec;
    tcp::endpoint ep(asio::ip::address_v4::loopback(), opts.adminPort);
    acceptor.open(ep.protocol(), ec);
    if (!ec)
      acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
      acceptor.bind(ep, ec);
    if (!ec)
      acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      llvm::errs() << "infrac run: cannot listen for the admin API on 127.0.0.1:"
                   << opts.adminPort << ": " << ec.message() << "\n";
      dp->shutdown();
      return 2;
    }
    adminPort = acceptor.local_endpoint().port();
  }
  llvm::raw_ostream &os = opts.log ? *opts.log : llvm::nulls();
  for (const ListenerRt &l : listeners) {
    const LoadBalancerPlan &lb = plan.loadBalancers[l.lb];
    os << "listener " << lb.name << "." << lb.listeners[l.listener].name << " (port "
       << lb.listeners[l.listener].port << "): " << l.url << "\n";
  }
  for (uint32_t z = 0; z < zks.size(); ++z)
    os << "coordination " << plan.ensembles[z].config.name << ": " << zks[z]->connectString()
       << " (ZooKeeper protocol)\n";
  os << "admin: http://127.0.0.1:" << adminPort << "/v1/status\n";
  os << "dashboard: http://127.0.0.1:" << adminPort << "/\n";
  os.flush();

  signals.async_wait([this](error_code ec, int) {
    if (!ec)
      stop();
  });
  std::function<void()> onChild = [this, &onChild] {
    children.async_wait([this, &onChild](error_code ec, int) {
      if (ec)
        return;
      reap();
      onChild();
    });
  };
  onChild();
  asio::co_spawn(ctl, admin(std::move(acceptor)), asio::detached);
  asio::co_spawn(ctl, pollApps(), asio::detached);
  if (opts.statusView)
    asio::co_spawn(ctl, view(), asio::detached);
  // Readiness: every group at its desired capacity, healthy everywhere.
  auto readyTimer = std::make_shared<asio::steady_timer>(ctl);
  std::function<void()> checkReady = [this, readyTimer, &checkReady] {
    readyTimer->expires_after(std::chrono::milliseconds(20));
    readyTimer->async_wait([this, &checkReady](error_code ec) {
      if (ec)
        return;
      std::lock_guard<std::recursive_mutex> g(mu);
      if (stopping)
        return;
      if (!allInService())
        return checkReady();
      ready = true;
      if (!opts.readyFile.empty())
        writeReadyFile();
      trace.note("run", "ready: every group is at its desired capacity and healthy");
      if (plan.scenario)
        startScenario();
      if (opts.log)
        opts.log->flush();
    });
  };
  {
    std::lock_guard<std::recursive_mutex> g(mu);
    fabric->deploy();
    fabric->beginMetrics();
  }
  // The apps' session counters into the Fabric's metrics, and a load
  // period every LoadPeriod of scaled time.
  auto sessionApps = [this] {
    std::lock_guard<std::recursive_mutex> g(mu);
    std::vector<SessionInstance> out;
    for (const Proc &p : procs)
      if (const InstanceRt *in = fabric->instance(p.id);
          in && in->running && !p.exited && plan.asgs[in->asg].app.sessions != SessionStrategy::None)
        out.push_back({in->asg, p.id, p.controlPort});
    return out;
  };
  auto counted = [this](const SessionCounts &c) {
    std::lock_guard<std::recursive_mutex> g(mu);
    for (uint64_t k = 0; k < c.lost; ++k)
      fabric->sessionLost(NoIndex, plan.asgs[c.asg].app.store, c.asg);
    fabric->replicated(c.asg, c.messages, c.bytes);
  };
  auto period = [this] {
    std::lock_guard<std::recursive_mutex> g(mu);
    fabric->sampleLoad();
  };
  auto every = std::chrono::duration_cast<std::chrono::milliseconds>(sched.real(LoadPeriod));
  asio::co_spawn(ctl, sessions->countSessions(ctl, std::max(every, std::chrono::milliseconds(50)),
                                              sessionApps, counted, period),
                 asio::detached);
  checkReady();
  asio::steady_timer end(ctl);
  if (opts.duration > 0) {
    end.expires_at(sched.realAt(opts.duration));
    end.async_wait([this](error_code ec) {
      if (!ec)
        stop();
    });
  }
  // Flush the log now and then: it may be a pipe.
  auto flusher = std::make_shared<asio::steady_timer>(ctl);
  std::function<void()> flush = [this, flusher, &flush] {
    flusher->expires_after(std::chrono::milliseconds(100));
    flusher->async_wait([this, &flush](error_code ec) {
      if (ec)
        return;
      {
        std::lock_guard<std::recursive_mutex> g(mu);
        if (opts.log)
          opts.log->flush();
      }
      flush();
    });
  };
  flush();
  ctl.run();
  if (opts.log)
    opts.log->flush();
  if (!opts.readyFile.empty())
    llvm::sys::fs::remove(opts.readyFile);
  return status_;
}

} // namespace

namespace {

/// A connection to the admin API at `url` ("http://127.0.0.1:PORT").
llvm::Error connectAdmin(llvm::StringRef url, tcp::socket &s, uint16_t &port) {
  llvm::StringRef rest = url;
  rest.consume_back("/");
  unsigned p = 0;
  if (!rest.consume_front("http://127.0.0.1:") || rest.getAsInteger(10, p) || p == 0 || p > 65535)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the admin URL must be http://127.0.0.1:PORT, not '%s'",
                                   url.str().c_str());
  port = uint16_t(p);
  error_code ec;
  s.connect({asio::ip::address_v4::loopback(), port}, ec);
  if (ec)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "nothing answers at %s (%s): is infrac run running?",
                                   url.str().c_str(), ec.message().c_str());
  return llvm::Error::success();
}

llvm::Error adminError(llvm::StringRef url, const error_code &ec) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "the admin API at %s: %s",
                                 url.str().c_str(), ec.message().c_str());
}

} // namespace

llvm::Expected<AdminResponse> adminRequest(llvm::StringRef url, llvm::StringRef method,
                                           llvm::StringRef path, llvm::StringRef body) {
  asio::io_context io;
  tcp::socket s(io);
  uint16_t port = 0;
  if (llvm::Error e = connectAdmin(url, s, port))
    return e;
  http::request<http::string_body> req{method == "POST" ? http::verb::post : http::verb::get,
                                       std::string(path), 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::content_type, "application/json");
  req.body() = body.str();
  req.prepare_payload();
  error_code ec;
  http::write(s, req, ec);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  if (!ec)
    http::read(s, buf, res, ec);
  if (ec)
    return adminError(url, ec);
  return AdminResponse{res.result_int(), res.body()};
}

llvm::Error followEvents(llvm::StringRef url, uint64_t since,
                         const std::function<bool(const llvm::json::Object &)> &each) {
  asio::io_context io;
  tcp::socket s(io);
  uint16_t port = 0;
  if (llvm::Error e = connectAdmin(url, s, port))
    return e;
  http::request<http::empty_body> req{
      http::verb::get, "/v1/events?follow=1&since=" + std::to_string(since), 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::accept, "text/event-stream");
  error_code ec;
  http::write(s, req, ec);
  beast::flat_buffer buf;
  http::response_parser<http::buffer_body> parser;
  if (!ec)
    http::read_header(s, buf, parser, ec);
  if (ec)
    return adminError(url, ec);
  if (parser.get().result() != http::status::ok)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the admin API at %s answered %u to GET /v1/events",
                                   url.str().c_str(), parser.get().result_int());
  // The body as it comes: Server-Sent Events, "data: {...}" lines, a blank
  // line after each event.
  std::string pending;
  char chunk[8192];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    http::read_some(s, buf, parser, ec); // What has come, not a full buffer.
    if (ec == http::error::need_buffer)
      ec = {};
    if (ec == http::error::end_of_stream || ec == asio::error::eof)
      return llvm::Error::success(); // The run stopped.
    if (ec)
      return adminError(url, ec);
    pending.append(chunk, sizeof chunk - parser.get().body().size);
    for (size_t end; (end = pending.find("\n\n")) != std::string::npos;) {
      llvm::StringRef event(pending.data(), end);
      for (llvm::StringRef rest = event; !rest.empty();) {
        auto [line, next] = rest.split('\n');
        rest = next;
        if (!line.consume_front("data: "))
          continue;
        auto v = llvm::json::parse(line);
        if (!v) {
          llvm::consumeError(v.takeError());
          continue;
        }
        if (const llvm::json::Object *o = v->getAsObject(); o && !each(*o))
          return llvm::Error::success();
      }
      pending.erase(0, end + 2);
    }
  }
  return llvm::Error::success();
}

int run(const Plan &plan, const RunOptions &opts) {
  LiveRuntime rt(plan, opts);
  return rt.run();
}

} // namespace infrac::live

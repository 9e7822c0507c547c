//===- ProxyBench.cpp - The live ALB/NLB proxies beside HAProxy ----------===//
//
// infrac-proxybench [--rounds N] [--duration S] [--connections C] [--echo PATH]
//
// Starts, on 127.0.0.1 and all pinned to CPU 0 (taskset): two infrac-echo
// backends, a byte source for the bulk test, infrac's proxies (this program
// in --serve mode: one event loop, the stand-alone StaticControl with
// round robin and AWSALB stickiness) and HAProxy (Debian haproxy, generated
// configuration: the same backends, roundrobin, HTTP health checks, cookie
// AWSALB insert, one thread). Then, from CPU 1, in interleaved rounds:
//   ALB: wrk -t2 -cC -dS --latency through each proxy (requests/s, p50, p99);
//   NLB connections/s: wrk with "Connection: close" through each TCP proxy;
//   NLB MB/s: a client reading 256 MiB from the source through each proxy.
// Prints the medians side by side. Every process it starts is in its own
// process group and is killed at the end (also on SIGINT/SIGTERM).
//
//===----------------------------------------------------------------------===//

#include "Live/DataPlane.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

using namespace infrac::live;

namespace {

std::vector<pid_t> children;
std::string scratch;

void killChildren() {
  for (pid_t p : children)
    kill(-p, SIGKILL);
  for (pid_t p : children) {
    int st;
    waitpid(p, &st, 0);
  }
  children.clear();
  if (!scratch.empty()) {
    std::string cmd = "rm -rf '" + scratch + "'";
    if (std::system(cmd.c_str()) != 0)
      std::fprintf(stderr, "proxybench: could not remove %s\n", scratch.c_str());
  }
}

void onSignal(int) {
  killChildren();
  _exit(1);
}

/// Starts `argv` in its own process group; stdout/stderr to `log`.
pid_t start(const std::vector<std::string> &argv, const std::string &log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char *> args;
  for (auto &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, args.data(), environ) != 0)
    pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (pid > 0)
    children.push_back(pid);
  return pid;
}

/// Runs a command, returns its stdout.
std::string capture(const std::string &cmd) {
  std::string out;
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;)
    out.append(buf, n);
  pclose(p);
  return out;
}

uint16_t freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (sockaddr *)&a, sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, (sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

int connectTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/// True once `GET path` on `port` answers 200.
bool waitHttp(uint16_t port, const char *path, int tries = 200) {
  for (int i = 0; i < tries; ++i) {
    int fd = connectTo(port);
    if (fd >= 0) {
      std::string req =
          std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      (void)!write(fd, req.data(), req.size());
      char buf[64] = {};
      ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (n > 12 && std::strncmp(buf, "HTTP/1.1 200", 12) == 0)
        return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool waitTcp(uint16_t port) {
  for (int i = 0; i < 200; ++i) {
    int fd = connectTo(port);
    if (fd >= 0) {
      close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

//===----------------------------------------------------------------------===//
// --serve: infrac's proxies; --source: the bulk byte source
//===----------------------------------------------------------------------===//

/// Per NLB listener its own backends, round robin.
class BenchTcpControl : public TcpControl {
public:
  std::map<uint32_t, std::vector<Endpoint>> backends;
  std::optional<TcpPick> pickTarget(uint32_t listener, const Flow &) override {
    std::lock_guard<std::mutex> lock(mutex);
    auto &list = backends[listener];
    if (list.empty())
      return std::nullopt;
    size_t i = next[listener]++ % list.size();
    return TcpPick{list[i], TargetKey(listener) << 32 | i, false};
  }
  void closed(const TcpOutcome &) override {}

private:
  std::mutex mutex;
  std::map<uint32_t, size_t> next;
};

std::vector<uint16_t> ports(const std::string &csv) {
  std::vector<uint16_t> out;
  std::stringstream ss(csv);
  for (std::string item; std::getline(ss, item, ',');)
    out.push_back(uint16_t(std::stoi(item)));
  return out;
}

int serve(int argc, char **argv) {
  // --serve ALB_PORT HTTP_BACKENDS TCP_PORT SOURCE_PORT SOURCE_BACKEND
  if (argc < 7)
    return 2;
  std::vector<StaticControl::Backend> http;
  TargetKey key = 1;
  for (uint16_t p : ports(argv[3]))
    http.push_back({Endpoint{0x7f000001, p}, key++, true});
  StaticControl control(http);
  control.stickiness = infrac::runtime::seconds(86400);
  BenchTcpControl tcp;
  for (uint16_t p : ports(argv[3]))
    tcp.backends[2].push_back(Endpoint{0x7f000001, p});
  tcp.backends[3].push_back(Endpoint{0x7f000001, uint16_t(std::stoi(argv[6]))});
  DataPlaneOptions opts;
  opts.threads = 1;
  auto plane = DataPlane::create(opts, &control, &tcp);
  if (!plane) {
    std::fprintf(stderr, "serve: %s\n", llvm::toString(plane.takeError()).c_str());
    return 1;
  }
  HttpListenerConfig h;
  h.port = uint16_t(std::stoi(argv[2]));
  TcpListenerConfig t;
  t.port = uint16_t(std::stoi(argv[4]));
  TcpListenerConfig s;
  s.port = uint16_t(std::stoi(argv[5]));
  auto check = [](llvm::Expected<uint16_t> r) {
    if (r)
      return true;
    std::fprintf(stderr, "serve: %s\n", llvm::toString(r.takeError()).c_str());
    return false;
  };
  if (!check((*plane)->addHttpListener(1, h)) || !check((*plane)->addTcpListener(2, t)) ||
      !check((*plane)->addTcpListener(3, s)))
    return 1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig;
  sigwait(&set, &sig);
  (*plane)->shutdown();
  return 0;
}

/// Sends `bytes` zero bytes to every connection, then closes it.
int source(int argc, char **argv) {
  if (argc < 4)
    return 2;
  uint16_t port = uint16_t(std::stoi(argv[2]));
  size_t bytes = size_t(std::stoull(argv[3]));
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (bind(lfd, (sockaddr *)&a, sizeof a) != 0 || listen(lfd, 64) != 0)
    return 1;
  std::vector<char> zero(1 << 16, 0);
  for (;;) {
    int fd = accept(lfd, nullptr, nullptr);
    if (fd < 0)
      continue;
    std::thread([fd, bytes, &zero] {
      size_t left = bytes;
      while (left) {
        ssize_t n = send(fd, zero.data(), std::min(left, zero.size()), MSG_NOSIGNAL);
        if (n <= 0)
          break;
        left -= size_t(n);
      }
      shutdown(fd, SHUT_WR);
      char tmp[256];
      while (read(fd, tmp, sizeof tmp) > 0) {
      }
      close(fd);
    }).detach();
  }
}

//===----------------------------------------------------------------------===//
// Measuring
//===----------------------------------------------------------------------===//

struct WrkResult {
  double rps = 0, p50 = 0, p99 = 0; // ms
  long errors = 0, non2xx = 0;
};

double toMs(const std::string &v) {
  double x = std::atof(v.c_str());
  if (v.find("us") != std::string::npos)
    return x / 1000;
  if (v.find("ms") != std::string::npos)
    return x;
  if (v.find('s') != std::string::npos)
    return x * 1000;
  return x;
}

WrkResult wrk(const std::string &url, int connections, int seconds, bool close) {
  std::string cmd = "taskset -c 1 wrk -t2 -c" + std::to_string(connections) + " -d" +
                    std::to_string(seconds) + "s --latency " +
                    (close ? "-H 'Connection: close' " : "") + url + " 2>&1";
  std::string out = capture(cmd);
  WrkResult r;
  std::smatch m;
  if (std::regex_search(out, m, std::regex("Requests/sec:\\s+([0-9.]+)")))
    r.rps = std::atof(m[1].str().c_str());
  if (std::regex_search(out, m, std::regex("\\s50%\\s+([0-9.]+[a-z]+)")))
    r.p50 = toMs(m[1]);
  if (std::regex_search(out, m, std::regex("\\s99%\\s+([0-9.]+[a-z]+)")))
    r.p99 = toMs(m[1]);
  if (std::regex_search(out, m, std::regex("Non-2xx or 3xx responses:\\s+([0-9]+)")))
    r.non2xx = std::atol(m[1].str().c_str());
  if (std::regex_search(
          out, m,
          std::regex(
              "Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)")))
    r.errors = std::atol(m[1].str().c_str()) + std::atol(m[2].str().c_str()) +
               std::atol(m[3].str().c_str()) + std::atol(m[4].str().c_str());
  if (r.rps == 0)
    std::fprintf(stderr, "proxybench: wrk gave no figure:\n%s\n", out.c_str());
  return r;
}

/// Reads the source's bytes through `port`; MB/s (10^6 bytes).
double bulk(uint16_t port) {
  int fd = connectTo(port);
  if (fd < 0)
    return 0;
  std::vector<char> buf(1 << 16);
  size_t total = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (ssize_t n; (n = read(fd, buf.data(), buf.size())) > 0;)
    total += size_t(n);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  close(fd);
  return s > 0 ? double(total) / 1e6 / s : 0;
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string haproxyConfig(uint16_t http, uint16_t tcp, uint16_t src,
                          const std::vector<uint16_t> &be, uint16_t source) {
  std::string c = "global\n    maxconn 4096\n    nbthread 1\n\ndefaults\n    timeout connect 5s\n"
                  "    timeout client 30s\n    timeout server 30s\n\n";
  // The headers ALB adds (infrac adds them too): the backends see the same.
  c += "frontend fe_http\n    mode http\n    bind 127.0.0.1:" + std::to_string(http) +
       "\n    option forwardfor\n"
       "    http-request set-header X-Forwarded-Proto http\n"
       "    http-request set-header X-Forwarded-Port %[dst_port]\n"
       "    unique-id-format Root=1-%[date,hex]-%[rand,hex]%[rand,hex]\n"
       "    unique-id-header X-Amzn-Trace-Id\n"
       "    default_backend be_http\n\n";
  c += "backend be_http\n    mode http\n    balance roundrobin\n    option httpchk GET /health\n"
       "    cookie AWSALB insert\n";
  for (size_t i = 0; i < be.size(); ++i)
    c += "    server s" + std::to_string(i + 1) + " 127.0.0.1:" + std::to_string(be[i]) +
         " check cookie s" + std::to_string(i + 1) + "\n";
  c += "\nfrontend fe_tcp\n    mode tcp\n    bind 127.0.0.1:" + std::to_string(tcp) +
       "\n    default_backend be_tcp\n\nbackend be_tcp\n    mode tcp\n    balance roundrobin\n";
  for (size_t i = 0; i < be.size(); ++i)
    c +=
        "    server t" + std::to_string(i + 1) + " 127.0.0.1:" + std::to_string(be[i]) + " check\n";
  c += "\nfrontend fe_src\n    mode tcp\n    bind 127.0.0.1:" + std::to_string(src) +
       "\n    default_backend be_src\n\nbackend be_src\n    mode tcp\n    server src 127.0.0.1:" +
       std::to_string(source) + "\n";
  return c;
}

std::string selfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, size_t(n)) : "";
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 1 && std::strcmp(argv[1], "--serve") == 0)
    return serve(argc, argv);
  if (argc > 1 && std::strcmp(argv[1], "--source") == 0)
    return source(argc, argv);

  int rounds = 3, duration = 10, connections = 64;
  std::string echo = INFRAC_ECHO_BINARY;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else if (a == "--duration")
      duration = std::atoi(argv[i + 1]);
    else if (a == "--connections")
      connections = std::atoi(argv[i + 1]);
    else if (a == "--echo")
      echo = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: infrac-proxybench [--rounds N] [--duration S] "
                           "[--connections C] [--echo PATH]\n");
      return 2;
    }
  }
  if (capture("for t in wrk haproxy taskset; do command -v $t; done | wc -l").find('3') ==
      std::string::npos) {
    std::fprintf(stderr, "proxybench: needs wrk, haproxy and taskset (INFRAC_SETUP_BENCH=1 "
                         "bash scripts/setup.sh)\n");
    return 1;
  }
  signal(SIGINT, onSignal);
  signal(SIGTERM, onSignal);
  char tmpl[] = "/tmp/infrac-proxybench-XXXXXX";
  if (!mkdtemp(tmpl))
    return 1;
  scratch = tmpl;
  std::string log = scratch + "/log.txt";

  std::vector<uint16_t> be = {freePort(), freePort()};
  uint16_t sourcePort = freePort();
  uint16_t oursHttp = freePort(), oursTcp = freePort(), oursSrc = freePort();
  uint16_t haHttp = freePort(), haTcp = freePort(), haSrc = freePort();
  for (size_t i = 0; i < be.size(); ++i)
    start({"taskset", "-c", "0", echo, "--port", std::to_string(be[i]), "--control-port", "0",
           "--instance", "i-" + std::to_string(i + 1)},
          log);
  const size_t bulkBytes = 256u << 20;
  std::string self = selfPath();
  start({"taskset", "-c", "0", self, "--source", std::to_string(sourcePort),
         std::to_string(bulkBytes)},
        log);
  std::string csv = std::to_string(be[0]) + "," + std::to_string(be[1]);
  start({"taskset", "-c", "0", self, "--serve", std::to_string(oursHttp), csv,
         std::to_string(oursTcp), std::to_string(oursSrc), std::to_string(sourcePort)},
        log);
  std::string cfg = scratch + "/haproxy.cfg";
  std::ofstream(cfg) << haproxyConfig(haHttp, haTcp, haSrc, be, sourcePort);
  start({"taskset", "-c", "0", "haproxy", "-db", "-f", cfg}, log);

  bool up = waitHttp(be[0], "/health") && waitHttp(be[1], "/health") && waitTcp(sourcePort) &&
            waitHttp(oursHttp, "/") && waitHttp(haHttp, "/") && waitTcp(oursSrc) && waitTcp(haSrc);
  if (!up) {
    std::fprintf(stderr, "proxybench: something did not come up; log:\n%s\n",
                 capture("cat '" + log + "'").c_str());
    killChildren();
    return 1;
  }
  // Pin this process (the bulk client) beside wrk.
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(1, &cpus);
  sched_setaffinity(0, sizeof cpus, &cpus);

  std::string version = capture("haproxy -v 2>&1 | head -1");
  version.erase(version.find_last_not_of("\n") + 1);
  std::printf("proxies and backends on CPU 0, wrk on CPU 1; %d rounds of %d s, wrk -t2 -c%d\n",
              rounds, duration, connections);
  std::printf("backends: 2 x infrac-echo; peer: %s\n\n", version.c_str());
  std::fflush(stdout);

  struct Series {
    std::vector<double> rps, p50, p99;
    long errors = 0, non2xx = 0;
    void add(const WrkResult &r) {
      rps.push_back(r.rps), p50.push_back(r.p50), p99.push_back(r.p99);
      errors += r.errors, non2xx += r.non2xx;
    }
  };
  Series albOurs, albHa, connOurs, connHa;
  std::vector<double> mbOurs, mbHa;
  auto url = [](uint16_t p) { return "http://127.0.0.1:" + std::to_string(p) + "/"; };
  // Warm-up.
  wrk(url(oursHttp), connections, 2, false);
  wrk(url(haHttp), connections, 2, false);
  for (int r = 0; r < rounds; ++r) {
    albOurs.add(wrk(url(oursHttp), connections, duration, false));
    albHa.add(wrk(url(haHttp), connections, duration, false));
    connOurs.add(wrk(url(oursTcp), connections, duration, true));
    connHa.add(wrk(url(haTcp), connections, duration, true));
    mbOurs.push_back(bulk(oursSrc));
    mbHa.push_back(bulk(haSrc));
    std::fprintf(stderr,
                 "round %d: alb %.0f / %.0f req/s, nlb %.0f / %.0f conn/s, %.0f / %.0f MB/s\n",
                 r + 1, albOurs.rps.back(), albHa.rps.back(), connOurs.rps.back(),
                 connHa.rps.back(), mbOurs.back(), mbHa.back());
  }
  auto row = [](const char *name, const Series &s, const char *unit) {
    std::printf("| %-28s | %10.0f %s | %7.2f ms | %7.2f ms | %ld / %ld |\n", name, median(s.rps),
                unit, median(s.p50), median(s.p99), s.errors, s.non2xx);
  };
  std::printf("| median of %d rounds           |            rate | p50        | p99        | "
              "errors / non-2xx |\n",
              rounds);
  std::printf("|---|---|---|---|---|\n");
  row("ALB: infrac (1 loop)", albOurs, "req/s ");
  row("ALB: HAProxy (nbthread 1)", albHa, "req/s ");
  row("NLB: infrac, new conn each", connOurs, "conn/s");
  row("NLB: HAProxy mode tcp", connHa, "conn/s");
  std::printf("| %-28s | %10.0f MB/s   |            |            |         |\n", "NLB bulk: infrac",
              median(mbOurs));
  std::printf("| %-28s | %10.0f MB/s   |            |            |         |\n",
              "NLB bulk: HAProxy mode tcp", median(mbHa));
  double ratio = median(albHa.rps) > 0 ? median(albOurs.rps) / median(albHa.rps) : 0;
  double p99 = median(albHa.p99) > 0 ? median(albOurs.p99) / median(albHa.p99) : 0;
  std::printf("\nALB infrac/HAProxy: %.2fx requests/s, %.2fx p99 (target: >= 1.00x, <= 1.20x)\n",
              ratio, p99);
  killChildren();
  return 0;
}

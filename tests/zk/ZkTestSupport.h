//===- ZkTestSupport.h - A ZooKeeper backend process and C-client helpers -*- C++ -*-===//
//
// A backend is a child process that serves an ensemble on loopback and obeys
// the control lines of infrac-zk (`kill ID`, `restore ID`, `leader`, `quit`):
// either infrac-zk itself or tests/zk/zk_ensemble.py (a real ZooKeeper
// ensemble). It dies with its parent (PR_SET_PDEATHSIG) and ends on `quit` or
// when its stdin closes. Shared by the client tests and the benchmark.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_TESTS_ZK_ZKTESTSUPPORT_H
#define INFRAC_TESTS_ZK_ZKTESTSUPPORT_H

#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <mutex>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace zktest {

/// A child process with a pipe to its stdin and one from its stdout.
class Child {
public:
  bool spawn(const std::vector<std::string> &argv) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
      return false;
    std::vector<char *> args;
    for (const std::string &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    pid = fork();
    if (pid < 0)
      return false;
    if (pid == 0) {
      // Only async-signal-safe calls until exec.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(in[0], 0);
      dup2(out[1], 1);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    toChild = fdopen(in[1], "w");
    fromChild = fdopen(out[0], "r");
    return toChild && fromChild;
  }
  /// One line of the child's stdout, without its newline ("" at the end).
  std::string readLine() {
    std::string s;
    int c;
    while ((c = std::fgetc(fromChild)) != EOF && c != '\n')
      s.push_back(char(c));
    return s;
  }
  void writeLine(const std::string &line) {
    std::fputs((line + "\n").c_str(), toChild);
    std::fflush(toChild);
  }
  void signal(int sig) {
    if (pid > 0)
      ::kill(pid, sig);
  }
  /// Closes its stdin and waits for it, killing it after `grace`.
  int finish(std::chrono::milliseconds grace = std::chrono::seconds(20)) {
    if (pid <= 0)
      return -1;
    if (toChild)
      std::fclose(toChild), toChild = nullptr;
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      usleep(10000);
    }
    if (fromChild)
      std::fclose(fromChild), fromChild = nullptr;
    pid = -1;
    return status;
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      finish();
    }
  }
  pid_t pid = -1;

private:
  FILE *toChild = nullptr;
  FILE *fromChild = nullptr;
};

/// The ensemble under test.
class Backend {
public:
  /// `kind` is "embedded" (infrac-zk at `zkBinary`) or "real" (the script).
  bool start(const std::string &kind, const std::string &zkBinary, const std::string &script,
             int tickMs) {
    this->kind = kind;
    std::vector<std::string> argv;
    if (kind == "real")
      argv = {"/usr/bin/python3", script, "--servers", "3", "--tick", std::to_string(tickMs)};
    else
      argv = {zkBinary, "--servers", "3", "--tick", std::to_string(tickMs) + "ms"};
    if (!proc.spawn(argv))
      return false;
    std::string line = proc.readLine();
    if (line.rfind("ready ", 0) != 0) {
      std::fprintf(stderr, "backend '%s' did not start: %s\n", kind.c_str(), line.c_str());
      return false;
    }
    connect = line.substr(6);
    size_t start = 0;
    while (start < connect.size()) {
      size_t comma = connect.find(',', start);
      if (comma == std::string::npos)
        comma = connect.size();
      servers.push_back(connect.substr(start, comma - start));
      start = comma + 1;
    }
    return true;
  }
  /// Sends a control line and returns the answer.
  std::string command(const std::string &line) {
    std::lock_guard<std::mutex> g(mu);
    proc.writeLine(line);
    return proc.readLine();
  }
  bool kill(int id) { return command("kill " + std::to_string(id)) == "ok"; }
  bool restore(int id) { return command("restore " + std::to_string(id)) == "ok"; }
  int leader() {
    std::string s = command("leader");
    return s.rfind("leader ", 0) == 0 ? std::atoi(s.c_str() + 7) : 0;
  }
  /// The id (from 1) of the server at "host:port", or 0.
  int idOf(const std::string &hostPort) const {
    for (size_t i = 0; i < servers.size(); ++i)
      if (servers[i] == hostPort)
        return int(i + 1);
    return 0;
  }
  void stop() {
    if (proc.pid > 0) {
      proc.writeLine("quit");
      proc.finish();
    }
  }
  std::string kind, connect;
  std::vector<std::string> servers;

private:
  Child proc;
  std::mutex mu;
};

/// A C-client handle whose global watcher records session states and watch
/// events.
class Client {
public:
  struct Event {
    int type;
    std::string path;
  };
  explicit Client(const std::string &hosts, int timeoutMs = 4000,
                  const clientid_t *resume = nullptr) {
    zh = zookeeper_init(hosts.c_str(), &Client::watcher, timeoutMs, resume, this, 0);
  }
  ~Client() {
    if (zh)
      zookeeper_close(zh);
  }
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;

  bool waitState(int state, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, timeout, [&] { return lastState == state; });
  }
  /// Waits until the client has passed through `state` since the last
  /// forgetStates() (a transient state such as CONNECTING can be over before
  /// the test looks).
  bool waitPassed(int state, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, timeout, [&] {
      return std::find(history.begin(), history.end(), state) != history.end();
    });
  }
  void forgetStates() {
    std::lock_guard<std::mutex> g(mu);
    history.clear();
  }
  bool waitConnected(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    return waitState(ZOO_CONNECTED_STATE, timeout);
  }
  /// Waits for a watch event of `type` on `path`, consuming events before it.
  bool waitEvent(int type, const std::string &path, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      while (!events.empty()) {
        Event e = events.front();
        events.pop_front();
        if (e.type == type && e.path == path)
          return true;
      }
      if (cv.wait_until(l, deadline) == std::cv_status::timeout && events.empty())
        return false;
    }
  }
  std::vector<Event> drain() {
    std::lock_guard<std::mutex> g(mu);
    std::vector<Event> v(events.begin(), events.end());
    events.clear();
    return v;
  }
  int state() {
    std::lock_guard<std::mutex> g(mu);
    return lastState;
  }
  int64_t sessionId() const { return zoo_client_id(zh)->client_id; }
  /// "host:port" of the server it is connected to, or "".
  std::string server() const {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (!zookeeper_get_connected_host(zh, (struct sockaddr *)&addr, &len))
      return "";
    if (addr.ss_family != AF_INET)
      return "";
    auto *in = (struct sockaddr_in *)&addr;
    char buf[64];
    std::snprintf(buf, sizeof buf, "127.0.0.1:%u", unsigned(ntohs(in->sin_port)));
    return buf;
  }
  zhandle_t *zh = nullptr;

private:
  static void watcher(zhandle_t *, int type, int state, const char *path, void *ctx) {
    auto *c = static_cast<Client *>(ctx);
    std::lock_guard<std::mutex> g(c->mu);
    if (type == ZOO_SESSION_EVENT) {
      c->lastState = state;
      c->history.push_back(state);
    }
    else
      c->events.push_back({type, path ? path : ""});
    c->cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  int lastState = 0;
  std::vector<int> history;
  std::deque<Event> events;
};

} // namespace zktest

#endif

//===- RedisBackend.cpp - A real Redis as the session store ---------------===//
#include "RedisBackend.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

using namespace infrac::live;
using llvm::StringRef;

namespace {

// A port the kernel considers free on 127.0.0.1 now. redis-server cannot be
// told to pick one (`--port 0` disables TCP), so the caller retries when the
// server fails to bind it.
llvm::Expected<uint16_t> freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return llvm::errorCodeToError(std::error_code(errno, std::generic_category()));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len) != 0) {
    int e = errno;
    ::close(fd);
    return llvm::errorCodeToError(std::error_code(e, std::generic_category()));
  }
  ::close(fd);
  return ntohs(sa.sin_port);
}

bool exited(int pid) {
  int status;
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

void killAndReap(int pid) {
  if (pid <= 0)
    return;
  ::kill(pid, SIGKILL);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

llvm::Expected<int> startServer(const std::string &binary,
                                const std::vector<std::string> &args,
                                const std::string &logPath) {
  std::vector<char *> argv;
  argv.push_back(const_cast<char *>(binary.c_str()));
  for (const std::string &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, logPath.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so that nothing it starts outlives a kill.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(),
                       environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return llvm::createStringError(std::error_code(rc, std::generic_category()),
                                   "cannot start %s: %s", binary.c_str(),
                                   strerror(rc));
  return int(pid);
}

// Waits until the server at `port` answers PING, or it exits.
llvm::Error waitForPing(int pid, uint16_t port, infrac::runtime::Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::microseconds(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    if (exited(pid))
      return llvm::createStringError(std::errc::address_in_use,
                                     "redis-server exited before answering on port %u",
                                     unsigned(port));
    auto client = RespClient::connect("127.0.0.1", port, infrac::runtime::seconds(1));
    if (client) {
      StringRef ping[] = {"PING"};
      auto reply = client->command(ping);
      if (reply && reply->kind == RespValue::Simple && reply->str == "PONG")
        return llvm::Error::success();
      if (!reply)
        llvm::consumeError(reply.takeError());
    } else {
      llvm::consumeError(client.takeError());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return llvm::createStringError(std::errc::timed_out,
                                 "redis-server on port %u did not answer PING",
                                 unsigned(port));
}

} // namespace

llvm::Expected<std::unique_ptr<RedisBackend>>
RedisBackend::spawn(const RedisSpawnOptions &options) {
  assert((options.nodes == 1 || options.nodes == 2) && "one or two nodes");
  std::string binary = options.redisServer;
  if (binary.empty()) {
    auto found = llvm::sys::findProgramByName("redis-server");
    if (!found)
      return llvm::createStringError(found.getError(),
                                     "cannot find 'redis-server' on PATH");
    binary = *found;
  }
  std::unique_ptr<RedisBackend> backend(new RedisBackend());
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("infrac-redis", dir))
    return llvm::createStringError(ec, "cannot create a directory for redis-server");
  backend->workDir = std::string(dir);
  for (unsigned i = 0; i < options.nodes; ++i) {
    llvm::Error last = llvm::Error::success();
    bool started = false;
    for (int attempt = 0; attempt < 5 && !started; ++attempt) {
      llvm::consumeError(std::move(last));
      auto port = freePort();
      if (!port)
        return port.takeError();
      std::string nodeDir = backend->workDir + "/node" + std::to_string(i);
      llvm::sys::fs::create_directories(nodeDir);
      std::vector<std::string> args = {
          "--port", std::to_string(*port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", nodeDir,
          "--daemonize", "no", "--protected-mode", "yes",
          "--repl-diskless-sync-delay", "0",
          "--logfile", ""};
      if (i == 1) {
        std::string host, ignoredPort;
        auto [h, p] = StringRef(backend->nodes[0].address).rsplit(':');
        args.insert(args.end(), {"--replicaof", h.str(), p.str()});
      }
      auto pid = startServer(binary, args, nodeDir + "/redis.log");
      if (!pid)
        return pid.takeError();
      last = waitForPing(*pid, *port, options.startTimeout);
      if (last) {
        killAndReap(*pid);
        continue;
      }
      backend->nodes.push_back({"127.0.0.1:" + std::to_string(*port), *pid, true});
      started = true;
    }
    if (!started)
      return last;
    llvm::consumeError(std::move(last));
  }
  if (options.nodes == 2)
    if (llvm::Error e = backend->waitForReplica(options.startTimeout))
      return e;
  return backend;
}

llvm::Expected<std::unique_ptr<RedisBackend>>
RedisBackend::attach(llvm::ArrayRef<std::string> addresses) {
  assert((addresses.size() == 1 || addresses.size() == 2) && "one or two nodes");
  std::unique_ptr<RedisBackend> backend(new RedisBackend());
  for (const std::string &a : addresses) {
    auto client = RespClient::connect(a);
    if (!client)
      return client.takeError();
    StringRef ping[] = {"PING"};
    auto reply = client->command(ping);
    if (!reply)
      return reply.takeError();
    if (reply->kind != RespValue::Simple)
      return llvm::createStringError(std::errc::protocol_error,
                                     "redis at %s answered PING with '%s'",
                                     a.c_str(), reply->str.c_str());
    backend->nodes.push_back({a, -1, true});
  }
  return backend;
}

RedisBackend::~RedisBackend() { stop(); }

unsigned RedisBackend::nodeCount() const { return unsigned(nodes.size()); }

std::string RedisBackend::address(unsigned node) const {
  assert(node < nodes.size() && "no such node");
  return nodes[node].address;
}

int RedisBackend::primary() const {
  return primaryNode >= 0 && nodes[primaryNode].up ? primaryNode : -1;
}

bool RedisBackend::isUp(unsigned node) const {
  return node < nodes.size() && nodes[node].up;
}

int RedisBackend::pid(unsigned node) const {
  return node < nodes.size() ? nodes[node].pid : -1;
}

llvm::Expected<RespValue> RedisBackend::command(unsigned node,
                                                llvm::ArrayRef<StringRef> argv) {
  assert(node < nodes.size() && "no such node");
  auto client = RespClient::connect(nodes[node].address);
  if (!client)
    return client.takeError();
  return client->command(argv);
}

llvm::Error RedisBackend::kill(unsigned node) {
  if (node >= nodes.size())
    return llvm::createStringError(std::errc::invalid_argument,
                                   "the store has no node %u", node);
  NodeState &n = nodes[node];
  if (!n.up)
    return llvm::Error::success();
  if (n.pid > 0) {
    killAndReap(n.pid);
    n.pid = -1;
  } else {
    // A server this adapter did not start: SHUTDOWN closes the connection
    // without a reply, which is what success looks like.
    StringRef shutdown[] = {"SHUTDOWN", "NOSAVE"};
    auto reply = command(node, shutdown);
    if (reply && reply->isError())
      return llvm::createStringError(std::errc::operation_not_permitted,
                                     "redis at %s refused SHUTDOWN: %s",
                                     n.address.c_str(), reply->str.c_str());
    if (!reply)
      llvm::consumeError(reply.takeError());
  }
  n.up = false;
  if (int(node) == primaryNode) {
    primaryNode = -1;
    for (unsigned i = 0; i < nodes.size(); ++i)
      if (nodes[i].up)
        return promote(i);
  }
  return llvm::Error::success();
}

llvm::Error RedisBackend::promote(unsigned node) {
  StringRef noOne[] = {"REPLICAOF", "NO", "ONE"};
  auto reply = command(node, noOne);
  if (!reply)
    return reply.takeError();
  if (reply->isError())
    return llvm::createStringError(std::errc::operation_not_permitted,
                                   "redis at %s refused REPLICAOF NO ONE: %s",
                                   nodes[node].address.c_str(),
                                   reply->str.c_str());
  primaryNode = int(node);
  return llvm::Error::success();
}

llvm::Error RedisBackend::waitForReplica(runtime::Duration timeout) {
  if (nodes.size() < 2)
    return llvm::Error::success();
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(timeout);
  StringRef info[] = {"INFO", "replication"};
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = command(1, info);
    if (reply && reply->str.find("master_link_status:up") != std::string::npos)
      return llvm::Error::success();
    if (!reply)
      llvm::consumeError(reply.takeError());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return llvm::createStringError(std::errc::timed_out,
                                 "the replica at %s did not sync with %s",
                                 nodes[1].address.c_str(),
                                 nodes[0].address.c_str());
}

void RedisBackend::stop() {
  for (NodeState &n : nodes) {
    if (n.pid > 0)
      killAndReap(n.pid);
    n.pid = -1;
    n.up = false;
  }
  if (!workDir.empty())
    llvm::sys::fs::remove_directories(workDir);
  workDir.clear();
}

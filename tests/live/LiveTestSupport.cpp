//===- LiveTestSupport.cpp - Backends, clients and processes for Live tests -===//

#include "LiveTestSupport.h"

#include <boost/beast/http.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

extern char **environ;

namespace http = boost::beast::http;
using namespace livetest;

void livetest::setTimeouts(int fd, std::chrono::milliseconds t) {
  timeval tv;
  tv.tv_sec = long(t.count() / 1000);
  tv.tv_usec = long((t.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int listenOn(int type, uint16_t &port) {
  int fd = socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(fd, (sockaddr *)&a, sizeof a) != 0 || (type == SOCK_STREAM && listen(fd, 128) != 0)) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof a;
  getsockname(fd, (sockaddr *)&a, &len);
  port = ntohs(a.sin_port);
  return fd;
}

static int connectTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd, (sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static bool sendAll(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k <= 0)
      return false;
    p += k, n -= size_t(k);
  }
  return true;
}

/// The server thread closes the descriptor after the handler: an RST.
static void resetOnClose(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

//===----------------------------------------------------------------------===//
// TcpServer
//===----------------------------------------------------------------------===//

TcpServer::TcpServer(Handler h) : handler(std::move(h)) {
  listenFd = listenOn(SOCK_STREAM, port_);
  acceptThread = std::thread([this] {
    for (;;) {
      int fd = accept(listenFd, nullptr, nullptr);
      if (fd < 0) {
        if (stopping)
          return;
        continue;
      }
      if (stopping) {
        close(fd);
        return;
      }
      ++accepted;
      setTimeouts(fd, std::chrono::seconds(10));
      std::lock_guard<std::mutex> lock(mutex);
      fds.push_back(fd);
      threads.emplace_back([this, fd] {
        handler(fd);
        {
          std::lock_guard<std::mutex> lock(mutex);
          fds.erase(std::find(fds.begin(), fds.end(), fd));
        }
        close(fd); // with SO_LINGER 0 from the handler: an RST
      });
    }
  });
}

TcpServer::~TcpServer() { stop(); }

void TcpServer::stop() {
  if (stopping.exchange(true))
    return;
  shutdown(listenFd, SHUT_RDWR);
  close(listenFd);
  acceptThread.join();
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (int fd : fds)
      shutdown(fd, SHUT_RDWR);
  }
  for (auto &t : threads)
    t.join();
}

/// Reads one request through Beast's parser; false at EOF or an error.
static bool readRequest(int fd, std::string &buf, http::request_parser<http::string_body> &p) {
  for (;;) {
    if (!buf.empty()) {
      boost::system::error_code ec;
      size_t used = p.put(boost::asio::buffer(buf), ec);
      if (ec == http::error::need_more)
        ec = {};
      if (ec)
        return false;
      buf.erase(0, used);
      if (p.is_done())
        return true;
      if (used && !buf.empty())
        continue;
    }
    char tmp[8192];
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0)
      return false;
    buf.append(tmp, size_t(n));
  }
}

std::unique_ptr<TcpServer> livetest::httpBackend(std::string name, Mode mode) {
  return std::make_unique<TcpServer>([name, mode](int fd) {
    std::string buf;
    for (;;) {
      http::request_parser<http::string_body> p;
      if (!readRequest(fd, buf, p))
        return;
      switch (mode) {
      case Mode::Reset: resetOnClose(fd); return;
      case Mode::Garbage: {
        const char junk[] = "this is not http\r\n\r\n";
        sendAll(fd, junk, sizeof junk - 1);
        shutdown(fd, SHUT_RDWR);
        return;
      }
      case Mode::Hang: {
        char tmp[256];
        while (recv(fd, tmp, sizeof tmp, 0) > 0) {
        }
        return;
      }
      case Mode::CloseMidBody: {
        const char part[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part";
        sendAll(fd, part, sizeof part - 1);
        shutdown(fd, SHUT_RDWR);
        return;
      }
      case Mode::Echo: break;
      }
      auto &req = p.get();
      std::string body = "name=" + name + "\n";
      body += std::string(req.method_string()) + " " + std::string(req.target()) + "\n";
      for (auto &f : req)
        body += std::string(f.name_string()) + ": " + std::string(f.value()) + "\n";
      body += "body=" + req.body() + "\n";
      std::string res = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Backend: " + name +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      if (!sendAll(fd, res.data(), res.size()))
        return;
    }
  });
}

std::unique_ptr<TcpServer> livetest::tcpEcho(std::string *proxyHeader, std::mutex *m) {
  return std::make_unique<TcpServer>([proxyHeader, m](int fd) {
    if (proxyHeader) {
      std::string h;
      char tmp[28];
      while (h.size() < 28) {
        ssize_t n = recv(fd, tmp, 28 - h.size(), 0);
        if (n <= 0)
          return;
        h.append(tmp, size_t(n));
      }
      std::lock_guard<std::mutex> lock(*m);
      *proxyHeader = h;
    }
    char buf[16384];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        shutdown(fd, SHUT_WR);
        return;
      }
      if (!sendAll(fd, buf, size_t(n)))
        return;
    }
  });
}

UdpEcho::UdpEcho(std::string name) {
  fd = listenOn(SOCK_DGRAM, port_);
  setTimeouts(fd, std::chrono::milliseconds(100));
  thread = std::thread([this, name] {
    char buf[2048];
    while (!stopping) {
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (sockaddr *)&from, &len);
      if (n < 0)
        continue;
      std::string reply = name + ":" + std::string(buf, size_t(n));
      sendto(fd, reply.data(), reply.size(), 0, (sockaddr *)&from, len);
    }
  });
}

UdpEcho::~UdpEcho() {
  stopping = true;
  thread.join();
  close(fd);
}

//===----------------------------------------------------------------------===//
// Client
//===----------------------------------------------------------------------===//

std::string Response::header(const std::string &name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

Client::Client(uint16_t port, std::chrono::milliseconds timeout) {
  fd = connectTo(port);
  if (fd >= 0)
    setTimeouts(fd, timeout);
}

Client::~Client() {
  if (fd >= 0)
    close(fd);
}

bool Client::send(const std::string &bytes) {
  return fd >= 0 && sendAll(fd, bytes.data(), bytes.size());
}

Response Client::request(const std::string &method, const std::string &target,
                         std::vector<std::pair<std::string, std::string>> headers,
                         std::string body) {
  Response r;
  std::string req = method + " " + target + " HTTP/1.1\r\n";
  bool host = false;
  for (auto &[k, v] : headers) {
    req += k + ": " + v + "\r\n";
    host |= strcasecmp(k.c_str(), "host") == 0;
  }
  if (!host)
    req += "Host: test.local\r\n";
  if (!body.empty())
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (!send(req)) {
    r.error = "send failed";
    return r;
  }
  return readResponse(method == "HEAD");
}

Response Client::readResponse(bool head) {
  Response r;
  http::response_parser<http::string_body> p;
  p.body_limit(64 << 20);
  if (head)
    p.skip(true);
  for (;;) {
    if (!pending.empty()) {
      boost::system::error_code ec;
      size_t used = p.put(boost::asio::buffer(pending), ec);
      if (ec == http::error::need_more)
        ec = {};
      if (ec) {
        r.error = "parse: " + ec.message();
        return r;
      }
      pending.erase(0, used);
      if (p.is_done())
        break;
      if (used && !pending.empty())
        continue;
    }
    char tmp[16384];
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) {
      if (n == 0 && p.need_eof()) {
        boost::system::error_code ec;
        p.put_eof(ec);
        if (!ec)
          break;
      }
      r.error = n == 0 ? "closed" : std::string("recv: ") + std::strerror(errno);
      return r;
    }
    pending.append(tmp, size_t(n));
  }
  auto &res = p.get();
  r.ok = true;
  r.status = res.result_int();
  for (auto &f : res) {
    std::string name(f.name_string());
    for (char &c : name)
      c = char(std::tolower((unsigned char)c));
    r.headers.emplace(name, std::string(f.value()));
  }
  r.body = res.body();
  return r;
}

std::string Client::readAll() {
  std::string out = pending;
  pending.clear();
  char tmp[16384];
  for (;;) {
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0)
      return out;
    out.append(tmp, size_t(n));
  }
}

bool Client::closedByPeer() {
  char tmp[1024];
  for (;;) {
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n == 0)
      return true;
    if (n < 0)
      return errno == ECONNRESET;
  }
}

Response livetest::get(uint16_t port, const std::string &target,
                       std::vector<std::pair<std::string, std::string>> headers) {
  Client c(port);
  return c.request("GET", target, std::move(headers));
}

//===----------------------------------------------------------------------===//
// Process
//===----------------------------------------------------------------------===//

Process::Process(const std::vector<std::string> &argv, const std::vector<std::string> &env) {
  int p[2];
  if (pipe(p) != 0)
    return;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char *> args;
  for (auto &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> envStrings;
  for (char **e = environ; *e; ++e)
    envStrings.push_back(*e);
  for (auto &e : env)
    envStrings.push_back(e);
  std::vector<char *> envp;
  for (auto &e : envStrings)
    envp.push_back(const_cast<char *>(e.c_str()));
  envp.push_back(nullptr);
  if (posix_spawn(&pid_, argv[0].c_str(), &fa, &attr, args.data(), envp.data()) != 0)
    pid_ = -1;
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(p[1]);
  out = p[0];
}

Process::~Process() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
  }
  if (out >= 0)
    close(out);
}

std::string Process::readLine(std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t nl = buffered.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffered.substr(0, nl);
      buffered.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return "";
    pollfd pfd{out, POLLIN, 0};
    if (poll(&pfd, 1, int(left.count())) <= 0)
      return "";
    char tmp[1024];
    ssize_t n = read(out, tmp, sizeof tmp);
    if (n <= 0)
      return "";
    buffered.append(tmp, size_t(n));
  }
}

int Process::signalAndWait(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  kill(pid_, sig);
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int st;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return st;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

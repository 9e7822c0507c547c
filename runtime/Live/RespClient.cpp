//===- RespClient.cpp - A small blocking RESP2 client ---------------------===//
#include "RespClient.h"
#include "RespProtocol.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

using namespace infrac::live;
using llvm::StringRef;

bool infrac::live::splitAddress(StringRef address, std::string &host,
                                uint16_t &port) {
  auto [h, p] = address.rsplit(':');
  unsigned v;
  if (h.empty() || p.empty() || p.getAsInteger(10, v) || v == 0 || v > 65535)
    return false;
  host = h.str();
  port = uint16_t(v);
  return true;
}

RespClient::RespClient(RespClient &&other) noexcept
    : fd(other.fd), buffer(std::move(other.buffer)), pos(other.pos) {
  other.fd = -1;
}

RespClient &RespClient::operator=(RespClient &&other) noexcept {
  if (this != &other) {
    close();
    fd = other.fd;
    buffer = std::move(other.buffer);
    pos = other.pos;
    other.fd = -1;
  }
  return *this;
}

RespClient::~RespClient() { close(); }

void RespClient::close() {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

llvm::Expected<RespClient> RespClient::connect(StringRef address,
                                               runtime::Duration timeout) {
  std::string host;
  uint16_t port;
  if (!splitAddress(address, host, port))
    return llvm::createStringError(std::errc::invalid_argument,
                                   "'%s' is not HOST:PORT",
                                   address.str().c_str());
  return connect(host, port, timeout);
}

llvm::Expected<RespClient> RespClient::connect(StringRef host, uint16_t port,
                                               runtime::Duration timeout) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  std::string h = host == "localhost" ? "127.0.0.1" : host.str();
  if (inet_pton(AF_INET, h.c_str(), &sa.sin_addr) != 1)
    return llvm::createStringError(std::errc::invalid_argument,
                                   "'%s' is not an IPv4 address", h.c_str());
  RespClient c;
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd < 0)
    return llvm::errorCodeToError(std::error_code(errno, std::generic_category()));
  timeval tv{};
  tv.tv_sec = timeout / 1000000;
  tv.tv_usec = timeout % 1000000;
  setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(c.fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0)
    return llvm::createStringError(std::error_code(errno, std::generic_category()),
                                   "cannot connect to %s:%u: %s", h.c_str(),
                                   unsigned(port), strerror(errno));
  return c;
}

llvm::Error RespClient::sendAll(StringRef bytes) {
  if (fd < 0)
    return llvm::createStringError(std::errc::not_connected, "not connected");
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      close();
      return llvm::createStringError(std::errc::connection_reset,
                                     "cannot send: %s", strerror(errno));
    }
    bytes = bytes.drop_front(size_t(n));
  }
  return llvm::Error::success();
}

llvm::Error RespClient::fill() {
  if (pos > 0) {
    buffer.erase(0, pos);
    pos = 0;
  }
  char chunk[16384];
  while (true) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0) {
      close();
      return llvm::createStringError(std::errc::connection_reset,
                                     "connection closed by the server");
    }
    if (n < 0) {
      int e = errno;
      close();
      return llvm::createStringError(std::errc::timed_out,
                                     "no reply from the server: %s",
                                     strerror(e));
    }
    buffer.append(chunk, size_t(n));
    return llvm::Error::success();
  }
}

llvm::Expected<RespValue> RespClient::readValue() {
  auto line = [&]() -> llvm::Expected<std::string> {
    while (true) {
      size_t crlf = buffer.find("\r\n", pos);
      if (crlf != std::string::npos) {
        std::string l = buffer.substr(pos, crlf - pos);
        pos = crlf + 2;
        return l;
      }
      if (llvm::Error e = fill())
        return e;
    }
  };
  auto header = line();
  if (!header)
    return header.takeError();
  if (header->empty())
    return llvm::createStringError(std::errc::protocol_error, "empty reply line");
  RespValue v;
  char type = (*header)[0];
  StringRef rest = StringRef(*header).drop_front();
  long long n = 0;
  if (type == ':' || type == '$' || type == '*')
    if (rest.getAsInteger(10, n))
      return llvm::createStringError(std::errc::protocol_error,
                                     "bad reply line '%s'", header->c_str());
  switch (type) {
  case '+':
    v.kind = RespValue::Simple;
    v.str = rest.str();
    return v;
  case '-':
    v.kind = RespValue::Error;
    v.str = rest.str();
    return v;
  case ':':
    v.kind = RespValue::Integer;
    v.integer = n;
    return v;
  case '$':
    if (n < 0)
      return v; // nil
    while (buffer.size() - pos < size_t(n) + 2)
      if (llvm::Error e = fill())
        return e;
    v.kind = RespValue::Bulk;
    v.str = buffer.substr(pos, size_t(n));
    pos += size_t(n) + 2;
    return v;
  case '*':
    if (n < 0)
      return v;
    v.kind = RespValue::Array;
    for (long long i = 0; i < n; ++i) {
      auto e = readValue();
      if (!e)
        return e.takeError();
      v.elements.push_back(std::move(*e));
    }
    return v;
  default:
    return llvm::createStringError(std::errc::protocol_error,
                                   "bad reply line '%s'", header->c_str());
  }
}

llvm::Expected<RespValue> RespClient::command(llvm::ArrayRef<StringRef> argv) {
  std::string out;
  encodeCommand(out, argv);
  if (llvm::Error e = sendAll(out))
    return e;
  return readValue();
}

llvm::Expected<std::vector<RespValue>>
RespClient::pipeline(llvm::ArrayRef<std::vector<std::string>> commands) {
  std::string out;
  for (const auto &c : commands) {
    std::vector<StringRef> argv(c.begin(), c.end());
    encodeCommand(out, argv);
  }
  if (llvm::Error e = sendAll(out))
    return e;
  std::vector<RespValue> replies;
  for (size_t i = 0; i < commands.size(); ++i) {
    auto v = readValue();
    if (!v)
      return v.takeError();
    replies.push_back(std::move(*v));
  }
  return replies;
}

//===- LiveTestSupport.h - Backends, clients and processes for Live tests -===//
//
// Real sockets on 127.0.0.1 with ephemeral ports; every blocking call has a
// timeout so a broken proxy fails a test instead of hanging it.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_TESTS_LIVE_LIVETESTSUPPORT_H
#define INFRAC_TESTS_LIVE_LIVETESTSUPPORT_H

#include <utility>

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace livetest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

/// Sets send and receive timeouts on a blocking socket.
void setTimeouts(int fd, std::chrono::milliseconds t);

/// A TCP server on 127.0.0.1:ephemeral; each connection is handled on its
/// own thread by `handler(fd)`. stop() closes everything and joins.
class TcpServer {
public:
  using Handler = std::function<void(int fd)>;
  explicit TcpServer(Handler handler);
  ~TcpServer();
  uint16_t port() const { return port_; }
  int connections() const { return accepted.load(); }
  void stop();

private:
  Handler handler;
  int listenFd = -1;
  uint16_t port_ = 0;
  std::atomic<int> accepted{0};
  std::atomic<bool> stopping{false};
  std::thread acceptThread;
  std::mutex mutex;
  std::vector<int> fds;
  std::list<std::thread> threads;
};

/// How a test HTTP backend answers.
enum class Mode { Echo, Reset, Garbage, Hang, CloseMidBody };

/// An HTTP backend: Echo answers 200 with a body "name=<name>\n" followed
/// by the request's header lines; the other modes misbehave.
std::unique_ptr<TcpServer> httpBackend(std::string name, Mode mode = Mode::Echo);
/// A TCP echo server; with `proxyHeader`, it first reads 28 bytes and
/// stores them in `*proxyHeader`.
std::unique_ptr<TcpServer> tcpEcho(std::string *proxyHeader = nullptr, std::mutex *m = nullptr);

/// A UDP echo server answering "<name>:<datagram>".
class UdpEcho {
public:
  explicit UdpEcho(std::string name);
  ~UdpEcho();
  uint16_t port() const { return port_; }

private:
  int fd = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping{false};
  std::thread thread;
};

struct Response {
  bool ok = false; ///< A whole response was read.
  int status = 0;
  std::multimap<std::string, std::string> headers; ///< Lower-case names.
  std::string body;
  std::string error;
  std::string header(const std::string &lowerName) const;
};

/// A blocking HTTP/1.1 client connection (Beast), bounded by timeouts.
class Client {
public:
  explicit Client(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~Client();
  bool connected() const { return fd >= 0; }
  Response request(const std::string &method, const std::string &target,
                   std::vector<std::pair<std::string, std::string>> headers = {},
                   std::string body = "");
  /// Reads the next response (after an interim 100, for instance).
  Response readResponse(bool head = false);
  /// Sends raw bytes.
  bool send(const std::string &bytes);
  /// Reads until the peer closes (or the timeout); returns what came.
  std::string readAll();
  /// True when the peer closed (EOF or reset) within the timeout.
  bool closedByPeer();
  int fd = -1;

private:
  std::string pending;
};

/// One request on a fresh connection.
Response get(uint16_t port, const std::string &target,
             std::vector<std::pair<std::string, std::string>> headers = {});

/// A child process in its own process group; killed (group) in the destructor.
class Process {
public:
  Process(const std::vector<std::string> &argv, const std::vector<std::string> &env = {});
  ~Process();
  pid_t pid() const { return pid_; }
  /// The next line on its stdout, or "" after `timeout`.
  std::string readLine(std::chrono::milliseconds timeout);
  /// Sends `sig`, waits up to `timeout` for the exit; returns the wait
  /// status, or -1 when it did not exit.
  int signalAndWait(int sig, std::chrono::milliseconds timeout);

private:
  pid_t pid_ = -1;
  int out = -1;
  std::string buffered;
};

} // namespace livetest

#endif

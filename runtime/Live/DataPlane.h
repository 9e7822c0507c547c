//===- DataPlane.h - The live ALB/NLB proxies and their control port -*- C++ -*-===//
//
// The data plane of `infrac run`: HTTP/1.1 reverse proxies (one per ALB
// listener, plain or TLS) and TCP/UDP proxies (one per NLB listener), all
// bound to 127.0.0.1 and served by one event loop per core.
//
// The proxies decide nothing about routing: per request (HTTP) or per new
// flow (TCP/UDP) they ask the control plane through `HttpControl` /
// `TcpControl` and report back when the exchange or the connection ends. The
// control plane (runtime/Fabric, wired by the lead) acts on the proxies
// through `DataPlane`: cut a target's in-flight requests when its
// deregistration delay ends, reset an NLB target's connections, stop and
// start listeners, read counters.
//
// Threading: the control-port callbacks are called from any proxy thread,
// concurrently; an implementation serialises them itself. The proxies hold no
// lock of theirs while calling. `DataPlane`'s methods may be called from any
// thread (they post to the event loops), but not from inside a callback.
//
// Behaviour follows AWS's ALB and NLB user guides: 502 for a refused, reset,
// closed or malformed target response and for in-flight requests cut at the
// end of the deregistration delay; 503 when no target; 504 for a target that
// does not answer within the timeout; X-Forwarded-For (append), -Proto,
// -Port and X-Amzn-Trace-Id; the idle timeout.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_DATAPLANE_H
#define INFRAC_RUNTIME_LIVE_DATAPLANE_H

#include "Controllers/Controllers.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace infrac::live {

using runtime::Duration;

/// An address on this machine (IPv4, host byte order).
struct Endpoint {
  uint32_t ip = 0x7f000001; ///< 127.0.0.1
  uint16_t port = 0;
  bool operator==(const Endpoint &o) const { return ip == o.ip && port == o.port; }
};

/// The control plane's name for one registered target (for instance its
/// target group and index); opaque to the proxies, which only compare it.
using TargetKey = uint64_t;

//===----------------------------------------------------------------------===//
// HTTP (ALB)
//===----------------------------------------------------------------------===//

struct Cookie {
  llvm::StringRef name;
  llvm::StringRef value;
};

/// What the proxy hands to `HttpControl::route`. Every reference is valid
/// only during the call.
struct HttpRequestInfo {
  runtime::Request request;       ///< Method, host, path, query, headers, source.
  llvm::ArrayRef<Cookie> cookies; ///< From the Cookie header(s), in order.
  uint16_t sourcePort = 0;
  bool tls = false; ///< Came in on an HTTPS listener.
};

/// The control plane's answer for one request.
struct HttpRoute {
  enum Kind : uint8_t {
    Forward,  ///< Send it to `target`.
    Redirect, ///< Answer `status` with `Location: location`.
    Fixed,    ///< Answer `status` with `contentType` and `body`.
    NoTarget, ///< Answer 503 (no registered target).
  };
  Kind kind = NoTarget;
  // Forward.
  Endpoint target;
  TargetKey key = 0;
  /// Whole Set-Cookie values added to the response (AWSALB=...; Expires=...;
  /// Path=/, AWSALBCORS, AWSALBAPP-n, AWSALBTG...): computed by the caller.
  std::vector<std::string> setCookies;
  /// The target's whole response must arrive within this long after the
  /// request is sent (ALB's idle timeout toward the target); else 504.
  Duration timeout = runtime::seconds(60);
  // Redirect and Fixed.
  int status = 503;
  std::string location;
  std::string contentType = "text/plain";
  std::string body;
};

/// How a forwarded exchange ended.
enum class TargetFailure : uint8_t {
  None,        ///< The target answered (any status).
  Refused,     ///< Connection refused (502).
  Reset,       ///< Reset or closed before a complete response (502).
  BadResponse, ///< Malformed or oversized response (502).
  Timeout,     ///< No response within the route's timeout, or connect timeout (504).
  Cut,         ///< Ended by `DataPlane::cutTarget` (502).
  ClientGone,  ///< The client went away first; nothing was sent.
};

struct HttpOutcome {
  TargetKey key = 0;
  int status = 0;             ///< Sent to the client (0 if nothing was sent).
  uint64_t requestBytes = 0;  ///< Body bytes sent to the target.
  uint64_t responseBytes = 0; ///< Body bytes sent to the client.
  Duration latency = 0;       ///< From the request's header to the response's end.
  TargetFailure failure = TargetFailure::None;
};

/// Implemented by the control plane, called by the HTTP proxies.
class HttpControl {
public:
  virtual ~HttpControl();
  /// Decides what to do with one request on listener `listener`.
  virtual HttpRoute route(uint32_t listener, const HttpRequestInfo &request) = 0;
  /// Called once for every `Forward` route, when the exchange has ended.
  virtual void finished(const HttpOutcome &outcome) = 0;
};

//===----------------------------------------------------------------------===//
// TCP and UDP (NLB)
//===----------------------------------------------------------------------===//

/// A flow's 5-tuple (addresses in host byte order).
struct Flow {
  uint8_t protocol = 6; ///< 6 TCP, 17 UDP.
  uint32_t srcIp = 0;
  uint16_t srcPort = 0;
  uint32_t dstIp = 0;
  uint16_t dstPort = 0;
  /// A stable 64-bit hash of the tuple (FNV-1a), for the flow hash.
  uint64_t hash() const;
};

struct TcpPick {
  Endpoint target;
  TargetKey key = 0;
  /// Send a PROXY protocol v2 header first (the target group asks for it).
  bool proxyProtocolV2 = false;
};

struct TcpOutcome {
  TargetKey key = 0;
  uint64_t bytesToTarget = 0;
  uint64_t bytesToClient = 0;
  Duration duration = 0;
  bool reset = false; ///< Ended by `DataPlane::resetTarget`, a refused connect or an RST.
};

/// Implemented by the control plane, called by the TCP and UDP proxies.
class TcpControl {
public:
  virtual ~TcpControl();
  /// Picks the target of a new connection (TCP) or flow (UDP); none: the
  /// connection is reset, the datagram dropped.
  virtual std::optional<TcpPick> pickTarget(uint32_t listener, const Flow &flow) = 0;
  /// Called once for every picked connection or flow, when it has ended
  /// (UDP: at its idle expiry).
  virtual void closed(const TcpOutcome &outcome) = 0;
};

/// The PROXY protocol v2 header for a TCP over IPv4 flow (28 bytes).
std::array<uint8_t, 28> proxyV2Header(const Flow &flow);

//===----------------------------------------------------------------------===//
// The proxies
//===----------------------------------------------------------------------===//

/// `routing.http.xff_header_processing.mode`.
enum class XffMode : uint8_t {
  Append,   ///< Add the client's address (the default).
  Preserve, ///< Pass the header on unchanged (not added when absent).
  Remove,   ///< Drop it.
};

struct HttpListenerConfig {
  uint16_t port = 0; ///< 0: an ephemeral port.
  XffMode xffMode = XffMode::Append;
  bool xffClientPort = false; ///< `routing.http.xff_client_port.enabled`: "ip:port".
  bool tls = false;           ///< HTTPS: TLS with the data plane's certificate.
  uint16_t forwardedPort = 0; ///< X-Forwarded-Port (the design's port); 0: the bound port.
  Duration idleTimeout = runtime::seconds(60);    ///< No byte either way: closed.
  Duration headerTimeout = runtime::seconds(10);  ///< A request's header must be complete within.
  Duration connectTimeout = runtime::seconds(10); ///< To a target; then 504.
  uint32_t maxHeaderBytes = 64 * 1024;            ///< Larger request header: 431.
  uint64_t maxBodyBytes = 16u << 20;              ///< Larger request body: 413.
  uint64_t maxResponseBytes = 256u << 20;         ///< Larger response body: 502.
  uint32_t maxConnections = 10000;                ///< Beyond: new connections are closed at once.
};

struct TcpListenerConfig {
  uint16_t port = 0; ///< 0: an ephemeral port.
  bool udp = false;
  Duration idleTimeout = runtime::seconds(350); ///< TCP 350 s, UDP 120 s at AWS.
  Duration connectTimeout = runtime::seconds(10);
  uint32_t maxConnections = 10000;
};

/// A listener's counters; a snapshot summed over the event loops.
struct ListenerCounters {
  static constexpr size_t Buckets = 32;
  uint64_t requests = 0; ///< HTTP requests answered; TCP connections / UDP flows accepted.
  uint64_t status2xx = 0, status3xx = 0, status4xx = 0, status5xx = 0;
  uint64_t activeConnections = 0;
  uint64_t rejectedConnections = 0; ///< Over the connection cap.
  uint64_t bytesIn = 0, bytesOut = 0;
  /// Latency histogram: bucket i counts latencies in [2^i, 2^(i+1)) µs
  /// (bucket 0 also holds 0 µs).
  std::array<uint64_t, Buckets> latency{};
  /// The latency below which fraction `q` of the requests fall (the upper
  /// bound of its bucket), 0 with no requests.
  Duration quantile(double q) const;
};

struct DataPlaneOptions {
  unsigned threads = 0; ///< Event loops; 0: one per core.
  /// Resolution of the timeouts (idle, header, target, UDP flows).
  Duration tick = runtime::millis(50);
};

/// The proxies, their event loops and their listeners.
class DataPlane {
public:
  /// Starts the event loops; generates the TLS certificate. `tcp` may be
  /// null when no TCP/UDP listener is added (and `http` when no HTTP one).
  static llvm::Expected<std::unique_ptr<DataPlane>> create(const DataPlaneOptions &options,
                                                           HttpControl *http, TcpControl *tcp);
  virtual ~DataPlane();

  /// Opens an ALB listener on 127.0.0.1; returns the bound port.
  virtual llvm::Expected<uint16_t> addHttpListener(uint32_t id,
                                                   const HttpListenerConfig &config) = 0;
  /// Opens an NLB listener (TCP or UDP) on 127.0.0.1; returns the bound port.
  virtual llvm::Expected<uint16_t> addTcpListener(uint32_t id, const TcpListenerConfig &config) = 0;
  /// Stops accepting on a listener (its open connections go on).
  virtual void stopListener(uint32_t id) = 0;
  /// Accepts again on a stopped listener, on the same port.
  virtual llvm::Error startListener(uint32_t id) = 0;

  /// HTTP: ends every in-flight request to `key` with 502 and drops its
  /// pooled connections (the end of the deregistration delay).
  virtual void cutTarget(TargetKey key) = 0;
  /// TCP/UDP: resets every connection to `key` (connection termination at
  /// the end of the delay, or an unhealthy NLB target).
  virtual void resetTarget(TargetKey key) = 0;

  virtual ListenerCounters counters(uint32_t id) const = 0;
  /// The certificate HTTPS listeners present (PEM).
  virtual std::string certificatePem() const = 0;

  /// Closes every listener and connection and joins the event loops.
  virtual void shutdown() = 0;
};

//===----------------------------------------------------------------------===//
// A stand-alone control plane for tests and benchmarks
//===----------------------------------------------------------------------===//

/// Round robin over fixed backends, `lb_cookie` stickiness (AWSALB) when
/// `stickiness > 0`, path-prefix redirects and fixed responses, and the
/// same round robin for TCP/UDP flows. Thread-safe (one mutex).
class StaticControl : public HttpControl, public TcpControl {
public:
  struct Backend {
    Endpoint endpoint;
    TargetKey key = 0;
    bool enabled = true;
  };
  struct Special {
    std::string pathPrefix;
    HttpRoute route; ///< Redirect or Fixed.
  };

  explicit StaticControl(std::vector<Backend> backends);
  ~StaticControl() override;

  Duration stickiness = 0; ///< lb_cookie duration; 0: off.
  Duration timeout = runtime::seconds(60);
  bool proxyProtocolV2 = false;
  std::vector<Special> specials;

  void setEnabled(TargetKey key, bool enabled);

  HttpRoute route(uint32_t listener, const HttpRequestInfo &request) override;
  void finished(const HttpOutcome &outcome) override;
  std::optional<TcpPick> pickTarget(uint32_t listener, const Flow &flow) override;
  void closed(const TcpOutcome &outcome) override;

  /// What was reported back, in order.
  std::vector<HttpOutcome> httpOutcomes() const;
  std::vector<TcpOutcome> tcpOutcomes() const;
  /// The flows seen by `pickTarget`.
  std::vector<Flow> flows() const;

private:
  struct State;
  std::unique_ptr<State> state;
};

} // namespace infrac::live

#endif // INFRAC_RUNTIME_LIVE_DATAPLANE_H

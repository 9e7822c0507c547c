//===- StaticControl.cpp - A stand-alone control plane for tests/benchmarks -===//
//
// Round robin over fixed backends with AWSALB (lb_cookie) stickiness: the
// cookie names the target and when its stickiness ends; an unknown,
// expired or disabled target is re-picked and the cookie rewritten, as ALB
// does. Not the real control plane (runtime/Fabric): a stand-in so the
// proxies can be tested and measured on their own.
//
//===----------------------------------------------------------------------===//

#include "DataPlane.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <mutex>

using namespace infrac::live;

struct StaticControl::State {
  std::mutex mutex;
  std::vector<Backend> backends;
  size_t next = 0;
  std::vector<HttpOutcome> http;
  std::vector<TcpOutcome> tcp;
  std::vector<Flow> flows;
  std::time_t dateOf = -1;
  std::string date;

  /// An HTTP date, formatted once per second (under the mutex).
  const std::string &httpDate(std::time_t t) {
    if (t != dateOf) {
      char buf[64];
      std::tm tm;
      gmtime_r(&t, &tm);
      std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
      date = buf;
      dateOf = t;
    }
    return date;
  }

  const Backend *pick() {
    for (size_t i = 0; i < backends.size(); ++i) {
      const Backend &b = backends[next++ % backends.size()];
      if (b.enabled)
        return &b;
    }
    return nullptr;
  }
  const Backend *find(TargetKey key) const {
    for (const Backend &b : backends)
      if (b.key == key && b.enabled)
        return &b;
    return nullptr;
  }
};

StaticControl::StaticControl(std::vector<Backend> backends) : state(std::make_unique<State>()) {
  state->backends = std::move(backends);
}
StaticControl::~StaticControl() = default;

void StaticControl::setEnabled(TargetKey key, bool enabled) {
  std::lock_guard<std::mutex> lock(state->mutex);
  for (Backend &b : state->backends)
    if (b.key == key)
      b.enabled = enabled;
}

HttpRoute StaticControl::route(uint32_t listener, const HttpRequestInfo &r) {
  for (const Special &s : specials)
    if (r.request.path.startswith(s.pathPrefix))
      return s.route;
  std::lock_guard<std::mutex> lock(state->mutex);
  std::time_t now = std::time(nullptr);
  const Backend *b = nullptr;
  if (stickiness > 0)
    for (const Cookie &c : r.cookies) {
      if (c.name != "AWSALB")
        continue;
      // "<key hex>.<until, unix seconds, hex>"
      auto [k, until] = c.value.split('.');
      uint64_t key = 0, end = 0;
      if (!k.getAsInteger(16, key) && !until.getAsInteger(16, end) && std::time_t(end) > now)
        b = state->find(key);
    }
  if (!b)
    b = state->pick();
  if (!b)
    return HttpRoute{};
  HttpRoute route;
  route.kind = HttpRoute::Forward;
  route.target = b->endpoint;
  route.key = b->key;
  route.timeout = timeout;
  if (stickiness > 0) {
    // The stickiness restarts with every request; the cookie lasts 7 days.
    char value[64];
    std::snprintf(value, sizeof value, "%" PRIx64 ".%" PRIx64, b->key,
                  uint64_t(now + std::time_t(stickiness / 1000000)));
    const std::string &expires = state->httpDate(now + 7 * 24 * 3600);
    route.setCookies.push_back(std::string("AWSALB=") + value + "; Expires=" + expires +
                               "; Path=/");
    route.setCookies.push_back(std::string("AWSALBCORS=") + value + "; Expires=" + expires +
                               "; Path=/; SameSite=None; Secure");
  }
  return route;
}

void StaticControl::finished(const HttpOutcome &outcome) {
  std::lock_guard<std::mutex> lock(state->mutex);
  if (state->http.size() < 100000)
    state->http.push_back(outcome);
}

std::optional<TcpPick> StaticControl::pickTarget(uint32_t listener, const Flow &flow) {
  std::lock_guard<std::mutex> lock(state->mutex);
  if (state->flows.size() < 100000)
    state->flows.push_back(flow);
  const Backend *b = state->pick();
  if (!b)
    return std::nullopt;
  TcpPick p;
  p.target = b->endpoint;
  p.key = b->key;
  p.proxyProtocolV2 = proxyProtocolV2;
  return p;
}

void StaticControl::closed(const TcpOutcome &outcome) {
  std::lock_guard<std::mutex> lock(state->mutex);
  if (state->tcp.size() < 100000)
    state->tcp.push_back(outcome);
}

std::vector<HttpOutcome> StaticControl::httpOutcomes() const {
  std::lock_guard<std::mutex> lock(state->mutex);
  return state->http;
}
std::vector<TcpOutcome> StaticControl::tcpOutcomes() const {
  std::lock_guard<std::mutex> lock(state->mutex);
  return state->tcp;
}
std::vector<Flow> StaticControl::flows() const {
  std::lock_guard<std::mutex> lock(state->mutex);
  return state->flows;
}

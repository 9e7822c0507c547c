//===- StatusView.h - infrac run's terminal status view (private) -*- C++ -*-===//
//
// Private to runtime/Live. On a terminal, `infrac run` redraws one screen in
// place: per load balancer its listeners, requests/s, 5xx and p99; per
// target group its targets with state, reason, requests/s and requests in
// flight; per Auto Scaling group its capacity and instances; then the latest
// event lines. The screen is drawn from the admin API's status document
// (GET /v1/status), the one source of truth, so what the view shows is what
// `infrac ctl status` says.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_STATUSVIEW_H
#define INFRAC_RUNTIME_LIVE_STATUSVIEW_H

#include "llvm/Support/JSON.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace infrac::live {

class StatusView {
public:
  /// One screen for `status` (GET /v1/status) at real time `seconds`, with
  /// `events` (the newest last), `width` × `height` characters. Rates are
  /// the counters' change since the previous screen.
  std::string render(const llvm::json::Object &status, double seconds,
                     const std::vector<std::string> &events, unsigned width, unsigned height);

private:
  /// The rate of counter `key` since the last screen.
  double rate(const std::string &key, int64_t count, double seconds);

  std::map<std::string, std::pair<int64_t, double>> last; ///< key -> count, at.
};

} // namespace infrac::live

#endif

//===- Live.h - `infrac run`: the design live on this machine -*- C++ -*-===//
//
// The live shell of the runtime: the same Plan and Fabric as `infrac sim`,
// driven by the steady clock (scaled by --time-scale), hosting real
// processes as instances (infrac-echo, or the design's own command), real
// health probes against them, and the ALB and NLB proxies of DataPlane.h in
// front of them, with an admin HTTP API for status and actions. Everything
// listens on 127.0.0.1 only.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_LIVE_H
#define INFRAC_RUNTIME_LIVE_LIVE_H

#include "Plan/Plan.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace infrac::live {

struct RunOptions {
  /// Every AWS timer (health intervals, delays, cooldowns, warm-up, the spot
  /// notice) runs this many times faster.
  double timeScale = 1;
  /// "lb.listener" -> the local port to listen on (0 or absent: any free).
  std::vector<std::pair<std::string, uint16_t>> portMap;
  /// Written (atomically) once every initial instance is in service.
  std::string readyFile;
  uint16_t adminPort = 0; ///< 0: any free port.
  /// Stop after this much (scaled) time; 0: on SIGINT or SIGTERM only.
  runtime::Duration duration = 0;
  /// The built-in echo app (infrac-echo, installed next to infrac).
  std::string echoBinary;
  /// Where `app = command` programs run (the design file's directory).
  std::string workDir;
  /// The design's file as given, and its diagram (SVG; empty: none), for
  /// the dashboard.
  std::string source, diagram;
  /// Where the timestamped event lines go.
  llvm::raw_ostream *log = nullptr;
  /// Standard output is a terminal: instead of the event lines, a status
  /// view redrawn in place (the lines stay in GET /v1/events).
  bool statusView = false;
  /// With a plan that has a scenario: it is played once every initial
  /// instance is in service (its 0 s), its loads sent for real, and the run
  /// stops at its end with the verdicts here.
  std::vector<runtime::Verdict> *verdicts = nullptr;
};

/// One request to a running `infrac run`'s admin API (`url`:
/// "http://127.0.0.1:PORT"): the response's status and body. Fails when
/// nothing answers there.
struct AdminResponse {
  unsigned status = 0;
  std::string body;
};
llvm::Expected<AdminResponse> adminRequest(llvm::StringRef url, llvm::StringRef method,
                                           llvm::StringRef path, llvm::StringRef body = "");

/// GET /v1/events?since=N&follow=1 of a running `infrac run`: calls `each`
/// with every event (its JSON object) as it happens, until the run stops
/// (then success) or `each` returns false.
llvm::Error followEvents(llvm::StringRef url, uint64_t since,
                         const std::function<bool(const llvm::json::Object &)> &each);

/// Brings the plan up and runs it until SIGINT or SIGTERM (or `duration`);
/// every process it started is stopped before it returns. Returns the exit
/// status: 0 after a clean stop, 2 when something could not be started.
int run(const runtime::Plan &plan, const RunOptions &opts);

} // namespace infrac::live

#endif

//===- Dashboard.h - infrac run's live dashboard page (private) -*- C++ -*-===//
//
// Private to runtime/Live. The page the admin API serves at `/`: the
// design's diagram with its target groups coloured by health, per load
// balancer and target group the live figures and targets with their state
// and reason, the groups' capacity, the elections' leaders, live charts
// (uPlot, embedded at build time as in `infrac sim --report`), the event
// log, and buttons for the control actions. It reads only the admin API
// (GET /v1/status, the GET /v1/events stream, POST /v1/actions) and loads
// nothing from elsewhere (its Content Security Policy forbids it).
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_DASHBOARD_H
#define INFRAC_RUNTIME_LIVE_DASHBOARD_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace infrac::live {

/// The page for design `source`, with `diagram` (an SVG document, or empty).
std::string dashboardPage(llvm::StringRef source, llvm::StringRef diagram);

} // namespace infrac::live

#endif

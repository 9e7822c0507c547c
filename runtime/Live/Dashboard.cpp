//===- Dashboard.cpp - infrac run's live dashboard page -------------------===//

#include "Dashboard.h"

#include "Report/Report.h"

namespace infrac::live {

namespace {
#include "DashboardAssets.inc"

} // namespace

std::string dashboardPage(llvm::StringRef source, llvm::StringRef diagram) {
  // Graphviz's SVG from its <svg> element on: no XML prolog inside HTML.
  size_t at = diagram.find("<svg");
  llvm::StringRef svg = at == llvm::StringRef::npos ? llvm::StringRef() : diagram.substr(at);
  std::string page;
  page.reserve(sizeof UplotJs + sizeof DashboardJs + svg.size() + 4096);
  page += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
          "img-src data:\">\n<title>infrac run: ";
  page += runtime::htmlText(source);
  page += "</title>\n<style>";
  page += UplotCss;
  page += "</style>\n<style>";
  page += DashboardCss;
  page += "</style></head>\n<body>\n<header><h1>infrac run</h1><span>";
  page += runtime::htmlText(source);
  page += "</span><span id=\"clock\"></span><span id=\"said\"></span></header>\n<main>\n"
          "<section><h2>Load balancers</h2><div id=\"lbs\"></div>"
          "<h2>Target groups</h2><div id=\"tgs\"></div></section>\n"
          "<section><h2>Auto Scaling groups</h2><div id=\"groups\"></div>"
          "<h2>Coordination</h2><div id=\"coord\"></div></section>\n"
          "<section><h2>Charts</h2><div id=\"charts\"><div id=\"c-traffic\"></div>"
          "<div id=\"c-errors\"></div><div id=\"c-p99\"></div><div id=\"c-healthy\"></div>"
          "<div id=\"c-capacity\"></div></div></section>\n"
          "<section><h2>Events</h2><div id=\"log\"></div></section>\n"
          "<section style=\"grid-column: 1 / -1\"><h2>Design</h2><div id=\"diagram\">";
  page += svg.empty() ? llvm::StringRef("(no diagram: Graphviz's dot is not installed)") : svg;
  page += "</div></section>\n</main>\n<!-- uPlot, MIT licence:\n";
  page += UplotLicense;
  page += "-->\n<script>";
  page += UplotJs;
  page += "</script>\n<script>";
  page += DashboardJs;
  page += "</script>\n</body></html>\n";
  return page;
}

} // namespace infrac::live

//===- ReportHtml.cpp - The report as one HTML page -----------------------===//
//
// The page is static HTML (the summary, the verdicts, the diagram, the
// timeline) plus the charts' data as a JSON island that report.js hands to
// uPlot. Both scripts and both style sheets are inlined from the assets
// embedded at build time (EmbedAssets.cmake).
//
//===----------------------------------------------------------------------===//

#include "Report/ReportData.h"
#include "Trace/Trace.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <deque>
#include <set>

using llvm::StringRef;
namespace json = llvm::json;

namespace infrac::runtime {

std::string htmlText(StringRef s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

namespace {

#include "ReportAssets.inc"


/// One line of a chart. Lines of one object (p50 and p99 of a load
/// balancer, a group's capacity and desired) share a colour, one dashed.
struct Line {
  std::string label;
  const std::vector<json::Value> *values;
  unsigned colour = 0;
  bool dashed = false;
};

struct Chart {
  std::string id, title, unit;
  std::vector<Line> lines;
  /// Set for a chart of names (an election's leader): the values are
  /// indexes into it.
  std::vector<std::string> categories;
};

/// The charts the series allow, in the page's order; a family the design
/// does not have gives none.
std::vector<Chart> chartsOf(const ReportCollector::Data &d,
                            std::deque<std::vector<json::Value>> &derived) {
  std::vector<Chart> charts;
  auto add = [&](Chart c) {
    if (!c.lines.empty())
      charts.push_back(std::move(c));
  };
  auto each = [&](Chart &c, StringRef family, StringRef member) {
    unsigned colour = 0;
    for (const ReportCollector::Data::Column *col : d.columnsOf(family, member))
      c.lines.push_back({col->object, &col->values, colour++});
  };
  Chart requests{"requests", "Requests per second, per load balancer", "requests/s", {}, {}};
  each(requests, "lb", "responses");
  add(std::move(requests));
  Chart errors{"errors", "4xx and 5xx responses per second", "responses/s", {}, {}};
  unsigned colour = 0;
  for (const ReportCollector::Data::Column *col : d.columnsOf("lb", "4xx")) {
    errors.lines.push_back({col->object + " 4xx", &col->values, colour, true});
    errors.lines.push_back({col->object + " 5xx",
                            &d.columns[d.columnIndex.at({"lb", col->object, "5xx"})].values,
                            colour++});
  }
  add(std::move(errors));
  Chart latency{"latency", "Latency p50 and p99, per load balancer", "ms", {}, {}};
  colour = 0;
  for (const ReportCollector::Data::Column *col : d.columnsOf("lb", "responses")) {
    for (StringRef p : {"p50", "p99"}) {
      auto it = d.columnIndex.find({"lb", col->object, (p + "_us").str()});
      if (it != d.columnIndex.end())
        latency.lines.push_back({col->object + " " + p.str(), &d.columns[it->second].values,
                                 colour, p == "p50"});
    }
    ++colour;
  }
  add(std::move(latency));
  Chart healthy{"healthy", "Healthy targets, per target group", "targets", {}, {}};
  each(healthy, "tg", "healthy");
  add(std::move(healthy));
  Chart capacity{"capacity", "Capacity in service (desired dashed), per Auto Scaling group",
                 "instances", {}, {}};
  colour = 0;
  for (const ReportCollector::Data::Column *col : d.columnsOf("asg", "capacity")) {
    capacity.lines.push_back({col->object, &col->values, colour});
    auto it = d.columnIndex.find({"asg", col->object, "desired"});
    if (it != d.columnIndex.end())
      capacity.lines.push_back(
          {col->object + " desired", &d.columns[it->second].values, colour, true});
    ++colour;
  }
  add(std::move(capacity));
  Chart emr{"emr", "Running nodes, per EMR node group", "nodes", {}, {}};
  each(emr, "emr", "running");
  add(std::move(emr));
  // Leaders as indexes into the names seen, "none" first.
  Chart leader{"leader", "Leader, per election", "", {}, {"none"}};
  for (const ReportCollector::Data::Column *col : d.columnsOf("election", "leader")) {
    std::vector<json::Value> &idx = derived.emplace_back();
    for (const json::Value &v : col->values) {
      std::string who = v.getAsString().getValueOr("").str();
      if (who.empty()) {
        idx.push_back(v.kind() == json::Value::Null ? json::Value(nullptr) : json::Value(0));
        continue;
      }
      auto at = std::find(leader.categories.begin(), leader.categories.end(), who);
      idx.push_back(int64_t(at - leader.categories.begin()));
      if (at == leader.categories.end())
        leader.categories.push_back(who);
    }
    leader.lines.push_back({col->object, &idx, unsigned(leader.lines.size())});
  }
  add(std::move(leader));
  Chart lost{"sessions", "Sessions lost so far, per load balancer", "sessions", {}, {}};
  each(lost, "lb", "sessions_lost");
  add(std::move(lost));
  return charts;
}

/// The charts' data: instants in seconds, the scenario's events, the lines.
std::string chartData(const ReportCollector::Data &d) {
  std::deque<std::vector<json::Value>> derived; // Lines point into it.
  std::vector<Chart> charts = chartsOf(d, derived);
  std::string out;
  llvm::raw_string_ostream os(out);
  json::OStream j(os);
  auto seconds = [&](int64_t us) {
    // Exact in decimal: "30", "88.995".
    std::string s = std::to_string(us / 1000000);
    if (int64_t frac = us % 1000000) {
      char buf[16];
      snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
      s += StringRef(buf).rtrim('0').str();
    }
    j.rawValue(s);
  };
  j.object([&] {
    j.attributeArray("t", [&] {
      for (int64_t t : d.times)
        seconds(t);
    });
    // One mark per instant with scenario notes, named by the first (the
    // event as written).
    j.attributeArray("marks", [&] {
      int64_t last = -1;
      for (const ReportCollector::Data::Note &n : d.notes) {
        if (n.who != "scenario" || n.t == last)
          continue;
        last = n.t;
        j.object([&] {
          j.attributeBegin("t");
          seconds(n.t);
          j.attributeEnd();
          j.attribute("label", n.text);
        });
      }
    });
    j.attributeArray("charts", [&] {
      for (const Chart &c : charts)
        j.object([&] {
          j.attribute("id", c.id);
          j.attribute("title", c.title);
          j.attribute("unit", c.unit);
          if (!c.categories.empty())
            j.attributeArray("categories", [&] {
              for (const std::string &s : c.categories)
                j.value(s);
            });
          j.attributeArray("lines", [&] {
            for (const Line &l : c.lines)
              j.object([&] {
                j.attribute("label", l.label);
                j.attribute("colour", int64_t(l.colour));
                if (l.dashed)
                  j.attribute("dashed", true);
                j.attributeArray("values", [&] {
                  for (const json::Value &v : *l.values)
                    j.value(v);
                });
              });
          });
        });
    });
  });
  // Inside <script>, "</script>" or "<!--" in a name must not end it: no
  // '<' at all (JSON has it only inside strings, where \u003c is the same).
  std::string safe;
  for (char c : os.str())
    safe += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return safe;
}

/// The SVG element of a Graphviz document (its XML prologue and doctype
/// are not HTML).
StringRef svgElement(StringRef doc) {
  size_t at = doc.find("<svg");
  return at == StringRef::npos ? StringRef() : doc.drop_front(at).rtrim();
}

const char *verdictTag(StringRef result) {
  return result == "pass" ? "PASS" : result == "fail" ? "FAIL" : "SKIP";
}

} // namespace

llvm::Error ReportCollector::writeHtml(const ReportHeader &h, llvm::raw_ostream &os) {
  flush();
  const Data &d = *data;
  if (!d.error.empty())
    return llvm::createStringError(std::errc::invalid_argument,
                                   "the trace has a line that is not a record: %s",
                                   d.error.substr(0, 80).c_str());
  if (!d.started)
    return llvm::createStringError(std::errc::invalid_argument, "the trace has no start record");
  unsigned pass = 0, fail = 0, other = 0;
  for (const Data::Verdict &v : d.verdicts)
    (v.result == "pass" ? pass : v.result == "fail" ? fail : other)++;

  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
     << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'\">\n"
     << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
     << "<meta name=\"generator\" content=\"infrac sim --report\">\n"
     << "<title>" << htmlText(d.scenario) << " \xe2\x80\x94 " << htmlText(h.source) << "</title>\n"
     << "<style>\n" << UplotCss << "</style>\n<style>\n" << ReportCss << "</style>\n"
     << "</head>\n<body>\n";

  // The summary.
  os << "<header>\n<h1>Scenario <code>" << htmlText(d.scenario) << "</code></h1>\n<p>"
     << htmlText(h.source) << " \xc2\xb7 seed " << d.seed << " \xc2\xb7 " << fmtTime(d.end)
     << " of virtual time \xc2\xb7 <span class=\"" << (fail || other ? "fail" : "pass") << "\">"
     << pass << " passed, " << fail << " failed";
  if (other)
    os << ", " << other << " could not be evaluated";
  os << "</span></p>\n</header>\n";

  // The verdicts.
  os << "<section id=\"verdicts\">\n<h2>Expectations</h2>\n";
  if (d.verdicts.empty())
    os << "<p>The scenario has no expectations.</p>\n";
  else {
    os << "<table>\n<thead><tr><th>verdict</th><th>expectation</th><th>decided at</th>"
          "<th>why</th></tr></thead>\n<tbody>\n";
    for (const Data::Verdict &v : d.verdicts) {
      auto decided = d.decided.find(v.expect);
      os << "<tr class=\"verdict " << htmlText(v.result) << "\"><td class=\"tag\">"
         << verdictTag(v.result) << "</td><td><code>" << htmlText(v.expect) << "</code></td><td>"
         << (decided == d.decided.end() ? std::string("\xe2\x80\x94") : fmtTime(decided->second))
         << "</td><td>" << htmlText(v.detail) << "</td></tr>\n";
    }
    os << "</tbody>\n</table>\n";
  }
  os << "</section>\n";

  // The diagram.
  os << "<section id=\"diagram\">\n<h2>The design</h2>\n";
  StringRef svg = svgElement(h.diagram);
  if (svg.empty())
    os << "<p class=\"note\">" << htmlText(h.diagramNote.empty() ? "no diagram" : h.diagramNote)
       << "</p>\n";
  else
    os << "<div class=\"diagram\">\n" << svg << "\n</div>\n";
  os << "</section>\n";

  // The charts (drawn by report.js); their events listed once.
  os << "<section id=\"charts\">\n<h2>Over time</h2>\n<ol class=\"marks\">\n";
  {
    int64_t last = -1;
    for (const Data::Note &n : d.notes)
      if (n.who == "scenario" && n.t != last) {
        last = n.t;
        os << "<li><span class=\"at\">" << fmtTime(n.t) << "</span> <code>" << htmlText(n.text)
           << "</code></li>\n";
      }
  }
  os << "</ol>\n<div id=\"chart-list\"></div>\n</section>\n";

  // The timeline.
  std::set<std::string> sources;
  for (const Data::Note &n : d.notes)
    sources.insert(n.who);
  os << "<section id=\"timeline\">\n<h2>Events</h2>\n<div class=\"filters\">\n"
     << "<input id=\"filter\" type=\"search\" placeholder=\"filter: text or time\" "
        "aria-label=\"filter the events\">\n"
     << "<select id=\"source\" aria-label=\"only the events of\">\n"
     << "<option value=\"\">every source</option>\n";
  for (const std::string &s : sources)
    os << "<option>" << htmlText(s) << "</option>\n";
  os << "</select>\n<span id=\"shown\">" << d.notes.size() << " of " << d.notes.size()
     << " events</span>\n</div>\n<table>\n<thead><tr><th>time</th><th>source</th><th>event</th>"
        "</tr></thead>\n<tbody>\n";
  for (const Data::Note &n : d.notes)
    os << "<tr" << (n.who == "scenario" ? " class=\"scenario\"" : "") << "><td>"
       << fmtTime(n.t) << "</td><td>" << htmlText(n.who) << "</td><td>" << htmlText(n.text)
       << "</td></tr>\n";
  os << "</tbody>\n</table>\n</section>\n";

  os << "<script type=\"application/json\" id=\"report-data\">" << chartData(d) << "</script>\n"
     << "<script>\n/* uPlot's licence:\n" << UplotLicense << "*/\n" << UplotJs << "\n</script>\n"
     << "<script>\n" << ReportJs << "</script>\n"
     << "</body>\n</html>\n";
  return llvm::Error::success();
}

} // namespace infrac::runtime

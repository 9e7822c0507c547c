//===- StatusView.cpp - infrac run's terminal status view -----------------===//

#include "StatusView.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using llvm::StringRef;
using llvm::json::Array;
using llvm::json::Object;

namespace infrac::live {

namespace {

StringRef str(const Object &o, StringRef key) { return o.getString(key).getValueOr(""); }
int64_t num(const Object &o, StringRef key) { return o.getInteger(key).getValueOr(0); }

std::string duration(int64_t us) {
  char buf[32];
  if (us < 1000)
    snprintf(buf, sizeof buf, "%lldus", (long long)us);
  else if (us < 1000000)
    snprintf(buf, sizeof buf, "%.1fms", double(us) / 1e3);
  else
    snprintf(buf, sizeof buf, "%.2fs", double(us) / 1e6);
  return buf;
}

/// Rows of cells, printed as columns two spaces apart.
class Table {
public:
  void row(std::vector<std::string> cells) { rows.push_back(std::move(cells)); }
  void print(std::vector<std::string> &out) const {
    std::vector<size_t> w;
    for (const auto &r : rows)
      for (size_t i = 0; i < r.size(); ++i) {
        w.resize(std::max(w.size(), r.size()));
        w[i] = std::max(w[i], r[i].size());
      }
    for (const auto &r : rows) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size())
          line += std::string(w[i] - r[i].size() + 2, ' ');
      }
      out.push_back(line);
    }
  }

private:
  std::vector<std::vector<std::string>> rows;
};

std::string fixed(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

} // namespace

double StatusView::rate(const std::string &key, int64_t count, double seconds) {
  auto it = last.find(key);
  double r = 0;
  if (it != last.end() && seconds > it->second.second)
    r = double(count - it->second.first) / (seconds - it->second.second);
  last[key] = {count, seconds};
  return std::max(0.0, r);
}

std::string StatusView::render(const Object &status, double seconds,
                               const std::vector<std::string> &events, unsigned width,
                               unsigned height) {
  std::vector<std::string> lines;
  char head[200];
  double t = double(num(status, "time_us")) / 1e6;
  snprintf(head, sizeof head, "infrac run  %.1fs", t);
  std::string h = head;
  if (t > seconds * 1.01) { // --time-scale
    snprintf(head, sizeof head, " (%.1fs real)", seconds);
    h += head;
  }
  h += "  admin " + str(status, "admin").str() + "  (Ctrl-C stops everything)";
  lines.push_back(h);
  lines.push_back("");

  if (const Array *lbs = status.getArray("load_balancers"); lbs && !lbs->empty()) {
    Table t;
    t.row({"LOAD BALANCER", "REQ/S", "REQUESTS", "5XX", "P50", "P99", "LISTENERS"});
    for (const auto &v : *lbs) {
      const Object *b = v.getAsObject();
      if (!b)
        continue;
      std::string urls;
      if (const Array *ls = b->getArray("listeners"))
        for (const auto &l : *ls)
          if (const Object *lo = l.getAsObject())
            urls += (urls.empty() ? "" : " ") + str(*lo, "url").str();
      int64_t requests = num(*b, "requests");
      t.row({str(*b, "name").str(), fixed(rate("lb:" + str(*b, "name").str(), requests, seconds)),
             std::to_string(requests), std::to_string(num(*b, "errors_5xx")),
             duration(num(*b, "p50_us")), duration(num(*b, "p99_us")), urls});
    }
    t.print(lines);
    lines.push_back("");
  }
  if (const Array *tgs = status.getArray("target_groups"); tgs && !tgs->empty()) {
    Table t;
    t.row({"TARGET GROUP", "TARGET", "STATE", "REASON", "REQ/S", "REQUESTS", "IN FLIGHT"});
    for (const auto &v : *tgs) {
      const Object *g = v.getAsObject();
      const Array *ts = g ? g->getArray("targets") : nullptr;
      if (!ts)
        continue;
      std::string name = str(*g, "name").str();
      bool first = true;
      for (const auto &tv : *ts) {
        const Object *x = tv.getAsObject();
        if (!x || str(*x, "state") == "unused")
          continue;
        int64_t requests = num(*x, "requests");
        std::string id = str(*x, "id").str();
        t.row({first ? name : "", id, str(*x, "state").str(), str(*x, "reason").str(),
               fixed(rate("tg:" + name + ":" + id, requests, seconds)), std::to_string(requests),
               std::to_string(num(*x, "in_flight"))});
        first = false;
      }
      if (first)
        t.row({name, "-", "no targets", "", "", "", ""});
    }
    t.print(lines);
    lines.push_back("");
  }
  if (const Array *gs = status.getArray("groups"); gs && !gs->empty()) {
    Table t;
    t.row({"AUTO SCALING GROUP", "MIN", "DESIRED", "MAX", "IN SERVICE", "INSTANCES"});
    for (const auto &v : *gs) {
      const Object *g = v.getAsObject();
      if (!g)
        continue;
      std::string ids;
      if (const Array *is = g->getArray("instances"))
        for (const auto &iv : *is)
          if (const Object *i = iv.getAsObject(); i && str(*i, "lifecycle") != "Terminated")
            ids += (ids.empty() ? "" : " ") + str(*i, "id").str() +
                   (str(*i, "lifecycle") == "InService" ? ""
                                                        : "(" + str(*i, "lifecycle").str() + ")");
      t.row({str(*g, "name").str(), std::to_string(num(*g, "min")),
             std::to_string(num(*g, "desired")), std::to_string(num(*g, "max")),
             std::to_string(num(*g, "in_service")), ids});
    }
    t.print(lines);
    lines.push_back("");
  }
  // The newest events in what is left of the screen.
  lines.push_back("EVENTS");
  size_t room = height > lines.size() + 1 ? height - lines.size() - 1 : 0;
  size_t from = events.size() > room ? events.size() - room : 0;
  for (size_t i = from; i < events.size(); ++i)
    lines.push_back(events[i]);

  std::string out;
  for (std::string &l : lines) {
    if (width && l.size() > width)
      l.resize(width);
    out += l;
    out += '\n';
  }
  return out;
}

} // namespace infrac::live

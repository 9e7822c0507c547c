//===- SimSummary.cpp - Scenarios and verdicts, for sim and run -----------===//
//
// The scenarios of a design (one by name, or all of them run in turn with a
// table of their verdicts), how verdicts are printed, and the session
// strategies of one run side by side: SimCommand.cpp and RunCommand.cpp
// call these.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Sim/Sim.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace infrac;
using namespace infrac::driver;

int driver::listScenarios(const sema::Model &model, llvm::raw_ostream &os) {
  for (const sema::Resource *r : runtime::scenarios(model))
    os << r->name << "\n";
  return 0;
}

const sema::Resource *driver::findScenario(const sema::Model &model, llvm::StringRef name,
                                           llvm::StringRef file, llvm::StringRef command) {
  std::vector<const sema::Resource *> all = runtime::scenarios(model);
  for (const sema::Resource *r : all)
    if (name.empty() ? all.size() == 1 : r->name == name)
      return r;
  llvm::errs() << "infrac " << command << ": ";
  if (all.empty())
    llvm::errs() << "'" << file << "' has no scenario\n";
  else if (name.empty())
    llvm::errs() << "several scenarios; choose one with --scenario:";
  else
    llvm::errs() << "no scenario named '" << name << "'; the scenarios are:";
  for (const sema::Resource *r : all)
    llvm::errs() << " " << r->name;
  if (!all.empty())
    llvm::errs() << "\n";
  return nullptr;
}

void driver::printVerdicts(const std::vector<runtime::Verdict> &verdicts, llvm::raw_ostream &os,
                          llvm::function_ref<void()> beforeCounts) {
  os << "\nexpectations:\n";
  unsigned pass = 0, fail = 0, unsupported = 0;
  for (const runtime::Verdict &v : verdicts) {
    const char *tag = v.kind == runtime::Verdict::Pass   ? "PASS"
                      : v.kind == runtime::Verdict::Fail ? "FAIL"
                                                         : "SKIP";
    (v.kind == runtime::Verdict::Pass   ? pass
     : v.kind == runtime::Verdict::Fail ? fail
                                        : unsupported)++;
    os << "  " << tag << "  " << v.expectation;
    if (!v.detail.empty())
      os << "\n        " << v.detail;
    os << "\n";
  }
  if (beforeCounts)
    beforeCounts();
  os << "\n" << pass << " passed, " << fail << " failed";
  if (unsupported)
    os << ", " << unsupported << " could not be evaluated";
}

void driver::printSessionTable(const runtime::SimResult &res, llvm::raw_ostream &os) {
  if (res.sessions.empty())
    return;
  std::vector<std::vector<std::string>> cells = {
      {"group", "sessions", "instances", "responses", "lost", "replication", "load skew", "p99"}};
  for (const runtime::SessionRow &r : res.sessions) {
    char skew[32];
    snprintf(skew, sizeof skew, "%.2f", r.loadSkew);
    char p99[32];
    runtime::formatDuration(r.p99, p99, sizeof p99);
    cells.push_back({r.group, r.strategy, std::to_string(r.instances),
                     std::to_string(r.responses), std::to_string(r.sessionsLost),
                     std::to_string(r.replicationBytes) + " B", skew,
                     p99});
  }
  std::vector<size_t> width(cells[0].size(), 0);
  for (const auto &row : cells)
    for (size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  os << "\nsessions:\n";
  for (const auto &row : cells) {
    os << " ";
    for (size_t c = 0; c < row.size(); ++c) {
      // Names to the left, numbers to the right.
      size_t gap = width[c] - row[c].size();
      if (c < 2)
        os << " " << row[c] << std::string(gap, ' ');
      else
        os << " " << std::string(gap, ' ') << row[c];
    }
    os << "\n";
  }
}

int driver::runAllScenarios(const sema::Model &model, std::optional<uint64_t> seed,
                            llvm::raw_ostream &os) {
  std::vector<const sema::Resource *> all = runtime::scenarios(model);
  if (all.empty()) {
    llvm::errs() << "infrac sim: the design has no scenario\n";
    return 1;
  }
  struct Row {
    std::string name;
    runtime::SimResult res;
  };
  std::vector<Row> rows;
  for (const sema::Resource *sc : all) {
    runtime::SimOptions opts;
    opts.seed = seed;
    rows.push_back({sc->name.str(), runtime::simulate(runtime::buildPlan(model, sc, opts.planOptions()), opts)});
  }
  size_t width = std::string("scenario").size();
  for (const Row &r : rows)
    width = std::max(width, r.name.size());
  auto pad = [&](llvm::StringRef s, size_t w) {
    os << s;
    for (size_t i = s.size(); i < w; ++i)
      os << ' ';
  };
  pad("scenario", width + 2);
  os << "result  expectations  requests    events      seed\n";
  unsigned failed = 0;
  for (const Row &r : rows) {
    unsigned pass = 0, total = 0;
    for (const runtime::Verdict &v : r.res.verdicts) {
      ++total;
      pass += v.kind == runtime::Verdict::Pass;
    }
    bool ok = r.res.passed();
    failed += !ok;
    pad(r.name, width + 2);
    pad(ok ? "PASS" : "FAIL", 8);
    pad(std::to_string(pass) + "/" + std::to_string(total), 14);
    pad(std::to_string(r.res.requests), 12);
    pad(std::to_string(r.res.events), 12);
    os << r.res.seed << "\n";
  }
  // The failed expectations, so that the table is enough to act on.
  for (const Row &r : rows)
    for (const runtime::Verdict &v : r.res.verdicts)
      if (v.kind != runtime::Verdict::Pass) {
        os << "\n" << r.name << ": " << (v.kind == runtime::Verdict::Fail ? "FAIL" : "SKIP")
           << "  " << v.expectation;
        if (!v.detail.empty())
          os << "\n        " << v.detail;
      }
  if (failed != rows.size())
    os << (failed ? "\n" : "");
  os << "\n" << rows.size() - failed << " of " << rows.size() << " scenarios passed\n";
  return failed ? 1 : 0;
}

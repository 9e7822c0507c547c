//===- WorldSeries.cpp - The sampled series and decision instants ---------===//
//
// With SimOptions::series the trace also carries what a report draws: every
// SampleEvery a `series` record, and at the end a `decided` record per
// expectation with the instant its verdict was settled. The series reads the Fabric through the
// same metrics the expectations do, so a chart and a verdict never disagree.
//
//===----------------------------------------------------------------------===//

#include "Sim/World.h"

namespace infrac::runtime::sim {

namespace {

/// The JSON array `[{"name":...,members},...]` over `count` objects.
template <typename Member>
std::string objects(size_t count, Member member) {
  std::string s = "[";
  for (size_t i = 0; i < count; ++i)
    s += (i ? ",{" : "{") + member(i) + "}";
  return s + "]";
}

std::string field(llvm::StringRef name, uint64_t v) {
  return ",\"" + name.str() + "\":" + std::to_string(v);
}

std::string nameField(llvm::StringRef name) { return "\"name\":\"" + jsonEscape(name) + "\""; }

} // namespace

void World::traceSeries() {
  // A metric of one object, as the judge reads it.
  auto metric = [&](MetricId id, ObjectRef::Kind kind, uint32_t index, uint32_t sub,
                    std::string &shown) {
    Operand o;
    o.kind = Operand::Metric;
    o.metric = id;
    o.object.kind = kind;
    o.object.index = index;
    o.object.sub = sub;
    return fabric->metric(o, shown).value_or(0);
  };
  auto count = [&](MetricId id, ObjectRef::Kind kind, uint32_t index) {
    std::string shown;
    return uint64_t(metric(id, kind, index, 0, shown));
  };

  std::string body = "\"ev\":\"series\",\"lb\":";
  body += objects(windows.size(), [&](size_t i) {
    ResponseWindow &w = windows[i];
    std::string s = nameField(plan.loadBalancers[i].name) + field("responses", w.responses) +
                    field("4xx", w.errors4xx) + field("5xx", w.errors5xx);
    if (w.responses)
      s += field("p50_us", uint64_t(w.latency.percentile(50))) +
           field("p99_us", uint64_t(w.latency.percentile(99)));
    s += field("sessions_lost", fabric->loadBalancers()[i].sessionsLost);
    w = ResponseWindow();
    return s;
  });
  body += ",\"tg\":" + objects(plan.targetGroups.size(), [&](size_t i) {
    auto n = [&](MetricId id) { return count(id, ObjectRef::TargetGroup, uint32_t(i)); };
    return nameField(plan.targetGroups[i].name) + field("healthy", n(MetricId::Healthy)) +
           field("unhealthy", n(MetricId::Unhealthy)) + field("draining", n(MetricId::Draining));
  });
  body += ",\"asg\":" + objects(plan.asgs.size(), [&](size_t i) {
    auto n = [&](MetricId id) { return count(id, ObjectRef::Asg, uint32_t(i)); };
    return nameField(plan.asgs[i].name) + field("capacity", n(MetricId::Capacity)) +
           field("desired", n(MetricId::Desired));
  });
  // Every node group of every EMR cluster, named "cluster.group".
  std::vector<std::pair<std::string, uint64_t>> emrGroups;
  for (uint32_t c = 0; c < plan.emrs.size(); ++c) {
    const EmrConfig &cfg = plan.emrs[c].config;
    for (uint32_t g = 0; g < cfg.groups.size(); ++g) {
      std::string shown;
      emrGroups.emplace_back(cfg.name + "." + cfg.groups[g].name,
                             uint64_t(metric(MetricId::Running, ObjectRef::EmrGroup, c, g, shown)));
    }
  }
  body += ",\"emr\":" + objects(emrGroups.size(), [&](size_t i) {
    return nameField(emrGroups[i].first) + field("running", emrGroups[i].second);
  });
  // Every election of every ensemble, named "ensemble.election"; its
  // leader as the judge shows it: "true (NAME)" or "false (no leader)".
  std::vector<std::pair<std::string, std::string>> leaders;
  for (uint32_t e = 0; e < plan.ensembles.size(); ++e) {
    const CoordinationConfig &c = plan.ensembles[e].config;
    for (uint32_t k = 0; k < c.elections.size(); ++k) {
      std::string shown;
      bool has = metric(MetricId::Leader, ObjectRef::Election, e, k, shown) != 0;
      llvm::StringRef who = llvm::StringRef(shown).rsplit(" (").second.rtrim(')');
      leaders.emplace_back(c.name + "." + c.elections[k].name, has ? who.str() : "");
    }
  }
  body += ",\"election\":" + objects(leaders.size(), [&](size_t i) {
    return nameField(leaders[i].first) + ",\"leader\":\"" + jsonEscape(leaders[i].second) + "\"";
  });
  trace.record(body);
}

void World::traceDecided(const std::vector<Verdict> &verdicts) {
  for (const Verdict &v : verdicts)
    trace.record("\"ev\":\"decided\",\"expect\":\"" + jsonEscape(v.expectation) +
                 "\",\"result\":\"" + verdictName(v.kind) +
                 "\",\"at\":" + std::to_string(v.decided));
}

} // namespace infrac::runtime::sim

//===- RulesEmr.cpp - EMR cluster rules -----------------------------------===//

#include "Rules/Rule.h"

#include "llvm/ADT/StringSet.h"

#include <tuple>

using namespace infrac;
using namespace infrac::rules;
using namespace infrac::sema;
using llvm::StringRef;

namespace {

/// emr-6.15.0 -> (6, 15, 0).
std::optional<std::tuple<int, int, int>> parseRelease(StringRef label) {
  if (!label.consume_front("emr-"))
    return std::nullopt;
  llvm::SmallVector<StringRef, 3> parts;
  label.split(parts, '.');
  if (parts.size() != 3)
    return std::nullopt;
  int v[3];
  for (int i = 0; i < 3; ++i)
    if (parts[i].empty() || parts[i].getAsInteger(10, v[i]))
      return std::nullopt;
  return std::make_tuple(v[0], v[1], v[2]);
}

int64_t countOf(const Resource *group) {
  if (!group)
    return 0;
  if (auto od = group->getInt("target_on_demand"), sp = group->getInt("target_spot"); od || sp)
    return od.value_or(0) + sp.value_or(0);
  return group->getInt("count").value_or(1);
}

class PrimaryCount final : public Rule {
public:
  PrimaryCount() : Rule(RuleID::EMR001, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    const Resource *p = c.child("primary");
    if (!p)
      return;
    int64_t n = countOf(p);
    if (n != 1 && n != 3)
      ctx.report(*this, rangeOf(*p, "count"),
                 "an EMR cluster has 1 or 3 primary nodes, not {}", n);
  }
  RuleDoc doc() const override {
    return {"An EMR cluster has exactly 1 primary node, or 3 for high availability.",
            "RunJobFlow rejects any other count.",
            "EMR Management Guide, \"Plan and configure primary nodes\" (multiple primaries).",
            "primary { instance_type = \"m5.xlarge\"; count = 2 }",
            "primary { instance_type = \"m5.xlarge\"; count = 3 }"};
  }
};

class HaRelease final : public Rule {
public:
  HaRelease() : Rule(RuleID::EMR002, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    if (countOf(c.child("primary")) != 3)
      return;
    auto rel = parseRelease(c.getString("release"));
    if (!rel)
      return; // EMR014.
    bool fleets = c.getEnum("collection") == "fleets";
    bool ok;
    if (!fleets) {
      ok = *rel >= std::make_tuple(5, 23, 0);
    } else {
      static const std::tuple<int, int, int> patch[] = {
          {5, 36, 1}, {5, 36, 2}, {6, 8, 1}, {6, 9, 1}, {6, 10, 1}, {6, 11, 1}};
      ok = *rel >= std::make_tuple(6, 12, 0) ||
           std::find(std::begin(patch), std::end(patch), *rel) != std::end(patch);
    }
    if (!ok)
      ctx.report(*this, rangeOf(c, "release"),
                 "3 primary nodes with instance {} need release {}; '{}' does not support them",
                 fleets ? "fleets" : "groups",
                 fleets ? "emr-5.36.1, 5.36.2, 6.8.1, 6.9.1, 6.10.1, 6.11.1 or 6.12.0 and later"
                        : "emr-5.23.0 or later",
                 c.getString("release"))
          .note(rangeOf(*c.child("primary"), "count"), "3 primary nodes here");
  }
  RuleDoc doc() const override {
    return {"A cluster with 3 primary nodes uses a release that supports them: instance "
            "groups from emr-5.23.0; instance fleets from emr-5.36.1, 5.36.2, 6.8.1, 6.9.1, "
            "6.10.1, 6.11.1 or 6.12.0 and later (the 2023 guide still said fleets were "
            "unsupported).",
            "RunJobFlow rejects the cluster.",
            "EMR Management Guide, multiple primary nodes (current and June-2023 versions).",
            "emr_cluster a { release = \"emr-5.20.0\"; primary { count = 3 } }",
            "emr_cluster a { release = \"emr-6.15.0\"; primary { count = 3 } }"};
  }
};

std::vector<const Value *> subnetsOf(const Resource &c) {
  std::vector<const Value *> out;
  if (const Value *s = c.get("subnets"))
    for (const Value &v : s->items)
      out.push_back(&v);
  return out;
}

class HaOneSubnet final : public Rule {
public:
  HaOneSubnet() : Rule(RuleID::EMR003, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    if (countOf(c.child("primary")) != 3 || c.getEnum("collection") == "fleets")
      return;
    auto subnets = subnetsOf(c);
    if (subnets.size() > 1)
      ctx.report(*this, rangeOf(c, "subnets"),
                 "a multi-primary cluster runs in one subnet and one availability zone; it is "
                 "not zone-fault-tolerant, so give it one subnet");
  }
  RuleDoc doc() const override {
    return {"A cluster with 3 primary nodes (instance groups) names one subnet. Such a cluster "
            "lives in one availability zone: it survives a primary failure, not a zone "
            "outage.",
            "Several subnets suggest zone tolerance the cluster does not have.",
            "EMR Management Guide, multiple primary nodes: considerations.",
            "emr_cluster a { subnets = [a, c]; primary { count = 3 } }",
            "emr_cluster a { subnet = a; primary { count = 3 } }"};
  }
};

class SpotGroup final : public Rule {
public:
  SpotGroup(RuleID id, const char *keyword, const char *consequence, RuleDoc d)
      : Rule(id, {"emr_cluster"}), keyword(keyword), consequence(consequence), d(d) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    const Resource *g = c.child(keyword);
    if (!g)
      return;
    bool spot = g->getEnum("market") == "spot" || g->getInt("target_spot").value_or(0) > 0;
    if (spot)
      ctx.report(*this, rangeOf(*g, g->get("target_spot") ? "target_spot" : "market"),
                 "{} nodes on Spot: {}", keyword, consequence);
  }
  RuleDoc doc() const override { return d; }

private:
  const char *keyword;
  const char *consequence;
  RuleDoc d;
};

class Replication final : public Rule {
public:
  Replication() : Rule(RuleID::EMR012, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    const Value *conf = c.get("configurations");
    const Resource *core = c.child("core");
    if (!conf || !core)
      return;
    const NamedValue *hdfs = conf->field("hdfs-site");
    const NamedValue *rep = hdfs ? hdfs->value.field("dfs.replication") : nullptr;
    int64_t n;
    if (!rep || rep->value.kind != Value::Kind::String || rep->value.str.getAsInteger(10, n))
      return;
    int64_t cores = countOf(core);
    if (n > cores)
      ctx.report(*this, rep->value.range,
                 "dfs.replication is {} but there are {} core nodes; HDFS cannot place that "
                 "many copies and the cluster cannot shrink below it",
                 n, cores)
          .note(rangeOf(*core, "count"), "core node count");
  }
  RuleDoc doc() const override {
    return {"An explicit hdfs-site dfs.replication does not exceed the core node count. The "
            "default replication is 1 below 4 core nodes, 2 below 10, 3 otherwise.",
            "Blocks stay under-replicated and the cluster cannot scale core nodes below the "
            "replication factor.",
            "EMR Release Guide, \"HDFS configuration\".",
            "configurations = { \"hdfs-site\" = { \"dfs.replication\" = \"3\" } }  # 2 core nodes",
            "configurations = { \"hdfs-site\" = { \"dfs.replication\" = \"2\" } }"};
  }
};

class HaCoreSize final : public Rule {
public:
  HaCoreSize() : Rule(RuleID::EMR013, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    const Resource *core = c.child("core");
    if (countOf(c.child("primary")) != 3 || !core)
      return;
    int64_t n = countOf(core);
    if (n < 4)
      ctx.report(*this, rangeOf(*core, "count"),
                 "a multi-primary cluster should have at least 4 core nodes; this one has {}",
                 n);
  }
  RuleDoc doc() const override {
    return {"A cluster with 3 primary nodes has at least 4 core nodes (with 3 or fewer, set "
            "dfs.replication to at least 2).",
            "HA of the primaries is of little use if losing one core node loses HDFS data.",
            "EMR Management Guide, multiple primary nodes: considerations.",
            "primary { count = 3 }\ncore { count = 2 }", "primary { count = 3 }\ncore { count = 4 }"};
  }
};

class ReleaseLabel final : public Rule {
public:
  ReleaseLabel() : Rule(RuleID::EMR014, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    StringRef r = c.getString("release");
    if (!r.empty() && !parseRelease(r))
      ctx.report(*this, rangeOf(c, "release"),
                 "release label '{}' is not of the form emr-X.Y.Z, e.g. \"emr-7.1.0\"", r);
  }
  RuleDoc doc() const override {
    return {"The release label matches ^emr-\\d+\\.\\d+\\.\\d+$.",
            "RunJobFlow rejects other labels.", "EMR API; CloudFormation schema.",
            "emr_cluster a { release = \"6.15\" }", "emr_cluster a { release = \"emr-6.15.0\" }"};
  }
};

class Applications final : public Rule {
public:
  Applications() : Rule(RuleID::EMR015, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    const Value *apps = c.get("applications");
    if (!apps)
      return;
    llvm::StringMap<const Value *> seen;
    bool ha = countOf(c.child("primary")) == 3;
    // An external metastore: a JDBC URL in hive-site, or the Glue Data Catalog.
    bool externalMetastore = false;
    if (const Value *conf = c.get("configurations"))
      if (const NamedValue *hive = conf->field("hive-site"))
        externalMetastore = hive->value.field("javax.jdo.option.ConnectionURL") ||
                            hive->value.field("hive.metastore.client.factory.class");
    for (const Value &a : apps->items) {
      auto [it, fresh] = seen.try_emplace(a.str, &a);
      if (!fresh)
        ctx.report(*this, a.range, "application '{}' is listed twice", a.str)
            .note(it->second->range, "first listed here");
      else if (ha && !externalMetastore && (a.str == "hive" || a.str == "hue" || a.str == "oozie"))
        ctx.reportAs(*this, Severity::Warning, a.range,
                     "'{}' on a multi-primary cluster needs an external database or metastore",
                     a.str);
      else if (ha && (a.str == "trino" || a.str == "presto"))
        ctx.reportAs(*this, Severity::Warning, a.range,
                     "'{}' is not among the applications EMR supports with 3 primary nodes",
                     a.str);
    }
  }
  RuleDoc doc() const override {
    return {"Applications are listed once each (error). On a cluster with 3 primary nodes, "
            "Hive, Hue and Oozie need an external database or metastore (a "
            "`javax.jdo.option.ConnectionURL` or the Glue catalog's "
            "`hive.metastore.client.factory.class` in `hive-site`), and applications "
            "outside the guide's HA list (such as Trino and Presto) are warnings.",
            "RunJobFlow rejects duplicates; unsupported HA applications lose state on "
            "failover.",
            "CloudFormation schema (uniqueItems); EMR Management Guide, HA applications.",
            "applications = [spark, spark]", "applications = [spark, hadoop]"};
  }
};

class IdleTimeout final : public Rule {
public:
  IdleTimeout() : Rule(RuleID::EMR016, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    if (auto t = seconds(c, "idle_timeout"); t && (*t < 60 || *t > 604800))
      ctx.report(*this, rangeOf(c, "idle_timeout"),
                 "idle auto-termination is {} s; AWS allows 1 minute to 7 days", *t);
  }
  RuleDoc doc() const override {
    return {"Idle auto-termination is 1 minute to 7 days (default 60 minutes).",
            "PutAutoTerminationPolicy rejects other values.",
            "EMR Management Guide, auto-termination policy.",
            "emr_cluster a { idle_timeout = 30s }", "emr_cluster a { idle_timeout = 1h }"};
  }
};

} // namespace

void rules::addEmrRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<PrimaryCount>());
  out.push_back(std::make_unique<HaRelease>());
  out.push_back(std::make_unique<HaOneSubnet>());
  out.push_back(std::make_unique<SpotGroup>(
      RuleID::EMR009, "primary", "a Spot interruption ends the whole cluster",
      RuleDoc{"The primary node is not on Spot (acceptable only for tests or an all-Spot "
              "cluster).",
              "When the primary is interrupted the cluster terminates.",
              "EMR Management Guide, instance purchasing guidelines.",
              "primary { instance_type = \"m5.xlarge\"; market = spot }",
              "primary { instance_type = \"m5.xlarge\" }"}));
  out.push_back(std::make_unique<SpotGroup>(
      RuleID::EMR010, "core",
      "core nodes hold HDFS, so an interruption risks data loss, and the group waits for "
      "every requested instance",
      RuleDoc{"Core nodes are not on Spot.",
              "Core nodes store HDFS blocks: interruptions can lose data; a Spot core group "
              "also waits until all requested instances are available.",
              "EMR Management Guide, instance purchasing guidelines.",
              "core { instance_type = \"r5.2xlarge\"; count = 4; market = spot }",
              "core { instance_type = \"r5.2xlarge\"; count = 4 }\n"
              "task { instance_type = \"r5.2xlarge\"; count = 8; market = spot }"}));
  out.push_back(std::make_unique<Replication>());
  out.push_back(std::make_unique<HaCoreSize>());
  out.push_back(std::make_unique<ReleaseLabel>());
  out.push_back(std::make_unique<Applications>());
  out.push_back(std::make_unique<IdleTimeout>());
}

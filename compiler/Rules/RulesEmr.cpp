//===- RulesEmr.cpp - EMR cluster rules -----------------------------------===//

#include "Rules/Rule.h"

#include "llvm/ADT/StringSet.h"

#include <algorithm>
#include <cmath>
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
    if (parts[i].empty() || !llvm::all_of(parts[i], llvm::isDigit) ||
        parts[i].getAsInteger(10, v[i]))
      return std::nullopt;
  return std::make_tuple(v[0], v[1], v[2]);
}

/// A group's or fleet's capacity by market: a fleet's target capacities when
/// either is given, else `count` (default 1) in the group's market, as
/// `infrac build` emits it.
struct Capacity {
  int64_t onDemand = 0, spot = 0;
};
Capacity capacityOf(const Resource &g) {
  Capacity c;
  if (g.get("target_on_demand") || g.get("target_spot")) {
    c.onDemand = g.getInt("target_on_demand").value_or(0);
    c.spot = g.getInt("target_spot").value_or(0);
  } else {
    (g.getEnum("market") == "spot" ? c.spot : c.onDemand) = g.getInt("count").value_or(1);
  }
  return c;
}

int64_t countOf(const Resource *group) {
  if (!group)
    return 0;
  Capacity c = capacityOf(*group);
  return c.onDemand + c.spot;
}

/// Where a group's size is written: its count, or a fleet's target capacities.
llvm::SMRange countRange(const Resource &g) {
  for (const char *attr : {"target_on_demand", "target_spot"})
    if (written(g, attr))
      return rangeOf(g, attr);
  return rangeOf(g, "count");
}

/// Names a node group for messages: "the core group of 'c'", "task fleet 'c.t'".
std::string groupName(const Resource &g) {
  const Resource *c = g.parent;
  const char *what = c && c->getEnum("collection") == "fleets" ? "fleet" : "group";
  if (!g.name.empty())
    return fmt::format("{} {} '{}'", g.keyword, what, g.path);
  return fmt::format("the {} {} of '{}'", g.keyword, what, c ? c->name : StringRef());
}

/// Whether a group or fleet asks for any Spot capacity.
bool onSpot(const Resource &g) {
  return g.getEnum("market") == "spot" || g.getInt("target_spot").value_or(0) > 0;
}

class PrimaryCount final : public Rule {
public:
  PrimaryCount() : Rule(RuleID::EMR001, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    const Resource *p = c.child("primary");
    if (!p || c.getEnum("collection") == "fleets") // EMR007 checks the primary fleet.
      return;
    int64_t n = countOf(p);
    if (n != 1 && n != 3)
      ctx.report(*this, countRange(*p),
                 "an EMR cluster has 1 or 3 primary nodes, not {}; use 1, or 3 for high "
                 "availability",
                 n);
  }
  RuleDoc doc() const override {
    return {"An EMR cluster has exactly 1 primary node, or 3 for high availability (the "
            "primary group's `count`; a primary fleet's capacity is EMR007's).",
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
      // The first patch of each line that supports them; later patches of the
      // same line keep the support.
      static const std::tuple<int, int, int> firstPatch[] = {
          {5, 36, 1}, {6, 8, 1}, {6, 9, 1}, {6, 10, 1}, {6, 11, 1}};
      // Not structured bindings: C++17 lambdas cannot capture them (clang
      // rejects it; the fuzzer is built with clang).
      const std::tuple<int, int, int> &r = *rel;
      ok = r >= std::make_tuple(6, 12, 0) ||
           std::any_of(std::begin(firstPatch), std::end(firstPatch), [&](const auto &p) {
             return std::get<0>(p) == std::get<0>(r) && std::get<1>(p) == std::get<1>(r) &&
                    std::get<2>(r) >= std::get<2>(p);
           });
    }
    if (!ok)
      ctx.report(*this, rangeOf(c, "release"),
                 "3 primary nodes with instance {} need release {}; '{}' does not support them",
                 fleets ? "fleets" : "groups",
                 fleets ? "emr-5.36.1+, 6.8.1+, 6.9.1+, 6.10.1+, 6.11.1+ or 6.12.0 and later"
                        : "emr-5.23.0 or later",
                 c.getString("release"))
          .note(countRange(*c.child("primary")), "3 primary nodes here");
  }
  RuleDoc doc() const override {
    return {"A cluster with 3 primary nodes uses a release that supports them: instance "
            "groups from emr-5.23.0; instance fleets from emr-5.36.1, 5.36.2, 6.8.1, 6.9.1, "
            "6.10.1, 6.11.1 or 6.12.0 and later (the 2023 guide still said fleets were "
            "unsupported). A later patch of a listed line (emr-6.10.2) counts as supported.",
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
    // Instance groups take one 'subnet' (EMR004 reports 'subnets' there).
    if (countOf(c.child("primary")) != 3 || c.getEnum("collection") != "fleets")
      return;
    auto subnets = subnetsOf(c);
    llvm::StringSet<> zones;
    for (const Value *s : subnets)
      if (s->ref)
        zones.insert(s->ref->getString("zone"));
    if (zones.size() > 1)
      ctx.report(*this, rangeOf(c, "subnets"),
                 "a multi-primary cluster runs in one availability zone: EMR launches it in "
                 "one of these {} zones, and a zone outage takes all 3 primaries; list one "
                 "subnet, or keep a standby cluster in another zone",
                 zones.size());
  }
  RuleDoc doc() const override {
    return {"A cluster with 3 primary nodes on instance fleets lists candidate subnets in one "
            "availability zone. EMR launches it in one zone whatever it is given: it survives "
            "a primary failure, not a zone outage. (Instance groups take one `subnet`.)",
            "Subnets in several zones suggest zone tolerance the cluster does not have.",
            "EMR Management Guide, multiple primary nodes: considerations.",
            "emr_cluster a { collection = fleets; subnets = [a, c]; primary { target_on_demand = 3 ... } }",
            "emr_cluster a { collection = fleets; subnets = [a]; primary { target_on_demand = 3 ... } }"};
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
    if (!onSpot(*g))
      return;
    llvm::SMRange at = rangeOf(*g, g->get("target_spot") ? "target_spot" : "market");
    if (StringRef(keyword) == "primary" && countOf(g) == 3)
      ctx.reportAs(*this, Severity::Error, at,
                   "3 primary nodes launch on demand only; EMR rejects Spot primaries in a "
                   "high-availability cluster");
    else
      ctx.report(*this, at, "{} nodes on Spot: {}", keyword, consequence);
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
    if (cores >= 1 && n > cores) // An empty core group is EMR005's.
      ctx.report(*this, rep->value.range,
                 "dfs.replication is {} but the cluster has {} core node{}: HDFS cannot place "
                 "that many copies; lower it to {} or add core nodes",
                 n, cores, cores == 1 ? "" : "s", cores)
          .note(countRange(*core), "core node count");
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
    if (n >= 4)
      return;
    // With 3 or fewer core nodes, an explicit replication of 2 or more is the
    // guide's alternative (the default there is 1).
    if (const Value *conf = c.get("configurations"))
      if (const NamedValue *hdfs = conf->field("hdfs-site"))
        if (const NamedValue *rep = hdfs->value.field("dfs.replication")) {
          int64_t r;
          if (rep->value.kind == Value::Kind::String && !rep->value.str.getAsInteger(10, r) &&
              r >= 2)
            return;
        }
    ctx.report(*this, countRange(*core),
               "a multi-primary cluster with {} core node{} keeps one copy of each HDFS block "
               "(dfs.replication defaults to 1 below 4 core nodes); use at least 4 core nodes "
               "or set dfs.replication to 2 or more",
               n, n == 1 ? "" : "s");
  }
  RuleDoc doc() const override {
    return {"A cluster with 3 primary nodes has at least 4 core nodes, or with 3 or fewer an "
            "explicit hdfs-site dfs.replication of at least 2.",
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
    for (const Value &a : apps->items) {
      auto [it, fresh] = seen.try_emplace(a.str, &a);
      const char *where = nullptr;
      if (!fresh)
        ctx.report(*this, a.range, "application '{}' is listed twice", a.str)
            .note(it->second->range, "first listed here");
      else if (ha && (where = missingDatabase(c, a.str)))
        ctx.reportAs(*this, Severity::Warning, a.range,
                     "'{}' on a multi-primary cluster keeps its state on a primary node, which "
                     "is lost on failover; give it an external database ({})",
                     a.str, where);
      else if (ha && (a.str == "trino" || a.str == "presto"))
        ctx.reportAs(*this, Severity::Warning, a.range,
                     "'{}' is not among the applications EMR keeps available with 3 primary "
                     "nodes: its coordinator does not fail over; run it on a separate "
                     "single-primary cluster",
                     a.str);
    }
  }
  /// Where to configure the external database Hive, Hue or Oozie needs on a
  /// multi-primary cluster, or null when it is configured (or not needed).
  static const char *missingDatabase(const Resource &c, StringRef app) {
    const Value *conf = c.get("configurations");
    auto has = [&](StringRef classification, StringRef key) {
      const NamedValue *cl = conf ? conf->field(classification) : nullptr;
      return cl && (key.empty() || cl->value.field(key));
    };
    if (app == "hive")
      return has("hive-site", "javax.jdo.option.ConnectionURL") ||
                     has("hive-site", "hive.metastore.client.factory.class")
                 ? nullptr
                 : "hive-site: javax.jdo.option.ConnectionURL, or the Glue Data Catalog's "
                   "hive.metastore.client.factory.class";
    if (app == "oozie")
      return has("oozie-site", "oozie.service.JPAService.jdbc.url")
                 ? nullptr
                 : "oozie-site: oozie.service.JPAService.jdbc.url";
    if (app == "hue")
      return has("hue-ini", "") ? nullptr : "a hue-ini classification with its database";
    return nullptr;
  }
  RuleDoc doc() const override {
    return {"Applications are listed once each (error). On a cluster with 3 primary nodes, "
            "Hive, Hue and Oozie need an external database (warning): Hive a "
            "`javax.jdo.option.ConnectionURL` or the Glue catalog's "
            "`hive.metastore.client.factory.class` in `hive-site`, Oozie "
            "`oozie.service.JPAService.jdbc.url` in `oozie-site`, Hue a `hue-ini` "
            "classification. Trino and Presto, outside the guide's HA list, are warnings; "
            "Hudi, Iceberg and Delta are table-format libraries run by Spark or Hive and keep "
            "no state on the primaries.",
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

bool usesFleets(const Resource &c) { return c.getEnum("collection") == "fleets"; }

/// The node groups of a cluster: primary, core, then tasks.
std::vector<const Resource *> groupsOf(const Resource &c) {
  std::vector<const Resource *> out;
  for (const char *k : {"primary", "core", "task"})
    for (const Resource *g : c.childrenOf(k))
      out.push_back(g);
  return out;
}

class GroupsOrFleets final : public Rule {
public:
  GroupsOrFleets() : Rule(RuleID::EMR004, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    bool fleets = usesFleets(c);
    const char *mine = fleets ? "instance fleets" : "instance groups";
    static const char *const groupOnly[] = {"instance_type", "count"};
    static const char *const fleetOnly[] = {"instance_types", "target_on_demand", "target_spot",
                                            "spot_timeout", "spot_timeout_action"};
    for (const char *attr : fleets ? llvm::makeArrayRef(groupOnly) : llvm::makeArrayRef(fleetOnly))
      for (const Resource *g : groupsOf(c))
        if (written(*g, attr))
          ctx.report(*this, attrRange(*g, attr),
                     "'{}' belongs to {}; cluster '{}' uses {}", attr,
                     fleets ? "instance groups" : "instance fleets", c.name, mine)
              .note(fleets ? rangeOf(c, "collection") : c.nameRange,
                    "set 'collection = {}' to use {}", fleets ? "groups" : "fleets",
                    fleets ? "instance groups" : "instance fleets");
    for (const Resource *g : groupsOf(c)) {
      if (!fleets && !g->get("instance_type"))
        ctx.report(*this, g->nameRange, "{} needs 'instance_type'", groupName(*g));
      if (fleets && !g->get("instance_types"))
        ctx.report(*this, g->nameRange, "{} needs 'instance_types' (a fleet's candidates)",
                   groupName(*g));
    }
    if (fleets && written(c, "subnet"))
      ctx.report(*this, attrRange(c, "subnet"),
                 "a cluster of instance fleets takes candidate 'subnets', not 'subnet'");
    if (!fleets && written(c, "subnets"))
      ctx.report(*this, attrRange(c, "subnets"),
                 "a cluster of instance groups runs in one 'subnet'; 'subnets' is for fleets");
  }
  RuleDoc doc() const override {
    return {"A cluster uses instance groups (`instance_type`, `count`, one `subnet`) or "
            "instance fleets (`collection = fleets`: `instance_types`, `target_on_demand`, "
            "`target_spot`, spot timeouts, candidate `subnets`), never both, and every group "
            "names its instance type(s).",
            "A cluster keeps its choice for its whole life; RunJobFlow rejects a mix.",
            "EMR Management Guide, \"Instance fleets\" and \"Instance groups\"; "
            "AWS::EMR::Cluster InstanceFleetConfig.",
            "emr_cluster c { primary { instance_type = \"m5.xlarge\"; target_spot = 1 } }",
            "emr_cluster c { collection = fleets; primary { instance_types = [\"m5.xlarge\"]; target_on_demand = 1 } }"};
  }
};

class GroupCounts final : public Rule {
public:
  GroupCounts() : Rule(RuleID::EMR005, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    if (usesFleets(c))
      return;
    const Resource *core = c.child("core");
    auto tasks = c.childrenOf("task");
    if (core && core->getInt("count").value_or(1) < 1)
      ctx.report(*this, rangeOf(*core, "count"),
                 "the core group has {} instances; it needs at least 1 (or leave 'core' out "
                 "for a single-node cluster)",
                 core->getInt("count").value_or(1));
    if (!core && !tasks.empty())
      ctx.report(*this, tasks.front()->nameRange,
                 "task groups need a core group: add 'core {{ instance_type = ...; count = 1 }}'");
    if (tasks.size() > 48)
      ctx.report(*this, tasks[48]->nameRange,
                 "cluster '{}' has {} task groups; EMR allows 48", c.name, tasks.size());
    for (const Resource *t : tasks)
      if (auto n = t->getInt("count"); n && *n < 0)
        ctx.report(*this, rangeOf(*t, "count"), "{} has {} instances; use 0 or more",
                   groupName(*t), *n);
  }
  RuleDoc doc() const override {
    return {"With instance groups: one primary group (EMR001 counts it), at most one core "
            "group with at least 1 instance, which task groups need, and at most 48 task "
            "groups (50 groups in all).",
            "RunJobFlow and AddInstanceGroups reject other shapes.",
            "EMR Management Guide, \"Instance groups\".",
            "emr_cluster c { primary { ... } task t { instance_type = \"c5.xlarge\"; count = 4 } }",
            "emr_cluster c { primary { ... } core { instance_type = \"r5.xlarge\"; count = 2 } task t { ... } }"};
  }
};

class Fleets final : public Rule {
public:
  Fleets() : Rule(RuleID::EMR006, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    if (!usesFleets(c))
      return;
    if (c.childrenOf("task").size() > 1)
      ctx.report(*this, c.childrenOf("task")[1]->nameRange,
                 "a cluster of instance fleets has one task fleet; list these instance types "
                 "in the first one")
          .note(c.childrenOf("task")[0]->nameRange, "the task fleet");
    for (const Resource *g : groupsOf(c))
      if (const Value *types = g->get("instance_types")) {
        if (types->items.size() > 30)
          ctx.report(*this, types->items[30].range,
                     "{} instance types in one fleet; EMR allows 30", types->items.size());
        for (const Value &t : types->items) {
          size_t n = std::count_if(types->items.begin(), types->items.end(),
                                   [&](const Value &o) { return o.str == t.str; });
          if (n > 1 && &t != &*std::find_if(types->items.begin(), types->items.end(),
                                            [&](const Value &o) { return o.str == t.str; }))
            ctx.report(*this, t.range, "instance type '{}' is listed twice", t.str);
        }
      }
    if (auto rel = parseRelease(c.getString("release"))) {
      auto [major, minor, patch] = *rel;
      bool ok = major > 5 || (major == 5 && minor >= 1) || (major == 4 && minor >= 8);
      if (!ok)
        ctx.report(*this, rangeOf(c, "release"),
                   "release '{}' has no instance fleets; they need emr-4.8.0 or later, "
                   "except 5.0.x",
                   c.getString("release"))
            .note(rangeOf(c, "collection"), "fleets chosen here");
      (void)patch;
    }
    const Value *subnets = c.get("subnets");
    if (!subnets)
      return;
    // Each candidate is compared with the first.
    const Value *first = nullptr;
    for (const Value &s : subnets->items) {
      if (!s.ref)
        continue;
      if (!first) {
        first = &s;
        continue;
      }
      const Resource *v = s.ref->getRef("vpc"), *firstVpc = first->ref->getRef("vpc");
      bool pub = s.ref->getBool("public").value_or(false);
      bool firstPub = first->ref->getBool("public").value_or(false);
      if (v != firstVpc)
        ctx.report(*this, s.range,
                   "subnet '{}' is in VPC '{}' but '{}' is in '{}'; a fleet's candidate "
                   "subnets are all in one VPC",
                   s.ref->name, v ? v->name : StringRef(), first->ref->name,
                   firstVpc ? firstVpc->name : StringRef());
      else if (pub != firstPub)
        ctx.report(*this, s.range,
                   "subnet '{}' is {} but '{}' is {}; a fleet's candidate subnets are all "
                   "public or all private",
                   s.ref->name, pub ? "public" : "private", first->ref->name,
                   firstPub ? "public" : "private");
    }
  }
  RuleDoc doc() const override {
    return {"Instance fleets: one fleet per node type, at most 30 distinct instance types per "
            "fleet, a release of 4.8.0 or later but not 5.0.x, and candidate subnets all in "
            "one VPC and all public or all private (EMR picks one zone).",
            "RunJobFlow rejects other shapes.",
            "EMR Management Guide, \"Instance fleets\"; EMR API InstanceFleetConfig.",
            "emr_cluster c { collection = fleets; release = \"emr-4.7.0\"; ... }",
            "emr_cluster c { collection = fleets; release = \"emr-6.15.0\"; ... }"};
  }
};

class PrimaryFleet final : public Rule {
public:
  PrimaryFleet() : Rule(RuleID::EMR007, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    const Resource *p = c.child("primary");
    if (!p || !usesFleets(c))
      return;
    auto [od, sp] = capacityOf(*p);
    // Three primaries: EMR002 checks the release, EMR009 that they are on demand.
    if ((od == 3 && sp == 0) || (od == 0 && sp == 3))
      return;
    if (!((od == 1 && sp == 0) || (od == 0 && sp == 1)))
      ctx.report(*this, p->nameRange,
                 "the primary fleet sets exactly one of 'target_on_demand' and 'target_spot' "
                 "to 1 (or 'target_on_demand' to 3 for three primaries), not {} and {}",
                 od, sp);
  }
  RuleDoc doc() const override {
    return {"The primary fleet has capacity 1: exactly one of `target_on_demand` and "
            "`target_spot` is 1 and the other 0 or unset (neither: `count` units, default 1, "
            "in the fleet's market); EMR picks one instance type. A "
            "high-availability cluster instead sets `target_on_demand = 3` (its primaries "
            "are on demand only).",
            "RunJobFlow rejects any other primary fleet capacity.",
            "EMR Management Guide, \"Instance fleets\", primary fleet.",
            "primary { instance_types = [\"m5.xlarge\"]; target_on_demand = 1; target_spot = 1 }",
            "primary { instance_types = [\"m5.xlarge\"]; target_on_demand = 1 }"};
  }
};

class SpotProvisioning final : public Rule {
public:
  SpotProvisioning() : Rule(RuleID::EMR008, {"instance_group"}) {}
  void check(const Resource &g, RuleContext &ctx) const override {
    if (auto t = seconds(g, "spot_timeout"); t && (*t < 5 * 60 || *t > 1440 * 60))
      ctx.report(*this, rangeOf(g, "spot_timeout"),
                 "spot provisioning timeout is {} min; EMR allows 5..1440 min", *t / 60);
    else if (t && std::fmod(*t, 60) != 0)
      ctx.report(*this, rangeOf(g, "spot_timeout"),
                 "spot provisioning timeout is {} s; EMR takes whole minutes", *t);
    if (written(g, "spot_timeout_action") && !g.get("spot_timeout"))
      ctx.report(*this, attrRange(g, "spot_timeout_action"),
                 "'spot_timeout_action' needs 'spot_timeout': how long to wait first");
    if (written(g, "bid_price") && !onSpot(g))
      ctx.reportAs(*this, Severity::Warning, attrRange(g, "bid_price"),
                   "a bid price applies to spot capacity only; {} is on demand: remove "
                   "'bid_price' or ask for spot capacity ({})",
                   groupName(g),
                   g.parent && g.parent->getEnum("collection") == "fleets" ? "'target_spot'"
                                                                          : "'market = spot'");
  }
  RuleDoc doc() const override {
    return {"Spot provisioning of a fleet: `spot_timeout` 5..1440 minutes, and given whenever "
            "`spot_timeout_action` (switch_to_on_demand or terminate_cluster) is, in whole "
            "minutes. A `bid_price` on a group with no spot capacity is a warning. (Spot "
            "blocks, closed since 2021, are not in the language.)",
            "RunJobFlow rejects the timeout; a bid price on demand is ignored.",
            "EMR API SpotProvisioningSpecification.",
            "task t { instance_types = [\"c5.xlarge\"]; target_spot = 4; spot_timeout = 2m }",
            "task t { instance_types = [\"c5.xlarge\"]; target_spot = 4; spot_timeout = 10m }"};
  }
};

class SpotTasks final : public Rule {
public:
  SpotTasks() : Rule(RuleID::EMR011, {"instance_group"}) {}
  void check(const Resource &g, RuleContext &ctx) const override {
    if (g.keyword == "task" && !onSpot(g))
      ctx.report(*this, g.nameRange,
                 "{} runs on demand; task nodes hold no HDFS data, so Spot capacity "
                 "(up to 90% cheaper) loses no data when interrupted: consider {}",
                 groupName(g),
                 g.parent && g.parent->getEnum("collection") == "fleets" ? "'target_spot'"
                                                                        : "'market = spot'");
  }
  RuleDoc doc() const override {
    return {"Informational, off by default (`--warn=EMR011`): task groups on demand could run "
            "on Spot.",
            "Task nodes hold no HDFS blocks; an interruption only reruns tasks.",
            "EMR Management Guide, \"Task nodes on Spot Instances\".",
            "task t { instance_type = \"c5.xlarge\"; count = 4 }",
            "task t { instance_type = \"c5.xlarge\"; count = 4; market = spot }"};
  }
};

class EmrSecurity final : public Rule {
public:
  EmrSecurity() : Rule(RuleID::SEC014, {"emr_cluster"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    if (!c.get("security_configuration"))
      ctx.report(*this, c.nameRange,
                 "EMR cluster '{}' has no security configuration: data at rest and in transit "
                 "is unencrypted; set 'security_configuration'",
                 c.name);
    if (!c.get("log_uri"))
      ctx.report(*this, c.nameRange,
                 "EMR cluster '{}' keeps no logs in S3; set 'log_uri = \"s3://bucket/prefix\"'",
                 c.name);
  }
  RuleDoc doc() const override {
    return {"An EMR cluster names a security configuration (encryption at rest and in transit, "
            "Kerberos) and writes its logs to S3.",
            "Without one, HDFS, EBS and shuffle data are unencrypted; without logs a failed "
            "step leaves nothing to read after termination.",
            "checkov CKV2_AWS_7, CKV_AWS_114, CKV_AWS_171; tfsec AVD-AWS-0137.",
            "emr_cluster c { release = \"emr-6.15.0\" ... }",
            "emr_cluster c { security_configuration = \"at-rest-and-in-transit\"; log_uri = \"s3://logs/\" ... }"};
  }
};

} // namespace

void rules::addEmrRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<PrimaryCount>());
  out.push_back(std::make_unique<HaRelease>());
  out.push_back(std::make_unique<HaOneSubnet>());
  out.push_back(std::make_unique<GroupsOrFleets>());
  out.push_back(std::make_unique<GroupCounts>());
  out.push_back(std::make_unique<Fleets>());
  out.push_back(std::make_unique<PrimaryFleet>());
  out.push_back(std::make_unique<SpotProvisioning>());
  out.push_back(std::make_unique<SpotTasks>());
  out.push_back(std::make_unique<EmrSecurity>());
  out.push_back(std::make_unique<SpotGroup>(
      RuleID::EMR009, "primary",
      "a Spot interruption ends the whole cluster; run the primary on demand",
      RuleDoc{"The primary node is not on Spot (acceptable only for tests or an all-Spot "
              "cluster); with 3 primary nodes Spot is an error (EMR launches HA primaries on "
              "demand only).",
              "When the primary is interrupted the cluster terminates.",
              "EMR Management Guide, instance purchasing guidelines.",
              "primary { instance_type = \"m5.xlarge\"; market = spot }",
              "primary { instance_type = \"m5.xlarge\" }"}));
  out.push_back(std::make_unique<SpotGroup>(
      RuleID::EMR010, "core",
      "core nodes hold HDFS, so an interruption risks data loss, and the group waits for "
      "every requested instance; keep core nodes on demand and put Spot capacity in task nodes",
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

//===- RulesCoordination.cpp - ZooKeeper-style ensemble rules -------------===//

#include "Rules/Net.h"
#include "Rules/Rule.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace infrac;
using namespace infrac::rules;
using namespace infrac::sema;
using llvm::StringRef;

namespace {

int64_t votersOf(const Resource &c) { return c.getInt("ensemble").value_or(3); }
int64_t quorumOf(int64_t n) { return n / 2 + 1; }
int64_t toleratedOf(int64_t n) { return (n - 1) / 2; }

class MinimumSize final : public Rule {
public:
  MinimumSize() : Rule(RuleID::ZK001, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    int64_t n = votersOf(c);
    if (n >= 1 && n < 3) // Below 1 is ZK005's error.
      ctx.report(*this, rangeOf(c, "ensemble"),
                 "an ensemble of {} tolerates no server failure; use at least 3", n);
  }
  RuleDoc doc() const override {
    return {"An ensemble has at least 3 voting members (observers do not count).",
            "With 1 or 2 servers the loss of one stops the service (\"No server failure will "
            "be tolerated. You need at least 3 servers.\").",
            "ZooKeeper Administrator's Guide, \"Clustered Setup\"; QuorumPeerConfig.",
            "coordination zk { ensemble = 2 }", "coordination zk { ensemble = 3 }"};
  }
};

class OddSize final : public Rule {
public:
  OddSize() : Rule(RuleID::ZK002, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    int64_t n = votersOf(c);
    if (n >= 2 && n % 2 == 0)
      ctx.report(*this, rangeOf(c, "ensemble"),
                 "an ensemble of {} tolerates {} failure{}, like one of {}; use an odd size", n,
                 toleratedOf(n), toleratedOf(n) == 1 ? "" : "s", n - 1);
  }
  RuleDoc doc() const override {
    return {"An ensemble has an odd number of voting members (3, 5, 7).",
            "Quorum is floor(N/2)+1: an even N tolerates no more failures than N-1 and costs a "
            "server more (\"Non-optimal configuration, consider an odd number of servers.\").",
            "ZooKeeper Administrator's Guide; QuorumPeerConfig.",
            "coordination zk { ensemble = 4 }", "coordination zk { ensemble = 5 }"};
  }
};

class Tolerance final : public Rule {
public:
  Tolerance() : Rule(RuleID::ZK003, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    auto f = c.getInt("tolerate");
    int64_t n = votersOf(c);
    if (f && n < 2 * *f + 1)
      ctx.report(*this, rangeOf(c, "ensemble"),
                 "to tolerate {} failure{} an ensemble needs at least {} voters, so that a "
                 "quorum of {} survives; {} voter{} tolerate{} {}",
                 *f, *f == 1 ? "" : "s", 2 * *f + 1, quorumOf(2 * *f + 1), n,
                 n == 1 ? "" : "s", n == 1 ? "s" : "", toleratedOf(n))
          .note(rangeOf(c, "tolerate"), "required here");
  }
  RuleDoc doc() const override {
    return {"When `tolerate = f` is declared, the ensemble has N >= 2f+1 voters. Quorum Q = "
            "floor(N/2)+1 and tolerated failures F = floor((N-1)/2): 3 -> Q 2, F 1; 5 -> Q 3, "
            "F 2.",
            "A majority must survive for the ensemble to serve; fewer voters cannot meet the "
            "declared requirement.",
            "ZooKeeper Administrator's Guide (majority rule).",
            "coordination zk { ensemble = 3; tolerate = 2 }",
            "coordination zk { ensemble = 5; tolerate = 2 }"};
  }
};

class ZoneSpread final : public Rule {
public:
  ZoneSpread() : Rule(RuleID::ZK004, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    const Value *subnets = c.get("subnets");
    if (!subnets || subnets->items.empty())
      return;
    int64_t n = votersOf(c), q = quorumOf(n);
    // Servers are placed round-robin over the subnets, as the runtime does.
    std::map<std::string, int64_t> perZone;
    for (int64_t i = 0; i < n; ++i) {
      const Value &s = subnets->items[static_cast<size_t>(i) % subnets->items.size()];
      if (s.ref)
        ++perZone[s.ref->getString("zone").str()];
    }
    for (const auto &[zone, count] : perZone)
      if (count >= q) {
        ctx.report(*this, subnets->range,
                   "{} of the {} servers sit in zone '{}', a quorum ({}): losing that zone "
                   "stops the ensemble; give one subnet in each of 3 or more zones",
                   count, n, zone, q);
        return;
      }
  }
  RuleDoc doc() const override {
    return {"No availability zone holds a quorum of the ensemble's voters (servers are spread "
            "round-robin over `subnets`): 3 servers as 1/1/1 over 3 zones, 5 as 2/2/1.",
            "If one zone holds a majority, that zone's outage loses quorum and every client "
            "stalls.",
            "ZooKeeper Administrator's Guide (majority rule, \"same network switch\"); derived.",
            "coordination zk { ensemble = 3; subnets = [a, c] }  # 2 servers in zone a",
            "coordination zk { ensemble = 3; subnets = [a, b, c] }"};
  }
};

class SessionTimeout final : public Rule {
public:
  SessionTimeout() : Rule(RuleID::ZK007, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    auto tick = seconds(c, "tick"), t = seconds(c, "session_timeout");
    if (!tick || *tick <= 0 || !t) // ZK006 for the tick.
      return;
    if (*t < 2 * *tick || *t > 20 * *tick)
      ctx.report(*this, rangeOf(c, "session_timeout"),
                 "session timeout {} s is outside 2..20 ticks ({}..{} s): the server silently "
                 "clamps it to {} s; ask for a timeout in that range or change the tick",
                 *t, 2 * *tick, 20 * *tick, *t < 2 * *tick ? 2 * *tick : 20 * *tick)
          .note(rangeOf(c, "tick"), "tick is {} s", *tick);
  }
  RuleDoc doc() const override {
    return {"The session timeout lies within [2 x tick, 20 x tick] (ZooKeeper's default "
            "minSessionTimeout and maxSessionTimeout). This covers the catalogue's ZK008 too: "
            "the language has one session timeout per ensemble, which is what its clients "
            "request.",
            "ZooKeeper negotiates a client's requested timeout into that range without "
            "telling anyone: asking for 60 s with a 2 s tick gives 40 s.",
            "ZooKeeper Administrator's Guide (advanced configuration); Programmer's Guide, "
            "\"ZooKeeper Sessions\".",
            "coordination zk { tick = 2s; session_timeout = 60s }",
            "coordination zk { tick = 2s; session_timeout = 30s }"};
  }
};

class ServerIds final : public Rule {
public:
  ServerIds() : Rule(RuleID::ZK005, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    int64_t voters = votersOf(c), observers = c.getInt("observers").value_or(0);
    if (voters < 1)
      ctx.report(*this, rangeOf(c, "ensemble"),
                 "an ensemble of {} has no voting server; use at least 1 (3 to tolerate a "
                 "failure)",
                 voters);
    if (observers < 0)
      ctx.report(*this, rangeOf(c, "observers"), "{} observers; use 0 or more", observers);
    if (voters + observers > 255)
      ctx.report(*this, rangeOf(c, voters > 255 ? "ensemble" : "observers"),
                 "{} servers need ids beyond 255; ZooKeeper's server ids are 1..255, so use "
                 "at most 255 voters and observers in all",
                 voters + observers);
  }
  RuleDoc doc() const override {
    return {"The ensemble's servers (voters and observers) get ids 1..N, which ZooKeeper "
            "bounds to 1..255 (myid and server.x); there is at least one voter and observers "
            "are 0 or more. infrac writes every server's myid and the shared server list, so "
            "ids are unique and consistent by construction.",
            "A server id outside 1..255 keeps the server from starting.",
            "ZooKeeper Administrator's Guide (myid, server.x).",
            "coordination zk { ensemble = 5; observers = 251 }",
            "coordination zk { ensemble = 5; observers = 2 }"};
  }
};

class TickTime final : public Rule {
public:
  TickTime() : Rule(RuleID::ZK006, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    auto tick = seconds(c, "tick");
    if (tick && *tick <= 0)
      ctx.report(*this, rangeOf(c, "tick"),
                 "tick is {} s; ZooKeeper needs a tick above 0 (its sample uses 2s)", *tick);
    else if (tick && *tick * 1000 != std::floor(*tick * 1000))
      ctx.report(*this, rangeOf(c, "tick"), "tick is a whole number of milliseconds");
  }
  RuleDoc doc() const override {
    return {"`tick` (ZooKeeper's tickTime) is above 0, in whole milliseconds. The sample "
            "configuration uses 2000 ms (infrac's default), the code default is 3000 ms.",
            "Every timeout of the ensemble is a multiple of the tick; 0 stops the server "
            "(\"tickTime is not set\").",
            "ZooKeeper QuorumPeerConfig, zoo_sample.cfg.",
            "coordination zk { tick = 0s }", "coordination zk { tick = 2s }"};
  }
};

class SyncLimits final : public Rule {
public:
  SyncLimits() : Rule(RuleID::ZK009, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    auto init = c.getInt("init_limit"), sync = c.getInt("sync_limit");
    for (const char *attr : {"init_limit", "sync_limit"})
      if (auto v = c.getInt(attr); v && *v < 1)
        ctx.report(*this, rangeOf(c, attr),
                   "'{}' is {} ticks; it is at least 1 (ZooKeeper's sample uses {})", attr, *v,
                   attr == StringRef("init_limit") ? 10 : 5);
    if (init && sync && *init >= 1 && *sync >= 1 && *init < *sync)
      ctx.reportAs(*this, Severity::Warning, rangeOf(c, "init_limit"),
                   "init_limit ({} ticks) is below sync_limit ({} ticks): a follower gets less "
                   "time to join than to keep up; raise init_limit",
                   *init, *sync)
          .note(rangeOf(c, "sync_limit"), "sync_limit here");
  }
  RuleDoc doc() const override {
    return {"`init_limit` and `sync_limit` (in ticks) are at least 1, and init_limit is not "
            "below sync_limit (warning); wall time is limit x tick. Samples: 10 and 5.",
            "A follower that cannot sync within initLimit never joins; one that lags beyond "
            "syncLimit is dropped.",
            "ZooKeeper Administrator's Guide; zoo_sample.cfg.",
            "coordination zk { init_limit = 2; sync_limit = 5 }",
            "coordination zk { init_limit = 10; sync_limit = 5 }"};
  }
};

std::string ipText(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/// ZK011: `infrac build` gives server n the address base + 10 + n / k in
/// subnet n % k of the k subnets (CfnServices.cpp); AWS reserves a subnet's
/// first four addresses and its last.
class ServerAddresses final : public Rule {
public:
  ServerAddresses() : Rule(RuleID::ZK011, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    const Value *subnets = c.get("subnets");
    if (!subnets || subnets->items.empty())
      return;
    int64_t servers = votersOf(c) + c.getInt("observers").value_or(0);
    size_t k = subnets->items.size();
    for (size_t i = 0; i < k && static_cast<int64_t>(i) < servers; ++i) {
      const Value &sv = subnets->items[i];
      if (!sv.ref)
        continue;
      auto cidr = parseCidr4(sv.ref->getString("cidr"));
      if (!cidr)
        continue;
      int64_t here = (servers - static_cast<int64_t>(i) + static_cast<int64_t>(k) - 1) /
                     static_cast<int64_t>(k);
      uint64_t lastUsable = cidr->size() >= 2 ? cidr->last() - 1 : cidr->first();
      uint64_t lastServer = uint64_t(cidr->first()) + 10 + uint64_t(here) - 1;
      if (lastServer > lastUsable)
        ctx.report(*this, sv.range,
                   "coordination '{}' gives {} server{} fixed addresses from {} in subnet "
                   "'{}', but its last usable address is {} ({}); use a larger subnet or "
                   "more subnets",
                   c.name, here, here == 1 ? "" : "s", ipText(cidr->first() + 10),
                   sv.ref->name, ipText(static_cast<uint32_t>(lastUsable)),
                   sv.ref->getString("cidr"));
    }
  }
  RuleDoc doc() const override {
    return {"The ensemble's servers get fixed private addresses: server n goes to subnet "
            "n mod k of its k subnets, at the subnet's 11th address plus n div k. Each "
            "address is a usable one: AWS reserves the first four addresses of a subnet and "
            "its last, so a /28 holds servers at .10 to .14 only.",
            "CloudFormation fails to create an instance whose PrivateIpAddress is outside the "
            "subnet's usable range, and the ensemble never forms.",
            "Amazon VPC User Guide, \"Subnet CIDR blocks\" (the five reserved addresses) "
            "(https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).",
            "coordination zk { ensemble = 7; subnets = [tiny_28] }",
            "coordination zk { ensemble = 7; subnets = [a, b, c] }"};
  }
};

class EnsemblePorts final : public Rule {
public:
  EnsemblePorts() : Rule(RuleID::ZK010, {"coordination"}) {}
  void check(const Resource &c, RuleContext &ctx) const override {
    static const char *const ports[] = {"client_port", "quorum_port", "election_port"};
    for (size_t i = 0; i < 3; ++i) {
      auto p = c.getInt(ports[i]);
      if (p && (*p < 1 || *p > 65535)) {
        ctx.report(*this, rangeOf(c, ports[i]), "{} {} is outside 1..65535", ports[i], *p);
        continue;
      }
      for (size_t j = 0; j < i; ++j)
        if (p && c.getInt(ports[j]) == p)
          ctx.report(*this, rangeOf(c, ports[i]),
                     "{} {} is also the {}; each port needs its own number", ports[i], *p,
                     ports[j])
              .note(rangeOf(c, ports[j]), "{} here", ports[j]);
    }
    if (votersOf(c) < 1 && c.getInt("observers").value_or(0) > 0)
      ctx.report(*this, rangeOf(c, "observers"), "observers need voting servers to follow");
    // The servers' own groups must let them talk to each other.
    const Value *sgs = c.get("security_groups");
    if (!sgs || sgs->items.empty())
      return;
    for (const char *attr : {"quorum_port", "election_port"}) {
      auto port = c.getInt(attr);
      if (!port)
        continue;
      bool admitted = false;
      for (const Value &g : sgs->items)
        if (g.ref)
          for (const Resource *in : g.ref->childrenOf("ingress"))
            admitted |= admitsPort(*in, *port) && fromMember(*in, *sgs);
      if (!admitted)
        ctx.reportAs(*this, Severity::Warning, sgs->range,
                     "no security group of '{}' admits its servers on the {} ({}); the "
                     "ensemble cannot form: add 'ingress {{ protocol = tcp; port = {}; from = "
                     "{} }}'",
                     c.name, attr == StringRef("quorum_port") ? "quorum port" : "election port",
                     *port, *port, sgs->items.front().ref ? sgs->items.front().ref->name : "");
    }
  }
  RuleDoc doc() const override {
    return {"The client, quorum and election ports (2181, 2888, 3888) are distinct and in "
            "1..65535; observers need voters; when the servers have security groups, one of "
            "them admits the servers themselves (a rule from one of their groups) on the "
            "quorum and election ports (warning).",
            "Followers reach the leader on the quorum port and vote on the election port; "
            "blocked ports leave the ensemble without a leader.",
            "ZooKeeper Administrator's Guide (server.x=host:quorumPort:electionPort).",
            "coordination zk { quorum_port = 2181 }", "coordination zk { quorum_port = 2888 }"};
  }

private:
  static bool admitsPort(const Resource &rule, int64_t port) {
    if (rule.getEnum("protocol") == "all")
      return true;
    auto from = rule.getInt("port");
    if (!from)
      return false;
    auto to = rule.getInt("to_port").value_or(*from);
    return rule.getEnum("protocol") == "tcp" && *from <= port && port <= to;
  }
  static bool fromMember(const Resource &rule, const Value &groups) {
    const Value *from = rule.get("from");
    if (!from)
      return false;
    auto matches = [&](const Value &v) {
      if (v.kind == Value::Kind::String)
        return true; // A CIDR: assume it covers the servers' subnets.
      for (const Value &g : groups.items)
        if (v.ref && v.ref == g.ref)
          return true;
      return false;
    };
    if (from->kind == Value::Kind::List)
      return std::any_of(from->items.begin(), from->items.end(), matches);
    return matches(*from);
  }
};

} // namespace

void rules::addCoordinationRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<MinimumSize>());
  out.push_back(std::make_unique<OddSize>());
  out.push_back(std::make_unique<Tolerance>());
  out.push_back(std::make_unique<ZoneSpread>());
  out.push_back(std::make_unique<ServerIds>());
  out.push_back(std::make_unique<TickTime>());
  out.push_back(std::make_unique<SessionTimeout>());
  out.push_back(std::make_unique<SyncLimits>());
  out.push_back(std::make_unique<EnsemblePorts>());
  out.push_back(std::make_unique<ServerAddresses>());
}

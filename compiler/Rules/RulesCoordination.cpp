//===- RulesCoordination.cpp - ZooKeeper-style ensemble rules -------------===//

#include "Rules/Rule.h"

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
    if (n < 3)
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
                 "to tolerate {} failures an ensemble needs at least {} voters (quorum {} of "
                 "N); {} tolerates {}",
                 *f, 2 * *f + 1, quorumOf(2 * *f + 1), n, toleratedOf(n))
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
                   "stops the ensemble",
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
    if (tick && *tick <= 0) {
      ctx.report(*this, rangeOf(c, "tick"), "tick must be above 0");
      return;
    }
    if (!tick || !t)
      return;
    if (*t < 2 * *tick || *t > 20 * *tick)
      ctx.report(*this, rangeOf(c, "session_timeout"),
                 "session timeout {} s is outside 2..20 ticks ({}..{} s); the server would "
                 "silently clamp it",
                 *t, 2 * *tick, 20 * *tick)
          .note(rangeOf(c, "tick"), "tick is {} s", *tick);
  }
  RuleDoc doc() const override {
    return {"The session timeout lies within [2 x tick, 20 x tick] (ZooKeeper's default "
            "minSessionTimeout and maxSessionTimeout), and tick is above 0.",
            "ZooKeeper negotiates a client's requested timeout into that range without "
            "telling anyone: asking for 60 s with a 2 s tick gives 40 s.",
            "ZooKeeper Administrator's Guide (advanced configuration); Programmer's Guide, "
            "\"ZooKeeper Sessions\".",
            "coordination zk { tick = 2s; session_timeout = 60s }",
            "coordination zk { tick = 2s; session_timeout = 30s }"};
  }
};

} // namespace

void rules::addCoordinationRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<MinimumSize>());
  out.push_back(std::make_unique<OddSize>());
  out.push_back(std::make_unique<Tolerance>());
  out.push_back(std::make_unique<ZoneSpread>());
  out.push_back(std::make_unique<SessionTimeout>());
}

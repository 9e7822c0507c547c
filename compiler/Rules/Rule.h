//===- Rule.h - The validation stage: rules over the model ------*- C++ -*-===//
//
// A rule is a small stateless class: the kinds of resource it visits, a
// check, and its documentation for `infrac explain`. Its id, default severity,
// category and summary come from the one table, RuleKinds.def. The engine
// walks the model once and hands each resource to the rules of its kind;
// rules that need the whole model (cross-resource rules) run after.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RULES_RULE_H
#define INFRAC_RULES_RULE_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Sema/Model.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace infrac::rules {

enum class RuleID : uint16_t {
#define RULE(ID, SEV, CAT, SUMMARY) ID,
#include "Rules/RuleKinds.def"
  NumRules
};

/// A row of the rule table.
struct RuleInfo {
  llvm::StringRef id;
  Severity defaultSeverity;
  llvm::StringRef category;
  llvm::StringRef summary;
};
const RuleInfo &getRuleInfo(RuleID id);
std::optional<RuleID> lookupRule(llvm::StringRef id);
llvm::ArrayRef<RuleInfo> allRuleInfos();

/// What `infrac explain` prints besides the table row.
struct RuleDoc {
  const char *checks; ///< What is checked, exactly (bounds included).
  const char *why;    ///< Why it matters.
  const char *source; ///< AWS's own documentation (and peer tool ids).
  const char *bad;    ///< A snippet the rule rejects.
  const char *good;   ///< The same snippet fixed.
};

class RuleContext;

class Rule {
public:
  Rule(RuleID id, std::initializer_list<const char *> kinds) : id(id) {
    for (const char *k : kinds)
      this->kinds.push_back(k);
  }
  virtual ~Rule() = default;

  RuleID getID() const { return id; }
  const RuleInfo &info() const { return getRuleInfo(id); }
  /// The kinds (sema kind names) whose resources check() is given.
  llvm::ArrayRef<llvm::StringRef> getKinds() const { return kinds; }

  virtual void check(const sema::Resource &r, RuleContext &ctx) const {}
  /// Whole-model checks, after every resource was visited.
  virtual void checkModel(RuleContext &ctx) const {}
  virtual RuleDoc doc() const = 0;

private:
  RuleID id;
  llvm::SmallVector<llvm::StringRef, 2> kinds;
};

/// Every rule, in table order.
llvm::ArrayRef<std::unique_ptr<Rule>> allRules();
const Rule *findRule(RuleID id);

/// The user's control over rules: --disable/--warn/--error, --Werror, the
/// project configuration.
struct RuleOptions {
  RuleOptions() {}
  llvm::DenseMap<unsigned, Severity> severities; ///< By RuleID.
};

/// Where a forward sends traffic: the target group and the value naming it.
struct ForwardTarget {
  const sema::Resource *targetGroup;
  const sema::Value *at;
  /// The listener or listener rule whose action this is.
  const sema::Resource *from;
};

/// The index the rules share: who forwards to what, who attaches what.
class Topology {
public:
  explicit Topology(const sema::Model &model);

  /// Forwards of a listener's default action and its rules' actions.
  llvm::ArrayRef<ForwardTarget> forwardsOf(const sema::Resource *listener) const;
  /// Every forward that names the target group, in declaration order.
  llvm::ArrayRef<ForwardTarget> forwardsTo(const sema::Resource *tg) const;
  /// The load balancers that forward to the target group (declaration order).
  std::vector<const sema::Resource *> loadBalancersOf(const sema::Resource *tg) const;
  /// The Auto Scaling groups that list the target group.
  llvm::ArrayRef<const sema::Resource *> autoScalingGroupsOf(const sema::Resource *tg) const;
  /// The target groups an ASG registers its instances with.
  std::vector<const sema::Resource *> targetGroupsOf(const sema::Resource *asg) const;
  /// The load balancer type behind a target group, or "" when unattached.
  llvm::StringRef loadBalancerTypeOf(const sema::Resource *tg) const;

  const sema::Model &model;

private:
  llvm::DenseMap<const sema::Resource *, std::vector<ForwardTarget>> byListener, byTargetGroup;
  llvm::DenseMap<const sema::Resource *, std::vector<const sema::Resource *>> asgsByTg;
};

/// Appends the forwards of an action value (forward(a), forward(a: 1, b: 2)).
void collectForwards(const sema::Value &action, const sema::Resource *from,
                     std::vector<ForwardTarget> &out);

/// `# infrac:ignore ID[, ID] -- reason` comments of the loaded files.
struct Suppression {
  llvm::SmallVector<std::string, 2> ids;
  std::string reason;
  llvm::SMRange comment;
  llvm::SMRange scope; ///< What it covers: its line, or a whole block.
  bool used = false;
};

class RuleContext {
public:
  RuleContext(const sema::Model &model, const Topology &topology, DiagnosticEngine &diags,
              const RuleOptions &opts, std::vector<Suppression> &suppressions)
      : model(model), topology(topology), diags(diags), opts(opts),
        suppressions(suppressions) {}

  /// Reports a finding of `rule` at `range`; the message is a fmt string.
  template <typename... Args>
  DiagnosticBuilder report(const Rule &rule, llvm::SMRange range,
                           fmt::format_string<Args...> f, Args &&...args) {
    return reportMessage(rule, range, fmt::format(f, std::forward<Args>(args)...));
  }
  /// Reports with a severity other than the rule's (a nuance such as ELB004's
  /// opt-in lowering it to a note); a user override still wins.
  template <typename... Args>
  DiagnosticBuilder reportAs(const Rule &rule, Severity severity, llvm::SMRange range,
                             fmt::format_string<Args...> f, Args &&...args) {
    return reportMessage(rule, range, fmt::format(f, std::forward<Args>(args)...), severity);
  }
  DiagnosticBuilder reportMessage(const Rule &rule, llvm::SMRange range, std::string message,
                                  std::optional<Severity> severity = std::nullopt);

  const sema::Model &model;
  const Topology &topology;

private:
  DiagnosticEngine &diags;
  const RuleOptions &opts;
  std::vector<Suppression> &suppressions;
};

/// Runs every enabled rule over the model; reports unused and malformed
/// suppressions of the program's files.
void runRules(const sema::Model &model, const ast::Program &program, DiagnosticEngine &diags,
              const RuleOptions &opts = RuleOptions());

/// The range of an attribute's value when set, else of the resource's name:
/// where a finding about that attribute points.
llvm::SMRange rangeOf(const sema::Resource &r, llvm::StringRef attr);
/// The range of `key = value` when written, else the resource's name.
llvm::SMRange attrRange(const sema::Resource &r, llvm::StringRef attr);
/// A range of the catalogue: an attribute, its bounds, and how to name it.
struct Bound {
  const char *attr;
  double lo, hi;
  const char *unit; ///< "s" for durations (checked in seconds), "" for integers.
  const char *what; ///< "health-check interval".
};
/// Reports each attribute of `r` outside its bound: "{what} is {v}; {who}
/// allows {lo}..{hi}", at the attribute's value.
void checkBounds(const Rule &rule, const sema::Resource &r, RuleContext &ctx,
                 llvm::ArrayRef<Bound> bounds, llvm::StringRef who = "AWS");

/// Whether the attribute was written in the source (not defaulted or derived).
bool written(const sema::Resource &r, llvm::StringRef attr);
/// Seconds of a duration attribute (ms in the model), if set.
std::optional<double> seconds(const sema::Resource &r, llvm::StringRef attr);
/// Describes a resource for messages: "target group 'web'", "listener 'alb.http'".
std::string describe(const sema::Resource &r);
/// The region of an availability zone ("ap-northeast-2a" -> "ap-northeast-2",
/// a Local Zone "us-west-2-lax-1a" -> "us-west-2"); empty when the name is not
/// of that form.
llvm::StringRef regionOfZone(llvm::StringRef zone);
/// The region of a resource's subnets (the first zone that names one), or
/// empty.
llvm::StringRef regionOfSubnets(const sema::Resource &r);
/// The session store a launch template's app keeps its sessions in, if any.
const sema::Resource *sessionStoreOf(const sema::Resource &launchTemplate);

// Each family adds its rules (Rules*.cpp).
void addNetworkRules(std::vector<std::unique_ptr<Rule>> &out);
void addLoadBalancingRules(std::vector<std::unique_ptr<Rule>> &out);
void addTargetGroupRules(std::vector<std::unique_ptr<Rule>> &out);
void addComputeRules(std::vector<std::unique_ptr<Rule>> &out);
void addEmrRules(std::vector<std::unique_ptr<Rule>> &out);
void addCoordinationRules(std::vector<std::unique_ptr<Rule>> &out);
void addSecurityRules(std::vector<std::unique_ptr<Rule>> &out);
void addClassicRules(std::vector<std::unique_ptr<Rule>> &out);
void addBuildRules(std::vector<std::unique_ptr<Rule>> &out);

// Documentation (RuleDoc.cpp).
void printRuleTable(llvm::raw_ostream &os);
void printExplanation(const Rule &rule, llvm::raw_ostream &os);
void printRulesMarkdown(llvm::raw_ostream &os);
/// SARIF 2.1.0 log of the diagnostics, with the rule catalogue as metadata.
void renderSarif(const DiagnosticEngine &diags, llvm::raw_ostream &os,
                 llvm::StringRef toolVersion);

} // namespace infrac::rules

#endif

//===- Engine.cpp - Runs the rules; the table, topology, suppressions ----===//

#include "Rules/Rule.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Regex.h"

#include <algorithm>

using namespace infrac;
using namespace infrac::rules;
using namespace infrac::sema;
using llvm::SMRange;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

static const RuleInfo ruleTable[] = {
#define RULE(ID, SEV, CAT, SUMMARY) {#ID, Severity::SEV, CAT, SUMMARY},
#include "Rules/RuleKinds.def"
};

const RuleInfo &rules::getRuleInfo(RuleID id) {
  return ruleTable[static_cast<size_t>(id)];
}

llvm::ArrayRef<RuleInfo> rules::allRuleInfos() { return ruleTable; }

std::optional<RuleID> rules::lookupRule(StringRef id) {
  for (size_t i = 0; i < std::size(ruleTable); ++i)
    if (ruleTable[i].id.equals_insensitive(id))
      return static_cast<RuleID>(i);
  return std::nullopt;
}

llvm::ArrayRef<std::unique_ptr<Rule>> rules::allRules() {
  static const std::vector<std::unique_ptr<Rule>> rules = [] {
    std::vector<std::unique_ptr<Rule>> out;
    addNetworkRules(out);
    addLoadBalancingRules(out);
    addTargetGroupRules(out);
    addComputeRules(out);
    addEmrRules(out);
    addCoordinationRules(out);
    addSecurityRules(out);
    addClassicRules(out);
    addBuildRules(out);
    std::stable_sort(out.begin(), out.end(), [](const auto &a, const auto &b) {
      return a->getID() < b->getID();
    });
    return out;
  }();
  return rules;
}

const Rule *rules::findRule(RuleID id) {
  for (const auto &r : allRules())
    if (r->getID() == id)
      return r.get();
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Helpers for rules
//===----------------------------------------------------------------------===//

SMRange rules::rangeOf(const Resource &r, StringRef attr) {
  const Attr *a = r.attr(attr);
  if (a && !a->isDefault && a->value.range.Start.isValid())
    return a->value.range;
  return r.nameRange;
}

SMRange rules::attrRange(const Resource &r, StringRef attr) {
  const Attr *a = r.attr(attr);
  if (a && !a->isDefault && a->keyRange.Start.isValid())
    return a->range();
  return r.nameRange;
}

void rules::checkBounds(const Rule &rule, const Resource &r, RuleContext &ctx,
                        llvm::ArrayRef<Bound> bounds, StringRef who) {
  for (const Bound &b : bounds) {
    std::optional<double> v;
    if (*b.unit)
      v = seconds(r, b.attr);
    else if (auto i = r.getInt(b.attr))
      v = static_cast<double>(*i);
    if (v && (*v < b.lo || *v > b.hi))
      ctx.report(rule, rangeOf(r, b.attr), "{} is {}{}; {} allows {}..{}{}", b.what, *v,
                 *b.unit ? " s" : "", who, b.lo, b.hi, *b.unit ? " s" : "");
  }
}

bool rules::written(const Resource &r, StringRef attr) {
  const Attr *a = r.attr(attr);
  return a && !a->isDefault && a->value.range.Start.isValid();
}

std::optional<double> rules::seconds(const Resource &r, StringRef attr) {
  const Value *v = r.get(attr);
  if (!v || v->kind != Value::Kind::Duration)
    return std::nullopt;
  return static_cast<double>(v->i) / 1000.0;
}

std::string rules::describe(const Resource &r) {
  std::string kind = r.kind().str();
  std::replace(kind.begin(), kind.end(), '_', ' ');
  if (r.name.empty() && r.parent)
    return kind + " of " + describe(*r.parent);
  return kind + " '" + r.path.str() + "'";
}

StringRef rules::regionOfZone(StringRef zone) {
  // AREA-DIRECTION-N (us-east-1, ap-northeast-2, us-gov-west-1) and the
  // zone's letter or Local Zone suffix after it.
  static const llvm::Regex region("^([a-z]{2}(-[a-z]+)+-[0-9]+)([a-z]|-[a-z]+-[0-9]+[a-z])$");
  llvm::SmallVector<StringRef, 3> m;
  if (!region.match(zone, &m))
    return {};
  return m[1];
}

StringRef rules::regionOfSubnets(const Resource &r) {
  if (const Value *subnets = r.get("subnets"))
    for (const Value &s : subnets->items)
      if (s.ref)
        if (StringRef region = regionOfZone(s.ref->getString("zone")); !region.empty())
          return region;
  return {};
}

const Resource *rules::sessionStoreOf(const Resource &lt) {
  const Value *app = lt.get("app");
  if (!app)
    return nullptr;
  if (app->ref) // An app object: its resource holds the attributes.
    return app->ref->getRef("session_store");
  const NamedValue *f = app->field("session_store");
  return f ? f->value.ref : nullptr;
}

//===----------------------------------------------------------------------===//
// Topology
//===----------------------------------------------------------------------===//

void rules::collectForwards(const Value &action, const Resource *from,
                            std::vector<ForwardTarget> &out) {
  if (action.kind != Value::Kind::Call || action.str != "forward")
    return;
  for (const Value &arg : action.items) {
    const Value *target = &arg;
    if (arg.kind == Value::Kind::Weighted && !arg.items.empty())
      target = &arg.items[0];
    if (target->kind == Value::Kind::Ref && target->ref && target->member().empty() &&
        target->ref->kind() == "target_group")
      out.push_back({target->ref, target, from});
  }
}

Topology::Topology(const Model &model) : model(model) {
  model.forEach([&](const Resource &r) {
    if (r.kind() == "listener") {
      std::vector<ForwardTarget> &fw = byListener[&r];
      if (const Value *d = r.get("default"))
        collectForwards(*d, &r, fw);
      for (const Resource *rule : r.childrenOf("rule"))
        if (const Value *then = rule->get("then"))
          collectForwards(*then, rule, fw);
      for (const ForwardTarget &t : fw)
        byTargetGroup[t.targetGroup].push_back(t);
    } else if (r.kind() == "auto_scaling_group") {
      if (const Value *tgs = r.get("target_groups"))
        for (const Value &v : tgs->items)
          if (v.kind == Value::Kind::Ref && v.ref)
            asgsByTg[v.ref].push_back(&r);
    }
  });
}

llvm::ArrayRef<ForwardTarget> Topology::forwardsOf(const Resource *listener) const {
  auto it = byListener.find(listener);
  if (it == byListener.end())
    return {};
  return it->second;
}

llvm::ArrayRef<ForwardTarget> Topology::forwardsTo(const Resource *tg) const {
  auto it = byTargetGroup.find(tg);
  if (it == byTargetGroup.end())
    return {};
  return it->second;
}

std::vector<const Resource *> Topology::loadBalancersOf(const Resource *tg) const {
  std::vector<const Resource *> out;
  for (const ForwardTarget &f : forwardsTo(tg)) {
    const Resource *lb = f.from->topLevel();
    if (std::find(out.begin(), out.end(), lb) == out.end())
      out.push_back(lb);
  }
  return out;
}

llvm::ArrayRef<const Resource *> Topology::autoScalingGroupsOf(const Resource *tg) const {
  auto it = asgsByTg.find(tg);
  if (it == asgsByTg.end())
    return {};
  return it->second;
}

std::vector<const Resource *> Topology::targetGroupsOf(const Resource *asg) const {
  std::vector<const Resource *> out;
  if (const Value *tgs = asg->get("target_groups"))
    for (const Value &v : tgs->items)
      if (v.kind == Value::Kind::Ref && v.ref)
        out.push_back(v.ref);
  return out;
}

StringRef Topology::loadBalancerTypeOf(const Resource *tg) const {
  for (const ForwardTarget &f : forwardsTo(tg))
    return f.from->topLevel()->getEnum("type");
  return "";
}

//===----------------------------------------------------------------------===//
// Reporting and suppressions
//===----------------------------------------------------------------------===//

DiagnosticBuilder RuleContext::reportMessage(const Rule &rule, SMRange range,
                                             std::string message,
                                             std::optional<Severity> as) {
  const RuleInfo &info = rule.info();
  Severity severity = as ? *as : info.defaultSeverity;
  auto it = opts.severities.find(static_cast<unsigned>(rule.getID()));
  if (it != opts.severities.end())
    severity = it->second;
  const char *at = range.Start.getPointer();
  for (Suppression &s : suppressions) {
    if (!at || at < s.scope.Start.getPointer() || at >= s.scope.End.getPointer())
      continue;
    for (const std::string &id : s.ids)
      if (StringRef(id).equals_insensitive(info.id)) {
        s.used = true;
        return diags.reportCode(info.id, info.category, Severity::Ignored, range, "");
      }
  }
  return diags.reportCode(info.id, info.category, severity, range, std::move(message));
}

namespace {

/// The range from `p` to the end of its line.
SMRange lineOf(const char *lineStart, const char *bufEnd) {
  const char *e = lineStart;
  while (e < bufEnd && *e != '\n')
    ++e;
  return {llvm::SMLoc::getFromPointer(lineStart), llvm::SMLoc::getFromPointer(e)};
}

/// Parses the suppressions of one file. A comment after code covers its line;
/// a comment alone on its line covers the next line. Either way, a block that
/// starts on the covered line is covered whole.
void collectSuppressions(const ast::File &file, const llvm::SourceMgr &sm,
                         const std::vector<SMRange> &blockRanges, DiagnosticEngine &diags,
                         std::vector<Suppression> &out) {
  const llvm::MemoryBuffer *buf = sm.getMemoryBuffer(file.bufferId);
  const char *begin = buf->getBufferStart(), *end = buf->getBufferEnd();
  for (const ast::Comment &c : file.comments) {
    StringRef text = c.text.trim();
    if (!text.consume_front("infrac:ignore"))
      continue;
    Suppression s;
    s.comment = c.range;
    auto [idsText, reason] = text.split("--");
    s.reason = reason.trim().str();
    llvm::SmallVector<StringRef, 4> ids;
    idsText.split(ids, ',', -1, false);
    for (StringRef id : ids) {
      llvm::SmallVector<StringRef, 2> parts;
      id.split(parts, ' ', -1, false);
      for (StringRef part : parts)
        if (!part.trim().empty())
          s.ids.push_back(part.trim().str());
    }
    if (s.ids.empty()) {
      diags.report(DiagID::SUP004, c.range);
      continue;
    }
    for (const std::string &id : s.ids)
      if (!lookupRule(id)) {
        std::vector<StringRef> names;
        for (const RuleInfo &info : allRuleInfos())
          names.push_back(info.id);
        diags.report(DiagID::SUP003, c.range, id, didYouMean(id, names));
      }
    if (s.reason.empty())
      diags.report(DiagID::SUP002, c.range);

    // Its line, or the next one when the comment stands alone.
    const char *p = c.range.Start.getPointer();
    const char *lineStart = p;
    while (lineStart > begin && lineStart[-1] != '\n')
      --lineStart;
    bool alone = StringRef(lineStart, p - lineStart).trim().empty();
    if (alone) {
      const char *e = p;
      while (e < end && *e != '\n')
        ++e;
      lineStart = e < end ? e + 1 : e;
    }
    s.scope = lineOf(lineStart, end);
    for (const SMRange &block : blockRanges) {
      const char *b = block.Start.getPointer();
      if (b >= s.scope.Start.getPointer() && b <= s.scope.End.getPointer() &&
          block.End.getPointer() > s.scope.End.getPointer())
        s.scope.End = block.End;
    }
    out.push_back(std::move(s));
  }
}

} // namespace

void rules::runRules(const Model &model, const ast::Program &program, DiagnosticEngine &diags,
                     const RuleOptions &opts) {
  std::vector<SMRange> blockRanges;
  model.forEach([&](const Resource &r) {
    if (!r.implicit)
      blockRanges.push_back(r.range);
  });
  std::vector<Suppression> suppressions;
  for (const ast::File *f : program.files)
    collectSuppressions(*f, diags.getSourceMgr(), blockRanges, diags, suppressions);

  Topology topology(model);
  RuleContext ctx(model, topology, diags, opts, suppressions);
  // By the kind's spec: one pointer lookup per resource, not a string hash.
  const Schema &schema = Schema::get();
  llvm::DenseMap<const BlockSpec *, std::vector<const Rule *>> byKind;
  std::vector<const Rule *> enabled;
  for (const auto &rule : allRules()) {
    // Off when the user disabled it, or off by default (informational rules)
    // and not enabled.
    auto it = opts.severities.find(static_cast<unsigned>(rule->getID()));
    Severity effective = it != opts.severities.end() ? it->second : rule->info().defaultSeverity;
    if (effective == Severity::Ignored)
      continue;
    enabled.push_back(rule.get());
    for (StringRef kind : rule->getKinds())
      if (const BlockSpec *b = schema.findBlock(kind))
        byKind[b].push_back(rule.get());
  }
  model.forEach([&](const Resource &r) {
    auto it = byKind.find(r.spec);
    if (it == byKind.end())
      return;
    for (const Rule *rule : it->second)
      rule->check(r, ctx);
  });
  for (const Rule *rule : enabled)
    rule->checkModel(ctx);

  for (const Suppression &s : suppressions)
    if (!s.used && std::all_of(s.ids.begin(), s.ids.end(),
                               [](const std::string &id) { return lookupRule(id).has_value(); }))
      diags.report(DiagID::SUP001, s.comment, llvm::join(s.ids, ", "));
}

//===- RulesCompute.cpp - Launch template, Auto Scaling, sessions ---------===//

#include "Rules/Rule.h"
#include "Basic/Units.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Regex.h"

#include <algorithm>
#include <cmath>

using namespace infrac;
using namespace infrac::rules;
using namespace infrac::sema;
using llvm::StringRef;

namespace {

const Resource &asgOf(const Resource &child) { return *child.parent; }

class HopLimit final : public Rule {
public:
  HopLimit() : Rule(RuleID::LT004, {"launch_template"}) {}
  void check(const Resource &lt, RuleContext &ctx) const override {
    checkBounds(*this, lt, ctx, {{"metadata_hop_limit", 1, 64, "", "metadata hop limit"}});
  }
  RuleDoc doc() const override {
    return {"The instance metadata hop limit (HttpPutResponseHopLimit) is 1..64.",
            "RunInstances rejects other values.", "CloudFormation schema AWS::EC2::LaunchTemplate.",
            "launch_template web { metadata_hop_limit = 0 }",
            "launch_template web { metadata_hop_limit = 1 }"};
  }
};

class Capacity final : public Rule {
public:
  Capacity() : Rule(RuleID::ASG001, {"auto_scaling_group"}) {}
  void check(const Resource &asg, RuleContext &ctx) const override {
    auto min = asg.getInt("min"), max = asg.getInt("max"), desired = asg.getInt("desired");
    // An unset desired is min: one report, at min.
    bool negative = false;
    for (StringRef attr : {"min", "max", "desired"})
      if (auto v = asg.getInt(attr); v && *v < 0 && (attr != "desired" || written(asg, attr))) {
        ctx.report(*this, rangeOf(asg, attr), "'{}' is {}; sizes are not negative", attr, *v);
        negative = true;
      }
    if (negative)
      return;
    if (min && max && *min > *max) {
      ctx.report(*this, rangeOf(asg, "max"), "max ({}) is less than min ({})", *max, *min)
          .note(rangeOf(asg, "min"), "min is set here");
      return;
    }
    if (desired && min && max && (*desired < *min || *desired > *max))
      ctx.report(*this, rangeOf(asg, "desired"),
                 "desired capacity {} must be between min {} and max {}", *desired, *min, *max)
          .note(rangeOf(asg, *desired < *min ? "min" : "max"), "{} is set here",
                *desired < *min ? "min" : "max");
  }
  RuleDoc doc() const override {
    return {"An Auto Scaling group's sizes are non-negative and min <= desired <= max "
            "(desired defaults to min).",
            "AWS rejects it: \"Desired capacity:X must be between the specified min size:Y "
            "and max size:Z\".",
            "cfn-lint E3706; Auto Scaling API error text.",
            "auto_scaling_group web { min = 2; max = 10; desired = 12 }",
            "auto_scaling_group web { min = 2; max = 10; desired = 4 }"};
  }
};

class TrackingNeedsRoom final : public Rule {
public:
  TrackingNeedsRoom() : Rule(RuleID::ASG002, {"scaling_policy"}) {}
  void check(const Resource &p, RuleContext &ctx) const override {
    if (p.getEnum("type") != "target_tracking")
      return;
    const Resource &asg = asgOf(p);
    auto min = asg.getInt("min"), max = asg.getInt("max");
    if (min && max && *max <= *min)
      ctx.report(*this, rangeOf(p, "type"),
                 "target tracking cannot scale group '{}': max ({}) is not above min ({})",
                 asg.name, *max, *min)
          .note(rangeOf(asg, "max"), "max is set here");
  }
  RuleDoc doc() const override {
    return {"A target-tracking policy belongs to a group whose max is above its min.",
            "With max = min the policy can never act (cfn-lint E3712).", "cfn-lint E3712.",
            "auto_scaling_group web { min = 2; max = 2; policy p { type = target_tracking ... } }",
            "auto_scaling_group web { min = 2; max = 6; policy p { type = target_tracking ... } }"};
  }
};

class GracePeriod final : public Rule {
public:
  GracePeriod() : Rule(RuleID::ASG004, {"auto_scaling_group"}) {}
  void check(const Resource &asg, RuleContext &ctx) const override {
    if (asg.getEnum("health_check_type") != "elb")
      return;
    auto grace = seconds(asg, "health_check_grace");
    if (!grace || *grace > 0)
      return;
    for (const Resource *h : asg.childrenOf("lifecycle_hook"))
      if (h->getEnum("transition") == "launching")
        return;
    ctx.report(*this, attrRange(asg, "health_check_grace"),
               "ELB health checks with no grace period: instances are replaced before they "
               "finish booting; set e.g. 'health_check_grace = 60s' or add a launching "
               "lifecycle hook");
  }
  RuleDoc doc() const override {
    return {"A group using ELB health checks has a health-check grace period above 0 or a "
            "launching lifecycle hook. The API default is 0 s (the console's is 300 s).",
            "With no grace, a booting instance fails its first ELB checks and is replaced, "
            "over and over.",
            "EC2 Auto Scaling guide, \"Health check grace period\".",
            "auto_scaling_group web { health_check_type = elb }",
            "auto_scaling_group web { health_check_type = elb; health_check_grace = 60s }"};
  }
};

class InstanceLifetime final : public Rule {
public:
  InstanceLifetime() : Rule(RuleID::ASG006, {"auto_scaling_group"}) {}
  void check(const Resource &asg, RuleContext &ctx) const override {
    if (auto l = seconds(asg, "max_instance_lifetime"); l && *l != 0 && *l < 86400)
      ctx.report(*this, rangeOf(asg, "max_instance_lifetime"),
                 "maximum instance lifetime is {} s; it is 0 (none) or at least 1 day", *l);
    else if (l && *l > 31536000)
      ctx.report(*this, rangeOf(asg, "max_instance_lifetime"),
                 "maximum instance lifetime is {} s; it is at most 365 days (31,536,000 s)", *l);
  }
  RuleDoc doc() const override {
    return {"The maximum instance lifetime is 0 (none) or 86,400 s (1 day) to 31,536,000 s "
            "(365 days).",
            "The API rejects shorter and longer lifetimes.",
            "EC2 Auto Scaling guide, \"Replace Auto Scaling instances based on maximum instance "
            "lifetime\" (https://docs.aws.amazon.com/autoscaling/ec2/userguide/"
            "asg-max-instance-lifetime.html); AWS::AutoScaling::AutoScalingGroup "
            "MaxInstanceLifetime.",
            "auto_scaling_group web { max_instance_lifetime = 1h }",
            "auto_scaling_group web { max_instance_lifetime = 7d }"};
  }
};

class Attachments final : public Rule {
public:
  Attachments() : Rule(RuleID::ASG010, {"auto_scaling_group"}) {}
  void check(const Resource &asg, RuleContext &ctx) const override {
    const Value *tgs = asg.get("target_groups");
    const Value *clbs = asg.get("load_balancers");
    bool attached = (tgs && !tgs->items.empty()) || (clbs && !clbs->items.empty());
    if (attached && asg.getEnum("health_check_type") != "elb")
      ctx.reportAs(*this, Severity::Warning, attrRange(asg, "health_check_type"),
                   "group '{}' registers its instances for load balancing but replaces them "
                   "only when EC2 status checks fail; set 'health_check_type = elb' so "
                   "instances that fail the load balancer's health checks are replaced too",
                   asg.name);
    if (!tgs)
      return;
    const Resource *vpc = nullptr;
    if (const Value *subnets = asg.get("subnets"))
      for (const Value &s : subnets->items)
        if (s.ref && !vpc)
          vpc = s.ref->getRef("vpc");
    for (const Value &v : tgs->items) {
      if (!v.ref)
        continue;
      StringRef tt = v.ref->getEnum("target_type");
      if (tt != "instance")
        ctx.report(*this, v.range,
                   "target group '{}' takes {} targets; an Auto Scaling group registers "
                   "instances",
                   v.ref->name, tt)
            .note(rangeOf(*v.ref, "target_type"), "target type declared here");
      else if (const Resource *tgVpc = v.ref->getRef("vpc"); vpc && tgVpc && tgVpc != vpc)
        ctx.report(*this, v.range,
                   "target group '{}' is in VPC '{}' but the group's subnets are in '{}'",
                   v.ref->name, tgVpc->name, vpc->name)
            .note(rangeOf(*v.ref, "vpc"), "the target group's VPC");
    }
  }
  RuleDoc doc() const override {
    return {"The target groups an Auto Scaling group registers with take instance targets and "
            "are in the VPC of the group's subnets (errors). A group attached to target groups "
            "or classic load balancers uses ELB health checks (warning, checkov CKV2_AWS_15).",
            "Registration fails: the group registers instance ids, and only in the target "
            "group's VPC. With EC2 health checks only, an instance whose application died "
            "stays in service while the load balancer routes around it.",
            "ALB guide, target groups; derived (VPC); checkov CKV2_AWS_15.",
            "target_group fn { target_type = ip ... }  auto_scaling_group g { target_groups = [fn] }",
            "target_group web { target_type = instance ... }"};
  }
};

class ZoneSpread final : public Rule {
public:
  ZoneSpread() : Rule(RuleID::ASG011, {"auto_scaling_group"}) {}
  void check(const Resource &asg, RuleContext &ctx) const override {
    const Value *subnets = asg.get("subnets");
    if (!subnets || asg.getInt("max").value_or(0) < 2)
      return;
    llvm::StringSet<> zones;
    for (const Value &s : subnets->items)
      if (s.ref)
        zones.insert(s.ref->getString("zone"));
    if (zones.size() == 1)
      ctx.report(*this, subnets->range,
                 "every subnet of '{}' is in zone '{}'; losing that zone loses the whole "
                 "group: add a subnet in another zone",
                 asg.name, zones.begin()->first());
  }
  RuleDoc doc() const override {
    return {"A group that can hold more than one instance has subnets in at least two "
            "availability zones.",
            "All instances in one zone go down with it; Auto Scaling balances across zones "
            "only if it has several.",
            "EC2 Auto Scaling guide; checkov CKV2 guidance on multi-AZ.",
            "auto_scaling_group web { subnets = [private_a] }",
            "auto_scaling_group web { subnets = [private_a, private_c] }"};
  }
};

class StepAdjustments final : public Rule {
public:
  StepAdjustments() : Rule(RuleID::ASP002, {"scaling_policy"}) {}
  void check(const Resource &p, RuleContext &ctx) const override {
    if (p.getEnum("type") != "step")
      return;
    // No steps at all is ASP001's; more than 20 is ASG009's (a quota).
    auto steps = p.childrenOf("step");
    if (steps.empty())
      return;
    struct Range {
      double lo, hi;
      const Resource *step;
    };
    std::vector<Range> ranges;
    for (const Resource *s : steps) {
      const Value *lo = s->get("lower"), *hi = s->get("upper");
      if (!lo && !hi)
        ctx.report(*this, s->nameRange,
                   "a step needs a lower or an upper bound (relative to the alarm threshold)");
      else if (lo && hi && num(*lo) >= num(*hi))
        ctx.report(*this, hi->range, "the step's upper bound {} is not above its lower bound {}",
                   fmtBound(num(*hi)), fmtBound(num(*lo)))
            .note(lo->range, "lower bound here");
      else // Only well-formed steps take part in the coverage checks below.
        ranges.push_back({lo ? num(*lo) : -INFINITY, hi ? num(*hi) : INFINITY, s});
    }
    if (ranges.empty())
      return;
    std::stable_sort(ranges.begin(), ranges.end(),
                     [](const Range &a, const Range &b) { return a.lo < b.lo; });
    // The steps must reach to -inf when one starts below the threshold, and to
    // +inf when one ends above it (AWS: "a negative lower bound requires a step
    // with a null lower bound", and likewise for positive upper bounds).
    if (const Range &first = ranges.front(); std::isfinite(first.lo) && first.lo < 0)
      ctx.report(*this, first.step->nameRange,
                 "the lowest step starts at {}, below the threshold; add a step with no "
                 "'lower' bound to cover everything under it",
                 fmtBound(first.lo));
    if (const Range &last = *std::max_element(
            ranges.begin(), ranges.end(),
            [](const Range &a, const Range &b) { return a.hi < b.hi; });
        std::isfinite(last.hi) && last.hi > 0)
      ctx.report(*this, last.step->nameRange,
                 "the highest step ends at {}, above the threshold; add a step with no "
                 "'upper' bound to cover everything over it",
                 fmtBound(last.hi));
    for (size_t i = 1; i < ranges.size(); ++i) {
      const Range &a = ranges[i - 1], &b = ranges[i];
      if (b.lo < a.hi)
        ctx.report(*this, b.step->nameRange, "this step overlaps the step at {}..{}",
                   fmtBound(a.lo), fmtBound(a.hi))
            .note(a.step->nameRange, "the other step");
      else if (b.lo > a.hi)
        ctx.report(*this, b.step->nameRange,
                   "steps leave a gap between {} and {}; no adjustment applies there",
                   fmtBound(a.hi), fmtBound(b.lo))
            .note(a.step->nameRange, "the step before the gap");
    }
  }
  static double num(const Value &v) {
    return v.kind == Value::Kind::Int ? static_cast<double>(v.i) : v.d;
  }
  static std::string fmtBound(double d) {
    return std::isinf(d) ? (d < 0 ? "-inf" : "+inf") : fmt::format("{}", d);
  }
  RuleDoc doc() const override {
    return {"The steps of a step policy (bounds relative to the alarm threshold) neither "
            "overlap nor leave gaps; every step has a bound and its upper bound is above its "
            "lower one; a step starting below 0 needs a step with no lower bound, one ending "
            "above 0 a step with no upper bound. (At least one step: ASP001; at most 20: "
            "ASG009.)",
            "PutScalingPolicy rejects overlapping or gapped steps.",
            "EC2 Auto Scaling guide, step scaling; quotas.",
            "step { lower = 0; upper = 20; adjustment = 1 }\nstep { lower = 10; adjustment = 2 }",
            "step { lower = 0; upper = 20; adjustment = 1 }\nstep { lower = 20; adjustment = 2 }"};
  }
};

class RequestCountTracking final : public Rule {
public:
  RequestCountTracking() : Rule(RuleID::ASP004, {"scaling_policy"}) {}
  void check(const Resource &p, RuleContext &ctx) const override {
    if (p.getEnum("type") != "target_tracking")
      return;
    const Resource &asg = asgOf(p);
    if (p.getEnum("metric") != "alb_request_count_per_target") {
      if (written(p, "target_group"))
        ctx.report(*this, attrRange(p, "target_group"),
                   "'target_group' only applies to 'metric = alb_request_count_per_target'; "
                   "the {} metric is the group's own",
                   p.getEnum("metric").empty() ? StringRef("policy's") : p.getEnum("metric"))
            .fixit(attrRange(p, "target_group"), "");
      return;
    }
    auto tgs = ctx.topology.targetGroupsOf(&asg);
    const Resource *tg = p.getRef("target_group");
    if (!tg) {
      // Unset: the group's only target group (kinds.md).
      if (tgs.size() != 1) {
        if (tgs.empty())
          ctx.report(*this, rangeOf(p, "metric"),
                     "request-count tracking counts requests to a target group, but group "
                     "'{}' has none; attach one with 'target_groups'",
                     asg.name);
        else
          ctx.report(*this, rangeOf(p, "metric"),
                     "group '{}' has {} target groups; name the one to count with "
                     "'target_group'",
                     asg.name, tgs.size());
        return;
      }
      tg = tgs.front();
    } else if (std::find(tgs.begin(), tgs.end(), tg) == tgs.end()) {
      ctx.report(*this, rangeOf(p, "target_group"),
                 "target group '{}' is not attached to group '{}'; its request count says "
                 "nothing about this group's load",
                 tg->name, asg.name)
          .note(attrRange(asg, "target_groups"), "attach it here");
      return;
    }
    auto lbs = ctx.topology.loadBalancersOf(tg);
    if (lbs.empty())
      ctx.report(*this, rangeOf(p, written(p, "target_group") ? "target_group" : "metric"),
                 "target group '{}' is not behind a load balancer, so it has no request count "
                 "to track; forward to it from an application load balancer's listener",
                 tg->name);
    else if (lbs.front()->getEnum("type") != "application")
      ctx.report(*this, rangeOf(p, written(p, "target_group") ? "target_group" : "metric"),
                 "request-count tracking needs an application load balancer, but target "
                 "group '{}' is behind {} load balancer '{}'",
                 tg->name, lbs.front()->getEnum("type"), lbs.front()->name)
          .note(lbs.front()->nameRange, "load balancer declared here");
  }
  RuleDoc doc() const override {
    return {"A target-tracking policy on ALBRequestCountPerTarget counts the requests of a "
            "target group (its resource label): `target_group`, or the group's only target "
            "group when not set. That target group is attached to this Auto Scaling group and "
            "sits behind an application load balancer. Other metrics take no `target_group`.",
            "Without it there is no request count per target to track.",
            "Auto Scaling API PredefinedMetricSpecification; target tracking guide.",
            "auto_scaling_group g { target_groups = [web, api] ...\n"
            "  policy p { type = target_tracking; metric = alb_request_count_per_target; "
            "target = 1000 } }",
            "auto_scaling_group g { target_groups = [web, api] ...\n"
            "  policy p { type = target_tracking; metric = alb_request_count_per_target; "
            "target_group = web; target = 1000 } }"};
  }
};

class TrackingTarget final : public Rule {
public:
  TrackingTarget() : Rule(RuleID::ASP005, {"scaling_policy"}) {}
  void check(const Resource &p, RuleContext &ctx) const override {
    if (p.getEnum("type") != "target_tracking")
      return;
    const Value *t = p.get("target");
    if (!t)
      return;
    double v = t->kind == Value::Kind::Int ? static_cast<double>(t->i) : t->d;
    if (v <= 0)
      ctx.report(*this, t->range,
                 "tracking target {} is not above 0: the metric never falls below it, so the "
                 "group only scales out; give a value above 0",
                 v);
    else if (p.getEnum("metric") == "cpu_utilization" && v > 100)
      ctx.report(*this, t->range,
                 "CPU target {}% is above 100%: CPU never reaches it, so the group only "
                 "scales in; use e.g. 50%",
                 v);
  }
  RuleDoc doc() const override {
    return {"A target-tracking target is above 0; a CPU target is at most 100%.",
            "Such a target can never be reached, so the group only ever scales one way.",
            "EC2 Auto Scaling guide, target tracking.",
            "policy p { type = target_tracking; metric = cpu_utilization; target = 150% }",
            "policy p { type = target_tracking; metric = cpu_utilization; target = 50% }"};
  }
};

class ScheduledSizes final : public Rule {
public:
  ScheduledSizes() : Rule(RuleID::SCH001, {"scheduled_action"}) {}
  void check(const Resource &s, RuleContext &ctx) const override {
    const Resource &asg = asgOf(s);
    auto min = s.getInt("min"), max = s.getInt("max"), desired = s.getInt("desired");
    if (!min && !max && !desired) {
      ctx.report(*this, s.nameRange, "a scheduled action sets at least one of min, max, desired");
      return;
    }
    int64_t lo = min.value_or(asg.getInt("min").value_or(0));
    int64_t hi = max.value_or(asg.getInt("max").value_or(lo));
    if (lo > hi)
      ctx.report(*this, s.nameRange, "after this action min ({}) would exceed max ({})", lo, hi);
    else if (desired && (*desired < lo || *desired > hi))
      ctx.report(*this, rangeOf(s, "desired"),
                 "desired {} would be outside min {} and max {} after this action", *desired,
                 lo, hi);
    // ISO 8601 times written the same way compare as strings.
    const Value *start = s.get("start"), *end = s.get("end");
    if (start && end && start->kind == Value::Kind::String &&
        end->kind == Value::Kind::String && start->str.size() == end->str.size() &&
        end->str <= start->str)
      ctx.report(*this, end->range, "end time '{}' is not after start time '{}'", end->str,
                 start->str)
          .note(start->range, "start time here");
    if (!s.get("recurrence") && !s.get("start") && !s.get("at"))
      ctx.report(*this, s.nameRange, "a scheduled action needs 'recurrence', 'start' or 'at'");
    else if (const Value *r = s.get("recurrence"); r && r->kind == Value::Kind::String) {
      llvm::SmallVector<StringRef, 6> fields;
      r->str.split(fields, ' ', -1, false);
      if (fields.size() != 5)
        ctx.report(*this, r->range,
                   "recurrence '{}' is not a 5-field cron expression (minute hour day month "
                   "weekday)",
                   r->str);
      else
        for (size_t i = 0; i < 5; ++i)
          if (!cronFieldValid(fields[i], cronFields[i]))
            ctx.report(*this, r->range,
                       "recurrence '{}': '{}' is not a valid {} field ({}..{}{})", r->str,
                       fields[i], cronFields[i].name, cronFields[i].lo, cronFields[i].hi,
                       cronFields[i].names ? ", or names" : "");
    }
    if (const Value *tz = s.get("timezone");
        tz && tz->kind == Value::Kind::String && !isTimeZone(tz->str))
      ctx.report(*this, tz->range,
                 "'{}' is not an IANA time zone name; write e.g. \"Asia/Seoul\" or "
                 "\"Etc/GMT+9\"",
                 tz->str.size() > 40 ? (tz->str.take_front(37) + "...").str() : tz->str.str());
  }
  /// A cron field: its name, its range and its names (JAN, MON), if any.
  struct CronField {
    const char *name;
    int lo, hi;
    const char *const *names;
  };
  static constexpr const char *monthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                               "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
                                               nullptr};
  static constexpr const char *dayNames[] = {"SUN", "MON", "TUE", "WED", "THU",
                                             "FRI", "SAT", nullptr};
  static constexpr CronField cronFields[] = {{"minute", 0, 59, nullptr},
                                             {"hour", 0, 23, nullptr},
                                             {"day-of-month", 1, 31, nullptr},
                                             {"month", 1, 12, monthNames},
                                             {"day-of-week", 0, 7, dayNames}};
  /// One value of a field: a number in range or a name (case-insensitive).
  static std::optional<int> cronValue(StringRef v, const CronField &f) {
    int n = 0;
    if (!v.getAsInteger(10, n))
      return n >= f.lo && n <= f.hi ? std::optional<int>(n) : std::nullopt;
    for (int i = 0; f.names && f.names[i]; ++i)
      if (v.equals_insensitive(f.names[i]))
        return f.lo + i;
    return std::nullopt;
  }
  /// Unix cron, as Auto Scaling takes it: '*' or a comma list of values and
  /// ranges, each with an optional /step.
  static bool cronFieldValid(StringRef field, const CronField &f) {
    llvm::SmallVector<StringRef, 4> items;
    field.split(items, ',');
    for (StringRef item : items) {
      auto [range, step] = item.split('/');
      int stepValue = 0;
      if (item.contains('/') && (step.getAsInteger(10, stepValue) || stepValue < 1))
        return false;
      if (range == "*")
        continue;
      auto [from, to] = range.split('-');
      auto a = cronValue(from, f);
      if (!a || (range.contains('-') && (!cronValue(to, f) || *cronValue(to, f) < *a)))
        return false;
    }
    return !items.empty();
  }
  static bool isTimeZone(StringRef name) {
    static const llvm::StringSet<> zones = {
#define TIME_ZONE(NAME) NAME,
#include "Rules/TimeZones.def"
    };
    return zones.contains(name);
  }
  RuleDoc doc() const override {
    return {"A scheduled action sets at least one of min, max and desired; with the group's "
            "other sizes the result keeps min <= desired <= max. Its recurrence is a 5-field "
            "cron expression (UTC unless `timezone` names an IANA zone); its end time is "
            "after its start time. Each cron field is '*' or a comma list of values and "
            "ranges with an optional /step: minute 0..59, hour 0..23, day of month 1..31, "
            "month 1..12 or JAN..DEC, day of week 0..7 or SUN..SAT. `timezone` is a name of "
            "the IANA Time Zone Database (compiler/Rules/TimeZones.def, generated from "
            "tzdata).",
            "The action fails when it runs, or is rejected when created: PutScheduledUpdate"
            "GroupAction refuses a malformed recurrence or an unknown time zone.",
            "EC2 Auto Scaling guide, \"Scheduled scaling\" (recurrence in Unix cron format, "
            "time zones) "
            "(https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-"
            "scaling.html); EC2 Auto Scaling API PutScheduledUpdateGroupAction (TimeZone: the "
            "canonical names of the IANA time zones).",
            "scheduled night { recurrence = \"0 1 * *\" }",
            "scheduled night { recurrence = \"0 1 * * *\"; desired = 2 }"};
  }
};

class HookHeartbeat final : public Rule {
public:
  HookHeartbeat() : Rule(RuleID::LCH001, {"lifecycle_hook"}) {}
  void check(const Resource &h, RuleContext &ctx) const override {
    checkBounds(*this, h, ctx, {{"heartbeat_timeout", 30, 7200, "s", "lifecycle-hook heartbeat"}});
  }
  RuleDoc doc() const override {
    return {"A lifecycle hook's heartbeat timeout is 30..7200 s (default 3600). The "
            "CloudFormation schema has no bounds here; cfn-lint misses it.",
            "PutLifecycleHook rejects other values.",
            "EC2 Auto Scaling guide, lifecycle hooks.",
            "lifecycle_hook h { transition = terminating; heartbeat_timeout = 3h }",
            "lifecycle_hook h { transition = terminating; heartbeat_timeout = 10m }"};
  }
};

/// The app a launch template runs and how it keeps sessions.
const Value *appOf(const Resource &lt) { return lt.get("app"); }
StringRef sessionsOf(const Value &app) {
  const NamedValue *s = app.field("sessions");
  return s ? s->value.str : StringRef();
}

class InMemorySessions final : public Rule {
public:
  InMemorySessions() : Rule(RuleID::SES001, {"auto_scaling_group"}) {}
  void check(const Resource &asg, RuleContext &ctx) const override {
    const Resource *lt = asg.getRef("launch_template");
    const Value *app = lt ? appOf(*lt) : nullptr;
    if (!app || asg.getInt("max").value_or(0) < 2)
      return;
    if (app->ref) { // An app object: its resource holds the attributes.
      if (app->ref->getEnum("sessions") != "in_memory")
        return;
    } else if (sessionsOf(*app) != "in_memory") {
      return;
    }
    for (const Resource *tg : ctx.topology.targetGroupsOf(&asg)) {
      const Resource *st = tg->child("stickiness");
      if (st && st->getBool("enabled") != false)
        continue;
      if (ctx.topology.forwardsTo(tg).empty())
        continue;
      ctx.report(*this, tg->nameRange,
                 "the instances of '{}' keep sessions in memory, but target group '{}' is not "
                 "sticky: a user's session is lost whenever a request lands on another "
                 "instance; add a 'stickiness' block to it or keep sessions in a "
                 "session_store",
                 asg.name, tg->name)
          .note(rangeOf(*lt, "app"), "sessions are kept in memory here");
    }
  }
  RuleDoc doc() const override {
    return {"When the app of an Auto Scaling group's launch template keeps sessions in memory "
            "(`sessions = in_memory`) and the group can hold more than one instance, every "
            "target group that serves traffic to it is sticky. Alternatives: replicate "
            "sessions or keep them in an external store (session_store).",
            "Without stickiness the load balancer spreads a user's requests over instances; "
            "each instance knows only the sessions it created, so carts and logins vanish.",
            "ALB guide, \"Sticky sessions\".",
            "target_group web { protocol = http; port = 3000; vpc = v }",
            "target_group web { protocol = http; port = 3000; vpc = v\n"
            "                   stickiness { type = lb_cookie; duration = 1h } }"};
  }
};

class AllToAllReplication final : public Rule {
public:
  AllToAllReplication() : Rule(RuleID::SES002, {"session_store"}) {}
  void check(const Resource &s, RuleContext &ctx) const override {
    if (s.getEnum("type") != "replicated" || s.getEnum("replication") != "all_to_all")
      return;
    // The replicas: 'members', else the groups whose app keeps its sessions here.
    std::vector<const Resource *> groups;
    if (const Resource *asg = s.getRef("members"))
      groups.push_back(asg);
    else
      ctx.model.forEach([&](const Resource &r) {
        if (r.kind() != "auto_scaling_group")
          return;
        const Resource *lt = r.getRef("launch_template");
        if (lt && sessionStoreOf(*lt) == &s)
          groups.push_back(&r);
      });
    for (const Resource *asg : groups) {
      auto max = asg->getInt("max");
      if (max && *max > 4)
        ctx.report(*this, rangeOf(s, "replication"),
                   "all-to-all replication across up to {} instances of '{}': every session "
                   "change goes to every instance; use 'replication = backup' or an external "
                   "store beyond 4",
                   *max, asg->name)
            .note(rangeOf(*asg, "max"), "the group can grow to {} here", *max);
    }
  }
  RuleDoc doc() const override {
    return {"All-to-all session replication (Tomcat's DeltaManager style) is used with at most "
            "4 instances: the store's `members`, or, when not set, every Auto Scaling group "
            "whose app names the store as its `session_store` can grow to at most 4.",
            "Each change is sent to every member: traffic and memory grow with the square of "
            "the group. Tomcat's own documentation advises against it beyond 4 nodes.",
            "Apache Tomcat clustering how-to.",
            "session_store s { type = replicated; members = web_asg }  # max = 10",
            "session_store s { type = replicated; replication = backup; members = web_asg }"};
  }
};

class ScenarioLoad final : public Rule {
public:
  ScenarioLoad() : Rule(RuleID::SCN001, {"load"}) {}
  void check(const Resource &load, RuleContext &ctx) const override {
    const Value &label = load.label;
    if (label.kind != Value::Kind::Ref || !label.ref || label.ref->kind() != "load_balancer")
      return;
    const Resource &lb = *label.ref;
    if (lb.childrenOf("listener").empty()) {
      ctx.report(*this, label.range,
                 "load balancer '{}' has no listener to send load to; give it a listener or "
                 "load another load balancer",
                 lb.name);
      return;
    }
    if (const Resource *l = load.getRef("listener"); l && l->topLevel() != &lb)
      ctx.report(*this, rangeOf(load, "listener"),
                 "listener '{}' belongs to '{}', not to '{}' which this load targets; name a "
                 "listener of '{}'",
                 l->path, l->topLevel()->name, lb.name, lb.name);
  }
  RuleDoc doc() const override {
    return {"A scenario's `load` targets a load balancer that has a listener, and its "
            "`listener`, if given, belongs to that load balancer.",
            "The simulator would have nowhere to send the requests.",
            "infrac's scenario semantics.",
            "load alb { rate = 100/s; listener = other_alb.http }",
            "load alb { rate = 100/s; listener = alb.http }"};
  }
};

/// The simulator's limits (documented in SCN002's doc): what `infrac sim` runs on
/// one machine in seconds, with memory and trace bounded.
constexpr int64_t MaxScenarioMs = 24LL * 3600 * 1000;
constexpr double MaxScenarioRequests = 10e6;

class ScenarioLimits final : public Rule {
public:
  ScenarioLimits() : Rule(RuleID::SCN002, {"scenario"}) {}
  void check(const Resource &scn, RuleContext &ctx) const override {
    const Value *d = scn.get("duration");
    if (!d || d->kind != Value::Kind::Duration)
      return;
    if (d->i > MaxScenarioMs) {
      ctx.report(*this, rangeOf(scn, "duration"),
                 "scenario '{}' runs for {} of virtual time; the simulator's limit is 1d",
                 scn.name, formatDuration(d->i));
      return;
    }
    // Events may raise every load's rate: count each load at the highest.
    double eventRate = 0;
    for (const Resource *ev : scn.childrenOf("at"))
      if (const Value *r = ev->get("rate"); r && r->kind == Value::Kind::Rate)
        eventRate = std::max(eventRate, r->d);
    double total = 0;
    const Resource *largest = nullptr;
    double largestRequests = -1;
    for (const Resource *load : scn.childrenOf("load")) {
      const Value *rate = load->get("rate");
      if (!rate || rate->kind != Value::Kind::Rate)
        continue;
      const Value *ld = load->get("duration");
      const Value *start = load->get("start");
      int64_t ms = ld && ld->kind == Value::Kind::Duration
                       ? ld->i
                       : d->i - (start && start->kind == Value::Kind::Duration ? start->i : 0);
      double requests = std::max(rate->d, eventRate) * std::max<int64_t>(ms, 0) / 1000.0;
      total += requests;
      if (requests > largestRequests) {
        largestRequests = requests;
        largest = load;
      }
    }
    if (largest && total > MaxScenarioRequests)
      ctx.report(*this, rangeOf(*largest, "rate"),
                 "scenario '{}' sends about {} requests; the simulator's limit is {}: lower "
                 "the rate or the duration",
                 scn.name, formatNumber(std::round(total)), formatNumber(MaxScenarioRequests));
  }
  RuleDoc doc() const override {
    return {"A scenario runs for at most one day of virtual time (its `duration`, or its "
            "last event or expectation plus 60 s) and sends at most 10,000,000 requests in "
            "all (each load's rate, or the highest rate an event sets, times the time it "
            "runs). Together with the bounds sema puts on counts (`clients` up to 100,000, "
            "instances and servers up to 10,000 and 1,000) this bounds the simulator's "
            "events, memory and trace.",
            "`infrac sim` runs the whole scenario on one machine: a year of virtual time or "
            "a billion requests would run for hours and write gigabytes of trace.",
            "infrac's own limits for the simulator, documented here.",
            "scenario soak {\n  load alb { rate = 5000/s; duration = 1h }\n}",
            "scenario soak {\n  load alb { rate = 500/s; duration = 1h }\n}"};
  }
};

/// EBS volume types (EBS User Guide, "Amazon EBS volume types"): sizes in
/// GiB, IOPS and IOPS per GiB where the type takes provisioned IOPS.
struct VolumeType {
  const char *name;
  int64_t minGiB, maxGiB;
  int64_t minIops, maxIops, iopsPerGiB; ///< 0: the type takes no `iops`.
  bool bootable;
};
constexpr VolumeType volumeTypes[] = {
    {"gp2", 1, 16384, 0, 0, 0, true},
    {"gp3", 1, 65536, 3000, 80000, 500, true},
    {"io1", 4, 16384, 100, 64000, 50, true},
    {"io2", 4, 65536, 100, 256000, 1000, true},
    {"st1", 125, 16384, 0, 0, 0, false},
    {"sc1", 125, 16384, 0, 0, 0, false},
    {"standard", 1, 1024, 0, 0, 0, true},
};

/// The device names an AMI's root volume has (Linux AMIs: /dev/xvda or /dev/sda1).
bool isRootDevice(StringRef d) { return d == "/dev/xvda" || d == "/dev/sda1"; }

class VolumesFitTheirType final : public Rule {
public:
  VolumesFitTheirType() : Rule(RuleID::LT005, {"launch_template"}) {}
  void check(const Resource &lt, RuleContext &ctx) const override {
    llvm::StringMap<const Resource *> devices;
    for (const Resource *v : lt.childrenOf("volume")) {
      StringRef device = v->getString("device");
      auto [it, fresh] = devices.try_emplace(device, v);
      if (!fresh) {
        ctx.report(*this, rangeOf(*v, "device"),
                   "launch template '{}' maps device '{}' twice; one volume per device",
                   lt.name, device)
            .note(rangeOf(*it->second, "device"), "first mapped here");
        continue;
      }
      StringRef type = v->getEnum("type");
      const VolumeType *vt = nullptr;
      for (const VolumeType &t : volumeTypes)
        if (type == t.name)
          vt = &t;
      if (!vt)
        continue;
      int64_t gib = v->getInt("size").value_or(int64_t(8) << 30) >> 30;
      if (gib < vt->minGiB || gib > vt->maxGiB)
        ctx.report(*this, rangeOf(*v, "size"),
                   "{} volumes are {}..{} GiB; this one is {} GiB", type, vt->minGiB,
                   vt->maxGiB, gib);
      if (!vt->bootable && isRootDevice(device))
        ctx.report(*this, rangeOf(*v, "type"),
                   "{} volumes cannot be boot volumes, and '{}' is the root device; use gp3 "
                   "for the root and {} on another device such as '/dev/xvdb'",
                   type, device, type);
      auto iops = v->getInt("iops");
      // Provisioned IOPS volumes are nothing without their IOPS.
      if (!iops && (type == "io1" || type == "io2"))
        ctx.report(*this, rangeOf(*v, "type"),
                   "{} volumes need 'iops' ({}..{}, at most {} per GiB)", type, vt->minIops,
                   vt->maxIops, vt->iopsPerGiB);
      if (!iops)
        continue;
      if (!vt->maxIops) {
        ctx.report(*this, rangeOf(*v, "iops"),
                   "{} volumes take no provisioned IOPS; remove 'iops' or use gp3, io1 or io2",
                   type);
        continue;
      }
      if (*iops < vt->minIops || *iops > vt->maxIops)
        ctx.report(*this, rangeOf(*v, "iops"), "{} volumes take {}..{} IOPS; this one asks {}",
                   type, vt->minIops, vt->maxIops, *iops);
      else if (*iops > vt->iopsPerGiB * gib)
        ctx.report(*this, rangeOf(*v, "iops"),
                   "{} IOPS on {} GiB is more than {} IOPS per GiB, the most {} volumes take; "
                   "at most {} IOPS, or at least {} GiB",
                   *iops, gib, vt->iopsPerGiB, type, vt->iopsPerGiB * gib,
                   (*iops + vt->iopsPerGiB - 1) / vt->iopsPerGiB);
    }
  }
  RuleDoc doc() const override {
    return {"Each EBS volume of a launch template fits its type: size gp2 1..16,384 GiB, gp3 "
            "1..65,536, io1 4..16,384, io2 4..65,536, st1 and sc1 125..16,384, standard "
            "1..1,024; `iops` only on gp3 (3,000..80,000, at most 500 per GiB), io1 "
            "(100..64,000, 50 per GiB) and io2 (100..256,000, 1,000 per GiB), and io1 and io2 "
            "require it; st1 and sc1 are never the root device (/dev/xvda or /dev/sda1); one volume per device name.",
            "EC2 refuses the launch: every instance the Auto Scaling group starts fails, and the "
            "group retries for ever.",
            "EBS User Guide, \"Amazon EBS volume types\" "
            "(https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html) and "
            "\"Block device mappings\" "
            "(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-device-mapping-concepts.html).",
            "volume { type = st1; size = 100GiB }",
            "volume { type = st1; size = 500GiB; device = \"/dev/xvdb\" }"};
  }
};

/// What EC2 knows: AMI ids and instance types (EMR: the types EMR takes).
class ImagesAndInstanceTypes final : public Rule {
public:
  ImagesAndInstanceTypes()
      : Rule(RuleID::LT006, {"launch_template", "mixed_instances", "coordination",
                             "instance_group"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    // ami- and 8 or 17 lowercase hexadecimal digits.
    static const llvm::Regex ami("^ami-([0-9a-f]{8}|[0-9a-f]{17})$");
    if (const Value *image = r.get("image"); image && image->kind == Value::Kind::String &&
                                             !ami.match(image->str))
      ctx.report(*this, image->range,
                 "'{}' is not an AMI id: 'ami-' and 8 or 17 lowercase hexadecimal digits, "
                 "e.g. \"ami-0123456789abcdef0\"",
                 shorten(image->str));
    bool emr = r.kind() == "instance_group";
    auto checkType = [&](const Value &t) {
      if (t.kind != Value::Kind::String || known(t.str, emr))
        return;
      auto b = ctx.report(*this, t.range, "'{}' is not an {} instance type{}", shorten(t.str),
                          emr ? "EMR" : "EC2",
                          emr && known(t.str, false) ? " (EC2 has it; EMR clusters do not take it)"
                                                     : "");
      if (std::string lower = t.str.lower(); lower != t.str && known(lower, emr))
        b.fixit(t.range, "\"" + lower + "\"");
    };
    if (const Value *t = r.get("instance_type"))
      checkType(*t);
    if (const Value *types = r.get("instance_types"))
      for (const Value &t : types->items)
        checkType(t);
  }
  static std::string shorten(StringRef s) {
    return s.size() > 40 ? (s.take_front(37) + "...").str() : s.str();
  }
  static bool known(StringRef type, bool emr) {
    static const llvm::StringMap<bool> types = [] {
      llvm::StringMap<bool> m;
#define INSTANCE_TYPE(NAME, EMR) m[NAME] = EMR;
#include "Rules/InstanceTypes.def"
      return m;
    }();
    auto it = types.find(type);
    return it != types.end() && (!emr || it->second);
  }
  RuleDoc doc() const override {
    return {"A launch template's and an ensemble's `image` is an AMI id ('ami-' and 8 or 17 "
            "lowercase hexadecimal digits). Every `instance_type` and `instance_types` entry "
            "(launch templates, mixed instances, ensembles, EMR groups and fleets) is an EC2 "
            "instance type, and for EMR one that EMR clusters take. The types are "
            "compiler/Rules/InstanceTypes.def, generated from cfn-lint's data (AWS's pricing "
            "API) by tests/cfn-tools/gen-aws-data.py; a test keeps it equal to the "
            "installed cfn-lint's. That data lists the same types in every region, so the "
            "rule does not check a type's regional availability.",
            "RunInstances and RunJobFlow reject a malformed AMI id (InvalidAMIID.Malformed) and "
            "an unknown instance type; cfn-lint checks neither in a launch template.",
            "Amazon EC2 User Guide, \"Amazon EC2 instance types\" "
            "(https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-types.html) and "
            "\"Find an AMI\" (AMI ids); Amazon EMR Management Guide, \"Supported instance "
            "types\" (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-supported-"
            "instance-types.html); cfn-lint E3628, E3025.",
            "launch_template web { image = \"ami-web\"; instance_type = \"t3.mega\" }",
            "launch_template web { image = \"ami-0123456789abcdef0\"; instance_type = "
            "\"t3.small\" }"};
  }
};

class Imdsv2 final : public Rule {
public:
  Imdsv2() : Rule(RuleID::SEC012, {"launch_template"}) {}
  void check(const Resource &lt, RuleContext &ctx) const override {
    if (lt.getEnum("metadata_tokens") != "required")
      ctx.report(*this, attrRange(lt, "metadata_tokens"),
                 "launch template '{}' allows IMDSv1; set 'metadata_tokens = required'", lt.name);
    // Above 64 is LT004's error.
    if (auto h = lt.getInt("metadata_hop_limit"); h && *h > 1 && *h <= 64)
      ctx.report(*this, attrRange(lt, "metadata_hop_limit"),
                 "metadata hop limit is {}: the instance role's credentials can be read "
                 "from beyond the instance (containers, forwarded hosts); use 1, or 2 only "
                 "for containers that call the metadata service",
                 *h);
  }
  RuleDoc doc() const override {
    return {"Launch templates require IMDSv2 session tokens (HttpTokens = required) and keep "
            "the metadata hop limit at 1 (checkov CKV_AWS_341; 2 is what containers need: "
            "suppress the warning there).",
            "IMDSv1 lets an SSRF bug read the instance role's credentials; a larger hop limit "
            "lets them be fetched from containers or forwarded hosts.",
            "checkov CKV_AWS_79, CKV_AWS_341; trivy AVD-AWS-0130.",
            "launch_template web { image = \"ami-12345678\"; instance_type = \"t3.small\" }",
            "launch_template web { image = \"ami-12345678\"; instance_type = \"t3.small\"; "
            "metadata_tokens = required }"};
  }
};

class EncryptedVolumes final : public Rule {
public:
  EncryptedVolumes() : Rule(RuleID::SEC015, {"volume"}) {}
  void check(const Resource &v, RuleContext &ctx) const override {
    if (v.getBool("encrypted") != true)
      ctx.report(*this, attrRange(v, "encrypted"),
                 "EBS volume is not encrypted; set 'encrypted = true'");
  }
  RuleDoc doc() const override {
    return {"Launch-template EBS volumes are encrypted.",
            "Unencrypted volumes and their snapshots expose data at rest.",
            "checkov CKV_AWS_8 / CKV_AWS_79 family; trivy AVD-AWS-0131.",
            "volume { size = 20GiB }", "volume { size = 20GiB; encrypted = true }"};
  }
};

class PolicyShape final : public Rule {
public:
  PolicyShape() : Rule(RuleID::ASP001, {"scaling_policy"}) {}
  void check(const Resource &p, RuleContext &ctx) const override {
    StringRef type = p.getEnum("type");
    struct Need {
      const char *attr;
      bool tracking, step, simple; ///< Allowed for each type.
      bool required;               ///< Required where allowed.
    };
    static const Need needs[] = {
        {"metric", true, true, true, true},
        {"target", true, false, false, true},
        {"disable_scale_in", true, false, false, false},
        {"threshold", false, true, true, true},
        {"comparison", false, true, true, false},
        {"period", false, true, true, false},
        {"evaluation_periods", false, true, true, false},
        {"adjustment_type", false, true, true, false},
        {"adjustment", false, false, true, true},
        {"cooldown", false, false, true, false},
        {"warmup", true, true, false, false},
        {"target_group", true, false, false, false},
    };
    for (const Need &n : needs) {
      bool allowed = type == "target_tracking" ? n.tracking : type == "step" ? n.step : n.simple;
      if (!allowed && written(p, n.attr))
        ctx.report(*this, attrRange(p, n.attr), "'{}' does not apply to a {} policy", n.attr,
                   typeName(type))
            .fixit(attrRange(p, n.attr), "");
      else if (allowed && n.required && !p.get(n.attr))
        ctx.report(*this, p.nameRange, "a {} policy needs '{}'", typeName(type), n.attr);
    }
    auto steps = p.childrenOf("step");
    if (type == "step" && steps.empty())
      ctx.report(*this, p.nameRange, "a step policy needs at least one 'step {{ ... }}'");
    else if (type != "step" && !steps.empty())
      ctx.report(*this, steps.front()->nameRange, "steps belong to step policies only");
  }
  RuleDoc doc() const override {
    return {"Each policy type takes its own properties. Target tracking: `metric` and `target` "
            "(required), `disable_scale_in`, `warmup`, `target_group`. Step: `metric`, "
            "`threshold` and at least one `step` (required), `comparison`, `period`, "
            "`evaluation_periods`, `adjustment_type`, `warmup`. Simple: `metric`, `threshold` "
            "and `adjustment` (required), `comparison`, `period`, `evaluation_periods`, "
            "`adjustment_type`, `cooldown` (simple only). Predictive policies are not in the "
            "language.",
            "PutScalingPolicy rejects properties of another type (\"Cooldown is only supported "
            "for SimpleScaling\").",
            "EC2 Auto Scaling API PutScalingPolicy; CloudFormation schema.",
            "policy p { type = target_tracking; metric = cpu_utilization; target = 50; cooldown = 60s }",
            "policy p { type = target_tracking; metric = cpu_utilization; target = 50; warmup = 60s }"};
  }

private:
  static const char *typeName(StringRef type) {
    return type == "target_tracking" ? "target-tracking" : type == "step" ? "step" : "simple";
  }
};

class InstanceWarmup final : public Rule {
public:
  InstanceWarmup() : Rule(RuleID::ASG005, {"auto_scaling_group"}) {}
  void check(const Resource &asg, RuleContext &ctx) const override {
    if (asg.get("default_instance_warmup"))
      return;
    for (const Resource *p : asg.childrenOf("policy")) {
      StringRef type = p->getEnum("type");
      if ((type == "target_tracking" || type == "step") && !p->get("warmup")) {
        ctx.report(*this, p->nameRange,
                   "{} policy '{}' with no instance warm-up: the group's {} s default cooldown "
                   "can block scale-in; set 'default_instance_warmup' on '{}' (even 0s)",
                   type == "step" ? "step" : "target-tracking", p->name,
                   seconds(asg, "cooldown").value_or(300), asg.name);
        return;
      }
    }
  }
  RuleDoc doc() const override {
    return {"A group with target-tracking or step policies sets `default_instance_warmup` "
            "(or each such policy its `warmup`). `cooldown` (default 300 s) is used only by "
            "simple policies.",
            "Without a warm-up the default cooldown applies, which can block scale-in and "
            "counts new instances' idle metrics too early; AWS recommends always setting it.",
            "EC2 Auto Scaling guide, \"Set the default instance warmup\" and \"Scaling "
            "cooldowns\".",
            "auto_scaling_group web { ... policy p { type = target_tracking; ... } }",
            "auto_scaling_group web { default_instance_warmup = 60s; policy p { ... } }"};
  }
};

class MixedInstances final : public Rule {
public:
  MixedInstances() : Rule(RuleID::ASG008, {"mixed_instances"}) {}
  void check(const Resource &m, RuleContext &ctx) const override {
    if (const Value *pct = m.get("on_demand_percentage");
        pct && pct->kind == Value::Kind::Percent && (pct->d < 0 || pct->d > 100))
      ctx.report(*this, pct->range, "on-demand percentage is {}%; AWS allows 0..100%", pct->d);
    if (auto base = m.getInt("on_demand_base"); base && *base < 0)
      ctx.report(*this, rangeOf(m, "on_demand_base"),
                 "on-demand base capacity is {}; it is 0 or more", *base);
    // Without 'instance_types' (LaunchTemplate Overrides, optional) the launch
    // template's own instance type is used.
    if (const Value *types = m.get("instance_types")) {
      if (types->items.size() > 40)
        ctx.report(*this, types->items[40].range,
                   "{} instance types; a mixed instances policy takes at most 40",
                   types->items.size());
      llvm::StringMap<const Value *> seen;
      for (const Value &t : types->items) {
        auto [it, fresh] = seen.try_emplace(t.str, &t);
        if (!fresh)
          ctx.report(*this, t.range, "instance type '{}' is listed twice", t.str)
              .note(it->second->range, "first listed here");
      }
    }
    if (written(m, "spot_max_price") && m.getEnum("spot_allocation_strategy") != "lowest_price")
      ctx.reportAs(*this, Severity::Warning, attrRange(m, "spot_max_price"),
                   "a spot maximum price with '{}' allocation raises interruptions; AWS advises "
                   "leaving it unset",
                   m.getEnum("spot_allocation_strategy"));
  }
  RuleDoc doc() const override {
    return {"A mixed instances policy lists at most 40 distinct instance types (none: the "
            "launch template's type); the on-demand "
            "percentage above base is 0..100% and the base at least 0. Spot allocation "
            "strategies: price_capacity_optimized (recommended), capacity_optimized, "
            "capacity_optimized_prioritized, lowest_price (schema). A spot maximum price is a "
            "warning (AWS advises against it).",
            "CreateAutoScalingGroup rejects other values.",
            "EC2 Auto Scaling guide, \"Auto Scaling groups with multiple instance types and "
            "purchase options\"; CloudFormation schema.",
            "mixed_instances { on_demand_percentage = 150% }",
            "mixed_instances { instance_types = [\"m5.large\", \"m6i.large\"]; on_demand_percentage = 20% }"};
  }
};

class GroupQuotas final : public Rule {
public:
  GroupQuotas() : Rule(RuleID::ASG009, {"auto_scaling_group", "scaling_policy"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    if (r.kind() == "scaling_policy") {
      auto steps = r.childrenOf("step");
      if (steps.size() > 20)
        ctx.report(*this, steps[20]->nameRange,
                   "policy '{}' has {} step adjustments; the quota is 20", r.name, steps.size());
      return;
    }
    struct Quota {
      const char *keyword, *what;
      size_t max;
    };
    for (const Quota &q : {Quota{"policy", "scaling policies", 50},
                           Quota{"scheduled", "scheduled actions", 125},
                           Quota{"lifecycle_hook", "lifecycle hooks", 50}}) {
      auto children = r.childrenOf(q.keyword);
      if (children.size() > q.max)
        ctx.report(*this, children[q.max]->nameRange, "'{}' has {} {}; the quota is {}", r.name,
                   children.size(), q.what, q.max);
    }
    for (const char *attr : {"target_groups", "load_balancers"})
      if (const Value *v = r.get(attr); v && v->items.size() > 50)
        ctx.report(*this, v->items[50].range, "'{}' attaches {} {}; the quota is 50", r.name,
                   v->items.size(), attr == StringRef("target_groups") ? "target groups"
                                                                        : "load balancers");
  }
  RuleDoc doc() const override {
    return {"Per Auto Scaling group (quotas AWS does not raise): 50 scaling policies, 125 "
            "scheduled actions, 50 lifecycle hooks, 50 target groups, 50 classic load "
            "balancers; 20 step adjustments per policy.",
            "The API refuses the next one.", "EC2 Auto Scaling quotas.",
            "(51 policy blocks in one group)", "(50 or fewer)"};
  }
};

class HookNotifications final : public Rule {
public:
  HookNotifications() : Rule(RuleID::LCH002, {"lifecycle_hook"}) {}
  void check(const Resource &h, RuleContext &ctx) const override {
    bool target = h.get("notification_target"), role = h.get("role");
    if (target && !role)
      ctx.report(*this, attrRange(h, "notification_target"),
                 "a notification target needs 'role': the IAM role Auto Scaling publishes with");
    else if (role && !target)
      ctx.report(*this, attrRange(h, "role"),
                 "'role' is only used to publish to a 'notification_target'");
    for (const char *attr : {"notification_target", "role"}) {
      const Value *v = h.get(attr);
      if (v && v->kind == Value::Kind::String && !v->str.startswith("arn:"))
        ctx.reportAs(*this, Severity::Error, v->range, "'{}' is an ARN (arn:...), not '{}'",
                     attr, v->str);
    }
    if (h.name.size() > 255)
      ctx.reportAs(*this, Severity::Error, h.nameRange,
                   "lifecycle hook name has {} characters; AWS allows at most 255",
                   h.name.size());
  }
  RuleDoc doc() const override {
    return {"A lifecycle hook that notifies an SNS topic or SQS queue gives the IAM `role` to "
            "publish with (warning), and both are ARNs (error); the name has 1..255 "
            "characters. Transition and default result are the schema's enums (launching, "
            "terminating; continue, abandon).",
            "Without the role the hook is created but nothing is ever delivered.",
            "CloudFormation schema AWS::AutoScaling::LifecycleHook; EC2 Auto Scaling quotas.",
            "lifecycle_hook h { transition = launching; notification_target = \"arn:aws:sqs:...\" }",
            "lifecycle_hook h { transition = launching; notification_target = \"arn:aws:sqs:...\"; "
            "role = \"arn:aws:iam::...\" }"};
  }
};

class PublicIp final : public Rule {
public:
  PublicIp() : Rule(RuleID::SEC013, {"launch_template"}) {}
  void check(const Resource &lt, RuleContext &ctx) const override {
    if (lt.getBool("associate_public_ip") == true)
      ctx.report(*this, attrRange(lt, "associate_public_ip"),
                 "instances of '{}' get public IP addresses; put them in private subnets "
                 "behind the load balancer",
                 lt.name);
  }
  RuleDoc doc() const override {
    return {"A launch template does not give instances a public IP (checkov CKV_AWS_88). "
            "Public subnets (`public = true`) are not flagged: load balancers need them.",
            "An instance with a public IP is reachable from the internet whenever a security "
            "group rule allows it.",
            "checkov CKV_AWS_88; tfsec AVD-AWS-0164.",
            "launch_template web { associate_public_ip = true }",
            "launch_template web { associate_public_ip = false }"};
  }
};

} // namespace

void rules::addComputeRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<HopLimit>());
  out.push_back(std::make_unique<Capacity>());
  out.push_back(std::make_unique<TrackingNeedsRoom>());
  out.push_back(std::make_unique<GracePeriod>());
  out.push_back(std::make_unique<InstanceLifetime>());
  out.push_back(std::make_unique<Attachments>());
  out.push_back(std::make_unique<ZoneSpread>());
  out.push_back(std::make_unique<StepAdjustments>());
  out.push_back(std::make_unique<RequestCountTracking>());
  out.push_back(std::make_unique<TrackingTarget>());
  out.push_back(std::make_unique<ScheduledSizes>());
  out.push_back(std::make_unique<HookHeartbeat>());
  out.push_back(std::make_unique<InMemorySessions>());
  out.push_back(std::make_unique<AllToAllReplication>());
  out.push_back(std::make_unique<ScenarioLoad>());
  out.push_back(std::make_unique<ScenarioLimits>());
  out.push_back(std::make_unique<PolicyShape>());
  out.push_back(std::make_unique<InstanceWarmup>());
  out.push_back(std::make_unique<MixedInstances>());
  out.push_back(std::make_unique<GroupQuotas>());
  out.push_back(std::make_unique<HookNotifications>());
  out.push_back(std::make_unique<PublicIp>());
  out.push_back(std::make_unique<Imdsv2>());
  out.push_back(std::make_unique<ImagesAndInstanceTypes>());
  out.push_back(std::make_unique<VolumesFitTheirType>());
  out.push_back(std::make_unique<EncryptedVolumes>());
}

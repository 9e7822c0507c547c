//===- RulesBuild.cpp - What `infrac build` needs beyond a valid design ---===//
//
// What the emitter used to say on its own, printed by `build` alone without
// an id or a location. As rules, `check` reports them too, at the resource.
// (A target group's VPC and an instance group's type are TG001's and
// EMR004's; an ensemble without subnets, which `sim` runs but nothing can
// deploy, is build's BLD001 in Driver/BuildCommand.cpp.)
//
//===----------------------------------------------------------------------===//

#include "Rules/Rule.h"

using namespace infrac;
using namespace infrac::rules;
using infrac::sema::Resource;
using llvm::StringRef;

namespace {

class ZooKeeperFromTheInternet final : public Rule {
public:
  ZooKeeperFromTheInternet() : Rule(RuleID::BLD002, {"coordination"}) {}
  void check(const Resource &r, RuleContext &ctx) const override {
    if (r.get("image"))
      return;
    const sema::Value *subnets = r.get("subnets");
    if (!subnets || subnets->items.empty())
      return; // build's BLD001.
    // Servers go round-robin over the subnets, one each in the first ones.
    int64_t servers = r.getInt("ensemble").value_or(3) + r.getInt("observers").value_or(0);
    size_t used = std::min<size_t>(subnets->items.size(), static_cast<size_t>(servers));
    for (size_t i = 0; i < used; ++i) {
      const Resource *s = subnets->items[i].ref;
      if (s && s->getBool("public") != true) {
        ctx.report(*this, subnets->items[i].range,
                   "coordination '{}' puts a server in subnet '{}', which has no route to the "
                   "internet, yet installs ZooKeeper from the Debian mirrors at boot; make the "
                   "subnet public, or set 'image' to an AMI with ZooKeeper installed",
                   r.name, s->name);
        return;
      }
    }
  }
  RuleDoc doc() const override {
    return {"Without an `image`, `infrac build` starts each ZooKeeper server from Debian's "
            "AMI and installs ZooKeeper from the Debian mirrors at boot: every subnet that "
            "holds a server needs a route to the internet (a public subnet).",
            "A server without one never gets ZooKeeper installed: the ensemble never forms, "
            "and the stack still reports success.",
            "infrac's template for coordination ensembles (docs/cloudformation.md); Debian "
            "cloud images (https://wiki.debian.org/Cloud/AmazonEC2Image).",
            "coordination zk { subnets = [private_a] }",
            "coordination zk { subnets = [private_a]; image = \"ami-0123456789abcdef0\" }"};
  }
};

} // namespace

void rules::addBuildRules(std::vector<std::unique_ptr<Rule>> &out) {
  out.push_back(std::make_unique<ZooKeeperFromTheInternet>());
}

//===- Emitter.h - State shared by the CloudFormation mappings --*- C++ -*-===//
//
// Private to Emit. One Emitter compiles one model: it owns the logical ids,
// the resources in emission order, the parameters and the outputs. Each family
// of kinds has its mapping in its own file (CfnNetwork.cpp, ...), as members
// of this class.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_EMIT_EMITTER_H
#define INFRAC_EMIT_EMITTER_H

#include "Emit/CloudFormation.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Allocator.h"

#include <string>
#include <vector>

namespace infrac::emit {

using sema::Resource;
using sema::Value;

class Emitter {
public:
  Emitter(const sema::Model &model, const CfnOptions &opts)
      : model(model), opts(opts), taken(2 * model.size()) {}
  llvm::Expected<Node> run();

  //===--- Logical ids ----------------------------------------------------===//
  /// The id given to `r` in the first pass (every mapped resource has one).
  llvm::StringRef id(const Resource *r) const;
  /// `base`, or `base2`, `base3`, ... when taken; reserves it.
  std::string uniqueId(llvm::StringRef base);
  /// uniqueId() without a copy: the Emitter's own, valid as long as it is.
  llvm::StringRef reserveId(llvm::StringRef base);

  //===--- Template parts -------------------------------------------------===//
  /// Adds a resource and returns its Properties (nodes never move).
  Node &add(llvm::StringRef id, llvm::StringRef type, llvm::ArrayRef<std::string> dependsOn = {});
  void output(llvm::StringRef id, Node value, llvm::StringRef description);
  /// The first failure wins; later mappings go on so the code stays simple.
  void fail(const llvm::Twine &msg);
  /// A template that deploys but may not work as designed.
  void warn(const llvm::Twine &msg) { warnings.push_back(msg.str()); }
  std::vector<std::string> warnings;

  //===--- Values ---------------------------------------------------------===//
  /// A string or integer as written: a `param` becomes {"Ref": Param}.
  Node scalar(const Value &v);
  /// scalar() for integers where CloudFormation wants a string.
  Node intString(const Value &v);
  /// {"Ref": id}: one node per resource, shared by every reference to it
  /// (a node is never changed once built).
  Node ref(const Resource *r) const;
  /// {"Fn::GetAtt": [id, "GroupId"]} of a security group, shared likewise.
  Node groupId(const Resource *sg) const;
  /// A list attribute of references as a list of Refs.
  Node refs(const Resource &r, llvm::StringRef attr) const;
  /// `tags` as [{Key, Value}] (with PropagateAtLaunch for ASGs); null if none.
  Node tags(const Resource &r, bool propagateAtLaunch = false);
  /// Tags plus a Name tag of the resource's path, as the console shows it.
  Node tagsWithName(const Resource &r, llvm::StringRef name);
  /// A list of security groups as their GroupIds.
  Node groupIds(const Resource &r, llvm::StringRef attr) const;

  //===--- Model lookups --------------------------------------------------===//
  /// The VPC's internet gateway attachment id, or empty when it has none.
  llvm::StringRef gatewayAttachment(const Resource *vpc) const;
  /// The VPC of a load balancer (its first subnet's).
  static const Resource *vpcOfSubnets(const Resource &r, llvm::StringRef attr);
  /// The load balancer that forwards to a target group, if any.
  const Resource *loadBalancerOf(const Resource *tg) const;
  /// Listeners and rules whose actions forward to the target group: what a
  /// request-count scaling policy must wait for.
  std::vector<std::string> attachmentsOf(const Resource *tg) const;

  //===--- Families (one file each) --------------------------------------===//
  void emitVpc(const Resource &r);
  void emitSubnet(const Resource &r);
  void emitSecurityGroup(const Resource &r);
  void emitTargetGroup(const Resource &r);
  void emitLoadBalancer(const Resource &r);
  void emitClassicLoadBalancer(const Resource &r);
  void emitLaunchTemplate(const Resource &r);
  void emitAutoScalingGroup(const Resource &r);
  void emitScalingPolicy(const Resource &asg, const Resource &policy);
  void emitEmrCluster(const Resource &r);
  void emitCoordination(const Resource &r);
  void emitSessionStore(const Resource &r);

  /// An ELBv2 action (forward, redirect, fixed_response).
  Node action(const Value &v);

  //===--- State the families share --------------------------------------===//
  const sema::Model &model;
  const CfnOptions &opts;
  /// Parameters the mappings add (AMIs from SSM), after the user's params.
  Node extraParameters = Node::map();
  /// The resources that connect a VPC to the internet (VPCs with public
  /// subnets or internet-facing load balancers); ids reserved up front.
  struct Internet {
    std::string gateway, attachment, routeTable, route;
  };
  llvm::DenseMap<const Resource *, Internet> internet;
  /// Public subnet of a VPC with an internet gateway -> the id of its route
  /// table association.
  llvm::DenseMap<const Resource *, std::string> routeAssociations;
  /// What an instance in `subnet` waits for to reach the internet at boot
  /// (the default route and the subnet's association); empty when the subnet
  /// is not public or its VPC has no internet gateway.
  std::vector<std::string> internetRouteOf(const Resource *subnet) const;
  /// VPC -> the ids of its secondary CIDR blocks, in order.
  llvm::DenseMap<const Resource *, std::vector<std::string>> cidrBlocks;

private:
  void assignIds();
  void collectForwards();
  Node parameters();

  llvm::DenseMap<const Resource *, llvm::StringRef> ids;
  mutable llvm::DenseMap<const Resource *, Node> refNodes, groupIdNodes;
  /// Every logical id given (the keys of `ids` point into it). Sized up front
  /// and in a bump allocator: one insertion per resource and derived resource.
  llvm::StringMap<llvm::NoneType, llvm::BumpPtrAllocator> taken;
  Node resources = Node::map();
  Node outputs = Node::map();
  /// Params referenced from the template, in order of first use.
  struct UsedParam {
    std::string id;
    Value value;
  };
  std::vector<std::pair<llvm::StringRef, UsedParam>> usedParams;
  /// Every param of the model -> its logical id.
  llvm::StringMap<std::string> paramIds;
  /// Target group -> (load balancer, listener/rule ids forwarding to it).
  struct Forwarding {
    const Resource *lb = nullptr;
    std::vector<std::string> from;
  };
  llvm::DenseMap<const Resource *, Forwarding> forwards;
  std::string firstError;
};

/// "10.0.0.0/16" -> (address, prefix length); false if it is not IPv4.
bool parseCidr(llvm::StringRef cidr, uint32_t &addr, unsigned &len);
/// "ShopAlbHttpsListener" -> "ShopAlbHttps".
std::string stripListener(llvm::StringRef id);
/// The part of an id before its kind suffix.
llvm::StringRef stripSuffix(llvm::StringRef id, llvm::StringRef suffix);
/// "web_asg" -> "WebAsg": each part between '_', '.' or '-' capitalised.
std::string camel(llvm::StringRef name);
/// Appends camel(name) to `out`.
void appendCamel(llvm::StringRef name, llvm::SmallVectorImpl<char> &out);
/// Milliseconds to whole seconds (rounded up: never shorter than written).
int64_t seconds(int64_t ms);
/// Bytes to whole GiB (rounded up).
int64_t gibibytes(int64_t bytes);
/// An enum symbol in upper case, as AWS spells protocols: "http" -> "HTTP".
std::string upper(llvm::StringRef s);

} // namespace infrac::emit

#endif

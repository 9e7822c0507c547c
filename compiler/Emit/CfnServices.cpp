//===- CfnServices.cpp - coordination, session_store ----------------------===//
//
// coordination  -> one AWS::EC2::Instance per server (voters, then observers),
//                  spread round-robin over the ensemble's subnets, each with a
//                  fixed private IP (the subnet's 11th address onwards) so that
//                  every server's zoo.cfg can list the others without a cycle of
//                  references; user data installs Debian's zookeeperd and writes
//                  zoo.cfg and myid. Without `image`, a parameter resolves the
//                  latest Debian 12 AMI from SSM. The connect string is an output.
//                  Elections and registries are the clients' own (znodes).
// session_store -> external redis: AWS::ElastiCache::ReplicationGroup;
//                  memcached: AWS::ElastiCache::CacheCluster (each with a
//                  SubnetGroup when subnets are given); dynamodb:
//                  AWS::DynamoDB::Table with TTL. Replicated sessions live in
//                  the app servers themselves: nothing is emitted.
//
//===----------------------------------------------------------------------===//

#include "Emit/Emitter.h"

#include "llvm/ADT/StringExtras.h"

using namespace infrac;
using namespace infrac::emit;
using VK = sema::Value::Kind;
using llvm::StringRef;

namespace {

std::string ipText(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

/// Graviton families ("t4g", "m7gd") run arm64 images.
bool isArm(StringRef instanceType) {
  StringRef family = instanceType.split('.').first;
  size_t digit = family.find_first_of("0123456789");
  return digit != StringRef::npos && family.substr(digit).contains('g');
}

} // namespace

void Emitter::emitCoordination(const Resource &r) {
  int64_t voters = r.getInt("ensemble").value_or(3);
  int64_t observers = r.getInt("observers").value_or(0);
  const Value *subnets = r.get("subnets");
  if (!subnets || subnets->items.empty()) {
    fail("coordination '" + r.name +
         "' needs 'subnets' for infrac build (its servers get fixed addresses in them)");
    return;
  }
  StringRef instanceType = r.getString("instance_type");
  int64_t tick = r.getInt("tick").value_or(2000);
  int64_t clientPort = r.getInt("client_port").value_or(2181);
  int64_t quorumPort = r.getInt("quorum_port").value_or(2888);
  int64_t electionPort = r.getInt("election_port").value_or(3888);

  // Addresses: server n goes to subnet n mod k, at the subnet's (11 + n / k)th address.
  struct Server {
    const Resource *subnet;
    std::string ip;
    bool observer;
  };
  std::vector<Server> servers;
  size_t k = subnets->items.size();
  for (int64_t n = 0; n < voters + observers; ++n) {
    const Resource *subnet = subnets->items[n % k].ref;
    uint32_t base;
    unsigned len;
    if (!subnet || !parseCidr(subnet->getString("cidr"), base, len)) {
      fail("coordination '" + r.name + "': subnet without an IPv4 CIDR block");
      return;
    }
    servers.push_back({subnet, ipText(base + 10 + uint32_t(n / k)), n >= voters});
  }

  // Without an image the user data installs ZooKeeper from the Debian
  // mirrors: BLD002 warns when a server's subnet cannot reach them.
  Node image;
  if (const Value *v = r.get("image")) {
    image = scalar(*v);
  } else {
    std::string paramId = uniqueId(id(&r).str() + "ImageId");
    Node p = Node::map();
    p.add("Type", Node::string("AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"));
    p.add("Default",
          Node::string(isArm(instanceType) ? "/aws/service/debian/release/12/latest/arm64"
                                           : "/aws/service/debian/release/12/latest/amd64"));
    p.add("Description",
          Node::string(("AMI of the ZooKeeper servers of '" + r.name + "' (Debian 12)").str()));
    extraParameters.add(paramId, std::move(p));
    image = Node::ref(paramId);
  }

  std::string config;
  llvm::raw_string_ostream cfg(config);
  cfg << "tickTime=" << tick << "\ninitLimit=" << r.getInt("init_limit").value_or(10)
      << "\nsyncLimit=" << r.getInt("sync_limit").value_or(5)
      << "\ndataDir=/var/lib/zookeeper\nclientPort=" << clientPort << "\n";
  if (auto timeout = r.getInt("session_timeout"))
    cfg << "# clients ask for a session timeout of " << *timeout << " ms\n";
  for (size_t n = 0; n < servers.size(); ++n)
    cfg << "server." << n + 1 << "=" << servers[n].ip << ":" << quorumPort << ":" << electionPort
        << (servers[n].observer ? ":observer" : "") << "\n";
  cfg.flush();

  std::string connect;
  for (size_t n = 0; n < servers.size(); ++n)
    if (!servers[n].observer)
      connect += (connect.empty() ? "" : ",") + servers[n].ip + ":" + std::to_string(clientPort);

  for (size_t n = 0; n < servers.size(); ++n) {
    const Server &s = servers[n];
    std::string script = "#!/bin/bash\n"
                         "# ZooKeeper server " +
                         std::to_string(n + 1) + " of ensemble '" + r.name.str() +
                         "' (infrac build)\n"
                         "set -euo pipefail\n"
                         "export DEBIAN_FRONTEND=noninteractive\n"
                         "apt-get update -q\n"
                         "apt-get install -y -q zookeeperd\n"
                         "cat > /etc/zookeeper/conf/zoo.cfg <<'EOF'\n" +
                         config + (s.observer ? "peerType=observer\n" : "") +
                         "EOF\n"
                         "echo " +
                         std::to_string(n + 1) +
                         " > /var/lib/zookeeper/myid\n"
                         "systemctl restart zookeeper\n";
    // The user data installs ZooKeeper from the Debian mirrors: in a public
    // subnet the server waits for its route to the internet.
    Node &p = add(reserveId(id(&r).str() + "Server" + std::to_string(n + 1)), "AWS::EC2::Instance",
                  internetRouteOf(s.subnet));
    p.add("ImageId", image);
    p.add("InstanceType", scalar(*r.get("instance_type")));
    p.add("SubnetId", ref(s.subnet));
    p.add("PrivateIpAddress", Node::string(s.ip));
    Node groups = groupIds(r, "security_groups");
    if (!groups.empty())
      p.add("SecurityGroupIds", std::move(groups));
    Node b64 = Node::map();
    b64.add("Fn::Base64", Node::string(script));
    p.add("UserData", std::move(b64));
    Node tags = tagsWithName(r, (r.name + "-" + std::to_string(n + 1)).str());
    Node &role = tags.push(Node::map());
    role.add("Key", Node::string("infrac:role"));
    role.add("Value", Node::string(s.observer ? "zookeeper-observer" : "zookeeper-voter"));
    p.add("Tags", std::move(tags));
  }
  output(id(&r).str() + "ConnectString", Node::string(connect),
         ("ZooKeeper connect string of '" + r.name + "'").str());
}

void Emitter::emitSessionStore(const Resource &r) {
  if (r.getEnum("type") != "external")
    return;
  StringRef engine = r.getEnum("engine");
  std::string description = ("web sessions of '" + r.name + "'").str();

  if (engine == "dynamodb") {
    Node &p = add(id(&r), "AWS::DynamoDB::Table");
    auto attr = [](StringRef name, StringRef type, StringRef key) {
      Node n = Node::map();
      n.add("AttributeName", Node::string(name));
      n.add(key, Node::string(type));
      return n;
    };
    Node defs = Node::list();
    defs.push(attr("SessionId", "S", "AttributeType"));
    p.add("AttributeDefinitions", std::move(defs));
    Node keys = Node::list();
    keys.push(attr("SessionId", "HASH", "KeyType"));
    p.add("KeySchema", std::move(keys));
    p.add("BillingMode", Node::string("PAY_PER_REQUEST"));
    Node ttl = Node::map();
    ttl.add("AttributeName", Node::string("ExpiresAt"));
    ttl.add("Enabled", Node::boolean(true));
    p.add("TimeToLiveSpecification", std::move(ttl));
    output(id(&r).str() + "Name", ref(&r), "table of " + description);
    return;
  }

  std::string subnetGroup;
  Node subnets = refs(r, "subnets");
  if (!subnets.empty()) {
    subnetGroup = uniqueId(id(&r).str() + "SubnetGroup");
    Node &g = add(subnetGroup, "AWS::ElastiCache::SubnetGroup");
    g.add("Description", Node::string(description));
    g.add("SubnetIds", std::move(subnets));
  }
  int64_t nodes = r.getInt("nodes").value_or(1);
  Node groups = groupIds(r, "security_groups");
  if (engine == "memcached") {
    Node &p = add(id(&r), "AWS::ElastiCache::CacheCluster");
    p.add("Engine", Node::string("memcached"));
    p.add("CacheNodeType", scalar(*r.get("node_type")));
    p.add("NumCacheNodes", scalar(*r.get("nodes")));
    if (nodes > 1)
      p.add("AZMode", Node::string("cross-az"));
    if (const Value *port = r.get("port"))
      p.add("Port", scalar(*port));
    if (!subnetGroup.empty())
      p.add("CacheSubnetGroupName", Node::ref(subnetGroup));
    if (!groups.empty())
      p.add("VpcSecurityGroupIds", std::move(groups));
    output(id(&r).str() + "Endpoint", Node::getAtt(id(&r), "ConfigurationEndpoint.Address"),
           "endpoint of " + description);
    return;
  }
  Node &p = add(id(&r), "AWS::ElastiCache::ReplicationGroup");
  p.add("ReplicationGroupDescription", Node::string(description));
  p.add("Engine", Node::string("redis"));
  p.add("CacheNodeType", scalar(*r.get("node_type")));
  p.add("NumCacheClusters", scalar(*r.get("nodes")));
  p.add("AutomaticFailoverEnabled", Node::boolean(nodes > 1));
  p.add("MultiAZEnabled", Node::boolean(nodes > 1));
  if (const Value *port = r.get("port"))
    p.add("Port", scalar(*port));
  if (!subnetGroup.empty())
    p.add("CacheSubnetGroupName", Node::ref(subnetGroup));
  if (!groups.empty())
    p.add("SecurityGroupIds", std::move(groups));
  p.add("AtRestEncryptionEnabled", Node::boolean(true));
  output(id(&r).str() + "Endpoint", Node::getAtt(id(&r), "PrimaryEndPoint.Address"),
         "endpoint of " + description);
}

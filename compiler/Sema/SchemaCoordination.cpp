//===- SchemaCoordination.cpp - coordination ensembles, session stores ----===//
//
// Defaults for the ensemble follow ZooKeeper's sample configuration
// (zoo_sample.cfg: tickTime=2000, initLimit=10, syncLimit=5, ports 2181/2888/3888).
//
//===----------------------------------------------------------------------===//

#include "Sema/Schema.h"

using namespace infrac::sema;

static const AttrSpec coordinationAttrs[] = {
    {"ensemble", "int(..1000)", "3", Optional, "number of voting servers"},
    {"observers", "int(..1000)", "0", Optional, "non-voting servers"},
    {"tick", "duration", "2s", Optional, "ZooKeeper tickTime"},
    {"init_limit", "int", "10", Optional, "ticks a follower may take to connect and sync"},
    {"sync_limit", "int", "5", Optional, "ticks a follower may lag"},
    {"session_timeout", "duration", nullptr, Derived,
     "client session timeout; 3 ticks when not set (ZooKeeper allows 2..20 ticks)"},
    {"tolerate", "int", nullptr, Optional, "server failures the ensemble must survive"},
    {"subnets", "list(ref(subnet))", nullptr, Optional, "subnets the servers are spread over"},
    {"instance_type", "string", "\"t3.small\"", Optional, "server instance type"},
    {"image", "string", nullptr, Optional, "server AMI (for infrac build)"},
    {"security_groups", "list(ref(security_group))", nullptr, Optional,
     "security groups of the servers"},
    {"client_port", "int", "2181", Optional, "client port"},
    {"quorum_port", "int", "2888", Optional, "follower-to-leader port"},
    {"election_port", "int", "3888", Optional, "leader election port"},
    {"backend", "string", nullptr, LocalOnly,
     "use a real ZooKeeper at host:port instead of the embedded service"},
};

static const ChildSpec coordinationChildren[] = {
    {"election", "election", Multiple},
    {"service", "service", Multiple},
};

static const AttrSpec electionAttrs[] = {
    {"path", "string", nullptr, Derived, "election znode; \"/election/<name>\" when not set"},
    {"members", "union(int(..10000), ref(instance_group|auto_scaling_group|emr_cluster))",
     nullptr, Required, "who runs for leader: a node group, an ASG, or a count"},
    {"recipe", "enum(predecessor|herd)", "predecessor", LocalOnly,
     "predecessor: each candidate watches only the one before it; herd: all watch the leader"},
};

static const AttrSpec serviceAttrs[] = {
    {"path", "string", nullptr, Derived, "registry znode; \"/services/<name>\" when not set"},
    {"members", "ref(instance_group|auto_scaling_group|emr_cluster)", nullptr, Required,
     "who registers (an ephemeral znode each)"},
    {"port", "int", nullptr, Optional, "port registered with each member"},
};

static const AttrSpec sessionStoreAttrs[] = {
    {"type", "enum(external|replicated)", nullptr, Required,
     "external: a shared store; replicated: copies among the app servers"},
    {"engine", "enum(redis|memcached|dynamodb)", "redis", Optional,
     "the external store's engine"},
    {"node_type", "string", "\"cache.t3.micro\"", Optional, "cache node type"},
    {"nodes", "int(..1000)", "1", Optional, "cache nodes"},
    {"replication", "enum(all_to_all|backup)", "all_to_all", Optional,
     "replicated: every node holds every session, or one backup per session"},
    {"members", "ref(auto_scaling_group)", nullptr, Optional, "replicated: the app servers"},
    {"subnets", "list(ref(subnet))", nullptr, Optional, "subnets of the store"},
    {"security_groups", "list(ref(security_group))", nullptr, Optional,
     "security groups of the store"},
    {"ttl", "duration", "30m", Optional, "session lifetime after last use"},
    {"port", "int", nullptr, Derived, "store port; 6379 redis, 11211 memcached"},
    {"backend", "string", nullptr, LocalOnly,
     "infrac run: use a real Redis at host:port instead of the embedded store"},
};

static const BlockSpec blocks[] = {
    {"coordination", "coordination", LabelKind::Name, nullptr, true, false,
     coordinationAttrs, coordinationChildren, "a ZooKeeper-style coordination ensemble"},
    {"election", "coordination", LabelKind::Name, nullptr, false, false, electionAttrs,
     {}, "a leader election among members"},
    {"service", "coordination", LabelKind::Name, nullptr, false, false, serviceAttrs,
     {}, "a service registry"},
    {"session_store", "coordination", LabelKind::Name, nullptr, true, false,
     sessionStoreAttrs, {}, "where web sessions live"},
};

static const MemberSpec members[] = {
    {"election", "leader", false, "member"},
    {"coordination", "servers", true, "server"},
    {"coordination", "leader", false, "server"},
};

SchemaFamily infrac::sema::coordinationSchema() { return {blocks, {}, members}; }

//===- SchemaEmr.cpp - emr_cluster and its node groups --------------------===//

#include "Sema/Schema.h"

using namespace infrac::sema;

static const AttrSpec clusterAttrs[] = {
    {"release", "string", nullptr, Required, "release label, e.g. \"emr-6.15.0\""},
    {"applications",
     "list(enum(hadoop|spark|hive|hbase|flink|trino|presto|tez|pig|hue|oozie|livy|"
     "jupyterhub|zeppelin|zookeeper|phoenix|sqoop|hcatalog|tensorflow|mxnet|mahout|"
     "ganglia|hudi|iceberg|delta))",
     "[hadoop]", Optional, "applications to install"},
    {"subnet", "ref(subnet)", nullptr, Optional, "subnet (instance groups)"},
    {"subnets", "list(ref(subnet))", nullptr, Optional, "candidate subnets (instance fleets)"},
    {"collection", "enum(groups|fleets)", "groups", Optional,
     "uniform instance groups or instance fleets"},
    {"service_role", "string", "\"EMR_DefaultRole\"", Optional, "EMR service role"},
    {"job_flow_role", "string", "\"EMR_EC2_DefaultRole\"", Optional, "EC2 instance profile"},
    {"log_uri", "string", nullptr, Optional, "S3 location for logs"},
    {"idle_timeout", "duration(s)", nullptr, Optional, "terminate when idle this long (1 m..7 d)"},
    {"termination_protection", "bool", "false", Optional, "termination protection"},
    {"security_configuration", "string", nullptr, Optional, "EMR security configuration"},
    {"configurations", "map(map(string))", nullptr, Optional,
     "classification properties, e.g. { \"hdfs-site\" = { \"dfs.replication\" = \"2\" } }"},
    {"tags", "map(string)", nullptr, Optional, "resource tags"},
};

static const ChildSpec clusterChildren[] = {
    {"primary", "instance_group", RequiredChild},
    {"core", "instance_group", One},
    {"task", "instance_group", Multiple},
};

static const AttrSpec groupAttrs[] = {
    {"instance_type", "string", nullptr, Optional, "instance type (instance groups)"},
    {"instance_types", "list(string)", nullptr, Optional, "candidate types (instance fleets)"},
    {"count", "int(..10000)", "1", Optional, "number of instances (instance groups)"},
    {"market", "enum(on_demand|spot)", "on_demand", Optional, "purchase option"},
    {"bid_price", "string", nullptr, Optional, "spot bid (default: on-demand price)"},
    {"target_on_demand", "int(..10000)", nullptr, Optional, "on-demand capacity units (fleets)"},
    {"target_spot", "int(..10000)", nullptr, Optional, "spot capacity units (fleets)"},
    {"spot_timeout", "duration(m)", nullptr, Optional, "how long to wait for spot capacity (fleets)"},
    {"spot_timeout_action", "enum(switch_to_on_demand|terminate_cluster)", nullptr,
     Optional, "what to do when spot capacity does not come"},
    {"volume_size", "size(GiB)", nullptr, Optional, "EBS volume per instance"},
};

static const BlockSpec blocks[] = {
    {"emr_cluster", "emr", LabelKind::Name, nullptr, true, false, clusterAttrs,
     clusterChildren, "an Amazon EMR cluster"},
    {"instance_group", "emr", LabelKind::OptionalName, nullptr, false, false,
     groupAttrs, {}, "an EMR node group or fleet: primary, core or task"},
};

static const MemberSpec members[] = {
    {"instance_group", "nodes", true, "node"},
};

SchemaFamily infrac::sema::emrSchema() { return {blocks, {}, members}; }

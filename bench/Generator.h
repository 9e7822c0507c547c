//===- Generator.h - Synthetic .infra files of N resources ------*- C++ -*-===//
#ifndef INFRAC_BENCH_GENERATOR_H
#define INFRAC_BENCH_GENERATOR_H

#include <cstddef>
#include <string>
#include <vector>

namespace infrac::bench {

/// What a generated file holds.
struct GeneratedFile {
  std::string text;
  size_t resources = 0; ///< Declared resources, nested ones included.
  size_t lines = 0;
};

/// A valid .infra file of about `resources` resources (never fewer): one VPC
/// with two subnets, then repeated fragments of a web tier — security group,
/// two target groups, an ALB with a listener and rules, a launch template, an
/// ASG with a tracking policy — and an NLB with a TCP listener. The same N
/// always gives the same bytes.
GeneratedFile generate(size_t resources);

/// The topology of the build benchmark, `fragments` times over one VPC with
/// two public subnets; the same topology as bench/cdk/synth.js. Each fragment:
/// an internet-facing ALB with its security group, an HTTP listener whose
/// default forwards to one target group and a `/api/*` rule to another, a
/// launch template and an ASG registered with both (its own security group
/// admits the ALB) tracking requests per target, and an internal NLB with a
/// TCP listener and its target group (the same instances).
GeneratedFile generateBuildTopology(size_t fragments);

// The benchmarks' shared command line.

/// A positive decimal number.
bool parseSize(const std::string &s, size_t &out);
/// `N,N,...` (the value of --sizes=) into `out`; false if any item is not a
/// positive number.
bool parseSizes(const std::string &list, std::vector<size_t> &out);
bool writeWhole(const std::string &path, const std::string &text);
/// `gen N [-o FILE]`: the file `generator` makes for N, to FILE or standard
/// output. `args` starts with "gen"; returns the exit code, or -1 for a usage
/// error.
int generateCommand(const std::vector<std::string> &args, GeneratedFile (*generator)(size_t));

} // namespace infrac::bench

#endif

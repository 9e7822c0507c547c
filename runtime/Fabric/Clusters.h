//===- Clusters.h - EMR clusters and coordination ensembles in the Fabric -*- C++ -*-===//
//
// The part of the Fabric that runs EMR clusters (nodes with their roles) and
// coordination ensembles (servers, sessions, znodes and the elections of
// their members). Private to runtime/Fabric.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_FABRIC_CLUSTERS_H
#define INFRAC_RUNTIME_FABRIC_CLUSTERS_H

#include "Fabric/Fabric.h"

#include <optional>
#include <string>

namespace infrac::runtime {

class Clusters {
public:
  explicit Clusters(Fabric &f);
  ~Clusters();
  /// EMR nodes and ensemble servers are up; elections begin.
  void start();
  /// An Auto Scaling instance is running (its members join elections).
  void instanceUp(uint32_t id);
  /// An Auto Scaling instance stopped (its members' sessions will expire).
  void instanceDown(uint32_t id);
  /// A wake-up scheduled by this part (Fabric::TmCluster, TmCoord).
  void onWake(const Timer &t);
  /// A zone failed: the EMR nodes and ensemble servers there are lost, as
  /// machines are (an ensemble leader lost this way goes unnoticed for
  /// syncLimit ticks).
  void zoneLost(uint32_t zone);
  /// An action on one of its resources; false when the reference is not its.
  bool act(ActionKind action, const TargetRef &ref);
  /// A metric of one of its resources; nullopt when not its.
  std::optional<double> metric(MetricId m, const ObjectRef &o, std::string &shown) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace infrac::runtime

#endif

//===- Clusters.h - EMR clusters and coordination ensembles in the world -*- C++ -*-===//
//
// The part of the simulated world that runs EMR clusters (nodes with their
// roles) and coordination ensembles (servers, sessions, znodes and the
// elections of their members) on the controllers of runtime/Controllers.
// Private to runtime/Sim.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_SIM_CLUSTERS_H
#define INFRAC_RUNTIME_SIM_CLUSTERS_H

#include "Sim/World.h"

#include <optional>
#include <string>

namespace infrac::runtime::sim {

class Clusters {
public:
  Clusters(World &w, const sema::Model &m);
  ~Clusters();
  /// EMR nodes and ensemble servers are up at 0s; elections begin.
  void start();
  /// An Auto Scaling instance is running (its members join elections).
  void instanceUp(uint32_t id);
  /// An Auto Scaling instance stopped (its members' sessions will expire).
  void instanceDown(uint32_t id);
  /// A wake-up scheduled by this part.
  void onWake(const Timer &t);
  /// A scenario action ("kill", "stop", "recover", "interrupt", ...) on a
  /// reference to one of its resources; false when the reference is not its.
  bool act(llvm::StringRef action, const Value &ref);
  /// An expectation's metric on one of its resources; nullopt when not its.
  std::optional<double> metric(llvm::StringRef fn, const Value &arg, std::string &shown);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace infrac::runtime::sim

#endif

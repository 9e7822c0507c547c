//===- Clusters.cpp - EMR clusters and coordination ensembles in the world -===//

#include "Sim/Clusters.h"

namespace infrac::runtime::sim {

struct Clusters::Impl {
  World &w;
  const sema::Model &model;
};

Clusters::Clusters(World &w, const sema::Model &m) : impl(new Impl{w, m}) {}
Clusters::~Clusters() = default;
void Clusters::start() {}
void Clusters::instanceUp(uint32_t) {}
void Clusters::instanceDown(uint32_t) {}
void Clusters::onWake(const Timer &) {}
bool Clusters::act(llvm::StringRef, const Value &) { return false; }
std::optional<double> Clusters::metric(llvm::StringRef, const Value &, std::string &) {
  return std::nullopt;
}

} // namespace infrac::runtime::sim

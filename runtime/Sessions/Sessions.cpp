//===- Sessions.cpp - Session strategies as pure decisions ----------------===//
//
// serveSession is a template in Sessions.h (it runs per request, inlined into
// the shell's data plane); this file names the strategies.
//
//===----------------------------------------------------------------------===//

#include "Sessions/Sessions.h"

namespace infrac::runtime {

const char *strategyName(SessionStrategy s) {
  switch (s) {
  case SessionStrategy::None: return "none";
  case SessionStrategy::InMemory: return "in_memory";
  case SessionStrategy::Replicated: return "replicated";
  case SessionStrategy::External: return "external";
  }
  return "?";
}

} // namespace infrac::runtime

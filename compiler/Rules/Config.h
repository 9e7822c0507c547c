//===- Config.h - The project configuration file ----------------*- C++ -*-===//
//
// `.infrac.yaml`, found in the directory of each checked file or the nearest
// one above it, sets the project's rule choices once instead of on every
// command line:
//
//   rules:
//     disable: [SEC008]          # off
//     warn: [SEC010, SES001]     # warnings (also turns informational rules on)
//     error: [SEC001]            # errors
//   warnings_as_errors: true     # like --Werror
//
// Command-line flags win over the file. Problems in the file are diagnostics
// that point into it.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RULES_CONFIG_H
#define INFRAC_RULES_CONFIG_H

#include "Rules/Rule.h"

#include <string>

namespace infrac::rules {

inline constexpr const char *ConfigFileName = ".infrac.yaml";

/// What a configuration file says.
struct ProjectConfig {
  RuleOptions rules;
  bool warningsAsErrors = false;
};

/// The configuration governing `file`: the nearest `.infrac.yaml` in its
/// directory or above; empty when there is none.
std::string findConfigFor(llvm::StringRef file);

/// Reads a configuration file. Problems are reported as diagnostics located
/// in the file (which is added to the diagnostics' SourceMgr); returns false
/// when the file cannot be read or has errors.
bool loadConfig(llvm::StringRef path, DiagnosticEngine &diags, ProjectConfig &out);

} // namespace infrac::rules

#endif

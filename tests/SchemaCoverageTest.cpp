//===- SchemaCoverageTest.cpp - No attribute silently left out of build ---===//
//
// Walks the schema: every attribute of every kind is emitted into the
// CloudFormation template (the emitter reads it by name), is marked
// LocalOnly (run and sim only), belongs to a kind that is never deployed, or
// is a statement about the design that a rule checks and that has nothing to
// deploy (the table below, with the rule). A new attribute that is none of
// these fails here instead of vanishing from every template.
//
//===----------------------------------------------------------------------===//

#include "Sema/Schema.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace infrac;
using namespace infrac::sema;
using namespace infrac::test;

namespace {

/// Kinds that `infrac build` never deploys, and why.
const std::pair<const char *, const char *> localKinds[] = {
    {"scenario", "scenarios are run by infrac sim, never deployed"},
    {"load", "part of a scenario"},
    {"event", "part of a scenario"},
    {"echo", "the app the local runtime runs on an instance"},
    {"command", "the app the local runtime runs on an instance"},
};

/// Attributes that are checked, not deployed: each names the rule that reads it.
struct Checked {
  const char *kind, *attr, *by;
};
const Checked checkedOnly[] = {
    {"coordination", "tolerate", "ZK003 (the ensemble is large enough for it)"},
    {"load_balancer", "security_groups_at_creation", "ELB004 (a statement of intent)"},
    {"election", "members", "the local runtime's leader election (sim and run)"},
    {"service", "members", "the local runtime's registry (sim and run)"},
    {"session_store", "replication", "SES002; replicated stores live on the app servers"},
    {"session_store", "members", "SES001, SES002; replicated stores live on the app servers"},
    {"session_store", "ttl", "the app's session lifetime (sim and run)"},
};

std::string emitterSources() {
  std::string all;
  for (const std::string &f : listFiles("compiler/Emit", ".cpp", false))
    all += readFile(f);
  for (const std::string &f : listFiles("compiler/Emit", ".h", false))
    all += readFile(f);
  return all;
}

TEST(SchemaCoverageTest, EveryAttributeIsEmittedLocalOrChecked) {
  std::string emit = emitterSources();
  ASSERT_GT(emit.size(), 10000u) << "the emitter's sources were not found";
  std::set<std::string> local;
  for (auto [k, why] : localKinds)
    local.insert(k);
  unsigned emitted = 0;
  for (const BlockSpec *b : Schema::get().blocks()) {
    if (local.count(b->kind))
      continue;
    for (const AttrSpec &a : b->attrs) {
      if (a.flags & LocalOnly)
        continue;
      bool checked = false;
      for (const Checked &c : checkedOnly)
        checked |= llvm::StringRef(c.kind) == b->kind && llvm::StringRef(c.attr) == a.name;
      if (checked)
        continue;
      bool read = emit.find("\"" + std::string(a.name) + "\"") != std::string::npos;
      EXPECT_TRUE(read) << b->kind << "." << a.name
                        << " is neither emitted (compiler/Emit never reads it), LocalOnly, nor "
                           "a checked statement: `infrac build` would drop it silently";
      emitted += read;
    }
  }
  EXPECT_GT(emitted, 100u);
}

TEST(SchemaCoverageTest, TheTablesNameRealAttributes) {
  for (const Checked &c : checkedOnly) {
    const BlockSpec *b = Schema::get().findBlock(c.kind);
    ASSERT_TRUE(b) << c.kind;
    EXPECT_TRUE(b->findAttr(c.attr)) << c.kind << "." << c.attr;
    EXPECT_FALSE(b->findAttr(c.attr)->flags & LocalOnly)
        << c.kind << "." << c.attr << " is LocalOnly: take it out of the table";
  }
  for (auto [k, why] : localKinds)
    EXPECT_TRUE(Schema::get().findBlock(k)) << k;
}

} // namespace

//===- Model.h - The resolved, typed model of the infrastructure -*- C++ -*-===//
//
// What every later stage consumes (rules, CloudFormation, diagrams, runtime,
// simulator): resources in declaration order, each with every attribute of its
// kind, typed, in canonical units, defaults applied, references resolved to the
// resources they name, and the source range of each value.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_SEMA_MODEL_H
#define INFRAC_SEMA_MODEL_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Sema/Schema.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/StringSaver.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace infrac::sema {

struct Resource;
struct NamedValue;

/// A typed value. Canonical units: Duration in milliseconds, Size in bytes,
/// Percent in percent (0..100), Rate per second.
struct Value {
  enum class Kind : unsigned char {
    None, ///< Unset, or erroneous (already diagnosed).
    Bool,
    Int,
    Number,
    String,
    Duration,
    Size,
    Percent,
    Rate,
    Enum,
    Ref,
    List,
    Map,
    Call,
    Object,
    Compare,
    And,
  };
  Kind kind = Kind::None;
  ast::CompareOp op = ast::CompareOp::EQ; ///< Compare.
  llvm::SMRange range;
  union {
    bool b;
    int64_t i; ///< Int, Duration (ms), Size (bytes).
    double d;  ///< Number, Percent, Rate.
  };
  llvm::StringRef str;        ///< String, Enum symbol, Call's function name.
  Resource *ref = nullptr;    ///< Ref target; Object's resource.
  llvm::StringRef member;     ///< Ref: "instances", "leader", ... (may be empty).
  int64_t index = -1;         ///< Ref: member index, -1 if none.
  llvm::ArrayRef<Value> items; ///< List; Call positional args; Compare lhs,rhs; And.
  llvm::ArrayRef<Value> weights; ///< Call: weight per positional arg (None if none).
  llvm::ArrayRef<NamedValue> fields; ///< Map entries; Call named args.

  Value() : i(0) {}
  bool isSet() const { return kind != Kind::None; }
  /// The kind of what a reference denotes: a member's pseudo-kind or the target's.
  llvm::StringRef refKind() const;
  const NamedValue *field(llvm::StringRef name) const;
};

struct NamedValue {
  llvm::StringRef name;
  llvm::SMRange nameRange;
  Value value;
};

struct Attr {
  const AttrSpec *spec = nullptr;
  Value value;
  llvm::SMRange range;    ///< key = value (the block's header for defaults).
  llvm::SMRange keyRange; ///< The key.
  bool isDefault = false;
};

struct Expectation {
  Value condition;
  Value within; ///< Duration or None.
  Value after;  ///< Duration or None.
  llvm::SMRange range;
};

struct Resource {
  const BlockSpec *spec = nullptr;
  llvm::StringRef keyword; ///< As written: "core", "listener"; the kind at top level.
  std::string name;        ///< Empty for anonymous blocks.
  std::string path;        ///< Qualified: "shop_alb.http.api", "web.health_check".
  llvm::SMRange range;     ///< The whole block.
  llvm::SMRange nameRange; ///< The name (or the keyword when anonymous).
  Resource *parent = nullptr;
  bool implicit = false; ///< Not written: created with its defaults.
  Value label;           ///< LabelKind::Value blocks: `at 30s`, `load shop_alb`.
  std::vector<Attr> attrs; ///< Set or defaulted, in schema order.
  std::vector<Resource *> children;
  std::vector<Expectation> expectations;

  llvm::StringRef kind() const { return spec->kind; }
  const Attr *attr(llvm::StringRef name) const;
  /// The value of an attribute, or null when unset and without default.
  const Value *get(llvm::StringRef name) const;
  std::optional<int64_t> getInt(llvm::StringRef name) const;
  std::optional<bool> getBool(llvm::StringRef name) const;
  llvm::StringRef getEnum(llvm::StringRef name) const;
  llvm::StringRef getString(llvm::StringRef name) const;
  const Resource *getRef(llvm::StringRef name) const;
  const Resource *child(llvm::StringRef keyword) const;
  std::vector<const Resource *> childrenOf(llvm::StringRef keyword) const;
  const Resource *topLevel() const;
};

struct ParamValue {
  llvm::StringRef name;
  const ast::Expr *expr = nullptr; ///< The default, or the -P override.
  bool overridden = false;
  llvm::SMRange range;
};

class Model {
public:
  /// Top-level resources in declaration order (files in load order).
  std::vector<Resource *> resources;
  std::vector<ParamValue> params;

  const Resource *find(llvm::StringRef name) const;
  /// Visits every resource, parents before children, in declaration order.
  template <typename Fn> void forEach(Fn &&fn) const {
    std::vector<const Resource *> stack(resources.rbegin(), resources.rend());
    while (!stack.empty()) {
      const Resource *r = stack.back();
      stack.pop_back();
      fn(*r);
      for (auto it = r->children.rbegin(); it != r->children.rend(); ++it)
        stack.push_back(*it);
    }
  }
  size_t size() const { return storage.size(); }

  // Construction (Sema only).
  Resource *newResource() {
    storage.push_back(std::make_unique<Resource>());
    return storage.back().get();
  }
  template <typename T> llvm::ArrayRef<T> copy(llvm::ArrayRef<T> xs) {
    if (xs.empty())
      return {};
    T *mem = arena.Allocate<T>(xs.size());
    std::uninitialized_copy(xs.begin(), xs.end(), mem);
    return {mem, xs.size()};
  }
  llvm::StringRef save(llvm::StringRef s) { return saver.save(s); }
  llvm::StringMap<Resource *> byName;

private:
  std::vector<std::unique_ptr<Resource>> storage;
  llvm::BumpPtrAllocator arena;
  llvm::UniqueStringSaver saver{arena};
};

/// A command-line parameter override: -P name=value.
struct ParamOverride {
  std::string name;
  const ast::Expr *value = nullptr;
  llvm::SMRange range;
};

struct SemaOptions {
  std::vector<ParamOverride> paramOverrides;
};

/// Builds the model: declares, resolves, type-checks, normalises and applies
/// defaults, reporting what is wrong. Never fails; erroneous values are None.
std::unique_ptr<Model> buildModel(const ast::Program &program,
                                  DiagnosticEngine &diags,
                                  const SemaOptions &opts = {});

/// A stable text dump of the model (for --emit=model and golden tests).
void dumpModel(const Model &model, const llvm::SourceMgr &sm, llvm::raw_ostream &os);
/// A value in source syntax, canonical units.
void printValue(const Value &v, llvm::raw_ostream &os);

} // namespace infrac::sema

#endif

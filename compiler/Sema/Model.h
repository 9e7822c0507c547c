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

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
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
    Weighted, ///< `target: weight` in a call: items = {target, weight}.
  };
  Kind kind = Kind::None;
  ast::CompareOp op = ast::CompareOp::EQ; ///< Compare.
  llvm::SMRange range;
  union {
    bool b;
    int64_t i; ///< Int, Duration (ms), Size (bytes); Ref: member index or -1.
    double d;  ///< Number, Percent, Rate.
  };
  Resource *ref = nullptr; ///< Ref target; Object's resource.
  /// String, Enum symbol, Call's function name, Object's kind; Ref: the member
  /// ("instances", "leader") or empty.
  llvm::StringRef str;
  llvm::ArrayRef<Value> items; ///< List; Call positional args; Compare lhs,rhs; And; Weighted.
  llvm::ArrayRef<NamedValue> fields; ///< Map entries; Call named args.

  Value() : i(0) {}
  bool isSet() const { return kind != Kind::None; }
  /// Ref: the member named after the target, if any.
  llvm::StringRef member() const { return kind == Kind::Ref ? str : llvm::StringRef(); }
  /// Ref: the member's index, or -1.
  int64_t index() const { return kind == Kind::Ref ? i : -1; }
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
  llvm::SMRange keyRange; ///< The key (the block's name for derived defaults).
  bool isDefault = false;
  /// key = value (empty for defaults).
  llvm::SMRange range() const { return {keyRange.Start, value.range.End}; }
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
  llvm::StringRef name;    ///< Empty for anonymous blocks.
  llvm::StringRef path;    ///< Qualified: "shop_alb.http.api", "web.health_check".
  llvm::SMRange range;     ///< The whole block.
  llvm::SMRange nameRange; ///< The name (or the keyword when anonymous).
  Resource *parent = nullptr;
  bool implicit = false; ///< Not written: created with its defaults.
  Value label;           ///< LabelKind::Value blocks: `at 30s`, `load shop_alb`.
  /// Attributes written or derived, in schema order. Static defaults are not
  /// stored per resource: attr() and forEachAttr() supply them.
  std::vector<Attr> attrs;
  std::vector<Resource *> children;
  std::vector<Expectation> expectations;

  llvm::StringRef kind() const { return spec->kind; }
  /// The attribute as written, derived or defaulted; null when unset.
  const Attr *attr(llvm::StringRef name) const;
  /// Visits every attribute that has a value (written, derived or default),
  /// in schema order.
  template <typename Fn> void forEachAttr(Fn &&fn) const {
    // `attrs` is in schema order too: one walk of both, no lookups by name.
    auto given = attrs.begin();
    for (size_t i = 0, e = spec->attrs.size(); i != e; ++i) {
      if (given != attrs.end() && given->spec == &spec->attrs[i])
        fn(*given++);
      else if (const Attr *d = defaultAttr(i))
        fn(*d);
    }
  }
  /// The static default of the kind's `i`th attribute; null when it has none.
  const Attr *defaultAttr(size_t i) const;
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
  /// Copies `s` into the model: qualified paths, map keys, derived strings.
  llvm::StringRef save(const llvm::Twine &s) {
    llvm::SmallString<128> buf;
    return saver.save(s.toStringRef(buf));
  }
  llvm::StringMap<Resource *> byName;

private:
  std::vector<std::unique_ptr<Resource>> storage;
  llvm::BumpPtrAllocator arena;
  // Not a UniqueStringSaver: the strings saved (paths mostly) are distinct,
  // and interning them cost a hash-set insertion each.
  llvm::StringSaver saver{arena};
};

/// A command-line parameter override: -P name=value.
struct ParamOverride {
  std::string name;
  const ast::Expr *value = nullptr;
  /// The whole text as a string: used instead of `value` when that is a bare
  /// name and the param's default is a string (-P env=staging).
  const ast::Expr *text = nullptr;
  llvm::SMRange range;
};

struct SemaOptions {
  std::vector<ParamOverride> paramOverrides;
  /// Report an override that names no param of the program (REF004). Off
  /// when several programs share the overrides: the caller checks then.
  bool reportUnknownParams = true;
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

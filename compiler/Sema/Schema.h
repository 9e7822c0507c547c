//===- Schema.h - The language's kinds, attributes and functions -*- C++ -*-===//
//
// What may be written where: each kind of block with its attributes (name, type,
// default, flags), its nested blocks, and the built-in functions (actions,
// conditions, metrics). The data lives in one declarative table per kind family
// (Schema<Family>.cpp); Sema interprets it, so adding an attribute is one line.
//
// Types are written as small strings in the tables and parsed once:
//   bool int number string cidr duration size percent rate any
//   int(..N)        an integer of at most N (memory grows with it)
//   duration(s) duration(m) size(GiB) percent(1)
//                   a whole number of AWS's unit for the property
//   enum(a|b|c)     one of the symbols (written bare: protocol = http)
//   ref(k1|k2)      a reference to a block of kind k1 or k2
//   list(T)         [T, ...]            many(T)   T or [T, ...]
//   map(T)          { key = T, ... }    union(T1, T2, ...)
//   object(k1|k2)   an inline block: echo { port = 3000 }
//   action  condition  metric  (calls of the functions table)
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_SEMA_SCHEMA_H
#define INFRAC_SEMA_SCHEMA_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace infrac::sema {

struct BlockSpec;

struct Type {
  enum class Kind : unsigned char {
    Any,
    Bool,
    Int,
    Number,
    String,
    Cidr,
    Duration,
    Size,
    Percent,
    Rate,
    Enum,
    Ref,
    List,
    Many,
    Map,
    Union,
    Object,
    Action,
    Condition,
    Metric,
  };
  Kind kind = Kind::Any;
  /// Int: the values infrac takes. Every integer fits 32 bits, so that no sum
  /// or product of a few of them overflows; `int(..N)` lowers the maximum
  /// where memory grows with the value (clients, instances, servers).
  int64_t intMin = -MaxInt, intMax = MaxInt;
  static constexpr int64_t MaxInt = 2147483647;
  /// Duration, Size, Percent written `duration(s)`, `size(GiB)`, `percent(1)`:
  /// the unit AWS takes the value in (in ms, bytes or percent), 0 for none.
  /// A value that is not a whole number of it is an error, never rounded.
  int64_t awsUnit = 0;
  const char *awsUnitName = nullptr; ///< "seconds", "minutes", "GiB", "percent".
  std::vector<std::string> names;  ///< Enum symbols, Ref kinds, Object kinds.
  std::vector<const Type *> elems; ///< List/Many/Map element; Union members.

  /// "a duration", "one of http, https", "a reference to a target group".
  std::string describe() const;
  /// "subnets", "strings": for "a list of ...".
  std::string describePlural() const;
  bool allowsEnumSymbol(llvm::StringRef s) const;
  /// The enum member of a union, if any (for bare identifiers).
  const Type *findKind(Kind k) const;
};

/// Parses a type string of the tables; asserts on malformed input (it is ours).
const Type *parseType(llvm::StringRef spec);

enum AttrFlags : unsigned {
  Optional = 0,
  Required = 1u << 0,
  /// The default depends on other values; Sema::applyDerivedDefaults sets it.
  Derived = 1u << 1,
  /// Only for the local runtime (run/sim); never emitted to CloudFormation.
  LocalOnly = 1u << 2,
};

struct AttrSpec {
  const char *name;
  const char *type;
  const char *defaultValue; ///< In source syntax ("30s", "http", "\"/\""), or null.
  unsigned flags;
  const char *doc;
};

enum class LabelKind : unsigned char {
  None,         ///< health_check { ... }
  Name,         ///< target_group web { ... }
  OptionalName, ///< task { ... } or task spot_a { ... }
  Value,        ///< at 30s { ... }, load shop_alb { ... } (typed by labelType)
};

enum ChildFlags : unsigned {
  One = 0,            ///< At most one.
  Multiple = 1u << 0, ///< Any number.
  Implicit = 1u << 1, ///< Created with its defaults when absent.
  RequiredChild = 1u << 2,
};

struct ChildSpec {
  const char *keyword; ///< As written: "listener", "core", "ingress".
  const char *kind;    ///< The BlockSpec kind it introduces.
  unsigned flags;
};

/// A named thing reachable through a reference beyond the blocks themselves:
/// web_asg.instances[0], zk.scheduler.leader. Only the runtime gives them values.
struct MemberSpec {
  const char *ownerKind;
  const char *name;
  bool indexed;
  const char *resultKind; ///< A pseudo-kind usable in ref(...): "instance".
};

struct BlockSpec {
  const char *kind;
  const char *family;
  LabelKind label;
  const char *labelType; ///< For LabelKind::Value.
  bool topLevel;
  bool allowsExpect;
  llvm::ArrayRef<AttrSpec> attrs;
  llvm::ArrayRef<ChildSpec> children;
  const char *doc;

  /// One probe of the schema's attribute table (Schema::lookupAttr).
  const AttrSpec *findAttr(llvm::StringRef name) const;
  const ChildSpec *findChild(llvm::StringRef keyword) const;
};

/// An attribute of a kind as the schema indexes it.
struct AttrInfo {
  const AttrSpec *spec;
  const Type *type; ///< parseType(spec->type), parsed once.
  /// Numbers every kind's attributes from 0 to Schema::attrCount() - 1, a
  /// kind's in table order: a key for side tables (Sema's parsed defaults).
  unsigned ordinal;
};

enum class FunctionCategory : unsigned char { Action, Condition, Metric };

struct ParamSpec {
  const char *name;
  const char *type;
  unsigned flags; ///< Required or Optional.
};

struct FunctionSpec {
  const char *name;
  FunctionCategory category;
  /// Types of positional arguments, in order; the last repeats if variadic.
  llvm::ArrayRef<const char *> positional;
  unsigned minPositional;
  unsigned maxPositional; ///< ~0u: any number.
  bool weighted;          ///< Positional arguments may carry `: weight`.
  llvm::ArrayRef<ParamSpec> named;
  const char *result; ///< Metrics: the type of the value ("int", "percent", "bool").
  const char *doc;
};

/// One family's table.
struct SchemaFamily {
  llvm::ArrayRef<BlockSpec> blocks;
  llvm::ArrayRef<FunctionSpec> functions;
  llvm::ArrayRef<MemberSpec> members;
};

SchemaFamily networkSchema();
SchemaFamily loadBalancingSchema();
SchemaFamily computeSchema();
SchemaFamily emrSchema();
SchemaFamily coordinationSchema();
SchemaFamily scenarioSchema();

/// The whole schema, assembled from the families.
class Schema {
public:
  // Inline: every attribute lookup starts here.
  static const Schema &get() {
    static const Schema schema;
    return schema;
  }

  const BlockSpec *findBlock(llvm::StringRef kind) const;
  const BlockSpec *findTopLevel(llvm::StringRef kind) const;
  /// The attribute `name` of `block`, or null. Sema, the rules and the
  /// emitters look attributes up by name for every resource, so this is a
  /// hash table built once rather than a scan comparing names.
  const AttrInfo *lookupAttr(const BlockSpec *block, llvm::StringRef name) const;
  /// The ordinal of `block`'s first attribute; the others follow it in order.
  unsigned firstAttrOrdinal(const BlockSpec *block) const;
  unsigned attrCount() const { return static_cast<unsigned>(attrInfos.size()); }
  const AttrInfo &attrInfo(unsigned ordinal) const { return attrInfos[ordinal]; }
  const FunctionSpec *findFunction(llvm::StringRef name) const;
  const MemberSpec *findMember(llvm::StringRef ownerKind, llvm::StringRef name) const;
  llvm::ArrayRef<llvm::StringRef> topLevelKinds() const { return topKinds; }
  llvm::ArrayRef<const BlockSpec *> blocks() const { return allBlocks; }
  llvm::ArrayRef<const FunctionSpec *> functions() const { return allFunctions; }
  std::vector<llvm::StringRef> functionNames(FunctionCategory c) const;
  std::vector<llvm::StringRef> memberNames(llvm::StringRef ownerKind) const;

private:
  Schema();
  std::vector<const BlockSpec *> allBlocks;
  llvm::StringMap<const BlockSpec *> blockByKind;
  std::vector<const FunctionSpec *> allFunctions;
  std::vector<const MemberSpec *> allMembers;
  std::vector<llvm::StringRef> topKinds;
  /// Every kind's attributes, by ordinal.
  std::vector<AttrInfo> attrInfos;
  llvm::DenseMap<const BlockSpec *, unsigned> firstOrdinal;
  /// A name read as two words: the whole name when it is at most 16 bytes
  /// long (with its length), which most attribute names are.
  struct AttrKey {
    uint64_t lo = 0, hi = 0;
    size_t size = 0;
    explicit AttrKey(llvm::StringRef name);
    bool operator==(const AttrKey &o) const {
      return lo == o.lo && hi == o.hi && size == o.size;
    }
  };
  /// Open addressing on (block, name), a power of two in size and at most
  /// half full; an empty slot has a null block.
  struct AttrSlot {
    const BlockSpec *block = nullptr;
    AttrKey key{llvm::StringRef()};
    const char *name = nullptr;
    const AttrInfo *info = nullptr;
  };
  std::vector<AttrSlot> attrTable;
  size_t attrMask = 0;
  static size_t hashAttr(const BlockSpec *block, const AttrKey &key);
  const AttrInfo *lookupLongAttr(const BlockSpec *block, llvm::StringRef name) const;
};

/// Prints every kind, attribute and function as Markdown (docs/kinds.md).
void printSchemaMarkdown(llvm::raw_ostream &os);

/// "target group" for "target_group".
std::string kindNoun(llvm::StringRef kind);
/// "a target group", "an auto scaling group".
std::string withArticle(llvm::StringRef noun);

} // namespace infrac::sema

#endif

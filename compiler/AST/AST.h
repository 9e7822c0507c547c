//===- AST.h - Syntax tree of .infra files ----------------------*- C++ -*-===//
//
// The AST is what the parser produces: blocks, attributes and expressions exactly
// as written, each with its source range. Nodes are allocated in an ASTContext
// arena and are trivially destructible (StringRef/ArrayRef/pointers only).
// Names are not resolved here; that is Sema's job.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_AST_AST_H
#define INFRAC_AST_AST_H

#include "Basic/Units.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

namespace llvm {
class SourceMgr;
}

namespace infrac::ast {

using llvm::ArrayRef;
using llvm::SMRange;
using llvm::StringRef;

/// A name as written, with its range.
struct Identifier {
  StringRef name;
  SMRange range;
  bool empty() const { return name.empty(); }
};

using infrac::Dimension;

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Expr {
public:
  enum class Kind : uint8_t {
    String,
    Number,
    Quantity,
    Bool,
    Ref,
    Call,
    Object,
    List,
    Map,
    Compare,
    And,
    Neg,
  };
  Kind getKind() const { return kind; }
  SMRange getRange() const { return range; }
  void setRange(SMRange r) { range = r; }

protected:
  Expr(Kind kind, SMRange range) : kind(kind), range(range) {}

private:
  Kind kind;
  SMRange range;
};

/// "text" with escapes decoded (UTF-8).
class StringLit : public Expr {
public:
  StringLit(SMRange r, StringRef value) : Expr(Kind::String, r), value(value) {}
  StringRef getValue() const { return value; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }

private:
  StringRef value;
};

/// 42 or 1.5
class NumberLit : public Expr {
public:
  NumberLit(SMRange r, StringRef text, bool isInteger, int64_t intValue,
            double value)
      : Expr(Kind::Number, r), text(text), integer(isInteger),
        intValue(intValue), value(value) {}
  StringRef getText() const { return text; }
  bool isInteger() const { return integer; }
  int64_t getInt() const { return intValue; }
  double getValue() const { return value; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }

private:
  StringRef text;
  bool integer;
  int64_t intValue;
  double value;
};

/// 30s, 250ms, 512MiB, 60%, 200/s: a number with a known unit. `canonical` is
/// the value in the dimension's canonical unit (ms, bytes, percent, 1/s).
class QuantityLit : public Expr {
public:
  QuantityLit(SMRange r, StringRef text, StringRef unit, Dimension dim,
              double number, double canonical)
      : Expr(Kind::Quantity, r), text(text), unit(unit), dim(dim),
        number(number), canonical(canonical) {}
  StringRef getText() const { return text; }
  StringRef getUnit() const { return unit; }
  Dimension getDimension() const { return dim; }
  double getNumber() const { return number; }
  double getCanonical() const { return canonical; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Quantity; }

private:
  StringRef text, unit;
  Dimension dim;
  double number, canonical;
};

class BoolLit : public Expr {
public:
  BoolLit(SMRange r, bool value) : Expr(Kind::Bool, r), value(value) {}
  bool getValue() const { return value; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Bool; }

private:
  bool value;
};

/// One step of a reference: `.name` or `[index]`.
struct RefSegment {
  Identifier name; ///< Empty for an index step.
  class Expr *index = nullptr;
  SMRange range;
  bool isIndex() const { return index != nullptr; }
};

/// web, analytics.core, web_asg.instances[0], zk.scheduler.leader
class RefExpr : public Expr {
public:
  RefExpr(SMRange r, ArrayRef<RefSegment> segments)
      : Expr(Kind::Ref, r), segments(segments) {}
  ArrayRef<RefSegment> getSegments() const { return segments; }
  /// The first name: what the reference starts from.
  const Identifier &getHead() const { return segments.front().name; }
  /// True for a plain identifier (no dots, no index).
  bool isSimple() const { return segments.size() == 1; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Ref; }

private:
  ArrayRef<RefSegment> segments;
};

/// One argument of a call: `expr`, `name = expr` or `expr : expr` (a weight).
struct Argument {
  Identifier name;             ///< Set for `name = expr`.
  class Expr *value = nullptr; ///< The argument (left of ':' when weighted).
  class Expr *weight = nullptr;
  SMRange range;
};

/// forward(web), forward(web: 80, canary: 20), path("/api/*"), healthy(web)
class CallExpr : public Expr {
public:
  CallExpr(SMRange r, Identifier callee, ArrayRef<Argument> args)
      : Expr(Kind::Call, r), callee(callee), args(args) {}
  const Identifier &getCallee() const { return callee; }
  ArrayRef<Argument> getArgs() const { return args; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }

private:
  Identifier callee;
  ArrayRef<Argument> args;
};

class Item;

/// echo { port = 3000 }: an inline, anonymous block used as a value.
class ObjectExpr : public Expr {
public:
  ObjectExpr(SMRange r, Identifier kind, ArrayRef<Item *> body)
      : Expr(Kind::Object, r), kind(kind), body(body) {}
  const Identifier &getKindName() const { return kind; }
  ArrayRef<Item *> getBody() const { return body; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Object; }

private:
  Identifier kind;
  ArrayRef<Item *> body;
};

class ListExpr : public Expr {
public:
  ListExpr(SMRange r, ArrayRef<Expr *> items) : Expr(Kind::List, r), items(items) {}
  ArrayRef<Expr *> getItems() const { return items; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }

private:
  ArrayRef<Expr *> items;
};

struct MapEntry {
  Identifier key; ///< Decoded text for a string key.
  bool quotedKey = false;
  Expr *value = nullptr;
  SMRange range;
};

/// { env = "prod", "team" = "web" }
class MapExpr : public Expr {
public:
  MapExpr(SMRange r, ArrayRef<MapEntry> entries)
      : Expr(Kind::Map, r), entries(entries) {}
  ArrayRef<MapEntry> getEntries() const { return entries; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Map; }

private:
  ArrayRef<MapEntry> entries;
};

enum class CompareOp : uint8_t { EQ, NE, LT, LE, GT, GE };
StringRef spelling(CompareOp op);

/// healthy(web) >= 2
class CompareExpr : public Expr {
public:
  CompareExpr(SMRange r, CompareOp op, SMRange opRange, Expr *lhs, Expr *rhs)
      : Expr(Kind::Compare, r), op(op), opRange(opRange), lhs(lhs), rhs(rhs) {}
  CompareOp getOp() const { return op; }
  SMRange getOpRange() const { return opRange; }
  Expr *getLHS() const { return lhs; }
  Expr *getRHS() const { return rhs; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Compare; }

private:
  CompareOp op;
  SMRange opRange;
  Expr *lhs, *rhs;
};

/// path("/api/*") and method("GET")
class AndExpr : public Expr {
public:
  AndExpr(SMRange r, ArrayRef<Expr *> operands)
      : Expr(Kind::And, r), operands(operands) {}
  ArrayRef<Expr *> getOperands() const { return operands; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::And; }

private:
  ArrayRef<Expr *> operands;
};

/// -1
class NegExpr : public Expr {
public:
  NegExpr(SMRange r, Expr *operand) : Expr(Kind::Neg, r), operand(operand) {}
  Expr *getOperand() const { return operand; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Neg; }

private:
  Expr *operand;
};

//===----------------------------------------------------------------------===//
// Items: what a file or a block body holds
//===----------------------------------------------------------------------===//

class Item {
public:
  enum class Kind : uint8_t { Attribute, Block, Expect, Import, Param, Let };
  Kind getKind() const { return kind; }
  SMRange getRange() const { return range; }

protected:
  Item(Kind kind, SMRange range) : kind(kind), range(range) {}

private:
  Kind kind;
  SMRange range;
};

/// key = value
class Attribute : public Item {
public:
  Attribute(SMRange r, Identifier key, Expr *value)
      : Item(Kind::Attribute, r), key(key), value(value) {}
  const Identifier &getKey() const { return key; }
  Expr *getValue() const { return value; }
  static bool classof(const Item *i) { return i->getKind() == Kind::Attribute; }

private:
  Identifier key;
  Expr *value;
};

/// A block label: the `web` of `target_group web { }`, the `30s` of `at 30s { }`.
struct Label {
  Expr *value = nullptr; ///< A RefExpr for a plain name, else a literal.
  SMRange range;
  /// The identifier text when the label is a plain name, else empty.
  StringRef name() const;
};

/// kind label* { items }
class Block : public Item {
public:
  Block(SMRange r, Identifier kind, ArrayRef<Label> labels, ArrayRef<Item *> body,
        SMRange openBrace)
      : Item(Kind::Block, r), kind(kind), labels(labels), body(body),
        openBrace(openBrace) {}
  const Identifier &getKindName() const { return kind; }
  ArrayRef<Label> getLabels() const { return labels; }
  ArrayRef<Item *> getBody() const { return body; }
  SMRange getOpenBrace() const { return openBrace; }
  static bool classof(const Item *i) { return i->getKind() == Kind::Block; }

private:
  Identifier kind;
  ArrayRef<Label> labels;
  ArrayRef<Item *> body;
  SMRange openBrace;
};

/// expect condition [within D] [after T]
class Expect : public Item {
public:
  Expect(SMRange r, Expr *condition, Expr *within, Expr *after)
      : Item(Kind::Expect, r), condition(condition), within(within),
        after(after) {}
  Expr *getCondition() const { return condition; }
  Expr *getWithin() const { return within; }
  Expr *getAfter() const { return after; }
  static bool classof(const Item *i) { return i->getKind() == Kind::Expect; }

private:
  Expr *condition, *within, *after;
};

/// import "other.infra"
class Import : public Item {
public:
  Import(SMRange r, StringRef path, SMRange pathRange)
      : Item(Kind::Import, r), path(path), pathRange(pathRange) {}
  StringRef getPath() const { return path; }
  SMRange getPathRange() const { return pathRange; }
  static bool classof(const Item *i) { return i->getKind() == Kind::Import; }

private:
  StringRef path;
  SMRange pathRange;
};

/// param name = default
class Param : public Item {
public:
  Param(SMRange r, Identifier name, Expr *value)
      : Item(Kind::Param, r), name(name), value(value) {}
  const Identifier &getName() const { return name; }
  Expr *getValue() const { return value; }
  static bool classof(const Item *i) { return i->getKind() == Kind::Param; }

private:
  Identifier name;
  Expr *value;
};

/// let name = value
class Let : public Item {
public:
  Let(SMRange r, Identifier name, Expr *value)
      : Item(Kind::Let, r), name(name), value(value) {}
  const Identifier &getName() const { return name; }
  Expr *getValue() const { return value; }
  static bool classof(const Item *i) { return i->getKind() == Kind::Let; }

private:
  Identifier name;
  Expr *value;
};

/// A `#` comment; kept for suppressions and test expectations.
struct Comment {
  StringRef text; ///< Without the leading '#'.
  SMRange range;
};

/// One parsed source file.
struct File {
  StringRef path;      ///< As given or as resolved from an import.
  unsigned bufferId = 0; ///< In the SourceMgr.
  ArrayRef<Item *> items;
  ArrayRef<Comment> comments;
  bool hasSyntaxErrors = false;
};

/// All files of one compilation: the roots given on the command line and what
/// they import, each once, in load order.
struct Program {
  std::vector<File *> files;
  bool hasSyntaxErrors() const {
    for (const File *f : files)
      if (f->hasSyntaxErrors)
        return true;
    return false;
  }
};

/// Owns all AST nodes and decoded strings.
class ASTContext {
public:
  template <typename T, typename... Args> T *create(Args &&...args) {
    static_assert(std::is_trivially_destructible<T>::value,
                  "AST nodes must be trivially destructible");
    return new (alloc.Allocate<T>()) T(std::forward<Args>(args)...);
  }
  template <typename T> ArrayRef<T> copy(ArrayRef<T> items) {
    if (items.empty())
      return {};
    T *mem = alloc.Allocate<T>(items.size());
    std::uninitialized_copy(items.begin(), items.end(), mem);
    return ArrayRef<T>(mem, items.size());
  }
  StringRef save(StringRef s) {
    if (s.empty())
      return {};
    char *mem = alloc.Allocate<char>(s.size());
    std::memcpy(mem, s.data(), s.size());
    return StringRef(mem, s.size());
  }
  size_t getBytesAllocated() const {
    size_t n = alloc.getBytesAllocated();
    for (const llvm::BumpPtrAllocator &a : adopted)
      n += a.getBytesAllocated();
    return n;
  }
  /// Takes over the memory of another context (one a parser thread built
  /// nodes in): they live as long as this one.
  void adopt(ASTContext &&other) {
    adopted.push_back(std::move(other.alloc));
    for (llvm::BumpPtrAllocator &a : other.adopted)
      adopted.push_back(std::move(a));
    other.adopted.clear();
  }

private:
  llvm::BumpPtrAllocator alloc;
  std::vector<llvm::BumpPtrAllocator> adopted;
};

/// Prints a stable, indented dump of the AST (for --emit=ast and golden tests).
void dumpAST(const Program &program, const llvm::SourceMgr &sm,
             llvm::raw_ostream &os);
/// Prints an expression in source syntax (normalised spacing).
void printExpr(const Expr *e, llvm::raw_ostream &os);

} // namespace infrac::ast

#endif

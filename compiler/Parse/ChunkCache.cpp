//===- ChunkCache.cpp - Copying a cached chunk's AST to its new place -----===//
//
// The copy is exhaustive over the AST's node kinds: every location and every
// string of every node is moved or copied, so that the new tree refers to
// nothing of the old parse (which is freed after the new one).
//
//===----------------------------------------------------------------------===//

#include "Parse/ChunkCache.h"

#include "llvm/ADT/SmallVector.h"

using namespace infrac;
using namespace infrac::ast;

ParseCache::ParseCache() : impl(std::make_unique<Impl>()) {}
ParseCache::~ParseCache() = default;

namespace {

/// Copies nodes of the old chunk [lo, hi] to the new chunk `delta` bytes
/// away. A location outside the old chunk cannot be moved: `failed`.
class Relocator {
public:
  Relocator(ASTContext &ctx, const char *lo, const char *hi, ptrdiff_t delta)
      : ctx(ctx), lo(lo), hi(hi), delta(delta) {}

  bool failed = false;

  Item *item(const Item *i);

private:
  bool inside(const char *p) const { return p >= lo && p <= hi; }
  llvm::SMLoc loc(llvm::SMLoc l) {
    if (!l.isValid())
      return l;
    if (!inside(l.getPointer())) {
      failed = true;
      return l;
    }
    return llvm::SMLoc::getFromPointer(l.getPointer() + delta);
  }
  SMRange range(SMRange r) { return {loc(r.Start), loc(r.End)}; }
  /// Text of the buffer moves with it; a decoded string is copied.
  StringRef str(StringRef s) {
    if (s.data() && inside(s.data()) && inside(s.data() + s.size()))
      return StringRef(s.data() + delta, s.size());
    return ctx.save(s);
  }
  Identifier ident(const Identifier &i) { return {str(i.name), range(i.range)}; }
  Expr *expr(const Expr *e);
  ArrayRef<Item *> items(ArrayRef<Item *> in);
  ArrayRef<Expr *> exprs(ArrayRef<Expr *> in);

  ASTContext &ctx;
  const char *lo, *hi;
  ptrdiff_t delta;
};

ArrayRef<Item *> Relocator::items(ArrayRef<Item *> in) {
  llvm::SmallVector<Item *, 16> out;
  for (const Item *i : in)
    out.push_back(item(i));
  return ctx.copy<Item *>(out);
}

ArrayRef<Expr *> Relocator::exprs(ArrayRef<Expr *> in) {
  llvm::SmallVector<Expr *, 8> out;
  for (const Expr *e : in)
    out.push_back(expr(e));
  return ctx.copy<Expr *>(out);
}

Expr *Relocator::expr(const Expr *e) {
  if (!e)
    return nullptr;
  SMRange r = range(e->getRange());
  switch (e->getKind()) {
  case Expr::Kind::String:
    return ctx.create<StringLit>(r, str(llvm::cast<StringLit>(e)->getValue()));
  case Expr::Kind::Number: {
    auto *n = llvm::cast<NumberLit>(e);
    return ctx.create<NumberLit>(r, str(n->getText()), n->isInteger(), n->getInt(),
                                 n->getValue());
  }
  case Expr::Kind::Quantity: {
    auto *q = llvm::cast<QuantityLit>(e);
    return ctx.create<QuantityLit>(r, str(q->getText()), str(q->getUnit()), q->getDimension(),
                                   q->getNumber(), q->getCanonical());
  }
  case Expr::Kind::Bool:
    return ctx.create<BoolLit>(r, llvm::cast<BoolLit>(e)->getValue());
  case Expr::Kind::Ref: {
    llvm::SmallVector<RefSegment, 4> segs;
    for (const RefSegment &s : llvm::cast<RefExpr>(e)->getSegments())
      segs.push_back({ident(s.name), expr(s.index), range(s.range)});
    return ctx.create<RefExpr>(r, ctx.copy<RefSegment>(segs));
  }
  case Expr::Kind::Call: {
    auto *c = llvm::cast<CallExpr>(e);
    llvm::SmallVector<Argument, 4> args;
    for (const Argument &a : c->getArgs())
      args.push_back({ident(a.name), expr(a.value), expr(a.weight), range(a.range)});
    return ctx.create<CallExpr>(r, ident(c->getCallee()), ctx.copy<Argument>(args));
  }
  case Expr::Kind::Object: {
    auto *o = llvm::cast<ObjectExpr>(e);
    return ctx.create<ObjectExpr>(r, ident(o->getKindName()), items(o->getBody()));
  }
  case Expr::Kind::List:
    return ctx.create<ListExpr>(r, exprs(llvm::cast<ListExpr>(e)->getItems()));
  case Expr::Kind::Map: {
    llvm::SmallVector<MapEntry, 8> entries;
    for (const MapEntry &m : llvm::cast<MapExpr>(e)->getEntries())
      entries.push_back({ident(m.key), m.quotedKey, expr(m.value), range(m.range)});
    return ctx.create<MapExpr>(r, ctx.copy<MapEntry>(entries));
  }
  case Expr::Kind::Compare: {
    auto *c = llvm::cast<CompareExpr>(e);
    return ctx.create<CompareExpr>(r, c->getOp(), range(c->getOpRange()), expr(c->getLHS()),
                                   expr(c->getRHS()));
  }
  case Expr::Kind::And:
    return ctx.create<AndExpr>(r, exprs(llvm::cast<AndExpr>(e)->getOperands()));
  case Expr::Kind::Neg:
    return ctx.create<NegExpr>(r, expr(llvm::cast<NegExpr>(e)->getOperand()));
  }
  llvm_unreachable("an expression kind without its copy");
}

Item *Relocator::item(const Item *i) {
  if (!i)
    return nullptr;
  SMRange r = range(i->getRange());
  switch (i->getKind()) {
  case Item::Kind::Attribute: {
    auto *a = llvm::cast<Attribute>(i);
    return ctx.create<Attribute>(r, ident(a->getKey()), expr(a->getValue()));
  }
  case Item::Kind::Block: {
    auto *b = llvm::cast<Block>(i);
    llvm::SmallVector<Label, 4> labels;
    for (const Label &l : b->getLabels())
      labels.push_back({expr(l.value), range(l.range)});
    return ctx.create<Block>(r, ident(b->getKindName()), ctx.copy<Label>(labels),
                             items(b->getBody()), range(b->getOpenBrace()));
  }
  case Item::Kind::Expect: {
    auto *x = llvm::cast<Expect>(i);
    return ctx.create<Expect>(r, expr(x->getCondition()), expr(x->getWithin()),
                              expr(x->getAfter()));
  }
  case Item::Kind::Import: {
    auto *m = llvm::cast<Import>(i);
    return ctx.create<Import>(r, str(m->getPath()), range(m->getPathRange()));
  }
  case Item::Kind::Param: {
    auto *p = llvm::cast<Param>(i);
    return ctx.create<Param>(r, ident(p->getName()), expr(p->getValue()));
  }
  case Item::Kind::Let: {
    auto *l = llvm::cast<Let>(i);
    return ctx.create<Let>(r, ident(l->getName()), expr(l->getValue()));
  }
  }
  llvm_unreachable("an item kind without its copy");
}

} // namespace

bool infrac::copyCachedChunk(const CachedFile &from, const CachedChunk &chunk,
                             const char *newStart, const Token *b, const Token *e,
                             size_t keyLength, ASTContext &ctx, std::vector<Item *> &out) {
  const Token *old = from.tokens.data() + chunk.firstToken;
  if (static_cast<size_t>(e - b) != chunk.endToken - chunk.firstToken)
    return false;
  for (const Token *t = b; t != e; ++t, ++old)
    if (t->kind != old->kind || t->length != old->length ||
        t->offset - b->offset != old->offset - from.tokens[chunk.firstToken].offset)
      return false;
  const char *lo = from.text.data() + from.tokens[chunk.firstToken].offset;
  Relocator copy(ctx, lo, lo + keyLength, newStart - lo);
  size_t before = out.size();
  for (uint32_t i = chunk.firstItem; i < chunk.endItem && !copy.failed; ++i)
    out.push_back(copy.item(from.items[i]));
  if (copy.failed) {
    out.resize(before); // What was copied stays unused in the arena.
    return false;
  }
  return true;
}

//===- ASTBuilder.cpp - ANTLR parse tree to AST ---------------------------===//
//
// After a syntax error ANTLR's recovery leaves contexts with missing children;
// every method here checks for null and drops what it cannot build.
//
//===----------------------------------------------------------------------===//

#include "Parse/ASTBuilder.h"
#include "Parse/Lexer.h"

#include "llvm/ADT/SmallVector.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

using namespace infrac;
using namespace infrac::ast;
using P = grammar::InfraParser;

//===----------------------------------------------------------------------===//
// Children without dynamic_cast
//
// The generated accessors (ctx->expr(), ctx->IDENT()) dynamic_cast every child;
// with GCC each failed cast compares type names with strcmp, which made them a
// quarter of the parse. Parse-tree classes are leaves, so an exact type check on
// the type_info name pointer (unique in our statically linked binary) suffices.
//===----------------------------------------------------------------------===//

namespace {
template <typename T> T *as(antlr4::tree::ParseTree *n) {
  return n && typeid(*n).name() == typeid(T).name() ? static_cast<T *>(n) : nullptr;
}

template <typename T> T *rule(antlr4::ParserRuleContext *c, size_t nth = 0) {
  for (antlr4::tree::ParseTree *ch : c->children)
    if (T *r = as<T>(ch))
      if (nth-- == 0)
        return r;
  return nullptr;
}

template <typename T>
llvm::SmallVector<T *, 8> rules(antlr4::ParserRuleContext *c) {
  llvm::SmallVector<T *, 8> out;
  for (antlr4::tree::ParseTree *ch : c->children)
    if (T *r = as<T>(ch))
      out.push_back(r);
  return out;
}
} // namespace

antlr4::Token *ASTBuilder::tokenOf(antlr4::tree::ParseTree *n) const {
  // Error nodes (a subclass) are not tokens of the tree. (TerminalNodeImpl is
  // reached from ParseTree only through a virtual base: found by index.)
  if (!n || typeid(*n).name() != typeid(antlr4::tree::TerminalNodeImpl).name())
    return nullptr;
  size_t index = n->getSourceInterval().a;
  if (index == INVALID_INDEX || index >= stream->size())
    return nullptr;
  return stream->get(index);
}

antlr4::Token *ASTBuilder::term(antlr4::ParserRuleContext *c, size_t type,
                                size_t nth) const {
  for (antlr4::tree::ParseTree *ch : c->children)
    if (antlr4::Token *t = tokenOf(ch))
      if (t->getType() == type && nth-- == 0)
        return t;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Tokens and ranges
//===----------------------------------------------------------------------===//

llvm::SMRange ASTBuilder::rangeOf(antlr4::Token *t) const {
  if (!t || t->getStartIndex() == INVALID_INDEX)
    return {};
  const char *b = bufStart + t->getStartIndex();
  const char *e = bufStart + t->getStopIndex() + 1;
  if (t->getType() == antlr4::Token::EOF)
    e = b;
  return {llvm::SMLoc::getFromPointer(b), llvm::SMLoc::getFromPointer(e)};
}

llvm::SMRange ASTBuilder::rangeOf(antlr4::ParserRuleContext *c) const {
  if (!c)
    return {};
  llvm::SMRange b = rangeOf(c->getStart());
  llvm::SMRange e = rangeOf(c->getStop());
  if (!b.Start.isValid())
    return e;
  if (!e.End.isValid() || e.End.getPointer() < b.Start.getPointer())
    return b;
  return {b.Start, e.End};
}

llvm::StringRef ASTBuilder::textOf(antlr4::Token *t) const {
  if (!t || t->getStartIndex() == INVALID_INDEX ||
      t->getType() == antlr4::Token::EOF)
    return {};
  return llvm::StringRef(bufStart + t->getStartIndex(),
                         t->getStopIndex() + 1 - t->getStartIndex());
}

Identifier ASTBuilder::identOf(antlr4::Token *t) const {
  // Tokens conjured by error recovery have no text in the buffer.
  if (!t || t->getStartIndex() == INVALID_INDEX)
    return {};
  return {textOf(t), rangeOf(t)};
}

static llvm::SMRange join(llvm::SMRange a, llvm::SMRange b) {
  if (!a.Start.isValid())
    return b;
  if (!b.End.isValid())
    return a;
  return {a.Start, b.End};
}

//===----------------------------------------------------------------------===//
// Top level
//===----------------------------------------------------------------------===//

// file : topItem* EOF ;
void ASTBuilder::buildFile(P::FileContext *c, std::vector<Item *> &out) {
  if (!c)
    return;
  for (antlr4::tree::ParseTree *ch : c->children)
    if (Item *i = buildTopItem(ch))
      out.push_back(i);
}

// exprOnly : expr EOF ;
Expr *ASTBuilder::buildExprOnly(P::ExprOnlyContext *c) {
  return c ? buildExpr(rule<P::ExprContext>(c)) : nullptr;
}

/// The type of the token that starts an alternative (0 if the context starts
/// with a rule or an error node): the grammar has no labelled alternatives.
size_t ASTBuilder::firstToken(antlr4::ParserRuleContext *c) const {
  antlr4::Token *t = c->children.empty() ? nullptr : tokenOf(c->children.front());
  return t ? t->getType() : 0;
}

// topItem : IMPORT STRING
//         | PARAM IDENT ASSIGN expr
//         | LET IDENT ASSIGN expr
//         | IDENT (ASSIGN expr | ...)
//         | SEMI
Item *ASTBuilder::buildTopItem(antlr4::tree::ParseTree *n) {
  auto *c = as<P::TopItemContext>(n);
  if (!c)
    return nullptr;
  size_t first = firstToken(c);
  if (first == P::IDENT)
    return buildNamed(c);
  if (first == P::IMPORT) {
    antlr4::Token *str = term(c, P::STRING);
    auto *s = llvm::dyn_cast_or_null<StringLit>(str ? buildString(str) : nullptr);
    if (!s)
      return nullptr;
    return ctx.create<Import>(rangeOf(c), s->getValue(), s->getRange());
  }
  bool isParam = first == P::PARAM;
  if (isParam || first == P::LET) {
    Identifier name = identOf(term(c, P::IDENT));
    P::ExprContext *valueCtx = rule<P::ExprContext>(c);
    if (name.empty() || !valueCtx)
      return nullptr;
    // A value the builder rejected (an unknown unit) is kept as null so that
    // the name still exists and Sema does not report it a second time.
    Expr *value = buildExpr(valueCtx);
    if (isParam)
      return ctx.create<Param>(rangeOf(c), name, value);
    return ctx.create<Let>(rangeOf(c), name, value);
  }
  return nullptr;
}

// IDENT ( ASSIGN expr                                           -- an attribute
//       | (IDENT | QUANTITY | NUMBER)* LBRACE bodyItem* RBRACE  -- a block
//       )
// in topItem (where an attribute is kept so that Sema can say precisely that it
// is not allowed there) and in bodyItem.
Item *ASTBuilder::buildNamed(antlr4::ParserRuleContext *c) {
  const auto &children = c->children;
  Identifier name = identOf(children.empty() ? nullptr : tokenOf(children[0]));
  if (name.empty())
    return nullptr;
  antlr4::Token *second = children.size() > 1 ? tokenOf(children[1]) : nullptr;
  if (second && second->getType() == P::ASSIGN) {
    P::ExprContext *valueCtx = rule<P::ExprContext>(c);
    if (!valueCtx)
      return nullptr;
    return ctx.create<Attribute>(rangeOf(c), name, buildExpr(valueCtx));
  }
  return buildBlock(c, name);
}

// IDENT (IDENT | QUANTITY | NUMBER)* LBRACE bodyItem* RBRACE: the labels are
// the tokens between the kind and the '{'.
Block *ASTBuilder::buildBlock(antlr4::ParserRuleContext *c, Identifier kind) {
  llvm::SmallVector<Label, 2> labels;
  antlr4::Token *lbrace = nullptr;
  for (size_t i = 1; i < c->children.size(); ++i) {
    antlr4::Token *t = tokenOf(c->children[i]);
    if (!t)
      break; // A body item, or an error node left by recovery.
    if (t->getType() == P::LBRACE) {
      lbrace = t;
      break;
    }
    Label lab;
    if (buildLabel(t, lab))
      labels.push_back(lab);
  }
  ArrayRef<Item *> body = buildBody(c);
  return ctx.create<Block>(rangeOf(c), kind, ctx.copy<Label>(labels), body, rangeOf(lbrace));
}

// A block's label: IDENT | QUANTITY | NUMBER
bool ASTBuilder::buildLabel(antlr4::Token *t, Label &out) {
  Expr *e = nullptr;
  if (t->getType() == P::IDENT) {
    Identifier id = identOf(t);
    if (id.empty())
      return false;
    RefSegment seg;
    seg.name = id;
    seg.range = id.range;
    e = ctx.create<RefExpr>(id.range, ctx.copy<RefSegment>(seg));
  } else {
    e = buildLiteral(t);
  }
  if (!e)
    return false;
  out.value = e;
  out.range = e->getRange();
  return true;
}

StringRef Label::name() const {
  if (auto *r = llvm::dyn_cast_or_null<RefExpr>(value))
    if (r->isSimple())
      return r->getHead().name;
  return {};
}

ArrayRef<Item *> ASTBuilder::buildBody(antlr4::ParserRuleContext *c) {
  llvm::SmallVector<Item *, 16> out;
  for (antlr4::tree::ParseTree *ch : c->children)
    if (Item *i = buildBodyItem(ch))
      out.push_back(i);
  return ctx.copy<Item *>(out);
}

// bodyItem : IDENT (ASSIGN expr | ...)
//          | EXPECT expr (WITHIN expr)? (AFTER expr)?
//          | SEMI
Item *ASTBuilder::buildBodyItem(antlr4::tree::ParseTree *n) {
  auto *c = as<P::BodyItemContext>(n);
  if (!c)
    return nullptr;
  size_t first = firstToken(c);
  if (first == P::IDENT)
    return buildNamed(c);
  if (first == P::EXPECT) {
    auto exprs = rules<P::ExprContext>(c);
    if (exprs.empty())
      return nullptr;
    Expr *cond = buildExpr(exprs[0]);
    if (!cond)
      return nullptr;
    Expr *within = nullptr, *after = nullptr;
    size_t next = 1;
    if (term(c, P::WITHIN) && next < exprs.size())
      within = buildExpr(exprs[next++]);
    if (term(c, P::AFTER) && next < exprs.size())
      after = buildExpr(exprs[next++]);
    return ctx.create<Expect>(rangeOf(c), cond, within, after);
  }
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// The first child that is a rule context (not a token): a primary alternative.
static antlr4::ParserRuleContext *firstRuleChild(antlr4::ParserRuleContext *c,
                                                 size_t from = 0) {
  for (size_t i = from; i < c->children.size(); ++i) {
    antlr4::tree::ParseTree *ch = c->children[i];
    const char *name = typeid(*ch).name();
    if (name != typeid(antlr4::tree::TerminalNodeImpl).name() &&
        name != typeid(antlr4::tree::ErrorNodeImpl).name())
      return static_cast<antlr4::ParserRuleContext *>(ch);
  }
  return nullptr;
}

static std::optional<CompareOp> compareOpOf(size_t tokenType) {
  switch (tokenType) {
  case P::EQ:
    return CompareOp::EQ;
  case P::NE:
    return CompareOp::NE;
  case P::LT:
    return CompareOp::LT;
  case P::LE:
    return CompareOp::LE;
  case P::GT:
    return CompareOp::GT;
  case P::GE:
    return CompareOp::GE;
  default:
    return std::nullopt;
  }
}

// expr : primary ((EQ | NE | LT | LE | GT | GE) primary)?
//        (AND primary ((EQ | NE | LT | LE | GT | GE) primary)?)* ;
Expr *ASTBuilder::buildExpr(P::ExprContext *c) {
  if (!c)
    return nullptr;
  llvm::SmallVector<Expr *, 4> conj;
  Expr *cur = nullptr;
  antlr4::Token *pendingOp = nullptr;
  for (antlr4::tree::ParseTree *ch : c->children) {
    if (antlr4::Token *t = tokenOf(ch)) {
      if (t->getType() == P::AND) {
        if (!cur)
          return nullptr;
        conj.push_back(cur);
        cur = nullptr;
      } else if (compareOpOf(t->getType())) {
        pendingOp = t;
      }
      continue;
    }
    if (typeid(*ch).name() == typeid(antlr4::tree::ErrorNodeImpl).name())
      continue;
    Expr *e = buildPrimary(static_cast<antlr4::ParserRuleContext *>(ch));
    if (!e)
      return nullptr;
    if (pendingOp) {
      if (!cur)
        return nullptr;
      llvm::SMRange r{cur->getRange().Start, e->getRange().End};
      cur = ctx.create<CompareExpr>(r, *compareOpOf(pendingOp->getType()), rangeOf(pendingOp),
                                    cur, e);
      pendingOp = nullptr;
    } else {
      cur = e;
    }
  }
  if (!cur || pendingOp)
    return nullptr;
  if (conj.empty())
    return cur;
  conj.push_back(cur);
  return ctx.create<AndExpr>(rangeOf(c), ctx.copy<Expr *>(conj));
}

// primary : STRING | NUMBER | QUANTITY | TRUE | FALSE | MINUS primary
//         | IDENT (call | object | reference) | list | map | LPAREN expr RPAREN ;
Expr *ASTBuilder::buildPrimary(antlr4::ParserRuleContext *pc) {
  auto *c = as<P::PrimaryContext>(pc);
  if (!c)
    return nullptr;
  size_t first = firstToken(c);
  switch (first) {
  case P::STRING:
  case P::NUMBER:
  case P::QUANTITY:
  case P::TRUE:
  case P::FALSE:
    return buildLiteral(tokenOf(c->children.front()));
  case P::LBRACK:
    return buildList(c);
  case P::LBRACE:
    return buildMap(c);
  case P::MINUS: {
    Expr *e = buildPrimary(firstRuleChild(c));
    return e ? ctx.create<NegExpr>(rangeOf(c), e) : nullptr;
  }
  case P::LPAREN: {
    Expr *e = buildExpr(rule<P::ExprContext>(c));
    if (e)
      e->setRange(rangeOf(c));
    return e;
  }
  case P::IDENT: {
    P::PrimaryContext *n = c;
    // The token after the name chose: '(' a call, '{' an object, else a
    // reference.
    antlr4::Token *second = n->children.size() > 1 ? tokenOf(n->children[1]) : nullptr;
    size_t next = second ? second->getType() : 0;
    if (next != P::LPAREN && next != P::LBRACE)
      return buildReference(n);
    Identifier name = identOf(tokenOf(n->children[0]));
    if (name.empty())
      return nullptr;
    if (next == P::LPAREN)
      return buildCall(n, name);
    return ctx.create<ObjectExpr>(rangeOf(n), name, buildBody(n));
  }
  default:
    return nullptr; // An error node left by recovery.
  }
}

Expr *ASTBuilder::buildLiteral(antlr4::Token *t) {
  if (!t || t->getStartIndex() == INVALID_INDEX)
    return nullptr;
  switch (t->getType()) {
  case P::STRING:
    return buildString(t);
  case P::NUMBER:
    return buildNumber(t);
  case P::QUANTITY:
    return buildQuantity(t);
  case P::TRUE:
    return ctx.create<BoolLit>(rangeOf(t), true);
  case P::FALSE:
    return ctx.create<BoolLit>(rangeOf(t), false);
  default:
    return nullptr;
  }
}

Expr *ASTBuilder::buildString(antlr4::Token *t) {
  StringRef text = textOf(t);
  if (text.empty() || text.front() != '"')
    return nullptr;
  StringRef inner = text.drop_front();
  if (inner.endswith("\""))
    inner = inner.drop_back(); // else unterminated, already diagnosed
  StringRef value = inner;
  if (inner.contains('\\')) {
    std::string decoded;
    decoded.reserve(inner.size());
    decodeString(inner, decoded);
    value = ctx.save(decoded);
  }
  return ctx.create<StringLit>(rangeOf(t), value);
}

Expr *ASTBuilder::buildNumber(antlr4::Token *t) {
  StringRef text = textOf(t);
  if (!text.contains('.')) {
    uint64_t v;
    if (text.getAsInteger(10, v) || v > static_cast<uint64_t>(INT64_MAX)) {
      diags.report(DiagID::SYN005, rangeOf(t), text);
      return nullptr;
    }
    return ctx.create<NumberLit>(rangeOf(t), text, true, static_cast<int64_t>(v),
                                 static_cast<double>(v));
  }
  double d = std::strtod(text.str().c_str(), nullptr);
  if (!std::isfinite(d)) {
    diags.report(DiagID::SYN005, rangeOf(t), text);
    return nullptr;
  }
  return ctx.create<NumberLit>(rangeOf(t), text, false, 0, d);
}

Expr *ASTBuilder::buildQuantity(antlr4::Token *t) {
  StringRef text = textOf(t);
  size_t split = text.find_if([](char ch) { return !(ch >= '0' && ch <= '9') && ch != '.'; });
  StringRef number = text.substr(0, split), unit = text.substr(split);
  const UnitInfo *u = lookupUnit(unit);
  if (!u) {
    llvm::SMRange r = rangeOf(t);
    llvm::SMRange unitRange{llvm::SMLoc::getFromPointer(unit.data()), r.End};
    auto d = diags.report(DiagID::UNIT002, unitRange, unit, text,
                          didYouMean(unit, allUnitSpellings()));
    llvm::StringRef fix = closestMatch(unit, allUnitSpellings());
    if (!fix.empty())
      d.fixit(unitRange, fix.str());
    return nullptr;
  }
  double n = std::strtod(number.str().c_str(), nullptr);
  if (!std::isfinite(n) || n > 9.2e15) {
    diags.report(DiagID::SYN005, rangeOf(t), text);
    return nullptr;
  }
  return ctx.create<QuantityLit>(rangeOf(t), text, unit, u->dim, n,
                                 n * u->factor);
}

// IDENT LPAREN (argument (COMMA argument)* COMMA?)? RPAREN  -- a call
Expr *ASTBuilder::buildCall(P::PrimaryContext *c, Identifier callee) {
  llvm::SmallVector<Argument, 4> args;
  for (P::ArgumentContext *a : rules<P::ArgumentContext>(c)) {
    Argument arg;
    if (!buildArgument(a, arg))
      return nullptr;
    args.push_back(arg);
  }
  return ctx.create<CallExpr>(rangeOf(c), callee, ctx.copy<Argument>(args));
}

// argument : IDENT ASSIGN expr | expr (COLON expr)? ;
bool ASTBuilder::buildArgument(P::ArgumentContext *c, Argument &out) {
  if (!c)
    return false;
  auto exprs = rules<P::ExprContext>(c);
  if (exprs.empty())
    return false;
  out.range = rangeOf(c);
  if (term(c, P::ASSIGN)) {
    out.name = identOf(term(c, P::IDENT));
    out.value = buildExpr(exprs[0]);
    return !out.name.empty() && out.value;
  }
  out.value = buildExpr(exprs[0]);
  if (term(c, P::COLON)) {
    if (exprs.size() < 2)
      return false;
    out.weight = buildExpr(exprs[1]);
    if (!out.weight)
      return false;
  }
  return out.value != nullptr;
}

// IDENT (DOT IDENT | LBRACK expr RBRACK)*  -- a reference
Expr *ASTBuilder::buildReference(P::PrimaryContext *c) {
  llvm::SmallVector<RefSegment, 4> segs;
  antlr4::Token *segStart = nullptr;
  for (antlr4::tree::ParseTree *child : c->children) {
    if (antlr4::Token *t = tokenOf(child)) {
      switch (t->getType()) {
      case P::IDENT: {
        Identifier id = identOf(t);
        if (id.empty())
          return nullptr;
        RefSegment s;
        s.name = id;
        s.range = segStart ? join(rangeOf(segStart), id.range) : id.range;
        segs.push_back(s);
        segStart = nullptr;
        break;
      }
      case P::DOT:
      case P::LBRACK:
        segStart = t;
        break;
      case P::RBRACK:
        if (!segs.empty() && segs.back().index)
          segs.back().range = join(segs.back().range, rangeOf(t));
        break;
      default:
        break;
      }
    } else if (auto *e = as<P::ExprContext>(child)) {
      Expr *index = buildExpr(e);
      if (!index)
        return nullptr;
      RefSegment s;
      s.index = index;
      s.range = join(rangeOf(segStart), index->getRange());
      segs.push_back(s);
      segStart = nullptr;
    }
  }
  if (segs.empty() || segs.front().isIndex())
    return nullptr;
  return ctx.create<RefExpr>(rangeOf(c), ctx.copy<RefSegment>(segs));
}

// primary: LBRACK (expr (COMMA expr)* COMMA?)? RBRACK  -- a list
Expr *ASTBuilder::buildList(P::PrimaryContext *c) {
  llvm::SmallVector<Expr *, 8> items;
  for (P::ExprContext *e : rules<P::ExprContext>(c))
    if (Expr *x = buildExpr(e))
      items.push_back(x);
  return ctx.create<ListExpr>(rangeOf(c), ctx.copy<Expr *>(items));
}

// primary: LBRACE (mapEntry (COMMA | SEMI)?)* RBRACE  -- a map
Expr *ASTBuilder::buildMap(P::PrimaryContext *c) {
  llvm::SmallVector<MapEntry, 8> entries;
  for (P::MapEntryContext *m : rules<P::MapEntryContext>(c)) {
    MapEntry e;
    if (buildMapEntry(m, e))
      entries.push_back(e);
  }
  return ctx.create<MapExpr>(rangeOf(c), ctx.copy<MapEntry>(entries));
}

// mapEntry : (IDENT | STRING) ASSIGN expr ;
bool ASTBuilder::buildMapEntry(P::MapEntryContext *c, MapEntry &out) {
  if (!c)
    return false;
  if (antlr4::Token *id = term(c, P::IDENT)) {
    out.key = identOf(id);
  } else if (antlr4::Token *str = term(c, P::STRING)) {
    auto *s = llvm::dyn_cast_or_null<StringLit>(buildString(str));
    if (!s)
      return false;
    out.key = {s->getValue(), s->getRange()};
    out.quotedKey = true;
  }
  out.value = buildExpr(rule<P::ExprContext>(c));
  out.range = rangeOf(c);
  return out.value && (out.quotedKey || !out.key.empty());
}

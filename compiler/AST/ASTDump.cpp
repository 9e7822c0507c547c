//===- ASTDump.cpp - Stable text dump of the AST --------------------------===//

#include "AST/AST.h"
#include "Basic/Diagnostics.h"

#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace infrac;
using namespace infrac::ast;

StringRef ast::spelling(CompareOp op) {
  switch (op) {
  case CompareOp::EQ:
    return "==";
  case CompareOp::NE:
    return "!=";
  case CompareOp::LT:
    return "<";
  case CompareOp::LE:
    return "<=";
  case CompareOp::GT:
    return ">";
  case CompareOp::GE:
    return ">=";
  }
  return "?";
}

static void printQuoted(StringRef s, llvm::raw_ostream &os) {
  os << '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      os << "\\\"";
      break;
    case '\\':
      os << "\\\\";
      break;
    case '\n':
      os << "\\n";
      break;
    case '\r':
      os << "\\r";
      break;
    case '\t':
      os << "\\t";
      break;
    default:
      if (c < 0x20)
        os << fmt::format("\\u{:04x}", c);
      else
        os << c;
    }
  }
  os << '"';
}

static void printItems(ArrayRef<Item *> items, const llvm::SourceMgr &sm,
                       llvm::raw_ostream &os, unsigned indent);

void ast::printExpr(const Expr *e, llvm::raw_ostream &os) {
  if (!e) {
    os << "<error>";
    return;
  }
  switch (e->getKind()) {
  case Expr::Kind::String:
    printQuoted(llvm::cast<StringLit>(e)->getValue(), os);
    return;
  case Expr::Kind::Number:
    os << llvm::cast<NumberLit>(e)->getText();
    return;
  case Expr::Kind::Quantity:
    os << llvm::cast<QuantityLit>(e)->getText();
    return;
  case Expr::Kind::Bool:
    os << (llvm::cast<BoolLit>(e)->getValue() ? "true" : "false");
    return;
  case Expr::Kind::Ref: {
    bool first = true;
    for (const RefSegment &s : llvm::cast<RefExpr>(e)->getSegments()) {
      if (s.isIndex()) {
        os << '[';
        printExpr(s.index, os);
        os << ']';
      } else {
        if (!first)
          os << '.';
        os << s.name.name;
      }
      first = false;
    }
    return;
  }
  case Expr::Kind::Call: {
    auto *c = llvm::cast<CallExpr>(e);
    os << c->getCallee().name << '(';
    bool first = true;
    for (const Argument &a : c->getArgs()) {
      if (!first)
        os << ", ";
      first = false;
      if (!a.name.empty())
        os << a.name.name << " = ";
      printExpr(a.value, os);
      if (a.weight) {
        os << ": ";
        printExpr(a.weight, os);
      }
    }
    os << ')';
    return;
  }
  case Expr::Kind::Object: {
    auto *o = llvm::cast<ObjectExpr>(e);
    os << o->getKindName().name << " { ";
    for (const Item *i : o->getBody())
      if (auto *a = llvm::dyn_cast<Attribute>(i)) {
        os << a->getKey().name << " = ";
        printExpr(a->getValue(), os);
        os << "; ";
      }
    os << '}';
    return;
  }
  case Expr::Kind::List: {
    os << '[';
    bool first = true;
    for (const Expr *x : llvm::cast<ListExpr>(e)->getItems()) {
      if (!first)
        os << ", ";
      first = false;
      printExpr(x, os);
    }
    os << ']';
    return;
  }
  case Expr::Kind::Map: {
    os << '{';
    bool first = true;
    for (const MapEntry &m : llvm::cast<MapExpr>(e)->getEntries()) {
      os << (first ? " " : ", ");
      first = false;
      if (m.quotedKey)
        printQuoted(m.key.name, os);
      else
        os << m.key.name;
      os << " = ";
      printExpr(m.value, os);
    }
    os << (first ? "}" : " }");
    return;
  }
  case Expr::Kind::Compare: {
    auto *c = llvm::cast<CompareExpr>(e);
    printExpr(c->getLHS(), os);
    os << ' ' << spelling(c->getOp()) << ' ';
    printExpr(c->getRHS(), os);
    return;
  }
  case Expr::Kind::And: {
    bool first = true;
    for (const Expr *x : llvm::cast<AndExpr>(e)->getOperands()) {
      if (!first)
        os << " and ";
      first = false;
      printExpr(x, os);
    }
    return;
  }
  case Expr::Kind::Neg:
    os << '-';
    printExpr(llvm::cast<NegExpr>(e)->getOperand(), os);
    return;
  }
}

static void printLoc(SMRange r, const llvm::SourceMgr &sm, llvm::raw_ostream &os) {
  PresumedLoc p = getPresumedLoc(sm, r.Start);
  os << " <" << p.line << ':' << p.column << '>';
}

static void printItems(ArrayRef<Item *> items, const llvm::SourceMgr &sm,
                       llvm::raw_ostream &os, unsigned indent) {
  for (const Item *item : items) {
    os.indent(indent);
    switch (item->getKind()) {
    case Item::Kind::Attribute: {
      auto *a = llvm::cast<Attribute>(item);
      os << "Attribute " << a->getKey().name;
      printLoc(a->getRange(), sm, os);
      os << " = ";
      printExpr(a->getValue(), os);
      os << '\n';
      if (auto *o = llvm::dyn_cast_or_null<ObjectExpr>(a->getValue()))
        printItems(o->getBody(), sm, os, indent + 2);
      break;
    }
    case Item::Kind::Block: {
      auto *b = llvm::cast<Block>(item);
      os << "Block " << b->getKindName().name;
      for (const Label &l : b->getLabels()) {
        os << ' ';
        printExpr(l.value, os);
      }
      printLoc(b->getRange(), sm, os);
      os << '\n';
      printItems(b->getBody(), sm, os, indent + 2);
      break;
    }
    case Item::Kind::Expect: {
      auto *x = llvm::cast<Expect>(item);
      os << "Expect";
      printLoc(x->getRange(), sm, os);
      os << ' ';
      printExpr(x->getCondition(), os);
      if (x->getWithin()) {
        os << " within ";
        printExpr(x->getWithin(), os);
      }
      if (x->getAfter()) {
        os << " after ";
        printExpr(x->getAfter(), os);
      }
      os << '\n';
      break;
    }
    case Item::Kind::Import: {
      auto *i = llvm::cast<Import>(item);
      os << "Import ";
      printQuoted(i->getPath(), os);
      printLoc(i->getRange(), sm, os);
      os << '\n';
      break;
    }
    case Item::Kind::Param: {
      auto *p = llvm::cast<Param>(item);
      os << "Param " << p->getName().name;
      printLoc(p->getRange(), sm, os);
      os << " = ";
      printExpr(p->getValue(), os);
      os << '\n';
      break;
    }
    case Item::Kind::Let: {
      auto *l = llvm::cast<Let>(item);
      os << "Let " << l->getName().name;
      printLoc(l->getRange(), sm, os);
      os << " = ";
      printExpr(l->getValue(), os);
      os << '\n';
      break;
    }
    }
  }
}

void ast::dumpAST(const Program &program, const llvm::SourceMgr &sm,
                  llvm::raw_ostream &os) {
  for (const File *f : program.files) {
    os << "File " << llvm::sys::path::filename(f->path) << '\n';
    printItems(f->items, sm, os, 2);
  }
}

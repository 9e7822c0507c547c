//===- ASTBuilder.h - ANTLR parse tree to AST -------------------*- C++ -*-===//
//
// Private to Parse/. One build method per grammar rule, with the production in
// its comment. Tolerates the partial trees ANTLR's recovery leaves behind.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_PARSE_ASTBUILDER_H
#define INFRAC_PARSE_ASTBUILDER_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"

#include "InfraParser.h"

#include <vector>

namespace infrac {

class ASTBuilder {
public:
  using P = grammar::InfraParser;

  ASTBuilder(ast::ASTContext &ctx, DiagnosticEngine &diags, const char *bufStart)
      : ctx(ctx), diags(diags), bufStart(bufStart) {}

  void buildFile(P::FileContext *c, std::vector<ast::Item *> &out);
  ast::Expr *buildExprOnly(P::ExprOnlyContext *c);

  /// The token stream the trees being built come from.
  void setTokenStream(antlr4::TokenStream *s) { stream = s; }

private:
  ast::Item *buildTopItem(antlr4::tree::ParseTree *n);
  ast::Item *buildNamed(antlr4::ParserRuleContext *c);
  ast::Block *buildBlock(antlr4::ParserRuleContext *c, ast::Identifier kind);
  bool buildLabel(antlr4::Token *t, ast::Label &out);
  ast::Item *buildBodyItem(antlr4::tree::ParseTree *n);
  ast::Expr *buildExpr(P::ExprContext *c);
  ast::Expr *buildPrimary(antlr4::ParserRuleContext *c);
  ast::Expr *buildLiteral(antlr4::Token *t);
  ast::Expr *buildCall(P::PrimaryContext *c, ast::Identifier callee);
  bool buildArgument(P::ArgumentContext *c, ast::Argument &out);
  ast::Expr *buildReference(P::PrimaryContext *c);
  ast::Expr *buildList(P::PrimaryContext *c);
  ast::Expr *buildMap(P::PrimaryContext *c);
  bool buildMapEntry(P::MapEntryContext *c, ast::MapEntry &out);

  ast::ArrayRef<ast::Item *> buildBody(antlr4::ParserRuleContext *c);
  antlr4::Token *tokenOf(antlr4::tree::ParseTree *n) const;
  size_t firstToken(antlr4::ParserRuleContext *c) const;
  antlr4::Token *term(antlr4::ParserRuleContext *c, size_t type, size_t nth = 0) const;

  llvm::SMRange rangeOf(antlr4::Token *t) const;
  llvm::SMRange rangeOf(antlr4::ParserRuleContext *c) const;
  llvm::StringRef textOf(antlr4::Token *t) const;
  ast::Identifier identOf(antlr4::Token *t) const;
  ast::Expr *buildString(antlr4::Token *t);
  ast::Expr *buildNumber(antlr4::Token *t);
  ast::Expr *buildQuantity(antlr4::Token *t);

  ast::ASTContext &ctx;
  DiagnosticEngine &diags;
  const char *bufStart;
  antlr4::TokenStream *stream = nullptr;
};

} // namespace infrac

#endif

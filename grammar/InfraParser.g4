// Syntax of the .infra language.
//
// Newlines are not significant: an attribute ends where its expression ends, and ';'
// may separate items for readability. The AST builder (compiler/Parse/ASTBuilder.cpp)
// has one method per rule below.
parser grammar InfraParser;

options { tokenVocab = InfraLexer; }

file       : topItem* EOF ;
// The value of a command-line parameter (-P name=value).
exprOnly   : expr EOF ;
topItem    : importDecl | paramDecl | letDecl | block | SEMI ;
importDecl : IMPORT STRING ;
paramDecl  : PARAM IDENT ASSIGN expr ;
letDecl    : LET IDENT ASSIGN expr ;

// kind name { ... }, listener http { ... }, at 30s { ... }, load shop_alb { ... }
block      : IDENT label* LBRACE bodyItem* RBRACE ;
label      : IDENT | STRING | QUANTITY | NUMBER ;
bodyItem   : attribute | block | expectStmt | SEMI ;
attribute  : IDENT ASSIGN expr ;
expectStmt : EXPECT expr (WITHIN expr)? (AFTER expr)? ;

expr       : compareExpr (AND compareExpr)* ;
compareExpr: unaryExpr (compareOp unaryExpr)? ;
compareOp  : EQ | NE | LT | LE | GT | GE ;
unaryExpr  : MINUS? primary ;
primary    : literal
           | call
           | object
           | reference
           | list
           | map
           | LPAREN expr RPAREN
           ;
literal    : STRING | NUMBER | QUANTITY | TRUE | FALSE ;
call       : IDENT LPAREN (argument (COMMA argument)* COMMA?)? RPAREN ;
argument   : IDENT ASSIGN expr | expr (COLON expr)? ;
object     : IDENT LBRACE bodyItem* RBRACE ;
reference  : IDENT (DOT IDENT | LBRACK expr RBRACK)* ;
list       : LBRACK (expr (COMMA expr)* COMMA?)? RBRACK ;
map        : LBRACE (mapEntry (COMMA | SEMI)?)* RBRACE ;
mapEntry   : (IDENT | STRING) ASSIGN expr ;

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

// Alternatives are labelled so that each item or value is one parse-tree node:
// ANTLR's C++ runtime spends most of its time entering rules and allocating
// contexts, and a flat grammar halves both.
topItem    : IMPORT STRING                  # importDecl
           | PARAM IDENT ASSIGN expr        # paramDecl
           | LET IDENT ASSIGN expr          # letDecl
           | block                          # topBlock
           | IDENT ASSIGN expr              # topAttribute
           | SEMI                           # topSemi
           ;

// kind name { ... }, listener http { ... }, at 30s { ... }, load shop_alb { ... }
block      : IDENT label* LBRACE bodyItem* RBRACE ;
label      : IDENT | QUANTITY | NUMBER ;
bodyItem   : IDENT ASSIGN expr                         # attribute
           | block                                     # nestedBlock
           | EXPECT expr (WITHIN expr)? (AFTER expr)?  # expectStmt
           | SEMI                                      # semi
           ;

// `and` binds looser than comparisons: a < 1 and b > 2.
expr       : primary (compareOp primary)? (AND primary (compareOp primary)?)* ;
compareOp  : EQ | NE | LT | LE | GT | GE ;
primary    : STRING                                                  # stringLit
           | NUMBER                                                  # numberLit
           | QUANTITY                                                # quantityLit
           | (TRUE | FALSE)                                          # boolLit
           | MINUS primary                                           # negation
           | IDENT LPAREN (argument (COMMA argument)* COMMA?)? RPAREN  # call
           | IDENT LBRACE bodyItem* RBRACE                           # object
           | IDENT (DOT IDENT | LBRACK expr RBRACK)*                 # reference
           | LBRACK (expr (COMMA expr)* COMMA?)? RBRACK              # list
           | LBRACE (mapEntry (COMMA | SEMI)?)* RBRACE               # map
           | LPAREN expr RPAREN                                      # paren
           ;
argument   : IDENT ASSIGN expr | expr (COLON expr)? ;
mapEntry   : (IDENT | STRING) ASSIGN expr ;

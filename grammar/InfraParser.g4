// Syntax of the .infra language.
//
// Newlines are not significant: an attribute ends where its expression ends, and ';'
// may separate items for readability. The AST builder (compiler/Parse/ASTBuilder.cpp)
// has one method per alternative below.
parser grammar InfraParser;

options { tokenVocab = InfraLexer; }

file       : topItem* EOF ;
// The value of a command-line parameter (-P name=value).
exprOnly   : expr EOF ;

// Shaped for the speed of ANTLR's C++ runtime, which spends its time entering
// rules, allocating contexts and predicting:
//  * every decision on the common path is LL(1): an attribute (`port = 80`), a
//    block (`listener http { ... }`), a call, an object and a reference all
//    start with a name, so the name is matched once and the token after it
//    chooses. ANTLR then generates a switch on one token instead of calling
//    adaptivePredict (a DFA walk under a lock); the lists' and arguments'
//    trailing commas are the only LL(2) decisions left;
//  * no rule for a block, its labels or a comparison operator: they are
//    subrules and token sets of the rule that uses them;
//  * no labelled alternatives: a labelled alternative allocates a second
//    context and deepens the context class hierarchy that the runtime
//    dynamic_casts on every rule exit. The AST builder tells the alternatives
//    apart by their first token.
topItem    : IMPORT STRING
           | PARAM IDENT ASSIGN expr
           | LET IDENT ASSIGN expr
           // kind name { ... } (a block), or name = value (an error here,
           // kept so that Sema can say so precisely)
           | IDENT ( ASSIGN expr
                   | (IDENT | QUANTITY | NUMBER)* LBRACE bodyItem* RBRACE
                   )
           | SEMI
           ;

// name = value, or a nested block: listener http { ... }, at 30s { ... },
// load shop_alb { ... }
bodyItem   : IDENT ( ASSIGN expr
                   | (IDENT | QUANTITY | NUMBER)* LBRACE bodyItem* RBRACE
                   )
           | EXPECT expr (WITHIN expr)? (AFTER expr)?
           | SEMI
           ;

// `and` binds looser than comparisons: a < 1 and b > 2.
expr       : primary ((EQ | NE | LT | LE | GT | GE) primary)?
             (AND primary ((EQ | NE | LT | LE | GT | GE) primary)?)* ;
primary    : STRING | NUMBER | QUANTITY | TRUE | FALSE
           | MINUS primary
           // f(args), kind { ... } (an object), a.b[i] (a reference)
           | IDENT ( LPAREN (argument (COMMA argument)* COMMA?)? RPAREN
                   | LBRACE bodyItem* RBRACE
                   | (DOT IDENT | LBRACK expr RBRACK)*
                   )
           | LBRACK (expr (COMMA expr)* COMMA?)? RBRACK
           | LBRACE (mapEntry (COMMA | SEMI)?)* RBRACE
           | LPAREN expr RPAREN
           ;
argument   : IDENT ASSIGN expr | expr (COLON expr)? ;
mapEntry   : (IDENT | STRING) ASSIGN expr ;

// Tokens of the .infra language.
//
// The compiler lexes with the hand-written lexer in compiler/Parse/Lexer.cpp, which
// produces exactly these token types (it is checked against this grammar by the
// differential fuzzer and the lexer tests). This grammar stays the reference for the
// token set and is what the bare ANTLR baseline in bench/ runs.
lexer grammar InfraLexer;

IMPORT : 'import' ;
PARAM  : 'param' ;
LET    : 'let' ;
EXPECT : 'expect' ;
WITHIN : 'within' ;
AFTER  : 'after' ;
AND    : 'and' ;
TRUE   : 'true' ;
FALSE  : 'false' ;

LBRACE : '{' ;
RBRACE : '}' ;
LBRACK : '[' ;
RBRACK : ']' ;
LPAREN : '(' ;
RPAREN : ')' ;
COMMA  : ',' ;
SEMI   : ';' ;
DOT    : '.' ;
COLON  : ':' ;
EQ     : '==' ;
NE     : '!=' ;
LE     : '<=' ;
GE     : '>=' ;
LT     : '<' ;
GT     : '>' ;
ASSIGN : '=' ;
MINUS  : '-' ;

// A number with a unit: 30s, 250ms, 512MiB, 60%, 200/s, 1.5h. The unit is checked by
// the AST builder so that an unknown unit gets a diagnostic with a suggestion.
QUANTITY : DIGITS ('.' DIGITS)? ([a-zA-Z]+ | '%' | '/' [a-zA-Z]+) ;
NUMBER   : DIGITS ('.' DIGITS)? ;
STRING   : '"' (ESC | ~["\\\r\n])* '"' ;
IDENT    : [a-zA-Z_] [a-zA-Z0-9_]* ;

COMMENT  : '#' ~[\r\n]* -> skip ;
WS       : [ \t\r\n]+ -> skip ;

// Anything else is one error token; the parser never expects it.
ERROR_CHAR : . ;

fragment DIGITS : [0-9]+ ;
fragment ESC    : '\\' ( ["\\/nrt0] | 'u' HEX HEX HEX HEX | 'U' '{' HEX+ '}' ) ;
fragment HEX    : [0-9a-fA-F] ;

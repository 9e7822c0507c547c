//===- Lexer.h - Hand-written lexer for .infra ------------------*- C++ -*-===//
//
// A fast lexer producing the token set of grammar/InfraLexer.g4 (ANTLR 4.9's
// generated C++ lexer runs at about 5 MB/s; this one is roughly 50x that). Tokens
// are compact (kind, offset, length) records into the source buffer. The lexer
// also validates UTF-8, string escapes and nesting depth, reporting diagnostics.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_PARSE_LEXER_H
#define INFRAC_PARSE_LEXER_H

#include "Basic/Diagnostics.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <vector>

namespace infrac {

/// Token kinds, in the order of grammar/InfraLexer.g4 (Parser.cpp checks that
/// each value equals the generated constant).
enum class Tok : uint8_t {
  Invalid = 0,
  KwImport,
  KwParam,
  KwLet,
  KwExpect,
  KwWithin,
  KwAfter,
  KwAnd,
  KwTrue,
  KwFalse,
  LBrace,
  RBrace,
  LBrack,
  RBrack,
  LParen,
  RParen,
  Comma,
  Semi,
  Dot,
  Colon,
  EqEq,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  Assign,
  Minus,
  Quantity,
  Number,
  String,
  Ident,
  Comment,
  Whitespace,
  ErrorChar,
  Eof, ///< Not a grammar token: the end of input.
};

/// A user-facing name for a token kind ("'{'", "identifier", "string").
llvm::StringRef tokenName(Tok kind);

struct Token {
  Tok kind;
  uint32_t offset; ///< Byte offset into the buffer.
  uint32_t length;
};

struct LexedComment {
  uint32_t offset;
  uint32_t length; ///< Including the '#'.
};

/// Open brackets that were never closed, innermost last.
struct UnclosedBracket {
  Tok kind;
  uint32_t offset;
};

struct LexResult {
  std::vector<Token> tokens; ///< Ends with one Tok::Eof.
  std::vector<LexedComment> comments;
  std::vector<UnclosedBracket> unclosed;
  /// Lexing stopped early (too deep, binary input); the token stream is cut.
  bool truncated = false;
};

/// Most nested brackets allowed: deep enough for any real file, shallow enough
/// that every recursive stage stays far from the end of the stack.
constexpr unsigned MaxNestingDepth = 200;

/// Lexes `buffer`. Diagnostics are reported against `base`, the address of the
/// buffer's first byte in the SourceMgr (diags may be null for a silent lex).
LexResult lex(llvm::StringRef buffer, DiagnosticEngine *diags);

/// Decodes the escapes of a lexed string token's contents (without quotes).
/// Appends UTF-8 to `out`. Invalid escapes (already diagnosed) are skipped.
void decodeString(llvm::StringRef contents, std::string &out);

} // namespace infrac

#endif

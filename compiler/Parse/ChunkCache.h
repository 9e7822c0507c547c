//===- ChunkCache.h - Top-level chunks kept from one parse to the next -*- C++ -*-===//
//
// Private to Parse/: what a ParseCache holds, and the copy of a cached chunk's
// items into a new parse. A chunk is the tokens of one top-level item (see
// splitChunks in Parser.cpp) together with the text up to the next chunk; its
// parse depends on nothing else. So when a file is parsed again (the language
// server after a keystroke), a chunk whose text and tokens are those of a
// chunk that parsed cleanly last time has the same AST, at another place: it
// is copied with every location and every string that points into the old
// text moved by the distance between the two places, instead of being parsed.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_PARSE_CHUNKCACHE_H
#define INFRAC_PARSE_CHUNKCACHE_H

#include "Parse/Lexer.h"
#include "Parse/Parser.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <vector>

namespace infrac {

/// One chunk that parsed without a diagnostic.
struct CachedChunk {
  uint32_t firstToken, endToken; ///< [first, end) of CachedFile::tokens.
  uint32_t firstItem, endItem;   ///< [first, end) of CachedFile::items.
};

/// What one parse of a file left: its text, tokens and top-level items, and
/// its clean chunks by their text (from the first token to the next chunk).
struct CachedFile {
  llvm::StringRef text;
  std::vector<Token> tokens;
  std::vector<ast::Item *> items;
  std::vector<CachedChunk> chunks;
  llvm::DenseMap<llvm::StringRef, unsigned> byText;
};

struct ParseCache::Impl {
  llvm::StringMap<CachedFile> files;
};

/// Copies the items of `chunk` of `from` into `ctx` for a new parse whose
/// chunk of the same text starts at `newStart` (tokens [b, e) of that parse,
/// `keyLength` bytes from the first token to the next chunk). Returns false,
/// leaving `out` as it was, when the tokens differ or a location of the old
/// items points outside the old chunk's text (then the chunk is parsed).
bool copyCachedChunk(const CachedFile &from, const CachedChunk &chunk, const char *newStart,
                     const Token *b, const Token *e, size_t keyLength, ast::ASTContext &ctx,
                     std::vector<ast::Item *> &out);

} // namespace infrac

#endif

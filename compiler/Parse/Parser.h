//===- Parser.h - The parse stage -------------------------------*- C++ -*-===//
//
// parseBuffer: source text -> ast::File, with syntax diagnostics and recovery.
// loadProgram: root files -> ast::Program, following `import`s once each.
// The ANTLR-generated parser is an implementation detail of this stage.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_PARSE_PARSER_H
#define INFRAC_PARSE_PARSER_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace infrac {

/// The largest file infrac reads (a root, an import or standard input): 64
/// MiB, five times the 100,000-resource benchmark design. Offsets into a
/// file are 32 bits; a larger file is refused before it is read.
constexpr uint64_t MaxInputBytes = uint64_t(64) << 20;

/// What parsing a file leaves for parsing it again after an edit (the
/// language server's documents): the top-level chunks that parsed without a
/// diagnostic, by their text. A chunk of the new text that is one of them is
/// not parsed but copied, moved to its new place; the result is the AST a
/// parse would give. A cache refers to the buffers and the AST of the parse
/// that recorded it, which must outlive any parse that reuses it.
class ParseCache {
public:
  ParseCache();
  ~ParseCache();
  ParseCache(const ParseCache &) = delete;
  ParseCache &operator=(const ParseCache &) = delete;

  struct Impl;
  Impl &get() const { return *impl; }

private:
  std::unique_ptr<Impl> impl;
};

struct ParseOptions {
  /// Threads for the chunks of a large file; 0: one per core. Files of fewer
  /// than about 32,000 tokens are parsed on one.
  unsigned threads = 0;
  /// Reads a file for loadProgram; null reads the file system. The language
  /// server gives the editor's unsaved text of open documents.
  std::function<llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>>(llvm::StringRef path)>
      readFile;
  /// A previous parse's chunks to reuse (null: parse everything).
  const ParseCache *reuse = nullptr;
  /// Where this parse records its chunks for the next (null: nowhere).
  ParseCache *record = nullptr;
};

/// Parses the buffer `bufferId` of `sm`. Never fails: syntax errors become
/// diagnostics and the returned file holds what could be recovered.
ast::File *parseBuffer(unsigned bufferId, llvm::SourceMgr &sm,
                       ast::ASTContext &ctx, DiagnosticEngine &diags,
                       const ParseOptions &opts = {});

/// Parses a standalone expression (the value of `-P name=value`); null on error.
ast::Expr *parseExpression(unsigned bufferId, llvm::SourceMgr &sm,
                           ast::ASTContext &ctx, DiagnosticEngine &diags);

/// Loads the root files and every file they import (each once, imports resolved
/// relative to the importing file). Only regular files of at most
/// MaxInputBytes are read ('-' is standard input). A root that cannot be read
/// is an error of the environment (returned); an import that cannot be read,
/// a NUL in an import path, or an import cycle, is a diagnostic.
llvm::Expected<ast::Program> loadProgram(llvm::ArrayRef<std::string> paths,
                                         llvm::SourceMgr &sm,
                                         ast::ASTContext &ctx,
                                         DiagnosticEngine &diags,
                                         const ParseOptions &opts = {});

} // namespace infrac

#endif

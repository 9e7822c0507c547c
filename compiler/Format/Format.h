//===- Format.h - The canonical layout of .infra files ----------*- C++ -*-===//
//
// infrac fmt and the language server's formatting: one layout, no options.
//
//  * two-space indentation by nesting; one space around `=` and comparison
//    operators, after `,` `:` and keywords; none inside `()` and `[]`;
//  * a block, object, list, map or call written on one line stays on one line
//    (`ingress { protocol = tcp; port = 443 }`); one written over several
//    lines gets one item per line, lists, maps and calls a trailing comma;
//  * items written on one line stay together, joined by `; `;
//  * comments stay where they are, own-line comments at the indentation of
//    what follows them, trailing comments two spaces after their line; at most
//    one blank line is kept between items, none after `{` or before `}`.
//
// The layout is a function of the token stream and of where the source put
// its line breaks, so formatting a formatted file changes nothing. Files with
// syntax errors are not formatted.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_FORMAT_FORMAT_H
#define INFRAC_FORMAT_FORMAT_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

#include <string>

namespace infrac::format {

/// Formats an already parsed file (one without syntax errors); `source` is the
/// text of its buffer.
std::string formatFile(const ast::File &file, llvm::StringRef source);

/// Parses buffer `bufferId` of `sm` and formats it into `out`. Returns false,
/// with the syntax errors in `diags` and `out` untouched, when the buffer does
/// not parse.
bool formatBuffer(unsigned bufferId, llvm::SourceMgr &sm, DiagnosticEngine &diags,
                  std::string &out);

/// Formats `source` (named `name` in diagnostics) on its own SourceMgr.
/// Returns false and the rendered syntax errors in `errors` when it does not
/// parse.
bool formatText(llvm::StringRef source, llvm::StringRef name, std::string &out,
                std::string &errors);

/// A unified diff (3 lines of context) from `before` to `after`, with the
/// `--- a/NAME` and `+++ b/NAME` header; empty when they are equal.
std::string unifiedDiff(llvm::StringRef before, llvm::StringRef after, llvm::StringRef name);

} // namespace infrac::format

#endif

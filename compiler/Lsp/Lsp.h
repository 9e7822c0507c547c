//===- Lsp.h - infrac's language server -------------------------*- C++ -*-===//
//
// The Language Server Protocol over stdio (JSON-RPC with Content-Length
// framing, JSON by llvm/Support/JSON.h as clangd does). Each open document is
// checked as `infrac check` checks a root file: parse with its imports (open
// documents' unsaved text in place of the disk's), the model, the rule
// catalogue with the nearest .infrac.yaml, so the diagnostics have the ids,
// ranges, notes and fix-its of the command line.
//
// Served: diagnostics on open and change, code actions (fix-its, suppress
// with a reason), hover, completion, definition, references, rename,
// document symbols, formatting (infrac fmt) and semantic tokens. Documents
// are synchronised whole (TextDocumentSyncKind.Full); a change re-parses only
// the top-level blocks whose text changed. Requests are answered in order on
// one thread.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_LSP_LSP_H
#define INFRAC_LSP_LSP_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace infrac::lsp {

class Analysis;

/// Where the time of one check went, in milliseconds.
struct CheckTiming {
  double parse = 0, model = 0, rules = 0, index = 0;
};

/// The documents the editor has open and the analysis of each. Positions are
/// LSP's: zero-based lines, UTF-16 code units.
class Workspace {
public:
  /// `reuseChunks`: a change parses only the top-level chunks whose text
  /// changed (see ParseCache); false parses the whole document each time,
  /// for benchmarks beside it.
  explicit Workspace(bool reuseChunks = true);
  ~Workspace();

  /// Sets the text of `uri` and checks it again. Returns the parameters of
  /// the textDocument/publishDiagnostics notification for it.
  llvm::json::Value update(llvm::StringRef uri, std::string text, int64_t version);
  void close(llvm::StringRef uri);
  /// Frees the analyses that update() and close() replaced, on another
  /// thread; the server calls it when it has answered, before it waits for
  /// the next message. `wait`: until they are freed.
  void releaseRetired(bool wait = false);
  /// The phases of the last update().
  const CheckTiming &lastTiming() const { return last; }

  /// Answers a request (textDocument/hover, ...). An unknown method or bad
  /// parameters are errors (JSON-RPC's MethodNotFound / InvalidParams).
  llvm::Expected<llvm::json::Value> request(llvm::StringRef method,
                                            const llvm::json::Value &params);

  /// What `initialize` answers: the server's capabilities and name.
  static llvm::json::Value initializeResult();

private:
  struct Document {
    std::string text;
    int64_t version = 0;
    std::unique_ptr<Analysis> analysis;
  };
  std::map<std::string, Document> docs;
  std::vector<std::unique_ptr<Analysis>> retired;
  std::thread reaper;
  CheckTiming last;
  bool reuseChunks;
  const Analysis *analysisOf(const llvm::json::Value &params) const;
  const Document *documentOf(const llvm::json::Value &params) const;
};

/// Serves the protocol on `in`/`out` until `exit`. Returns the exit code (0
/// after shutdown then exit, 1 when exit came without shutdown or the input
/// ended). `log`, when given, gets a line per message.
int serve(std::FILE *in, std::FILE *out, llvm::raw_ostream *log);

/// file:///a%20b/c.infra <-> /a b/c.infra
std::string uriToPath(llvm::StringRef uri);
std::string pathToUri(llvm::StringRef path);

} // namespace infrac::lsp

#endif

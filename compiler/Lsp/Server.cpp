//===- Server.cpp - JSON-RPC over stdio for the language server -----------===//
//
// Content-Length framed messages in, dispatch to the Workspace, responses and
// notifications out. One thread: each request is answered before the next is
// read, which keeps diagnostics and answers in the order the editor sent.
//
//===----------------------------------------------------------------------===//

#include "Lsp/Lsp.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdlib>
#include <cstring>
#include <string>

using namespace infrac;
using namespace infrac::lsp;
namespace json = llvm::json;

namespace {

enum ErrorCode : int64_t {
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  ServerNotInitialized = -32002,
  RequestFailed = -32803,
};

/// Reads one framed message; false at the end of the input.
bool readMessage(std::FILE *in, std::string &body) {
  size_t length = 0;
  bool haveLength = false;
  char line[1024];
  while (true) {
    if (!std::fgets(line, sizeof line, in))
      return false;
    llvm::StringRef l = llvm::StringRef(line).rtrim("\r\n");
    if (l.empty()) {
      if (haveLength)
        break;
      continue; // stray blank line between messages
    }
    if (l.consume_front_insensitive("Content-Length:")) {
      unsigned long long n;
      if (!l.trim().getAsInteger(10, n)) {
        length = static_cast<size_t>(n);
        haveLength = true;
      }
    }
  }
  body.resize(length);
  size_t got = 0;
  while (got < length) {
    size_t n = std::fread(&body[got], 1, length - got, in);
    if (n == 0)
      return false;
    got += n;
  }
  return true;
}

void writeMessage(std::FILE *out, const json::Value &msg) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << msg;
  os.flush();
  std::fprintf(out, "Content-Length: %zu\r\n\r\n", text.size());
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

json::Value errorResponse(const json::Value &id, int64_t code, std::string message) {
  return json::Object{{"jsonrpc", "2.0"},
                      {"id", id},
                      {"error", json::Object{{"code", code}, {"message", std::move(message)}}}};
}

} // namespace

int lsp::serve(std::FILE *in, std::FILE *out, llvm::raw_ostream *log) {
  Workspace ws;
  bool initialized = false, shutdown = false;
  std::string body;
  auto logTiming = [&](llvm::StringRef uri) {
    if (!log)
      return;
    const CheckTiming &t = ws.lastTiming();
    *log << llvm::formatv("infrac lsp: checked {0}: parse {1:f1} ms, model {2:f1} ms, rules "
                          "{3:f1} ms, index {4:f1} ms\n",
                          uri, t.parse, t.model, t.rules, t.index);
  };
  auto notify = [&](llvm::StringRef method, json::Value params) {
    writeMessage(out, json::Object{
                          {"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  };
  while (true) {
    ws.releaseRetired();
    if (!readMessage(in, body))
      break;
    llvm::Expected<json::Value> parsed = json::parse(body);
    if (!parsed) {
      std::string msg = llvm::toString(parsed.takeError());
      if (log)
        *log << "infrac lsp: bad message: " << msg << "\n";
      writeMessage(out, errorResponse(nullptr, ParseError, msg));
      continue;
    }
    const json::Object *obj = parsed->getAsObject();
    if (!obj) {
      writeMessage(out, errorResponse(nullptr, InvalidRequest, "a message must be an object"));
      continue;
    }
    llvm::StringRef method = obj->getString("method").getValueOr("");
    const json::Value *id = obj->get("id");
    json::Value params = obj->get("params") ? *obj->get("params") : json::Value(nullptr);
    if (log)
      *log << "infrac lsp: <- " << (method.empty() ? "(response)" : method) << "\n";
    if (method.empty())
      continue; // a response to something we never ask

    // Notifications.
    if (!id) {
      if (method == "exit")
        return shutdown ? 0 : 1;
      if (!initialized)
        continue;
      const json::Object *p = params.getAsObject();
      const json::Object *doc = p ? p->getObject("textDocument") : nullptr;
      llvm::StringRef uri = doc ? doc->getString("uri").getValueOr("") : "";
      if (method == "textDocument/didOpen" && doc) {
        std::string text = doc->getString("text").getValueOr("").str();
        int64_t version = doc->getInteger("version").getValueOr(0);
        notify("textDocument/publishDiagnostics", ws.update(uri, std::move(text), version));
        logTiming(uri);
      } else if (method == "textDocument/didChange" && doc) {
        const json::Array *changes = p->getArray("contentChanges");
        int64_t version = doc->getInteger("version").getValueOr(0);
        // Full synchronisation: the last change holds the whole text.
        if (changes && !changes->empty())
          if (const json::Object *last = changes->back().getAsObject())
            if (auto text = last->getString("text"))
            {
              notify("textDocument/publishDiagnostics", ws.update(uri, text->str(), version));
              logTiming(uri);
            }
      } else if (method == "textDocument/didClose" && doc) {
        ws.close(uri);
        notify("textDocument/publishDiagnostics",
               json::Object{{"uri", uri}, {"diagnostics", json::Array()}});
      }
      // didSave, initialized, $/cancelRequest, ...: nothing to do.
      continue;
    }

    // Requests.
    if (method == "initialize") {
      initialized = true;
      writeMessage(out, json::Object{{"jsonrpc", "2.0"},
                                     {"id", *id},
                                     {"result", Workspace::initializeResult()}});
      continue;
    }
    if (!initialized) {
      writeMessage(out, errorResponse(*id, ServerNotInitialized, "initialize first"));
      continue;
    }
    if (method == "shutdown") {
      shutdown = true;
      writeMessage(out, json::Object{{"jsonrpc", "2.0"}, {"id", *id}, {"result", nullptr}});
      continue;
    }
    llvm::Expected<json::Value> result = ws.request(method, params);
    if (!result) {
      std::string msg = llvm::toString(result.takeError());
      int64_t code = llvm::StringRef(msg).startswith("unknown method") ? MethodNotFound
                                                                       : InvalidParams;
      writeMessage(out, errorResponse(*id, code, msg));
      continue;
    }
    writeMessage(out,
                 json::Object{{"jsonrpc", "2.0"}, {"id", *id}, {"result", std::move(*result)}});
  }
  return 1;
}

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

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include <poll.h>
#include <unistd.h>

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

/// Content-Length framed messages from a file descriptor, with a look at
/// whether the next one is already there.
class Reader {
public:
  explicit Reader(int fd) : fd(fd) {}

  /// Reads one message's body; false at the end of the input.
  bool read(std::string &body) {
    size_t length = 0;
    bool haveLength = false;
    while (true) {
      std::string line;
      if (!readLine(line))
        return false;
      llvm::StringRef l = llvm::StringRef(line).rtrim("\r\n");
      if (l.empty()) {
        if (haveLength)
          break;
        continue; // a stray blank line between messages
      }
      if (l.consume_front_insensitive("Content-Length:")) {
        unsigned long long n;
        if (!l.trim().getAsInteger(10, n)) {
          length = static_cast<size_t>(n);
          haveLength = true;
        }
      }
    }
    while (buf.size() - pos < length)
      if (!fill())
        return false;
    body.assign(buf, pos, length);
    pos += length;
    compact();
    return true;
  }

  /// Whether more input is there, or comes within `timeoutMs`.
  bool ready(int timeoutMs) {
    if (pos < buf.size())
      return true;
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeoutMs) > 0 && (p.revents & (POLLIN | POLLHUP));
  }

private:
  bool readLine(std::string &line) {
    while (true) {
      size_t nl = buf.find('\n', pos);
      if (nl != std::string::npos) {
        line.assign(buf, pos, nl + 1 - pos);
        pos = nl + 1;
        return true;
      }
      if (!fill())
        return false;
    }
  }
  bool fill() {
    char chunk[65536];
    while (true) {
      ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n > 0) {
        buf.append(chunk, static_cast<size_t>(n));
        return true;
      }
      if (n < 0 && errno == EINTR)
        continue;
      return false;
    }
  }
  void compact() {
    if (pos > (1u << 20) || pos == buf.size()) {
      buf.erase(0, pos);
      pos = 0;
    }
  }
  int fd;
  std::string buf;
  size_t pos = 0;
};

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
  Reader reader(fileno(in));
  // A message read ahead: whether a change is superseded by the next one.
  std::optional<std::string> ahead;
  auto next = [&](std::string &b) {
    if (ahead) {
      b = std::move(*ahead);
      ahead.reset();
      return true;
    }
    return reader.read(b);
  };
  // How long the last check took: a change waits an eighth of that (at most
  // 25 ms) for the next message to start, which is how a burst of typing on
  // a large file gets only its last change checked; a small file's check
  // (a few ms) waits well under a millisecond.
  double lastCheckMs = 0;
  /// True when the message after this one is there (or starts within the
  /// wait) and is another full change of `uri`: this one's check would be
  /// thrown away at once.
  auto superseded = [&](llvm::StringRef uri) {
    if (!ahead) {
      int waitMs = static_cast<int>(std::min(25.0, lastCheckMs / 8));
      if (!reader.ready(waitMs))
        return false;
      std::string b;
      if (!reader.read(b))
        return false;
      ahead = std::move(b);
    }
    llvm::Expected<json::Value> v = json::parse(*ahead);
    if (!v) {
      llvm::consumeError(v.takeError());
      return false;
    }
    const json::Object *o = v->getAsObject();
    const json::Object *p = o ? o->getObject("params") : nullptr;
    const json::Object *d = p ? p->getObject("textDocument") : nullptr;
    return o && !o->get("id") &&
           o->getString("method").getValueOr("") == "textDocument/didChange" && d &&
           d->getString("uri").getValueOr("") == uri;
  };
  while (true) {
    ws.releaseRetired();
    if (!next(body))
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
        auto start = std::chrono::steady_clock::now();
        json::Value diags = ws.update(uri, std::move(text), version);
        lastCheckMs = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count();
        notify("textDocument/publishDiagnostics", std::move(diags));
        logTiming(uri);
      } else if (method == "textDocument/didChange" && doc) {
        const json::Array *changes = p->getArray("contentChanges");
        int64_t version = doc->getInteger("version").getValueOr(0);
        // Full synchronisation: the last change holds the whole text. When
        // the editor has already sent the next change of the document (fast
        // typing on a large file), only that one is checked.
        if (changes && !changes->empty()) {
          if (superseded(uri)) {
            if (log)
              *log << "infrac lsp: version " << version << " superseded, not checked\n";
          } else if (const json::Object *last = changes->back().getAsObject()) {
            if (auto text = last->getString("text")) {
              auto start = std::chrono::steady_clock::now();
              json::Value diags = ws.update(uri, text->str(), version);
              lastCheckMs = std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - start)
                                .count();
              notify("textDocument/publishDiagnostics", std::move(diags));
              logTiming(uri);
            }
          }
        }
      } else if (method == "textDocument/didClose" && doc) {
        ws.close(uri);
        notify("textDocument/publishDiagnostics",
               json::Object{{"uri", uri.str()}, {"diagnostics", json::Array()}});
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

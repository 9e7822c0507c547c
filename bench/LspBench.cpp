//===- LspBench.cpp - Re-check latency of the language server -------------===//
//
// infrac-lspbench [N] [--edits=K]: opens the generated N-resource file
// (bench/Generator, default 10,000) in a running `infrac lsp` (over its
// stdio, as an editor does), then makes K single-character edits (a port
// number, at spread-out places) and times each from the didChange sent to the
// publishDiagnostics received for that version: the re-check after a
// keystroke as the editor sees it. The same edits are also timed in process
// (Workspace::update, the server without its process and pipes), once as the
// server makes them (the unchanged top-level chunks reused) and once parsing
// the whole document each time. Prints p50/p95/max beside `infrac check` on
// the same file as a process (the command line a user would otherwise
// re-run), measured in the same run.
//
//===----------------------------------------------------------------------===//

#include "Child.h"
#include "Generator.h"
#include "Lsp/Lsp.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <ctime>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace infrac;

namespace {

/// `infrac lsp` as a child process on two pipes.
class Server {
public:
  bool start() {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0)
      return false;
    pid = fork();
    if (pid < 0)
      return false;
    if (pid == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      execl(INFRAC_BINARY, INFRAC_BINARY, "lsp", static_cast<char *>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to = fdopen(in[1], "w");
    from = fdopen(out[0], "r");
    return to && from;
  }
  ~Server() {
    if (to)
      fclose(to);
    if (from)
      fclose(from);
    if (pid > 0) {
      int status;
      // It exits at the end of its input; make sure, then reap it.
      for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; ++i)
        usleep(100000);
      if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
      }
    }
  }
  void send(const llvm::json::Value &msg) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << msg;
    os.flush();
    std::fprintf(to, "Content-Length: %zu\r\n\r\n", text.size());
    std::fwrite(text.data(), 1, text.size(), to);
    std::fflush(to);
  }
  /// The next message, or null at the end.
  llvm::Optional<llvm::json::Value> receive() {
    size_t length = 0;
    char line[512];
    while (std::fgets(line, sizeof line, from)) {
      if (std::strncmp(line, "Content-Length:", 15) == 0)
        length = std::strtoul(line + 15, nullptr, 10);
      else if (line[0] == '\r' || line[0] == '\n') {
        std::string body(length, '\0');
        if (std::fread(&body[0], 1, length, from) != length)
          return llvm::None;
        auto v = llvm::json::parse(body);
        if (!v) {
          llvm::consumeError(v.takeError());
          return llvm::None;
        }
        return std::move(*v);
      }
    }
    return llvm::None;
  }
  /// Waits for the diagnostics of `version`; false if the server ended.
  bool waitDiagnostics(int64_t version) {
    while (auto m = receive()) {
      const llvm::json::Object *o = m->getAsObject();
      if (!o || o->getString("method").getValueOr("") != "textDocument/publishDiagnostics")
        continue;
      const llvm::json::Object *p = o->getObject("params");
      if (p && p->getInteger("version").getValueOr(-1) == version)
        return true;
    }
    return false;
  }

private:
  pid_t pid = -1;
  FILE *to = nullptr, *from = nullptr;
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * v.size()))];
}

/// The in-process figures of one way of re-checking.
struct InProcess {
  double openMs = 0;
  std::vector<double> ms, cpu; ///< Per edit: wall and CPU time (all threads).
  lsp::CheckTiming split;      ///< The mean of each phase.
};

/// `edits` edits of `text` through a Workspace in this process, reusing the
/// unchanged chunks or parsing the whole document each time.
InProcess inProcess(bool reuse, const std::string &uri, std::string text,
                    const std::vector<size_t> &sites, size_t edits, size_t &firstDiags) {
  using clock = std::chrono::steady_clock;
  auto cpuNow = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  };
  InProcess r;
  lsp::Workspace ws(reuse);
  auto t0 = clock::now();
  llvm::json::Value first = ws.update(uri, text, 1);
  r.openMs = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  firstDiags = first.getAsObject()->getArray("diagnostics")->size();
  ws.releaseRetired(/*wait=*/true);
  for (size_t k = 0; k < edits; ++k) {
    size_t at = sites[(k * 7919) % sites.size()];
    // 80 -> 81 -> 80 ...: the file stays valid.
    char &c = text[at + 1];
    c = c == '0' ? '1' : c == '1' ? '0' : c;
    auto s = clock::now();
    double c0 = cpuNow();
    llvm::json::Value d = ws.update(uri, text, static_cast<int64_t>(k + 2));
    std::string payload;
    llvm::raw_string_ostream os(payload);
    os << d;
    os.flush();
    r.ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - s).count());
    r.cpu.push_back(cpuNow() - c0);
    ws.releaseRetired(/*wait=*/true);
    const lsp::CheckTiming &t = ws.lastTiming();
    r.split.parse += t.parse / edits;
    r.split.model += t.model / edits;
    r.split.rules += t.rules / edits;
    r.split.index += t.index / edits;
  }
  return r;
}

} // namespace

int main(int argc, char **argv) {
  size_t n = 10000, edits = 40;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--edits=", 8) == 0) {
      if (!bench::parseSize(argv[i] + 8, edits)) {
        std::fprintf(stderr, "infrac-lspbench: --edits= expects a positive number\n");
        return 2;
      }
    } else if (!bench::parseSize(argv[i], n)) {
      std::fprintf(stderr, "usage: infrac-lspbench [N] [--edits=K]\n");
      return 2;
    }
  }
  bench::GeneratedFile gen = bench::generate(n);
  llvm::SmallString<128> path;
  if (llvm::sys::fs::createTemporaryFile("lspbench", "infra", path)) {
    std::fprintf(stderr, "infrac-lspbench: cannot create a temporary file\n");
    return 2;
  }
  bench::writeWhole(std::string(path), gen.text);
  std::string uri = lsp::pathToUri(path);

  // Edit sites: the digits of `port = NNNN` values spread over the file.
  std::vector<size_t> sites;
  for (size_t p = gen.text.find("port = "); p != std::string::npos;
       p = gen.text.find("port = ", p + 1))
    sites.push_back(p + 7);
  if (sites.empty()) {
    std::fprintf(stderr, "infrac-lspbench: no edit site in the generated file\n");
    return 2;
  }
  using clock = std::chrono::steady_clock;
  size_t firstDiags = 0;
  InProcess reusing = inProcess(true, uri, gen.text, sites, edits, firstDiags);
  InProcess whole = inProcess(false, uri, gen.text, sites, edits, firstDiags);
  // The same edits through `infrac lsp`.
  std::vector<double> served;
  double serverOpenMs = 0, burstMs = 0;
  unsigned burstChecks = 0;
  {
    Server server;
    if (!server.start()) {
      std::fprintf(stderr, "infrac-lspbench: cannot start %s lsp\n", INFRAC_BINARY);
      return 2;
    }
    namespace json = llvm::json;
    server.send(json::Object{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
                             {"params", json::Object{{"capabilities", json::Object{}}}}});
    server.receive();
    server.send(json::Object{{"jsonrpc", "2.0"}, {"method", "initialized"},
                             {"params", json::Object{}}});
    auto s0 = clock::now();
    server.send(json::Object{
        {"jsonrpc", "2.0"},
        {"method", "textDocument/didOpen"},
        {"params", json::Object{{"textDocument", json::Object{{"uri", uri},
                                                              {"languageId", "infra"},
                                                              {"version", 1},
                                                              {"text", gen.text}}}}}});
    if (!server.waitDiagnostics(1)) {
      std::fprintf(stderr, "infrac-lspbench: the server published no diagnostics\n");
      return 2;
    }
    serverOpenMs = std::chrono::duration<double, std::milli>(clock::now() - s0).count();
    std::string t = gen.text;
    for (size_t k = 0; k < edits; ++k) {
      size_t at = sites[(k * 7919) % sites.size()];
      char &c = t[at + 1];
      c = c == '0' ? '1' : c == '1' ? '0' : c;
      int64_t version = static_cast<int64_t>(k + 2);
      json::Value change = json::Object{
          {"jsonrpc", "2.0"},
          {"method", "textDocument/didChange"},
          {"params", json::Object{{"textDocument", json::Object{{"uri", uri}, {"version", version}}},
                                  {"contentChanges", json::Array{json::Object{{"text", t}}}}}}};
      auto s = clock::now();
      server.send(change);
      if (!server.waitDiagnostics(version)) {
        std::fprintf(stderr, "infrac-lspbench: the server stopped\n");
        return 2;
      }
      served.push_back(std::chrono::duration<double, std::milli>(clock::now() - s).count());
    }
    // Typing faster than a check: 5 changes sent at once. The server checks
    // only the ones not already superseded by the next.
    {
      int64_t first = static_cast<int64_t>(edits + 2);
      auto s = clock::now();
      // Sent on another thread while this one reads: the server answers a
      // change it checks while the next ones are still being written, and
      // neither side may wait on a full pipe.
      std::thread sender([&] {
        for (int64_t v = first; v < first + 5; ++v) {
          size_t at = sites[(static_cast<size_t>(v) * 7919) % sites.size()];
          char &c = t[at + 1];
          c = c == '0' ? '1' : c == '1' ? '0' : c;
          server.send(json::Object{
              {"jsonrpc", "2.0"},
              {"method", "textDocument/didChange"},
              {"params",
               json::Object{{"textDocument", json::Object{{"uri", uri}, {"version", v}}},
                            {"contentChanges", json::Array{json::Object{{"text", t}}}}}}});
        }
      });
      unsigned checks = 0;
      while (auto m = server.receive()) {
        const json::Object *o = m->getAsObject();
        const json::Object *p = o ? o->getObject("params") : nullptr;
        if (!p || o->getString("method").getValueOr("") != "textDocument/publishDiagnostics")
          continue;
        ++checks;
        if (p->getInteger("version").getValueOr(-1) == first + 4)
          break;
      }
      sender.join();
      burstMs = std::chrono::duration<double, std::milli>(clock::now() - s).count();
      burstChecks = checks;
    }
    server.send(json::Object{{"jsonrpc", "2.0"}, {"id", 2}, {"method", "shutdown"}});
    server.receive();
    server.send(json::Object{{"jsonrpc", "2.0"}, {"method", "exit"}});
  }
  bench::Run cli = bench::best({INFRAC_BINARY, "check", std::string(path)}, 5);
  llvm::sys::fs::remove(path);

  std::printf("file: %zu resources, %zu lines, %zu bytes; %zu diagnostics\n", gen.resources,
              gen.lines, gen.text.size(), firstDiags);
  std::printf("infrac lsp, didChange -> publishDiagnostics:\n");
  std::printf("  open (first check):      %8.1f ms\n", serverOpenMs);
  std::printf("  re-check after an edit:  p50 %6.1f ms   p95 %6.1f ms   max %6.1f ms  (%zu edits)\n",
              percentile(served, 0.50), percentile(served, 0.95), percentile(served, 1.0),
              served.size());
  std::printf("  5 changes sent at once:  last diagnostics after %.1f ms, %u of 5 checked\n",
              burstMs, burstChecks);
  for (const InProcess *r : {&reusing, &whole}) {
    std::printf("in process (Workspace::update, no pipes, glibc malloc), %s:\n",
                r == &reusing ? "unchanged chunks reused" : "the whole document parsed");
    std::printf("  open (first check):      %8.1f ms\n", r->openMs);
    std::printf("  re-check after an edit:  p50 %6.1f ms   p95 %6.1f ms   max %6.1f ms\n",
                percentile(r->ms, 0.50), percentile(r->ms, 0.95), percentile(r->ms, 1.0));
    std::printf("  CPU time (all threads):  p50 %6.1f ms   p95 %6.1f ms  (what it needs of idle "
                "cores)\n",
                percentile(r->cpu, 0.50), percentile(r->cpu, 0.95));
    std::printf("  of which (mean):         parse %.1f ms, model %.1f ms, rules %.1f ms, "
                "index %.1f ms\n",
                r->split.parse, r->split.model, r->split.rules, r->split.index);
  }
  std::printf("infrac check FILE (a process, best of 5):  %5.1f ms%s\n", cli.seconds * 1000,
              cli.ok ? "" : "  (exit status not 0: the file has errors)");
  return 0;
}

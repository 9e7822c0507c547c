//===- RespStoreMain.cpp - infrac-store: the embedded store alone ---------===//
//
// infrac-store [--port N] [--replica] [--replica-port M] [--requirepass P]
//              [--ready-file F]
//
// Serves the embedded Redis-compatible store on 127.0.0.1 until SIGINT or
// SIGTERM, or until every node was shut down (SHUTDOWN to a node kills it;
// the replica, if any, takes over from a killed primary). The ready file,
// written once every node listens, is one JSON object:
//   {"backend":"embedded","nodes":[{"role":"primary","address":"127.0.0.1:P"},
//                                  {"role":"replica","address":"127.0.0.1:R"}]}
//
//===----------------------------------------------------------------------===//
#include "RespStore.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <csignal>
#include <cstdlib>
#include <string>

using namespace infrac;
using llvm::StringRef;

static volatile std::sig_atomic_t stopRequested = 0;
static void onSignal(int) { stopRequested = 1; }

static int usage(StringRef why) {
  llvm::errs() << "infrac-store: error: " << why << "\n"
               << "usage: infrac-store [--port N] [--replica] [--replica-port "
                  "M] [--requirepass P] [--ready-file F]\n";
  return 2;
}

static bool parsePort(StringRef s, uint16_t &port) {
  unsigned v;
  if (s.getAsInteger(10, v) || v > 65535)
    return false;
  port = uint16_t(v);
  return true;
}

int main(int argc, char **argv) {
  live::RespStoreOptions options;
  uint16_t port = 0;
  std::string readyFile;
  for (int i = 1; i < argc; ++i) {
    StringRef a = argv[i];
    auto value = [&](StringRef &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    StringRef v;
    if (a == "--replica") {
      options.replica = true;
    } else if (a == "--port") {
      if (!value(v) || !parsePort(v, port))
        return usage("'--port' expects a port number");
    } else if (a == "--replica-port") {
      if (!value(v) || !parsePort(v, options.replicaPort))
        return usage("'--replica-port' expects a port number");
      options.replica = true;
    } else if (a == "--requirepass") {
      if (!value(v))
        return usage("'--requirepass' expects a password");
      options.password = v.str();
    } else if (a == "--ready-file") {
      if (!value(v))
        return usage("'--ready-file' expects a path");
      readyFile = v.str();
    } else if (a == "--help" || a == "-h") {
      usage("");
      return 0;
    } else {
      return usage(("unknown argument '" + a + "'").str());
    }
  }

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGPIPE, SIG_IGN);

  live::RespStore store(options);
  auto started = store.start(port);
  if (!started) {
    llvm::errs() << "infrac-store: error: " << llvm::toString(started.takeError())
                 << "\n";
    return 1;
  }
  std::string ready = "{\"backend\":\"embedded\",\"nodes\":[";
  for (unsigned n = 0; n < store.nodeCount(); ++n) {
    if (n)
      ready += ",";
    ready += "{\"role\":\"";
    ready += n == 0 ? "primary" : "replica";
    ready += "\",\"address\":\"" + store.address(n) + "\"}";
  }
  ready += "]}\n";
  llvm::outs() << ready;
  llvm::outs().flush();
  if (!readyFile.empty()) {
    // Written whole under another name, then renamed: a reader never sees
    // half of it.
    std::string tmp = readyFile + ".tmp";
    std::error_code ec;
    {
      llvm::raw_fd_ostream os(tmp, ec);
      if (!ec)
        os << ready;
    }
    if (!ec)
      ec = llvm::sys::fs::rename(tmp, readyFile);
    if (ec) {
      llvm::errs() << "infrac-store: error: cannot write '" << readyFile
                   << "': " << ec.message() << "\n";
      return 1;
    }
  }
  while (!stopRequested && !store.waitAllDown(runtime::millis(100))) {
  }
  store.stop();
  return 0;
}

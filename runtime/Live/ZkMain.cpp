//===- ZkMain.cpp - infrac-zk: the embedded ZooKeeper ensemble on its own --===//
//
//   infrac-zk [--servers N] [--tick 200ms] [--ports P1,P2,...] [--ready-file F]
//
// Serves until stdin ends or says `quit`. Commands on stdin, one a line, each
// answered on stdout: `kill ID`, `restore ID` (server ids count from 1, as
// ZooKeeper's myid), `leader` (0 when there is none), `status` (JSON).
//
//===----------------------------------------------------------------------===//
#include "Live/ZkServer.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <unistd.h>

using namespace infrac;

static int usage() {
  llvm::errs() << "usage: infrac-zk [--servers N] [--tick 200ms] [--ports P1,P2,...] "
                  "[--ready-file F]\n";
  return 2;
}

static std::string statusJson(const live::ZkServerStatus &s) {
  std::string j = "{\"servers\":[";
  for (size_t i = 0; i < s.ports.size(); ++i) {
    if (i)
      j += ",";
    j += "{\"id\":" + std::to_string(i + 1) + ",\"address\":\"127.0.0.1:" +
         std::to_string(s.ports[i]) + "\",\"up\":" + (s.up[i] ? "true" : "false") + "}";
  }
  j += "],\"leader\":" + std::to_string(s.leader + 1);
  j += ",\"leader_changes\":" + std::to_string(s.leaderChanges);
  j += ",\"sessions\":" + std::to_string(s.sessions);
  j += ",\"connections\":" + std::to_string(s.connections);
  j += ",\"znodes\":" + std::to_string(s.znodes);
  j += ",\"watches\":" + std::to_string(s.watches);
  j += ",\"last_zxid\":" + std::to_string(s.lastZxid) + "}";
  return j;
}

int main(int argc, char **argv) {
  live::ZkServerOptions opts;
  std::string readyFile;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--servers" && value(v)) {
      int n = std::atoi(v.c_str());
      if (n < 1 || n > 15) {
        llvm::errs() << "infrac-zk: error: --servers expects 1 to 15, found '" << v << "'\n";
        return 2;
      }
      opts.servers = unsigned(n);
    } else if (a == "--tick" && value(v)) {
      if (!live::parseDuration(v, opts.tick) || opts.tick <= 0) {
        llvm::errs() << "infrac-zk: error: --tick expects a duration such as 200ms, found '"
                     << v << "'\n";
        return 2;
      }
    } else if (a == "--ports" && value(v)) {
      std::stringstream ss(v);
      std::string p;
      while (std::getline(ss, p, ','))
        opts.ports.push_back(uint16_t(std::atoi(p.c_str())));
    } else if (a == "--ready-file" && value(v)) {
      readyFile = v;
    } else {
      return usage();
    }
  }
  auto srv = live::ZkEnsembleServer::start(opts);
  if (!srv) {
    llvm::errs() << "infrac-zk: error: " << llvm::toString(srv.takeError()) << "\n";
    return 1;
  }
  live::ZkEnsembleServer &s = **srv;
  std::string connect = s.connectString();
  if (!readyFile.empty()) {
    std::string tmp = readyFile + ".tmp";
    FILE *f = std::fopen(tmp.c_str(), "w");
    if (!f) {
      llvm::errs() << "infrac-zk: error: cannot write '" << readyFile << "'\n";
      return 1;
    }
    std::string servers;
    for (uint16_t p : s.ports())
      servers += std::string(servers.empty() ? "" : ",") + "\"127.0.0.1:" +
                 std::to_string(p) + "\"";
    std::fprintf(f, "{\"connect\":\"%s\",\"servers\":[%s],\"pid\":%d}\n", connect.c_str(),
                 servers.c_str(), int(getpid()));
    std::fclose(f);
    std::rename(tmp.c_str(), readyFile.c_str());
  }
  std::cout << "ready " << connect << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::stringstream ss(line);
    std::string cmd;
    unsigned id = 0;
    ss >> cmd >> id;
    if (cmd.empty())
      continue;
    if (cmd == "quit")
      break;
    if ((cmd == "kill" || cmd == "restore") && (id < 1 || id > opts.servers)) {
      std::cout << "error no server " << id << std::endl;
      continue;
    }
    if (cmd == "kill") {
      s.kill(id - 1);
      std::cout << "ok" << std::endl;
    } else if (cmd == "restore") {
      if (llvm::Error e = s.restore(id - 1))
        std::cout << "error " << llvm::toString(std::move(e)) << std::endl;
      else
        std::cout << "ok" << std::endl;
    } else if (cmd == "leader") {
      std::cout << "leader " << s.status().leader + 1 << std::endl;
    } else if (cmd == "status") {
      std::cout << statusJson(s.status()) << std::endl;
    } else {
      std::cout << "error unknown command '" << cmd << "'" << std::endl;
    }
  }
  s.stop();
  if (!readyFile.empty())
    std::remove(readyFile.c_str());
  return 0;
}

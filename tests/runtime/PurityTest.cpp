//===- PurityTest.cpp - Only the live shell reads clocks or touches sockets -===//
//
// Everything of the runtime except its live shell (runtime/Live) must be a
// pure function of its inputs: `sim` replays it on a virtual clock and `run`
// on the steady clock, and only the same code in both makes them agree. This
// test reads every source file of the other folders and fails on an include
// of <chrono>, <thread>, a time, socket or Asio header, or on a clock, sleep
// or global random source being used.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

using namespace infrac::test;
using llvm::StringRef;

namespace {

/// The folders whose code must not read a clock or do I/O.
const char *const PureFolders[] = {"Core",  "Controllers", "Coord", "Sessions",
                                   "Plan",  "Trace",       "Fabric", "Sim"};

struct Forbidden {
  const char *text;
  const char *why;
};

const Forbidden ForbiddenIncludes[] = {
    {"<chrono>", "a clock"},
    {"<thread>", "threads"},
    {"<future>", "threads"},
    {"<condition_variable>", "threads"},
    {"<ctime>", "a clock"},
    {"<time.h>", "a clock"},
    {"<sys/time.h>", "a clock"},
    {"<unistd.h>", "system calls (sleep, I/O)"},
    {"<sys/socket.h>", "sockets"},
    {"<netinet/", "sockets"},
    {"<arpa/inet.h>", "sockets"},
    {"<poll.h>", "I/O multiplexing"},
    {"<sys/epoll.h>", "I/O multiplexing"},
    {"<boost/asio", "Asio"},
    {"<boost/beast", "Beast"},
    {"<random>", "a random source other than the seeded Rng"},
};

const Forbidden ForbiddenUses[] = {
    {"steady_clock", "a clock"},
    {"system_clock", "a clock"},
    {"high_resolution_clock", "a clock"},
    {"gettimeofday", "a clock"},
    {"clock_gettime", "a clock"},
    {"time(nullptr)", "a clock"},
    {"time(NULL)", "a clock"},
    {"this_thread", "sleeping"},
    {"usleep(", "sleeping"},
    {"nanosleep(", "sleeping"},
    {"std::rand(", "the global random source"},
    {"srand(", "the global random source"},
    {"random_device", "a random source other than the seeded Rng"},
};

/// "file:line: includes <chrono> (a clock)" for every violation under `root`.
std::vector<std::string> impurities(const std::string &root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator it(root, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef path = it->path();
    StringRef ext = llvm::sys::path::extension(path);
    if (ext != ".h" && ext != ".cpp" && ext != ".def")
      continue;
    std::string text = readFile(path.str());
    unsigned line = 0;
    for (StringRef rest = text; !rest.empty();) {
      auto [l, tail] = rest.split('\n');
      rest = tail;
      ++line;
      StringRef code = l.ltrim();
      if (code.startswith("//"))
        continue; // Comments may say what the code does not do.
      code = code.split("//").first;
      std::string at = path.str() + ":" + std::to_string(line) + ": ";
      if (code.startswith("#include")) {
        for (const Forbidden &f : ForbiddenIncludes)
          if (code.contains(f.text))
            out.push_back(at + "includes " + f.text + " (" + f.why + ")");
        continue;
      }
      for (const Forbidden &f : ForbiddenUses)
        if (code.contains(f.text))
          out.push_back(at + "uses " + f.text + " (" + f.why + ")");
    }
  }
  return out;
}

TEST(PurityTest, OnlyTheLiveShellReadsClocksOrTouchesSockets) {
  unsigned files = 0;
  for (const char *folder : PureFolders) {
    std::string dir = sourceDir() + "/runtime/" + folder;
    ASSERT_TRUE(llvm::sys::fs::is_directory(dir)) << dir;
    for (const std::string &f : listFiles("runtime/" + std::string(folder), "", true))
      files += !llvm::sys::fs::is_directory(f);
    std::vector<std::string> found = impurities(dir);
    std::string all;
    for (const std::string &s : found)
      all += "  " + s + "\n";
    EXPECT_TRUE(found.empty()) << "the runtime outside runtime/Live must be pure:\n" << all;
  }
  EXPECT_GT(files, 20u) << "the scan found too few files: are the folders where it looks?";
}

TEST(PurityTest, ThePlantedIncludeAndClockAreFound) {
  // The scanner itself: a file that includes <chrono> and reads the steady
  // clock, and one that uses Asio, are reported; a comment is not.
  std::string dir = makeTempDir();
  writeFile(dir + "/Planted.cpp", "#include \"Core/Core.h\"\n"
                                  "#include <chrono>\n"
                                  "// steady_clock is named in a comment only\n"
                                  "auto t = std::chrono::steady_clock::now();\n");
  writeFile(dir + "/Net.h", "#include <boost/asio/io_context.hpp>\n");
  std::vector<std::string> found = impurities(dir);
  ASSERT_EQ(found.size(), 3u);
  std::sort(found.begin(), found.end());
  EXPECT_NE(found[0].find("Net.h:1: includes <boost/asio"), std::string::npos) << found[0];
  EXPECT_NE(found[1].find("Planted.cpp:2: includes <chrono>"), std::string::npos) << found[1];
  EXPECT_NE(found[2].find("Planted.cpp:4: uses steady_clock"), std::string::npos) << found[2];
}

} // namespace

//===- RespKeyspaceTest.cpp - The store's keyspace with hand-made instants ===//
#include "RespKeyspace.h"
#include "RespProtocol.h"
#include "RespTable.h"

#include "llvm/ADT/SmallVector.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

using namespace infrac;
using namespace infrac::live;
using runtime::millis;
using runtime::seconds;

namespace {

struct Fixture {
  RespKeyspace ks;
  RespSession session;
  explicit Fixture(RespKeyspace::Options o = {}) : ks(std::move(o)) {
    session.id = 7;
    session.authenticated = !ks.requiresAuth();
  }
  std::string run(std::vector<std::string> argv, Instant now = 0) {
    std::vector<llvm::StringRef> refs(argv.begin(), argv.end());
    std::string out;
    ks.execute(session, refs, now, out);
    return out;
  }
};

TEST(RespKeyspace, GetSetDel) {
  Fixture f;
  EXPECT_EQ(f.run({"GET", "a"}), "$-1\r\n");
  EXPECT_EQ(f.run({"SET", "a", "hello"}), "+OK\r\n");
  EXPECT_EQ(f.run({"get", "a"}), "$5\r\nhello\r\n");
  EXPECT_EQ(f.run({"EXISTS", "a", "a", "b"}), ":2\r\n");
  EXPECT_EQ(f.run({"DEL", "a", "b"}), ":1\r\n");
  EXPECT_EQ(f.run({"GET", "a"}), "$-1\r\n");
  EXPECT_EQ(f.run({"SET", "bin", std::string("a\0\r\nb", 5)}), "+OK\r\n");
  EXPECT_EQ(f.run({"GET", "bin"}), std::string("$5\r\na\0\r\nb\r\n", 11));
}

TEST(RespKeyspace, SetOptions) {
  Fixture f;
  EXPECT_EQ(f.run({"SET", "k", "1", "XX"}), "$-1\r\n");
  EXPECT_EQ(f.run({"SET", "k", "1", "NX"}), "+OK\r\n");
  EXPECT_EQ(f.run({"SET", "k", "2", "NX"}), "$-1\r\n");
  EXPECT_EQ(f.run({"SET", "k", "3", "XX", "GET"}), "$1\r\n1\r\n");
  EXPECT_EQ(f.run({"SET", "k", "4", "NX", "XX"}), "-ERR syntax error\r\n");
  EXPECT_EQ(f.run({"SET", "k", "4", "EX", "1", "PX", "1"}), "-ERR syntax error\r\n");
  EXPECT_EQ(f.run({"SET", "k", "4", "EX"}), "-ERR syntax error\r\n");
  EXPECT_EQ(f.run({"SET", "k", "4", "EX", "x"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(f.run({"SET", "k", "4", "EX", "0"}),
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(f.run({"SET", "k"}),
            "-ERR wrong number of arguments for 'set' command\r\n");
  EXPECT_EQ(f.run({"GET", "k"}), "$1\r\n3\r\n");
}

TEST(RespKeyspace, ExpiryIsLazyWithHandMadeInstants) {
  Fixture f;
  EXPECT_EQ(f.run({"SET", "s", "v", "PX", "100"}, 0), "+OK\r\n");
  EXPECT_EQ(f.run({"PTTL", "s"}, millis(40)), ":60\r\n");
  EXPECT_EQ(f.run({"TTL", "s"}, millis(40)), ":0\r\n");
  EXPECT_EQ(f.run({"GET", "s"}, millis(100)), "$1\r\nv\r\n");
  EXPECT_EQ(f.run({"GET", "s"}, millis(100) + 1), "$-1\r\n");
  EXPECT_EQ(f.ks.size(), 0u) << "the read deleted the expired key";
  EXPECT_EQ(f.ks.stats().expiredKeys, 1u);

  EXPECT_EQ(f.run({"SET", "e", "v", "EX", "10"}, seconds(1)), "+OK\r\n");
  EXPECT_EQ(f.run({"TTL", "e"}, seconds(1)), ":10\r\n");
  EXPECT_EQ(f.run({"SET", "e", "w", "KEEPTTL"}, seconds(2)), "+OK\r\n");
  EXPECT_EQ(f.run({"TTL", "e"}, seconds(2)), ":9\r\n");
  EXPECT_EQ(f.run({"SET", "e", "x"}, seconds(2)), "+OK\r\n");
  EXPECT_EQ(f.run({"TTL", "e"}, seconds(2)), ":-1\r\n");
  EXPECT_EQ(f.run({"TTL", "missing"}), ":-2\r\n");
  EXPECT_EQ(f.run({"PTTL", "missing"}), ":-2\r\n");
}

TEST(RespKeyspace, ExpireCommands) {
  Fixture f;
  f.run({"SET", "k", "v"});
  EXPECT_EQ(f.run({"EXPIRE", "nope", "10"}), ":0\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "100", "XX"}), ":0\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "100", "GT"}), ":0\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "100", "LT"}), ":1\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "50", "GT"}), ":0\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "200", "GT"}), ":1\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "10", "NX"}), ":0\r\n");
  EXPECT_EQ(f.run({"TTL", "k"}), ":200\r\n");
  EXPECT_EQ(f.run({"PEXPIRE", "k", "1500"}), ":1\r\n");
  EXPECT_EQ(f.run({"PTTL", "k"}), ":1500\r\n");
  EXPECT_EQ(f.run({"TTL", "k"}), ":2\r\n");
  EXPECT_EQ(f.run({"PERSIST", "k"}), ":1\r\n");
  EXPECT_EQ(f.run({"PERSIST", "k"}), ":0\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "10", "NX", "XX"}),
            "-ERR NX and XX, GT or LT options at the same time are not "
            "compatible\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "10", "GT", "LT"}),
            "-ERR GT and LT options at the same time are not compatible\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "10", "foo"}), "-ERR Unsupported option foo\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'expire' command\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "ten"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(f.run({"EXPIRE", "k", "-1"}), ":1\r\n");
  EXPECT_EQ(f.run({"EXISTS", "k"}), ":0\r\n");
}

TEST(RespKeyspace, ActiveExpirySamplesLikeRedis) {
  Fixture f;
  for (int i = 0; i < 1000; ++i)
    f.run({"SET", "v" + std::to_string(i), "x", "PX", "10"}, 0);
  for (int i = 0; i < 10; ++i)
    f.run({"SET", "p" + std::to_string(i), "x"}, 0);
  EXPECT_EQ(f.ks.volatileSize(), 1000u);
  runtime::Rng rng(1);
  std::vector<std::string> deleted;
  auto onExpired = [&](llvm::StringRef k) { deleted.push_back(k.str()); };
  EXPECT_EQ(f.ks.activeExpireCycle(millis(5), rng, onExpired), 0u)
      << "nothing has expired yet";
  size_t cycles = 0;
  while (f.ks.volatileSize() > 0 && cycles < 1000) {
    f.ks.activeExpireCycle(millis(20), rng, onExpired);
    ++cycles;
  }
  EXPECT_EQ(f.ks.volatileSize(), 0u);
  EXPECT_EQ(f.ks.size(), 10u);
  EXPECT_EQ(deleted.size(), 1000u);
  EXPECT_GT(cycles, 1u) << "a cycle is bounded (16 rounds of 20 samples)";
  EXPECT_EQ(f.run({"GET", "p3"}, millis(20)), "$1\r\nx\r\n");
}

TEST(RespKeyspace, ReplicaHidesExpiredKeysAndRefusesWrites) {
  Fixture f;
  f.run({"SET", "s", "v", "PX", "10"}, 0);
  f.ks.setRole(RespRole::Replica);
  EXPECT_EQ(f.run({"GET", "s"}, millis(11)), "$-1\r\n");
  EXPECT_EQ(f.ks.size(), 1u) << "a replica waits for the primary's DEL";
  EXPECT_EQ(f.run({"SET", "a", "b"}),
            "-READONLY You can't write against a read only replica.\r\n");
  RespSession link;
  link.replicationLink = true;
  std::string out;
  llvm::StringRef del[] = {"DEL", "s"};
  f.ks.execute(link, del, millis(11), out);
  EXPECT_EQ(f.ks.size(), 0u);
}

TEST(RespKeyspace, Hashes) {
  Fixture f;
  EXPECT_EQ(f.run({"HSET", "h", "a", "1", "b", "2", "c", "3"}), ":3\r\n");
  EXPECT_EQ(f.run({"HSET", "h", "a", "9", "d", "4"}), ":1\r\n");
  EXPECT_EQ(f.run({"HGET", "h", "a"}), "$1\r\n9\r\n");
  EXPECT_EQ(f.run({"HGET", "h", "z"}), "$-1\r\n");
  EXPECT_EQ(f.run({"HDEL", "h", "b", "z"}), ":1\r\n");
  EXPECT_EQ(f.run({"HSET", "h", "b", "5"}), ":1\r\n");
  // Insertion order, as a small Redis hash (a listpack) keeps it.
  EXPECT_EQ(f.run({"HGETALL", "h"}),
            "*8\r\n$1\r\na\r\n$1\r\n9\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"
            "$1\r\nb\r\n$1\r\n5\r\n");
  EXPECT_EQ(f.run({"HSET", "h", "a"}),
            "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(f.run({"HSET", "h", "a", "1", "b"}),
            "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(f.run({"GET", "h"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(f.run({"HDEL", "h", "a", "b", "c", "d"}), ":4\r\n");
  EXPECT_EQ(f.run({"EXISTS", "h"}), ":0\r\n") << "an empty hash is deleted";
  EXPECT_EQ(f.run({"HGETALL", "h"}), "*0\r\n");
  f.run({"SET", "s", "x"});
  EXPECT_EQ(f.run({"HGET", "s", "a"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
}

TEST(RespKeyspace, Incr) {
  Fixture f;
  EXPECT_EQ(f.run({"INCR", "n"}), ":1\r\n");
  EXPECT_EQ(f.run({"INCR", "n"}), ":2\r\n");
  EXPECT_EQ(f.run({"GET", "n"}), "$1\r\n2\r\n");
  f.run({"SET", "t", "abc"});
  EXPECT_EQ(f.run({"INCR", "t"}), "-ERR value is not an integer or out of range\r\n");
  f.run({"SET", "t", "01"});
  EXPECT_EQ(f.run({"INCR", "t"}), "-ERR value is not an integer or out of range\r\n");
  f.run({"SET", "t", "9223372036854775807"});
  EXPECT_EQ(f.run({"INCR", "t"}), "-ERR increment or decrement would overflow\r\n");
  f.run({"HSET", "h", "a", "1"});
  EXPECT_EQ(f.run({"INCR", "h"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  f.run({"SET", "ttl", "5", "EX", "100"});
  EXPECT_EQ(f.run({"INCR", "ttl"}), ":6\r\n");
  EXPECT_EQ(f.run({"TTL", "ttl"}), ":100\r\n") << "INCR keeps the time to live";
}

TEST(RespKeyspace, ConnectionCommandsAndErrorWords) {
  Fixture f;
  EXPECT_EQ(f.run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(f.run({"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(f.run({"PING", "a", "b"}),
            "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_EQ(f.run({"foo", "a", "b"}),
            "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
  EXPECT_EQ(f.run({"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(f.run({"SELECT", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(f.run({"AUTH", "x"}),
            "-ERR AUTH <password> called without any password configured for "
            "the default user. Are you sure your configuration is correct?\r\n");
  EXPECT_EQ(f.run({"CONFIG", "GET", "save"}), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  EXPECT_EQ(f.run({"CONFIG", "GET", "appendonly"}),
            "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
  EXPECT_EQ(f.run({"CONFIG", "foo"}),
            "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");
  EXPECT_EQ(f.run({"CLIENT", "SETNAME", "cart"}), "+OK\r\n");
  EXPECT_EQ(f.run({"CLIENT", "GETNAME"}), "$4\r\ncart\r\n");
  EXPECT_EQ(f.run({"CLIENT", "ID"}), ":7\r\n");
  EXPECT_EQ(f.run({"HELLO", "3"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(f.run({"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(f.session.closeAfterReply);
  f.run({"SET", "a", "1"});
  EXPECT_EQ(f.run({"FLUSHDB"}), "+OK\r\n");
  EXPECT_EQ(f.run({"DBSIZE"}), ":0\r\n");
}

TEST(RespKeyspace, RequirePass) {
  RespKeyspace::Options o;
  o.password = "secret";
  Fixture f(o);
  EXPECT_EQ(f.run({"GET", "a"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(f.run({"AUTH", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(f.run({"AUTH", "secret"}), "+OK\r\n");
  EXPECT_EQ(f.run({"GET", "a"}), "$-1\r\n");
}

TEST(RespProtocol, MultibulkInlineAndPipelines) {
  llvm::SmallVector<llvm::StringRef, 8> argv;
  std::string scratch, error;
  size_t consumed = 0;
  std::string pipeline = "*2\r\n$3\r\nGET\r\n$1\r\na\r\nPING\r\n*1\r\n$4\r\nPI";
  llvm::StringRef data(pipeline);
  ASSERT_EQ(parseRequest(data, consumed, argv, scratch, error), RespParse::Complete);
  ASSERT_EQ(argv.size(), 2u);
  EXPECT_EQ(argv[0], "GET");
  EXPECT_EQ(argv[1], "a");
  data = data.drop_front(consumed);
  ASSERT_EQ(parseRequest(data, consumed, argv, scratch, error), RespParse::Complete);
  ASSERT_EQ(argv.size(), 1u);
  EXPECT_EQ(argv[0], "PING");
  data = data.drop_front(consumed);
  EXPECT_EQ(parseRequest(data, consumed, argv, scratch, error), RespParse::Incomplete);

  std::string line = "set k \"a\\x41\\n b\" 'it\\'s'\r\n";
  ASSERT_EQ(parseRequest(line, consumed, argv, scratch, error), RespParse::Complete);
  ASSERT_EQ(argv.size(), 4u);
  EXPECT_EQ(argv[2], "aA\n b");
  EXPECT_EQ(argv[3], "it's");
  EXPECT_EQ(consumed, line.size());

  EXPECT_EQ(parseRequest("set a \"b\r\n", consumed, argv, scratch, error),
            RespParse::Error);
  EXPECT_EQ(error, "ERR Protocol error: unbalanced quotes in request");
  EXPECT_EQ(parseRequest("*1\r\n+PING\r\n", consumed, argv, scratch, error),
            RespParse::Error);
  EXPECT_EQ(error, "ERR Protocol error: expected '$', got '+'");
  EXPECT_EQ(parseRequest("*1\r\n$-5\r\n", consumed, argv, scratch, error),
            RespParse::Error);
  EXPECT_EQ(error, "ERR Protocol error: invalid bulk length");
  EXPECT_EQ(parseRequest("*x\r\n", consumed, argv, scratch, error), RespParse::Error);
  EXPECT_EQ(error, "ERR Protocol error: invalid multibulk length");
  ASSERT_EQ(parseRequest("\r\n", consumed, argv, scratch, error), RespParse::Complete);
  EXPECT_TRUE(argv.empty());
}

// The flat table against std::map over a random sequence of operations.
TEST(RespTable, MatchesAMapUnderRandomOperations) {
  RespTable<int> table;
  std::map<std::string, int> model;
  runtime::Rng rng(42);
  for (int step = 0; step < 200000; ++step) {
    std::string key = "k" + std::to_string(rng.below(3000));
    uint64_t h = RespTable<int>::hashOf(key);
    switch (rng.below(3)) {
    case 0: {
      auto [pos, inserted] = table.insert(key, h);
      EXPECT_EQ(inserted, !model.count(key));
      table.at(pos).value = step;
      model[key] = step;
      break;
    }
    case 1: {
      size_t pos = table.find(key, h);
      if (pos != RespTable<int>::npos) {
        if (rng.below(2))
          table.eraseSwap(pos);
        else
          table.eraseOrdered(pos);
      }
      EXPECT_EQ(pos != RespTable<int>::npos, model.erase(key) == 1);
      break;
    }
    default: {
      size_t pos = table.find(key, h);
      auto it = model.find(key);
      ASSERT_EQ(pos != RespTable<int>::npos, it != model.end());
      if (it != model.end()) {
        EXPECT_EQ(table.at(pos).value, it->second);
      }
    }
    }
  }
  EXPECT_EQ(table.size(), model.size());
}

} // namespace

//===- RespKeyspace.cpp - The store's keyspace and commands ---------------===//
//
// Each command is checked as Redis's `processCommand` checks it (unknown name,
// arity, authentication, a replica's READONLY) and then run by its handler,
// which parses its options as the Redis command does and words errors alike.
// Times are microseconds; Redis's own resolution is milliseconds, so TTLs
// are reported in milliseconds rounded up and seconds rounded to nearest.
//
//===----------------------------------------------------------------------===//
#include "RespKeyspace.h"
#include "RespTable.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <cstring>
#include <limits>

using namespace infrac::live;
using llvm::ArrayRef;
using llvm::StringRef;
namespace runtime = infrac::runtime;

//===----------------------------------------------------------------------===//
// Reply writing
//===----------------------------------------------------------------------===//

static void appendInt(std::string &out, int64_t v) {
  char buf[24];
  char *end = buf + sizeof buf, *p = end;
  uint64_t u = v < 0 ? 0 - uint64_t(v) : uint64_t(v);
  do {
    *--p = char('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    *--p = '-';
  out.append(p, end - p);
}

void resp::simple(std::string &out, StringRef s) {
  out += '+';
  out.append(s.data(), s.size());
  out += "\r\n";
}
void resp::error(std::string &out, StringRef s) {
  out += '-';
  // Redis replaces newlines in an error so the reply stays one line.
  size_t start = out.size();
  out.append(s.data(), s.size());
  for (size_t i = start; i < out.size(); ++i)
    if (out[i] == '\r' || out[i] == '\n')
      out[i] = ' ';
  out += "\r\n";
}
void resp::integer(std::string &out, int64_t v) {
  out += ':';
  appendInt(out, v);
  out += "\r\n";
}
void resp::bulk(std::string &out, StringRef s) {
  out += '$';
  appendInt(out, int64_t(s.size()));
  out += "\r\n";
  out.append(s.data(), s.size());
  out += "\r\n";
}
void resp::nil(std::string &out) { out += "$-1\r\n"; }
void resp::array(std::string &out, size_t n) {
  out += '*';
  appendInt(out, int64_t(n));
  out += "\r\n";
}

bool resp::parseInt(StringRef s, int64_t &v) {
  if (s.empty() || s.size() > 20)
    return false;
  if (s == "0") {
    v = 0;
    return true;
  }
  size_t i = 0;
  bool negative = s[0] == '-';
  if (negative)
    i = 1;
  if (i >= s.size() || s[i] < '1' || s[i] > '9')
    return false;
  uint64_t u = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9')
      return false;
    if (u > (std::numeric_limits<uint64_t>::max() - 9) / 10)
      return false;
    u = u * 10 + uint64_t(c - '0');
  }
  if (negative) {
    if (u > uint64_t(std::numeric_limits<int64_t>::max()) + 1)
      return false;
    v = int64_t(0 - u);
  } else {
    if (u > uint64_t(std::numeric_limits<int64_t>::max()))
      return false;
    v = int64_t(u);
  }
  return true;
}

namespace {

constexpr StringRef WrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr StringRef NotInteger = "ERR value is not an integer or out of range";
constexpr StringRef SyntaxError = "ERR syntax error";
constexpr StringRef Overflow = "ERR increment or decrement would overflow";
constexpr uint32_t NoPos = UINT32_MAX;
// Redis converts a small hash (a listpack, insertion order) to a hash table
// above this many fields; below it, HDEL keeps the remaining order as well.
constexpr size_t SmallHash = 128;

using Hash = RespTable<std::string>;

struct Value {
  enum Kind : uint8_t { String, HashKind } kind = String;
  Instant expireAt = runtime::Never;
  uint32_t volatilePos = NoPos;
  std::string str;
  std::unique_ptr<Hash> hash;
};

bool equalsLower(StringRef s, StringRef lower) { return s.equals_insensitive(lower); }

// Redis's stringmatchlen for CONFIG GET patterns: '*', '?', '[...]' and '\'.
bool globMatch(StringRef p, StringRef s) {
  while (!p.empty()) {
    char c = p.front();
    if (c == '*') {
      while (p.size() > 1 && p[1] == '*')
        p = p.drop_front();
      if (p.size() == 1)
        return true;
      for (size_t i = 0; i <= s.size(); ++i)
        if (globMatch(p.drop_front(), s.drop_front(i)))
          return true;
      return false;
    }
    if (s.empty())
      return false;
    if (c == '?') {
      p = p.drop_front();
      s = s.drop_front();
      continue;
    }
    if (c == '\\' && p.size() > 1) {
      p = p.drop_front();
      c = p.front();
    }
    if (llvm::toLower(c) != llvm::toLower(s.front()))
      return false;
    p = p.drop_front();
    s = s.drop_front();
  }
  return s.empty();
}

} // namespace

//===----------------------------------------------------------------------===//
// The keyspace
//===----------------------------------------------------------------------===//

class RespKeyspace::Impl {
public:
  using Argv = ArrayRef<StringRef>;
  using Handler = void (Impl::*)(RespSession &, Argv, Instant, std::string &);
  enum Flags : uint8_t { Write = 1, NoAuth = 2, Node = 4 };
  struct Command {
    const char *name;
    int arity; // Redis's: n exact, -n at least n
    uint8_t flags;
    Handler handler;
    RespNodeCommand node;
    int firstKey, lastKey, step;
  };

  explicit Impl(Options options) : options(std::move(options)) {
    for (const Command &c : commandTable())
      commands[c.name] = &c;
  }

  RespResult execute(RespSession &session, Argv argv, Instant now,
                     std::string &out);

  static ArrayRef<Command> commandTable();

  Options options;
  RespRole role = RespRole::Primary;
  RespKeyspaceStats stats;
  RespTable<Value> keys;
  std::vector<uint32_t> volatileKeys; // positions in `keys` with an expiry
  llvm::StringMap<const Command *> commands;

  // Lookup with lazy expiry. A write deletes an expired key; a read on a
  // replica only hides it (the primary's DEL will follow).
  size_t lookupRead(StringRef key, Instant now) {
    size_t pos = keys.find(key);
    if (pos != Hash::npos && expired(pos, now)) {
      if (role == RespRole::Replica)
        return Hash::npos;
      removeAt(pos);
      ++stats.expiredKeys;
      return Hash::npos;
    }
    return pos;
  }
  size_t lookupWrite(StringRef key, Instant now) {
    size_t pos = keys.find(key);
    if (pos != Hash::npos && expired(pos, now)) {
      removeAt(pos);
      ++stats.expiredKeys;
      return Hash::npos;
    }
    return pos;
  }
  bool expired(size_t pos, Instant now) const {
    return now > keys.at(pos).value.expireAt;
  }
  Value &val(size_t pos) { return keys.at(pos).value; }

  void setExpire(size_t pos, Instant at) {
    Value &v = val(pos);
    v.expireAt = at;
    if (at == runtime::Never) {
      unvolatile(pos);
    } else if (v.volatilePos == NoPos) {
      v.volatilePos = uint32_t(volatileKeys.size());
      volatileKeys.push_back(uint32_t(pos));
    }
  }
  void unvolatile(size_t pos) {
    Value &v = val(pos);
    if (v.volatilePos == NoPos)
      return;
    uint32_t vp = v.volatilePos;
    uint32_t last = volatileKeys.back();
    volatileKeys[vp] = last;
    val(last).volatilePos = vp;
    volatileKeys.pop_back();
    v.volatilePos = NoPos;
    v.expireAt = runtime::Never;
  }
  void removeAt(size_t pos) {
    unvolatile(pos);
    if (keys.eraseSwap(pos)) {
      // The last entry moved into `pos`: its place in volatileKeys follows.
      uint32_t vp = val(pos).volatilePos;
      if (vp != NoPos)
        volatileKeys[vp] = uint32_t(pos);
    }
  }
  void flushAll() {
    keys.clear();
    volatileKeys.clear();
  }

  size_t activeExpireCycle(Instant now, runtime::Rng &rng,
                           llvm::function_ref<void(StringRef)> onExpired,
                           unsigned maxRounds) {
    // Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP and its stop at a quarter.
    constexpr unsigned PerRound = 20;
    size_t deleted = 0;
    for (unsigned round = 0; round < maxRounds && !volatileKeys.empty();
         ++round) {
      unsigned sampled = 0, gone = 0;
      for (; sampled < PerRound && !volatileKeys.empty(); ++sampled) {
        uint32_t pos = volatileKeys[rng.below(volatileKeys.size())];
        if (!expired(pos, now))
          continue;
        onExpired(keys.at(pos).key);
        removeAt(pos);
        ++gone;
        ++stats.expiredKeys;
      }
      deleted += gone;
      if (gone * 4 <= sampled)
        break;
    }
    return deleted;
  }

  // Handlers, one per command.
  void cmdPing(RespSession &, Argv, Instant, std::string &);
  void cmdEcho(RespSession &, Argv, Instant, std::string &);
  void cmdAuth(RespSession &, Argv, Instant, std::string &);
  void cmdHello(RespSession &, Argv, Instant, std::string &);
  void cmdSelect(RespSession &, Argv, Instant, std::string &);
  void cmdQuit(RespSession &, Argv, Instant, std::string &);
  void cmdClient(RespSession &, Argv, Instant, std::string &);
  void cmdCommand(RespSession &, Argv, Instant, std::string &);
  void cmdConfig(RespSession &, Argv, Instant, std::string &);
  void cmdDbsize(RespSession &, Argv, Instant, std::string &);
  void cmdFlush(RespSession &, Argv, Instant, std::string &);
  void cmdGet(RespSession &, Argv, Instant, std::string &);
  void cmdMget(RespSession &, Argv, Instant, std::string &);
  void cmdSet(RespSession &, Argv, Instant, std::string &);
  void cmdDel(RespSession &, Argv, Instant, std::string &);
  void cmdExists(RespSession &, Argv, Instant, std::string &);
  void cmdType(RespSession &, Argv, Instant, std::string &);
  void cmdExpire(RespSession &, Argv, Instant, std::string &);
  void cmdTtl(RespSession &, Argv, Instant, std::string &);
  void cmdPersist(RespSession &, Argv, Instant, std::string &);
  void cmdIncr(RespSession &, Argv, Instant, std::string &);
  void cmdHget(RespSession &, Argv, Instant, std::string &);
  void cmdHmget(RespSession &, Argv, Instant, std::string &);
  void cmdHset(RespSession &, Argv, Instant, std::string &);
  void cmdHdel(RespSession &, Argv, Instant, std::string &);
  void cmdHgetall(RespSession &, Argv, Instant, std::string &);
  void cmdHlen(RespSession &, Argv, Instant, std::string &);
  void cmdHexists(RespSession &, Argv, Instant, std::string &);
  void cmdHincrby(RespSession &, Argv, Instant, std::string &);
  void cmdWait(RespSession &, Argv, Instant, std::string &);
  void cmdNode(RespSession &, Argv, Instant, std::string &) {}

private:
  Hash *hashFor(size_t pos) { return val(pos).hash.get(); }
  size_t hashLookup(StringRef key, Instant now, bool write, std::string &out,
                    bool &wrongType) {
    size_t pos = write ? lookupWrite(key, now) : lookupRead(key, now);
    wrongType = pos != Hash::npos && val(pos).kind != Value::HashKind;
    if (wrongType)
      resp::error(out, WrongType);
    return pos;
  }
  void incrBy(StringRef key, int64_t by, Instant now, std::string &out);
  void arityError(StringRef name, std::string &out) {
    std::string msg = "ERR wrong number of arguments for '";
    msg += name;
    msg += "' command";
    resp::error(out, msg);
  }
  void unknownSubcommand(StringRef sub, StringRef cmd, std::string &out) {
    std::string msg = "ERR unknown subcommand '";
    msg += sub.take_front(128);
    msg += "'. Try ";
    msg += cmd;
    msg += " HELP.";
    resp::error(out, msg);
  }
  void helloReply(RespSession &session, std::string &out);
};

ArrayRef<RespKeyspace::Impl::Command> RespKeyspace::Impl::commandTable() {
  using I = Impl;
  using N = RespNodeCommand;
  static const Command table[] = {
      {"ping", -1, 0, &I::cmdPing, N::None, 0, 0, 0},
      {"echo", 2, 0, &I::cmdEcho, N::None, 0, 0, 0},
      {"auth", -2, NoAuth, &I::cmdAuth, N::None, 0, 0, 0},
      {"hello", -1, NoAuth, &I::cmdHello, N::None, 0, 0, 0},
      {"select", 2, 0, &I::cmdSelect, N::None, 0, 0, 0},
      {"quit", -1, NoAuth, &I::cmdQuit, N::None, 0, 0, 0},
      {"client", -2, 0, &I::cmdClient, N::None, 0, 0, 0},
      {"command", -1, 0, &I::cmdCommand, N::None, 0, 0, 0},
      {"config", -2, 0, &I::cmdConfig, N::None, 0, 0, 0},
      {"dbsize", 1, 0, &I::cmdDbsize, N::None, 0, 0, 0},
      {"flushdb", -1, Write, &I::cmdFlush, N::None, 0, 0, 0},
      {"flushall", -1, Write, &I::cmdFlush, N::None, 0, 0, 0},
      {"get", 2, 0, &I::cmdGet, N::None, 1, 1, 1},
      {"mget", -2, 0, &I::cmdMget, N::None, 1, -1, 1},
      {"set", -3, Write, &I::cmdSet, N::None, 1, 1, 1},
      {"del", -2, Write, &I::cmdDel, N::None, 1, -1, 1},
      {"unlink", -2, Write, &I::cmdDel, N::None, 1, -1, 1},
      {"exists", -2, 0, &I::cmdExists, N::None, 1, -1, 1},
      {"type", 2, 0, &I::cmdType, N::None, 1, 1, 1},
      {"expire", -3, Write, &I::cmdExpire, N::None, 1, 1, 1},
      {"pexpire", -3, Write, &I::cmdExpire, N::None, 1, 1, 1},
      {"ttl", 2, 0, &I::cmdTtl, N::None, 1, 1, 1},
      {"pttl", 2, 0, &I::cmdTtl, N::None, 1, 1, 1},
      {"persist", 2, Write, &I::cmdPersist, N::None, 1, 1, 1},
      {"incr", 2, Write, &I::cmdIncr, N::None, 1, 1, 1},
      {"decr", 2, Write, &I::cmdIncr, N::None, 1, 1, 1},
      {"incrby", 3, Write, &I::cmdIncr, N::None, 1, 1, 1},
      {"decrby", 3, Write, &I::cmdIncr, N::None, 1, 1, 1},
      {"hget", 3, 0, &I::cmdHget, N::None, 1, 1, 1},
      {"hmget", -3, 0, &I::cmdHmget, N::None, 1, 1, 1},
      {"hset", -4, Write, &I::cmdHset, N::None, 1, 1, 1},
      {"hmset", -4, Write, &I::cmdHset, N::None, 1, 1, 1},
      {"hdel", -3, Write, &I::cmdHdel, N::None, 1, 1, 1},
      {"hgetall", 2, 0, &I::cmdHgetall, N::None, 1, 1, 1},
      {"hlen", 2, 0, &I::cmdHlen, N::None, 1, 1, 1},
      {"hexists", 3, 0, &I::cmdHexists, N::None, 1, 1, 1},
      {"hincrby", 4, Write, &I::cmdHincrby, N::None, 1, 1, 1},
      {"wait", 3, 0, &I::cmdWait, N::Wait, 0, 0, 0},
      {"shutdown", -1, Node, &I::cmdNode, N::Shutdown, 0, 0, 0},
      {"replicaof", 3, Node, &I::cmdNode, N::ReplicaOf, 0, 0, 0},
      {"slaveof", 3, Node, &I::cmdNode, N::ReplicaOf, 0, 0, 0},
      {"role", 1, Node, &I::cmdNode, N::Role, 0, 0, 0},
      {"info", -1, Node, &I::cmdNode, N::Info, 0, 0, 0},
  };
  return table;
}

RespResult RespKeyspace::Impl::execute(RespSession &session, Argv argv,
                                       Instant now, std::string &out) {
  RespResult result;
  if (argv.empty())
    return result;
  ++stats.commands;
  // Command names are matched in lower case, through a stack buffer.
  char lower[24];
  const Command *cmd = nullptr;
  StringRef name = argv[0];
  if (name.size() < sizeof lower) {
    for (size_t i = 0; i < name.size(); ++i)
      lower[i] = llvm::toLower(name[i]);
    auto it = commands.find(StringRef(lower, name.size()));
    if (it != commands.end())
      cmd = it->second;
  }
  if (!cmd) {
    std::string args;
    for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
      args += '\'';
      args += argv[i].take_front(128 - args.size());
      args += "' ";
    }
    std::string msg = "ERR unknown command '";
    msg += name.take_front(128);
    msg += "', with args beginning with: ";
    msg += args;
    resp::error(out, msg);
    return result;
  }
  int argc = int(argv.size());
  if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity) {
    arityError(cmd->name, out);
    return result;
  }
  if (!session.authenticated && !session.replicationLink &&
      !options.password.empty() && !(cmd->flags & NoAuth)) {
    resp::error(out, "NOAUTH Authentication required.");
    return result;
  }
  if ((cmd->flags & Write) && role == RespRole::Replica &&
      !session.replicationLink) {
    resp::error(out, "READONLY You can't write against a read only replica.");
    return result;
  }
  size_t before = out.size();
  (this->*cmd->handler)(session, argv, now, out);
  result.write = cmd->flags & Write;
  // A node command whose arguments were refused has its reply already.
  if (out.size() == before)
    result.node = cmd->node;
  return result;
}

//===----------------------------------------------------------------------===//
// Connection and server commands
//===----------------------------------------------------------------------===//

void RespKeyspace::Impl::cmdPing(RespSession &, Argv argv, Instant,
                                 std::string &out) {
  if (argv.size() > 2)
    return arityError("ping", out);
  if (argv.size() == 2)
    return resp::bulk(out, argv[1]);
  resp::simple(out, "PONG");
}

void RespKeyspace::Impl::cmdEcho(RespSession &, Argv argv, Instant,
                                 std::string &out) {
  resp::bulk(out, argv[1]);
}

void RespKeyspace::Impl::cmdAuth(RespSession &session, Argv argv, Instant,
                                 std::string &out) {
  if (argv.size() > 3)
    return resp::error(out, SyntaxError);
  // AUTH password, or AUTH username password for the default user.
  StringRef user = argv.size() == 3 ? argv[1] : StringRef("default");
  StringRef pass = argv.back();
  if (options.password.empty()) {
    if (argv.size() == 2)
      return resp::error(
          out, "ERR AUTH <password> called without any password configured "
               "for the default user. Are you sure your configuration is "
               "correct?");
    if (user == "default") {
      session.authenticated = true;
      return resp::simple(out, "OK");
    }
  } else if (user == "default" && pass == options.password) {
    session.authenticated = true;
    return resp::simple(out, "OK");
  }
  resp::error(out,
              "WRONGPASS invalid username-password pair or user is disabled.");
}

void RespKeyspace::Impl::helloReply(RespSession &session, std::string &out) {
  resp::array(out, 14);
  resp::bulk(out, "server");
  resp::bulk(out, "redis");
  resp::bulk(out, "version");
  resp::bulk(out, "7.0.15");
  resp::bulk(out, "proto");
  resp::integer(out, 2);
  resp::bulk(out, "id");
  resp::integer(out, session.id);
  resp::bulk(out, "mode");
  resp::bulk(out, "standalone");
  resp::bulk(out, "role");
  resp::bulk(out, role == RespRole::Primary ? "master" : "replica");
  resp::bulk(out, "modules");
  resp::array(out, 0);
}

void RespKeyspace::Impl::cmdHello(RespSession &session, Argv argv, Instant,
                                  std::string &out) {
  // HELLO [protover [AUTH username password] [SETNAME clientname]]; this
  // store speaks RESP2 only, so protocol 3 is refused as an unknown one.
  if (argv.size() >= 2) {
    int64_t ver;
    if (!resp::parseInt(argv[1], ver))
      return resp::error(
          out, "ERR Protocol version is not an integer or out of range");
    if (ver != 2)
      return resp::error(out, "NOPROTO unsupported protocol version");
  }
  StringRef setName;
  bool haveName = false;
  for (size_t j = 2; j < argv.size(); ++j) {
    size_t more = argv.size() - j - 1;
    if (equalsLower(argv[j], "auth") && more >= 2) {
      if (!(options.password.empty() ? argv[j + 1] == "default"
                                     : argv[j + 1] == "default" &&
                                           argv[j + 2] == options.password))
        return resp::error(out, "WRONGPASS invalid username-password pair or "
                                "user is disabled.");
      session.authenticated = true;
      j += 2;
    } else if (equalsLower(argv[j], "setname") && more >= 1) {
      setName = argv[++j];
      haveName = true;
    } else {
      std::string msg = "ERR Syntax error in HELLO option '";
      msg += argv[j];
      msg += "'";
      return resp::error(out, msg);
    }
  }
  if (!session.authenticated && !options.password.empty())
    return resp::error(out, "NOAUTH HELLO must be called with the client "
                            "already authenticated, otherwise the HELLO "
                            "<proto> AUTH <user> <pass> option can be used "
                            "to authenticate the client and select the RESP "
                            "protocol version at the same time");
  if (haveName)
    session.name = std::string(setName);
  helloReply(session, out);
}

void RespKeyspace::Impl::cmdSelect(RespSession &, Argv argv, Instant,
                                   std::string &out) {
  int64_t db;
  if (!resp::parseInt(argv[1], db))
    return resp::error(out, NotInteger);
  // One database: the store holds sessions, SELECT 0 is what clients send.
  if (db != 0)
    return resp::error(out, "ERR DB index is out of range");
  resp::simple(out, "OK");
}

void RespKeyspace::Impl::cmdQuit(RespSession &session, Argv, Instant,
                                 std::string &out) {
  session.closeAfterReply = true;
  resp::simple(out, "OK");
}

void RespKeyspace::Impl::cmdClient(RespSession &session, Argv argv, Instant,
                                   std::string &out) {
  StringRef sub = argv[1];
  if (equalsLower(sub, "setname")) {
    if (argv.size() != 3)
      return arityError("client|setname", out);
    for (char c : argv[2])
      if (c < '!' || c > '~')
        return resp::error(out, "ERR Client names cannot contain spaces, "
                                "newlines or special characters.");
    session.name = std::string(argv[2]);
    return resp::simple(out, "OK");
  }
  if (equalsLower(sub, "getname")) {
    if (argv.size() != 2)
      return arityError("client|getname", out);
    if (session.name.empty())
      return resp::nil(out);
    return resp::bulk(out, session.name);
  }
  if (equalsLower(sub, "id")) {
    if (argv.size() != 2)
      return arityError("client|id", out);
    return resp::integer(out, session.id);
  }
  unknownSubcommand(sub, "CLIENT", out);
}

void RespKeyspace::Impl::cmdCommand(RespSession &, Argv argv, Instant,
                                    std::string &out) {
  auto info = [&](const Command &c) {
    // Redis 7's ten fields: name, arity, flags, first key, last key, step,
    // ACL categories, tips, key specs, subcommands.
    resp::array(out, 10);
    resp::bulk(out, c.name);
    resp::integer(out, c.arity);
    bool write = c.flags & Write;
    resp::array(out, 1);
    resp::simple(out, write ? "write" : "readonly");
    resp::integer(out, c.firstKey);
    resp::integer(out, c.lastKey);
    resp::integer(out, c.step);
    resp::array(out, 0);
    resp::array(out, 0);
    resp::array(out, 0);
    resp::array(out, 0);
  };
  ArrayRef<Command> table = commandTable();
  if (argv.size() == 1) {
    resp::array(out, table.size());
    for (const Command &c : table)
      info(c);
    return;
  }
  StringRef sub = argv[1];
  if (equalsLower(sub, "count")) {
    if (argv.size() != 2)
      return arityError("command|count", out);
    return resp::integer(out, int64_t(table.size()));
  }
  if (equalsLower(sub, "info")) {
    resp::array(out, argv.size() - 2);
    for (StringRef n : argv.drop_front(2)) {
      auto it = commands.find(n.lower());
      if (it == commands.end())
        out += "*-1\r\n";
      else
        info(*it->second);
    }
    return;
  }
  if (equalsLower(sub, "docs")) {
    // No documentation: redis-cli then offers no hints, as with an old server.
    return resp::array(out, 0);
  }
  unknownSubcommand(sub, "COMMAND", out);
}

void RespKeyspace::Impl::cmdConfig(RespSession &, Argv argv, Instant,
                                   std::string &out) {
  StringRef sub = argv[1];
  if (equalsLower(sub, "get")) {
    if (argv.size() < 3)
      return arityError("config|get", out);
    // What redis-benchmark and clients read; this store never persists.
    static const std::pair<const char *, const char *> params[] = {
        {"appendonly", "no"},  {"databases", "1"}, {"maxmemory", "0"},
        {"port", ""},          {"save", ""},       {"timeout", "0"},
    };
    std::vector<std::pair<StringRef, StringRef>> found;
    for (auto &p : params)
      for (StringRef pattern : argv.drop_front(2))
        if (globMatch(pattern, p.first)) {
          found.emplace_back(p.first, p.second);
          break;
        }
    resp::array(out, found.size() * 2);
    for (auto &p : found) {
      resp::bulk(out, p.first);
      resp::bulk(out, p.second);
    }
    return;
  }
  if (equalsLower(sub, "resetstat")) {
    stats = RespKeyspaceStats();
    return resp::simple(out, "OK");
  }
  unknownSubcommand(sub, "CONFIG", out);
}

void RespKeyspace::Impl::cmdDbsize(RespSession &, Argv, Instant,
                                   std::string &out) {
  resp::integer(out, int64_t(keys.size()));
}

void RespKeyspace::Impl::cmdFlush(RespSession &, Argv argv, Instant,
                                  std::string &out) {
  if (argv.size() > 2 ||
      (argv.size() == 2 && !equalsLower(argv[1], "async") &&
       !equalsLower(argv[1], "sync")))
    return resp::error(out, SyntaxError);
  flushAll();
  resp::simple(out, "OK");
}

void RespKeyspace::Impl::cmdWait(RespSession &, Argv argv, Instant,
                                 std::string &out) {
  int64_t n, timeout;
  if (!resp::parseInt(argv[1], n) || !resp::parseInt(argv[2], timeout))
    return resp::error(out, NotInteger);
  if (timeout < 0)
    return resp::error(out, "ERR timeout is negative");
}

//===----------------------------------------------------------------------===//
// Strings and keys
//===----------------------------------------------------------------------===//

void RespKeyspace::Impl::cmdGet(RespSession &, Argv argv, Instant now,
                                std::string &out) {
  size_t pos = lookupRead(argv[1], now);
  if (pos == Hash::npos) {
    ++stats.misses;
    return resp::nil(out);
  }
  ++stats.hits;
  const Value &v = val(pos);
  if (v.kind != Value::String)
    return resp::error(out, WrongType);
  resp::bulk(out, v.str);
}

void RespKeyspace::Impl::cmdMget(RespSession &, Argv argv, Instant now,
                                 std::string &out) {
  resp::array(out, argv.size() - 1);
  for (StringRef key : argv.drop_front()) {
    size_t pos = lookupRead(key, now);
    if (pos == Hash::npos || val(pos).kind != Value::String) {
      ++stats.misses;
      resp::nil(out);
    } else {
      ++stats.hits;
      resp::bulk(out, val(pos).str);
    }
  }
}

void RespKeyspace::Impl::cmdSet(RespSession &, Argv argv, Instant now,
                                std::string &out) {
  enum : unsigned { NX = 1, XX = 2, GET = 4, KEEPTTL = 8, EX = 16, PX = 32 };
  unsigned flags = 0;
  StringRef expireArg;
  // SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL],
  // parsed as Redis's parseExtendedStringArgumentsOrReply does.
  for (size_t j = 3; j < argv.size(); ++j) {
    StringRef opt = argv[j];
    bool hasNext = j + 1 < argv.size();
    if (equalsLower(opt, "nx") && !(flags & XX)) {
      flags |= NX;
    } else if (equalsLower(opt, "xx") && !(flags & NX)) {
      flags |= XX;
    } else if (equalsLower(opt, "get")) {
      flags |= GET;
    } else if (equalsLower(opt, "keepttl") && !(flags & (EX | PX))) {
      flags |= KEEPTTL;
    } else if (equalsLower(opt, "ex") && !(flags & (KEEPTTL | PX)) &&
               hasNext) {
      flags |= EX;
      expireArg = argv[++j];
    } else if (equalsLower(opt, "px") && !(flags & (KEEPTTL | EX)) &&
               hasNext) {
      flags |= PX;
      expireArg = argv[++j];
    } else {
      return resp::error(out, SyntaxError);
    }
  }
  Instant expireAt = runtime::Never;
  if (flags & (EX | PX)) {
    int64_t amount;
    if (!resp::parseInt(expireArg, amount))
      return resp::error(out, NotInteger);
    constexpr int64_t Max = std::numeric_limits<int64_t>::max();
    if (amount <= 0 || ((flags & EX) && amount > Max / 1000))
      return resp::error(out, "ERR invalid expire time in 'set' command");
    int64_t ms = (flags & EX) ? amount * 1000 : amount;
    if (ms > (Max - now) / 1000 - 1)
      return resp::error(out, "ERR invalid expire time in 'set' command");
    expireAt = now + ms * 1000;
  }
  size_t pos = lookupWrite(argv[1], now);
  if (flags & GET) {
    if (pos == Hash::npos)
      resp::nil(out);
    else if (val(pos).kind != Value::String)
      return resp::error(out, WrongType);
    else
      resp::bulk(out, val(pos).str);
  }
  if (((flags & NX) && pos != Hash::npos) || ((flags & XX) && pos == Hash::npos)) {
    if (!(flags & GET))
      resp::nil(out);
    return;
  }
  if (pos == Hash::npos)
    pos = keys.insert(argv[1], Hash::hashOf(argv[1])).first;
  Value &v = val(pos);
  v.kind = Value::String;
  v.hash.reset();
  v.str.assign(argv[2].data(), argv[2].size());
  if (!(flags & KEEPTTL))
    setExpire(pos, expireAt);
  if (!(flags & GET))
    resp::simple(out, "OK");
}

void RespKeyspace::Impl::cmdDel(RespSession &, Argv argv, Instant now,
                                std::string &out) {
  int64_t n = 0;
  for (StringRef key : argv.drop_front()) {
    size_t pos = lookupWrite(key, now);
    if (pos != Hash::npos) {
      removeAt(pos);
      ++n;
    }
  }
  resp::integer(out, n);
}

void RespKeyspace::Impl::cmdExists(RespSession &, Argv argv, Instant now,
                                   std::string &out) {
  int64_t n = 0;
  for (StringRef key : argv.drop_front())
    n += lookupRead(key, now) != Hash::npos;
  resp::integer(out, n);
}

void RespKeyspace::Impl::cmdType(RespSession &, Argv argv, Instant now,
                                 std::string &out) {
  size_t pos = lookupRead(argv[1], now);
  if (pos == Hash::npos)
    return resp::simple(out, "none");
  resp::simple(out, val(pos).kind == Value::String ? "string" : "hash");
}

void RespKeyspace::Impl::cmdExpire(RespSession &, Argv argv, Instant now,
                                   std::string &out) {
  bool seconds = equalsLower(argv[0], "expire");
  enum : unsigned { NX = 1, XX = 2, GT = 4, LT = 8 };
  unsigned flags = 0;
  for (StringRef opt : argv.drop_front(3)) {
    if (equalsLower(opt, "nx"))
      flags |= NX;
    else if (equalsLower(opt, "xx"))
      flags |= XX;
    else if (equalsLower(opt, "gt"))
      flags |= GT;
    else if (equalsLower(opt, "lt"))
      flags |= LT;
    else
      return resp::error(out, "ERR Unsupported option " + opt.str());
  }
  if ((flags & NX) && (flags & (XX | GT | LT)))
    return resp::error(out, "ERR NX and XX, GT or LT options at the same "
                            "time are not compatible");
  if ((flags & GT) && (flags & LT))
    return resp::error(out,
                       "ERR GT and LT options at the same time are not "
                       "compatible");
  int64_t amount;
  if (!resp::parseInt(argv[2], amount))
    return resp::error(out, NotInteger);
  std::string invalid = seconds ? "ERR invalid expire time in 'expire' command"
                                : "ERR invalid expire time in 'pexpire' command";
  constexpr int64_t Max = std::numeric_limits<int64_t>::max();
  constexpr int64_t Min = std::numeric_limits<int64_t>::min();
  if (seconds && (amount > Max / 1000 || amount < Min / 1000))
    return resp::error(out, invalid);
  int64_t ms = seconds ? amount * 1000 : amount;
  // Redis adds the command's time in milliseconds and refuses an overflow.
  int64_t nowMs = now / 1000;
  if ((ms > 0 && nowMs > Max - ms) || (ms < 0 && nowMs < Min - ms))
    return resp::error(out, invalid);
  // In microseconds the sum may not fit where Redis's would: saturate (a
  // time to live beyond 292,000 years).
  Instant at = ms >= (runtime::Never - now) / 1000 ? runtime::Never - 1
                                                   : now + ms * 1000;
  size_t pos = lookupWrite(argv[1], now);
  if (pos == Hash::npos)
    return resp::integer(out, 0);
  if (flags) {
    Instant current = val(pos).expireAt;
    bool has = current != runtime::Never;
    if (((flags & NX) && has) || ((flags & XX) && !has) ||
        ((flags & GT) && (!has || at <= current)) ||
        ((flags & LT) && has && at >= current))
      return resp::integer(out, 0);
  }
  if (at <= now) {
    removeAt(pos);
    return resp::integer(out, 1);
  }
  setExpire(pos, at);
  resp::integer(out, 1);
}

void RespKeyspace::Impl::cmdTtl(RespSession &, Argv argv, Instant now,
                                std::string &out) {
  size_t pos = lookupRead(argv[1], now);
  if (pos == Hash::npos)
    return resp::integer(out, -2);
  Instant at = val(pos).expireAt;
  if (at == runtime::Never)
    return resp::integer(out, -1);
  int64_t ms = (at - now + 999) / 1000;
  if (ms < 0)
    ms = 0;
  bool inSeconds = equalsLower(argv[0], "ttl");
  resp::integer(out, inSeconds ? (ms + 500) / 1000 : ms);
}

void RespKeyspace::Impl::cmdPersist(RespSession &, Argv argv, Instant now,
                                    std::string &out) {
  size_t pos = lookupWrite(argv[1], now);
  if (pos == Hash::npos || val(pos).expireAt == runtime::Never)
    return resp::integer(out, 0);
  unvolatile(pos);
  resp::integer(out, 1);
}

void RespKeyspace::Impl::incrBy(StringRef key, int64_t by, Instant now,
                                std::string &out) {
  size_t pos = lookupWrite(key, now);
  int64_t current = 0;
  if (pos != Hash::npos) {
    const Value &v = val(pos);
    if (v.kind != Value::String)
      return resp::error(out, WrongType);
    if (!resp::parseInt(v.str, current))
      return resp::error(out, NotInteger);
  }
  int64_t result;
  if (__builtin_add_overflow(current, by, &result))
    return resp::error(out, Overflow);
  if (pos == Hash::npos)
    pos = keys.insert(key, Hash::hashOf(key)).first;
  Value &v = val(pos);
  v.str.clear();
  appendInt(v.str, result);
  resp::integer(out, result);
}

void RespKeyspace::Impl::cmdIncr(RespSession &, Argv argv, Instant now,
                                 std::string &out) {
  StringRef name = argv[0];
  int64_t by = 1;
  if (argv.size() == 3 && !resp::parseInt(argv[2], by))
    return resp::error(out, NotInteger);
  if (equalsLower(name, "decr")) {
    by = -1;
  } else if (equalsLower(name, "decrby")) {
    if (by == std::numeric_limits<int64_t>::min())
      return resp::error(out, "ERR decrement would overflow");
    by = -by;
  }
  incrBy(argv[1], by, now, out);
}

//===----------------------------------------------------------------------===//
// Hashes
//===----------------------------------------------------------------------===//

void RespKeyspace::Impl::cmdHget(RespSession &, Argv argv, Instant now,
                                 std::string &out) {
  bool wrong;
  size_t pos = hashLookup(argv[1], now, false, out, wrong);
  if (wrong)
    return;
  if (pos == Hash::npos)
    return resp::nil(out);
  Hash *h = hashFor(pos);
  size_t f = h->find(argv[2]);
  if (f == Hash::npos)
    return resp::nil(out);
  resp::bulk(out, h->at(f).value);
}

void RespKeyspace::Impl::cmdHmget(RespSession &, Argv argv, Instant now,
                                  std::string &out) {
  bool wrong;
  size_t pos = hashLookup(argv[1], now, false, out, wrong);
  if (wrong)
    return;
  resp::array(out, argv.size() - 2);
  for (StringRef field : argv.drop_front(2)) {
    size_t f = pos == Hash::npos ? Hash::npos : hashFor(pos)->find(field);
    if (f == Hash::npos)
      resp::nil(out);
    else
      resp::bulk(out, hashFor(pos)->at(f).value);
  }
}

void RespKeyspace::Impl::cmdHset(RespSession &, Argv argv, Instant now,
                                 std::string &out) {
  bool hmset = equalsLower(argv[0], "hmset");
  if (argv.size() % 2 == 1)
    return arityError(hmset ? "hmset" : "hset", out);
  bool wrong;
  size_t pos = hashLookup(argv[1], now, true, out, wrong);
  if (wrong)
    return;
  if (pos == Hash::npos) {
    pos = keys.insert(argv[1], Hash::hashOf(argv[1])).first;
    Value &v = val(pos);
    v.kind = Value::HashKind;
    v.hash = std::make_unique<Hash>();
  }
  Hash *h = hashFor(pos);
  int64_t created = 0;
  for (size_t j = 2; j + 1 < argv.size(); j += 2) {
    auto [f, inserted] = h->insert(argv[j], Hash::hashOf(argv[j]));
    h->at(f).value.assign(argv[j + 1].data(), argv[j + 1].size());
    created += inserted;
  }
  if (hmset)
    return resp::simple(out, "OK");
  resp::integer(out, created);
}

void RespKeyspace::Impl::cmdHdel(RespSession &, Argv argv, Instant now,
                                 std::string &out) {
  bool wrong;
  size_t pos = hashLookup(argv[1], now, true, out, wrong);
  if (wrong)
    return;
  if (pos == Hash::npos)
    return resp::integer(out, 0);
  Hash *h = hashFor(pos);
  int64_t deleted = 0;
  for (StringRef field : argv.drop_front(2)) {
    size_t f = h->find(field);
    if (f == Hash::npos)
      continue;
    if (h->size() <= SmallHash)
      h->eraseOrdered(f);
    else
      h->eraseSwap(f);
    ++deleted;
  }
  if (h->empty())
    removeAt(pos);
  resp::integer(out, deleted);
}

void RespKeyspace::Impl::cmdHgetall(RespSession &, Argv argv, Instant now,
                                    std::string &out) {
  bool wrong;
  size_t pos = hashLookup(argv[1], now, false, out, wrong);
  if (wrong)
    return;
  if (pos == Hash::npos)
    return resp::array(out, 0);
  const Hash *h = hashFor(pos);
  resp::array(out, h->size() * 2);
  for (const auto &e : h->all()) {
    resp::bulk(out, e.key);
    resp::bulk(out, e.value);
  }
}

void RespKeyspace::Impl::cmdHlen(RespSession &, Argv argv, Instant now,
                                 std::string &out) {
  bool wrong;
  size_t pos = hashLookup(argv[1], now, false, out, wrong);
  if (wrong)
    return;
  resp::integer(out, pos == Hash::npos ? 0 : int64_t(hashFor(pos)->size()));
}

void RespKeyspace::Impl::cmdHexists(RespSession &, Argv argv, Instant now,
                                    std::string &out) {
  bool wrong;
  size_t pos = hashLookup(argv[1], now, false, out, wrong);
  if (wrong)
    return;
  resp::integer(out, pos != Hash::npos &&
                         hashFor(pos)->find(argv[2]) != Hash::npos);
}

void RespKeyspace::Impl::cmdHincrby(RespSession &, Argv argv, Instant now,
                                    std::string &out) {
  int64_t by;
  if (!resp::parseInt(argv[3], by))
    return resp::error(out, NotInteger);
  bool wrong;
  size_t pos = hashLookup(argv[1], now, true, out, wrong);
  if (wrong)
    return;
  int64_t current = 0;
  if (pos != Hash::npos) {
    size_t f = hashFor(pos)->find(argv[2]);
    if (f != Hash::npos &&
        !resp::parseInt(hashFor(pos)->at(f).value, current))
      return resp::error(out, "ERR hash value is not an integer");
  }
  int64_t result;
  if (__builtin_add_overflow(current, by, &result))
    return resp::error(out, Overflow);
  if (pos == Hash::npos) {
    pos = keys.insert(argv[1], Hash::hashOf(argv[1])).first;
    val(pos).kind = Value::HashKind;
    val(pos).hash = std::make_unique<Hash>();
  }
  Hash *h = hashFor(pos);
  size_t f = h->insert(argv[2], Hash::hashOf(argv[2])).first;
  h->at(f).value.clear();
  appendInt(h->at(f).value, result);
  resp::integer(out, result);
}

//===----------------------------------------------------------------------===//
// RespKeyspace
//===----------------------------------------------------------------------===//

RespKeyspace::RespKeyspace(Options options)
    : impl(std::make_unique<Impl>(std::move(options))) {}
RespKeyspace::~RespKeyspace() = default;

RespResult RespKeyspace::execute(RespSession &session, ArrayRef<StringRef> argv,
                                 Instant now, std::string &out) {
  return impl->execute(session, argv, now, out);
}

size_t RespKeyspace::activeExpireCycle(
    Instant now, runtime::Rng &rng,
    llvm::function_ref<void(StringRef)> onExpired, unsigned maxRounds) {
  assert(impl->role == RespRole::Primary && "a replica waits for the DEL");
  return impl->activeExpireCycle(now, rng, onExpired, maxRounds);
}

void RespKeyspace::setRole(RespRole role) { impl->role = role; }
RespRole RespKeyspace::role() const { return impl->role; }
size_t RespKeyspace::size() const { return impl->keys.size(); }
size_t RespKeyspace::volatileSize() const { return impl->volatileKeys.size(); }
void RespKeyspace::flush() { impl->flushAll(); }
const RespKeyspaceStats &RespKeyspace::stats() const { return impl->stats; }
bool RespKeyspace::requiresAuth() const { return !impl->options.password.empty(); }

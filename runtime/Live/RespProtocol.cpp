//===- RespProtocol.cpp - RESP2 request parsing ---------------------------===//
#include "RespProtocol.h"
#include "RespKeyspace.h"

#include <cstring>

using namespace infrac::live;
using llvm::StringRef;

namespace {
// Redis's PROTO_INLINE_MAX_SIZE and proto-max-bulk-len; the array length is
// capped where Redis caps an unauthenticated client's.
constexpr size_t InlineMax = 64 * 1024;
constexpr int64_t BulkMax = 512LL * 1024 * 1024;
constexpr int64_t ArrayMax = 1024 * 1024;

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Redis's sdssplitargs: words separated by spaces, "double quotes" with
// \n \r \t \b \a \\ \" and \xHH, 'single quotes' with \'. A closing quote
// must be followed by a space or the end.
bool splitInline(StringRef line, llvm::SmallVectorImpl<StringRef> &argv,
                 std::string &scratch) {
  scratch.clear();
  scratch.reserve(line.size()); // views stay valid: no reallocation below
  size_t i = 0, n = line.size();
  auto isSpace = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
  };
  while (true) {
    while (i < n && isSpace(line[i]))
      ++i;
    if (i >= n)
      return true;
    size_t start = scratch.size();
    bool inDq = false, inSq = false, done = false;
    while (!done) {
      if (inDq) {
        if (i >= n)
          return false;
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' &&
            hexValue(line[i + 2]) >= 0 && hexValue(line[i + 3]) >= 0) {
          scratch += char(hexValue(line[i + 2]) * 16 + hexValue(line[i + 3]));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          char e = line[++i];
          switch (e) {
          case 'n': scratch += '\n'; break;
          case 'r': scratch += '\r'; break;
          case 't': scratch += '\t'; break;
          case 'b': scratch += '\b'; break;
          case 'a': scratch += '\a'; break;
          default: scratch += e; break;
          }
        } else if (c == '"') {
          if (i + 1 < n && !isSpace(line[i + 1]))
            return false;
          done = true;
        } else {
          scratch += c;
        }
      } else if (inSq) {
        if (i >= n)
          return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          scratch += '\'';
          ++i;
        } else if (c == '\'') {
          if (i + 1 < n && !isSpace(line[i + 1]))
            return false;
          done = true;
        } else {
          scratch += c;
        }
      } else {
        if (i >= n)
          break;
        char c = line[i];
        if (isSpace(c)) {
          done = true;
        } else if (c == '"') {
          inDq = true;
        } else if (c == '\'') {
          inSq = true;
        } else {
          scratch += c;
        }
      }
      if (i < n)
        ++i;
    }
    argv.push_back(StringRef(scratch.data() + start, scratch.size() - start));
  }
}

// The number on a "*N\r\n" or "$N\r\n" line; false when it is not one.
bool lineNumber(StringRef digits, int64_t &v) {
  // Redis's string2ll on the line; "-1" and the like are valid numbers.
  return resp::parseInt(digits, v);
}
} // namespace

RespParse infrac::live::parseRequest(StringRef data, size_t &consumed,
                                     llvm::SmallVectorImpl<StringRef> &argv,
                                     std::string &scratch,
                                     std::string &error) {
  argv.clear();
  if (data.empty())
    return RespParse::Incomplete;
  if (data[0] != '*') {
    size_t nl = data.find('\n');
    if (nl == StringRef::npos) {
      if (data.size() > InlineMax) {
        error = "ERR Protocol error: too big inline request";
        return RespParse::Error;
      }
      return RespParse::Incomplete;
    }
    StringRef line = data.take_front(nl);
    if (line.endswith("\r"))
      line = line.drop_back();
    if (!splitInline(line, argv, scratch)) {
      argv.clear();
      error = "ERR Protocol error: unbalanced quotes in request";
      return RespParse::Error;
    }
    consumed = nl + 1;
    return RespParse::Complete;
  }
  size_t pos = 0;
  auto readLine = [&](StringRef &line) -> bool {
    size_t cr = data.find('\r', pos);
    if (cr == StringRef::npos || cr + 1 >= data.size())
      return false;
    line = data.slice(pos + 1, cr);
    pos = cr + 2;
    return true;
  };
  StringRef line;
  if (!readLine(line)) {
    if (data.size() > InlineMax) {
      error = "ERR Protocol error: too big mbulk count string";
      return RespParse::Error;
    }
    return RespParse::Incomplete;
  }
  int64_t count;
  if (!lineNumber(line, count) || count > ArrayMax) {
    error = "ERR Protocol error: invalid multibulk length";
    return RespParse::Error;
  }
  if (count <= 0) {
    consumed = pos;
    return RespParse::Complete;
  }
  for (int64_t k = 0; k < count; ++k) {
    if (pos >= data.size())
      return RespParse::Incomplete;
    if (data[pos] != '$') {
      argv.clear();
      error = "ERR Protocol error: expected '$', got '";
      error += data[pos];
      error += "'";
      return RespParse::Error;
    }
    if (!readLine(line)) {
      if (data.size() - pos > InlineMax) {
        argv.clear();
        error = "ERR Protocol error: too big bulk count string";
        return RespParse::Error;
      }
      return RespParse::Incomplete;
    }
    int64_t len;
    if (!lineNumber(line, len) || len < 0 || len > BulkMax) {
      argv.clear();
      error = "ERR Protocol error: invalid bulk length";
      return RespParse::Error;
    }
    // Redis skips the two bytes after a bulk without looking at them.
    if (data.size() - pos < size_t(len) + 2)
      return RespParse::Incomplete;
    argv.push_back(data.substr(pos, size_t(len)));
    pos += size_t(len) + 2;
  }
  consumed = pos;
  return RespParse::Complete;
}

void infrac::live::encodeCommand(std::string &out,
                                 llvm::ArrayRef<StringRef> argv) {
  resp::array(out, argv.size());
  for (StringRef a : argv)
    resp::bulk(out, a);
}

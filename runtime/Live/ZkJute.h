//===- ZkJute.h - Jute's binary encoding, as ZooKeeper's client protocol uses it -*- C++ -*-===//
//
// Big-endian ints and longs, a bool as one byte, buffers and strings as an int
// length (-1 for null) and bytes, vectors as an int count and elements
// (org.apache.jute.BinaryOutputArchive). Private to runtime/Live.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_ZKJUTE_H
#define INFRAC_RUNTIME_LIVE_ZKJUTE_H

#include "Coord/ZnodeTree.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace infrac::live::jute {

/// Reads a record; any short read sets `bad` and yields zeros from then on.
class Reader {
public:
  Reader(const uint8_t *p, size_t n) : p(p), end(p + n) {}
  bool bad = false;
  size_t remaining() const { return size_t(end - p); }

  int32_t readInt() {
    if (!need(4))
      return 0;
    uint32_t v = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
    p += 4;
    return int32_t(v);
  }
  int64_t readLong() {
    uint64_t hi = uint32_t(readInt());
    uint64_t lo = uint32_t(readInt());
    return int64_t(hi << 32 | lo);
  }
  bool readBool() {
    if (!need(1))
      return false;
    return *p++ != 0;
  }
  /// A buffer or ustring; null (-1) reads as empty.
  std::string readBuffer() {
    int32_t n = readInt();
    if (n < 0 || bad)
      return {};
    if (!need(size_t(n)))
      return {};
    std::string s(reinterpret_cast<const char *>(p), size_t(n));
    p += n;
    return s;
  }
  std::vector<std::string> readStrings() {
    int32_t n = readInt();
    std::vector<std::string> v;
    if (n <= 0 || bad || size_t(n) > remaining() / 4)
      return v;
    v.reserve(size_t(n));
    for (int32_t i = 0; i < n && !bad; ++i)
      v.push_back(readBuffer());
    return v;
  }
  /// vector<ACL>: perms, scheme, id. Returns the count (-1 for null).
  int32_t skipAcls() {
    int32_t n = readInt();
    for (int32_t i = 0; i < n && !bad; ++i) {
      readInt();
      readBuffer();
      readBuffer();
    }
    return n;
  }

private:
  bool need(size_t n) {
    if (bad || remaining() < n) {
      bad = true;
      return false;
    }
    return true;
  }
  const uint8_t *p;
  const uint8_t *end;
};

/// Appends a frame's records to a string; finish() patches the length prefix.
class Writer {
public:
  explicit Writer(std::string &out) : out(out), start(out.size()) { writeInt(0); }
  void writeInt(int32_t v) {
    uint32_t u = uint32_t(v);
    char b[4] = {char(u >> 24), char(u >> 16), char(u >> 8), char(u)};
    out.append(b, 4);
  }
  void writeLong(int64_t v) {
    writeInt(int32_t(uint64_t(v) >> 32));
    writeInt(int32_t(uint64_t(v) & 0xffffffffu));
  }
  void writeBool(bool b) { out.push_back(b ? 1 : 0); }
  void writeBuffer(std::string_view s) {
    writeInt(int32_t(s.size()));
    out.append(s.data(), s.size());
  }
  void writeStrings(const std::vector<std::string> &v) {
    writeInt(int32_t(v.size()));
    for (const std::string &s : v)
      writeBuffer(s);
  }
  void writeStat(const runtime::zk::Stat &s) {
    writeLong(s.czxid);
    writeLong(s.mzxid);
    writeLong(s.ctime);
    writeLong(s.mtime);
    writeInt(s.version);
    writeInt(s.cversion);
    writeInt(s.aversion);
    writeLong(s.ephemeralOwner);
    writeInt(s.dataLength);
    writeInt(s.numChildren);
    writeLong(s.pzxid);
  }
  /// ReplyHeader.
  void writeReplyHeader(int32_t xid, int64_t zxid, runtime::zk::Error err) {
    writeInt(xid);
    writeLong(zxid);
    writeInt(int32_t(err));
  }
  void finish() {
    uint32_t n = uint32_t(out.size() - start - 4);
    out[start] = char(n >> 24);
    out[start + 1] = char(n >> 16);
    out[start + 2] = char(n >> 8);
    out[start + 3] = char(n);
  }

private:
  std::string &out;
  size_t start;
};

} // namespace infrac::live::jute

#endif

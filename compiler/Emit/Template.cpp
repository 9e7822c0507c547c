//===- Template.cpp - Template nodes and their JSON and YAML writers ------===//
//
// Nodes live in a bump arena: a template of 6,000 resources is about 300,000
// nodes, and one malloc each cost more than building them. The writers stream
// straight to the output with their own escaping.
//
//===----------------------------------------------------------------------===//

#include "Emit/CloudFormation.h"

#include "Basic/Units.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

using namespace infrac;
using namespace infrac::emit;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Arena
//===----------------------------------------------------------------------===//

namespace {

thread_local NodeArena *currentArena = nullptr;

/// The bytes of `x` that are control characters, '"' or '\\' as their high
/// bits: exact only as a test for none ("Bit Twiddling Hacks": hasless and
/// hasvalue), which is all it is used for.
inline uint64_t specialBytes(uint64_t x) {
  constexpr uint64_t ones = ~uint64_t(0) / 255;
  uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
  return ((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash);
}

constexpr uint64_t highBits = ~uint64_t(0) / 255 * 128;

bool isSpecialChar(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

/// copyAndCheck() for more than 16 bytes (type names, descriptions, long
/// property names): 16 at a time with SSE2 where there is SSE2.
bool copyAndCheckLong(const char *from, size_t n, char *to) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                control = _mm_set1_epi8(0x1f);
  __m128i special = _mm_setzero_si128();
  auto test = [&](size_t i) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(from + i));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(to + i), x);
    // Unsigned x <= 0x1f exactly when max(x, 0x1f) == 0x1f.
    __m128i isControl = _mm_cmpeq_epi8(_mm_max_epu8(x, control), control);
    special =
        _mm_or_si128(special, _mm_or_si128(isControl, _mm_or_si128(_mm_cmpeq_epi8(x, quote),
                                                                   _mm_cmpeq_epi8(x, backslash))));
  };
  for (size_t i = 0; i + 16 < n; i += 16)
    test(i);
  test(n - 16); // The last 16 bytes, overlapping.
  return _mm_movemask_epi8(special) == 0;
#else
  uint64_t x, special = 0;
  for (size_t i = 0; i + 8 < n; i += 8) {
    std::memcpy(&x, from + i, 8);
    special |= specialBytes(x);
    std::memcpy(to + i, &x, 8);
  }
  std::memcpy(&x, from + n - 8, 8); // The last 8 bytes, overlapping.
  special |= specialBytes(x);
  std::memcpy(to + n - 8, &x, 8);
  return !(special & highBits);
#endif
}

/// Copies `n` bytes from `from` to `to`; returns whether none needs an escape
/// in JSON. It runs for every key and string of a template, most of them
/// short (12 bytes on average in the build benchmark's), so it tests whole
/// words and has no loop up to 16 bytes.
inline bool copyAndCheck(const char *from, size_t n, char *to) {
  uint64_t a;
  if (n >= 8) {
    if (n > 16)
      return copyAndCheckLong(from, n, to);
    // The first 8 bytes and the last 8, overlapping.
    uint64_t b;
    std::memcpy(&a, from, 8);
    std::memcpy(&b, from + n - 8, 8);
    std::memcpy(to, &a, 8);
    std::memcpy(to + n - 8, &b, 8);
    return !((specialBytes(a) | specialBytes(b)) & highBits);
  }
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, from, 4);
    std::memcpy(&hi, from + n - 4, 4);
    std::memcpy(to, &lo, 4);
    std::memcpy(to + n - 4, &hi, 4);
    a = uint64_t(hi) << 32 | lo;
  } else if (n) {
    // Bytes 0, n/2 and n-1 are all there is; the rest of the word is 'A's.
    unsigned char first = from[0], middle = from[n / 2], last = from[n - 1];
    to[0] = first;
    to[n / 2] = middle;
    to[n - 1] = last;
    a = 0x4141414141000000 | uint64_t(last) << 16 | uint64_t(middle) << 8 | first;
  } else {
    return true;
  }
  return !(specialBytes(a) & highBits);
}

/// Copies `n` bytes: memcpy without the call, for short strings.
void copyShort(const char *from, size_t n, char *to) {
  if (n >= 8) {
    uint64_t x;
    for (size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&x, from + i, 8);
      std::memcpy(to + i, &x, 8);
    }
    std::memcpy(&x, from + n - 8, 8);
    std::memcpy(to + n - 8, &x, 8);
  } else if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, from, 4);
    std::memcpy(&hi, from + n - 4, 4);
    std::memcpy(to, &lo, 4);
    std::memcpy(to + n - 4, &hi, 4);
  } else {
    for (size_t i = 0; i < n; ++i)
      to[i] = from[i];
  }
}

} // namespace

NodeArena::Scope::Scope(NodeArena &arena) : previous(currentArena) { currentArena = &arena; }

NodeArena::Scope::~Scope() { currentArena = previous; }

NodeArena &NodeArena::current() {
  assert(currentArena && "a Node was made outside a NodeArena::Scope");
  return *currentArena;
}

bool NodeArena::copy(StringRef s, char *to) { return copyAndCheck(s.data(), s.size(), to); }

//===----------------------------------------------------------------------===//
// Node
//===----------------------------------------------------------------------===//

Node Node::make(Kind k, size_t extra) {
  NodeArena &arena = NodeArena::current();
  Node n;
  n.d = new (arena.allocate(sizeof(Data) + extra, alignof(Data))) Data;
  n.d->kind = k;
  n.d->plain = true;
  n.d->size = 0;
  n.d->list.first = n.d->list.last = nullptr;
  return n;
}

Node Node::boolean(bool b) {
  Node n = make(Kind::Bool);
  n.d->b = b;
  return n;
}

Node Node::integer(int64_t i) {
  Node n = make(Kind::Int);
  n.d->i = i;
  return n;
}

Node Node::number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15)
    return integer(static_cast<int64_t>(d));
  Node n = make(Kind::Number);
  n.d->num = d;
  return n;
}

Node Node::string(StringRef s) {
  // The characters right after the node: one allocation, not two.
  Node n = make(Kind::String, s.size());
  char *chars = reinterpret_cast<char *>(n.d + 1);
  n.d->plain = NodeArena::copy(s, chars);
  n.d->str.data = chars;
  n.d->str.size = s.size();
  return n;
}

Node Node::list() { return make(Kind::List); }

Node Node::map() { return make(Kind::Map); }

Node Node::ref(StringRef id) {
  Node n = map();
  n.add("Ref", string(id));
  return n;
}

Node Node::getAtt(StringRef id, StringRef attr) {
  Node args = list();
  args.push(string(id));
  args.push(string(attr));
  Node n = map();
  n.add("Fn::GetAtt", args);
  return n;
}

Node &Node::append(StringRef key, Node value) {
  assert(key.size() <= UINT32_MAX && "a key of 4 GiB");
  NodeArena &arena = NodeArena::current();
  // The key right after the entry: one allocation, not two.
  char *mem = static_cast<char *>(arena.allocate(sizeof(Entry) + key.size(), alignof(Entry)));
  char *chars = mem + sizeof(Entry);
  Entry *e = new (mem)
      Entry{value, nullptr, chars, static_cast<uint32_t>(key.size()), NodeArena::copy(key, chars)};
  if (d->list.last)
    d->list.last->next = e;
  else
    d->list.first = e;
  d->list.last = e;
  ++d->size;
  return e->value;
}

Node &Node::add(StringRef key, Node value) {
  assert(kind() == Kind::Map && "add() on a non-map");
  return append(key, value);
}

Node &Node::push(Node value) {
  assert(kind() == Kind::List && "push() on a non-list");
  return append(StringRef(), value);
}

const Node *Node::get(StringRef key) const {
  for (const Entry &e : *this)
    if (e.key() == key)
      return &e.value;
  return nullptr;
}

Node *Node::get(StringRef key) {
  return const_cast<Node *>(static_cast<const Node *>(this)->get(key));
}

//===----------------------------------------------------------------------===//
// Output buffer
//===----------------------------------------------------------------------===//

namespace {

/// The writers' own buffer in front of the stream. A template is a few
/// hundred thousand pieces of a few bytes (keys, indentation, punctuation);
/// raw_ostream::write is an out-of-line call with its own checks for each,
/// which cost more than the copies. Here a piece is a bounds check and a copy,
/// and the stream gets 64 KiB at a time.
class Out {
public:
  explicit Out(llvm::raw_ostream &os) : os(os), start(new char[capacity]), cur(start.get()) {}
  Out(const Out &) = delete;
  Out &operator=(const Out &) = delete;
  ~Out() { flush(); }

  void put(char c) {
    reserve(1);
    *cur++ = c;
  }
  void put(StringRef s) {
    if (s.size() > capacity) {
      flush();
      os.write(s.data(), s.size());
      return;
    }
    std::memcpy(reserve(s.size()), s.data(), s.size());
    cur += s.size();
  }
  /// `n` spaces: one per line of YAML, so inline for the usual indentation.
  void indent(unsigned n) {
    if (n < 32 && size_t(start.get() + capacity - cur) >= 32) {
      // 32 bytes, past the indentation: what follows overwrites them.
      std::memcpy(cur, newlineAndSpaces + 1, 32);
      cur += n;
      return;
    }
    spaces(n, 0);
  }
  /// A newline, then `n` spaces: one per line of JSON, so inline for the
  /// usual indentation.
  void newline(unsigned n) {
    if (n < 32 && size_t(start.get() + capacity - cur) >= 32) {
      // 32 bytes, past the end of the line: what follows overwrites them.
      std::memcpy(cur, newlineAndSpaces, 32);
      cur += n + 1;
      return;
    }
    spaces(n, 1);
  }
  void integer(int64_t i) {
    // The same text as raw_ostream's operator<<: '-' and the digits.
    reserve(24);
    cur = std::to_chars(cur, cur + 24, i).ptr;
  }
  /// A string in double quotes with JSON's escapes (YAML's double-quoted
  /// style reads them the same).
  void quoted(StringRef s);
  /// quoted() for a string known to need no escape: most keys and strings
  /// of a template, found so when they were copied into the arena.
  void quotedPlain(StringRef s) {
    if (s.size() + 2 > capacity) {
      quoted(s);
      return;
    }
    char *to = reserve(s.size() + 2);
    to[0] = '"';
    copyShort(s.data(), s.size(), to + 1);
    to[s.size() + 1] = '"';
    cur = to + s.size() + 2;
  }
  void quoted(StringRef s, bool plain) {
    if (plain)
      quotedPlain(s);
    else
      quoted(s);
  }
  /// The start of an entry of a JSON list or map: the comma after the one
  /// before, the newline, the indentation and the key. One bounds check for
  /// all of it in the usual case (a key that needs no escape, indentation
  /// under 32).
  void entry(bool first, unsigned indent, const Node::Entry *key) {
    size_t keySize = key ? key->keySize : 0;
    if (indent >= 32 || keySize > 256 || (key && !key->keyPlain)) {
      if (!first)
        put(',');
      newline(indent);
      if (key) {
        quoted(key->key(), key->keyPlain);
        put(StringRef(": "));
      }
      return;
    }
    char *p = reserve(1 + 32 + keySize + 4);
    *p = ',';
    p += !first;
    // 32 bytes, past the end of the line: what follows overwrites them.
    std::memcpy(p, newlineAndSpaces, 32);
    p += indent + 1;
    if (key) {
      *p++ = '"';
      copyShort(key->keyData, keySize, p);
      p += keySize;
      std::memcpy(p, "\": ", 3);
      p += 3;
    }
    cur = p;
  }

private:
  static constexpr size_t capacity = 1 << 16;

  void flush() {
    os.write(start.get(), cur - start.get());
    cur = start.get();
  }
  /// Room for `n` bytes (at most `capacity`) at `cur`; the caller advances it.
  char *reserve(size_t n) {
    assert(n <= capacity && "a piece larger than the buffer");
    if (size_t(start.get() + capacity - cur) < n)
      flush();
    return cur;
  }
  void spaces(unsigned n, unsigned newlines);
  static const char newlineAndSpaces[];

  llvm::raw_ostream &os;
  std::unique_ptr<char[]> start;
  char *cur;
};

const char Out::newlineAndSpaces[] =
    "\n                                                               "
    "                                                                ";

/// `newlines` (0 or 1) newlines, then `n` spaces.
void Out::spaces(unsigned n, unsigned newlines) {
  constexpr unsigned most = sizeof(newlineAndSpaces) - 2; // Spaces after the newline.
  unsigned now = std::min(n, most);
  put(StringRef(newlineAndSpaces + 1 - newlines, now + newlines));
  for (n -= now; n; n -= now) {
    now = std::min(n, most);
    put(StringRef(newlineAndSpaces + 1, now));
  }
}

/// Quotes, backslashes and control characters escaped; UTF-8 passes through
/// (the front end only admits valid UTF-8).
void Out::quoted(StringRef s) {
  if (s.size() + 2 <= capacity) {
    char *to = reserve(s.size() + 2);
    if (copyAndCheck(s.data(), s.size(), to + 1)) {
      to[0] = '"';
      to[s.size() + 1] = '"';
      cur = to + s.size() + 2;
      return;
    }
  }
  put('"');
  size_t begin = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (!isSpecialChar(c))
      continue;
    put(s.slice(begin, i));
    begin = i + 1;
    switch (c) {
    case '"':
      put("\\\"");
      break;
    case '\\':
      put("\\\\");
      break;
    case '\n':
      put("\\n");
      break;
    case '\t':
      put("\\t");
      break;
    case '\r':
      put("\\r");
      break;
    default:
      put("\\u00");
      put(llvm::hexdigit(c >> 4, /*LowerCase=*/true));
      put(llvm::hexdigit(c & 15, /*LowerCase=*/true));
    }
  }
  put(s.drop_front(begin));
  put('"');
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

bool isBlock(const Node &n) {
  return (n.kind() == Node::Kind::List || n.kind() == Node::Kind::Map) && !n.empty();
}

/// A node written on one line: a scalar or an empty collection.
LLVM_ATTRIBUTE_ALWAYS_INLINE void writeJSONScalar(const Node &n, Out &out) {
  switch (n.kind()) {
  case Node::Kind::Null:
    out.put("null");
    return;
  case Node::Kind::Bool:
    out.put(n.asBool() ? StringRef("true") : StringRef("false"));
    return;
  case Node::Kind::Int:
    out.integer(n.asInt());
    return;
  case Node::Kind::Number:
    out.put(formatNumber(n.asNumber()));
    return;
  case Node::Kind::String:
    out.quoted(n.asString(), n.needsNoEscape());
    return;
  case Node::Kind::List:
    out.put(StringRef("[]"));
    return;
  case Node::Kind::Map:
    out.put(StringRef("{}"));
    return;
  }
}

void writeJSONNode(const Node &n, unsigned indent, Out &out) {
  if (!isBlock(n)) {
    writeJSONScalar(n, out);
    return;
  }
  bool isMap = n.kind() == Node::Kind::Map;
  out.put(isMap ? '{' : '[');
  bool first = true;
  for (const Node::Entry &e : n) {
    out.entry(first, indent + 2, isMap ? &e : nullptr);
    first = false;
    // Most values are scalars: no call for them.
    if (isBlock(e.value))
      writeJSONNode(e.value, indent + 2, out);
    else
      writeJSONScalar(e.value, out);
  }
  out.newline(indent);
  out.put(isMap ? '}' : ']');
}

//===----------------------------------------------------------------------===//
// YAML
//===----------------------------------------------------------------------===//

/// The characters of a plain scalar (see isPlainScalar), as a table: the
/// test runs for every key and string of a YAML template.
struct PlainChars {
  bool table[256] = {};
  PlainChars() {
    for (int c = 0; c < 256; ++c)
      table[c] = llvm::isAlnum(static_cast<char>(c));
    for (char c : StringRef("_./-:@"))
      table[static_cast<unsigned char>(c)] = true;
  }
};
const PlainChars plainChars;

/// A string YAML reads back as the same string without quotes: it starts with
/// a letter or '/', holds no characters YAML treats specially, and is not one
/// of YAML 1.1's booleans or nulls.
bool isPlainScalar(StringRef s) {
  if (s.empty() || !(llvm::isAlpha(s[0]) || s[0] == '/'))
    return false;
  for (char c : s)
    if (!plainChars.table[static_cast<unsigned char>(c)])
      return false;
  if (s.endswith(":"))
    return false;
  // Only short strings that start with one of the words' letters can be one
  // (most keys and strings are not: no comparison for them).
  if (s.size() > 5)
    return true;
  switch (llvm::toLower(s[0])) {
  case 'y':
  case 'n':
  case 'o':
  case 't':
  case 'f':
    break;
  default:
    return true;
  }
  for (StringRef word : {"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
    if (s.equals_insensitive(word))
      return false;
  return true;
}

/// `plain`: the string needs no escape in JSON (see Node::needsNoEscape).
void writeYAMLString(StringRef s, bool plain, Out &out) {
  if (isPlainScalar(s))
    out.put(s);
  else
    out.quoted(s, plain); // Double-quoted: JSON's escapes are YAML's.
}

void writeYAMLScalar(const Node &n, Out &out) {
  switch (n.kind()) {
  case Node::Kind::String:
    writeYAMLString(n.asString(), n.needsNoEscape(), out);
    return;
  default:
    // Null, booleans, numbers and empty collections read the same in JSON.
    writeJSONNode(n, 0, out);
    return;
  }
}

void writeYAMLNode(const Node &n, unsigned indent, Out &out);

/// Map entries, the first one already indented when it follows "- ".
void writeYAMLMap(const Node &n, unsigned indent, bool firstIndented, Out &out) {
  bool first = true;
  for (const Node::Entry &e : n) {
    if (!first || !firstIndented)
      out.indent(indent);
    first = false;
    writeYAMLString(e.key(), e.keyPlain, out);
    out.put(':');
    if (isBlock(e.value)) {
      out.put('\n');
      writeYAMLNode(e.value, indent + 2, out);
    } else {
      out.put(' ');
      writeYAMLScalar(e.value, out);
      out.put('\n');
    }
  }
}

void writeYAMLNode(const Node &n, unsigned indent, Out &out) {
  if (n.kind() == Node::Kind::Map && !n.empty()) {
    writeYAMLMap(n, indent, false, out);
    return;
  }
  if (n.kind() == Node::Kind::List && !n.empty()) {
    for (const Node::Entry &e : n) {
      out.indent(indent);
      out.put('-');
      if (e.value.kind() == Node::Kind::Map && !e.value.empty()) {
        out.put(' ');
        writeYAMLMap(e.value, indent + 2, true, out);
      } else if (e.value.kind() == Node::Kind::List && !e.value.empty()) {
        out.put('\n');
        writeYAMLNode(e.value, indent + 2, out);
      } else {
        out.put(' ');
        writeYAMLScalar(e.value, out);
        out.put('\n');
      }
    }
    return;
  }
  out.indent(indent);
  writeYAMLScalar(n, out);
  out.put('\n');
}

} // namespace

void emit::writeJSON(const Node &root, llvm::raw_ostream &os) {
  Out out(os);
  writeJSONNode(root, 0, out);
  out.put('\n');
}

void emit::writeYAML(const Node &root, llvm::raw_ostream &os) {
  Out out(os);
  writeYAMLNode(root, 0, out);
}

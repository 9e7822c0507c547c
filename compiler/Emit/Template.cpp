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

#include <cassert>
#include <cmath>
#include <cstring>

using namespace infrac;
using namespace infrac::emit;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Arena
//===----------------------------------------------------------------------===//

namespace {
thread_local NodeArena *currentArena = nullptr;
} // namespace

NodeArena::Scope::Scope(NodeArena &arena) : previous(currentArena) { currentArena = &arena; }

NodeArena::Scope::~Scope() { currentArena = previous; }

NodeArena &NodeArena::current() {
  assert(currentArena && "a Node was made outside a NodeArena::Scope");
  return *currentArena;
}

StringRef NodeArena::save(StringRef s) {
  if (s.empty())
    return {};
  char *mem = static_cast<char *>(allocate(s.size(), 1));
  std::memcpy(mem, s.data(), s.size());
  return {mem, s.size()};
}

//===----------------------------------------------------------------------===//
// Node
//===----------------------------------------------------------------------===//

Node Node::make(Kind k) {
  NodeArena &arena = NodeArena::current();
  Node n;
  n.d = new (arena.allocate(sizeof(Data), alignof(Data))) Data();
  n.d->kind = k;
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
  Node n = make(Kind::String);
  StringRef saved = NodeArena::current().save(s);
  n.d->str.data = saved.data();
  n.d->str.size = saved.size();
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
  NodeArena &arena = NodeArena::current();
  Entry *e = new (arena.allocate(sizeof(Entry), alignof(Entry))) Entry();
  e->key = arena.save(key);
  e->value = value;
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
    if (e.key == key)
      return &e.value;
  return nullptr;
}

Node *Node::get(StringRef key) {
  return const_cast<Node *>(static_cast<const Node *>(this)->get(key));
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

namespace {

void writeNumber(double d, llvm::raw_ostream &os) { os << formatNumber(d); }

/// A JSON string: quotes, backslashes and control characters escaped; UTF-8
/// passes through (the front end only admits valid UTF-8).
void writeJSONString(StringRef s, llvm::raw_ostream &os) {
  os << '"';
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    os.write(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
    case '"':
      os << "\\\"";
      break;
    case '\\':
      os << "\\\\";
      break;
    case '\n':
      os << "\\n";
      break;
    case '\t':
      os << "\\t";
      break;
    case '\r':
      os << "\\r";
      break;
    default:
      os << "\\u00" << llvm::hexdigit(c >> 4, /*LowerCase=*/true)
         << llvm::hexdigit(c & 15, /*LowerCase=*/true);
    }
  }
  os.write(s.data() + start, s.size() - start);
  os << '"';
}

void writeJSONNode(const Node &n, unsigned indent, llvm::raw_ostream &os) {
  switch (n.kind()) {
  case Node::Kind::Null:
    os << "null";
    return;
  case Node::Kind::Bool:
    os << (n.asBool() ? "true" : "false");
    return;
  case Node::Kind::Int:
    os << n.asInt();
    return;
  case Node::Kind::Number:
    writeNumber(n.asNumber(), os);
    return;
  case Node::Kind::String:
    writeJSONString(n.asString(), os);
    return;
  case Node::Kind::List:
  case Node::Kind::Map: {
    bool isMap = n.kind() == Node::Kind::Map;
    if (n.empty()) {
      os << (isMap ? "{}" : "[]");
      return;
    }
    os << (isMap ? '{' : '[');
    bool first = true;
    for (const Node::Entry &e : n) {
      os << (first ? "\n" : ",\n");
      first = false;
      os.indent(indent + 2);
      if (isMap) {
        writeJSONString(e.key, os);
        os << ": ";
      }
      writeJSONNode(e.value, indent + 2, os);
    }
    os << '\n';
    os.indent(indent) << (isMap ? '}' : ']');
    return;
  }
  }
}

//===----------------------------------------------------------------------===//
// YAML
//===----------------------------------------------------------------------===//

/// A string YAML reads back as the same string without quotes: it starts with
/// a letter or '/', holds no characters YAML treats specially, and is not one
/// of YAML 1.1's booleans or nulls.
bool isPlainScalar(StringRef s) {
  if (s.empty() || !(llvm::isAlpha(s[0]) || s[0] == '/'))
    return false;
  for (char c : s)
    if (!llvm::isAlnum(c) && !StringRef("_./-:@").contains(c))
      return false;
  if (s.endswith(":"))
    return false;
  std::string lower = s.lower();
  for (StringRef word : {"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
    if (lower == word)
      return false;
  return true;
}

void writeYAMLString(StringRef s, llvm::raw_ostream &os) {
  if (isPlainScalar(s))
    os << s;
  else
    writeJSONString(s, os); // Double-quoted: JSON's escapes are YAML's.
}

void writeYAMLScalar(const Node &n, llvm::raw_ostream &os) {
  switch (n.kind()) {
  case Node::Kind::String:
    writeYAMLString(n.asString(), os);
    return;
  default:
    // Null, booleans, numbers and empty collections read the same in JSON.
    writeJSONNode(n, 0, os);
    return;
  }
}

bool isBlock(const Node &n) {
  return (n.kind() == Node::Kind::List || n.kind() == Node::Kind::Map) && !n.empty();
}

void writeYAMLNode(const Node &n, unsigned indent, llvm::raw_ostream &os);

/// Map entries, the first one already indented when it follows "- ".
void writeYAMLMap(const Node &n, unsigned indent, bool firstIndented, llvm::raw_ostream &os) {
  bool first = true;
  for (const Node::Entry &e : n) {
    if (!first || !firstIndented)
      os.indent(indent);
    first = false;
    writeYAMLString(e.key, os);
    os << ':';
    if (isBlock(e.value)) {
      os << '\n';
      writeYAMLNode(e.value, indent + 2, os);
    } else {
      os << ' ';
      writeYAMLScalar(e.value, os);
      os << '\n';
    }
  }
}

void writeYAMLNode(const Node &n, unsigned indent, llvm::raw_ostream &os) {
  if (n.kind() == Node::Kind::Map && !n.empty()) {
    writeYAMLMap(n, indent, false, os);
    return;
  }
  if (n.kind() == Node::Kind::List && !n.empty()) {
    for (const Node::Entry &e : n) {
      os.indent(indent) << '-';
      if (e.value.kind() == Node::Kind::Map && !e.value.empty()) {
        os << ' ';
        writeYAMLMap(e.value, indent + 2, true, os);
      } else if (e.value.kind() == Node::Kind::List && !e.value.empty()) {
        os << '\n';
        writeYAMLNode(e.value, indent + 2, os);
      } else {
        os << ' ';
        writeYAMLScalar(e.value, os);
        os << '\n';
      }
    }
    return;
  }
  os.indent(indent);
  writeYAMLScalar(n, os);
  os << '\n';
}

} // namespace

void emit::writeJSON(const Node &root, llvm::raw_ostream &os) {
  writeJSONNode(root, 0, os);
  os << '\n';
}

void emit::writeYAML(const Node &root, llvm::raw_ostream &os) { writeYAMLNode(root, 0, os); }

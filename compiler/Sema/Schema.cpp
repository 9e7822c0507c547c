//===- Schema.cpp - Type strings and the schema registry ------------------===//

#include "Sema/Schema.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>
#include <memory>
#include <mutex>

using namespace infrac::sema;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Type strings
//===----------------------------------------------------------------------===//

namespace {

class TypeParser {
public:
  explicit TypeParser(StringRef s) : s(s) {}

  const Type *parse() {
    const Type *t = parseOne();
    skipSpace();
    assert(s.empty() && "trailing text in a schema type");
    return t;
  }

private:
  void skipSpace() { s = s.ltrim(' '); }
  StringRef word() {
    skipSpace();
    size_t n = s.find_first_of("(),| ");
    StringRef w = s.substr(0, n);
    s = s.substr(w.size());
    return w;
  }
  void expect(char c) {
    skipSpace();
    assert(!s.empty() && s.front() == c && "malformed schema type");
    s = s.drop_front();
  }
  std::vector<std::string> symbols() {
    std::vector<std::string> out;
    expect('(');
    for (;;) {
      out.push_back(word().str());
      skipSpace();
      if (s.startswith("|")) {
        s = s.drop_front();
        continue;
      }
      break;
    }
    expect(')');
    return out;
  }

  const Type *parseOne() {
    auto t = std::make_unique<Type>();
    StringRef w = word();
    using K = Type::Kind;
    static const std::pair<StringRef, K> simple[] = {
        {"any", K::Any},           {"bool", K::Bool},
        {"int", K::Int},           {"number", K::Number},
        {"string", K::String},     {"cidr", K::Cidr},
        {"duration", K::Duration}, {"size", K::Size},
        {"percent", K::Percent},   {"rate", K::Rate},
        {"action", K::Action},     {"condition", K::Condition},
        {"metric", K::Metric}};
    bool found = false;
    for (auto [name, kind] : simple)
      if (w == name) {
        t->kind = kind;
        found = true;
      }
    if (found && t->kind == K::Int) {
      skipSpace();
      if (s.startswith("(..")) {
        s = s.drop_front(3);
        size_t n = s.find(')');
        bool bad = s.substr(0, n).getAsInteger(10, t->intMax);
        assert(!bad && t->intMax <= Type::MaxInt && "int(..N) in the schema");
        (void)bad;
        s = s.drop_front(n);
        expect(')');
      }
    }
    if (found && (t->kind == K::Duration || t->kind == K::Size || t->kind == K::Percent)) {
      skipSpace();
      if (s.startswith("(")) {
        s = s.drop_front();
        size_t n = s.find(')');
        StringRef unit = s.substr(0, n).trim();
        s = s.drop_front(n);
        expect(')');
        if (t->kind == K::Duration && unit == "s") {
          t->awsUnit = 1000;
          t->awsUnitName = "seconds";
        } else if (t->kind == K::Duration && unit == "m") {
          t->awsUnit = 60000;
          t->awsUnitName = "minutes";
        } else if (t->kind == K::Size && unit == "GiB") {
          t->awsUnit = int64_t(1) << 30;
          t->awsUnitName = "GiB";
        } else if (t->kind == K::Percent && unit == "1") {
          t->awsUnit = 1;
          t->awsUnitName = "percent";
        } else {
          llvm_unreachable("unknown AWS unit in schema");
        }
      }
    }
    if (!found) {
      if (w == "enum" || w == "ref" || w == "object") {
        t->kind = w == "enum" ? K::Enum : w == "ref" ? K::Ref : K::Object;
        t->names = symbols();
      } else if (w == "list" || w == "many" || w == "map") {
        t->kind = w == "list" ? K::List : w == "many" ? K::Many : K::Map;
        expect('(');
        t->elems.push_back(parseOne());
        expect(')');
      } else if (w == "union") {
        t->kind = K::Union;
        expect('(');
        for (;;) {
          t->elems.push_back(parseOne());
          skipSpace();
          if (s.startswith(",")) {
            s = s.drop_front();
            continue;
          }
          break;
        }
        expect(')');
      } else {
        llvm_unreachable("unknown type word in schema");
      }
    }
    owned.push_back(std::move(t));
    return owned.back().get();
  }

  StringRef s;

public:
  static std::vector<std::unique_ptr<Type>> owned;
};

std::vector<std::unique_ptr<Type>> TypeParser::owned;

std::string joinNames(const std::vector<std::string> &names, StringRef last,
                      bool nouns) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i)
      out += i + 1 == names.size() ? (" " + last.str() + " ") : ", ";
    out += nouns ? kindNoun(names[i]) : names[i];
  }
  return out;
}

} // namespace

const Type *infrac::sema::parseType(StringRef spec) {
  static llvm::StringMap<const Type *> cache;
  static std::mutex lock;
  std::lock_guard<std::mutex> g(lock);
  auto it = cache.find(spec);
  if (it != cache.end())
    return it->second;
  const Type *t = TypeParser(spec).parse();
  cache[spec] = t;
  return t;
}

std::string Type::describe() const {
  switch (kind) {
  case Kind::Any:
    return "a value";
  case Kind::Bool:
    return "true or false";
  case Kind::Int:
    return intMax < MaxInt ? "an integer up to " + std::to_string(intMax) : "an integer";
  case Kind::Number:
    return "a number";
  case Kind::String:
    return "a string";
  case Kind::Cidr:
    return "a CIDR block string such as \"10.0.0.0/16\"";
  case Kind::Duration:
    return "a duration such as 30s";
  case Kind::Size:
    return "a size such as 512MiB";
  case Kind::Percent:
    return "a percentage such as 60%";
  case Kind::Rate:
    return "a rate such as 200/s";
  case Kind::Enum:
    return names.size() == 1 ? "'" + names[0] + "'"
                             : "one of " + joinNames(names, "or", false);
  case Kind::Ref:
    return withArticle(joinNames(names, "or", true));
  case Kind::List:
    return "a list of " + elems[0]->describePlural();
  case Kind::Many:
    return elems[0]->describe() + " or a list of them";
  case Kind::Map:
    return "a map of " + elems[0]->describePlural();
  case Kind::Union: {
    std::string out;
    for (size_t i = 0; i < elems.size(); ++i) {
      if (i)
        out += i + 1 == elems.size() ? " or " : ", ";
      out += elems[i]->describe();
    }
    return out;
  }
  case Kind::Object:
    return "an app such as " + joinNames(names, "or", false) + " { ... }";
  case Kind::Action:
    return "an action such as forward(web)";
  case Kind::Condition:
    return "a condition such as path(\"/api/*\")";
  case Kind::Metric:
    return "a metric such as healthy(web)";
  }
  return "a value";
}

std::string Type::describePlural() const {
  switch (kind) {
  case Kind::Ref:
    return joinNames(names, "or", true) + "s";
  case Kind::String:
    return "strings";
  case Kind::Cidr:
    return "CIDR block strings";
  case Kind::Int:
    return "integers";
  case Kind::Enum:
    return "values from " + joinNames(names, "and", false);
  case Kind::Map:
    return "maps of " + elems[0]->describePlural();
  default:
    return "values (" + describe() + ")";
  }
}

bool Type::allowsEnumSymbol(StringRef s) const {
  for (const std::string &n : names)
    if (n == s)
      return true;
  return false;
}

const Type *Type::findKind(Kind k) const {
  if (kind == k)
    return this;
  if (kind == Kind::Union)
    for (const Type *e : elems)
      if (const Type *f = e->findKind(k))
        return f;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Registry
//===----------------------------------------------------------------------===//

const AttrSpec *BlockSpec::findAttr(StringRef name) const {
  const AttrInfo *info = Schema::get().lookupAttr(this, name);
  return info ? info->spec : nullptr;
}

const ChildSpec *BlockSpec::findChild(StringRef keyword) const {
  for (const ChildSpec &c : children)
    if (keyword == c.keyword)
      return &c;
  return nullptr;
}

Schema::Schema() {
  SchemaFamily families[] = {networkSchema(),      loadBalancingSchema(),
                             computeSchema(),      emrSchema(),
                             coordinationSchema(), scenarioSchema()};
  for (const SchemaFamily &f : families) {
    for (const BlockSpec &b : f.blocks) {
      allBlocks.push_back(&b);
      bool unique = blockByKind.try_emplace(b.kind, &b).second;
      (void)unique;
      assert(unique && "a kind declared twice in the schema");
      if (b.topLevel)
        topKinds.push_back(b.kind);
      firstOrdinal[&b] = attrCount();
      // Parse every type now: a typo in a table fails at start-up, not later.
      for (const AttrSpec &a : b.attrs)
        attrInfos.push_back({&a, parseType(a.type), attrCount()});
      if (b.labelType)
        (void)parseType(b.labelType);
    }
    for (const FunctionSpec &fn : f.functions) {
      allFunctions.push_back(&fn);
      for (const char *t : fn.positional)
        (void)parseType(t);
      for (const ParamSpec &p : fn.named)
        (void)parseType(p.type);
    }
    for (const MemberSpec &m : f.members)
      allMembers.push_back(&m);
  }
  for (const BlockSpec *b : allBlocks)
    for (const ChildSpec &c : b->children) {
      (void)c;
      assert(findBlock(c.kind) && "child kind missing from the schema");
    }

  attrTable.resize(llvm::PowerOf2Ceil(2 * attrInfos.size() + 1));
  attrMask = attrTable.size() - 1;
  for (const BlockSpec *b : allBlocks)
    for (const AttrSpec &a : b->attrs) {
      AttrKey key(a.name);
      size_t i = hashAttr(b, key) & attrMask;
      while (attrTable[i].block) {
        assert((attrTable[i].block != b || StringRef(attrTable[i].name) != a.name) &&
               "attribute listed twice in a kind's table");
        i = (i + 1) & attrMask;
      }
      attrTable[i] = {b, key, a.name, &attrInfos[firstOrdinal[b] + (&a - b->attrs.data())]};
    }
}

Schema::AttrKey::AttrKey(StringRef name) : size(name.size()) {
  // Unaligned loads that never read past the name; for a short name the
  // bytes it reads cover it whole, so equal keys mean equal names.
  const char *p = name.data();
  auto load8 = [](const char *p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  auto load4 = [](const char *p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return static_cast<uint64_t>(w);
  };
  if (size >= 8) {
    lo = load8(p);
    hi = load8(p + size - 8);
  } else if (size >= 4) {
    lo = load4(p) | load4(p + size - 4) << 32;
  } else if (size > 0) {
    lo = static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[size / 2]) << 8 |
         static_cast<unsigned char>(p[size - 1]) << 16;
  }
}

size_t Schema::hashAttr(const BlockSpec *block, const AttrKey &key) {
  // The tables are static, so the kind's address tells kinds apart.
  uint64_t h = (reinterpret_cast<uintptr_t>(block) + key.size) * 0x9e3779b97f4a7c15ull;
  h = (h ^ key.lo) * 0xff51afd7ed558ccdull;
  h = (h ^ key.hi ^ (h >> 29)) * 0xc4ceb9fe1a85ec53ull;
  return static_cast<size_t>(h ^ (h >> 32));
}

const AttrInfo *Schema::lookupAttr(const BlockSpec *block, StringRef name) const {
  // The loop calls nothing, so the lookup saves no registers; the rare names
  // longer than 16 bytes, which need memcmp, take the other path.
  if (name.size() > 16)
    return lookupLongAttr(block, name);
  AttrKey key(name);
  for (size_t i = hashAttr(block, key) & attrMask;; i = (i + 1) & attrMask) {
    const AttrSlot &slot = attrTable[i];
    if (!slot.block)
      break;
    if (slot.block == block && slot.key == key)
      return slot.info;
  }
  assert(firstOrdinal.count(block) && "attribute lookup on a kind outside the schema");
  return nullptr;
}

const AttrInfo *Schema::lookupLongAttr(const BlockSpec *block, StringRef name) const {
  AttrKey key(name);
  for (size_t i = hashAttr(block, key) & attrMask;; i = (i + 1) & attrMask) {
    const AttrSlot &slot = attrTable[i];
    if (!slot.block)
      break;
    if (slot.block == block && slot.key == key &&
        std::memcmp(slot.name, name.data(), key.size) == 0)
      return slot.info;
  }
  return nullptr;
}

unsigned Schema::firstAttrOrdinal(const BlockSpec *block) const {
  auto it = firstOrdinal.find(block);
  assert(it != firstOrdinal.end() && "a kind outside the schema");
  return it->second;
}

const BlockSpec *Schema::findBlock(StringRef kind) const {
  return blockByKind.lookup(kind);
}

const BlockSpec *Schema::findTopLevel(StringRef kind) const {
  const BlockSpec *b = findBlock(kind);
  return b && b->topLevel ? b : nullptr;
}

const FunctionSpec *Schema::findFunction(StringRef name) const {
  for (const FunctionSpec *f : allFunctions)
    if (name == f->name)
      return f;
  return nullptr;
}

const MemberSpec *Schema::findMember(StringRef ownerKind, StringRef name) const {
  for (const MemberSpec *m : allMembers)
    if (ownerKind == m->ownerKind && name == m->name)
      return m;
  return nullptr;
}

std::vector<StringRef> Schema::functionNames(FunctionCategory c) const {
  std::vector<StringRef> out;
  for (const FunctionSpec *f : allFunctions)
    if (f->category == c)
      out.push_back(f->name);
  return out;
}

std::vector<StringRef> Schema::memberNames(StringRef ownerKind) const {
  std::vector<StringRef> out;
  for (const MemberSpec *m : allMembers)
    if (ownerKind == m->ownerKind)
      out.push_back(m->name);
  return out;
}

std::string infrac::sema::kindNoun(StringRef kind) {
  if (kind == "emr_cluster")
    return "EMR cluster";
  if (kind == "vpc")
    return "VPC";
  std::string s = kind.str();
  for (char &c : s)
    if (c == '_')
      c = ' ';
  return s;
}

std::string infrac::sema::withArticle(StringRef noun) {
  if (noun.empty())
    return "";
  char c = noun.front();
  bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' ||
               c == 'E' || c == 'A';
  if (noun.startswith("VPC"))
    vowel = false;
  return (vowel ? "an " : "a ") + noun.str();
}

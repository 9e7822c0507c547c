//===- Sema.cpp - AST to model: names, types, units, defaults -------------===//
//
// Passes, in order:
//   1. declare   every block (top level and nested), params and lets; kinds,
//                names, duplicates and nesting are checked here
//   2. resolve   every attribute against its kind's schema: unknown names,
//                types, units, references (with kind checks), then defaults
//   3. cycles    in the dependency graph that deployment follows
//
//===----------------------------------------------------------------------===//

#include "Sema/Model.h"
#include "Parse/Lexer.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <mutex>

using namespace infrac;
using namespace infrac::sema;
using llvm::SMRange;
using llvm::StringRef;
using TK = Type::Kind;
using VK = Value::Kind;

static Value mkEnum(StringRef s) {
  Value v;
  v.kind = VK::Enum;
  v.str = s;
  return v;
}
static Value mkInt(VK k, int64_t i) {
  Value v;
  v.kind = k;
  v.i = i;
  return v;
}
static Value mkBool(bool b) {
  Value v;
  v.kind = VK::Bool;
  v.b = b;
  return v;
}
static Value mkString(StringRef s) {
  Value v;
  v.kind = VK::String;
  v.str = s;
  return v;
}

/// Parses a default written in the schema table ("30s", "http", "\"/\"",
/// "[default]"); they are ours, so they are trusted.
static Value parseDefault(const AttrSpec &spec, llvm::BumpPtrAllocator &arena,
                          llvm::StringSaver &saver) {
  StringRef text(spec.defaultValue);
  LexResult lexed = lex(text, nullptr);
  const Type *t = parseType(spec.type);
  std::function<Value(size_t &, const Type *)> parseOne = [&](size_t &i,
                                                              const Type *t) -> Value {
    const Token &tok = lexed.tokens[i++];
    StringRef s = text.substr(tok.offset, tok.length);
    Value v;
    switch (tok.kind) {
    case Tok::KwTrue:
    case Tok::KwFalse:
      return mkBool(tok.kind == Tok::KwTrue);
    case Tok::String:
      return mkString(saver.save(s.drop_front().drop_back()));
    case Tok::Ident:
      return mkEnum(saver.save(s));
    case Tok::Number:
      if (t->findKind(TK::Int))
        return mkInt(VK::Int, std::stoll(s.str()));
      v.kind = VK::Number;
      v.d = std::stod(s.str());
      return v;
    case Tok::Quantity: {
      size_t split = s.find_if([](char c) { return !(c >= '0' && c <= '9') && c != '.'; });
      const UnitInfo *u = lookupUnit(s.substr(split));
      assert(u && "bad unit in a schema default");
      double canonical = std::stod(s.substr(0, split).str()) * u->factor;
      switch (u->dim) {
      case Dimension::Duration:
        return mkInt(VK::Duration, static_cast<int64_t>(canonical));
      case Dimension::Size:
        return mkInt(VK::Size, static_cast<int64_t>(canonical));
      case Dimension::Percent:
        v.kind = VK::Percent;
        v.d = canonical;
        return v;
      case Dimension::Rate:
        v.kind = VK::Rate;
        v.d = canonical;
        return v;
      }
      return v;
    }
    case Tok::LBrack: {
      std::vector<Value> items;
      const Type *elem = t->kind == TK::List || t->kind == TK::Many ? t->elems[0] : t;
      while (lexed.tokens[i].kind != Tok::RBrack) {
        items.push_back(parseOne(i, elem));
        if (lexed.tokens[i].kind == Tok::Comma)
          ++i;
      }
      ++i;
      v.kind = VK::List;
      Value *mem = arena.Allocate<Value>(items.size());
      std::uninitialized_copy(items.begin(), items.end(), mem);
      v.items = llvm::ArrayRef<Value>(mem, items.size());
      return v;
    }
    default:
      llvm_unreachable("unsupported schema default");
    }
  };
  size_t i = 0;
  return parseOne(i, t);
}

/// The static default of an attribute, parsed once from the schema table.
/// The fast path is one load: resources ask for their defaults many times each.
static const Attr *parsedDefault(const AttrInfo &info) {
  static std::mutex lock;
  static llvm::BumpPtrAllocator arena;
  static llvm::StringSaver saver(arena);
  static const std::unique_ptr<std::atomic<const Attr *>[]> cache(
      new std::atomic<const Attr *>[Schema::get().attrCount()]());
  std::atomic<const Attr *> &slot = cache[info.ordinal];
  if (const Attr *a = slot.load(std::memory_order_acquire))
    return a;
  std::lock_guard<std::mutex> g(lock);
  if (const Attr *a = slot.load(std::memory_order_relaxed))
    return a;
  Attr *a = new (arena.Allocate<Attr>()) Attr();
  a->spec = info.spec;
  a->value = parseDefault(*info.spec, arena, saver);
  a->isDefault = true;
  slot.store(a, std::memory_order_release);
  return a;
}

//===----------------------------------------------------------------------===//
// Model accessors
//===----------------------------------------------------------------------===//

StringRef Value::refKind() const {
  if (kind != Kind::Ref || !ref)
    return {};
  if (!str.empty())
    if (const MemberSpec *m = Schema::get().findMember(ref->kind(), str))
      return m->resultKind;
  return ref->kind();
}

const NamedValue *Value::field(StringRef name) const {
  for (const NamedValue &f : fields)
    if (f.name == name)
      return &f;
  return nullptr;
}

const Attr *Resource::attr(StringRef name) const {
  const AttrInfo *info = Schema::get().lookupAttr(spec, name);
  if (!info)
    return nullptr;
  for (const Attr &a : attrs)
    if (a.spec == info->spec)
      return &a;
  return info->spec->defaultValue ? parsedDefault(*info) : nullptr;
}

const Attr *Resource::defaultAttr(size_t i) const {
  if (!spec->attrs[i].defaultValue)
    return nullptr;
  const Schema &schema = Schema::get();
  return parsedDefault(schema.attrInfo(schema.firstAttrOrdinal(spec) + i));
}

const Value *Resource::get(StringRef name) const {
  const Attr *a = attr(name);
  return a && a->value.isSet() ? &a->value : nullptr;
}

std::optional<int64_t> Resource::getInt(StringRef name) const {
  const Value *v = get(name);
  if (v && (v->kind == VK::Int || v->kind == VK::Duration || v->kind == VK::Size))
    return v->i;
  return std::nullopt;
}

std::optional<bool> Resource::getBool(StringRef name) const {
  const Value *v = get(name);
  if (v && v->kind == VK::Bool)
    return v->b;
  return std::nullopt;
}

StringRef Resource::getEnum(StringRef name) const {
  const Value *v = get(name);
  return v && v->kind == VK::Enum ? v->str : StringRef();
}

StringRef Resource::getString(StringRef name) const {
  const Value *v = get(name);
  return v && v->kind == VK::String ? v->str : StringRef();
}

const Resource *Resource::getRef(StringRef name) const {
  const Value *v = get(name);
  return v && v->kind == VK::Ref ? v->ref : nullptr;
}

const Resource *Resource::child(StringRef keyword) const {
  for (const Resource *c : children)
    if (c->keyword == keyword)
      return c;
  return nullptr;
}

std::vector<const Resource *> Resource::childrenOf(StringRef keyword) const {
  std::vector<const Resource *> out;
  for (const Resource *c : children)
    if (c->keyword == keyword)
      out.push_back(c);
  return out;
}

const Resource *Resource::topLevel() const {
  const Resource *r = this;
  while (r->parent)
    r = r->parent;
  return r;
}

const Resource *Model::find(StringRef name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : it->second;
}

//===----------------------------------------------------------------------===//
// Sema
//===----------------------------------------------------------------------===//

namespace {

/// What a top-level name denotes.
struct Symbol {
  enum Kind { Resource, Let, Param } kind;
  sema::Resource *resource = nullptr;
  const ast::Expr *expr = nullptr; ///< Let or param value.
  SMRange declRange;
  bool expanding = false; ///< Cycle detection for lets and params.
};

/// Most lets and params one value may be defined through (a = b, b = c, ...):
/// far more than a design needs, far less than the stack holds.
constexpr unsigned MaxExpansionDepth = 100;

/// The largest duration (in ms), size (in bytes), percentage or rate:
/// 2^53, exact in a double and far from int64_t's end.
constexpr int64_t MaxQuantity = int64_t(1) << 53;

/// Where a value is being converted: for messages.
struct Site {
  StringRef what;          ///< The attribute or argument name.
  sema::Resource *owner;   ///< The resource whose attribute it is.
};

std::string describeExpr(const ast::Expr *e) {
  using EK = ast::Expr::Kind;
  switch (e->getKind()) {
  case EK::String: {
    StringRef v = llvm::cast<ast::StringLit>(e)->getValue();
    return v.size() > 30 ? fmt::format("string \"{}...\"", v.take_front(27))
                         : fmt::format("string \"{}\"", v);
  }
  case EK::Number:
    return fmt::format("number {}", llvm::cast<ast::NumberLit>(e)->getText());
  case EK::Quantity: {
    auto *q = llvm::cast<ast::QuantityLit>(e);
    return fmt::format("{} '{}'", dimensionNoun(q->getDimension()).drop_front(2),
                       q->getText());
  }
  case EK::Bool:
    return llvm::cast<ast::BoolLit>(e)->getValue() ? "'true'" : "'false'";
  case EK::Ref: {
    std::string s;
    llvm::raw_string_ostream os(s);
    ast::printExpr(e, os);
    return fmt::format("name '{}'", os.str());
  }
  case EK::Call:
    return fmt::format("call '{}(...)'", llvm::cast<ast::CallExpr>(e)->getCallee().name);
  case EK::Object:
    return fmt::format("'{} {{ ... }}'", llvm::cast<ast::ObjectExpr>(e)->getKindName().name);
  case EK::List:
    return "a list";
  case EK::Map:
    return "a map";
  case EK::Compare:
    return "a comparison";
  case EK::And:
    return "an 'and' of conditions";
  case EK::Neg:
    return "a negative number";
  }
  return "a value";
}

bool validCidr(StringRef s, std::string &why) {
  size_t slash = s.find('/');
  if (slash == StringRef::npos) {
    why = "missing '/prefix'";
    return false;
  }
  std::string addr = s.substr(0, slash).str();
  StringRef prefix = s.substr(slash + 1);
  bool v6 = addr.find(':') != std::string::npos;
  unsigned char buf[16];
  if (inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), buf) != 1) {
    why = fmt::format("'{}' is not an IPv{} address", addr, v6 ? 6 : 4);
    return false;
  }
  unsigned p;
  if (prefix.empty() || prefix.getAsInteger(10, p) || p > (v6 ? 128u : 32u)) {
    why = fmt::format("prefix length must be 0..{}", v6 ? 128 : 32);
    return false;
  }
  return true;
}

class Sema {
public:
  Sema(Model &m, DiagnosticEngine &diags, const SemaOptions &opts)
      : m(m), diags(diags), opts(opts), schema(Schema::get()) {}

  void run(const ast::Program &program);

private:
  // Pass 1.
  void declareTop(const ast::Item *item);
  Resource *declareBlock(const ast::Block *b, const BlockSpec *spec, Resource *parent,
                         StringRef keyword);
  void declareChildren(Resource *r, const ast::Block *b);
  // Pass 2.
  void resolve(Resource *r, const ast::Block *b);
  void resolveBody(Resource *r, llvm::ArrayRef<ast::Item *> body, SMRange header);
  void finishAttrs(Resource *r, SMRange header);
  void applyDerivedDefaults(Resource *r);
  // Pass 3.
  void checkCycles();

  Value convert(const ast::Expr *e, const Type *t, const Site &site);
  Value convertRef(const ast::RefExpr *e, const Type *t, const Site &site);
  Value convertCall(const ast::Expr *e, const Type *t, const Site &site);
  Value convertQuantity(const ast::Expr *e, const Type *t, Dimension dim, const Site &site);
  void notWholeAwsUnit(const ast::Expr *e, const ast::QuantityLit *q, const Type *t,
                       const Site &site, double canonical);
  Value convertObject(const ast::Expr *e, const Type *t, const Site &site);
  const Type *pickUnionMember(const ast::Expr *e, const Type *t);
  const ast::Expr *expandSymbol(const ast::Expr *e, Symbol **sym);
  void typeMismatch(const ast::Expr *e, const Type *t, const Site &site);

  void setAttr(Resource *r, StringRef name, Value v);

  std::vector<StringRef> namesOfKinds(const std::vector<std::string> &kinds);

  Model &m;
  DiagnosticEngine &diags;
  const SemaOptions &opts;
  const Schema &schema;
  llvm::StringMap<Symbol> symbols;
  /// Lets and params being expanded, innermost last (convert recurses once
  /// per name of a chain: the bound keeps it far from the end of the stack).
  unsigned expansionDepth = 0;
  /// Pass 2 work list: each resource with its declaration (null if implicit).
  std::vector<std::pair<Resource *, const ast::Block *>> blocks;

  /// `asg.instances[i]` and friends, checked once every attribute is known.
  struct IndexCheck {
    SMRange range;
    const Resource *owner;
    StringRef member;
    int64_t index;
  };
  std::vector<IndexCheck> indexChecks;
  void checkIndexes();
};

//===----------------------------------------------------------------------===//
// Pass 1: declarations
//===----------------------------------------------------------------------===//

void Sema::declareTop(const ast::Item *item) {
  switch (item->getKind()) {
  case ast::Item::Kind::Import:
    return; // Loaded by the parse stage.
  case ast::Item::Kind::Param:
  case ast::Item::Kind::Let: {
    bool isParam = item->getKind() == ast::Item::Kind::Param;
    const ast::Identifier &name = isParam ? llvm::cast<ast::Param>(item)->getName()
                                          : llvm::cast<ast::Let>(item)->getName();
    const ast::Expr *value = isParam ? llvm::cast<ast::Param>(item)->getValue()
                                     : llvm::cast<ast::Let>(item)->getValue();
    auto [it, inserted] = symbols.try_emplace(name.name);
    if (!inserted) {
      diags.report(DiagID::DUP001, name.range, name.name)
          .note(it->second.declRange, "previous definition is here");
      return;
    }
    Symbol &s = it->second;
    s.kind = isParam ? Symbol::Param : Symbol::Let;
    s.expr = value;
    s.declRange = name.range;
    if (isParam) {
      ParamValue pv;
      pv.name = name.name;
      pv.expr = value;
      pv.range = name.range;
      for (const ParamOverride &o : opts.paramOverrides)
        if (o.name == name.name.str() && o.value) {
          const ast::Expr *v = o.value;
          auto *ref = llvm::dyn_cast<ast::RefExpr>(v);
          if (ref && ref->isSimple() && o.text && value && llvm::isa<ast::StringLit>(value))
            v = o.text;
          s.expr = v;
          pv.expr = v;
          pv.overridden = true;
        }
      m.params.push_back(pv);
    }
    return;
  }
  case ast::Item::Kind::Block: {
    auto *b = llvm::cast<ast::Block>(item);
    const ast::Identifier &kind = b->getKindName();
    const BlockSpec *spec = schema.findTopLevel(kind.name);
    if (!spec) {
      auto d = diags.report(DiagID::KIND001, kind.range, kind.name,
                            didYouMean(kind.name, schema.topLevelKinds()));
      StringRef fix = closestMatch(kind.name, schema.topLevelKinds());
      if (!fix.empty())
        d.fixit(kind.range, fix.str());
      return;
    }
    Resource *r = declareBlock(b, spec, nullptr, kind.name);
    if (!r)
      return;
    auto [it, inserted] = symbols.try_emplace(r->name);
    if (!inserted) {
      diags.report(DiagID::DUP001, r->nameRange, r->name)
          .note(it->second.declRange, "previous definition is here");
      return;
    }
    it->second.kind = Symbol::Resource;
    it->second.resource = r;
    it->second.declRange = r->nameRange;
    m.resources.push_back(r);
    m.byName[r->name] = r;
    return;
  }
  case ast::Item::Kind::Attribute: {
    auto *a = llvm::cast<ast::Attribute>(item);
    diags.report(DiagID::KIND001, a->getKey().range, a->getKey().name,
                 "; attributes belong inside a block, and constants are written "
                 "'let name = value'");
    return;
  }
  case ast::Item::Kind::Expect:
    diags.report(DiagID::ATTR006, item->getRange());
    return;
  }
}

Resource *Sema::declareBlock(const ast::Block *b, const BlockSpec *spec,
                             Resource *parent, StringRef keyword) {
  llvm::ArrayRef<ast::Label> labels = b->getLabels();
  const ast::Identifier &kw = b->getKindName();
  Resource *r = m.newResource();
  r->spec = spec;
  r->keyword = keyword;
  r->range = b->getRange();
  r->parent = parent;
  r->nameRange = kw.range;
  switch (spec->label) {
  case LabelKind::Name:
  case LabelKind::OptionalName:
    if (labels.empty()) {
      if (spec->label == LabelKind::Name) {
        diags.report(DiagID::KIND003, kw.range, kw.name, kw.name);
        return nullptr;
      }
      break;
    }
    if (labels.size() > 1) {
      diags.report(DiagID::KIND005, labels[1].range, kw.name, labels.size());
      return nullptr;
    }
    if (labels[0].name().empty()) {
      diags.report(DiagID::TYP001, labels[0].range, kw.name, "a name",
                   describeExpr(labels[0].value));
      return nullptr;
    }
    r->name = labels[0].name();
    r->nameRange = labels[0].range;
    break;
  case LabelKind::None:
    if (!labels.empty()) {
      diags.report(DiagID::KIND004, labels[0].range, kindNoun(spec->kind),
                   labels[0].name().empty() ? StringRef("this") : labels[0].name());
      return nullptr;
    }
    break;
  case LabelKind::Value:
    if (labels.size() != 1) {
      diags.report(DiagID::KIND005, labels.empty() ? kw.range : labels[1].range,
                   kw.name, labels.size());
      return nullptr;
    }
    break;
  }
  StringRef local = r->name.empty() ? keyword : r->name;
  r->path = parent ? m.save(parent->path + "." + local) : local;
  blocks.emplace_back(r, b);
  declareChildren(r, b);
  return r;
}

void Sema::declareChildren(Resource *r, const ast::Block *b) {
  const BlockSpec *spec = r->spec;
  llvm::StringMap<const Resource *> seenName;
  llvm::StringMap<const Resource *> seenOne;
  for (const ast::Item *item : b->getBody()) {
    auto *cb = llvm::dyn_cast<ast::Block>(item);
    if (!cb)
      continue;
    const ast::Identifier &kw = cb->getKindName();
    const ChildSpec *cs = spec->findChild(kw.name);
    if (!cs) {
      if (spec->findAttr(kw.name)) {
        diags.report(DiagID::ATTR004, kw.range, kw.name, kw.name);
        continue;
      }
      std::vector<StringRef> names;
      for (const ChildSpec &c : spec->children)
        names.push_back(c.keyword);
      std::string hint = didYouMean(kw.name, names);
      if (hint.empty() && schema.findTopLevel(kw.name))
        hint = fmt::format("; '{}' blocks are declared at the top level", kw.name);
      else if (hint.empty() && !names.empty()) {
        hint = "; expected ";
        for (size_t i = 0; i < names.size(); ++i)
          hint += fmt::format("{}'{}'", i ? (i + 1 == names.size() ? " or " : ", ") : "",
                              names[i]);
      }
      auto d = diags.report(DiagID::KIND002, kw.range, kw.name, kindNoun(spec->kind),
                            r->name.empty() ? r->path : r->name, hint);
      StringRef fix = closestMatch(kw.name, names);
      if (!fix.empty())
        d.fixit(kw.range, fix.str());
      continue;
    }
    Resource *c = declareBlock(cb, schema.findBlock(cs->kind), r, cs->keyword);
    if (!c)
      continue;
    if (!(cs->flags & Multiple)) {
      auto [it, inserted] = seenOne.try_emplace(cs->keyword, c);
      if (!inserted) {
        diags.report(DiagID::DUP003, kw.range, cs->keyword, kindNoun(spec->kind),
                     r->name.empty() ? r->path : r->name)
            .note(it->second->nameRange, "first '{}' is here", cs->keyword);
        continue;
      }
    }
    if (!c->name.empty()) {
      auto [it, inserted] = seenName.try_emplace(c->name, c);
      if (!inserted) {
        diags.report(DiagID::DUP001, c->nameRange, c->path)
            .note(it->second->nameRange, "previous definition is here");
        continue;
      }
    }
    r->children.push_back(c);
  }
  // Required and implicit children.
  for (const ChildSpec &cs : spec->children) {
    if (cs.flags & Multiple)
      continue;
    if (r->child(cs.keyword))
      continue;
    if (cs.flags & RequiredChild) {
      diags.report(DiagID::KIND006, r->nameRange, kindNoun(spec->kind), r->name, cs.keyword);
    } else if (cs.flags & Implicit) {
      Resource *c = m.newResource();
      c->spec = schema.findBlock(cs.kind);
      c->keyword = cs.keyword;
      c->parent = r;
      c->implicit = true;
      c->range = r->range;
      c->nameRange = r->nameRange;
      c->path = m.save(r->path + "." + cs.keyword);
      r->children.push_back(c);
      blocks.emplace_back(c, nullptr);
    }
  }
}

//===----------------------------------------------------------------------===//
// Pass 2: attributes and values
//===----------------------------------------------------------------------===//

void Sema::resolve(Resource *r, const ast::Block *b) {
  if (r->spec->label == LabelKind::Value && b && !b->getLabels().empty()) {
    Site site{b->getKindName().name, r};
    r->label = convert(b->getLabels()[0].value, parseType(r->spec->labelType), site);
  }
  SMRange header = b ? b->getKindName().range : r->nameRange;
  if (b)
    resolveBody(r, b->getBody(), header);
  finishAttrs(r, header);
}

void Sema::resolveBody(Resource *r, llvm::ArrayRef<ast::Item *> body, SMRange header) {
  const BlockSpec *spec = r->spec;
  // A key names one attribute of the kind, so a repeated key is an attribute
  // already kept (kept ones are at most the kind's attributes: a short scan).
  size_t firstKept = r->attrs.size();
  // Room for the derived defaults too (finishAttrs keeps it).
  r->attrs.reserve(firstKept + 2 + llvm::count_if(body, [](const ast::Item *item) {
                     return llvm::isa<ast::Attribute>(item);
                   }));
  for (const ast::Item *item : body) {
    if (diags.shouldStop())
      return;
    if (auto *x = llvm::dyn_cast<ast::Expect>(item)) {
      if (!spec->allowsExpect) {
        diags.report(DiagID::ATTR006, x->getRange());
        continue;
      }
      Expectation ex;
      ex.range = x->getRange();
      Site site{"expect", r};
      ex.condition = convert(x->getCondition(), parseType("metric"), site);
      if (x->getWithin())
        ex.within = convert(x->getWithin(), parseType("duration"), Site{"within", r});
      if (x->getAfter())
        ex.after = convert(x->getAfter(), parseType("duration"), Site{"after", r});
      r->expectations.push_back(ex);
      continue;
    }
    auto *a = llvm::dyn_cast<ast::Attribute>(item);
    if (!a)
      continue;
    const ast::Identifier &key = a->getKey();
    const AttrInfo *info = schema.lookupAttr(spec, key.name);
    if (!info) {
      if (spec->findChild(key.name)) {
        diags.report(DiagID::ATTR003, key.range, key.name, key.name);
        continue;
      }
      std::vector<StringRef> names;
      for (const AttrSpec &s : spec->attrs)
        names.push_back(s.name);
      std::string where = withArticle(kindNoun(spec->kind));
      auto d = diags.report(DiagID::ATTR001, key.range, key.name, where,
                            didYouMean(key.name, names));
      StringRef fix = closestMatch(key.name, names);
      if (!fix.empty())
        d.fixit(key.range, fix.str());
      continue;
    }
    auto first = std::find_if(r->attrs.begin() + firstKept, r->attrs.end(),
                              [&](const Attr &kept) { return kept.spec == info->spec; });
    if (first != r->attrs.end()) {
      diags.report(DiagID::DUP002, key.range, key.name)
          .note(first->keyRange, "first set here");
      continue;
    }
    Attr attr;
    attr.spec = info->spec;
    attr.keyRange = key.range;
    attr.value = convert(a->getValue(), info->type, Site{key.name, r});
    if (attr.value.isSet())
      attr.value.range = a->getValue()->getRange();
    r->attrs.push_back(attr);
  }
  (void)header;
}

void Sema::finishAttrs(Resource *r, SMRange header) {
  const BlockSpec *spec = r->spec;
  // Schema order is the order of the specs in the kind's table; each
  // attribute is there once (resolveBody drops repeated keys).
  std::sort(r->attrs.begin(), r->attrs.end(),
            [](const Attr &a, const Attr &b) { return a.spec < b.spec; });
  auto given = r->attrs.begin();
  for (const AttrSpec &as : spec->attrs) {
    if (given != r->attrs.end() && given->spec == &as) {
      ++given;
      continue;
    }
    if ((as.flags & Required) && !r->implicit)
      diags.report(DiagID::ATTR002, header, kindNoun(spec->kind),
                   r->name.empty() ? r->path : r->name, as.name);
  }
}

void Sema::setAttr(Resource *r, StringRef name, Value v) {
  const AttrSpec *as = r->spec->findAttr(name);
  assert(as && "derived default for an attribute not in the schema");
  for (const Attr &x : r->attrs)
    if (x.spec == as)
      return;
  Attr a;
  a.spec = as;
  a.value = v;
  a.keyRange = r->nameRange;
  a.isDefault = true;
  // Keep schema order.
  auto pos = r->attrs.begin();
  for (const AttrSpec &s : r->spec->attrs) {
    if (&s == as)
      break;
    if (pos != r->attrs.end() && pos->spec == &s)
      ++pos;
  }
  r->attrs.insert(pos, a);
}

/// Defaults that depend on other values, as AWS documents them. Each case is
/// the `Derived` attribute's doc in the schema tables.
void Sema::applyDerivedDefaults(Resource *r) {
  StringRef kind = r->kind();
  if (kind == "load_balancer") {
    StringRef type = r->getEnum("type");
    setAttr(r, "cross_zone", mkBool(type == "application" || type == "classic"));
  } else if (kind == "target_group") {
    StringRef proto = r->getEnum("protocol");
    StringRef tt = r->getEnum("target_type");
    if (proto == "http" || proto == "https")
      setAttr(r, "protocol_version", mkEnum("http1"));
    if (tt == "instance")
      setAttr(r, "preserve_client_ip", mkBool(true));
    else if (tt == "ip" && (proto == "udp" || proto == "tcp_udp"))
      setAttr(r, "preserve_client_ip", mkBool(true));
    else if (tt == "ip" && !proto.empty() && proto != "http" && proto != "https")
      setAttr(r, "preserve_client_ip", mkBool(false));
  } else if (kind == "health_check" && r->parent &&
             r->parent->kind() == "target_group") {
    const Resource *tg = r->parent;
    StringRef proto = tg->getEnum("protocol");
    bool lambda = tg->getEnum("target_type") == "lambda";
    bool http = proto == "http" || proto == "https";
    bool geneve = proto == "geneve";
    setAttr(r, "enabled", mkBool(!lambda));
    if (!lambda)
      setAttr(r, "protocol", mkEnum(http ? proto : StringRef("tcp")));
    StringRef hcProto = lambda ? StringRef("http") : r->getEnum("protocol");
    bool hcHttp = hcProto == "http" || hcProto == "https";
    if (!lambda)
      setAttr(r, "port", geneve ? mkInt(VK::Int, 80) : mkEnum("traffic_port"));
    if (hcHttp)
      setAttr(r, "path", mkString(tg->getEnum("protocol_version") == "grpc"
                                      ? "/AWS.ALB/healthcheck"
                                      : "/"));
    int64_t interval = lambda ? 35000 : geneve ? 10000 : 30000;
    int64_t timeout = lambda ? 30000 : (http || geneve) ? 5000 : hcHttp ? 6000 : 10000;
    setAttr(r, "interval", mkInt(VK::Duration, interval));
    setAttr(r, "timeout", mkInt(VK::Duration, timeout));
    if (hcHttp)
      setAttr(r, "matcher", mkString(http || lambda ? "200" : "200-399"));
  } else if (kind == "health_check") {
    // A classic load balancer's own health check.
    setAttr(r, "enabled", mkBool(true));
    setAttr(r, "protocol", mkEnum("tcp"));
    setAttr(r, "port", mkEnum("traffic_port"));
    setAttr(r, "interval", mkInt(VK::Duration, 30000));
    setAttr(r, "timeout", mkInt(VK::Duration, 5000));
  } else if (kind == "stickiness" && r->parent) {
    StringRef proto = r->parent->getEnum("protocol");
    if (proto == "http" || proto == "https" || proto.empty())
      setAttr(r, "type", mkEnum("lb_cookie"));
    else if (proto == "geneve")
      setAttr(r, "type", mkEnum("source_ip_dest_ip"));
    else
      setAttr(r, "type", mkEnum("source_ip"));
  } else if (kind == "auto_scaling_group") {
    if (auto min = r->getInt("min"))
      setAttr(r, "desired", mkInt(VK::Int, *min));
  } else if (kind == "coordination") {
    if (auto tick = r->getInt("tick"))
      setAttr(r, "session_timeout", mkInt(VK::Duration, 3 * *tick));
  } else if (kind == "election") {
    setAttr(r, "path", mkString(m.save("/election/" + r->name)));
  } else if (kind == "service") {
    setAttr(r, "path", mkString(m.save("/services/" + r->name)));
  } else if (kind == "session_store") {
    StringRef engine = r->getEnum("engine");
    setAttr(r, "port", mkInt(VK::Int, engine == "memcached"   ? 11211
                                      : engine == "dynamodb" ? 443
                                                             : 6379));
  } else if (kind == "scenario") {
    int64_t end = 0;
    for (const Resource *c : r->children) {
      if (c->kind() == "event" && c->label.kind == VK::Duration)
        end = std::max(end, c->label.i);
      if (c->kind() == "load") {
        int64_t start = c->getInt("start").value_or(0);
        end = std::max(end, start + c->getInt("duration").value_or(0));
      }
    }
    for (const Expectation &x : r->expectations)
      end = std::max(end, (x.after.isSet() ? x.after.i : 0) +
                              (x.within.isSet() ? x.within.i : 0));
    setAttr(r, "duration", mkInt(VK::Duration, end + 60000));
  }
}

/// Follows a bare name to the value of a let or param; null if it is not one.
const ast::Expr *Sema::expandSymbol(const ast::Expr *e, Symbol **symOut) {
  auto *ref = llvm::dyn_cast<ast::RefExpr>(e);
  if (!ref || !ref->isSimple())
    return nullptr;
  auto it = symbols.find(ref->getHead().name);
  if (it == symbols.end() || it->second.kind == Symbol::Resource)
    return nullptr;
  *symOut = &it->second;
  return it->second.expr;
}

const Type *Sema::pickUnionMember(const ast::Expr *e, const Type *t) {
  using EK = ast::Expr::Kind;
  auto first = [&](std::initializer_list<TK> kinds) -> const Type * {
    for (const Type *m : t->elems)
      for (TK k : kinds)
        if (m->kind == k)
          return m;
    return nullptr;
  };
  switch (e->getKind()) {
  case EK::String:
    return first({TK::Cidr, TK::String});
  case EK::Number:
  case EK::Neg:
    return first({TK::Int, TK::Number});
  case EK::Quantity:
    switch (llvm::cast<ast::QuantityLit>(e)->getDimension()) {
    case Dimension::Duration:
      return first({TK::Duration});
    case Dimension::Size:
      return first({TK::Size});
    case Dimension::Percent:
      return first({TK::Percent});
    case Dimension::Rate:
      return first({TK::Rate});
    }
    return nullptr;
  case EK::Bool:
    return first({TK::Bool});
  case EK::Ref: {
    auto *r = llvm::cast<ast::RefExpr>(e);
    if (r->isSimple())
      for (const Type *m : t->elems)
        if (m->kind == TK::Enum && m->allowsEnumSymbol(r->getHead().name))
          return m;
    return first({TK::Ref, TK::Enum, TK::Object});
  }
  case EK::Call:
    return first({TK::Action, TK::Condition, TK::Metric});
  case EK::Object:
    return first({TK::Object});
  case EK::List:
    return first({TK::List, TK::Many});
  case EK::Map:
    return first({TK::Map});
  default:
    return nullptr;
  }
}

void Sema::typeMismatch(const ast::Expr *e, const Type *t, const Site &site) {
  auto d = diags.report(DiagID::TYP001, e->getRange(), site.what, t->describe(),
                        describeExpr(e));
  // A bare value where a list is wanted: the fix is certain.
  if (t->kind == TK::List && e->getKind() != ast::Expr::Kind::List) {
    SMRange r = e->getRange();
    d.fixit({r.Start, r.Start}, "[");
    d.fixit({r.End, r.End}, "]");
  }
  // A quoted symbol where an enum is wanted.
  if (auto *s = llvm::dyn_cast<ast::StringLit>(e))
    if (const Type *en = t->findKind(TK::Enum))
      if (en->allowsEnumSymbol(s->getValue()))
        d.fixit(e->getRange(), s->getValue().str());
}

Value Sema::convert(const ast::Expr *e, const Type *t, const Site &site) {
  if (!e || diags.shouldStop())
    return {};
  using EK = ast::Expr::Kind;

  // A bare name that is an allowed enum symbol is that symbol, even if a let
  // or resource has the same name; otherwise lets and params stand for their value.
  auto *ref = llvm::dyn_cast<ast::RefExpr>(e);
  bool enumSymbol = false;
  if (ref && ref->isSimple()) {
    const Type *en = t->findKind(TK::Enum);
    enumSymbol = en && en->allowsEnumSymbol(ref->getHead().name);
  }
  Symbol *sym = nullptr;
  if (!enumSymbol)
    if (const ast::Expr *value = expandSymbol(e, &sym); sym) {
      if (!value)
        return {}; // The let's value was already diagnosed.
      if (sym->expanding) {
        diags.report(DiagID::CYC001, e->getRange(), ref->getHead().name)
            .note(sym->declRange, "'{}' is defined here", ref->getHead().name);
        return {};
      }
      if (expansionDepth >= MaxExpansionDepth) {
        diags.report(DiagID::CYC003, e->getRange(), ref->getHead().name, MaxExpansionDepth)
            .note(sym->declRange, "'{}' is defined here", ref->getHead().name);
        return {};
      }
      sym->expanding = true;
      ++expansionDepth;
      Value v = convert(value, t, site);
      --expansionDepth;
      sym->expanding = false;
      if (v.isSet())
        v.range = e->getRange();
      return v;
    }

  if (e->getKind() == EK::Compare || e->getKind() == EK::And) {
    if (t->kind != TK::Condition && t->kind != TK::Metric) {
      diags.report(DiagID::TYP007, e->getRange());
      return {};
    }
  }

  Value v;
  v.range = e->getRange();
  switch (t->kind) {
  case TK::Any:
    // Only for values nobody reads (unused lets); accept anything.
    return {};
  case TK::Union: {
    const Type *member = pickUnionMember(e, t);
    if (!member) {
      typeMismatch(e, t, site);
      return {};
    }
    return convert(e, member, site);
  }
  case TK::Many:
    if (e->getKind() != EK::List) {
      Value one = convert(e, t->elems[0], site);
      if (!one.isSet())
        return {};
      v.kind = VK::List;
      v.items = m.copy<Value>(one);
      return v;
    }
    [[fallthrough]];
  case TK::List: {
    auto *l = llvm::dyn_cast<ast::ListExpr>(e);
    if (!l) {
      typeMismatch(e, t, site);
      return {};
    }
    llvm::SmallVector<Value, 8> items;
    for (const ast::Expr *x : l->getItems()) {
      Value iv = convert(x, t->elems[0], site);
      if (iv.isSet())
        items.push_back(iv);
    }
    v.kind = VK::List;
    v.items = m.copy<Value>(items);
    return v;
  }
  case TK::Map: {
    auto *mp = llvm::dyn_cast<ast::MapExpr>(e);
    if (!mp) {
      typeMismatch(e, t, site);
      return {};
    }
    llvm::SmallVector<NamedValue, 8> fields;
    llvm::StringMap<SMRange> seen;
    for (const ast::MapEntry &me : mp->getEntries()) {
      auto [it, inserted] = seen.try_emplace(me.key.name, me.key.range);
      if (!inserted) {
        diags.report(DiagID::DUP004, me.key.range, me.key.name)
            .note(it->second, "first used here");
        continue;
      }
      Value fv = convert(me.value, t->elems[0], Site{me.key.name, site.owner});
      if (fv.isSet())
        fields.push_back({m.save(me.key.name), me.key.range, fv});
    }
    v.kind = VK::Map;
    v.fields = m.copy<NamedValue>(fields);
    return v;
  }
  case TK::Bool:
    if (auto *b = llvm::dyn_cast<ast::BoolLit>(e)) {
      v.kind = VK::Bool;
      v.b = b->getValue();
      return v;
    }
    typeMismatch(e, t, site);
    return {};
  case TK::Int:
  case TK::Number: {
    bool neg = false;
    const ast::Expr *x = e;
    if (auto *n = llvm::dyn_cast<ast::NegExpr>(e)) {
      neg = true;
      x = n->getOperand();
    }
    auto *num = llvm::dyn_cast<ast::NumberLit>(x);
    if (!num || (t->kind == TK::Int && !num->isInteger())) {
      typeMismatch(e, t, site);
      return {};
    }
    if (t->kind == TK::Int) {
      v.kind = VK::Int;
      v.i = neg ? -num->getInt() : num->getInt();
      if (v.i < t->intMin || v.i > t->intMax) {
        diags.report(DiagID::TYP009, e->getRange(), site.what, v.i, t->intMin, t->intMax);
        return {};
      }
    } else {
      v.kind = VK::Number;
      v.d = neg ? -num->getValue() : num->getValue();
    }
    return v;
  }
  case TK::String:
  case TK::Cidr: {
    auto *s = llvm::dyn_cast<ast::StringLit>(e);
    if (!s) {
      typeMismatch(e, t, site);
      return {};
    }
    if (t->kind == TK::Cidr) {
      std::string why;
      if (!validCidr(s->getValue(), why)) {
        StringRef shown = s->getValue();
        diags.report(DiagID::TYP005, e->getRange(),
                     shown.size() > 40 ? (shown.take_front(37) + "...").str() : shown.str(),
                     why);
        return {};
      }
    }
    v.kind = VK::String;
    v.str = s->getValue();
    return v;
  }
  case TK::Duration:
    return convertQuantity(e, t, Dimension::Duration, site);
  case TK::Size:
    return convertQuantity(e, t, Dimension::Size, site);
  case TK::Percent:
    return convertQuantity(e, t, Dimension::Percent, site);
  case TK::Rate:
    return convertQuantity(e, t, Dimension::Rate, site);
  case TK::Enum: {
    if (!ref || !ref->isSimple()) {
      typeMismatch(e, t, site);
      return {};
    }
    StringRef sym = ref->getHead().name;
    if (!t->allowsEnumSymbol(sym)) {
      std::vector<StringRef> names(t->names.begin(), t->names.end());
      std::string expected = t->describe();
      auto d = diags.report(DiagID::TYP002, e->getRange(), sym, site.what, expected,
                            didYouMean(sym, names));
      StringRef fix = closestMatch(sym, names);
      if (!fix.empty())
        d.fixit(e->getRange(), fix.str());
      return {};
    }
    v.kind = VK::Enum;
    v.str = sym;
    return v;
  }
  case TK::Ref:
    if (!ref) {
      typeMismatch(e, t, site);
      return {};
    }
    return convertRef(ref, t, site);
  case TK::Object:
    return convertObject(e, t, site);
  case TK::Action:
  case TK::Condition:
  case TK::Metric:
    return convertCall(e, t, site);
  }
  return {};
}

Value Sema::convertQuantity(const ast::Expr *e, const Type *t, Dimension dim,
                            const Site &site) {
  Value v;
  v.range = e->getRange();
  if (auto *n = llvm::dyn_cast<ast::NumberLit>(e)) {
    diags.report(DiagID::UNIT001, e->getRange(), site.what,
                 dimensionNoun(dim).drop_front(dim == Dimension::Duration ? 2 : 2),
                 fmt::format("{}{}", n->getText(),
                             dim == Dimension::Duration ? "s"
                             : dim == Dimension::Size   ? "GiB"
                             : dim == Dimension::Percent ? "%"
                                                         : "/s"));
    return {};
  }
  auto *q = llvm::dyn_cast<ast::QuantityLit>(e);
  if (!q) {
    typeMismatch(e, t, site);
    return {};
  }
  if (q->getDimension() != dim) {
    diags.report(DiagID::UNIT003, e->getRange(), site.what, dimensionNoun(dim),
                 q->getText(), dimensionNoun(q->getDimension()));
    return {};
  }
  double c = q->getCanonical();
  switch (dim) {
  case Dimension::Duration:
  case Dimension::Size:
    if (c != std::floor(c)) {
      diags.report(DiagID::UNIT004, e->getRange(),
                   dim == Dimension::Duration ? "duration" : "size", q->getText(),
                   dim == Dimension::Duration ? "milliseconds" : "bytes");
      return {};
    }
    // Held as 64-bit integers; up to 2^53 every value is exact and sums of a
    // few of them cannot overflow (99999999TiB, 1000000000000d are beyond).
    if (!(std::fabs(c) <= MaxQuantity)) {
      diags.report(DiagID::UNIT005, e->getRange(),
                   dim == Dimension::Duration ? "duration" : "size", q->getText(),
                   dim == Dimension::Duration ? formatDuration(MaxQuantity)
                                              : formatSize(MaxQuantity));
      return {};
    }
    v.kind = dim == Dimension::Duration ? VK::Duration : VK::Size;
    v.i = static_cast<int64_t>(c);
    if (t->awsUnit && v.i % t->awsUnit != 0) {
      notWholeAwsUnit(e, q, t, site, static_cast<double>(v.i));
      return {};
    }
    return v;
  case Dimension::Percent:
  case Dimension::Rate:
    if (!(std::fabs(c) <= MaxQuantity)) {
      diags.report(DiagID::UNIT005, e->getRange(),
                   dim == Dimension::Percent ? "percentage" : "rate", q->getText(),
                   dim == Dimension::Percent ? "100%" : "1000000/s");
      return {};
    }
    if (t->awsUnit && c != std::floor(c)) {
      notWholeAwsUnit(e, q, t, site, c);
      return {};
    }
    v.kind = dim == Dimension::Percent ? VK::Percent : VK::Rate;
    v.d = c;
    return v;
  }
  return {};
}

void Sema::notWholeAwsUnit(const ast::Expr *e, const ast::QuantityLit *q, const Type *t,
                           const Site &site, double canonical) {
  // The nearest whole number of the unit, away from zero at a half, and not
  // zero for a value that is not (200ms is 1s, not 0s).
  double units = std::round(canonical / static_cast<double>(t->awsUnit));
  if (units == 0)
    units = canonical < 0 ? -1 : 1;
  double nearest = units * static_cast<double>(t->awsUnit);
  std::string fix;
  switch (q->getDimension()) {
  case Dimension::Duration:
    fix = formatDuration(static_cast<int64_t>(nearest));
    break;
  case Dimension::Size:
    fix = formatSize(static_cast<int64_t>(nearest));
    break;
  default:
    fix = formatNumber(nearest) + "%";
    break;
  }
  diags.report(DiagID::UNIT006, e->getRange(), q->getText(), t->awsUnitName, site.what, fix)
      .fixit(e->getRange(), fix);
}

std::vector<StringRef> Sema::namesOfKinds(const std::vector<std::string> &kinds) {
  std::vector<StringRef> out;
  for (const auto &entry : symbols) {
    const Symbol &sym = entry.second;
    if (sym.kind != Symbol::Resource)
      continue;
    StringRef k = sym.resource->kind();
    for (const std::string &want : kinds)
      if (k == want) {
        out.push_back(sym.resource->name);
        break;
      }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Whether `kind` (a block kind or member pseudo-kind) is one of `allowed`, where
/// an allowed block kind also admits its members' results only if listed.
static bool kindAllowed(StringRef kind, const std::vector<std::string> &allowed) {
  for (const std::string &a : allowed)
    if (kind == a)
      return true;
  return false;
}

Value Sema::convertRef(const ast::RefExpr *e, const Type *t, const Site &site) {
  llvm::ArrayRef<ast::RefSegment> segs = e->getSegments();
  const ast::Identifier &head = e->getHead();
  auto it = symbols.find(head.name);
  if (it == symbols.end() || it->second.kind != Symbol::Resource) {
    // Resources of any allowed kind, or every resource for members' pseudo-kinds.
    // Suggest only names that would be accepted here: resources of the wanted
    // kinds, or owners of the wanted members (instances of an ASG, ...).
    std::vector<std::string> kinds = t->names;
    for (const BlockSpec *b : schema.blocks())
      for (StringRef member : schema.memberNames(b->kind))
        if (const MemberSpec *ms = schema.findMember(b->kind, member))
          if (kindAllowed(ms->resultKind, t->names))
            kinds.push_back(b->kind);
    std::vector<StringRef> cands = namesOfKinds(kinds);
    std::string noun = t->names.size() == 1 && schema.findBlock(t->names[0])
                           ? kindNoun(t->names[0])
                           : "name";
    auto d = diags.report(DiagID::REF001, head.range, noun, head.name,
                          didYouMean(head.name, cands));
    StringRef fix = closestMatch(head.name, cands);
    if (!fix.empty())
      d.fixit(head.range, fix.str());
    return {};
  }
  Resource *cur = it->second.resource;
  StringRef member;
  int64_t index = -1;
  for (size_t i = 1; i < segs.size(); ++i) {
    const ast::RefSegment &s = segs[i];
    if (s.isIndex()) {
      const MemberSpec *ms = member.empty() ? nullptr : schema.findMember(cur->kind(), member);
      auto *num = llvm::dyn_cast<ast::NumberLit>(s.index);
      if (!ms || !ms->indexed || index >= 0) {
        diags.report(DiagID::REF003, s.range, kindNoun(cur->kind()), cur->path, "[...]",
                     "; only members such as 'instances' take an index");
        return {};
      }
      if (!num || !num->isInteger()) {
        diags.report(DiagID::TYP001, s.index->getRange(), "index", "an integer",
                     describeExpr(s.index));
        return {};
      }
      index = num->getInt();
      continue;
    }
    if (!member.empty()) {
      diags.report(DiagID::REF003, s.range, kindNoun(cur->kind()), cur->path,
                   s.name.name, "");
      return {};
    }
    Resource *next = nullptr;
    for (Resource *c : cur->children)
      if ((!c->name.empty() && c->name == s.name.name) ||
          (c->name.empty() && c->keyword == s.name.name))
        next = c;
    if (next) {
      cur = next;
      continue;
    }
    if (schema.findMember(cur->kind(), s.name.name)) {
      member = s.name.name;
      continue;
    }
    std::vector<StringRef> cands = schema.memberNames(cur->kind());
    for (const Resource *c : cur->children)
      cands.push_back(c->name.empty() ? c->keyword : StringRef(c->name));
    auto d = diags.report(DiagID::REF003, s.name.range, kindNoun(cur->kind()), cur->path,
                          s.name.name, didYouMean(s.name.name, cands));
    StringRef fix = closestMatch(s.name.name, cands);
    if (!fix.empty())
      d.fixit(s.name.range, fix.str());
    return {};
  }
  Value v;
  v.kind = VK::Ref;
  v.range = e->getRange();
  v.ref = cur;
  v.str = member;
  v.i = index;
  if (index >= 0)
    indexChecks.push_back({e->getRange(), cur, member, index});
  StringRef kind = v.refKind();
  if (!kindAllowed(kind, t->names)) {
    std::string wanted;
    for (size_t i = 0; i < t->names.size(); ++i)
      wanted += (i ? (i + 1 == t->names.size() ? " or " : ", ") : "") + kindNoun(t->names[i]);
    std::string path;
    llvm::raw_string_ostream os(path);
    ast::printExpr(e, os);
    diags.report(DiagID::REF002, e->getRange(), os.str(), withArticle(kindNoun(kind)),
                 fmt::format("'{}'", site.what), withArticle(wanted))
        .note(cur->nameRange, "'{}' is declared here", cur->path);
    return {};
  }
  return v;
}

Value Sema::convertObject(const ast::Expr *e, const Type *t, const Site &site) {
  const ast::Identifier *kind = nullptr;
  llvm::ArrayRef<ast::Item *> body;
  ast::Identifier bare;
  if (auto *o = llvm::dyn_cast<ast::ObjectExpr>(e)) {
    kind = &o->getKindName();
    body = o->getBody();
  } else if (auto *r = llvm::dyn_cast<ast::RefExpr>(e); r && r->isSimple()) {
    // `app = echo` is `app = echo {}`.
    bare = r->getHead();
    kind = &bare;
  } else {
    typeMismatch(e, t, site);
    return {};
  }
  if (!t->allowsEnumSymbol(kind->name)) {
    std::vector<StringRef> names(t->names.begin(), t->names.end());
    auto d = diags.report(DiagID::TYP002, kind->range, kind->name, site.what,
                          t->describe(), didYouMean(kind->name, names));
    StringRef fix = closestMatch(kind->name, names);
    if (!fix.empty())
      d.fixit(kind->range, fix.str());
    return {};
  }
  Resource *r = m.newResource();
  r->spec = schema.findBlock(kind->name);
  r->keyword = r->spec->kind;
  r->parent = site.owner;
  r->range = e->getRange();
  r->nameRange = kind->range;
  r->path = m.save(site.owner ? (site.owner->path + "." + site.what).str()
                             : site.what.str());
  for (const ast::Item *item : body)
    if (auto *b = llvm::dyn_cast<ast::Block>(item))
      diags.report(DiagID::KIND002, b->getKindName().range, b->getKindName().name,
                   kindNoun(r->spec->kind), site.what, "");
  resolveBody(r, body, kind->range);
  finishAttrs(r, kind->range);
  applyDerivedDefaults(r);
  Value v;
  v.kind = VK::Object;
  v.range = e->getRange();
  v.ref = r;
  v.str = r->spec->kind;
  return v;
}

Value Sema::convertCall(const ast::Expr *e, const Type *t, const Site &site) {
  FunctionCategory cat = t->kind == TK::Action      ? FunctionCategory::Action
                         : t->kind == TK::Condition ? FunctionCategory::Condition
                                                    : FunctionCategory::Metric;
  Value v;
  v.range = e->getRange();
  if (auto *a = llvm::dyn_cast<ast::AndExpr>(e)) {
    if (cat == FunctionCategory::Action) {
      typeMismatch(e, t, site);
      return {};
    }
    llvm::SmallVector<Value, 4> ops;
    for (const ast::Expr *x : a->getOperands()) {
      Value o = convert(x, t, site);
      if (!o.isSet())
        return {};
      ops.push_back(o);
    }
    v.kind = VK::And;
    v.items = m.copy<Value>(ops);
    return v;
  }
  if (auto *c = llvm::dyn_cast<ast::CompareExpr>(e)) {
    if (cat != FunctionCategory::Metric) {
      diags.report(DiagID::TYP007, e->getRange());
      return {};
    }
    Value lhs = convert(c->getLHS(), t, site);
    if (!lhs.isSet())
      return {};
    const FunctionSpec *fn = schema.findFunction(lhs.str);
    Value rhs = convert(c->getRHS(), parseType(fn && fn->result ? fn->result : "number"),
                        Site{fn ? StringRef(fn->name) : site.what, site.owner});
    if (!rhs.isSet())
      return {};
    Value pair[2] = {lhs, rhs};
    v.kind = VK::Compare;
    v.op = c->getOp();
    v.items = m.copy<Value>(pair);
    return v;
  }
  auto *call = llvm::dyn_cast<ast::CallExpr>(e);
  if (!call) {
    typeMismatch(e, t, site);
    return {};
  }
  const ast::Identifier &callee = call->getCallee();
  const FunctionSpec *fn = schema.findFunction(callee.name);
  if (!fn || fn->category != cat) {
    std::vector<StringRef> names = schema.functionNames(cat);
    std::string hint = didYouMean(callee.name, names);
    if (fn && hint.empty())
      hint = fmt::format("; '{}' is not {} here", callee.name,
                         t->describe().substr(0, t->describe().find(" such")));
    auto d = diags.report(DiagID::TYP003, callee.range, callee.name, hint);
    StringRef fix = closestMatch(callee.name, names);
    if (!fix.empty())
      d.fixit(callee.range, fix.str());
    return {};
  }
  llvm::SmallVector<Value, 4> positional;
  llvm::SmallVector<NamedValue, 4> named;
  bool ok = true;
  for (const ast::Argument &a : call->getArgs()) {
    if (!a.name.empty()) {
      const ParamSpec *ps = nullptr;
      for (const ParamSpec &p : fn->named)
        if (a.name.name == p.name)
          ps = &p;
      if (!ps) {
        std::vector<StringRef> names;
        for (const ParamSpec &p : fn->named)
          names.push_back(p.name);
        diags.report(DiagID::TYP006, a.name.range, fn->name, a.name.name,
                     didYouMean(a.name.name, names));
        ok = false;
        continue;
      }
      Value nv = convert(a.value, parseType(ps->type), Site{a.name.name, site.owner});
      ok &= nv.isSet();
      named.push_back({ps->name, a.name.range, nv});
      continue;
    }
    size_t idx = positional.size();
    if (fn->positional.empty() || idx >= fn->maxPositional) {
      positional.push_back({});
      continue; // Counted below.
    }
    const char *ty = fn->positional[std::min(idx, fn->positional.size() - 1)];
    Value pv = convert(a.value, parseType(ty), Site{fn->name, site.owner});
    ok &= pv.isSet();
    Value w;
    if (a.weight) {
      if (!fn->weighted) {
        diags.report(DiagID::TYP004, a.weight->getRange(), fn->name, "no weights",
                     "a weight");
        ok = false;
      } else {
        w = convert(a.weight, parseType("int"), Site{"weight", site.owner});
        ok &= w.isSet();
      }
    }
    if (w.isSet()) {
      Value pair[2] = {pv, w};
      Value weighted;
      weighted.kind = VK::Weighted;
      weighted.range = a.range;
      weighted.items = m.copy<Value>(pair);
      positional.push_back(weighted);
    } else {
      positional.push_back(pv);
    }
  }
  size_t n = positional.size();
  if (n < fn->minPositional || n > fn->maxPositional) {
    std::string want =
        fn->minPositional == fn->maxPositional
            ? fmt::format("{} argument{}", fn->minPositional, fn->minPositional == 1 ? "" : "s")
        : fn->maxPositional == ~0u
            ? fmt::format("at least {} argument{}", fn->minPositional,
                          fn->minPositional == 1 ? "" : "s")
            : fmt::format("{} to {} arguments", fn->minPositional, fn->maxPositional);
    if (fn->maxPositional == 0)
      want = "only named arguments";
    diags.report(DiagID::TYP004, e->getRange(), fn->name, want,
                 fmt::format("{} positional", n));
    return {};
  }
  for (const ParamSpec &p : fn->named)
    if (p.flags & Required) {
      bool given = false;
      for (const NamedValue &nv : named)
        given |= nv.name == p.name;
      if (!given) {
        diags.report(DiagID::TYP004, e->getRange(), fn->name,
                     fmt::format("a '{}' argument", p.name), "none");
        ok = false;
      }
    }
  if (!ok)
    return {};
  v.kind = VK::Call;
  v.str = fn->name;
  v.items = m.copy<Value>(positional);
  v.fields = m.copy<NamedValue>(named);
  return v;
}

//===----------------------------------------------------------------------===//
// Pass 3: dependency cycles
//===----------------------------------------------------------------------===//

/// Collects the top-level resources a value depends on for deployment.
static void collectDeps(const Value &v, std::vector<std::pair<const Resource *, SMRange>> &out) {
  if (v.kind == VK::Ref && v.ref)
    out.emplace_back(v.ref->topLevel(), v.range);
  for (const Value &x : v.items)
    collectDeps(x, out);
  for (const NamedValue &f : v.fields)
    collectDeps(f.value, out);
}

void Sema::checkCycles() {
  // Edges: resource -> resources it references, through attributes that
  // deployment follows. Security groups may reference each other (separate
  // ingress resources break the loop), and local-only settings and scenarios
  // are never deployed.
  llvm::DenseMap<const Resource *, unsigned> index;
  for (unsigned i = 0; i < m.resources.size(); ++i)
    index[m.resources[i]] = i;
  std::vector<std::vector<std::pair<unsigned, SMRange>>> edges(m.resources.size());
  for (unsigned i = 0; i < m.resources.size(); ++i) {
    const Resource *top = m.resources[i];
    if (top->kind() == "scenario")
      continue;
    std::vector<std::pair<const Resource *, SMRange>> deps;
    std::vector<const Resource *> stack{top};
    while (!stack.empty()) {
      const Resource *r = stack.back();
      stack.pop_back();
      for (const Attr &a : r->attrs)
        if (!(a.spec->flags & LocalOnly) && !a.isDefault)
          collectDeps(a.value, deps);
      for (const Resource *c : r->children)
        stack.push_back(c);
    }
    for (auto [d, range] : deps) {
      if (d == top)
        continue;
      if (top->kind() == "security_group" && d->kind() == "security_group")
        continue;
      auto it = index.find(d);
      if (it != index.end())
        edges[i].emplace_back(it->second, range);
    }
  }
  // Iterative DFS; report each cycle once, at the edge that closes it.
  enum : unsigned char { White, Grey, Black };
  std::vector<unsigned char> color(m.resources.size(), White);
  std::vector<unsigned> parentEdge(m.resources.size(), ~0u);
  for (unsigned root = 0; root < m.resources.size(); ++root) {
    if (color[root] != White)
      continue;
    std::vector<std::pair<unsigned, size_t>> stack{{root, 0}};
    color[root] = Grey;
    while (!stack.empty()) {
      auto &[node, next] = stack.back();
      if (next == edges[node].size()) {
        color[node] = Black;
        stack.pop_back();
        continue;
      }
      auto [to, range] = edges[node][next++];
      if (color[to] == White) {
        color[to] = Grey;
        stack.emplace_back(to, 0);
      } else if (color[to] == Grey) {
        // The cycle is the stack from `to` up to `node`.
        std::string chain;
        size_t from = 0;
        while (stack[from].first != to)
          ++from;
        for (size_t k = from; k < stack.size(); ++k)
          chain += ("'" + m.resources[stack[k].first]->name + "' -> ").str();
        chain += ("'" + m.resources[to]->name + "'").str();
        auto d = diags.report(DiagID::CYC002, range, chain);
        for (size_t k = from; k + 1 < stack.size(); ++k) {
          unsigned a = stack[k].first;
          const auto &e = edges[a][stack[k].second - 1];
          d.note(e.second, "'{}' depends on '{}' here", m.resources[a]->name,
                 m.resources[e.first]->name);
        }
      }
    }
  }
  (void)parentEdge;
}

void Sema::run(const ast::Program &program) {
  for (const ast::File *f : program.files)
    for (const ast::Item *item : f->items) {
      if (diags.shouldStop())
        return;
      declareTop(item);
    }
  for (const ParamOverride &o : opts.paramOverrides) {
    if (!opts.reportUnknownParams)
      break;
    bool known = false;
    std::vector<StringRef> names;
    for (const ParamValue &p : m.params) {
      known |= p.name == o.name;
      names.push_back(p.name);
    }
    if (!known)
      diags.report(DiagID::REF004, o.range, o.name, didYouMean(o.name, names));
  }
  // Resolve in declaration order; derived defaults after a resource's
  // children are resolved (they may read the children and the parent).
  for (size_t i = 0; i < blocks.size() && !diags.shouldStop(); ++i)
    resolve(blocks[i].first, blocks[i].second);
  // Parents come before their children in `blocks`, so a child's derived
  // defaults can read its parent's.
  for (auto &[r, b] : blocks)
    applyDerivedDefaults(r);
  if (!diags.shouldStop()) {
    checkIndexes();
    checkCycles();
  }
}

/// An index into a member must be below the most the owner can have: the
/// ASG's max, the node group's count, the ensemble's size.
void Sema::checkIndexes() {
  for (const IndexCheck &c : indexChecks) {
    StringRef sizeAttr = c.owner->kind() == "auto_scaling_group" ? "max"
                         : c.owner->kind() == "instance_group"   ? "count"
                         : c.owner->kind() == "coordination"     ? "ensemble"
                                                                 : "";
    if (sizeAttr.empty())
      continue;
    std::optional<int64_t> size = c.owner->getInt(sizeAttr);
    if (size && c.index >= *size)
      diags.report(DiagID::REF005, c.range, c.index, c.owner->path, sizeAttr, *size);
  }
}

} // namespace

std::unique_ptr<Model> infrac::sema::buildModel(const ast::Program &program,
                                                DiagnosticEngine &diags,
                                                const SemaOptions &opts) {
  auto model = std::make_unique<Model>();
  Sema(*model, diags, opts).run(program);
  return model;
}

//===- Workspace.cpp - What the language server knows of each document ----===//
//
// An Analysis is one `infrac check` of an open document: its SourceMgr, AST,
// model and diagnostics, plus an index of names (declarations and the
// references to them, across imports) for definition, references, rename and
// the semantic tokens. Each change builds a new analysis; its parse copies the
// top-level chunks whose text did not change from the previous analysis
// (ParseCache) instead of parsing them again, and the model, rules and index
// are rebuilt. bench/LspBench.cpp measures it on the 10,000-resource file.
//
//===----------------------------------------------------------------------===//

#include "Lsp/Lsp.h"

#include "Format/Format.h"
#include "Parse/Lexer.h"
#include "Parse/Parser.h"
#include "Rules/Config.h"
#include "Rules/Rule.h"
#include "Sema/Model.h"
#include "Sema/Schema.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <chrono>
#include <optional>

using namespace infrac;
using namespace infrac::lsp;
namespace json = llvm::json;
using llvm::SMLoc;
using llvm::SMRange;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// URIs
//===----------------------------------------------------------------------===//

std::string lsp::uriToPath(StringRef uri) {
  if (!uri.consume_front("file://"))
    return uri.str();
  std::string out;
  for (size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size()) {
      unsigned v;
      if (!uri.substr(i + 1, 2).getAsInteger(16, v)) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += uri[i];
  }
  return out;
}

std::string lsp::pathToUri(StringRef path) {
  llvm::SmallString<256> abs(path);
  llvm::sys::fs::make_absolute(abs);
  std::string out = "file://";
  for (char c : abs) {
    if (llvm::isAlnum(c) || StringRef("/-._~").contains(c)) {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// The analysis of one document
//===----------------------------------------------------------------------===//

namespace infrac::lsp {

struct Symbol {
  std::string name; ///< The qualified path ("shop_alb.http") or the param's name.
  SMRange decl;     ///< The declaring name.
  const sema::Resource *resource = nullptr;
  const ast::Item *binding = nullptr; ///< A param or a let.
};

struct Occurrence {
  SMRange range;
  unsigned symbol;
  bool isDecl;
};

class Analysis {
public:
  std::string uri, path;
  llvm::SourceMgr sm;
  DiagnosticEngine diags{sm};
  ast::ASTContext ctx;
  ast::Program program;
  std::unique_ptr<sema::Model> model;
  const ast::File *main = nullptr;
  unsigned mainBuffer = 0;
  StringRef text;
  std::vector<uint32_t> lineStarts;
  std::vector<Symbol> symbols;
  std::vector<Occurrence> occurrences; ///< Sorted by position within a buffer.
  llvm::DenseMap<const void *, const sema::Resource *> resourceAt; ///< Block range start.

  /// The clean top-level chunks of this analysis's files (in `sm`, `ctx`),
  /// which the next analysis of the document copies instead of parsing.
  ParseCache chunks;

  /// Checks `docText` (with `overlays` for the other open documents),
  /// reusing the unchanged top-level chunks of `previous` when given.
  void run(const std::map<std::string, std::string> &overlays, StringRef docText,
           const Analysis *previous);
  CheckTiming timing;

  // Positions.
  json::Value position(SMLoc loc) const;
  json::Value range(SMRange r) const;
  std::optional<const char *> pointerAt(const json::Value &pos) const;
  bool inMain(SMLoc loc) const {
    return loc.isValid() && loc.getPointer() >= text.begin() && loc.getPointer() <= text.end();
  }
  std::string uriOf(SMLoc loc) const;

  const Occurrence *occurrenceAt(const char *p) const;
  const sema::Resource *enclosingResource(const char *p) const;

private:
  void index();
  void indexExpr(const ast::Expr *e);
  void addRef(const ast::RefExpr *ref);
  llvm::StringMap<unsigned> byPath;
  llvm::StringMap<unsigned> bindings;
  llvm::DenseMap<const void *, unsigned> declAt;
};

} // namespace infrac::lsp

void Analysis::run(const std::map<std::string, std::string> &overlays, StringRef docText,
                   const Analysis *previous) {
  ParseOptions opts; // threads: one per core, as `infrac check`
  opts.reuse = previous ? &previous->chunks : nullptr;
  opts.record = &chunks;
  std::string mainPath = path;
  opts.readFile = [&overlays, mainPath, docText](StringRef p)
      -> llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> {
    if (p == mainPath)
      return llvm::MemoryBuffer::getMemBufferCopy(docText, p);
    llvm::SmallString<256> real;
    std::string key = p.str();
    if (!llvm::sys::fs::real_path(p, real))
      key = std::string(real);
    auto it = overlays.find(key);
    if (it == overlays.end())
      it = overlays.find(p.str());
    if (it != overlays.end())
      return llvm::MemoryBuffer::getMemBufferCopy(it->second, p);
    return llvm::MemoryBuffer::getFile(p, /*IsText=*/true);
  };
  using clock = std::chrono::steady_clock;
  auto ms = [](clock::time_point a, clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  auto t0 = clock::now();
  auto prog = loadProgram({path}, sm, ctx, diags, opts);
  auto t1 = clock::now();
  timing.parse = ms(t0, t1);
  if (!prog) {
    llvm::consumeError(prog.takeError());
    return;
  }
  program = std::move(*prog);
  for (const ast::File *f : program.files)
    if (f->path == path)
      main = f;
  if (!main && !program.files.empty())
    main = program.files.back();
  if (!main)
    return;
  mainBuffer = main->bufferId;
  text = sm.getMemoryBuffer(mainBuffer)->getBuffer();
  lineStarts.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n')
      lineStarts.push_back(static_cast<uint32_t>(i + 1));

  if (!program.hasSyntaxErrors()) {
    unsigned before = diags.getNumErrors();
    model = sema::buildModel(program, diags, {});
    auto t2 = clock::now();
    timing.model = ms(t1, t2);
    if (diags.getNumErrors() == before) {
      rules::RuleOptions ruleOpts;
      std::string config = rules::findConfigFor(path);
      rules::ProjectConfig cfg;
      if (!config.empty() && rules::loadConfig(config, diags, cfg)) {
        ruleOpts = cfg.rules;
        diags.setWarningsAsErrors(cfg.warningsAsErrors);
      }
      rules::runRules(*model, program, diags, ruleOpts);
    }
    auto t3 = clock::now();
    timing.rules = ms(t2, t3);
    index();
    timing.index = ms(t3, clock::now());
  }
}

std::string Analysis::uriOf(SMLoc loc) const {
  if (inMain(loc))
    return uri;
  unsigned id = sm.FindBufferContainingLoc(loc);
  if (!id)
    return uri;
  return pathToUri(sm.getMemoryBuffer(id)->getBufferIdentifier());
}

/// UTF-16 code units of UTF-8 text.
static unsigned utf16Length(StringRef s) {
  unsigned n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) == 0x80)
      continue;
    n += c >= 0xF0 ? 2 : 1;
  }
  return n;
}

json::Value Analysis::position(SMLoc loc) const {
  if (!loc.isValid())
    return json::Object{{"line", 0}, {"character", 0}};
  const char *p = loc.getPointer();
  StringRef buf = text;
  unsigned line;
  const char *lineStart;
  if (inMain(loc)) {
    uint32_t off = static_cast<uint32_t>(p - text.begin());
    auto it = std::upper_bound(lineStarts.begin(), lineStarts.end(), off);
    line = static_cast<unsigned>(it - lineStarts.begin()) - 1;
    lineStart = text.begin() + lineStarts[line];
  } else {
    unsigned id = sm.FindBufferContainingLoc(loc);
    if (!id)
      return json::Object{{"line", 0}, {"character", 0}};
    buf = sm.getMemoryBuffer(id)->getBuffer();
    auto lc = sm.getLineAndColumn(loc, id);
    line = lc.first - 1;
    lineStart = p - (lc.second - 1);
  }
  return json::Object{{"line", line},
                      {"character", utf16Length(StringRef(lineStart, p - lineStart))}};
}

json::Value Analysis::range(SMRange r) const {
  return json::Object{{"start", position(r.Start)},
                      {"end", position(r.End.isValid() ? r.End : r.Start)}};
}

std::optional<const char *> Analysis::pointerAt(const json::Value &pos) const {
  const json::Object *o = pos.getAsObject();
  if (!o || text.data() == nullptr)
    return std::nullopt;
  int64_t line = o->getInteger("line").getValueOr(-1);
  int64_t ch = o->getInteger("character").getValueOr(-1);
  if (line < 0 || ch < 0)
    return std::nullopt;
  if (static_cast<size_t>(line) >= lineStarts.size())
    return text.end();
  const char *p = text.begin() + lineStarts[line];
  int64_t units = 0;
  while (p < text.end() && *p != '\n' && units < ch) {
    unsigned char c = static_cast<unsigned char>(*p);
    unsigned len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    units += c >= 0xF0 ? 2 : 1;
    p += len;
  }
  return std::min(p, text.end());
}

void Analysis::index() {
  if (!model)
    return;
  model->forEach([&](const sema::Resource &r) {
    if (r.name.empty() || r.implicit || !r.nameRange.Start.isValid())
      return;
    unsigned id = static_cast<unsigned>(symbols.size());
    symbols.push_back({r.path.str(), r.nameRange, &r, nullptr});
    byPath[r.path] = id;
    declAt[r.nameRange.Start.getPointer()] = id;
    occurrences.push_back({r.nameRange, id, true});
    resourceAt[r.range.Start.getPointer()] = &r;
  });
  for (const ast::File *f : program.files)
    for (const ast::Item *it : f->items) {
      const ast::Identifier *name = nullptr;
      if (auto *p = llvm::dyn_cast<ast::Param>(it))
        name = &p->getName();
      else if (auto *l = llvm::dyn_cast<ast::Let>(it))
        name = &l->getName();
      if (!name || name->empty())
        continue;
      unsigned id = static_cast<unsigned>(symbols.size());
      symbols.push_back({name->name.str(), name->range, nullptr, it});
      bindings[name->name] = id;
      occurrences.push_back({name->range, id, true});
    }
  // References: every expression of every file, and block labels that are
  // values (`load shop_alb { }`).
  std::function<void(llvm::ArrayRef<ast::Item *>)> walk = [&](llvm::ArrayRef<ast::Item *> items) {
    for (const ast::Item *it : items) {
      switch (it->getKind()) {
      case ast::Item::Kind::Attribute:
        indexExpr(llvm::cast<ast::Attribute>(it)->getValue());
        break;
      case ast::Item::Kind::Block: {
        auto *b = llvm::cast<ast::Block>(it);
        for (const ast::Label &l : b->getLabels())
          if (l.value && !declAt.count(l.range.Start.getPointer()))
            indexExpr(l.value);
        walk(b->getBody());
        break;
      }
      case ast::Item::Kind::Expect: {
        auto *x = llvm::cast<ast::Expect>(it);
        indexExpr(x->getCondition());
        indexExpr(x->getWithin());
        indexExpr(x->getAfter());
        break;
      }
      case ast::Item::Kind::Param:
        indexExpr(llvm::cast<ast::Param>(it)->getValue());
        break;
      case ast::Item::Kind::Let:
        indexExpr(llvm::cast<ast::Let>(it)->getValue());
        break;
      case ast::Item::Kind::Import:
        break;
      }
    }
  };
  for (const ast::File *f : program.files)
    walk(f->items);
  std::sort(occurrences.begin(), occurrences.end(), [](const Occurrence &a, const Occurrence &b) {
    return a.range.Start.getPointer() < b.range.Start.getPointer();
  });
}

void Analysis::indexExpr(const ast::Expr *e) {
  if (!e)
    return;
  switch (e->getKind()) {
  case ast::Expr::Kind::Ref:
    addRef(llvm::cast<ast::RefExpr>(e));
    for (const ast::RefSegment &s : llvm::cast<ast::RefExpr>(e)->getSegments())
      if (s.index)
        indexExpr(s.index);
    return;
  case ast::Expr::Kind::Call:
    for (const ast::Argument &a : llvm::cast<ast::CallExpr>(e)->getArgs()) {
      indexExpr(a.value);
      indexExpr(a.weight);
    }
    return;
  case ast::Expr::Kind::Object:
    for (const ast::Item *it : llvm::cast<ast::ObjectExpr>(e)->getBody())
      if (auto *a = llvm::dyn_cast<ast::Attribute>(it))
        indexExpr(a->getValue());
    return;
  case ast::Expr::Kind::List:
    for (const ast::Expr *x : llvm::cast<ast::ListExpr>(e)->getItems())
      indexExpr(x);
    return;
  case ast::Expr::Kind::Map:
    for (const ast::MapEntry &m : llvm::cast<ast::MapExpr>(e)->getEntries())
      indexExpr(m.value);
    return;
  case ast::Expr::Kind::Compare:
    indexExpr(llvm::cast<ast::CompareExpr>(e)->getLHS());
    indexExpr(llvm::cast<ast::CompareExpr>(e)->getRHS());
    return;
  case ast::Expr::Kind::And:
    for (const ast::Expr *x : llvm::cast<ast::AndExpr>(e)->getOperands())
      indexExpr(x);
    return;
  case ast::Expr::Kind::Neg:
    indexExpr(llvm::cast<ast::NegExpr>(e)->getOperand());
    return;
  default:
    return;
  }
}

void Analysis::addRef(const ast::RefExpr *ref) {
  std::string p;
  bool first = true;
  for (const ast::RefSegment &s : ref->getSegments()) {
    if (s.isIndex() || s.name.empty())
      return;
    if (first) {
      first = false;
      auto b = bindings.find(s.name.name);
      if (b != bindings.end() && !byPath.count(s.name.name)) {
        occurrences.push_back({s.name.range, b->second, false});
        return;
      }
      p = s.name.name.str();
    } else {
      p += ".";
      p += s.name.name.str();
    }
    auto it = byPath.find(p);
    if (it == byPath.end())
      return;
    occurrences.push_back({s.name.range, it->second, false});
  }
}

const Occurrence *Analysis::occurrenceAt(const char *p) const {
  for (const Occurrence &o : occurrences)
    if (o.range.Start.getPointer() <= p && p <= o.range.End.getPointer() &&
        inMain(o.range.Start))
      return &o;
  return nullptr;
}

const sema::Resource *Analysis::enclosingResource(const char *p) const {
  const sema::Resource *best = nullptr;
  if (!model)
    return nullptr;
  model->forEach([&](const sema::Resource &r) {
    if (r.implicit || !inMain(r.range.Start))
      return;
    if (r.range.Start.getPointer() <= p && p < r.range.End.getPointer())
      best = &r; // parents come first: the last match is the innermost
  });
  return best;
}

//===----------------------------------------------------------------------===//
// Workspace
//===----------------------------------------------------------------------===//

Workspace::Workspace(bool reuseChunks) : reuseChunks(reuseChunks) {}
Workspace::~Workspace() {
  if (reaper.joinable())
    reaper.join();
}

static std::string keyOf(StringRef path) {
  llvm::SmallString<256> real;
  if (!llvm::sys::fs::real_path(path, real))
    return std::string(real);
  return path.str();
}

static json::Value severityOf(Severity s) {
  switch (s) {
  case Severity::Error:
    return 1;
  case Severity::Warning:
    return 2;
  default:
    return 3;
  }
}

json::Value Workspace::update(StringRef uri, std::string text, int64_t version) {
  Document &doc = docs[uri.str()];
  doc.text = std::move(text);
  doc.version = version;
  std::map<std::string, std::string> overlays;
  for (const auto &[u, d] : docs)
    if (u != uri)
      overlays[keyOf(uriToPath(u))] = d.text;
  auto a = std::make_unique<Analysis>();
  a->uri = uri.str();
  a->path = uriToPath(uri);
  a->run(overlays, doc.text, reuseChunks ? doc.analysis.get() : nullptr);
  json::Array out;
  for (const Diagnostic &d : a->diags.getDiagnostics()) {
    if (d.severity == Severity::Ignored)
      continue;
    SMRange r = d.range;
    std::string message = d.message;
    json::Array related;
    if (r.Start.isValid() && !a->inMain(r.Start)) {
      // In an imported file: shown at the import that brings it in (the
      // first import when it comes through several), pointing at the place.
      unsigned id = a->sm.FindBufferContainingLoc(r.Start);
      if (!id)
        continue;
      StringRef file = a->sm.getMemoryBuffer(id)->getBufferIdentifier();
      const ast::Import *via = nullptr;
      for (const ast::Item *it : a->main->items)
        if (auto *imp = llvm::dyn_cast<ast::Import>(it))
          if (!via || llvm::sys::path::filename(file) == llvm::sys::path::filename(imp->getPath()))
            via = imp;
      if (!via)
        continue;
      auto lc = a->sm.getLineAndColumn(r.Start, id);
      message = "in '" + llvm::sys::path::filename(file).str() + "' (line " +
                std::to_string(lc.first) + "): " + d.message;
      related.push_back(json::Object{
          {"location", json::Object{{"uri", a->uriOf(r.Start)}, {"range", a->range(r)}}},
          {"message", d.message}});
      r = via->getPathRange();
    }
    json::Object diag{{"range", a->range(r)},
                      {"severity", severityOf(d.severity)},
                      {"code", diagCode(d).str()},
                      {"source", "infrac"},
                      {"message", message}};
    for (const DiagNote &n : d.notes)
      if (n.range.Start.isValid())
        related.push_back(json::Object{
            {"location", json::Object{{"uri", a->uriOf(n.range.Start)}, {"range", a->range(n.range)}}},
            {"message", n.message}});
    if (!related.empty())
      diag["relatedInformation"] = std::move(related);
    out.push_back(std::move(diag));
  }
  // The analysis it replaces is freed later (releaseRetired), after the
  // diagnostics are out: freeing 10,000 resources is not the user's wait.
  if (doc.analysis)
    retired.push_back(std::move(doc.analysis));
  last = a->timing;
  doc.analysis = std::move(a);
  return json::Object{{"uri", uri.str()}, {"version", version}, {"diagnostics", std::move(out)}};
}

void Workspace::close(StringRef uri) {
  auto it = docs.find(uri.str());
  if (it == docs.end())
    return;
  if (it->second.analysis)
    retired.push_back(std::move(it->second.analysis));
  docs.erase(it);
}

void Workspace::releaseRetired(bool wait) {
  if (retired.empty()) {
    if (wait && reaper.joinable())
      reaper.join();
    return;
  }
  // On another thread: nothing else refers to a retired analysis, and its
  // free (10,000 resources, their AST and parse buffers) overlaps the wait
  // for the next change instead of delaying its check.
  if (reaper.joinable())
    reaper.join();
  reaper = std::thread([old = std::move(retired)]() mutable { old.clear(); });
  retired.clear();
  if (wait)
    reaper.join();
}

const Workspace::Document *Workspace::documentOf(const json::Value &params) const {
  const json::Object *p = params.getAsObject();
  const json::Object *td = p ? p->getObject("textDocument") : nullptr;
  auto uri = td ? td->getString("uri") : llvm::None;
  if (!uri)
    return nullptr;
  auto it = docs.find(uri->str());
  return it == docs.end() ? nullptr : &it->second;
}

const Analysis *Workspace::analysisOf(const json::Value &params) const {
  const Document *d = documentOf(params);
  return d && d->analysis && d->analysis->main ? d->analysis.get() : nullptr;
}

//===----------------------------------------------------------------------===//
// Capabilities
//===----------------------------------------------------------------------===//

static const char *const tokenTypes[] = {"keyword", "type",   "property", "variable", "function",
                                         "string",  "number", "comment",  "operator", "enumMember"};
enum TokenType { TKeyword, TType, TProperty, TVariable, TFunction, TString, TNumber, TComment,
                 TOperator, TEnumMember };
static const char *const tokenModifiers[] = {"declaration", "defaultLibrary"};

json::Value Workspace::initializeResult() {
  json::Array types, mods;
  for (const char *t : tokenTypes)
    types.push_back(t);
  for (const char *m : tokenModifiers)
    mods.push_back(m);
  return json::Object{
      {"capabilities",
       json::Object{
           {"positionEncoding", "utf-16"},
           {"textDocumentSync",
            json::Object{{"openClose", true}, {"change", 1}, {"save", json::Object{}}}},
           {"hoverProvider", true},
           {"completionProvider",
            json::Object{{"triggerCharacters", json::Array{".", "=", " ", "["}}}},
           {"definitionProvider", true},
           {"referencesProvider", true},
           {"renameProvider", json::Object{{"prepareProvider", true}}},
           {"documentSymbolProvider", true},
           {"documentFormattingProvider", true},
           {"codeActionProvider", json::Object{{"codeActionKinds", json::Array{"quickfix"}}}},
           {"semanticTokensProvider",
            json::Object{{"legend", json::Object{{"tokenTypes", std::move(types)},
                                                 {"tokenModifiers", std::move(mods)}}},
                         {"full", true}}}}},
      {"serverInfo", json::Object{{"name", "infrac"}, {"version", "0.1.0"}}}};
}

//===----------------------------------------------------------------------===//
// Requests
//===----------------------------------------------------------------------===//

namespace {

llvm::Error invalid(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

const json::Value *positionParam(const json::Value &params) {
  const json::Object *p = params.getAsObject();
  return p ? p->get("position") : nullptr;
}

json::Value location(const Analysis &a, SMRange r) {
  return json::Object{{"uri", a.uriOf(r.Start)}, {"range", a.range(r)}};
}

bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

/// The word at p (identifier characters around it).
StringRef wordAt(StringRef text, const char *p) {
  const char *b = p, *e = p;
  while (b > text.begin() && isIdentChar(b[-1]))
    --b;
  while (e < text.end() && isIdentChar(*e))
    ++e;
  return StringRef(b, e - b);
}

std::string explainRule(StringRef id) {
  auto rid = rules::lookupRule(id);
  const rules::Rule *r = rid ? rules::findRule(*rid) : nullptr;
  if (!r)
    return {};
  std::string out;
  llvm::raw_string_ostream os(out);
  rules::printExplanation(*r, os);
  os.flush();
  return out;
}

std::string valueText(const sema::Value &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  sema::printValue(v, os);
  os.flush();
  return s;
}

/// The blocks open at `p`, outermost first: what kind of block the cursor is
/// in, read from the tokens so that it works while the file does not parse.
std::vector<const sema::BlockSpec *> contextAt(StringRef text, const char *p) {
  LexResult lx = lex(text.take_front(p - text.begin()), nullptr);
  const sema::Schema &schema = sema::Schema::get();
  std::vector<const sema::BlockSpec *> stack;
  const auto &t = lx.tokens;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind == Tok::RBrace) {
      if (!stack.empty())
        stack.pop_back();
      continue;
    }
    if (t[i].kind != Tok::LBrace)
      continue;
    // kind label* {   or   key = kind {   or a map {
    size_t j = i;
    while (j > 0 && (t[j - 1].kind == Tok::Ident || t[j - 1].kind == Tok::Quantity ||
                     t[j - 1].kind == Tok::Number))
      --j;
    const sema::BlockSpec *spec = nullptr;
    if (j < i && t[j].kind == Tok::Ident) {
      bool isObject = j > 0 && t[j - 1].kind == Tok::Assign;
      StringRef word = text.substr(t[isObject ? i - 1 : j].offset,
                                   t[isObject ? i - 1 : j].length);
      if (isObject)
        spec = schema.findBlock(word);
      else if (stack.empty())
        spec = schema.findTopLevel(word);
      else if (stack.back())
        if (const sema::ChildSpec *c = stack.back()->findChild(word))
          spec = schema.findBlock(c->kind);
    }
    stack.push_back(spec);
  }
  return stack;
}

// json::Value borrows a StringRef: every string of an answer is copied in.
json::Value completionItem(StringRef label, int kind, StringRef detail, StringRef doc = {}) {
  json::Object o{{"label", label.str()}, {"kind", kind}};
  if (!detail.empty())
    o["detail"] = detail.str();
  if (!doc.empty())
    o["documentation"] = json::Object{{"kind", "markdown"}, {"value", doc.str()}};
  return o;
}

enum CompletionKind { CKFunction = 3, CKField = 5, CKVariable = 6, CKClass = 7, CKModule = 9,
                      CKProperty = 10, CKKeyword = 14, CKEnumMember = 20, CKEvent = 23 };

} // namespace

llvm::Expected<json::Value> Workspace::request(StringRef method, const json::Value &params) {
  const Analysis *a = analysisOf(params);
  const Document *doc = documentOf(params);

  if (method == "textDocument/formatting") {
    if (!doc)
      return invalid("unknown document");
    std::string out, errors;
    if (!format::formatText(doc->text, "document", out, errors))
      return json::Array(); // syntax errors: the diagnostics show them
    if (out == doc->text)
      return json::Array();
    // One edit replacing the whole text: from 0:0 to the end of its last line.
    unsigned lines = 0;
    size_t lastLine = 0;
    for (size_t i = 0; i < doc->text.size(); ++i)
      if (doc->text[i] == '\n') {
        ++lines;
        lastLine = i + 1;
      }
    unsigned endChar = utf16Length(StringRef(doc->text).substr(lastLine));
    return json::Array{json::Object{
        {"range", json::Object{{"start", json::Object{{"line", 0}, {"character", 0}}},
                               {"end", json::Object{{"line", lines}, {"character", endChar}}}}},
        {"newText", out}}};
  }

  if (method == "textDocument/semanticTokens/full") {
    if (!doc)
      return invalid("unknown document");
    // Pointers into the analysis's copy of the text (the same bytes) so that
    // references can be told from enum values by the index.
    StringRef text = a && a->main ? a->text : StringRef(doc->text);
    LexResult lx = lex(text, nullptr);
    struct Tk {
      uint32_t offset, length;
      unsigned type, mods;
    };
    std::vector<Tk> out;
    const auto &t = lx.tokens;
    std::vector<bool> isLabel(t.size(), false);
    for (size_t i = 0; i < t.size(); ++i) {
      unsigned type = ~0u, mods = 0;
      switch (t[i].kind) {
      case Tok::KwImport: case Tok::KwParam: case Tok::KwLet: case Tok::KwExpect:
      case Tok::KwWithin: case Tok::KwAfter: case Tok::KwAnd: case Tok::KwTrue:
      case Tok::KwFalse:
        type = TKeyword;
        break;
      case Tok::String:
        type = TString;
        break;
      case Tok::Number: case Tok::Quantity:
        type = TNumber;
        break;
      case Tok::EqEq: case Tok::NotEq: case Tok::LessEq: case Tok::GreaterEq: case Tok::Less:
      case Tok::Greater: case Tok::Assign: case Tok::Minus:
        type = TOperator;
        break;
      case Tok::Ident: {
        Tok next = i + 1 < t.size() ? t[i + 1].kind : Tok::Eof;
        Tok prev = i > 0 ? t[i - 1].kind : Tok::Invalid;
        if (isLabel[i]) {
          type = TVariable;
          mods = 1;
        } else if (next == Tok::LParen) {
          type = TFunction;
          mods = 2;
        } else if (next == Tok::Assign || next == Tok::Colon) {
          type = TProperty;
        } else if (prev == Tok::Dot) {
          type = TProperty;
        } else {
          // kind label* {  : the kind is a type, the names declarations.
          size_t j = i + 1;
          while (j < t.size() && (t[j].kind == Tok::Ident || t[j].kind == Tok::Quantity ||
                                  t[j].kind == Tok::Number))
            ++j;
          bool startsItem = prev == Tok::Invalid || prev == Tok::LBrace || prev == Tok::RBrace ||
                            prev == Tok::Semi || prev == Tok::String || prev == Tok::Number ||
                            prev == Tok::Quantity || prev == Tok::RBrack ||
                            prev == Tok::RParen || prev == Tok::Ident || prev == Tok::KwTrue ||
                            prev == Tok::KwFalse || prev == Tok::Assign;
          if (j < t.size() && t[j].kind == Tok::LBrace && startsItem) {
            type = TType;
            if (prev != Tok::Assign)
              for (size_t k = i + 1; k < j; ++k)
                if (t[k].kind == Tok::Ident)
                  isLabel[k] = true;
          } else {
            const char *p = text.begin() + t[i].offset;
            type = a && a->main && a->occurrenceAt(p) ? TVariable : TEnumMember;
          }
        }
        break;
      }
      default:
        break;
      }
      if (type != ~0u)
        out.push_back({t[i].offset, t[i].length, type, mods});
    }
    for (const LexedComment &c : lx.comments)
      out.push_back({c.offset, c.length, TComment, 0});
    std::sort(out.begin(), out.end(), [](const Tk &x, const Tk &y) { return x.offset < y.offset; });
    json::Array data;
    unsigned prevLine = 0, prevChar = 0, line = 0;
    uint32_t lineStart = 0, scanned = 0;
    for (const Tk &k : out) {
      for (; scanned < k.offset; ++scanned)
        if (text[scanned] == '\n') {
          ++line;
          lineStart = scanned + 1;
        }
      unsigned ch = utf16Length(text.substr(lineStart, k.offset - lineStart));
      unsigned len = utf16Length(text.substr(k.offset, k.length));
      data.push_back(line - prevLine);
      data.push_back(line == prevLine ? ch - prevChar : ch);
      data.push_back(len);
      data.push_back(k.type);
      data.push_back(k.mods);
      prevLine = line;
      prevChar = ch;
    }
    return json::Object{{"data", std::move(data)}};
  }

  if (!a)
    return method.startswith("textDocument/") ? llvm::Expected<json::Value>(nullptr)
                                               : invalid("unknown method '" + method + "'");
  const json::Value *pos = positionParam(params);
  std::optional<const char *> at;
  if (pos)
    at = a->pointerAt(*pos);

  if (method == "textDocument/definition") {
    if (!at)
      return invalid("no position");
    const Occurrence *o = a->occurrenceAt(*at);
    if (!o)
      return nullptr;
    return location(*a, a->symbols[o->symbol].decl);
  }

  if (method == "textDocument/references") {
    if (!at)
      return invalid("no position");
    const Occurrence *o = a->occurrenceAt(*at);
    if (!o)
      return json::Array();
    bool withDecl = true;
    if (const json::Object *ctx = params.getAsObject()->getObject("context"))
      withDecl = ctx->getBoolean("includeDeclaration").getValueOr(true);
    json::Array out;
    for (const Occurrence &x : a->occurrences)
      if (x.symbol == o->symbol && (withDecl || !x.isDecl))
        out.push_back(location(*a, x.range));
    return out;
  }

  if (method == "textDocument/prepareRename") {
    if (!at)
      return invalid("no position");
    const Occurrence *o = a->occurrenceAt(*at);
    if (!o)
      return nullptr;
    return json::Object{{"range", a->range(o->range)},
                        {"placeholder", std::string(o->range.Start.getPointer(),
                                                    o->range.End.getPointer())}};
  }

  if (method == "textDocument/rename") {
    if (!at)
      return invalid("no position");
    StringRef newName = params.getAsObject()->getString("newName").getValueOr("");
    if (newName.empty() || !(llvm::isAlpha(newName[0]) || newName[0] == '_') ||
        !llvm::all_of(newName, isIdentChar))
      return invalid("'" + newName + "' is not a name");
    const Occurrence *o = a->occurrenceAt(*at);
    if (!o)
      return invalid("nothing to rename here");
    std::map<std::string, json::Array> changes;
    for (const Occurrence &x : a->occurrences)
      if (x.symbol == o->symbol)
        changes[a->uriOf(x.range.Start)].push_back(
            json::Object{{"range", a->range(x.range)}, {"newText", newName.str()}});
    json::Object c;
    for (auto &[u, edits] : changes)
      c[u] = std::move(edits);
    return json::Object{{"changes", std::move(c)}};
  }

  if (method == "textDocument/documentSymbol") {
    std::function<json::Array(llvm::ArrayRef<ast::Item *>)> symbolsOf =
        [&](llvm::ArrayRef<ast::Item *> items) {
          json::Array out;
          for (const ast::Item *it : items) {
            auto *b = llvm::dyn_cast<ast::Block>(it);
            if (!b)
              continue;
            std::string name = b->getKindName().name.str();
            SMRange sel = b->getKindName().range;
            std::string detail;
            for (const ast::Label &l : b->getLabels()) {
              name += " " + std::string(l.range.Start.getPointer(), l.range.End.getPointer());
              sel = l.range;
            }
            bool top = items.data() == a->main->items.data();
            json::Object s{{"name", name},
                           {"kind", top ? 5 : 8},
                           {"range", a->range(b->getRange())},
                           {"selectionRange", a->range(sel)}};
            json::Array kids = symbolsOf(b->getBody());
            if (!kids.empty())
              s["children"] = std::move(kids);
            out.push_back(std::move(s));
          }
          return out;
        };
    return symbolsOf(a->main->items);
  }

  if (method == "textDocument/hover") {
    if (!at)
      return invalid("no position");
    const char *p = *at;
    std::string md;
    SMRange hoverRange;
    const sema::Schema &schema = sema::Schema::get();
    // A suppression comment: the rules it names.
    for (const ast::Comment &c : a->main->comments)
      if (c.range.Start.getPointer() <= p && p <= c.range.End.getPointer()) {
        StringRef body = c.text.trim();
        if (body.consume_front("infrac:ignore")) {
          StringRef id = wordAt(a->text, p);
          std::string e = explainRule(id);
          if (e.empty()) {
            StringRef ids = body.split("--").first;
            llvm::SmallVector<StringRef, 4> parts;
            ids.split(parts, ',', -1, false);
            for (StringRef x : parts)
              e += explainRule(x.trim());
          }
          if (!e.empty())
            md = "```\n" + e + "```";
        }
        hoverRange = c.range;
      }
    // A diagnostic with a rule id.
    if (md.empty())
      for (const Diagnostic &d : a->diags.getDiagnostics())
        if (!d.code.empty() && a->inMain(d.range.Start) &&
            d.range.Start.getPointer() <= p && p <= d.range.End.getPointer()) {
          std::string e = explainRule(d.code);
          if (!e.empty()) {
            md = "**" + d.code.str() + "**: " + d.message + "\n\n```\n" + e + "```";
            hoverRange = d.range;
            break;
          }
        }
    const Occurrence *o = md.empty() ? a->occurrenceAt(p) : nullptr;
    if (o) {
      const Symbol &s = a->symbols[o->symbol];
      if (s.resource) {
        md = "**" + sema::kindNoun(s.resource->kind()) + "** `" + s.name + "`";
        if (s.resource->spec && s.resource->spec->doc)
          md += "\n\n" + std::string(s.resource->spec->doc);
      } else {
        md = "**" + std::string(llvm::isa<ast::Param>(s.binding) ? "param" : "let") + "** `" +
             s.name + "`";
        if (auto *pp = llvm::dyn_cast<ast::Param>(s.binding)) {
          std::string v;
          llvm::raw_string_ostream os(v);
          ast::printExpr(pp->getValue(), os);
          md += " = `" + os.str() + "`";
        } else if (auto *l = llvm::dyn_cast<ast::Let>(s.binding)) {
          std::string v;
          llvm::raw_string_ostream os(v);
          ast::printExpr(l->getValue(), os);
          md += " = `" + os.str() + "`";
        }
      }
      hoverRange = o->range;
    }
    if (md.empty()) {
      // An attribute's key or a block's kind, inside the innermost resource.
      StringRef word = wordAt(a->text, p);
      const sema::Resource *r = a->enclosingResource(p);
      const char *wb = word.begin();
      for (const sema::Resource *x = r; x && md.empty(); x = nullptr) {
        if (x->range.Start.getPointer() == wb || x->nameRange.Start.getPointer() == wb) {
          md = "**" + sema::kindNoun(x->kind()) + "**";
          if (x->spec->doc)
            md += "\n\n" + std::string(x->spec->doc);
          break;
        }
        for (size_t i = 0; i < x->spec->attrs.size(); ++i) {
          const sema::AttrSpec &as = x->spec->attrs[i];
          if (word != as.name)
            continue;
          const sema::Attr *given = x->attr(word);
          if (given && given->keyRange.Start.getPointer() != wb)
            continue;
          const sema::AttrInfo *info = schema.lookupAttr(x->spec, word);
          md = "**" + word.str() + "**: " + (info ? info->type->describe() : std::string(as.type));
          if (as.doc)
            md += "\n\n" + std::string(as.doc);
          if (given && given->value.isSet()) {
            std::string v = valueText(given->value);
            md += "\n\nvalue: `" + v + "`";
            const sema::Attr *def = x->defaultAttr(i);
            if (def && def->value.isSet()) {
              std::string dv = valueText(def->value);
              md += dv == v ? " (AWS's default)" : " (AWS's default: `" + dv + "`)";
            } else if (given->isDefault) {
              md += " (default)";
            }
          } else if (as.defaultValue) {
            md += "\n\ndefault: `" + std::string(as.defaultValue) + "`";
          }
          hoverRange = {SMLoc::getFromPointer(word.begin()), SMLoc::getFromPointer(word.end())};
          break;
        }
      }
      if (md.empty() && !word.empty()) {
        if (const sema::FunctionSpec *f = schema.findFunction(word)) {
          md = "**" + word.str() + "()**";
          if (f->doc)
            md += "\n\n" + std::string(f->doc);
        } else if (const sema::BlockSpec *b = schema.findBlock(word)) {
          md = "**" + sema::kindNoun(b->kind) + "**";
          if (b->doc)
            md += "\n\n" + std::string(b->doc);
        }
        hoverRange = {SMLoc::getFromPointer(word.begin()), SMLoc::getFromPointer(word.end())};
      }
    }
    if (md.empty())
      return nullptr;
    json::Object h{{"contents", json::Object{{"kind", "markdown"}, {"value", md}}}};
    if (hoverRange.Start.isValid())
      h["range"] = a->range(hoverRange);
    return json::Value(std::move(h));
  }

  if (method == "textDocument/completion") {
    if (!at)
      return invalid("no position");
    // The analysis is rebuilt on every change: its buffer is the text.
    StringRef text = a->text;
    const char *p = *at;
    const char *lineStart = p;
    while (lineStart > text.begin() && lineStart[-1] != '\n')
      --lineStart;
    StringRef before(lineStart, p - lineStart);
    const sema::Schema &schema = sema::Schema::get();
    json::Array items;
    // Rule ids in a suppression.
    size_t hash = before.find('#');
    if (hash != StringRef::npos) {
      if (before.substr(hash + 1).ltrim().startswith("infrac:ignore") &&
          !before.substr(hash).contains("--"))
        for (const rules::RuleInfo &r : rules::allRuleInfos())
          items.push_back(completionItem(r.id, CKEnumMember, r.summary));
      return json::Object{{"isIncomplete", false}, {"items", std::move(items)}};
    }
    std::vector<const sema::BlockSpec *> ctx = contextAt(text, p);
    const sema::BlockSpec *block = ctx.empty() ? nullptr : ctx.back();
    StringRef trimmed = before.rtrim();
    StringRef word = before.take_back(
        before.size() - (before.find_last_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") + 1));
    StringRef head = before.drop_back(word.size()).rtrim();
    auto addRefs = [&](const sema::Type *t) {
      std::vector<std::string> kinds = t->names;
      if (!a->model) {
        // The file does not parse (it is being typed): the top-level blocks
        // the parser recovered.
        for (const ast::File *f : a->program.files)
          for (const ast::Item *it : f->items)
            if (auto *b = llvm::dyn_cast<ast::Block>(it))
              if (!b->getLabels().empty() && !b->getLabels()[0].name().empty() &&
                  std::find(kinds.begin(), kinds.end(), b->getKindName().name.str()) !=
                      kinds.end())
                items.push_back(completionItem(b->getLabels()[0].name(), CKVariable,
                                               sema::kindNoun(b->getKindName().name)));
        return;
      }
      a->model->forEach([&](const sema::Resource &r) {
        if (r.name.empty() || r.implicit)
          return;
        if (std::find(kinds.begin(), kinds.end(), r.kind().str()) != kinds.end())
          items.push_back(completionItem(r.path, CKVariable, sema::kindNoun(r.kind())));
      });
    };
    std::function<void(const sema::Type *)> addValues = [&](const sema::Type *t) {
      if (!t)
        return;
      switch (t->kind) {
      case sema::Type::Kind::Enum:
        for (const std::string &s : t->names)
          items.push_back(completionItem(s, CKEnumMember, "value"));
        break;
      case sema::Type::Kind::Bool:
        items.push_back(completionItem("true", CKKeyword, "bool"));
        items.push_back(completionItem("false", CKKeyword, "bool"));
        break;
      case sema::Type::Kind::Ref:
        addRefs(t);
        break;
      case sema::Type::Kind::Action:
      case sema::Type::Kind::Condition:
      case sema::Type::Kind::Metric: {
        auto cat = t->kind == sema::Type::Kind::Action      ? sema::FunctionCategory::Action
                   : t->kind == sema::Type::Kind::Condition ? sema::FunctionCategory::Condition
                                                            : sema::FunctionCategory::Metric;
        for (const sema::FunctionSpec *f : schema.functions())
          if (f->category == cat)
            items.push_back(completionItem(f->name, CKFunction, "function", f->doc ? f->doc : ""));
        break;
      }
      case sema::Type::Kind::Object:
        for (const std::string &k : t->names)
          items.push_back(completionItem(k, CKClass, "object"));
        break;
      case sema::Type::Kind::List:
      case sema::Type::Kind::Many:
      case sema::Type::Kind::Union:
        for (const sema::Type *e : t->elems)
          addValues(e);
        break;
      default:
        break;
      }
    };
    if (head.endswith("=") && !head.endswith("==") && block) {
      // key = |: the values the attribute takes.
      StringRef key = head.drop_back().rtrim();
      key = key.take_back(key.size() - (key.find_last_of(" \t;{") + 1));
      if (const sema::AttrInfo *info = schema.lookupAttr(block, key))
        addValues(info->type);
    } else if (trimmed.endswith("expect") || head.endswith("expect") || head.endswith("and") ||
               head.endswith("(")) {
      // expect |: conditions and metrics; inside a call: references.
      for (const sema::FunctionSpec *f : schema.functions())
        if (f->category != sema::FunctionCategory::Action)
          items.push_back(completionItem(f->name, CKFunction, "metric or condition",
                                         f->doc ? f->doc : ""));
      if (head.endswith("(") && a->model)
        a->model->forEach([&](const sema::Resource &r) {
          if (!r.name.empty() && !r.implicit && !r.parent)
            items.push_back(completionItem(r.path, CKVariable, sema::kindNoun(r.kind())));
        });
    } else if (head.empty() || head.endswith("{") || head.endswith(";")) {
      if (!block && ctx.empty()) {
        for (StringRef k : schema.topLevelKinds())
          if (const sema::BlockSpec *b = schema.findTopLevel(k))
            items.push_back(completionItem(k, CKClass, "block", b->doc ? b->doc : ""));
        for (const char *kw : {"import", "param", "let"})
          items.push_back(completionItem(kw, CKKeyword, "keyword"));
      } else if (block) {
        for (const sema::AttrSpec &as : block->attrs)
          items.push_back(completionItem(as.name,
                                         StringRef(block->kind) == "at" ? CKEvent : CKProperty,
                                         as.type, as.doc ? as.doc : ""));
        for (const sema::ChildSpec &c : block->children) {
          const sema::BlockSpec *cb = schema.findBlock(c.kind);
          items.push_back(
              completionItem(c.keyword, CKModule, "block", cb && cb->doc ? cb->doc : ""));
        }
        if (block->allowsExpect)
          items.push_back(completionItem("expect", CKKeyword, "an expectation"));
      }
    }
    return json::Object{{"isIncomplete", false}, {"items", std::move(items)}};
  }

  if (method == "textDocument/codeAction") {
    const json::Object *p = params.getAsObject();
    const json::Object *r = p ? p->getObject("range") : nullptr;
    if (!r)
      return invalid("no range");
    auto from = a->pointerAt(*r->get("start"));
    auto to = a->pointerAt(*r->get("end"));
    if (!from || !to)
      return invalid("bad range");
    json::Array actions;
    for (const Diagnostic &d : a->diags.getDiagnostics()) {
      if (d.severity == Severity::Ignored || !a->inMain(d.range.Start))
        continue;
      const char *ds = d.range.Start.getPointer();
      const char *de = d.range.End.isValid() ? d.range.End.getPointer() : ds;
      if (de < *from || ds > *to)
        continue;
      json::Object diag{{"range", a->range(d.range)},
                        {"severity", severityOf(d.severity)},
                        {"code", diagCode(d).str()},
                        {"source", "infrac"},
                        {"message", d.message}};
      if (!d.fixits.empty()) {
        json::Array edits;
        std::string title;
        for (const FixIt &f : d.fixits) {
          if (!a->inMain(f.range.Start))
            continue;
          edits.push_back(json::Object{{"range", a->range(f.range)}, {"newText", f.replacement}});
          StringRef old(f.range.Start.getPointer(),
                        f.range.End.getPointer() - f.range.Start.getPointer());
          if (title.empty())
            title = old.empty()               ? "insert '" + f.replacement + "'"
                    : f.replacement.empty()   ? "remove '" + old.str() + "'"
                                              : "replace '" + old.str() + "' with '" +
                                                  f.replacement + "'";
        }
        if (!edits.empty())
          actions.push_back(json::Object{
              {"title", "Fix: " + title},
              {"kind", "quickfix"},
              {"isPreferred", true},
              {"diagnostics", json::Array{json::Value(json::Object(diag))}},
              {"edit", json::Object{{"changes", json::Object{{a->uri, std::move(edits)}}}}}});
      }
      if (!d.code.empty()) {
        // A comment alone on the line above covers the line it precedes.
        const char *ls = ds;
        while (ls > a->text.begin() && ls[-1] != '\n')
          --ls;
        const char *ie = ls;
        while (ie < a->text.end() && (*ie == ' ' || *ie == '\t'))
          ++ie;
        std::string comment = std::string(ls, ie - ls) + "# infrac:ignore " + d.code.str() +
                              " -- TODO: why this is acceptable\n";
        SMRange at{SMLoc::getFromPointer(ls), SMLoc::getFromPointer(ls)};
        actions.push_back(json::Object{
            {"title", "Suppress " + d.code.str() + " here (with a reason)"},
            {"kind", "quickfix"},
            {"diagnostics", json::Array{json::Value(std::move(diag))}},
            {"edit",
             json::Object{{"changes",
                           json::Object{{a->uri, json::Array{json::Object{
                                                     {"range", a->range(at)},
                                                     {"newText", comment}}}}}}}}});
      }
    }
    return json::Value(std::move(actions));
  }

  return invalid("unknown method '" + method + "'");
}

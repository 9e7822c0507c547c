//===- Parser.cpp - The parse stage ---------------------------------------===//
//
// The hand-written lexer feeds ANTLR's generated parser through a TokenSource.
// The file is parsed in chunks, one per top-level block (a chunk ends at the '}'
// that returns to depth 0), so that ANTLR's token objects and parse tree only
// ever exist for one chunk: memory stays proportional to the AST, and an error
// in one block cannot derail the next. Each chunk is first parsed with SLL
// prediction and a bail-out strategy (fast); only a chunk that fails is parsed
// again with full LL prediction and our recovering, re-worded error strategy.
//
//===----------------------------------------------------------------------===//

#include "Parse/Parser.h"
#include "Parse/ASTBuilder.h"
#include "Parse/Lexer.h"

#include "antlr4-runtime.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace infrac;
using P = grammar::InfraParser;

// Our token kinds must be ANTLR's token types.
#define CHECK_TOKEN(OURS, THEIRS)                                              \
  static_assert(static_cast<size_t>(Tok::OURS) == P::THEIRS, #OURS);
CHECK_TOKEN(KwImport, IMPORT)
CHECK_TOKEN(KwParam, PARAM)
CHECK_TOKEN(KwLet, LET)
CHECK_TOKEN(KwExpect, EXPECT)
CHECK_TOKEN(KwWithin, WITHIN)
CHECK_TOKEN(KwAfter, AFTER)
CHECK_TOKEN(KwAnd, AND)
CHECK_TOKEN(KwTrue, TRUE)
CHECK_TOKEN(KwFalse, FALSE)
CHECK_TOKEN(LBrace, LBRACE)
CHECK_TOKEN(RBrace, RBRACE)
CHECK_TOKEN(LBrack, LBRACK)
CHECK_TOKEN(RBrack, RBRACK)
CHECK_TOKEN(LParen, LPAREN)
CHECK_TOKEN(RParen, RPAREN)
CHECK_TOKEN(Comma, COMMA)
CHECK_TOKEN(Semi, SEMI)
CHECK_TOKEN(Dot, DOT)
CHECK_TOKEN(Colon, COLON)
CHECK_TOKEN(EqEq, EQ)
CHECK_TOKEN(NotEq, NE)
CHECK_TOKEN(LessEq, LE)
CHECK_TOKEN(GreaterEq, GE)
CHECK_TOKEN(Less, LT)
CHECK_TOKEN(Greater, GT)
CHECK_TOKEN(Assign, ASSIGN)
CHECK_TOKEN(Minus, MINUS)
CHECK_TOKEN(Quantity, QUANTITY)
CHECK_TOKEN(Number, NUMBER)
CHECK_TOKEN(String, STRING)
CHECK_TOKEN(Ident, IDENT)
CHECK_TOKEN(Comment, COMMENT)
CHECK_TOKEN(Whitespace, WS)
CHECK_TOKEN(ErrorChar, ERROR_CHAR)
#undef CHECK_TOKEN

namespace {

/// Serves a slice of the lexed tokens to ANTLR, then EOF.
class SliceTokenSource : public antlr4::TokenSource {
public:
  SliceTokenSource(const Token *begin, const Token *end, uint32_t eofOffset)
      : cur(begin), end(end), eofOffset(eofOffset) {}

  std::unique_ptr<antlr4::Token> nextToken() override {
    if (cur == end) {
      auto t = std::make_unique<antlr4::CommonToken>(
          std::pair<antlr4::TokenSource *, antlr4::CharStream *>(this, nullptr), antlr4::Token::EOF,
          antlr4::Token::DEFAULT_CHANNEL, eofOffset, eofOffset - 1);
      return t;
    }
    const Token &tok = *cur++;
    return std::make_unique<antlr4::CommonToken>(
        std::pair<antlr4::TokenSource *, antlr4::CharStream *>(this, nullptr), static_cast<size_t>(tok.kind),
        antlr4::Token::DEFAULT_CHANNEL, tok.offset,
        static_cast<size_t>(tok.offset) + tok.length - 1);
  }
  size_t getLine() const override { return 0; }
  size_t getCharPositionInLine() override { return 0; }
  antlr4::CharStream *getInputStream() override { return nullptr; }
  std::string getSourceName() override { return "infra"; }
  antlr4::TokenFactory<antlr4::CommonToken> *getTokenFactory() override {
    return antlr4::CommonTokenFactory::DEFAULT.get();
  }

private:
  const Token *cur, *end;
  uint32_t eofOffset;
};

/// Rewords ANTLR's syntax errors in our voice and reports them as diagnostics.
class InfraErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
  InfraErrorStrategy(DiagnosticEngine &diags, const char *buf, bool eofReported)
      : diags(diags), buf(buf), eofReported(eofReported) {}

  unsigned numErrors = 0;

protected:
  void reportNoViableAlternative(antlr4::Parser *p,
                                 const antlr4::NoViableAltException &e) override {
    antlr4::Token *t = e.getOffendingToken();
    // `port 80` or `cidr "10.0.0.0/16"`: a name and a value without '='.
    antlr4::Token *start = e.getStartToken();
    if (start && start->getType() == P::IDENT && start->getTokenIndex() != INVALID_INDEX) {
      antlr4::Token *next = p->getTokenStream()->get(start->getTokenIndex() + 1);
      size_t k = next->getType();
      bool startsValue = k == P::STRING || k == P::NUMBER || k == P::QUANTITY ||
                         k == P::LBRACK || k == P::TRUE || k == P::FALSE ||
                         k == P::MINUS || k == P::IDENT;
      if (startsValue) {
        const char *at = buf + start->getStopIndex() + 1;
        llvm::SMRange r{llvm::SMLoc::getFromPointer(at), llvm::SMLoc::getFromPointer(at)};
        ++numErrors;
        diags.report(DiagID::SYN004, r, "'='",
                     fmt::format("{} after {}", describeFound(next), describeFound(start)))
            .fixit(r, " =");
        return;
      }
    }
    report(DiagID::SYN002, t, describeFound(t),
           describeExpected(p, p->getExpectedTokens()));
  }
  void reportInputMismatch(antlr4::Parser *p,
                           const antlr4::InputMismatchException &e) override {
    antlr4::Token *t = e.getOffendingToken();
    if (reportBlockHeader(p, t))
      return;
    report(DiagID::SYN001, t, describeExpected(p, e.getExpectedTokens()),
           describeFound(t));
  }
  void reportFailedPredicate(antlr4::Parser *p,
                             const antlr4::FailedPredicateException &e) override {
    antlr4::Token *t = e.getOffendingToken();
    report(DiagID::SYN002, t, describeFound(t), "something else");
  }
  void reportUnwantedToken(antlr4::Parser *p) override {
    if (inErrorRecoveryMode(p))
      return;
    beginErrorCondition(p);
    antlr4::Token *t = p->getCurrentToken();
    if (reportBlockHeader(p, t))
      return;
    report(DiagID::SYN002, t, describeFound(t),
           describeExpected(p, getExpectedTokens(p)));
  }
  void reportMissingToken(antlr4::Parser *p) override {
    if (inErrorRecoveryMode(p))
      return;
    beginErrorCondition(p);
    antlr4::Token *t = p->getCurrentToken();
    antlr4::misc::IntervalSet expected = getExpectedTokens(p);
    std::string what = describeExpected(p, expected);
    // Point just after the previous token, where the missing one belongs.
    antlr4::Token *prev = p->getTokenStream()->LT(-1);
    if (!prev || (t->getType() == antlr4::Token::EOF && eofReported)) {
      report(DiagID::SYN004, t, what, describeFound(t));
      return;
    }
    const char *at = buf + prev->getStopIndex() + 1;
    llvm::SMRange r{llvm::SMLoc::getFromPointer(at), llvm::SMLoc::getFromPointer(at)};
    ++numErrors;
    auto d = diags.report(DiagID::SYN004, r, what, describeFound(t));
    if (expected.size() == 1) {
      llvm::StringRef spelled = tokenName(static_cast<Tok>(expected.getSingleElement()));
      if (spelled.startswith("'"))
        d.fixit(r, spelled.drop_front().drop_back().str());
    }
  }

private:
  /// `port 8080 }` parses as the header of a block `port 8080 { ... }` that
  /// never opens: say both readings.
  bool reportBlockHeader(antlr4::Parser *p, antlr4::Token *t) {
    antlr4::ParserRuleContext *ctx = p->getContext();
    if (!ctx || ctx->getRuleIndex() != P::RuleBlock || !ctx->getStart() ||
        ctx->getStart()->getType() != P::IDENT || ctx->children.size() < 2)
      return false;
    for (antlr4::tree::ParseTree *ch : ctx->children) {
      antlr4::misc::Interval iv = ch->getSourceInterval();
      if (iv.a >= 0 && iv.a == iv.b &&
          p->getTokenStream()->get(static_cast<size_t>(iv.a))->getType() == P::LBRACE)
        return false; // The block is open: the error is inside it.
    }
    antlr4::Token *kw = ctx->getStart();
    antlr4::Token *last = nullptr;
    for (antlr4::tree::ParseTree *ch : ctx->children)
      if (auto *rc = dynamic_cast<antlr4::ParserRuleContext *>(ch))
        if (rc->getRuleIndex() == P::RuleLabel)
          last = rc->getStop();
    if (!last || last->getStartIndex() == INVALID_INDEX || ctx == lastHeaderError)
      return false;
    lastHeaderError = ctx;
    llvm::StringRef header(buf + kw->getStartIndex(),
                           last->getStopIndex() + 1 - kw->getStartIndex());
    llvm::StringRef name(buf + kw->getStartIndex(),
                         kw->getStopIndex() + 1 - kw->getStartIndex());
    report(DiagID::SYN007, t, header, name, describeFound(t));
    return true;
  }

  llvm::SMRange rangeOf(antlr4::Token *t) const {
    if (!t || t->getStartIndex() == INVALID_INDEX)
      return {};
    const char *b = buf + t->getStartIndex();
    const char *e = t->getType() == antlr4::Token::EOF ? b : buf + t->getStopIndex() + 1;
    return {llvm::SMLoc::getFromPointer(b), llvm::SMLoc::getFromPointer(e)};
  }

  template <typename... Args>
  void report(DiagID id, antlr4::Token *t, Args &&...args) {
    // Unclosed brackets at end of file were already reported by the lexer;
    // an error at the end of a chunk after another error is its echo.
    if (t && t->getType() == antlr4::Token::EOF && (eofReported || numErrors))
      return;
    ++numErrors;
    diags.report(id, rangeOf(t), std::forward<Args>(args)...);
  }

  std::string describeFound(antlr4::Token *t) const {
    if (t && t->getStartIndex() == INVALID_INDEX)
      return "a missing token";
    if (!t || t->getType() == antlr4::Token::EOF)
      return "end of file";
    llvm::StringRef text(buf + t->getStartIndex(),
                         t->getStopIndex() + 1 - t->getStartIndex());
    if (text.size() > 24)
      return fmt::format("'{}...'", text.take_front(21));
    return fmt::format("'{}'", text);
  }

  std::string describeExpected(antlr4::Parser *p,
                               const antlr4::misc::IntervalSet &set) const {
    auto has = [&](size_t t) { return set.contains(t); };
    size_t rule = p->getContext() ? p->getContext()->getRuleIndex() : 0;
    bool valueStart = has(P::STRING) && has(P::NUMBER) && has(P::LBRACK);
    if (rule == P::RuleBlock || rule == P::RuleBodyItem || rule == P::RulePrimary)
      if (has(P::RBRACE) && has(P::IDENT) && has(P::EXPECT))
        return "an attribute, a nested block or '}'";
    if (rule == P::RuleFile || rule == P::RuleTopItem)
      return "a block, 'import', 'param' or 'let'";
    if (valueStart)
      return "a value";
    std::vector<std::string> names;
    for (ssize_t t : set.toList()) {
      if (t == static_cast<ssize_t>(antlr4::Token::EOF))
        names.push_back("end of file");
      else if (t > 0 && t <= static_cast<ssize_t>(Tok::ErrorChar))
        names.push_back(tokenName(static_cast<Tok>(t)).str());
    }
    if (names.empty())
      return "something else";
    if (names.size() > 5)
      names.resize(5);
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
      if (i)
        out += i + 1 == names.size() ? " or " : ", ";
      out += names[i];
    }
    return out;
  }

  DiagnosticEngine &diags;
  const char *buf;
  bool eofReported;
  antlr4::ParserRuleContext *lastHeaderError = nullptr;
};

/// Splits the token stream into independently parsable top-level chunks.
std::vector<std::pair<size_t, size_t>> splitChunks(const std::vector<Token> &toks) {
  std::vector<std::pair<size_t, size_t>> chunks;
  size_t n = toks.size() - 1; // Without the final Eof.
  size_t start = 0;
  // Brackets match as the lexer matches them: a closer pops to its opener, a
  // stray closer pops nothing.
  std::vector<Tok> open;
  for (size_t i = 0; i < n; ++i) {
    Tok k = toks[i].kind;
    if (open.empty() && i > start &&
        (k == Tok::KwImport || k == Tok::KwParam || k == Tok::KwLet)) {
      chunks.emplace_back(start, i);
      start = i;
    }
    if (k == Tok::LBrace || k == Tok::LBrack || k == Tok::LParen) {
      open.push_back(k);
    } else if (k == Tok::RBrace || k == Tok::RBrack || k == Tok::RParen) {
      Tok want = k == Tok::RBrace ? Tok::LBrace : k == Tok::RBrack ? Tok::LBrack : Tok::LParen;
      auto it = std::find(open.rbegin(), open.rend(), want);
      if (it != open.rend())
        open.erase(std::prev(it.base()), open.end());
      if (open.empty() && k == Tok::RBrace) {
        chunks.emplace_back(start, i + 1);
        start = i + 1;
      }
    }
  }
  if (start < n)
    chunks.emplace_back(start, n);
  return chunks;
}

/// One parser for all chunks of a file: building an ANTLR parser is costly,
/// so it is reset between chunks, and each chunk's tree is freed once built.
class ChunkParser {
public:
  ChunkParser(DiagnosticEngine &diags, const char *buf, ASTBuilder &builder)
      : diags(diags), buf(buf), builder(builder), source(nullptr, nullptr, 0),
        tokens(&source), parser(&tokens) {
    parser.removeErrorListeners();
    builder.setTokenStream(&tokens);
  }

  /// Parses tokens [b, e) with `build`; returns false if it had syntax errors.
  template <typename Fn>
  bool parse(const Token *b, const Token *e, uint32_t eofOffset, bool eofReported,
             Fn &&build) {
    auto *interp = parser.getInterpreter<antlr4::atn::ParserATNSimulator>();
    source = SliceTokenSource(b, e, eofOffset);
    tokens.setTokenSource(&source);
    parser.setTokenStream(&tokens);
    interp->setPredictionMode(antlr4::atn::PredictionMode::SLL);
    parser.setErrorHandler(bail);
    bool ok = true;
    try {
      build(parser);
    } catch (antlr4::ParseCancellationException &) {
      // Again with full LL prediction and our recovering strategy.
      parser.getTreeTracker().reset();
      tokens.seek(0);
      parser.reset();
      interp->setPredictionMode(antlr4::atn::PredictionMode::LL);
      parser.setErrorHandler(
          std::make_shared<InfraErrorStrategy>(diags, buf, eofReported));
      build(parser);
      ok = false;
    }
    parser.getTreeTracker().reset();
    return ok;
  }

private:
  DiagnosticEngine &diags;
  const char *buf;
  ASTBuilder &builder;
  SliceTokenSource source;
  antlr4::CommonTokenStream tokens;
  P parser;
  std::shared_ptr<antlr4::BailErrorStrategy> bail =
      std::make_shared<antlr4::BailErrorStrategy>();
};

} // namespace

ast::File *infrac::parseBuffer(unsigned bufferId, llvm::SourceMgr &sm,
                               ast::ASTContext &ctx, DiagnosticEngine &diags) {
  const llvm::MemoryBuffer *mb = sm.getMemoryBuffer(bufferId);
  llvm::StringRef text = mb->getBuffer();
  const char *buf = text.data();
  auto *file = ctx.create<ast::File>();
  file->path = ctx.save(mb->getBufferIdentifier());
  file->bufferId = bufferId;

  if (text.size() >= UINT32_MAX) {
    diags.report(DiagID::LEX006, llvm::SMRange());
    file->hasSyntaxErrors = true;
    return file;
  }

  unsigned errorsBefore = diags.getNumErrors();
  LexResult lexed = lex(text, &diags);
  bool lexErrors = diags.getNumErrors() != errorsBefore;

  // Unclosed brackets: one error at the end with a note at the opener.
  bool eofReported = false;
  if (!lexed.unclosed.empty() && !lexed.truncated) {
    const UnclosedBracket &u = lexed.unclosed.back();
    const char *at = buf + lexed.tokens.back().offset;
    llvm::SMRange end{llvm::SMLoc::getFromPointer(at), llvm::SMLoc::getFromPointer(at)};
    llvm::SMRange open{llvm::SMLoc::getFromPointer(buf + u.offset),
                       llvm::SMLoc::getFromPointer(buf + u.offset + 1)};
    if (u.kind == Tok::LBrace) {
      // Name the block: the identifier that starts the block's header.
      std::string name = "block";
      size_t i = 0;
      while (i < lexed.tokens.size() && lexed.tokens[i].offset < u.offset)
        ++i;
      size_t j = i;
      while (j > 0 && lexed.tokens[j - 1].kind == Tok::Ident)
        --j;
      if (j < i)
        name = std::string(buf + lexed.tokens[j].offset, lexed.tokens[i - 1].offset +
                                                              lexed.tokens[i - 1].length -
                                                              lexed.tokens[j].offset);
      diags.report(DiagID::SYN003, end, name).note(open, "block opened here")
          .fixit(end, "}");
    } else {
      llvm::StringRef closer = u.kind == Tok::LBrack ? "]" : ")";
      diags.report(DiagID::SYN004, end, fmt::format("'{}'", closer), "end of file")
          .note(open, "to match this '{}'", u.kind == Tok::LBrack ? "[" : "(");
    }
    eofReported = true;
  }
  if (lexed.truncated)
    eofReported = true; // Whatever is cut off is not the user's fault.

  std::vector<ast::Comment> comments;
  comments.reserve(lexed.comments.size());
  for (const LexedComment &c : lexed.comments) {
    const char *b = buf + c.offset;
    comments.push_back({llvm::StringRef(b + 1, c.length - 1),
                        {llvm::SMLoc::getFromPointer(b),
                         llvm::SMLoc::getFromPointer(b + c.length)}});
  }
  file->comments = ctx.copy<ast::Comment>(comments);

  std::vector<ast::Item *> items;
  ASTBuilder builder(ctx, diags, buf);
  ChunkParser chunkParser(diags, buf, builder);
  bool hadErrors = false;
  uint32_t eofOffset = lexed.tokens.back().offset;
  auto chunks = splitChunks(lexed.tokens);
  for (size_t ci = 0; ci < chunks.size() && !diags.shouldStop(); ++ci) {
    auto [b, e] = chunks[ci];
    // A chunk's EOF sits where the next chunk starts, for precise messages.
    uint32_t chunkEof = e < lexed.tokens.size() - 1 ? lexed.tokens[e].offset : eofOffset;
    bool lastChunk = ci + 1 == chunks.size();
    size_t before = items.size();
    hadErrors |= !chunkParser.parse(lexed.tokens.data() + b, lexed.tokens.data() + e,
                                    chunkEof, eofReported && lastChunk, [&](P &parser) {
                                      items.resize(before);
                                      builder.buildFile(parser.file(), items);
                                    });
  }
  file->items = ctx.copy<ast::Item *>(items);
  if (items.empty() && !hadErrors && !lexErrors && !eofReported) {
    llvm::SMLoc at = llvm::SMLoc::getFromPointer(buf);
    diags.report(DiagID::LEX007, llvm::SMRange(at, at),
                 text.empty() ? "the file is empty and" : "the file");
  }
  // Errors of the AST builder (an unknown unit, a number out of range) leave a
  // null value behind and do not stop Sema.
  file->hasSyntaxErrors = hadErrors || lexed.truncated || lexErrors || eofReported;
  return file;
}

ast::Expr *infrac::parseExpression(unsigned bufferId, llvm::SourceMgr &sm,
                                   ast::ASTContext &ctx, DiagnosticEngine &diags) {
  llvm::StringRef text = sm.getMemoryBuffer(bufferId)->getBuffer();
  unsigned errorsBefore = diags.getNumErrors();
  LexResult lexed = lex(text, &diags);
  if (lexed.truncated || !lexed.unclosed.empty() || diags.getNumErrors() != errorsBefore)
    return nullptr;
  ASTBuilder builder(ctx, diags, text.data());
  ChunkParser chunkParser(diags, text.data(), builder);
  ast::Expr *result = nullptr;
  bool ok = chunkParser.parse(
      lexed.tokens.data(), lexed.tokens.data() + lexed.tokens.size() - 1,
      lexed.tokens.back().offset, false,
      [&](P &parser) { result = builder.buildExprOnly(parser.exprOnly()); });
  return ok ? result : nullptr;
}

//===----------------------------------------------------------------------===//
// Loading files and imports
//===----------------------------------------------------------------------===//

namespace {

class Loader {
public:
  Loader(llvm::SourceMgr &sm, ast::ASTContext &ctx, DiagnosticEngine &diags)
      : sm(sm), ctx(ctx), diags(diags) {}

  /// Loads one file; `importedAt` is the import's path range (null for a root).
  llvm::Error load(llvm::StringRef path, const ast::Import *importedAt);

  ast::Program program;

private:
  static constexpr unsigned MaxImportDepth = 64;

  llvm::SourceMgr &sm;
  ast::ASTContext &ctx;
  DiagnosticEngine &diags;
  llvm::StringSet<> loaded;
  std::vector<std::pair<std::string, const ast::Import *>> stack;
};

llvm::Error Loader::load(llvm::StringRef path, const ast::Import *importedAt) {
  llvm::SmallString<256> real;
  std::string key = path.str();
  if (!llvm::sys::fs::real_path(path, real))
    key = std::string(real);

  for (size_t i = 0; i < stack.size(); ++i) {
    if (stack[i].first != key)
      continue;
    // import cycle: report at the import that closes it, note every step.
    auto d = diags.report(DiagID::IMP002, importedAt->getPathRange(),
                          llvm::sys::path::filename(path),
                          llvm::sys::path::filename(stack.back().first));
    for (size_t j = i + 1; j < stack.size(); ++j)
      d.note(stack[j].second->getPathRange(), "'{}' is imported here",
             llvm::sys::path::filename(stack[j].first));
    return llvm::Error::success();
  }
  if (loaded.count(key))
    return llvm::Error::success();

  auto bufOr = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (!bufOr) {
    if (!importedAt)
      return llvm::createStringError(bufOr.getError(), "cannot open '%s': %s",
                                     path.str().c_str(),
                                     bufOr.getError().message().c_str());
    diags.report(DiagID::IMP001, importedAt->getPathRange(),
                 importedAt->getPath(), bufOr.getError().message());
    return llvm::Error::success();
  }
  if (importedAt && stack.size() >= MaxImportDepth) {
    diags.report(DiagID::IMP001, importedAt->getPathRange(), importedAt->getPath(),
                 fmt::format("imports are nested more than {} deep", MaxImportDepth));
    return llvm::Error::success();
  }
  loaded.insert(key);
  unsigned id = sm.AddNewSourceBuffer(std::move(*bufOr), llvm::SMLoc());
  ast::File *file = parseBuffer(id, sm, ctx, diags);

  stack.emplace_back(key, importedAt);
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  for (ast::Item *item : file->items) {
    auto *imp = llvm::dyn_cast<ast::Import>(item);
    if (!imp || diags.shouldStop())
      continue;
    llvm::SmallString<256> target;
    if (llvm::sys::path::is_absolute(imp->getPath())) {
      target = imp->getPath();
    } else {
      target = dir;
      llvm::sys::path::append(target, imp->getPath());
    }
    if (llvm::Error e = load(target, imp))
      return e;
  }
  stack.pop_back();
  // Imported files come before their importer: what a file uses is declared
  // before it, and a redefinition is reported in the importing file.
  program.files.push_back(file);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<ast::Program> infrac::loadProgram(llvm::ArrayRef<std::string> paths,
                                                 llvm::SourceMgr &sm,
                                                 ast::ASTContext &ctx,
                                                 DiagnosticEngine &diags) {
  Loader loader(sm, ctx, diags);
  for (const std::string &p : paths)
    if (llvm::Error e = loader.load(p, nullptr))
      return e;
  return loader.program;
}

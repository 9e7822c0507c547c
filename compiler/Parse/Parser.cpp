//===- Parser.cpp - The parse stage ---------------------------------------===//
//
// The hand-written lexer feeds ANTLR's generated parser through a token stream
// of our own. The file is parsed in chunks, one per top-level block (a chunk
// ends at the '}' that returns to depth 0), so that ANTLR's parse tree only
// ever exists for one chunk: memory stays proportional to the AST, and an error
// in one block cannot derail the next.
//
// Two passes. The fast pass parses every chunk with SLL prediction and a
// bail-out strategy, into the AST, reporting nothing; on a large file its
// chunks are shared out among threads, each with its own parser and AST
// allocator. Then, in file order, each chunk's items are taken, or, for a
// chunk the fast pass gave up on, it is parsed again on this thread with full
// LL prediction, our recovering error strategy and its diagnostics: the
// result, and the order of the diagnostics, do not depend on the threads.
//
//===----------------------------------------------------------------------===//

#include "Parse/Parser.h"
#include "Parse/ASTBuilder.h"
#include "Parse/ChunkCache.h"
#include "Parse/Lexer.h"

#include "antlr4-runtime.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <optional>
#include <system_error>
#include <thread>
#include <unistd.h>

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

/// One of our tokens as ANTLR sees it: a kind and a span of the buffer, nothing
/// owned. ANTLR's CommonToken carries a std::string, a source pair and line
/// numbers, and CommonTokenStream allocates one per token as it fetches.
class InfraToken final : public antlr4::Token {
public:
  InfraToken(size_t type, uint32_t start, uint32_t length, uint32_t index, const char *buf,
             antlr4::TokenSource *source)
      : buf(buf), source(source), type(static_cast<uint32_t>(type)), start(start),
        length(length), index(index) {}

  std::string getText() const override {
    return type == EOF ? "<EOF>" : std::string(buf + start, length);
  }
  size_t getType() const override { return type == EOF ? antlr4::Token::EOF : type; }
  // Diagnostics locate by offset; ANTLR's own messages are never shown.
  size_t getLine() const override { return 0; }
  size_t getCharPositionInLine() const override { return 0; }
  size_t getChannel() const override { return antlr4::Token::DEFAULT_CHANNEL; }
  size_t getTokenIndex() const override { return index; }
  size_t getStartIndex() const override { return start; }
  size_t getStopIndex() const override {
    return static_cast<size_t>(start) + length - 1; // EOF: length 0, stop before start
  }
  antlr4::TokenSource *getTokenSource() const override { return source; }
  antlr4::CharStream *getInputStream() const override { return nullptr; }
  std::string toString() const override { return getText(); }

  static constexpr uint32_t EOF = UINT32_MAX;

private:
  const char *buf;
  antlr4::TokenSource *source;
  uint32_t type, start, length, index;
};

/// The token factory DefaultErrorStrategy asks for when it conjures a missing
/// token (through the stream's source); nothing is ever read from it.
class NoTokenSource final : public antlr4::TokenSource {
public:
  std::unique_ptr<antlr4::Token> nextToken() override {
    return antlr4::CommonTokenFactory::DEFAULT->create(antlr4::Token::EOF, "");
  }
  size_t getLine() const override { return 0; }
  size_t getCharPositionInLine() override { return 0; }
  antlr4::CharStream *getInputStream() override { return nullptr; }
  std::string getSourceName() override { return "infra"; }
  antlr4::TokenFactory<antlr4::CommonToken> *getTokenFactory() override {
    return antlr4::CommonTokenFactory::DEFAULT.get();
  }
};

/// A chunk of the lexed tokens, then EOF, as an ANTLR token stream. The lexer
/// made every token already, so the stream is an array: LA and LT index it,
/// consume increments, mark and release are free. (CommonTokenStream pulls
/// tokens one at a time from a TokenSource, allocates each, and checks
/// channels and its buffer on every LA; that was a quarter of the parse.)
/// Indices are the chunk's own, from 0.
class ChunkTokenStream final : public antlr4::TokenStream {
public:
  explicit ChunkTokenStream(const char *buf) : buf(buf) {}

  /// Serves tokens [b, e) with an EOF at `eofOffset`; rewinds.
  void reset(const Token *b, const Token *e, uint32_t eofOffset) {
    toks.clear();
    toks.reserve(static_cast<size_t>(e - b) + 1);
    for (const Token *t = b; t != e; ++t)
      toks.emplace_back(static_cast<size_t>(t->kind), t->offset, t->length,
                        static_cast<uint32_t>(t - b), buf, &source);
    toks.emplace_back(InfraToken::EOF, eofOffset, 0, static_cast<uint32_t>(e - b), buf,
                      &source);
    p = 0;
  }

  antlr4::Token *LT(ssize_t k) override {
    if (k == 0)
      return nullptr;
    if (k < 0)
      return static_cast<ssize_t>(p) + k < 0 ? nullptr : &toks[p + k];
    return &toks[std::min(p + static_cast<size_t>(k) - 1, toks.size() - 1)];
  }
  size_t LA(ssize_t i) override {
    antlr4::Token *t = LT(i);
    return t ? t->getType() : antlr4::Token::INVALID_TYPE;
  }
  void consume() override {
    if (p + 1 >= toks.size())
      throw antlr4::IllegalStateException("cannot consume EOF");
    ++p;
  }
  ssize_t mark() override { return 0; }
  void release(ssize_t) override {}
  size_t index() override { return p; }
  void seek(size_t index) override { p = std::min(index, toks.size() - 1); }
  size_t size() override { return toks.size(); }
  antlr4::Token *get(size_t index) const override {
    return const_cast<InfraToken *>(&toks[std::min(index, toks.size() - 1)]);
  }
  antlr4::TokenSource *getTokenSource() const override {
    return const_cast<NoTokenSource *>(&source);
  }
  std::string getSourceName() const override { return "infra"; }
  std::string getText(const antlr4::misc::Interval &iv) override {
    if (iv.a < 0 || iv.b < iv.a || toks.empty())
      return {};
    const antlr4::Token *first = get(static_cast<size_t>(iv.a));
    const antlr4::Token *last = get(static_cast<size_t>(iv.b));
    if (last->getType() == antlr4::Token::EOF || last->getStopIndex() < first->getStartIndex())
      return first->getType() == antlr4::Token::EOF ? "" : first->getText();
    return std::string(buf + first->getStartIndex(),
                       last->getStopIndex() + 1 - first->getStartIndex());
  }
  std::string getText() override {
    return getText(antlr4::misc::Interval(0, static_cast<ssize_t>(toks.size()) - 1));
  }
  std::string getText(antlr4::RuleContext *ctx) override {
    return getText(ctx->getSourceInterval());
  }
  std::string getText(antlr4::Token *start, antlr4::Token *stop) override {
    if (!start || !stop)
      return {};
    return getText(antlr4::misc::Interval(start->getTokenIndex(), stop->getTokenIndex()));
  }

private:
  const char *buf;
  NoTokenSource source;
  std::vector<InfraToken> toks;
  size_t p = 0;
};

/// The generated parser without two of the runtime's three dynamic_casts per
/// rule: Parser::enterRule, exitRule and enterOuterAlt dynamic_cast the parent
/// context to ParserRuleContext, which with GCC compares type names level by
/// level up the context hierarchy (about 300 instructions a cast, a fifth of
/// the parse). Here every parent is a ParserRuleContext and there are no parse
/// listeners and no left recursion, so a static_cast is exact; otherwise these
/// do what the runtime's do. (exitRule is not virtual in ANTLR 4.9.)
///
/// Each instance also predicts with its own DFA cache instead of the generated
/// parser's static one, so that parsers on different threads share nothing
/// mutable: only the ATN, which prediction reads.
class InfraParser final : public P {
public:
  explicit InfraParser(antlr4::TokenStream *input) : P(input) {
    const antlr4::atn::ATN &atn = getATN();
    dfas.reserve(atn.getNumberOfDecisions());
    for (size_t i = 0; i < atn.getNumberOfDecisions(); ++i)
      dfas.emplace_back(atn.getDecisionState(i), i);
    delete _interpreter;
    _interpreter = new antlr4::atn::ParserATNSimulator(this, atn, dfas, contextCache);
  }
  ~InfraParser() override {
    delete _interpreter; // Before the DFAs it refers to.
    _interpreter = nullptr;
  }

  void enterRule(antlr4::ParserRuleContext *localctx, size_t state, size_t) override {
    setState(state);
    _ctx = localctx;
    _ctx->start = _input->LT(1);
    // Most contexts have 1 to 4 children (`port = 80` has 3): one allocation
    // instead of growing 1, 2, 4.
    _ctx->children.reserve(4);
    if (_buildParseTrees && _ctx->parent)
      static_cast<antlr4::ParserRuleContext *>(_ctx->parent)->addChild(_ctx);
  }

  void enterOuterAlt(antlr4::ParserRuleContext *localctx, size_t altNum) override {
    localctx->setAltNumber(altNum);
    // A labelled alternative replaces the rule's generic context in the tree.
    if (_buildParseTrees && _ctx != localctx && _ctx->parent) {
      auto *parent = static_cast<antlr4::ParserRuleContext *>(_ctx->parent);
      parent->removeLastChild();
      parent->addChild(localctx);
    }
    _ctx = localctx;
  }

private:
  std::vector<antlr4::dfa::DFA> dfas;
  antlr4::atn::PredictionContextCache contextCache;
};

/// The fast pass gives up at the first syntax error; ANTLR's reporting (which
/// formats messages for listeners we do not have, and fills the ATN's
/// follow-set caches) is skipped.
class QuietBailStrategy final : public antlr4::BailErrorStrategy {
  void reportError(antlr4::Parser *, const antlr4::RecognitionException &) override {}
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
    if (reportNamedItem(p, t))
      return;
    report(DiagID::SYN002, t, describeFound(t),
           describeExpected(p, p->getExpectedTokens()));
  }
  void reportInputMismatch(antlr4::Parser *p,
                           const antlr4::InputMismatchException &e) override {
    antlr4::Token *t = e.getOffendingToken();
    if (reportNamedItem(p, t))
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
    if (reportNamedItem(p, t))
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
  /// An item that starts with a name needs '=' (an attribute) or labels and
  /// '{' (a block) after it; `t` came instead. `cidr "10.0.0.0/16"` lacks the
  /// '='; `port 8080 }` is the header of a block that never opens, or an
  /// attribute without '=': say both readings. False if the error is not there
  /// (the '=' or the '{' was matched: it is inside the value or the body).
  /// A second error in a header already explained is its echo: dropped.
  bool reportNamedItem(antlr4::Parser *p, antlr4::Token *t) {
    antlr4::ParserRuleContext *ctx = p->getContext();
    if (!ctx || (ctx->getRuleIndex() != P::RuleTopItem && ctx->getRuleIndex() != P::RuleBodyItem))
      return false;
    antlr4::Token *kw = ctx->getStart();
    if (!kw || kw->getType() != P::IDENT || ctx->children.empty())
      return false;
    antlr4::Token *last = kw; // The header's last token: the name or a label.
    for (size_t i = 1; i < ctx->children.size(); ++i) {
      auto *leaf = dynamic_cast<antlr4::tree::TerminalNode *>(ctx->children[i]);
      if (!leaf)
        return false;
      antlr4::Token *tok = leaf->getSymbol();
      if (tok->getType() == P::LBRACE || tok->getType() == P::ASSIGN)
        return false;
      last = tok;
    }
    if (ctx == lastHeaderError)
      return true;
    if (last->getStartIndex() == INVALID_INDEX)
      return false;
    lastHeaderError = ctx;
    size_t k = t ? t->getType() : antlr4::Token::EOF;
    bool startsValue = k == P::STRING || k == P::LBRACK || k == P::TRUE || k == P::FALSE ||
                       k == P::MINUS || k == P::LPAREN;
    if (last == kw && startsValue) {
      const char *at = buf + kw->getStopIndex() + 1;
      llvm::SMRange r{llvm::SMLoc::getFromPointer(at), llvm::SMLoc::getFromPointer(at)};
      ++numErrors;
      diags.report(DiagID::SYN004, r, "'='",
                   fmt::format("{} after {}", describeFound(t), describeFound(kw)))
          .fixit(r, " =");
      return true;
    }
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
    if (has(P::RBRACE) && has(P::IDENT) && has(P::EXPECT))
      return "an attribute, a nested block or '}'";
    if (has(P::IMPORT) && has(P::PARAM) && has(P::LET))
      return "a block, 'import', 'param' or 'let'";
    if (has(P::STRING) && has(P::NUMBER) && has(P::LBRACK))
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
    // A ';' between top-level items says nothing: it never reaches ANTLR,
    // whose parse tree costs a few hundred bytes an item (a 10 MB line of
    // ';' took 2.6 GB as one chunk).
    if (open.empty() && k == Tok::Semi) {
      if (i > start)
        chunks.emplace_back(start, i);
      start = i + 1;
      continue;
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
      : diags(diags), buf(buf), tokens(buf), parser(&tokens) {
    parser.removeErrorListeners();
    builder.setTokenStream(&tokens);
  }

  /// Parses tokens [b, e) with `build` in SLL mode, giving up at the first
  /// syntax error (false); reports nothing.
  template <typename Fn>
  bool parseFast(const Token *b, const Token *e, uint32_t eofOffset, Fn &&build) {
    start(b, e, eofOffset);
    bool ok = true;
    try {
      build(parser);
    } catch (antlr4::ParseCancellationException &) {
      ok = false;
    }
    parser.getTreeTracker().reset();
    return ok;
  }

  /// Parses tokens [b, e) with `build`; returns false if it had syntax errors
  /// (reported, and the tree built from what recovery kept). SLL first,
  /// unless the chunk is known to have a syntax error.
  template <typename Fn>
  bool parse(const Token *b, const Token *e, uint32_t eofOffset, bool eofReported,
             bool knownSyntaxError, Fn &&build) {
    start(b, e, eofOffset);
    if (!knownSyntaxError) {
      try {
        build(parser);
        parser.getTreeTracker().reset();
        return true;
      } catch (antlr4::ParseCancellationException &) {
        parser.getTreeTracker().reset();
        tokens.seek(0);
        parser.reset();
      }
    }
    // Full LL prediction and our recovering strategy.
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::LL);
    parser.setErrorHandler(std::make_shared<InfraErrorStrategy>(diags, buf, eofReported));
    build(parser);
    parser.getTreeTracker().reset();
    return false;
  }

private:
  void start(const Token *b, const Token *e, uint32_t eofOffset) {
    tokens.reset(b, e, eofOffset);
    parser.setTokenStream(&tokens);
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::SLL);
    parser.setErrorHandler(bail);
  }

  DiagnosticEngine &diags;
  const char *buf;
  ChunkTokenStream tokens;
  InfraParser parser;
  std::shared_ptr<QuietBailStrategy> bail = std::make_shared<QuietBailStrategy>();
};

/// Files of fewer tokens are parsed on one thread; a thread less than this
/// many tokens to parse does not pay for itself. (The 500-fragment build
/// benchmark file has 178,000 tokens; a chunk is typically 20 to 80.)
constexpr size_t MinTokensPerThread = 16 * 1024;
constexpr unsigned MaxParseThreads = 8;
/// Chunks a thread takes at a time from the shared counter.
constexpr size_t ChunksPerGrab = 32;

/// What the fast pass made of one chunk: its items are
/// passes[pass]->items[begin, end), unless it has to be parsed again.
struct FastChunk {
  bool ok = false;
  bool syntaxError = false; ///< Not ok because SLL parsing failed.
  unsigned pass = 0;
  size_t begin = 0, end = 0;
};

/// One thread's share of the fast pass: its own parser, AST allocator and
/// throw-away diagnostics (a chunk whose AST builder reports anything is
/// parsed again in order, reporting for real).
struct FastPass {
  FastPass(llvm::SourceMgr &sm, const char *buf)
      : buf(buf), scratch(sm), builder(ctx, scratch, buf), parser(scratch, buf, builder) {}

  /// Takes the chunk from the previous parse when it is there; false if not.
  bool reuse(const CachedFile &old, const Token *all, std::pair<size_t, size_t> chunk,
             uint32_t eofOffset, unsigned pass, FastChunk &out) {
    const char *start = buf + all[chunk.first].offset;
    llvm::StringRef key(start, eofOffset - all[chunk.first].offset);
    auto it = old.byText.find(key);
    if (it == old.byText.end())
      return false;
    size_t before = items.size();
    if (!copyCachedChunk(old, old.chunks[it->second], start, all + chunk.first,
                         all + chunk.second, key.size(), ctx, items))
      return false;
    out.ok = true;
    out.pass = pass;
    out.begin = before;
    out.end = items.size();
    return true;
  }

  void parse(const Token *all, std::pair<size_t, size_t> chunk, uint32_t eofOffset,
             unsigned pass, FastChunk &out) {
    size_t before = items.size();
    size_t diagsBefore = scratch.getDiagnostics().size();
    bool ok = parser.parseFast(all + chunk.first, all + chunk.second, eofOffset,
                               [&](P &p) { builder.buildFile(p.file(), items); });
    if (!ok || scratch.getDiagnostics().size() != diagsBefore) {
      items.resize(before);
      out.syntaxError = !ok;
      return;
    }
    out.ok = true;
    out.pass = pass;
    out.begin = before;
    out.end = items.size();
  }

  const char *buf;
  ast::ASTContext ctx;
  DiagnosticEngine scratch;
  ASTBuilder builder;
  ChunkParser parser;
  std::vector<ast::Item *> items;
};

} // namespace

ast::File *infrac::parseBuffer(unsigned bufferId, llvm::SourceMgr &sm,
                               ast::ASTContext &ctx, DiagnosticEngine &diags,
                               const ParseOptions &opts) {
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

  uint32_t eofOffset = lexed.tokens.back().offset;
  auto chunks = splitChunks(lexed.tokens);
  // A chunk's EOF sits where the next chunk starts, for precise messages.
  auto chunkEof = [&](size_t e) {
    return e < lexed.tokens.size() - 1 ? lexed.tokens[e].offset : eofOffset;
  };

  // 1. The fast pass, on several threads for a large file: every chunk parsed
  //    in SLL mode into its thread's AST, giving up on a chunk at its first
  //    syntax error or diagnostic.
  unsigned threads = opts.threads ? opts.threads : std::thread::hardware_concurrency();
  threads = std::max(1u, std::min({threads, MaxParseThreads,
                                   static_cast<unsigned>(lexed.tokens.size() /
                                                         MinTokensPerThread)}));
  std::vector<FastChunk> fast(chunks.size());
  std::vector<std::unique_ptr<FastPass>> passes;
  for (unsigned t = 0; t < threads; ++t)
    passes.push_back(std::make_unique<FastPass>(sm, buf));
  // The previous parse of this file, whose clean chunks are copied rather
  // than parsed where the text is the same.
  const CachedFile *old = nullptr;
  if (opts.reuse) {
    auto it = opts.reuse->get().files.find(file->path);
    if (it != opts.reuse->get().files.end())
      old = &it->second;
  }
  std::atomic<size_t> nextChunk{0};
  auto work = [&](unsigned t) {
    FastPass &pass = *passes[t];
    try {
      for (;;) {
        size_t first = nextChunk.fetch_add(ChunksPerGrab, std::memory_order_relaxed);
        if (first >= chunks.size())
          return;
        for (size_t ci = first; ci < std::min(first + ChunksPerGrab, chunks.size()); ++ci) {
          uint32_t eof = chunkEof(chunks[ci].second);
          if (!old || !pass.reuse(*old, lexed.tokens.data(), chunks[ci], eof, t, fast[ci]))
            pass.parse(lexed.tokens.data(), chunks[ci], eof, t, fast[ci]);
        }
      }
    } catch (...) {
      // Out of memory, say: the chunks it did not finish are parsed again below.
    }
  };
  std::vector<std::thread> workers;
  try {
    for (unsigned t = 1; t < threads; ++t)
      workers.emplace_back(work, t);
  } catch (const std::system_error &) {
    // No more threads to be had: those running and this one share the chunks.
  }
  work(0);
  for (std::thread &w : workers)
    w.join();

  // 2. In file order: the fast pass's items, or the chunk parsed again with
  //    our recovering strategy and its diagnostics reported (a syntax error), or
  //    again in SLL with the builder's diagnostics reported (a number out of
  //    range, an unknown unit; or a thread that failed).
  std::vector<ast::Item *> items;
  ASTBuilder builder(ctx, diags, buf);
  std::optional<ChunkParser> chunkParser;
  bool hadErrors = false;
  // The clean chunks, for the next parse of this file.
  CachedFile next;
  for (size_t ci = 0; ci < chunks.size() && !diags.shouldStop(); ++ci) {
    const FastChunk &f = fast[ci];
    if (f.ok) {
      const std::vector<ast::Item *> &made = passes[f.pass]->items;
      if (opts.record) {
        auto [b, e] = chunks[ci];
        llvm::StringRef key(buf + lexed.tokens[b].offset,
                            chunkEof(e) - lexed.tokens[b].offset);
        next.byText.try_emplace(key, static_cast<unsigned>(next.chunks.size()));
        next.chunks.push_back({static_cast<uint32_t>(b), static_cast<uint32_t>(e),
                               static_cast<uint32_t>(items.size()),
                               static_cast<uint32_t>(items.size() + f.end - f.begin)});
      }
      items.insert(items.end(), made.begin() + f.begin, made.begin() + f.end);
      continue;
    }
    if (!chunkParser)
      chunkParser.emplace(diags, buf, builder);
    auto [b, e] = chunks[ci];
    bool lastChunk = ci + 1 == chunks.size();
    size_t before = items.size();
    hadErrors |= !chunkParser->parse(lexed.tokens.data() + b, lexed.tokens.data() + e,
                                     chunkEof(e), eofReported && lastChunk, f.syntaxError,
                                     [&](P &parser) {
                                       items.resize(before);
                                       builder.buildFile(parser.file(), items);
                                     });
  }
  file->items = ctx.copy<ast::Item *>(items);
  for (std::unique_ptr<FastPass> &pass : passes)
    ctx.adopt(std::move(pass->ctx)); // The items live in its allocator.
  if (items.empty() && !hadErrors && !lexErrors && !eofReported) {
    llvm::SMLoc at = llvm::SMLoc::getFromPointer(buf);
    diags.report(DiagID::LEX007, llvm::SMRange(at, at),
                 text.empty() ? "the file is empty and" : "the file");
  }
  // Errors of the AST builder (an unknown unit, a number out of range) leave a
  // null value behind and do not stop Sema.
  file->hasSyntaxErrors = hadErrors || lexed.truncated || lexErrors || eofReported;
  if (opts.record) {
    next.text = text;
    next.tokens = std::move(lexed.tokens);
    next.items = std::move(items);
    opts.record->get().files[file->path] = std::move(next);
  }
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
      lexed.tokens.back().offset, false, /*knownSyntaxError=*/false,
      [&](P &parser) { result = builder.buildExprOnly(parser.exprOnly()); });
  return ok ? result : nullptr;
}

//===----------------------------------------------------------------------===//
// Loading files and imports
//===----------------------------------------------------------------------===//

namespace {

/// Reads a file named on the command line or in an import ('-' is standard
/// input). Only regular files: a device or a FIFO (/dev/zero, a named pipe)
/// could be read forever. At most MaxInputBytes, so that every offset fits
/// a token's 32 bits and memory stays bounded. On failure, `why` says why.
std::unique_ptr<llvm::MemoryBuffer> readInput(llvm::StringRef path, std::string &why) {
  auto tooLarge = [&] {
    why = fmt::format("the file is larger than the limit of {} MiB", MaxInputBytes >> 20);
    return nullptr;
  };
  if (path == "-") {
    // Standard input may be a pipe: read it in pieces, stopping past the cap.
    llvm::SmallString<65536> data;
    char chunk[65536];
    for (;;) {
      ssize_t n = ::read(0, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        why = std::error_code(errno, std::generic_category()).message();
        return nullptr;
      }
      if (n == 0)
        break;
      if (data.size() + static_cast<size_t>(n) > MaxInputBytes)
        return tooLarge();
      data.append(chunk, chunk + n);
    }
    return llvm::MemoryBuffer::getMemBufferCopy(data, "<stdin>");
  }
  // Looked at before it is opened: opening a FIFO blocks until a writer comes.
  llvm::sys::fs::file_status st;
  if (std::error_code ec = llvm::sys::fs::status(path, st)) {
    why = ec.message();
    return nullptr;
  }
  if (st.type() == llvm::sys::fs::file_type::directory_file) {
    why = "it is a directory";
    return nullptr;
  }
  if (st.type() != llvm::sys::fs::file_type::regular_file) {
    why = "not a regular file (a device, a FIFO or a socket cannot be read as .infra)";
    return nullptr;
  }
  if (st.getSize() > MaxInputBytes)
    return tooLarge();
  int fd;
  if (std::error_code ec = llvm::sys::fs::openFileForRead(path, fd)) {
    why = ec.message();
    return nullptr;
  }
  auto closeFd = llvm::make_scope_exit([fd] { ::close(fd); });
  if (std::error_code ec = llvm::sys::fs::status(fd, st)) {
    why = ec.message();
    return nullptr;
  }
  if (st.type() != llvm::sys::fs::file_type::regular_file || st.getSize() > MaxInputBytes) {
    why = "the file changed while it was opened";
    return nullptr;
  }
  auto bufOr = llvm::MemoryBuffer::getOpenFile(fd, path, st.getSize(),
                                               /*RequiresNullTerminator=*/true);
  if (!bufOr) {
    why = bufOr.getError().message();
    return nullptr;
  }
  return std::move(*bufOr);
}

class Loader {
public:
  Loader(llvm::SourceMgr &sm, ast::ASTContext &ctx, DiagnosticEngine &diags,
         const ParseOptions &opts)
      : sm(sm), ctx(ctx), diags(diags), opts(opts) {}

  /// Loads one file; `importedAt` is the import's path range (null for a root).
  llvm::Error load(llvm::StringRef path, const ast::Import *importedAt);

  ast::Program program;

private:
  static constexpr unsigned MaxImportDepth = 64;

  llvm::SourceMgr &sm;
  ast::ASTContext &ctx;
  DiagnosticEngine &diags;
  const ParseOptions &opts;
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

  // The editor's unsaved text when the language server gives it, else the
  // file (a regular file, under the size cap).
  std::string why;
  std::unique_ptr<llvm::MemoryBuffer> bufOr;
  if (opts.readFile) {
    auto r = opts.readFile(path);
    if (r)
      bufOr = std::move(*r);
    else
      why = r.getError().message();
  } else {
    bufOr = readInput(path, why);
  }
  if (!bufOr) {
    if (!importedAt)
      return llvm::createStringError(std::make_error_code(std::errc::invalid_argument),
                                     "cannot open '%s': %s", path.str().c_str(), why.c_str());
    diags.report(DiagID::IMP001, importedAt->getPathRange(), importedAt->getPath(), why);
    return llvm::Error::success();
  }
  if (importedAt && stack.size() >= MaxImportDepth) {
    diags.report(DiagID::IMP001, importedAt->getPathRange(), importedAt->getPath(),
                 fmt::format("imports are nested more than {} deep", MaxImportDepth));
    return llvm::Error::success();
  }
  loaded.insert(key);
  unsigned id = sm.AddNewSourceBuffer(std::move(bufOr), llvm::SMLoc());
  ast::File *file = parseBuffer(id, sm, ctx, diags, opts);

  stack.emplace_back(key, importedAt);
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  for (ast::Item *item : file->items) {
    auto *imp = llvm::dyn_cast<ast::Import>(item);
    if (!imp || diags.shouldStop())
      continue;
    if (imp->getPath().contains('\0')) {
      // The system would cut the path at the NUL and open another file.
      std::string shown;
      for (char c : imp->getPath())
        shown += c ? std::string(1, c) : std::string("\\0");
      diags.report(DiagID::IMP001, imp->getPathRange(), shown,
                   "a path cannot contain a NUL character");
      continue;
    }
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
                                                 DiagnosticEngine &diags,
                                                 const ParseOptions &opts) {
  Loader loader(sm, ctx, diags, opts);
  for (const std::string &p : paths)
    if (llvm::Error e = loader.load(p, nullptr))
      return e;
  return loader.program;
}

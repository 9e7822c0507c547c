//===- Format.cpp - The canonical layout of .infra files ------------------===//
//
// The formatter walks the AST for structure and prints every leaf (names,
// strings, numbers, quantities) as its source text, so the token stream is
// kept up to separators (`;`, `,`) and redundant parentheses. Comments are
// taken in source order as the walk passes them: before an item or element
// on their own line, after it on its line. Whether a construct is laid out
// on one line or several is read from the source, which is what makes the
// output a fixed point.
//
//===----------------------------------------------------------------------===//

#include "Format/Format.h"
#include "Parse/Lexer.h"
#include "Parse/Parser.h"

#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <functional>

using namespace infrac;
using namespace infrac::ast;

namespace {

class Formatter {
public:
  Formatter(const File &file, StringRef src)
      : file(file), src(src), lexed(lex(src, nullptr)), comments(file.comments) {}

  std::string run() {
    emitLines(itemElements(file.items), src.begin(), src.end(), "", /*join=*/true);
    assert(nextComment == comments.size() && "a comment was not printed");
    // One final newline, none when there is nothing.
    while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
      out.pop_back();
    if (!out.empty())
      out += '\n';
    return std::move(out);
  }

private:
  const File &file;
  StringRef src;
  LexResult lexed;
  ArrayRef<Comment> comments;
  size_t nextComment = 0;
  std::string out;
  unsigned indent = 0;
  bool atLineStart = true;

  //===--------------------------------------------------------------------===//
  // Source positions
  //===--------------------------------------------------------------------===//

  static const char *ptr(llvm::SMLoc l) { return l.getPointer(); }
  uint32_t offsetOf(const char *p) const { return static_cast<uint32_t>(p - src.begin()); }

  static bool hasNewline(const char *a, const char *b) {
    return b > a && std::memchr(a, '\n', b - a) != nullptr;
  }
  /// A blank line between a and b: two line breaks with only space between.
  static bool blankBetween(const char *a, const char *b) {
    unsigned n = 0;
    for (const char *p = a; p < b; ++p)
      if (*p == '\n' && ++n == 2)
        return true;
    return false;
  }

  /// The index of the token that starts at `p` (or the first after it).
  size_t tokenAt(const char *p) const {
    uint32_t off = offsetOf(p);
    auto it = std::lower_bound(lexed.tokens.begin(), lexed.tokens.end(), off,
                               [](const Token &t, uint32_t o) { return t.offset < o; });
    return static_cast<size_t>(it - lexed.tokens.begin());
  }
  const char *tokStart(size_t i) const { return src.begin() + lexed.tokens[i].offset; }
  const char *tokEnd(size_t i) const {
    return src.begin() + lexed.tokens[i].offset + lexed.tokens[i].length;
  }
  StringRef text(const char *b, const char *e) const { return StringRef(b, e - b); }

  /// The ')' that closes the '(' token at index i.
  size_t matchingParen(size_t i) const {
    unsigned depth = 0;
    for (size_t j = i; j < lexed.tokens.size(); ++j) {
      Tok k = lexed.tokens[j].kind;
      if (k == Tok::LParen)
        ++depth;
      else if (k == Tok::RParen && --depth == 0)
        return j;
    }
    return lexed.tokens.size();
  }

  /// An expression's range without the parentheses around it, and how many
  /// pairs there were (the AST keeps the outermost pair in the range).
  struct Core {
    const char *begin, *end;
    bool parenthesized;
  };
  Core core(const Expr *e) const {
    const char *b = ptr(e->getRange().Start), *en = ptr(e->getRange().End);
    bool parens = false;
    while (b < en && *b == '(') {
      size_t i = tokenAt(b);
      size_t j = matchingParen(i);
      if (j >= lexed.tokens.size() || tokEnd(j) != en || j <= i + 1)
        break;
      b = tokStart(i + 1);
      en = tokEnd(j - 1);
      parens = true;
    }
    return {b, en, parens};
  }

  //===--------------------------------------------------------------------===//
  // Output
  //===--------------------------------------------------------------------===//

  void write(StringRef s) {
    if (atLineStart) {
      out.append(2 * indent, ' ');
      atLineStart = false;
    }
    out.append(s.data(), s.size());
  }
  void endLine() {
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    out += '\n';
    atLineStart = true;
  }
  void blankLine() {
    if (!atLineStart)
      endLine();
    if (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n')
      return;
    if (out.empty())
      return;
    out += '\n';
  }
  void writeComment(const Comment &c) {
    write("#");
    write(c.text.rtrim(" \t\r"));
  }

  /// Own-line comments before `limit`, each on its line. `last` is the end of
  /// what was printed last in this sequence; blank lines before a comment are
  /// kept (one) when `any` says something was printed before it.
  void flushOwnLine(const char *limit, const char *&last, bool &any, bool keepBlank) {
    while (nextComment < comments.size() && ptr(comments[nextComment].range.Start) < limit) {
      const Comment &c = comments[nextComment++];
      if (!atLineStart)
        endLine();
      if (any && keepBlank && blankBetween(last, ptr(c.range.Start)))
        blankLine();
      writeComment(c);
      endLine();
      last = ptr(c.range.End);
      any = true;
    }
  }

  /// The comments left inside what was just printed (at places no line break
  /// could go) and the one on its last line, before `limit`. The first goes at
  /// the end of the current line, the others on lines of their own.
  const char *flushTrailing(const char *end, const char *limit) {
    const char *last = end;
    while (nextComment < comments.size()) {
      const Comment &c = comments[nextComment];
      const char *s = ptr(c.range.Start);
      if (s >= limit || (s >= end && hasNewline(end, s)))
        break;
      ++nextComment;
      if (atLineStart) {
        writeComment(c);
      } else {
        write("  ");
        writeComment(c);
      }
      endLine();
      last = ptr(c.range.End);
    }
    return last;
  }

  //===--------------------------------------------------------------------===//
  // Sequences: block bodies, list elements, map entries, call arguments
  //===--------------------------------------------------------------------===//

  struct Element {
    const char *begin, *end;
    std::function<void()> print;
  };

  /// Prints elements one per line between `open` (just after the opening
  /// bracket, or the start of the file) and `close` (the closing bracket or
  /// the end of the file). `separator` follows each element (`,` for lists).
  /// With `join`, elements the source wrote on one line stay on one line.
  void emitLines(llvm::ArrayRef<Element> elems, const char *open, const char *close,
                 StringRef separator, bool join) {
    const char *last = open;
    bool any = false;
    bool joined = false;
    for (size_t i = 0; i < elems.size(); ++i) {
      const Element &el = elems[i];
      if (!joined) {
        flushOwnLine(el.begin, last, any, /*keepBlank=*/true);
        if (any && blankBetween(last, el.begin))
          blankLine();
      }
      el.print();
      write(separator);
      last = el.end;
      any = true;
      const char *nextBegin = i + 1 < elems.size() ? elems[i + 1].begin : close;
      joined = join && i + 1 < elems.size() && !hasNewline(el.begin, el.end) &&
               !hasNewline(el.end, nextBegin) &&
               !hasNewline(elems[i + 1].begin, elems[i + 1].end) &&
               !commentBefore(nextBegin);
      if (joined) {
        write("; ");
        continue;
      }
      last = flushTrailing(el.end, nextBegin);
      if (!atLineStart)
        endLine();
    }
    flushOwnLine(close, last, any, /*keepBlank=*/true);
  }

  /// True if the next comment to print starts before `p`.
  bool commentBefore(const char *p) const {
    return nextComment < comments.size() && ptr(comments[nextComment].range.Start) < p;
  }

  /// `{ ... }`, `[ ... ]`, `( ... )` holding `elems`: on one line when the
  /// source has it on one line, else one element per line, indented.
  void emitBracketed(llvm::ArrayRef<Element> elems, const char *openTok, const char *closeTok,
                     StringRef openText, StringRef closeText, StringRef inlineSep,
                     StringRef lineSep, bool padInline, bool join) {
    const char *open = openTok + 1;
    // Empty, unless a comment is inside (one before the bracket is left for
    // the end of the line).
    bool commentInside = false;
    for (size_t i = nextComment; i < comments.size() && ptr(comments[i].range.Start) < closeTok; ++i)
      commentInside |= ptr(comments[i].range.Start) > openTok;
    if (elems.empty() && !commentInside) {
      write(openText);
      write(closeText);
      return;
    }
    if (!hasNewline(openTok, closeTok)) {
      write(openText);
      if (padInline)
        write(" ");
      for (size_t i = 0; i < elems.size(); ++i) {
        if (i)
          write(inlineSep);
        elems[i].print();
      }
      if (padInline)
        write(" ");
      write(closeText);
      return;
    }
    write(openText);
    const char *first = elems.empty() ? closeTok : elems.front().begin;
    // A comment on the line of the opening bracket stays there, and so does
    // the first of those left before it (`kind # note` + newline + `name {`);
    // the others go inside, on lines of their own.
    if (nextComment < comments.size()) {
      const char *s = ptr(comments[nextComment].range.Start);
      if (s < first && (s < open || !hasNewline(open, s))) {
        write("  ");
        writeComment(comments[nextComment++]);
      }
    }
    if (!atLineStart)
      endLine();
    ++indent;
    emitLines(elems, open, closeTok, lineSep, join);
    --indent;
    write(closeText);
  }

  //===--------------------------------------------------------------------===//
  // Items
  //===--------------------------------------------------------------------===//

  std::vector<Element> itemElements(ArrayRef<Item *> items) {
    std::vector<Element> elems;
    for (const Item *it : items)
      elems.push_back({ptr(it->getRange().Start), ptr(it->getRange().End),
                       [this, it] { emitItem(it); }});
    return elems;
  }

  /// `{ items }` of a block or an object; `lbrace` and `rbrace` point at the
  /// braces.
  void emitBraces(ArrayRef<Item *> body, const char *lbrace, const char *rbrace) {
    write(" ");
    emitBracketed(itemElements(body), lbrace, rbrace, "{", "}", "; ", "", /*padInline=*/true,
                  /*join=*/true);
  }

  void emitItem(const Item *it) {
    switch (it->getKind()) {
    case Item::Kind::Attribute: {
      auto *a = llvm::cast<Attribute>(it);
      write(a->getKey().name);
      write(" = ");
      emitExpr(a->getValue());
      return;
    }
    case Item::Kind::Block: {
      auto *b = llvm::cast<Block>(it);
      write(b->getKindName().name);
      for (const Label &l : b->getLabels()) {
        write(" ");
        if (l.value)
          emitExpr(l.value);
        else
          write(text(ptr(l.range.Start), ptr(l.range.End)));
      }
      const char *lbrace = ptr(b->getOpenBrace().Start);
      const char *rbrace = ptr(b->getRange().End) - 1;
      assert(*lbrace == '{' && *rbrace == '}' && "a block's braces");
      emitBraces(b->getBody(), lbrace, rbrace);
      return;
    }
    case Item::Kind::Expect: {
      auto *x = llvm::cast<Expect>(it);
      write("expect ");
      emitExpr(x->getCondition());
      if (x->getWithin()) {
        write(" within ");
        emitExpr(x->getWithin());
      }
      if (x->getAfter()) {
        write(" after ");
        emitExpr(x->getAfter());
      }
      return;
    }
    case Item::Kind::Import: {
      size_t i = tokenAt(ptr(it->getRange().Start));
      assert(lexed.tokens[i].kind == Tok::KwImport && lexed.tokens[i + 1].kind == Tok::String);
      write("import ");
      write(text(tokStart(i + 1), tokEnd(i + 1)));
      return;
    }
    case Item::Kind::Param: {
      auto *p = llvm::cast<Param>(it);
      write("param ");
      write(p->getName().name);
      write(" = ");
      emitExpr(p->getValue());
      return;
    }
    case Item::Kind::Let: {
      auto *l = llvm::cast<Let>(it);
      write("let ");
      write(l->getName().name);
      write(" = ");
      emitExpr(l->getValue());
      return;
    }
    }
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  void emitExpr(const Expr *e) {
    assert(e && "no expression in a file without syntax errors");
    Core c = core(e);
    if (c.parenthesized)
      write("(");
    emitCore(e, c);
    if (c.parenthesized)
      write(")");
  }

  void emitCore(const Expr *e, const Core &c) {
    switch (e->getKind()) {
    case Expr::Kind::String:
    case Expr::Kind::Number:
    case Expr::Kind::Quantity:
    case Expr::Kind::Bool:
      write(text(c.begin, c.end));
      return;
    case Expr::Kind::Ref: {
      bool first = true;
      for (const RefSegment &s : llvm::cast<RefExpr>(e)->getSegments()) {
        if (s.isIndex()) {
          write("[");
          emitExpr(s.index);
          write("]");
        } else {
          if (!first)
            write(".");
          write(s.name.name);
        }
        first = false;
      }
      return;
    }
    case Expr::Kind::Call: {
      auto *call = llvm::cast<CallExpr>(e);
      write(call->getCallee().name);
      size_t lp = tokenAt(ptr(call->getCallee().range.End));
      assert(lexed.tokens[lp].kind == Tok::LParen);
      std::vector<Element> elems;
      for (const Argument &a : call->getArgs()) {
        const Argument *arg = &a;
        const char *b = ptr(a.range.Start), *en = ptr(a.range.End);
        if (!b) {
          b = a.name.empty() ? ptr(a.value->getRange().Start) : ptr(a.name.range.Start);
          en = ptr((a.weight ? a.weight : a.value)->getRange().End);
        }
        elems.push_back({b, en, [this, arg] {
                           if (!arg->name.empty()) {
                             write(arg->name.name);
                             write(" = ");
                           }
                           emitExpr(arg->value);
                           if (arg->weight) {
                             write(": ");
                             emitExpr(arg->weight);
                           }
                         }});
      }
      emitBracketed(elems, tokStart(lp), c.end - 1, "(", ")", ", ", ",", /*padInline=*/false,
                    /*join=*/false);
      return;
    }
    case Expr::Kind::Object: {
      auto *o = llvm::cast<ObjectExpr>(e);
      write(o->getKindName().name);
      size_t lb = tokenAt(ptr(o->getKindName().range.End));
      assert(lexed.tokens[lb].kind == Tok::LBrace);
      emitBraces(o->getBody(), tokStart(lb), c.end - 1);
      return;
    }
    case Expr::Kind::List: {
      std::vector<Element> elems;
      for (const Expr *x : llvm::cast<ListExpr>(e)->getItems()) {
        elems.push_back({ptr(x->getRange().Start), ptr(x->getRange().End),
                         [this, x] { emitExpr(x); }});
      }
      emitBracketed(elems, c.begin, c.end - 1, "[", "]", ", ", ",", /*padInline=*/false,
                    /*join=*/false);
      return;
    }
    case Expr::Kind::Map: {
      std::vector<Element> elems;
      for (const MapEntry &m : llvm::cast<MapExpr>(e)->getEntries()) {
        const MapEntry *entry = &m;
        elems.push_back({ptr(m.range.Start), ptr(m.range.End), [this, entry] {
                           if (entry->quotedKey) {
                             size_t k = tokenAt(ptr(entry->range.Start));
                             write(text(tokStart(k), tokEnd(k)));
                           } else {
                             write(entry->key.name);
                           }
                           write(" = ");
                           emitExpr(entry->value);
                         }});
      }
      emitBracketed(elems, c.begin, c.end - 1, "{", "}", ", ", ",", /*padInline=*/true,
                    /*join=*/false);
      return;
    }
    case Expr::Kind::Compare: {
      auto *cmp = llvm::cast<CompareExpr>(e);
      emitExpr(cmp->getLHS());
      write(" ");
      write(spelling(cmp->getOp()));
      write(" ");
      emitExpr(cmp->getRHS());
      return;
    }
    case Expr::Kind::And: {
      bool first = true;
      for (const Expr *x : llvm::cast<AndExpr>(e)->getOperands()) {
        if (!first)
          write(" and ");
        first = false;
        emitExpr(x);
      }
      return;
    }
    case Expr::Kind::Neg:
      write("-");
      emitExpr(llvm::cast<NegExpr>(e)->getOperand());
      return;
    }
  }
};

} // namespace

std::string format::formatFile(const File &file, llvm::StringRef source) {
  return Formatter(file, source).run();
}

bool format::formatBuffer(unsigned bufferId, llvm::SourceMgr &sm, DiagnosticEngine &diags,
                          std::string &out) {
  ASTContext ctx;
  size_t before = diags.getDiagnostics().size();
  File *file = parseBuffer(bufferId, sm, ctx, diags);
  if (!file || file->hasSyntaxErrors)
    return false;
  // Any error of the lexer or the parser refuses the file, except that it
  // declares nothing (LEX007): an empty or comment-only file formats.
  llvm::ArrayRef<Diagnostic> all = diags.getDiagnostics();
  for (size_t i = before; i < all.size(); ++i)
    if (all[i].severity == Severity::Error && all[i].id != DiagID::LEX007)
      return false;
  out = formatFile(*file, sm.getMemoryBuffer(bufferId)->getBuffer());
  return true;
}

bool format::formatText(llvm::StringRef source, llvm::StringRef name, std::string &out,
                        std::string &errors) {
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  unsigned id = sm.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(source, name),
                                      llvm::SMLoc());
  if (formatBuffer(id, sm, diags, out))
    return true;
  // Only the errors that refused it (not LEX007 on an empty file).
  DiagnosticEngine shown(sm);
  for (const Diagnostic &d : diags.getDiagnostics())
    if (d.id != DiagID::LEX007) {
      auto b = shown.reportFormatted(d.id, d.range, d.message);
      for (const DiagNote &n : d.notes)
        b.note(n.range, "{}", n.message);
      for (const FixIt &f : d.fixits)
        b.fixit(f.range, f.replacement);
    }
  llvm::raw_string_ostream os(errors);
  TextRenderOptions opts;
  opts.color = false;
  renderText(shown, os, opts);
  return false;
}

//===----------------------------------------------------------------------===//
// Unified diff (Myers' O((N+M)D) algorithm over lines)
//===----------------------------------------------------------------------===//

static std::vector<llvm::StringRef> splitLines(llvm::StringRef s) {
  std::vector<llvm::StringRef> lines;
  while (!s.empty()) {
    size_t n = s.find('\n');
    if (n == llvm::StringRef::npos) {
      lines.push_back(s);
      break;
    }
    lines.push_back(s.take_front(n + 1));
    s = s.drop_front(n + 1);
  }
  return lines;
}

std::string format::unifiedDiff(llvm::StringRef before, llvm::StringRef after,
                                llvm::StringRef name) {
  if (before == after)
    return {};
  std::vector<llvm::StringRef> a = splitLines(before), b = splitLines(after);
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  const int max = n + m, off = max + 1;
  std::vector<int> v(2 * max + 3, 0);
  std::vector<std::vector<int>> trace;
  int dFound = -1;
  // Beyond this many edits the diff is one hunk that replaces the file (the
  // trace would cost D * (N + M) memory).
  const int maxEdits = 4000;
  for (int d = 0; d <= max && d <= maxEdits && dFound < 0; ++d) {
    trace.push_back(v);
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
                                                                       : v[off + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && a[x] == b[y])
        ++x, ++y;
      v[off + k] = x;
      if (x >= n && y >= m) {
        dFound = d;
        break;
      }
    }
  }
  // Walk back: ' ', '-' or '+' per line, in order.
  struct Op {
    char kind;
    int ai, bi;
  };
  std::vector<Op> ops;
  if (dFound < 0) {
    for (int i = 0; i < n; ++i)
      ops.push_back({'-', i, 0});
    for (int j = 0; j < m; ++j)
      ops.push_back({'+', n, j});
    dFound = 0;
    trace.clear();
  }
  int x = ops.empty() ? n : 0, y = ops.empty() ? m : 0;
  for (int d = dFound; d > 0; --d) {
    const std::vector<int> &pv = trace[d];
    int k = x - y;
    int prevK = (k == -d || (k != d && pv[off + k - 1] < pv[off + k + 1])) ? k + 1 : k - 1;
    int prevX = pv[off + prevK], prevY = prevX - prevK;
    while (x > prevX && y > prevY)
      ops.push_back({' ', --x, --y});
    if (x == prevX)
      ops.push_back({'+', x, --y});
    else
      ops.push_back({'-', --x, y});
  }
  if (!trace.empty()) {
    while (x > 0 && y > 0)
      ops.push_back({' ', --x, --y});
    std::reverse(ops.begin(), ops.end());
  }

  std::string outText = "--- a/" + name.str() + "\n+++ b/" + name.str() + "\n";
  auto line = [&](char k, llvm::StringRef l) {
    outText += k;
    outText += l.str();
    if (!l.endswith("\n"))
      outText += "\n\\ No newline at end of file\n";
  };
  const int ctxLines = 3;
  size_t i = 0;
  while (i < ops.size()) {
    if (ops[i].kind == ' ') {
      ++i;
      continue;
    }
    // A hunk: from ctxLines before this change to ctxLines after the last
    // change that is within 2 * ctxLines of the previous one.
    size_t start = i >= static_cast<size_t>(ctxLines) ? i - ctxLines : 0;
    size_t end = i;
    for (size_t j = i; j < ops.size(); ++j)
      if (ops[j].kind != ' ') {
        end = j;
      } else if (j - end > static_cast<size_t>(2 * ctxLines)) {
        break;
      }
    size_t stop = std::min(ops.size(), end + 1 + ctxLines);
    int aStart = 0, aLen = 0, bStart = 0, bLen = 0;
    bool firstA = true, firstB = true;
    for (size_t j = start; j < stop; ++j) {
      if (ops[j].kind != '+') {
        if (firstA)
          aStart = ops[j].ai, firstA = false;
        ++aLen;
      }
      if (ops[j].kind != '-') {
        if (firstB)
          bStart = ops[j].bi, firstB = false;
        ++bLen;
      }
    }
    if (firstA)
      aStart = ops[start].ai;
    if (firstB)
      bStart = ops[start].bi;
    outText += "@@ -" + std::to_string(aLen ? aStart + 1 : aStart) + "," + std::to_string(aLen) +
               " +" + std::to_string(bLen ? bStart + 1 : bStart) + "," + std::to_string(bLen) +
               " @@\n";
    for (size_t j = start; j < stop; ++j)
      line(ops[j].kind, ops[j].kind == '+' ? b[ops[j].bi] : a[ops[j].ai]);
    i = stop;
  }
  return outText;
}

//===- Lexer.cpp - Hand-written lexer for .infra --------------------------===//

#include "Parse/Lexer.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ConvertUTF.h"

using namespace infrac;

llvm::StringRef infrac::tokenName(Tok kind) {
  switch (kind) {
  case Tok::Invalid:
    return "invalid token";
  case Tok::KwImport:
    return "'import'";
  case Tok::KwParam:
    return "'param'";
  case Tok::KwLet:
    return "'let'";
  case Tok::KwExpect:
    return "'expect'";
  case Tok::KwWithin:
    return "'within'";
  case Tok::KwAfter:
    return "'after'";
  case Tok::KwAnd:
    return "'and'";
  case Tok::KwTrue:
    return "'true'";
  case Tok::KwFalse:
    return "'false'";
  case Tok::LBrace:
    return "'{'";
  case Tok::RBrace:
    return "'}'";
  case Tok::LBrack:
    return "'['";
  case Tok::RBrack:
    return "']'";
  case Tok::LParen:
    return "'('";
  case Tok::RParen:
    return "')'";
  case Tok::Comma:
    return "','";
  case Tok::Semi:
    return "';'";
  case Tok::Dot:
    return "'.'";
  case Tok::Colon:
    return "':'";
  case Tok::EqEq:
    return "'=='";
  case Tok::NotEq:
    return "'!='";
  case Tok::LessEq:
    return "'<='";
  case Tok::GreaterEq:
    return "'>='";
  case Tok::Less:
    return "'<'";
  case Tok::Greater:
    return "'>'";
  case Tok::Assign:
    return "'='";
  case Tok::Minus:
    return "'-'";
  case Tok::Quantity:
    return "a number with a unit";
  case Tok::Number:
    return "a number";
  case Tok::String:
    return "a string";
  case Tok::Ident:
    return "a name";
  case Tok::Comment:
    return "a comment";
  case Tok::Whitespace:
    return "whitespace";
  case Tok::ErrorChar:
    return "an invalid character";
  case Tok::Eof:
    return "end of file";
  }
  llvm_unreachable("bad token kind");
}

namespace {

inline bool isIdentStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool isIdentChar(unsigned char c) {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
inline bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool isLetter(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool isHex(unsigned char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// Length of a valid UTF-8 sequence starting at p (0 if invalid).
unsigned utf8Length(const unsigned char *p, const unsigned char *end) {
  unsigned n = llvm::getNumBytesForUTF8(*p);
  if (n == 0 || n > 4 || p + n > end)
    return 0;
  const llvm::UTF8 *src = p;
  if (!llvm::isLegalUTF8Sequence(src, src + n))
    return 0;
  return n;
}

class LexerImpl {
public:
  LexerImpl(llvm::StringRef buf, DiagnosticEngine *diags)
      : begin(reinterpret_cast<const unsigned char *>(buf.data())),
        cur(begin), end(begin + buf.size()), diags(diags) {}

  LexResult run();

private:
  llvm::SMRange rangeOf(const unsigned char *b, const unsigned char *e) const {
    return {llvm::SMLoc::getFromPointer(reinterpret_cast<const char *>(b)),
            llvm::SMLoc::getFromPointer(reinterpret_cast<const char *>(e))};
  }
  void push(Tok kind, const unsigned char *b) {
    result.tokens.push_back({kind, static_cast<uint32_t>(b - begin),
                             static_cast<uint32_t>(cur - b)});
  }
  bool open(Tok kind, const unsigned char *b);
  void close(Tok kind);
  void lexString(const unsigned char *b);
  void lexNumber(const unsigned char *b);
  void lexInvalid(const unsigned char *b);
  /// Reports a run of bytes that are not UTF-8 once, and skips it.
  void reportInvalidUTF8() {
    const unsigned char *b = cur;
    while (cur < end && *cur >= 0x80 && utf8Length(cur, end) == 0)
      ++cur;
    if (diags)
      diags->report(DiagID::LEX004, rangeOf(b, cur));
  }
  bool stopped() const { return result.truncated || (diags && diags->shouldStop()); }

  const unsigned char *begin, *cur, *end;
  DiagnosticEngine *diags;
  LexResult result;
  std::vector<UnclosedBracket> stack;
  unsigned minusRun = 0; ///< Consecutive '-' tokens ending at the last one.
};

bool LexerImpl::open(Tok kind, const unsigned char *b) {
  if (stack.size() >= MaxNestingDepth) {
    if (diags)
      diags->report(DiagID::LEX005, rangeOf(b, b + 1), MaxNestingDepth);
    result.truncated = true;
    return false;
  }
  stack.push_back({kind, static_cast<uint32_t>(b - begin)});
  return true;
}

void LexerImpl::close(Tok kind) {
  Tok want = kind == Tok::RBrace   ? Tok::LBrace
             : kind == Tok::RBrack ? Tok::LBrack
                                   : Tok::LParen;
  // Pop to the matching opener if there is one; a stray closer pops nothing.
  for (size_t i = stack.size(); i-- > 0;)
    if (stack[i].kind == want) {
      stack.resize(i);
      return;
    }
}

void LexerImpl::lexString(const unsigned char *b) {
  // cur is just past the opening quote.
  while (cur < end) {
    unsigned char c = *cur;
    if (c == '"') {
      ++cur;
      push(Tok::String, b);
      return;
    }
    if (c == '\n' || c == '\r')
      break;
    if (c == '\\') {
      const unsigned char *esc = cur++;
      if (cur >= end)
        break;
      unsigned char e = *cur;
      bool ok = true;
      if (e == '"' || e == '\\' || e == '/' || e == 'n' || e == 'r' ||
          e == 't' || e == '0') {
        ++cur;
      } else if (e == 'u') {
        ++cur;
        for (int i = 0; i < 4; ++i) {
          if (cur < end && isHex(*cur))
            ++cur;
          else
            ok = false;
        }
        if (ok) {
          unsigned cp = std::stoul(std::string(esc + 2, cur), nullptr, 16);
          ok = !(cp >= 0xD800 && cp <= 0xDFFF);
        }
      } else if (e == 'U' && cur + 1 < end && cur[1] == '{') {
        cur += 2;
        const unsigned char *digits = cur;
        while (cur < end && isHex(*cur) && cur - digits < 8)
          ++cur;
        ok = cur > digits && cur < end && *cur == '}';
        if (ok) {
          unsigned long cp = std::stoul(std::string(digits, cur), nullptr, 16);
          ok = cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
          ++cur;
        }
      } else {
        ok = false;
        if (e >= 0x20 && e < 0x7f)
          ++cur;
      }
      if (!ok && diags)
        diags->report(DiagID::LEX003, rangeOf(esc, cur),
                      llvm::StringRef(reinterpret_cast<const char *>(esc),
                                      cur - esc));
      continue;
    }
    if (c < 0x80) {
      if (c == 0) {
        if (diags)
          diags->report(DiagID::LEX006, rangeOf(cur, cur + 1));
        result.truncated = true;
        return;
      }
      ++cur;
      continue;
    }
    unsigned n = utf8Length(cur, end);
    if (n == 0) {
      reportInvalidUTF8();
      continue;
    }
    cur += n;
  }
  // Unterminated: report at the opening quote; the token runs to the line end.
  if (diags)
    diags->report(DiagID::LEX002, rangeOf(b, cur))
        .fixit(rangeOf(cur, cur), "\"");
  push(Tok::String, b);
}

void LexerImpl::lexNumber(const unsigned char *b) {
  while (cur < end && isDigit(*cur))
    ++cur;
  if (cur + 1 < end && *cur == '.' && isDigit(cur[1])) {
    ++cur;
    while (cur < end && isDigit(*cur))
      ++cur;
  }
  if (cur < end && isLetter(*cur)) {
    while (cur < end && isLetter(*cur))
      ++cur;
    push(Tok::Quantity, b);
    return;
  }
  if (cur < end && *cur == '%') {
    ++cur;
    push(Tok::Quantity, b);
    return;
  }
  if (cur + 1 < end && *cur == '/' && isLetter(cur[1])) {
    ++cur;
    while (cur < end && isLetter(*cur))
      ++cur;
    push(Tok::Quantity, b);
    return;
  }
  push(Tok::Number, b);
}

/// Reports and skips a character that cannot start a token. It is left out of
/// the token stream so that the parser does not report it a second time.
void LexerImpl::lexInvalid(const unsigned char *b) {
  unsigned char c = *cur;
  if (c == 0) {
    // Binary input: one diagnostic, then stop rather than report every byte.
    if (diags)
      diags->report(DiagID::LEX006, rangeOf(cur, cur + 1));
    result.truncated = true;
    return;
  }
  if (c < 0x80) {
    ++cur;
    if (diags) {
      std::string shown = c >= 0x20 && c < 0x7f
                              ? std::string(1, static_cast<char>(c))
                              : fmt::format("\\x{:02x}", c);
      diags->report(DiagID::LEX001, rangeOf(b, cur), shown);
    }
    return;
  }
  unsigned n = utf8Length(cur, end);
  if (n == 0) {
    reportInvalidUTF8();
  } else {
    cur += n;
    if (diags)
      diags->report(DiagID::LEX001, rangeOf(b, cur),
                    llvm::StringRef(reinterpret_cast<const char *>(b), n));
  }
}

LexResult LexerImpl::run() {
  // About one token per five bytes in typical files.
  result.tokens.reserve(static_cast<size_t>(end - begin) / 5 + 16);
  while (cur < end && !stopped()) {
    const unsigned char *b = cur;
    unsigned char c = *cur;
    switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
      ++cur;
      while (cur < end && (*cur == ' ' || *cur == '\t' || *cur == '\r' ||
                           *cur == '\n'))
        ++cur;
      continue;
    case '#': {
      while (cur < end && *cur != '\n' && *cur != '\r') {
        if (*cur == 0) {
          // Not text, even in a comment (docs/language.md): as lexInvalid.
          if (diags)
            diags->report(DiagID::LEX006, rangeOf(cur, cur + 1));
          result.truncated = true;
          break;
        }
        if (*cur < 0x80) {
          ++cur;
          continue;
        }
        unsigned n = utf8Length(cur, end);
        if (n == 0)
          reportInvalidUTF8();
        else
          cur += n;
      }
      result.comments.push_back({static_cast<uint32_t>(b - begin),
                                 static_cast<uint32_t>(cur - b)});
      continue;
    }
    case '{':
    case '[':
    case '(': {
      Tok k = c == '{' ? Tok::LBrace : c == '[' ? Tok::LBrack : Tok::LParen;
      if (!open(k, b))
        break;
      ++cur;
      push(k, b);
      continue;
    }
    case '}':
    case ']':
    case ')': {
      Tok k = c == '}' ? Tok::RBrace : c == ']' ? Tok::RBrack : Tok::RParen;
      ++cur;
      close(k);
      push(k, b);
      continue;
    }
    case ',':
      ++cur;
      push(Tok::Comma, b);
      continue;
    case ';':
      ++cur;
      push(Tok::Semi, b);
      continue;
    case '.':
      ++cur;
      push(Tok::Dot, b);
      continue;
    case ':':
      ++cur;
      push(Tok::Colon, b);
      continue;
    case '-':
      // Each '-' of '- - - 1' is one more level of the parser's and sema's
      // recursion, as a bracket is: a run counts as that much nesting.
      minusRun = !result.tokens.empty() && result.tokens.back().kind == Tok::Minus
                     ? minusRun + 1
                     : 1;
      if (stack.size() + minusRun > MaxNestingDepth) {
        if (diags)
          diags->report(DiagID::LEX005, rangeOf(b, b + 1), MaxNestingDepth);
        result.truncated = true;
        break;
      }
      ++cur;
      push(Tok::Minus, b);
      continue;
    case '=':
      ++cur;
      if (cur < end && *cur == '=') {
        ++cur;
        push(Tok::EqEq, b);
      } else {
        push(Tok::Assign, b);
      }
      continue;
    case '!':
      if (cur + 1 < end && cur[1] == '=') {
        cur += 2;
        push(Tok::NotEq, b);
        continue;
      }
      lexInvalid(b);
      continue;
    case '<':
    case '>': {
      ++cur;
      bool eq = cur < end && *cur == '=';
      if (eq)
        ++cur;
      push(c == '<' ? (eq ? Tok::LessEq : Tok::Less)
                    : (eq ? Tok::GreaterEq : Tok::Greater),
           b);
      continue;
    }
    case '"':
      ++cur;
      lexString(b);
      continue;
    default:
      break;
    }
    if (result.truncated)
      break;
    if (isDigit(c)) {
      lexNumber(b);
      continue;
    }
    if (isIdentStart(c)) {
      ++cur;
      while (cur < end && isIdentChar(*cur))
        ++cur;
      llvm::StringRef text(reinterpret_cast<const char *>(b), cur - b);
      Tok k = Tok::Ident;
      // Keywords are 3 to 6 letters and start with a lower-case letter.
      if (text.size() >= 3 && text.size() <= 6 && c >= 'a' && c <= 'w')
        k = llvm::StringSwitch<Tok>(text)
                .Case("import", Tok::KwImport)
                .Case("param", Tok::KwParam)
                .Case("let", Tok::KwLet)
                .Case("expect", Tok::KwExpect)
                .Case("within", Tok::KwWithin)
                .Case("after", Tok::KwAfter)
                .Case("and", Tok::KwAnd)
                .Case("true", Tok::KwTrue)
                .Case("false", Tok::KwFalse)
                .Default(Tok::Ident);
      push(k, b);
      continue;
    }
    lexInvalid(b);
  }
  result.unclosed = std::move(stack);
  result.tokens.push_back({Tok::Eof, static_cast<uint32_t>(cur - begin), 0});
  return std::move(result);
}

} // namespace

LexResult infrac::lex(llvm::StringRef buffer, DiagnosticEngine *diags) {
  return LexerImpl(buffer, diags).run();
}

static void appendUTF8(unsigned long cp, std::string &out) {
  char buf[4];
  char *p = buf;
  llvm::ConvertCodePointToUTF8(static_cast<unsigned>(cp), p);
  out.append(buf, p);
}

void infrac::decodeString(llvm::StringRef s, std::string &out) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out.push_back(c);
      continue;
    }
    char e = s[++i];
    switch (e) {
    case '"':
    case '\\':
    case '/':
      out.push_back(e);
      break;
    case 'n':
      out.push_back('\n');
      break;
    case 'r':
      out.push_back('\r');
      break;
    case 't':
      out.push_back('\t');
      break;
    case '0':
      out.push_back('\0');
      break;
    case 'u': {
      if (i + 4 < s.size()) {
        llvm::StringRef hex = s.substr(i + 1, 4);
        unsigned cp;
        if (hex.size() == 4 && !hex.getAsInteger(16, cp) &&
            !(cp >= 0xD800 && cp <= 0xDFFF)) {
          appendUTF8(cp, out);
          i += 4;
        }
      }
      break;
    }
    case 'U': {
      size_t close = s.find('}', i);
      if (i + 1 < s.size() && s[i + 1] == '{' && close != llvm::StringRef::npos) {
        unsigned long cp;
        if (!s.slice(i + 2, close).getAsInteger(16, cp) && cp <= 0x10FFFF &&
            !(cp >= 0xD800 && cp <= 0xDFFF))
          appendUTF8(cp, out);
        i = close;
      }
      break;
    }
    default:
      break; // Diagnosed by the lexer.
    }
  }
}

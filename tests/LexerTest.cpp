//===- LexerTest.cpp - The hand-written lexer ------------------------------===//

#include "Parse/Lexer.h"

#include <gtest/gtest.h>

using namespace infrac;

namespace {

std::vector<Tok> kinds(llvm::StringRef text) {
  std::vector<Tok> out;
  for (const Token &t : lex(text, nullptr).tokens)
    out.push_back(t.kind);
  return out;
}

TEST(LexerTest, QuantitiesNumbersAndNames) {
  EXPECT_EQ(kinds("30s 250ms 512MiB 60% 200/s 1.5h 42 3.25 web_1"),
            (std::vector<Tok>{Tok::Quantity, Tok::Quantity, Tok::Quantity, Tok::Quantity,
                              Tok::Quantity, Tok::Quantity, Tok::Number, Tok::Number,
                              Tok::Ident, Tok::Eof}));
}

TEST(LexerTest, ANumberBeforeADotIsNotADecimal) {
  // web_asg.instances[0].x and 1.x
  EXPECT_EQ(kinds("1.x"), (std::vector<Tok>{Tok::Number, Tok::Dot, Tok::Ident, Tok::Eof}));
  EXPECT_EQ(kinds("200/"), (std::vector<Tok>{Tok::Number, Tok::Eof}));
}

TEST(LexerTest, KeywordsAndOperators) {
  EXPECT_EQ(kinds("import param let expect within after and true false"),
            (std::vector<Tok>{Tok::KwImport, Tok::KwParam, Tok::KwLet, Tok::KwExpect,
                              Tok::KwWithin, Tok::KwAfter, Tok::KwAnd, Tok::KwTrue,
                              Tok::KwFalse, Tok::Eof}));
  EXPECT_EQ(kinds("== != <= >= < > = - : ; , ."),
            (std::vector<Tok>{Tok::EqEq, Tok::NotEq, Tok::LessEq, Tok::GreaterEq, Tok::Less,
                              Tok::Greater, Tok::Assign, Tok::Minus, Tok::Colon, Tok::Semi,
                              Tok::Comma, Tok::Dot, Tok::Eof}));
  // A keyword prefix is a name.
  EXPECT_EQ(kinds("imports letter"), (std::vector<Tok>{Tok::Ident, Tok::Ident, Tok::Eof}));
}

TEST(LexerTest, CommentsAreKeptAside) {
  LexResult r = lex("vpc a { } # infrac:ignore X\n# two\n", nullptr);
  EXPECT_EQ(r.tokens.size(), 5u);
  ASSERT_EQ(r.comments.size(), 2u);
  EXPECT_EQ(r.comments[0].length, 17u);
}

TEST(LexerTest, StringsDecode) {
  std::string out;
  decodeString(R"(a\"b\\c\n\u00e9\U{1F600}\/)", out);
  EXPECT_EQ(out, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80/");
}

TEST(LexerTest, UnclosedBracketsAreRecorded) {
  LexResult r = lex("vpc a { b = [1, 2", nullptr);
  ASSERT_EQ(r.unclosed.size(), 2u);
  EXPECT_EQ(r.unclosed[0].kind, Tok::LBrace);
  EXPECT_EQ(r.unclosed[1].kind, Tok::LBrack);
  EXPECT_FALSE(r.truncated);
}

TEST(LexerTest, DeepNestingTruncates) {
  LexResult r = lex(std::string(MaxNestingDepth + 5, '['), nullptr);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.tokens.back().kind, Tok::Eof);
  EXPECT_EQ(r.tokens.size(), MaxNestingDepth + 1);
}

TEST(LexerTest, OffsetsAndLengths) {
  LexResult r = lex("  ab = \"x y\"", nullptr);
  ASSERT_EQ(r.tokens.size(), 4u);
  EXPECT_EQ(r.tokens[0].offset, 2u);
  EXPECT_EQ(r.tokens[0].length, 2u);
  EXPECT_EQ(r.tokens[2].offset, 7u);
  EXPECT_EQ(r.tokens[2].length, 5u);
}

} // namespace

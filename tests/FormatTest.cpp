//===- FormatTest.cpp - infrac fmt: layout, meaning kept, the command -----===//

#include "TestSupport.h"

#include "Format/Format.h"
#include "Parse/Lexer.h"
#include "Rules/Config.h"
#include "Rules/Rule.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <regex>

using namespace infrac;
using namespace infrac::test;

namespace {

const std::string bin = INFRAC_BINARY;

std::string fmt(const std::string &text) {
  std::string out, errors;
  EXPECT_TRUE(format::formatText(text, "t.infra", out, errors)) << errors;
  return out;
}

/// The model dump without its `<file:line:col>` annotations: where a
/// resource is written moves when a line is re-indented or split, what it is
/// does not.
std::string withoutLocations(const std::string &dump) {
  static const std::regex loc(" <[^<>\n]*:[0-9]+:[0-9]+>");
  return std::regex_replace(dump, loc, "");
}

/// What `infrac check --emit=model` prints of `root`, read with `rootText` in
/// place of the file, and its diagnostics (id and message, one a line).
struct Checked {
  std::string model, diagnostics;
  bool errors = false;
};
Checked check(const std::string &root, const std::string &rootText) {
  Checked out;
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ast::ASTContext ctx;
  ParseOptions opts;
  opts.threads = 1;
  opts.readFile = [&](llvm::StringRef p) -> llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> {
    if (p == root)
      return llvm::MemoryBuffer::getMemBufferCopy(rootText, p);
    return llvm::MemoryBuffer::getFile(p, /*IsText=*/true);
  };
  auto program = loadProgram({root}, sm, ctx, diags, opts);
  if (!program) {
    llvm::consumeError(program.takeError());
    out.errors = true;
    return out;
  }
  std::unique_ptr<sema::Model> model;
  if (!program->hasSyntaxErrors()) {
    model = sema::buildModel(*program, diags);
    if (!diags.hasErrors()) {
      rules::RuleOptions ruleOpts;
      rules::ProjectConfig cfg;
      std::string config = rules::findConfigFor(root);
      if (!config.empty() && rules::loadConfig(config, diags, cfg))
        ruleOpts = cfg.rules;
      rules::runRules(*model, *program, diags, ruleOpts);
    }
    std::string dump;
    llvm::raw_string_ostream os(dump);
    sema::dumpModel(*model, sm, os);
    os.flush();
    out.model = withoutLocations(dump);
  }
  for (const Diagnostic &d : diags.getDiagnostics())
    out.diagnostics += diagCode(d).str() + " " + d.message + "\n";
  out.errors = diags.hasErrors();
  return out;
}

std::vector<std::string> commentsOf(const std::string &text) {
  LexResult lx = lex(text, nullptr);
  std::vector<std::string> out;
  for (const LexedComment &c : lx.comments)
    out.push_back(llvm::StringRef(text).substr(c.offset, c.length).rtrim(" \t\r").str());
  return out;
}

TEST(FormatTest, Layout) {
  EXPECT_EQ(fmt("vpc   main {cidr=\"10.0.0.0/16\"}"), "vpc main { cidr = \"10.0.0.0/16\" }\n");
  EXPECT_EQ(fmt("vpc main {\n\n\ncidr=\"10.0.0.0/16\"   # the network\n\n\n\ntags={a=1,b=2}\n\n}\n"),
            "vpc main {\n  cidr = \"10.0.0.0/16\"  # the network\n\n  tags = { a = 1, b = 2 }\n}\n");
  // Items written on one line stay on it; a multi-line list gets one element a
  // line and a trailing comma.
  EXPECT_EQ(fmt("x a {\n  min = 2;max = 3\n  l = [1,\n 2]\n}"),
            "x a {\n  min = 2; max = 3\n  l = [\n    1,\n    2,\n  ]\n}\n");
  // Comments keep their place: before items, at the end of lines, before '}'.
  EXPECT_EQ(fmt("# head\n\nvpc v { # open\n  # before\n  cidr = \"c\"\n  # last\n}\n# tail\n"),
            "# head\n\nvpc v {  # open\n  # before\n  cidr = \"c\"\n  # last\n}\n# tail\n");
  // Parentheses the parse needs are kept; expressions get one space around
  // operators.
  EXPECT_EQ(fmt("s x { expect (a(b)>=2) and c(d)<1%  within 3s after   4s }"),
            "s x { expect (a(b) >= 2) and c(d) < 1% within 3s after 4s }\n");
  EXPECT_EQ(fmt(""), "");
  EXPECT_EQ(fmt("# only a comment"), "# only a comment\n");
}

TEST(FormatTest, IdempotentOnTrickyInput) {
  const char *inputs[] = {
      "a b { k = # weird\n 1; j = 2 }\n",
      "a b {\n  k = [ # first\n  1, # one\n\n  2 ]\n}\n",
      "import \"x.infra\"\nparam p = 1 let l = -2\na b { c = f(x: 80, y: 20,\n ) }\n",
      "a b { o = echo { port = 1 }\n m = {\n \"k\" = 1; z = 2 } }\n",
      "scenario s {\n  at 30s { kill = w.instances[0] }  # late\n}\n",
  };
  for (const char *in : inputs) {
    std::string once = fmt(in);
    EXPECT_EQ(fmt(once), once) << in;
    EXPECT_EQ(commentsOf(once), commentsOf(in)) << in;
  }
}

TEST(FormatTest, SyntaxErrorsAreRefused) {
  std::string out = "untouched", errors;
  EXPECT_FALSE(format::formatText("vpc main { cidr = }\n", "bad.infra", out, errors));
  EXPECT_EQ(out, "untouched");
  EXPECT_NE(errors.find("bad.infra:1:"), std::string::npos) << errors;
}

/// `text` with the spaces between tokens on each line changed at random
/// (line breaks and comments left as they are): the layout depends only on
/// where the lines break, so the output must not change.
std::string respace(const std::string &text, unsigned seed) {
  LexResult lx = lex(text, nullptr);
  std::string out;
  uint32_t at = 0;
  unsigned state = seed * 2654435761u + 1;
  auto next = [&] {
    state = state * 1103515245u + 12345u;
    return (state >> 16) % 3;
  };
  for (const Token &t : lx.tokens) {
    llvm::StringRef gap = llvm::StringRef(text).substr(at, t.offset - at);
    if (gap.find_first_of("\n#") == llvm::StringRef::npos && t.kind != Tok::Eof)
      out.append(gap.empty() ? next() : next() + 1, ' ');
    else
      out += gap.str();
    out += llvm::StringRef(text).substr(t.offset, t.length).str();
    at = t.offset + t.length;
  }
  out += llvm::StringRef(text).substr(at).str();
  return out;
}

/// `text` with, at seeded-random places between tokens, a line break or a
/// comment (`# mN`, ended by a line break): layouts and comment places the
/// repository's files do not have.
std::string perturb(const std::string &text, unsigned seed) {
  LexResult lx = lex(text, nullptr);
  std::string out;
  uint32_t at = 0;
  unsigned state = seed * 2654435761u + 7, marks = 0;
  auto next = [&] {
    state = state * 1103515245u + 12345u;
    return (state >> 16) % 100;
  };
  for (const Token &t : lx.tokens) {
    llvm::StringRef gap = llvm::StringRef(text).substr(at, t.offset - at);
    out += gap.str();
    if (!gap.empty() && t.kind != Tok::Eof && gap.find('#') == llvm::StringRef::npos) {
      unsigned r = next();
      if (r < 6)
        out += " # m" + std::to_string(marks++) + "\n";
      else if (r < 14)
        out += "\n";
    }
    out += llvm::StringRef(text).substr(t.offset, t.length).str();
    at = t.offset + t.length;
  }
  out += llvm::StringRef(text).substr(at).str();
  return out;
}

// Every file of examples/ and tests/: formatting twice is formatting once,
// every comment is kept, the spaces within lines do not matter, and the model
// (--emit=model) and the diagnostics are the same before and after; and so
// for each file with line breaks and comments added at random.
TEST(FormatTest, EveryRepositoryFileKeepsItsMeaning) {
  std::vector<std::string> files = listFiles("examples", ".infra", true);
  for (const std::string &f : listFiles("tests", ".infra", true))
    files.push_back(f);
  ASSERT_GT(files.size(), 50u);
  unsigned formatted = 0, clean = 0;
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    std::string text = readFile(path);
    std::string once, errors;
    if (!format::formatText(text, path, once, errors))
      continue; // syntax errors: refused (FormatTest.SyntaxErrorsAreRefused)
    ++formatted;
    std::string twice, errors2;
    ASSERT_TRUE(format::formatText(once, path, twice, errors2)) << errors2 << once;
    EXPECT_EQ(twice, once);
    EXPECT_EQ(commentsOf(once), commentsOf(text));
    std::string noisy = respace(text, formatted), fromNoisy, errors3;
    ASSERT_TRUE(format::formatText(noisy, path, fromNoisy, errors3)) << errors3 << noisy;
    EXPECT_EQ(fromNoisy, once) << "respaced:\n" << noisy;
    Checked before = check(path, text), after = check(path, once);
    EXPECT_EQ(after.model, before.model);
    EXPECT_EQ(after.diagnostics, before.diagnostics);
    clean += !before.errors;

    // The same file with line breaks and comments added at random places.
    std::string mutated = perturb(text, formatted), m1, m2, e1, e2;
    ASSERT_TRUE(format::formatText(mutated, path, m1, e1)) << e1 << mutated;
    ASSERT_TRUE(format::formatText(m1, path, m2, e2)) << e2 << m1;
    EXPECT_EQ(m2, m1) << "perturbed:\n" << mutated;
    EXPECT_EQ(commentsOf(m1), commentsOf(mutated)) << mutated;
    if (!before.errors) {
      EXPECT_EQ(check(path, m1).model, before.model) << mutated;
    }
  }
  EXPECT_GT(formatted, 100u);
  EXPECT_GE(clean, 5u);
}

// The examples are kept in the canonical layout.
TEST(FormatTest, ExamplesAreFormatted) {
  ProcessResult r = runProcess({bin, "fmt", "--check", sourceDir() + "/examples"});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
}

TEST(FormatTest, Command) {
  std::string dir = makeTempDir();
  std::string messy = "vpc  main {cidr=\"10.0.0.0/16\"}\n";
  std::string tidy = "vpc main { cidr = \"10.0.0.0/16\" }\n";
  writeFile(dir + "/a.infra", messy);
  writeFile(dir + "/b.infra", tidy);
  llvm::sys::fs::create_directories(dir + "/sub");
  writeFile(dir + "/sub/c.infra", messy);

  // --check: names what would change, exits 1, writes nothing.
  ProcessResult c = runProcess({bin, "fmt", "--check", dir});
  EXPECT_EQ(c.exitCode, 1);
  EXPECT_EQ(c.out, dir + "/a.infra\n");
  EXPECT_EQ(readFile(dir + "/a.infra"), messy);
  ProcessResult cr = runProcess({bin, "fmt", "--check", "--recursive", dir});
  EXPECT_EQ(cr.out, dir + "/a.infra\n" + dir + "/sub/c.infra\n");

  // --diff --check: a unified diff.
  ProcessResult d = runProcess({bin, "fmt", "--check", "--diff", dir + "/a.infra"});
  EXPECT_EQ(d.exitCode, 1);
  EXPECT_EQ(d.out, "--- a/" + dir + "/a.infra\n+++ b/" + dir + "/a.infra\n@@ -1,1 +1,1 @@\n-" +
                       messy + "+" + tidy);

  // Rewrites in place, atomically: no temporary file is left.
  ProcessResult w = runProcess({bin, "fmt", "-r", dir});
  EXPECT_EQ(w.exitCode, 0) << w.err;
  EXPECT_EQ(readFile(dir + "/a.infra"), tidy);
  EXPECT_EQ(readFile(dir + "/sub/c.infra"), tidy);
  std::error_code ec;
  unsigned entries = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    ++entries;
  EXPECT_EQ(entries, 3u); // a.infra, b.infra, sub
  EXPECT_EQ(runProcess({bin, "fmt", "--check", "-r", dir}).exitCode, 0);

  // Syntax errors: printed, and no file is touched (not even the good one).
  writeFile(dir + "/a.infra", messy);
  writeFile(dir + "/z.infra", "vpc broken { cidr = }\n");
  ProcessResult e = runProcess({bin, "fmt", dir});
  EXPECT_EQ(e.exitCode, 1);
  EXPECT_NE(e.err.find("z.infra:1:"), std::string::npos) << e.err;
  EXPECT_NE(e.err.find("no file was changed"), std::string::npos) << e.err;
  EXPECT_EQ(readFile(dir + "/a.infra"), messy);
  EXPECT_EQ(readFile(dir + "/z.infra"), "vpc broken { cidr = }\n");
}

TEST(FormatTest, StandardInput) {
  std::string dir = makeTempDir();
  writeFile(dir + "/in.infra", "vpc  main {cidr=\"10.0.0.0/16\"}\n");
  ProcessResult r = runProcess({"/bin/sh", "-c", bin + " fmt < " + dir + "/in.infra"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "vpc main { cidr = \"10.0.0.0/16\" }\n");
  ProcessResult c = runProcess({"/bin/sh", "-c", bin + " fmt --check - < " + dir + "/in.infra"});
  EXPECT_EQ(c.exitCode, 1);
}

} // namespace

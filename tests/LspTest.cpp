//===- LspTest.cpp - The language server's answers, in process ------------===//
//
// The Workspace as the server drives it. The protocol itself is tested with
// real clients: tests/lsp-client (vscode-jsonrpc) and tests/nvim.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "Lsp/Lsp.h"

#include <gtest/gtest.h>

#include <random>

using namespace infrac;
using namespace infrac::test;
namespace json = llvm::json;

namespace {

const char *design = "vpc main { cidr = \"10.0.0.0/16\" }\n"                              // 0
                     "subnet a { vpc = main; zone = \"us-east-1a\"; cidr = \"10.0.1.0/24\" }\n" // 1
                     "subnet b { vpc = main; zone = \"us-east-1b\"; cidr = \"10.0.2.0/24\" }\n"; // 2

json::Value pos(int line, int ch) { return json::Object{{"line", line}, {"character", ch}}; }

json::Value at(const std::string &uri, int line, int ch) {
  return json::Object{{"textDocument", json::Object{{"uri", uri}}}, {"position", pos(line, ch)}};
}

std::string str(const json::Value &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << v;
  return os.str();
}

struct Fixture {
  std::string dir = makeTempDir();
  std::string path = dir + "/main.infra";
  std::string uri = lsp::pathToUri(path);
  lsp::Workspace ws;
  json::Value open(const std::string &text) { return ws.update(uri, text, 1); }
  json::Value req(llvm::StringRef method, json::Value params) {
    auto r = ws.request(method, params);
    EXPECT_TRUE(static_cast<bool>(r)) << method.str();
    if (!r) {
      llvm::consumeError(r.takeError());
      return nullptr;
    }
    return std::move(*r);
  }
};

TEST(LspTest, DiagnosticsAsCheckReportsThem) {
  Fixture f;
  json::Value d = f.open("vpc main { cidr = \"10.0.0.0/16\" }\n"
                         "subnet a { vpc = mian; cidr = \"10.0.1.0/24\"; zone = \"z\" }\n");
  const json::Array *diags = d.getAsObject()->getArray("diagnostics");
  ASSERT_TRUE(diags);
  ASSERT_EQ(diags->size(), 1u) << str(d);
  const json::Object *first = (*diags)[0].getAsObject();
  EXPECT_EQ(first->getString("code").getValueOr(""), "REF001");
  EXPECT_EQ(first->getInteger("severity").getValueOr(0), 1);
  EXPECT_EQ(str(*first->get("range")),
            R"({"end":{"character":21,"line":1},"start":{"character":17,"line":1}})");
  EXPECT_NE(first->getString("message").getValueOr("").str().find("did you mean 'main'?"),
            std::string::npos);

  // The fix-it becomes a code action.
  json::Value actions =
      f.req("textDocument/codeAction",
            json::Object{{"textDocument", json::Object{{"uri", f.uri}}},
                         {"range", json::Object{{"start", pos(1, 18)}, {"end", pos(1, 18)}}},
                         {"context", json::Object{{"diagnostics", json::Array{}}}}});
  EXPECT_NE(str(actions).find("\"newText\":\"main\""), std::string::npos) << str(actions);
}

TEST(LspTest, RuleFindingsAndSuppressionAction) {
  Fixture f;
  // An internet-facing HTTP listener without redirect: a rule finding.
  std::string text = readFile(sourceDir() + "/examples/webshop.infra");
  json::Value d = f.open(text);
  // The example is clean; the same text with the SEC004 suppression removed
  // is not. Rather than depend on a rule, check the config: a .infrac.yaml
  // that turns a rule into an error is honoured.
  EXPECT_EQ(d.getAsObject()->getArray("diagnostics")->size(), 0u) << str(d);

  writeFile(f.dir + "/.infrac.yaml", "rules:\n  error: [SEC004]\n");
  std::string plain = "vpc v { cidr = \"10.0.0.0/16\" }\n"
                      "subnet a { vpc = v; zone = \"z-a\"; cidr = \"10.0.1.0/24\"; public = true }\n"
                      "subnet b { vpc = v; zone = \"z-b\"; cidr = \"10.0.2.0/24\"; public = true }\n"
                      "target_group web { protocol = http; port = 80; vpc = v }\n"
                      "load_balancer front {\n"
                      "  subnets = [a, b]\n"
                      "  listener l { protocol = http; port = 80; default = forward(web) }\n"
                      "}\n";
  json::Value d2 = f.open(plain);
  std::string all = str(d2);
  EXPECT_NE(all.find("\"code\":\"SEC004\""), std::string::npos) << all;
  json::Value actions =
      f.req("textDocument/codeAction",
            json::Object{{"textDocument", json::Object{{"uri", f.uri}}},
                         {"range", json::Object{{"start", pos(0, 0)}, {"end", pos(8, 0)}}},
                         {"context", json::Object{{"diagnostics", json::Array{}}}}});
  EXPECT_NE(str(actions).find("# infrac:ignore SEC004 -- "), std::string::npos) << str(actions);
}

TEST(LspTest, NavigationAndRename) {
  Fixture f;
  f.open(design);
  // `main` in subnet a (line 1, col 17) -> its declaration on line 0.
  json::Value def = f.req("textDocument/definition", at(f.uri, 1, 18));
  EXPECT_EQ(str(def), "{\"range\":{\"end\":{\"character\":8,\"line\":0},\"start\":{\"character\":4,"
                      "\"line\":0}},\"uri\":\"" + f.uri + "\"}");
  json::Value refs = f.req("textDocument/references", at(f.uri, 0, 5));
  EXPECT_EQ(refs.getAsArray()->size(), 3u) << str(refs);
  json::Object rp = *at(f.uri, 0, 5).getAsObject();
  rp["newName"] = "core";
  json::Value edit = f.req("textDocument/rename", json::Value(std::move(rp)));
  std::string e = str(edit);
  size_t n = 0;
  for (size_t p = e.find("\"newText\":\"core\""); p != std::string::npos;
       p = e.find("\"newText\":\"core\"", p + 1))
    ++n;
  EXPECT_EQ(n, 3u) << e;

  json::Value syms = f.req("textDocument/documentSymbol",
                           json::Object{{"textDocument", json::Object{{"uri", f.uri}}}});
  EXPECT_NE(str(syms).find("\"name\":\"subnet b\""), std::string::npos) << str(syms);
}

TEST(LspTest, HoverCompletionFormattingTokens) {
  Fixture f;
  f.open(design);
  json::Value hover = f.req("textDocument/hover", at(f.uri, 0, 12)); // cidr
  EXPECT_NE(str(hover).find("cidr"), std::string::npos) << str(hover);

  f.open("vpc main { cidr = \"10.0.0.0/16\" }\ntarget_group t {\n  protocol = \n}\n");
  json::Value values = f.req("textDocument/completion", at(f.uri, 2, 13));
  EXPECT_NE(str(values).find("\"label\":\"https\""), std::string::npos) << str(values);
  json::Value attrs = f.req("textDocument/completion", at(f.uri, 2, 0));
  EXPECT_NE(str(attrs).find("\"label\":\"health_check\""), std::string::npos) << str(attrs);
  json::Value kinds = f.req("textDocument/completion", at(f.uri, 4, 0));
  EXPECT_NE(str(kinds).find("\"label\":\"load_balancer\""), std::string::npos) << str(kinds);

  f.open("vpc   main {cidr=\"10.0.0.0/16\"}\n");
  json::Value edits = f.req("textDocument/formatting",
                            json::Object{{"textDocument", json::Object{{"uri", f.uri}}}});
  EXPECT_NE(str(edits).find("\"newText\":\"vpc main { cidr = \\\"10.0.0.0/16\\\" }\\n\""),
            std::string::npos)
      << str(edits);

  json::Value tokens = f.req("textDocument/semanticTokens/full",
                             json::Object{{"textDocument", json::Object{{"uri", f.uri}}}});
  // vpc (type) main (declaration) cidr (property) = (operator) "..." (string)
  EXPECT_EQ(str(tokens), "{\"data\":[0,0,3,1,0,0,6,4,3,1,0,6,4,2,0,0,4,1,8,0,0,1,13,5,0]}");
}

// References of the right kind, with their kind, also while the file does
// not parse (the model is gone; the recovered blocks are used).
TEST(LspTest, ReferenceCompletionWhileTyping) {
  Fixture f;
  std::string text = "launch_template lt { image = \"ami-0123456789abcdef0\" }\n"
                     "target_group tg { protocol = http; port = 80 }\n"
                     "auto_scaling_group g {\n  launch_template = \n}\n";
  for (const std::string &t : {text, text + "vpc broken {\n"}) {
    SCOPED_TRACE(t);
    f.open(t);
    std::string items = str(f.req("textDocument/completion", at(f.uri, 3, 20)));
    EXPECT_NE(items.find(R"({"detail":"launch template","kind":6,"label":"lt"})"),
              std::string::npos)
        << items;
    EXPECT_EQ(items.find("\"tg\""), std::string::npos) << items;
  }
}

TEST(LspTest, AcrossImports) {
  Fixture f;
  writeFile(f.dir + "/net.infra", "vpc core { cidr = \"10.0.0.0/16\" }\n"
                                  "subnet s { vpc = core; zone = \"z\"; cidr = \"10.9.1.0/24\" }\n");
  json::Value d = f.open("import \"net.infra\"\n"
                         "subnet a { vpc = core; zone = \"z\"; cidr = \"10.0.1.0/24\" }\n");
  // The imported file's error (a subnet outside its VPC) shows at the import.
  std::string all = str(d);
  EXPECT_NE(all.find("in 'net.infra' (line 2)"), std::string::npos) << all;
  EXPECT_NE(all.find("\"start\":{\"character\":7,\"line\":0}"), std::string::npos) << all;
  // Definition of `core` (line 1, col 17) is in the imported file.
  json::Value def = f.req("textDocument/definition", at(f.uri, 1, 18));
  EXPECT_EQ(def.getAsObject()->getString("uri").getValueOr(""), lsp::pathToUri(f.dir + "/net.infra"))
      << str(def);
  // References and rename reach the imported file too.
  json::Object rp = *at(f.uri, 1, 18).getAsObject();
  rp["newName"] = "main_vpc";
  json::Value edit = f.req("textDocument/rename", json::Value(std::move(rp)));
  const json::Object *changes = edit.getAsObject()->getObject("changes");
  ASSERT_TRUE(changes) << str(edit);
  EXPECT_EQ(changes->getArray(f.uri)->size(), 1u) << str(edit);
  EXPECT_EQ(changes->getArray(lsp::pathToUri(f.dir + "/net.infra"))->size(), 2u) << str(edit);
}

// Every request at positions all over every .infra file of the repository,
// those with syntax and semantic errors included: an answer (or null) each
// time, never an error or a crash.
TEST(LspTest, EveryRequestOnEveryFile) {
  std::vector<std::string> files = listFiles("examples", ".infra", true);
  for (const std::string &f : listFiles("tests", ".infra", true))
    files.push_back(f);
  lsp::Workspace ws;
  unsigned answered = 0;
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    std::string text = readFile(path);
    std::string uri = lsp::pathToUri(path);
    ws.update(uri, text, 1);
    json::Value doc = json::Object{{"textDocument", json::Object{{"uri", uri}}}};
    for (const char *m : {"textDocument/documentSymbol", "textDocument/semanticTokens/full",
                          "textDocument/formatting"}) {
      auto r = ws.request(m, doc);
      ASSERT_TRUE(static_cast<bool>(r)) << m;
    }
    int line = 0, ch = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (i % 23 == 0) {
        for (const char *m : {"textDocument/hover", "textDocument/completion",
                              "textDocument/definition", "textDocument/references",
                              "textDocument/prepareRename"}) {
          auto r = ws.request(m, at(uri, line, ch));
          if (!r) {
            ADD_FAILURE() << m << " at " << line << ":" << ch << ": "
                          << llvm::toString(r.takeError());
            continue;
          }
          ++answered;
        }
        json::Object ca{{"textDocument", json::Object{{"uri", uri}}},
                        {"range", json::Object{{"start", pos(line, 0)}, {"end", pos(line, ch)}}},
                        {"context", json::Object{{"diagnostics", json::Array{}}}}};
        auto r = ws.request("textDocument/codeAction", json::Value(std::move(ca)));
        EXPECT_TRUE(static_cast<bool>(r));
        if (!r)
          llvm::consumeError(r.takeError());
      }
      if (i < text.size() && text[i] == '\n') {
        ++line;
        ch = 0;
      } else {
        ++ch;
      }
    }
    ws.close(uri);
    ws.releaseRetired(/*wait=*/true);
  }
  EXPECT_GT(answered, 10000u);
}

/// The line of `text` around offset `at`: its start and its length with
/// the newline.
std::pair<size_t, size_t> lineAt(const std::string &text, size_t at) {
  size_t bol = at ? text.rfind('\n', at - 1) : std::string::npos;
  bol = bol == std::string::npos ? 0 : bol + 1;
  size_t eol = text.find('\n', bol);
  return {bol, eol == std::string::npos ? text.size() - bol : eol + 1 - bol};
}

/// `text` with the first character in [first, last] from `at` on replaced
/// by the next one in that range (the last by the first).
std::string nextInRange(std::string text, size_t at, char first, char last) {
  for (size_t i = at; i < text.size(); ++i)
    if (text[i] >= first && text[i] <= last) {
      text[i] = text[i] == last ? first : static_cast<char>(text[i] + 1);
      break;
    }
  return text;
}

/// One random edit of `text`, as typing and pasting make them: most keep
/// the file parsing and move what follows (lines, comments, spaces), some
/// change a name or a number (new diagnostics), some break the syntax.
std::string randomEdit(const std::string &text, std::mt19937 &rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  size_t at = pick(text.size() + 1);
  std::string t = text;
  switch (pick(9)) {
  case 0: // a new line
    return t.insert(at, "\n");
  case 1: // a comment line at the start of a line
    return t.insert(lineAt(t, at).first, "# a note\n");
  case 2: // spaces
    return t.insert(at, "  ");
  case 3: // a letter of a name changed
    return nextInRange(t, at, 'a', 'z');
  case 4: // a digit changed
    return nextInRange(t, at, '0', '9');
  case 5: { // a line deleted
    auto [bol, length] = lineAt(t, at);
    return t.erase(bol, length);
  }
  case 6: { // a line duplicated (a redefinition, or a repeated attribute)
    auto [bol, length] = lineAt(t, at);
    std::string line = t.substr(bol, length);
    return t.insert(bol, line.empty() || line.back() != '\n' ? line + "\n" : line);
  }
  case 7: { // a character that breaks the syntax, or one deleted
    static const char breakers[] = "{}[]()\"=;.x9";
    if (pick(2) && at < t.size())
      return t.erase(at, 1);
    return t.insert(at, 1, breakers[pick(sizeof breakers - 1)]);
  }
  default: // a word typed
    return t.insert(at, pick(2) ? "web" : " = 1 ");
  }
}

/// Everything the analysis of the document answers without a position:
/// its diagnostics (ranges, notes), semantic tokens and symbols.
std::string observe(lsp::Workspace &ws, const std::string &uri, const std::string &text,
                    int64_t version) {
  std::string out = str(ws.update(uri, text, version));
  json::Value doc = json::Object{{"textDocument", json::Object{{"uri", uri}}}};
  for (const char *m : {"textDocument/semanticTokens/full", "textDocument/documentSymbol"}) {
    auto r = ws.request(m, doc);
    out += "\n";
    out += r ? str(*r) : llvm::toString(r.takeError());
  }
  return out;
}

// After a keystroke the server parses only the top-level chunks whose text
// changed and copies the others from the previous analysis, moved to their
// new place: after every edit of random sequences the diagnostics, tokens
// and symbols are those of a check from scratch of the same text.
TEST(LspTest, IncrementalCheckEqualsFromScratch) {
  std::string dir = makeTempDir();
  writeFile(dir + "/net.infra", "vpc core { cidr = \"10.0.0.0/16\" }\n"
                                "subnet s { vpc = core; zone = \"z\"; cidr = \"10.9.1.0/24\" }\n");
  std::vector<std::pair<std::string, std::string>> bases; // path, text
  for (const std::string &f : listFiles("examples", ".infra", false))
    bases.emplace_back(f, readFile(f));
  bases.emplace_back(dir + "/main.infra",
                     "import \"net.infra\"\n"
                     "subnet a { vpc = core; zone = \"z\"; cidr = \"10.0.1.0/24\" }\n"
                     "subnet b { vpc = core; zone = \"y\"; cidr = \"10.0.2.0/24\" }\n");
  unsigned steps = 0, differentFromBase = 0;
  for (const auto &[path, base] : bases) {
    std::string uri = lsp::pathToUri(path);
    for (unsigned seed = 1; seed <= 4; ++seed) {
      SCOPED_TRACE(path + " seed " + std::to_string(seed));
      std::mt19937 rng(seed);
      lsp::Workspace incremental;
      std::vector<std::string> history{base};
      observe(incremental, uri, base, 1);
      for (int64_t v = 2; v < 27; ++v) {
        // Now and then an undo: the text of two edits ago, as an editor's.
        std::string text = history.size() > 2 && rng() % 5 == 0
                               ? history[history.size() - 3]
                               : randomEdit(history.back(), rng);
        history.push_back(text);
        lsp::Workspace scratch;
        std::string want = observe(scratch, uri, text, v);
        std::string got = observe(incremental, uri, text, v);
        ASSERT_EQ(got, want) << "after edit " << v << " the text is:\n" << text;
        incremental.releaseRetired();
        ++steps;
        differentFromBase += text != base;
      }
    }
  }
  EXPECT_EQ(steps, bases.size() * 4 * 25);
  EXPECT_GT(differentFromBase, steps / 2);
}

} // namespace

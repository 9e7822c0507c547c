//===- Driver.cpp - The infrac command line -------------------------------===//
//
// Each command reads like the table of contents of its pipeline:
//   load (parse + imports) -> build the model (sema) -> [rules] -> render.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Parse/Parser.h"
#include "Sema/Model.h"

#include "llvm/Support/BuryPointer.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>

using namespace infrac;
namespace cl = llvm::cl;

#ifndef INFRAC_VERSION
#define INFRAC_VERSION "0.1.0"
#endif

namespace {

cl::OptionCategory infracCategory("infrac options");

cl::SubCommand checkCmd("check", "Parse, resolve and check .infra files; print diagnostics");
cl::SubCommand schemaCmd("schema", "Print every kind, attribute and function as Markdown");

enum class Format { Text, JSON };
enum class Emit { None, AST, Model };
enum class ColorMode { Auto, Always, Never };

cl::list<std::string> checkFiles(cl::Positional, cl::OneOrMore, cl::desc("<file.infra>..."),
                                 cl::sub(checkCmd), cl::cat(infracCategory));
cl::opt<Format> format("format", cl::desc("Diagnostics format"),
                       cl::values(clEnumValN(Format::Text, "text", "clang-style text (stderr)"),
                                  clEnumValN(Format::JSON, "json", "JSON document (stdout)")),
                       cl::init(Format::Text), cl::sub(checkCmd), cl::cat(infracCategory));
cl::opt<Emit> emit("emit", cl::desc("Also print an intermediate form on stdout"),
                   cl::values(clEnumValN(Emit::AST, "ast", "the syntax tree"),
                              clEnumValN(Emit::Model, "model", "the resolved model")),
                   cl::init(Emit::None), cl::sub(checkCmd), cl::cat(infracCategory));
cl::list<std::string> params("P", cl::desc("Override a param: -P name=value"),
                             cl::value_desc("name=value"), cl::Prefix, cl::sub(checkCmd),
                             cl::cat(infracCategory));
cl::opt<unsigned> errorLimit("error-limit",
                             cl::desc("Stop after this many errors (0: no limit)"),
                             cl::init(50), cl::sub(checkCmd), cl::cat(infracCategory));
cl::opt<ColorMode> colorMode(
    "colour", cl::desc("Colour in text diagnostics (NO_COLOR turns auto off)"),
    cl::values(clEnumValN(ColorMode::Auto, "auto", "when stderr is a terminal"),
               clEnumValN(ColorMode::Always, "always", "always"),
               clEnumValN(ColorMode::Never, "never", "never")),
    cl::init(ColorMode::Auto), cl::sub(checkCmd), cl::cat(infracCategory));

bool useColor() {
  switch (colorMode) {
  case ColorMode::Always:
    return true;
  case ColorMode::Never:
    return false;
  case ColorMode::Auto:
    break;
  }
  const char *noColor = std::getenv("NO_COLOR");
  if (noColor && *noColor)
    return false;
  return llvm::errs().is_displayed();
}

/// Parses `-P name=value` into an override. The value is read as an
/// expression; text that is not one (ap-northeast-2) is taken as a string, and
/// so is a bare name given to a param whose default is a string.
bool parseParamOverrides(llvm::SourceMgr &sm, ast::ASTContext &ctx,
                         std::vector<sema::ParamOverride> &out) {
  for (const std::string &p : params) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      llvm::errs() << "infrac: error: -P expects name=value, found '" << p << "'\n";
      return false;
    }
    sema::ParamOverride o;
    o.name = p.substr(0, eq);
    std::string value = p.substr(eq + 1);
    unsigned id = sm.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(value, "-P " + o.name), llvm::SMLoc());
    llvm::StringRef text = sm.getMemoryBuffer(id)->getBuffer();
    o.range = {llvm::SMLoc::getFromPointer(text.begin()),
               llvm::SMLoc::getFromPointer(text.end())};
    DiagnosticEngine scratch(sm);
    o.value = parseExpression(id, sm, ctx, scratch);
    o.text = ctx.create<ast::StringLit>(o.range, text);
    if (!o.value || scratch.hasErrors())
      o.value = o.text;
    out.push_back(std::move(o));
  }
  return true;
}

int runCheck() {
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  diags.setErrorLimit(errorLimit);
  ast::ASTContext ctx;

  sema::SemaOptions semaOpts;
  if (!parseParamOverrides(sm, ctx, semaOpts.paramOverrides))
    return 2;

  // 1. Parse the files and what they import.
  auto program = loadProgram(checkFiles, sm, ctx, diags);
  if (!program) {
    llvm::errs() << "infrac: error: " << llvm::toString(program.takeError()) << "\n";
    return 2;
  }
  if (emit == Emit::AST)
    ast::dumpAST(*program, sm, llvm::outs());

  // 2. Resolve names, types, units and defaults into the model. A file with
  //    syntax errors stops here: its diagnostics are the syntax errors.
  std::unique_ptr<sema::Model> model;
  if (!program->hasSyntaxErrors() && !diags.shouldStop())
    model = sema::buildModel(*program, diags, semaOpts);
  if (emit == Emit::Model && model)
    sema::dumpModel(*model, sm, llvm::outs());

  // 3. Report.
  if (format == Format::JSON) {
    renderJSON(diags, llvm::outs());
  } else {
    TextRenderOptions opts;
    opts.color = useColor();
    renderText(diags, llvm::errs(), opts);
  }
  // Like clang, leave the model to the OS at exit: freeing 100,000 resources
  // one by one costs a tenth of a large check.
  llvm::BuryPointer(std::move(model));
  return diags.hasErrors() ? 1 : 0;
}

void printVersion(llvm::raw_ostream &os) {
  os << "infrac " << INFRAC_VERSION << "\n";
}

} // namespace

int infrac::driverMain(int argc, char **argv) {
  // A first word that is not an option must be a command.
  static const char *const commands[] = {"check", "schema"};
  if (argc >= 2 && argv[1][0] != '-') {
    bool known = false;
    std::vector<llvm::StringRef> names;
    for (const char *c : commands) {
      known |= std::strcmp(argv[1], c) == 0;
      names.push_back(c);
    }
    if (!known) {
      llvm::errs() << "infrac: error: unknown command '" << argv[1] << "'"
                   << didYouMean(argv[1], names)
                   << "\nRun 'infrac --help' for the list of commands.\n";
      return 2;
    }
  }
  cl::SetVersionPrinter(printVersion);
  cl::HideUnrelatedOptions(infracCategory);
  std::string errors;
  llvm::raw_string_ostream errStream(errors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "infrac: check, compile, draw, run and simulate AWS infrastructure "
          "declared in .infra files\n\n"
          "  infrac check FILE...     report diagnostics (exit 0 clean, 1 errors, 2 usage or I/O)\n"
          "  infrac schema            print the language's kinds and attributes (docs/kinds.md)\n\n"
          "Run 'infrac COMMAND --help' for a command's options.\n",
          &errStream)) {
    llvm::errs() << errStream.str();
    return 2;
  }
  if (checkCmd)
    return runCheck();
  if (schemaCmd) {
    sema::printSchemaMarkdown(llvm::outs());
    return 0;
  }
  llvm::errs() << "infrac: error: no command given\nRun 'infrac --help' for usage.\n";
  return 2;
}

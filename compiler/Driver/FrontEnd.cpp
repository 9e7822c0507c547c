//===- FrontEnd.cpp - The pipeline every file-reading command shares ------===//
//
//   load (parse + imports) -> build the model (sema) -> rules -> report
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Parse/Parser.h"
#include "Rules/Config.h"
#include "Rules/Rule.h"

#include "llvm/Support/BuryPointer.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <map>
#include <optional>
#include <cstdlib>

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

cl::OptionCategory &driver::optionCategory() {
  static cl::OptionCategory category("infrac options");
  return category;
}

FrontEndOptions::FrontEndOptions(cl::SubCommand &sub, bool withFormat)
    : files(cl::Positional, cl::OneOrMore, cl::desc("<file.infra>..."), cl::sub(sub),
            cl::cat(optionCategory())),
      params("P", cl::desc("Override a param: -P name=value"), cl::value_desc("name=value"),
             cl::Prefix, cl::sub(sub), cl::cat(optionCategory())),
      errorLimit("error-limit", cl::desc("Stop after this many errors (0: no limit)"),
                 cl::init(50), cl::sub(sub), cl::cat(optionCategory())),
      color("colour", cl::desc("Colour in text diagnostics (NO_COLOR turns auto off)"),
            cl::values(clEnumValN(ColorMode::Auto, "auto", "when stderr is a terminal"),
                       clEnumValN(ColorMode::Always, "always", "always"),
                       clEnumValN(ColorMode::Never, "never", "never")),
            cl::init(ColorMode::Auto), cl::sub(sub), cl::cat(optionCategory())),
      disable("disable", cl::desc("Turn rules off: --disable=SEC007,SEC008"),
              cl::value_desc("ID,..."), cl::CommaSeparated, cl::sub(sub),
              cl::cat(optionCategory())),
      warn("warn", cl::desc("Report these rules as warnings"), cl::value_desc("ID,..."),
           cl::CommaSeparated, cl::sub(sub), cl::cat(optionCategory())),
      error("error", cl::desc("Report these rules as errors"), cl::value_desc("ID,..."),
            cl::CommaSeparated, cl::sub(sub), cl::cat(optionCategory())),
      warningsAsErrors("Werror", cl::desc("Report every warning as an error"), cl::sub(sub),
                       cl::cat(optionCategory())),
      config("config",
             cl::desc("Project configuration (default: the nearest .infrac.yaml at or above "
                      "each file)"),
             cl::value_desc("file"), cl::sub(sub), cl::cat(optionCategory())),
      noConfig("no-config", cl::desc("Ignore .infrac.yaml files"), cl::sub(sub),
               cl::cat(optionCategory())),
      threads("threads",
              cl::desc("Threads to parse a large file with (0: one per core; files under "
                       "about 32,000 tokens use one)"),
              cl::init(0), cl::sub(sub), cl::cat(optionCategory())) {
  if (withFormat)
    format = std::make_unique<cl::opt<DiagFormat>>(
        "format", cl::desc("Diagnostics format"),
        cl::values(clEnumValN(DiagFormat::Text, "text", "clang-style text (stderr)"),
                   clEnumValN(DiagFormat::JSON, "json", "JSON document (stdout)"),
                   clEnumValN(DiagFormat::SARIF, "sarif", "SARIF 2.1.0 log (stdout)")),
        cl::init(DiagFormat::Text), cl::sub(sub), cl::cat(optionCategory()));
}

namespace {

bool useColor(ColorMode mode) {
  switch (mode) {
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
bool parseParamOverrides(llvm::ArrayRef<std::string> params, llvm::SourceMgr &sm,
                         ast::ASTContext &ctx, std::vector<sema::ParamOverride> &out) {
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

/// With several root files, an override must name a param of at least one.
void reportUnknownParams(FrontEnd &fe, const std::vector<sema::ParamOverride> &overrides) {
  bool anyModel = false;
  std::vector<llvm::StringRef> names;
  for (const Unit &unit : fe.units)
    if (unit.model) {
      anyModel = true;
      for (const sema::ParamValue &p : unit.model->params)
        names.push_back(p.name);
    }
  if (!anyModel)
    return; // Syntax errors: nothing is known about the params.
  for (const sema::ParamOverride &o : overrides)
    if (std::find(names.begin(), names.end(), llvm::StringRef(o.name)) == names.end())
      fe.diags.report(DiagID::REF004, o.range, o.name, didYouMean(o.name, names));
}

/// --disable, --warn and --error into rule severities; false (reported) when
/// an id is unknown.
bool parseRuleOptions(const FrontEndOptions &opts, rules::RuleOptions &out) {
  std::vector<llvm::StringRef> names;
  for (const rules::RuleInfo &info : rules::allRuleInfos())
    names.push_back(info.id);
  auto apply = [&](llvm::ArrayRef<std::string> ids, Severity s, const char *flag) {
    for (const std::string &id : ids) {
      auto rule = rules::lookupRule(id);
      if (!rule) {
        llvm::errs() << "infrac: error: unknown rule '" << id << "' in --" << flag
                     << didYouMean(id, names) << "\nRun 'infrac rules' for the list.\n";
        return false;
      }
      out.severities[static_cast<unsigned>(*rule)] = s;
    }
    return true;
  };
  return apply(opts.disable, Severity::Ignored, "disable") &&
         apply(opts.warn, Severity::Warning, "warn") &&
         apply(opts.error, Severity::Error, "error");
}

} // namespace

std::unique_ptr<FrontEnd>
driver::runFrontEnd(const FrontEndOptions &opts,
                    const std::function<void(const ast::Program &, const llvm::SourceMgr &)>
                        &afterParse) {
  auto fe = std::make_unique<FrontEnd>();
  fe->diags.setErrorLimit(opts.errorLimit);

  rules::RuleOptions cliRules;
  if (!parseRuleOptions(opts, cliRules)) {
    fe->status = 2;
    return fe;
  }
  sema::SemaOptions semaOpts;
  if (!parseParamOverrides(opts.params, fe->sm, fe->ctx, semaOpts.paramOverrides)) {
    fe->status = 2;
    return fe;
  }

  // Each configuration file is read once, however many files it governs.
  std::map<std::string, std::optional<rules::ProjectConfig>> configs;
  auto configFor = [&](const std::string &root) -> const rules::ProjectConfig * {
    if (opts.noConfig)
      return nullptr;
    std::string path = opts.config.empty() ? rules::findConfigFor(root) : opts.config.getValue();
    if (path.empty())
      return nullptr;
    auto [it, fresh] = configs.try_emplace(path);
    if (fresh) {
      rules::ProjectConfig c;
      if (rules::loadConfig(path, fe->diags, c))
        it->second = std::move(c);
    }
    return it->second ? &*it->second : nullptr;
  };

  semaOpts.reportUnknownParams = opts.files.size() == 1;
  for (const std::string &root : opts.files) {
    if (fe->diags.shouldStop())
      break;
    // The rule choices for this file: its configuration, then the flags.
    rules::RuleOptions ruleOpts;
    bool werror = opts.warningsAsErrors;
    if (const rules::ProjectConfig *c = configFor(root)) {
      ruleOpts = c->rules;
      werror |= c->warningsAsErrors;
    }
    for (const auto &[id, severity] : cliRules.severities)
      ruleOpts.severities[id] = severity;
    fe->diags.setWarningsAsErrors(werror);
    Unit unit;
    unit.root = root;
    // 1. Parse the file and what it imports.
    ParseOptions parseOpts;
    parseOpts.threads = opts.threads;
    auto program = loadProgram({root}, fe->sm, fe->ctx, fe->diags, parseOpts);
    if (!program) {
      llvm::errs() << "infrac: error: " << llvm::toString(program.takeError()) << "\n";
      fe->status = 2;
      return fe;
    }
    unit.program = std::move(*program);
    if (afterParse)
      afterParse(unit.program, fe->sm);

    // 2. Resolve names, types, units and defaults into the model. A file
    //    with syntax errors stops here: its diagnostics are the syntax errors.
    if (!unit.program.hasSyntaxErrors() && !fe->diags.shouldStop()) {
      unsigned errorsBefore = fe->diags.getNumErrors();
      std::unique_ptr<sema::Model> model =
          sema::buildModel(unit.program, fe->diags, semaOpts);
      unit.model = model.get();
      // 3. The rule catalogue, on a model without errors (erroneous values
      //    would only make the rules repeat what sema said).
      if (fe->diags.getNumErrors() == errorsBefore && !fe->diags.shouldStop())
        rules::runRules(*model, unit.program, fe->diags, ruleOpts);
      llvm::BuryPointer(std::move(model));
    }
    fe->units.push_back(std::move(unit));
  }
  if (!semaOpts.reportUnknownParams)
    reportUnknownParams(*fe, semaOpts.paramOverrides);
  return fe;
}

void driver::reportDiagnostics(const FrontEnd &fe, const FrontEndOptions &opts) {
  if (opts.getFormat() == DiagFormat::JSON) {
    renderJSON(fe.diags, llvm::outs());
    return;
  }
  if (opts.getFormat() == DiagFormat::SARIF) {
    rules::renderSarif(fe.diags, llvm::outs(), infracVersion());
    return;
  }
  TextRenderOptions textOpts;
  textOpts.color = useColor(opts.color);
  renderText(fe.diags, llvm::errs(), textOpts);
}

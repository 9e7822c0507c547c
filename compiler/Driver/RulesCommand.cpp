//===- RulesCommand.cpp - infrac rules, infrac explain --------------------===//

#include "Driver/Driver.h"
#include "Rules/Rule.h"

#include "llvm/Support/raw_ostream.h"

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand rulesCmd("rules", "List the rule catalogue");
cl::opt<bool> markdown("markdown", cl::desc("Print docs/rules.md instead of the table"),
                       cl::sub(rulesCmd), cl::cat(optionCategory()));

int runRules() {
  if (markdown)
    rules::printRulesMarkdown(llvm::outs());
  else
    rules::printRuleTable(llvm::outs());
  return 0;
}

CommandRegistration rulesReg({&rulesCmd, "rules", "list the rule catalogue", runRules, 80});

cl::SubCommand explainCmd("explain", "Explain a rule: what, why, source, examples");
cl::list<std::string> explainIds(cl::Positional, cl::OneOrMore, cl::desc("<rule id>..."),
                                 cl::sub(explainCmd), cl::cat(optionCategory()));

int runExplain() {
  std::vector<llvm::StringRef> names;
  for (const rules::RuleInfo &info : rules::allRuleInfos())
    names.push_back(info.id);
  bool first = true;
  for (const std::string &id : explainIds) {
    auto rule = rules::lookupRule(id);
    const rules::Rule *r = rule ? rules::findRule(*rule) : nullptr;
    if (!r) {
      llvm::errs() << "infrac: error: unknown rule '" << id << "'" << didYouMean(id, names)
                   << "\nRun 'infrac rules' for the list.\n";
      return 2;
    }
    if (!first)
      llvm::outs() << "\n";
    first = false;
    rules::printExplanation(*r, llvm::outs());
  }
  return 0;
}

CommandRegistration explainReg({&explainCmd, "explain ID", "explain a rule", runExplain, 81});

} // namespace

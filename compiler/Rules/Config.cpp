//===- Config.cpp - The project configuration file ------------------------===//

#include "Rules/Config.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/YAMLParser.h"

#include <cctype>

using namespace infrac;
using namespace infrac::rules;
using llvm::SMRange;
using llvm::StringRef;

std::string rules::findConfigFor(StringRef file) {
  llvm::SmallString<256> dir(file);
  llvm::sys::fs::make_absolute(dir);
  llvm::sys::path::remove_filename(dir);
  while (!dir.empty()) {
    llvm::SmallString<256> candidate(dir);
    llvm::sys::path::append(candidate, ConfigFileName);
    if (llvm::sys::fs::is_regular_file(candidate))
      return std::string(candidate);
    StringRef parent = llvm::sys::path::parent_path(dir);
    if (parent == dir)
      break;
    // The parent is a prefix of `dir`: shorten it in place (assigning a
    // SmallString a StringRef into itself is an assertion failure).
    dir.resize(parent.size());
  }
  return "";
}

namespace {

class ConfigReader {
public:
  ConfigReader(DiagnosticEngine &diags, ProjectConfig &out) : diags(diags), out(out) {}

  void read(llvm::yaml::Document &doc) {
    llvm::yaml::Node *root = doc.getRoot();
    if (!root || llvm::isa<llvm::yaml::NullNode>(root))
      return; // An empty file configures nothing.
    auto *map = llvm::dyn_cast<llvm::yaml::MappingNode>(root);
    if (!map) {
      error(root, "the configuration is a mapping of keys such as 'rules:'");
      return;
    }
    for (llvm::yaml::KeyValueNode &kv : *map) {
      std::string key = scalar(kv.getKey());
      if (key == "rules")
        readRules(kv.getValue());
      else if (key == "warnings_as_errors")
        out.warningsAsErrors = boolean(kv.getValue());
      else if (!key.empty())
        unknownKey(kv.getKey(), key, {"rules", "warnings_as_errors"}, "the configuration");
    }
  }

  bool ok = true;

private:
  void readRules(llvm::yaml::Node *node) {
    auto *map = llvm::dyn_cast_or_null<llvm::yaml::MappingNode>(node);
    if (!map) {
      error(node, "'rules' is a mapping with 'disable', 'warn' and 'error' lists");
      return;
    }
    for (llvm::yaml::KeyValueNode &kv : *map) {
      std::string key = scalar(kv.getKey());
      Severity severity;
      if (key == "disable")
        severity = Severity::Ignored;
      else if (key == "warn")
        severity = Severity::Warning;
      else if (key == "error")
        severity = Severity::Error;
      else {
        if (!key.empty())
          unknownKey(kv.getKey(), key, {"disable", "warn", "error"}, "'rules'");
        continue;
      }
      forEachItem(kv.getValue(), [&](llvm::yaml::Node *item) {
        std::string id = scalar(item);
        if (id.empty())
          return;
        auto rule = lookupRule(id);
        if (!rule) {
          std::vector<StringRef> names;
          for (const RuleInfo &info : allRuleInfos())
            names.push_back(info.id);
          diags.report(DiagID::CFG003, item->getSourceRange(), id, key, didYouMean(id, names));
          ok = false;
          return;
        }
        out.rules.severities[static_cast<unsigned>(*rule)] = severity;
      });
    }
  }

  /// A list, or a single scalar as a list of one.
  template <typename Fn> void forEachItem(llvm::yaml::Node *node, Fn fn) {
    if (auto *seq = llvm::dyn_cast_or_null<llvm::yaml::SequenceNode>(node)) {
      for (llvm::yaml::Node &item : *seq)
        fn(&item);
    } else if (llvm::isa_and_nonnull<llvm::yaml::ScalarNode>(node)) {
      fn(node);
    } else {
      error(node, "expected a list of rule ids such as [SEC008, SES001]");
    }
  }

  std::string scalar(llvm::yaml::Node *node) {
    auto *s = llvm::dyn_cast_or_null<llvm::yaml::ScalarNode>(node);
    if (!s) {
      error(node, "expected a plain value here");
      return "";
    }
    llvm::SmallString<32> storage;
    return s->getValue(storage).str();
  }

  bool boolean(llvm::yaml::Node *node) {
    std::string v = scalar(node);
    if (v == "true")
      return true;
    if (v != "false" && !v.empty())
      error(node, "expected true or false, not '" + v + "'");
    return false;
  }

  void unknownKey(llvm::yaml::Node *node, StringRef key, std::vector<StringRef> known,
                  StringRef where) {
    diags.report(DiagID::CFG002, node->getSourceRange(), key, where, didYouMean(key, known));
    ok = false;
  }

  void error(llvm::yaml::Node *node, const std::string &message) {
    diags.report(DiagID::CFG001, node ? node->getSourceRange() : SMRange(), message);
    ok = false;
  }

  DiagnosticEngine &diags;
  ProjectConfig &out;
};

} // namespace

bool rules::loadConfig(StringRef path, DiagnosticEngine &diags, ProjectConfig &out) {
  // Only a regular file of a sane size: a device or a FIFO could be read forever.
  constexpr uint64_t maxConfigBytes = 1 << 20;
  llvm::sys::fs::file_status st;
  if (!llvm::sys::fs::status(path, st) &&
      (st.type() != llvm::sys::fs::file_type::regular_file || st.getSize() > maxConfigBytes)) {
    diags.report(DiagID::CFG001, SMRange(),
                 "cannot read " + path.str() +
                     (st.type() != llvm::sys::fs::file_type::regular_file
                          ? ": not a regular file"
                          : ": larger than the limit of 1 MiB"));
    return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    diags.report(DiagID::CFG001, SMRange(),
                 "cannot read " + path.str() + ": " + buffer.getError().message());
    return false;
  }
  llvm::SourceMgr &sm = diags.getSourceMgr();
  unsigned id = sm.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  llvm::MemoryBufferRef ref = sm.getMemoryBuffer(id)->getMemBufferRef();

  // YAML syntax errors arrive through the SourceMgr's handler: make them ours.
  struct Capture {
    DiagnosticEngine *diags;
    bool failed = false;
  } capture{&diags};
  auto oldHandler = sm.getDiagHandler();
  void *oldContext = sm.getDiagContext();
  sm.setDiagHandler(
      [](const llvm::SMDiagnostic &d, void *ctx) {
        auto *c = static_cast<Capture *>(ctx);
        if (c->failed)
          return; // The first syntax error is the one worth reading.
        c->failed = true;
        // LLVM's YAML messages in the house style: lower-case, no final mark.
        std::string m = StringRef(d.getMessage()).rtrim("!.").str();
        if (!m.empty())
          m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
        c->diags->report(DiagID::CFG001, SMRange(d.getLoc(), d.getLoc()),
                         "invalid YAML: " + m);
      },
      &capture);
  // Syntax first, so that a half-parsed document says nothing misleading.
  bool valid = llvm::yaml::Stream(ref, sm, /*ShowColors=*/false).validate() && !capture.failed;
  ConfigReader reader(diags, out);
  if (valid) {
    llvm::yaml::Stream stream(ref, sm, /*ShowColors=*/false);
    for (llvm::yaml::Document &doc : stream)
      reader.read(doc);
  }
  sm.setDiagHandler(oldHandler, oldContext);
  return valid && reader.ok;
}

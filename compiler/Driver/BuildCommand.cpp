//===- BuildCommand.cpp - infrac build ------------------------------------===//
//
//   front end (rules included) -> no errors -> a CloudFormation template for
//   each root file (one thread each), all in memory -> write DIR/<stem>.template.json (and .yaml)
//   through temporary files, renamed into place once all are written; or
//   standard output for -o -
//
// A failed build leaves nothing behind: errors in the input stop it before
// anything is written, a write error discards every temporary, and a signal
// removes them (llvm::sys::fs::TempFile).
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"

#include "Emit/CloudFormation.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <thread>

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand buildCmd("build",
                        "Check .infra files, then write a CloudFormation template for each");
FrontEndOptions options(buildCmd, /*withFormat=*/false);

cl::opt<std::string> outDir("o", cl::desc("Output directory ('-' for standard output)"),
                            cl::value_desc("dir"), cl::Required, cl::sub(buildCmd),
                            cl::cat(optionCategory()));
cl::opt<bool> yaml("yaml",
                   cl::desc("Also write <name>.template.yaml (with -o -, YAML instead of JSON)"),
                   cl::init(false), cl::sub(buildCmd), cl::cat(optionCategory()));

struct Output {
  std::string path;
  const emit::Node *root;
  bool yaml;
};

void writeTemplate(const Output &out, llvm::raw_ostream &os) {
  if (out.yaml)
    emit::writeYAML(*out.root, os);
  else
    emit::writeJSON(*out.root, os);
}

/// Writes every output to a temporary beside it, then renames them all into
/// place. A failure before the renames leaves no temporary and touches no
/// destination; a failed rename (a destination that is a directory is caught
/// before) leaves the outputs renamed before it in place.
llvm::Error writeAll(const std::vector<Output> &outputs) {
  std::vector<llvm::sys::fs::TempFile> temps;
  auto discardAll = [&](llvm::Error err) {
    for (llvm::sys::fs::TempFile &t : temps)
      llvm::consumeError(t.discard());
    return err;
  };
  // A destination that is a directory would fail only at the rename, after
  // the outputs before it were in place.
  for (const Output &out : outputs)
    if (llvm::sys::fs::is_directory(out.path))
      return llvm::createStringError(std::make_error_code(std::errc::is_a_directory),
                                     "cannot write '%s': it is a directory", out.path.c_str());
  for (const Output &out : outputs) {
    auto temp = llvm::sys::fs::TempFile::create(out.path + ".tmp-%%%%%%");
    if (!temp)
      return discardAll(llvm::createStringError(llvm::errorToErrorCode(temp.takeError()),
                                                "cannot create a file beside '%s'",
                                                out.path.c_str()));
    temps.push_back(std::move(*temp));
    llvm::raw_fd_ostream os(temps.back().FD, /*shouldClose=*/false);
    // The writers buffer their output themselves: a second buffer here
    // would only copy every byte once more.
    os.SetUnbuffered();
    writeTemplate(out, os);
    os.flush();
    if (std::error_code ec = os.error()) {
      os.clear_error();
      return discardAll(llvm::createStringError(ec, "cannot write '%s': %s", out.path.c_str(),
                                                ec.message().c_str()));
    }
  }
  for (size_t i = 0; i < temps.size(); ++i)
    if (llvm::Error err = temps[i].keep(outputs[i].path)) {
      // keep() is done with the file even when the rename fails.
      llvm::sys::fs::remove(temps[i].TmpName);
      temps.erase(temps.begin(), temps.begin() + i + 1);
      return discardAll(std::move(err));
    }
  return llvm::Error::success();
}

/// The templates of a design that passed, one thread per root file (each
/// only reads its own model). Started only after the whole front end,
/// rules included, found no error: an emitter never sees a model that was
/// rejected (one with an out-of-range integer in a required attribute, or a
/// 10,000-server ensemble, made the emitter crash or allocate gigabytes
/// before the rule rejected it).
class TemplateBuilds {
public:
  ~TemplateBuilds() { join(); }

  void start(size_t unit, const std::string &root, const sema::Model &model) {
    if (builds.size() <= unit)
      builds.resize(unit + 1);
    auto b = std::make_unique<Build>();
    emit::CfnOptions opts;
    opts.description = "Built by infrac from " + llvm::sys::path::filename(root).str();
    Build *slot = b.get();
    slot->thread = std::thread([slot, &model, opts] {
      slot->result.emplace(emit::buildCloudFormation(model, opts));
    });
    builds[unit] = std::move(b);
  }

  void join() {
    for (std::unique_ptr<Build> &b : builds)
      if (b && b->thread.joinable())
        b->thread.join();
  }

  /// The template of `unit`, built after join(); null if it was never
  /// started.
  llvm::Expected<emit::Template> *get(size_t unit) {
    if (unit >= builds.size() || !builds[unit] || !builds[unit]->result)
      return nullptr;
    return &*builds[unit]->result;
  }

private:
  struct Build {
    std::thread thread;
    std::optional<llvm::Expected<emit::Template>> result;
    ~Build() {
      if (result && !*result)
        llvm::consumeError(result->takeError());
    }
  };
  std::vector<std::unique_ptr<Build>> builds;
};

/// CloudFormation's quotas on one template (CloudFormation User Guide,
/// "Understand CloudFormation quotas"): 500 resources, 200 parameters, 200
/// outputs, a body of 1 MB from S3 and 51,200 bytes inline. Reported through
/// the same engine as the rules, at the file's first resource.
void checkQuotas(const Unit &unit, const emit::Template &t, DiagnosticEngine &diags) {
  llvm::SMRange at;
  if (!unit.model->resources.empty())
    at = unit.model->resources.front()->nameRange;
  std::string file = llvm::sys::path::filename(unit.root).str();
  struct Count {
    const char *section, *noun;
    size_t max;
  };
  for (Count c : {Count{"Resources", "resources", 500}, Count{"Parameters", "parameters", 200},
                  Count{"Outputs", "outputs", 200}})
    if (const emit::Node *n = t.root.get(c.section); n && n->size() > c.max)
      diags.report(DiagID::CFN001, at, file, n->size(), c.noun, c.max);
  // The JSON body is what is uploaded; count it without keeping it.
  struct Counter : llvm::raw_ostream {
    uint64_t bytes = 0;
    void write_impl(const char *, size_t n) override { bytes += n; }
    uint64_t current_pos() const override { return bytes; }
  } counter;
  emit::writeJSON(t.root, counter);
  counter.flush();
  if (counter.bytes > 1000000)
    diags.report(DiagID::CFN002, at, file, counter.bytes);
  else if (counter.bytes > 51200)
    diags.report(DiagID::CFN003, at, file, counter.bytes);
}

int runBuild() {
  bool toStdout = outDir == "-";
  if (toStdout && options.files.size() > 1) {
    llvm::errs() << "infrac: error: -o - takes one file, found " << options.files.size() << "\n";
    return 2;
  }
  // 1. Check: parse, resolve, the rule catalogue. Errors stop the build
  //    before any emitter starts.
  auto fe = runFrontEnd(options);
  if (fe->status)
    return fe->status;
  if (exitCode(*fe)) {
    reportDiagnostics(*fe, options);
    return exitCode(*fe);
  }

  // 2. What only the template needs beyond a design `check` and `sim` take
  //    (BLD001), before any emitter starts.
  for (const Unit &unit : fe->units)
    emit::checkBuildable(*unit.model, fe->diags);
  if (exitCode(*fe)) {
    reportDiagnostics(*fe, options);
    return exitCode(*fe);
  }

  // 3. Every template, in memory, from models that passed; what only the
  //    template shows (CloudFormation's quotas) is reported with the rest.
  TemplateBuilds started;
  for (size_t i = 0; i < fe->units.size(); ++i) {
    assert(fe->units[i].model && "no errors yet no model");
    started.start(i, fe->units[i].root, *fe->units[i].model);
  }
  started.join();
  for (size_t i = 0; i < fe->units.size(); ++i)
    if (llvm::Expected<emit::Template> *built = started.get(i); built && *built)
      checkQuotas(fe->units[i], **built, fe->diags);
  reportDiagnostics(*fe, options);
  if (int code = exitCode(*fe))
    return code;

  std::vector<emit::Template> templates;
  std::vector<Output> outputs;
  llvm::StringSet<> stems;
  templates.reserve(fe->units.size());
  for (size_t i = 0; i < fe->units.size(); ++i) {
    const Unit &unit = fe->units[i];
    assert(unit.model && "no errors yet no model");
    std::string stem = llvm::sys::path::stem(unit.root).str();
    if (!stems.insert(stem).second) {
      llvm::errs() << "infrac: error: two files would write '" << stem << ".template.json'\n";
      return 2;
    }
    llvm::Expected<emit::Template> *startedBuild = started.get(i);
    assert(startedBuild && "every unit's template was started");
    llvm::Expected<emit::Template> &built = *startedBuild;
    if (!built) {
      // The rules and BLD001 reject what the emitter cannot deploy: a bug.
      llvm::errs() << unit.root << ": error: " << llvm::toString(built.takeError()) << "\n";
      return 1;
    }
    templates.push_back(std::move(*built));
    const emit::Node &root = templates.back().root;
    llvm::SmallString<256> base(toStdout ? "" : outDir.getValue());
    llvm::sys::path::append(base, stem + ".template");
    if (!toStdout || !yaml)
      outputs.push_back({(base + ".json").str(), &root, false});
    if (yaml)
      outputs.push_back({(base + ".yaml").str(), &root, true});
  }

  // 4. Write them.
  if (toStdout) {
    for (const Output &out : outputs)
      writeTemplate(out, llvm::outs());
    llvm::outs().flush();
    if (std::error_code ec = llvm::outs().error()) {
      llvm::outs().clear_error();
      llvm::errs() << "infrac: error: cannot write to standard output: " << ec.message() << "\n";
      return 2;
    }
    return 0;
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(outDir.getValue())) {
    llvm::errs() << "infrac: error: cannot create directory '" << outDir << "': " << ec.message()
                 << "\n";
    return 2;
  }
  if (llvm::Error err = writeAll(outputs)) {
    llvm::errs() << "infrac: error: " << llvm::toString(std::move(err)) << "\n";
    return 2;
  }
  return 0;
}

CommandRegistration reg({&buildCmd, "build FILE... -o DIR",
                         "check, then write DIR/<name>.template.json (--yaml: and .yaml)", runBuild,
                         20});

} // namespace

//===- RuntimeTestSupport.cpp - Helpers of the runtime's tests ------------===//

#include "RuntimeTestSupport.h"

#include "TestSupport.h"

#include "llvm/Support/raw_ostream.h"

namespace infrac::test {

SimRun simulateFile(const std::string &path, const std::string &scenario,
                    runtime::SimOptions opts, bool withTrace) {
  SimRun out;
  std::string full = path.empty() || path[0] == '/' ? path : sourceDir() + "/" + path;
  auto fe = runFrontEnd({full});
  if (!fe->model || fe->diags.hasErrors()) {
    llvm::raw_string_ostream os(out.diagnostics);
    os << "front end failed for " << full << ": " << fe->diags.getNumErrors() << " errors";
    return out;
  }
  const sema::Resource *sc = nullptr;
  for (const sema::Resource *r : runtime::scenarios(*fe->model))
    if (r->name == scenario)
      sc = r;
  if (!sc) {
    out.diagnostics = "no scenario '" + scenario + "' in " + full;
    return out;
  }
  llvm::raw_string_ostream timeline(out.timeline), trace(out.trace);
  opts.timeline = &timeline;
  if (withTrace)
    opts.trace = &trace;
  out.result = runtime::simulate(runtime::buildPlan(*fe->model, sc, opts.planOptions()), opts);
  timeline.flush();
  trace.flush();
  out.built = true;
  return out;
}

SimRun simulateText(const std::string &text, const std::string &scenario,
                    runtime::SimOptions opts, bool withTrace) {
  static std::string dir = makeTempDir();
  static unsigned n = 0;
  std::string path = dir + "/sim" + std::to_string(n++) + ".infra";
  writeFile(path, text);
  return simulateFile(path, scenario, opts, withTrace);
}

namespace {
/// A stream that hands over whole lines as they are written.
class LineSink : public llvm::raw_ostream {
public:
  explicit LineSink(llvm::function_ref<void(llvm::StringRef)> fn) : fn(fn) {
    SetBufferSize(1 << 16);
  }
  ~LineSink() override { flush(); }

private:
  void write_impl(const char *ptr, size_t size) override {
    pos += size;
    llvm::StringRef data(ptr, size);
    while (!data.empty()) {
      size_t nl = data.find('\n');
      if (nl == llvm::StringRef::npos) {
        partial += data.str();
        return;
      }
      if (partial.empty()) {
        fn(data.take_front(nl));
      } else {
        partial += data.take_front(nl).str();
        fn(partial);
        partial.clear();
      }
      data = data.drop_front(nl + 1);
    }
  }
  uint64_t current_pos() const override { return pos; }
  llvm::function_ref<void(llvm::StringRef)> fn;
  std::string partial;
  uint64_t pos = 0;
};
} // namespace

LoadedModel::LoadedModel(const std::string &path) {
  std::string full = path.empty() || path[0] == '/' ? path : sourceDir() + "/" + path;
  auto run = runFrontEnd({full});
  if (run->model && !run->diags.hasErrors())
    model = run->model.get();
  fe = run.release();
}

LoadedModel::~LoadedModel() { delete fe; }

runtime::SimResult LoadedModel::run(const std::string &scenario, runtime::SimOptions opts,
                                    llvm::function_ref<void(llvm::StringRef)> onLine) {
  const sema::Resource *sc = nullptr;
  for (const sema::Resource *r : runtime::scenarios(*model))
    if (r->name == scenario)
      sc = r;
  assert(sc && "no such scenario");
  LineSink sink(onLine);
  opts.trace = &sink;
  opts.timeline = nullptr;
  runtime::SimResult res = runtime::simulate(runtime::buildPlan(*model, sc, opts.planOptions()), opts);
  sink.flush();
  return res;
}

std::optional<llvm::StringRef> traceField(llvm::StringRef line, llvm::StringRef key) {
  std::string needle = "\"" + key.str() + "\":";
  size_t at = line.find(needle);
  if (at == llvm::StringRef::npos)
    return std::nullopt;
  llvm::StringRef rest = line.drop_front(at + needle.size());
  if (rest.consume_front("\""))
    return rest.take_until([](char c) { return c == '"'; });
  return rest.take_until([](char c) { return c == ',' || c == '}'; });
}

int64_t traceInt(llvm::StringRef line, llvm::StringRef key) {
  int64_t v = -1;
  if (auto f = traceField(line, key))
    f->getAsInteger(10, v);
  return v;
}

} // namespace infrac::test

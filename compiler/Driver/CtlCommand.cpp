//===- CtlCommand.cpp - infrac ctl ----------------------------------------===//
//
// The command-line client of a running `infrac run`'s admin API:
//   infrac ctl [--ready-file F | --admin URL] status
//   infrac ctl [--ready-file F | --admin URL] events [--follow]
//   infrac ctl [--ready-file F | --admin URL] EVENT TARGET [--desired N] [--latency D]
// EVENT is one of the scenario language's actions (kill, stop, recover,
// fail_health, restore_health, slow, deregister, interrupt, scale,
// lose_zone, restore_zone); TARGET as a scenario writes it, or an instance
// id such as i-3.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Live/Live.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand ctlCmd("ctl", "Control a running `infrac run`: its status, or an action");
cl::list<std::string> words(cl::Positional, cl::desc("status | events | EVENT TARGET"),
                            cl::sub(ctlCmd));
cl::opt<std::string> readyFile("ready-file",
                               cl::desc("The ready file `infrac run --ready-file` wrote"),
                               cl::value_desc("F"), cl::sub(ctlCmd), cl::cat(optionCategory()));
cl::opt<std::string> adminUrl("admin", cl::desc("The admin API's URL (http://127.0.0.1:PORT)"),
                              cl::value_desc("URL"), cl::sub(ctlCmd), cl::cat(optionCategory()));
cl::opt<bool> follow("follow",
                     cl::desc("events: keep printing them as they happen, until the run stops"),
                     cl::sub(ctlCmd), cl::cat(optionCategory()));
cl::opt<int64_t> desired("desired", cl::desc("scale: the new desired capacity"),
                         cl::value_desc("N"), cl::sub(ctlCmd), cl::cat(optionCategory()));
cl::opt<int64_t> latencyMs("latency-ms", cl::desc("slow: the added latency per request"),
                           cl::value_desc("MS"), cl::sub(ctlCmd), cl::cat(optionCategory()));

int fail(const llvm::Twine &why) {
  llvm::errs() << "infrac ctl: " << why << "\n";
  return 2;
}

/// An event of GET /v1/events as the run's timeline prints it.
void printEvent(const llvm::json::Object &e, llvm::raw_ostream &os) {
  os << llvm::format("%10s", e.getString("time").getValueOr("").str().c_str()) << "  "
     << llvm::left_justify(e.getString("who").getValueOr(""), 10) << "  "
     << e.getString("text").getValueOr("") << "\n";
}

int events(const std::string &url) {
  if (follow) {
    llvm::Error e = live::followEvents(url, 0, [](const llvm::json::Object &ev) {
      printEvent(ev, llvm::outs());
      llvm::outs().flush();
      return !llvm::outs().has_error();
    });
    if (e)
      return fail(llvm::toString(std::move(e)));
    return 0;
  }
  auto r = live::adminRequest(url, "GET", "/v1/events");
  if (!r)
    return fail(llvm::toString(r.takeError()));
  auto v = llvm::json::parse(r->body);
  const llvm::json::Object *o = v ? v->getAsObject() : nullptr;
  const llvm::json::Array *all = o ? o->getArray("events") : nullptr;
  if (!v)
    llvm::consumeError(v.takeError());
  if (r->status != 200 || !all)
    return fail("the admin API at " + url + " did not give its events");
  for (const llvm::json::Value &e : *all)
    if (const llvm::json::Object *eo = e.getAsObject())
      printEvent(*eo, llvm::outs());
  return 0;
}

int runCtl() {
  std::string url = adminUrl;
  if (url.empty()) {
    if (readyFile.empty())
      return fail("give --ready-file F (as infrac run wrote it) or --admin URL");
    auto buf = llvm::MemoryBuffer::getFile(readyFile);
    if (!buf)
      return fail("cannot read '" + readyFile + "': " + buf.getError().message() +
                  " (is infrac run running with --ready-file?)");
    auto v = llvm::json::parse((*buf)->getBuffer());
    const llvm::json::Object *o = v ? v->getAsObject() : nullptr;
    auto admin = o ? o->getString("admin") : llvm::None;
    if (!v)
      llvm::consumeError(v.takeError());
    if (!admin)
      return fail("'" + readyFile + "' is not a ready file of infrac run");
    url = admin->str();
  }
  if (words.empty())
    return fail("say what to do: status, events, or EVENT TARGET (e.g. kill "
                "web_asg.instances[0])");
  if (words[0] == "events" && words.size() == 1)
    return events(url);
  if (follow)
    return fail("--follow goes with events");
  if (words[0] == "status") {
    auto r = live::adminRequest(url, "GET", "/v1/status");
    if (!r)
      return fail(llvm::toString(r.takeError()));
    auto v = llvm::json::parse(r->body);
    if (!v) {
      llvm::consumeError(v.takeError());
      llvm::outs() << r->body << "\n";
    } else {
      llvm::outs() << llvm::formatv("{0:2}", *v) << "\n";
    }
    return r->status == 200 ? 0 : 1;
  }
  if (words.size() != 2)
    return fail("an action takes one target: infrac ctl " + words[0] + " TARGET");
  llvm::json::Object req{{"action", words[0]}, {"target", words[1]}};
  if (desired.getNumOccurrences())
    req["desired"] = desired.getValue();
  if (latencyMs.getNumOccurrences())
    req["latency_ms"] = latencyMs.getValue();
  std::string body;
  llvm::raw_string_ostream os(body);
  os << llvm::json::Value(std::move(req));
  auto r = live::adminRequest(url, "POST", "/v1/actions", os.str());
  if (!r)
    return fail(llvm::toString(r.takeError()));
  if (r->status != 200) {
    auto v = llvm::json::parse(r->body);
    const llvm::json::Object *o = v ? v->getAsObject() : nullptr;
    auto e = o ? o->getString("error") : llvm::None;
    if (!v)
      llvm::consumeError(v.takeError());
    return fail(e ? e->str() : r->body);
  }
  llvm::outs() << words[0] << " " << words[1] << ": done\n";
  return 0;
}

CommandRegistration reg({&ctlCmd,
                         "ctl [--ready-file F | --admin URL] status | events [--follow] | EVENT TARGET "
                         "[--desired N] [--latency-ms MS]",
                         "control a running infrac run: its status, or an action", runCtl, 46});

} // namespace

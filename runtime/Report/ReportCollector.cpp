//===- ReportCollector.cpp - Keeping a trace's records for the report -----===//

#include "Report/ReportData.h"

using llvm::StringRef;
namespace json = llvm::json;

namespace infrac::runtime {

ReportCollector::ReportCollector(llvm::raw_ostream *also)
    : llvm::raw_ostream(/*unbuffered=*/false), also(also), data(std::make_unique<Data>()) {}

ReportCollector::~ReportCollector() { flush(); }

void ReportCollector::write_impl(const char *ptr, size_t size) {
  pos += size;
  if (also)
    also->write(ptr, size);
  StringRef rest(ptr, size);
  while (!rest.empty()) {
    auto [head, tail] = rest.split('\n');
    if (head.size() == rest.size()) { // No newline: the line goes on.
      partial += head;
      return;
    }
    if (partial.empty()) {
      line(head);
    } else {
      partial += head;
      line(partial);
      partial.clear();
    }
    rest = tail;
  }
}

ReportCollector::Data::Column &ReportCollector::Data::column(StringRef family, StringRef object,
                                                             StringRef member) {
  auto key = std::make_tuple(family.str(), object.str(), member.str());
  auto [it, fresh] = columnIndex.try_emplace(key, columns.size());
  if (fresh) {
    columns.push_back({family.str(), object.str(), member.str(), {}});
    // Before it appeared, it had no value.
    columns.back().values.resize(times.empty() ? 0 : times.size() - 1, nullptr);
  }
  return columns[it->second];
}

std::vector<const ReportCollector::Data::Column *>
ReportCollector::Data::columnsOf(StringRef family, StringRef member) const {
  std::vector<const Column *> out;
  for (const Column &c : columns)
    if (c.family == family && c.member == member)
      out.push_back(&c);
  return out;
}

void ReportCollector::line(StringRef text) {
  Data &d = *data;
  if (!d.error.empty() || text.empty())
    return;
  // Requests, responses and probes are most of a trace and none of the
  // report: skipped before parsing.
  for (StringRef bulky : {"\"ev\":\"request\"", "\"ev\":\"response\"", "\"ev\":\"probe\""})
    if (text.contains(bulky))
      return;
  llvm::Expected<json::Value> parsed = json::parse(text);
  const json::Object *o = parsed ? parsed->getAsObject() : nullptr;
  llvm::Optional<int64_t> t = o ? o->getInteger("t") : llvm::None;
  llvm::Optional<StringRef> ev = o ? o->getString("ev") : llvm::None;
  if (!t || !ev) {
    if (!parsed)
      llvm::consumeError(parsed.takeError());
    d.error = text.str();
    return;
  }
  auto str = [&](StringRef key) { return o->getString(key).getValueOr("").str(); };
  if (*ev == "start") {
    d.started = true;
    d.scenario = str("scenario");
    d.seed = uint64_t(o->getInteger("seed").getValueOr(0));
    d.end = o->getInteger("end").getValueOr(0);
  } else if (*ev == "note") {
    d.notes.push_back({*t, str("who"), str("text")});
  } else if (*ev == "decided") {
    d.decided.emplace(str("expect"), o->getInteger("at").getValueOr(*t));
  } else if (*ev == "verdict") {
    d.verdicts.push_back({str("expect"), str("result"), str("detail")});
  } else if (*ev == "series") {
    d.times.push_back(*t);
    for (StringRef family : {"lb", "tg", "asg", "emr", "election"}) {
      const json::Array *objects = o->getArray(family);
      if (!objects)
        continue;
      for (const json::Value &v : *objects) {
        const json::Object *obj = v.getAsObject();
        llvm::Optional<StringRef> name = obj ? obj->getString("name") : llvm::None;
        if (!name)
          continue;
        for (const auto &[member, x] : *obj)
          if (member != "name")
            d.column(family, *name, member).values.push_back(x);
      }
    }
    // What this record did not give is null (a latency without responses).
    for (Data::Column &c : d.columns)
      c.values.resize(d.times.size(), nullptr);
  }
}

} // namespace infrac::runtime

//===- Trace.cpp - The timeline and the JSON-lines trace ------------------===//

#include "Trace/Trace.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"

#include <cstdio>

using llvm::StringRef;

namespace infrac::runtime {

std::string fmtTime(Instant t) {
  char buf[32];
  formatInstant(t, buf, sizeof buf);
  return buf;
}

std::string fmtDuration(Duration d) {
  char buf[32];
  formatDuration(d, buf, sizeof buf);
  return buf;
}

std::string jsonEscape(StringRef s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (uint8_t(c) < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

void Trace::record(StringRef body) {
  *jsonOs << "{\"t\":" << clock.now() << "," << body << "}\n";
}

void Trace::note(StringRef who, const std::string &what) {
  changed = true;
  if (timelineOs)
    *timelineOs << llvm::format("%10s", fmtTime(clock.now()).c_str()) << "  "
                << llvm::left_justify(who, 10) << "  " << what << "\n";
  if (jsonOs)
    record("\"ev\":\"note\",\"who\":\"" + jsonEscape(who) + "\",\"text\":\"" + jsonEscape(what) +
           "\"");
  if (onNote)
    onNote(clock.now(), who, what);
}

void Trace::begin(StringRef scenario, uint64_t seed, Instant end) {
  if (timelineOs)
    *timelineOs << "scenario '" << scenario << "': " << fmtTime(end)
                << " of virtual time, seed " << seed << "\n";
  if (jsonOs)
    record("\"ev\":\"start\",\"scenario\":\"" + jsonEscape(scenario) +
           "\",\"seed\":" + std::to_string(seed) + ",\"end\":" + std::to_string(end));
}

void Trace::finish(Instant end) {
  if (timelineOs)
    *timelineOs << llvm::format("%10s", fmtTime(end).c_str()) << "  end\n";
}

void Trace::target(StringRef tg, StringRef target, StringRef from, StringRef to,
                   StringRef reason) {
  record(("\"ev\":\"target\",\"tg\":\"" + tg + "\",\"target\":\"" + target + "\",\"from\":\"" +
          from + "\",\"to\":\"" + to + "\",\"reason\":\"" + reason + "\"")
             .str());
}

void Trace::group(StringRef asg, const int64_t (&n)[5]) {
  record("\"ev\":\"asg\",\"asg\":\"" + asg.str() + "\",\"min\":" + std::to_string(n[0]) +
         ",\"max\":" + std::to_string(n[1]) + ",\"desired\":" + std::to_string(n[2]) +
         ",\"capacity\":" + std::to_string(n[3]) + ",\"in_service\":" + std::to_string(n[4]));
}

void Trace::metric(StringRef asg, StringRef policy, double value) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.3f", value);
  record(("\"ev\":\"metric\",\"asg\":\"" + asg + "\",\"policy\":\"" + policy +
          "\",\"value\":" + buf)
             .str());
}

void Trace::probe(StringRef tg, StringRef target, StringRef result) {
  record(("\"ev\":\"probe\",\"tg\":\"" + tg + "\",\"target\":\"" + target + "\",\"result\":\"" +
          result + "\"")
             .str());
}

void Trace::verdict(StringRef expectation, StringRef result, StringRef detail) {
  record("\"ev\":\"verdict\",\"expect\":\"" + jsonEscape(expectation) + "\",\"result\":\"" +
         result.str() + "\",\"detail\":\"" + jsonEscape(detail) + "\"");
}

} // namespace infrac::runtime

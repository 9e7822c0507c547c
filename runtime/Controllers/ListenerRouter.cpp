//===- ListenerRouter.cpp - Rules by priority, conditions, weighted forward -===//

#include "Controllers/Controllers.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using llvm::StringRef;

namespace infrac::runtime {

static inline char fold(char c, bool ignoreCase) {
  return ignoreCase ? llvm::toLower(c) : c;
}

bool wildcardMatch(StringRef pattern, StringRef text, bool ignoreCase) {
  // Iterative matcher with single-star backtracking: linear in practice.
  size_t p = 0, t = 0, starP = StringRef::npos, starT = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      starP = p++;
      starT = t;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || fold(pattern[p], ignoreCase) == fold(text[t], ignoreCase))) {
      ++p;
      ++t;
    } else if (starP != StringRef::npos) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

std::optional<uint32_t> parseIpv4(StringRef ip) {
  uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    StringRef part;
    std::tie(part, ip) = ip.split('.');
    unsigned v;
    if (part.getAsInteger(10, v) || v > 255)
      return std::nullopt;
    out = out << 8 | v;
  }
  if (!ip.empty())
    return std::nullopt;
  return out;
}

std::optional<std::pair<uint32_t, uint32_t>> parseCidr(StringRef cidr) {
  auto [addr, bits] = cidr.split('/');
  auto ip = parseIpv4(addr);
  if (!ip)
    return std::nullopt;
  unsigned n = 32;
  if (!bits.empty() && (bits.getAsInteger(10, n) || n > 32))
    return std::nullopt;
  uint32_t mask = n == 0 ? 0 : ~0u << (32 - n);
  return std::make_pair(*ip & mask, mask);
}

bool Condition::matches(const Request &r) const {
  switch (kind) {
  case Path: // Case-sensitive; the path only, never the query string.
    for (const std::string &v : values)
      if (wildcardMatch(v, r.path, false))
        return true;
    return false;
  case Host: // Case-insensitive.
    for (const std::string &v : values)
      if (wildcardMatch(v, r.host, true))
        return true;
    return false;
  case Header: // Name and values case-insensitive.
    for (const runtime::Header &h : r.headers)
      if (StringRef(h.name).equals_insensitive(key))
        for (const std::string &v : values)
          if (wildcardMatch(v, h.value, true))
            return true;
    return false;
  case Method: // Case-sensitive, no wildcards.
    return std::find(values.begin(), values.end(), r.method) != values.end();
  case Query: { // Case-insensitive key=value pairs; an empty key matches any.
    StringRef rest = r.query;
    while (!rest.empty()) {
      StringRef pair;
      std::tie(pair, rest) = rest.split('&');
      auto [k, v] = pair.split('=');
      if (!key.empty() && !wildcardMatch(key, k, true))
        continue;
      for (const std::string &want : values)
        if (wildcardMatch(want, v, true))
          return true;
    }
    return false;
  }
  case SourceIp:
    for (auto [net, mask] : cidrs)
      if ((r.sourceIp & mask) == net)
        return true;
    return false;
  }
  return false;
}

ListenerRouter::ListenerRouter(std::vector<Rule> rs, Action def)
    : rules(std::move(rs)), defaultAction(std::move(def)) {
  std::stable_sort(rules.begin(), rules.end(),
                   [](const Rule &a, const Rule &b) { return a.priority < b.priority; });
}

int ListenerRouter::match(const Request &r) const {
  for (size_t i = 0; i < rules.size(); ++i) {
    bool all = true;
    for (const Condition &c : rules[i].conditions)
      if (!c.matches(r)) {
        all = false;
        break;
      }
    if (all)
      return int(i);
  }
  return -1;
}

size_t ListenerRouter::chooseGroup(Instant now, const Action &a, GroupCookie *cookie, Rng &rng) {
  assert(!a.groups.empty() && "forward without target groups");
  if (a.groups.size() == 1)
    return 0;
  if (cookie && a.groupStickiness > 0 && cookie->expires > now)
    for (size_t i = 0; i < a.groups.size(); ++i)
      if (a.groups[i].group == cookie->group && a.groups[i].weight > 0) {
        cookie->expires = now + a.groupStickiness;
        return i;
      }
  uint64_t total = 0;
  for (const ForwardTarget &f : a.groups)
    total += f.weight;
  size_t pick = 0;
  if (total > 0) {
    uint64_t x = rng.below(total);
    for (; pick < a.groups.size(); ++pick) {
      if (x < a.groups[pick].weight)
        break;
      x -= a.groups[pick].weight;
    }
  }
  if (cookie && a.groupStickiness > 0) {
    cookie->group = a.groups[pick].group;
    cookie->expires = now + a.groupStickiness;
  }
  return pick;
}

} // namespace infrac::runtime

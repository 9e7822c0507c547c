//===- Net.h - IPv4 CIDR arithmetic for the rules ---------------*- C++ -*-===//
#ifndef INFRAC_RULES_NET_H
#define INFRAC_RULES_NET_H

#include "llvm/ADT/StringRef.h"

#include <arpa/inet.h>
#include <cstdint>
#include <optional>
#include <string>

namespace infrac::rules {

/// An IPv4 block: network address (host order) and prefix length.
struct Cidr4 {
  uint32_t addr = 0;
  unsigned prefix = 0;
  uint64_t size() const { return uint64_t(1) << (32 - prefix); }
  uint32_t first() const { return addr; }
  uint32_t last() const { return static_cast<uint32_t>(addr + size() - 1); }
  bool contains(const Cidr4 &o) const { return o.first() >= first() && o.last() <= last(); }
  bool overlaps(const Cidr4 &o) const { return o.first() <= last() && first() <= o.last(); }
};

/// Parses "10.0.0.0/16" (inet_pton for the address). An address without a
/// prefix is a /32. IPv6 and malformed text give nullopt.
inline std::optional<Cidr4> parseCidr4(llvm::StringRef text) {
  auto [ip, len] = text.split('/');
  std::string ipText = ip.str();
  in_addr a{};
  if (inet_pton(AF_INET, ipText.c_str(), &a) != 1)
    return std::nullopt;
  unsigned prefix = 32;
  if (!len.empty() && (len.getAsInteger(10, prefix) || prefix > 32))
    return std::nullopt;
  Cidr4 c;
  c.prefix = prefix;
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t(0) << (32 - prefix);
  c.addr = ntohl(a.s_addr) & mask;
  return c;
}

/// The address of a registered target: "10.0.1.5:8080" -> "10.0.1.5",
/// "[2001:db8::1]:80" -> "2001:db8::1"; anything else as it is.
inline llvm::StringRef targetAddress(llvm::StringRef t) {
  if (t.startswith("["))
    return t.drop_front().split(']').first;
  if (t.count(':') == 1)
    return t.split(':').first;
  return t;
}

/// 4 for an IPv4 address, 6 for IPv6, 0 for anything else.
inline int ipFamily(llvm::StringRef address) {
  std::string text = address.str();
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1)
    return 4;
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1)
    return 6;
  return 0;
}

/// True for "::/0" and "0.0.0.0/0".
inline bool isWorld(llvm::StringRef cidr) { return cidr == "0.0.0.0/0" || cidr == "::/0"; }

} // namespace infrac::rules

#endif

//===- RespClient.h - A small blocking RESP2 client ------------*- C++ -*-===//
//
// For control, not traffic: the Redis adapter (REPLICAOF NO ONE, INFO,
// SHUTDOWN) and tests. One connection to 127.0.0.1, requests answered in
// order, a deadline on each.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_RESPCLIENT_H
#define INFRAC_RUNTIME_LIVE_RESPCLIENT_H

#include "Core/Core.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace infrac::live {

/// One RESP2 reply.
struct RespValue {
  enum Kind { Simple, Error, Integer, Bulk, Nil, Array } kind = Nil;
  std::string str;
  int64_t integer = 0;
  std::vector<RespValue> elements;

  bool isError() const { return kind == Error; }
};

class RespClient {
public:
  RespClient() = default;
  RespClient(RespClient &&other) noexcept;
  RespClient &operator=(RespClient &&other) noexcept;
  ~RespClient();

  /// Connects to 127.0.0.1:`port` (or `host`, an IPv4 address).
  static llvm::Expected<RespClient>
  connect(llvm::StringRef host, uint16_t port,
          runtime::Duration timeout = runtime::seconds(5));
  /// "HOST:PORT".
  static llvm::Expected<RespClient>
  connect(llvm::StringRef address,
          runtime::Duration timeout = runtime::seconds(5));

  /// Sends one command and reads its reply. A closed connection or a
  /// timeout is an error; a Redis error reply is a value of kind Error.
  llvm::Expected<RespValue> command(llvm::ArrayRef<llvm::StringRef> argv);
  /// Sends the commands in one write and reads their replies (pipelining).
  llvm::Expected<std::vector<RespValue>>
  pipeline(llvm::ArrayRef<std::vector<std::string>> commands);

  bool connected() const { return fd >= 0; }
  void close();

private:
  llvm::Error sendAll(llvm::StringRef bytes);
  llvm::Expected<RespValue> readValue();
  llvm::Error fill();
  int fd = -1;
  std::string buffer;
  size_t pos = 0;
};

/// Splits "HOST:PORT"; false when it is not one.
bool splitAddress(llvm::StringRef address, std::string &host, uint16_t &port);

} // namespace infrac::live

#endif // INFRAC_RUNTIME_LIVE_RESPCLIENT_H

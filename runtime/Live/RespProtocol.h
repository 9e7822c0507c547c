//===- RespProtocol.h - RESP2 request parsing ------------------*- C++ -*-===//
//
// Private to the embedded store. Parses one request from the bytes received
// so far, as Redis's processMultibulkBuffer and processInlineBuffer do: a
// RESP array of bulk strings, or an inline command (a line of words with
// Redis's quoting, what `telnet` or `redis-cli` in a pipe may send).
// Arguments are views into the input (multibulk) or into `scratch` (inline).
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_RESPPROTOCOL_H
#define INFRAC_RUNTIME_LIVE_RESPPROTOCOL_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace infrac::live {

enum class RespParse { Complete, Incomplete, Error };

/// Parses one request from `data`. Complete: `consumed` bytes were used and
/// `argv` holds the arguments (empty for a blank line or an empty array,
/// which Redis skips). Error: `error` holds Redis's words; the connection is
/// to be closed after replying.
RespParse parseRequest(llvm::StringRef data, size_t &consumed,
                       llvm::SmallVectorImpl<llvm::StringRef> &argv,
                       std::string &scratch, std::string &error);

/// Appends `argv` as a RESP array of bulk strings (the replication stream).
void encodeCommand(std::string &out, llvm::ArrayRef<llvm::StringRef> argv);

} // namespace infrac::live

#endif // INFRAC_RUNTIME_LIVE_RESPPROTOCOL_H

//===- SchemaCommand.cpp - infrac schema ----------------------------------===//

#include "Driver/Driver.h"
#include "Sema/Schema.h"

#include "llvm/Support/raw_ostream.h"

using namespace infrac;
using namespace infrac::driver;

namespace {

llvm::cl::SubCommand schemaCmd("schema",
                               "Print every kind, attribute and function as Markdown");

int runSchema() {
  sema::printSchemaMarkdown(llvm::outs());
  return 0;
}

CommandRegistration reg({&schemaCmd, "schema",
                         "print the language's kinds and attributes (docs/kinds.md)", runSchema,
                         90});

} // namespace

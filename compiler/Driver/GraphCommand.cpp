//===- GraphCommand.cpp - infrac graph ------------------------------------===//
//
//   front end -> buildGraph -> [focusGraph] -> Mermaid | DOT [-> Graphviz dot]
//
// A file with errors is not drawn unless --with-diagnostics asks to see them
// on the diagram; the exit code is 1 either way. The output goes to stdout or
// to -o PATH, which is written whole or not at all.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Graph/Graph.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand graphCmd("graph", "Draw the architecture as Mermaid, Graphviz DOT, SVG or PNG");
FrontEndOptions options(graphCmd, /*withFormat=*/false);

enum class Format { Mermaid, Dot, Svg, Png };
cl::opt<Format> format("format", cl::desc("Diagram format"),
                       cl::values(clEnumValN(Format::Mermaid, "mermaid", "Mermaid flowchart"),
                                  clEnumValN(Format::Dot, "dot", "Graphviz DOT"),
                                  clEnumValN(Format::Svg, "svg", "SVG, rendered by Graphviz"),
                                  clEnumValN(Format::Png, "png", "PNG, rendered by Graphviz")),
                       cl::init(Format::Mermaid), cl::sub(graphCmd), cl::cat(optionCategory()));
cl::opt<std::string> output("o", cl::desc("Write the diagram to this file (default: stdout)"),
                            cl::value_desc("path"), cl::sub(graphCmd),
                            cl::cat(optionCategory()));
cl::opt<std::string> focus("focus", cl::desc("Draw only this resource and its neighbours"),
                           cl::value_desc("name"), cl::sub(graphCmd), cl::cat(optionCategory()));
cl::opt<graph::Level>
    level("level", cl::desc("How much to draw"),
          cl::values(clEnumValN(graph::Level::Overview, "overview",
                                "load balancers, target groups, groups, clusters, stores"),
                     clEnumValN(graph::Level::Detail, "detail",
                                "also listeners, rules, subnets, node groups, security groups")),
          cl::init(graph::Level::Detail), cl::sub(graphCmd), cl::cat(optionCategory()));
cl::opt<bool> withDiagnostics("with-diagnostics",
                              cl::desc("Mark resources with errors or warnings; draw even "
                                       "when there are errors"),
                              cl::sub(graphCmd), cl::cat(optionCategory()));
cl::opt<bool> legend("legend", cl::desc("Draw the legend (default: true)"), cl::init(true),
                     cl::sub(graphCmd), cl::cat(optionCategory()));

int fail(const llvm::Twine &message) {
  llvm::errs() << "infrac: error: " << message << "\n";
  return 2;
}

/// Runs Graphviz's dot over `dotText`; returns the rendered bytes. Its
/// warnings are passed on (the tests require there are none).
llvm::Expected<std::string> renderWithGraphviz(llvm::StringRef dotText, llvm::StringRef type) {
  llvm::ErrorOr<std::string> dot = llvm::sys::findProgramByName("dot");
  if (!dot)
    return llvm::createStringError(
        dot.getError(), "--format=%s needs Graphviz's 'dot' on PATH (Debian: apt-get install "
                        "graphviz); --format=dot writes the DOT source instead",
        type.str().c_str());
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("infrac-graph", dir))
    return llvm::createStringError(ec, "cannot create a temporary directory");
  std::string in = (dir + "/graph.dot").str(), out = (dir + "/graph." + type).str(),
              err = (dir + "/stderr").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(in, ec);
    if (!ec)
      os << dotText;
    os.close();
    if (ec || os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove_directories(dir);
      return llvm::createStringError(ec ? ec : std::make_error_code(std::errc::io_error),
                                     "cannot write the DOT source to '%s'", in.c_str());
    }
  }
  std::string typeArg = ("-T" + type).str();
  llvm::StringRef args[] = {*dot, typeArg, "-o", out, in};
  llvm::Optional<llvm::StringRef> redirects[] = {llvm::StringRef(""), llvm::StringRef(""),
                                                 llvm::StringRef(err)};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(*dot, args, llvm::None, redirects, 0, 0, &execError);
  auto errText = llvm::MemoryBuffer::getFile(err);
  llvm::StringRef messages = errText ? (*errText)->getBuffer().trim() : "";
  auto result = llvm::MemoryBuffer::getFile(out, /*IsText=*/false);
  std::string bytes = result ? (*result)->getBuffer().str() : std::string();
  llvm::sys::fs::remove_directories(dir);
  if (rc != 0 || !result)
    return llvm::createStringError(std::errc::io_error, "graphviz failed: %s",
                                   (messages.empty() ? execError : messages.str()).c_str());
  if (!messages.empty())
    llvm::errs() << "infrac: warning: graphviz: " << messages << "\n";
  return bytes;
}

/// The diagram in the chosen format.
llvm::Expected<std::string> render(const graph::Graph &g) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (format == Format::Mermaid) {
    graph::writeMermaid(g, os);
    return os.str();
  }
  graph::writeDot(g, os);
  if (format == Format::Dot)
    return os.str();
  return renderWithGraphviz(os.str(), format == Format::Svg ? "svg" : "png");
}

int emit(llvm::StringRef bytes) {
  if (output.empty() || output == "-") {
    if (format == Format::Png && llvm::outs().is_displayed())
      return fail("not writing PNG to a terminal; use -o PATH");
    llvm::outs() << bytes;
    llvm::outs().flush();
    return 0;
  }
  if (llvm::Error e = llvm::writeFileAtomically(output + ".tmp%%%%%%", output, bytes))
    return fail("cannot write '" + output + "': " + llvm::toString(std::move(e)));
  return 0;
}

int runGraph() {
  if (options.files.size() != 1)
    return fail("graph draws one file (with what it imports); " +
                llvm::Twine(static_cast<unsigned>(options.files.size())) + " were given");
  auto fe = runFrontEnd(options);
  if (fe->status)
    return fe->status;
  reportDiagnostics(*fe, options);
  const Unit &unit = fe->units.front();
  if (!unit.model || (fe->diags.hasErrors() && !withDiagnostics))
    return exitCode(*fe); // The diagnostics say why nothing was drawn.

  graph::GraphOptions gopts;
  gopts.level = level;
  gopts.legend = legend;
  gopts.title = llvm::sys::path::stem(unit.root).str();
  if (withDiagnostics)
    gopts.diagnostics = fe->diags.getDiagnostics();
  graph::Graph g = graph::buildGraph(*unit.model, gopts);
  if (!focus.empty() && !graph::focusGraph(g, focus)) {
    std::vector<std::string> names = graph::drawnNames(g);
    std::vector<llvm::StringRef> refs(names.begin(), names.end());
    return fail("--focus: nothing named '" + focus + "' is drawn" + didYouMean(focus, refs));
  }
  llvm::Expected<std::string> bytes = render(g);
  if (!bytes)
    return fail(llvm::toString(bytes.takeError()));
  if (int rc = emit(*bytes))
    return rc;
  return exitCode(*fe);
}

CommandRegistration reg({&graphCmd, "graph FILE",
                         "draw the architecture: --format=mermaid|dot|svg|png", runGraph, 30});

} // namespace

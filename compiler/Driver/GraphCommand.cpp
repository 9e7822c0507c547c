//===- GraphCommand.cpp - infrac graph ------------------------------------===//
//
//   front end -> buildGraph -> [focusGraph] -> Mermaid | DOT [-> renderDot]
//
// A file with errors is not drawn unless --with-diagnostics asks to see them
// on the diagram; the exit code is 1 either way. The output goes to stdout or
// to -o PATH, which is written whole or not at all.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Graph/Graph.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

std::string driver::designSvg(const sema::Model &model, llvm::StringRef source,
                              llvm::StringRef command, std::string &why) {
  graph::GraphOptions go;
  go.title = llvm::sys::path::stem(source).str(); // As infrac graph draws it.
  std::string dot;
  llvm::raw_string_ostream os(dot);
  graph::writeDot(graph::buildGraph(model, go), os);
  std::string warnings;
  llvm::Expected<std::string> svg = graph::renderDot(os.str(), "svg", /*dpi=*/0, warnings);
  if (!warnings.empty())
    llvm::errs() << "infrac " << command << ": warning: graphviz: " << warnings << "\n";
  if (!svg) {
    why = llvm::toString(svg.takeError());
    return std::string();
  }
  return std::move(*svg);
}

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
cl::opt<unsigned> dpi("dpi",
                     cl::desc("Resolution of --format=png in dots per inch (Graphviz's default "
                              "is 96; 300 prints sharply)"),
                     cl::value_desc("N"), cl::init(0), cl::sub(graphCmd),
                     cl::cat(optionCategory()));

int fail(const llvm::Twine &message) {
  llvm::errs() << "infrac: error: " << message << "\n";
  return 2;
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
  std::string warnings;
  llvm::Expected<std::string> picture =
      graph::renderDot(os.str(), format == Format::Svg ? "svg" : "png", dpi, warnings);
  if (!warnings.empty()) // The tests require there are none.
    llvm::errs() << "infrac: warning: graphviz: " << warnings << "\n";
  return picture;
}

int emit(llvm::StringRef bytes) {
  if (output.empty() || output == "-") {
    if (format == Format::Png && llvm::outs().is_displayed())
      return fail("not writing PNG to a terminal; use -o PATH");
    llvm::outs() << bytes;
    llvm::outs().flush();
    return 0;
  }
  // A temporary beside the output, removed on SIGINT and SIGTERM (TempFile
  // registers it with LLVM's signal handlers), renamed into place when whole.
  auto temp = llvm::sys::fs::TempFile::create(output + ".tmp-%%%%%%");
  if (!temp)
    return fail("cannot write '" + output + "': " + llvm::toString(temp.takeError()));
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << bytes;
    os.flush();
    if (std::error_code ec = os.error()) {
      os.clear_error();
      llvm::consumeError(temp->discard());
      return fail("cannot write '" + output + "': " + ec.message());
    }
  }
  if (llvm::Error e = temp->keep(output)) {
    llvm::sys::fs::remove(temp->TmpName);
    return fail("cannot write '" + output + "': " + llvm::toString(std::move(e)));
  }
  return 0;
}

int runGraph() {
  if (options.files.size() != 1)
    return fail("graph draws one file (with what it imports); " +
                llvm::Twine(static_cast<unsigned>(options.files.size())) + " were given");
  if (dpi.getNumOccurrences() && format != Format::Png)
    return fail("--dpi sets the resolution of a PNG; add --format=png");
  if (dpi.getNumOccurrences() && (dpi < 36 || dpi > 1200))
    return fail("--dpi=" + llvm::Twine(dpi) +
                " is out of range; give 36..1200 (300 prints sharply)");
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

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
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

} // namespace

/// Its warnings are passed on (the tests require there are none). The DOT
/// source goes to dot's standard input and the picture comes back on its
/// standard output, so there is no temporary file to leave behind; dot is
/// told to die with infrac (PR_SET_PDEATHSIG), so SIGTERM or SIGINT stops it
/// too.
llvm::Expected<std::string> driver::renderWithGraphviz(llvm::StringRef dotText,
                                                       llvm::StringRef type) {
  llvm::ErrorOr<std::string> dot = llvm::sys::findProgramByName("dot");
  if (!dot)
    return llvm::createStringError(
        dot.getError(), "--format=%s needs Graphviz's 'dot' on PATH (Debian: apt-get install "
                        "graphviz); --format=dot writes the DOT source instead",
        type.str().c_str());
  std::string typeArg = ("-T" + type).str();
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0)
    return llvm::errorCodeToError(std::error_code(errno, std::generic_category()));
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    return llvm::errorCodeToError(std::error_code(errno, std::generic_category()));
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    return llvm::errorCodeToError(std::error_code(errno, std::generic_category()));
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(127); // infrac is already gone.
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    const char *argv[] = {dot->c_str(), typeArg.c_str(), nullptr};
    execv(dot->c_str(), const_cast<char *const *>(argv));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // A dot that exits early must not kill infrac with SIGPIPE: the write fails
  // with EPIPE instead, and dot's own message says why.
  struct sigaction ignore = {}, previous = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous);
  // Feed stdin while draining stdout and stderr: either may fill its pipe.
  std::string bytes, messages;
  size_t written = 0;
  int inFd = in[1];
  if (dotText.empty()) {
    close(inFd);
    inFd = -1;
  }
  bool outOpen = true, errOpen = true;
  while (outOpen || errOpen) {
    struct pollfd fds[3];
    nfds_t n = 0;
    if (inFd >= 0)
      fds[n++] = {inFd, POLLOUT, 0};
    if (outOpen)
      fds[n++] = {out[0], POLLIN, 0};
    if (errOpen)
      fds[n++] = {err[0], POLLIN, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (!fds[i].revents)
        continue;
      if (fds[i].fd == inFd) {
        ssize_t w = write(inFd, dotText.data() + written,
                          std::min<size_t>(dotText.size() - written, 65536));
        if (w > 0)
          written += static_cast<size_t>(w);
        if ((w < 0 && errno != EINTR && errno != EAGAIN) || written == dotText.size()) {
          close(inFd);
          inFd = -1;
        }
        continue;
      }
      char buf[65536];
      ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      bool isOut = fds[i].fd == out[0];
      if (r <= 0) {
        (isOut ? outOpen : errOpen) = false;
        continue;
      }
      (isOut ? bytes : messages).append(buf, static_cast<size_t>(r));
    }
  }
  if (inFd >= 0)
    close(inFd);
  close(out[0]);
  close(err[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGPIPE, &previous, nullptr);
  llvm::StringRef shown = llvm::StringRef(messages).trim();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return llvm::createStringError(
        std::errc::io_error, "graphviz failed: %s",
        shown.empty() ? (WIFEXITED(status) && WEXITSTATUS(status) == 127
                             ? "cannot run dot"
                             : "dot exited with an error")
                      : shown.str().c_str());
  if (!shown.empty())
    llvm::errs() << "infrac: warning: graphviz: " << shown << "\n";
  return bytes;
}

namespace {

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

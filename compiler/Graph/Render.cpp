//===- Render.cpp - DOT to SVG or PNG through Graphviz --------------------===//
//
// The DOT source goes to dot's standard input and the picture comes back on
// its standard output, so there is no temporary file to leave behind; dot is
// told to die with its parent (PR_SET_PDEATHSIG), so SIGTERM or SIGINT stops
// it too.
//
//===----------------------------------------------------------------------===//

#include "Graph/Graph.h"

#include "llvm/Support/Program.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace infrac;

llvm::Expected<std::string> graph::renderDot(llvm::StringRef dotText, llvm::StringRef type,
                                             unsigned dpi, std::string &warnings) {
  llvm::ErrorOr<std::string> dot = llvm::sys::findProgramByName("dot");
  if (!dot)
    return llvm::createStringError(
        dot.getError(), "--format=%s needs Graphviz's 'dot' on PATH (Debian: apt-get install "
                        "graphviz); --format=dot writes the DOT source instead",
        type.str().c_str());
  std::string typeArg = ("-T" + type).str();
  std::string dpiArg = "-Gdpi=" + std::to_string(dpi);
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
    const char *argv[] = {dot->c_str(), typeArg.c_str(), dpi ? dpiArg.c_str() : nullptr,
                          nullptr};
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
  warnings = shown.str();
  return bytes;
}

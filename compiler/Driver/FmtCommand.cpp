//===- FmtCommand.cpp - infrac fmt ----------------------------------------===//
//
// Rewrites .infra files in the canonical layout (compiler/Format). Every file
// is formatted in memory first: if any has syntax errors they are printed and
// nothing is written. A file is replaced atomically (a temporary file in the
// same directory, renamed over it) and only when its text changes.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"
#include "Format/Format.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace infrac;
using namespace infrac::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand fmtCmd("fmt", "Rewrite .infra files in the canonical layout");

cl::list<std::string> paths(cl::Positional, cl::ZeroOrMore,
                            cl::desc("<file.infra|dir>... (none or '-': standard input)"),
                            cl::sub(fmtCmd), cl::cat(optionCategory()));
cl::opt<bool> check("check",
                    cl::desc("Write nothing; list the files that would change and exit 1 if any"),
                    cl::sub(fmtCmd), cl::cat(optionCategory()));
cl::opt<bool> diff("diff", cl::desc("Print a unified diff of each change"), cl::sub(fmtCmd),
                   cl::cat(optionCategory()));
cl::opt<bool> recursive("recursive",
                        cl::desc("Also format the .infra files in subdirectories of a DIR (-r)"),
                        cl::sub(fmtCmd), cl::cat(optionCategory()));
cl::alias recursiveShort("r", cl::desc("Alias for --recursive"), cl::aliasopt(recursive),
                         cl::cat(optionCategory()));

struct Job {
  std::string path;
  std::string before, after;
};

/// The .infra files of `dir` (and below it with --recursive), sorted.
bool collectDir(const std::string &dir, std::vector<std::string> &out) {
  std::error_code ec;
  std::vector<std::string> found;
  if (recursive) {
    for (llvm::sys::fs::recursive_directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec)) {
      llvm::StringRef name = llvm::sys::path::filename(it->path());
      if (it->type() == llvm::sys::fs::file_type::directory_file && name.startswith(".")) {
        it.no_push(); // .git, .cache and the like
        continue;
      }
      if (it->type() != llvm::sys::fs::file_type::directory_file && name.endswith(".infra"))
        found.push_back(it->path());
    }
  } else {
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      if (it->type() != llvm::sys::fs::file_type::directory_file &&
          llvm::StringRef(it->path()).endswith(".infra"))
        found.push_back(it->path());
  }
  if (ec) {
    llvm::errs() << "infrac fmt: error: cannot read directory '" << dir << "': " << ec.message()
                 << "\n";
    return false;
  }
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
  return true;
}

/// Writes `text` to `path` through a temporary file renamed over it, keeping
/// the file's permissions.
bool writeAtomically(const std::string &path, llvm::StringRef text) {
  llvm::SmallString<256> model(path);
  model += ".fmt-%%%%%%";
  int fd;
  llvm::SmallString<256> tmp;
  llvm::sys::fs::file_status st;
  bool haveStatus = !llvm::sys::fs::status(path, st);
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, tmp)) {
    llvm::errs() << "infrac fmt: error: cannot write '" << path << "': " << ec.message() << "\n";
    return false;
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
    os.flush();
    if (os.has_error()) {
      llvm::errs() << "infrac fmt: error: cannot write '" << path << "': " << os.error().message()
                   << "\n";
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return false;
    }
  }
  if (haveStatus)
    llvm::sys::fs::setPermissions(tmp, st.permissions());
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::errs() << "infrac fmt: error: cannot replace '" << path << "': " << ec.message()
                 << "\n";
    llvm::sys::fs::remove(tmp);
    return false;
  }
  return true;
}

int runFmt() {
  std::vector<std::string> files;
  bool useStdin = paths.empty();
  for (const std::string &p : paths) {
    if (p == "-") {
      useStdin = true;
      continue;
    }
    if (llvm::sys::fs::is_directory(p)) {
      if (!collectDir(p, files))
        return 2;
    } else {
      files.push_back(p);
    }
  }
  if (useStdin && !files.empty()) {
    llvm::errs() << "infrac fmt: error: give files or standard input ('-'), not both\n";
    return 2;
  }

  // 1. Format everything in memory.
  std::vector<Job> jobs;
  bool syntaxErrors = false;
  auto formatOne = [&](std::string name, std::unique_ptr<llvm::MemoryBuffer> buf) {
    Job job;
    job.path = std::move(name);
    job.before = buf->getBuffer().str();
    std::string errors;
    if (!format::formatText(job.before, job.path, job.after, errors)) {
      llvm::errs() << errors;
      syntaxErrors = true;
      return;
    }
    jobs.push_back(std::move(job));
  };
  if (useStdin) {
    auto buf = llvm::MemoryBuffer::getSTDIN();
    if (!buf) {
      llvm::errs() << "infrac fmt: error: cannot read standard input: " << buf.getError().message()
                   << "\n";
      return 2;
    }
    formatOne("<stdin>", std::move(*buf));
  }
  for (const std::string &f : files) {
    auto buf = llvm::MemoryBuffer::getFile(f, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!buf) {
      llvm::errs() << "infrac fmt: error: cannot read '" << f << "': " << buf.getError().message()
                   << "\n";
      return 2;
    }
    formatOne(f, std::move(*buf));
  }
  if (syntaxErrors) {
    llvm::errs() << "infrac fmt: not formatting: fix the syntax errors first (no file was "
                    "changed)\n";
    return 1;
  }

  // 2. Report, then write.
  bool changed = false;
  for (const Job &job : jobs) {
    bool differs = job.before != job.after;
    changed |= differs;
    if (useStdin) {
      if (diff)
        llvm::outs() << format::unifiedDiff(job.before, job.after, job.path);
      else if (!check)
        llvm::outs() << job.after;
      continue;
    }
    if (!differs)
      continue;
    if (diff)
      llvm::outs() << format::unifiedDiff(job.before, job.after, job.path);
    else
      llvm::outs() << job.path << "\n";
    if (!check && !writeAtomically(job.path, job.after))
      return 2;
  }
  return check && changed ? 1 : 0;
}

CommandRegistration reg({&fmtCmd, "fmt [FILE|DIR]...",
                         "rewrite files in the canonical layout (--check, --diff, --recursive)",
                         runFmt, 15});

} // namespace

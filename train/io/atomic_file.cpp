// Temp-file, fsync and rename writes (see atomic_file.h).
#include "train/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "train/io/fd.h"

namespace oc {
namespace {

bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t(1) << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// TEST ONLY (tests/kill_resume_test.sh): with OCELLUS_CRASH_IN_WRITE=N in the environment, the Nth
// call of write_file_atomic in this process kills the process (SIGKILL, as a power cut or the OOM
// killer would) right after the first piece reached the temporary file, before the rename: the
// half-written temporary stays behind and the target keeps its old contents.
bool crash_requested_in_this_write() {
  static const long crash_at = [] {
    const char* v = std::getenv("OCELLUS_CRASH_IN_WRITE");
    return v ? std::atol(v) : 0L;
  }();
  static std::atomic<long> calls{0};
  return crash_at > 0 && calls.fetch_add(1) + 1 == crash_at;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::vector<ByteSpan>& pieces) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      (dir / str_cat(".", target.filename().string(), ".tmp.", ::getpid(), ".", counter.fetch_add(1))).string();
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  OC_CHECK(fd.get() >= 0, path, ": cannot create the temporary file ", tmp, " (", std::strerror(errno), ")");
  auto fail = [&](const char* what) {
    const int err = errno;
    fd.close();
    ::unlink(tmp.c_str());
    OC_FAIL(path, ": ", what, " (", std::strerror(err), ")");
  };
  const bool crash = crash_requested_in_this_write();
  for (const ByteSpan& piece : pieces) {
    if (piece.size > 0 && !write_all(fd.get(), piece.data, piece.size)) fail("write failed");
    if (crash) std::raise(SIGKILL);
  }
  if (::fsync(fd.get()) != 0) fail("fsync failed");
  if (fd.close() != 0) fail("close failed");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename the temporary file over it");
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  write_file_atomic(path, {ByteSpan{bytes.data(), bytes.size()}});
}

}  // namespace oc

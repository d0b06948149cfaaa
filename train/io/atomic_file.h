// Whole-file writes that a reader never sees half done, and that survive a crash: the bytes go to a
// temporary file beside the target (a unique name, created exclusively), are flushed to the disk,
// and the file is renamed over the target (atomic within one directory on POSIX); the directory is
// flushed too, so the rename itself is durable.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace oc {

// One piece of a file's bytes, not owned (a checkpoint's header, then each tensor's data).
struct ByteSpan {
  const void* data;
  size_t size;
};

// Writes the pieces in order to `path`. Any failure (no directory, a full disk, a file-size limit)
// removes the temporary file and throws an oc::Error naming `path`, the step that failed and the
// system's reason; `path` then still holds what it held before.
void write_file_atomic(const std::string& path, const std::vector<ByteSpan>& pieces);
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace oc

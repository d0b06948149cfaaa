// Whole-file writes that a reader never sees half done: the bytes go to a temporary file beside the
// target, which is then renamed over it (rename within one directory is atomic on POSIX).
#pragma once
#include <string>

namespace oc {

// Writes `bytes` to `path` through `path.tmp` + rename; errors name the path and the reason.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace oc

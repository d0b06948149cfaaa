// Test helpers (see helpers.h).
#include "tests/helpers.h"

#include <unistd.h>

namespace oc::test {

TempDir::TempDir(const std::string& prefix) {
  static int counter = 0;
  path = std::filesystem::temp_directory_path() / str_cat(prefix, "_", ::getpid(), "_", counter++);
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace oc::test

// Test helpers (see helpers.h).
#include "tests/helpers.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace oc::test {

void skip_test(const std::string& reason) {
  std::fprintf(stderr, "SKIPPED: %s\n", reason.c_str());
  std::fflush(stderr);
  std::_Exit(77);  // no static destructors: other tests' state is not torn down half-way
}

TempDir::TempDir(const std::string& prefix) {
  static int counter = 0;
  path = std::filesystem::temp_directory_path() / str_cat(prefix, "_", ::getpid(), "_", counter++);
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
}

std::string read_file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace oc::test

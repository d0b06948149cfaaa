// write_file_atomic (train/io/atomic_file.h): pieces written in order, and a write that fails half
// way (a file-size limit, as a full disk) leaves the previous file and no temporary behind.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>

#include "tests/helpers.h"
#include "train/io/atomic_file.h"

using namespace oc;

TEST_CASE("atomic file: pieces in order, and a failed write leaves the old file and no temporary") {
  test::TempDir dir;
  const std::string path = dir.file("data.bin");
  write_file_atomic(path, {ByteSpan{"ab", 2}, ByteSpan{"", 0}, ByteSpan{"cde", 3}});
  REQUIRE(test::read_file_bytes(path) == "abcde");

  // A 4 KiB file-size limit (SIGXFSZ ignored, as ocellus does): the 100 kB write fails with EFBIG.
  struct rlimit old_limit;
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string message;
  try {
    write_file_atomic(path, std::string(100000, 'x'));
  } catch (const std::exception& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old_limit);  // before any REQUIRE, which may end the test
  std::signal(SIGXFSZ, old_handler);
  REQUIRE_THAT(message, Catch::Contains(path) && Catch::Contains("write failed (File too large)"));
  REQUIRE(test::read_file_bytes(path) == "abcde");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) files += e.path().filename() == "data.bin" ? 1 : 100;
  REQUIRE(files == 1);
}

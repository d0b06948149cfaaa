// Test helpers for Catch2 tests: temporary directories, expected errors, REQUIRE_CLOSE and
// REQUIRE_GRADCHECK over the numeric helpers of numeric.h.
#pragma once
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "kernels/ops.h"
#include "tests/numeric.h"

namespace oc::test {

// Ends this test's process with exit code 77, which ctest (SKIP_RETURN_CODE) reports as skipped,
// never as passed. ctest runs each test case in its own process, so no other test is cut short;
// run by hand without ctest, the program stops at the first skip (the message says why).
[[noreturn]] void skip_test(const std::string& reason);

// A file's whole contents as bytes ("" when it cannot be read), for comparing written files.
std::string read_file_bytes(const std::string& path);

// A fresh directory under the system temp dir, removed with everything in it when destroyed.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "ocellus");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
  std::string str() const { return path.string(); }
};

// Expects f() to throw an oc::Error whose message contains every fragment.
template <class F>
void require_error(F f, std::initializer_list<std::string> fragments) {
  try {
    f();
  } catch (const Error& e) {
    std::string msg = e.what();
    INFO("message: " << msg);
    for (const std::string& frag : fragments) {
      INFO("expected fragment: " << frag);
      CHECK(msg.find(frag) != std::string::npos);
    }
    return;
  }
  FAIL("no oc::Error thrown");
}

}  // namespace oc::test

#define REQUIRE_CLOSE(got, want, atol, rtol)                           \
  do {                                                                 \
    auto oc_r_ = ::oc::test::all_close((got), (want), (atol), (rtol)); \
    INFO(oc_r_.message);                                               \
    REQUIRE(oc_r_.ok);                                                 \
  } while (0)

#define REQUIRE_GRADCHECK(...)                         \
  do {                                                 \
    auto oc_r_ = ::oc::test::gradcheck(__VA_ARGS__);   \
    INFO(oc_r_.message);                               \
    REQUIRE(oc_r_.ok);                                 \
  } while (0)

// Test helpers: seeded random tensors, closeness checks with a mixed bound, and a
// finite-difference gradient check in float64.
#pragma once
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "kernels/ops.h"

namespace oc::test {

// Ends this test's process with exit code 77, which ctest (SKIP_RETURN_CODE) reports as skipped,
// never as passed. ctest runs each test case in its own process, so no other test is cut short;
// run by hand without ctest, the program stops at the first skip (the message says why).
[[noreturn]] void skip_test(const std::string& reason);

// Uniform in [lo, hi) from a fixed seed; never all zeros.
Tensor rand(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1, DType dtype = DType::f32,
            Device device = Device::cpu());

// Every |got - want| <= atol + rtol * |want| (NaN only where want is NaN); on failure the message
// names the first bad element, its index and both values.
struct CloseResult {
  bool ok = true;
  std::string message;
};
CloseResult all_close(const Tensor& got, const Tensor& want, double atol, double rtol);

// Compares d(sum(w * f(inputs)))/d(input) from backward with central differences
// (f(x + eps) - f(x - eps)) / 2 eps, computed in float64 on the CPU, for every input that requires
// grad. w is a fixed random weight tensor, so every output element's gradient matters.
CloseResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                      double eps = 1e-6, double atol = 1e-7, double rtol = 1e-5);

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

// The engine's own op profile: while a profile is on, every kernel called through OC_ON_DEVICE on the
// thread that started it adds its wall time and one call under the kernel's name (the outermost kernel
// only, so a convolution that runs a GEMM inside counts once). Off, a scope costs one relaxed load.
// `ocellus bench train --profile` prints it; the rest of a step's time is the framework's own.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace oc {

struct ProfileEntry {
  std::string name;  // the kernel (OC_ON_DEVICE's name, e.g. conv2d_forward)
  double ms = 0;     // total wall time
  int64_t calls = 0;
};

// Starts a profile on the calling thread (clearing the previous one); stop returns its entries, the
// slowest first. Another thread's kernels (data loader workers) are not counted.
void profile_start();
std::vector<ProfileEntry> profile_stop();

namespace detail {
extern std::atomic<bool> g_profiling;
void profile_add(const char* name, std::chrono::steady_clock::time_point t0);
// On the profiling thread: counts the scope's depth and returns 1 (the outermost scope) or 2
// (nested); elsewhere 0, and nothing is counted.
int profile_enter();
void profile_leave();
}  // namespace detail

class ProfileScope {
 public:
  explicit ProfileScope(const char* name) {
    if (!detail::g_profiling.load(std::memory_order_relaxed)) return;
    level_ = detail::profile_enter();
    if (level_ == 1) {
      name_ = name;
      t0_ = std::chrono::steady_clock::now();
    }
  }
  ~ProfileScope() {
    if (level_ == 1) detail::profile_add(name_, t0_);
    if (level_ != 0) detail::profile_leave();
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  int level_ = 0;
  const char* name_ = nullptr;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace oc

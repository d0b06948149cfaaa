// The op profile (profile.h): one table per profile, written only by the profiling thread.
#include "core/profile.h"

#include <algorithm>
#include <map>
#include <thread>

namespace oc {
namespace detail {

std::atomic<bool> g_profiling{false};

namespace {
std::thread::id g_profiled_thread;
std::map<std::string, ProfileEntry> g_entries;
thread_local int t_depth = 0;
}  // namespace

int profile_enter() {
  if (std::this_thread::get_id() != g_profiled_thread) return 0;
  return t_depth++ == 0 ? 1 : 2;
}

void profile_leave() { --t_depth; }

void profile_add(const char* name, std::chrono::steady_clock::time_point t0) {
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ProfileEntry& e = g_entries[name];
  e.name = name;
  e.ms += ms;
  e.calls++;
}

}  // namespace detail

void profile_start() {
  detail::g_entries.clear();
  detail::g_profiled_thread = std::this_thread::get_id();
  detail::g_profiling = true;
}

std::vector<ProfileEntry> profile_stop() {
  detail::g_profiling = false;
  std::vector<ProfileEntry> out;
  for (auto& [name, e] : detail::g_entries) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const ProfileEntry& a, const ProfileEntry& b) { return a.ms > b.ms; });
  return out;
}

}  // namespace oc

// Logging to stderr, with an in-place progress line on terminals.
#include "core/log.h"

#include <cstdio>
#include <mutex>
#include <unistd.h>

namespace oc {
namespace {
std::mutex g_log_mutex;
bool g_progress_shown = false;
}  // namespace

bool log_is_terminal() {
  static const bool tty = isatty(fileno(stderr));
  return tty;
}

void log_line(const std::string& text) {
  std::lock_guard<std::mutex> lk(g_log_mutex);
  if (g_progress_shown) std::fputs("\r\033[K", stderr);
  g_progress_shown = false;
  std::fputs(text.c_str(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void log_progress(const std::string& text) {
  if (!log_is_terminal()) return;
  std::lock_guard<std::mutex> lk(g_log_mutex);
  std::fputs("\r\033[K", stderr);
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  g_progress_shown = !text.empty();
}

}  // namespace oc

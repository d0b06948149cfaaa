// The one way code below tools/ talks to the terminal: log lines to stderr, and a progress line
// that redraws in place on a terminal (and is silent otherwise, where log lines serve instead).
#pragma once
#include <string>

#include "core/error.h"

namespace oc {

void log_line(const std::string& text);
template <class... Args>
void log_info(const Args&... args) {
  log_line(str_cat(args...));
}

// True when stderr is a terminal.
bool log_is_terminal();
// Redraws the progress line (terminals only); an empty string clears it.
void log_progress(const std::string& text);

}  // namespace oc

// One exception type for every error ocellus reports, and the check macros that build its message.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace oc {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

namespace detail {
inline void stream_all(std::ostringstream&) {}
template <class T, class... Rest>
void stream_all(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  stream_all(os, rest...);
}
}  // namespace detail

// Concatenates the arguments with operator<< into one string.
template <class... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  detail::stream_all(os, args...);
  return os.str();
}

}  // namespace oc

// OC_CHECK(cond, "op: ", shape, " must be ...") throws oc::Error with the message when cond is false.
#define OC_CHECK(cond, ...)                                   \
  do {                                                        \
    if (!(cond)) throw ::oc::Error(::oc::str_cat(__VA_ARGS__)); \
  } while (0)

#define OC_FAIL(...) throw ::oc::Error(::oc::str_cat(__VA_ARGS__))

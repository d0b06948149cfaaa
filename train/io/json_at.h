// A position in a JSON file ("file: annotations[3].bbox: ...") and typed accessors that fail there,
// for the strict readers of COCO-style files.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "nets/config.h"

namespace oc {

struct JsonAt {
  const std::string& file;
  std::string path;
  JsonAt operator[](size_t i) const { return JsonAt{file, str_cat(path, "[", i, "]")}; }
  JsonAt key(const std::string& k) const { return JsonAt{file, path.empty() ? k : path + "." + k}; }
  template <class... Args>
  [[noreturn]] void fail(const Args&... args) const {
    OC_FAIL(file, ": ", path.empty() ? "(top level)" : path, ": ", args...);
  }
};

// obj[k]; obj not an object or k missing is an error at `at`.
inline const json& json_need(const json& obj, const std::string& k, const JsonAt& at) {
  if (!obj.is_object()) at.fail("expected an object, got ", obj.type_name());
  auto it = obj.find(k);
  if (it == obj.end()) at.fail("missing key \"", k, "\"");
  return *it;
}

inline const json& json_need_array(const json& obj, const std::string& k, const JsonAt& at) {
  const json& a = json_need(obj, k, at);
  if (!a.is_array()) at.key(k).fail("expected an array, got ", a.type_name());
  return a;
}

// A finite number (booleans are not numbers; a non-finite value set in code is refused; the parser
// itself already rejects a literal like 1e999 as out of range).
inline double json_number(const json& v, const JsonAt& at) {
  if (!v.is_number()) at.fail("expected a number, got ", v.type_name());
  const double d = v.get<double>();
  if (!std::isfinite(d)) at.fail("expected a finite number, got ", v.dump());
  return d;
}

inline int64_t json_integer(const json& v, const JsonAt& at) {
  if (v.is_number_integer()) return v.get<int64_t>();
  const double d = json_number(v, at);
  if (d != std::floor(d) || std::fabs(d) > 9e15) at.fail("expected an integer, got ", v.dump());
  return static_cast<int64_t>(d);
}

inline std::string json_text(const json& v, const JsonAt& at) {
  if (!v.is_string()) at.fail("expected a string, got ", v.type_name());
  return v.get<std::string>();
}

}  // namespace oc

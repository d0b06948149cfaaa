// Strict JSON config reading (see config.h).
#include "nets/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace oc {

json read_json_file(const std::string& path) {
  std::ifstream f(path);
  OC_CHECK(f.good(), path, ": cannot open the file");
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const json::exception& e) {  // syntax errors, and numbers out of range (1e999)
    OC_FAIL(path, ": invalid JSON: ", e.what());
  }
}

void apply_override(json& config, const std::string& assignment, const std::string& file) {
  auto eq = assignment.find('=');
  OC_CHECK(eq != std::string::npos && eq > 0, "--set ", assignment, ": expected key.path=value");
  std::string path = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  json value;
  try {
    value = json::parse(text);
  } catch (const json::parse_error&) {
    value = text;  // a bare word: a string
  } catch (const json::exception& e) {  // a number out of range (1e999)
    OC_FAIL("--set ", assignment, ": ", e.what());
  }
  json* node = &config;
  std::stringstream ss(path);
  std::string part, walked;
  std::vector<std::string> parts;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    walked += (walked.empty() ? "" : ".") + p;
    bool last = i + 1 == parts.size();
    if (node->is_array()) {
      size_t idx = 0;
      try {
        idx = std::stoul(p);
      } catch (...) {
        OC_FAIL(file, ": --set ", path, ": ", walked, " indexes an array, expected a number");
      }
      OC_CHECK(idx < node->size(), file, ": --set ", path, ": index ", idx, " is out of range (", node->size(),
               " entries)");
      node = &(*node)[idx];
    } else {
      OC_CHECK(node->is_object(), file, ": --set ", path, ": ", walked, " is not an object");
      if (last) {
        (*node)[p] = value;
        return;
      }
      node = &(*node)[p];
      if (node->is_null()) *node = json::object();
    }
    if (last) *node = value;
  }
}

ConfigObject::ConfigObject(const json& j, std::string file, std::string path)
    : ConfigObject(j, std::move(file), std::move(path), std::make_shared<json>(json::object()), json::json_pointer()) {}

ConfigObject::ConfigObject(const json& j, std::string file, std::string path, std::shared_ptr<json> resolved,
                           json::json_pointer at)
    : j_(j.is_null() ? json::object() : j),
      file_(std::move(file)),
      path_(std::move(path)),
      resolved_(std::move(resolved)),
      pointer_(std::move(at)) {
  OC_CHECK(j_.is_object(), file_, ": ", path_.empty() ? "the config" : path_, ": expected an object, got ",
           j_.type_name());
  json& node = (*resolved_)[pointer_];
  if (!node.is_object()) node = json::object();
}

template <class T>
T ConfigObject::record(const std::string& key, T value) {
  (*resolved_)[pointer_ / key] = value;
  return value;
}

std::string ConfigObject::where(const std::string& key) const {
  std::string p = path_;
  if (!key.empty()) p += (p.empty() ? "" : ".") + key;
  return file_ + ": " + (p.empty() ? "(top level)" : p);
}

bool ConfigObject::has(const std::string& key) const { return j_.contains(key) && !j_.at(key).is_null(); }

const json& ConfigObject::at(const std::string& key, const char* expected, bool (*ok)(const json&)) {
  read_.insert(key);
  const json& v = j_.at(key);
  OC_CHECK(ok(v), where(key), ": expected ", expected, ", got ", v.dump());
  return v;
}

std::string ConfigObject::get_string(const std::string& key, const std::string& fallback) {
  read_.insert(key);
  if (!has(key)) return record(key, fallback);
  return record(key, at(key, "a string", [](const json& v) { return v.is_string(); }).get<std::string>());
}

std::string ConfigObject::require_string(const std::string& key) {
  OC_CHECK(has(key), where(key), ": missing required key");
  return get_string(key, "");
}

double ConfigObject::get_double(const std::string& key, double fallback) {
  read_.insert(key);
  if (!has(key)) return record(key, fallback);
  return record(key, at(key, "a number", [](const json& v) { return v.is_number(); }).get<double>());
}

int64_t ConfigObject::get_int(const std::string& key, int64_t fallback) {
  read_.insert(key);
  if (!has(key)) return record(key, fallback);
  return record(key, at(key, "an integer", [](const json& v) { return v.is_number_integer(); }).get<int64_t>());
}

int64_t ConfigObject::require_int(const std::string& key) {
  OC_CHECK(has(key), where(key), ": missing required key");
  return get_int(key, 0);
}

bool ConfigObject::get_bool(const std::string& key, bool fallback) {
  read_.insert(key);
  if (!has(key)) return record(key, fallback);
  return record(key, at(key, "true or false", [](const json& v) { return v.is_boolean(); }).get<bool>());
}

std::pair<int64_t, int64_t> ConfigObject::get_pair(const std::string& key, std::pair<int64_t, int64_t> fallback) {
  read_.insert(key);
  std::pair<int64_t, int64_t> out = fallback;
  if (has(key)) {
    const json& v = at(key, "an integer or a pair [h, w] of integers", [](const json& v) {
      return v.is_number_integer() ||
             (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer());
    });
    out = v.is_number_integer() ? std::pair{v.get<int64_t>(), v.get<int64_t>()}
                                : std::pair{v[0].get<int64_t>(), v[1].get<int64_t>()};
  }
  record(key, json::array({out.first, out.second}));
  return out;
}

std::vector<int64_t> ConfigObject::get_int_list(const std::string& key, const std::vector<int64_t>& fallback) {
  read_.insert(key);
  if (!has(key)) return record(key, fallback);
  return record(key, at(key, "a list of integers",
            [](const json& v) {
              if (!v.is_array()) return false;
              for (const auto& e : v)
                if (!e.is_number_integer()) return false;
              return true;
            })
      .get<std::vector<int64_t>>());
}

std::vector<double> ConfigObject::get_number_list(const std::string& key, const std::vector<double>& fallback) {
  read_.insert(key);
  if (!has(key)) return record(key, fallback);
  return record(key, at(key, "a list of numbers",
            [](const json& v) {
              if (!v.is_array()) return false;
              for (const auto& e : v)
                if (!e.is_number()) return false;
              return true;
            })
      .get<std::vector<double>>());
}

std::vector<std::array<double, 2>> ConfigObject::get_number_pairs(const std::string& key,
                                                                  const std::vector<std::array<double, 2>>& fallback) {
  read_.insert(key);
  if (!has(key)) return record(key, fallback);
  return record(key, at(key, "a list of [number, number] pairs",
            [](const json& v) {
              if (!v.is_array()) return false;
              for (const auto& e : v)
                if (!e.is_array() || e.size() != 2 || !e[0].is_number() || !e[1].is_number()) return false;
              return true;
            })
      .get<std::vector<std::array<double, 2>>>());
}

std::vector<std::string> ConfigObject::get_string_list(const std::string& key, const std::vector<std::string>& fallback) {
  read_.insert(key);
  if (!has(key)) return record(key, fallback);
  return record(key, at(key, "a list of strings",
            [](const json& v) {
              if (!v.is_array()) return false;
              for (const auto& e : v)
                if (!e.is_string()) return false;
              return true;
            })
      .get<std::vector<std::string>>());
}

ConfigObject ConfigObject::child(const std::string& key) {
  read_.insert(key);
  std::string p = path_.empty() ? key : path_ + "." + key;
  if (!has(key)) return ConfigObject(json::object(), file_, p, resolved_, pointer_ / key);
  at(key, "an object", [](const json& v) { return v.is_object(); });
  return ConfigObject(j_.at(key), file_, p, resolved_, pointer_ / key);
}

std::vector<ConfigObject> ConfigObject::array(const std::string& key) {
  read_.insert(key);
  std::vector<ConfigObject> out;
  if (!has(key)) return out;
  const json& v = at(key, "a list of objects", [](const json& v) { return v.is_array(); });
  std::string p = path_.empty() ? key : path_ + "." + key;
  (*resolved_)[pointer_ / key] = json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string pi = p + "[" + std::to_string(i) + "]";
    OC_CHECK(v[i].is_object(), file_, ": ", pi, ": expected an object, got ", v[i].dump());
    out.push_back(ConfigObject(v[i], file_, pi, resolved_, pointer_ / key / i));
  }
  return out;
}

void ConfigObject::finish() const {
  std::vector<std::string> known(read_.begin(), read_.end());
  for (const auto& [key, value] : j_.items()) {
    if (read_.count(key)) continue;
    std::string guess = closest_word(key, known);
    OC_FAIL(where(key), ": unknown key", guess.empty() ? "" : " (did you mean \"" + guess + "\"?)");
  }
}

}  // namespace oc

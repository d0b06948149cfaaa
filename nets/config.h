// Strict reading of JSON configs: every value is read through a ConfigObject that knows its file
// and JSON path, checks types, and at the end rejects keys nobody read, e.g.
//   configs/x.json: model.layers[3].kernal: unknown key (did you mean "kernel"?)
#pragma once
#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/words.h"

namespace oc {

using json = nlohmann::json;

// Reads a JSON file; a missing file or a syntax error is an oc::Error naming the file (and line).
json read_json_file(const std::string& path);

// Applies `key.path=value` overrides (value parsed as JSON, else taken as a string) to a config.
void apply_override(json& config, const std::string& assignment, const std::string& file);

class ConfigObject {
 public:
  ConfigObject(const json& j, std::string file, std::string path);

  bool has(const std::string& key) const;
  // Typed access; a wrong type or a missing required key is an error naming file, path and key.
  std::string get_string(const std::string& key, const std::string& fallback);
  std::string require_string(const std::string& key);
  double get_double(const std::string& key, double fallback);
  int64_t get_int(const std::string& key, int64_t fallback);
  int64_t require_int(const std::string& key);
  bool get_bool(const std::string& key, bool fallback);
  // An int or a pair [h, w] (kernel sizes, strides, padding).
  std::pair<int64_t, int64_t> get_pair(const std::string& key, std::pair<int64_t, int64_t> fallback);
  std::vector<int64_t> get_int_list(const std::string& key, const std::vector<int64_t>& fallback);
  std::vector<std::string> get_string_list(const std::string& key, const std::vector<std::string>& fallback);
  std::vector<double> get_number_list(const std::string& key, const std::vector<double>& fallback);
  // A list of [a, b] number pairs (anchor shapes).
  std::vector<std::array<double, 2>> get_number_pairs(const std::string& key,
                                                      const std::vector<std::array<double, 2>>& fallback);
  ConfigObject child(const std::string& key);           // must be an object; {} if absent
  std::vector<ConfigObject> array(const std::string& key);  // must be an array of objects

  // Throws for the first key that was never read, suggesting the closest read key.
  void finish() const;
  // An error message "file: path.key: what".
  std::string where(const std::string& key = "") const;
  const std::string& file() const { return file_; }
  const json& raw() const { return j_; }
  // Every value read so far through this object or its children, defaults included: the config
  // as the program understood it (shared by an object and all objects derived from it).
  const json& resolved() const { return *resolved_; }

 private:
  ConfigObject(const json& j, std::string file, std::string path, std::shared_ptr<json> resolved, json::json_pointer at);
  const json& at(const std::string& key, const char* expected, bool (*ok)(const json&));
  template <class T>
  T record(const std::string& key, T value);
  json j_;
  std::string file_, path_;
  std::set<std::string> read_;
  std::shared_ptr<json> resolved_;
  json::json_pointer pointer_;
};

}  // namespace oc

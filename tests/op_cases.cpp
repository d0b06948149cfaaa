// The case tables' registry, names, seeds and the --write-op-cases dump (see op_cases.h).
#include "tests/op_cases.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace oc::test {

namespace {

std::map<std::string, OpCaseTable>& tables() {
  static std::map<std::string, OpCaseTable> t;
  return t;
}

std::string param_str(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v.get<double>());
    return buf;
  }
  if (v.is_array()) {  // space-separated: a ',' would need escaping in Catch2's test specs
    std::string s;
    for (const auto& e : v) {
      if (!s.empty()) s += ' ';
      s += param_str(e);
    }
    return "(" + s + ")";
  }
  return v.dump();
}

nlohmann::ordered_json encode(const Tensor& t) {
  const Tensor c = t.detach();
  nlohmann::ordered_json j = {{"shape", t.shape()}};
  if (is_floating(t.dtype())) {
    j["dtype"] = "float64";
    j["data"] = to_vector<double>(to(c, DType::f64));
  } else if (t.dtype() == DType::b8) {
    j["dtype"] = "bool";
    std::vector<bool> v;
    for (int64_t x : to_vector<int64_t>(to(c, DType::i64))) v.push_back(x != 0);
    j["data"] = v;
  } else {
    j["dtype"] = "int64";
    j["data"] = to_vector<int64_t>(to(c, DType::i64));
  }
  return j;
}

}  // namespace

std::string OpCase::name() const {
  std::string s = op;
  for (const Shape& shape : shapes) {
    s += " [";
    for (size_t i = 0; i < shape.size(); ++i) {
      if (i) s += ',';
      s += std::to_string(shape[i]);
    }
    s += "]";
  }
  for (const auto& [key, value] : params.items()) s += " " + key + "=" + param_str(value);
  return s;
}

uint64_t OpCase::seed() const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the name: renaming a case redraws its inputs
  for (unsigned char c : name()) h = (h ^ c) * 1099511628211ull;
  return h;
}

MakeInputs uniform_inputs(const std::vector<Shape>& shapes, double lo, double hi) {
  return [shapes, lo, hi](DType dt, uint64_t seed) {
    std::vector<Tensor> v;
    for (size_t i = 0; i < shapes.size(); ++i) v.push_back(to(rand(shapes[i], seed + i, lo, hi, DType::f64), dt));
    return v;
  };
}

MakeInputs with_values(MakeInputs base, std::vector<std::pair<int64_t, double>> values, size_t input) {
  return [base, values, input](DType dt, uint64_t seed) {
    std::vector<Tensor> in = base(dt, seed);
    Tensor& x = in.at(input);
    std::vector<double> v = to_vector<double>(contiguous(to(x, DType::f64)));
    for (const auto& [at, value] : values) v.at(static_cast<size_t>(at)) = value;
    x = to(from_vector(v, x.shape()), x.dtype());
    return in;
  };
}

MakeInputs device_marker() {
  return [](DType dt, uint64_t) { return std::vector<Tensor>{zeros({0}, dt)}; };
}

bool register_op_cases(const char* family, OpCaseTable table) {
  OC_CHECK(!tables().count(family), "op cases: the table \"", family, "\" is registered twice");
  tables()[family] = table;
  return true;
}

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> all = [] {
    std::vector<OpCase> v;
    for (const auto& [family, table] : tables()) {
      std::map<std::string, size_t> row_of;  // name -> index in v
      for (OpCase c : table()) {
        c.family = family;
        const std::string name = c.name();
        OC_CHECK(name.find(';') == std::string::npos, "op cases: ';' in the name \"", name, "\"");
        // A row listed again for another purpose (say, a goldens row that the CUDA sweep lists too)
        // is one case with both purposes.
        if (auto it = row_of.find(name); it != row_of.end()) {
          OpCase& first = v[it->second];
          first.gradient |= c.gradient, first.golden |= c.golden, first.bench |= c.bench, first.parity |= c.parity;
          continue;
        }
        row_of[name] = v.size();
        v.push_back(std::move(c));
      }
    }
    return v;
  }();
  return all;
}

std::vector<OpCase> op_cases_of(const std::string& op) {
  std::vector<OpCase> v;
  for (const OpCase& c : op_cases())
    if (c.op == op) v.push_back(c);
  return v;
}

void write_op_cases(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::map<std::string, nlohmann::ordered_json> files;
  for (const OpCase& c : op_cases()) {
    if (!c.golden) continue;
    nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
    for (const Tensor& t : c.make_inputs(DType::f64)) inputs.push_back(encode(t));
    files[c.family].push_back({{"name", c.name()}, {"op", c.op}, {"params", c.params}, {"inputs", inputs}});
  }
  for (const auto& [family, cases] : files) {
    const std::string path = dir + "/" + family + ".json";
    std::ofstream f(path);
    OC_CHECK(f.good(), "--write-op-cases: cannot write ", path);
    f << nlohmann::ordered_json{{"family", family}, {"cases", cases}}.dump() << "\n";
    std::printf("wrote %zu cases to %s\n", cases.size(), path.c_str());
  }
}

}  // namespace oc::test

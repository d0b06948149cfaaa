// Reading metrics.jsonl into columns (see run_metrics.h).
#include "tools/run_metrics.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace oc::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// The run's directory: `run` itself, or the directory holding `run` when it names a file.
fs::path run_dir_of(const std::string& run) {
  fs::path p = fs::absolute(fs::path(run)).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "runs/cnn/" normalises to "runs/cnn/" with an empty name
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) p = p.parent_path();
  return p;
}

}  // namespace

RunMetrics parse_metrics_jsonl(const std::string& text, const std::string& path) {
  RunMetrics r;
  r.path = path;
  int64_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      OC_FAIL(path, ":", line_no, ": invalid JSON (", e.what(), ")");
    }
    OC_CHECK(j.is_object(), path, ":", line_no, ": expected a JSON object per line, got ", j.type_name());
    const int64_t row = r.rows();
    r.line_numbers.push_back(line_no);
    for (auto& [key, value] : r.columns) value.push_back(kMissing);
    for (auto& [key, value] : j.items()) {
      if (!value.is_number() && !value.is_null()) continue;
      if (!r.has(key)) {
        r.keys.push_back(key);
        r.columns[key].assign(row + 1, kMissing);
      }
      if (value.is_number()) r.columns[key][row] = value.get<double>();
    }
  }
  OC_CHECK(r.rows() > 0, path, ": empty (no finished epoch written yet)");
  return r;
}

RunMetrics read_run_metrics(const std::string& run) {
  std::error_code ec;
  OC_CHECK(fs::exists(run, ec), run, ": no such run directory");
  const std::string path = fs::is_directory(run, ec) ? (fs::path(run) / "metrics.jsonl").string() : run;
  std::ifstream in(path, std::ios::binary);
  OC_CHECK(in, path, ": cannot open (is ", run, " a training run's --out directory?)");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  OC_CHECK(!in.bad(), path, ": read error");
  return parse_metrics_jsonl(text, path);
}

std::string run_label(const std::string& run) { return run_dir_of(run).filename().string(); }

std::vector<double> x_values(const RunMetrics& run, const std::string& key, bool cumulative) {
  OC_CHECK(run.has(key), run.path, ": no \"", key, "\" in any line (needed for the x axis)");
  const std::vector<double>& col = run.columns.at(key);
  std::vector<double> x(col.size());
  double sum = 0;
  for (size_t i = 0; i < col.size(); ++i) {
    OC_CHECK(std::isfinite(col[i]), run.path, ":", run.line_numbers[i], ": no number under \"", key,
             "\" (needed for the x axis)");
    sum += col[i];
    x[i] = cumulative ? sum : col[i];
  }
  return x;
}

}  // namespace oc::cli

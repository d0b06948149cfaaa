// A training run's metrics.jsonl (one JSON object per finished epoch, written by `ocellus train`) as
// named columns of numbers, for `ocellus plot`.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace oc::cli {

struct RunMetrics {
  std::string path;                   // the metrics.jsonl read
  std::vector<int64_t> line_numbers;  // each row's line in the file (1-based; blank lines have no row)
  std::vector<std::string> keys;      // every key holding a number (or null) somewhere, in order of first appearance
  std::map<std::string, std::vector<double>> columns;  // per key, one value per row: NaN where the row lacks
                                                       // the key or holds null (JSON's NaN and inf)
  int64_t rows() const { return static_cast<int64_t>(line_numbers.size()); }
  bool has(const std::string& key) const { return columns.count(key) > 0; }
};

// Parses the text of a metrics.jsonl. Keys whose value is a string, array, object or bool are left out.
// Errors name path:line for a line that is not JSON or not an object, and path for a file without rows.
RunMetrics parse_metrics_jsonl(const std::string& text, const std::string& path);

// Reads RUN_DIR/metrics.jsonl (or the file itself when `run` names a file); a missing directory or file
// is an error naming it.
RunMetrics read_run_metrics(const std::string& run);

// The run's label: the last component of its directory's path ("runs/cnn/" -> "cnn"; for a file, its
// directory's).
std::string run_label(const std::string& run);

// The x coordinate of every row: the column `key` ("epoch"), or its running sum when `cumulative`
// ("seconds" is each epoch's own time). A row without a finite value there is an error naming path:line.
std::vector<double> x_values(const RunMetrics& run, const std::string& key, bool cumulative);

}  // namespace oc::cli

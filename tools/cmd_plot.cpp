// `ocellus plot RUN_DIR... --out PNG`: training curves of one or more runs' metrics.jsonl on shared
// axes, one panel per metric (docs/plot.md).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "tools/commands.h"
#include "tools/plot_chart.h"
#include "tools/run_metrics.h"
#include "train/io/image_io.h"

namespace oc::cli {
namespace {

const char* kPlotUsage =
    "usage: ocellus plot RUN_DIR... --out PNG [--metrics a,b,c] [--labels x,y,z] [--x epoch|seconds] [--log-y]";

// The score panel of the default chart: the first of these that some run holds (classification,
// single- and multi-person pose, detection, LIFT with image pairs, LIFT's descriptor stage).
const std::vector<std::string> kScoreKeys = {"test_accuracy", "test_pck@0.1", "test_oks_ap", "test_ap",
                                             "test_mma@3",    "test_fpr95"};

// A panel's metrics: each drawn for every run holding it; the dashed ones in a dashed line.
struct PanelSpec {
  std::string name;
  std::vector<std::pair<std::string, bool>> keys;  // (key, dashed)
};

// "loss" is the panel of train_loss (solid) and test_loss (dashed); any other name is one metric.
PanelSpec panel_named(const std::string& name) {
  if (name == "loss") return {"loss", {{"train_loss", false}, {"test_loss", true}}};
  return {name, {{name, false}}};
}

std::vector<std::string> split_commas(const std::string& list, const char* option) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    const size_t end = list.find(',', start);
    out.push_back(list.substr(start, end == std::string::npos ? std::string::npos : end - start));
    OC_CHECK(!out.back().empty(), option, " \"", list, "\": an empty name");
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

bool any_run_has(const std::vector<RunMetrics>& runs, const std::string& key) {
  for (const RunMetrics& r : runs)
    if (r.has(key)) return true;
  return false;
}

// "a/metrics.jsonl, b/metrics.jsonl" and the keys they hold, for the error naming a missing metric.
std::string files_and_keys(const std::vector<RunMetrics>& runs) {
  std::string files, keys;
  std::vector<std::string> seen;
  for (const RunMetrics& r : runs) {
    files += (files.empty() ? "" : ", ") + r.path;
    for (const std::string& k : r.keys)
      if (std::find(seen.begin(), seen.end(), k) == seen.end()) seen.push_back(k);
  }
  for (const std::string& k : seen) keys += (keys.empty() ? "" : ", ") + k;
  return files + " (they hold: " + keys + ")";
}

std::vector<PanelSpec> panel_specs(const ArgParser& p, const std::vector<RunMetrics>& runs) {
  std::vector<PanelSpec> specs;
  if (p.has("--metrics")) {
    for (const std::string& name : split_commas(p.get("--metrics", ""), "--metrics")) specs.push_back(panel_named(name));
  } else {
    specs.push_back(panel_named("loss"));
    for (const std::string& key : kScoreKeys)
      if (any_run_has(runs, key)) {
        specs.push_back(panel_named(key));
        break;
      }
    specs.push_back(panel_named("lr"));
  }
  for (PanelSpec& s : specs) {
    std::vector<std::pair<std::string, bool>> held;
    for (const auto& key : s.keys)
      if (any_run_has(runs, key.first)) held.push_back(key);
    OC_CHECK(!held.empty(), "metric \"", s.name, "\" is in none of ", files_and_keys(runs));
    if (s.name == "loss") s.name = held.size() == 2 ? "loss (train solid, test dashed)" : held[0].first;
    s.keys = held;
  }
  return specs;
}

}  // namespace

int cmd_plot(const Args& args) {
  ArgParser p(args, {"--out", "--metrics", "--labels", "--x"}, {"--log-y"});
  OC_CHECK(!p.rest.empty(), kPlotUsage);
  OC_CHECK(p.has("--out"), "--out PNG is required\n", kPlotUsage);
  const std::string x_key = p.get("--x", "epoch");
  OC_CHECK(x_key == "epoch" || x_key == "seconds", "--x must be \"epoch\" or \"seconds\", got \"", x_key, "\"");

  std::vector<RunMetrics> runs;
  std::vector<std::string> labels;
  for (const std::string& dir : p.rest) {
    runs.push_back(read_run_metrics(dir));
    labels.push_back(run_label(dir));
  }
  if (p.has("--labels")) {
    labels = split_commas(p.get("--labels", ""), "--labels");
    OC_CHECK(labels.size() == runs.size(), "--labels gives ", labels.size(), " labels for ", runs.size(), " runs");
  }

  const std::vector<Rgb>& colours = distinct_colours();
  std::vector<LegendEntry> legend;
  std::vector<std::vector<double>> xs;
  for (size_t r = 0; r < runs.size(); ++r) {
    legend.push_back({labels[r], colours[r % colours.size()]});
    xs.push_back(x_values(runs[r], x_key, x_key == "seconds"));  // "seconds" is each epoch's own time
  }
  std::vector<Panel> panels;
  for (const PanelSpec& spec : panel_specs(p, runs)) {
    Panel panel;
    panel.title = spec.name;
    panel.x_name = x_key == "epoch" ? "epoch" : "seconds (cumulative)";
    panel.integer_x = x_key == "epoch";
    panel.log_y = p.has("--log-y") && spec.name.find("loss") != std::string::npos;
    for (size_t r = 0; r < runs.size(); ++r)
      for (const auto& [key, dashed] : spec.keys)
        if (runs[r].has(key)) panel.series.push_back({xs[r], runs[r].columns.at(key), legend[r].colour, dashed});
    panels.push_back(std::move(panel));
  }
  const Chart chart = draw_chart(panels, legend);
  const std::string out = p.get("--out", "");
  write_png(out, chart.image);
  std::printf("wrote %s: %zu panel%s, %zu run%s\n", out.c_str(), panels.size(), panels.size() == 1 ? "" : "s",
              runs.size(), runs.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace oc::cli

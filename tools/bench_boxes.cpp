// `ocellus bench box_iou | nms`: pairwise IoU of 1000 x 1000 boxes and NMS of 1k, 10k and 50k
// clustered proposals (the bench rows of tests/kernels/{boxes,nms}/*_cases.cpp: 20 jittered boxes
// per object, IoU threshold 0.5), milliseconds as the median of runs, each result checked against
// the float64 definition. --inputs DIR writes the rows' inputs and our results as raw little-endian
// files with an index (DIR/<op>.json), so that bench/boxes_torchvision.py times torchvision on the
// very same boxes and checks that it keeps the same ones.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "core/timing.h"
#include "kernels/ops.h"
#include "tools/bench_boxes.h"
#include "tools/bench_common.h"

namespace oc::cli {
namespace {

// Writes a CPU copy of t's bytes to dir/file; returns its index entry.
nlohmann::json write_raw(const std::filesystem::path& dir, const std::string& file, const Tensor& t) {
  const Tensor c = contiguous(to(t, Device::cpu()));
  std::ofstream f(dir / file, std::ios::binary);
  OC_CHECK(f.good(), "bench: cannot write ", (dir / file).string());
  f.write(static_cast<const char*>(c.raw_data()), static_cast<std::streamsize>(c.numel() * dtype_size(c.dtype())));
  OC_CHECK(f.good(), "bench: cannot write ", (dir / file).string());
  return {{"file", file}, {"shape", c.shape()}, {"dtype", dtype_name(c.dtype())}};
}

// The largest difference between `got` and the float64 definition on the same float32 inputs (IoU:
// absolute, values in [0, 1]); NMS: 0 when the kept indices are the definition's, 1 otherwise.
double error_against(const test::OpCase& c, const std::vector<Tensor>& host, const Tensor& got) {
  const Tensor want = c.reference(host), mine = to(got, Device::cpu());
  if (mine.dtype() == DType::i64) return to_vector<int64_t>(mine) == to_vector<int64_t>(want) ? 0 : 1;
  const std::vector<double> w = to_vector<double>(want), g = to_vector<double>(to(mine, DType::f64));
  double worst = 0;
  for (size_t i = 0; i < w.size(); ++i) worst = std::max(worst, std::fabs(w[i] - g[i]));
  return worst;
}

}  // namespace

int bench_boxes(const std::string& op, const ArgParser& p) {
  Device dev = Device::parse(p.get("--device", "cpu"));
  if (dev.is_cuda()) require_cuda(op == "nms" ? "bench nms" : "bench box_iou");
  const int repeats = p.has("--quick") ? 3 : (dev.is_cuda() ? 50 : 9);
  const std::string inputs_dir = p.get("--inputs", "");
  if (!inputs_dir.empty()) std::filesystem::create_directories(inputs_dir);
  std::printf("%s on %s (%d threads), float32, median of %d runs\n", op.c_str(), dev.str().c_str(), num_threads(),
              repeats);
  std::printf("%-40s %9s %9s %9s\n", "case", "ms", "kept", "error");
  nlohmann::json rows = nlohmann::json::array(), index = nlohmann::json::array();
  for (const test::OpCase& c : bench_cases(op)) {
    const std::vector<Tensor> host = c.make_inputs(DType::f32);
    std::vector<Tensor> in;
    for (const Tensor& t : host) in.push_back(to(t, dev));
    Tensor out;
    const double ms = median(time_runs_ms(dev, [&] { out = c.run(in); }, 1, repeats));
    const double err = error_against(c, host, out);
    const bool is_nms = out.dtype() == DType::i64;
    const int64_t kept = is_nms ? out.numel() : -1;
    std::printf("%-40s %9.3f %9s %9.1e\n", c.name().c_str(), ms, is_nms ? std::to_string(kept).c_str() : "-", err);
    nlohmann::json row = {{"case", c.name()}, {"shapes", c.shapes}, {"params", c.params}, {"ms", ms},
                          {"runs", repeats}, {"error", err}};
    if (is_nms) row["kept"] = kept;
    rows.push_back(row);
    // IoU of coordinates up to ~1100 in float32: a few 1e-6; NMS: the same indices, exactly.
    OC_CHECK(err < (is_nms ? 0.5 : 1e-5), "bench ", op, ": the result of ", c.name(), " is wrong (error ", err, ")");
    if (!inputs_dir.empty()) {
      const std::string stem = op + "_" + std::to_string(index.size());
      nlohmann::json entry = {{"case", c.name()}, {"params", c.params}, {"inputs", nlohmann::json::array()}};
      for (size_t i = 0; i < host.size(); ++i)
        entry["inputs"].push_back(write_raw(inputs_dir, stem + "_in" + std::to_string(i) + ".bin", host[i]));
      entry["ours"] = write_raw(inputs_dir, stem + "_out.bin", out);
      index.push_back(entry);
    }
  }
  if (!inputs_dir.empty()) {
    std::ofstream f(std::filesystem::path(inputs_dir) / (op + ".json"));
    f << nlohmann::json{{"op", op}, {"rows", index}}.dump(2) << "\n";
    OC_CHECK(f.good(), "bench ", op, ": cannot write ", inputs_dir, "/", op, ".json");
  }
  write_bench_json(p.get("--json", ""),
                   {{"bench", op}, {"device", dev.str()}, {"dtype", "float32"}, {"threads", num_threads()},
                    {"results", rows}},
                   op);
  return 0;
}

}  // namespace oc::cli

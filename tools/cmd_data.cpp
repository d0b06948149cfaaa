// `ocellus data GENERATOR --out DIR ...`: the data set generators, one registry entry each; and
// `ocellus data anchors DATA --k A`: anchor shapes of a detection set (not a generator: no --out).
#include "tools/cmd_data.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "core/error.h"
#include "core/registry.h"
#include "train/data/anchor_kmeans.h"
#include "train/data/det_synth.h"
#include "train/data/homography_pairs.h"
#include "train/data/pose_synth.h"
#include "train/io/coco_detection.h"

namespace oc::cli {
namespace {

// The whole of `text` as a non-negative integer; anything else is an error naming the option.
int64_t parse_count(const std::string& option, const std::string& text) {
  int64_t v = -1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  OC_CHECK(!text.empty() && ec == std::errc() && ptr == end && v >= 0, option, ": expected a non-negative integer, got \"",
           text, "\"");
  return v;
}

// "MIN..MAX" of option `name`.
std::pair<int64_t, int64_t> parse_range(const std::string& name, const std::string& text) {
  const size_t dots = text.find("..");
  OC_CHECK(dots != std::string::npos, name, ": expected MIN..MAX, got \"", text, "\"");
  return {parse_count(name + " MIN", text.substr(0, dots)), parse_count(name + " MAX", text.substr(dots + 2))};
}

// The whole of `text` as a finite number; anything else is an error naming the option.
double parse_real(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  OC_CHECK(!text.empty() && end == text.c_str() + text.size() && std::isfinite(v), option,
           ": expected a number, got \"", text, "\"");
  return v;
}

// "MIN..MAX" of option `name`, as numbers.
std::pair<double, double> parse_real_range(const std::string& name, const std::string& text) {
  const size_t dots = text.find("..");
  OC_CHECK(dots != std::string::npos, name, ": expected MIN..MAX, got \"", text, "\"");
  return {parse_real(name + " MIN", text.substr(0, dots)), parse_real(name + " MAX", text.substr(dots + 2))};
}

// "WxH" of option `name`.
std::pair<int64_t, int64_t> parse_size(const std::string& name, const std::string& text) {
  const size_t x = text.find('x');
  OC_CHECK(x != std::string::npos, name, ": expected WxH (e.g. 320x240), got \"", text, "\"");
  return {parse_count(name + " W", text.substr(0, x)), parse_count(name + " H", text.substr(x + 1))};
}

// Up to 6 significant digits: short enough to read, valid JSON for the finite values printed here.
std::string fmt_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run_pose_synth(const ArgParser& p) {
  PoseSynthOptions opt;
  opt.count = parse_count("--count", p.get("--count", ""));
  opt.size = parse_count("--size", p.get("--size", "128"));
  opt.seed = static_cast<uint64_t>(parse_count("--seed", p.get("--seed", "0")));
  std::tie(opt.min_people, opt.max_people) = parse_range("--people", p.get("--people", "1..3"));
  const std::string bg = p.get("--backgrounds", "");
  if (bg.empty()) {
    opt.backgrounds = default_pose_backgrounds();
    OC_CHECK(!opt.backgrounds.empty(), "no background photos: install Debian's opencv-doc (tools/setup.sh does), "
                                       "or pass --backgrounds DIR, or --backgrounds none");
  } else if (bg != "none") {
    opt.backgrounds = image_files_in(bg);
    OC_CHECK(!opt.backgrounds.empty(), "--backgrounds ", bg, ": no image files");
  }
  opt.check();
  const std::string out = p.get("--out", "");
  const auto t0 = std::chrono::steady_clock::now();
  CocoKeypoints data = write_pose_synth(out, opt);
  std::printf("pose-synth: %lld images of %lld x %lld, %lld people, %zu background photos, in %.2f s: %s/images, "
              "%s/annotations.json\n",
              static_cast<long long>(opt.count), static_cast<long long>(opt.size), static_cast<long long>(opt.size),
              static_cast<long long>(data.num_people()), opt.backgrounds.size(), seconds_since(t0), out.c_str(),
              out.c_str());
  return 0;
}

int run_det_synth(const ArgParser& p) {
  DetSynthOptions opt;
  opt.count = parse_count("--count", p.get("--count", ""));
  opt.size = parse_count("--size", p.get("--size", "128"));
  opt.seed = static_cast<uint64_t>(parse_count("--seed", p.get("--seed", "0")));
  std::tie(opt.min_objects, opt.max_objects) = parse_range("--objects", p.get("--objects", "1..4"));
  opt.split = p.get("--split", "train");
  const std::string bg = p.get("--backgrounds", "");
  opt.backgrounds = bg.empty() ? default_pose_backgrounds() : image_files_in(bg);
  OC_CHECK(!opt.backgrounds.empty(), bg.empty() ? "no background photos: install Debian's opencv-doc (tools/setup.sh "
                                                  "does), or pass --backgrounds DIR"
                                                : "--backgrounds " + bg + ": no image files");
  opt.check();
  const std::string out = p.get("--out", "");
  const auto t0 = std::chrono::steady_clock::now();
  const CocoDetDataset data = write_det_synth(out, opt);
  std::printf("det-synth (%s): %lld images of %lld x %lld, %zu objects, %zu background photos, in %.2f s: %s/images, "
              "%s/annotations.json\n",
              opt.split.c_str(), static_cast<long long>(opt.count), static_cast<long long>(opt.size),
              static_cast<long long>(opt.size), data.annotations.size(), opt.backgrounds.size(), seconds_since(t0),
              out.c_str(), out.c_str());
  return 0;
}

// LIFT's training pairs and patch quadruplets (train/data/homography_pairs.h).
int run_homography_pairs(const ArgParser& p) {
  HomographyPairsOptions opt;
  opt.split = p.get("--split", "train");
  OC_CHECK(opt.split == "train" || opt.split == "test", "--split: expected train or test, got \"", opt.split, "\"");
  opt.pairs_per_photo = parse_count("--pairs-per-photo", p.get("--pairs-per-photo", "16"));
  opt.points_per_pair = parse_count("--points-per-pair", p.get("--points-per-pair", "32"));
  std::tie(opt.width, opt.height) = parse_size("--size", p.get("--size", "320x240"));
  opt.ranges.rotation_degrees = parse_real("--rotation", p.get("--rotation", "30"));
  std::tie(opt.ranges.scale_min, opt.ranges.scale_max) = parse_real_range("--scale", p.get("--scale", "0.8..1.25"));
  opt.ranges.perspective = parse_real("--perspective", p.get("--perspective", "0.1"));
  opt.ranges.translation = parse_real("--translation", p.get("--translation", "0.1"));
  opt.noise = parse_real("--noise", p.get("--noise", "3"));
  opt.seed = static_cast<uint64_t>(parse_count("--seed", p.get("--seed", "0")));
  const std::string photos = p.get("--photos", "");
  if (!photos.empty()) {
    OC_CHECK(std::filesystem::is_directory(photos), "--photos ", photos, ": not a directory");
    opt.photos = image_files_in(photos);
    OC_CHECK(!opt.photos.empty(), "--photos ", photos, ": no image files");
  }
  // The options' own names in messages: check() names the fields.
  try {
    opt.check();
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::pair<const char*, const char*> names[] = {
        {"pairs_per_photo", "--pairs-per-photo"}, {"points_per_pair", "--points-per-pair"}, {"size", "--size"},
        {"noise", "--noise"}, {"rotation_degrees", "--rotation"}, {"scale", "--scale"},
        {"perspective", "--perspective"}, {"translation", "--translation"}};
    for (const auto& [field, option] : names)
      if (what.rfind(field, 0) == 0) OC_FAIL(option, what.substr(std::strlen(field)));
    throw;
  }
  const std::string out = p.get("--out", "");
  const auto t0 = std::chrono::steady_clock::now();
  const HomographyPairsSummary s = write_homography_pairs(out, opt);
  std::printf("homography-pairs (%s, seed %llu): %lld pairs of %lld x %lld from %lld photos, %lld patch quadruplets, "
              "in %.2f s: %s/pairs.json, %s/patches.idx.gz, %s/patches.json\n",
              opt.split.c_str(), static_cast<unsigned long long>(homography_pairs_stream_seed(opt)),
              static_cast<long long>(s.pairs), static_cast<long long>(opt.width), static_cast<long long>(opt.height),
              static_cast<long long>(s.photos), static_cast<long long>(s.quadruplets), seconds_since(t0), out.c_str(),
              out.c_str(), out.c_str());
  return 0;
}

struct DataGenerator {
  const char* usage;  // the options after the generator's name
  int (*run)(const ArgParser&);
  std::vector<std::string> required = {"--out", "--count"};
};

// Registry keys: the options each generator takes (--out is required by all, --count by the synthetic sets).
const Registry<DataGenerator>& data_generators() {
  static const Registry<DataGenerator> r = [] {
    Registry<DataGenerator> g("data generator");
    g.add("pose-synth", {"--out", "--count", "--size", "--people", "--seed", "--backgrounds"},
          {"--out DIR --count N [--size S] [--people MIN..MAX] [--seed X] [--backgrounds DIR|none]", run_pose_synth});
    g.add("det-synth", {"--out", "--count", "--size", "--objects", "--seed", "--split", "--backgrounds"},
          {"--out DIR --count N [--size S] [--objects MIN..MAX] [--seed X] [--split train|test] [--backgrounds DIR]",
           run_det_synth});
    g.add("homography-pairs",
          {"--out", "--split", "--pairs-per-photo", "--points-per-pair", "--size", "--rotation", "--scale",
           "--perspective", "--translation", "--noise", "--seed", "--photos"},
          {"--out DIR [--split train|test] [--pairs-per-photo P] [--points-per-pair Q] [--size WxH] [--rotation DEG] "
           "[--scale MIN..MAX] [--perspective F] [--translation F] [--noise SIGMA] [--seed S] [--photos DIR]",
           run_homography_pairs, {"--out"}});
    return g;
  }();
  return r;
}

const char* kAnchorsUsage = "ocellus data anchors DATA --k A [--seed S] [--stride S] [--json]";

std::string usage() {
  std::string u = "usage:";
  for (const auto& [name, e] : data_generators().entries()) u += str_cat("\n  ocellus data ", name, " ", e.factory.usage);
  return u + "\n  " + kAnchorsUsage;
}

// DATA of `data anchors`: a directory holding annotations.json (as det-synth writes), or the file.
std::string annotation_file(const std::string& data) {
  namespace fs = std::filesystem;
  OC_CHECK(fs::exists(data), "data anchors: ", data, ": no such file or directory");
  if (!fs::is_directory(data)) return data;
  const std::string file = (fs::path(data) / "annotations.json").string();
  OC_CHECK(fs::is_regular_file(file), "data anchors: ", data, " holds no annotations.json (pass the annotation file)");
  return file;
}

// `ocellus data anchors DATA --k A`: k-means of the non-crowd boxes' shapes (train/data/anchor_kmeans.h),
// one line per anchor, or JSON to paste in a config. --stride S also gives them in cells of S px.
int run_anchors(const Args& args) {
  const ArgParser p(args, {"--k", "--seed", "--stride"}, {"--json"});
  OC_CHECK(p.rest.size() == 2, "data anchors: expected one DATA (a detection directory or its annotation file), got ",
           p.rest.size() - 1, "\nusage: ", kAnchorsUsage);
  OC_CHECK(p.has("--k"), "data anchors: --k is required\nusage: ", kAnchorsUsage);
  AnchorKmeansOptions opt;
  opt.k = parse_count("--k", p.get("--k", ""));
  OC_CHECK(opt.k >= 1, "--k: expected at least 1 anchor, got 0");
  opt.seed = static_cast<uint64_t>(parse_count("--seed", p.get("--seed", "0")));
  const int64_t stride = parse_count("--stride", p.get("--stride", "0"));
  OC_CHECK(!p.has("--stride") || stride > 0, "--stride: expected a positive number of pixels, got 0");
  const std::string file = annotation_file(p.rest[1]);

  std::vector<AnchorShape> boxes;
  for (const CocoDetAnnotation& a : read_coco_detection(file).annotations)
    if (!a.iscrowd) boxes.push_back({a.bbox[2], a.bbox[3]});
  OC_CHECK(static_cast<int64_t>(boxes.size()) >= opt.k, "data anchors: ", file, " holds ", boxes.size(),
           " boxes (crowd regions left out), fewer than --k ", opt.k);
  const AnchorKmeansResult r = anchor_kmeans(boxes, opt);

  const double unit = stride > 0 ? static_cast<double>(stride) : 1.0;
  if (p.has("--json")) {
    std::string anchors;
    for (const AnchorShape& a : r.anchors)
      anchors += str_cat(anchors.empty() ? "" : ", ", "[", fmt_g(a.w / unit), ", ", fmt_g(a.h / unit), "]");
    const std::string stride_key = stride > 0 ? str_cat("\"stride\": ", stride, ", ") : "";
    std::printf("{\"anchors\": [%s], \"unit\": \"%s\", %s\"mean_iou\": %s, \"boxes\": %zu, \"seed\": %llu}\n",
                anchors.c_str(), stride > 0 ? "cells" : "pixels", stride_key.c_str(), fmt_g(r.mean_iou).c_str(),
                boxes.size(), static_cast<unsigned long long>(opt.seed));
    return 0;
  }
  std::printf("anchors: k-means under 1 - IoU of %zu boxes from %s, k %lld, seed %llu, %s %lld rounds\n", boxes.size(),
              file.c_str(), static_cast<long long>(opt.k), static_cast<unsigned long long>(opt.seed),
              r.converged ? "converged in" : "NOT converged after", static_cast<long long>(r.iterations));
  for (size_t c = 0; c < r.anchors.size(); ++c) {
    const AnchorShape& a = r.anchors[c];
    std::printf("anchor %zu: %8.2f x %8.2f px", c + 1, a.w, a.h);
    if (stride > 0) std::printf("   %7.3f x %7.3f cells of %lld px", a.w / unit, a.h / unit, static_cast<long long>(stride));
    std::printf("\n");
  }
  std::printf("mean IoU %.4f (each box with its best anchor)\n", r.mean_iou);
  return 0;
}

}  // namespace

int cmd_data(const Args& args) {
  // The generator's name: the first argument that is neither an option nor an option's value.
  std::string name;
  for (size_t i = 0; i < args.size() && name.empty(); ++i) {
    if (args[i].rfind("--", 0) == 0)
      ++i;
    else
      name = args[i];
  }
  OC_CHECK(!name.empty(), "which generator?\n", usage());
  if (name == "anchors") return run_anchors(args);
  const auto* found = data_generators().find(name);
  OC_CHECK(found != nullptr, "unknown data generator ", quoted_with_suggestion(name, data_generators().names()), "\n",
           usage());
  const auto& entry = *found;
  const ArgParser p(args, entry.keys, {});
  OC_CHECK(p.rest.size() == 1, "one generator name expected, got ", p.rest.size(), "\n", usage());
  for (const std::string& option : entry.factory.required)
    OC_CHECK(p.has(option), option, " is required\nusage: ocellus data ", name, " ", entry.factory.usage);
  OC_CHECK(!p.get("--out", "").empty(), "--out: expected a directory, got an empty string");
  return entry.factory.run(p);
}

}  // namespace oc::cli

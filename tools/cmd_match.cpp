// `ocellus match`: local features of two images matched (mutual nearest neighbours) and, given the
// true homography, scored (MMA, correct matches, repeatability, RANSAC's corner error), printed, as
// JSON and as a picture. The features come from one place per source (two features files,
// `--features`; or a LIFT model, `CONFIG --checkpoint`, on its own keypoints or on given ones);
// everything after them is match_and_report's, shared by every source.
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "nets/config.h"
#include "tools/commands.h"
#include "tools/match_pictures.h"
#include "train/io/atomic_file.h"
#include "train/io/features_file.h"
#include "train/io/homography_file.h"
#include "train/io/image_io.h"
#include "train/checkpoint.h"
#include "train/experiment.h"
#include "train/metrics/matching.h"
#include "train/tasks/lift_features.h"

namespace oc::cli {
namespace {

const char* kMatchUsage =
    "usage: ocellus match --features A.json B.json IMG1 IMG2 [--homography H] [--out matches.png] "
    "[--json out.json] [--ransac-threshold PX] [--draw-max N]\n"
    "       ocellus match CONFIG --checkpoint F [--keypoints A.json B.json [--given-orientation]] IMG1 IMG2 "
    "[--device cpu|cuda] [--save-features A.json,B.json] [--set key=value] [--homography H] [--out matches.png] "
    "[--json out.json] [--ransac-threshold PX] [--draw-max N]";

// The options every source of features shares (match_and_report reads them).
const std::vector<std::string> kReportOptions = {"--homography", "--out", "--json", "--ransac-threshold", "--draw-max"};

// The MMA thresholds, px (HPatches' curve).
const std::vector<double> kThresholds = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

struct ReportInputs {
  std::string source_a, source_b;  // where the features came from (a file, a model), for the report
  std::string image_a, image_b;    // the images' files
  double extract_ms = 0;           // the time to find both images' features, when this run found them
};

double parse_positive(const std::string& option, const std::string& text) {
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  OC_CHECK(!text.empty() && r.ec == std::errc() && r.ptr == text.data() + text.size() && std::isfinite(v) && v > 0,
           option, ": expected a number > 0, got \"", text, "\"");
  return v;
}

// A finite number, or null (JSON has no infinity).
json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json homography_json(const Homography& h) {
  json m = json::array();
  for (double v : h.m) m.push_back(v);
  return m;
}

// gray uint8 [1,H,W]; its size must be the one its features were found on.
Tensor read_gray_checked(const std::string& path, const ImageFeatures& f, const std::string& source) {
  Tensor img = read_image(path, 1);
  OC_CHECK(img.size(2) == f.width && img.size(1) == f.height, path, ": the image is ", img.size(2), " x ",
           img.size(1), " but ", source, " holds features of a ", f.width, " x ", f.height, " image");
  return img;
}

// Matches a and b, scores the matches when --homography is given, and prints the report (text to
// stdout; --json FILE; --out PNG). Every source of features ends here.
int match_and_report(const ImageFeatures& a, const ImageFeatures& b, const ReportInputs& in, const ArgParser& p) {
  const double ransac_px = parse_positive("--ransac-threshold", p.get("--ransac-threshold", "3"));
  const std::string h_path = p.get("--homography", ""), out_path = p.get("--out", ""), json_path = p.get("--json", "");
  const Tensor img_a = read_gray_checked(in.image_a, a, in.source_a);
  const Tensor img_b = read_gray_checked(in.image_b, b, in.source_b);
  const bool judged = !h_path.empty();
  const Homography truth = judged ? read_homography_file(h_path) : Homography{};

  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Match> matches = mutual_nearest_neighbours(a, b);
  const double match_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  auto side = [](const ImageFeatures& f, const std::string& source, const std::string& image) {
    return json{{"features", source}, {"image", image}, {"width", f.width}, {"height", f.height},
                {"keypoints", f.points.size()}, {"dim", f.dim}};
  };
  json report{{"a", side(a, in.source_a, in.image_a)}, {"b", side(b, in.source_b, in.image_b)},
              {"matches", matches.size()}, {"match_ms", match_ms}};
  if (in.extract_ms > 0) {
    report["extract_ms"] = in.extract_ms;
    report["keypoints_per_s"] = static_cast<double>(a.points.size() + b.points.size()) / (in.extract_ms / 1000);
    std::printf("features of both images in %.0f ms (%.0f keypoints/s)\n", in.extract_ms,
                report["keypoints_per_s"].get<double>());
  }
  std::printf("a: %s (%s, %lld x %lld): %zu keypoints\n", in.source_a.c_str(), in.image_a.c_str(),
              static_cast<long long>(a.width), static_cast<long long>(a.height), a.points.size());
  std::printf("b: %s (%s, %lld x %lld): %zu keypoints\n", in.source_b.c_str(), in.image_b.c_str(),
              static_cast<long long>(b.width), static_cast<long long>(b.height), b.points.size());
  std::printf("matches (mutual nearest neighbours): %zu, in %.1f ms\n", matches.size(), match_ms);

  RansacResult ransac;
  std::vector<uint8_t> correct;  // per match, for the picture; empty without a homography
  if (judged) {
    const MatchScores s = score_matches(a, b, matches, truth, kThresholds, ransac_px);
    ransac = s.ransac;
    for (double e : reprojection_errors(a, b, matches, truth)) correct.push_back(e <= kCorrectPx ? 1 : 0);
    report["homography"] = h_path;
    report["thresholds_px"] = kThresholds;
    report["mma"] = s.mma;
    report["correct_3px"] = s.correct;
    report["repeatability_3px"] = s.repeatability;
    report["visible_a"] = s.visible_a, report["visible_b"] = s.visible_b;
    report["repeated_a"] = s.repeated_a, report["repeated_b"] = s.repeated_b;
    report["corner_error_px"] = number_or_null(s.corner_error);
    std::printf("against %s:\n  MMA @ 1..10 px:", h_path.c_str());
    for (double v : s.mma) std::printf(" %.3f", v);
    std::printf("\n  correct matches @ 3 px: %lld (%.1f %%)\n", static_cast<long long>(s.correct),
                matches.empty() ? 0.0 : 100.0 * double(s.correct) / double(matches.size()));
    std::printf("  repeatability @ 3 px: %.3f (repeated %lld + %lld of visible %lld + %lld)\n", s.repeatability,
                static_cast<long long>(s.repeated_a), static_cast<long long>(s.repeated_b),
                static_cast<long long>(s.visible_a), static_cast<long long>(s.visible_b));
  } else {
    ransac = ransac_on_matches(a, b, matches, ransac_px);
  }
  report["ransac"] = {{"threshold_px", ransac_px}, {"ok", ransac.ok}, {"inliers", ransac.inliers},
                      {"homography", ransac.ok ? homography_json(ransac.h) : json(nullptr)}};
  if (ransac.ok) {
    std::printf("RANSAC (%.3g px): %lld inliers of %zu matches", ransac_px, static_cast<long long>(ransac.inliers),
                matches.size());
    if (judged) std::printf("; corner error %.2f px", report["corner_error_px"].is_null() ? INFINITY
                                                          : report["corner_error_px"].get<double>());
    std::printf("\n");
  } else {
    std::printf("RANSAC (%.3g px): no homography (%zu matches)\n", ransac_px, matches.size());
  }

  if (!out_path.empty()) {
    // --draw-max N: every k-th match only, so that a picture of thousands of lines stays readable.
    const int64_t cap = static_cast<int64_t>(parse_positive("--draw-max", p.get("--draw-max", "1e18")));
    std::vector<Match> drawn;
    std::vector<uint8_t> drawn_correct;
    const size_t step = matches.size() > static_cast<size_t>(cap) ? (matches.size() + cap - 1) / cap : 1;
    for (size_t k = 0; k < matches.size(); k += step) {
      drawn.push_back(matches[k]);
      if (!correct.empty()) drawn_correct.push_back(correct[k]);
    }
    write_png(out_path, draw_matches(img_a, img_b, a, b, drawn, drawn_correct));
    report["drawn"] = out_path;
    std::printf("drawn: %s\n", out_path.c_str());
  }
  if (!json_path.empty()) {
    write_file_atomic(json_path, report.dump(2) + "\n");
    std::printf("report: %s\n", json_path.c_str());
  }
  return 0;
}

// --features A.json B.json IMG1 IMG2: features that something else (bench/lift_opencv.py) found.
int match_features_files(const ArgParser& p) {
  OC_CHECK(p.rest.size() == 4, kMatchUsage, " (got ", p.rest.size(), " positional arguments, expected 4)");
  const ImageFeatures a = read_features(p.rest[0]);
  const ImageFeatures b = read_features(p.rest[1]);
  return match_and_report(a, b, {p.rest[0], p.rest[1], p.rest[2], p.rest[3]}, p);
}

// CONFIG --checkpoint F IMG1 IMG2: a LIFT model's features. With --keypoints A.json B.json it
// describes those files' keypoints (e.g. SIFT's) instead of detecting its own, turned by the learned
// orientation or, with --given-orientation, by the files' angles: the ablations of the README.
int match_lift(const ArgParser& p, const std::vector<std::string>& sets) {
  const bool given = p.has("--keypoints");
  OC_CHECK(p.rest.size() == (given ? 5u : 3u) && p.has("--checkpoint"), kMatchUsage);
  OC_CHECK(given || !p.has("--given-orientation"), "--given-orientation needs --keypoints A.json B.json");
  Experiment e = load_experiment(p.rest[0], sets);
  OC_CHECK(e.task.type == "lift", e.path, ": task.type is \"", e.task.type, "\"; match needs a \"lift\" model");
  load_model_checkpoint(p.get("--checkpoint", ""), *e.model);
  LiftExtractOptions opt;
  opt.mean = e.data.loader.mean, opt.std = e.data.loader.std;
  opt.device = Device::parse(p.get("--device", e.train.device));
  opt.learned_orientation = !p.has("--given-orientation");
  e.model->to(opt.device);
  e.model->eval();
  const std::string img_a = p.rest[given ? 3 : 1], img_b = p.rest[given ? 4 : 2];
  std::vector<FeaturePoint> points_a, points_b;
  std::string source = e.path + " (" + p.get("--checkpoint", "") + ")";
  if (given) {
    points_a = read_features(p.rest[1]).points, points_b = read_features(p.rest[2]).points;
    source += opt.learned_orientation ? " on given keypoints" : " on given keypoints and orientations";
  }
  const Tensor gray_a = read_image(img_a, 1), gray_b = read_image(img_b, 1);
  const auto t0 = std::chrono::steady_clock::now();
  opt.given = given ? &points_a : nullptr;
  const ImageFeatures a = lift_features(*e.model, e.task.lift, gray_a, opt);
  opt.given = given ? &points_b : nullptr;
  const ImageFeatures b = lift_features(*e.model, e.task.lift, gray_b, opt);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (p.has("--save-features")) {
    const std::string saved = p.get("--save-features", "");
    const size_t comma = saved.find(',');
    OC_CHECK(comma != std::string::npos, "--save-features: expected A.json,B.json, got \"", saved, "\"");
    write_features(saved.substr(0, comma), a);
    write_features(saved.substr(comma + 1), b);
  }
  return match_and_report(a, b, {source, source, img_a, img_b, ms}, p);
}

}  // namespace

int cmd_match(const Args& all) {
  Args args;
  const std::vector<std::string> sets = overrides_of(all, args);
  std::vector<std::string> options = kReportOptions;
  for (const char* o : {"--checkpoint", "--device", "--save-features"}) options.push_back(o);
  const ArgParser p(args, options, {"--features", "--keypoints", "--given-orientation"});
  if (p.has("--features")) {
    OC_CHECK(!p.has("--checkpoint") && !p.has("--keypoints") && sets.empty(),
             "--features takes no model options (--checkpoint, --keypoints, --set)");
    return match_features_files(p);
  }
  OC_CHECK(!p.rest.empty(), kMatchUsage);
  return match_lift(p, sets);
}

}  // namespace oc::cli

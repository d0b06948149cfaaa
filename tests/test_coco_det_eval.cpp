// COCO detection AP/AR (bbox and segm) against hand-computed values: misses and duplicates, crowd
// ground truths absorbing detections, ties in score, empty images, a category without ground
// truth, area ranges and their boundaries, maxDets cutting, masks; plus the printed summary.
// pycocotools is not installable here (Debian 12 has no python3-pycocotools), so every expected
// number is derived in the comments. Precision is tp / (tp + fp + 2^-52), hence Approx. Also COCO
// result files: exact round trips and strict reading.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "nets/config.h"
#include "tests/helpers.h"
#include "train/io/coco_det_results.h"
#include "train/metrics/coco_det_eval.h"

using namespace oc;

namespace {

using Box = std::array<double, 4>;

// A data set of `n` 100 x 100 images with ids 1..n, categories 1..num_categories.
CocoDetDataset dataset(int n, int num_categories = 1) {
  CocoDetDataset d;
  for (int i = 1; i <= n; ++i) d.images.push_back({i, "im" + std::to_string(i) + ".png", 100, 100});
  for (int c = 1; c <= num_categories; ++c) d.categories.push_back({c, "c" + std::to_string(c)});
  return d;
}

void add_gt(CocoDetDataset& d, int64_t image, Box box, bool crowd = false, int64_t category = 1) {
  CocoDetAnnotation a;
  a.id = int64_t(d.annotations.size()) + 1;
  a.image_id = image, a.category_id = category, a.bbox = box, a.area = box[2] * box[3], a.iscrowd = crowd;
  d.annotations.push_back(a);
}

CocoDetResult det(int64_t image, Box box, double score, int64_t category = 1) {
  CocoDetResult r;
  r.image_id = image, r.category_id = category, r.bbox = box, r.score = score;
  return r;
}

// Stats indices.
enum { AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl };

Approx near(double v) { return Approx(v).epsilon(1e-12).margin(1e-15); }

// A 100 x 100 mask with rows [y0, y1) x columns [x0, x1) set.
Rle rect_mask(int64_t x0, int64_t y0, int64_t x1, int64_t y1) {
  std::vector<uint8_t> m(100 * 100, 0);
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x) m[size_t(y * 100 + x)] = 1;
  return rle_encode(m.data(), 100, 100);
}

}  // namespace

TEST_CASE("coco_det_eval: box IoU as cocoeval, with the crowd rule", "[coco_det_eval]") {
  // [0,10]x[0,10] and [5,15]x[5,15]: 25 shared, union 175.
  CHECK(coco_box_iou({0, 0, 10, 10}, {5, 5, 10, 10}, false) == 25.0 / 175.0);
  // Crowd: divided by the detection's area alone.
  CHECK(coco_box_iou({0, 0, 10, 10}, {5, 5, 10, 10}, true) == 25.0 / 100.0);
  CHECK(coco_box_iou({0, 0, 10, 10}, {10, 0, 5, 5}, false) == 0);  // touching edges: no overlap
  CHECK(coco_box_iou({2, 3, 4, 5}, {2, 3, 4, 5}, false) == 1);
}

TEST_CASE("coco_det_eval: a duplicate and a loose box worked by hand", "[coco_det_eval]") {
  // Image 1: ground truth A; d1 exact (0.9), d2 a duplicate half box (0.8: A is taken -> FP).
  // Image 2: ground truth B; d3 (0.7) has IoU 0.77: a TP for thresholds 0.50..0.75, FP above.
  CocoDetDataset gt = dataset(2);
  add_gt(gt, 1, {0, 0, 10, 10});
  add_gt(gt, 2, {0, 0, 10, 10});
  const std::vector<CocoDetResult> dets = {det(1, {0, 0, 10, 10}, 0.9), det(1, {0, 0, 10, 5}, 0.8),
                                           det(2, {0, 0, 10, 7.7}, 0.7)};
  const CocoDetEvalResult r = evaluate_coco_det(gt, dets);
  // Thresholds <= 0.75 (6 of them): TP, FP, TP -> recall .5 .5 1, precision 1 .5 2/3, made
  // monotone 1 2/3 2/3: recall points 0..0.50 (51) read 1, 0.51..1 (50) read 2/3 -> (51 + 100/3) / 101.
  // Thresholds 0.8..0.95 (4): TP, FP, FP -> recall .5: 51 points of precision 1 -> 51 / 101.
  const double ap_loose = (51 + 100.0 / 3) / 101, ap_strict = 51.0 / 101;
  CHECK(r.stats[AP] == near((6 * ap_loose + 4 * ap_strict) / 10));
  CHECK(r.stats[AP50] == near(ap_loose));
  CHECK(r.stats[AP75] == near(ap_loose));
  // Both ground truths are small (area 100); no medium or large ground truth: -1.
  CHECK(r.stats[APs] == near(r.stats[AP]));
  CHECK(r.stats[APm] == -1);
  CHECK(r.stats[APl] == -1);
  // Recall: 1 at 6 thresholds, 1/2 at 4 -> 0.8, with 1, 10 or 100 detections per image (the top
  // detection of each image is the matching one).
  CHECK(r.stats[AR1] == near(0.8));
  CHECK(r.stats[AR10] == near(0.8));
  CHECK(r.stats[AR100] == near(0.8));
  CHECK(r.stats[ARs] == near(0.8));
  CHECK(r.stats[ARm] == -1);
  CHECK(r.stats[ARl] == -1);
  // maxDets 1 drops the duplicate: precision 1 wherever d3 matches -> (6 * 1 + 4 * 51/101) / 10.
  CHECK(r.summarize(true, -1, "all", 1) == near((6 + 4 * ap_strict) / 10));
  // The exact IoU threshold: a box of IoU exactly 0.5 matches at 0.5 (>=), not at 0.55.
  const CocoDetEvalResult half = evaluate_coco_det(gt, {det(1, {0, 0, 10, 5}, 0.9), det(2, {0, 0, 10, 10}, 0.8)});
  CHECK(half.summarize(false, 0.5, "all", 100) == near(1.0));
  CHECK(half.summarize(false, 0.55, "all", 100) == near(0.5));

  const std::string text = format_coco_det_eval(r);
  INFO(text);
  CHECK(text.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.703\n") == 0);
  CHECK(text.find(" Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.835\n") != std::string::npos);
  CHECK(text.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000\n") != std::string::npos);
  CHECK(text.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.800\n") != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 12);
}

TEST_CASE("coco_det_eval: a crowd ground truth absorbs any number of detections", "[coco_det_eval]") {
  // Image 1: ground truth G at [0,10]^2 and a crowd region [20,60] x [0,40]. Two detections inside
  // the crowd (0.9, 0.8: crowd IoU = overlap / detection area = 1) are ignored, not FP; then an
  // exact hit on G (0.7) and a miss (0.6).
  CocoDetDataset with_crowd = dataset(1);
  add_gt(with_crowd, 1, {0, 0, 10, 10});
  add_gt(with_crowd, 1, {20, 0, 40, 40}, /*crowd=*/true);
  const std::vector<CocoDetResult> dets = {det(1, {20, 0, 10, 10}, 0.9), det(1, {30, 10, 10, 10}, 0.8),
                                           det(1, {0, 0, 10, 10}, 0.7), det(1, {0, 20, 10, 10}, 0.6)};
  // ignored, ignored, TP, FP: recall 0 0 1 1, precision 0 0 1 .5 -> monotone 1 1 1 .5: AP 1. The
  // crowd region counts no ground truth: recall 1.
  const CocoDetEvalResult r = evaluate_coco_det(with_crowd, dets);
  CHECK(r.stats[AP] == near(1.0));
  CHECK(r.stats[AR100] == near(1.0));
  // The crowd region's area (1600) is medium: no counted medium ground truth, so -1.
  CHECK(r.stats[APm] == -1);
  // Without the crowd region both detections are FPs: FP FP TP FP -> precision 1/3 everywhere.
  CocoDetDataset plain = dataset(1);
  add_gt(plain, 1, {0, 0, 10, 10});
  CHECK(evaluate_coco_det(plain, dets).stats[AP] == near(1.0 / 3));
  // A detection half inside the crowd (crowd IoU 0.5) is absorbed at threshold 0.5 only.
  const CocoDetEvalResult half = evaluate_coco_det(with_crowd, {det(1, {15, 0, 10, 10}, 0.9), det(1, {0, 0, 10, 10}, 0.7)});
  // t = 0.5: ignored, TP -> AP 1. t > 0.5: FP, TP -> precision 1/2 at recall 1 -> 1/2.
  CHECK(half.stats[AP50] == near(1.0));
  CHECK(half.stats[AP] == near((1 + 9 * 0.5) / 10));
}

TEST_CASE("coco_det_eval: a counted ground truth is preferred to a crowd one", "[coco_det_eval]") {
  // The detection overlaps G with IoU 0.6 and lies inside the crowd region (crowd IoU 1).
  CocoDetDataset gt = dataset(1);
  add_gt(gt, 1, {20, 0, 40, 40}, /*crowd=*/true);  // listed first: counted ground truths still go first
  add_gt(gt, 1, {20, 0, 10, 10});
  const CocoDetEvalResult r = evaluate_coco_det(gt, {det(1, {20, 0, 10, 6}, 0.9)});
  // t <= 0.6 (3 thresholds: 0.5, 0.55, 0.6): TP. Above: absorbed by the crowd (ignored), G missed.
  CHECK(r.stats[AR100] == near(0.3));
  CHECK(r.stats[AP] == near(0.3));
}

TEST_CASE("coco_det_eval: equal scores keep input order within an image and image-id order across images",
          "[coco_det_eval]") {
  CocoDetDataset gt = dataset(2);
  add_gt(gt, 1, {0, 0, 10, 10});
  const CocoDetResult miss = det(1, {50, 50, 10, 10}, 0.5), hit = det(1, {0, 0, 10, 10}, 0.5);
  // miss then hit: recall 0 1, precision 0 .5 -> monotone .5 .5: AP 1/2.
  CHECK(evaluate_coco_det(gt, {miss, hit}).stats[AP] == near(0.5));
  // hit then miss: precision 1 .5 -> recall points all read 1: AP 1.
  CHECK(evaluate_coco_det(gt, {hit, miss}).stats[AP] == near(1.0));
  // Across images, ascending image id decides, not the order in the list: a miss on image 2 after
  // the hit on image 1 (AP 1) even when listed first; a miss on image 1 before a hit on image 2.
  CHECK(evaluate_coco_det(gt, {det(2, {0, 0, 10, 10}, 0.5), hit}).stats[AP] == near(1.0));
  CocoDetDataset gt2 = dataset(2);
  add_gt(gt2, 2, {0, 0, 10, 10});
  CHECK(evaluate_coco_det(gt2, {det(2, {0, 0, 10, 10}, 0.5), det(1, {0, 0, 10, 10}, 0.5)}).stats[AP] == near(0.5));
}

TEST_CASE("coco_det_eval: empty images and detections on images without ground truth", "[coco_det_eval]") {
  CocoDetDataset gt = dataset(3);  // image 3 has nothing at all
  add_gt(gt, 1, {0, 0, 10, 10});
  const CocoDetResult hit = det(1, {0, 0, 10, 10}, 0.8);
  CHECK(evaluate_coco_det(gt, {hit}).stats[AP] == near(1.0));
  // A detection on image 2 (no ground truth) scoring above the hit is a FP: precision .5 -> AP 1/2.
  CHECK(evaluate_coco_det(gt, {hit, det(2, {0, 0, 10, 10}, 0.9)}).stats[AP] == near(0.5));
  // No detections at all: AP and AR 0 (ground truth exists), not -1.
  const CocoDetEvalResult none = evaluate_coco_det(gt, {});
  CHECK(none.stats[AP] == 0);
  CHECK(none.stats[AR100] == 0);
  // No ground truth at all: every number is -1.
  const CocoDetEvalResult empty = evaluate_coco_det(dataset(2), {det(1, {0, 0, 5, 5}, 0.3)});
  for (double s : empty.stats) CHECK(s == -1);
}

TEST_CASE("coco_det_eval: a category without ground truth is left out of the means", "[coco_det_eval]") {
  CocoDetDataset gt = dataset(1, 3);
  add_gt(gt, 1, {0, 0, 10, 10}, false, /*category=*/1);
  add_gt(gt, 1, {30, 30, 10, 10}, false, /*category=*/3);
  // Category 1: exact hit (AP 1). Category 2: no ground truth, a detection (-1, excluded; were it
  // 0, AP would be 2/3). Category 3: a detection of IoU 0.6 (TP at 0.5, 0.55, 0.6 -> AP 0.3).
  const CocoDetEvalResult r = evaluate_coco_det(
      gt, {det(1, {0, 0, 10, 10}, 0.9, 1), det(1, {0, 0, 10, 10}, 0.9, 2), det(1, {30, 30, 10, 6}, 0.9, 3)});
  REQUIRE(r.category_ids == std::vector<int64_t>{1, 2, 3});
  CHECK(r.per_category[0][0][2].ap() == near(1.0));
  CHECK_FALSE(r.per_category[1][0][2].valid());
  CHECK(r.per_category[1][0][2].ap() == -1);
  CHECK(r.per_category[2][0][2].ap() == near(0.3));
  CHECK(r.stats[AP] == near((1 + 0.3) / 2));
  CHECK(r.stats[AP50] == near(1.0));
  CHECK(r.stats[AR100] == near((1 + 0.3) / 2));
}

TEST_CASE("coco_det_eval: area ranges ignore ground truths and unmatched detections outside them", "[coco_det_eval]") {
  CocoDetDataset gt = dataset(1);
  gt.images[0].width = gt.images[0].height = 1000;
  add_gt(gt, 1, {0, 0, 10, 10});          // small (100)
  add_gt(gt, 1, {50, 50, 40, 40});        // medium (1600)
  add_gt(gt, 1, {200, 200, 100, 100});    // large (10000)
  const std::vector<CocoDetResult> dets = {det(1, {400, 400, 100, 100}, 0.95),  // large miss
                                           det(1, {0, 0, 10, 10}, 0.9),         // small hit
                                           det(1, {50, 50, 40, 40}, 0.8),       // medium hit
                                           det(1, {500, 0, 5, 5}, 0.3)};        // small miss
  const CocoDetEvalResult r = evaluate_coco_det(gt, dets);
  // all: FP TP TP FP over 3 ground truths: recall 0 1/3 2/3 2/3, precision 0 .5 2/3 .5 -> monotone
  // 2/3 2/3 2/3 .5; recall points 0..0.66 (67) read 2/3, the rest 0 -> 67 * 2/3 / 101.
  CHECK(r.stats[AP] == near(67 * (2.0 / 3) / 101));
  CHECK(r.stats[AR100] == near(2.0 / 3));
  // small: the large miss is outside (ignored); the medium hit matched an ignored ground truth
  // (ignored); small hit TP, small miss FP: precision 1 1 1 .5 at recall 0 1 1 1 -> AP 1.
  CHECK(r.stats[APs] == near(1.0));
  CHECK(r.stats[ARs] == near(1.0));
  // medium: only the medium hit counts (the small miss is outside the range).
  CHECK(r.stats[APm] == near(1.0));
  CHECK(r.stats[ARm] == near(1.0));
  // large: the large miss is a FP and the large ground truth is never found: 0, not -1.
  CHECK(r.stats[APl] == 0);
  CHECK(r.stats[ARl] == 0);

  // Range ends belong to both neighbours: area 1024 = 32^2 is small and medium.
  CocoDetDataset edge = dataset(1);
  add_gt(edge, 1, {0, 0, 32, 32});
  const CocoDetEvalResult e = evaluate_coco_det(edge, {det(1, {0, 0, 32, 32}, 0.5)});
  CHECK(e.stats[APs] == near(1.0));
  CHECK(e.stats[APm] == near(1.0));
  CHECK(e.stats[APl] == -1);
}

TEST_CASE("coco_det_eval: maxDets keeps only the top-scoring detections of each image", "[coco_det_eval]") {
  CocoDetDataset gt = dataset(1);
  add_gt(gt, 1, {0, 0, 10, 10});
  const std::vector<CocoDetResult> dets = {det(1, {0, 0, 10, 10}, 0.7), det(1, {50, 0, 10, 10}, 0.9),
                                           det(1, {0, 50, 10, 10}, 0.8)};
  const CocoDetEvalResult r = evaluate_coco_det(gt, dets);
  CHECK(r.stats[AR1] == 0);  // only the 0.9 miss
  CHECK(r.stats[AR10] == near(1.0));
  CHECK(r.stats[AR100] == near(1.0));
  CHECK(r.stats[AP] == near(1.0 / 3));  // FP FP TP
  // The largest maxDets cuts before matching: with {1, 2} the hit is never seen.
  CocoDetEvalParams p;
  p.max_dets = {1, 2};
  const CocoDetEvalResult cut = evaluate_coco_det(gt, dets, p);
  CHECK(cut.summarize(false, -1, "all", 2) == 0);
  CHECK(cut.summarize(true, -1, "all", 2) == 0);
  CHECK(cut.summarize(true, -1, "all", 100) == -1);  // not a maxDets of these params
}

TEST_CASE("coco_det_eval: segm uses mask IoU and the crowd rule on masks", "[coco_det_eval]") {
  CocoDetDataset gt = dataset(1);
  // Ground truth: rows 0-4 (50 px, box [0,0,10,5]); crowd region: rows 5-9 of columns 0-9.
  add_gt(gt, 1, {0, 0, 10, 5});
  gt.annotations.back().mask = rect_mask(0, 0, 10, 5);
  add_gt(gt, 1, {0, 5, 10, 5}, /*crowd=*/true);
  gt.annotations.back().mask = rect_mask(0, 5, 10, 10);
  // d1 (0.9): rows 6-7 inside the crowd region (crowd mask IoU 20/20 = 1: absorbed).
  // d2 (0.8): mask = rows 0-4 of columns 0-4 (mask IoU 25/50 = 0.5), box [0,0,10,6] (box IoU 50/60).
  CocoDetResult d1 = det(1, {0, 6, 10, 2}, 0.9), d2 = det(1, {0, 0, 10, 6}, 0.8);
  d1.mask = rect_mask(0, 6, 10, 8);
  d2.mask = rect_mask(0, 0, 5, 5);
  CocoDetEvalParams segm;
  segm.iou_type = CocoIouType::segm;
  // segm: d2 matches at 0.5 only (IoU exactly 0.5 >= 0.5): AP (1 + 9 * 0) / 10.
  const CocoDetEvalResult rs = evaluate_coco_det(gt, {d1, d2}, segm);
  CHECK(rs.stats[AP] == near(0.1));
  CHECK(rs.stats[AP50] == near(1.0));
  CHECK(rs.stats[AR100] == near(0.1));
  // bbox: box IoU 0.833: TP at 0.50..0.80 (7 thresholds); d1's box is inside the crowd box too.
  const CocoDetEvalResult rb = evaluate_coco_det(gt, {d1, d2});
  CHECK(rb.stats[AP] == near(0.7));
  // segm without masks, or a mask of the wrong size, is an error.
  using oc::test::require_error;
  require_error([&] { evaluate_coco_det(gt, {det(1, {0, 0, 1, 1}, 0.5)}, segm); }, {"segm", "detection 0", "no mask"});
  CocoDetResult small = d2;
  std::vector<uint8_t> m(20, 1);
  small.mask = rle_encode(m.data(), 4, 5);
  require_error([&] { evaluate_coco_det(gt, {small}, segm); }, {"4 x 5 mask", "image 1 is 100 x 100"});
}

TEST_CASE("coco_det_eval: detections the data set cannot place are errors", "[coco_det_eval]") {
  using oc::test::require_error;
  CocoDetDataset gt = dataset(2);
  add_gt(gt, 1, {0, 0, 10, 10});
  require_error([&] { evaluate_coco_det(gt, {det(7, {0, 0, 1, 1}, 0.5)}); }, {"detection 0", "image_id 7", "no such image"});
  require_error([&] { evaluate_coco_det(gt, {det(1, {0, 0, 1, 1}, 0.5), det(1, {0, 0, 1, 1}, 0.5, 4)}); },
                {"detection 1", "category 4"});
  require_error([&] { evaluate_coco_det(gt, {det(1, {0, 0, 1, 1}, std::nan(""))}); }, {"detection 0", "score"});
  CocoDetEvalParams p;
  p.max_dets = {10, 1};
  require_error([&] { evaluate_coco_det(gt, {}, p); }, {"maxDets must ascend"});
}

TEST_CASE("coco_det_eval: on random pixel-aligned boxes, segm with rectangle masks equals bbox, and the input order of "
          "distinct scores does not matter",
          "[coco_det_eval]") {
  // For rectangles on whole pixels, mask IoU (pixel counts) and box IoU (products of the same
  // integers) are the same doubles, crowd rule included, so the two paths must agree exactly.
  std::mt19937 rng(std::random_device{}());
  const uint32_t seed = rng();
  INFO("seed " << seed);
  rng.seed(seed);
  auto rect = [&](int64_t max_side) {
    const int64_t w = 1 + rng() % max_side, h = 1 + rng() % max_side;
    const int64_t x = rng() % (100 - w + 1), y = rng() % (100 - h + 1);
    return std::array<int64_t, 4>{x, y, w, h};
  };
  auto box = [](const std::array<int64_t, 4>& r) { return Box{double(r[0]), double(r[1]), double(r[2]), double(r[3])}; };
  auto mask = [](const std::array<int64_t, 4>& r) { return rect_mask(r[0], r[1], r[0] + r[2], r[1] + r[3]); };
  CocoDetDataset gt = dataset(6, 3);
  std::vector<CocoDetResult> dets;
  for (int i = 0; i < 40; ++i) {
    const auto r = rect(i % 3 == 0 ? 60 : 25);
    add_gt(gt, 1 + rng() % 6, box(r), /*crowd=*/i % 9 == 0, 1 + rng() % 3);
    gt.annotations.back().mask = mask(r);
    // A detection near it (jittered) and sometimes one elsewhere.
    auto d = r;
    d[0] = std::clamp<int64_t>(d[0] + int64_t(rng() % 5) - 2, 0, 100 - d[2]);
    d[1] = std::clamp<int64_t>(d[1] + int64_t(rng() % 5) - 2, 0, 100 - d[3]);
    for (int copy = 0; copy < 1 + i % 2; ++copy) {
      const auto& a = gt.annotations.back();
      const auto place = copy == 0 ? d : rect(30);
      CocoDetResult c = det(a.image_id, box(place), 0.001 * double(dets.size() + 1), a.category_id);
      c.mask = mask(place);
      dets.push_back(c);
    }
  }
  std::shuffle(dets.begin(), dets.end(), rng);  // scores are distinct: order must not matter
  CocoDetEvalParams segm;
  segm.iou_type = CocoIouType::segm;
  const CocoDetEvalResult rb = evaluate_coco_det(gt, dets), rs = evaluate_coco_det(gt, dets, segm);
  std::shuffle(dets.begin(), dets.end(), rng);
  const CocoDetEvalResult rb2 = evaluate_coco_det(gt, dets);
  INFO(format_coco_det_eval(rb));
  for (size_t i = 0; i < 12; ++i) {
    INFO("stat " << i);
    CHECK(rs.stats[i] == rb.stats[i]);
    CHECK(rb2.stats[i] == rb.stats[i]);
  }
  // Not a degenerate case: some matches, some misses.
  CHECK(rb.stats[AP] > 0.05);
  CHECK(rb.stats[AP] < 0.99);
  CHECK(rb.stats[AR100] > rb.stats[AR1]);
}

// --- result files -------------------------------------------------------------------------------

namespace {

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

}  // namespace

TEST_CASE("coco_det_results: random results round-trip exactly, masks as COCO strings", "[coco_det_results]") {
  std::mt19937 rng(std::random_device{}());
  const uint32_t seed = rng();
  INFO("seed " << seed);
  rng.seed(seed);
  CocoDetDataset gt = dataset(5, 4);
  std::uniform_real_distribution<double> u(0, 100);
  std::vector<CocoDetResult> results;
  for (int i = 0; i < 50; ++i) {
    CocoDetResult r = det(1 + rng() % 5, {u(rng), u(rng), u(rng), u(rng)}, u(rng) / 100, 1 + rng() % 4);
    if (i % 2) {
      const int64_t x0 = rng() % 100, y0 = rng() % 100;
      r.mask = rect_mask(x0, y0, x0 + rng() % (100 - x0), y0 + rng() % (100 - y0));
    }
    results.push_back(r);
  }
  oc::test::TempDir dir;
  const std::string path = dir.file("r.json");
  write_coco_det_results(path, results);
  REQUIRE_FALSE(std::filesystem::exists(path + ".tmp"));
  const std::vector<CocoDetResult> back = read_coco_det_results(path, gt);
  REQUIRE(back.size() == results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    INFO("result " << i);
    CHECK(back[i].image_id == results[i].image_id);
    CHECK(back[i].category_id == results[i].category_id);
    CHECK(back[i].bbox == results[i].bbox);  // doubles printed to round-trip exactly
    CHECK(back[i].score == results[i].score);
    REQUIRE(back[i].mask.has_value() == results[i].mask.has_value());
    if (back[i].mask) CHECK(back[i].mask->counts == results[i].mask->counts);
  }
  // The file is what loadRes expects: a segmentation's counts is a string, its size [h, w].
  const json j = read_json_file(path);
  CHECK(j[1]["segmentation"]["size"] == json::array({100, 100}));
  CHECK(j[1]["segmentation"]["counts"] == rle_to_string(*results[1].mask));
  CHECK_FALSE(j[0].contains("segmentation"));
}

TEST_CASE("coco_det_results: writing refuses non-finite numbers", "[coco_det_results]") {
  using oc::test::require_error;
  oc::test::TempDir dir;
  const std::string path = dir.file("r.json");
  require_error([&] { write_coco_det_results(path, {det(1, {0, 0, 1, 1}, 0.5), det(2, {0, 0, 1, 1}, INFINITY)}); },
                {"r.json", "result 1", "image_id 2", "score"});
  require_error([&] { write_coco_det_results(path, {det(1, {0, NAN, 1, 1}, 0.5)}); }, {"result 0", "bbox"});
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("coco_det_results: corrupt files are errors naming the file and JSON path", "[coco_det_results]") {
  using oc::test::require_error;
  CocoDetDataset gt = dataset(2, 2);
  oc::test::TempDir dir;
  const std::string path = dir.file("r.json");
  const std::string good = R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5})";
  auto expect = [&](const std::string& entry, std::initializer_list<std::string> fragments) {
    write_text(path, "[" + good + ", " + entry + "]");
    INFO("entry " << entry);
    require_error([&] { read_coco_det_results(path, gt); }, fragments);
  };
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 0.5})", {"r.json: [1].bbox: expected 4 numbers, got 3"});
  expect(R"({"image_id": 9, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5})", {"[1].image_id", "image 9 is not in the data set"});
  expect(R"({"image_id": 1, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.5})", {"[1].category_id", "category 5"});
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1e999})", {"r.json", "1e999"});
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, "2", 3, 4], "score": 0.5})", {"[1].bbox[1]", "expected a number"});
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, -3, 4], "score": 0.5})", {"[1].bbox", "negative size"});
  expect(R"({"image_id": 1.5, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5})", {"[1].image_id", "integer"});
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]})", {"[1]", "missing key \"score\""});
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5, "scor": 1})", {"[1].scor", "unknown key"});
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5, "segmentation": [[1, 2, 3, 4, 5, 6]]})",
         {"[1].segmentation", "polygons"});
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5, "segmentation": {"size": [100, 100], "counts": [10000]}})",
         {"[1].segmentation.counts", "compressed RLE string"});
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5, "segmentation": {"size": [50, 100], "counts": "0"}})",
         {"[1].segmentation.size", "50 x 100", "image 1 is 100 x 100"});
  expect(R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5, "segmentation": {"size": [100, 100], "counts": "12"}})",
         {"[1].segmentation.counts", "counts sum to 3"});
  expect("7", {"r.json: [1]: expected an object"});
  write_text(path, R"({"image_id": 1})");
  require_error([&] { read_coco_det_results(path, gt); }, {"r.json", "expected a JSON list"});
}

// Pose metrics against hand-computed values: PCK at its boundaries, OKS (shifted joints, unlabelled
// ground truths), COCO keypoint AP/AR from the 101-point rule (misses, duplicates, crowd, score
// order, maxDets), and COCO result files (round trip, corrupt files). pycocotools is not installed
// here, so every expected number is derived in the comments.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "nets/config.h"
#include "tests/helpers.h"
#include "train/metrics/pose_metrics.h"

using namespace oc;

namespace {

// sigma = 1/8 makes (2 sigma)^2 = 1/16 exact, so e = d^2 / (1/16) / area / 2 = 8 d^2 / area.
constexpr float kSigma = 0.125f;
constexpr float kArea = 64;  // with kSigma: e = d^2 / 8

Person person(int64_t image, std::vector<Keypoint> kps, float score = 1, float area = kArea) {
  Person p;
  p.image_id = image;
  p.keypoints = std::move(kps);
  p.bbox = {0, 0, 8, 8};
  p.area = area;
  p.score = score;
  return p;
}

// Two labelled joints at (x, y) and (x + 10, y).
Person gt_at(int64_t image, float x, float y) { return person(image, {{x, y, 2}, {x + 10, y, 2}}); }
Person det_at(int64_t image, float x, float y, float score) {
  return person(image, {{x, y, 1}, {x + 10, y, 1}}, score, 0);
}

OksEvalParams two_joint_params() {
  OksEvalParams p;
  p.sigmas = {kSigma, kSigma};
  return p;
}

// COCO's precision is tp / (tp + fp + 2^-52): with a single TP it is 1 - 2^-52, not exactly 1.
const Approx kOne = Approx(1.0).epsilon(1e-12);

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

}  // namespace

TEST_CASE("pose_metrics: PCK counts joints on the threshold, skips unlabelled joints, averages the error",
          "[pose_metrics]") {
  // bbox 100 x 50 -> size 100: alpha 0.05 -> 5 px, alpha 0.1 -> 10 px.
  Person gt = person(1, {{10, 10, 2}, {20, 20, 2}, {30, 30, 1}, {40, 40, 2}, {50, 50, 0}});
  gt.bbox = {0, 0, 100, 50};
  // Errors: 0, 5 (3-4-5), 10 (6-8-10), 10.5, and an unlabelled joint 1000 px off.
  Person pred = person(1, {{10, 10, 0}, {23, 24, 0}, {36, 38, 0}, {50.5f, 40, 0}, {1050, 50, 0}});
  CHECK(pck_person_size(gt) == 100);
  PckResult r = pck({pred}, {gt}, {0.05, 0.1});
  CHECK(r.visible_joints == 4);
  CHECK(r.pck[0] == 0.5);                            // 0 and 5 are within 5
  CHECK(r.pck[1] == 0.75);                           // 0, 5 and 10 are within 10
  CHECK(r.mean_error == Approx(25.5 / 4).epsilon(1e-12));  // (0 + 5 + 10 + 10.5) / 4 = 6.375

  PckResult perfect = pck({gt}, {gt});
  CHECK(perfect.pck == std::vector<double>{1.0, 1.0});
  CHECK(perfect.mean_error == 0);
  CHECK(pck({}, {}).visible_joints == 0);
}

TEST_CASE("pose_metrics: PCK errors name both counts", "[pose_metrics]") {
  Person a = gt_at(1, 0, 0);
  test::require_error([&] { pck({a, a}, {a}); }, {"pck", "2 predictions", "1 ground truths"});
  Person short_pred = person(1, {{0, 0, 2}});
  test::require_error([&] { pck({short_pred}, {a}); }, {"person 0", "1 keypoints", "2"});
  test::require_error([&] { pck({a}, {a}, {-0.1}); }, {"alpha", "-0.1"});
}

TEST_CASE("pose_metrics: OKS of a perfect and of a shifted detection", "[pose_metrics]") {
  std::vector<float> sigmas = {kSigma, kSigma, kSigma};
  Person gt = person(1, {{10, 10, 2}, {20, 10, 1}, {30, 10, 0}});
  CHECK(oks(gt, gt, sigmas) == Approx(1.0).epsilon(1e-15));
  // Joint 1 off by d = 2: e = 8 * 4 / 64 = 0.5; joint 2 is unlabelled and does not count.
  // OKS = (exp(0) + exp(-0.5)) / 2 = 0.8032653298563167.
  Person det = person(1, {{10, 10, 0}, {22, 10, 0}, {500, 500, 0}});
  CHECK(oks(det, gt, sigmas) == Approx(0.8032653298563167).epsilon(1e-12));
  // A smaller sigma is stricter: sigma 1/16 -> (2 sigma)^2 = 1/64, e = 4 * 64 / 64 / 2 = 2.
  // OKS = (1 + exp(-2)) / 2 = 0.5676676416183064.
  CHECK(oks(det, gt, {kSigma, 0.0625f, kSigma}) == Approx(0.5676676416183064).epsilon(1e-12));
  test::require_error([&] { oks(det, gt, {kSigma}); }, {"oks", "3 keypoints", "sigmas has 1"});
}

TEST_CASE("pose_metrics: OKS to a ground truth without labelled joints uses the box grown by its size",
          "[pose_metrics]") {
  // bbox x, y = 100, w, h = 8 -> grown box [92, 116] x [92, 116]; area 64, sigma 1/8: e = d^2 / 8.
  Person gt = person(1, {{0, 0, 0}, {0, 0, 0}});
  gt.bbox = {100, 100, 8, 8};
  std::vector<float> sigmas = {kSigma, kSigma};
  // Both joints inside the grown box: d = 0 -> OKS 1.
  CHECK(oks(person(1, {{93, 100, 0}, {115, 115, 0}}), gt, sigmas) == 1.0);
  // Joint 0 is 3 px right of the box (x = 119): e = 9 / 8 = 1.125. Joint 1 is 4 px left and 4 px
  // below (88, 120): e = 32 / 8 = 4. OKS = (exp(-1.125) + exp(-4)) / 2 = (0.3246524674 + 0.0183156389) / 2
  // = 0.1714840531.
  CHECK(oks(person(1, {{119, 100, 0}, {88, 120, 0}}), gt, sigmas) == Approx(0.17148405312354195).epsilon(1e-12));
}

TEST_CASE("pose_metrics: perfect detections give AP 1 and AR 1", "[pose_metrics]") {
  std::vector<Person> gts = {gt_at(1, 10, 10), gt_at(1, 60, 10), gt_at(2, 10, 10)};
  std::vector<Person> dets = {det_at(1, 60, 10, 0.3f), det_at(1, 10, 10, 0.9f), det_at(2, 10, 10, 0.5f)};
  OksEvalResult r = evaluate_oks(dets, gts, two_joint_params());
  const OksAreaResult& all = r.area("all");
  CHECK(all.num_ground_truths == 3);
  CHECK(all.ap == kOne);
  CHECK(all.ap50 == kOne);
  CHECK(all.ap75 == kOne);
  CHECK(all.ar == 1.0);
  // Area 64 is under 32^2: nothing to count in medium or large, reported -1 as COCO prints it.
  CHECK(r.area("medium").ap == -1);
  CHECK(r.area("large").ar == -1);
  CHECK(format_oks_eval(r).find("all    AP 1.000") != std::string::npos);
}

TEST_CASE("pose_metrics: a shifted detection is a TP only at thresholds up to its OKS", "[pose_metrics]") {
  // Both joints off by d = 2: e = 0.5 each, OKS = exp(-0.5) = 0.6065. TP at 0.50, 0.55, 0.60, FP at
  // 0.65 ... 0.95: AP = 3/10 (AP 1 at three thresholds, 0 at seven), AP50 1, AP75 0, AR 0.3.
  OksEvalResult r = evaluate_oks({det_at(1, 12, 10, 0.9f)}, {gt_at(1, 10, 10)}, two_joint_params());
  const OksAreaResult& all = r.area("all");
  CHECK(all.ap == Approx(0.3).epsilon(1e-12));
  CHECK(all.ap50 == kOne);
  CHECK(all.ap75 == 0.0);
  CHECK(all.ar == Approx(0.3).epsilon(1e-12));
}

TEST_CASE("pose_metrics: missing detections cut precision past the recall reached", "[pose_metrics]") {
  // 3 ground truths, 2 perfect detections: recall 1/3, 2/3 at precision 1. Recall points
  // 0, 0.01, ..., 0.66 (67 of them) read precision 1; 0.67 ... 1 lie past recall 2/3 and read 0.
  // AP = 67/101 = 0.6633663366, AR = 2/3.
  std::vector<Person> gts = {gt_at(1, 10, 10), gt_at(1, 60, 10), gt_at(2, 10, 10)};
  std::vector<Person> dets = {det_at(1, 10, 10, 0.9f), det_at(2, 10, 10, 0.8f)};
  const OksAreaResult all = evaluate_oks(dets, gts, two_joint_params()).area("all");
  CHECK(all.ap == Approx(67.0 / 101).epsilon(1e-12));
  CHECK(all.ar == Approx(2.0 / 3).epsilon(1e-12));
  CHECK(all.precision[0][66] == 1.0);
  CHECK(all.precision[0][67] == 0.0);
}

TEST_CASE("pose_metrics: a duplicate detection is a false positive", "[pose_metrics]") {
  // Ground truths A, B, C; detections A .9, A again .8, B .7, C .6.
  // TP/FP: T F T T -> tp 1 1 2 3, fp 0 1 1 1; recall 1/3 1/3 2/3 1; precision 1 .5 .667 .75.
  // Max from the right: 1 .75 .75 .75. Recall points 0 ... 0.33 (34) -> 1, 0.34 ... 1 (67) -> .75.
  // AP = (34 + 67 * 0.75) / 101 = 84.25 / 101 = 0.8341584158; AR = 1.
  std::vector<Person> gts = {gt_at(1, 10, 10), gt_at(1, 60, 10), gt_at(1, 110, 10)};
  std::vector<Person> dets = {det_at(1, 10, 10, 0.9f), det_at(1, 10, 10, 0.8f), det_at(1, 60, 10, 0.7f),
                              det_at(1, 110, 10, 0.6f)};
  const OksAreaResult all = evaluate_oks(dets, gts, two_joint_params()).area("all");
  CHECK(all.ap == Approx(84.25 / 101).epsilon(1e-12));
  CHECK(all.ar == 1.0);
}

TEST_CASE("pose_metrics: score order decides where a false positive falls", "[pose_metrics]") {
  // Ground truths A, B; perfect detections on both, and one 1000 px away (OKS ~ 0).
  std::vector<Person> gts = {gt_at(1, 10, 10), gt_at(1, 60, 10)};
  auto run = [&](float far_score) {
    std::vector<Person> dets = {det_at(1, 10, 10, 0.9f), det_at(1, 60, 10, 0.8f), det_at(1, 1010, 10, far_score)};
    return evaluate_oks(dets, gts, two_joint_params()).area("all");
  };
  // Far one last: T T F -> precision 1 1 .667 at recall .5 1 1; every recall point reads 1: AP 1.
  CHECK(run(0.1f).ap == kOne);
  // Far one first: F T T -> recall 0 .5 1, precision 0 .5 .667; max from the right .667 everywhere:
  // AP = 2/3.
  CHECK(run(0.95f).ap == Approx(2.0 / 3).epsilon(1e-12));
  CHECK(run(0.95f).ar == 1.0);
}

TEST_CASE("pose_metrics: crowd and unlabelled ground truths absorb detections, neither TP nor FP",
          "[pose_metrics]") {
  // Ground truth A, plus an ignored one at x = 300. Detections: two on the ignored one (.95, .94)
  // and one on A (.9).
  Person crowd = gt_at(1, 300, 10);
  crowd.crowd = true;
  Person unlabelled = person(1, {{0, 0, 0}, {0, 0, 0}});
  unlabelled.bbox = {300, 10, 20, 8};  // grown box [280, 340] x [2, 26] holds both joints below
  std::vector<Person> dets = {det_at(1, 300, 10, 0.95f), det_at(1, 300, 10, 0.94f), det_at(1, 10, 10, 0.9f)};
  // A crowd absorbs both: tp 0 0 1, fp 0 0 0 -> precision 0 0 1, recall 0 0 1; max from the right:
  // 1 everywhere -> AP 1.
  const OksAreaResult with_crowd = evaluate_oks(dets, {gt_at(1, 10, 10), crowd}, two_joint_params()).area("all");
  CHECK(with_crowd.num_ground_truths == 1);
  CHECK(with_crowd.ap == kOne);
  CHECK(with_crowd.ar == 1.0);
  // An unlabelled (num_keypoints 0) ground truth is ignored but not a crowd: it absorbs one
  // detection only (the .95), the .94 is a false positive: tp 0 0 1, fp 0 1 1 -> precision 0 0 .5,
  // max from the right .5 everywhere -> AP 0.5.
  const OksAreaResult with_unlabelled =
      evaluate_oks(dets, {gt_at(1, 10, 10), unlabelled}, two_joint_params()).area("all");
  CHECK(with_unlabelled.num_ground_truths == 1);
  CHECK(with_unlabelled.ap == Approx(0.5).epsilon(1e-12));
  CHECK(with_unlabelled.ar == 1.0);
  // Without the ignored ground truth both are false positives: F F T -> recall 0 0 1, precision
  // 0 0 1/3, max from the right 1/3 everywhere: AP = 1/3.
  CHECK(evaluate_oks(dets, {gt_at(1, 10, 10)}, two_joint_params()).area("all").ap == Approx(1.0 / 3).epsilon(1e-12));
  // A crowd beside a counted ground truth at the same place: the counted one is preferred.
  const OksAreaResult both = evaluate_oks({det_at(1, 300, 10, 0.9f)}, {crowd, gt_at(1, 300, 10)}, two_joint_params()).area("all");
  CHECK(both.ap == kOne);
}

TEST_CASE("pose_metrics: only the top max_dets detections per image count", "[pose_metrics]") {
  // 20 far-away detections score above the one perfect detection.
  std::vector<Person> dets;
  for (int i = 0; i < 20; ++i) dets.push_back(det_at(1, 1000 + 50 * i, 10, 0.9f - 0.01f * i));
  dets.push_back(det_at(1, 10, 10, 0.1f));
  OksEvalParams p = two_joint_params();
  // max_dets 20 drops the TP: AP 0, AR 0.
  CHECK(evaluate_oks(dets, {gt_at(1, 10, 10)}, p).area("all").ap == 0.0);
  CHECK(evaluate_oks(dets, {gt_at(1, 10, 10)}, p).area("all").ar == 0.0);
  // max_dets 21 keeps it as the 21st: precision 1/21 at recall 1, max from the right 1/21
  // everywhere: AP = 1/21 = 0.0476190476, AR 1.
  p.max_dets = 21;
  const OksAreaResult all = evaluate_oks(dets, {gt_at(1, 10, 10)}, p).area("all");
  CHECK(all.ap == Approx(1.0 / 21).epsilon(1e-12));
  CHECK(all.ar == 1.0);
}

TEST_CASE("pose_metrics: a detection on an image without ground truth is a false positive", "[pose_metrics]") {
  // Image 2 has no person; its detection (.9) outranks the TP on image 1 (.5): F T -> AP 1/2.
  std::vector<Person> dets = {det_at(1, 10, 10, 0.5f), det_at(2, 10, 10, 0.9f)};
  CHECK(evaluate_oks(dets, {gt_at(1, 10, 10)}, two_joint_params()).area("all").ap == Approx(0.5).epsilon(1e-12));
  // No detections at all: AP 0, AR 0.
  const OksAreaResult none = evaluate_oks({}, {gt_at(1, 10, 10)}, two_joint_params()).area("all");
  CHECK(none.ap == 0.0);
  CHECK(none.ar == 0.0);
}

TEST_CASE("pose_metrics: evaluate_oks errors name the person and the counts", "[pose_metrics]") {
  OksEvalParams p = two_joint_params();
  test::require_error([&] { evaluate_oks({person(7, {{0, 0, 1}})}, {gt_at(7, 0, 0)}, p); },
                      {"detection 0", "image_id 7", "1 keypoints", "sigmas has 2"});
  test::require_error([&] { evaluate_oks({det_at(1, 0, 0, NAN)}, {gt_at(1, 0, 0)}, p); }, {"score", "nan"});
  test::require_error([&] { evaluate_oks({}, {}, OksEvalParams{}); }, {"sigmas is empty"});
  test::require_error([&] { evaluate_oks({}, {}, p).area("small"); }, {"small"});
}

TEST_CASE("pose_metrics: COCO result file round trip", "[pose_metrics]") {
  test::TempDir dir("ocellus_pose_metrics");
  std::vector<Person> preds = {det_at(3, 12.25f, 40.5f, 0.875f), det_at(9, 0.1f, 1e4f, 0.3f)};
  preds[1].keypoints[1].v = 0;
  const std::string path = dir.file("results.json");
  write_coco_keypoint_results(path, preds);
  std::vector<Person> back = read_coco_keypoint_results(path, 2);
  REQUIRE(back.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(back[i].image_id == preds[i].image_id);
    CHECK(back[i].score == preds[i].score);
    REQUIRE(back[i].keypoints.size() == 2);
    for (size_t k = 0; k < 2; ++k) {
      CHECK(back[i].keypoints[k].x == preds[i].keypoints[k].x);
      CHECK(back[i].keypoints[k].y == preds[i].keypoints[k].y);
      CHECK(back[i].keypoints[k].v == preds[i].keypoints[k].v);
    }
  }
  // The layout COCO's loadRes expects.
  json j = read_json_file(path);
  CHECK(j[0]["category_id"] == 1);
  CHECK(j[0]["keypoints"].size() == 6);
  CHECK(j[0]["keypoints"][2] == 1);
  // Scoring what was read back gives the same AP.
  std::vector<Person> gts = {gt_at(3, 12, 40), gt_at(9, 0, 1e4f)};
  CHECK(evaluate_oks(back, gts, two_joint_params()).area("all").ap ==
        evaluate_oks(preds, gts, two_joint_params()).area("all").ap);
  // An empty list is a valid file.
  write_coco_keypoint_results(path, {});
  CHECK(read_coco_keypoint_results(path).empty());
  Person bad = det_at(1, NAN, 0, 1);
  test::require_error([&] { write_coco_keypoint_results(path, {bad}); }, {path, "prediction 0", "keypoint 0"});
}

TEST_CASE("pose_metrics: corrupt COCO result files are errors naming the file and the entry", "[pose_metrics]") {
  test::TempDir dir("ocellus_pose_metrics");
  const std::string path = dir.file("bad.json");
  const std::string good = R"({"image_id": 5, "category_id": 1, "keypoints": [1, 2, 1, 3, 4, 2], "score": 0.5})";
  auto expect = [&](const std::string& text, std::initializer_list<std::string> fragments, int k = 0) {
    write_text(path, text);
    test::require_error([&] { read_coco_keypoint_results(path, k); }, fragments);
  };
  test::require_error([&] { read_coco_keypoint_results(dir.file("missing.json")); }, {"missing.json", "cannot open"});
  expect("[{\"image_id\": 1,", {path, "invalid JSON"});
  expect("{}", {path, "expected a JSON list"});
  expect("[" + good + ", 3]", {path, "entry 1", "expected an object"});
  expect(R"([{"image_id": 5, "category_id": 1, "keypoints": [1, 2, 1]}])", {path, "entry 0", "missing \"score\""});
  expect(R"([{"image_id": "5", "category_id": 1, "keypoints": [1, 2, 1], "score": 1}])", {"entry 0", "image_id must be an integer"});
  expect(R"([{"image_id": 5, "category_id": 2, "keypoints": [1, 2, 1], "score": 1}])", {"image_id 5", "category_id must be 1"});
  expect(R"([{"image_id": 5, "category_id": 1, "keypoints": [1, 2, 1], "score": "high"}])", {"entry 0", "score must be a number"});
  expect(R"([{"image_id": 5, "category_id": 1, "keypoints": [1, 2, 1, 4], "score": 1}])", {"entry 0", "4 numbers", "multiple of 3"});
  expect(R"([{"image_id": 5, "category_id": 1, "keypoints": [1, null, 1], "score": 1}])", {"entry 0", "keypoints[1]", "number"});
  expect(R"([{"image_id": 5, "category_id": 1, "keypoints": [1, 2, 0.7], "score": 1}])", {"entry 0", "v of joint 0", "0, 1 or 2"});
  expect("[" + good + "]", {path, "entry 0", "6 numbers, expected 51", "17 joints"}, 17);
  expect("[" + good + R"(, {"image_id": 6, "category_id": 1, "keypoints": [1, 2, 1], "score": 1}])",
         {path, "entry 1", "image_id 6", "3 numbers, expected 6"});
  // Extra keys other tools write are ignored.
  write_text(path, R"([{"image_id": 5, "category_id": 1, "keypoints": [1, 2, 1], "score": 0.5, "bbox": [0, 0, 1, 1]}])");
  CHECK(read_coco_keypoint_results(path).size() == 1);
}

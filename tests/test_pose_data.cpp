// Pose data: the COCO person skeleton, the strict COCO keypoints reader and writer, the
// crop-and-augment (pixels and keypoints moved by one matrix), and the synthetic pose generator.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/thread_pool.h"
#include "nets/config.h"
#include "tests/helpers.h"
#include "train/data/pose_synth.h"
#include "train/io/coco_keypoints.h"

using namespace oc;

namespace {

// Two images, three people, 17 joints with every visibility.
CocoKeypoints small_coco() {
  CocoKeypoints d;
  d.skeleton = coco_person_skeleton();
  d.images = {CocoImage{5, "a.png", 40, 30}, CocoImage{9, "b.jpg", 64, 48}};
  d.people.resize(2);
  int64_t id = 1;
  for (size_t i = 0; i < 2; ++i)
    for (size_t n = 0; n <= i; ++n) {
      Person p;
      p.image_id = d.images[i].id;
      p.id = id++;
      for (int k = 0; k < 17; ++k)
        p.keypoints.push_back(k % 5 == 4 ? Keypoint{} : Keypoint{1.25f + k, 2.5f + 0.5f * k + n, 1 + (k % 2)});
      p.bbox = {1.5f, 2, 20.25f, 12};
      p.area = 123.5f;
      p.crowd = n == 1;
      d.people[i].push_back(p);
    }
  return d;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A black [3,H,W] image with a Gaussian spot (sigma 1.5 px) centred on (x, y) in COCO coordinates.
Tensor spot_image(int64_t H, int64_t W, double x, double y) {
  Tensor t = Tensor::empty({3, H, W}, DType::u8);
  uint8_t* p = t.data<uint8_t>();
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; ++j) {
        const double dx = j + 0.5 - x, dy = i + 0.5 - y;
        p[(c * H + i) * W + j] = static_cast<uint8_t>(std::lround(255 * std::exp(-(dx * dx + dy * dy) / 4.5)));
      }
  return t;
}

// A person standing in a 120 x 90 image, every joint labelled and distinct.
Person standing_person() {
  Person p;
  p.id = 1;
  const float xy[17][2] = {{60, 20}, {63, 18}, {57, 18}, {66, 20}, {54, 20}, {70, 30}, {50, 30}, {74, 42}, {46, 42},
                           {76, 52}, {44, 52}, {66, 55}, {54, 55}, {68, 66}, {52, 66}, {69, 76}, {51, 76}};
  for (const auto& q : xy) p.keypoints.push_back(Keypoint{q[0] + 0.3f, q[1] + 0.7f, 2});
  p.bbox = {40, 12, 40, 68};
  p.area = 40 * 68;
  return p;
}

}  // namespace

TEST_CASE("pose_data: COCO person skeleton and OKS sigmas", "[pose_data]") {
  const Skeleton& s = coco_person_skeleton();
  REQUIRE(s.joint_names.size() == 17);
  REQUIRE(s.limbs.size() == 19);
  REQUIRE(s.flip_pairs.size() == 8);
  CHECK(s.joint_names[0] == "nose");
  CHECK(s.joint_names[16] == "right_ankle");
  CHECK(s.limbs[0] == std::array<int, 2>{15, 13});  // COCO's [16, 14], 1-based
  CHECK(s.limbs[18] == std::array<int, 2>{4, 6});
  for (const auto& l : s.limbs) CHECK((l[0] >= 0 && l[0] < 17 && l[1] >= 0 && l[1] < 17 && l[0] != l[1]));
  for (const auto& f : s.flip_pairs) {
    CHECK(s.joint_names[f[0]].substr(0, 5) == "left_");
    CHECK(s.joint_names[f[1]] == "right_" + s.joint_names[f[0]].substr(5));
  }
  CHECK(skeleton_from_names(s.joint_names, s.limbs).flip_pairs == s.flip_pairs);
  const std::vector<float>& sig = coco_person_sigmas();
  REQUIRE(sig.size() == 17);
  CHECK(sig[0] == Approx(0.026));
  CHECK(sig[11] == Approx(0.107));
  CHECK(sig[16] == Approx(0.089));
}

TEST_CASE("pose_data: COCO keypoints file round trip", "[pose_data]") {
  test::TempDir dir("pose_data");
  const CocoKeypoints d = small_coco();
  write_coco_keypoints(dir.file("k.json"), d);
  const CocoKeypoints r = read_coco_keypoints(dir.file("k.json"));
  CHECK(r.skeleton.joint_names == d.skeleton.joint_names);
  CHECK(r.skeleton.limbs == d.skeleton.limbs);
  CHECK(r.skeleton.flip_pairs == d.skeleton.flip_pairs);
  CHECK(r.category_id == 1);
  CHECK(r.category_name == "person");
  REQUIRE(r.images.size() == 2);
  REQUIRE(r.people.size() == 2);
  CHECK(r.num_people() == 3);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(r.images[i].id == d.images[i].id);
    CHECK(r.images[i].file_name == d.images[i].file_name);
    CHECK(r.images[i].width == d.images[i].width);
    CHECK(r.images[i].height == d.images[i].height);
    REQUIRE(r.people[i].size() == d.people[i].size());
    for (size_t n = 0; n < r.people[i].size(); ++n) {
      const Person &a = r.people[i][n], &b = d.people[i][n];
      CHECK(a.id == b.id);
      CHECK(a.image_id == b.image_id);
      CHECK(a.crowd == b.crowd);
      CHECK(a.area == Approx(b.area));
      for (int e = 0; e < 4; ++e) CHECK(a.bbox[e] == Approx(b.bbox[e]));
      REQUIRE(a.keypoints.size() == 17);
      for (int k = 0; k < 17; ++k) {
        CHECK(a.keypoints[k].x == Approx(b.keypoints[k].x));
        CHECK(a.keypoints[k].y == Approx(b.keypoints[k].y));
        CHECK(a.keypoints[k].v == b.keypoints[k].v);
      }
    }
  }
}

TEST_CASE("pose_data: COCO keypoints reader errors name the file and JSON path", "[pose_data]") {
  test::TempDir dir("pose_data");
  write_coco_keypoints(dir.file("good.json"), small_coco());
  const json good = read_json_file(dir.file("good.json"));
  auto expect = [&](const std::string& name, const json& j, std::initializer_list<std::string> fragments) {
    const std::string path = dir.file(name);
    write_text(path, j.dump());
    std::vector<std::string> all(fragments);
    all.push_back(path);
    try {
      read_coco_keypoints(path);
      FAIL("no error for " << name);
    } catch (const Error& e) {
      const std::string msg = e.what();
      INFO("message: " << msg);
      for (const std::string& f : all) CHECK(msg.find(f) != std::string::npos);
    }
  };
  json j = good;
  j["annotations"][1].erase("image_id");
  expect("missing.json", j, {"annotations[1]: missing key \"image_id\""});
  j = good;
  j["images"][1].erase("file_name");
  expect("missing_file_name.json", j, {"images[1]: missing key \"file_name\""});
  j = good;
  j["annotations"][0]["keypoints"].erase(50);
  expect("short.json", j, {"annotations[0].keypoints: expected 51 numbers", "got 50"});
  j = good;
  j["annotations"][2]["image_id"] = 99;
  expect("unknown.json", j, {"annotations[2].image_id: unknown image id 99"});
  j = good;
  j["annotations"][0]["keypoints"][5] = 3;
  expect("visibility.json", j, {"annotations[0].keypoints[5]: visibility must be 0, 1 or 2"});
  j = good;
  j["annotations"][0]["bbox"] = {1, 2, 3};
  expect("bbox.json", j, {"annotations[0].bbox: expected 4 numbers"});
  j = good;
  j["categories"][0]["skeleton"][3] = {0, 2};
  expect("skeleton.json", j, {"categories[0].skeleton[3][0]: joint index 0 outside 1..17"});
  j = good;
  j.erase("categories");
  expect("nocat.json", j, {"missing key \"categories\""});
  write_text(dir.file("syntax.json"), "{\"images\": [");
  test::require_error([&] { read_coco_keypoints(dir.file("syntax.json")); }, {dir.file("syntax.json"), "invalid JSON"});
}

TEST_CASE("pose_data: crop_person moves pixels and keypoints by one matrix", "[pose_data]") {
  const Person person = standing_person();
  PoseAugmentOptions opt;
  opt.size = 96;
  std::vector<PoseAugmentDraw> draws = {{0, 1, false}, {40, 1.2, true}, {-90, 0.8, false}, {180, 1, true}};
  for (uint64_t i = 0; i < 4; ++i) draws.push_back(draw_pose_augment(opt, 1234, i));
  for (int joint : {0, 5, 10, 13, 16}) {
    const Keypoint& q = person.keypoints[joint];
    const Tensor image = spot_image(90, 120, q.x, q.y);
    for (const PoseAugmentDraw& d : draws) {
      const PoseSample s = crop_person(image, person, coco_person_skeleton(), opt, d);
      REQUIRE(s.image.shape() == Shape{3, 96, 96});
      REQUIRE(s.image.dtype() == DType::f32);
      // After a flip the spot belongs to the partner joint.
      int out_joint = joint;
      if (d.flip)
        for (const auto& f : coco_person_skeleton().flip_pairs)
          out_joint = f[0] == joint ? f[1] : f[1] == joint ? f[0] : out_joint;
      const Keypoint& k = s.keypoints[out_joint];
      REQUIRE(k.v == 2);
      const float* px = s.image.data<float>();
      int64_t best = 0;
      for (int64_t i = 1; i < 96 * 96; ++i)
        if (px[i] > px[best]) best = i;
      INFO("joint " << joint << " degrees " << d.degrees << " scale " << d.scale << " flip " << d.flip << " keypoint ("
                    << k.x << ", " << k.y << ") brightest pixel (" << best % 96 << ", " << best / 96 << ")");
      CHECK(std::fabs(best % 96 + 0.5 - k.x) <= 1.0);
      CHECK(std::fabs(best / 96 + 0.5 - k.y) <= 1.0);
      CHECK(px[best] > 0.5f);
      // The returned matrix is the one applied to the keypoints.
      const double* m = s.to_crop.m;
      const Keypoint& src = person.keypoints[joint];
      CHECK(m[0] * src.x + m[1] * src.y + m[2] == Approx(k.x).margin(1e-3));
      CHECK(m[3] * src.x + m[4] * src.y + m[5] == Approx(k.y).margin(1e-3));
    }
  }
  // Zoomed in 3x, the ankles and the head leave the crop: v = 0 at (0, 0).
  const PoseSample z = crop_person(spot_image(90, 120, 0, 0), person, coco_person_skeleton(), opt, {0, 3, false});
  for (int k : {0, 15, 16}) CHECK((z.keypoints[k].v == 0 && z.keypoints[k].x == 0 && z.keypoints[k].y == 0));
  CHECK(z.keypoints[11].v == 2);
  // Unlabelled joints stay unlabelled.
  Person p = person;
  p.keypoints[7] = Keypoint{};
  CHECK(crop_person(spot_image(90, 120, 0, 0), p, coco_person_skeleton(), opt, {10, 1, false}).keypoints[7].v == 0);
}

TEST_CASE("pose_data: a horizontal flip mirrors the crop and swaps left and right joints", "[pose_data]") {
  const Person person = standing_person();
  PoseAugmentOptions opt;
  opt.size = 64;
  const Tensor image = to(test::rand({3, 90, 120}, 5, 0, 255), DType::u8);
  const PoseSample a = crop_person(image, person, coco_person_skeleton(), opt, {15, 1.1, false});
  const PoseSample b = crop_person(image, person, coco_person_skeleton(), opt, {15, 1.1, true});
  std::vector<int> partner(17);
  for (int k = 0; k < 17; ++k) partner[k] = k;
  for (const auto& f : coco_person_skeleton().flip_pairs) partner[f[0]] = f[1], partner[f[1]] = f[0];
  CHECK(partner[5] == 6);
  for (int k = 0; k < 17; ++k) {
    CHECK(b.keypoints[k].x == Approx(64 - a.keypoints[partner[k]].x).margin(1e-3));
    CHECK(b.keypoints[k].y == Approx(a.keypoints[partner[k]].y).margin(1e-3));
    CHECK(b.keypoints[k].v == a.keypoints[partner[k]].v);
  }
  // The person's left shoulder was on the image's right (x 70 > 50); mirrored, the new left shoulder
  // is the old right one, again on the right.
  CHECK(b.keypoints[5].x > b.keypoints[6].x);
  // Pixels: b is a mirrored, up to rounding of the bilinear samples.
  const float *pa = a.image.data<float>(), *pb = b.image.data<float>();
  double worst = 0;
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < 64; ++y)
      for (int64_t x = 0; x < 64; ++x)
        worst = std::max(worst, std::fabs(double(pb[(c * 64 + y) * 64 + x]) - pa[(c * 64 + y) * 64 + 63 - x]));
  CHECK(worst <= 2.5 / 255);
}

TEST_CASE("pose_data: augmentation draws are seeded per sample", "[pose_data]") {
  PoseAugmentOptions opt;
  const PoseAugmentDraw a = draw_pose_augment(opt, 9, 3), b = draw_pose_augment(opt, 9, 3);
  const PoseAugmentDraw c = draw_pose_augment(opt, 9, 4), d = draw_pose_augment(opt, 10, 3);
  CHECK((a.degrees == b.degrees && a.scale == b.scale && a.flip == b.flip));
  CHECK(a.degrees != c.degrees);
  CHECK(a.degrees != d.degrees);
  int flips = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    const PoseAugmentDraw e = draw_pose_augment(opt, 1, i);
    CHECK((std::fabs(e.degrees) <= 30 && e.scale >= 0.75 && e.scale <= 1.25));
    flips += e.flip;
  }
  CHECK((flips > 70 && flips < 130));
  opt.horizontal_flip = false;
  opt.scale_min = 2;
  test::require_error([&] { opt.check(); }, {"scale_min"});
}

TEST_CASE("pose_data: pose-synth output is byte-identical for a seed and thread count independent", "[pose_data]") {
  test::TempDir a("pose_synth"), b("pose_synth"), c("pose_synth");
  PoseSynthOptions opt;
  opt.count = 4;
  opt.size = 48;
  opt.min_people = 1;
  opt.max_people = 3;
  opt.seed = 11;
  opt.backgrounds = default_pose_backgrounds();
  set_num_threads(1);
  write_pose_synth(a.str(), opt);
  set_num_threads(2);
  write_pose_synth(b.str(), opt);
  set_num_threads(0);
  opt.seed = 12;
  write_pose_synth(c.str(), opt);
  const std::vector<std::string> files = {"annotations.json", "images/000000.png", "images/000001.png",
                                          "images/000002.png", "images/000003.png"};
  int differ = 0;
  for (const std::string& f : files) {
    const std::string fa = test::read_file_bytes(a.file(f));
    REQUIRE(!fa.empty());
    CHECK(fa == test::read_file_bytes(b.file(f)));
    differ += fa != test::read_file_bytes(c.file(f));
  }
  CHECK(differ == static_cast<int>(files.size()));
  CHECK(!std::filesystem::exists(a.file("images/000004.png")));
}

TEST_CASE("pose_data: the COCO loader reads pose-synth output with plausible labels", "[pose_data]") {
  test::TempDir dir("pose_synth");
  PoseSynthOptions opt;
  opt.count = 8;
  opt.size = 64;
  opt.min_people = 2;
  opt.max_people = 4;
  opt.seed = 3;
  opt.backgrounds = default_pose_backgrounds();
  const CocoKeypoints written = write_pose_synth(dir.str(), opt);
  const CocoKeypoints d = read_coco_keypoints(dir.file("annotations.json"));
  CHECK(d.num_people() == written.num_people());
  CHECK(d.skeleton.joint_names == coco_person_skeleton().joint_names);
  CHECK(d.skeleton.flip_pairs == coco_person_skeleton().flip_pairs);
  REQUIRE(d.images.size() == 8);
  int count[3] = {0, 0, 0};
  for (size_t i = 0; i < d.images.size(); ++i) {
    CHECK(d.images[i].id == static_cast<int64_t>(i));
    const Tensor image = read_coco_image(d, dir.file("images"), i);
    CHECK(image.shape() == Shape{3, 64, 64});
    CHECK((d.people[i].size() >= 2 && d.people[i].size() <= 4));
    for (const Person& p : d.people[i]) {
      CHECK(p.area >= 1);
      CHECK((p.bbox[0] >= 0 && p.bbox[1] >= 0 && p.bbox[0] + p.bbox[2] <= 64.001f && p.bbox[1] + p.bbox[3] <= 64.001f));
      CHECK((p.keypoints[11].v > 0 && p.keypoints[12].v > 0));  // the hips are placed inside the image
      for (const Keypoint& k : p.keypoints) {
        REQUIRE((k.v >= 0 && k.v <= 2));
        ++count[k.v];
        if (k.v == 0) {
          CHECK((k.x == 0 && k.y == 0));
        } else {
          CHECK((k.x >= 0 && k.x < 64 && k.y >= 0 && k.y < 64));
          CHECK((k.x >= p.bbox[0] && k.x <= p.bbox[0] + p.bbox[2] && k.y >= p.bbox[1] && k.y <= p.bbox[1] + p.bbox[3]));
        }
      }
    }
  }
  INFO("v=0: " << count[0] << ", v=1: " << count[1] << ", v=2: " << count[2]);
  CHECK(count[0] > 0);
  CHECK(count[1] > 0);
  CHECK(count[2] > count[0] + count[1]);
  // Without photos the generator draws its own backgrounds.
  opt.backgrounds.clear();
  const SynthImage s = pose_synth_image(opt, {}, 0);
  CHECK(s.image.shape() == Shape{3, 64, 64});
  CHECK((s.people.size() >= 2 && s.people.size() <= 4));
  opt.size = 8;
  test::require_error([&] { opt.check(); }, {"size must be in 16..4096"});
}

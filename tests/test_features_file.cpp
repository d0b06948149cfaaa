// The files `ocellus match` reads: local-features JSON (a seeded random round trip, binary
// descriptors unpacked bit by bit, each error naming the file and the JSON path) and homography files
// (OpenCV's H1to3p.xml, YAML and plain text written here, and broken ones).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <random>

#include "core/error.h"
#include "tests/helpers.h"
#include "train/io/features_file.h"
#include "train/io/homography_file.h"

using namespace oc;

namespace {

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

ImageFeatures random_features(uint64_t seed, int64_t n, int64_t dim) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  ImageFeatures f;
  f.width = 640, f.height = 480, f.dim = dim;
  for (int64_t i = 0; i < n; ++i) {
    // Every third keypoint without an orientation (-1), as detectors without one write.
    f.points.push_back({640 * u(rng) - 0.5, 480 * u(rng) - 0.5, 1 + 30 * u(rng), i % 3 == 0 ? -1.0 : 360 * u(rng),
                        u(rng) * 0.05});
    for (int64_t k = 0; k < dim; ++k) f.descriptors.push_back(static_cast<float>(200 * u(rng) - 50));
  }
  return f;
}

}  // namespace

TEST_CASE("features_file: random features round trip exactly", "[features_file]") {
  test::TempDir dir("features");
  const ImageFeatures f = random_features(11, 37, 128);
  write_features(dir.file("f.json"), f);
  const ImageFeatures g = read_features(dir.file("f.json"));
  CHECK(g.width == 640);
  CHECK(g.height == 480);
  REQUIRE(g.dim == 128);
  REQUIRE(g.points.size() == 37);
  for (size_t i = 0; i < f.points.size(); ++i) {
    CHECK(g.points[i].x == f.points[i].x);
    CHECK(g.points[i].y == f.points[i].y);
    CHECK(g.points[i].size == f.points[i].size);
    CHECK(g.points[i].angle == f.points[i].angle);
    CHECK(g.points[i].response == f.points[i].response);
  }
  CHECK(g.descriptors == f.descriptors);  // the shortest round-trip text of each float
}

TEST_CASE("features_file: no keypoints round trip with dimension 0", "[features_file]") {
  test::TempDir dir("features");
  ImageFeatures f;
  f.width = 3, f.height = 2;
  write_features(dir.file("empty.json"), f);
  const ImageFeatures g = read_features(dir.file("empty.json"));
  CHECK(g.width == 3);
  CHECK(g.points.empty());
  CHECK(g.dim == 0);
}

TEST_CASE("features_file: binary descriptors unpack most significant bit first", "[features_file]") {
  test::TempDir dir("features");
  write_text(dir.file("orb.json"),
             R"({"width": 10, "height": 8, "keypoints": [[1, 2, 31, 90.5, 0.001], [3.25, 4, 31, -1, 0.002]],
                 "binary_descriptors": [[128, 1], [255, 96]]})");
  const ImageFeatures f = read_features(dir.file("orb.json"));
  REQUIRE(f.dim == 16);
  const std::vector<float> want = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,   // 128, 1
                                   1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0};  // 255, 96
  CHECK(f.descriptors == want);
  CHECK(f.points[1].x == 3.25);
  CHECK(f.points[0].angle == 90.5);
  CHECK(f.points[1].angle == -1);
}

TEST_CASE("features_file: each broken file is an error naming the file and the place", "[features_file]") {
  test::TempDir dir("features");
  const std::string path = dir.file("bad.json");
  const std::string kp = R"("keypoints": [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])";
  struct Case {
    std::string text;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {"[1, 2]", {"bad.json", "expected an object"}},
      {R"({"height": 4, )" + kp + R"(, "descriptors": [[1], [2]]})", {"bad.json", "missing key \"width\""}},
      {R"({"width": 0, "height": 4, )" + kp + R"(, "descriptors": [[1], [2]]})", {"bad.json", "width", "> 0"}},
      {R"({"width": 4.5, "height": 4, )" + kp + R"(, "descriptors": [[1], [2]]})", {"width", "integer"}},
      {R"({"width": 4, "height": 4, )" + kp + R"(})", {"bad.json", "missing key \"descriptors\""}},
      {R"({"width": 4, "height": 4, )" + kp + R"(, "descriptors": [[1], [2]], "binary_descriptors": [[1], [2]]})",
       {"both"}},
      {R"({"width": 4, "height": 4, )" + kp + R"(, "descriptors": [[1], [2]], "colour": 1})",
       {"bad.json", "colour", "unknown key"}},
      {R"({"width": 4, "height": 4, "keypoints": [[1, 2, 3, 4]], "descriptors": [[1]]})",
       {"bad.json", "keypoints[0]", "4 values"}},
      {R"({"width": 4, "height": 4, "keypoints": [[1, "y", 3, 4, 5]], "descriptors": [[1]]})",
       {"keypoints[0][1]", "expected a number"}},
      {R"({"width": 4, "height": 4, "keypoints": [[1, 2, -3, 4, 5]], "descriptors": [[1]]})",
       {"keypoints[0][2]", "size must be >= 0"}},
      {R"({"width": 4, "height": 4, "keypoints": [[1, 2, 3, 400, 5]], "descriptors": [[1]]})",
       {"keypoints[0][3]", "angle"}},
      {R"({"width": 4, "height": 4, )" + kp + R"(, "descriptors": [[1, 2], [3]]})",
       {"bad.json", "descriptors[1]", "1 values", "row 0 has 2"}},
      {R"({"width": 4, "height": 4, )" + kp + R"(, "descriptors": [[1]]})",
       {"bad.json", "descriptors", "1 rows", "has 2"}},
      {R"({"width": 4, "height": 4, )" + kp + R"(, "descriptors": [[1], [1e300]]})",
       {"descriptors[1][0]", "float32"}},
      {R"({"width": 4, "height": 4, )" + kp + R"(, "binary_descriptors": [[1], [256]]})",
       {"binary_descriptors[1][0]", "0..255"}},
      {R"({"width": 4, "height": 4, )" + kp + R"(, "binary_descriptors": [[1], [2.5]]})",
       {"binary_descriptors[1][0]", "integer"}},
      {R"({"width": 4, "height": 4, )" + kp + R"(, "descriptors": [[], []]})", {"descriptors[0]", "at least one"}},
      {R"({"width": 4, )", {"bad.json", "invalid JSON"}},
  };
  for (const Case& c : cases) {
    INFO("file: " << c.text);
    write_text(path, c.text);
    std::string message;
    try {
      read_features(path);
    } catch (const Error& e) {
      message = e.what();
    }
    INFO("message: " << message);
    REQUIRE(!message.empty());
    for (const std::string& want : c.fragments) CHECK(message.find(want) != std::string::npos);
  }
  test::require_error([&] { read_features(dir.file("missing.json")); }, {"missing.json", "cannot open"});
}

TEST_CASE("features_file: write refuses inconsistent or non-finite features", "[features_file]") {
  test::TempDir dir("features");
  const std::string path = dir.file("out.json");
  ImageFeatures f = random_features(5, 4, 8);
  f.descriptors.pop_back();
  test::require_error([&] { write_features(path, f); }, {"out.json", "31 descriptor values for 4 keypoints"});
  f = random_features(5, 4, 8);
  f.points[2].y = std::nan("");
  test::require_error([&] { write_features(path, f); }, {"out.json", "keypoint 2", "non-finite"});
  f = random_features(5, 4, 8);
  f.descriptors[9] = INFINITY;
  test::require_error([&] { write_features(path, f); }, {"out.json", "descriptor 1", "non-finite"});
  f = random_features(5, 4, 8);
  f.width = 0;
  test::require_error([&] { write_features(path, f); }, {"out.json", "image size"});
}

TEST_CASE("homography_file: OpenCV's H1to3p.xml (graf1 to graf3)", "[homography_file][may_skip]") {
  const std::string path = "/usr/share/doc/opencv-doc/examples/data/H1to3p.xml";
  if (!std::ifstream(path).good()) test::skip_test(path + " not found (apt-get install opencv-doc)");
  const Homography h = read_homography_file(path);
  const double want[9] = {7.6285898e-01, -2.9922929e-01, 2.2567123e+02, 3.3443473e-01, 1.0143901e+00,
                          -7.6999973e+01, 3.4663091e-04, -1.4364524e-05, 1.0000000e+00};
  for (int k = 0; k < 9; ++k) CHECK(h.m[k] == want[k]);
}

TEST_CASE("homography_file: XML, YAML and plain text as OpenCV and HPatches write them", "[homography_file]") {
  test::TempDir dir("homography");
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-1, 1);
  double m[9];
  for (int k = 0; k < 9; ++k) m[k] = (k % 4 == 0 ? 1 : 0) + 0.2 * u(rng);
  m[6] *= 1e-3, m[7] *= 1e-3, m[2] *= 100, m[5] *= 100;
  auto numbers = [&](const char* sep) {
    std::string s;
    char buf[32];
    for (int k = 0; k < 9; ++k) {
      std::snprintf(buf, sizeof buf, "%.17g", m[k]);  // 17 significant digits read back exactly
      s += str_cat(k ? sep : "", buf);
    }
    return s;
  };
  write_text(dir.file("h.xml"), "<?xml version=\"1.0\"?>\n<opencv_storage>\n<H type_id=\"opencv-matrix\">\n"
                                "  <rows>3</rows>\n  <cols>3</cols>\n  <dt>d</dt>\n  <data>\n    " +
                                    numbers("\n    ") + "</data></H>\n</opencv_storage>\n");
  write_text(dir.file("h.yml"), "%YAML:1.0\n---\nH: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ " +
                                    numbers(",\n       ") + " ]\n");
  write_text(dir.file("H_1_2"), numbers(" ") + "\n");
  for (const char* name : {"h.xml", "h.yml", "H_1_2"}) {
    INFO(name);
    const Homography h = read_homography_file(dir.file(name));
    for (int k = 0; k < 9; ++k) CHECK(h.m[k] == m[k]);
  }
  // OpenCV writes whole numbers as "3." and float matrices with dt f.
  write_text(dir.file("f.yml"), "%YAML:1.0\n---\nH: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: f\n"
                                "   data: [ 2., 0., 3., 0., 1., -4.5, 0., 0., 1. ]\n");
  const Homography f = read_homography_file(dir.file("f.yml"));
  CHECK(f.m[0] == 2);
  CHECK(f.m[2] == 3);
  CHECK(f.m[5] == -4.5);
}

TEST_CASE("homography_file: broken files are errors naming the file", "[homography_file]") {
  test::TempDir dir("homography");
  const std::string xml_head = "<?xml version=\"1.0\"?>\n<opencv_storage>\n<H type_id=\"opencv-matrix\">";
  struct Case {
    std::string text, fragment;
  };
  const std::vector<Case> cases = {
      {"1 0 0\n0 1 0\n0 0", "got 8"},
      {"1 0 0\n0 1 0\n0 0 1 7", "got 10"},
      {"1 0 0\n0 1 0\n0 0 nan", "not a finite number"},
      {"1 0 0\n0 1 0\n0 0 1e999", "not a number"},
      {"1 0 0\n0 1 0\n0 0 x1", "\"x1\" is not a number"},
      {"1 2 3\n2 4 6\n0 0 1", "singular"},
      {"", "got 0"},
      {xml_head + "<rows>2</rows><cols>3</cols><dt>d</dt><data>1 2 3 4 5 6</data></H></opencv_storage>",
       "expected a 3x3 matrix"},
      {xml_head + "<rows>3</rows><cols>3</cols><dt>u</dt><data>1 0 0 0 1 0 0 0 1</data></H></opencv_storage>",
       "dt"},
      {xml_head + "<rows>3</rows><cols>3</cols><dt>d</dt><data>1 0 0 0 1 0 0 0</data></H></opencv_storage>",
       "got 8"},
      {xml_head + "<rows>3</rows><cols>3</cols><dt>d</dt></H></opencv_storage>", "no <data>"},
      {xml_head + "<rows>3</rows><cols>3</cols><dt>d</dt><data>1 0 0 0 1 0 0 0 1</data>", "not closed"},
      {"<?xml version=\"1.0\"?>\n<opencv_storage>\n</opencv_storage>\n", "no type_id=\"opencv-matrix\""},
      {"%YAML:1.0\n---\nH: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 1, 0, 0, 0, 1 ]\n", "got 5"},
      {"%YAML:1.0\n---\nH: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 1, 0, 0, 0, 1, 0, 0, 0, 1\n",
       "not closed"},
      {"%YAML:1.0\n---\nH: !!opencv-matrix\n   rows: 3\n   cols: 3\n   data: [ 1, 0, 0, 0, 1, 0, 0, 0, 1 ]\n",
       "no dt:"},
      {"%YAML:1.0\n---\nA: !!opencv-matrix\n rows: 3\n cols: 3\n dt: d\n data: [1,0,0,0,1,0,0,0,1]\n"
       "B: !!opencv-matrix\n rows: 3\n cols: 3\n dt: d\n data: [1,0,0,0,1,0,0,0,1]\n",
       "more than one"},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    const std::string path = dir.file(str_cat("broken", k, ".txt"));
    INFO("file: " << cases[k].text);
    write_text(path, cases[k].text);
    test::require_error([&] { read_homography_file(path); }, {str_cat("broken", k, ".txt"), cases[k].fragment});
  }
  test::require_error([&] { read_homography_file(dir.file("none.xml")); }, {"none.xml", "cannot open"});
}

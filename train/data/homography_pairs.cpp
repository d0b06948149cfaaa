// LIFT's homography pairs and patch quadruplets (see homography_pairs.h): generation, files, reading.
#include "train/data/homography_pairs.h"

#include <algorithm>
#include <map>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/thread_pool.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "train/data/synth_random.h"
#include "train/io/atomic_file.h"
#include "train/io/idx.h"
#include "train/io/image_io.h"
#include "train/io/json_at.h"

namespace oc {
namespace {

namespace fs = std::filesystem;

const char* kOpencvDocData = "/usr/share/doc/opencv-doc/examples/data";

// Photometric change of each view: contrast about mid-grey, then brightness, then noise.
constexpr double kContrastMin = 0.8, kContrastMax = 1.25, kBrightness = 20;  // grey levels
constexpr int kNonKeypointTries = 100;  // random points tried for P4 before the quadruplet is dropped

// A standard normal draw (Box-Muller; 1 - unit() lies in (0, 1], so the log is finite).
double normal(SynthRandom& r) {
  const double u1 = 1.0 - r.unit(), u2 = r.unit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// One axis of a resize: output i reads source taps with weights that sum to 1.
struct Taps {
  std::vector<std::vector<std::pair<int64_t, float>>> of;
};

// Area average (each output pixel the mean of the source span it covers, partial pixels weighted by
// their overlap) when shrinking; bilinear between pixel centres when growing.
Taps resize_taps(int64_t src, int64_t dst) {
  Taps t;
  t.of.resize(static_cast<size_t>(dst));
  const double s = static_cast<double>(src) / static_cast<double>(dst);
  for (int64_t i = 0; i < dst; ++i) {
    auto& taps = t.of[static_cast<size_t>(i)];
    if (s >= 1) {
      const double lo = i * s, hi = (i + 1) * s;
      for (int64_t k = static_cast<int64_t>(std::floor(lo)); k < hi && k < src; ++k) {
        const double w = std::min<double>(hi, k + 1) - std::max<double>(lo, k);
        if (w > 0) taps.push_back({k, static_cast<float>(w / s)});
      }
    } else {
      const double x = std::clamp((i + 0.5) * s - 0.5, 0.0, static_cast<double>(src - 1));
      const int64_t k = std::min<int64_t>(static_cast<int64_t>(x), src - 2 < 0 ? 0 : src - 2);
      const double f = x - static_cast<double>(k);
      taps.push_back({k, static_cast<float>(1 - f)});
      if (k + 1 < src) taps.push_back({k + 1, static_cast<float>(f)});
    }
  }
  return t;
}

uint8_t to_u8(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

// Brightness, contrast and Gaussian noise, drawn from r, applied in place to a view.
void photometric(Tensor& view, double max_noise, SynthRandom& r) {
  const double contrast = std::exp(r.uniform(std::log(kContrastMin), std::log(kContrastMax)));
  const double brightness = r.uniform(-kBrightness, kBrightness), sigma = r.uniform(0, max_noise);
  uint8_t* px = view.data<uint8_t>();
  for (int64_t i = 0; i < view.numel(); ++i)
    px[i] = to_u8((px[i] - 128.0) * contrast + 128.0 + brightness + (sigma > 0 ? sigma * normal(r) : 0.0));
}

double dist(double ax, double ay, double bx, double by) { return std::hypot(ax - bx, ay - by); }

bool inside(double x, double y, double W, double H, double margin) {
  return x >= margin && y >= margin && x <= W - 1 - margin && y <= H - 1 - margin;
}

// The b patch at q, mapped back to a, lies inside a: P2 shows only warped content, no zero fill.
bool patch_sees_only_a(const Homography& b_to_a, double qx, double qy, double W, double H) {
  const double half = kLiftPatchSize / 2.0;
  for (int k = 0; k < 4; ++k) {
    double x, y;
    homography_apply(b_to_a, qx + (k & 1 ? half : -half), qy + (k & 2 ? half : -half), &x, &y);
    if (!inside(x, y, W, H, 0)) return false;
  }
  return true;
}

// Pixel data of a contiguous CPU uint8 [1,H,W] image.
const uint8_t* pixels(const Tensor& image) { return image.data<uint8_t>(); }

void write_png_atomic(const std::string& path, const Tensor& image) {
  const std::string tmp = path + ".tmp";
  write_png(tmp, image);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  OC_CHECK(!ec, path, ": cannot rename ", tmp, " over it (", ec.message(), ")");
}

// Coordinates rounded to 1e-4 px and angles / scales to 1e-7: short files, far finer than any use.
// Dividing by the power of ten (not multiplying by its inverse) gives the double nearest the decimal,
// which the JSON writer prints as such.
double rounded(double v, double per_unit) { return std::round(v * per_unit) / per_unit; }
json point_json(const double p[2]) { return json::array({rounded(p[0], 1e4), rounded(p[1], 1e4)}); }

void read_point(const json& obj, const std::string& key, const JsonAt& at, double out[2]) {
  const json& a = json_need_array(obj, key, at);
  if (a.size() != 2) at.key(key).fail("expected [x, y], got ", a.dump());
  for (size_t k = 0; k < 2; ++k) out[k] = json_number(a[k], at.key(key)[k]);
}

}  // namespace

HarrisOptions lift_harris_options() { return HarrisOptions{}; }

void HomographyPairsOptions::check() const {
  OC_CHECK(split == "train" || split == "test", "split: expected \"train\" or \"test\", got \"", split, "\"");
  OC_CHECK(pairs_per_photo >= 1 && pairs_per_photo <= 100000, "pairs_per_photo: expected 1..100000, got ",
           pairs_per_photo);
  OC_CHECK(points_per_pair >= 0 && points_per_pair <= 10000, "points_per_pair: expected 0..10000, got ",
           points_per_pair);
  // Room for a keypoint with its margin on each side, and at most what a PNG file holds comfortably.
  OC_CHECK(width >= 2 * kLiftMargin + 1 && height >= 2 * kLiftMargin + 1 && width <= 8192 && height <= 8192,
           "size: expected WxH with each side 65..8192, got ", width, "x", height);
  OC_CHECK(noise >= 0 && noise <= 100, "noise: expected 0..100 grey levels, got ", noise);
  ranges.check();
}

const std::vector<std::string>& homography_pairs_photo_names(const std::string& split) {
  // Textured photos (and a few renderings) with Harris corners to spare. Left out: graf1/graf3
  // (LIFT's test pair) and messi5; aero3, leuvenB, basketball2, rubberwhale2 and right.jpg, which show
  // a photo of the other split's or this list's scene again (box.png is box_in_scene's box: both are
  // train); apple, orange, licenseplate_motion and ela_original (smooth or blurred: next to no corner
  // above the threshold); pic2 / pic4 (synthetic noise and periodic stripes).
  static const std::vector<std::string> train = {
      "aero1.jpg",     "aloeL.jpg",      "baboon.jpg",       "basketball1.png", "blox.jpg",     "board.jpg",
      "box.png",       "box_in_scene.png", "building.jpg",   "butterfly.jpg",   "cards.png",    "chicky_512.png",
      "fruits.jpg",    "home.jpg",       "left01.jpg",       "right01.jpg",     "rubberwhale1.png", "smarties.png",
      "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg",   "sudoku.png"};
  static const std::vector<std::string> test = {"Blender_Suzanne1.jpg", "HappyFish.jpg", "leuvenA.jpg", "left.jpg"};
  OC_CHECK(split == "train" || split == "test", "homography pairs: split must be \"train\" or \"test\", got \"",
           split, "\"");
  return split == "train" ? train : test;
}

std::vector<std::string> homography_pairs_photos(const std::string& split) {
  std::vector<std::string> out;
  for (const std::string& n : homography_pairs_photo_names(split)) {
    const fs::path f = fs::path(kOpencvDocData) / n;
    if (fs::is_regular_file(f)) out.push_back(f.string());
  }
  return out;
}

uint64_t homography_pairs_stream_seed(const HomographyPairsOptions& opt) {
  return opt.seed + (opt.split == "test" ? kHomographyPairsTestSeedOffset : 0);
}

Tensor homography_pairs_view(const Tensor& photo, int64_t width, int64_t height) {
  OC_CHECK(photo.dtype() == DType::u8 && photo.dim() == 3 && photo.size(0) >= 1 && photo.size(0) <= 4,
           "homography pairs: expected a uint8 [C,H,W] photo, got ", photo.str());
  const Tensor src = contiguous(photo);
  const int64_t C = src.size(0), Hp = src.size(1), Wp = src.size(2), plane = Hp * Wp;
  // The centre crop of aspect width : height (whole rows or columns).
  int64_t cw = Wp, ch = Hp;
  if (Wp * height > Hp * width)
    cw = std::max<int64_t>(1, (Hp * width + height / 2) / height);
  else
    ch = std::max<int64_t>(1, (Wp * height + width / 2) / width);
  const int64_t x0 = (Wp - cw) / 2, y0 = (Hp - ch) / 2;
  // Gray as ITU-R BT.601 luma (what stb_image uses when it converts); alpha is ignored.
  const uint8_t* s = src.data<uint8_t>();
  std::vector<float> gray(static_cast<size_t>(cw * ch));
  for (int64_t y = 0; y < ch; ++y)
    for (int64_t x = 0; x < cw; ++x) {
      const int64_t i = (y + y0) * Wp + (x + x0);
      gray[static_cast<size_t>(y * cw + x)] =
          C >= 3 ? 0.299f * s[i] + 0.587f * s[plane + i] + 0.114f * s[2 * plane + i] : static_cast<float>(s[i]);
    }
  const Taps tx = resize_taps(cw, width), ty = resize_taps(ch, height);
  std::vector<float> rows(static_cast<size_t>(ch * width));
  for (int64_t y = 0; y < ch; ++y)
    for (int64_t x = 0; x < width; ++x) {
      float acc = 0;
      for (const auto& [k, w] : tx.of[static_cast<size_t>(x)]) acc += w * gray[static_cast<size_t>(y * cw + k)];
      rows[static_cast<size_t>(y * width + x)] = acc;
    }
  Tensor out = Tensor::empty({1, height, width}, DType::u8);
  uint8_t* o = out.data<uint8_t>();
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      float acc = 0;
      for (const auto& [k, w] : ty.of[static_cast<size_t>(y)]) acc += w * rows[static_cast<size_t>(k * width + x)];
      o[y * width + x] = to_u8(acc);
    }
  return out;
}

Tensor lift_patch(const Tensor& image, double x, double y) {
  const double half = (kLiftPatchSize - 1) / 2.0;  // 31.5: the patch centre lies between pixels 31 and 32
  Tensor out = Tensor::empty({kLiftPatchSize, kLiftPatchSize}, DType::u8);
  warp_homography(pixels(image), 1, image.size(1), image.size(2), out.data<uint8_t>(), kLiftPatchSize, kLiftPatchSize,
                  homography_translation(x - half, y - half));
  return out;
}

GeneratedPair generate_homography_pair(const HomographyPairsOptions& opt, const Tensor& view, int64_t index) {
  const int64_t W = opt.width, H = opt.height;
  OC_CHECK(view.dtype() == DType::u8 && view.dim() == 3 && view.size(0) == 1 && view.size(1) == H &&
               view.size(2) == W && view.is_contiguous(),
           "homography pairs: expected a contiguous uint8 [1,", H, ",", W, "] view, got ", view.str());
  SynthRandom r(homography_pairs_stream_seed(opt), index);
  GeneratedPair g;
  g.h = random_homography(opt.ranges, W, H, r);
  const Homography b_to_a = homography_inverse(g.h);
  g.a = clone(view);
  g.b = Tensor::empty({1, H, W}, DType::u8);
  warp_homography(pixels(view), 1, H, W, g.b.data<uint8_t>(), H, W, b_to_a);
  photometric(g.a, opt.noise, r);
  photometric(g.b, opt.noise, r);

  const HarrisOptions harris = lift_harris_options();
  const std::vector<float> response_a = harris_response(pixels(g.a), H, W, harris);
  const std::vector<Corner> corners_a = harris_corners(response_a, H, W, harris);
  const std::vector<Corner> corners_b = harris_corners(pixels(g.b), H, W, harris);
  const double Wd = static_cast<double>(W), Hd = static_cast<double>(H);

  // Repeated keypoints, strongest first: inside both views with the margin, P2 free of fill, and
  // a corner of b within kLiftRepeatRadius of H(p).
  struct Keypoint {
    double px, py, qx, qy;
  };
  std::vector<Keypoint> repeated;
  for (const Corner& c : corners_a) {
    if (!inside(c.x, c.y, Wd, Hd, kLiftMargin)) continue;
    double qx, qy;
    homography_apply(g.h, c.x, c.y, &qx, &qy);
    if (!inside(qx, qy, Wd, Hd, kLiftMargin) || !patch_sees_only_a(b_to_a, qx, qy, Wd, Hd)) continue;
    const bool found = std::any_of(corners_b.begin(), corners_b.end(), [&](const Corner& b) {
      return dist(b.x, b.y, qx, qy) <= kLiftRepeatRadius;
    });
    if (found) repeated.push_back({c.x, c.y, qx, qy});
  }

  const int64_t want = std::min<int64_t>(opt.points_per_pair, static_cast<int64_t>(repeated.size()));
  std::vector<Tensor> patches;
  for (int64_t k = 0; k < want; ++k) {
    const Keypoint& kp = repeated[static_cast<size_t>(k)];
    // P3: the image in b of another repeated keypoint, far enough from H(p).
    std::vector<size_t> others;
    for (size_t j = 0; j < repeated.size(); ++j)
      if (dist(repeated[j].qx, repeated[j].qy, kp.qx, kp.qy) >= kLiftMinApart) others.push_back(j);
    if (others.empty()) continue;
    const Keypoint& neg = repeated[others[static_cast<size_t>(r.below(static_cast<int64_t>(others.size())))]];
    // P4: a flat or edge-like point of a (low Harris response), away from every corner of a.
    bool found = false;
    double nx = 0, ny = 0;
    for (int t = 0; t < kNonKeypointTries && !found; ++t) {
      const int64_t x = static_cast<int64_t>(kLiftMargin) + r.below(W - 2 * static_cast<int64_t>(kLiftMargin));
      const int64_t y = static_cast<int64_t>(kLiftMargin) + r.below(H - 2 * static_cast<int64_t>(kLiftMargin));
      if (!(response_a[static_cast<size_t>(y * W + x)] < kLiftNonKeypointResponse)) continue;
      nx = static_cast<double>(x), ny = static_cast<double>(y);
      found = std::none_of(corners_a.begin(), corners_a.end(),
                           [&](const Corner& c) { return dist(c.x, c.y, nx, ny) < kLiftMinApart; });
    }
    if (!found) continue;
    PatchQuadruplet q;
    q.pair = index;
    q.p[0] = kp.px, q.p[1] = kp.py, q.q[0] = kp.qx, q.q[1] = kp.qy;
    q.negative[0] = neg.qx, q.negative[1] = neg.qy;
    q.non_keypoint[0] = nx, q.non_keypoint[1] = ny;
    const LocalSimilarity sim = homography_local_similarity(g.h, kp.px, kp.py);
    q.angle = sim.angle, q.scale = sim.scale;
    g.quadruplets.push_back(q);
    patches.push_back(lift_patch(g.a, kp.px, kp.py));
    patches.push_back(lift_patch(g.b, kp.qx, kp.qy));
    patches.push_back(lift_patch(g.b, neg.qx, neg.qy));
    patches.push_back(lift_patch(g.a, nx, ny));
  }
  const int64_t n = static_cast<int64_t>(g.quadruplets.size()), area = kLiftPatchSize * kLiftPatchSize;
  g.patches = Tensor::empty({n, 4, kLiftPatchSize, kLiftPatchSize}, DType::u8);
  for (size_t i = 0; i < patches.size(); ++i)
    std::memcpy(g.patches.data<uint8_t>() + static_cast<int64_t>(i) * area, patches[i].data<uint8_t>(),
                static_cast<size_t>(area));
  return g;
}

HomographyPairsSummary write_homography_pairs(const std::string& dir, const HomographyPairsOptions& opt) {
  opt.check();
  const std::vector<std::string> photo_files = opt.photos.empty() ? homography_pairs_photos(opt.split) : opt.photos;
  OC_CHECK(!photo_files.empty(), "homography pairs: no photos for the ", opt.split,
           " split: install Debian's opencv-doc (tools/setup.sh does), or pass photos");
  const fs::path root(dir), pair_dir = root / "pairs";
  std::error_code ec;
  fs::create_directories(pair_dir, ec);
  OC_CHECK(!ec, "homography pairs: cannot create ", pair_dir.string(), " (", ec.message(), ")");

  std::vector<Tensor> views;
  for (const std::string& f : photo_files) {
    const Tensor photo = read_image(f);
    OC_CHECK(photo.size(1) >= kLiftPatchSize && photo.size(2) >= kLiftPatchSize, "homography pairs: ", f, " (",
             photo.size(2), " x ", photo.size(1), ") is too small: each side must be at least ", kLiftPatchSize, " px");
    views.push_back(homography_pairs_view(photo, opt.width, opt.height));
  }

  const int64_t count = static_cast<int64_t>(views.size()) * opt.pairs_per_photo;
  std::vector<GeneratedPair> pairs(static_cast<size_t>(count));
  parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      GeneratedPair g = generate_homography_pair(opt, views[static_cast<size_t>(i / opt.pairs_per_photo)], i);
      char name[32];
      std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(i));
      write_png_atomic((pair_dir / (std::string(name) + "_a.png")).string(), g.a);
      write_png_atomic((pair_dir / (std::string(name) + "_b.png")).string(), g.b);
      g.a = g.b = Tensor();  // written: keep only what the index files need
      pairs[static_cast<size_t>(i)] = std::move(g);
    }
  });

  json pair_list = json::array(), quad_list = json::array();
  int64_t total = 0;
  for (int64_t i = 0; i < count; ++i) {
    const GeneratedPair& g = pairs[static_cast<size_t>(i)];
    char name[32];
    std::snprintf(name, sizeof name, "pairs/%06lld", static_cast<long long>(i));
    json h = json::array();
    for (double v : g.h.m) h.push_back(v);
    pair_list.push_back({{"a", std::string(name) + "_a.png"},
                         {"b", std::string(name) + "_b.png"},
                         {"H", h},
                         {"photo", fs::path(photo_files[static_cast<size_t>(i / opt.pairs_per_photo)]).filename().string()}});
    for (const PatchQuadruplet& q : g.quadruplets)
      quad_list.push_back({{"pair", q.pair},
                           {"p", point_json(q.p)},
                           {"q", point_json(q.q)},
                           {"negative", point_json(q.negative)},
                           {"non_keypoint", point_json(q.non_keypoint)},
                           {"angle", rounded(q.angle, 1e7)},
                           {"scale", rounded(q.scale, 1e7)}});
    total += g.patches.size(0);
  }
  Tensor all = Tensor::empty({total, 4, kLiftPatchSize, kLiftPatchSize}, DType::u8);
  const int64_t quad_bytes = 4 * kLiftPatchSize * kLiftPatchSize;
  int64_t at = 0;
  for (GeneratedPair& g : pairs) {
    if (g.patches.size(0) > 0)
      std::memcpy(all.data<uint8_t>() + at * quad_bytes, g.patches.data<uint8_t>(),
                  static_cast<size_t>(g.patches.size(0) * quad_bytes));
    at += g.patches.size(0);
    g.patches = Tensor();  // copied: the IDX writer needs room for its own buffers
  }
  write_idx((root / "patches.idx.gz").string(), all);
  write_file_atomic((root / "patches.json").string(), quad_list.dump(1) + "\n");
  // pairs.json last: a directory that has it holds a complete set.
  write_file_atomic((root / "pairs.json").string(), pair_list.dump(1) + "\n");
  return {static_cast<int64_t>(views.size()), count, total};
}

namespace {

// dir/name, a JSON array of `items` that write_homography_pairs wrote; errors name the file.
json read_written_array(const std::string& dir, const char* name, const char* items, std::string& file) {
  file = (fs::path(dir) / name).string();
  OC_CHECK(fs::is_regular_file(file), file, ": no such file (write it with `ocellus data homography-pairs --out ", dir,
           "`)");
  json root = read_json_file(file);
  if (!root.is_array()) JsonAt{file, ""}.fail("expected an array of ", items, ", got ", root.type_name());
  return root;
}

}  // namespace

std::vector<HomographyPair> read_homography_pairs(const std::string& dir) {
  std::string file;
  const json root = read_written_array(dir, "pairs.json", "pairs", file);
  const JsonAt top{file, ""};
  std::vector<HomographyPair> out;
  for (size_t i = 0; i < root.size(); ++i) {
    const JsonAt at = top[i];
    HomographyPair p;
    p.a = (fs::path(dir) / json_text(json_need(root[i], "a", at), at.key("a"))).string();
    p.b = (fs::path(dir) / json_text(json_need(root[i], "b", at), at.key("b"))).string();
    p.photo = json_text(json_need(root[i], "photo", at), at.key("photo"));
    const json& h = json_need_array(root[i], "H", at);
    if (h.size() != 9) at.key("H").fail("expected 9 numbers (3 x 3, row-major), got ", h.size());
    for (size_t k = 0; k < 9; ++k) p.h.m[k] = json_number(h[k], at.key("H")[k]);
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<PatchQuadruplet> read_patch_quadruplets(const std::string& dir) {
  std::string file;
  const json root = read_written_array(dir, "patches.json", "quadruplets", file);
  const JsonAt top{file, ""};
  std::vector<PatchQuadruplet> out(root.size());
  for (size_t i = 0; i < root.size(); ++i) {
    const JsonAt at = top[i];
    PatchQuadruplet& q = out[i];
    q.pair = json_integer(json_need(root[i], "pair", at), at.key("pair"));
    read_point(root[i], "p", at, q.p);
    read_point(root[i], "q", at, q.q);
    read_point(root[i], "negative", at, q.negative);
    read_point(root[i], "non_keypoint", at, q.non_keypoint);
    q.angle = json_number(json_need(root[i], "angle", at), at.key("angle"));
    q.scale = json_number(json_need(root[i], "scale", at), at.key("scale"));
  }
  return out;
}

ImageDataset load_homography_patches(const std::string& dir, int64_t limit) {
  const std::string idx = (fs::path(dir) / "patches.idx.gz").string();
  OC_CHECK(fs::is_regular_file(idx), idx, ": no such file (write it with `ocellus data homography-pairs --out ", dir,
           "`)");
  const std::vector<PatchQuadruplet> quads = read_patch_quadruplets(dir);
  ImageDataset ds;
  ds.images = read_idx(idx, limit);
  const Shape want{ds.images.size(0), 4, kLiftPatchSize, kLiftPatchSize};
  OC_CHECK(ds.images.dtype() == DType::u8 && ds.images.shape() == want, idx, ": expected uint8 [N,4,",
           kLiftPatchSize, ",", kLiftPatchSize, "] patches, got ", ds.images.str());
  const int64_t n = ds.images.size(0);
  const int64_t expected = limit > 0 ? std::min<int64_t>(limit, static_cast<int64_t>(quads.size()))
                                     : static_cast<int64_t>(quads.size());
  OC_CHECK(n == expected, idx, ": holds ", n, " quadruplets", limit > 0 ? " (after the limit)" : "", ", but ",
           (fs::path(dir) / "patches.json").string(), " describes ", quads.size());
  ds.labels = zeros({n}, DType::i64);
  // Which photo each quadruplet's pair comes from: every pair of a photo shares view a's pixels before
  // noise, so (photo, p) names a physical point, and two quadruplets of one point are no negatives.
  const std::vector<HomographyPair> pairs = read_homography_pairs(dir);
  std::map<std::string, int64_t> photo_index;
  for (const HomographyPair& pr : pairs) photo_index.emplace(pr.photo, static_cast<int64_t>(photo_index.size()));
  ds.targets = Tensor::empty({n, kLiftTargetColumns}, DType::f32);
  float* t = ds.targets.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const PatchQuadruplet& q = quads[static_cast<size_t>(i)];
    OC_CHECK(q.pair >= 0 && q.pair < static_cast<int64_t>(pairs.size()), (fs::path(dir) / "patches.json").string(),
             ": [", i, "].pair ", q.pair, " is not a pair of pairs.json (", pairs.size(), " pairs)");
    float* row = t + i * kLiftTargetColumns;
    row[0] = static_cast<float>(q.angle), row[1] = static_cast<float>(q.scale);
    row[2] = static_cast<float>(photo_index.at(pairs[static_cast<size_t>(q.pair)].photo));
    row[3] = static_cast<float>(q.p[0]), row[4] = static_cast<float>(q.p[1]);
  }
  ds.num_classes = 0;
  return ds;
}

}  // namespace oc

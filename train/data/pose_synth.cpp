// Synthetic articulated people over photo patches (see pose_synth.h). Everything is drawn from
// shapes (tapered capsules, ellipses, polygons, rectangles) that are both rendered with
// anti-aliased coverage and queried exactly, so a joint's visibility is a geometric fact, not a
// guess from rounded pixels.
#include "train/data/pose_synth.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/thread_pool.h"
#include "kernels/random/philox.h"
#include "train/data/homography.h"
#include "train/io/image_io.h"

namespace oc {
namespace {

// Image i reads Philox blocks (i << 32) + 0, 1, ... keyed by the seed: a private stream per image,
// long enough that no budget needs checking.
class ImageRandom {
 public:
  ImageRandom(uint64_t seed, int64_t index) : seed_(seed), next_(static_cast<uint64_t>(index) << 32) {}
  uint32_t word() {
    if (used_ == 4) block_ = philox4x32_10(next_++, seed_), used_ = 0;
    return block_.w[used_++];
  }
  double unit() { return static_cast<double>(word()) * (1.0 / 4294967296.0); }  // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * unit(); }
  int64_t below(int64_t n) { return static_cast<int64_t>((static_cast<uint64_t>(word()) * static_cast<uint64_t>(n)) >> 32); }
  bool chance(double p) { return unit() < p; }
  double normal() {
    const double u1 = philox_unit(word()), u2 = philox_unit(word());
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t seed_, next_;
  PhiloxBlock block_{};
  int used_ = 4;
};

struct Vec {
  double x = 0, y = 0;
};
Vec operator+(Vec a, Vec b) { return {a.x + b.x, a.y + b.y}; }
Vec operator-(Vec a, Vec b) { return {a.x - b.x, a.y - b.y}; }
Vec operator*(Vec a, double s) { return {a.x * s, a.y * s}; }
double dot(Vec a, Vec b) { return a.x * b.x + a.y * b.y; }
// Counter-clockwise on screen (y down) by `deg`, as homography_rotation.
Vec rotate(Vec v, double deg) {
  const double t = deg * (3.14159265358979323846 / 180.0), c = std::cos(t), s = std::sin(t);
  return {v.x * c + v.y * s, -v.x * s + v.y * c};
}

// Integer hash for per-pixel texture noise: a pure function of (x, y, key), so thread-independent.
uint32_t hash3(uint32_t x, uint32_t y, uint32_t key) {
  uint32_t h = x * 0x9E3779B1u ^ (y + 0x7F4A7C15u) * 0x85EBCA77u ^ key * 0xC2B2AE3Du;
  h ^= h >> 15, h *= 0x2C1B3C6Du, h ^= h >> 12, h *= 0x297A2D39u, h ^= h >> 15;
  return h;
}

struct Material {
  std::array<float, 3> rgb{};
  int texture = 0;  // 0 flat, 1 stripes, 2 noise
  Vec stripe_dir{1, 0};
  double period = 6, phase = 0, amount = 0;
  uint32_t key = 0;
  bool rounded = true;  // darken towards the edge of a limb, for a little depth
};

Material random_material(ImageRandom& r, std::array<float, 3> rgb) {
  Material m;
  m.rgb = rgb;
  const double u = r.unit();
  m.texture = u < 0.45 ? 0 : u < 0.75 ? 1 : 2;
  m.stripe_dir = rotate({1, 0}, r.uniform(0, 180));
  m.period = r.uniform(2.5, 9);
  m.phase = r.unit();
  m.amount = m.texture == 1 ? r.uniform(0.25, 0.6) : r.uniform(12, 40);
  m.key = r.word();
  return m;
}

std::array<float, 3> random_colour(ImageRandom& r) {
  return {static_cast<float>(r.uniform(0, 255)), static_cast<float>(r.uniform(0, 255)),
          static_cast<float>(r.uniform(0, 255))};
}

std::array<float, 3> random_skin(ImageRandom& r) {
  const double t = r.unit();  // light to dark
  auto mix = [&](double a, double b) { return static_cast<float>(a + (b - a) * t + r.uniform(-12, 12)); };
  return {mix(250, 85), mix(220, 55), mix(195, 38)};
}

enum class Kind { capsule, ellipse, polygon, rect };

struct Primitive {
  Kind kind = Kind::capsule;
  int owner = -2;     // person index; -1 an occluder; -2 background clutter
  Vec a, b;           // capsule ends; ellipse / rect centre in a
  double ra = 1, rb = 1;  // capsule radii at a and b; ellipse / rect half axes
  double angle = 0;   // ellipse / rect, degrees
  std::vector<Vec> poly;
  Material mat;
};

// Signed distance-like depth of p inside s (pixels; > 0 inside); `edge` in [0, 1] for shading.
double inside(const Primitive& s, Vec p, double& edge) {
  edge = 0;
  switch (s.kind) {
    case Kind::capsule: {
      const Vec ab = s.b - s.a;
      const double len2 = dot(ab, ab);
      const double t = len2 > 0 ? std::clamp(dot(p - s.a, ab) / len2, 0.0, 1.0) : 0.0;
      const Vec q = p - (s.a + ab * t);
      const double d = std::sqrt(dot(q, q)), r = s.ra + (s.rb - s.ra) * t;
      edge = std::min(1.0, d / r);
      return r - d;
    }
    case Kind::ellipse: {
      const Vec u = rotate(p - s.a, -s.angle);
      const double q = std::sqrt((u.x / s.ra) * (u.x / s.ra) + (u.y / s.rb) * (u.y / s.rb));
      edge = std::min(1.0, q);
      return (1 - q) * std::min(s.ra, s.rb);
    }
    case Kind::rect: {
      const Vec u = rotate(p - s.a, -s.angle);
      return std::min(s.ra - std::fabs(u.x), s.rb - std::fabs(u.y));
    }
    case Kind::polygon: {
      bool in = false;
      double d2 = 1e300;
      for (size_t i = 0, j = s.poly.size() - 1; i < s.poly.size(); j = i++) {
        const Vec a = s.poly[j], b = s.poly[i];
        if ((b.y > p.y) != (a.y > p.y) && p.x < (a.x - b.x) * (p.y - b.y) / (a.y - b.y) + b.x) in = !in;
        const Vec ab = b - a;
        const double len2 = dot(ab, ab);
        const double t = len2 > 0 ? std::clamp(dot(p - a, ab) / len2, 0.0, 1.0) : 0.0;
        const Vec q = p - (a + ab * t);
        d2 = std::min(d2, dot(q, q));
      }
      return in ? std::sqrt(d2) : -std::sqrt(d2);
    }
  }
  return -1;
}

// Pixel bounds [x0, x1) x [y0, y1) that hold every pixel the shape touches.
std::array<int64_t, 4> pixel_box(const Primitive& s, int64_t S) {
  double lx, ly, hx, hy;
  if (s.kind == Kind::capsule) {
    const double r = std::max(s.ra, s.rb);
    lx = std::min(s.a.x, s.b.x) - r, hx = std::max(s.a.x, s.b.x) + r;
    ly = std::min(s.a.y, s.b.y) - r, hy = std::max(s.a.y, s.b.y) + r;
  } else if (s.kind == Kind::polygon) {
    lx = ly = 1e300, hx = hy = -1e300;
    for (Vec v : s.poly) lx = std::min(lx, v.x), hx = std::max(hx, v.x), ly = std::min(ly, v.y), hy = std::max(hy, v.y);
  } else {
    const double r = std::hypot(s.ra, s.rb);
    lx = s.a.x - r, hx = s.a.x + r, ly = s.a.y - r, hy = s.a.y + r;
  }
  auto clampi = [S](double v) { return static_cast<int64_t>(std::clamp(v, 0.0, static_cast<double>(S))); };
  return {clampi(std::floor(lx) - 1), clampi(std::floor(ly) - 1), clampi(std::ceil(hx) + 2), clampi(std::ceil(hy) + 2)};
}

struct Canvas {
  int64_t S;
  std::vector<float> rgb;   // [3,S,S], 0..255
  std::vector<int> owner;   // the shape owner covering each pixel (coverage >= 1/2), -3 for none
};

void render(Canvas& cv, const Primitive& s) {
  const auto box = pixel_box(s, cv.S);
  const int64_t plane = cv.S * cv.S;
  for (int64_t y = box[1]; y < box[3]; ++y)
    for (int64_t x = box[0]; x < box[2]; ++x) {
      const Vec p{x + 0.5, y + 0.5};  // pixel centres at integer + 0.5, as the keypoints
      double edge;
      const double alpha = std::clamp(inside(s, p, edge) + 0.5, 0.0, 1.0);
      if (alpha <= 0) continue;
      const Material& m = s.mat;
      double gain = m.rounded ? 1 - 0.35 * edge * edge : 1, add = 0;
      if (m.texture == 1) {
        const double t = dot(p, m.stripe_dir) / m.period + m.phase;
        if (t - std::floor(t) < 0.5) gain *= 1 - m.amount;
      } else if (m.texture == 2) {
        add = m.amount * (hash3(static_cast<uint32_t>(x), static_cast<uint32_t>(y), m.key) * (2.0 / 4294967296.0) - 1);
      }
      const int64_t i = y * cv.S + x;
      for (int c = 0; c < 3; ++c) {
        float& o = cv.rgb[c * plane + i];
        o = static_cast<float>(o * (1 - alpha) + (m.rgb[c] * gain + add) * alpha);
      }
      if (alpha >= 0.5) cv.owner[i] = s.owner;
    }
}

Primitive capsule(int owner, Vec a, Vec b, double ra, double rb, const Material& m) {
  Primitive s;
  s.kind = Kind::capsule, s.owner = owner, s.a = a, s.b = b, s.ra = std::max(ra, 1.2), s.rb = std::max(rb, 1.2), s.mat = m;
  return s;
}

Primitive ellipse(Kind kind, int owner, Vec c, double rx, double ry, double angle, const Material& m) {
  Primitive s;
  s.kind = kind, s.owner = owner, s.a = c, s.ra = std::max(rx, 0.8), s.rb = std::max(ry, 0.8), s.angle = angle, s.mat = m;
  return s;
}

// COCO joint order (nets/pose/keypoints.cpp).
enum Joint { nose, leye, reye, lear, rear, lsho, rsho, lelb, relb, lwri, rwri, lhip, rhip, lknee, rknee, lank, rank };

struct Figure {
  std::array<Vec, 17> joint;
  std::array<bool, 17> hidden{};  // occluded by the person's own head (seen from behind, turned away)
  double torso = 0;               // T: shoulders-to-hips length in pixels
  double margin = 0;              // the largest limb or head radius
  size_t shapes_end = 0;          // shapes after this index were drawn over the person
};

// One person: joints from a human-like prior in a local frame (hip centre at the origin, head up,
// the person's left at +x when facing the camera), then rotated, and placed; the shapes appended.
Figure make_person(ImageRandom& r, double S, int owner, std::vector<Primitive>& shapes) {
  Figure f;
  const double T = S * r.uniform(0.07, 0.2);
  f.torso = T;
  auto shorten = [&] { return r.uniform(0.65, 1.0); };  // limbs pointing out of the picture plane
  auto dir = [](double side, double deg) {              // deg from straight down, positive outwards
    const double t = deg * (3.14159265358979323846 / 180.0);
    return Vec{side * std::sin(t), std::cos(t)};
  };
  std::array<Vec, 17> j;
  const Vec neck{0, -T};
  const double turn = r.uniform(0.55, 1.0);  // body turned sideways: narrower
  const double sw = T * r.uniform(0.65, 0.8) * turn, hw = T * r.uniform(0.4, 0.55) * turn;
  for (int side = 0; side < 2; ++side) {
    const double s = side == 0 ? 1 : -1;
    const int o = side;  // left joints, then right joints, are adjacent in COCO order
    j[lsho + o] = neck + Vec{s * sw / 2, 0};
    j[lhip + o] = Vec{s * hw / 2, 0};
    const double arm = r.uniform(-20, 170), fore = arm + r.uniform(-150, 150);
    j[lelb + o] = j[lsho + o] + dir(s, arm) * (0.55 * T * shorten());
    j[lwri + o] = j[lelb + o] + dir(s, fore) * (0.5 * T * shorten());
    const double thigh = r.chance(0.85) ? r.uniform(-10, 40) : r.uniform(-40, 110), shin = thigh + r.uniform(-70, 70);
    j[lknee + o] = j[lhip + o] + dir(s, thigh) * (0.85 * T * shorten());
    j[lank + o] = j[lknee + o] + dir(s, shin) * (0.8 * T * shorten());
  }
  const double tilt = r.uniform(-25, 25), yaw = r.uniform(-1, 1);
  const Vec head = neck + rotate({0, -0.42 * T}, tilt);
  auto face = [&](double x, double y) { return head + rotate({x * T, y * T}, tilt); };
  j[nose] = face(0.1 * yaw, 0.06);
  j[leye] = face(0.08 + 0.08 * yaw, -0.03);
  j[reye] = face(-0.08 + 0.08 * yaw, -0.03);
  j[lear] = face(0.16 - 0.03 * yaw, 0);
  j[rear] = face(-0.16 - 0.03 * yaw, 0);
  f.hidden[lear] = yaw > 0.6;  // the head turned towards the person's left hides the left ear
  f.hidden[rear] = yaw < -0.6;
  const bool back = r.chance(0.2);  // seen from behind: mirrored, face hidden by the head
  if (back) {
    for (Vec& v : j) v.x = -v.x;
    f.hidden[nose] = f.hidden[leye] = f.hidden[reye] = true;
  }
  Vec head_c = back ? Vec{-head.x, head.y} : head;

  // Global pose: mostly upright, sometimes any angle; the hip centre inside the middle of the image.
  const double rot = r.chance(0.85) ? r.uniform(-20, 20) : r.uniform(-180, 180);
  const Vec at{r.uniform(0.15, 0.85) * S, r.uniform(0.15, 0.85) * S};
  auto place = [&](Vec v) {
    const Vec g = at + rotate(v, rot);
    return Vec{std::round(g.x * 100) / 100, std::round(g.y * 100) / 100};  // as written to JSON
  };
  for (int k = 0; k < 17; ++k) f.joint[k] = place(j[k]);
  head_c = place(head_c);
  const double head_angle = rot + (back ? -tilt : tilt);

  // Clothes and skin.
  const Material skin = random_material(r, random_skin(r));
  Material skin_flat = skin;
  skin_flat.texture = 0;
  const Material shirt = random_material(r, random_colour(r)), pants = random_material(r, random_colour(r));
  Material hair = random_material(r, {static_cast<float>(r.uniform(10, 120)), static_cast<float>(r.uniform(5, 80)),
                                      static_cast<float>(r.uniform(0, 50))});
  const bool long_sleeves = r.chance(0.5), long_pants = r.chance(0.7);
  const Vec* J = f.joint.data();
  const Vec neck_g = (J[lsho] + J[rsho]) * 0.5;

  for (int o = 0; o < 2; ++o) {  // legs
    shapes.push_back(capsule(owner, J[lhip + o], J[lknee + o], 0.15 * T, 0.11 * T, pants));
    shapes.push_back(capsule(owner, J[lknee + o], J[lank + o], 0.11 * T, 0.08 * T, long_pants ? pants : skin_flat));
  }
  Primitive torso;
  torso.kind = Kind::polygon, torso.owner = owner, torso.poly = {J[lsho], J[rsho], J[rhip], J[lhip]}, torso.mat = shirt;
  torso.mat.rounded = false;
  shapes.push_back(torso);
  shapes.push_back(capsule(owner, J[lhip], J[rhip], 0.15 * T, 0.15 * T, pants));
  shapes.push_back(capsule(owner, J[lsho], J[rsho], 0.11 * T, 0.11 * T, shirt));
  shapes.push_back(capsule(owner, neck_g, head_c, 0.08 * T, 0.08 * T, skin_flat));
  shapes.push_back(ellipse(Kind::ellipse, owner, head_c, 0.2 * T, 0.26 * T, head_angle, back ? hair : skin_flat));
  if (!back) {
    Material dark = skin_flat;
    dark.rgb = {30, 25, 20};
    Material nose_m = skin_flat;
    for (float& c : nose_m.rgb) c *= 0.75f;
    const double er = 0.03 * T;
    shapes.push_back(ellipse(Kind::ellipse, owner, J[leye], er, er, 0, dark));
    shapes.push_back(ellipse(Kind::ellipse, owner, J[reye], er, er, 0, dark));
    shapes.push_back(ellipse(Kind::ellipse, owner, J[nose], 0.6 * er, 1.2 * er, head_angle, nose_m));
  }
  for (int o = 0; o < 2; ++o) {  // arms in front of the body
    shapes.push_back(capsule(owner, J[lsho + o], J[lelb + o], 0.1 * T, 0.08 * T, shirt));
    shapes.push_back(capsule(owner, J[lelb + o], J[lwri + o], 0.075 * T, 0.055 * T, long_sleeves ? shirt : skin_flat));
    shapes.push_back(ellipse(Kind::ellipse, owner, J[lwri + o], 0.07 * T, 0.07 * T, 0, skin_flat));
  }
  f.margin = std::max(0.26 * T, 1.2);  // the head's long radius, or the smallest drawn radius
  f.shapes_end = shapes.size();
  return f;
}

// The background: a patch of a photo (random position, size, mirror) or a drawn gradient with
// clutter, then a random brightness and tint.
void draw_background(Canvas& cv, ImageRandom& r, const std::vector<Tensor>& backgrounds) {
  const int64_t S = cv.S, plane = S * S;
  if (!backgrounds.empty() && r.chance(0.9)) {
    const Tensor& b = backgrounds[r.below(static_cast<int64_t>(backgrounds.size()))];
    const int64_t H = b.size(1), W = b.size(2);
    const double side = r.uniform(0.3, 1.0) * static_cast<double>(std::min(H, W));
    const double x0 = r.uniform(0, W - side), y0 = r.uniform(0, H - side), k = side / S;
    const bool mirror = r.chance(0.5);
    // Output pixel x (centre x + 0.5) samples the photo at x0 + (x + 0.5) k, in the warp's
    // integer-centred coordinates minus 0.5.
    const Homography to_source{{mirror ? -k : k, 0, mirror ? x0 + side - 0.5 * k - 0.5 : x0 + 0.5 * k - 0.5, 0, k,
                                y0 + 0.5 * k - 0.5, 0, 0, 1}};
    std::vector<uint8_t> px(static_cast<size_t>(3 * plane));
    warp_homography(b.data<uint8_t>(), 3, H, W, px.data(), S, S, to_source);
    for (size_t i = 0; i < px.size(); ++i) cv.rgb[i] = px[i];
  } else {
    const auto c0 = random_colour(r), c1 = random_colour(r);
    const Vec d = rotate({1, 0}, r.uniform(0, 360));
    for (int64_t y = 0; y < S; ++y)
      for (int64_t x = 0; x < S; ++x) {
        const double t = std::clamp(0.5 + dot({(x + 0.5) / S - 0.5, (y + 0.5) / S - 0.5}, d), 0.0, 1.0);
        for (int c = 0; c < 3; ++c) cv.rgb[c * plane + y * S + x] = static_cast<float>(c0[c] + (c1[c] - c0[c]) * t);
      }
    const int64_t n = 3 + r.below(6);
    for (int64_t i = 0; i < n; ++i) {
      const Vec c{r.uniform(0, S), r.uniform(0, S)};
      const Kind kind = r.chance(0.5) ? Kind::rect : Kind::ellipse;
      Material m = random_material(r, random_colour(r));
      m.rounded = false;
      render(cv, ellipse(kind, -2, c, r.uniform(0.05, 0.3) * S, r.uniform(0.05, 0.3) * S, r.uniform(0, 180), m));
    }
  }
  const double gain = r.uniform(0.7, 1.15);
  for (int c = 0; c < 3; ++c) {
    const double g = gain * r.uniform(0.9, 1.1);
    for (int64_t i = 0; i < plane; ++i) cv.rgb[c * plane + i] = static_cast<float>(cv.rgb[c * plane + i] * g);
  }
  std::fill(cv.owner.begin(), cv.owner.end(), -3);
}

std::string lower_extension(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

}  // namespace

void PoseSynthOptions::check() const {
  OC_CHECK(count >= 1, "pose-synth: count must be at least 1, got ", count);
  OC_CHECK(size >= 16 && size <= 4096, "pose-synth: size must be in 16..4096, got ", size);
  OC_CHECK(min_people >= 0 && min_people <= max_people && max_people <= 32,
           "pose-synth: people must satisfy 0 <= MIN <= MAX <= 32, got ", min_people, "..", max_people);
}

std::vector<std::string> default_pose_backgrounds() {
  // Photos and paintings from OpenCV's samples, chosen because no person appears in them.
  static const char* names[] = {"HappyFish.jpg",    "aero1.jpg",   "aero3.jpg",    "apple.jpg",   "baboon.jpg",
                                "building.jpg",     "butterfly.jpg", "fruits.jpg",  "graf1.png",   "graf3.png",
                                "home.jpg",         "leuvenA.jpg", "leuvenB.jpg",  "orange.jpg",  "rubberwhale1.png",
                                "smarties.png",     "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg"};
  const std::filesystem::path dir = "/usr/share/doc/opencv-doc/examples/data";
  std::vector<std::string> out;
  for (const char* n : names)
    if (std::filesystem::is_regular_file(dir / n)) out.push_back((dir / n).string());
  return out;
}

std::vector<std::string> image_files_in(const std::string& dir) {
  std::error_code ec;
  OC_CHECK(std::filesystem::is_directory(dir, ec), "pose-synth: ", dir, ": not a directory");
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string ext = lower_extension(e.path());
    if (e.is_regular_file() && e.path().filename().string()[0] != '.' &&
        (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".ppm" || ext == ".pgm"))
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

SynthImage pose_synth_image(const PoseSynthOptions& opt, const std::vector<Tensor>& backgrounds, int64_t index) {
  const int64_t S = opt.size, plane = S * S;
  ImageRandom r(opt.seed, index);
  Canvas cv{S, std::vector<float>(static_cast<size_t>(3 * plane)), std::vector<int>(static_cast<size_t>(plane))};
  draw_background(cv, r, backgrounds);

  const int n = static_cast<int>(opt.min_people + r.below(opt.max_people - opt.min_people + 1));
  std::vector<Primitive> shapes;
  std::vector<Figure> figs;
  for (int p = 0; p < n; ++p) figs.push_back(make_person(r, static_cast<double>(S), p, shapes));
  // Occluders: rectangles placed over a random joint of a random person.
  const int64_t occluders = n > 0 && r.chance(0.35) ? 1 + r.below(2) : 0;
  for (int64_t i = 0; i < occluders; ++i) {
    const Figure& f = figs[r.below(n)];
    const Vec j = f.joint[r.below(17)];
    const double hx = f.torso * r.uniform(0.25, 0.6), hy = f.torso * r.uniform(0.25, 0.6);
    const Vec c = j + Vec{r.uniform(-0.7, 0.7) * hx, r.uniform(-0.7, 0.7) * hy};
    Material m = random_material(r, random_colour(r));
    m.rounded = false;
    shapes.push_back(ellipse(Kind::rect, -1, c, hx, hy, r.uniform(-30, 30), m));
  }
  for (const Primitive& s : shapes) render(cv, s);

  SynthImage out;
  out.image = Tensor::empty({3, S, S}, DType::u8);
  uint8_t* px = out.image.data<uint8_t>();
  const double noise = r.uniform(0, 10);
  for (int64_t i = 0; i < 3 * plane; ++i)
    px[i] = static_cast<uint8_t>(std::clamp(std::lround(cv.rgb[i] + noise * r.normal()), 0L, 255L));

  for (int p = 0; p < n; ++p) {
    const Figure& f = figs[p];
    Person person;
    person.image_id = index;
    person.keypoints.resize(17);
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    for (int k = 0; k < 17; ++k) {
      const Vec v = f.joint[k];
      if (!(v.x >= 0 && v.x < S && v.y >= 0 && v.y < S)) continue;  // outside: not labelled
      bool covered = f.hidden[k];
      for (size_t s = f.shapes_end; s < shapes.size() && !covered; ++s) {
        double edge;
        covered = shapes[s].owner != p && inside(shapes[s], v, edge) > 0;
      }
      person.keypoints[k] = Keypoint{static_cast<float>(v.x), static_cast<float>(v.y), covered ? 1 : 2};
      x0 = std::min(x0, v.x), y0 = std::min(y0, v.y), x1 = std::max(x1, v.x), y1 = std::max(y1, v.y);
    }
    if (x0 > x1) continue;  // never: the hips are always inside
    x0 = std::max(0.0, x0 - f.margin), y0 = std::max(0.0, y0 - f.margin);
    x1 = std::min<double>(S, x1 + f.margin), y1 = std::min<double>(S, y1 + f.margin);
    person.bbox = {static_cast<float>(x0), static_cast<float>(y0), static_cast<float>(x1 - x0),
                   static_cast<float>(y1 - y0)};
    person.area = static_cast<float>(std::max<int64_t>(1, std::count(cv.owner.begin(), cv.owner.end(), p)));
    out.people.push_back(std::move(person));
  }
  return out;
}

CocoKeypoints write_pose_synth(const std::string& dir, const PoseSynthOptions& opt) {
  opt.check();
  const std::filesystem::path root(dir), images = root / "images";
  std::error_code ec;
  std::filesystem::create_directories(images, ec);
  OC_CHECK(!ec, "pose-synth: cannot create ", images.string(), " (", ec.message(), ")");
  std::vector<Tensor> backgrounds;
  for (const std::string& f : opt.backgrounds) backgrounds.push_back(read_image(f, 3));

  CocoKeypoints data;
  data.skeleton = coco_person_skeleton();
  data.images.resize(static_cast<size_t>(opt.count));
  data.people.resize(static_cast<size_t>(opt.count));
  parallel_for(0, opt.count, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(i));
      SynthImage s = pose_synth_image(opt, backgrounds, i);
      write_png((images / name).string(), s.image);
      data.images[i] = CocoImage{i, name, opt.size, opt.size};
      data.people[i] = std::move(s.people);
    }
  });
  int64_t next_id = 1;
  for (auto& people : data.people)
    for (Person& p : people) p.id = next_id++;
  write_coco_keypoints((root / "annotations.json").string(), data);
  return data;
}

}  // namespace oc

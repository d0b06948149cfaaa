// Synthetic detection images (see det_synth.h): a photo crop, then items placed one by one under the
// overlap rules, composited with a soft alpha; the top item at a pixel (alpha >= 1/2) owns it, and an
// object's mask is the set of pixels it owns.
#include "train/data/det_synth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/thread_pool.h"
#include "train/data/homography.h"
#include "train/data/synth_random.h"
#include "train/io/coco_detection.h"
#include "train/io/image_io.h"

namespace oc {
namespace {

constexpr int64_t kItemSide = 28;       // Fashion-MNIST
constexpr int kInside = 64;             // intensity where the alpha (v / 128) reaches 1/2
constexpr int kFirstItemTries = 1000;   // the first item only needs a large enough mask

double alpha_of(uint8_t v) { return std::min(1.0, v / 128.0); }

// [x0, y0, x1, y1), integer pixel bounds.
using PixelBox = std::array<int64_t, 4>;

double box_iou(const PixelBox& a, const PixelBox& b) {
  const int64_t w = std::min(a[2], b[2]) - std::max(a[0], b[0]), h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const double inter = static_cast<double>(w * h);
  const double area_a = static_cast<double>((a[2] - a[0]) * (a[3] - a[1]));
  const double area_b = static_cast<double>((b[2] - b[0]) * (b[3] - b[1]));
  return inter / (area_a + area_b - inter);
}

// One item resampled to s x s (bilinear, optionally mirrored), its intensities 0..255.
std::vector<uint8_t> render_item(const ImageDataset& items, int64_t source, int64_t s, bool mirror) {
  const uint8_t* src = items.images.data<uint8_t>() + source * kItemSide * kItemSide;
  const double k = static_cast<double>(kItemSide) / static_cast<double>(s);
  // Output pixel u (centre u + 0.5) reads the item at (u + 0.5) k, minus 0.5 in the warp's
  // integer-centred coordinates; mirrored, at 28 - (u + 0.5) k.
  const Homography to_source{{mirror ? -k : k, 0, mirror ? kItemSide - 0.5 * k - 0.5 : 0.5 * k - 0.5, 0, k,
                              0.5 * k - 0.5, 0, 0, 1}};
  std::vector<uint8_t> out(static_cast<size_t>(s * s));
  warp_homography(src, 1, kItemSide, kItemSide, out.data(), s, s, to_source);
  return out;
}

struct Placed {
  int64_t source = 0, label = 0;
  int64_t x = 0, y = 0, s = 0;       // the item's s x s square at (x, y)
  std::vector<uint8_t> v;            // its intensities
  PixelBox box{};                    // the tight box of its whole mask, in image pixels
  int64_t full = 0, visible = 0;     // mask pixels, and those it still owns
};

// The side of the largest crop a photo's split columns hold, one pixel in from every edge.
int64_t crop_room(const std::string& split, int64_t H, int64_t W) {
  const auto cols = det_synth_columns(split, W);
  return std::min(H - 2, cols[1] - cols[0] - 2);
}

// The photo crop: a square inside the split's columns (one pixel in from every edge), mirrored at
// random, resampled to S x S, then a random brightness and tint.
void draw_background(std::vector<float>& rgb, int64_t S, SynthRandom& r, const std::string& split,
                     const std::vector<Tensor>& backgrounds, DetSynthImage& out) {
  out.photo = r.below(static_cast<int64_t>(backgrounds.size()));
  const Tensor& b = backgrounds[static_cast<size_t>(out.photo)];
  const int64_t H = b.size(1), W = b.size(2);
  const auto cols = det_synth_columns(split, W);
  const double room = static_cast<double>(crop_room(split, H, W));
  OC_CHECK(room >= 8, "det-synth: background ", out.photo, " (", W, " x ", H, ") is too small for the ", split,
           " columns ", cols[0], "..", cols[1]);
  const double side = r.uniform(0.5, 1.0) * room;
  const double x0 = r.uniform(cols[0] + 1, cols[1] - 1 - side), y0 = r.uniform(1, H - 1 - side);
  const double k = side / static_cast<double>(S);
  const bool mirror = r.chance(0.5);
  out.crop = {x0, y0, side, side};
  const Homography to_source{{mirror ? -k : k, 0, mirror ? x0 + side - 0.5 * k - 0.5 : x0 + 0.5 * k - 0.5, 0, k,
                              y0 + 0.5 * k - 0.5, 0, 0, 1}};
  std::vector<uint8_t> px(static_cast<size_t>(3 * S * S));
  warp_homography(b.data<uint8_t>(), 3, H, W, px.data(), S, S, to_source);
  const double gain = r.uniform(0.8, 1.15);
  for (int64_t c = 0; c < 3; ++c) {
    const double g = gain * r.uniform(0.92, 1.08);
    for (int64_t i = 0; i < S * S; ++i) rgb[c * S * S + i] = static_cast<float>(px[c * S * S + i] * g);
  }
}

// Draws one item and a place for it under the rules; false when none of `tries` placements fits.
bool place_item(SynthRandom& r, const ImageDataset& items, int64_t S, const std::vector<int>& owner,
                const std::vector<Placed>& placed, int tries, Placed& out) {
  const int64_t n_items = items.size();
  const int64_t* labels = items.labels.data<int64_t>();
  std::vector<int64_t> lost(placed.size());
  for (int t = 0; t < tries; ++t) {
    Placed c;
    c.source = r.below(n_items);
    c.label = labels[c.source];
    c.s = std::clamp<int64_t>(std::lround(kItemSide * r.uniform(0.5, 3.0)), 8, S);
    c.v = render_item(items, c.source, c.s, r.chance(0.5));
    c.x = r.below(S - c.s + 1), c.y = r.below(S - c.s + 1);
    c.box = {S, S, 0, 0};
    for (int64_t i = 0; i < c.s; ++i)
      for (int64_t j = 0; j < c.s; ++j)
        if (c.v[i * c.s + j] >= kInside) {
          ++c.full;
          c.box = {std::min(c.box[0], c.x + j), std::min(c.box[1], c.y + i), std::max(c.box[2], c.x + j + 1),
                   std::max(c.box[3], c.y + i + 1)};
        }
    if (c.full < std::max<int64_t>(16, c.s * c.s / 12)) continue;  // a faint item: hardly anything to find
    bool ok = true;
    for (const Placed& p : placed) ok = ok && box_iou(c.box, p.box) <= kDetSynthMaxIou;
    if (!ok) continue;
    // Pixels each earlier item would lose under this one.
    std::fill(lost.begin(), lost.end(), 0);
    for (int64_t i = 0; i < c.s; ++i)
      for (int64_t j = 0; j < c.s; ++j) {
        const int o = owner[(c.y + i) * S + c.x + j];
        if (o >= 0 && c.v[i * c.s + j] >= kInside) ++lost[o];
      }
    for (size_t k = 0; k < placed.size(); ++k)
      ok = ok && placed[k].visible - lost[k] >= kDetSynthMinVisible * static_cast<double>(placed[k].full);
    if (!ok) continue;
    c.visible = c.full;
    out = std::move(c);
    return true;
  }
  return false;
}

}  // namespace

void DetSynthOptions::check() const {
  OC_CHECK(count >= 1, "det-synth: count must be at least 1, got ", count);
  OC_CHECK(size >= 16 && size <= 4096, "det-synth: size must be in 16..4096, got ", size);
  OC_CHECK(min_objects >= 0 && min_objects <= max_objects && max_objects <= 32,
           "det-synth: objects must satisfy 0 <= MIN <= MAX <= 32, got ", min_objects, "..", max_objects);
  OC_CHECK(split == "train" || split == "test", "det-synth: split must be \"train\" or \"test\", got \"", split, "\"");
  OC_CHECK(!backgrounds.empty(), "det-synth: no background photos (install Debian's opencv-doc or pass a directory)");
}

std::array<int64_t, 2> det_synth_columns(const std::string& split, int64_t width) {
  OC_CHECK(split == "train" || split == "test", "det-synth: split must be \"train\" or \"test\", got \"", split, "\"");
  const int64_t cut = width * 2 / 3;
  return split == "train" ? std::array<int64_t, 2>{0, cut} : std::array<int64_t, 2>{cut, width};
}

ImageDataset load_det_synth_items(const DetSynthOptions& opt) {
  ImageDataset d = load_fashion_mnist(opt.fashion_dir.empty() ? default_fashion_mnist_dir() : opt.fashion_dir, opt.split);
  OC_CHECK(d.size() > 0 && d.images.size(2) == kItemSide && d.images.size(3) == kItemSide && d.images.size(1) == 1,
           "det-synth: expected 28 x 28 gray items (at least one), got ", d.images.str());
  return d;
}

DetSynthImage det_synth_image(const DetSynthOptions& opt, const ImageDataset& items,
                              const std::vector<Tensor>& backgrounds, int64_t index) {
  opt.check();
  OC_CHECK(items.size() > 0 && items.images.dtype() == DType::u8 && items.images.dim() == 4 &&
               items.images.size(1) == 1 && items.images.size(2) == kItemSide && items.images.size(3) == kItemSide &&
               items.images.is_contiguous() && items.labels.dtype() == DType::i64,
           "det_synth_image: expected contiguous items uint8 [N,1,28,28] (N > 0) with int64 labels, got ",
           items.images.defined() ? items.images.str() : "none");
  OC_CHECK(!backgrounds.empty(), "det_synth_image: no background photos");
  for (const Tensor& b : backgrounds)
    OC_CHECK(b.dtype() == DType::u8 && b.dim() == 3 && b.size(0) == 3 && b.is_contiguous(),
             "det_synth_image: backgrounds must be contiguous uint8 [3,H,W], got ", b.str());
  const int64_t S = opt.size, plane = S * S;
  SynthRandom r(opt.seed, index);
  DetSynthImage out;
  std::vector<float> rgb(static_cast<size_t>(3 * plane));
  draw_background(rgb, S, r, opt.split, backgrounds, out);

  std::vector<int> owner(static_cast<size_t>(plane), -1);
  std::vector<Placed> placed;
  const int64_t n = opt.min_objects + r.below(opt.max_objects - opt.min_objects + 1);
  for (int64_t k = 0; k < n; ++k) {
    Placed p;
    if (!place_item(r, items, S, owner, placed, k == 0 ? kFirstItemTries : kDetSynthTries, p)) continue;
    // Colour: a random tint times the item's own shading, so its texture shows.
    std::array<double, 3> tint{r.uniform(40, 255), r.uniform(40, 255), r.uniform(40, 255)};
    const int me = static_cast<int>(placed.size());
    for (int64_t i = 0; i < p.s; ++i)
      for (int64_t j = 0; j < p.s; ++j) {
        const uint8_t v = p.v[i * p.s + j];
        const double a = alpha_of(v), shade = 0.35 + 0.65 * v / 255.0;
        const int64_t at = (p.y + i) * S + p.x + j;
        for (int c = 0; c < 3; ++c) {
          float& o = rgb[c * plane + at];
          o = static_cast<float>(o * (1 - a) + tint[c] * shade * a);
        }
        if (v >= kInside) {
          if (owner[at] >= 0) --placed[owner[at]].visible;
          owner[at] = me;
        }
      }
    placed.push_back(std::move(p));
  }

  out.image = Tensor::empty({3, S, S}, DType::u8);
  uint8_t* px = out.image.data<uint8_t>();
  for (int64_t i = 0; i < 3 * plane; ++i) px[i] = static_cast<uint8_t>(std::clamp(std::lround(rgb[i]), 0L, 255L));

  std::vector<uint8_t> mask(static_cast<size_t>(plane));
  for (size_t k = 0; k < placed.size(); ++k) {
    int64_t x0 = S, y0 = S, x1 = 0, y1 = 0, area = 0;
    for (int64_t i = 0; i < plane; ++i) {
      mask[i] = owner[i] == static_cast<int>(k);
      if (!mask[i]) continue;
      ++area;
      x0 = std::min(x0, i % S), x1 = std::max(x1, i % S + 1), y0 = std::min(y0, i / S), y1 = std::max(y1, i / S + 1);
    }
    CocoDetAnnotation a;
    a.image_id = index;
    a.category_id = placed[k].label + 1;
    a.bbox = {static_cast<double>(x0), static_cast<double>(y0), static_cast<double>(x1 - x0), static_cast<double>(y1 - y0)};
    a.area = static_cast<double>(area);
    a.mask = rle_encode(mask.data(), S, S);
    out.objects.push_back(std::move(a));
    out.sources.push_back(placed[k].source);
    const PixelBox& w = placed[k].box;
    out.whole_boxes.push_back({double(w[0]), double(w[1]), double(w[2] - w[0]), double(w[3] - w[1])});
    out.whole_areas.push_back(placed[k].full);
  }
  return out;
}

CocoDetDataset write_det_synth(const std::string& dir, const DetSynthOptions& opt) {
  opt.check();
  const std::filesystem::path root(dir), images = root / "images";
  std::error_code ec;
  std::filesystem::create_directories(images, ec);
  OC_CHECK(!ec, "det-synth: cannot create ", images.string(), " (", ec.message(), ")");
  const ImageDataset items = load_det_synth_items(opt);
  std::vector<Tensor> backgrounds;
  for (const std::string& f : opt.backgrounds) {
    backgrounds.push_back(read_image(f, 3));
    const int64_t H = backgrounds.back().size(1), W = backgrounds.back().size(2);
    OC_CHECK(crop_room(opt.split, H, W) >= 8, "det-synth: ", f, " (", W, " x ", H, ") is too small: the ", opt.split,
             " split crops from columns ", det_synth_columns(opt.split, W)[0], "..", det_synth_columns(opt.split, W)[1]);
  }

  CocoDetDataset data;
  const auto& names = fashion_mnist_class_names();
  for (size_t c = 0; c < names.size(); ++c) data.categories.push_back({static_cast<int64_t>(c) + 1, names[c]});
  data.images.resize(static_cast<size_t>(opt.count));
  std::vector<std::vector<CocoDetAnnotation>> objects(static_cast<size_t>(opt.count));
  parallel_for(0, opt.count, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(i));
      DetSynthImage s = det_synth_image(opt, items, backgrounds, i);
      write_png((images / name).string(), s.image);
      data.images[i] = CocoDetImage{i, name, opt.size, opt.size};
      objects[i] = std::move(s.objects);
    }
  });
  int64_t next_id = 1;
  for (auto& list : objects)
    for (CocoDetAnnotation& a : list) {
      a.id = next_id++;
      data.annotations.push_back(std::move(a));
    }
  write_coco_detection((root / "annotations.json").string(), data);
  return data;
}

}  // namespace oc

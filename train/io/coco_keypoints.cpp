// Strict COCO keypoints JSON reading and writing, and the per-person crop-and-augment (see coco_keypoints.h).
#include "train/io/coco_keypoints.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "kernels/copy/copy.h"
#include "kernels/random/philox.h"
#include "nets/config.h"
#include "train/io/image_io.h"

namespace oc {
namespace {

// A position in the file, for messages: "file: annotations[3].keypoints: ...".
struct At {
  const std::string& file;
  std::string path;
  At operator[](size_t i) const { return At{file, str_cat(path, "[", i, "]")}; }
  At key(const std::string& k) const { return At{file, path.empty() ? k : path + "." + k}; }
  template <class... Args>
  [[noreturn]] void fail(const Args&... args) const {
    OC_FAIL(file, ": ", path.empty() ? "(top level)" : path, ": ", args...);
  }
};

const json& need(const json& obj, const std::string& k, const At& at) {
  if (!obj.is_object()) at.fail("expected an object, got ", obj.type_name());
  auto it = obj.find(k);
  if (it == obj.end()) at.fail("missing key \"", k, "\"");
  return *it;
}

const json& need_array(const json& obj, const std::string& k, const At& at) {
  const json& a = need(obj, k, at);
  if (!a.is_array()) at.key(k).fail("expected an array, got ", a.type_name());
  return a;
}

double number(const json& v, const At& at) {
  if (!v.is_number()) at.fail("expected a number, got ", v.type_name());
  return v.get<double>();
}

int64_t integer(const json& v, const At& at) {
  if (v.is_number_integer()) return v.get<int64_t>();
  const double d = number(v, at);
  if (d != std::floor(d) || std::fabs(d) > 9e15) at.fail("expected an integer, got ", v.dump());
  return static_cast<int64_t>(d);
}

std::string text(const json& v, const At& at) {
  if (!v.is_string()) at.fail("expected a string, got ", v.type_name());
  return v.get<std::string>();
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

int64_t CocoKeypoints::num_people() const {
  int64_t n = 0;
  for (const auto& p : people) n += static_cast<int64_t>(p.size());
  return n;
}

Skeleton skeleton_from_names(const std::vector<std::string>& names, const std::vector<std::array<int, 2>>& limbs) {
  Skeleton s;
  s.joint_names = names;
  s.limbs = limbs;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].rfind("left_", 0) != 0) continue;
    const std::string partner = "right_" + names[i].substr(5);
    for (size_t j = 0; j < names.size(); ++j)
      if (names[j] == partner) s.flip_pairs.push_back({static_cast<int>(i), static_cast<int>(j)});
  }
  return s;
}

CocoKeypoints read_coco_keypoints(const std::string& path) {
  const json root = read_json_file(path);
  const At top{path, ""};
  CocoKeypoints out;

  // The keypoint category: names and the 1-based skeleton.
  const json& cats = need_array(root, "categories", top);
  int found = 0;
  for (size_t i = 0; i < cats.size(); ++i) {
    const At at = top.key("categories")[i];
    if (!cats[i].is_object()) at.fail("expected an object, got ", cats[i].type_name());
    if (!cats[i].contains("keypoints")) continue;
    if (++found > 1) at.fail("a second category with keypoints (only one is supported)");
    out.category_id = integer(need(cats[i], "id", at), at.key("id"));
    out.category_name = cats[i].contains("name") ? text(cats[i]["name"], at.key("name")) : "";
    std::vector<std::string> names;
    const json& kn = need_array(cats[i], "keypoints", at);
    for (size_t k = 0; k < kn.size(); ++k) names.push_back(text(kn[k], at.key("keypoints")[k]));
    if (names.empty()) at.key("keypoints").fail("no keypoint names");
    std::vector<std::array<int, 2>> limbs;
    if (cats[i].contains("skeleton")) {
      const json& sk = need_array(cats[i], "skeleton", at);
      for (size_t l = 0; l < sk.size(); ++l) {
        const At la = at.key("skeleton")[l];
        if (!sk[l].is_array() || sk[l].size() != 2) la.fail("expected a pair of 1-based joint indices, got ", sk[l].dump());
        std::array<int, 2> pair{};
        for (int e = 0; e < 2; ++e) {
          const int64_t j = integer(sk[l][e], la[e]);
          if (j < 1 || j > static_cast<int64_t>(names.size()))
            la[e].fail("joint index ", j, " outside 1..", names.size(), " (the skeleton is 1-based)");
          pair[e] = static_cast<int>(j - 1);
        }
        limbs.push_back(pair);
      }
    }
    out.skeleton = skeleton_from_names(names, limbs);
  }
  if (found == 0) top.key("categories").fail("no category has \"keypoints\"");
  const size_t K = out.skeleton.joint_names.size();

  const json& imgs = need_array(root, "images", top);
  std::unordered_map<int64_t, size_t> image_index;
  for (size_t i = 0; i < imgs.size(); ++i) {
    const At at = top.key("images")[i];
    CocoImage im;
    im.id = integer(need(imgs[i], "id", at), at.key("id"));
    im.file_name = text(need(imgs[i], "file_name", at), at.key("file_name"));
    im.width = integer(need(imgs[i], "width", at), at.key("width"));
    im.height = integer(need(imgs[i], "height", at), at.key("height"));
    if (im.width <= 0 || im.height <= 0) at.fail("width and height must be positive, got ", im.width, " x ", im.height);
    if (!image_index.emplace(im.id, i).second) at.key("id").fail("duplicate image id ", im.id);
    out.images.push_back(im);
  }
  out.people.resize(out.images.size());

  const json& anns = need_array(root, "annotations", top);
  for (size_t i = 0; i < anns.size(); ++i) {
    const At at = top.key("annotations")[i];
    const json& a = anns[i];
    Person p;
    p.id = integer(need(a, "id", at), at.key("id"));
    p.image_id = integer(need(a, "image_id", at), at.key("image_id"));
    auto img = image_index.find(p.image_id);
    if (img == image_index.end()) at.key("image_id").fail("unknown image id ", p.image_id, " (not in \"images\")");
    const int64_t cat = integer(need(a, "category_id", at), at.key("category_id"));
    if (cat != out.category_id)
      at.key("category_id").fail("category ", cat, " is not the keypoint category ", out.category_id);
    const json& kp = need_array(a, "keypoints", at);
    if (kp.size() != 3 * K)
      at.key("keypoints").fail("expected ", 3 * K, " numbers (", K, " keypoints x 3), got ", kp.size());
    int labelled = 0;
    for (size_t k = 0; k < K; ++k) {
      Keypoint q;
      q.x = static_cast<float>(number(kp[3 * k], at.key("keypoints")[3 * k]));
      q.y = static_cast<float>(number(kp[3 * k + 1], at.key("keypoints")[3 * k + 1]));
      const int64_t v = integer(kp[3 * k + 2], at.key("keypoints")[3 * k + 2]);
      if (v < 0 || v > 2) at.key("keypoints")[3 * k + 2].fail("visibility must be 0, 1 or 2, got ", v);
      q.v = static_cast<int>(v);
      labelled += q.v > 0;
      p.keypoints.push_back(q);
    }
    if (a.contains("num_keypoints") && integer(a["num_keypoints"], at.key("num_keypoints")) != labelled)
      at.key("num_keypoints").fail(a["num_keypoints"].dump(), " but ", labelled, " keypoints have v > 0");
    const json& bb = need_array(a, "bbox", at);
    if (bb.size() != 4) at.key("bbox").fail("expected 4 numbers [x, y, width, height], got ", bb.size());
    for (int e = 0; e < 4; ++e) p.bbox[e] = static_cast<float>(number(bb[e], at.key("bbox")[e]));
    p.area = a.contains("area") ? static_cast<float>(number(a["area"], at.key("area"))) : p.bbox[2] * p.bbox[3];
    if (a.contains("iscrowd")) {
      const json& c = a["iscrowd"];
      p.crowd = c.is_boolean() ? c.get<bool>() : integer(c, at.key("iscrowd")) != 0;
    }
    out.people[img->second].push_back(std::move(p));
  }
  return out;
}

void write_coco_keypoints(const std::string& path, const CocoKeypoints& data) {
  OC_CHECK(data.people.size() == data.images.size(), "write_coco_keypoints: ", path, ": ", data.images.size(),
           " images but people for ", data.people.size());
  const size_t K = data.skeleton.joint_names.size();
  nlohmann::ordered_json root;
  root["images"] = nlohmann::ordered_json::array();
  root["annotations"] = nlohmann::ordered_json::array();
  for (size_t i = 0; i < data.images.size(); ++i) {
    const CocoImage& im = data.images[i];
    root["images"].push_back({{"id", im.id}, {"file_name", im.file_name}, {"width", im.width}, {"height", im.height}});
    for (const Person& p : data.people[i]) {
      OC_CHECK(p.keypoints.size() == K, "write_coco_keypoints: ", path, ": annotation ", p.id, " has ",
               p.keypoints.size(), " keypoints, the skeleton ", K);
      nlohmann::ordered_json kp = nlohmann::ordered_json::array();
      int labelled = 0;
      for (const Keypoint& q : p.keypoints) {
        kp.push_back(round3(q.x));
        kp.push_back(round3(q.y));
        kp.push_back(q.v);
        labelled += q.v > 0;
      }
      root["annotations"].push_back({{"id", p.id},
                                     {"image_id", im.id},
                                     {"category_id", data.category_id},
                                     {"keypoints", kp},
                                     {"num_keypoints", labelled},
                                     {"bbox", {round3(p.bbox[0]), round3(p.bbox[1]), round3(p.bbox[2]), round3(p.bbox[3])}},
                                     {"area", round3(p.area)},
                                     {"iscrowd", p.crowd ? 1 : 0}});
    }
  }
  nlohmann::ordered_json skeleton = nlohmann::ordered_json::array();
  for (const auto& l : data.skeleton.limbs) skeleton.push_back({l[0] + 1, l[1] + 1});
  root["categories"] = nlohmann::ordered_json::array();
  root["categories"].push_back({{"id", data.category_id},
                                {"name", data.category_name},
                                {"supercategory", data.category_name},
                                {"keypoints", data.skeleton.joint_names},
                                {"skeleton", skeleton}});
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    OC_CHECK(f.good(), "write_coco_keypoints: ", path, ": cannot write ", tmp);
    f << root.dump() << "\n";
    OC_CHECK(f.good(), "write_coco_keypoints: ", path, ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  OC_CHECK(!ec, "write_coco_keypoints: ", path, ": cannot rename ", tmp, " (", ec.message(), ")");
}

Tensor read_coco_image(const CocoKeypoints& data, const std::string& image_dir, size_t index) {
  OC_CHECK(index < data.images.size(), "read_coco_image: index ", index, " of ", data.images.size(), " images");
  const CocoImage& im = data.images[index];
  const std::string file = (std::filesystem::path(image_dir) / im.file_name).string();
  Tensor t = read_image(file, 3);
  OC_CHECK(t.size(1) == im.height && t.size(2) == im.width, "read_coco_image: ", file, " is ", t.size(2), " x ",
           t.size(1), " but the annotations say ", im.width, " x ", im.height, " (image id ", im.id, ")");
  return t;
}

// --- crop and augment -------------------------------------------------------------------------------

void PoseAugmentOptions::check() const {
  OC_CHECK(size >= 1 && size <= 8192, "pose augment: size must be in 1..8192, got ", size);
  OC_CHECK(margin > 0 && std::isfinite(margin), "pose augment: margin must be positive, got ", margin);
  OC_CHECK(rotation_degrees >= 0 && rotation_degrees <= 180, "pose augment: rotation_degrees must be in [0, 180], got ",
           rotation_degrees);
  OC_CHECK(scale_min > 0 && scale_min <= scale_max && std::isfinite(scale_max),
           "pose augment: need 0 < scale_min <= scale_max, got ", scale_min, " and ", scale_max);
}

PoseAugmentDraw draw_pose_augment(const PoseAugmentOptions& opt, uint64_t seed, uint64_t index) {
  const PhiloxBlock b = philox4x32_10(index, seed);
  auto unit = [](uint32_t w) { return static_cast<double>(w) * (1.0 / 4294967296.0); };  // [0, 1)
  PoseAugmentDraw d;
  d.degrees = opt.rotation_degrees * (2 * unit(b.w[0]) - 1);
  d.scale = opt.scale_min + (opt.scale_max - opt.scale_min) * unit(b.w[1]);
  d.flip = opt.horizontal_flip && unit(b.w[2]) < 0.5;
  return d;
}

PoseSample crop_person(const Tensor& image, const Person& person, const Skeleton& skeleton,
                       const PoseAugmentOptions& opt, const PoseAugmentDraw& draw) {
  opt.check();
  OC_CHECK(image.defined() && image.dtype() == DType::u8 && image.dim() == 3 && image.size(0) == 3,
           "crop_person: expected a uint8 [3,H,W] image, got ", image.defined() ? image.str() : "undefined");
  const size_t K = skeleton.joint_names.size();
  OC_CHECK(person.keypoints.size() == K, "crop_person: person ", person.id, " has ", person.keypoints.size(),
           " keypoints, the skeleton ", K);
  OC_CHECK(draw.scale > 0, "crop_person: scale must be positive, got ", draw.scale);

  // The box: the annotation's, or the labelled joints' when it is empty.
  double x0 = person.bbox[0], y0 = person.bbox[1], x1 = x0 + person.bbox[2], y1 = y0 + person.bbox[3];
  if (!(person.bbox[2] > 0 && person.bbox[3] > 0)) {
    x0 = y0 = 1e300, x1 = y1 = -1e300;
    for (const Keypoint& q : person.keypoints)
      if (q.v > 0) x0 = std::min<double>(x0, q.x), y0 = std::min<double>(y0, q.y), x1 = std::max<double>(x1, q.x),
                   y1 = std::max<double>(y1, q.y);
    OC_CHECK(x0 <= x1, "crop_person: person ", person.id, " has neither a box nor labelled joints");
  }
  const double S = static_cast<double>(opt.size);
  const double side = std::max(1.0, opt.margin * std::max(x1 - x0, y1 - y0));
  const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, k = S * draw.scale / side;
  const Homography mirror{{draw.flip ? -1.0 : 1.0, 0, 0, 0, 1, 0, 0, 0, 1}};

  // to_crop = T(S/2) * mirror * R * scale * T(-c), in COCO coordinates (pixel i spans [i, i+1]).
  PoseSample out;
  out.to_crop = homography_mul(homography_translation(S / 2, S / 2),
                               homography_mul(mirror, homography_mul(homography_rotation(draw.degrees),
                                                                     homography_mul(homography_scaling(k),
                                                                                    homography_translation(-cx, -cy)))));
  // The inverse, from the inverted factors in reverse order.
  out.to_image = homography_mul(homography_translation(cx, cy), homography_scaling(1.0 / k));
  out.to_image = homography_mul(out.to_image, homography_rotation(-draw.degrees));
  out.to_image = homography_mul(out.to_image, mirror);
  out.to_image = homography_mul(out.to_image, homography_translation(-S / 2, -S / 2));
  // The warp's pixel centres sit at integers, COCO's at integer + 0.5: shift by half a pixel around it.
  const Homography to_source = homography_mul(homography_translation(-0.5, -0.5),
                                              homography_mul(out.to_image, homography_translation(0.5, 0.5)));

  const Tensor src = contiguous(to(image.detach(), Device::cpu()));
  const int64_t n = opt.size, H = image.size(1), W = image.size(2);
  std::vector<uint8_t> pixels(static_cast<size_t>(3 * n * n));
  warp_homography(src.data<uint8_t>(), 3, H, W, pixels.data(), n, n, to_source);
  out.image = Tensor::empty({3, n, n}, DType::f32);
  float* dst = out.image.data<float>();
  for (size_t i = 0; i < pixels.size(); ++i) dst[i] = static_cast<float>(pixels[i]) * (1.0f / 255.0f);

  const std::vector<size_t> partner = joint_sources(skeleton, draw.flip);
  out.keypoints.resize(K);
  for (size_t j = 0; j < K; ++j) {
    const Keypoint& q = person.keypoints[partner[j]];
    if (q.v == 0) continue;
    double x, y;
    homography_apply(out.to_crop, q.x, q.y, &x, &y);
    if (!(x >= 0 && x < S && y >= 0 && y < S)) continue;  // left the crop: not labelled
    out.keypoints[j] = Keypoint{static_cast<float>(x), static_cast<float>(y), q.v};
  }
  return out;
}

}  // namespace oc

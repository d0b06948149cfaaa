// Strict reading and atomic writing of local-features JSON files (see features_file.h).
#include "train/io/features_file.h"

#include <cfloat>
#include <charconv>
#include <cmath>

#include "core/error.h"
#include "nets/config.h"
#include "train/io/atomic_file.h"
#include "train/io/json_at.h"

namespace oc {
namespace {

// The keypoint [x, y, size, angle, response] at `at`; the same rules as the writer's.
FeaturePoint read_point(const json& row, const JsonAt& at) {
  if (!row.is_array() || row.size() != 5)
    at.fail("expected [x, y, size, angle, response], got ",
            row.is_array() ? str_cat(row.size(), " values") : row.dump());
  FeaturePoint p;
  p.x = json_number(row[0], at[0]);
  p.y = json_number(row[1], at[1]);
  p.size = json_number(row[2], at[2]);
  p.angle = json_number(row[3], at[3]);
  p.response = json_number(row[4], at[4]);
  if (p.size < 0) at[2].fail("size must be >= 0, got ", p.size);
  // 360 itself is let through: OpenCV's float arithmetic can round an angle just below it up to it.
  if (p.angle != -1 && !(p.angle >= 0 && p.angle <= 360))
    at[3].fail("angle must be -1 (none) or in [0, 360], got ", p.angle);
  return p;
}

// Every row of `rows` has the same length as the first one; returns it (0 when there are no rows).
size_t common_row_length(const json& rows, const JsonAt& at) {
  size_t len = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].is_array()) at[i].fail("expected an array, got ", rows[i].type_name());
    if (i == 0) {
      len = rows[0].size();
      if (len == 0) at[0].fail("a descriptor needs at least one value");
    } else if (rows[i].size() != len) {
      at[i].fail("has ", rows[i].size(), " values; row 0 has ", len);
    }
  }
  return len;
}

void read_float_descriptors(const json& rows, const JsonAt& at, ImageFeatures& f) {
  f.dim = static_cast<int64_t>(common_row_length(rows, at));
  f.descriptors.reserve(rows.size() * f.dim);
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t k = 0; k < rows[i].size(); ++k) {
      const double v = json_number(rows[i][k], at[i][k]);
      if (std::fabs(v) > FLT_MAX) at[i][k].fail("does not fit a float32: ", v);
      f.descriptors.push_back(static_cast<float>(v));
    }
}

// Bytes 0..255, each unpacked into 8 values of 0 or 1, most significant bit first.
void read_binary_descriptors(const json& rows, const JsonAt& at, ImageFeatures& f) {
  const size_t bytes = common_row_length(rows, at);
  f.dim = static_cast<int64_t>(8 * bytes);
  f.descriptors.reserve(rows.size() * f.dim);
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t k = 0; k < bytes; ++k) {
      const int64_t byte = json_integer(rows[i][k], at[i][k]);
      if (byte < 0 || byte > 255) at[i][k].fail("expected a byte (0..255), got ", byte);
      for (int bit = 7; bit >= 0; --bit) f.descriptors.push_back(static_cast<float>((byte >> bit) & 1));
    }
}

// The shortest text that reads back as the same value (std::to_chars), for doubles and floats.
template <class T>
void append_number(std::string& out, T v) {
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

ImageFeatures read_features(const std::string& path) {
  const json j = read_json_file(path);
  const JsonAt top{path, ""};
  if (!j.is_object()) top.fail("expected an object, got ", j.type_name());
  for (const auto& [key, value] : j.items())
    if (key != "width" && key != "height" && key != "keypoints" && key != "descriptors" && key != "binary_descriptors")
      top.key(key).fail("unknown key (expected width, height, keypoints, descriptors or binary_descriptors)");
  ImageFeatures f;
  f.width = json_integer(json_need(j, "width", top), top.key("width"));
  f.height = json_integer(json_need(j, "height", top), top.key("height"));
  if (f.width <= 0) top.key("width").fail("must be > 0, got ", f.width);
  if (f.height <= 0) top.key("height").fail("must be > 0, got ", f.height);
  const json& points = json_need_array(j, "keypoints", top);
  f.points.reserve(points.size());
  for (size_t i = 0; i < points.size(); ++i) f.points.push_back(read_point(points[i], top.key("keypoints")[i]));

  const bool has_float = j.contains("descriptors"), has_binary = j.contains("binary_descriptors");
  if (has_float && has_binary) top.fail("has both \"descriptors\" and \"binary_descriptors\"; expected one");
  if (!has_float && !has_binary) top.fail("missing key \"descriptors\" (or \"binary_descriptors\")");
  const std::string key = has_float ? "descriptors" : "binary_descriptors";
  const json& rows = json_need_array(j, key, top);
  if (rows.size() != points.size())
    top.key(key).fail("has ", rows.size(), " rows; \"keypoints\" has ", points.size(),
                      " (one descriptor per keypoint)");
  if (has_float)
    read_float_descriptors(rows, top.key(key), f);
  else
    read_binary_descriptors(rows, top.key(key), f);
  return f;
}

void write_features(const std::string& path, const ImageFeatures& f) {
  OC_CHECK(f.width > 0 && f.height > 0, path, ": image size must be > 0, got ", f.width, " x ", f.height);
  OC_CHECK(f.dim >= 0 && f.descriptors.size() == f.points.size() * static_cast<size_t>(f.dim), path, ": ",
           f.descriptors.size(), " descriptor values for ", f.points.size(), " keypoints of dimension ", f.dim);
  OC_CHECK(f.points.empty() || f.dim > 0, path, ": ", f.points.size(), " keypoints with descriptors of dimension 0");
  std::string out = str_cat("{\"width\": ", f.width, ", \"height\": ", f.height, ",\n\"keypoints\": [");
  for (size_t i = 0; i < f.points.size(); ++i) {
    const FeaturePoint& p = f.points[i];
    const double values[5] = {p.x, p.y, p.size, p.angle, p.response};
    for (double v : values) OC_CHECK(std::isfinite(v), path, ": keypoint ", i, " has a non-finite value ", v);
    OC_CHECK(p.size >= 0, path, ": keypoint ", i, " has size ", p.size, " (must be >= 0)");
    OC_CHECK(p.angle == -1 || (p.angle >= 0 && p.angle <= 360), path, ": keypoint ", i, " has angle ", p.angle,
             " (must be -1 or in [0, 360])");
    out += i ? ",\n[" : "\n[";
    for (int k = 0; k < 5; ++k) {
      if (k) out += ", ";
      append_number(out, values[k]);
    }
    out += "]";
  }
  out += "],\n\"descriptors\": [";
  for (size_t i = 0; i < f.points.size(); ++i) {
    out += i ? ",\n[" : "\n[";
    for (int64_t k = 0; k < f.dim; ++k) {
      const float v = f.descriptors[i * f.dim + k];
      OC_CHECK(std::isfinite(v), path, ": descriptor ", i, " has a non-finite value at ", k);
      if (k) out += ", ";
      append_number(out, v);
    }
    out += "]";
  }
  out += "]}\n";
  write_file_atomic(path, out);
}

}  // namespace oc

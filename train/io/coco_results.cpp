// COCO keypoint result files (see coco_results.h).
#include "train/io/coco_results.h"

#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "nets/config.h"

namespace oc {

namespace {

bool is_number(const json& j) { return j.is_number() && !j.is_boolean(); }

}  // namespace

void write_coco_keypoint_results(const std::string& path, const std::vector<Person>& predictions) {
  json list = json::array();
  for (size_t i = 0; i < predictions.size(); ++i) {
    const Person& p = predictions[i];
    OC_CHECK(std::isfinite(p.score), path, ": prediction ", i, " (image_id ", p.image_id, "): score is ", p.score);
    OC_CHECK(!p.keypoints.empty() && p.keypoints.size() == predictions[0].keypoints.size(), path, ": prediction ", i,
             " (image_id ", p.image_id, ") has ", p.keypoints.size(), " keypoints; prediction 0 has ",
             predictions[0].keypoints.size(), " (each needs the same K > 0)");
    json kps = json::array();
    for (size_t k = 0; k < p.keypoints.size(); ++k) {
      const Keypoint& kp = p.keypoints[k];
      OC_CHECK(std::isfinite(kp.x) && std::isfinite(kp.y), path, ": prediction ", i, " (image_id ", p.image_id,
               "): keypoint ", k, " is (", kp.x, ", ", kp.y, ")");
      kps.push_back(kp.x);
      kps.push_back(kp.y);
      kps.push_back(kp.v);
    }
    list.push_back({{"image_id", p.image_id}, {"category_id", 1}, {"keypoints", kps}, {"score", p.score}});
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    OC_CHECK(f.good(), tmp, ": cannot open for writing");
    f << list.dump() << "\n";
    f.close();
    OC_CHECK(f.good(), tmp, ": write failed");
  }
  OC_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, path, ": cannot rename ", tmp, " to it");
}

std::vector<Person> read_coco_keypoint_results(const std::string& path, int num_keypoints) {
  const json list = read_json_file(path);
  OC_CHECK(list.is_array(), path, ": expected a JSON list of keypoint results, got ", list.type_name());
  std::vector<Person> out;
  size_t expect = num_keypoints > 0 ? size_t(num_keypoints) * 3 : 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    const std::string where = str_cat(path, ": entry ", i);
    OC_CHECK(e.is_object(), where, ": expected an object, got ", e.type_name());
    for (const char* key : {"image_id", "category_id", "keypoints", "score"})
      OC_CHECK(e.contains(key), where, ": missing \"", key, "\"");
    OC_CHECK(e["image_id"].is_number_integer(), where, ": image_id must be an integer, got ", e["image_id"].dump());
    Person p;
    p.image_id = e["image_id"].get<int64_t>();
    const std::string at = str_cat(where, " (image_id ", p.image_id, ")");
    OC_CHECK(e["category_id"].is_number_integer() && e["category_id"].get<int64_t>() == 1, at,
             ": category_id must be 1 (person), got ", e["category_id"].dump());
    OC_CHECK(is_number(e["score"]), at, ": score must be a number, got ", e["score"].dump());
    p.score = e["score"].get<float>();
    const json& kps = e["keypoints"];
    OC_CHECK(kps.is_array(), at, ": keypoints must be a list, got ", kps.type_name());
    OC_CHECK(!kps.empty() && kps.size() % 3 == 0, at, ": keypoints has ", kps.size(),
             " numbers, not a positive multiple of 3 (x, y, v per joint)");
    if (expect == 0) expect = kps.size();
    OC_CHECK(kps.size() == expect, at, ": keypoints has ", kps.size(), " numbers, expected ", expect, " (",
             expect / 3, " joints)");
    for (size_t k = 0; k < kps.size(); k += 3) {
      for (size_t c = 0; c < 3; ++c)
        OC_CHECK(is_number(kps[k + c]), at, ": keypoints[", k + c, "] must be a number, got ", kps[k + c].dump());
      double v = kps[k + 2].get<double>();
      OC_CHECK(v == 0 || v == 1 || v == 2, at, ": keypoints[", k + 2, "] (v of joint ", k / 3, ") is ", v,
               ", expected 0, 1 or 2");
      p.keypoints.push_back({kps[k].get<float>(), kps[k + 1].get<float>(), int(v)});
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace oc

// Local features of one image (keypoints and their descriptors) and their JSON file, the common
// currency of `ocellus match`: LIFT's (nets/lift/) and OpenCV's (bench/lift_opencv.py) features are
// matched and scored by the same code (train/metrics/matching.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace oc {

// A keypoint in pixel coordinates (pixel centres at integers, y down; OpenCV's convention).
struct FeaturePoint {
  double x = 0, y = 0;
  double size = 0;       // the diameter of the described neighbourhood in pixels (OpenCV's KeyPoint.size)
  double angle = -1;     // degrees in [0, 360) from the x axis towards the y axis (clockwise as displayed;
                         // OpenCV's KeyPoint.angle); -1: none
  double response = 0;   // the detector's strength (higher = stronger)
};

struct ImageFeatures {
  int64_t width = 0, height = 0;     // the image's size
  std::vector<FeaturePoint> points;
  int64_t dim = 0;                   // descriptor length
  std::vector<float> descriptors;    // points.size() x dim, row-major; binary descriptors (ORB,
                                     // AKAZE) are unpacked to 0/1 per bit, so that the squared
                                     // L2 distance equals the Hamming distance
};

// JSON: {"width": W, "height": H, "keypoints": [[x, y, size, angle, response], ...],
//        "descriptors": [[d0, d1, ...], ...]} or, for binary descriptors,
//        "binary_descriptors": [[byte0, byte1, ...], ...] (0..255, bits unpacked most significant
//        first). Errors name the file and the JSON path (a row of the wrong length, a count that
//        differs from the keypoints', a non-finite number, a missing key).
ImageFeatures read_features(const std::string& path);
// Writes float descriptors (written atomically).
void write_features(const std::string& path, const ImageFeatures& f);

}  // namespace oc

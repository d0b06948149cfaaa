// Image files <-> uint8 [C,H,W] tensors: PNG (libpng), JPEG (libjpeg-turbo), PGM/PPM and BMP read
// (train/io/image_formats.h), the format told by the content; PNG written through stb_image_write.
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace oc {

// The most pixels (width x height) read_image decodes by default: 16384 x 16384. The header's size is
// checked before anything is decoded, so a small file cannot make it allocate gigabytes.
constexpr int64_t kMaxImagePixels = int64_t{1} << 28;

// uint8 [C,H,W] on the CPU. channels = 0 keeps the file's channel count (1 gray, 2 gray+alpha,
// 3 RGB, 4 RGBA); 1..4 converts to that many. A missing, unreadable or corrupt file, or one whose
// header claims more than max_pixels pixels, is an oc::Error naming it and the reason.
Tensor read_image(const std::string& path, int channels = 0, int64_t max_pixels = kMaxImagePixels);

// Writes a uint8 [C,H,W] image (C = 1, 2, 3 or 4; any device or strides) as a PNG; errors name the path.
void write_png(const std::string& path, const Tensor& image);

}  // namespace oc

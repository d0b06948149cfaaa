// Image files <-> uint8 [C,H,W] tensors: PNG, JPEG, PGM/PPM, BMP, TGA and GIF read through stb_image,
// PNG written through stb_image_write.
#pragma once
#include <string>

#include "core/tensor.h"

namespace oc {

// uint8 [C,H,W] on the CPU. channels = 0 keeps the file's channel count (1 gray, 2 gray+alpha,
// 3 RGB, 4 RGBA); 1..4 converts to that many. A missing, unreadable or corrupt file is an oc::Error
// naming it and stb_image's reason.
Tensor read_image(const std::string& path, int channels = 0);

// Writes a uint8 [C,H,W] image (C = 1, 2, 3 or 4; any device or strides) as a PNG; errors name the path.
void write_png(const std::string& path, const Tensor& image);

}  // namespace oc

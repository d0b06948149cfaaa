// The image decoders behind read_image (train/io/image_io.h), one per format, each given the whole
// file: PNG through libpng and JPEG through libjpeg-turbo (both fuzzed continuously upstream), PGM/PPM
// and BMP parsed here. Each checks the size its header claims against max_pixels before allocating, and
// reports a corrupt file as an oc::Error naming `path`.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oc {

struct DecodedImage {
  int width = 0, height = 0;
  int channels = 0;             // as stored: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  std::vector<uint8_t> pixels;  // height x width x channels, rows top to bottom
};

DecodedImage decode_png(std::string_view file, const std::string& path, int64_t max_pixels);
DecodedImage decode_jpeg(std::string_view file, const std::string& path, int64_t max_pixels);
// PGM / PPM: P2, P3 (text), P5, P6 (binary); maxval up to 255, rescaled to 0..255.
DecodedImage decode_pnm(std::string_view file, const std::string& path, int64_t max_pixels);
// BMP: uncompressed 8-bit (palette; grey when every entry is), 24-bit and 32-bit (the fourth byte unused, as
// the format says), bottom-up or top-down.
DecodedImage decode_bmp(std::string_view file, const std::string& path, int64_t max_pixels);

// The size check every decoder makes from the header, before the pixels are allocated.
void check_image_size(const std::string& path, int64_t width, int64_t height, int64_t max_pixels);

}  // namespace oc

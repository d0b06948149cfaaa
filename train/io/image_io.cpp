// read_image: the file's format told by its first bytes, one decoder per format (image_formats.h), then
// the channel conversion and HWC -> CHW. write_png: stb_image_write (Debian's libstb-dev, compiled here as
// static functions, so it cannot clash with another copy linked into the same program).
#include "train/io/image_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "kernels/copy/copy.h"
#include "train/io/image_formats.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace oc {
namespace {

DecodedImage decode(std::string_view file, const std::string& path, int64_t max_pixels) {
  const auto starts = [&](std::string_view magic) { return file.substr(0, magic.size()) == magic; };
  if (starts("\x89PNG\r\n\x1a\n")) return decode_png(file, path, max_pixels);
  if (starts("\xff\xd8\xff")) return decode_jpeg(file, path, max_pixels);
  if (starts("BM")) return decode_bmp(file, path, max_pixels);
  if (file.size() >= 2 && file[0] == 'P' && std::strchr("2356", file[1]) && file[1]) return decode_pnm(file, path, max_pixels);
  OC_FAIL("read_image: ", path, ": cannot decode (not a PNG, JPEG, BMP, PGM or PPM file)");
}

// Sample k of a pixel converted from `from` to `to` channels: grey from RGB by the ITU-R 601 weights
// in 8-bit fixed point (as stb_image did), alpha added as opaque, dropped when not asked for.
uint8_t convert(const uint8_t* px, int from, int to, int k) {
  const bool want_alpha = (to == 2 || to == 4) && k == to - 1;
  if (want_alpha) return from == 2 || from == 4 ? px[from - 1] : 255;
  if (to <= 2) return from <= 2 ? px[0] : static_cast<uint8_t>((px[0] * 77 + px[1] * 150 + px[2] * 29) >> 8);
  return from <= 2 ? px[0] : px[k];
}

}  // namespace

Tensor read_image(const std::string& path, int channels, int64_t max_pixels) {
  OC_CHECK(channels >= 0 && channels <= 4, "read_image: ", path, ": channels must be 0 (as stored) or 1 to 4, got ",
           channels);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) OC_FAIL("read_image: ", path, ": cannot open (", std::strerror(errno), ")");
  OC_CHECK(S_ISREG(st.st_mode), "read_image: ", path, ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  OC_CHECK(!in.bad(), "read_image: ", path, ": cannot read (", std::strerror(errno), ")");
  const DecodedImage img = decode(file, path, max_pixels);
  const int from = img.channels, c = channels ? channels : from;
  Tensor out = Tensor::empty({c, img.height, img.width}, DType::u8);
  uint8_t* dst = out.data<uint8_t>();
  const int64_t plane = static_cast<int64_t>(img.height) * img.width;
  for (int64_t p = 0; p < plane; ++p) {  // HWC -> CHW
    const uint8_t* px = img.pixels.data() + p * from;
    for (int k = 0; k < c; ++k) dst[k * plane + p] = from == c ? px[k] : convert(px, from, c, k);
  }
  return out;
}

void write_png(const std::string& path, const Tensor& image) {
  OC_CHECK(image.defined(), "write_png: ", path, ": undefined tensor");
  OC_CHECK(image.dtype() == DType::u8 && image.dim() == 3 && image.size(0) >= 1 && image.size(0) <= 4,
           "write_png: ", path, ": expected a uint8 [C,H,W] image with C = 1 to 4, got ", image.str());
  const int c = static_cast<int>(image.size(0)), h = static_cast<int>(image.size(1)),
            w = static_cast<int>(image.size(2));
  OC_CHECK(h > 0 && w > 0, "write_png: ", path, ": empty image ", shape_str(image.shape()));
  Tensor src = contiguous(to(image.detach(), Device::cpu()));
  const uint8_t* s = src.data<uint8_t>();
  const int64_t plane = static_cast<int64_t>(h) * w;
  std::vector<unsigned char> hwc(static_cast<size_t>(plane * c));
  for (int64_t p = 0; p < plane; ++p)  // CHW -> HWC
    for (int k = 0; k < c; ++k) hwc[p * c + k] = s[k * plane + p];
  errno = 0;
  int ok = stbi_write_png(path.c_str(), w, h, c, hwc.data(), w * c);
  OC_CHECK(ok != 0, "write_png: ", path, ": cannot write", errno ? str_cat(" (", std::strerror(errno), ")") : "");
}

}  // namespace oc

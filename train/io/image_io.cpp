// The one translation unit that compiles stb_image and stb_image_write (as static functions, so
// they cannot clash with another copy linked into the same program).
#include "train/io/image_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "kernels/copy/copy.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace oc {

Tensor read_image(const std::string& path, int channels) {
  OC_CHECK(channels >= 0 && channels <= 4, "read_image: ", path, ": channels must be 0 (as stored) or 1 to 4, got ",
           channels);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) OC_FAIL("read_image: ", path, ": cannot open (", std::strerror(errno), ")");
  OC_CHECK(S_ISREG(st.st_mode), "read_image: ", path, ": not a regular file");
  int w = 0, h = 0, stored = 0;
  unsigned char* pixels = stbi_load(path.c_str(), &w, &h, &stored, channels);
  if (pixels == nullptr) {
    const char* why = stbi_failure_reason();
    OC_FAIL("read_image: ", path, ": cannot decode (", why ? why : "unknown reason", ")");
  }
  const int c = channels ? channels : stored;
  Tensor out = Tensor::empty({c, h, w}, DType::u8);
  uint8_t* dst = out.data<uint8_t>();
  const int64_t plane = static_cast<int64_t>(h) * w;
  for (int64_t p = 0; p < plane; ++p)  // HWC -> CHW
    for (int k = 0; k < c; ++k) dst[k * plane + p] = pixels[p * c + k];
  stbi_image_free(pixels);
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

// JPEG through libjpeg-turbo's TurboJPEG API, with the decoder settings OpenCV's imread uses (accurate
// integer IDCT, smooth upsampling), so that LIFT and OpenCV's detectors see the same pixels. A warning
// (e.g. a truncated file) is an error: the image would be partly grey.
#include <turbojpeg.h>

#include "core/error.h"
#include "train/io/image_formats.h"

namespace oc {

DecodedImage decode_jpeg(std::string_view file, const std::string& path, int64_t max_pixels) {
  tjhandle tj = tjInitDecompress();
  OC_CHECK(tj != nullptr, "read_image: ", path, ": cannot start the JPEG decoder (", tjGetErrorStr2(nullptr), ")");
  struct Release {
    tjhandle h;
    ~Release() { tjDestroy(h); }
  } release{tj};
  const auto* bytes = reinterpret_cast<const unsigned char*>(file.data());
  const unsigned long size = file.size();
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, bytes, size, &width, &height, &subsampling, &colorspace) != 0)
    OC_FAIL("read_image: ", path, ": cannot decode (JPEG: ", tjGetErrorStr2(tj), ")");
  check_image_size(path, width, height, max_pixels);
  OC_CHECK(colorspace != TJCS_CMYK && colorspace != TJCS_YCCK, "read_image: ", path,
           ": cannot decode (JPEG: CMYK images are not supported)");
  DecodedImage out;
  out.width = width;
  out.height = height;
  out.channels = colorspace == TJCS_GRAY ? 1 : 3;
  out.pixels.resize(static_cast<size_t>(width) * height * out.channels);
  if (tjDecompress2(tj, bytes, size, out.pixels.data(), width, 0, height, out.channels == 1 ? TJPF_GRAY : TJPF_RGB,
                    TJFLAG_STOPONWARNING) != 0)
    OC_FAIL("read_image: ", path, ": cannot decode (JPEG: ", tjGetErrorStr2(tj), ")");
  return out;
}

}  // namespace oc

// PNG through libpng: every bit depth and colour type comes out as 8-bit samples with the file's channel
// count (palettes expanded to RGB or RGBA, 16-bit samples reduced to their high byte and low depths
// widened, as OpenCV and stb_image do). No colour or gamma conversion: the samples are the file's.
// libpng reports errors by longjmp, so the decoding function holds no object with a destructor between
// its setjmp and the end of libpng's work.
#include <png.h>

#include <csetjmp>
#include <cstring>

#include "core/error.h"
#include "train/io/image_formats.h"

namespace oc {
namespace {

struct Source {
  std::string_view file;
  size_t at = 0;
  char error[200] = {};
};

void read_bytes(png_structp png, png_bytep out, png_size_t n) {
  Source* s = static_cast<Source*>(png_get_io_ptr(png));
  if (n > s->file.size() - s->at) png_error(png, "the file ends inside the image data");
  std::memcpy(out, s->file.data() + s->at, n);
  s->at += n;
}

void on_error(png_structp png, png_const_charp message) {
  Source* s = static_cast<Source*>(png_get_error_ptr(png));
  std::strncpy(s->error, message, sizeof s->error - 1);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // e.g. a wrong CRC on an ancillary chunk: the pixels stand

// Fills `out` (rows: its row pointers) or returns false with source.error set; the size check's error is thrown after libpng is done.
bool decode(Source& source, DecodedImage& out, std::vector<png_bytep>& rows, int64_t max_pixels, bool& too_large) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, on_error, on_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return false;
  }
  png_set_read_fn(png, &source, read_bytes);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  if (int64_t{width} * height > max_pixels || width == 0 || height == 0) {
    out.width = static_cast<int>(width);
    out.height = static_cast<int>(height);
    too_large = true;
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_strip_16(png);
  png_set_packing(png);
  const int type = png_get_color_type(png, info);
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.channels = png_get_channels(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  if (row_bytes != size_t{width} * out.channels) png_error(png, "unexpected row size");
  out.pixels.resize(row_bytes * height);
  for (png_uint_32 y = 0; y < height; ++y) rows.push_back(out.pixels.data() + row_bytes * y);
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

}  // namespace

DecodedImage decode_png(std::string_view file, const std::string& path, int64_t max_pixels) {
  Source source{file};
  DecodedImage out;
  std::vector<png_bytep> rows;  // here, not in decode(), whose frame a longjmp may leave
  bool too_large = false;
  if (!decode(source, out, rows, max_pixels, too_large)) {
    if (too_large) check_image_size(path, out.width, out.height, max_pixels);
    OC_FAIL("read_image: ", path, ": cannot decode (PNG: ", source.error[0] ? source.error : "out of memory", ")");
  }
  return out;
}

}  // namespace oc

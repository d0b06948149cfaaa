// The two simple uncompressed formats, parsed here: Netpbm's PGM/PPM and Windows BMP. Every read is
// checked against the file's end; the header's size is checked before the pixels are allocated.
#include <cstring>

#include "core/error.h"
#include "train/io/image_formats.h"

namespace oc {

void check_image_size(const std::string& path, int64_t width, int64_t height, int64_t max_pixels) {
  OC_CHECK(width > 0 && height > 0, "read_image: ", path, ": cannot decode (the header gives a size of ", width,
           " x ", height, ")");
  OC_CHECK(width <= max_pixels / height, "read_image: ", path, ": its header claims ", width, " x ", height, " = ",
           width * height, " pixels, more than the ", max_pixels, " read_image accepts");
}

namespace {

// A Netpbm header or text body: numbers separated by white space, '#' comments to the end of a line.
struct PnmReader {
  std::string_view s;
  size_t at = 0;
  const std::string& path;

  int64_t number(const char* what) {
    for (;;) {
      while (at < s.size() && std::strchr(" \t\r\n\v\f", s[at])) ++at;
      if (at < s.size() && s[at] == '#') {
        while (at < s.size() && s[at] != '\n') ++at;
        continue;
      }
      break;
    }
    OC_CHECK(at < s.size() && s[at] >= '0' && s[at] <= '9', "read_image: ", path, ": cannot decode (PNM: expected ",
             what, " at byte ", at, ")");
    int64_t v = 0;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      v = v * 10 + (s[at++] - '0');
      OC_CHECK(v <= (int64_t{1} << 31), "read_image: ", path, ": cannot decode (PNM: ", what, " is too large)");
    }
    return v;
  }
};

uint32_t le32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int k = 3; k >= 0; --k) v = v << 8 | static_cast<uint8_t>(s[at + k]);
  return v;
}
uint16_t le16(std::string_view s, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(s[at]) | static_cast<uint8_t>(s[at + 1]) << 8);
}

}  // namespace

DecodedImage decode_pnm(std::string_view file, const std::string& path, int64_t max_pixels) {
  OC_CHECK(file.size() >= 2 && file[0] == 'P' && std::strchr("2356", file[1]) && file[1] != '\0', "read_image: ",
           path, ": cannot decode (not a PGM/PPM file: P2, P3, P5 or P6)");
  const bool text = file[1] == '2' || file[1] == '3';
  PnmReader r{file, 2, path};
  DecodedImage out;
  out.channels = file[1] == '3' || file[1] == '6' ? 3 : 1;
  const int64_t width = r.number("the width"), height = r.number("the height");
  check_image_size(path, width, height, max_pixels);
  const int64_t maxval = r.number("the maximum value");
  OC_CHECK(maxval >= 1 && maxval <= 255, "read_image: ", path, ": cannot decode (PNM: maximum value ", maxval,
           "; 1 to 255 are supported)");
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  const size_t count = static_cast<size_t>(width * height * out.channels);
  if (!text) {
    ++r.at;  // the single white-space byte after the maximum value
    OC_CHECK(r.at <= file.size() && file.size() - r.at >= count, "read_image: ", path,
             ": cannot decode (PNM: truncated: ", count, " samples expected, ", file.size() - std::min(r.at, file.size()),
             " bytes left)");
  }
  out.pixels.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const int64_t v = text ? r.number("a sample") : static_cast<uint8_t>(file[r.at + i]);
    OC_CHECK(v <= maxval, "read_image: ", path, ": cannot decode (PNM: sample ", v, " above the maximum ", maxval, ")");
    out.pixels[i] = static_cast<uint8_t>(maxval == 255 ? v : (v * 255 + maxval / 2) / maxval);
  }
  return out;
}

DecodedImage decode_bmp(std::string_view file, const std::string& path, int64_t max_pixels) {
  const auto fail = [&](const auto&... why) { OC_FAIL("read_image: ", path, ": cannot decode (BMP: ", why..., ")"); };
  if (file.size() < 54 || file[0] != 'B' || file[1] != 'M') fail("no BMP header");
  const uint32_t data_at = le32(file, 10), header = le32(file, 14);
  if (header < 40 || header > file.size() - 14) fail("an info header of ", header, " bytes");
  const int64_t width = static_cast<int32_t>(le32(file, 18));
  const int64_t signed_height = static_cast<int32_t>(le32(file, 22));
  const bool top_down = signed_height < 0;
  const int64_t height = top_down ? -signed_height : signed_height;
  const uint16_t bits = le16(file, 28);
  const uint32_t compression = le32(file, 30);
  if (compression != 0) fail("compression ", compression, "; only uncompressed files are supported");
  if (bits != 8 && bits != 24 && bits != 32) fail(bits, " bits per pixel; 8, 24 and 32 are supported");
  check_image_size(path, width, height, max_pixels);
  const size_t stride = static_cast<size_t>((bits * width + 31) / 32 * 4);
  if (data_at > file.size() || (file.size() - data_at) / stride < static_cast<size_t>(height))
    fail("truncated: ", height, " rows of ", stride, " bytes expected from byte ", data_at);
  std::vector<uint8_t> palette;  // BGRx entries
  if (bits == 8) {
    uint32_t colors = le32(file, 46);
    if (colors == 0) colors = 256;
    const size_t at = 14 + header;
    if (colors > 256 || at + size_t{4} * colors > data_at) fail("a palette of ", colors, " colours");
    palette.assign(file.begin() + at, file.begin() + at + 4 * colors);
  }
  // A palette of greys only is a grey image (as OpenCV reads it); anything else is RGB.
  bool grey = bits == 8;
  for (size_t i = 0; grey && i < palette.size(); i += 4) grey = palette[i] == palette[i + 1] && palette[i] == palette[i + 2];
  DecodedImage out;
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.channels = grey ? 1 : 3;
  out.pixels.resize(static_cast<size_t>(width * height * out.channels));
  uint8_t* dst = out.pixels.data();
  for (int64_t y = 0; y < height; ++y) {
    const auto* row = reinterpret_cast<const uint8_t*>(file.data()) + data_at + stride * (top_down ? y : height - 1 - y);
    for (int64_t x = 0; x < width; ++x) {
      const uint8_t* bgr = bits == 8 ? nullptr : row + x * (bits / 8);
      if (bits == 8) {
        const size_t entry = size_t{4} * row[x];
        if (entry >= palette.size()) fail("palette index ", int(row[x]), " of ", palette.size() / 4, " colours");
        bgr = palette.data() + entry;
      }
      for (int k = 0; k < out.channels; ++k) *dst++ = bgr[2 - k];
    }
  }
  return out;
}

}  // namespace oc

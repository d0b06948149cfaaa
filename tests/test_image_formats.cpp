// read_image's decoders (train/io/image_formats.h) against OpenCV's on the same files, byte for byte, and
// hand-made files for the edges: BMP row padding and orientation, PGM text with comments and a maxval
// below 255, the channel conversions, and clear errors for what is not supported.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/helpers.h"
#include "train/io/image_io.h"

using namespace oc;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string le32(uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; }
std::string le16(uint16_t v) { return std::string{char(v), char(v >> 8)}; }

// A BMP with a BITMAPINFOHEADER: `rows` top to bottom as stored (each already padded to 4 bytes).
std::string bmp(int32_t width, int32_t height, uint16_t bits, const std::string& palette, const std::string& rows) {
  const uint32_t data_at = 14 + 40 + static_cast<uint32_t>(palette.size());
  return "BM" + le32(data_at + rows.size()) + le32(0) + le32(data_at) + le32(40) + le32(width) +
         le32(static_cast<uint32_t>(height)) + le16(1) + le16(bits) + le32(0) + le32(rows.size()) + le32(2835) +
         le32(2835) + le32(static_cast<uint32_t>(palette.size() / 4)) + le32(0) + palette + rows;
}

}  // namespace

TEST_CASE("image formats: PNG, JPEG, BMP, PGM and PPM decode to OpenCV's pixels exactly", "[may_skip]") {
  if (!fs::exists("/usr/bin/python3") || std::system("/usr/bin/python3 -c 'import cv2' 2>/dev/null") != 0)
    test::skip_test("/usr/bin/python3 with cv2 (python3-opencv) not found");
  TempDir dir;
  const std::string cmd = str_cat("/usr/bin/python3 ", OCELLUS_SOURCE_DIR, "/tests/data/opencv_images.py '",
                                  dir.str(), "'");
  REQUIRE(std::system(cmd.c_str()) == 0);
  const nlohmann::json index = nlohmann::json::parse(test::read_file_bytes(dir.file("index.json")));
  REQUIRE(index.size() == 11);
  for (const auto& [name, hwc] : index.items()) {
    INFO(name);
    const Tensor img = read_image(dir.file(name));
    const int64_t h = hwc[0], w = hwc[1], c = hwc[2];
    REQUIRE(img.shape() == Shape{c, h, w});
    const std::string want = test::read_file_bytes(dir.file(name + ".raw"));
    const std::vector<uint8_t> got = to_vector<uint8_t>(img);
    int64_t differ = 0;
    for (int64_t p = 0; p < h * w; ++p)
      for (int64_t k = 0; k < c; ++k) differ += got[k * h * w + p] != static_cast<uint8_t>(want[p * c + k]);
    REQUIRE(differ == 0);
  }
}

TEST_CASE("image formats: BMP rows are padded and stored bottom-up unless the height is negative") {
  TempDir dir;
  // 3 x 2, 24-bit: rows of 9 bytes padded to 12, stored bottom row first. Pixel (x, y) = (10x + y, 100 + y, 200).
  std::string bottom_up, top_down;
  for (int stored = 0; stored < 2; ++stored) {
    for (int flip = 0; flip < 2; ++flip) {
      const int y = flip ? (stored == 0 ? 1 : 0) : stored;
      std::string row;
      for (int x = 0; x < 3; ++x) row += std::string{char(200), char(100 + y), char(10 * x + y)};  // B, G, R
      (flip ? bottom_up : top_down) += row + std::string(3, '\0');
    }
  }
  write(dir.file("up.bmp"), bmp(3, 2, 24, "", bottom_up));
  write(dir.file("down.bmp"), bmp(3, -2, 24, "", top_down));
  const std::vector<uint8_t> want = {0, 10, 20, 1, 11, 21, 100, 100, 100, 101, 101, 101, 200, 200, 200, 200, 200, 200};
  REQUIRE(to_vector<uint8_t>(read_image(dir.file("up.bmp"))) == want);
  REQUIRE(to_vector<uint8_t>(read_image(dir.file("down.bmp"))) == want);
  // 8-bit with a palette of greys reads as one channel; index 2 of a 2-colour palette is an error.
  const std::string greys = std::string("\x10\x10\x10\0\xf0\xf0\xf0\0", 8);
  write(dir.file("grey.bmp"), bmp(2, 1, 8, greys, std::string("\x01\x00\0\0", 4)));
  REQUIRE(read_image(dir.file("grey.bmp")).shape() == Shape{1, 1, 2});
  REQUIRE(to_vector<uint8_t>(read_image(dir.file("grey.bmp"))) == std::vector<uint8_t>{0xf0, 0x10});
  write(dir.file("index.bmp"), bmp(2, 1, 8, greys, std::string("\x01\x02\0\0", 4)));
  REQUIRE_THROWS_WITH(read_image(dir.file("index.bmp")), Catch::Contains("index.bmp") &&
                                                            Catch::Contains("palette index 2 of 2 colours"));
  // Truncated pixel data and unsupported layouts are errors naming the file.
  write(dir.file("short.bmp"), bmp(3, 2, 24, "", bottom_up.substr(0, 20)));
  REQUIRE_THROWS_WITH(read_image(dir.file("short.bmp")), Catch::Contains("short.bmp") && Catch::Contains("truncated"));
  write(dir.file("16.bmp"), bmp(2, 2, 16, "", std::string(8, '\1')));
  REQUIRE_THROWS_WITH(read_image(dir.file("16.bmp")), Catch::Contains("16 bits per pixel"));
}

TEST_CASE("image formats: PGM/PPM text and binary, comments, a maxval below 255, and channel conversion") {
  TempDir dir;
  write(dir.file("t.pgm"), "P2\n# made by hand\n3 2 # width height\n15\n0 1 2\n13 14 15\n");
  REQUIRE(to_vector<uint8_t>(read_image(dir.file("t.pgm"))) == std::vector<uint8_t>{0, 17, 34, 221, 238, 255});
  write(dir.file("t.ppm"), "P3 2 1 255  255 0 0  10 20 30\n");
  REQUIRE(to_vector<uint8_t>(read_image(dir.file("t.ppm"))) == std::vector<uint8_t>{255, 10, 0, 20, 0, 30});
  // RGB to grey by the 601 weights in 8-bit fixed point: (255*77 + 0 + 0) >> 8 = 76, (10*77 + 20*150 + 30*29) >> 8 = 18.
  REQUIRE(to_vector<uint8_t>(read_image(dir.file("t.ppm"), 1)) == std::vector<uint8_t>{76, 18});
  // Grey to RGBA: the grey three times and an opaque alpha.
  REQUIRE(to_vector<uint8_t>(read_image(dir.file("t.pgm"), 4)) ==
          std::vector<uint8_t>{0, 17, 34, 221, 238, 255, 0, 17, 34, 221, 238, 255, 0, 17, 34, 221, 238, 255,
                               255, 255, 255, 255, 255, 255});
  write(dir.file("over.pgm"), "P2 1 1 15 16\n");
  REQUIRE_THROWS_WITH(read_image(dir.file("over.pgm")), Catch::Contains("sample 16 above the maximum 15"));
  write(dir.file("short.pgm"), std::string("P5 4 4 255\n") + std::string(15, '\x7f'));
  REQUIRE_THROWS_WITH(read_image(dir.file("short.pgm")), Catch::Contains("short.pgm") && Catch::Contains("truncated"));
  write(dir.file("wide.pgm"), "P5 4 4 65535\n");
  REQUIRE_THROWS_WITH(read_image(dir.file("wide.pgm")), Catch::Contains("1 to 255 are supported"));
  write(dir.file("x.gif"), "GIF89a\x01\x00\x01\x00");
  REQUIRE_THROWS_WITH(read_image(dir.file("x.gif")),
                      Catch::Contains("x.gif") && Catch::Contains("not a PNG, JPEG, BMP, PGM or PPM file"));
  // A truncated PNG is an error naming the file.
  std::vector<uint8_t> noise(3 * 16 * 16);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>(i * 2654435761u >> 13);
  write_png(dir.file("ok.png"), from_vector(noise, {3, 16, 16}));
  const std::string png = test::read_file_bytes(dir.file("ok.png"));
  write(dir.file("cut.png"), png.substr(0, png.size() / 2));
  REQUIRE_THROWS_WITH(read_image(dir.file("cut.png")), Catch::Contains("cut.png") && Catch::Contains("PNG"));
}

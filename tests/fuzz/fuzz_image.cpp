// Fuzz target: image decoding through the engine's reader (train/io/image_io.h: PNG through libpng, JPEG
// through libjpeg-turbo, PGM/PPM and BMP parsed by us), with a pixel limit checked from the header before
// decoding. The first byte picks the channels asked for (0 = as stored, 1 to 4).
#include "tests/fuzz/fuzz_support.h"
#include "train/io/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string path = oc::fuzz::write_input(data + 1, size - 1, "input.img");
  const int channels = data[0] % 5;
  return oc::fuzz::read_or_refuse([&] { oc::read_image(path, channels, oc::fuzz::kFuzzMaxPixels); });
}

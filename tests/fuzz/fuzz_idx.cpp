// Fuzz target: IDX files (train/io/idx.h), plain when the first byte is even and gzip'd when it is odd
// (the name's ".gz" decides, as for Fashion-MNIST's files); the second byte's low bits set max_items.
#include "tests/fuzz/fuzz_support.h"
#include "train/io/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string path = oc::fuzz::write_input(data + 2, size - 2, data[0] % 2 ? "input.idx.gz" : "input.idx");
  const int64_t max_items = data[1] % 4;
  return oc::fuzz::read_or_refuse([&] { oc::read_idx(path, max_items); });
}

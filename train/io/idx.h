// IDX files (LeCun's MNIST format): magic 00 00 <type> <ndim>, ndim big-endian uint32 sizes, then
// big-endian data. Plain or gzip'd (detected by the 1f 8b magic), read and written with zlib.
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace oc {

// The whole file as a CPU tensor of the IDX shape: type 0x08 (unsigned byte) -> uint8; 0x09 (signed
// byte), 0x0B (int16) and 0x0C (int32) -> int32; 0x0D -> float32; 0x0E -> float64. Fashion-MNIST
// images are uint8 [N,H,W], labels uint8 [N]. `max_items` > 0 reads only the first max_items entries
// along dim 0 (the rest of the file is not decompressed). Errors name the file and what is wrong
// (missing, bad magic, unknown type, truncated, trailing bytes, corrupt gzip stream).
Tensor read_idx(const std::string& path, int64_t max_items = 0);

// Writes `t` (any device or strides; at least one dim, each < 2^32) as IDX: uint8 -> 0x08, int32 -> 0x0C,
// float32 -> 0x0D, float64 -> 0x0E; other dtypes are an error naming the path. gzip'd when `path`
// ends in ".gz", plain otherwise; written atomically (train/io/atomic_file.h). read_idx reads it back.
void write_idx(const std::string& path, const Tensor& t);

}  // namespace oc

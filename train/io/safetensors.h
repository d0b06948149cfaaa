// safetensors checkpoints (the format Hugging Face's `safetensors` and PyTorch tools read): an 8-byte
// little-endian header length N, N bytes of JSON
//   {"__metadata__": {string: string}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
// padded with spaces to a multiple of 8, then the raw little-endian data; offsets are relative to the
// data section and the tensors are packed in header order without gaps.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace oc {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// dtypes: float32 F32, float64 F64, bfloat16 BF16, int64 I64, int32 I32, uint8 U8, bool BOOL.
// Tensors may be on any device and have any strides (copied to contiguous CPU data); names must be
// unique, non-empty and not "__metadata__". Written atomically: a temporary file in the same
// directory, fsync, rename over `path`, fsync of the directory; on failure `path` is untouched and
// the temporary file removed. Errors name the path and the tensor.
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsFile {
  std::vector<NamedTensor> tensors;  // CPU, contiguous, in header order
  std::map<std::string, std::string> metadata;
  const Tensor* find(const std::string& name) const;  // nullptr when absent
};

// Validates everything: the header length against the file size, the JSON, every entry's keys,
// dtype, shape and data_offsets (in range, size = numel * dtype size, no overlap, no gap, no
// trailing bytes), duplicate names, metadata values being strings. A truncated or corrupt file is an
// oc::Error naming the file and the problem. Other dtypes of the format (F16, I8, ...) are errors
// naming the dtype.
SafetensorsFile load_safetensors(const std::string& path);

// The dtype's code in the format ("F32", ...).
const char* safetensors_dtype_name(DType dtype);

}  // namespace oc

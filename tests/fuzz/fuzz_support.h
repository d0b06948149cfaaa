// What every fuzz target (tests/fuzz/fuzz_<reader>.cpp) shares.
// - The readers take paths, so the input is written to a file in a directory of this process's own
//   (on /dev/shm when there is one: no disk in the loop).
// - A reader may refuse an input only with oc::Error, whose message names the file. Any other exception
//   (a json::type_error, std::bad_alloc, std::out_of_range) escapes the target and libFuzzer reports it as
//   a crash: the user would have seen an unexplained message, or a crash.
// - Tensors may hold at most kFuzzMemoryLimit bytes and images kFuzzMaxPixels pixels, so an input that
//   claims a huge size ends in a clear error rather than in the fuzzer's out-of-memory report.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace oc::fuzz {

constexpr size_t kFuzzMemoryLimit = size_t{512} << 20;
constexpr int64_t kFuzzMaxPixels = int64_t{1} << 22;

// Writes the input to `name` in this process's directory and returns its path.
std::string write_input(const uint8_t* data, size_t size, const std::string& name);
std::string write_input(std::string_view bytes, const std::string& name);
// The directory write_input writes into (for readers that take a directory).
const std::string& input_dir();

// Runs one reader call: oc::Error is a clean refusal, anything else escapes.
template <class Read>
int read_or_refuse(Read&& read) {
  try {
    read();
  } catch (const Error&) {
  }
  return 0;
}

}  // namespace oc::fuzz

// The fuzz targets' shared set-up (fuzz_support.h): a private input directory and the limits, made once
// per process before the first input.
#include "tests/fuzz/fuzz_support.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/cpu_allocator.h"

namespace oc::fuzz {
namespace {

struct Setup {
  std::string dir;
  Setup() {
    const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string pattern = std::string(base) + "/ocellus_fuzz_XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("fuzz: mkdtemp");
      std::abort();
    }
    dir = pattern;
    cpu_set_memory_limit(kFuzzMemoryLimit);
  }
  ~Setup() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Setup& setup() {
  static Setup s;
  return s;
}

}  // namespace

const std::string& input_dir() { return setup().dir; }

std::string write_input(std::string_view bytes, const std::string& name) {
  const std::string path = input_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

std::string write_input(const uint8_t* data, size_t size, const std::string& name) {
  return write_input(std::string_view(reinterpret_cast<const char*>(data), size), name);
}

}  // namespace oc::fuzz

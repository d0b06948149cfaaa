// The fuzz targets outside the fuzz build: runs LLVMFuzzerTestOneInput over every file of the given
// directories (the seed corpus, then the regression inputs) and exits non-zero if an input escapes with
// anything but oc::Error (the target lets it through) or a directory that must exist is missing.
//   fuzz_replay_<reader> CORPUS_DIR [REGRESSIONS_DIR]   (the second may be absent: no regressions yet)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional, as in libFuzzer: a target's start-up (fuzz_checkpoint.cpp's writes its seed there).
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());  // a failure names the same input on every run
  return files;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [REGRESSIONS_DIR]\n", argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  size_t replayed = 0;
  for (int a = 1; a < argc; ++a) {
    const fs::path dir = argv[a];
    if (!fs::is_directory(dir)) {
      if (a == 1) {
        std::fprintf(stderr, "fuzz replay: the seed corpus %s is missing\n", dir.c_str());
        return 1;
      }
      continue;  // no regression inputs for this reader (yet)
    }
    const std::vector<fs::path> files = files_in(dir);
    if (a == 1 && files.empty()) {
      std::fprintf(stderr, "fuzz replay: the seed corpus %s is empty\n", dir.c_str());
      return 1;
    }
    for (const fs::path& f : files) {
      const std::string bytes = read_bytes(f);
      try {
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz replay: %s: escaped with %s\n", f.c_str(), e.what());
        return 1;
      } catch (...) {
        std::fprintf(stderr, "fuzz replay: %s: escaped with a non-standard exception\n", f.c_str());
        return 1;
      }
      ++replayed;
    }
  }
  std::printf("fuzz replay: %zu inputs ran cleanly\n", replayed);
  return 0;
}

// Temp-file-and-rename writes (see atomic_file.h).
#include "train/io/atomic_file.h"

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace oc {

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    OC_CHECK(f.good(), path, ": cannot write the temporary file ", tmp);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    OC_CHECK(f.good(), path, ": writing ", tmp, " failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(tmp, ec);  // best effort: do not leave the temporary behind
    OC_FAIL(path, ": cannot rename ", tmp, " over it (", why, ")");
  }
}

}  // namespace oc

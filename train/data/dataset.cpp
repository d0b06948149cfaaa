// Fashion-MNIST from IDX files and image folders through stb_image, both into uint8 [N,C,H,W].
#include "train/data/dataset.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "kernels/views/views.h"
#include "train/data/corrupt_images.h"
#include "train/io/idx.h"

namespace oc {
namespace fs = std::filesystem;
namespace {

// dir/name.gz, else dir/name; an error listing both when neither exists.
std::string find_idx_file(const std::string& dir, const std::string& name) {
  fs::path gz = fs::path(dir) / (name + ".gz"), plain = fs::path(dir) / name;
  std::error_code ec;
  if (fs::is_regular_file(gz, ec)) return gz.string();
  if (fs::is_regular_file(plain, ec)) return plain.string();
  OC_FAIL("load_fashion_mnist: ", dir, ": neither ", name, ".gz nor ", name,
          " found (install Debian's dataset-fashion-mnist or set OCELLUS_FASHION_MNIST)");
}

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".pnm", ".bmp"})
    if (ext == e) return true;
  return false;
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

std::string default_fashion_mnist_dir() {
  const char* env = std::getenv("OCELLUS_FASHION_MNIST");
  if (env != nullptr && env[0] != '\0') return env;
  return "/usr/share/datasets/fashion-mnist";
}

ImageDataset load_fashion_mnist(const std::string& dir, const std::string& split, int64_t limit) {
  OC_CHECK(split == "train" || split == "test", "load_fashion_mnist: split must be \"train\" or \"test\", got \"",
           split, "\"");
  OC_CHECK(limit >= 0, "load_fashion_mnist: limit must be >= 0, got ", limit);
  std::error_code ec;
  OC_CHECK(fs::is_directory(dir, ec), "load_fashion_mnist: ", dir,
           ": no such directory (install Debian's dataset-fashion-mnist or set OCELLUS_FASHION_MNIST)");
  const std::string prefix = split == "train" ? "train" : "t10k";
  const std::string image_path = find_idx_file(dir, prefix + "-images-idx3-ubyte");
  const std::string label_path = find_idx_file(dir, prefix + "-labels-idx1-ubyte");
  Tensor images = read_idx(image_path, limit);
  Tensor labels = read_idx(label_path, limit);
  OC_CHECK(images.dtype() == DType::u8 && images.dim() == 3, "load_fashion_mnist: ", image_path,
           ": expected uint8 images [N,H,W], got ", images.str());
  OC_CHECK(labels.dtype() == DType::u8 && labels.dim() == 1, "load_fashion_mnist: ", label_path,
           ": expected uint8 labels [N], got ", labels.str());
  OC_CHECK(images.size(0) == labels.size(0), "load_fashion_mnist: ", image_path, " holds ", images.size(0),
           " images but ", label_path, " holds ", labels.size(0), " labels");
  const int64_t n = labels.size(0);
  const uint8_t* l = labels.data<uint8_t>();
  Tensor labels64 = Tensor::empty({n}, DType::i64);
  int64_t* out = labels64.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    OC_CHECK(l[i] < 10, "load_fashion_mnist: ", label_path, ": label ", int(l[i]), " at index ", i,
             " is outside 0..9");
    out[i] = l[i];
  }
  ImageDataset ds;
  ds.images = reshape(images, {n, 1, images.size(1), images.size(2)});
  ds.labels = labels64;
  ds.num_classes = 10;
  ds.class_names = fashion_mnist_class_names();
  return ds;
}

ImageDataset load_image_folder(const std::string& root, int channels, int64_t limit, bool skip_corrupt) {
  OC_CHECK(channels == 0 || channels == 1 || channels == 3, "load_image_folder: ", root,
           ": channels must be 0 (as stored), 1 or 3, got ", channels);
  OC_CHECK(limit >= 0, "load_image_folder: ", root, ": limit must be >= 0, got ", limit);
  std::error_code ec;
  OC_CHECK(fs::is_directory(root, ec), "load_image_folder: ", root, ": no such directory");
  ImageDataset ds;
  for (const fs::directory_entry& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || !e.is_directory()) continue;
    ds.class_names.push_back(name);
  }
  std::sort(ds.class_names.begin(), ds.class_names.end());
  OC_CHECK(!ds.class_names.empty(), "load_image_folder: ", root,
           ": no class sub-directories (expected root/<class>/<images>)");

  std::vector<std::string> files;
  std::vector<int64_t> labels;
  for (size_t k = 0; k < ds.class_names.size(); ++k) {
    std::vector<std::string> class_files;
    for (const fs::directory_entry& e : fs::directory_iterator(fs::path(root) / ds.class_names[k])) {
      const std::string name = e.path().filename().string();
      if (name.empty() || name[0] == '.' || !e.is_regular_file() || !has_image_extension(e.path())) continue;
      class_files.push_back(e.path().string());
    }
    std::sort(class_files.begin(), class_files.end());
    for (const std::string& f : class_files) {
      files.push_back(f);
      labels.push_back(static_cast<int64_t>(k));
    }
  }
  OC_CHECK(!files.empty(), "load_image_folder: ", root, ": no image files in the class directories");
  if (limit > 0 && limit < static_cast<int64_t>(files.size())) {
    files.resize(static_cast<size_t>(limit));
    labels.resize(static_cast<size_t>(limit));
  }

  // Images go to the next free row as they are read, so a skipped one leaves no gap; the first
  // readable image sets the size every other must share.
  const int64_t n = static_cast<int64_t>(files.size());
  SplitImageReader reader(n, skip_corrupt);
  int64_t rows = 0, first = -1;
  for (int64_t i = 0; i < n; ++i) {
    Tensor img = reader.read(i, files[i], channels);
    if (!img.defined()) continue;
    if (first < 0) {
      first = i;
      ds.images = Tensor::empty({n, img.size(0), img.size(1), img.size(2)}, DType::u8);
    }
    const Shape image_shape{ds.images.size(1), ds.images.size(2), ds.images.size(3)};
    OC_CHECK(img.shape() == image_shape, "load_image_folder: ", files[i], ": image of shape [C,H,W] = ",
             shape_str(img.shape()), " differs from ", shape_str(image_shape), " of ", files[first],
             " (all images must share one size and channel count; pass channels to convert)");
    const int64_t bytes = img.numel();
    std::memcpy(ds.images.data<uint8_t>() + rows * bytes, img.data<uint8_t>(), static_cast<size_t>(bytes));
    ++rows;
  }
  const std::vector<int64_t> kept = reader.kept(str_cat("load_image_folder: ", root));
  std::vector<int64_t> kept_labels;
  for (int64_t i : kept) kept_labels.push_back(labels[static_cast<size_t>(i)]);
  if (rows < n) ds.images = slice(ds.images, 0, 0, rows);
  ds.labels = from_vector(kept_labels, {rows});
  ds.num_classes = static_cast<int64_t>(ds.class_names.size());
  ds.skipped = reader.skipped();
  return ds;
}

}  // namespace oc

// Data: IDX files (plain and gzip), Fashion-MNIST, image folders and image I/O, augmentations, and
// the data loader's order, determinism across worker counts, resumption and normalization.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "tests/helpers.h"
#include "train/data/augment.h"
#include "train/data/dataset.h"
#include "train/data/loader.h"
#include "train/io/idx.h"
#include "train/io/image_io.h"

using namespace oc;
namespace fs = std::filesystem;

namespace {

// A temp dir with this file's prefix.
struct TempDir : test::TempDir {
  TempDir() : test::TempDir("ocellus_data") {}
};

// Removes the old file first: truncating a file that holds data makes ext4 flush it on close (slow).
void write_bytes(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  fs::remove(path, ec);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

// An IDX file: magic 0 0 type ndim, big-endian dims, then `payload` (already big-endian).
std::string idx_bytes(int type, const std::vector<uint32_t>& dims, const std::string& payload) {
  std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int k = 3; k >= 0; --k) s += static_cast<char>(d >> (8 * k));
  return s + payload;
}

std::string big_endian32(const std::vector<uint32_t>& v) {
  std::string s;
  for (uint32_t x : v)
    for (int k = 3; k >= 0; --k) s += static_cast<char>(x >> (8 * k));
  return s;
}

// N images [C,H,W]; element k of sample i is (7 i + 3 k) mod 256; labels i mod classes.
ImageDataset synthetic(int64_t n, int64_t c, int64_t h, int64_t w, int64_t classes = 1000) {
  ImageDataset ds;
  std::vector<uint8_t> px(static_cast<size_t>(n * c * h * w));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c * h * w; ++k) px[i * c * h * w + k] = static_cast<uint8_t>((i * 7 + k * 3) % 256);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[i] = i % classes;
  ds.images = from_vector(px, {n, c, h, w});
  ds.labels = from_vector(labels, {n});
  ds.num_classes = classes;
  return ds;
}

struct Epoch {
  std::vector<std::vector<int64_t>> labels;  // per batch
  std::vector<std::vector<float>> images;
  std::vector<int64_t> indices;
};

Epoch run_epoch(DataLoader& loader, int64_t epoch, int64_t skip = 0) {
  Epoch e;
  loader.start_epoch(epoch, skip);
  Batch b;
  while (loader.next(b)) {
    e.labels.push_back(to_vector<int64_t>(b.labels));
    e.images.push_back(to_vector<float>(b.images));
    e.indices.push_back(b.index);
    REQUIRE(b.images.dtype() == DType::f32);
    REQUIRE(b.images.size(0) == b.labels.size(0));
  }
  return e;
}

}  // namespace

TEST_CASE("data: IDX round trips, plain and gzip, every element type") {
  TempDir dir;
  std::string pixels;
  for (int i = 0; i < 2 * 3 * 4; ++i) pixels += static_cast<char>(i * 10);
  const std::string images = idx_bytes(0x08, {2, 3, 4}, pixels);
  write_bytes(dir.file("images"), images);
  write_gzip(dir.file("images.gz"), images);
  for (const char* name : {"images", "images.gz"}) {
    INFO(name);
    Tensor t = read_idx(dir.file(name));
    REQUIRE(t.dtype() == DType::u8);
    REQUIRE(t.shape() == Shape{2, 3, 4});
    std::vector<uint8_t> v = to_vector<uint8_t>(t);
    REQUIRE(v[0] == 0);
    REQUIRE(v[23] == 230);
    Tensor first = read_idx(dir.file(name), 1);  // only the first item
    REQUIRE(first.shape() == Shape{1, 3, 4});
    REQUIRE(to_vector<uint8_t>(first) == std::vector<uint8_t>(v.begin(), v.begin() + 12));
    REQUIRE(read_idx(dir.file(name), 5).shape() == Shape{2, 3, 4});  // more than there are: all
  }

  write_gzip(dir.file("i32.gz"), idx_bytes(0x0C, {3}, big_endian32({0xFFFFFFFEu, 7, 0x7FFFFFFFu})));
  REQUIRE(read_idx(dir.file("i32.gz")).dtype() == DType::i32);
  REQUIRE(to_vector<int32_t>(read_idx(dir.file("i32.gz"))) == std::vector<int32_t>{-2, 7, INT32_MAX});
  write_bytes(dir.file("i8"), idx_bytes(0x09, {2}, std::string("\xff\x05", 2)));
  REQUIRE(to_vector<int32_t>(read_idx(dir.file("i8"))) == std::vector<int32_t>{-1, 5});
  write_bytes(dir.file("i16"), idx_bytes(0x0B, {2}, std::string("\xff\xfe\x01\x00", 4)));
  REQUIRE(to_vector<int32_t>(read_idx(dir.file("i16"))) == std::vector<int32_t>{-2, 256});
  write_bytes(dir.file("f32"), idx_bytes(0x0D, {1, 2}, big_endian32({0x3fc00000u, 0xc0200000u})));
  REQUIRE(to_vector<float>(read_idx(dir.file("f32"))) == std::vector<float>{1.5f, -2.5f});
  write_bytes(dir.file("f64"), idx_bytes(0x0E, {1}, big_endian32({0x400921fbu, 0x54442d18u})));
  REQUIRE(to_vector<double>(read_idx(dir.file("f64")))[0] == 3.141592653589793);
  write_bytes(dir.file("labels"), idx_bytes(0x08, {0}, ""));
  REQUIRE(read_idx(dir.file("labels")).shape() == Shape{0});
}

TEST_CASE("data: IDX errors name the file and what is wrong") {
  TempDir dir;
  auto expect_error = [&](const std::string& name, const std::string& bytes, bool gzip, const std::string& what) {
    const std::string path = dir.file(name);
    if (gzip) write_gzip(path, bytes); else write_bytes(path, bytes);
    INFO(name << ": expected " << what);
    REQUIRE_THROWS_WITH(read_idx(path), Catch::Contains(path) && Catch::Contains(what));
  };
  REQUIRE_THROWS_WITH(read_idx(dir.file("nope.gz")), Catch::Contains("nope.gz") && Catch::Contains("cannot open"));
  REQUIRE_THROWS_WITH(read_idx(dir.path.string()), Catch::Contains("not a regular file"));
  expect_error("empty", "", false, "shorter than the 4-byte magic");
  expect_error("magic", "PK\x03\x04 a zip file", false, "bad magic");
  expect_error("type", idx_bytes(0x0A, {2}, "ab"), false, "unknown IDX data type 0xa");
  expect_error("ndim", std::string("\0\0\x08\0", 4), false, "0 dimensions");
  expect_error("dims", idx_bytes(0x08, {2, 3}, "").substr(0, 9), false, "truncated in the dimension sizes");
  expect_error("short", idx_bytes(0x08, {2, 3}, "abcde"), false,
               "truncated: the dimensions [2, 3] of unsigned byte need 6 bytes of data, the file has 5");
  expect_error("short.gz", idx_bytes(0x0C, {2}, "abcd"), true, "need 8 bytes of data, the file has 4");
  expect_error("long", idx_bytes(0x08, {2}, "abc"), false, "do not match the data");

  // A gzip stream cut in the middle, and one with corrupted deflate data.
  std::string payload(5000, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 2654435761u) >> 13);
  write_gzip(dir.file("whole.gz"), idx_bytes(0x08, {5000}, payload));
  const std::string gz = read_bytes(dir.file("whole.gz"));
  write_bytes(dir.file("cut.gz"), gz.substr(0, gz.size() / 2));
  REQUIRE_THROWS_WITH(read_idx(dir.file("cut.gz")), Catch::Contains(dir.file("cut.gz")) &&
                                                         Catch::Contains("corrupt or truncated gzip data"));
  std::string flipped = gz;
  for (size_t i = 20; i < 60; ++i) flipped[i] = static_cast<char>(flipped[i] ^ 0xff);
  write_bytes(dir.file("flipped.gz"), flipped);
  REQUIRE_THROWS_WITH(read_idx(dir.file("flipped.gz")), Catch::Contains(dir.file("flipped.gz")) &&
                                                             Catch::Contains("gzip data"));
}

TEST_CASE("data: Fashion-MNIST loads from Debian's dataset-fashion-mnist", "[may_skip]") {
  const std::string dir = default_fashion_mnist_dir();
  if (!fs::is_directory(dir)) {
    test::skip_test(dir + " not found (apt-get install dataset-fashion-mnist, or set OCELLUS_FASHION_MNIST)");
  }
  ImageDataset train = load_fashion_mnist(dir, "train");
  REQUIRE(train.images.shape() == Shape{60000, 1, 28, 28});
  REQUIRE(train.images.dtype() == DType::u8);
  REQUIRE(train.labels.shape() == Shape{60000});
  REQUIRE(train.labels.dtype() == DType::i64);
  REQUIRE(train.size() == 60000);
  REQUIRE(train.num_classes == 10);
  REQUIRE(train.class_names.size() == 10);
  REQUIRE(train.class_names[9] == "Ankle boot");
  std::vector<int64_t> counts(10, 0);
  for (int64_t l : to_vector<int64_t>(train.labels)) ++counts[static_cast<size_t>(std::clamp<int64_t>(l, 0, 9))];
  REQUIRE(counts == std::vector<int64_t>(10, 6000));  // the published split is balanced
  std::vector<uint8_t> px = to_vector<uint8_t>(select(train.images, 0, 0));
  REQUIRE(*std::max_element(px.begin(), px.end()) > 100);  // a real image, not zeros

  ImageDataset test = load_fashion_mnist(dir, "test", 0);
  REQUIRE(test.images.shape() == Shape{10000, 1, 28, 28});
  REQUIRE(test.labels.shape() == Shape{10000});
  ImageDataset few = load_fashion_mnist(dir, "test", 100);
  REQUIRE(few.images.shape() == Shape{100, 1, 28, 28});
  REQUIRE(to_vector<uint8_t>(few.images) == to_vector<uint8_t>(slice(test.images, 0, 0, 100)));
  REQUIRE(to_vector<int64_t>(few.labels) == to_vector<int64_t>(slice(test.labels, 0, 0, 100)));
  REQUIRE_THROWS_WITH(load_fashion_mnist(dir, "valid"), Catch::Contains("split must be \"train\" or \"test\""));
}

TEST_CASE("data: Fashion-MNIST errors name the directory or file") {
  TempDir dir;
  REQUIRE_THROWS_WITH(load_fashion_mnist(dir.file("none"), "train"),
                      Catch::Contains(dir.file("none")) && Catch::Contains("no such directory"));
  REQUIRE_THROWS_WITH(load_fashion_mnist(dir.path.string(), "test"),
                      Catch::Contains("t10k-images-idx3-ubyte.gz nor t10k-images-idx3-ubyte"));
  // Mismatched counts, and a label outside 0..9, in plain (not gzip'd) files.
  write_bytes(dir.file("t10k-images-idx3-ubyte"), idx_bytes(0x08, {2, 2, 2}, std::string(8, '\0')));
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_bytes(0x08, {3}, std::string("\1\2\3", 3)));
  REQUIRE_THROWS_WITH(load_fashion_mnist(dir.path.string(), "test"), Catch::Contains("holds 2 images but"));
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_bytes(0x08, {2}, std::string("\1\12", 2)));
  REQUIRE_THROWS_WITH(load_fashion_mnist(dir.path.string(), "test"),
                      Catch::Contains("label 10 at index 1 is outside 0..9"));
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_bytes(0x08, {2}, std::string("\1\11", 2)));
  ImageDataset ok = load_fashion_mnist(dir.path.string(), "test");
  REQUIRE(ok.images.shape() == Shape{2, 1, 2, 2});
  REQUIRE(to_vector<int64_t>(ok.labels) == std::vector<int64_t>{1, 9});
}

TEST_CASE("data: write_png and read_image round trip, and corrupt images are errors naming the file") {
  TempDir dir;
  std::vector<uint8_t> rgb(3 * 4 * 5);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 17 + 3);
  Tensor img = from_vector(rgb, {3, 4, 5});
  write_png(dir.file("rgb.png"), img);
  Tensor back = read_image(dir.file("rgb.png"));
  REQUIRE(back.shape() == Shape{3, 4, 5});
  REQUIRE(to_vector<uint8_t>(back) == rgb);
  Tensor gray = read_image(dir.file("rgb.png"), 1);
  REQUIRE(gray.shape() == Shape{1, 4, 5});
  write_png(dir.file("strided.png"), transpose(img, 1, 2));  // non-contiguous [3, 5, 4]
  REQUIRE(to_vector<uint8_t>(read_image(dir.file("strided.png"))) == to_vector<uint8_t>(transpose(img, 1, 2)));

  // A binary PGM written by hand reads through the same path.
  write_bytes(dir.file("g.pgm"), std::string("P5\n3 2\n255\n") + std::string("\x00\x10\x20\x30\x40\xff", 6));
  REQUIRE(to_vector<uint8_t>(read_image(dir.file("g.pgm"))) == std::vector<uint8_t>{0, 16, 32, 48, 64, 255});
  REQUIRE(read_image(dir.file("g.pgm"), 3).shape() == Shape{3, 2, 3});

  // The header's size is checked before decoding: a 20-byte file cannot claim 10^10 pixels.
  write_bytes(dir.file("huge.pgm"), std::string("P5\n100000 100000\n255\n") + std::string("\x01\x02", 2));
  REQUIRE_THROWS_WITH(read_image(dir.file("huge.pgm")), Catch::Contains(dir.file("huge.pgm")) &&
                                                         Catch::Contains("100000 x 100000 = 10000000000 pixels"));
  REQUIRE(read_image(dir.file("g.pgm"), 0, 6).shape() == Shape{1, 2, 3});
  REQUIRE_THROWS_WITH(read_image(dir.file("g.pgm"), 0, 5), Catch::Contains("more than the 5 read_image accepts"));

  write_bytes(dir.file("bad.png"), "\x89PNG\r\n\x1a\n this is not really a PNG");
  REQUIRE_THROWS_WITH(read_image(dir.file("bad.png")),
                      Catch::Contains(dir.file("bad.png")) && Catch::Contains("cannot decode"));
  REQUIRE_THROWS_WITH(read_image(dir.file("missing.png")),
                      Catch::Contains(dir.file("missing.png")) && Catch::Contains("cannot open"));
  REQUIRE_THROWS_WITH(write_png(dir.file("x.png"), zeros({3, 4, 4})), Catch::Contains("expected a uint8 [C,H,W]"));
  REQUIRE_THROWS_WITH(write_png(dir.file("no/dir/x.png"), img), Catch::Contains("no/dir/x.png"));
}

TEST_CASE("data: image folder data set from PNGs") {
  TempDir dir;
  const fs::path root = dir.path / "folder";
  fs::create_directories(root / "cat");
  fs::create_directories(root / "dog");
  fs::create_directories(root / ".hidden");
  for (int i = 0; i < 3; ++i)
    write_png((root / "dog" / str_cat("d", i, ".png")).string(), full({1, 6, 5}, 10 + i, DType::u8));
  for (int i = 0; i < 2; ++i)  // an upper-case extension counts too
    write_png((root / "cat" / str_cat("c", i, ".PNG")).string(), full({1, 6, 5}, 50 + i, DType::u8));
  write_bytes((root / "cat" / "notes.txt").string(), "not an image");
  ImageDataset ds = load_image_folder(root.string());
  REQUIRE(ds.class_names == std::vector<std::string>{"cat", "dog"});
  REQUIRE(ds.num_classes == 2);
  REQUIRE(ds.images.shape() == Shape{5, 1, 6, 5});
  REQUIRE(to_vector<int64_t>(ds.labels) == std::vector<int64_t>{0, 0, 1, 1, 1});
  std::vector<uint8_t> firsts;
  for (int64_t i = 0; i < 5; ++i) firsts.push_back(to_vector<uint8_t>(select(ds.images, 0, i))[0]);
  REQUIRE(firsts == std::vector<uint8_t>{50, 51, 10, 11, 12});
  REQUIRE(load_image_folder(root.string(), 3).images.shape() == Shape{5, 3, 6, 5});

  const std::string odd = (root / "dog" / "z_big.png").string();
  write_png(odd, full({1, 7, 5}, 0, DType::u8));
  REQUIRE_THROWS_WITH(load_image_folder(root.string()), Catch::Contains(odd) && Catch::Contains("[1, 7, 5]"));
  fs::remove(odd);
  const std::string corrupt = (root / "cat" / "c9.png").string();
  write_bytes(corrupt, "garbage");
  REQUIRE_THROWS_WITH(load_image_folder(root.string()), Catch::Contains(corrupt) && Catch::Contains("cannot decode"));
  REQUIRE_THROWS_WITH(load_image_folder(dir.file("none")), Catch::Contains("no such directory"));
  fs::create_directories(dir.path / "empty" / "a");
  REQUIRE_THROWS_WITH(load_image_folder(dir.file("empty")), Catch::Contains("no image files"));
}

TEST_CASE("data: augmentations: flip mirrors, crop pads with zeros, affine maps pixels as documented") {
  std::vector<uint8_t> v(2 * 5 * 5);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i + 1);  // no zeros
  Tensor img = from_vector(v, {2, 5, 5});
  auto at = [](const Tensor& t, int64_t c, int64_t y, int64_t x) {
    return int(to_vector<uint8_t>(t)[static_cast<size_t>((c * t.size(1) + y) * t.size(2) + x)]);
  };

  Tensor f = hflip(img);
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t y = 0; y < 5; ++y)
      for (int64_t x = 0; x < 5; ++x) REQUIRE(at(f, c, y, x) == at(img, c, y, 4 - x));
  REQUIRE(to_vector<uint8_t>(hflip(f)) == v);

  Tensor same = crop_with_padding(img, 2, 2, 2);  // the centre of the padded image: no change
  REQUIRE(to_vector<uint8_t>(same) == v);
  Tensor corner = crop_with_padding(img, 2, 0, 0);  // top-left: 2 rows and columns of zeros
  for (int64_t y = 0; y < 5; ++y)
    for (int64_t x = 0; x < 5; ++x)
      REQUIRE(at(corner, 1, y, x) == ((y < 2 || x < 2) ? 0 : at(img, 1, y - 2, x - 2)));
  Tensor far = crop_with_padding(img, 2, 4, 3);
  REQUIRE(at(far, 0, 4, 4) == 0);
  REQUIRE(at(far, 0, 0, 0) == at(img, 0, 2, 1));
  REQUIRE_THROWS_WITH(crop_with_padding(img, 2, 5, 0), Catch::Contains("dy, dx in [0, 2 * padding]"));

  REQUIRE(to_vector<uint8_t>(affine(img, 0, 0, 0, 1)) == v);  // identity
  Tensor shifted = affine(img, 0, 1, 0, 1);                     // one pixel right, zero fill
  for (int64_t y = 0; y < 5; ++y) {
    REQUIRE(at(shifted, 0, y, 0) == 0);
    for (int64_t x = 1; x < 5; ++x) REQUIRE(at(shifted, 0, y, x) == at(img, 0, y, x - 1));
  }
  Tensor rot = affine(img, 90, 0, 0, 1);  // counter-clockwise as displayed: right of centre -> above it
  for (int64_t y = 0; y < 5; ++y)
    for (int64_t x = 0; x < 5; ++x) REQUIRE(at(rot, 1, y, x) == at(img, 1, x, 4 - y));
  Tensor half = affine(img, 0, 0, 0, 0.5);  // shrink about the centre: the border becomes zero
  REQUIRE(at(half, 0, 0, 0) == 0);
  REQUIRE(at(half, 0, 2, 2) == at(img, 0, 2, 2));
  REQUIRE_THROWS_WITH(hflip(zeros({2, 5, 5})), Catch::Contains("hflip: expected a uint8 [C,H,W] image"));

  // Random draws: a fixed (seed, offset) fixes the result; a flip draw is identity or mirror.
  AugmentOptions opt;
  opt.horizontal_flip = true;
  int flips = 0;
  for (int i = 0; i < 64; ++i) {
    Generator g(11);
    g.offset = static_cast<uint64_t>(i) * kAugmentBlocks;
    Tensor a = augment(img, opt, g);
    REQUIRE(g.offset == static_cast<uint64_t>(i + 1) * kAugmentBlocks);
    const bool flipped = to_vector<uint8_t>(a) == to_vector<uint8_t>(f);
    REQUIRE((flipped || to_vector<uint8_t>(a) == v));
    flips += flipped;
  }
  REQUIRE((flips > 16 && flips < 48));
  AugmentOptions all;
  all.random_crop_padding = 2;
  all.horizontal_flip = true;
  all.affine_degrees = 15;
  all.affine_translate = 0.1;
  all.affine_scale_min = 0.9;
  all.affine_scale_max = 1.1;
  std::set<std::pair<int64_t, int64_t>> corners;
  for (int i = 0; i < 200; ++i) {
    Generator g(5);
    g.offset = static_cast<uint64_t>(i) * kAugmentBlocks;
    AugmentDraw d = draw_augment(all, 5, 5, g);
    REQUIRE((d.crop_dy >= 0 && d.crop_dy <= 4 && d.crop_dx >= 0 && d.crop_dx <= 4));
    REQUIRE((std::abs(d.degrees) <= 15 && std::abs(d.translate_x) <= 0.5 && d.scale >= 0.9 && d.scale <= 1.1));
    corners.insert({d.crop_dy, d.crop_dx});
  }
  REQUIRE(corners.size() == 25);  // every crop offset occurs
  Generator g1(9), g2(9);
  REQUIRE(to_vector<uint8_t>(augment(img, all, g1)) == to_vector<uint8_t>(augment(img, all, g2)));
  AugmentOptions bad;
  bad.affine_scale_min = 2;
  REQUIRE_THROWS_WITH(bad.check(), Catch::Contains("affine_scale_min <= affine_scale_max"));
}

TEST_CASE("data: loader visits every sample once per epoch, in batches, in order") {
  ImageDataset ds = synthetic(103, 1, 4, 4);
  LoaderOptions opt;
  opt.batch_size = 10;
  opt.seed = 5;
  opt.workers = 2;
  DataLoader loader(ds, opt);
  REQUIRE(loader.batches_per_epoch() == 11);
  Epoch e = run_epoch(loader, 0);
  REQUIRE(e.labels.size() == 11);
  REQUIRE(e.labels.back().size() == 3);
  std::vector<int64_t> idx(11);
  std::iota(idx.begin(), idx.end(), 0);
  REQUIRE(e.indices == idx);
  std::vector<int64_t> seen;
  for (const auto& b : e.labels) seen.insert(seen.end(), b.begin(), b.end());
  std::vector<int64_t> expect(103);
  std::iota(expect.begin(), expect.end(), 0);
  REQUIRE(seen != expect);  // shuffled...
  REQUIRE(seen == DataLoader::epoch_order(103, true, 5, 0));
  std::sort(seen.begin(), seen.end());
  REQUIRE(seen == expect);  // ...and each sample exactly once
  Batch b;
  REQUIRE_FALSE(loader.next(b));  // the end stays the end
  REQUIRE_FALSE(loader.next(b));

  // Images travel with their labels: sample i's first pixel is (7 i) mod 256, scaled to [0, 1].
  for (size_t k = 0; k < e.labels[0].size(); ++k)
    REQUIRE(e.images[0][k * 16] == Approx(((e.labels[0][k] * 7) % 256) / 255.0));

  // The order is randperm(N) from Generator(seed + epoch): reproducible across loaders and processes.
  Generator g(5 + 3);
  std::vector<int64_t> perm = to_vector<int64_t>(randperm(103, &g));
  DataLoader other(ds, opt);
  Epoch e3 = run_epoch(other, 3);
  REQUIRE(std::vector<int64_t>(perm.begin(), perm.begin() + 10) == e3.labels[0]);
  REQUIRE(run_epoch(loader, 3).labels == e3.labels);
  REQUIRE(run_epoch(loader, 4).labels != e3.labels);  // different epochs differ

  opt.shuffle = false;
  opt.drop_last = true;
  DataLoader plain(ds, opt);
  REQUIRE(plain.batches_per_epoch() == 10);
  Epoch p = run_epoch(plain, 7);
  REQUIRE(p.labels.size() == 10);
  for (size_t k = 0; k < p.labels.size(); ++k) {
    REQUIRE(p.labels[k].size() == 10);
    REQUIRE(p.labels[k][0] == static_cast<int64_t>(k * 10));
  }
}

TEST_CASE("data: loader output is the same for 0, 1 and 3 workers, with augmentation, and skip_batches resumes") {
  ImageDataset ds = synthetic(61, 3, 8, 8);
  LoaderOptions opt;
  opt.batch_size = 8;
  opt.seed = 1234;
  opt.augment.random_crop_padding = 2;
  opt.augment.horizontal_flip = true;
  opt.augment.affine_degrees = 10;
  opt.augment.affine_translate = 0.1;
  opt.augment.affine_scale_min = 0.9;
  opt.augment.affine_scale_max = 1.1;
  opt.workers = 1;
  DataLoader one(ds, opt);
  opt.workers = 3;
  opt.prefetch = 2;
  DataLoader three(ds, opt);
  opt.workers = 0;
  DataLoader inline_loader(ds, opt);
  Epoch a = run_epoch(one, 2), b = run_epoch(three, 2), c = run_epoch(inline_loader, 2);
  REQUIRE(a.labels == b.labels);
  REQUIRE(a.images == b.images);
  REQUIRE(a.images == c.images);
  Epoch a_again = run_epoch(one, 2);
  REQUIRE(a_again.images == a.images);

  // Augmentation is on (pixels differ from the plain loader), and changes with the epoch.
  LoaderOptions no_aug = opt;
  no_aug.augment = AugmentOptions();
  DataLoader plain(ds, no_aug);
  Epoch p = run_epoch(plain, 2);
  REQUIRE(p.labels == a.labels);
  REQUIRE(p.images != a.images);
  Epoch a3 = run_epoch(one, 3);
  REQUIRE(a3.labels != a.labels);

  // The draw is keyed by the sample, not its position: unshuffled, each sample looks the same.
  LoaderOptions in_order = opt;
  in_order.shuffle = false;
  DataLoader ordered(ds, in_order);
  Epoch o = run_epoch(ordered, 2);
  const size_t chw = 3 * 8 * 8;
  auto image_of = [&](const Epoch& e, int64_t sample) {
    for (size_t k = 0; k < e.labels.size(); ++k)
      for (size_t j = 0; j < e.labels[k].size(); ++j)
        if (e.labels[k][j] == sample)
          return std::vector<float>(e.images[k].begin() + j * chw, e.images[k].begin() + (j + 1) * chw);
    return std::vector<float>();
  };
  for (int64_t s = 0; s < 61; ++s) {
    REQUIRE(image_of(o, s).size() == chw);
    REQUIRE(image_of(o, s) == image_of(a, s));
  }

  // Resume: skipping 3 batches gives exactly batches 3.. of the full epoch.
  Epoch r = run_epoch(three, 2, 3);
  REQUIRE(r.indices.front() == 3);
  REQUIRE(r.labels == std::vector<std::vector<int64_t>>(a.labels.begin() + 3, a.labels.end()));
  REQUIRE(r.images == std::vector<std::vector<float>>(a.images.begin() + 3, a.images.end()));
  REQUIRE(run_epoch(three, 2, three.batches_per_epoch()).labels.empty());
  REQUIRE_THROWS_WITH(three.start_epoch(2, 9), Catch::Contains("skip_batches must be in [0, 8]"));
}

TEST_CASE("data: loader normalization, shutdown mid-epoch, and option errors") {
  ImageDataset ds = synthetic(20, 1, 2, 2);
  LoaderOptions opt;
  opt.batch_size = 4;
  opt.shuffle = false;
  opt.mean = 0.5;
  opt.std = 0.25;
  DataLoader loader(ds, opt);
  loader.start_epoch(0);
  Batch b;
  REQUIRE(loader.next(b));
  REQUIRE(b.images.shape() == Shape{4, 1, 2, 2});
  REQUIRE(b.labels.dtype() == DType::i64);
  std::vector<uint8_t> raw = to_vector<uint8_t>(slice(ds.images, 0, 0, 4));
  std::vector<float> got = to_vector<float>(b.images);
  for (size_t k = 0; k < raw.size(); ++k) REQUIRE(got[k] == Approx((raw[k] / 255.0 - 0.5) / 0.25).epsilon(1e-6));

  // Abandoning an epoch (restart, or destruction) with batches still in flight joins cleanly.
  for (int i = 0; i < 20; ++i) {
    opt.workers = 3;
    opt.prefetch = 1 + i % 3;
    DataLoader l(ds, opt);
    l.start_epoch(i);
    if (i % 2) REQUIRE(l.next(b));
    l.start_epoch(i + 1, 1);
  }

  // Labels of another integer dtype arrive as int64.
  ImageDataset labels32 = ds;
  labels32.labels = to(ds.labels, DType::i32);
  DataLoader l32(labels32, opt);
  l32.start_epoch(0);
  REQUIRE(l32.next(b));
  REQUIRE(b.labels.dtype() == DType::i64);
  REQUIRE(to_vector<int64_t>(b.labels) == std::vector<int64_t>{0, 1, 2, 3});

  DataLoader fresh(ds, opt);
  REQUIRE_THROWS_WITH(fresh.next(b), Catch::Contains("call start_epoch first"));
  LoaderOptions bad = opt;
  bad.batch_size = 0;
  REQUIRE_THROWS_WITH(DataLoader(ds, bad), Catch::Contains("batch_size must be >= 1"));
  bad = opt;
  bad.std = 0;
  REQUIRE_THROWS_WITH(DataLoader(ds, bad), Catch::Contains("std > 0"));
  bad = opt;
  bad.augment.random_crop_padding = -1;
  REQUIRE_THROWS_WITH(DataLoader(ds, bad), Catch::Contains("random_crop_padding must be >= 0"));
  ImageDataset wrong = ds;
  wrong.images = zeros({20, 1, 2, 2});
  REQUIRE_THROWS_WITH(DataLoader(wrong, opt), Catch::Contains("images must be uint8 [N,C,H,W]"));
  ImageDataset empty = synthetic(0, 1, 2, 2);
  DataLoader none(empty, opt);
  REQUIRE(none.batches_per_epoch() == 0);
  none.start_epoch(0);
  REQUIRE_FALSE(none.next(b));
}

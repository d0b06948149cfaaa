// safetensors checkpoints: round trips of every dtype, the exact byte layout, atomic writes, every
// kind of corrupt file (an oc::Error naming the file, never a crash), and Python reading our files.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/helpers.h"
#include "train/io/safetensors.h"

using namespace oc;
namespace fs = std::filesystem;

namespace {

// A temp dir with this file's prefix.
struct TempDir : test::TempDir {
  TempDir() : test::TempDir("ocellus_safetensors") {}
};

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Removes the old file first: truncating a file that holds data makes ext4 flush it on close (slow).
void write_bytes(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  fs::remove(path, ec);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int k = 0; k < 8; ++k) s[k] = static_cast<char>(n >> (8 * k));
  return s;
}

// A file with the given header JSON (padded to 8) and `data_bytes` bytes of data.
std::string make_file(std::string header, size_t data_bytes) {
  header.append((8 - header.size() % 8) % 8, ' ');
  return le64(header.size()) + header + std::string(data_bytes, '\0');
}

// The raw bytes of a tensor's elements, row-major.
std::string tensor_bytes(const Tensor& t) {
  Tensor c = contiguous(t);
  return std::string(static_cast<const char*>(c.raw_data()), static_cast<size_t>(c.numel()) * dtype_size(c.dtype()));
}

std::vector<NamedTensor> every_dtype() {
  Tensor t23 = from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  return {
      {"f32", from_vector<float>({0.5f, -1.25f, 3.0e-8f, 1.0e20f, 0.0f, -0.0f}, {2, 3})},
      {"f64", from_vector<double>({3.141592653589793, -1e300, 2.5e-310}, {3})},
      {"bf16", to(from_vector<float>({1.5f, -2.25f, 3.0e10f}, {3}), DType::bf16)},
      {"i64", from_vector<int64_t>({INT64_MIN, -1, 0, INT64_MAX}, {2, 2})},
      {"i32", from_vector<int32_t>({INT32_MIN, 7, INT32_MAX}, {3, 1})},
      {"u8", from_vector<uint8_t>({0, 1, 128, 255}, {1, 2, 2})},
      {"bool", from_vector<bool>({true, false, false, true, true}, {5})},
      {"scalar", from_vector<float>({42.0f}, {})},
      {"empty", zeros({0, 3})},
      {"transposed", transpose(t23, 0, 1)},  // non-contiguous: saved as its logical [3, 2] values
      {"backbone.conv1.weight", from_vector<float>({1, -1}, {1, 1, 1, 2})},
  };
}

}  // namespace

TEST_CASE("safetensors: round trip of every dtype, 0-d, empty and strided tensors, with metadata") {
  TempDir dir;
  const std::string path = dir.file("all.safetensors");
  std::vector<NamedTensor> tensors = every_dtype();
  std::map<std::string, std::string> meta = {{"epoch", "3"},
                                             {"config", "{\"lr\": 0.1,\n \"path\": \"a\\\\b\"}"},
                                             {"unicode", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x99\x82"},
                                             {"control", std::string("tab\tbell\x07", 9)}};
  save_safetensors(path, tensors, meta);
  SafetensorsFile f = load_safetensors(path);
  REQUIRE(f.metadata == meta);
  REQUIRE(f.tensors.size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    INFO(tensors[i].name);
    const Tensor& got = f.tensors[i].tensor;
    REQUIRE(f.tensors[i].name == tensors[i].name);  // header order kept
    REQUIRE(got.dtype() == tensors[i].tensor.dtype());
    REQUIRE(got.shape() == tensors[i].tensor.shape());
    REQUIRE(got.device().is_cpu());
    REQUIRE(got.is_contiguous());
    REQUIRE(tensor_bytes(got) == tensor_bytes(tensors[i].tensor));
  }
  REQUIRE(to_vector<float>(*f.find("transposed")) == std::vector<float>{1, 4, 2, 5, 3, 6});
  REQUIRE(f.find("scalar")->dim() == 0);
  REQUIRE(f.find("missing") == nullptr);

  // No metadata: no "__metadata__" key at all; no tensors: a valid, empty file.
  save_safetensors(path, {{"x", ones({2})}});
  REQUIRE(read_bytes(path).find("__metadata__") == std::string::npos);
  REQUIRE(load_safetensors(path).metadata.empty());
  save_safetensors(path, {});
  REQUIRE(load_safetensors(path).tensors.empty());
}

TEST_CASE("safetensors: byte-exact layout of a tiny file") {
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  save_safetensors(path, {{"a", from_vector<float>({1.0f, 2.0f}, {2})}, {"b", from_vector<uint8_t>({7}, {})}},
                   {{"k", "v"}});
  const std::string header =
      R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"U8","shape":[],"data_offsets":[8,9]}})";
  std::string padded = header + std::string((8 - header.size() % 8) % 8, ' ');
  REQUIRE(padded.size() % 8 == 0);
  const std::string want = le64(padded.size()) + padded + std::string("\x00\x00\x80\x3f\x00\x00\x00\x40\x07", 9);
  REQUIRE(read_bytes(path) == want);
}

TEST_CASE("safetensors: writes are atomic and replace the old file, and bad names are refused") {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  write_bytes(path, "an older, unrelated file");
  save_safetensors(path, {{"w", full({3}, 2.0)}});
  REQUIRE(to_vector<float>(*load_safetensors(path).find("w")) == std::vector<float>{2, 2, 2});
  save_safetensors(path, {{"w", full({2}, 5.0)}});  // over an existing checkpoint
  REQUIRE(to_vector<float>(*load_safetensors(path).find("w")) == std::vector<float>{5, 5});
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir.path)) left.push_back(e.path().filename().string());
  REQUIRE(left == std::vector<std::string>{"ckpt.safetensors"});  // no temporary file left behind

  const std::string old_bytes = read_bytes(path);
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"a", ones({1})}, {"a", ones({1})}}),
                      Catch::Contains(path) && Catch::Contains("duplicate tensor name \"a\""));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"", ones({1})}}), Catch::Contains("empty name"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"__metadata__", ones({1})}}), Catch::Contains("reserved"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"u", Tensor()}}), Catch::Contains("\"u\" is undefined"));
  REQUIRE(read_bytes(path) == old_bytes);  // a refused save leaves the old file alone

  const std::string nowhere = dir.file("no/such/dir/x.safetensors");
  REQUIRE_THROWS_WITH(save_safetensors(nowhere, {{"w", ones({1})}}),
                      Catch::Contains(nowhere) && Catch::Contains("cannot create the temporary file"));
}

TEST_CASE("safetensors: corrupt and truncated files are errors naming the file and the problem") {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  auto expect_error = [&](const std::string& bytes, const std::string& problem) {
    write_bytes(path, bytes);
    INFO("expected: " << problem);
    REQUIRE_THROWS_WITH(load_safetensors(path), Catch::Contains(path) && Catch::Contains(problem));
  };
  const std::string f32x2 = R"("dtype":"F32","shape":[2])";

  REQUIRE_THROWS_WITH(load_safetensors(dir.file("missing.safetensors")),
                      Catch::Contains("missing.safetensors") && Catch::Contains("cannot open"));
  expect_error("", "too short for the 8-byte header length");
  expect_error("\x10\x00\x00", "too short for the 8-byte header length");
  expect_error(le64(1000) + "{}      ", "header length 1000 exceeds");
  expect_error(le64(uint64_t(1) << 63) + "{}      ", "exceeds");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,8]})", 8), "bad JSON header");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,8]}}})", 8),
               "syntax error while parsing value - unexpected '}'; expected end of input");
  expect_error(make_file(R"([1, 2])", 0), "must be a JSON object");
  expect_error(make_file(R"({"a":"b\q"})", 0), "forbidden character after backslash");
  expect_error(make_file(std::string(200, '[') + std::string(200, ']'), 0), "must be a JSON object");
  expect_error(make_file("{\"a\":" + std::string(200, '[') + std::string(200, ']') + "}", 0), "nested too deeply");
  expect_error(make_file(R"({"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})", 8), "unknown dtype \"F17\"");
  expect_error(make_file(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4),
               "dtype F16 is not supported");
  expect_error(make_file(R"({"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", 8), "dtype must be a string");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,16]}})", 8), "exceed the 8-byte data section");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[8,0]}})", 8), "end before they begin");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,-8]}})", 8), "data_offsets must be");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0]}})", 8), "data_offsets must be");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
               "shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", 8),
               "needs too many bytes");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
               "shape entries must be non-negative integers, got -2");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8),
               "shape entries must be non-negative integers, got 2.0");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,8]},"b":{)" + f32x2 +
                             R"(,"data_offsets":[4,12]}})", 12),
               "tensor \"b\" at data_offsets [4, 12] overlaps tensor \"a\"");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,8]},"b":{)" + f32x2 +
                             R"(,"data_offsets":[12,20]}})", 20),
               "gap in the data section: bytes [8, 12)");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,8]}})", 12), "4 bytes after the last tensor");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,8]},"a":{)" + f32x2 +
                             R"(,"data_offsets":[8,16]}})", 16),
               "key \"a\" appears twice");
  expect_error(make_file(R"({"a":{"dtype":"F32",)" + f32x2 + R"(,"data_offsets":[0,8]}})", 8),
               "key \"dtype\" appears twice");
  expect_error(make_file(R"({"__metadata__":{"k":"a","k":"b"}})", 0), "key \"k\" appears twice");
  expect_error(make_file(R"({"a":{)" + f32x2 + "}}", 8), "missing \"data_offsets\"");
  expect_error(make_file(R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,8],"offset":1}})", 8), "unknown key \"offset\"");
  expect_error(make_file(R"({"a":[1]})", 0), "tensor \"a\": expected an object, got an array");
  expect_error(make_file(R"({"__metadata__":{"epoch":3}})", 0), "__metadata__.epoch must be a string, got a number");
  expect_error(make_file(R"({"__metadata__":"x"})", 0), "\"__metadata__\" must be an object");
  std::string bad_bool = make_file(R"({"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", 2);
  bad_bool.back() = 2;
  expect_error(bad_bool, "of BOOL holds byte 2 at element 1");
}

TEST_CASE("safetensors: every truncation and many byte flips of a valid file fail cleanly") {
  TempDir dir;
  const std::string good = dir.file("good.safetensors"), path = dir.file("cut.safetensors");
  save_safetensors(good, {{"w", from_vector<float>({1, 2, 3}, {3})}, {"b", from_vector<int64_t>({5}, {1})}},
                   {{"step", "12"}});
  const std::string bytes = read_bytes(good);
  for (size_t n = 0; n < bytes.size(); ++n) {
    write_bytes(path, bytes.substr(0, n));
    INFO("truncated to " << n << " of " << bytes.size() << " bytes");
    REQUIRE_THROWS_AS(load_safetensors(path), Error);
  }
  // Flipping header bytes either still parses to a valid file or is an oc::Error, never a crash.
  int errors = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string b = bytes;
    b[i] = static_cast<char>(b[i] ^ 0x5a);
    write_bytes(path, b);
    try {
      load_safetensors(path);
    } catch (const Error& e) {
      ++errors;
      REQUIRE(std::string(e.what()).find(path) != std::string::npos);
    }
  }
  REQUIRE(errors > 0);
}

TEST_CASE("safetensors: Python (json + struct only) reads our file", "[may_skip]") {
  if (!fs::exists("/usr/bin/python3")) {
    test::skip_test("/usr/bin/python3 not found");
  }
  TempDir dir;
  const std::string path = dir.file("py.safetensors"), out = dir.file("py.json"), err = dir.file("py.err");
  std::vector<NamedTensor> tensors = every_dtype();
  save_safetensors(path, tensors, {{"format", "pt"}, {"epoch", "7"}});
  const std::string cmd = str_cat("/usr/bin/python3 ", OCELLUS_SOURCE_DIR, "/tests/read_safetensors.py '", path,
                                  "' > '", out, "' 2> '", err, "'");
  int rc = std::system(cmd.c_str());
  INFO(cmd << "\n" << read_bytes(err));
  REQUIRE(rc == 0);
  nlohmann::json j = nlohmann::json::parse(read_bytes(out));
  REQUIRE(j["header_len"].get<uint64_t>() % 8 == 0);
  REQUIRE(j["metadata"] == nlohmann::json({{"format", "pt"}, {"epoch", "7"}}));
  std::vector<std::string> order;
  for (const NamedTensor& t : tensors) order.push_back(t.name);
  REQUIRE(j["order"].get<std::vector<std::string>>() == order);
  for (const NamedTensor& t : tensors) {
    INFO(t.name);
    const nlohmann::json& e = j["tensors"][t.name];
    REQUIRE(e["dtype"] == safetensors_dtype_name(t.tensor.dtype()));
    REQUIRE(e["shape"].get<std::vector<int64_t>>() == t.tensor.shape());
    if (t.tensor.dtype() == DType::i64 || t.tensor.dtype() == DType::i32 || t.tensor.dtype() == DType::u8) {
      REQUIRE(e["values"].get<std::vector<int64_t>>() == to_vector<int64_t>(t.tensor));
    } else if (t.tensor.dtype() == DType::b8) {
      REQUIRE(e["values"].get<std::vector<bool>>() == to_vector<bool>(t.tensor));
    } else {
      REQUIRE(e["values"].get<std::vector<double>>() == to_vector<double>(t.tensor));
    }
  }
}

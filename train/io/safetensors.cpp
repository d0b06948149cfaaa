// safetensors writer and validating reader. The header is small JSON, read with nlohmann_json
// (ordered, so tensors load in the order they were written) after a strict first pass.
#include "train/io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/enum_names.h"
#include "kernels/copy/copy.h"
#include "train/io/atomic_file.h"
#include "train/io/fd.h"

namespace oc {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; so must the host be");

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // as the reference implementation: 100 MB
constexpr int kMaxJsonDepth = 64;

// --- the header's JSON ----------------------------------------------------------------------------

// ordered_json keeps the file's key order, so tensors load in the order they were written.
using ojson = nlohmann::ordered_json;

const char* kind_name(const ojson& v) {
  switch (v.type()) {
    case ojson::value_t::null: return "null";
    case ojson::value_t::boolean: return "a boolean";
    case ojson::value_t::string: return "a string";
    case ojson::value_t::array: return "an array";
    case ojson::value_t::object: return "an object";
    default: return "a number";
  }
}

// A first, event-only pass over the header that rejects what nlohmann would accept silently: a key
// twice in one object (the DOM keeps only one of them), nesting deeper than kMaxJsonDepth, and a
// document that is not an object.
class HeaderShapeCheck : public nlohmann::json_sax<ojson> {
 public:
  std::string problem;

  bool null() override { return top_level_is_object(); }
  bool boolean(bool) override { return top_level_is_object(); }
  bool number_integer(number_integer_t) override { return top_level_is_object(); }
  bool number_unsigned(number_unsigned_t) override { return top_level_is_object(); }
  bool number_float(number_float_t, const string_t&) override { return top_level_is_object(); }
  bool string(string_t&) override { return top_level_is_object(); }
  bool binary(binary_t&) override { return top_level_is_object(); }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return enter();
  }
  bool key(string_t& k) override {
    if (keys_.back().insert(k).second) return true;
    problem = "key \"" + k + "\" appears twice in one object";
    return false;
  }
  bool end_object() override {
    keys_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return top_level_is_object() && enter(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    // nlohmann's message without its "[json.exception.parse_error.101] " prefix.
    const std::string what = e.what();
    const size_t cut = what.find("] ");
    problem = "bad JSON header: " + (cut == std::string::npos ? what : what.substr(cut + 2));
    return false;
  }

 private:
  bool top_level_is_object() {
    if (depth_ > 0) return true;
    problem = "the header must be a JSON object";
    return false;
  }
  bool enter() {
    if (++depth_ <= kMaxJsonDepth) return true;
    problem = str_cat("the header is nested too deeply (more than ", kMaxJsonDepth, " levels)");
    return false;
  }
  std::vector<std::set<std::string>> keys_;
  int depth_ = 0;
};

ojson parse_header(const std::string& text, const std::string& where) {
  HeaderShapeCheck check;
  if (!ojson::sax_parse(text, &check)) OC_FAIL(where, ": ", check.problem);
  return ojson::parse(text);
}

// --- dtypes ---------------------------------------------------------------------------------------

constexpr EnumName<DType> kDTypeNames[] = {{DType::f32, "F32"}, {DType::f64, "F64"}, {DType::bf16, "BF16"},
                                           {DType::i64, "I64"}, {DType::i32, "I32"}, {DType::u8, "U8"},
                                           {DType::b8, "BOOL"}};

bool dtype_from_name(const std::string& s, DType& t) {
  for (const auto& e : kDTypeNames)
    if (s == e.name) {
      t = e.value;
      return true;
    }
  return false;
}

bool known_unsupported_dtype(const std::string& s) {
  for (const char* name : {"F16", "F8_E4M3", "F8_E5M2", "I8", "I16", "U16", "U32", "U64", "C64", "F4", "F6_E2M3",
                           "F6_E3M2", "E8M0", "F8_E8M0"})
    if (s == name) return true;
  return false;
}

// A non-negative integer that fits in uint64 (nlohmann reads larger ones as floats).
bool json_uint(const ojson& v, uint64_t& out) {
  if (!v.is_number_unsigned()) return false;
  out = v.get<uint64_t>();
  return true;
}

// --- files ----------------------------------------------------------------------------------------

// Reads n bytes at `offset`; returns the count read (short only at the end of the file).
size_t read_at(int fd, void* data, size_t n, uint64_t offset, const std::string& path) {
  char* p = static_cast<char*>(data);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, p + done, std::min<size_t>(n - done, size_t(1) << 30),
                        static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      OC_FAIL("load_safetensors: ", path, ": read error (", std::strerror(errno), ")");
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

}  // namespace

const char* safetensors_dtype_name(DType dtype) { return enum_to_name(kDTypeNames, dtype); }

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const NamedTensor& t : tensors)
    if (t.name == name) return &t.tensor;
  return nullptr;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Contiguous CPU copies, and the header that describes them.
  std::set<std::string> names;
  std::vector<Tensor> data;
  data.reserve(tensors.size());
  ojson header_json = ojson::object();
  if (!metadata.empty()) {
    ojson& m = header_json["__metadata__"] = ojson::object();
    for (const auto& [k, v] : metadata) m[k] = v;
  }
  uint64_t offset = 0;
  for (const NamedTensor& nt : tensors) {
    OC_CHECK(!nt.name.empty(), "save_safetensors: ", path, ": a tensor has an empty name");
    OC_CHECK(nt.name != "__metadata__", "save_safetensors: ", path,
             ": \"__metadata__\" is reserved, not a tensor name");
    OC_CHECK(names.insert(nt.name).second, "save_safetensors: ", path, ": duplicate tensor name \"", nt.name, "\"");
    OC_CHECK(nt.tensor.defined(), "save_safetensors: ", path, ": tensor \"", nt.name, "\" is undefined");
    Tensor t = contiguous(to(nt.tensor.detach(), Device::cpu()));
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * dtype_size(t.dtype());
    ojson& entry = header_json[nt.name] = ojson::object();
    entry["dtype"] = safetensors_dtype_name(t.dtype());
    entry["shape"] = ojson::array();
    for (int64_t d = 0; d < t.dim(); ++d) entry["shape"].push_back(t.size(d));
    entry["data_offsets"] = ojson::array({offset, offset + nbytes});
    offset += nbytes;
    data.push_back(std::move(t));
  }
  std::string header;
  try {
    header = header_json.dump();  // compact, in insertion order
  } catch (const nlohmann::json::exception& e) {
    OC_FAIL("save_safetensors: ", path, ": a tensor name or metadata string is not valid UTF-8 (", e.what(), ")");
  }
  header.append((8 - header.size() % 8) % 8, ' ');

  unsigned char len[8];
  for (int k = 0; k < 8; ++k) len[k] = static_cast<unsigned char>(static_cast<uint64_t>(header.size()) >> (8 * k));
  std::vector<ByteSpan> pieces = {{len, 8}, {header.data(), header.size()}};
  for (const Tensor& t : data) pieces.push_back({t.raw_data(), static_cast<size_t>(t.numel()) * dtype_size(t.dtype())});
  write_file_atomic(path, pieces);
}

SafetensorsFile load_safetensors(const std::string& path) {
  const std::string where = str_cat("load_safetensors: ", path);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  OC_CHECK(fd.get() >= 0, where, ": cannot open (", std::strerror(errno), ")");
  struct stat st;
  OC_CHECK(::fstat(fd.get(), &st) == 0, where, ": cannot stat (", std::strerror(errno), ")");
  OC_CHECK(S_ISREG(st.st_mode), where, ": not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  OC_CHECK(file_size >= 8, where, ": truncated: ", file_size, " bytes, too short for the 8-byte header length");

  unsigned char len[8];
  OC_CHECK(read_at(fd.get(), len, 8, 0, path) == 8, where, ": truncated while reading the header length");
  uint64_t header_len = 0;
  for (int k = 7; k >= 0; --k) header_len = (header_len << 8) | len[k];
  OC_CHECK(header_len <= file_size - 8, where, ": header length ", header_len, " exceeds the ", file_size - 8,
           " bytes after the length field (truncated or not a safetensors file)");
  OC_CHECK(header_len <= kMaxHeaderBytes, where, ": header length ", header_len, " exceeds the ", kMaxHeaderBytes,
           "-byte limit");
  std::string header(static_cast<size_t>(header_len), '\0');
  OC_CHECK(read_at(fd.get(), header.data(), header.size(), 8, path) == header.size(), where,
           ": truncated while reading the header");
  const uint64_t data_start = 8 + header_len, data_size = file_size - data_start;

  const ojson root = parse_header(header, where);  // an object, without repeated keys
  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, value] : root.items()) {
    if (name == "__metadata__") {
      OC_CHECK(value.is_object(), where, ": \"__metadata__\" must be an object, got ", kind_name(value));
      for (const auto& [k, v] : value.items()) {
        OC_CHECK(v.is_string(), where, ": __metadata__.", k, " must be a string, got ", kind_name(v));
        out.metadata.emplace(k, v.get<std::string>());
      }
      continue;
    }
    OC_CHECK(!name.empty(), where, ": a tensor has an empty name");
    const std::string what = str_cat(where, ": tensor \"", name, "\"");
    OC_CHECK(value.is_object(), what, ": expected an object, got ", kind_name(value));
    for (const auto& [k, v] : value.items())
      OC_CHECK(k == "dtype" || k == "shape" || k == "data_offsets", what, ": unknown key \"", k,
               "\" (expected dtype, shape, data_offsets)");
    for (const char* k : {"dtype", "shape", "data_offsets"}) OC_CHECK(value.contains(k), what, ": missing \"", k, "\"");
    const ojson &dtype = value["dtype"], &shape = value["shape"], &offsets = value["data_offsets"];
    Entry e;
    e.name = name;
    OC_CHECK(dtype.is_string(), what, ": dtype must be a string, got ", kind_name(dtype));
    const std::string dtype_name = dtype.get<std::string>();
    if (!dtype_from_name(dtype_name, e.dtype)) {
      OC_CHECK(!known_unsupported_dtype(dtype_name), what, ": dtype ", dtype_name,
               " is not supported (F32, F64, BF16, I64, I32, U8, BOOL)");
      OC_FAIL(what, ": unknown dtype \"", dtype_name, "\"");
    }
    OC_CHECK(shape.is_array(), what, ": shape must be an array, got ", kind_name(shape));
    OC_CHECK(shape.size() <= static_cast<size_t>(kMaxDims), what, ": ", shape.size(),
             " dimensions (at most ", kMaxDims, " supported)");
    uint64_t numel = 1;
    bool overflow = false;
    for (const ojson& d : shape) {
      uint64_t n = 0;
      OC_CHECK(json_uint(d, n) && n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), what,
               ": shape entries must be non-negative integers, got ",
               d.is_number() ? d.dump() : kind_name(d));
      e.shape.push_back(static_cast<int64_t>(n));
      overflow = overflow || (n != 0 && numel > std::numeric_limits<uint64_t>::max() / 16 / n);
      numel = overflow ? numel : numel * n;
    }
    OC_CHECK(offsets.is_array() && offsets.size() == 2 && json_uint(offsets[0], e.begin) && json_uint(offsets[1], e.end),
             what, ": data_offsets must be [begin, end] with non-negative integers");
    OC_CHECK(e.begin <= e.end, what, ": data_offsets [", e.begin, ", ", e.end, "] end before they begin");
    OC_CHECK(e.end <= data_size, what, ": data_offsets [", e.begin, ", ", e.end, "] exceed the ", data_size,
             "-byte data section (truncated file?)");
    const uint64_t nbytes = overflow ? 0 : numel * dtype_size(e.dtype);
    OC_CHECK(!overflow && nbytes == e.end - e.begin, what, ": shape ", shape_str(e.shape), " of ", dtype_name,
             " needs ", overflow ? std::string("too many") : std::to_string(nbytes), " bytes but data_offsets [",
             e.begin, ", ", e.end, "] hold ", e.end - e.begin);
    entries.push_back(std::move(e));
  }

  // The tensors must tile the data section exactly: no overlap, no gap, nothing after the last one.
  std::vector<const Entry*> by_offset;
  for (const Entry& e : entries) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t pos = 0;
  const Entry* prev = nullptr;
  for (const Entry* e : by_offset) {
    OC_CHECK(e->begin >= pos, where, ": tensor \"", e->name, "\" at data_offsets [", e->begin, ", ", e->end,
             "] overlaps tensor \"", prev ? prev->name : "", "\" ending at ", pos);
    OC_CHECK(e->begin == pos, where, ": gap in the data section: bytes [", pos, ", ", e->begin,
             ") belong to no tensor (before tensor \"", e->name, "\")");
    pos = e->end;
    prev = e;
  }
  OC_CHECK(pos == data_size, where, ": the data section has ", data_size - pos, " bytes after the last tensor (",
           data_size, " in all, ", pos, " described by the header)");

  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    const size_t nbytes = static_cast<size_t>(e.end - e.begin);
    if (nbytes > 0) {
      OC_CHECK(read_at(fd.get(), t.raw_data(), nbytes, data_start + e.begin, path) == nbytes, where,
               ": truncated while reading tensor \"", e.name, "\"");
    }
    if (e.dtype == DType::b8) {
      const unsigned char* b = static_cast<const unsigned char*>(t.raw_data());
      for (size_t k = 0; k < nbytes; ++k)
        OC_CHECK(b[k] <= 1, where, ": tensor \"", e.name, "\" of BOOL holds byte ", int(b[k]), " at element ", k,
                 " (0 or 1 expected)");
    }
    out.tensors.push_back({e.name, std::move(t)});
  }
  return out;
}

}  // namespace oc

// safetensors writer and validating reader. The header is small JSON, parsed here by a strict
// little parser (objects keep their key order, so tensors load in the order they were written).
#include "train/io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include "kernels/copy/copy.h"

namespace oc {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; so must the host be");

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // as the reference implementation: 100 MB
constexpr int kMaxJsonDepth = 64;

// --- a strict JSON parser ------------------------------------------------------------------------

struct Json {
  enum Kind { null_value, boolean, number, string, array, object } kind = null_value;
  bool flag = false;
  std::string text;  // a string's value, or a number's token as written
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;  // in file order
};

const char* kind_name(Json::Kind k) {
  switch (k) {
    case Json::null_value: return "null";
    case Json::boolean: return "a boolean";
    case Json::number: return "a number";
    case Json::string: return "a string";
    case Json::array: return "an array";
    case Json::object: return "an object";
  }
  return "?";
}

class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& where) : s_(text), where_(where) {}

  Json parse_document() {
    skip_space();
    if (peek() != '{') fail("the header must be a JSON object");
    Json v = parse_value(0);
    skip_space();
    if (i_ != s_.size()) fail("unexpected text after the JSON object");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    OC_FAIL(where_, ": bad JSON header at byte ", i_, ": ", what);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool at_end() const { return i_ >= s_.size(); }
  void skip_space() {
    while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    if (at_end() || s_[i_] != c) fail(str_cat("expected '", c, "'"));
    ++i_;
  }

  Json parse_value(int depth) {
    if (depth > kMaxJsonDepth) fail("nested too deeply");
    skip_space();
    if (at_end()) fail("unexpected end of the header");
    Json v;
    char c = s_[i_];
    if (c == '{') {
      v.kind = Json::object;
      ++i_;
      skip_space();
      if (peek() == '}') {
        ++i_;
        return v;
      }
      for (;;) {
        skip_space();
        if (peek() != '"') fail("expected a string key");
        std::string key = parse_string();
        skip_space();
        expect(':');
        v.members.emplace_back(std::move(key), parse_value(depth + 1));
        skip_space();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = Json::array;
      ++i_;
      skip_space();
      if (peek() == ']') {
        ++i_;
        return v;
      }
      for (;;) {
        v.items.push_back(parse_value(depth + 1));
        skip_space();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.kind = Json::string;
      v.text = parse_string();
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Json::number;
      v.text = parse_number();
      return v;
    }
    for (const char* word : {"true", "false", "null"}) {
      size_t n = std::strlen(word);
      if (s_.compare(i_, n, word) == 0) {
        i_ += n;
        v.kind = word[0] == 'n' ? Json::null_value : Json::boolean;
        v.flag = word[0] == 't';
        return v;
      }
    }
    fail(str_cat("unexpected character '", c, "'"));
  }

  std::string parse_number() {
    size_t start = i_;
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') ++i_;
    } else {
      fail("bad number");
    }
    if (peek() == '.') {
      ++i_;
      if (!(peek() >= '0' && peek() <= '9')) fail("bad number");
      while (peek() >= '0' && peek() <= '9') ++i_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!(peek() >= '0' && peek() <= '9')) fail("bad number");
      while (peek() >= '0' && peek() <= '9') ++i_;
    }
    return s_.substr(start, i_ - start);
  }

  unsigned hex4() {
    if (i_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else fail("bad \\u escape");
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) fail("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
            if (s_.compare(i_, 2, "\\u") != 0) fail("lone surrogate in \\u escape");
            i_ += 2;
            unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("bad surrogate pair in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("lone surrogate in \\u escape");
          }
          append_utf8(out, cp);
          break;
        }
        default: fail(str_cat("bad escape '\\", e, "'"));
      }
    }
  }

  const std::string& s_;
  std::string where_;
  size_t i_ = 0;
};

void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// --- dtypes ---------------------------------------------------------------------------------------

bool dtype_from_name(const std::string& s, DType& t) {
  static const std::pair<const char*, DType> table[] = {{"F32", DType::f32}, {"F64", DType::f64},
                                                        {"BF16", DType::bf16}, {"I64", DType::i64},
                                                        {"I32", DType::i32}, {"U8", DType::u8},
                                                        {"BOOL", DType::b8}};
  for (const auto& [name, dtype] : table)
    if (s == name) {
      t = dtype;
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

// A non-negative integer token that fits in uint64.
bool json_uint(const Json& v, uint64_t& out) {
  if (v.kind != Json::number || v.text.empty()) return false;
  uint64_t x = 0;
  for (char c : v.text) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (x > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    x = x * 10 + d;
  }
  out = x;
  return true;
}

// --- files ----------------------------------------------------------------------------------------

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int close() {
    int r = 0;
    if (fd_ >= 0) r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t(1) << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

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

const char* safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::bf16: return "BF16";
    case DType::i64: return "I64";
    case DType::i32: return "I32";
    case DType::u8: return "U8";
    case DType::b8: return "BOOL";
  }
  return "?";
}

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
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) header += ',';
      first = false;
      append_json_string(header, k);
      header += ':';
      append_json_string(header, v);
    }
    header += "},";
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
    append_json_string(header, nt.name);
    header += str_cat(":{\"dtype\":\"", safetensors_dtype_name(t.dtype()), "\",\"shape\":[");
    for (int64_t d = 0; d < t.dim(); ++d) header += str_cat(d ? "," : "", t.size(d));
    header += str_cat("],\"data_offsets\":[", offset, ",", offset + nbytes, "]},");
    offset += nbytes;
    data.push_back(std::move(t));
  }
  if (header.back() == ',') header.pop_back();
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');

  // Write a temporary file beside `path`, then rename it over `path`.
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      (dir / str_cat(".", target.filename().string(), ".tmp.", ::getpid(), ".", counter.fetch_add(1))).string();
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  OC_CHECK(fd.get() >= 0, "save_safetensors: ", path, ": cannot create the temporary file ", tmp, " (",
           std::strerror(errno), ")");
  auto fail = [&](const char* what) {
    const int err = errno;
    fd.close();
    ::unlink(tmp.c_str());
    OC_FAIL("save_safetensors: ", path, ": ", what, " (", std::strerror(err), ")");
  };
  unsigned char len[8];
  for (int k = 0; k < 8; ++k) len[k] = static_cast<unsigned char>(static_cast<uint64_t>(header.size()) >> (8 * k));
  if (!write_all(fd.get(), len, 8) || !write_all(fd.get(), header.data(), header.size())) fail("write failed");
  for (const Tensor& t : data) {
    const size_t nbytes = static_cast<size_t>(t.numel()) * dtype_size(t.dtype());
    if (nbytes > 0 && !write_all(fd.get(), t.raw_data(), nbytes)) fail("write failed");
  }
  if (::fsync(fd.get()) != 0) fail("fsync failed");
  if (fd.close() != 0) fail("close failed");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename the temporary file over it");
  // Make the rename itself durable.
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
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

  Json root = JsonParser(header, where).parse_document();
  SafetensorsFile out;
  std::vector<Entry> entries;
  std::set<std::string> seen;
  bool have_metadata = false;
  for (const auto& [name, value] : root.members) {
    if (name == "__metadata__") {
      OC_CHECK(!have_metadata, where, ": \"__metadata__\" appears twice");
      have_metadata = true;
      OC_CHECK(value.kind == Json::object, where, ": \"__metadata__\" must be an object, got ", kind_name(value.kind));
      for (const auto& [k, v] : value.members) {
        OC_CHECK(v.kind == Json::string, where, ": __metadata__.", k, " must be a string, got ", kind_name(v.kind));
        OC_CHECK(out.metadata.emplace(k, v.text).second, where, ": __metadata__.", k, " appears twice");
      }
      continue;
    }
    OC_CHECK(!name.empty(), where, ": a tensor has an empty name");
    OC_CHECK(seen.insert(name).second, where, ": tensor \"", name, "\" appears twice");
    const std::string what = str_cat(where, ": tensor \"", name, "\"");
    OC_CHECK(value.kind == Json::object, what, ": expected an object, got ", kind_name(value.kind));
    const Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    for (const auto& [k, v] : value.members) {
      const Json** slot = k == "dtype" ? &dtype : k == "shape" ? &shape : k == "data_offsets" ? &offsets : nullptr;
      OC_CHECK(slot != nullptr, what, ": unknown key \"", k, "\" (expected dtype, shape, data_offsets)");
      OC_CHECK(*slot == nullptr, what, ": key \"", k, "\" appears twice");
      *slot = &v;
    }
    OC_CHECK(dtype && shape && offsets, what, ": missing \"", !dtype ? "dtype" : !shape ? "shape" : "data_offsets",
             "\"");
    Entry e;
    e.name = name;
    OC_CHECK(dtype->kind == Json::string, what, ": dtype must be a string, got ", kind_name(dtype->kind));
    if (!dtype_from_name(dtype->text, e.dtype)) {
      OC_CHECK(!known_unsupported_dtype(dtype->text), what, ": dtype ", dtype->text,
               " is not supported (F32, F64, BF16, I64, I32, U8, BOOL)");
      OC_FAIL(what, ": unknown dtype \"", dtype->text, "\"");
    }
    OC_CHECK(shape->kind == Json::array, what, ": shape must be an array, got ", kind_name(shape->kind));
    OC_CHECK(shape->items.size() <= static_cast<size_t>(kMaxDims), what, ": ", shape->items.size(),
             " dimensions (at most ", kMaxDims, " supported)");
    uint64_t numel = 1;
    bool overflow = false;
    for (const Json& d : shape->items) {
      uint64_t n = 0;
      OC_CHECK(json_uint(d, n) && n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), what,
               ": shape entries must be non-negative integers, got ",
               d.kind == Json::number ? d.text : kind_name(d.kind));
      e.shape.push_back(static_cast<int64_t>(n));
      overflow = overflow || (n != 0 && numel > std::numeric_limits<uint64_t>::max() / 16 / n);
      numel = overflow ? numel : numel * n;
    }
    OC_CHECK(offsets->kind == Json::array && offsets->items.size() == 2 && json_uint(offsets->items[0], e.begin) &&
                 json_uint(offsets->items[1], e.end),
             what, ": data_offsets must be [begin, end] with non-negative integers");
    OC_CHECK(e.begin <= e.end, what, ": data_offsets [", e.begin, ", ", e.end, "] end before they begin");
    OC_CHECK(e.end <= data_size, what, ": data_offsets [", e.begin, ", ", e.end, "] exceed the ", data_size,
             "-byte data section (truncated file?)");
    const uint64_t nbytes = overflow ? 0 : numel * dtype_size(e.dtype);
    OC_CHECK(!overflow && nbytes == e.end - e.begin, what, ": shape ", shape_str(e.shape), " of ", dtype->text,
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

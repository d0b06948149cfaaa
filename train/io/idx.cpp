// IDX reader: zlib's gz* functions read gzip'd and plain files alike (gzopen looks for the 1f 8b
// magic and reads other files as they are), so one streaming path serves both. The writer builds the
// file in memory (deflate with a gzip header) and hands it to write_file_atomic.
#include "train/io/idx.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/copy/copy.h"
#include "train/io/atomic_file.h"

namespace oc {
namespace {

// An open gzFile that closes itself; reads report the file name in their errors.
class IdxStream {
 public:
  explicit IdxStream(const std::string& path) : path_(path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) OC_FAIL("read_idx: ", path, ": cannot open (", std::strerror(errno), ")");
    OC_CHECK(S_ISREG(st.st_mode), "read_idx: ", path, ": not a regular file");
    errno = 0;
    f_ = gzopen(path.c_str(), "rb");
    OC_CHECK(f_ != nullptr, "read_idx: ", path, ": cannot open (", errno ? std::strerror(errno) : "out of memory",
             ")");
    gzbuffer(f_, 1 << 17);
  }
  ~IdxStream() { gzclose(f_); }
  IdxStream(const IdxStream&) = delete;
  IdxStream& operator=(const IdxStream&) = delete;

  // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
  size_t read(void* dst, size_t n) {
    size_t done = 0;
    auto* out = static_cast<unsigned char*>(dst);
    while (done < n) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      int got = gzread(f_, out + done, chunk);
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(f_, &code);
        OC_FAIL("read_idx: ", path_, ": corrupt gzip data (", msg ? msg : "zlib error", ")");
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    // A gzip stream cut short reads as a short read plus a Z_BUF_ERROR ("unexpected end of file").
    int code = Z_OK;
    const char* msg = gzerror(f_, &code);
    if (code != Z_OK && code != Z_STREAM_END)
      OC_FAIL("read_idx: ", path_, ": corrupt or truncated gzip data (", msg ? msg : "zlib error", ")");
    return done;
  }

 private:
  std::string path_;
  gzFile f_ = nullptr;
};

uint32_t big_endian_u32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

struct IdxType {
  const char* name;
  size_t bytes;  // in the file
  DType dtype;   // in memory
};

bool idx_type(unsigned char code, IdxType& t) {
  switch (code) {
    case 0x08: t = {"unsigned byte", 1, DType::u8}; return true;
    case 0x09: t = {"signed byte", 1, DType::i32}; return true;
    case 0x0B: t = {"int16", 2, DType::i32}; return true;
    case 0x0C: t = {"int32", 4, DType::i32}; return true;
    case 0x0D: t = {"float32", 4, DType::f32}; return true;
    case 0x0E: t = {"float64", 8, DType::f64}; return true;
  }
  return false;
}

// Big-endian file values -> host values of t.dtype.
void convert(const unsigned char* src, int64_t n, unsigned char code, const Tensor& out) {
  switch (code) {
    case 0x08: std::memcpy(out.raw_data(), src, static_cast<size_t>(n)); return;
    case 0x09: {
      int32_t* d = out.data<int32_t>();
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<int8_t>(src[i]);
      return;
    }
    case 0x0B: {
      int32_t* d = out.data<int32_t>();
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<int16_t>((uint16_t(src[2 * i]) << 8) | src[2 * i + 1]);
      return;
    }
    case 0x0C: {
      int32_t* d = out.data<int32_t>();
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<int32_t>(big_endian_u32(src + 4 * i));
      return;
    }
    case 0x0D: {
      float* d = out.data<float>();
      for (int64_t i = 0; i < n; ++i) {
        uint32_t u = big_endian_u32(src + 4 * i);
        std::memcpy(&d[i], &u, 4);
      }
      return;
    }
    case 0x0E: {
      double* d = out.data<double>();
      for (int64_t i = 0; i < n; ++i) {
        uint64_t u = (uint64_t(big_endian_u32(src + 8 * i)) << 32) | big_endian_u32(src + 8 * i + 4);
        std::memcpy(&d[i], &u, 8);
      }
      return;
    }
  }
}

}  // namespace

Tensor read_idx(const std::string& path, int64_t max_items) {
  OC_CHECK(max_items >= 0, "read_idx: ", path, ": max_items must be >= 0, got ", max_items);
  IdxStream in(path);
  unsigned char magic[4];
  size_t got = in.read(magic, 4);
  OC_CHECK(got == 4, "read_idx: ", path, ": truncated: ", got, " bytes, shorter than the 4-byte magic");
  OC_CHECK(magic[0] == 0 && magic[1] == 0, "read_idx: ", path, ": bad magic (", int(magic[0]), " ", int(magic[1]),
           " ", int(magic[2]), " ", int(magic[3]), "): not an IDX file (expected 0 0 <type> <ndim>)");
  IdxType type;
  OC_CHECK(idx_type(magic[2], type), "read_idx: ", path, ": unknown IDX data type 0x", std::hex, int(magic[2]),
           std::dec, " (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)");
  int ndim = magic[3];
  OC_CHECK(ndim >= 1 && ndim <= kMaxDims, "read_idx: ", path, ": ", ndim, " dimensions (1 to ", kMaxDims,
           " supported)");

  std::vector<unsigned char> dims_raw(4 * static_cast<size_t>(ndim));
  got = in.read(dims_raw.data(), dims_raw.size());
  OC_CHECK(got == dims_raw.size(), "read_idx: ", path, ": truncated in the dimension sizes (", ndim,
           " expected)");
  Shape shape(ndim);
  const int64_t limit = std::numeric_limits<int64_t>::max() / 8;
  int64_t numel = 1;
  for (int d = 0; d < ndim; ++d) {
    shape[d] = big_endian_u32(&dims_raw[4 * d]);
    OC_CHECK(shape[d] == 0 || numel <= limit / shape[d], "read_idx: ", path, ": dimensions ", shape_str(shape),
             " are too large");
    numel *= shape[d];
  }
  const Shape file_shape = shape;
  if (max_items > 0 && max_items < shape[0]) shape[0] = max_items;
  const int64_t n = shape_numel(shape);
  const size_t nbytes = static_cast<size_t>(n) * type.bytes;

  Tensor out = Tensor::empty(shape, type.dtype);
  std::vector<unsigned char> staging;
  unsigned char* dst = static_cast<unsigned char*>(out.raw_data());
  if (magic[2] != 0x08) {
    staging.resize(nbytes);
    dst = staging.data();
  }
  got = in.read(dst, nbytes);
  OC_CHECK(got == nbytes, "read_idx: ", path, ": truncated: the dimensions ", shape_str(file_shape), " of ",
           type.name, " need ", nbytes, " bytes of data", (shape[0] == file_shape[0] ? "" : " for the items read"),
           ", the file has ", got);
  if (shape[0] == file_shape[0]) {
    unsigned char extra;
    OC_CHECK(in.read(&extra, 1) == 0, "read_idx: ", path, ": dimensions ", shape_str(file_shape), " of ",
             type.name, " do not match the data: the file has bytes after the expected ",
             static_cast<size_t>(numel) * type.bytes);
  }
  if (magic[2] != 0x08) convert(staging.data(), n, magic[2], out);
  return out;
}

namespace {

// `bytes` compressed as one gzip member (deflate's window bits 15 + 16 ask for the gzip wrapper).
std::string gzip_bytes(const std::string& path, const std::string& bytes) {
  z_stream z{};
  OC_CHECK(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "write_idx: ",
           path, ": zlib's deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  OC_CHECK(rc == Z_STREAM_END, "write_idx: ", path, ": zlib's deflate failed (code ", rc, ")");
  out.resize(written);
  return out;
}

void put_big_endian(std::string& out, uint64_t v, int bytes) {
  for (int k = bytes - 1; k >= 0; --k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}

}  // namespace

void write_idx(const std::string& path, const Tensor& t) {
  OC_CHECK(t.defined(), "write_idx: ", path, ": undefined tensor");
  unsigned char code = 0;
  int bytes = 0;
  switch (t.dtype()) {
    case DType::u8: code = 0x08, bytes = 1; break;
    case DType::i32: code = 0x0C, bytes = 4; break;
    case DType::f32: code = 0x0D, bytes = 4; break;
    case DType::f64: code = 0x0E, bytes = 8; break;
    default: OC_FAIL("write_idx: ", path, ": IDX holds uint8, int32, float32 or float64, got ", t.str());
  }
  OC_CHECK(t.dim() >= 1, "write_idx: ", path, ": IDX needs at least one dimension, got ", t.str());
  for (int d = 0; d < t.dim(); ++d)
    OC_CHECK(t.size(d) <= std::numeric_limits<uint32_t>::max(), "write_idx: ", path, ": dimension ", d, " of ",
             shape_str(t.shape()), " does not fit IDX's 32-bit sizes");
  const Tensor src = contiguous(to(t.detach(), Device::cpu()));
  const int64_t n = src.numel();
  std::string out;
  out.reserve(4 + 4 * static_cast<size_t>(t.dim()) + static_cast<size_t>(n) * bytes);
  out += std::string{'\0', '\0', static_cast<char>(code), static_cast<char>(t.dim())};
  for (int d = 0; d < t.dim(); ++d) put_big_endian(out, static_cast<uint64_t>(t.size(d)), 4);
  const auto* p = static_cast<const unsigned char*>(src.raw_data());
  if (bytes == 1) {
    out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  } else {
    for (int64_t i = 0; i < n; ++i) {
      // The value's bits as an unsigned integer of its width, whatever the host's byte order.
      uint64_t v = 0;
      if (bytes == 4) {
        uint32_t u;
        std::memcpy(&u, p + i * 4, 4);
        v = u;
      } else {
        std::memcpy(&v, p + i * 8, 8);
      }
      put_big_endian(out, v, bytes);
    }
  }
  const bool gz = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  // deflate takes its input length as a 32-bit uInt: one call handles under 4 GiB.
  if (gz)
    OC_CHECK(out.size() < (size_t{1} << 32), "write_idx: ", path, ": ", out.size(),
             " bytes is more than one gzip'd write handles (4 GiB)");
  write_file_atomic(path, gz ? gzip_bytes(path, out) : out);
}

}  // namespace oc

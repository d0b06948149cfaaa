// Front end of the copying ops and their gradient rules.
#include "kernels/copy/copy.h"

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy_kernels.h"
#include "kernels/fill/fill.h"
#include "kernels/views/views.h"

namespace oc {

void copy_(const Tensor& dst, const Tensor& src) {
  check_defined("copy_", {&dst, &src});
  OC_CHECK(dst.shape() == src.shape(), "copy_: destination ", dst.str(), " and source ", src.str(),
           " differ in shape");
  if (dst.numel() == 0) return;
  if (dst.device() == src.device()) {
    OC_ON_DEVICE(dst.device(), copy, dst, src);
    return;
  }
  // Across devices: make src contiguous where it lives, move the bytes, then cast/scatter on dst's side.
  Tensor s = src.is_contiguous() ? src : contiguous(src.detach());
  Tensor staging = dst.is_contiguous() && dst.dtype() == src.dtype() ? dst
                                                                      : Tensor::empty(src.shape(), src.dtype(), dst.device());
  memcpy_across_devices(staging.raw_data(), dst.device(), s.raw_data(), s.device(),
                        s.numel() * dtype_size(s.dtype()));
  if (!staging.is_same(dst)) OC_ON_DEVICE(dst.device(), copy, dst, staging);
}

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  copy_(out, t);
  record_op(out, "contiguous", {t}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  return out;
}

Tensor clone(const Tensor& t) {
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  copy_(out, t);
  record_op(out, "clone", {t}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  return out;
}

Tensor to(const Tensor& t, Device device) {
  OC_CHECK(t.defined(), "to: undefined tensor");
  if (t.device() == device) return t;
  Tensor out = Tensor::empty(t.shape(), t.dtype(), device);
  copy_(out, t);
  Device src_device = t.device();
  record_op(out, "to_device", {t}, [src_device](const Tensor& g) { return std::vector<Tensor>{to(g, src_device)}; });
  return out;
}

Tensor to(const Tensor& t, DType dtype) {
  OC_CHECK(t.defined(), "to: undefined tensor");
  if (t.dtype() == dtype) return t;
  Tensor out = Tensor::empty(t.shape(), dtype, t.device());
  copy_(out, t);
  DType src = t.dtype();
  if (is_floating(dtype) && is_floating(src))
    record_op(out, "to_dtype", {t}, [src](const Tensor& g) { return std::vector<Tensor>{to(g, src)}; });
  return out;
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  OC_CHECK(!tensors.empty(), "cat: expected at least one tensor");
  const Tensor& first = tensors[0];
  OC_CHECK(first.defined(), "cat: tensor 0 is undefined");
  int64_t d = wrap_dim(dim, first.dim(), "cat");
  OC_CHECK(first.dim() > 0, "cat: cannot concatenate 0-d tensors (use stack)");
  Shape shape = first.shape();
  shape[d] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    OC_CHECK(t.defined(), "cat: tensor ", i, " is undefined");
    check_same_device("cat", {&first, &t});
    check_same_dtype("cat", {&first, &t});
    bool ok = t.dim() == first.dim();
    for (int64_t k = 0; ok && k < t.dim(); ++k) ok = k == d || t.shape()[k] == first.shape()[k];
    OC_CHECK(ok, "cat: tensor ", i, " has shape ", shape_str(t.shape()), ", which does not match ",
             shape_str(first.shape()), " outside dimension ", d);
    shape[d] += t.shape()[d];
    sizes.push_back(t.shape()[d]);
  }
  Tensor out = Tensor::empty(shape, first.dtype(), first.device());
  int64_t at = 0;
  for (const Tensor& t : tensors) {
    Shape st = out.strides();
    copy_(out.as_strided(t.shape(), st, at * st[d]), t);
    at += t.shape()[d];
  }
  record_op(out, "cat", tensors, [sizes, d](const Tensor& g) {
    std::vector<Tensor> grads;
    int64_t at = 0;
    for (int64_t s : sizes) {
      grads.push_back(slice(g, d, at, at + s));
      at += s;
    }
    return grads;
  });
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  OC_CHECK(!tensors.empty(), "stack: expected at least one tensor");
  OC_CHECK(tensors[0].defined(), "stack: tensor 0 is undefined");
  int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    OC_CHECK(tensors[i].defined() && tensors[i].shape() == tensors[0].shape(), "stack: tensor ", i, " has shape ",
             tensors[i].defined() ? shape_str(tensors[i].shape()) : "undefined", ", expected ",
             shape_str(tensors[0].shape()));
    parts.push_back(unsqueeze(tensors[i], d));
  }
  return cat(parts, d);
}

std::vector<Tensor> split(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim) {
  int64_t d = wrap_dim(dim, t.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    OC_CHECK(s >= 0, "split: negative size ", s);
    total += s;
  }
  OC_CHECK(total == t.shape()[d], "split: sizes add up to ", total, " but dimension ", d, " of ", t.str(),
           " has size ", t.shape()[d]);
  std::vector<Tensor> out;
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(slice(t, d, at, at + s));
    at += s;
  }
  return out;
}

std::vector<Tensor> split(const Tensor& t, int64_t size, int64_t dim) {
  OC_CHECK(size > 0, "split: size must be positive, got ", size);
  int64_t n = t.shape()[wrap_dim(dim, t.dim(), "split")];
  std::vector<int64_t> sizes;
  for (int64_t at = 0; at < n; at += size) sizes.push_back(std::min(size, n - at));
  if (sizes.empty()) sizes.push_back(0);
  return split(t, sizes, dim);
}

Tensor pad(const Tensor& t, const std::vector<int64_t>& pads, double value) {
  OC_CHECK(t.defined(), "pad: undefined tensor");
  OC_CHECK(pads.size() % 2 == 0 && static_cast<int64_t>(pads.size()) <= 2 * t.dim(), "pad: expected an even ",
           "number of pads, at most 2 per dimension of ", t.str(), ", got ", pads.size());
  Shape shape = t.shape(), inner_offset(t.dim(), 0);
  for (size_t i = 0; i < pads.size(); ++i) {
    OC_CHECK(pads[i] >= 0, "pad: negative padding ", pads[i], " is not supported");
    int64_t d = t.dim() - 1 - static_cast<int64_t>(i / 2);
    shape[d] += pads[i];
    if (i % 2 == 0) inner_offset[d] = pads[i];
  }
  Tensor out = full(shape, value, t.dtype(), t.device());
  int64_t off = 0;
  for (int64_t d = 0; d < t.dim(); ++d) off += inner_offset[d] * out.strides()[d];
  copy_(out.as_strided(t.shape(), out.strides(), off), t);
  Shape in_shape = t.shape();
  record_op(out, "pad", {t}, [in_shape, inner_offset](const Tensor& g) {
    Tensor r = g;
    for (size_t d = 0; d < in_shape.size(); ++d) r = slice(r, d, inner_offset[d], inner_offset[d] + in_shape[d]);
    return std::vector<Tensor>{r};
  });
  return out;
}

}  // namespace oc

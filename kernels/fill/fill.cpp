// Front end of the factories and host conversions.
#include "kernels/fill/fill.h"

#include <cmath>
#include <cstring>

#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill_kernels.h"

namespace oc {

void fill_(const Tensor& t, double value) {
  OC_CHECK(t.defined(), "fill_: undefined tensor");
  OC_CHECK(!t.requires_grad(), "fill_: cannot overwrite ", t.str(), ", which requires grad");
  if (t.numel() == 0) return;
  OC_ON_DEVICE(t.device(), fill, t, value);
}

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = Tensor::empty(shape, dtype, device);
  fill_(t, value);
  return t;
}
Tensor zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0, dtype, device); }
Tensor ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1, dtype, device); }
Tensor full_like(const Tensor& t, double value) { return full(t.shape(), value, t.dtype(), t.device()); }
Tensor zeros_like(const Tensor& t) { return full_like(t, 0); }
Tensor ones_like(const Tensor& t) { return full_like(t, 1); }

Tensor arange(double start, double end, double step, DType dtype, Device device) {
  OC_CHECK(step != 0, "arange: step must be non-zero");
  OC_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), "arange: start, end and step ",
           "must be finite, got ", start, ", ", end, ", ", step);
  double n = std::ceil((end - start) / step);
  OC_CHECK(n <= 1e12, "arange: ", n, " elements is too many");
  Tensor t = Tensor::empty({n > 0 ? static_cast<int64_t>(n) : 0}, dtype, device);
  if (t.numel() > 0) OC_ON_DEVICE(device, arange, t, start, step);
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype, Device device) {
  OC_CHECK(steps >= 0, "linspace: steps must be non-negative, got ", steps);
  Tensor t = Tensor::empty({steps}, dtype, device);
  if (steps > 0) OC_ON_DEVICE(device, linspace, t, start, end);
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dtype, Device device) {
  if (m < 0) m = n;
  OC_CHECK(n >= 0, "eye: n must be non-negative, got ", n);
  Tensor t = zeros({n, m}, dtype, device);
  int64_t k = std::min(n, m);
  if (k > 0) fill_(t.as_strided({k}, {m + 1}, 0), 1);  // the diagonal, as a strided view
  return t;
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  OC_CHECK(shape_numel(shape) == static_cast<int64_t>(values.size()), "from_vector: ", values.size(),
           " values do not fill shape ", shape_str(shape));
  Tensor host = Tensor::empty(shape, dtype_of<T>::value, Device::cpu());
  if constexpr (std::is_same_v<T, bool>) {
    bool* p = host.data<bool>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  } else if (!values.empty()) {
    std::memcpy(host.raw_data(), values.data(), values.size() * sizeof(T));
  }
  return device.is_cpu() ? host : to(host, device);
}

template <class T>
std::vector<T> to_vector(const Tensor& t) {
  OC_CHECK(t.defined(), "to_vector: undefined tensor");
  Tensor host = contiguous(to(to(t.detach(), Device::cpu()), dtype_of<T>::value));
  std::vector<T> out(host.numel());
  const T* p = host.data<T>();
  for (size_t i = 0; i < out.size(); ++i) out[i] = p[i];
  return out;
}

template <class T>
T item(const Tensor& t) {
  OC_CHECK(t.defined() && t.numel() == 1, "item: expected a one-element tensor, got ", t.str());
  return to_vector<T>(t)[0];
}

#define OC_INSTANTIATE(T)                                                             \
  template Tensor from_vector<T>(const std::vector<T>&, const Shape&, Device);        \
  template std::vector<T> to_vector<T>(const Tensor&);                                \
  template T item<T>(const Tensor&);
OC_INSTANTIATE(float)
OC_INSTANTIATE(double)
OC_INSTANTIATE(int32_t)
OC_INSTANTIATE(int64_t)
OC_INSTANTIATE(uint8_t)
OC_INSTANTIATE(bool)
#undef OC_INSTANTIATE

}  // namespace oc

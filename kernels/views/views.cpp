// View ops: new shape/strides/offset over the same storage; each gradient rule maps the output
// gradient back to the input's shape.
#include "kernels/views/views.h"

#include <algorithm>

#include "core/autograd.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "kernels/reduce/reduce.h"

namespace oc {
namespace {

Shape infer_shape(const char* op, const Shape& shape, int64_t numel, const Shape& in_shape) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      OC_CHECK(infer < 0, op, ": only one dimension can be -1 in ", shape_str(shape));
      infer = static_cast<int64_t>(i);
    } else {
      OC_CHECK(out[i] >= 0, op, ": invalid size ", out[i], " in ", shape_str(shape));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    OC_CHECK(known != 0 && numel % known == 0, op, ": cannot reshape ", shape_str(in_shape), " to ",
             shape_str(shape));
    out[infer] = numel / known;
  }
  OC_CHECK(shape_numel(out) == numel, op, ": cannot reshape ", shape_str(in_shape), " (", numel,
           " elements) to ", shape_str(shape));
  return out;
}

// Strides for viewing (shape, strides) as new_shape without copying, or empty if impossible.
// Walks groups of old dims that are contiguous with each other and splits them into new dims.
bool view_strides(const Shape& shape, const Shape& strides, const Shape& new_shape, Shape& out) {
  out.assign(new_shape.size(), 0);
  if (shape_numel(shape) == 0) {
    out = contiguous_strides(new_shape);
    return true;
  }
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_base_stride = strides.empty() ? 1 : strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) {  // leading size-1 dims
    while (view_d >= 0) {
      if (new_shape[view_d] != 1) return false;
      out[view_d] = 1;
      --view_d;
    }
  }
  return true;
}

// Records a view op whose gradient is rule(g).
template <class Rule>
Tensor record_view(Tensor out, const char* op, const Tensor& in, Rule rule) {
  record_op(out, op, {in}, [rule](const Tensor& g) { return std::vector<Tensor>{rule(g)}; });
  return out;
}

}  // namespace

Tensor view(const Tensor& t, const Shape& shape) {
  Shape s = infer_shape("view", shape, t.numel(), t.shape());
  Shape st;
  OC_CHECK(view_strides(t.shape(), t.strides(), s, st), "view: cannot view ", t.str(), " with strides ",
           shape_str(t.strides()), " as ", shape_str(s), " without a copy (use reshape)");
  Shape in_shape = t.shape();
  return record_view(t.as_strided(s, st, t.offset()), "view", t,
                     [in_shape](const Tensor& g) { return reshape(g, in_shape); });
}

Tensor reshape(const Tensor& t, const Shape& shape) {
  Shape s = infer_shape("reshape", shape, t.numel(), t.shape());
  Shape st;
  if (view_strides(t.shape(), t.strides(), s, st)) return view(t, s);
  return view(contiguous(t), s);
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  if (t.dim() == 0) return reshape(t, {1});
  int64_t s = wrap_dim(start_dim, t.dim(), "flatten"), e = wrap_dim(end_dim, t.dim(), "flatten");
  OC_CHECK(s <= e, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim);
  Shape out(t.shape().begin(), t.shape().begin() + s);
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= t.shape()[d];
  out.push_back(n);
  out.insert(out.end(), t.shape().begin() + e + 1, t.shape().end());
  return reshape(t, out);
}

Tensor permute(const Tensor& t, const std::vector<int64_t>& dims) {
  OC_CHECK(static_cast<int64_t>(dims.size()) == t.dim(), "permute: ", dims.size(), " dims given for ",
           t.str());
  std::vector<int64_t> d(dims.size()), inverse(dims.size());
  std::vector<bool> seen(dims.size(), false);
  Shape shape(dims.size()), strides(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    d[i] = wrap_dim(dims[i], t.dim(), "permute");
    OC_CHECK(!seen[d[i]], "permute: dimension ", dims[i], " repeated in the permutation");
    seen[d[i]] = true;
    inverse[d[i]] = static_cast<int64_t>(i);
    shape[i] = t.shape()[d[i]];
    strides[i] = t.strides()[d[i]];
  }
  return record_view(t.as_strided(shape, strides, t.offset()), "permute", t,
                     [inverse](const Tensor& g) { return permute(g, inverse); });
}

Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1) {
  std::vector<int64_t> p(t.dim());
  for (int64_t i = 0; i < t.dim(); ++i) p[i] = i;
  if (t.dim() == 0) return permute(t, p);
  std::swap(p[wrap_dim(dim0, t.dim(), "transpose")], p[wrap_dim(dim1, t.dim(), "transpose")]);
  return permute(t, p);
}

Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  int64_t d = wrap_dim(dim, t.dim(), "slice");
  OC_CHECK(t.dim() > 0, "slice: cannot slice a 0-d tensor");
  OC_CHECK(step > 0, "slice: step must be positive, got ", step);
  const int64_t n = t.shape()[d];
  auto clampi = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  start = clampi(start);
  end = std::max(clampi(end), start);
  Shape shape = t.shape(), strides = t.strides();
  shape[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  Tensor out = t.as_strided(shape, strides, t.offset() + start * t.strides()[d]);
  Shape in_shape = t.shape();
  return record_view(out, "slice", t, [in_shape, d, start, step](const Tensor& g) {
    Tensor gin = zeros(in_shape, g.dtype(), g.device());
    Shape st = gin.strides();
    Shape sh = g.shape();
    int64_t off = start * st[d];
    st[d] *= step;
    copy_(gin.as_strided(sh, st, off), g);
    return gin;
  });
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  int64_t d = wrap_dim(dim, t.dim(), "select");
  const int64_t n = t.shape()[d];
  OC_CHECK(index >= -n && index < n, "select: index ", index, " is out of range for dimension ", dim,
           " of size ", n);
  if (index < 0) index += n;
  return squeeze(slice(t, d, index, index + 1), d);
}

Tensor expand(const Tensor& t, const Shape& shape) {
  OC_CHECK(static_cast<int64_t>(shape.size()) >= t.dim(), "expand: cannot expand ", shape_str(t.shape()),
           " to fewer dims ", shape_str(shape));
  Shape target = shape;
  const int64_t lead = static_cast<int64_t>(shape.size()) - t.dim();
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    if (target[i] == -1) {
      OC_CHECK(i >= lead, "expand: -1 is not allowed for a new leading dimension in ", shape_str(shape));
      target[i] = t.shape()[i - lead];
    }
    if (i >= lead)
      OC_CHECK(t.shape()[i - lead] == target[i] || t.shape()[i - lead] == 1, "expand: cannot expand ",
               shape_str(t.shape()), " to ", shape_str(shape));
  }
  Shape strides(target.size(), 0);
  for (int64_t i = lead; i < static_cast<int64_t>(target.size()); ++i)
    strides[i] = t.shape()[i - lead] == 1 && target[i] != 1 ? 0 : t.strides()[i - lead];
  Shape in_shape = t.shape();
  return record_view(t.as_strided(target, strides, t.offset()), "expand", t,
                     [in_shape](const Tensor& g) { return sum_to_shape(g, in_shape); });
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  int64_t d = wrap_dim(dim, t.dim() + 1, "unsqueeze");
  Shape shape = t.shape(), strides = t.strides();
  int64_t st = d < t.dim() ? t.strides()[d] * t.shape()[d] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, st);
  Shape in_shape = t.shape();
  return record_view(t.as_strided(shape, strides, t.offset()), "unsqueeze", t,
                     [in_shape](const Tensor& g) { return reshape(g, in_shape); });
}

Tensor squeeze(const Tensor& t, int64_t dim) {
  int64_t d = wrap_dim(dim, t.dim(), "squeeze");
  OC_CHECK(t.shape()[d] == 1, "squeeze: dimension ", dim, " of ", t.str(), " has size ", t.shape()[d],
           ", not 1");
  Shape shape = t.shape(), strides = t.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  Shape in_shape = t.shape();
  return record_view(t.as_strided(shape, strides, t.offset()), "squeeze", t,
                     [in_shape](const Tensor& g) { return reshape(g, in_shape); });
}

Tensor squeeze(const Tensor& t) {
  Shape shape;
  for (int64_t s : t.shape())
    if (s != 1) shape.push_back(s);
  return reshape(t, shape);
}

}  // namespace oc

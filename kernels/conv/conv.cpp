// Front end of conv2d and conv_transpose2d: argument checks, the geometry, dispatch, gradient rules.
//   conv2d:            y  = fwd(x, w) + b     dx = dgrad(gy, w)   dw = wgrad(x, gy)   db = sum gy
//   conv_transpose2d:  y  = dgrad(x, w) + b   dx = fwd(gy, w)     dw = wgrad(gy, x)   db = sum gy
// (the transposed convolution is conv2d's input gradient, so both run on the same three kernels,
// with the geometry of the conv2d whose input is y and whose output is x).
#include "kernels/conv/conv.h"

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/conv/conv_kernels.h"
#include "kernels/copy/copy.h"
#include "kernels/reduce/reduce.h"

namespace oc {
namespace {

// The raw kernels on contiguous, detached operands; outputs are freshly allocated.
Tensor forward_raw(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& bias) {
  Tensor y = Tensor::empty({g.N, g.K, g.Ho, g.Wo}, x.dtype(), x.device());
  if (y.numel() > 0) OC_ON_DEVICE(x.device(), conv2d_forward, g, x, w, bias, y);
  return y;
}

Tensor input_grad_raw(const ConvGeom& g, const Tensor& gy, const Tensor& w, const Tensor& bias) {
  Tensor gx = Tensor::empty({g.N, g.C, g.H, g.W}, gy.dtype(), gy.device());
  if (gx.numel() > 0) OC_ON_DEVICE(gy.device(), conv2d_input_grad, g, gy, w, bias, gx);
  return gx;
}

Tensor weight_grad_raw(const ConvGeom& g, const Tensor& x, const Tensor& gy) {
  Tensor gw = Tensor::empty({g.K, g.Cg(), g.R, g.S}, x.dtype(), x.device());
  if (gw.numel() > 0) OC_ON_DEVICE(x.device(), conv2d_weight_grad, g, x, gy, gw);
  return gw;
}

Tensor bias_grad(const Tensor& gy) { return sum(gy, {0, 2, 3}); }

Tensor contiguous_detached(const Tensor& t) {
  if (!t.defined()) return t;
  NoGradGuard no_grad;
  return contiguous(t.detach());
}

// Dtype, device and rank checks common to both ops.
void check_operands(const char* op, const Tensor& x, const Tensor& w, const Tensor& bias) {
  check_defined(op, {&x, &w});
  check_floating(op, x);
  check_same_dtype(op, {&x, &w});
  check_same_device(op, {&x, &w});
  if (bias.defined()) {
    check_same_dtype(op, {&x, &bias});
    check_same_device(op, {&x, &bias});
  }
  OC_CHECK(x.dim() == 4, op, ": input must be 4-D [N, C, H, W], got ", shape_str(x.shape()));
  OC_CHECK(w.dim() == 4, op, ": weight must be 4-D, got ", shape_str(w.shape()));
}

void check_params(const char* op, const Tensor& x, const Tensor& w, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                  int64_t dh, int64_t dw, int64_t groups) {
  const std::string shapes = str_cat(" (input ", shape_str(x.shape()), ", weight ", shape_str(w.shape()), ")");
  OC_CHECK(sh > 0 && sw > 0, op, ": stride must be positive, got (", sh, ", ", sw, ")", shapes);
  OC_CHECK(ph >= 0 && pw >= 0, op, ": padding must be non-negative, got (", ph, ", ", pw, ")", shapes);
  OC_CHECK(dh > 0 && dw > 0, op, ": dilation must be positive, got (", dh, ", ", dw, ")", shapes);
  OC_CHECK(groups > 0, op, ": groups must be positive, got ", groups, shapes);
  OC_CHECK(w.size(2) > 0 && w.size(3) > 0, op, ": kernel size must be positive, got weight ",
           shape_str(w.shape()));
}

}  // namespace

int64_t conv2d_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  OC_CHECK(stride > 0 && dilation > 0 && pad >= 0 && kernel > 0, "conv2d_out_size: kernel ", kernel, ", stride ",
           stride, ", dilation ", dilation, " must be positive and padding ", pad, " non-negative");
  const int64_t span = dilation * (kernel - 1) + 1;  // input extent one output value reads
  const int64_t padded = in + 2 * pad;
  OC_CHECK(padded >= span, "conv2d_out_size: input size ", in, " (padded to ", padded, ") is smaller than kernel ",
           kernel, " with dilation ", dilation, " (extent ", span, "): the output would be empty");
  return (padded - span) / stride + 1;
}

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p) {
  const char* op = "conv2d";
  check_operands(op, x, w, bias);
  check_params(op, x, w, p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dilation_h, p.dilation_w, p.groups);
  const int64_t C = x.size(1), K = w.size(0), G = p.groups;
  OC_CHECK(C % G == 0, op, ": groups = ", G, " must divide the input channels C = ", C, " (input ",
           shape_str(x.shape()), ")");
  OC_CHECK(K % G == 0, op, ": groups = ", G, " must divide the output channels K = ", K, " (weight ",
           shape_str(w.shape()), ")");
  OC_CHECK(w.size(1) * G == C, op, ": channel mismatch: weight ", shape_str(w.shape()), " expects C/groups = ",
           w.size(1), " input channels per group, but input ", shape_str(x.shape()), " has C = ", C, " (groups = ", G,
           ")");
  if (bias.defined())
    OC_CHECK(bias.dim() == 1 && bias.size(0) == K, op, ": bias must be [", K, "] for weight ", shape_str(w.shape()),
             ", got ", shape_str(bias.shape()));
  ConvGeom g;
  g.N = x.size(0), g.C = C, g.H = x.size(2), g.W = x.size(3);
  g.K = K, g.R = w.size(2), g.S = w.size(3);
  g.sh = p.stride_h, g.sw = p.stride_w, g.ph = p.pad_h, g.pw = p.pad_w, g.dh = p.dilation_h, g.dw = p.dilation_w;
  g.G = G;
  const int64_t span_h = g.dh * (g.R - 1) + 1, span_w = g.dw * (g.S - 1) + 1;
  OC_CHECK(g.H + 2 * g.ph >= span_h && g.W + 2 * g.pw >= span_w, op, ": input ", shape_str(x.shape()),
           " padded by (", g.ph, ", ", g.pw, ") is smaller than weight ", shape_str(w.shape()), " dilated by (", g.dh,
           ", ", g.dw, "): the output size would be (", (g.H + 2 * g.ph - span_h) / g.sh + 1, ", ",
           (g.W + 2 * g.pw - span_w) / g.sw + 1, ")");
  g.Ho = conv2d_out_size(g.H, g.R, g.sh, g.ph, g.dh);
  g.Wo = conv2d_out_size(g.W, g.S, g.sw, g.pw, g.dw);

  const Tensor xc = contiguous_detached(x), wc = contiguous_detached(w), bc = contiguous_detached(bias);
  Tensor y = forward_raw(g, xc, wc, bc);
  const bool need_x = x.requires_grad(), need_w = w.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  // Each rule keeps only what it reads: the weight for dx, the input for dw.
  record_op(y, op, {x, w, bias},
            [g, xs = need_w ? xc : Tensor(), ws = need_x ? wc : Tensor(), need_x, need_w, need_b](const Tensor& gy) {
              const Tensor gyc = contiguous_detached(gy);
              return std::vector<Tensor>{need_x ? input_grad_raw(g, gyc, ws, Tensor()) : Tensor(),
                                         need_w ? weight_grad_raw(g, xs, gyc) : Tensor(),
                                         need_b ? bias_grad(gyc) : Tensor()};
            });
  return y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvTranspose2dParams& p) {
  const char* op = "conv_transpose2d";
  check_operands(op, x, w, bias);
  check_params(op, x, w, p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dilation_h, p.dilation_w, p.groups);
  const int64_t C = x.size(1), G = p.groups;
  OC_CHECK(w.size(0) == C, op, ": channel mismatch: weight ", shape_str(w.shape()), " expects ", w.size(0),
           " input channels (its dim 0), but input ", shape_str(x.shape()), " has C = ", C);
  OC_CHECK(C % G == 0, op, ": groups = ", G, " must divide the input channels C = ", C, " (input ",
           shape_str(x.shape()), ")");
  const int64_t K = w.size(1) * G;
  OC_CHECK(p.output_pad_h >= 0 && p.output_pad_w >= 0, op, ": output padding must be non-negative, got (",
           p.output_pad_h, ", ", p.output_pad_w, ")");
  OC_CHECK((p.output_pad_h < p.stride_h || p.output_pad_h < p.dilation_h) &&
               (p.output_pad_w < p.stride_w || p.output_pad_w < p.dilation_w),
           op, ": output padding (", p.output_pad_h, ", ", p.output_pad_w,
           ") must be smaller than either stride (", p.stride_h, ", ", p.stride_w, ") or dilation (", p.dilation_h,
           ", ", p.dilation_w, ")");
  if (bias.defined())
    OC_CHECK(bias.dim() == 1 && bias.size(0) == K, op, ": bias must be [", K, "] for weight ", shape_str(w.shape()),
             " and groups = ", G, ", got ", shape_str(bias.shape()));
  const int64_t H = x.size(2), W = x.size(3), R = w.size(2), S = w.size(3);
  const int64_t Ho = (H - 1) * p.stride_h - 2 * p.pad_h + p.dilation_h * (R - 1) + p.output_pad_h + 1;
  const int64_t Wo = (W - 1) * p.stride_w - 2 * p.pad_w + p.dilation_w * (S - 1) + p.output_pad_w + 1;
  OC_CHECK(Ho > 0 && Wo > 0, op, ": input ", shape_str(x.shape()), " with weight ", shape_str(w.shape()),
           ", stride (", p.stride_h, ", ", p.stride_w, "), padding (", p.pad_h, ", ", p.pad_w, ") gives output size (",
           Ho, ", ", Wo, "), which must be positive");
  // The conv2d that maps y [N, K, Ho, Wo] to x [N, C, H, W] with this weight ([C, K/G, R, S] is
  // conv2d's [out channels, in channels / G, R, S]).
  ConvGeom g;
  g.N = x.size(0), g.C = K, g.H = Ho, g.W = Wo;
  g.K = C, g.R = R, g.S = S, g.Ho = H, g.Wo = W;
  g.sh = p.stride_h, g.sw = p.stride_w, g.ph = p.pad_h, g.pw = p.pad_w, g.dh = p.dilation_h, g.dw = p.dilation_w;
  g.G = G;

  const Tensor xc = contiguous_detached(x), wc = contiguous_detached(w), bc = contiguous_detached(bias);
  Tensor y = input_grad_raw(g, xc, wc, bc);
  const bool need_x = x.requires_grad(), need_w = w.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  record_op(y, op, {x, w, bias},
            [g, xs = need_w ? xc : Tensor(), ws = need_x ? wc : Tensor(), need_x, need_w, need_b](const Tensor& gy) {
              const Tensor gyc = contiguous_detached(gy);
              return std::vector<Tensor>{need_x ? forward_raw(g, gyc, ws, Tensor()) : Tensor(),
                                         need_w ? weight_grad_raw(g, gyc, xs) : Tensor(),
                                         need_b ? bias_grad(gyc) : Tensor()};
            });
  return y;
}

}  // namespace oc

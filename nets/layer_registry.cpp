// Layer types for JSON networks. Shapes here exclude the batch dim: [C,H,W] or [F].
#include "nets/layer_registry.h"

#include <tuple>

#include "layers/basic.h"
#include "layers/blocks.h"
#include "layers/conv.h"
#include "layers/spatial_transformer.h"
#include "nets/network.h"

namespace oc {
namespace {

// The single input of a layer, which must be an image [C,H,W].
const Shape& image_input(ConfigObject& cfg, const std::vector<Shape>& ins) {
  OC_CHECK(ins.size() == 1, cfg.where("inputs"), ": this layer takes one input, got ", ins.size());
  OC_CHECK(ins[0].size() == 3, cfg.where(), ": expects an image input [C,H,W], got ", shape_str(ins[0]));
  return ins[0];
}

const Shape& single_input(ConfigObject& cfg, const std::vector<Shape>& ins) {
  OC_CHECK(ins.size() == 1, cfg.where("inputs"), ": this layer takes one input, got ", ins.size());
  return ins[0];
}

int64_t positive(ConfigObject& cfg, const std::string& key, int64_t v) {
  OC_CHECK(v > 0, cfg.where(key), ": must be positive, got ", v);
  return v;
}

// Output size along one dim, with the config path in the message when it is not positive.
int64_t checked_out(ConfigObject& cfg, int64_t out, int64_t in, const char* what) {
  OC_CHECK(out > 0, cfg.where(), ": the output ", what, " would be ", out, " (input ", what, " ", in,
           "); reduce the kernel, stride or dilation, or add padding");
  return out;
}

// The keys conv2d and conv_transpose2d share, read and checked once.
struct ConvKeys {
  int64_t in_channels, out_channels, kh, kw, sh, sw, dh, dw, groups;
  bool bias;
};

ConvKeys read_conv_keys(ConfigObject& cfg, int64_t in_channels, int64_t default_kernel) {
  ConvKeys k;
  k.in_channels = in_channels;
  k.out_channels = positive(cfg, "out_channels", cfg.require_int("out_channels"));
  std::tie(k.kh, k.kw) = cfg.get_pair("kernel", {default_kernel, default_kernel});
  std::tie(k.sh, k.sw) = cfg.get_pair("stride", {1, 1});
  std::tie(k.dh, k.dw) = cfg.get_pair("dilation", {1, 1});
  for (int64_t v : {k.kh, k.kw}) positive(cfg, "kernel", v);
  for (int64_t v : {k.sh, k.sw}) positive(cfg, "stride", v);
  for (int64_t v : {k.dh, k.dw}) positive(cfg, "dilation", v);
  k.groups = positive(cfg, "groups", cfg.get_int("groups", 1));
  OC_CHECK(k.in_channels % k.groups == 0 && k.out_channels % k.groups == 0, cfg.where("groups"), ": ", k.groups,
           " groups must divide the input channels (", k.in_channels, ") and out_channels (", k.out_channels, ")");
  k.bias = cfg.get_bool("bias", true);
  return k;
}

BuiltLayer build_conv2d(ConfigObject& cfg, const std::vector<Shape>& ins, Generator& gen) {
  const Shape& in = image_input(cfg, ins);
  ConvKeys k = read_conv_keys(cfg, in[0], 3);
  std::pair<int64_t, int64_t> pad{0, 0};
  if (cfg.has("padding") && cfg.raw().at("padding").is_string()) {
    std::string mode = cfg.get_string("padding", "");
    OC_CHECK(mode == "same", cfg.where("padding"), ": expected an integer, [h, w] or \"same\", got \"", mode, "\"");
    pad = {k.dh * (k.kh - 1) / 2, k.dw * (k.kw - 1) / 2};
  } else {
    pad = cfg.get_pair("padding", {0, 0});
  }
  Conv2dOptions o;
  o.in_channels = k.in_channels;
  o.out_channels = k.out_channels;
  o.kernel_h = k.kh;
  o.kernel_w = k.kw;
  o.params = {k.sh, k.sw, pad.first, pad.second, k.dh, k.dw, k.groups};
  o.bias = k.bias;
  int64_t ho = checked_out(cfg, (in[1] + 2 * pad.first - k.dh * (k.kh - 1) - 1) / k.sh + 1, in[1], "height");
  int64_t wo = checked_out(cfg, (in[2] + 2 * pad.second - k.dw * (k.kw - 1) - 1) / k.sw + 1, in[2], "width");
  BuiltLayer b;
  b.module = std::make_shared<Conv2d>(o, gen);
  b.out_shape = {k.out_channels, ho, wo};
  b.flops = 2 * k.out_channels * (k.in_channels / k.groups) * k.kh * k.kw * ho * wo;
  return b;
}

BuiltLayer build_conv_transpose2d(ConfigObject& cfg, const std::vector<Shape>& ins, Generator& gen) {
  const Shape& in = image_input(cfg, ins);
  ConvKeys k = read_conv_keys(cfg, in[0], 2);
  auto [ph, pw] = cfg.get_pair("padding", {0, 0});
  auto [oph, opw] = cfg.get_pair("output_padding", {0, 0});
  ConvTranspose2dOptions o;
  o.in_channels = k.in_channels;
  o.out_channels = k.out_channels;
  o.kernel_h = k.kh;
  o.kernel_w = k.kw;
  o.params = {k.sh, k.sw, ph, pw, oph, opw, k.dh, k.dw, k.groups};
  o.bias = k.bias;
  int64_t ho = checked_out(cfg, (in[1] - 1) * k.sh - 2 * ph + k.dh * (k.kh - 1) + oph + 1, in[1], "height");
  int64_t wo = checked_out(cfg, (in[2] - 1) * k.sw - 2 * pw + k.dw * (k.kw - 1) + opw + 1, in[2], "width");
  BuiltLayer b;
  b.module = std::make_shared<ConvTranspose2d>(o, gen);
  b.out_shape = {k.out_channels, ho, wo};
  b.flops = 2 * k.in_channels * (k.out_channels / k.groups) * k.kh * k.kw * in[1] * in[2];
  return b;
}

BuiltLayer build_pool(ConfigObject& cfg, const std::vector<Shape>& ins, bool is_max) {
  const Shape& in = image_input(cfg, ins);
  auto [kh, kw] = cfg.get_pair("kernel", {2, 2});
  auto [sh, sw] = cfg.get_pair("stride", {kh, kw});
  auto [ph, pw] = cfg.get_pair("padding", {0, 0});
  Pool2dParams p{positive(cfg, "kernel", kh), positive(cfg, "kernel", kw), positive(cfg, "stride", sh),
                 positive(cfg, "stride", sw), ph, pw, cfg.get_bool("ceil_mode", false)};
  OC_CHECK(2 * ph <= kh && 2 * pw <= kw, cfg.where("padding"), ": padding must be at most half the kernel");
  BuiltLayer b;
  int64_t ho = checked_out(cfg, pool2d_out_size(in[1], kh, sh, ph, p.ceil_mode), in[1], "height");
  int64_t wo = checked_out(cfg, pool2d_out_size(in[2], kw, sw, pw, p.ceil_mode), in[2], "width");
  if (is_max) b.module = std::make_shared<MaxPool2d>(p);
  else b.module = std::make_shared<AvgPool2d>(p, cfg.get_bool("count_include_pad", true));
  b.out_shape = {in[0], ho, wo};
  b.flops = in[0] * ho * wo * kh * kw;
  return b;
}

// A name from a fixed list; anything else is an error at the key, with a suggestion.
std::string one_of(ConfigObject& cfg, const std::string& key, const std::string& fallback,
                   const std::vector<std::string>& names) {
  std::string v = cfg.get_string(key, fallback);
  for (const auto& n : names)
    if (v == n) return v;
  OC_FAIL(cfg.where(key), ": unknown value ", quoted_with_suggestion(v, names));
}

// {"type": "spatial_transformer", "transform": "affine", "output_size": [H, W],
//  "localization": {"layers": [...]}}: the localization net reads the layer's input.
BuiltLayer build_spatial_transformer(ConfigObject& cfg, const std::vector<Shape>& ins, Generator& gen) {
  const Shape& in = single_input(cfg, ins);
  OC_CHECK(in.size() == 3 || in.size() == 4, cfg.where(), ": expects an image [C,H,W] or a volume [C,D,H,W], got ",
           shape_str(in));
  SpatialTransformerOptions o;
  o.spatial_dims = static_cast<int>(in.size()) - 1;
  o.kind = transform_kind_from_string(one_of(cfg, "transform", "affine", transform_kind_names()));
  OC_CHECK(transform_param_count(o.kind, o.spatial_dims) > 0, cfg.where("transform"), ": \"", to_string(o.kind),
           "\" is 2-D only; a volume input takes translation, translation_scale or affine");
  o.output_size = cfg.get_int_list("output_size", std::vector<int64_t>(in.begin() + 1, in.end()));
  OC_CHECK(static_cast<int>(o.output_size.size()) == o.spatial_dims, cfg.where("output_size"), ": expected ",
           o.spatial_dims == 2 ? "[H, W]" : "[D, H, W]", ", got ", o.output_size.size(), " sizes");
  for (int64_t v : o.output_size) positive(cfg, "output_size", v);
  std::string mode = one_of(cfg, "mode", "bilinear", grid_sample_mode_names());
  OC_CHECK(mode != "bicubic" || o.spatial_dims == 2, cfg.where("mode"), ": bicubic is 2-D only");
  o.sample.mode = grid_sample_mode_from_string(mode);
  o.sample.padding = grid_padding_from_string(one_of(cfg, "padding", "zeros", grid_padding_names()));
  o.sample.align_corners = cfg.get_bool("align_corners", false);
  o.sample.deterministic = cfg.get_bool("deterministic", false);

  ConfigObject loc_cfg = cfg.child("localization");
  OC_CHECK(loc_cfg.has("layers"), loc_cfg.where("layers"),
           ": the localization network's layers are required, e.g. [{\"type\": \"conv2d\", ...}, ...]");
  auto loc = std::make_shared<Network>(loc_cfg, in, gen);
  const int64_t features = shape_numel(loc->output_shape(loc->output_names()[0]));
  const int64_t count = transform_param_count(o.kind, o.spatial_dims);

  BuiltLayer b;
  b.module = std::make_shared<SpatialTransformer>(loc, features, o, gen);
  b.out_shape = Shape{in[0]};
  b.out_shape.insert(b.out_shape.end(), o.output_size.begin(), o.output_size.end());
  // Localization + head + grid (a dims x (dims+1) product per point) + sampling (2^dims taps per value).
  const int64_t points = shape_numel(Shape(o.output_size.begin(), o.output_size.end()));
  int64_t loc_flops = 0;
  for (const auto& l : loc->layers()) loc_flops += l.flops;
  b.flops = loc_flops + 2 * features * count + 2 * o.spatial_dims * (o.spatial_dims + 1) * points +
            2 * in[0] * points * (o.spatial_dims == 2 ? 4 : 8);
  return b;
}

BuiltLayer elementwise(ModulePtr m, const Shape& in, int64_t flops_per_element = 1) {
  return BuiltLayer{std::move(m), in, shape_numel(in) * flops_per_element};
}

// add and concat: done by the graph itself (no module); the shapes must agree (concat: except in channels).
BuiltLayer join(ConfigObject& cfg, const std::vector<Shape>& ins, bool concat) {
  const char* type = concat ? "concat" : "add";
  OC_CHECK(ins.size() >= 2, cfg.where("inputs"), ": ", type, " needs at least two inputs");
  Shape out = ins[0];
  for (size_t k = 1; k < ins.size(); ++k) {
    const Shape& s = ins[k];
    bool ok = s.size() == out.size();
    for (size_t d = 0; ok && d < s.size(); ++d) ok = concat && d == 0 ? true : s[d] == out[d];
    OC_CHECK(ok, cfg.where("inputs"), ": cannot ", type, " ", shape_str(ins[0]), " and ", shape_str(s),
             concat ? " (they must agree except in channels)" : "");
    if (concat) out[0] += s[0];
  }
  return BuiltLayer{nullptr, out, concat ? 0 : shape_numel(out) * static_cast<int64_t>(ins.size() - 1)};
}

Registry<LayerBuilder> make_registry() {
  Registry<LayerBuilder> r("layer type");
  r.add("add", {}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) { return join(c, ins, false); });
  r.add("concat", {}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) { return join(c, ins, true); });
  r.add("conv2d", {"out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias"}, build_conv2d);
  r.add("conv_transpose2d",
        {"out_channels", "kernel", "stride", "padding", "output_padding", "dilation", "groups", "bias"},
        build_conv_transpose2d);
  r.add("maxpool2d", {"kernel", "stride", "padding", "ceil_mode"},
        [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) { return build_pool(c, ins, true); });
  r.add("avgpool2d", {"kernel", "stride", "padding", "ceil_mode", "count_include_pad"},
        [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) { return build_pool(c, ins, false); });
  r.add("global_avgpool2d", {}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) {
    const Shape& in = image_input(c, ins);
    return BuiltLayer{std::make_shared<AdaptiveAvgPool2d>(1, 1), {in[0], 1, 1}, shape_numel(in)};
  });
  r.add("adaptive_avgpool2d", {"size"}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) {
    const Shape& in = image_input(c, ins);
    auto [h, w] = c.get_pair("size", {1, 1});
    return BuiltLayer{std::make_shared<AdaptiveAvgPool2d>(positive(c, "size", h), positive(c, "size", w)),
                      {in[0], h, w}, shape_numel(in)};
  });
  r.add("batchnorm2d", {"momentum", "eps"}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) {
    const Shape& in = image_input(c, ins);
    auto m = std::make_shared<BatchNorm2d>(in[0], c.get_double("momentum", 0.1), c.get_double("eps", 1e-5));
    return elementwise(m, in, 2);
  });
  r.add("relu", {}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) {
    return elementwise(std::make_shared<Activation>(ActivationKind::relu), single_input(c, ins));
  });
  r.add("leaky_relu", {"negative_slope"}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) {
    double slope = c.get_double("negative_slope", 0.01);
    return elementwise(std::make_shared<Activation>(ActivationKind::leaky_relu, slope), single_input(c, ins));
  });
  r.add("sigmoid", {}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) {
    return elementwise(std::make_shared<Activation>(ActivationKind::sigmoid), single_input(c, ins));
  });
  r.add("tanh", {}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) {
    return elementwise(std::make_shared<Activation>(ActivationKind::tanh), single_input(c, ins));
  });
  r.add("dropout", {"p"}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator& gen) {
    double p = c.get_double("p", 0.5);
    OC_CHECK(p >= 0 && p < 1, c.where("p"), ": must be in [0, 1), got ", p);
    return elementwise(std::make_shared<Dropout>(p, gen.seed * 7919 + gen.offset), single_input(c, ins));
  });
  r.add("flatten", {}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) {
    return BuiltLayer{std::make_shared<Flatten>(), {shape_numel(single_input(c, ins))}, 0};
  });
  r.add("linear", {"out_features", "bias"}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator& gen) {
    const Shape& in = single_input(c, ins);
    OC_CHECK(in.size() == 1, c.where(), ": linear expects a flat input [F] (add a \"flatten\" layer), got ",
             shape_str(in));
    int64_t out = positive(c, "out_features", c.require_int("out_features"));
    return BuiltLayer{std::make_shared<Linear>(in[0], out, c.get_bool("bias", true), gen), {out}, 2 * in[0] * out};
  });
  r.add("upsample", {"scale", "mode", "align_corners"}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator&) {
    const Shape& in = image_input(c, ins);
    int64_t s = positive(c, "scale", c.get_int("scale", 2));
    std::string mode = c.get_string("mode", "nearest");
    OC_CHECK(mode == "nearest" || mode == "bilinear", c.where("mode"), ": expected \"nearest\" or \"bilinear\", got \"",
             mode, "\"");
    bool ac = c.get_bool("align_corners", false);
    Shape out{in[0], in[1] * s, in[2] * s};
    return BuiltLayer{std::make_shared<Upsample>(s, mode, ac), out, shape_numel(out) * (mode == "nearest" ? 1 : 8)};
  });
  r.add("basic_block", {"out_channels", "stride"}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator& gen) {
    const Shape& in = image_input(c, ins);
    int64_t out = positive(c, "out_channels", c.get_int("out_channels", in[0]));
    int64_t s = positive(c, "stride", c.get_int("stride", 1));
    int64_t ho = (in[1] - 1) / s + 1, wo = (in[2] - 1) / s + 1;
    int64_t flops = 2 * out * in[0] * 9 * ho * wo + 2 * out * out * 9 * ho * wo;
    if (s != 1 || out != in[0]) flops += 2 * out * in[0] * ho * wo;
    return BuiltLayer{std::make_shared<BasicBlock>(in[0], out, s, gen), {out, ho, wo}, flops};
  });
  r.add("bottleneck", {"out_channels", "width", "stride"},
        [](ConfigObject& c, const std::vector<Shape>& ins, Generator& gen) {
    const Shape& in = image_input(c, ins);
    int64_t out = positive(c, "out_channels", c.get_int("out_channels", in[0]));
    int64_t width = positive(c, "width", c.get_int("width", out / 4 > 0 ? out / 4 : 1));
    int64_t s = positive(c, "stride", c.get_int("stride", 1));
    int64_t ho = (in[1] - 1) / s + 1, wo = (in[2] - 1) / s + 1;
    int64_t flops = 2 * width * in[0] * in[1] * in[2] + 2 * width * width * 9 * ho * wo + 2 * out * width * ho * wo;
    if (s != 1 || out != in[0]) flops += 2 * out * in[0] * ho * wo;
    return BuiltLayer{std::make_shared<Bottleneck>(in[0], width, out, s, gen), {out, ho, wo}, flops};
  });
  r.add("aspp", {"out_channels", "rates"}, [](ConfigObject& c, const std::vector<Shape>& ins, Generator& gen) {
    const Shape& in = image_input(c, ins);
    int64_t out = positive(c, "out_channels", c.require_int("out_channels"));
    std::vector<int64_t> rates = c.get_int_list("rates", {6, 12, 18});
    for (int64_t r : rates) positive(c, "rates", r);
    int64_t hw = in[1] * in[2], k = static_cast<int64_t>(rates.size());
    int64_t flops = 2 * out * in[0] * hw * (1 + 9 * k) + 2 * out * in[0] + 2 * out * out * (k + 2) * hw;
    return BuiltLayer{std::make_shared<Aspp>(in[0], out, rates, gen), {out, in[1], in[2]}, flops};
  });
  r.add("spatial_transformer",
        {"transform", "output_size", "mode", "padding", "align_corners", "deterministic", "localization"},
        build_spatial_transformer);
  return r;
}

}  // namespace

const Registry<LayerBuilder>& layer_registry() {
  static const Registry<LayerBuilder> r = make_registry();
  return r;
}

}  // namespace oc

"""Golden cases for conv2d and conv_transpose2d (tests/test_golden_conv.cpp reads
tests/data/golden_conv.json): outputs and the gradients of x, w and bias, against
torch.nn.functional, for stride, padding, dilation, groups and depthwise."""
import torch.nn.functional as F

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_conv.json")


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def conv(name, x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1, bias=True):
    params = {"stride": pair(stride), "padding": pair(padding), "dilation": pair(dilation), "groups": groups}
    inputs = [rand(*x_shape), rand(*w_shape)] + ([rand(w_shape[0])] if bias else [])
    g.case(name, "conv2d",
           lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, tuple(pair(stride)), tuple(pair(padding)),
                                     tuple(pair(dilation)), groups),
           inputs, params)


def conv_t(name, x_shape, w_shape, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True):
    params = {"stride": pair(stride), "padding": pair(padding), "output_padding": pair(output_padding),
              "dilation": pair(dilation), "groups": groups}
    inputs = [rand(*x_shape), rand(*w_shape)] + ([rand(w_shape[1] * groups)] if bias else [])
    g.case(name, "conv_transpose2d",
           lambda x, w, *b: F.conv_transpose2d(x, w, b[0] if b else None, tuple(pair(stride)), tuple(pair(padding)),
                                               tuple(pair(output_padding)), groups, tuple(pair(dilation))),
           inputs, params)


# conv2d: x [N, C, H, W], w [K, C/groups, R, S].
conv("conv2d_3x3_pad1", (2, 3, 6, 5), (4, 3, 3, 3), padding=1)
conv("conv2d_no_bias", (2, 3, 5, 5), (2, 3, 3, 3), bias=False)
conv("conv2d_stride2", (1, 3, 9, 8), (4, 3, 3, 3), stride=2, padding=1)
conv("conv2d_stride_asym", (1, 2, 9, 11), (3, 2, 3, 2), stride=(2, 3), padding=(1, 0))
conv("conv2d_dilation2", (1, 2, 9, 9), (3, 2, 3, 3), padding=2, dilation=2)
conv("conv2d_dilation_asym", (2, 2, 10, 9), (2, 2, 3, 2), stride=(1, 2), padding=(3, 1), dilation=(3, 2))
conv("conv2d_groups2", (1, 4, 7, 6), (6, 2, 3, 3), padding=1, groups=2)
conv("conv2d_groups3_stride2_dil2", (1, 6, 9, 8), (9, 2, 3, 3), stride=2, padding=2, dilation=2, groups=3)
conv("conv2d_depthwise", (1, 4, 6, 7), (4, 1, 3, 3), padding=1, groups=4)
conv("conv2d_depthwise_mult2_stride2", (2, 3, 8, 7), (6, 1, 3, 3), stride=2, padding=1, groups=3)
conv("conv2d_depthwise_atrous", (1, 4, 9, 9), (4, 1, 3, 3), padding=2, dilation=2, groups=4)
conv("conv2d_1x1", (2, 5, 4, 3), (3, 5, 1, 1))
conv("conv2d_1x1_stride2", (2, 3, 5, 6), (4, 3, 1, 1), stride=2)
conv("conv2d_7x7_stem", (1, 3, 11, 9), (3, 3, 7, 7), stride=2, padding=3)
conv("conv2d_kernel_larger_than_input", (2, 2, 2, 3), (3, 2, 5, 5), padding=2)
conv("conv2d_1x1_input", (3, 2, 1, 1), (2, 2, 3, 3), padding=1)

# conv_transpose2d: x [N, C, H, W], w [C, K/groups, R, S].
conv_t("conv_t_stride1", (2, 3, 4, 5), (3, 2, 3, 3))
conv_t("conv_t_stride2_pad1_outpad1", (2, 3, 4, 3), (3, 4, 3, 3), stride=2, padding=1, output_padding=1)
conv_t("conv_t_asym", (1, 2, 3, 4), (2, 3, 3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
       dilation=(1, 2))
conv_t("conv_t_dilation2", (1, 2, 4, 4), (2, 2, 3, 3), padding=1, output_padding=1, dilation=2)
conv_t("conv_t_groups2", (1, 4, 3, 3), (4, 3, 2, 2), stride=2, output_padding=1, groups=2)
conv_t("conv_t_depthwise", (1, 3, 4, 3), (3, 1, 3, 3), stride=2, padding=1, groups=3)
conv_t("conv_t_no_bias_1x1", (2, 3, 3, 3), (3, 5, 1, 1), bias=False)
conv_t("conv_t_upsample4x", (1, 2, 3, 3), (2, 2, 4, 4), stride=4)

g.write()

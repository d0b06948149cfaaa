"""Golden numbers for the boxes case table (tests/kernels/boxes/boxes_cases.cpp) from torchvision.ops
(Debian's python3-torchvision): box_iou, generalized_box_iou (pairwise, and their diagonals for the
paired rows), box_area, clip_boxes_to_image, remove_small_boxes and BoxCoder's encode / decode."""
import torch
from torchvision.ops import boxes as box_ops
from torchvision.models.detection._utils import BoxCoder


def compute(op, params, inputs):
    if op == "box_iou":
        return box_ops.box_iou(inputs[0], inputs[1])
    if op == "generalized_box_iou":
        return box_ops.generalized_box_iou(inputs[0], inputs[1])
    if op == "box_iou_paired":
        return torch.diagonal(box_ops.box_iou(inputs[0], inputs[1]))
    if op == "generalized_box_iou_paired":
        return torch.diagonal(box_ops.generalized_box_iou(inputs[0], inputs[1]))
    if op == "box_area":
        return box_ops.box_area(inputs[0])
    if op == "clip_boxes_to_image":
        return box_ops.clip_boxes_to_image(inputs[0], (params["height"], params["width"]))
    if op == "remove_small_boxes":
        return box_ops.remove_small_boxes(inputs[0].detach(), params["min_size"])
    coder = BoxCoder(tuple(params["weights"]))
    if op == "decode_boxes":  # deltas [N, 4K], references [N, 4]
        return coder.decode_single(inputs[0], inputs[1])
    assert op == "encode_boxes", op  # targets: no gradient
    return coder.encode_single(inputs[0].detach(), inputs[1].detach())

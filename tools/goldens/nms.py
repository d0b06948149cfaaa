"""Golden indices for the nms case table (tests/kernels/nms/nms_cases.cpp) from torchvision.ops.nms
and batched_nms (Debian's python3-torchvision). The table's scores have no ties, so torchvision's
(unstable) sort and our tie rule give the same order."""
from torchvision.ops import boxes as box_ops


def compute(op, params, inputs):
    boxes, scores = inputs[0].detach(), inputs[1].detach()
    if op == "nms":
        return box_ops.nms(boxes, scores, params["iou_threshold"])
    assert op == "batched_nms", op
    return box_ops.batched_nms(boxes, scores, inputs[2], params["iou_threshold"])

#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora, tests/fuzz/corpus/<reader>/: small valid inputs of every
format each reader accepts, so that libFuzzer starts from the inside of the format. Run with Debian's
/usr/bin/python3 (python3-opencv and python3-pil write the images) from the repository root, after
`make pose-data det-data lift-data` (the COCO and LIFT seeds are cut from those files) and a build
(the checkpoint seed is written by BUILD/fuzz_replay_checkpoint):
    /usr/bin/python3 tests/fuzz/make_seeds.py [BUILD]
The files are committed; this script says where they came from."""
import gzip
import io
import json
import os
import shutil
import struct
import subprocess
import sys

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
rng = np.random.default_rng(15)


def put(reader, name, data):
    d = os.path.join(ROOT, reader)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def config():
    for name in sorted(os.listdir("configs")):
        with open(os.path.join("configs", name), "rb") as f:
            put("config", name, f.read())


def safetensors():
    def file(tensors, metadata):
        header, blobs, offset = {}, [], 0
        for name, (dtype, arr) in tensors.items():
            raw = arr.tobytes()
            header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
            blobs.append(raw)
            offset += len(raw)
        if metadata:
            header["__metadata__"] = metadata
        h = compact(header).encode()
        return struct.pack("<Q", len(h)) + h + b"".join(blobs)

    put("safetensors", "weights.safetensors", file({
        "conv1.weight": ("F32", rng.standard_normal((2, 1, 3, 3)).astype("<f4")),
        "conv1.bias": ("F32", rng.standard_normal(2).astype("<f4")),
        "optimizer.step": ("I64", np.array([7], "<i8")),
        "mask": ("U8", rng.integers(0, 2, (3, 4)).astype("u1"))}, {"epoch": "1", "step": "12"}))
    put("safetensors", "f64_i32.safetensors", file({
        "a": ("F64", rng.standard_normal((2, 2)).astype("<f8")),
        "b": ("I32", rng.integers(-9, 9, 5).astype("<i4"))}, None))
    put("safetensors", "empty_tensor.safetensors", file({"e": ("F32", np.zeros((0, 3), "<f4"))}, {}))


def checkpoint():
    """A checkpoint of fuzz_checkpoint.cpp's model after one Adam step, written by save_checkpoint itself:
    the target writes it when OCELLUS_FUZZ_WRITE_SEED names a file (BUILD: the build with the replays)."""
    d = os.path.join(ROOT, "checkpoint")
    os.makedirs(d, exist_ok=True)
    env = dict(os.environ, OCELLUS_FUZZ_WRITE_SEED=os.path.join(d, "adam_step1.safetensors"))
    subprocess.run([os.path.join(BUILD, "fuzz_replay_checkpoint"), d], env=env, check=True)


def coco_keypoints():
    d = json.load(open("runs/data/pose_multi_test/annotations.json"))
    images = d["images"][:2]
    ids = {im["id"] for im in images}
    put("coco_keypoints", "two_images.json", compact({"images": images, "categories": d["categories"],
        "annotations": [a for a in d["annotations"] if a["image_id"] in ids]}))
    put("coco_keypoints", "no_people.json", compact({"images": images[:1], "categories": d["categories"],
                                                     "annotations": []}))


def coco_detection():
    d = json.load(open("runs/data/det_test/annotations.json"))
    images = d["images"][:2]
    ids = {im["id"] for im in images}
    anns = [a for a in d["annotations"] if a["image_id"] in ids]
    put("coco_detection", "rle_masks.json", compact({"images": images, "categories": d["categories"], "annotations": anns}))
    boxes = [{k: v for k, v in a.items() if k != "segmentation"} for a in anns]
    put("coco_detection", "boxes.json", compact({"images": images, "categories": d["categories"], "annotations": boxes}))
    poly = dict(boxes[0], segmentation=[[10, 10, 30, 10, 30, 25, 12, 28]], iscrowd=0)
    crowd = dict(boxes[0], id=99, iscrowd=1, segmentation={"size": [128, 128], "counts": [300, 20, 108, 20, 15936]})
    put("coco_detection", "polygon_crowd.json", compact({"images": images[:1], "categories": d["categories"],
                                                        "annotations": [poly, crowd]}))


def coco_results():  # first byte: even = keypoint results, odd = detection results
    kps = [float(v) for k in range(17) for v in (rng.uniform(0, 60), rng.uniform(0, 40), 1)]
    put("coco_results", "keypoints.json", b"\x00" + compact([
        {"image_id": 1, "category_id": 1, "keypoints": kps, "score": 0.9},
        {"image_id": 7, "category_id": 1, "keypoints": kps[::-1], "score": 0.2}]).encode())
    put("coco_results", "boxes.json", b"\x01" + compact([
        {"image_id": 1, "category_id": 1, "bbox": [3.5, 4, 20, 10.25], "score": 0.8},
        {"image_id": 7, "category_id": 3, "bbox": [0, 0, 31, 31], "score": 0.1}]).encode())
    put("coco_results", "masks.json", b"\x01" + compact([
        {"image_id": 7, "category_id": 3, "bbox": [2, 2, 10, 10], "score": 0.7,
         "segmentation": {"size": [32, 32], "counts": "3000000003"}}]).encode())


def idx():  # first byte: even = plain, odd = gzip'd; second: max_items
    def file(arr, code):
        head = struct.pack(">BBBB", 0, 0, code, arr.ndim) + b"".join(struct.pack(">I", n) for n in arr.shape)
        return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    arrays = {"u8_images": (rng.integers(0, 256, (3, 4, 5)).astype("u1"), 0x08),
              "u8_labels": (rng.integers(0, 10, 6).astype("u1"), 0x08),
              "i32": (rng.integers(-99, 99, (2, 3)).astype("i4"), 0x0C),
              "f32": (rng.standard_normal((2, 2)).astype("f4"), 0x0D),
              "f64": (rng.standard_normal(3).astype("f8"), 0x0E)}
    for name, (arr, code) in arrays.items():
        raw = file(arr, code)
        put("idx", name + ".idx", b"\x00\x00" + raw)
        put("idx", name + ".idx.gz", b"\x01\x02" + gzip.compress(raw, mtime=0))


def image():  # first byte: channels asked for
    rgb = rng.integers(0, 256, (6, 7, 3)).astype("u1")
    gray = rng.integers(0, 256, (5, 4)).astype("u1")
    for ext in (".png", ".jpg", ".bmp", ".ppm"):
        put("image", "rgb" + ext, b"\x00" + cv2.imencode(ext, rgb)[1].tobytes())
    put("image", "gray.pgm", b"\x03" + cv2.imencode(".pgm", gray)[1].tobytes())
    put("image", "gray.png", b"\x01" + cv2.imencode(".png", gray)[1].tobytes())
    rgba = rng.integers(0, 256, (4, 5, 4)).astype("u1")
    put("image", "rgba.png", b"\x04" + cv2.imencode(".png", rgba)[1].tobytes())
    put("image", "gray.bmp", b"\x00" + cv2.imencode(".bmp", gray)[1].tobytes())  # 8-bit with a palette
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="BMP")  # 32-bit
    put("image", "rgba.bmp", b"\x00" + buf.getvalue())
    put("image", "text.pgm", b"\x00" + b"P2\n# a comment\n3 2\n15\n0 1 2\n13 14 15\n")
    put("image", "text.ppm", b"\x02" + b"P3 2 1 255 255 0 0 0 0 255\n")
    put("image", "gray16.png", b"\x00" + cv2.imencode(".png", (gray.astype("u2") * 257))[1].tobytes())
    put("image", "gray.jpg", b"\x03" + cv2.imencode(".jpg", gray)[1].tobytes())


def homography():
    shutil.copy("/usr/share/doc/opencv-doc/examples/data/H1to3p.xml", os.path.join(ROOT, "homography", "H1to3p.xml"))
    h = [0.75, -0.3, 47.4, 0.4, 0.71, -47.1, -0.0004, 0.00007, 1.0]
    put("homography", "H_1_2", "\n".join(" ".join(repr(v) for v in h[r * 3:r * 3 + 3]) for r in range(3)) + "\n")
    put("homography", "H.yml", "%YAML:1.0\n---\nH: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ "
        + ", ".join(repr(v) for v in h) + " ]\n")


def features():
    pts = [[float(rng.uniform(0, 60)), float(rng.uniform(0, 40)), 12.0, float(rng.uniform(0, 360)), 0.5] for _ in range(3)]
    put("features", "float.json", compact({"width": 64, "height": 48, "keypoints": pts,
        "descriptors": rng.standard_normal((3, 4)).round(4).tolist()}))
    put("features", "binary.json", compact({"width": 64, "height": 48, "keypoints": pts,
        "binary_descriptors": rng.integers(0, 256, (3, 2)).tolist()}))
    put("features", "none.json", compact({"width": 8, "height": 8, "keypoints": [], "descriptors": []}))


def lift_lists():  # first byte: even = pairs.json, odd = patches.json
    pairs = json.load(open("runs/data/lift_train/pairs.json"))[:2]
    put("lift_lists", "pairs.json", b"\x00" + compact(pairs).encode())
    patches = json.load(open("runs/data/lift_train/patches.json"))[:3]
    put("lift_lists", "patches.json", b"\x01" + compact(patches).encode())


if __name__ == "__main__":
    os.makedirs(os.path.join(ROOT, "homography"), exist_ok=True)
    for make in (config, safetensors, checkpoint, coco_keypoints, coco_detection, coco_results, idx, image, homography,
                 features, lift_lists):
        make()
    print("seeds written under", ROOT)

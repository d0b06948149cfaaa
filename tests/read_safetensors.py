#!/usr/bin/env python3
"""Reads a safetensors file with the standard library only (json + struct), independently of
ocellus, and prints it as JSON: {"header_len": N, "metadata": {...}, "order": [names in header order],
"tensors": {name: {"dtype": ..., "shape": [...], "values": [flat, row-major]}}}. Exits non-zero
with a message on stderr when the file breaks the format. Used by tests/test_safetensors.cpp to
prove that Python tools read our checkpoints."""
import json
import struct
import sys

FORMATS = {"F32": ("f", 4), "F64": ("d", 8), "I64": ("q", 8), "I32": ("i", 4), "U8": ("B", 1),
           "BOOL": ("?", 1), "BF16": ("H", 2)}


def fail(msg):
    sys.stderr.write("read_safetensors.py: " + msg + "\n")
    sys.exit(1)


def main(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail("shorter than the header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        fail("header length exceeds the file")
    pairs = json.loads(blob[8:8 + n].decode("utf-8"), object_pairs_hook=lambda p: p)
    data = blob[8 + n:]
    out = {"header_len": n, "metadata": {}, "order": [], "tensors": {}}
    spans = []
    for name, info in pairs:
        if name == "__metadata__":
            out["metadata"] = dict(info)
            continue
        info = dict(info)
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in FORMATS:
            fail("unknown dtype " + dtype)
        code, size = FORMATS[dtype]
        count = 1
        for d in shape:
            count *= d
        if end - begin != count * size or end > len(data):
            fail("tensor %s: offsets [%d, %d] do not hold %s%s" % (name, begin, end, dtype, shape))
        values = list(struct.unpack("<%d%s" % (count, code), data[begin:end]))
        if dtype == "BF16":  # the top 16 bits of a float32
            values = [struct.unpack("<f", struct.pack("<I", v << 16))[0] for v in values]
        out["order"].append(name)
        out["tensors"][name] = {"dtype": dtype, "shape": shape, "values": values}
        spans.append((begin, end))
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            fail("tensors do not tile the data section (gap or overlap at byte %d)" % begin)
        pos = end
    if pos != len(data):
        fail("%d bytes after the last tensor" % (len(data) - pos))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: read_safetensors.py FILE")
    main(sys.argv[1])

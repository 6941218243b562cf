"""safetensors_read.py: an independent reader of HF checkpoint folders, written
from the format's description (olmoe.md "Files"), not from our C: numpy only.
8-byte little-endian header length, JSON header, tensor bytes at
8 + N + begin; BF16 is the upper half of a float32; F16 is IEEE half.
Used by tests/stage/model_format.sh to check gen-checkpoint and model_open."""
import json
import os
import struct

import numpy as np


def header(path):
    """(header dict without __metadata__, data start offset, file size)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    return h, 8 + n, os.path.getsize(path)


def tensor(path, name):
    """The tensor as float32 numpy array of its shape."""
    h, start, _ = header(path)
    e = h[name]
    b, end = e["data_offsets"]
    with open(path, "rb") as f:
        f.seek(start + b)
        raw = f.read(end - b)
    dt = e["dtype"]
    if dt == "F32":
        a = np.frombuffer(raw, dtype="<f4")
    elif dt == "BF16":
        a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    elif dt == "F16":
        a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    else:
        raise ValueError(f"{path}: {name}: dtype {dt}")
    return a.reshape(e["shape"])


def weight_files(folder):
    """{tensor name: file path} for a single-file or sharded folder."""
    ix = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(ix):
        with open(ix) as f:
            wm = json.load(f)["weight_map"]
        return {k: os.path.join(folder, v) for k, v in wm.items()}
    p = os.path.join(folder, "model.safetensors")
    return {k: p for k in header(p)[0]}


def load(folder, name):
    return tensor(weight_files(folder)[name], name)

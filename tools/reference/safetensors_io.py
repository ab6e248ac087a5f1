"""Minimal safetensors reader/writer for the reference scripts (Debian ships no safetensors).

Format: u64 little-endian header length, JSON header {name: {dtype, shape, data_offsets}},
then the raw little-endian data. Header is padded with spaces to a multiple of 8 bytes.
"""
import json
import struct

import numpy as np
import torch

_DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}
_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def _raw(t):
    return t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()


def _write(path, entries, metadata, blobs):
    """entries: [(name, dtype name, shape, bytes)] in file order; blobs yields each tensor's bytes."""
    header, offset = {}, 0
    for name, dtype, shape, n in entries:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def save(path, tensors, metadata=None):
    ts = {name: tensors[name].detach().contiguous().cpu() for name in sorted(tensors)}
    raws = {name: _raw(t) for name, t in ts.items()}
    _write(path, [(name, _NAMES[t.dtype], t.shape, len(raws[name])) for name, t in ts.items()], metadata,
           (raws[name] for name in ts))


def save_streaming(path, shapes, dtype, make_tensor, metadata=None):
    """Like save(), one tensor in memory at a time: `shapes` {name: shape}, every tensor stored as
    `dtype`, make_tensor(name, shape) drawn just before it is written (T5-XXL is 9.5 GB)."""
    size = torch.tensor([], dtype=dtype).element_size()
    names = sorted(shapes)
    _write(path, [(n, _NAMES[dtype], shapes[n], size * int(np.prod(shapes[n], dtype=np.int64))) for n in names],
           metadata, (_raw(make_tensor(n, shapes[n]).detach().to(dtype).contiguous().cpu()) for n in names))


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, _ = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        raw = bytearray(data[base + begin:base + end])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def load_into(path, state):
    """Copies each tensor of the file into state[name] (converting to its dtype), reading one
    tensor at a time, so a model as large as Gemma-2-2B loads without a second copy of itself.
    Returns the names the file holds."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        base = 8 + n
        names = []
        for name, info in header.items():
            if name == "__metadata__":
                continue
            names.append(name)
            if name not in state:
                continue
            dtype, _ = _DTYPES[info["dtype"]]
            begin, end = info["data_offsets"]
            f.seek(base + begin)
            raw = bytearray(f.read(end - begin))
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16) if dtype == torch.bfloat16 \
                else torch.frombuffer(raw, dtype=dtype)
            with torch.no_grad():
                state[name].copy_(t.reshape(info["shape"]))
    return names


def save_npy(path, tensor):
    np.save(path, tensor.detach().cpu().float().numpy())

"""GGUF's block formats and the 8-bit floats in numpy, written from the format's description
(ggml's docs/gguf.md for the file; the block layouts as ggml-common.h lays them out), to check
the engine's C++ (kernels/cpu/quant.cpp, engine/io/gguf.cpp) bit for bit.

Each dequantized value is computed in float32 with one rounding per operation, in the order
kernels/cpu/quant.h states:  Q8_0 d*q;  Q4_0 d*(q-8);  Q5_0 d*(q-16);  Q4_1, Q5_1 d*q + m;
Q4_K, Q5_K (d*sc)*q - (dmin*m);  Q6_K (d*sc)*(q-32).

  python3 gguf_blocks.py make-fixtures [DIR]   tests/fixtures/gguf: blocks.gguf (random valid
        blocks of every type), fp8.safetensors (every FP8 code, a scaled FP8 weight) and
        expected.gguf (their values as F32, computed here)
  python3 gguf_blocks.py verify BLOCKS.gguf VALUES.gguf   every tensor of the first file,
        dequantized here, equals the F32 tensor of the same name in the second, bit for bit
        (tests/engine/test_gguf.cpp runs it on what the C++ quantizer wrote)
"""
import json
import os
import struct
import sys

import numpy as np

# ggml type id: (name, values per block, bytes per block)
TYPES = {0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
         7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
         14: ("Q6_K", 256, 210), 30: ("BF16", 1, 2)}
TYPE_ID = {v[0]: k for k, v in TYPES.items()}
F32 = np.float32


def f16(raw):
    """binary16 bytes (little-endian) -> float32 values, exactly."""
    return np.frombuffer(raw.tobytes(), dtype="<f2").astype(F32)


def blocks(raw, nbytes):
    return raw.reshape(-1, nbytes)


def dequant_q8_0(b):
    d = f16(b[:, 0:2])[:, None]
    q = b[:, 2:34].view(np.int8).astype(F32)
    return d * q


def nibbles(qs):
    """16 bytes -> values 0..15 for positions j (low nibble) and j+16 (high nibble)."""
    return np.concatenate([qs & 0xF, qs >> 4], axis=1).astype(np.int32)


def fifth_bits(qh4):
    """4 bytes, a little-endian u32: bit j is value j's fifth bit."""
    u = qh4.copy().view("<u4")[:, 0].astype(np.uint64)
    return ((u[:, None] >> np.arange(32, dtype=np.uint64)) & 1).astype(np.int32) << 4


def dequant_q4_0(b):
    d = f16(b[:, 0:2])[:, None]
    return d * (nibbles(b[:, 2:18]) - 8).astype(F32)


def dequant_q4_1(b):
    d, m = f16(b[:, 0:2])[:, None], f16(b[:, 2:4])[:, None]
    return d * nibbles(b[:, 4:20]).astype(F32) + m


def dequant_q5_0(b):
    d = f16(b[:, 0:2])[:, None]
    q = nibbles(b[:, 6:22]) | fifth_bits(b[:, 2:6])
    return d * (q - 16).astype(F32)


def dequant_q5_1(b):
    d, m = f16(b[:, 0:2])[:, None], f16(b[:, 2:4])[:, None]
    q = nibbles(b[:, 8:24]) | fifth_bits(b[:, 4:8])
    return d * q.astype(F32) + m


def scales_mins_k4(s):
    """12 bytes -> 8 six-bit scales and 8 six-bit mins (sub-blocks 0-3 in the low six bits of
    bytes 0-3 and 4-7; 4-7 in the nibbles of bytes 8-11 with their top bits in bytes 0-7)."""
    s = s.astype(np.int32)
    sc = np.empty((s.shape[0], 8), np.int32)
    mn = np.empty((s.shape[0], 8), np.int32)
    sc[:, :4] = s[:, 0:4] & 63
    mn[:, :4] = s[:, 4:8] & 63
    sc[:, 4:] = (s[:, 8:12] & 0xF) | ((s[:, 0:4] >> 6) << 4)
    mn[:, 4:] = (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)
    return sc, mn


def dequant_k4_k5(b, fifth):
    d, dmin = f16(b[:, 0:2])[:, None], f16(b[:, 2:4])[:, None]
    sc, mn = scales_mins_k4(b[:, 4:16])
    qs = b[:, 48:176] if fifth else b[:, 16:144]
    q = np.empty((b.shape[0], 256), np.int32)
    for c in range(4):  # chunk c: 32 bytes, low nibbles then high nibbles
        chunk = qs[:, 32 * c:32 * c + 32].astype(np.int32)
        q[:, 64 * c:64 * c + 32] = chunk & 0xF
        q[:, 64 * c + 32:64 * c + 64] = chunk >> 4
        if fifth:
            qh = b[:, 16:48].astype(np.int32)
            q[:, 64 * c:64 * c + 32] |= ((qh >> (2 * c)) & 1) << 4
            q[:, 64 * c + 32:64 * c + 64] |= ((qh >> (2 * c + 1)) & 1) << 4
    step = d * sc.astype(F32)     # [blocks, 8], one rounding
    low = dmin * mn.astype(F32)
    sub = np.repeat(np.arange(8), 32)
    return step[:, sub] * q.astype(F32) - low[:, sub]


def dequant_q6_k(b):
    ql, qh = b[:, 0:128].astype(np.int32), b[:, 128:192].astype(np.int32)
    sc = b[:, 192:208].view(np.int8).astype(F32)
    d = f16(b[:, 208:210])[:, None]
    q = np.empty((b.shape[0], 256), np.int32)
    for h in range(2):
        lo, hi = ql[:, 64 * h:64 * h + 64], qh[:, 32 * h:32 * h + 32]
        base = 128 * h
        q[:, base + 0:base + 32] = (lo[:, 0:32] & 0xF) | ((hi & 3) << 4)
        q[:, base + 32:base + 64] = (lo[:, 32:64] & 0xF) | (((hi >> 2) & 3) << 4)
        q[:, base + 64:base + 96] = (lo[:, 0:32] >> 4) | (((hi >> 4) & 3) << 4)
        q[:, base + 96:base + 128] = (lo[:, 32:64] >> 4) | (((hi >> 6) & 3) << 4)
    step = d * sc  # [blocks, 16]
    return step[:, np.arange(256) // 16] * (q - 32).astype(F32)


def dequantize(type_name, raw):
    """raw uint8 bytes of whole blocks -> flat float32 values."""
    if type_name == "F32":
        return raw.view("<f4").astype(F32)
    if type_name == "F16":
        return f16(raw)
    if type_name == "BF16":
        return (raw.view("<u2").astype(np.uint32) << 16).view(F32)
    fn = {"Q8_0": dequant_q8_0, "Q4_0": dequant_q4_0, "Q4_1": dequant_q4_1, "Q5_0": dequant_q5_0,
          "Q5_1": dequant_q5_1, "Q4_K": lambda b: dequant_k4_k5(b, False),
          "Q5_K": lambda b: dequant_k4_k5(b, True), "Q6_K": dequant_q6_k}[type_name]
    return fn(blocks(raw, TYPES[TYPE_ID[type_name]][2])).reshape(-1)


def fp8_e4m3(codes):
    """e4m3fn: bias 7, subnormals, no infinities, S.1111.111 is NaN."""
    c = codes.astype(np.int32)
    e, m = (c >> 3) & 15, (c & 7).astype(np.float64)
    v = np.where(e == 0, m * 2.0 ** -9, (8 + m) * np.exp2(e - 10.0))
    v = np.where((e == 15) & ((c & 7) == 7), np.nan, v)
    return np.where(c & 0x80, -v, v).astype(F32)


def fp8_e5m2(codes):
    """e5m2 is the upper byte of a binary16."""
    return (codes.astype(np.uint16) << 8).view("<f2").astype(F32)


# ---- GGUF files (version 3, little-endian) ----

def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def write_gguf(path, tensors, alignment=32, metadata=None):
    """tensors: name -> (type name, shape outermost first, raw uint8 bytes)."""
    kv = b""
    for key, value in (metadata or {}).items():
        kv += gguf_string(key) + struct.pack("<I", 8) + gguf_string(value)
    infos, data = b"", b""
    for name, (type_name, shape, raw) in tensors.items():
        data += b"\0" * (-len(data) % alignment)
        infos += gguf_string(name) + struct.pack("<I", len(shape))
        infos += b"".join(struct.pack("<Q", d) for d in reversed(shape))
        infos += struct.pack("<IQ", TYPE_ID[type_name], len(data))
        data += raw.tobytes()
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata or {})) + kv + infos
    with open(path, "wb") as f:
        f.write(head + b"\0" * (-len(head) % alignment) + data)


def read_gguf(path):
    """-> {name: (type name, shape outermost first, raw uint8 bytes)}"""
    buf = open(path, "rb").read()
    assert buf[:4] == b"GGUF", path
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", buf, 4)
    assert version == 3, version
    pos = 24
    alignment = 32

    def string(pos):
        (n,) = struct.unpack_from("<Q", buf, pos)
        return buf[pos + 8:pos + 8 + n].decode(), pos + 8 + n

    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def skip(t, pos):
        if t == 8:
            return string(pos)[1]
        if t == 9:
            et, n = struct.unpack_from("<IQ", buf, pos)
            pos += 12
            for _ in range(n):
                pos = skip(et, pos)
            return pos
        return pos + sizes[t]

    for _ in range(n_kv):
        key, pos = string(pos)
        (t,) = struct.unpack_from("<I", buf, pos)
        if key == "general.alignment":
            (alignment,) = struct.unpack_from("<I", buf, pos + 4)
        pos = skip(t, pos + 4)
    infos = []
    for _ in range(n_tensors):
        name, pos = string(pos)
        (nd,) = struct.unpack_from("<I", buf, pos)
        dims = struct.unpack_from("<%dQ" % nd, buf, pos + 4)
        t, off = struct.unpack_from("<IQ", buf, pos + 4 + 8 * nd)
        pos += 4 + 8 * nd + 12
        infos.append((name, TYPES[t], list(reversed(dims)), off))
    start = pos + (-pos % alignment)
    out = {}
    for name, (tname, bs, bb), shape, off in infos:
        n = int(np.prod(shape)) // bs * bb
        out[name] = (tname, shape, np.frombuffer(buf, np.uint8, n, start + off))
    return out


# ---- minimal F8 safetensors ----

def write_safetensors(path, tensors):
    """tensors: name -> (dtype string, shape, raw bytes)"""
    header, offset = {}, 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(r for _, _, r in tensors.values()))


def random_blocks(type_name, n_blocks, rng):
    """Valid blocks with every quant bit pattern possible: random bytes, with the binary16 scale
    fields set to finite values of both signs and the scale bytes random too."""
    _, bs, bb = TYPES[TYPE_ID[type_name]]
    raw = rng.integers(0, 256, size=(n_blocks, bb), dtype=np.uint8)

    def halves(n):
        return (rng.standard_normal(n) * 0.05).astype("<f2").view(np.uint8).reshape(n, 2)

    fields = {"Q8_0": [0], "Q4_0": [0], "Q5_0": [0], "Q4_1": [0, 2], "Q5_1": [0, 2], "Q4_K": [0, 2],
              "Q5_K": [0, 2], "Q6_K": [208]}[type_name]
    for at in fields:
        raw[:, at:at + 2] = halves(n_blocks)
    return raw


def make_fixtures(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(19)
    quant, expected = {}, {}
    for name in ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"]:
        shape = [3, 512]
        raw = random_blocks(name, 3 * 512 // TYPES[TYPE_ID[name]][1], rng)
        quant[name.lower()] = (name, shape, raw.reshape(-1))
        expected[name.lower()] = ("F32", shape, dequantize(name, raw.reshape(-1)).view(np.uint8))
    # A 3-D tensor: GGUF lists dimensions innermost first.
    raw = random_blocks("Q8_0", 2 * 3 * 64 // 32, rng).reshape(-1)
    quant["q8_0_3d"] = ("Q8_0", [2, 3, 64], raw)
    expected["q8_0_3d"] = ("F32", [2, 3, 64], dequantize("Q8_0", raw).view(np.uint8))
    halfs = rng.standard_normal(64).astype("<f2").view(np.uint8)
    quant["f16"] = ("F16", [2, 32], halfs)
    expected["f16"] = ("F32", [2, 32], dequantize("F16", halfs).view(np.uint8))
    write_gguf(os.path.join(out, "blocks.gguf"), quant, metadata={"general.architecture": "dit-test"})

    codes = np.arange(256, dtype=np.uint8)
    scaled = rng.integers(0, 256, size=(4, 32), dtype=np.uint8)
    scaled[(scaled & 0x7F) == 0x7F] = 0  # no NaN codes in a weight
    scale = np.array([0.0123], F32)
    write_safetensors(os.path.join(out, "fp8.safetensors"), {
        "e4m3": ("F8_E4M3", [256], codes.tobytes()),
        "e5m2": ("F8_E5M2", [256], codes.tobytes()),
        "layer.weight": ("F8_E4M3", [4, 32], scaled.tobytes()),
        "layer.scale_weight": ("F32", [], scale.tobytes()),
        "scaled_fp8": ("F8_E4M3", [0], b""),
    })
    expected["fp8_e4m3"] = ("F32", [256], fp8_e4m3(codes).view(np.uint8))
    expected["fp8_e5m2"] = ("F32", [256], fp8_e5m2(codes).view(np.uint8))
    expected["fp8_scaled"] = ("F32", [4, 32], (fp8_e4m3(scaled.reshape(-1)) * scale[0]).view(np.uint8))
    write_gguf(os.path.join(out, "expected.gguf"), expected)


def verify(blocks_path, values_path):
    got, want = read_gguf(blocks_path), read_gguf(values_path)
    bad = 0
    for name, (tname, shape, raw) in got.items():
        mine = dequantize(tname, raw)
        theirs = want[name][2].view("<f4")
        if mine.tobytes() != theirs.tobytes():
            diff = int(np.sum(mine.view(np.uint32) != theirs.view(np.uint32)))
            print("%s (%s %s): %d of %d values differ" % (name, tname, shape, diff, mine.size))
            bad += 1
    print("%d tensors, %d differ" % (len(got), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    if len(sys.argv) >= 2 and sys.argv[1] == "make-fixtures":
        make_fixtures(sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "..", "tests", "fixtures", "gguf"))
    elif len(sys.argv) == 4 and sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    else:
        print(__doc__)
        sys.exit(2)

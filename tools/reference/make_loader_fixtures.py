"""Fixtures for tests/engine/test_loaders.cpp (run by hand: /usr/bin/python3 this_file).

Writes into tests/fixtures/loaders/:
  mixed.safetensors     F32, F16 and BF16 tensors, the half formats full of edge values
                        (subnormals, +-0, +-inf, NaN, max, values that round), via safetensors_io
  f16_as_f32.npy        what torch's .float() makes of the F16 tensor
  bf16_as_f32.npy       ... of the BF16 tensor
  image_x.npy           a [1, 3, H, W] f32 decoder output, values around and beyond [-1, 1]
  image_rgb.npy         [H, W, 3] as diffusers' postprocess makes it (stored as f4)
  npy_v2_f4.npy, npy_f8.npy, npy_f2.npy, npy_scalar.npy   readable .npy variants
  npy_fortran.npy, npy_i8.npy, npy_big_endian.npy         .npy files the reader must refuse
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "loaders")


def half_edge_values():
    vals = [0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, 6.1035156e-05, 5.9604645e-08, -5.9604645e-08,
            3.0517578e-05, 1e-6, 0.1, 1.0 / 3.0, float("inf"), float("-inf"), float("nan"), 3.14159, -1e-3]
    g = torch.Generator().manual_seed(7)
    vals += (torch.randn(14, generator=g) * 10).tolist()
    return torch.tensor(vals, dtype=torch.float32)


def postprocess_like_diffusers(x):
    # VaeImageProcessor: denormalize (x / 2 + 0.5).clamp(0, 1), to numpy NHWC, then numpy_to_pil's
    # (images * 255).round().astype("uint8").
    img = (x / 2 + 0.5).clamp(0, 1)
    img = img.cpu().permute(0, 2, 3, 1).float().numpy()
    return (img * 255).round().astype("uint8")


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    f32 = torch.randn(2, 3, generator=g)
    base = half_edge_values()
    f16 = base.to(torch.float16).reshape(4, 8)
    bf16 = (base * 1.7).to(torch.bfloat16).reshape(4, 8)
    safetensors_io.save(os.path.join(OUT, "mixed.safetensors"), {"f32": f32, "f16": f16, "bf16": bf16},
                        metadata={"format": "pt"})
    np.save(os.path.join(OUT, "f32.npy"), f32.numpy())
    np.save(os.path.join(OUT, "f16_as_f32.npy"), f16.float().numpy())
    np.save(os.path.join(OUT, "bf16_as_f32.npy"), bf16.float().numpy())

    # Image: a smooth spread over [-1.2, 1.2] plus every value whose scaled form lands near a .5 tie.
    h, w = 8, 40
    x = torch.linspace(-1.2, 1.2, 3 * h * w)
    ties = (torch.arange(256, dtype=torch.float32) + 0.5) / 255 * 2 - 1
    x[: ties.numel()] = ties
    x = x[torch.randperm(x.numel(), generator=g)].reshape(1, 3, h, w).contiguous()
    np.save(os.path.join(OUT, "image_x.npy"), x.numpy())
    np.save(os.path.join(OUT, "image_rgb.npy"), postprocess_like_diffusers(x)[0].astype(np.float32))

    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5
    with open(os.path.join(OUT, "npy_v2_f4.npy"), "wb") as f:
        np.lib.format.write_array(f, a, version=(2, 0))
    np.save(os.path.join(OUT, "npy_f8.npy"), a.astype(np.float64))
    np.save(os.path.join(OUT, "npy_f2.npy"), a.astype(np.float16))
    np.save(os.path.join(OUT, "npy_scalar.npy"), np.float32(2.5))
    np.save(os.path.join(OUT, "npy_fortran.npy"), np.asfortranarray(a))
    np.save(os.path.join(OUT, "npy_i8.npy"), np.arange(6, dtype="<i8"))
    np.save(os.path.join(OUT, "npy_big_endian.npy"), a.astype(">f4"))


if __name__ == "__main__":
    main()

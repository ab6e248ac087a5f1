"""Writes tests/fixtures/pixart/: two tiny random PixArtTransformer2DModels and their outputs.

  alpha/transformer/   PixArt-α layout: "_class_name": "Transformer2DModel", micro-conditioning
                       (resolution/aspect-ratio embedders, use_additional_conditions true),
                       interpolation_scale null; D = 3 heads x 16 = 48, 2 layers, out 8 (learned
                       sigma). Matrices (2-D and conv weights) stored F16, biases and
                       scale_shift_tables F32, so one file covers mmapped f32 views and f16
                       conversion.
  sigma/transformer/   PixArt-Σ layout: "_class_name": "PixArtTransformer2DModel", no
                       micro-conditioning, interpolation_scale 2, sample_size 12 (base grid 6, so
                       the position grid is rescaled by a non-integer factor); D = 2 heads x 16,
                       2 layers, out 8; every tensor stored BF16.
  <name>/expected.safetensors
                       inputs (latent [2, 4, 8, 12], timestep [2], prompt_embeds [2, 6, 24],
                       prompt_mask [2, 6] as 0/1 floats, resolution [2, 2], aspect_ratio [2, 1]),
                       pos_embed [24, D] for the 4 x 6 token grid, and output [2, 8, 8, 12].

Every weight is rounded to its stored dtype first, and the outputs are computed in float64 from
those rounded weights, so the fixture checks the C++ model's float32 arithmetic, not the rounding.

Run: /usr/bin/python3 tools/reference/make_pixart_fixture.py   (from the repository root)
"""
import copy
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pixart  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "pixart")

COMMON = {
    "_diffusers_version": "0.30.0",
    "activation_fn": "gelu-approximate",
    "attention_bias": True,
    "attention_type": "default",
    "dropout": 0.0,
    "in_channels": 4,
    "norm_elementwise_affine": False,
    "norm_eps": 1e-06,
    "norm_num_groups": 32,
    "norm_type": "ada_norm_single",
    "num_embeds_ada_norm": 1000,
    "num_layers": 2,
    "only_cross_attention": False,
    "out_channels": 8,
    "patch_size": 2,
    "upcast_attention": False,
    "caption_channels": 24,
}

MODELS = {
    "alpha": dict(COMMON, **{
        "_class_name": "Transformer2DModel",
        "num_attention_heads": 3,
        "attention_head_dim": 16,
        "cross_attention_dim": 48,
        "sample_size": 8,
        "interpolation_scale": None,
        "use_additional_conditions": True,
        "double_self_attention": False,
        "num_vector_embeds": None,
        "use_linear_projection": False,
    }),
    "sigma": dict(COMMON, **{
        "_class_name": "PixArtTransformer2DModel",
        "num_attention_heads": 2,
        "attention_head_dim": 16,
        "cross_attention_dim": 32,
        "sample_size": 12,
        "interpolation_scale": 2,
        "use_additional_conditions": False,
    }),
}

IMAGE_H, IMAGE_W = 64, 96  # pixels; the latent is 8 x 12 (VAE factor 8)


def storage_dtype(name, param, model_name):
    if model_name == "sigma":
        return torch.bfloat16
    return torch.float16 if param.ndim >= 2 and "scale_shift_table" not in name else torch.float32


def randomise(model, model_name):
    """Zero-free weights of a size that keeps every path visible in the output."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "scale_shift_table" in name:
                p.copy_(0.5 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn_like(p) / fan_in ** 0.5)
            # No exact zeros (a zero would hide a swapped or skipped tensor).
            p.copy_(torch.where(p == 0, torch.full_like(p, 1e-3), p))
            p.copy_(p.to(storage_dtype(name, p, model_name)).float())


def write(model_name, cfg, inputs):
    model = pixart.PixArtTransformer2DModel(cfg)
    randomise(model, model_name)
    model.eval()

    folder = os.path.join(OUT, model_name, "transformer")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    state = {k: v.detach().to(storage_dtype(k, v, model_name)).contiguous()
             for k, v in model.state_dict().items()}
    safetensors_io.save(os.path.join(folder, "diffusion_pytorch_model.safetensors"), state, {"format": "pt"})

    c = model.c
    ref = copy.deepcopy(model).double()
    with torch.no_grad():
        out = ref(inputs["latent"].double(), inputs["timestep"], inputs["prompt_embeds"].double(),
                  inputs["prompt_mask"], inputs["resolution"], inputs["aspect_ratio"]).float()
    p = c["patch_size"]
    gh, gw = inputs["latent"].shape[2] // p, inputs["latent"].shape[3] // p
    pos = pixart.sincos_pos_embed_2d(c["dim"], gh, gw, c["sample_size"] // p, c["interpolation_scale"])

    # The float32 model (what a float32 engine computes) must agree with the float64 one.
    model32 = model
    with torch.no_grad():
        out32 = model32(inputs["latent"], inputs["timestep"], inputs["prompt_embeds"], inputs["prompt_mask"],
                        inputs["resolution"], inputs["aspect_ratio"])
    err32 = (out32 - out).abs().max().item()

    # Patchifying with the conv equals a linear map over p x p patches in (c, ky, kx) order.
    lat = inputs["latent"]
    patches = lat.reshape(2, 4, gh, p, gw, p).permute(0, 2, 4, 1, 3, 5).reshape(2, gh * gw, -1)
    w = model32.pos_embed.proj.weight.reshape(c["dim"], -1)
    conv = model32.pos_embed.proj(lat).flatten(2).transpose(1, 2)
    assert (patches @ w.t() + model32.pos_embed.proj.bias - conv).abs().max() < 1e-5

    tensors = dict(inputs)
    tensors["pos_embed"] = pos
    tensors["output"] = out
    safetensors_io.save(os.path.join(OUT, model_name, "expected.safetensors"), tensors,
                        {"made_by": "tools/reference/make_pixart_fixture.py"})

    n = sum(t.numel() for t in model.parameters())
    print(f"{model_name}: D={c['dim']} {n} parameters, micro-conditioning {c['use_additional_conditions']},"
          f" interpolation_scale {c['interpolation_scale']}; output std {out.std():.3f} max|out|"
          f" {out.abs().max():.3f}; float32 torch vs float64: {err32:.2e}")
    # Sanity: the padding mask and the micro-conditioning both change the output.
    with torch.no_grad():
        unmasked = ref(inputs["latent"].double(), inputs["timestep"], inputs["prompt_embeds"].double(),
                       torch.ones_like(inputs["prompt_mask"]), inputs["resolution"], inputs["aspect_ratio"])
        print(f"  mask effect on item 0: {(unmasked[0] - out[0].double()).abs().max():.3e}")
        if c["use_additional_conditions"]:
            other = ref(inputs["latent"].double(), inputs["timestep"], inputs["prompt_embeds"].double(),
                        inputs["prompt_mask"], inputs["resolution"] * 2, inputs["aspect_ratio"])
            print(f"  resolution effect: {(other - out.double()).abs().max():.3e}")


def main():
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    inputs = {
        "latent": torch.randn(2, 4, 8, 12, generator=gen),
        "timestep": torch.tensor([999.0, 500.5]),
        "prompt_embeds": torch.randn(2, 6, 24, generator=gen),
        "prompt_mask": torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.float32),
        "resolution": torch.tensor([[IMAGE_H, IMAGE_W]] * 2, dtype=torch.float32),
        "aspect_ratio": torch.tensor([[float(IMAGE_H / IMAGE_W)]] * 2, dtype=torch.float32),
    }
    for name, cfg in MODELS.items():
        write(name, cfg, inputs)
    for root, _, files in os.walk(OUT):
        for name in sorted(files):
            path = os.path.join(root, name)
            print(f"  {os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()

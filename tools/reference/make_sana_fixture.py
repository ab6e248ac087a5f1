"""Writes tests/fixtures/sana/: three tiny random SanaTransformer2DModels and their outputs.

  sana/transformer/    Sana (v0.32 keys): patch 1, D = 2 heads x 8 = 16, cross-attention 2 x 8,
                       mlp_ratio 2.5 (F = 40), no attention bias, no position table
                       (interpolation_scale null); every tensor F32 (the mmapped-view path).
  sprint/transformer/  Sana-Sprint (v0.33 keys): guidance_embeds, qk_norm "rms_norm_across_heads",
                       attention_bias true; matrices BF16, the rest F32.
  pe/transformer/      the 2K/4K variant: interpolation_scale 1.5 with sample_size 6 and patch 2
                       (base grid 3, so the table is rescaled by a non-integer factor); matrices F16.
  controlnet/controlnet/  a SanaControlNetModel (v0.34) of 2 blocks for the "sana" transformer,
                       F32; its zero-initialised linears randomised so they matter.
                       controlnet/control_latent.npy [2, 4, 6, 10] and controlnet/output.npy: the
                       "sana" transformer's output with the residuals at conditioning scale 0.7
                       (residual 0 joins after block 1; residual 1 has no block 2 to follow).
  <name>/*.npy         inputs latent [2, 4, 6, 10] (non-square), timestep [2], prompt_embeds
                       [2, 5, 12], prompt_mask [2, 5] (0/1 floats, item 0 padded), guidance [2]
                       (sprint only) and output [2, 4, 6, 10].

Weights are rounded to their stored dtype first and the expected output is the float64 evaluation
of those rounded weights, so the fixture checks the engine's float32 arithmetic, not the rounding.

Run: /usr/bin/python3 tools/reference/make_sana_fixture.py   (from the repository root)
"""
import copy
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diffusers_folder  # noqa: E402
import safetensors_io  # noqa: E402
import sana  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "sana")

COMMON = {
    "_class_name": "SanaTransformer2DModel",
    "_diffusers_version": "0.32.0",
    "in_channels": 4,
    "out_channels": 4,
    "num_attention_heads": 2,
    "attention_head_dim": 8,
    "num_layers": 2,
    "num_cross_attention_heads": 2,
    "cross_attention_head_dim": 8,
    "cross_attention_dim": 16,
    "caption_channels": 12,
    "mlp_ratio": 2.5,
    "dropout": 0.0,
    "attention_bias": False,
    "sample_size": 8,
    "patch_size": 1,
    "norm_elementwise_affine": False,
    "norm_eps": 1e-06,
    "interpolation_scale": None,
}

MODELS = {
    "sana": dict(COMMON),
    "sprint": dict(COMMON, **{
        "_diffusers_version": "0.33.0",
        "attention_bias": True,
        "guidance_embeds": True,
        "guidance_embeds_scale": 0.1,
        "qk_norm": "rms_norm_across_heads",
        "timestep_scale": 1.0,
    }),
    "pe": dict(COMMON, **{
        "sample_size": 6,
        "patch_size": 2,
        "interpolation_scale": 1.5,
    }),
}


def storage_dtype(model_name):
    def pick(name, t):
        if model_name == "sana" or t.ndim < 2 or "scale_shift_table" in name:
            return torch.float32
        return torch.bfloat16 if model_name == "sprint" else torch.float16
    return pick


def randomise(model, pick):
    """Zero-free weights of a size that keeps every path visible in the output."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "scale_shift_table" in name:
                p.copy_(0.5 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "norm" in name:  # RMSNorm weights around 1
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn_like(p) / fan_in ** 0.5)
            p.copy_(torch.where(p == 0, torch.full_like(p, 1e-3), p))
            p.copy_(p.to(pick(name, p)).float())


def write(name, cfg, inputs):
    model = sana.SanaTransformer2DModel(cfg)
    pick = storage_dtype(name)
    randomise(model, pick)
    model.eval()
    diffusers_folder.write_component(os.path.join(OUT, name, "transformer"), cfg, model.state_dict(), pick)

    guidance = inputs["guidance"] if cfg.get("guidance_embeds") else None
    ref = copy.deepcopy(model).double()
    with torch.no_grad():
        out = ref(inputs["latent"].double(), inputs["timestep"], inputs["prompt_embeds"].double(),
                  inputs["prompt_mask"], guidance).float()
        out32 = model(inputs["latent"], inputs["timestep"], inputs["prompt_embeds"], inputs["prompt_mask"], guidance)
        unmasked = ref(inputs["latent"].double(), inputs["timestep"], inputs["prompt_embeds"].double(),
                       torch.ones_like(inputs["prompt_mask"]), guidance)
    folder = os.path.join(OUT, name)
    for key in ("latent", "timestep", "prompt_embeds", "prompt_mask"):
        safetensors_io.save_npy(os.path.join(folder, key + ".npy"), inputs[key])
    if guidance is not None:
        safetensors_io.save_npy(os.path.join(folder, "guidance.npy"), guidance)
    safetensors_io.save_npy(os.path.join(folder, "output.npy"), out)
    n = sum(t.numel() for t in model.parameters())
    print(f"{name}: {n} parameters; output std {out.std():.3f} max|out| {out.abs().max():.3f}; "
          f"float32 torch vs float64 {(out32 - out).abs().max():.2e}; mask effect on item 0 "
          f"{(unmasked[0] - out[0].double()).abs().max():.2e}")
    return model


CONTROL_SCALE = 0.7


def write_controlnet(base, inputs):
    cfg = dict(COMMON, **{"_class_name": "SanaControlNetModel", "_diffusers_version": "0.34.0"})
    net = sana.SanaControlNetModel(cfg)
    randomise(net, storage_dtype("sana"))
    net.eval()
    diffusers_folder.write_component(os.path.join(OUT, "controlnet", "controlnet"), cfg, net.state_dict())
    gen = torch.Generator().manual_seed(19)
    control_latent = torch.randn(2, 4, 6, 10, generator=gen)
    ref_net, ref_base = copy.deepcopy(net).double(), copy.deepcopy(base).double()
    with torch.no_grad():
        res = ref_net(inputs["latent"].double(), inputs["timestep"], inputs["prompt_embeds"].double(),
                      inputs["prompt_mask"], control_latent.double(), CONTROL_SCALE)
        out = ref_base(inputs["latent"].double(), inputs["timestep"], inputs["prompt_embeds"].double(),
                       inputs["prompt_mask"], control=res).float()
        plain = ref_base(inputs["latent"].double(), inputs["timestep"], inputs["prompt_embeds"].double(),
                         inputs["prompt_mask"]).float()
    folder = os.path.join(OUT, "controlnet")
    safetensors_io.save_npy(os.path.join(folder, "control_latent.npy"), control_latent)
    safetensors_io.save_npy(os.path.join(folder, "output.npy"), out)
    print(f"controlnet: scale {CONTROL_SCALE}, control effect {(out - plain).abs().max():.3e}")


def main():
    gen = torch.Generator().manual_seed(18)
    torch.manual_seed(18)
    inputs = {
        "latent": torch.randn(2, 4, 6, 10, generator=gen),
        "timestep": torch.tensor([999.0, 380.5]),
        "prompt_embeds": torch.randn(2, 5, 12, generator=gen),
        "prompt_mask": torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.float32),
        "guidance": torch.tensor([0.45, 0.3]),  # guidance_scale x guidance_embeds_scale
    }
    models = {name: write(name, cfg, inputs) for name, cfg in MODELS.items()}
    write_controlnet(models["sana"], inputs)
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            path = os.path.join(root, f)
            print(f"  {os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()

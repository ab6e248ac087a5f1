"""Writes tests/fixtures/controlnet/: tiny random ControlNet-Transformer adapters and reference outputs.

Model level (the C++ PixArtControlNetAdapter + ControlSet against tools/reference/controlnet.py):
  transformer/          a base PixArtTransformer2DModel: 4 blocks, D = 2 heads x 16, caption 24,
                        no micro-conditioning, matrices stored F16 (the rest F32)
  delta/                PixArt-δ layout: 2 control blocks after base blocks 0 and 1 (no
                        block_indices in config.json, the default)
  relactrl/             RelaCtrl layout: 2 control blocks after base blocks 0 and 2
                        ("block_indices": [0, 2])
  expected.safetensors  inputs latent [2, 4, 8, 12], cond [1, 4, 8, 12] (the control latent),
                        timestep [2], prompt_embeds [2, 6, 24], prompt_mask [2, 6]; outputs
                        [2, 8, 8, 12]: out_base, out_delta, out_relactrl, out_composed (delta x 0.7
                        + relactrl x -1.3), out_delta_skip1, out_relactrl_skip0
Pipeline level (dit-cli generate / Engine against tools/reference/pipeline.py + controls):
  alpha_edges/, alpha_pose/   1-block adapters for tests/fixtures/tiny-pixart-alpha (D = 48)
  edges.png, pose.png         96 x 64 control maps
  alpha_control_expected.npy  dpm++2m, 4 steps, cfg 4.5, alpha_noise.npy, edges weight 1 over
                              the whole schedule; decoded [1, 3, 64, 96] in [-1, 1]
  alpha_control_two_expected.npy   the same with edges x 0.8 over [0, 0.5] and pose x 1.2 over
                              [0.25, 1] (acting steps: edges 0-1, pose 1-3)

Adapter weights are random and non-zero (a zero after_proj would hide the whole branch).
Outputs are computed in float64 from the weights rounded to their stored dtype. The script also
checks that the general controlled forward equals diffusers' PixArtControlNetTransformerModel
loop for the default layout.

Run: /usr/bin/python3 tools/reference/make_controlnet_fixture.py   (from the repository root)
"""
import copy
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controlnet  # noqa: E402
import diffusers_folder  # noqa: E402
import make_tiny_pipeline  # noqa: E402
import pipeline  # noqa: E402
import pixart  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(FIX, "controlnet")

BASE = {
    "_class_name": "PixArtTransformer2DModel", "activation_fn": "gelu-approximate", "attention_bias": True,
    "in_channels": 4, "out_channels": 8, "norm_eps": 1e-6, "norm_type": "ada_norm_single",
    "norm_elementwise_affine": False, "patch_size": 2, "num_layers": 4, "caption_channels": 24,
    "num_embeds_ada_norm": 1000, "num_attention_heads": 2, "attention_head_dim": 16, "cross_attention_dim": 32,
    "sample_size": 8, "interpolation_scale": None, "use_additional_conditions": False,
}


def f16_matrices(name, t):
    return torch.float16 if t.ndim >= 2 and "scale_shift_table" not in name else torch.float32


def randomise(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=gen)
            if "scale_shift_table" in name:
                p.copy_(0.5 * r)
            elif name.endswith(".bias"):
                p.copy_(0.1 * r)
            else:
                p.copy_(r / max(p[0].numel(), 1) ** 0.5)
            p.copy_(torch.where(p == 0, torch.full_like(p, 1e-3), p))


def save(folder, config, model, dtype):
    shutil.rmtree(folder, ignore_errors=True)
    pick = dtype if callable(dtype) else (lambda n, t: dtype)
    with torch.no_grad():  # the reference reads exactly what C++ reads
        for name, p in model.named_parameters():
            p.copy_(p.to(pick(name, p)).float())
    diffusers_folder.write_component(folder, config, model.state_dict(), dtype, "diffusers")


def model_level(gen):
    base = pixart.PixArtTransformer2DModel(BASE)
    randomise(base, gen)
    save(os.path.join(OUT, "transformer"), BASE, base, f16_matrices)
    delta = controlnet.PixArtControlNetAdapterModel(BASE, 2)
    randomise(delta, gen)
    save(os.path.join(OUT, "delta"), delta.config(), delta, f16_matrices)
    rela = controlnet.PixArtControlNetAdapterModel(BASE, 2, [0, 2])
    randomise(rela, gen)
    save(os.path.join(OUT, "relactrl"), rela.config(), rela, f16_matrices)

    inputs = {
        "latent": torch.randn(2, 4, 8, 12, generator=gen),
        "cond": torch.randn(1, 4, 8, 12, generator=gen),
        "timestep": torch.tensor([999.0, 500.5]),
        "prompt_embeds": torch.randn(2, 6, 24, generator=gen),
        "prompt_mask": torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.float32),
    }
    b64, d64, r64 = (copy.deepcopy(m).double().eval() for m in (base, delta, rela))
    args = (inputs["latent"].double(), inputs["timestep"], inputs["prompt_embeds"].double(), inputs["prompt_mask"])
    cond = inputs["cond"].double()
    cases = {
        "out_base": [],
        "out_delta": [dict(adapter=d64, cond=cond)],
        "out_relactrl": [dict(adapter=r64, cond=cond)],
        "out_composed": [dict(adapter=d64, cond=cond, weight=0.7), dict(adapter=r64, cond=cond, weight=-1.3)],
        "out_delta_skip1": [dict(adapter=d64, cond=cond, skip={1})],
        "out_relactrl_skip0": [dict(adapter=r64, cond=cond, skip={0})],
    }
    tensors = dict(inputs)
    with torch.no_grad():
        for name, controls in cases.items():
            tensors[name] = controlnet.controlled_forward(b64, *args, controls).float()
        plain = b64(*args)
        ref = controlnet.diffusers_forward(b64, d64, *args, cond)
    assert (plain.float() - tensors["out_base"]).abs().max() < 1e-6, "no control must be the base model"
    err = (ref.float() - tensors["out_delta"]).abs().max().item()
    assert err < 1e-6, f"general forward differs from diffusers' loop by {err}"
    safetensors_io.save(os.path.join(OUT, "expected.safetensors"), tensors,
                        {"made_by": "tools/reference/make_controlnet_fixture.py"})
    for name in cases:
        if name != "out_base":
            d = (tensors[name] - tensors["out_base"]).abs().max().item()
            print(f"{name}: max |out - base| {d:.3f}")
    print(f"general forward vs diffusers loop (delta): {err:.2e}")
    # A fresh PixArt-δ adapter (copied blocks, zero projections) leaves the base unchanged.
    fresh = controlnet.PixArtControlNetAdapterModel.from_transformer(base, BASE, 2).double()
    with torch.no_grad():
        z = controlnet.controlled_forward(b64, *args, [dict(adapter=fresh, cond=cond)])
    assert (z - plain).abs().max() == 0


class ControlledTransformer:
    """Stands in for pipeline.PixArtPipeline's transformer: counts its calls (one per step) and
    runs the controls acting at that step (diffusers' start/end rule)."""

    def __init__(self, base, controls, steps):
        self.base, self.controls, self.steps, self.step = base, controls, steps, 0

    def __call__(self, latent, t, embeds, mask, resolution, aspect):
        i, n = self.step, self.steps
        self.step += 1
        acting = [c for c in self.controls
                  if np.float32(i) / np.float32(n) >= np.float32(c["start"])
                  and np.float32(i + 1) / np.float32(n) <= np.float32(c["end"])]
        return controlnet.controlled_forward(self.base, latent, t, embeds, mask, acting, resolution, aspect)


def pipeline_level(gen):
    alpha = os.path.join(FIX, "tiny-pixart-alpha")
    with open(os.path.join(alpha, "transformer", "config.json")) as f:
        alpha_cfg = json.load(f)
    adapters = {}
    for name in ("alpha_edges", "alpha_pose"):
        a = controlnet.PixArtControlNetAdapterModel(alpha_cfg, 1)
        randomise(a, gen)
        save(os.path.join(OUT, name), a.config(), a, f16_matrices)
        adapters[name] = a
    w, h = make_tiny_pipeline.WIDTH, make_tiny_pipeline.HEIGHT
    yy, xx = np.mgrid[0:h, 0:w]
    edges = (((xx - 48) ** 2 + (yy - 32) ** 2 - 20 ** 2) ** 2 < 40 ** 2) | (np.abs(xx - yy - 10) < 1)
    edges = np.repeat((edges * 255).astype(np.uint8)[..., None], 3, axis=2)
    pose = np.zeros((h, w, 3), np.uint8)
    pose[10:54, 46:50] = (255, 0, 0)
    pose[20:24, 20:76] = (0, 255, 85)
    pose[50:60, 30:40] = (0, 85, 255)
    images = {}
    for name, rgb in (("edges", edges), ("pose", pose)):
        make_tiny_pipeline.write_png(os.path.join(OUT, name + ".png"), rgb)
        images[name] = torch.from_numpy(rgb.astype(np.float64) / 255.0 * 2 - 1).permute(2, 0, 1)[None]

    pipe = pipeline.PixArtPipeline(alpha)
    noise = torch.from_numpy(np.load(os.path.join(FIX, "pipeline", "alpha_noise.npy")))
    steps = 4
    lat = {k: pipe.vae.encode(v) for k, v in images.items()}
    a64 = {k: copy.deepcopy(v).double().eval() for k, v in adapters.items()}
    cases = {
        "alpha_control": [dict(adapter=a64["alpha_edges"], cond=lat["edges"], weight=1.0, start=0.0, end=1.0)],
        "alpha_control_two": [
            dict(adapter=a64["alpha_edges"], cond=lat["edges"], weight=0.8, start=0.0, end=0.5),
            dict(adapter=a64["alpha_pose"], cond=lat["pose"], weight=1.2, start=0.25, end=1.0)],
    }
    base = pipe.transformer
    plain = pipe(make_tiny_pipeline.PROMPT, make_tiny_pipeline.NEGATIVE, w, h, steps, "dpm++2m", 4.5, noise, 0)
    for name, controls in cases.items():
        pipe.transformer = ControlledTransformer(base, controls, steps)
        image = pipe(make_tiny_pipeline.PROMPT, make_tiny_pipeline.NEGATIVE, w, h, steps, "dpm++2m", 4.5, noise, 0)
        assert pipe.transformer.step == steps
        np.save(os.path.join(OUT, f"{name}_expected.npy"), image.float().numpy())
        print(f"{name}: image std {image.std():.3f}, max |image - no control| {(image - plain).abs().max():.3f}")
    pipe.transformer = base


def main():
    gen = torch.Generator().manual_seed(6)
    os.makedirs(OUT, exist_ok=True)
    model_level(gen)
    pipeline_level(gen)
    total = 0
    for root, _, files in os.walk(OUT):
        for name in sorted(files):
            path = os.path.join(root, name)
            total += os.path.getsize(path)
            print(f"  {os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()

"""Writes the tiny end-to-end PixArt pipelines and their reference images:

  tests/fixtures/tiny-pixart-alpha/   PixArtAlphaPipeline: 120 prompt tokens, micro-conditioning,
                                      f32 weights, DPMSolverMultistepScheduler config as PixArt-α
  tests/fixtures/tiny-pixart-sigma/   PixArtSigmaPipeline: 300 tokens, no micro-conditioning,
                                      interpolation_scale 2, transformer and VAE stored bf16/f16
  tests/fixtures/pipeline/            noise files, an init image, and the reference images
                                      (decoded [1, 3, H, W] in [-1, 1]) for tests/app/test_cli_generate

Each is a complete diffusers folder (model_index.json, tokenizer/, text_encoder/, transformer/,
vae/, scheduler/) with random weights: the images are noise, the arithmetic is the real thing.
The reference runs tools/reference/pipeline.py in float64.

Run: /usr/bin/python3 tools/reference/make_tiny_pipeline.py   (from the repository root)
"""
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diffusers_folder  # noqa: E402
import pipeline  # noqa: E402
import pixart  # noqa: E402
import safetensors_io  # noqa: E402
import t5  # noqa: E402
import vae  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures")
SPIECE = os.path.join(FIX, "t5", "tokenizer", "spiece.model")  # made by make_t5_fixture.py

PROMPT, NEGATIVE = "a red circle at the top left", "blurry"
WIDTH, HEIGHT = 96, 64

SCHEDULER = {  # PixArt-α's scheduler/scheduler_config.json
    "_class_name": "DPMSolverMultistepScheduler", "_diffusers_version": "0.30.0",
    "beta_end": 0.02, "beta_schedule": "linear", "beta_start": 0.0001, "num_train_timesteps": 1000,
    "prediction_type": "epsilon", "solver_order": 2, "algorithm_type": "dpmsolver++",
    "lower_order_final": True, "steps_offset": 0, "timestep_spacing": "linspace",
}
T5_CONFIG = dict(d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                 relative_attention_num_buckets=16, relative_attention_max_distance=32,
                 feed_forward_proj="gated-gelu")
TRANSFORMER = {
    "activation_fn": "gelu-approximate", "attention_bias": True, "in_channels": 4, "out_channels": 8,
    "norm_eps": 1e-6, "norm_type": "ada_norm_single", "norm_elementwise_affine": False,
    "patch_size": 2, "num_layers": 2, "caption_channels": 32, "num_embeds_ada_norm": 1000,
}
VAE = {
    "_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [8, 8, 16, 16],
    "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 1,
    "norm_num_groups": 4, "sample_size": 64, "scaling_factor": 0.18215,
}
VARIANTS = {
    "alpha": dict(pipeline="PixArtAlphaPipeline", dtype=torch.float32, transformer=dict(
        TRANSFORMER, _class_name="PixArtTransformer2DModel", num_attention_heads=3, attention_head_dim=16,
        cross_attention_dim=48, sample_size=8, interpolation_scale=None, use_additional_conditions=True)),
    "sigma": dict(pipeline="PixArtSigmaPipeline", dtype=torch.bfloat16, transformer=dict(
        TRANSFORMER, _class_name="Transformer2DModel", num_attention_heads=2, attention_head_dim=16,
        cross_attention_dim=32, sample_size=16, interpolation_scale=2, use_additional_conditions=False)),
}
# name -> (variant, sampler, steps, cfg, seed, strength or None); keep in step with the test.
CASES = {
    "alpha_dpm": ("alpha", "dpm++2m", 6, 4.5, 0, None),
    "sigma_euler_a": ("sigma", "euler_a", 5, 3.0, 7, None),
    "alpha_img2img": ("alpha", "ddim", 8, 2.0, 0, 0.6),
}


def random_weight(name, shape, gen, device="cpu"):
    """A weight of a scale that keeps every path visible (default inits leave some near zero)."""
    r = torch.randn(shape, generator=gen, device=device)
    if "scale_shift_table" in name:
        return 0.5 * r
    if "norm" in name and name.endswith(".weight"):
        return 1.0 + 0.1 * r
    if name.endswith(".bias"):
        return 0.05 * r
    return r / max(r[0].numel(), 1) ** 0.5


def randomise(model, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(random_weight(name, p.shape, gen))


def save_component(folder, config, model, dtype, library, state=None):
    state = model.state_dict() if state is None else state
    with torch.no_grad():  # round to the stored dtype so the reference reads what C++ reads
        for p in model.parameters():
            p.copy_(p.to(dtype).float())
    diffusers_folder.write_component(folder, config, state, dtype, library)


def make_pipeline(name, spec, seed):
    root = os.path.join(FIX, f"tiny-pixart-{name}")
    shutil.rmtree(root, ignore_errors=True)
    diffusers_folder.write_pipeline(root, spec["pipeline"], SCHEDULER, SPIECE)

    import sentencepiece as spm
    cfg = t5.T5Config(vocab_size=spm.SentencePieceProcessor(model_file=SPIECE).vocab_size(), **T5_CONFIG)
    enc = t5.T5EncoderModel(cfg)
    randomise(enc, seed)
    save_component(os.path.join(root, "text_encoder"), cfg.to_dict(), enc, torch.float32,
                   "transformers", enc.checkpoint_state_dict())
    tr = pixart.PixArtTransformer2DModel(spec["transformer"])
    randomise(tr, seed + 1)
    save_component(os.path.join(root, "transformer"), spec["transformer"], tr, spec["dtype"], "diffusers")
    ae = vae.AutoencoderKL(VAE)
    randomise(ae, seed + 2)  # f16: the VAE is most of the bytes, and f16 loading is covered too
    save_component(os.path.join(root, "vae"), VAE, ae, torch.float16, "diffusers")
    return root


def write_png(path, rgb):
    """rgb: uint8 [H, W, 3]. A plain 8-bit RGB PNG (no PIL on Debian's minimal python)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    chunk = lambda tag, data: (struct.pack(">I", len(data)) + tag + data  # noqa: E731
                               + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    roots = {name: make_pipeline(name, spec, 10 * i) for i, (name, spec) in enumerate(VARIANTS.items())}
    out = os.path.join(FIX, "pipeline")
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(3)
    noise = {name: torch.randn(1, 4, HEIGHT // 8, WIDTH // 8, generator=gen) for name in ("alpha", "sigma")}
    noise["wrong"] = torch.randn(1, 4, 3, 5, generator=gen)  # for the wrong-shape error test
    for name, n in noise.items():
        np.save(os.path.join(out, f"{name}_noise.npy"), n.numpy())
    # The init image: smooth colour fields, so img2img has structure to keep.
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    rgb = np.stack([xx * 255 // (WIDTH - 1), yy * 255 // (HEIGHT - 1), ((xx // 16 + yy // 16) % 2) * 200],
                   axis=-1).astype(np.uint8)
    write_png(os.path.join(out, "init.png"), rgb)
    init = torch.from_numpy(rgb.astype(np.float64) / 255.0 * 2 - 1).permute(2, 0, 1)[None]

    pipes = {name: pipeline.PixArtPipeline(root) for name, root in roots.items()}
    for case, (variant, sampler, steps, cfg, seed, strength) in CASES.items():
        image = pipes[variant](PROMPT, NEGATIVE, WIDTH, HEIGHT, steps, sampler, cfg, noise[variant], seed,
                               init if strength else None, strength or 1.0)
        np.save(os.path.join(out, f"{case}_expected.npy"), image.float().numpy())
        print(f"{case}: image in [{image.min():.3f}, {image.max():.3f}], std {image.std():.3f}")


if __name__ == "__main__":
    main()

"""Writes tests/fixtures/vae/: a tiny random AutoencoderKL in the diffusers layout and its outputs.

  vae/         config.json + diffusion_pytorch_model.safetensors (f32, new-style key names)
  vae_legacy/  the same weights stored f16 under the legacy attention names
               (query/key/value/proj_attn) with [C, C, 1, 1] projection weights
  expected.safetensors
               image [1, 3, 32, 48] -> encoded [1, 4, 4, 6]; latent [1, 4, 4, 6] -> decoded
               [1, 3, 32, 48]; computed in float64 from the stored weights

Every weight is rounded to an f16-representable value first, so the f16 legacy copy holds
exactly the same numbers as the f32 copy and must give the same outputs.

Run: /usr/bin/python3 tools/reference/make_vae_fixture.py   (from the repository root)

With `--sd-size DIR` it instead writes, outside the repository, a random VAE of Stable
Diffusion's real size (128/256/512/512 channels, 2 layers per block, 32 groups; f16, ~170 MB) as
DIR/vae plus DIR/expected.safetensors (64x64 image, 8x8 latent). test_vae runs its
`real_size_vae` check on it when DIT_VAE_SD_DIR=DIR is set, and times LatentPreview::fit there.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import vae  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "vae")

CONFIG = {
    "_class_name": "AutoencoderKL",
    "_diffusers_version": "0.30.0",
    "act_fn": "silu",
    "block_out_channels": [8, 8, 16, 16],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 1,
    "norm_num_groups": 4,
    "sample_size": 32,
    "scaling_factor": 0.5,
    "shift_factor": None,
    "force_upcast": True,
    "use_quant_conv": True,
    "use_post_quant_conv": True,
    "mid_block_add_attention": True,
}


SD_CONFIG = dict(CONFIG, block_out_channels=[128, 256, 512, 512], layers_per_block=2,
                 norm_num_groups=32, scaling_factor=0.18215)


def sd_size(out):
    torch.manual_seed(0)
    model = vae.AutoencoderKL(SD_CONFIG).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    os.makedirs(os.path.join(out, "vae"), exist_ok=True)
    with open(os.path.join(out, "vae", "config.json"), "w") as f:
        json.dump(SD_CONFIG, f, indent=2)
    safetensors_io.save(os.path.join(out, "vae", "diffusion_pytorch_model.safetensors"),
                        {k: v.half() for k, v in model.state_dict().items()})
    gen = torch.Generator().manual_seed(1)
    image = torch.rand(1, 3, 64, 64, generator=gen) * 2 - 1
    latent = torch.randn(1, 4, 8, 8, generator=gen)
    ref = model.double()
    with torch.no_grad():
        encoded = ref.encode(image.double()).float()
        decoded = ref.decode(latent.double()).float()
    safetensors_io.save(os.path.join(out, "expected.safetensors"),
                        {"image": image, "encoded": encoded, "latent": latent, "decoded": decoded})
    print(f"wrote {out}: |encoded| <= {encoded.abs().max():.3f}, |decoded| <= {decoded.abs().max():.3f}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--sd-size":
        return sd_size(sys.argv[2])
    torch.manual_seed(0)
    model = vae.AutoencoderKL(CONFIG)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".norm" in name or "group_norm" in name or "conv_norm_out" in name:
                # GroupNorm affine away from (1, 0) so a swapped or ignored gamma/beta shows.
                base = 1.0 if name.endswith(".weight") else 0.0
                p.copy_(base + 0.2 * torch.randn_like(p))
            else:
                # Default init for convs/linears, plus a visible bias.
                if name.endswith(".bias"):
                    p.copy_(0.1 * torch.randn_like(p))
            p.copy_(p.half().float())
    model.eval()

    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    os.makedirs(os.path.join(OUT, "vae"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "vae_legacy"), exist_ok=True)
    for sub in ("vae", "vae_legacy"):
        with open(os.path.join(OUT, sub, "config.json"), "w") as f:
            json.dump(CONFIG, f, indent=2)
            f.write("\n")
    safetensors_io.save(os.path.join(OUT, "vae", "diffusion_pytorch_model.safetensors"), state,
                        {"format": "pt"})
    legacy = {k: v.half() for k, v in vae.to_legacy(state).items()}
    safetensors_io.save(os.path.join(OUT, "vae_legacy", "diffusion_pytorch_model.safetensors"), legacy,
                        {"format": "pt"})

    gen = torch.Generator().manual_seed(1)
    image = (torch.rand(1, 3, 32, 48, generator=gen) * 2 - 1)
    latent = torch.randn(1, 4, 4, 6, generator=gen)
    ref = model.double()
    with torch.no_grad():
        encoded = ref.encode(image.double()).float()
        decoded = ref.decode(latent.double()).float()
    safetensors_io.save(os.path.join(OUT, "expected.safetensors"), {
        "image": image, "encoded": encoded, "latent": latent, "decoded": decoded,
    }, {"made_by": "tools/reference/make_vae_fixture.py"})

    n = sum(p.numel() for p in model.parameters())
    print(f"{n} parameters; encoded std {encoded.std():.3f} range [{encoded.min():.3f}, {encoded.max():.3f}];"
          f" decoded std {decoded.std():.3f} range [{decoded.min():.3f}, {decoded.max():.3f}]")
    for root, _, files in os.walk(OUT):
        for name in sorted(files):
            path = os.path.join(root, name)
            print(f"  {os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()

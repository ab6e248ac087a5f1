"""Writes tests/fixtures/autoencoder_dc/: tiny random AutoencoderDC models in the diffusers layout
and their outputs from tools/reference/autoencoder_dc.py, computed in float64.

  vae/          Sana's layout at toy size: 4 stages (f = 8), ResBlocks then EfficientViTBlocks,
                stride-2 conv down blocks, interpolate up blocks, SiLU
  vae_shuffle/  the pixel_unshuffle / pixel_shuffle variant with ReLU decoder stages
  image.npy [1, 3, 64, 96]; for each model NAME: NAME_encoded.npy [1, 4, 8, 12],
  NAME_latent.npy [1, 4, 8, 12] (random), NAME_decoded.npy [1, 3, 64, 96] and
  NAME_decoded_tiled.npy (tiles of 4 latent pixels every 3, the edge tiles small enough for the
  quadratic attention order)

Run: /usr/bin/python3 tools/reference/make_autoencoder_dc_fixture.py   (from the repository root)
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autoencoder_dc  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "autoencoder_dc")
TILE, STRIDE = 4, 3

BASE = {
    "_class_name": "AutoencoderDC",
    "_diffusers_version": "0.32.0",
    "in_channels": 3,
    "latent_channels": 4,
    "attention_head_dim": 8,
    "encoder_block_types": ["ResBlock", "ResBlock", "EfficientViTBlock", "EfficientViTBlock"],
    "decoder_block_types": ["ResBlock", "ResBlock", "EfficientViTBlock", "EfficientViTBlock"],
    "encoder_block_out_channels": [8, 16, 16, 32],
    "decoder_block_out_channels": [8, 16, 16, 32],
    "encoder_layers_per_block": [1, 1, 1, 2],
    "decoder_layers_per_block": [1, 1, 2, 1],
    "encoder_qkv_multiscales": [[], [], [5], [3, 5]],
    "decoder_qkv_multiscales": [[], [], [5], [5]],
    "upsample_block_type": "interpolate",
    "downsample_block_type": "conv",
    "decoder_norm_types": "rms_norm",
    "decoder_act_fns": "silu",
    "scaling_factor": 0.41407,
}
MODELS = {
    "vae": BASE,
    "vae_shuffle": dict(BASE, upsample_block_type="pixel_shuffle", downsample_block_type="pixel_unshuffle",
                        decoder_act_fns=["relu", "relu", "silu", "silu"], scaling_factor=1.0),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(7)
    image = torch.rand(1, 3, 64, 96, generator=gen) * 2 - 1
    safetensors_io.save_npy(os.path.join(OUT, "image.npy"), image)
    for seed, (name, cfg) in enumerate(MODELS.items()):
        torch.manual_seed(100 + seed)
        model = autoencoder_dc.AutoencoderDC(cfg).eval()
        with torch.no_grad():
            for key, p in model.named_parameters():
                if key.endswith("norm.weight") or key.endswith("norm_out.weight"):
                    p.copy_(1 + 0.2 * torch.randn_like(p))
                elif key.endswith("norm.bias") or key.endswith("norm_out.bias"):
                    p.copy_(0.1 * torch.randn_like(p))
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        safetensors_io.save(os.path.join(folder, "diffusion_pytorch_model.safetensors"),
                            {k: v.contiguous() for k, v in model.state_dict().items()})
        ref = model.double()
        latent = torch.randn(1, 4, 8, 12, generator=gen)
        with torch.no_grad():
            outputs = {
                "encoded": ref.encode(image.double()),
                "latent": latent,
                "decoded": ref.decode(latent.double()),
                "decoded_tiled": ref.tiled_decode(latent.double(), TILE, STRIDE),
            }
        for key, t in outputs.items():
            safetensors_io.save_npy(os.path.join(OUT, f"{name}_{key}.npy"), t)
        print(f"{name}: |encoded| <= {outputs['encoded'].abs().max():.3f}, "
              f"|decoded| <= {outputs['decoded'].abs().max():.3f}, "
              f"tiled vs untiled max {(outputs['decoded_tiled'] - outputs['decoded']).abs().max():.3f}")


if __name__ == "__main__":
    main()

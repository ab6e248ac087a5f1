"""The PyTorch reference of regional prompts (engine/pipeline/regional_prompts.{h,cpp}) and the
fixture tests/engine/test_regional_prompts.cpp checks against.

diffusers has no regional prompting, so this file defines it, on the modules of pixart.py:

  - every prompt (global, negative, each region's) goes through T5 and caption_projection alone;
  - per batch item the cross-attention context is [global | region 0 | region 1 | ...] along L;
    key group 0 for the global tokens, r + 1 for region r's;
  - per image token a query group: r + 1 when any pixel of the token (patch_size x VAE downscale
    pixels a side) has mask value > 127 in region r, the last such region winning; else 0;
  - with classifier-free guidance, batch item 0 (the negative prompt) has query group 0
    everywhere;
  - cross-attention scores get the usual padding bias (-10000 on <pad> tokens) plus -inf where
    a query may not see a key: a query of group g sees groups 0 and g.

Fixture (tests/fixtures/regional/expected.safetensors, from tests/fixtures/tiny-pixart-alpha):
  latent [2, 4, 8, 12] (a 64 x 96 image), timestep [2], masks [2, 64, 96] (0..255 as floats),
  token_groups [24] (a 4 x 6 grid), output [2, 8, 8, 12] (guided: negative + positive), output_unguided
  [1, 8, 8, 12] (positive only), output_plain [2, 8, 8, 12] (no regions, for the sanity check
  that the regions change the output). Computed in float64.

Run: /usr/bin/python3 tools/reference/regional.py   (from the repository root)
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pipeline  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(ROOT, "tests", "fixtures", "tiny-pixart-alpha")
OUT = os.path.join(ROOT, "tests", "fixtures", "regional")

# Keep in step with tests/engine/test_regional_prompts.cpp.
PROMPT, NEGATIVE = "a red circle at the top left", "blurry"
REGION_PROMPTS = ["a green star", "a blue square on the right"]
WIDTH, HEIGHT, TIMESTEP = 96, 64, 500.0
TOKEN_PX = 16  # VAE downscale 8 x patch size 2


def region_masks():
    """Region 0: x < 30 inside (255), 30 <= x < 60 a soft edge below the threshold (120).
    Region 1: x in [20, 75), y in [20, 64) inside (200), overlapping region 0, with a band
    y in [12, 20) at exactly 127 (not inside). Returns [2, HEIGHT, WIDTH] float64."""
    m = torch.zeros(2, HEIGHT, WIDTH, dtype=torch.float64)
    m[0, :, :30] = 255
    m[0, :, 30:60] = 120
    m[1, 20:, 20:75] = 200
    m[1, 12:20, 20:75] = 127
    return m


def token_groups(masks, token_px):
    """masks: [R, H, W] -> [gh * gw] int64: r + 1 for the last region covering the token, else 0."""
    r, h, w = masks.shape
    gh, gw = h // token_px, w // token_px
    groups = torch.zeros(gh, gw, dtype=torch.int64)
    for i in range(r):
        inside = (masks[i] > 127).reshape(gh, token_px, gw, token_px).any(dim=3).any(dim=1)
        groups[inside] = i + 1
    return groups.reshape(-1)


def cross_attention_bias(key_mask, key_group, query_group):
    """key_mask: [B, Lk] 1/0; key_group: [Lk]; query_group: [B, N] -> additive bias [B, N, Lk]."""
    padding = ((1 - key_mask.double()) * -10000.0)[:, None, :]
    seen = (key_group[None, None, :] == 0) | (key_group[None, None, :] == query_group[:, :, None])
    blocked = torch.zeros(seen.shape, dtype=torch.float64).masked_fill(~seen, float("-inf"))
    return padding + blocked


def regional_forward(model, latent, timestep, embeds, mask, region_embeds, region_mask, groups, guided,
                     resolution=None, aspect_ratio=None):
    """pixart.PixArtTransformer2DModel.forward with regional cross-attention.

    latent: [B, Cin, H, W]; embeds, mask: the global prompts [B, L, C], [B, L]; region_embeds,
    region_mask: [R, Lr, C], [R, Lr]; groups: [N] per image token. Returns [B, out, H, W].
    """
    b, _, hh, ww = latent.shape
    p = model.c["patch_size"]
    gh, gw = hh // p, ww // p
    r, lr = region_mask.shape
    x = model.pos_embed(latent)  # [B, N, D]
    t6, embedded = model.adaln_single(timestep, resolution, aspect_ratio)
    ctx_global = model.caption_projection(embeds)  # [B, L, D]
    ctx_regions = model.caption_projection(region_embeds).reshape(1, r * lr, -1).expand(b, -1, -1)
    context = torch.cat([ctx_global, ctx_regions], dim=1)  # [B, L + R * Lr, D]
    key_mask = torch.cat([mask, region_mask.reshape(1, -1).expand(b, -1)], dim=1)
    key_group = torch.cat([torch.zeros(mask.shape[1], dtype=torch.int64),
                           torch.arange(1, r + 1).repeat_interleave(lr)])
    query_group = groups[None].repeat(b, 1)
    if guided:
        query_group[0] = 0  # the unconditional half sees its negative prompt only
    bias = cross_attention_bias(key_mask, key_group, query_group)  # [B, N, Lk]
    for block in model.transformer_blocks:
        x = block(x, context, bias, t6)  # Attention adds bias[:, None]: [B, 1, N, Lk]
    shift, scale = (model.scale_shift_table[None] + embedded[:, None]).chunk(2, dim=1)
    x = F.layer_norm(x, x.shape[-1:], eps=1e-6) * (1 + scale) + shift
    x = model.proj_out(x)
    oc = model.c["out_channels"]
    x = x.reshape(b, gh, gw, p, p, oc).permute(0, 5, 1, 3, 2, 4)
    return x.reshape(b, oc, gh * p, gw * p)


@torch.no_grad()
def main():
    pipe = pipeline.PixArtPipeline(MODEL)
    model = pipe.transformer

    def encode(texts):
        tokens = [pipe.tokenize(t) for t in texts]
        ids = torch.tensor([t[0] for t in tokens])
        mask = torch.tensor([t[1] for t in tokens])
        return pipe.text_encoder(ids, mask), mask

    embeds, mask = encode([NEGATIVE, PROMPT])
    region_embeds, region_mask = encode(REGION_PROMPTS)
    masks = region_masks()
    groups = token_groups(masks, TOKEN_PX)

    gen = torch.Generator().manual_seed(5)
    latent = torch.randn(2, 4, HEIGHT // 8, WIDTH // 8, generator=gen).double()
    timestep = torch.tensor([TIMESTEP, TIMESTEP], dtype=torch.float64)
    res = torch.tensor([[float(HEIGHT), float(WIDTH)]] * 2, dtype=torch.float64)
    aspect = torch.tensor([[HEIGHT / WIDTH]] * 2, dtype=torch.float64)

    out = regional_forward(model, latent, timestep, embeds, mask, region_embeds, region_mask, groups, True, res,
                           aspect)
    out1 = regional_forward(model, latent[1:], timestep[1:], embeds[1:], mask[1:], region_embeds, region_mask,
                            groups, False, res[1:], aspect[1:])
    plain = model(latent, timestep, embeds, mask, res, aspect)
    os.makedirs(OUT, exist_ok=True)
    safetensors_io.save(os.path.join(OUT, "expected.safetensors"), {
        "latent": latent.float(), "timestep": timestep.float(), "masks": masks.float(),
        "token_groups": groups.float(), "output": out.float(), "output_unguided": out1.float(),
        "output_plain": plain.float(),
    })
    print("token groups (rows):", groups.reshape(HEIGHT // TOKEN_PX, WIDTH // TOKEN_PX).tolist())
    print(f"output max |x| {out.abs().max():.3f}; regions change it by {(out - plain).abs().max():.3f} "
          f"(negative half by {(out[0] - plain[0]).abs().max():.3g})")


if __name__ == "__main__":
    main()

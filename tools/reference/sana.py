"""Reference SanaTransformer2DModel (Sana, Sana-Sprint, the 2K/4K position-table variant) in
plain PyTorch, written from diffusers' sana_transformer.py (v0.32; guidance embedding and QK
norms from v0.33) and SanaLinearAttnProcessor2_0.

The module tree mirrors diffusers' so `state_dict()` has exactly a diffusers checkpoint's keys:

  patch_embed.proj.{weight,bias}                      patchify conv [D, Cin, p, p]
  time_embed.emb.timestep_embedder.linear_{1,2}       256 -> D -> D   (adaLN-single)
  time_embed.{timestep,guidance}_embedder.linear_{1,2}                (guidance_embeds: Sprint)
  time_embed.linear                                   D -> 6D
  caption_projection.linear_{1,2}                     caption_channels -> D -> D, GELU(tanh)
  caption_norm.weight                                 RMSNorm, eps 1e-5
  transformer_blocks.{i}.scale_shift_table            [6, D]
  transformer_blocks.{i}.attn1.{to_q,to_k,to_v}       bias iff attention_bias; to_out.0 with bias
  transformer_blocks.{i}.attn2.{to_q,to_k,to_v,to_out.0}   all with bias
  transformer_blocks.{i}.attn{1,2}.norm_{q,k}.weight  qk_norm "rms_norm_across_heads", eps 1e-5
  transformer_blocks.{i}.ff.conv_inverted             1x1 D -> 2F (bias)
  transformer_blocks.{i}.ff.conv_depth                depthwise 3x3 on 2F channels (bias)
  transformer_blocks.{i}.ff.conv_point                1x1 F -> D (no bias), F = int(mlp_ratio D)
  scale_shift_table [2, D], proj_out [p*p*out, D]

Self-attention is ReLU linear attention: per head, with v padded by a row of ones,
  out = (v_pad relu(k)ᵀ) relu(q) and the padded row divides the rest (+1e-15).
diffusers casts q, k, v to float32 there; this module runs in whatever dtype it is given (the
fixtures evaluate a float64 copy).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

import pixart


def read_config(cfg):
    """The fields the model uses, with diffusers' defaults."""
    heads, head_dim = cfg["num_attention_heads"], cfg["attention_head_dim"]
    dim = heads * head_dim
    out = cfg.get("out_channels")
    return {
        "heads": heads,
        "head_dim": head_dim,
        "dim": dim,
        "in_channels": cfg.get("in_channels", 32),
        "out_channels": cfg.get("in_channels", 32) if out is None else out,
        "num_layers": cfg.get("num_layers", 20),
        "cross_heads": cfg.get("num_cross_attention_heads", 20),
        "cross_head_dim": cfg.get("cross_attention_head_dim", 112),
        "cross_attention_dim": cfg.get("cross_attention_dim", 2240),
        "caption_channels": cfg.get("caption_channels", 2304),
        "mlp_ratio": cfg.get("mlp_ratio", 2.5),
        "attention_bias": cfg.get("attention_bias", False),
        "sample_size": cfg.get("sample_size", 32),
        "patch_size": cfg.get("patch_size", 1),
        "norm_eps": cfg.get("norm_eps", 1e-6),
        # None: no position table (diffusers >= 0.32.2)
        "interpolation_scale": cfg.get("interpolation_scale"),
        "guidance_embeds": cfg.get("guidance_embeds", False),
        "qk_norm": cfg.get("qk_norm"),
    }


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):  # x: [..., dim]
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LinearAttention(nn.Module):
    """attn1: to_q/k/v, optional norm_q/norm_k, ReLU linear attention, to_out.0."""

    def __init__(self, dim, heads, head_dim, bias, qk_norm):
        super().__init__()
        inner = heads * head_dim
        self.heads = heads
        self.to_q = nn.Linear(dim, inner, bias=bias)
        self.to_k = nn.Linear(dim, inner, bias=bias)
        self.to_v = nn.Linear(dim, inner, bias=bias)
        if qk_norm:
            self.norm_q = RMSNorm(inner, 1e-5)
            self.norm_k = RMSNorm(inner, 1e-5)
        self.qk_norm = qk_norm
        self.to_out = nn.ModuleList([nn.Linear(inner, dim), nn.Dropout(0.0)])

    def forward(self, x):  # x: [B, N, D] -> [B, N, D]
        q, k, v = self.to_q(x), self.to_k(x), self.to_v(x)
        if self.qk_norm:
            q, k = self.norm_q(q), self.norm_k(k)
        b, n, _ = x.shape
        # [B, H, hd, N] for q and v, [B, H, N, hd] for k
        q = F.relu(q.transpose(1, 2).unflatten(1, (self.heads, -1)))
        k = F.relu(k.transpose(1, 2).unflatten(1, (self.heads, -1)).transpose(2, 3))
        v = v.transpose(1, 2).unflatten(1, (self.heads, -1))
        v = F.pad(v, (0, 0, 0, 1), value=1.0)  # [B, H, hd+1, N]: the ones row sums relu(k)
        out = (v @ k) @ q                       # [B, H, hd+1, N]
        out = out[:, :, :-1] / (out[:, :, -1:] + 1e-15)
        out = out.flatten(1, 2).transpose(1, 2)  # [B, N, D]
        return self.to_out[1](self.to_out[0](out))


class CrossAttention(nn.Module):
    """attn2: softmax attention of the image tokens over the caption, with its padding bias."""

    def __init__(self, dim, heads, head_dim, kv_dim, qk_norm):
        super().__init__()
        inner = heads * head_dim
        self.heads, self.head_dim = heads, head_dim
        self.to_q = nn.Linear(dim, inner)
        self.to_k = nn.Linear(kv_dim, inner)
        self.to_v = nn.Linear(kv_dim, inner)
        if qk_norm:
            self.norm_q = RMSNorm(inner, 1e-5)
            self.norm_k = RMSNorm(inner, 1e-5)
        self.qk_norm = qk_norm
        self.to_out = nn.ModuleList([nn.Linear(inner, dim), nn.Dropout(0.0)])

    def forward(self, x, context, bias):
        # x: [B, N, D]; context: [B, L, kv_dim]; bias: [B, 1, L] additive
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)
        if self.qk_norm:
            q, k = self.norm_q(q), self.norm_k(k)
        b, n, _ = x.shape
        L = context.shape[1]
        q = q.reshape(b, n, self.heads, self.head_dim).transpose(1, 2)
        k = k.reshape(b, L, self.heads, self.head_dim).transpose(1, 2)
        v = v.reshape(b, L, self.heads, self.head_dim).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + bias[:, None]  # [B, H, N, L]
        out = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, n, -1)
        return self.to_out[1](self.to_out[0](out))


class GLUMBConv(nn.Module):
    """Mix-FFN: 1x1 conv -> SiLU -> depthwise 3x3 -> GLU (a * SiLU(gate)) -> 1x1 conv."""

    def __init__(self, dim, mlp_ratio):
        super().__init__()
        hidden = int(mlp_ratio * dim)
        self.conv_inverted = nn.Conv2d(dim, 2 * hidden, 1)
        self.conv_depth = nn.Conv2d(2 * hidden, 2 * hidden, 3, 1, 1, groups=2 * hidden)
        self.conv_point = nn.Conv2d(hidden, dim, 1, bias=False)

    def forward(self, x):  # x: [B, D, h, w] -> [B, D, h, w]
        x = self.conv_depth(F.silu(self.conv_inverted(x)))
        x, gate = x.chunk(2, dim=1)
        return self.conv_point(x * F.silu(gate))


class SanaTransformerBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        qk = c["qk_norm"] is not None
        self.eps = c["norm_eps"]
        self.attn1 = LinearAttention(d, c["heads"], c["head_dim"], c["attention_bias"], qk)
        self.attn2 = CrossAttention(d, c["cross_heads"], c["cross_head_dim"], c["cross_attention_dim"], qk)
        self.ff = GLUMBConv(d, c["mlp_ratio"])
        self.scale_shift_table = nn.Parameter(torch.randn(6, d) / d ** 0.5)

    def forward(self, x, caption, bias, modulation, h, w):
        # x: [B, N, D]; caption: [B, L, D]; bias: [B, 1, L]; modulation: [B, 6D]
        b, n, d = x.shape
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = (
            self.scale_shift_table[None] + modulation.reshape(b, 6, d)).chunk(6, dim=1)  # each [B, 1, D]
        norm = F.layer_norm(x, (d,), eps=self.eps) * (1 + scale_msa) + shift_msa
        x = x + gate_msa * self.attn1(norm)
        x = x + self.attn2(x, caption, bias)
        norm = F.layer_norm(x, (d,), eps=self.eps) * (1 + scale_mlp) + shift_mlp
        ff = self.ff(norm.unflatten(1, (h, w)).permute(0, 3, 1, 2))  # [B, D, h, w]
        return x + gate_mlp * ff.flatten(2).transpose(1, 2)


class PatchEmbed(pixart.PatchEmbed):
    """PixArt's patch embedding; without interpolation_scale (most Sana models) no position table."""

    def forward(self, latent):  # [B, Cin, H, W] -> [B, (H/p)(W/p), D]
        if self.interpolation_scale is None:
            return self.proj(latent).flatten(2).transpose(1, 2)
        return super().forward(latent)


class CombinedTimestepGuidanceEmbeddings(nn.Module):
    # diffusers' SanaCombinedTimestepGuidanceEmbeddings
    def __init__(self, dim):
        super().__init__()
        self.timestep_embedder = pixart.TimestepEmbedding(256, dim)
        self.guidance_embedder = pixart.TimestepEmbedding(256, dim)
        self.linear = nn.Linear(dim, 6 * dim)

    def forward(self, timestep, guidance):  # -> ([B, 6D], [B, D])
        dtype = self.linear.weight.dtype
        embedded = (self.timestep_embedder(pixart.timestep_sinusoid(timestep, dtype=dtype)) +
                    self.guidance_embedder(pixart.timestep_sinusoid(guidance, dtype=dtype)))
        return self.linear(F.silu(embedded)), embedded


class _SanaInputs(nn.Module):
    """The input side both models share: patch_embed, time_embed, caption_projection,
    caption_norm and the blocks."""

    def __init__(self, cfg):
        super().__init__()
        c = read_config(cfg)
        self.c = c
        d = c["dim"]
        self.patch_embed = PatchEmbed(c)
        if c["guidance_embeds"]:
            self.time_embed = CombinedTimestepGuidanceEmbeddings(d)
        else:
            self.time_embed = pixart.AdaLayerNormSingle(d, False)
        self.caption_projection = pixart.TextProjection(c["caption_channels"], d)
        self.caption_norm = RMSNorm(d, 1e-5)
        self.transformer_blocks = nn.ModuleList([SanaTransformerBlock(c) for _ in range(c["num_layers"])])

    def prelude(self, timestep, prompt_embeds, prompt_mask, guidance, dtype):
        # -> modulation [B, 6D], embedded [B, D], caption [B, L, D], padding bias [B, 1, L]
        if self.c["guidance_embeds"]:
            modulation, embedded = self.time_embed(timestep, guidance)
        else:
            modulation, embedded = self.time_embed(timestep, None, None)
        caption = self.caption_norm(self.caption_projection(prompt_embeds))
        bias = ((1 - prompt_mask.to(dtype)) * -10000.0)[:, None]
        return modulation, embedded, caption, bias


class SanaTransformer2DModel(_SanaInputs):
    def __init__(self, cfg):
        super().__init__(cfg)
        d, p = self.c["dim"], self.c["patch_size"]
        self.scale_shift_table = nn.Parameter(torch.randn(2, d) / d ** 0.5)
        self.proj_out = nn.Linear(d, p * p * self.c["out_channels"])

    def forward(self, latent, timestep, prompt_embeds, prompt_mask, guidance=None, control=None):
        # latent: [B, Cin, H, W]; timestep: [B]; prompt_embeds: [B, L, caption_channels];
        # prompt_mask: [B, L] 1 keep / 0 pad; guidance: [B] (Sprint); control: the ControlNet's
        # residuals, control[i - 1] added after block i (v0.34) -> [B, out, H, W]
        b, _, H, W = latent.shape
        p = self.c["patch_size"]
        h, w = H // p, W // p
        x = self.patch_embed(latent)
        modulation, embedded, caption, bias = self.prelude(timestep, prompt_embeds, prompt_mask, guidance, x.dtype)
        for i, block in enumerate(self.transformer_blocks):
            x = block(x, caption, bias, modulation, h, w)
            if control is not None and 0 < i <= len(control):
                x = x + control[i - 1]
        shift, scale = (self.scale_shift_table[None] + embedded[:, None]).chunk(2, dim=1)
        x = F.layer_norm(x, (x.shape[-1],), eps=1e-6) * (1 + scale) + shift
        x = self.proj_out(x)
        x = x.reshape(b, h, w, p, p, -1).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(b, -1, h * p, w * p)


class SanaControlNetModel(_SanaInputs):
    """diffusers' SanaControlNetModel (v0.34): the Sana input side and blocks, input_block and one
    zero-initialised linear per block; returns the per-block residuals times the scale."""

    def __init__(self, cfg):
        super().__init__(cfg)
        d = self.c["dim"]
        self.input_block = nn.Linear(d, d)
        self.controlnet_blocks = nn.ModuleList([nn.Linear(d, d) for _ in range(self.c["num_layers"])])

    def forward(self, latent, timestep, prompt_embeds, prompt_mask, control_latent, scale):
        # latent, control_latent: [B, Cin, H, W] -> num_layers residuals [B, N, D]
        p = self.c["patch_size"]
        h, w = latent.shape[2] // p, latent.shape[3] // p
        x = self.patch_embed(latent) + self.input_block(self.patch_embed(control_latent))
        modulation, _, caption, bias = self.prelude(timestep, prompt_embeds, prompt_mask, None, x.dtype)
        out = []
        for block, zero_linear in zip(self.transformer_blocks, self.controlnet_blocks):
            x = block(x, caption, bias, modulation, h, w)
            out.append(zero_linear(x) * scale)
        return out

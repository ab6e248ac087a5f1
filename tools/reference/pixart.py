"""Reference PixArtTransformer2DModel (PixArt-α and PixArt-Σ) in plain PyTorch.

Mirrors diffusers' module tree so that `state_dict()` has exactly the keys of a diffusers
checkpoint:

  pos_embed.proj.{weight,bias}                       patchify conv [D, Cin, p, p]
  adaln_single.emb.timestep_embedder.linear_{1,2}    256 -> D -> D
  adaln_single.emb.{resolution,aspect_ratio}_embedder.linear_{1,2}
                                                     256 -> D/3 -> D/3 (α micro-conditioning only)
  adaln_single.linear                                D -> 6D
  caption_projection.linear_{1,2}                    caption_channels -> D -> D
  transformer_blocks.{i}.scale_shift_table           [6, D]
  transformer_blocks.{i}.attn1.{to_q,to_k,to_v,to_out.0}
  transformer_blocks.{i}.attn2.{to_q,to_k,to_v,to_out.0}  (to_k/to_v from cross_attention_dim)
  transformer_blocks.{i}.ff.net.0.proj, ff.net.2     D -> 4D -> D, GELU(tanh) between
  scale_shift_table [2, D], proj_out [p*p*out, D]

The sinusoidal inputs follow diffusers' arithmetic exactly (timestep frequencies and arguments in
float32; 2D position grid in float32, frequencies and sin/cos in float64, result rounded to
float32), whatever dtype the rest of the module runs in, so a float64 copy of this module is the
float64 evaluation of the float32 model diffusers defines.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

# bench_pixart_torch.py --sdpa sets this (PyTorch >= 2.0): attention through
# scaled_dot_product_attention instead of the explicit softmax the fixtures were made with.
USE_SDPA = False


def read_config(cfg):
    """The fields the model uses, with diffusers' defaults and derived values."""
    heads, head_dim = cfg["num_attention_heads"], cfg["attention_head_dim"]
    sample_size = cfg["sample_size"]
    interp = cfg.get("interpolation_scale")
    if interp is None:
        interp = max(sample_size // 64, 1)
    use_add = cfg.get("use_additional_conditions")
    if use_add is None:
        use_add = sample_size == 128
    out = cfg.get("out_channels")
    return {
        "heads": heads,
        "head_dim": head_dim,
        "dim": heads * head_dim,
        "in_channels": cfg["in_channels"],
        "out_channels": cfg["in_channels"] if out is None else out,
        "num_layers": cfg["num_layers"],
        "patch_size": cfg["patch_size"],
        "sample_size": sample_size,
        "caption_channels": cfg["caption_channels"],
        "cross_attention_dim": cfg["cross_attention_dim"],
        "norm_eps": cfg.get("norm_eps", 1e-6),
        "interpolation_scale": float(interp),
        "use_additional_conditions": bool(use_add),
    }


def timestep_sinusoid(t, dim=256, dtype=torch.float32):
    """diffusers' Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0): [cos | sin].

    t: [N] (any float dtype; rounded to float32 like diffusers' `timesteps.float()`) -> [N, dim]
    """
    half = dim // 2
    exponent = -math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half  # float32
    # The float32 exp correctly rounded: torch's vectorised CPU expf is 1 ulp off for 15 of
    # these 128 values (and CUDA's differs again), which moves t * freq by up to 6e-5 at t = 999.
    freqs = torch.exp(exponent.double()).float()
    args = t.float()[:, None] * freqs.to(t.device)[None, :]  # float32 product, as diffusers computes it
    return torch.cat([torch.cos(args.double()), torch.sin(args.double())], dim=1).to(dtype)


def sincos_pos_embed_2d(dim, grid_h, grid_w, base_size, interpolation_scale):
    """diffusers' get_2d_sincos_pos_embed for a (grid_h, grid_w) grid: [grid_h * grid_w, dim].

    Token h * grid_w + w gets [sincos(dim/2, w coordinate) | sincos(dim/2, h coordinate)]: the
    column coordinate fills the first half (diffusers' meshgrid puts w first).
    """
    ys = torch.arange(grid_h, dtype=torch.float32) / (grid_h / base_size) / interpolation_scale
    xs = torch.arange(grid_w, dtype=torch.float32) / (grid_w / base_size) / interpolation_scale
    quarter = dim // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / (dim / 4.0))

    def one_axis(pos):  # [M] float32 -> [M, dim/2] float64
        out = pos.double()[:, None] * omega[None, :]
        return torch.cat([torch.sin(out), torch.cos(out)], dim=1)

    ex = one_axis(xs)[None, :, :].expand(grid_h, grid_w, dim // 2)
    ey = one_axis(ys)[:, None, :].expand(grid_h, grid_w, dim // 2)
    return torch.cat([ex, ey], dim=2).reshape(grid_h * grid_w, dim).float()


class PatchEmbed(nn.Module):
    def __init__(self, c):
        super().__init__()
        p = c["patch_size"]
        self.proj = nn.Conv2d(c["in_channels"], c["dim"], kernel_size=p, stride=p)
        self.patch_size = p
        self.base_size = c["sample_size"] // p
        self.interpolation_scale = c["interpolation_scale"]

    def forward(self, latent):  # latent: [B, Cin, H, W] -> [B, (H/p)(W/p), D]
        gh, gw = latent.shape[-2] // self.patch_size, latent.shape[-1] // self.patch_size
        x = self.proj(latent).flatten(2).transpose(1, 2)
        pos = sincos_pos_embed_2d(x.shape[-1], gh, gw, self.base_size, self.interpolation_scale)
        return x + pos.to(x.device, x.dtype)[None]


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):  # x: [N, cin] -> [N, dim]
        return self.linear_2(F.silu(self.linear_1(x)))


class CombinedTimestepSizeEmbeddings(nn.Module):
    # diffusers' PixArtAlphaCombinedTimestepSizeEmbeddings
    def __init__(self, dim, use_additional_conditions):
        super().__init__()
        self.timestep_embedder = TimestepEmbedding(256, dim)
        self.use_additional_conditions = use_additional_conditions
        if use_additional_conditions:
            self.resolution_embedder = TimestepEmbedding(256, dim // 3)
            self.aspect_ratio_embedder = TimestepEmbedding(256, dim // 3)

    def forward(self, timestep, resolution, aspect_ratio):  # -> [B, D]
        dtype = self.timestep_embedder.linear_1.weight.dtype
        emb = self.timestep_embedder(timestep_sinusoid(timestep, dtype=dtype))
        if not self.use_additional_conditions:
            return emb
        b = emb.shape[0]
        # Height and width are embedded separately and concatenated: [B, 2 * D/3].
        res = self.resolution_embedder(timestep_sinusoid(resolution.flatten(), dtype=dtype)).reshape(b, -1)
        ar = self.aspect_ratio_embedder(timestep_sinusoid(aspect_ratio.flatten(), dtype=dtype)).reshape(b, -1)
        return emb + torch.cat([res, ar], dim=1)


class AdaLayerNormSingle(nn.Module):
    def __init__(self, dim, use_additional_conditions):
        super().__init__()
        self.emb = CombinedTimestepSizeEmbeddings(dim, use_additional_conditions)
        self.linear = nn.Linear(dim, 6 * dim)

    def forward(self, timestep, resolution, aspect_ratio):  # -> ([B, 6D], [B, D])
        embedded = self.emb(timestep, resolution, aspect_ratio)
        return self.linear(F.silu(embedded)), embedded


class TextProjection(nn.Module):
    # diffusers' PixArtAlphaTextProjection
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):  # x: [B, L, caption_channels] -> [B, L, D]
        return self.linear_2(F.gelu(self.linear_1(x), approximate="tanh"))


class Attention(nn.Module):
    def __init__(self, dim, heads, head_dim, kv_dim):
        super().__init__()
        inner = heads * head_dim
        self.heads, self.head_dim = heads, head_dim
        self.to_q = nn.Linear(dim, inner)
        self.to_k = nn.Linear(kv_dim, inner)
        self.to_v = nn.Linear(kv_dim, inner)
        self.to_out = nn.ModuleList([nn.Linear(inner, dim), nn.Dropout(0.0)])

    def forward(self, x, context=None, bias=None):
        # x: [B, Lq, D]; context: [B, Lk, kv_dim] (None: self-attention); bias: [B, 1, Lk] additive
        context = x if context is None else context
        b, lq, _ = x.shape
        lk = context.shape[1]
        q = self.to_q(x).reshape(b, lq, self.heads, self.head_dim).transpose(1, 2)
        k = self.to_k(context).reshape(b, lk, self.heads, self.head_dim).transpose(1, 2)
        v = self.to_v(context).reshape(b, lk, self.heads, self.head_dim).transpose(1, 2)
        if USE_SDPA:  # the benchmark's peer on a GPU: PyTorch's fused attention
            mask = None if bias is None else bias[:, None].to(q.dtype)  # [B, 1, 1, Lk]
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)  # [B, H, Lq, Lk]
            if bias is not None:
                scores = scores + bias[:, None]  # [B, 1, 1, Lk]
            out = torch.softmax(scores, dim=-1) @ v  # [B, H, Lq, hd]
        out = out.transpose(1, 2).reshape(b, lq, self.heads * self.head_dim)
        return self.to_out[1](self.to_out[0](out))


class GELUProj(nn.Module):
    # diffusers' GELU activation module: a Linear followed by the tanh-approximated GELU.
    def __init__(self, cin, cout):
        super().__init__()
        self.proj = nn.Linear(cin, cout)

    def forward(self, x):
        h = self.proj(x)
        if h.dtype == torch.bfloat16:  # training under autocast: PyTorch 1.13's bf16 GELU is slow
            return F.gelu(h.float(), approximate="tanh").to(h.dtype)
        return F.gelu(h, approximate="tanh")


class FeedForward(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.net = nn.ModuleList([GELUProj(dim, 4 * dim), nn.Dropout(0.0), nn.Linear(4 * dim, dim)])

    def forward(self, x):  # x: [B, N, D]
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    # diffusers' BasicTransformerBlock with norm_type="ada_norm_single" (PixArt).
    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.eps = c["norm_eps"]
        self.attn1 = Attention(d, c["heads"], c["head_dim"], d)
        self.attn2 = Attention(d, c["heads"], c["head_dim"], c["cross_attention_dim"])
        self.ff = FeedForward(d)
        self.scale_shift_table = nn.Parameter(torch.randn(6, d) / d ** 0.5)

    def _norm(self, x):
        return F.layer_norm(x, x.shape[-1:], eps=self.eps)

    def forward(self, x, context, context_bias, t6):
        # x: [B, N, D]; context: [B, L, D]; context_bias: [B, 1, L]; t6: [B, 6D]
        b = x.shape[0]
        mods = self.scale_shift_table[None] + t6.reshape(b, 6, -1)  # [B, 6, D]
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = mods.chunk(6, dim=1)
        h = self._norm(x) * (1 + scale_msa) + shift_msa
        x = x + gate_msa * self.attn1(h)
        # PixArt's cross-attention reads the un-normalised hidden state, ungated.
        x = x + self.attn2(x, context, context_bias)
        h = self._norm(x) * (1 + scale_mlp) + shift_mlp
        return x + gate_mlp * self.ff(h)


class PixArtTransformer2DModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = read_config(config)
        self.c = c
        d = c["dim"]
        self.pos_embed = PatchEmbed(c)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(c) for _ in range(c["num_layers"])])
        self.scale_shift_table = nn.Parameter(torch.randn(2, d) / d ** 0.5)
        self.proj_out = nn.Linear(d, c["patch_size"] ** 2 * c["out_channels"])
        self.adaln_single = AdaLayerNormSingle(d, c["use_additional_conditions"])
        self.caption_projection = TextProjection(c["caption_channels"], d)

    def forward(self, latent, timestep, encoder_hidden_states, encoder_attention_mask,
                resolution=None, aspect_ratio=None):
        # latent: [B, Cin, H, W]; timestep: [B]; encoder_hidden_states: [B, L, caption_channels];
        # encoder_attention_mask: [B, L] (1 keep, 0 drop); resolution: [B, 2] (height, width in
        # pixels); aspect_ratio: [B, 1] (height / width). Returns [B, out_channels, H, W].
        b, _, hh, ww = latent.shape
        p = self.c["patch_size"]
        gh, gw = hh // p, ww // p
        x = self.pos_embed(latent)  # [B, N, D]
        t6, embedded = self.adaln_single(timestep, resolution, aspect_ratio)
        context = self.caption_projection(encoder_hidden_states)  # [B, L, D]
        bias = ((1 - encoder_attention_mask.to(x.dtype)) * -10000.0)[:, None, :]  # [B, 1, L]
        for block in self.transformer_blocks:
            x = block(x, context, bias, t6)
        shift, scale = (self.scale_shift_table[None] + embedded[:, None]).chunk(2, dim=1)
        x = F.layer_norm(x, x.shape[-1:], eps=1e-6) * (1 + scale) + shift
        x = self.proj_out(x)  # [B, N, p*p*out]
        oc = self.c["out_channels"]
        x = x.reshape(b, gh, gw, p, p, oc).permute(0, 5, 1, 3, 2, 4)  # [B, out, gh, p, gw, p]
        return x.reshape(b, oc, gh * p, gw * p)

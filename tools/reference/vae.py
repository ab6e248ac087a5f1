"""Reference AutoencoderKL in plain PyTorch, mirroring diffusers' module tree and key names.

The state_dict of `AutoencoderKL` has exactly the (new-style) keys of a diffusers checkpoint:
encoder.conv_in, encoder.down_blocks.{i}.resnets.{j}.{norm1,conv1,norm2,conv2,conv_shortcut},
encoder.down_blocks.{i}.downsamplers.0.conv, encoder.mid_block.{resnets,attentions}.*,
encoder.conv_norm_out, encoder.conv_out, quant_conv, post_quant_conv and the decoder's mirror
(up_blocks with layers_per_block + 1 resnets and upsamplers.0.conv).

`encode` returns the posterior mean already scaled for the diffusion model,
(mean - shift_factor) * scaling_factor; `decode` undoes that scaling first.
"""
import json
import math

import torch
import torch.nn.functional as F
from torch import nn

EPS = 1e-6  # every GroupNorm in the VAE
# bench_pipeline_torch.py --sdpa sets this, as pixart.USE_SDPA: the mid-block attention through
# scaled_dot_product_attention, as diffusers' AttnProcessor2_0 runs it.
USE_SDPA = False


class _GroupNorm(nn.GroupNorm):
    # Statistics in the weights' dtype: under bf16 autocast (training) the convolutions hand it
    # bf16, which PyTorch's CPU group_norm refuses next to f32 weights.
    def forward(self, x):
        return super().forward(x.to(self.weight.dtype))


def _group_norm(channels, groups):
    return _GroupNorm(num_groups=groups, num_channels=channels, eps=EPS, affine=True)


class ResnetBlock2D(nn.Module):
    # No time embedding in the VAE: norm -> SiLU -> conv, twice, plus a 1x1 shortcut when the
    # channel count changes.
    def __init__(self, cin, cout, groups):
        super().__init__()
        self.norm1 = _group_norm(cin, groups)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = _group_norm(cout, groups)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):  # x: [N, cin, H, W] -> [N, cout, H, W]
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        skip = self.conv_shortcut(x) if self.conv_shortcut is not None else x
        return skip + h


class Attention(nn.Module):
    # The mid block's single-head self-attention over the H*W positions, with a residual.
    def __init__(self, channels, groups):
        super().__init__()
        self.group_norm = _group_norm(channels, groups)
        self.to_q = nn.Linear(channels, channels)
        self.to_k = nn.Linear(channels, channels)
        self.to_v = nn.Linear(channels, channels)
        self.to_out = nn.ModuleList([nn.Linear(channels, channels), nn.Dropout(0.0)])

    def forward(self, x):  # x: [N, C, H, W]
        n, c, h, w = x.shape
        t = self.group_norm(x).reshape(n, c, h * w).transpose(1, 2)  # [N, HW, C]
        q, k, v = self.to_q(t), self.to_k(t), self.to_v(t)
        if USE_SDPA:
            attended = F.scaled_dot_product_attention(q, k, v)
        else:
            attended = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(c), dim=-1) @ v  # [N, HW, HW] weights
        out = self.to_out[1](self.to_out[0](attended))
        return out.transpose(1, 2).reshape(n, c, h, w) + x


class Downsample2D(nn.Module):
    # Stride-2 3x3 conv after zero padding only the right and bottom edges by one.
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=0)

    def forward(self, x):  # x: [N, C, H, W] -> [N, C, ceil(H/2), ceil(W/2)]
        return self.conv(F.pad(x, (0, 1, 0, 1), value=0.0))


class Upsample2D(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):  # x: [N, C, H, W] -> [N, C, 2H, 2W]
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownEncoderBlock2D(nn.Module):
    def __init__(self, cin, cout, layers, groups, downsample):
        super().__init__()
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(cin if j == 0 else cout, cout, groups) for j in range(layers)])
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if downsample else None

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
        return x


class UpDecoderBlock2D(nn.Module):
    def __init__(self, cin, cout, layers, groups, upsample):
        super().__init__()
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(cin if j == 0 else cout, cout, groups) for j in range(layers)])
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if upsample else None

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class UNetMidBlock2D(nn.Module):
    # resnet -> (attention) -> resnet, all at the deepest channel count.
    def __init__(self, channels, groups, add_attention):
        super().__init__()
        self.attentions = nn.ModuleList([Attention(channels, groups)]) if add_attention else None
        self.resnets = nn.ModuleList([ResnetBlock2D(channels, channels, groups) for _ in range(2)])

    def forward(self, x):
        x = self.resnets[0](x)
        if self.attentions is not None:
            x = self.attentions[0](x)
        return self.resnets[1](x)


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, groups, layers = cfg["block_out_channels"], cfg["norm_num_groups"], cfg["layers_per_block"]
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], 3, padding=1)
        blocks, prev = [], ch[0]
        for i, c in enumerate(ch):
            blocks.append(DownEncoderBlock2D(prev, c, layers, groups, i != len(ch) - 1))
            prev = c
        self.down_blocks = nn.ModuleList(blocks)
        self.mid_block = UNetMidBlock2D(ch[-1], groups, cfg["mid_block_add_attention"])
        self.conv_norm_out = _group_norm(ch[-1], groups)
        self.conv_out = nn.Conv2d(ch[-1], 2 * cfg["latent_channels"], 3, padding=1)

    def forward(self, x):  # x: [N, in, H, W] -> moments [N, 2*latent, H/f, W/f]
        x = self.conv_in(x)
        for b in self.down_blocks:
            x = b(x)
        x = self.mid_block(x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, groups, layers = cfg["block_out_channels"], cfg["norm_num_groups"], cfg["layers_per_block"]
        rev = list(reversed(ch))
        self.conv_in = nn.Conv2d(cfg["latent_channels"], rev[0], 3, padding=1)
        self.mid_block = UNetMidBlock2D(rev[0], groups, cfg["mid_block_add_attention"])
        blocks, prev = [], rev[0]
        for i, c in enumerate(rev):
            blocks.append(UpDecoderBlock2D(prev, c, layers + 1, groups, i != len(rev) - 1))
            prev = c
        self.up_blocks = nn.ModuleList(blocks)
        self.conv_norm_out = _group_norm(ch[0], groups)
        self.conv_out = nn.Conv2d(ch[0], cfg["out_channels"], 3, padding=1)

    def forward(self, z):  # z: [N, latent, h, w] -> [N, out, h*f, w*f]
        x = self.mid_block(self.conv_in(z))
        for b in self.up_blocks:
            x = b(x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


DEFAULTS = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "block_out_channels": [64],
    "layers_per_block": 1, "norm_num_groups": 32, "act_fn": "silu", "scaling_factor": 0.18215,
    "shift_factor": None, "use_quant_conv": True, "use_post_quant_conv": True,
    "mid_block_add_attention": True,
}


class AutoencoderKL(nn.Module):
    def __init__(self, config):
        super().__init__()
        cfg = dict(DEFAULTS)
        cfg.update({k: v for k, v in config.items() if not k.startswith("_")})
        assert cfg["act_fn"] == "silu"
        self.config = cfg
        lat = cfg["latent_channels"]
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.quant_conv = nn.Conv2d(2 * lat, 2 * lat, 1) if cfg["use_quant_conv"] else None
        self.post_quant_conv = nn.Conv2d(lat, lat, 1) if cfg["use_post_quant_conv"] else None

    @property
    def shift(self):
        s = self.config["shift_factor"]
        return 0.0 if s is None else float(s)

    def encode(self, image):  # image: [N, 3, H, W] in [-1, 1] -> [N, latent, H/f, W/f], scaled
        moments = self.encoder(image)
        if self.quant_conv is not None:
            moments = self.quant_conv(moments)
        mean = moments[:, : self.config["latent_channels"]]
        return (mean - self.shift) * self.config["scaling_factor"]

    def decode(self, latent):  # latent: [N, latent, h, w], scaled -> [N, 3, h*f, w*f]
        z = latent / self.config["scaling_factor"] + self.shift
        if self.post_quant_conv is not None:
            z = self.post_quant_conv(z)
        return self.decoder(z)


# Old diffusers checkpoints name the mid-block attention's projections query/key/value/proj_attn.
LEGACY_ATTENTION_NAMES = {"to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"}


def to_legacy(state_dict, conv_shaped=True):
    """New-style keys -> legacy attention names, optionally with [C, C, 1, 1] projection weights."""
    out = {}
    for key, t in state_dict.items():
        new_key = key
        if ".attentions." in key:
            for new, old in LEGACY_ATTENTION_NAMES.items():
                marker = "." + new + "."
                if marker in key:
                    new_key = key.replace(marker, "." + old + ".")
                    if conv_shaped and key.endswith(".weight"):
                        t = t.reshape(*t.shape, 1, 1)
        out[new_key] = t
    return out


def load(component_dir):
    """AutoencoderKL from a diffusers component folder written by our safetensors_io."""
    import os

    import safetensors_io

    with open(os.path.join(component_dir, "config.json")) as f:
        model = AutoencoderKL(json.load(f))
    state = safetensors_io.load(os.path.join(component_dir, "diffusion_pytorch_model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.eval()

"""Reference AutoencoderDC (DC-AE, the Sana autoencoder) in plain PyTorch, written from diffusers
v0.32's autoencoder_dc.py, with exactly its checkpoint key names:

  encoder.conv_in, encoder.down_blocks.{i}.{j} (ResBlock: conv1/conv2/norm; EfficientViTBlock:
  attn.{to_q,to_k,to_v,to_qkv_multiscale.{s}.{proj_in,proj_out},to_out,norm_out} and
  conv_out.{conv_inverted,conv_depth,conv_point,norm}; the stage's DCDownBlock2d: conv),
  encoder.conv_out; decoder.conv_in, decoder.up_blocks.{i}.{j} (DCUpBlock2d first: conv),
  decoder.norm_out, decoder.conv_out.

Only the norms and activations the Sana checkpoints use (RMSNorm with bias across channels;
SiLU or ReLU). `encode` scales by scaling_factor, `decode` unscales first. `tiled_decode` follows
diffusers' (v0.33) rule for DC-AE: tiles of `tile` latent pixels every `stride`, each blended in
place with its already-blended upper and left neighbours over (tile - stride) * f pixels.
"""
import torch
import torch.nn.functional as F
from torch import nn

NORM_EPS = 1e-5
ATTN_EPS = 1e-15


class ChannelRMSNorm(nn.Module):
    """diffusers' RMSNorm(weight and bias) applied to the channel axis of NCHW."""

    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        t = x.movedim(1, -1)
        t = t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + NORM_EPS)
        return (t * self.weight + self.bias).movedim(-1, 1)


def activation(name):
    return {"silu": nn.SiLU(), "swish": nn.SiLU(), "relu": nn.ReLU()}[name]


class ResBlock(nn.Module):
    def __init__(self, channels, act):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, 1, 1)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.norm = ChannelRMSNorm(channels)
        self.act = activation(act)

    def forward(self, x):
        return self.norm(self.conv2(self.act(self.conv1(x)))) + x


class MultiscaleProjection(nn.Module):
    def __init__(self, channels, heads, kernel):
        super().__init__()
        self.proj_in = nn.Conv2d(channels, channels, kernel, padding=kernel // 2, groups=channels, bias=False)
        self.proj_out = nn.Conv2d(channels, channels, 1, groups=3 * heads, bias=False)

    def forward(self, x):
        return self.proj_out(self.proj_in(x))


class MultiscaleLinearAttention(nn.Module):
    def __init__(self, channels, head_dim, scales):
        super().__init__()
        self.head_dim = head_dim
        heads = channels // head_dim
        inner = heads * head_dim
        self.to_q = nn.Linear(channels, inner, bias=False)
        self.to_k = nn.Linear(channels, inner, bias=False)
        self.to_v = nn.Linear(channels, inner, bias=False)
        self.to_qkv_multiscale = nn.ModuleList(MultiscaleProjection(3 * inner, heads, k) for k in scales)
        self.to_out = nn.Linear(inner * (1 + len(scales)), channels, bias=False)
        self.norm_out = ChannelRMSNorm(channels)

    def forward(self, x):
        B, _, H, W = x.shape
        t = x.movedim(1, -1)
        qkv = torch.cat([self.to_q(t), self.to_k(t), self.to_v(t)], dim=3).movedim(-1, 1)
        qkv = torch.cat([qkv] + [m(qkv) for m in self.to_qkv_multiscale], dim=1)
        qkv = qkv.reshape(B, -1, 3 * self.head_dim, H * W)
        q, k, v = qkv.chunk(3, dim=2)
        q, k = F.relu(q), F.relu(k)
        if H * W > self.head_dim:  # linear order: (v | 1) kᵀ, then times q
            v = F.pad(v, (0, 0, 0, 1), value=1.0)
            out = (v @ k.transpose(-1, -2)) @ q
            out = out[:, :, :-1] / (out[:, :, -1:] + ATTN_EPS)
        else:  # quadratic order, as diffusers switches for small maps
            s = k.transpose(-1, -2) @ q
            s = s / (s.sum(dim=2, keepdim=True) + ATTN_EPS)
            out = v @ s
        out = self.to_out(out.reshape(B, -1, H, W).movedim(1, -1)).movedim(-1, 1)
        return self.norm_out(out) + x


class GLUMBConv(nn.Module):
    def __init__(self, channels):
        super().__init__()
        hidden = 4 * channels
        self.conv_inverted = nn.Conv2d(channels, 2 * hidden, 1)
        self.conv_depth = nn.Conv2d(2 * hidden, 2 * hidden, 3, 1, 1, groups=2 * hidden)
        self.conv_point = nn.Conv2d(hidden, channels, 1, bias=False)
        self.norm = ChannelRMSNorm(channels)

    def forward(self, x):
        h = self.conv_depth(F.silu(self.conv_inverted(x)))
        h, gate = h.chunk(2, dim=1)
        return self.norm(self.conv_point(h * F.silu(gate))) + x


class EfficientViTBlock(nn.Module):
    def __init__(self, channels, head_dim, scales):
        super().__init__()
        self.attn = MultiscaleLinearAttention(channels, head_dim, scales)
        self.conv_out = GLUMBConv(channels)

    def forward(self, x):
        return self.conv_out(self.attn(x))


class DownBlock(nn.Module):  # DCDownBlock2d with its shortcut
    def __init__(self, cin, cout, pixel_unshuffle):
        super().__init__()
        self.unshuffle = pixel_unshuffle
        self.group = cin * 4 // cout
        self.conv = nn.Conv2d(cin, cout // 4 if pixel_unshuffle else cout, 3, 1 if pixel_unshuffle else 2, 1)

    def forward(self, x):
        h = self.conv(x)
        if self.unshuffle:
            h = F.pixel_unshuffle(h, 2)
        y = F.pixel_unshuffle(x, 2).unflatten(1, (-1, self.group)).mean(dim=2)
        return h + y


class UpBlock(nn.Module):  # DCUpBlock2d with its shortcut
    def __init__(self, cin, cout, interpolate):
        super().__init__()
        self.interpolate = interpolate
        self.repeats = cout * 4 // cin
        self.conv = nn.Conv2d(cin, cout if interpolate else cout * 4, 3, 1, 1)

    def forward(self, x):
        if self.interpolate:
            h = self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))
        else:
            h = F.pixel_shuffle(self.conv(x), 2)
        return h + F.pixel_shuffle(x.repeat_interleave(self.repeats, dim=1), 2)


def per_stage(value, stages):
    return [value] * stages if isinstance(value, str) else list(value)


def make_block(kind, channels, head_dim, act, scales):
    if kind == "ResBlock":
        return ResBlock(channels, act)
    return EfficientViTBlock(channels, head_dim, scales)


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch = cfg["encoder_block_out_channels"]
        layers = cfg["encoder_layers_per_block"]
        kinds = per_stage(cfg["encoder_block_types"], len(ch))
        unshuffle = cfg["downsample_block_type"] == "pixel_unshuffle"
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], 3, 1, 1)
        stages = []
        for i, (c, n) in enumerate(zip(ch, layers)):
            blocks = [make_block(kinds[i], c, cfg["attention_head_dim"], "silu", cfg["encoder_qkv_multiscales"][i])
                      for _ in range(n)]
            if i < len(ch) - 1 and n > 0:
                blocks.append(DownBlock(c, ch[i + 1], unshuffle))
            stages.append(nn.Sequential(*blocks))
        self.down_blocks = nn.ModuleList(stages)
        self.conv_out = nn.Conv2d(ch[-1], cfg["latent_channels"], 3, 1, 1)
        self.group = ch[-1] // cfg["latent_channels"]

    def forward(self, x):
        h = self.conv_in(x)
        for stage in self.down_blocks:
            h = stage(h)
        return self.conv_out(h) + h.unflatten(1, (-1, self.group)).mean(dim=2)


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch = cfg["decoder_block_out_channels"]
        layers = cfg["decoder_layers_per_block"]
        kinds = per_stage(cfg["decoder_block_types"], len(ch))
        acts = per_stage(cfg["decoder_act_fns"], len(ch))
        interpolate = cfg["upsample_block_type"] == "interpolate"
        self.conv_in = nn.Conv2d(cfg["latent_channels"], ch[-1], 3, 1, 1)
        self.repeats = ch[-1] // cfg["latent_channels"]
        stages = []
        for i, (c, n) in enumerate(zip(ch, layers)):
            blocks = []
            if i < len(ch) - 1 and n > 0:
                blocks.append(UpBlock(ch[i + 1], c, interpolate))
            blocks += [make_block(kinds[i], c, cfg["attention_head_dim"], acts[i], cfg["decoder_qkv_multiscales"][i])
                       for _ in range(n)]
            stages.append(nn.Sequential(*blocks))
        self.up_blocks = nn.ModuleList(stages)
        self.norm_out = ChannelRMSNorm(ch[0])
        self.conv_out = nn.Conv2d(ch[0], cfg["in_channels"], 3, 1, 1)

    def forward(self, z):
        h = self.conv_in(z) + z.repeat_interleave(self.repeats, dim=1)
        for stage in reversed(self.up_blocks):
            h = stage(h)
        return self.conv_out(F.relu(self.norm_out(h)))


class AutoencoderDC(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.f = 2 ** (len(cfg["encoder_block_out_channels"]) - 1)

    def encode(self, x):
        return self.encoder(x) * self.cfg["scaling_factor"]

    def decode(self, z):
        return self.decoder(z / self.cfg["scaling_factor"])

    def tiled_decode(self, z, tile, stride):
        z = z / self.cfg["scaling_factor"]
        _, _, h, w = z.shape
        if h <= tile and w <= tile:
            return self.decoder(z)
        blend, keep = (tile - stride) * self.f, stride * self.f
        rows = []
        for i in range(0, h, stride):
            rows.append([self.decoder(z[:, :, i:i + tile, j:j + tile]) for j in range(0, w, stride)])
        out_rows = []
        for i, row in enumerate(rows):
            out_row = []
            for j, t in enumerate(row):
                if i > 0:
                    a = rows[i - 1][j]
                    e = min(a.shape[2], t.shape[2], blend)
                    for y in range(e):
                        t[:, :, y, :] = a[:, :, -e + y, :] * (1 - y / e) + t[:, :, y, :] * (y / e)
                if j > 0:
                    a = row[j - 1]
                    e = min(a.shape[3], t.shape[3], blend)
                    for x in range(e):
                        t[:, :, :, x] = a[:, :, :, -e + x] * (1 - x / e) + t[:, :, :, x] * (x / e)
                out_row.append(t[:, :, :keep, :keep])
            out_rows.append(torch.cat(out_row, dim=3))
        return torch.cat(out_rows, dim=2)

"""Reference PixArt ControlNet-Transformer (PixArt-δ) in plain PyTorch, on top of pixart.py.

The module tree gives `state_dict()` the keys of diffusers' research-project adapter
(examples/research_projects/pixart/controlnet_pixart_alpha.py, PixArtControlNetAdapterModel):

  controlnet_blocks.0.before_proj.{weight,bias}          D -> D, block 0 only, zero-initialised
  controlnet_blocks.{j}.transformer_block.*              a BasicTransformerBlock (pixart.py)
  controlnet_blocks.{j}.after_proj.{weight,bias}         D -> D, zero-initialised

config.json: {"_class_name": "PixArtControlNetAdapterModel", "num_layers": N} plus, for a
RelaCtrl-style layout, "block_indices": [b_0, ..., b_{N-1}] (the base block each control block
follows; default 0..N-1).

`controlled_forward` runs a base pixart.PixArtTransformer2DModel with any number of controls.
`diffusers_forward` is diffusers' PixArtControlNetTransformerModel loop written out for one
adapter in the default layout; the fixture script checks the two agree, so the general form is
the diffusers one.
"""
import torch
import torch.nn.functional as F
from torch import nn

import pixart


class PixArtControlNetAdapterBlock(nn.Module):
    def __init__(self, c, block_index):
        super().__init__()
        d = c["dim"]
        self.block_index = block_index
        if block_index == 0:
            self.before_proj = nn.Linear(d, d)
        self.transformer_block = pixart.BasicTransformerBlock(c)
        self.after_proj = nn.Linear(d, d)
        with torch.no_grad():  # PixArt-δ's zero init: a fresh adapter leaves the base unchanged
            for lin in ([self.before_proj] if block_index == 0 else []) + [self.after_proj]:
                lin.weight.zero_()
                lin.bias.zero_()

    def forward(self, x, state, context, bias, t6):
        # x: [B, N, D] base stream (read by block 0 only); state: [B, N, D] the control stream
        # (block 0: the embedded control latent). Returns (residual, new state), both [B, N, D].
        if self.block_index == 0:
            state = x + self.before_proj(state)
        state = self.transformer_block(state, context, bias, t6)
        return self.after_proj(state), state


class PixArtControlNetAdapterModel(nn.Module):
    def __init__(self, base_config, num_layers=13, block_indices=None):
        super().__init__()
        c = pixart.read_config(base_config)
        self.c = c
        self.num_layers = num_layers
        self.block_indices = list(range(num_layers)) if block_indices is None else list(block_indices)
        assert len(self.block_indices) == num_layers
        self.controlnet_blocks = nn.ModuleList([PixArtControlNetAdapterBlock(c, j) for j in range(num_layers)])

    def config(self, with_indices=None):
        cfg = {"_class_name": "PixArtControlNetAdapterModel", "num_layers": self.num_layers}
        if with_indices or (with_indices is None and self.block_indices != list(range(self.num_layers))):
            cfg["block_indices"] = self.block_indices
        return cfg

    @staticmethod
    def from_transformer(base, base_config, num_layers, block_indices=None):
        """PixArt-δ's initialisation: block j copies the base block it follows (b_j); the zero
        projections make the fresh adapter an exact no-op."""
        adapter = PixArtControlNetAdapterModel(base_config, num_layers, block_indices)
        for j, b in enumerate(adapter.block_indices):
            adapter.controlnet_blocks[j].transformer_block.load_state_dict(base.transformer_blocks[b].state_dict())
        return adapter


def _inputs(base, latent, timestep, encoder_hidden_states, encoder_attention_mask, resolution, aspect_ratio):
    x = base.pos_embed(latent)  # [B, N, D]
    t6, embedded = base.adaln_single(timestep, resolution, aspect_ratio)
    context = base.caption_projection(encoder_hidden_states)  # [B, L, D]
    bias = ((1 - encoder_attention_mask.to(x.dtype)) * -10000.0)[:, None, :]  # [B, 1, L]
    return x, t6, embedded, context, bias


def _output(base, x, embedded, latent):
    b, _, hh, ww = latent.shape
    p = base.c["patch_size"]
    gh, gw = hh // p, ww // p
    shift, scale = (base.scale_shift_table[None] + embedded[:, None]).chunk(2, dim=1)
    x = F.layer_norm(x, x.shape[-1:], eps=1e-6) * (1 + scale) + shift
    x = base.proj_out(x)
    oc = base.c["out_channels"]
    x = x.reshape(b, gh, gw, p, p, oc).permute(0, 5, 1, 3, 2, 4)
    return x.reshape(b, oc, gh * p, gw * p)


def controlled_forward(base, latent, timestep, encoder_hidden_states, encoder_attention_mask, controls,
                       resolution=None, aspect_ratio=None):
    """controls: list of dicts {adapter, cond: [1 or B, Cin, H, W] control latent, weight, skip: set
    of control blocks to skip}. Every control reads the base stream before any residual of the
    same place is added; their weighted residuals are summed. Returns [B, out_channels, H, W]."""
    x, t6, embedded, context, bias = _inputs(base, latent, timestep, encoder_hidden_states,
                                             encoder_attention_mask, resolution, aspect_ratio)
    b = x.shape[0]
    states = [base.pos_embed(ctl["cond"]).expand(b, -1, -1) for ctl in controls]
    for i, block in enumerate(base.transformer_blocks):
        x = block(x, context, bias, t6)
        total = None
        for k, ctl in enumerate(controls):
            adapter = ctl["adapter"]
            for j, at in enumerate(adapter.block_indices):
                if at != i:
                    continue
                cb = adapter.controlnet_blocks[j]
                if j == 0:
                    states[k] = x + cb.before_proj(states[k])
                if j in ctl.get("skip", ()):
                    continue
                states[k] = cb.transformer_block(states[k], context, bias, t6)
                r = ctl.get("weight", 1.0) * cb.after_proj(states[k])
                total = r if total is None else total + r
        if total is not None:
            x = x + total
    return _output(base, x, embedded, latent)


def diffusers_forward(base, adapter, latent, timestep, encoder_hidden_states, encoder_attention_mask, cond,
                      resolution=None, aspect_ratio=None):
    """diffusers' PixArtControlNetTransformerModel.forward for one default-layout adapter: control
    block (i - 1) runs just before base block i for 0 < i <= N, on the stream entering block i."""
    assert adapter.block_indices == list(range(adapter.num_layers))
    x, t6, embedded, context, bias = _inputs(base, latent, timestep, encoder_hidden_states,
                                             encoder_attention_mask, resolution, aspect_ratio)
    down = base.pos_embed(cond)
    for i, block in enumerate(base.transformer_blocks):
        if 0 < i <= adapter.num_layers:
            left, down = adapter.controlnet_blocks[i - 1](x, down, context, bias, t6)
            x = x + left
        x = block(x, context, bias, t6)
    return _output(base, x, embedded, latent)

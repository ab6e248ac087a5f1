"""A PyTorch T5 encoder written to match transformers' T5EncoderModel (T5 v1.0 and v1.1).

Parameter names are the checkpoint's (state_dict keys match transformers exactly):
  shared.weight                                            [vocab, d_model]
  encoder.embed_tokens.weight                              the same tensor (tied)
  encoder.block.{i}.layer.0.SelfAttention.{q,k,v}.weight   [heads * d_kv, d_model]
  encoder.block.{i}.layer.0.SelfAttention.o.weight         [d_model, heads * d_kv]
  encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight   [buckets, heads]
  encoder.block.{i}.layer.0.layer_norm.weight              [d_model]
  encoder.block.{i}.layer.1.DenseReluDense.{wi_0,wi_1}.weight  [d_ff, d_model]  (gated-*)
  encoder.block.{i}.layer.1.DenseReluDense.wi.weight       [d_ff, d_model]      (relu, ...)
  encoder.block.{i}.layer.1.DenseReluDense.wo.weight       [d_model, d_ff]
  encoder.block.{i}.layer.1.layer_norm.weight              [d_model]
  encoder.final_layer_norm.weight                          [d_model]

The math, checked against transformers' modeling_t5.py: no embedding scaling; pre-norm residual
blocks with RMS norms (T5LayerNorm); attention without the 1/sqrt(d) factor; one relative
position bias (block 0's table, bidirectional log-spaced buckets) reused by every block, with the
padding mask added to it as (1 - mask) * finfo.min; the gated feed-forward act(wi_0 x) * (wi_1 x)
where "gated-gelu" means the tanh GELU (gelu_new). Dropout is omitted (inference only).
"""
import json
import math

import torch
import torch.nn.functional as F
from torch import nn


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {
    "relu": F.relu,
    "gelu": F.gelu,  # the exact (erf) GELU, as transformers' ACT2FN["gelu"]
    "gelu_new": gelu_new,
    "silu": F.silu,
    "swish": F.silu,
}


class T5Config:
    def __init__(self, vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8,
                 relative_attention_num_buckets=32, relative_attention_max_distance=128,
                 layer_norm_epsilon=1e-6, feed_forward_proj="relu", **extra):
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.d_kv = d_kv
        self.d_ff = d_ff
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.relative_attention_num_buckets = relative_attention_num_buckets
        self.relative_attention_max_distance = relative_attention_max_distance
        self.layer_norm_epsilon = layer_norm_epsilon
        self.feed_forward_proj = feed_forward_proj
        parts = feed_forward_proj.split("-")
        self.is_gated_act = parts[0] == "gated"
        if len(parts) > 2 or (len(parts) == 2 and not self.is_gated_act):
            raise ValueError(f"feed_forward_proj {feed_forward_proj!r} is not 'ACT' or 'gated-ACT'")
        # transformers keeps "gated-gelu" for the tanh GELU of the original T5 v1.1 checkpoints
        self.dense_act_fn = "gelu_new" if feed_forward_proj == "gated-gelu" else parts[-1]

    @staticmethod
    def from_json(path):
        with open(path) as f:
            return T5Config(**json.load(f))

    def to_dict(self):
        return {
            "architectures": ["T5EncoderModel"],
            "model_type": "t5",
            "vocab_size": self.vocab_size,
            "d_model": self.d_model,
            "d_kv": self.d_kv,
            "d_ff": self.d_ff,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "relative_attention_num_buckets": self.relative_attention_num_buckets,
            "relative_attention_max_distance": self.relative_attention_max_distance,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "feed_forward_proj": self.feed_forward_proj,
            "dense_act_fn": self.dense_act_fn,
            "is_gated_act": self.is_gated_act,
            "dropout_rate": 0.1,
            "is_encoder_decoder": True,
            "pad_token_id": 0,
            "eos_token_id": 1,
            "tie_word_embeddings": False,
        }


class T5LayerNorm(nn.Module):
    """RMS norm: no mean subtraction, no bias; the variance is taken in float32 or wider."""

    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        acc = x if x.dtype == torch.float64 else x.float()
        var = acc.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    """Bucket of (key position - query position): exact for small distances, log-spaced up to
    max_distance, and one bucket for everything farther. Bidirectional splits the buckets
    between keys before (first half) and after (second half) the query."""
    bucket = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        bucket = bucket + (relative_position > 0).long() * num_buckets
        distance = relative_position.abs()
    else:
        distance = -torch.clamp(relative_position, max=0)
    max_exact = num_buckets // 2
    is_small = distance < max_exact
    # float32 like transformers, so bucket edges fall where theirs do
    large = max_exact + (torch.log(distance.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).long()
    large = torch.clamp(large, max=num_buckets - 1)
    return bucket + torch.where(is_small, distance, large)


class T5Attention(nn.Module):
    def __init__(self, cfg, has_relative_attention_bias):
        super().__init__()
        inner = cfg.num_heads * cfg.d_kv
        self.num_heads = cfg.num_heads
        self.d_kv = cfg.d_kv
        self.num_buckets = cfg.relative_attention_num_buckets
        self.max_distance = cfg.relative_attention_max_distance
        self.q = nn.Linear(cfg.d_model, inner, bias=False)
        self.k = nn.Linear(cfg.d_model, inner, bias=False)
        self.v = nn.Linear(cfg.d_model, inner, bias=False)
        self.o = nn.Linear(inner, cfg.d_model, bias=False)
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(self.num_buckets, cfg.num_heads)

    def compute_bias(self, length):
        # -> [1, H, L, L]
        pos = torch.arange(length, dtype=torch.long, device=self.relative_attention_bias.weight.device)
        rel = pos[None, :] - pos[:, None]  # key - query
        buckets = relative_position_bucket(rel, True, self.num_buckets, self.max_distance)
        return self.relative_attention_bias(buckets).permute(2, 0, 1).unsqueeze(0)

    def forward(self, x, bias):
        # x: [B, L, d_model], bias: [B or 1, H, L, L] (position bias + padding mask)
        B, L, _ = x.shape

        def heads(t):
            return t.view(B, L, self.num_heads, self.d_kv).transpose(1, 2)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        scores = torch.matmul(q, k.transpose(2, 3)) + bias  # no 1/sqrt(d_kv): folded into init
        weights = torch.softmax(scores, dim=-1)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(B, L, self.num_heads * self.d_kv)
        return self.o(out)


class T5LayerSelfAttention(nn.Module):
    def __init__(self, cfg, has_relative_attention_bias):
        super().__init__()
        self.SelfAttention = T5Attention(cfg, has_relative_attention_bias)
        self.layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)

    def forward(self, x, bias):
        return x + self.SelfAttention(self.layer_norm(x), bias)


class T5DenseActDense(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wi = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wo = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)
        self.act = ACTIVATIONS[cfg.dense_act_fn]

    def forward(self, x):
        return self.wo(self.act(self.wi(x)))


class T5DenseGatedActDense(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wi_0 = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wi_1 = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wo = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)
        self.act = ACTIVATIONS[cfg.dense_act_fn]

    def forward(self, x):
        return self.wo(self.act(self.wi_0(x)) * self.wi_1(x))


class T5LayerFF(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.DenseReluDense = T5DenseGatedActDense(cfg) if cfg.is_gated_act else T5DenseActDense(cfg)
        self.layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)

    def forward(self, x):
        return x + self.DenseReluDense(self.layer_norm(x))


class T5Block(nn.Module):
    def __init__(self, cfg, has_relative_attention_bias):
        super().__init__()
        self.layer = nn.ModuleList([T5LayerSelfAttention(cfg, has_relative_attention_bias), T5LayerFF(cfg)])

    def forward(self, x, bias):
        return self.layer[1](self.layer[0](x, bias))


class T5Stack(nn.Module):
    def __init__(self, cfg, embed_tokens):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.block = nn.ModuleList([T5Block(cfg, i == 0) for i in range(cfg.num_layers)])
        self.final_layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)

    def forward(self, input_ids, attention_mask):
        # input_ids, attention_mask: [B, L] -> [B, L, d_model]
        x = self.embed_tokens(input_ids)
        L = input_ids.shape[1]
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        bias = self.block[0].layer[0].SelfAttention.compute_bias(L).to(x.dtype) + mask
        for block in self.block:
            x = block(x, bias)
        return self.final_layer_norm(x)


class T5EncoderModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.config = cfg
        self.shared = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.encoder = T5Stack(cfg, self.shared)

    def forward(self, input_ids, attention_mask=None):
        # input_ids: [B, L] -> last_hidden_state [B, L, d_model]
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        return self.encoder(input_ids, attention_mask)

    def checkpoint_state_dict(self):
        """state_dict as transformers' save_pretrained writes it: the tied
        encoder.embed_tokens.weight is dropped in favour of shared.weight."""
        sd = self.state_dict()
        sd.pop("encoder.embed_tokens.weight")
        return sd

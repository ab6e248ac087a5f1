"""Reference Gemma2Model (transformers v4.42, the Sana text encoder) in plain PyTorch, written from
modeling_gemma2.py, with its checkpoint key names (embed_tokens, layers.{i}.{input_layernorm,
self_attn.{q,k,v,o}_proj, post_attention_layernorm, pre_feedforward_layernorm, mlp.{gate,up,
down}_proj, post_feedforward_layernorm}, norm), returning the last hidden state.

Eager attention without a cache: scores scaled by query_pre_attn_scalar^-0.5, soft-capped by
tanh, then the causal mask, the padding mask and (on even layers) the sliding window, each as
finfo.min added. Also the Sana pipeline's prompt handling (diffusers v0.32 encode_prompt) over a
SentencePiece model: `sana_tokens` and `sana_select`.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):  # Gemma's: scale (1 + w)
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * (1.0 + self.weight)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        self.scaling = cfg["query_pre_attn_scalar"] ** -0.5
        self.softcap = cfg.get("attn_logit_softcapping", 50.0)
        self.window = cfg["sliding_window"] if layer % 2 == 0 else None
        hidden = cfg["hidden_size"]
        self.q_proj = nn.Linear(hidden, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(hidden, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(hidden, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        B, L, _ = x.shape
        q = self.q_proj(x).view(B, L, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, L, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, L, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = self.heads // self.kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        s = (q @ k.transpose(2, 3)) * self.scaling
        if self.softcap:
            s = torch.tanh(s / self.softcap) * self.softcap
        allowed = mask  # [B, 1, L, L] bool
        if self.window is not None:
            i = torch.arange(L)[:, None]
            j = torch.arange(L)[None, :]
            allowed = allowed & (i - j < self.window)
        s = s + torch.zeros_like(s).masked_fill(~allowed, torch.finfo(s.dtype).min)
        p = F.softmax(s, dim=-1)
        return self.o_proj((p @ v).transpose(1, 2).reshape(B, L, -1))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(cfg["intermediate_size"], cfg["hidden_size"], bias=False)

    def forward(self, x):
        return self.down_proj(F.gelu(self.gate_proj(x), approximate="tanh") * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, cfg, i):
        super().__init__()
        eps, hidden = cfg["rms_norm_eps"], cfg["hidden_size"]
        self.self_attn = Attention(cfg, i)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(hidden, eps)
        self.post_attention_layernorm = RMSNorm(hidden, eps)
        self.pre_feedforward_layernorm = RMSNorm(hidden, eps)
        self.post_feedforward_layernorm = RMSNorm(hidden, eps)

    def forward(self, x, cos, sin, mask):
        x = x + self.post_attention_layernorm(self.self_attn(self.input_layernorm(x), cos, sin, mask))
        return x + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(x)))


class Gemma2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList(Layer(cfg, i) for i in range(cfg["num_hidden_layers"]))
        self.norm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])

    def rope(self, L, dtype):
        dim = self.cfg["head_dim"]
        inv_freq = 1.0 / (self.cfg["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        freqs = torch.arange(L, dtype=torch.float32)[:, None] * inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(dtype), emb.sin().to(dtype)

    def forward(self, ids, attention_mask):
        B, L = ids.shape
        x = self.embed_tokens(ids)
        # transformers rounds the normalizer to the activations' dtype; the engine computes in f32,
        # so the reference uses the f32-rounded value whatever its own dtype.
        x = x * torch.tensor(self.cfg["hidden_size"] ** 0.5, dtype=torch.float32).to(x.dtype)
        cos, sin = self.rope(L, x.dtype)
        causal = torch.tril(torch.ones(L, L, dtype=torch.bool))
        mask = causal[None, None] & attention_mask.bool()[:, None, None, :]
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x)


# ---- the Sana pipeline's prompt handling ----

COMPLEX_HUMAN_INSTRUCTION = [
    "Given a user prompt, generate an 'Enhanced prompt' that provides detailed visual descriptions suitable for "
    "image generation. Evaluate the level of detail in the user prompt:",
    "- If the prompt is simple, focus on adding specifics about colors, shapes, sizes, textures, and spatial "
    "relationships to create vivid and concrete scenes.",
    "- If the prompt is already detailed, refine and enhance the existing details slightly without "
    "overcomplicating.",
    "Here are examples of how to transform or refine prompts:",
    "- User Prompt: A cat sleeping -> Enhanced: A small, fluffy white cat curled up in a round shape, sleeping "
    "peacefully on a warm sunny windowsill, surrounded by pots of blooming red flowers.",
    "- User Prompt: A busy city street -> Enhanced: A bustling city street scene at dusk, featuring glowing street "
    "lamps, a diverse crowd of people in colorful clothing, and a double-decker bus passing by towering glass "
    "skyscrapers.",
    "Please generate only the enhanced description for the prompt below and avoid including any additional "
    "commentary or evaluations:",
    "User Prompt: ",
]


def tokenize(sp, text, max_length):
    """GemmaTokenizer(text, padding="max_length", truncation=True, add_special_tokens=True), right padding."""
    ids = [sp.bos_id()] + sp.encode(text)[: max_length - 1]
    mask = [1] * len(ids) + [0] * (max_length - len(ids))
    return ids + [sp.pad_id()] * (max_length - len(ids)), mask


def sana_tokens(sp, prompt, max_sequence_length, instruction=COMPLEX_HUMAN_INSTRUCTION):
    """(ids, mask, select_index) of encode_prompt for the positive prompt."""
    text = prompt.lower().strip()
    length = max_sequence_length
    if instruction:
        chi = "\n".join(instruction)
        length = len([sp.bos_id()] + sp.encode(chi)) + max_sequence_length - 2
        text = chi + text
    ids, mask = tokenize(sp, text, length)
    select = [0] + list(range(-max_sequence_length + 1, 0))
    select = [i % length for i in select]
    return ids, mask, select

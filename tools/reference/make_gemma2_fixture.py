"""Writes tests/fixtures/gemma2/: a tiny random Gemma2Model and a small SentencePiece model in the
diffusers layout of a Sana folder, and what tools/reference/gemma2.py makes of them (float64).

  tokenizer/tokenizer.model   BPE trained here with byte fallback, Gemma's settings (no dummy
                              prefix, whitespace kept, <pad>=0 <eos>=1 <bos>=2 <unk>=3)
  text_encoder/               config.json + model.safetensors (3 layers, 4 query / 2 key-value
                              heads, soft-cap 5, sliding window 4, query_pre_attn_scalar 8)
  prompts.json                the test prompts; pieces.npy: their SentencePiece ids, -1 padded
  batch_ids.npy, batch_mask.npy, batch_hidden.npy   two prompts padded to 24 tokens, Gemma-2's output
  sana_ids.npy, sana_mask.npy, sana_select.npy, sana_hidden.npy   the pipeline's prompt handling
                              (instruction on, max_sequence_length 10) and the kept rows
  negative_ids.npy, negative_mask.npy, negative_hidden.npy          the negative prompt ""

Run: /usr/bin/python3 tools/reference/make_gemma2_fixture.py   (from the repository root)
"""
import io
import json
import os
import sys

import numpy as np
import sentencepiece as spm
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gemma2  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "gemma2")
MAX_SEQUENCE_LENGTH = 10

CONFIG = {
    "architectures": ["Gemma2Model"],
    "model_type": "gemma2",
    "vocab_size": None,  # the tokenizer's piece count
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "hidden_activation": "gelu_pytorch_tanh",
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
    "query_pre_attn_scalar": 8,
    "attn_logit_softcapping": 5.0,
    "final_logit_softcapping": 30.0,
    "sliding_window": 4,
    "attention_bias": False,
    "max_position_embeddings": 8192,
    "pad_token_id": 0,
    "eos_token_id": 1,
    "bos_token_id": 2,
    "torch_dtype": "float32",
}

CORPUS = gemma2.COMPLEX_HUMAN_INSTRUCTION + [
    "a small red cube on a wooden table",
    "a watercolor painting of a lighthouse at dawn",
    "two cats sleeping in the sun, photorealistic",
    "a portrait of an astronaut riding a horse on the moon",
    "the quick brown fox jumps over the lazy dog",
]
PROMPTS = [
    "a small red cube on a wooden table",
    "Café ☕ naïve 東京 — zoë's 3rd piñata!",
    "  Spaces   and\ttabs\nand newlines  ",
    "",
]


def train_tokenizer():
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 4), model_writer=model, vocab_size=400, model_type="bpe",
        byte_fallback=True, add_dummy_prefix=False, remove_extra_whitespaces=False,
        normalization_rule_name="identity", character_coverage=1.0, hard_vocab_limit=False,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3, split_digits=True, allow_whitespace_only_pieces=True,
        minloglevel=2)
    return model.getvalue()


def main():
    os.makedirs(os.path.join(OUT, "tokenizer"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "text_encoder"), exist_ok=True)
    proto = train_tokenizer()
    with open(os.path.join(OUT, "tokenizer", "tokenizer.model"), "wb") as f:
        f.write(proto)
    sp = spm.SentencePieceProcessor(model_proto=proto)
    cfg = dict(CONFIG, vocab_size=sp.get_piece_size())
    with open(os.path.join(OUT, "text_encoder", "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(OUT, "prompts.json"), "w") as f:
        json.dump(PROMPTS, f, indent=2, ensure_ascii=False)

    pieces = [sp.encode(p) for p in PROMPTS]
    width = max(len(p) for p in pieces)
    table = np.full((len(PROMPTS), width), -1, dtype=np.float32)
    for i, p in enumerate(pieces):
        table[i, :len(p)] = p
    np.save(os.path.join(OUT, "pieces.npy"), table)
    byte_pieces = sum(sp.id_to_piece(i).startswith("<0x") for p in pieces for i in p)

    torch.manual_seed(3)
    model = gemma2.Gemma2Model(cfg).eval()
    with torch.no_grad():
        for key, p in model.named_parameters():
            if key.endswith("layernorm.weight") or key == "norm.weight":
                p.copy_(0.3 * torch.randn_like(p))
    safetensors_io.save(os.path.join(OUT, "text_encoder", "model.safetensors"),
                        {k: v.contiguous() for k, v in model.state_dict().items()})
    ref = model.double()

    def run(ids, mask):
        with torch.no_grad():
            return ref(torch.tensor(ids), torch.tensor(mask))

    batch = [gemma2.tokenize(sp, p.lower().strip(), 24) for p in PROMPTS[:2]]
    ids, mask = [b[0] for b in batch], [b[1] for b in batch]
    outputs = {"batch_ids": ids, "batch_mask": mask, "batch_hidden": run(ids, mask)}

    ids, mask, select = gemma2.sana_tokens(sp, PROMPTS[0], MAX_SEQUENCE_LENGTH)
    hidden = run([ids], [mask])[:, select]
    outputs.update(sana_ids=[ids], sana_mask=[mask], sana_select=select, sana_hidden=hidden,
                   sana_selected_mask=[[mask[i] for i in select]])
    ids, mask = gemma2.tokenize(sp, "", MAX_SEQUENCE_LENGTH)
    outputs.update(negative_ids=[ids], negative_mask=[mask], negative_hidden=run([ids], [mask]))
    for key, value in outputs.items():
        safetensors_io.save_npy(os.path.join(OUT, f"{key}.npy"), torch.as_tensor(value, dtype=torch.float64))
    print(f"vocab {sp.get_piece_size()}, {byte_pieces} byte-fallback pieces in the prompts, "
          f"sana prompt {len(outputs['sana_ids'][0])} tokens, |hidden| <= {outputs['batch_hidden'].abs().max():.3f}")


if __name__ == "__main__":
    main()

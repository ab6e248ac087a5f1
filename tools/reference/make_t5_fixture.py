"""Writes tests/fixtures/t5/: a tiny SentencePiece tokenizer, tiny random T5 encoders and their
outputs, for tests/engine/test_t5.cpp.

  tokenizer/spiece.model   unigram SentencePiece (pad 0, eos 1, unk 2, no bos), trained on 240
                           generated captions with a soft vocab_size of 300 (236 pieces result);
                           identity normalization, which keeps the model 3 KB instead of ~230 KB
  text_encoder/            config.json + model.safetensors: T5 v1.1 (gated-gelu), d_model 32,
                           d_kv 8, 4 heads, d_ff 64, 2 layers, 16 buckets / max distance 12 (so
                           a 16-token prompt reaches both the log-spaced and the clamped buckets);
                           f32, key shared.weight
  text_encoder_sharded/    the same weights in BF16, two shards + model.safetensors.index.json,
                           the embedding under its other name encoder.embed_tokens.weight
  text_encoder_relu/       a 1-layer T5 v1.0-style encoder (feed_forward_proj "relu",
                           DenseReluDense.wi/wo), stored F16
  expected.safetensors     for PROMPTS at max_length 16: ids, mask [4, 16] (as floats), lengths
                           [4] (untruncated token counts incl. EOS), hidden [4, 16, 32] (gated),
                           hidden_relu [4, 16, 32]; buckets_fixture / buckets_t5 [1201]: the
                           bidirectional bucket of relative positions -600..600 for the fixture's
                           (16, 12) and T5's standard (32, 128) settings

Weights are rounded to BF16 (F16 for the relu model) before use, so every stored copy holds the
same numbers; hidden states are computed in float64 from those numbers.

Tokenization mirrors transformers' T5Tokenizer(text, padding="max_length", truncation=True,
max_length=16): SentencePiece ids, cut to max_length - 1, then </s>, then <pad> up to max_length.

Run: /usr/bin/python3 tools/reference/make_t5_fixture.py   (from the repository root)
"""
import json
import os
import random
import shutil
import sys
import tempfile

import sentencepiece as spm
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import t5  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "t5")
MAX_LENGTH = 16

PROMPTS = [
    "",
    "a red circle above a blue square",
    "A small green triangle next to a large purple star on a white background, with an orange "
    "hexagon in the bottom right corner",
    "  Zebra   42 ÿ  café!  ",
]

COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "white", "black", "pink", "brown",
          "gray", "cyan"]
SHAPES = ["circle", "square", "triangle", "star", "hexagon", "ring", "cross", "heart", "diamond",
          "rectangle"]
SIZES = ["small", "large", "tiny", "big", "medium"]
PLACES = ["at the top left", "at the top right", "in the bottom left corner", "in the bottom right corner",
          "in the center", "near the middle", "along the left edge", "along the right edge"]
RELATIONS = ["above", "below", "next to", "to the left of", "to the right of", "behind", "inside"]
OBJECTS = ["cat", "dog", "house", "tree", "car", "boat", "flower", "mountain", "river", "bird", "cup",
           "lamp", "chair", "window", "bicycle", "castle", "forest", "robot", "guitar", "umbrella",
           "horse", "bridge", "cloud", "lighthouse", "teapot", "butterfly", "dragon", "pumpkin"]
SCENES = ["at sunset", "in the snow", "during a storm", "on a quiet street", "by the ocean",
          "in a misty valley", "at night under the stars", "in a crowded market", "on a rainy morning"]
STYLES = ["oil painting", "pencil sketch", "digital art", "studio photo", "pixel art", "cinematic still",
          "children's book illustration", "isometric render"]
EXTRAS = ["with soft shadows", "in a photograph", "as a flat illustration", "drawn with thick outlines",
          "on a wooden table", "under bright light", "in watercolor", "with a glossy finish"]


def corpus(n=240):
    rng = random.Random(0)
    lines = []
    for i in range(n):
        a = f"{rng.choice(['a', 'one', 'the'])} {rng.choice(SIZES)} {rng.choice(COLORS)} {rng.choice(SHAPES)}"
        b = f"a {rng.choice(COLORS)} {rng.choice(SHAPES)}"
        form = i % 6
        if form == 0:
            line = f"{a} {rng.choice(PLACES)} and {b} on a {rng.choice(COLORS)} background"
        elif form == 1:
            line = f"{a} {rng.choice(RELATIONS)} {b}, {rng.choice(EXTRAS)}"
        elif form == 2:
            line = f"{rng.randint(2, 9)} {rng.choice(COLORS)} {rng.choice(SHAPES)}s {rng.choice(PLACES)}"
        elif form == 3:
            line = f"{rng.choice(STYLES)} of a {rng.choice(SIZES)} {rng.choice(OBJECTS)} {rng.choice(SCENES)}"
        elif form == 4:
            line = (f"A {rng.choice(COLORS)} {rng.choice(OBJECTS)} and a {rng.choice(OBJECTS)} "
                    f"{rng.choice(RELATIONS)} a {rng.choice(OBJECTS)}, {rng.choice(STYLES)}")
        else:
            line = f"{a.capitalize()} {rng.choice(EXTRAS)}. {b.capitalize()} {rng.choice(PLACES)}."
        lines.append(line)
    return lines


def train_tokenizer(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    out_dir = os.path.abspath(out_dir)
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        # relative names: the trainer records them in the model, which should not vary by run
        os.chdir(tmp)
        with open("corpus.txt", "w") as f:
            f.write("\n".join(corpus()) + "\n")
        spm.SentencePieceTrainer.train(
            input="corpus.txt", model_prefix="spiece", vocab_size=300, model_type="unigram",
            pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0, num_threads=1,
            hard_vocab_limit=False, minloglevel=2,
            # no NFKC table: it alone would be ~230 KB, and the C++ and Python paths share the library
            normalization_rule_name="identity")
        shutil.copy("spiece.model", os.path.join(out_dir, "spiece.model"))
        os.chdir(cwd)
    return spm.SentencePieceProcessor(model_file=os.path.join(out_dir, "spiece.model"))


def tokenize(sp, text, max_length):
    """transformers' T5Tokenizer with padding="max_length", truncation=True."""
    pieces = sp.encode(text)
    length = len(pieces) + 1
    ids = pieces[:max_length - 1] + [sp.eos_id()]
    mask = [1] * len(ids) + [0] * (max_length - len(ids))
    ids = ids + [sp.pad_id()] * (max_length - len(ids))
    return ids, mask, length


def random_model(cfg, seed, round_to):
    torch.manual_seed(seed)
    model = t5.T5EncoderModel(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name == "shared.weight":
                p.copy_(torch.randn_like(p))
            elif "relative_attention_bias" in name:
                p.copy_(0.5 * torch.randn_like(p))
            else:  # Linear: roughly unit output variance (T5 has no 1/sqrt(d) in attention)
                p.copy_(torch.randn_like(p) / p.shape[1] ** 0.5)
            p.copy_(p.to(round_to).float())
    return model.eval()


def save_component(model, out_dir, dtype, rename=None, shards=1):
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, name))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(model.config.to_dict(), f, indent=2)
        f.write("\n")
    sd = {(rename or {}).get(k, k): v.to(dtype) for k, v in model.checkpoint_state_dict().items()}
    if shards == 1:
        safetensors_io.save(os.path.join(out_dir, "model.safetensors"), sd, {"format": "pt"})
        return
    keys = sorted(sd)
    weight_map = {}
    total = 0
    for s in range(shards):
        name = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {k: sd[k] for k in keys[s::shards]}
        safetensors_io.save(os.path.join(out_dir, name), part, {"format": "pt"})
        weight_map.update({k: name for k in part})
        total += sum(t.numel() * t.element_size() for t in part.values())
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
        f.write("\n")


def main():
    sp = train_tokenizer(os.path.join(OUT, "tokenizer"))
    vocab = sp.get_piece_size()
    assert (sp.pad_id(), sp.eos_id(), sp.unk_id(), sp.bos_id()) == (0, 1, 2, -1)

    cfg = t5.T5Config(vocab_size=vocab, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                      relative_attention_num_buckets=16, relative_attention_max_distance=12,
                      feed_forward_proj="gated-gelu")
    model = random_model(cfg, 0, torch.bfloat16)
    save_component(model, os.path.join(OUT, "text_encoder"), torch.float32)
    save_component(model, os.path.join(OUT, "text_encoder_sharded"), torch.bfloat16,
                   rename={"shared.weight": "encoder.embed_tokens.weight"}, shards=2)

    relu_cfg = t5.T5Config(vocab_size=vocab, d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=4,
                           relative_attention_num_buckets=32, relative_attention_max_distance=128,
                           feed_forward_proj="relu")
    relu = random_model(relu_cfg, 1, torch.float16)
    save_component(relu, os.path.join(OUT, "text_encoder_relu"), torch.float16)

    rows = [tokenize(sp, p, MAX_LENGTH) for p in PROMPTS]
    ids = torch.tensor([r[0] for r in rows])
    mask = torch.tensor([r[1] for r in rows])
    lengths = torch.tensor([r[2] for r in rows])
    assert lengths[0] == 1 and lengths[2] > MAX_LENGTH and lengths[1] <= MAX_LENGTH, lengths
    with torch.no_grad():
        hidden = model.double()(ids, mask).float()
        hidden_relu = relu.double()(ids, mask).float()

    rel = torch.arange(-600, 601)
    expected = {
        "ids": ids.float(),
        "mask": mask.float(),
        "lengths": lengths.float(),
        "hidden": hidden,
        "hidden_relu": hidden_relu,
        "buckets_fixture": t5.relative_position_bucket(rel, True, 16, 12).float(),
        "buckets_t5": t5.relative_position_bucket(rel, True, 32, 128).float(),
    }
    safetensors_io.save(os.path.join(OUT, "expected.safetensors"), expected,
                        {"prompts": json.dumps(PROMPTS), "max_length": MAX_LENGTH})

    for p, (i, m, n) in zip(PROMPTS, rows):
        print(f"{p!r}: {n} tokens -> {i}")
    print("vocab", vocab, "hidden |max|", hidden.abs().max().item(), "relu |max|", hidden_relu.abs().max().item())


if __name__ == "__main__":
    main()

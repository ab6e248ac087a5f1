"""The PyTorch side of bench/sana_pipeline.cpp: writes a Sana-Sprint-shaped diffusers folder with
random weights and times tools/reference/sana_pipeline.py's SanaPipeline on it, in float32 on the
CPU, with the same prompt, seed and thread count as the C++ side.

  make DIR [--scale full|tiny]
       DIR/{model_index.json, scheduler (SCMScheduler), tokenizer, text_encoder, transformer, vae},
       every matrix in bf16, written a tensor at a time (a block's shapes come from a one-block
       model, so making the full size needs about one tensor of memory). full: Gemma-2-2B
       (26 layers, 2304 wide, 8 query / 4 key-value heads of 256, 256000-row embedding),
       Sana-Sprint-0.6B's transformer (28 blocks, 36 heads x 32 = 1152, cross-attention 16 x 72,
       caption 2304, guidance embedding, QK norms, sample_size 32) and DC-AE f32c32 (stages
       128-256-512-512-1024-1024, ResBlocks then EfficientViT blocks, 2-2-2-3-3-3 / 3 x 6 layers);
       tiny: the test fixtures' sizes. The tokenizer is the Gemma test fixture's (its ids index
       the first rows of the embedding).
  time DIR --size PX --steps N --seed S --threads T --prompt TEXT
       prints torch_version, torch_load_s, torch_total_s (request to image) and torch_stages_s
       (prompt, one step, decode) and writes DIR/torch_image.npy ([1, 3, PX, PX] in [-1, 1]).
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autoencoder_dc  # noqa: E402
import bench_pipeline_torch  # noqa: E402
import bench_pixart_torch  # noqa: E402
import diffusers_folder  # noqa: E402
import gemma2  # noqa: E402
import make_sampler_fixture  # noqa: E402
import make_sana_pipeline_fixture as fixture  # noqa: E402
import safetensors_io  # noqa: E402
import sana  # noqa: E402
import sana_pipeline  # noqa: E402
import samplers  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GEMMA_FIXTURE = os.path.join(ROOT, "tests", "fixtures", "gemma2")

GEMMA_2_2B = dict(vocab_size=256000, hidden_size=2304, intermediate_size=9216, num_hidden_layers=26,
                  num_attention_heads=8, num_key_value_heads=4, head_dim=256, query_pre_attn_scalar=256,
                  sliding_window=4096, attn_logit_softcapping=50.0, final_logit_softcapping=30.0)
SPRINT_0_6B = dict(num_attention_heads=36, attention_head_dim=32, num_layers=28, num_cross_attention_heads=16,
                   cross_attention_head_dim=72, cross_attention_dim=1152, caption_channels=2304, in_channels=32,
                   out_channels=32, sample_size=32)
DC_AE_F32C32 = {
    "_class_name": "AutoencoderDC", "_diffusers_version": "0.32.0", "in_channels": 3, "latent_channels": 32,
    "attention_head_dim": 32,
    "encoder_block_types": ["ResBlock"] * 3 + ["EfficientViTBlock"] * 3,
    "decoder_block_types": ["ResBlock"] * 3 + ["EfficientViTBlock"] * 3,
    "encoder_block_out_channels": [128, 256, 512, 512, 1024, 1024],
    "decoder_block_out_channels": [128, 256, 512, 512, 1024, 1024],
    "encoder_layers_per_block": [2, 2, 2, 3, 3, 3], "decoder_layers_per_block": [3, 3, 3, 3, 3, 3],
    "encoder_qkv_multiscales": [[], [], [], [5], [5], [5]], "decoder_qkv_multiscales": [[], [], [], [5], [5], [5]],
    "upsample_block_type": "interpolate", "downsample_block_type": "Conv", "decoder_norm_types": "rms_norm",
    "decoder_act_fns": "silu", "scaling_factor": 0.41407,
}


def one_block_shapes(make, config, layers_key, prefix):
    """{name: shape} of a model whose blocks `prefix`{i}. all have block 0's shapes, from a
    one-block copy (PyTorch 1.x has no meta device to build the whole model without memory)."""
    names = bench_pipeline_torch.shapes(lambda: make(dict(config, **{layers_key: 1})))
    out = {}
    for name, shape in names.items():
        if not name.startswith(prefix + "0."):
            out[name] = shape
            continue
        for i in range(config[layers_key]):
            out[name.replace(prefix + "0.", f"{prefix}{i}.", 1)] = shape
    return out


def make(args):
    gemma_cfg = json.load(open(os.path.join(GEMMA_FIXTURE, "text_encoder", "config.json")))
    transformer_cfg = dict(fixture.SPRINT)
    vae_cfg = json.load(open(os.path.join(ROOT, "tests", "fixtures", "autoencoder_dc", "vae",
                                                           "config.json")))
    if args.scale == "full":
        gemma_cfg.update(GEMMA_2_2B)
        transformer_cfg.update(SPRINT_0_6B)
        vae_cfg = DC_AE_F32C32
    root = args.dir
    diffusers_folder.write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "SanaSprintPipeline", "_diffusers_version": "0.33.0",
        "scheduler": ["diffusers", "SCMScheduler"], "text_encoder": ["transformers", "Gemma2Model"],
        "tokenizer": ["transformers", "GemmaTokenizerFast"], "transformer": ["diffusers", "SanaTransformer2DModel"],
        "vae": ["diffusers", "AutoencoderDC"]})
    diffusers_folder.write_json(os.path.join(root, "scheduler", "scheduler_config.json"),
                                make_sampler_fixture.CONFIGS["sprint"])
    os.makedirs(os.path.join(root, "tokenizer"), exist_ok=True)
    with open(os.path.join(GEMMA_FIXTURE, "tokenizer", "tokenizer.model"), "rb") as src, \
            open(os.path.join(root, "tokenizer", "tokenizer.model"), "wb") as dst:
        dst.write(src.read())

    names = one_block_shapes(lambda c: gemma2.Gemma2Model(dict(c, vocab_size=8)), gemma_cfg, "num_hidden_layers",
                             "layers.")
    names["embed_tokens.weight"] = (gemma_cfg["vocab_size"], gemma_cfg["hidden_size"])
    bench_pipeline_torch.write_random(os.path.join(root, "text_encoder"), gemma_cfg, names, 1, "cpu", "transformers")
    names = one_block_shapes(sana.SanaTransformer2DModel, transformer_cfg, "num_layers", "transformer_blocks.")
    bench_pipeline_torch.write_random(os.path.join(root, "transformer"), transformer_cfg, names, 2, "cpu")
    names = bench_pipeline_torch.shapes(lambda: autoencoder_dc.AutoencoderDC(vae_cfg))
    bench_pipeline_torch.write_random(os.path.join(root, "vae"), vae_cfg, names, 3, "cpu")
    bench_pixart_torch.mark_complete(root)


def time_pipeline(args):
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    pipe = sana_pipeline.SanaPipeline(args.dir, torch.float32)
    load_s = time.perf_counter() - start
    c = pipe.transformer_config
    noise = samplers.randn((1, c["in_channels"], args.size // pipe.vae.f, args.size // pipe.vae.f), args.seed)
    marks = []
    image = pipe(args.prompt, "", args.steps, 4.5, noise, args.seed, clock=lambda stage: marks.append(time.perf_counter()))
    t = [start + load_s] + marks
    safetensors_io.save_npy(os.path.join(args.dir, "torch_image.npy"), image.float())
    print(f"torch_version {torch.__version__}")
    print(f"torch_load_s {load_s:.3f}")
    print(f"torch_total_s {t[-1] - t[0]:.3f}")
    print(f"torch_stages_s {t[1] - t[0]:.3f} {(t[-2] - t[1]) / args.steps:.3f} {t[-1] - t[-2]:.3f}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("dir")
    m.add_argument("--scale", choices=["full", "tiny"], default="full")
    t = sub.add_parser("time")
    t.add_argument("dir")
    for name, default in [("size", 1024), ("steps", 2), ("seed", 0), ("threads", 2)]:
        t.add_argument("--" + name, type=int, default=default)
    t.add_argument("--prompt", default="a small red cube on a wooden table")
    args = ap.parse_args()
    {"make": make, "time": time_pipeline}[args.cmd](args)


if __name__ == "__main__":
    main()

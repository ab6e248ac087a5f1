"""The PyTorch side of bench/dit_forward_cpu: makes the random benchmark model and times its
forward in PyTorch eager on the same weights, inputs and thread count.

  make DIR --layers N --heads H --head-dim D --caption C --sample-size S   writes DIR/transformer
  convert DIR --dtype bf16|f16          writes DIR/transformer-<dtype>: the f32 weights rounded
  time DIR --threads T --runs R [--component transformer-bf16]
       reads DIR/inputs.safetensors and the component's weights (widened to f32: PyTorch runs
       in f32 on the same rounded values as the engine), prints "torch_median_s <seconds>" and
       writes DIR/torch_output.npy
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pixart  # noqa: E402
import safetensors_io  # noqa: E402


def make(args):
    torch.manual_seed(0)
    cfg = {
        "_class_name": "PixArtTransformer2DModel", "activation_fn": "gelu-approximate",
        "attention_bias": True, "in_channels": 4, "out_channels": 8, "norm_eps": 1e-6,
        "norm_type": "ada_norm_single", "norm_elementwise_affine": False, "patch_size": 2,
        "num_layers": args.layers, "num_attention_heads": args.heads,
        "attention_head_dim": args.head_dim, "cross_attention_dim": args.heads * args.head_dim,
        "caption_channels": args.caption, "sample_size": args.sample_size,
        "interpolation_scale": None, "use_additional_conditions": True,
    }
    model = pixart.PixArtTransformer2DModel(cfg)
    folder = os.path.join(args.dir, "transformer")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    safetensors_io.save(os.path.join(folder, "diffusion_pytorch_model.safetensors"), model.state_dict())


def convert(args):
    src = os.path.join(args.dir, "transformer")
    dst = os.path.join(args.dir, "transformer-" + args.dtype)
    os.makedirs(dst, exist_ok=True)
    shutil.copy(os.path.join(src, "config.json"), dst)
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16}[args.dtype]
    state = safetensors_io.load(os.path.join(src, "diffusion_pytorch_model.safetensors"))
    for k in state:
        state[k] = state[k].to(dtype)
    safetensors_io.save(os.path.join(dst, "diffusion_pytorch_model.safetensors"), state)


def time_forward(args):
    torch.set_num_threads(args.threads)
    folder = os.path.join(args.dir, args.component)
    with open(os.path.join(folder, "config.json")) as f:
        model = pixart.PixArtTransformer2DModel(json.load(f))
    state = safetensors_io.load(os.path.join(folder, "diffusion_pytorch_model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.eval()
    x = safetensors_io.load(os.path.join(args.dir, "inputs.safetensors"))
    call = lambda: model(x["latent"], x["timestep"], x["prompt_embeds"], x["prompt_mask"],  # noqa: E731
                         x["resolution"], x["aspect_ratio"])
    times = []
    with torch.no_grad():
        out = call()  # warm-up
        for _ in range(args.runs):
            start = time.perf_counter()
            out = call()
            times.append(time.perf_counter() - start)
    safetensors_io.save_npy(os.path.join(args.dir, "torch_output.npy"), out)
    print(f"torch_version {torch.__version__}")
    print(f"torch_median_s {statistics.median(times):.6f}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("dir")
    m.add_argument("--layers", type=int, default=12)
    m.add_argument("--heads", type=int, default=8)
    m.add_argument("--head-dim", type=int, default=72)
    m.add_argument("--caption", type=int, default=1024)
    m.add_argument("--sample-size", type=int, default=32)
    c = sub.add_parser("convert")
    c.add_argument("dir")
    c.add_argument("--dtype", choices=["bf16", "f16"], required=True)
    t = sub.add_parser("time")
    t.add_argument("dir")
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--runs", type=int, default=5)
    t.add_argument("--component", default="transformer")
    args = ap.parse_args()
    {"make": make, "convert": convert, "time": time_forward}[args.cmd](args)


if __name__ == "__main__":
    main()

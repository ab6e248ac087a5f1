"""The PyTorch side of bench/dit_forward_cpu and bench/cuda: makes the random benchmark model and
times its forward in PyTorch eager on the same weights, inputs and thread count (or GPU).

  make DIR --layers N --heads H --head-dim D --caption C --sample-size S   writes DIR/transformer
  convert DIR --dtype bf16|f16          writes DIR/transformer-<dtype>: the f32 weights rounded
  time DIR --threads T --runs R [--component transformer-bf16]
       reads DIR/inputs.safetensors and the component's weights (widened to f32: PyTorch runs
       in f32 on the same rounded values as the engine), prints "torch_median_s <seconds>" and
       writes DIR/torch_output.npy
       --device cuda --bf16 --sdpa: on the GPU, weights and inputs in bf16, attention through
       scaled_dot_product_attention (PyTorch >= 2.0); also prints "torch_peak_bytes <n>"
  attention --batch B --heads H --lq N --lk M --dim D --runs R [--f32]
       times scaled_dot_product_attention on random CUDA tensors (bf16, or f32 with --f32) and
       prints "torch_median_s <seconds>"
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


def mark_complete(folder):
    """Written last: a benchmark that keeps its model (--keep) remakes a folder without it, one a
    timeout cut short."""
    with open(os.path.join(folder, "complete"), "w") as f:
        f.write("written whole by " + " ".join(sys.argv) + "\n")


def transformer_config(layers, heads, head_dim, caption, sample_size):
    """PixArt-α's transformer/config.json (28 layers, 16 x 72, caption 4096 at full size)."""
    return {
        "_class_name": "PixArtTransformer2DModel", "activation_fn": "gelu-approximate",
        "attention_bias": True, "in_channels": 4, "out_channels": 8, "norm_eps": 1e-6,
        "norm_type": "ada_norm_single", "norm_elementwise_affine": False, "patch_size": 2,
        "num_layers": layers, "num_attention_heads": heads,
        "attention_head_dim": head_dim, "cross_attention_dim": heads * head_dim,
        "caption_channels": caption, "sample_size": sample_size,
        "interpolation_scale": None, "use_additional_conditions": True,
    }


def make(args):
    torch.manual_seed(0)
    cfg = transformer_config(args.layers, args.heads, args.head_dim, args.caption, args.sample_size)
    model = pixart.PixArtTransformer2DModel(cfg)
    folder = os.path.join(args.dir, "transformer")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    safetensors_io.save(os.path.join(folder, "diffusion_pytorch_model.safetensors"), model.state_dict())
    mark_complete(folder)


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
    mark_complete(dst)


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def time_forward(args):
    torch.set_num_threads(args.threads)
    pixart.USE_SDPA = args.sdpa
    dtype = torch.bfloat16 if args.bf16 else torch.float32
    folder = os.path.join(args.dir, args.component)
    with open(os.path.join(folder, "config.json")) as f:
        model = pixart.PixArtTransformer2DModel(json.load(f))
    state = safetensors_io.load(os.path.join(folder, "diffusion_pytorch_model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model = model.to(args.device, dtype).eval()
    x = safetensors_io.load(os.path.join(args.dir, "inputs.safetensors"))
    x = {k: v.to(args.device, dtype) for k, v in x.items()}
    call = lambda: model(x["latent"], x["timestep"], x["prompt_embeds"], x["prompt_mask"],  # noqa: E731
                         x["resolution"], x["aspect_ratio"])
    times = []
    with torch.no_grad():
        for _ in range(args.warmup):
            out = call()
        if args.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        for _ in range(args.runs):
            synchronize(args.device)
            start = time.perf_counter()
            out = call()
            synchronize(args.device)
            times.append(time.perf_counter() - start)
    safetensors_io.save_npy(os.path.join(args.dir, "torch_output.npy"), out.float().cpu())
    print(f"torch_version {torch.__version__}")
    print(f"torch_median_s {statistics.median(times):.6f}")
    if args.device == "cuda":
        print(f"torch_peak_bytes {torch.cuda.max_memory_allocated()}")


def time_attention(args):
    dtype = torch.float32 if args.f32 else torch.bfloat16
    g = torch.Generator(device="cuda").manual_seed(0)
    shape_q = (args.batch, args.heads, args.lq, args.dim)
    shape_k = (args.batch, args.heads, args.lk, args.dim)
    q = torch.randn(shape_q, device="cuda", dtype=dtype, generator=g)
    k = torch.randn(shape_k, device="cuda", dtype=dtype, generator=g)
    v = torch.randn(shape_k, device="cuda", dtype=dtype, generator=g)
    f = torch.nn.functional.scaled_dot_product_attention
    for _ in range(3):
        f(q, k, v)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(args.runs):
        start.record()
        f(q, k, v)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1000.0)
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
    t.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    t.add_argument("--bf16", action="store_true")
    t.add_argument("--sdpa", action="store_true")
    t.add_argument("--warmup", type=int, default=1)
    a = sub.add_parser("attention")
    for name, default in [("batch", 2), ("heads", 16), ("lq", 4096), ("lk", 4096), ("dim", 72), ("runs", 20)]:
        a.add_argument("--" + name, type=int, default=default)
    a.add_argument("--f32", action="store_true")
    args = ap.parse_args()
    {"make": make, "convert": convert, "time": time_forward, "attention": time_attention}[args.cmd](args)


if __name__ == "__main__":
    main()

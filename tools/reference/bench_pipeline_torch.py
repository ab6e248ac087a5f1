"""The PyTorch side of bench/cuda/pipeline.cpp: writes a PixArt-α-LCM-sized diffusers folder with
random weights and times the whole pipeline in PyTorch on the same weights, tokens and noise.

  make DIR [--scale full|tiny] [--family alpha|sigma] [--layers N] [--size PX] [--device cuda]
       DIR/{model_index.json, tokenizer, text_encoder, transformer, vae, scheduler}, every matrix in
       bf16, written a tensor at a time (PyTorch 1.x builds no meta modules: T5's shapes come from a
       one-block copy), so making the full size needs about one tensor of memory. --family sigma:
       PixArtSigmaPipeline (300 tokens, no micro-conditions, the DPM-Solver++ scheduler). full: T5-XXL (24 layers, 4096 wide, 4.7 B parameters, 9.5 GB), PixArt-α's transformer
       (28 blocks, 16 heads x 72, caption 4096) and the SD VAE (128-256-512-512 channels, two
       resnets a block); tiny: the test pipelines' sizes, to check the benchmark on a CPU. The
       tokenizer is the T5 test fixture's (the embedding keeps T5's 32128 rows); the scheduler is
       PixArt-LCM's LCMScheduler. Weights are drawn on --device, so T5-XXL takes seconds.
  time DIR --inputs FILE --size PX --steps N --seed S --runs R [--device cuda --bf16 --sdpa]
       FILE (safetensors, written by the C++ side): tokens and token_mask [120] (the C++
       tokenizer's: the GPU machine has no sentencepiece module), noise [1, 4, PX/8, PX/8].
       Runs tools/reference/pipeline.py's PixArtPipeline unguided with the LCM sampler, prints
       torch_median_s (request to image, synchronised), torch_stages_s (prompt, one step,
       decode: medians), torch_peak_bytes (torch.cuda.max_memory_allocated) and writes
       DIR/torch_image.npy ([1, 3, PX, PX] in [-1, 1]).
  check-devices DIR
       runs DIR's pipeline with every model on PyTorch's "meta" device, refusing any call that
       mixes it with CPU tensors as CUDA does: a tensor made on the CPU inside a forward fails
       here, not in a GPU session (prints "devices ok").
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_pixart_torch  # noqa: E402
import diffusers_folder  # noqa: E402
import make_tiny_pipeline  # noqa: E402
import pipeline  # noqa: E402
import pixart  # noqa: E402
import safetensors_io  # noqa: E402
import t5  # noqa: E402
import vae  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPIECE = os.path.join(ROOT, "tests", "fixtures", "t5", "tokenizer", "spiece.model")

LCM_SCHEDULER = {  # PixArt-LCM-XL-2-1024-MS's scheduler/scheduler_config.json
    "_class_name": "LCMScheduler", "_diffusers_version": "0.30.0", "beta_end": 0.02,
    "beta_schedule": "linear", "beta_start": 0.0001, "clip_sample": False, "num_train_timesteps": 1000,
    "original_inference_steps": 50, "prediction_type": "epsilon", "set_alpha_to_one": True,
    "steps_offset": 0, "timestep_scaling": 10.0, "timestep_spacing": "leading",
}
SIGMA_SCHEDULER = {  # PixArt-Sigma-XL-2-1024-MS's scheduler/scheduler_config.json
    "_class_name": "DPMSolverMultistepScheduler", "_diffusers_version": "0.30.0", "algorithm_type": "dpmsolver++",
    "beta_end": 0.02, "beta_schedule": "linear", "beta_start": 0.0001, "lower_order_final": True,
    "num_train_timesteps": 1000, "prediction_type": "epsilon", "solver_order": 2, "solver_type": "midpoint",
    "steps_offset": 0, "thresholding": False, "timestep_spacing": "linspace", "trained_betas": None,
    "use_karras_sigmas": False, "variance_type": "learned_range",
}
T5_XXL = dict(d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64, relative_attention_num_buckets=32,
              relative_attention_max_distance=128, feed_forward_proj="gated-gelu")
SD_VAE = dict(make_tiny_pipeline.VAE, block_out_channels=[128, 256, 512, 512], layers_per_block=2,
              norm_num_groups=32, sample_size=512)
SCALES = {  # T5 config, transformer (layers, heads), VAE config
    "full": (T5_XXL, (28, 16), SD_VAE),
    "tiny": (make_tiny_pipeline.T5_CONFIG, (2, 3), make_tiny_pipeline.VAE),  # 3 x 16: micro-conditions need thirds
}


def shapes(make, state=lambda m: m.state_dict()):
    """{name: shape} of a module, built without memory where PyTorch can (>= 2.0)."""
    try:
        with torch.device("meta"):
            module = make()
    except (AttributeError, TypeError):  # PyTorch 1.x: no device context; only tiny models come here
        module = make()
    return {k: tuple(v.shape) for k, v in state(module).items()}


def t5_shapes(config):
    """T5's {name: shape}: every block is block 0's shape (only block 0 holds the position bias),
    so a one-block model gives them all without building 4.7 B parameters."""
    one = t5.T5Config(**dict(config.to_dict(), num_layers=1))
    names = shapes(lambda: t5.T5EncoderModel(one), lambda m: m.checkpoint_state_dict())
    out = {}
    for name, shape in names.items():
        if not name.startswith("encoder.block.0.") or "relative_attention_bias" in name:
            out[name] = shape
            continue
        for i in range(config.num_layers):
            out[name.replace("encoder.block.0.", f"encoder.block.{i}.", 1)] = shape
    return out


def write_random(folder, config, names, seed, device, library="diffusers"):
    gen = torch.Generator(device=device).manual_seed(seed)
    diffusers_folder.write_component_streaming(
        folder, config, names, torch.bfloat16,
        lambda name, shape: make_tiny_pipeline.random_weight(name, shape, gen, device), library)


def make(args):
    t5_sizes, (layers, heads), vae_config = SCALES[args.scale]
    layers = args.layers or layers
    sigma = args.family == "sigma"
    diffusers_folder.write_pipeline(args.dir, "PixArtSigmaPipeline" if sigma else "PixArtAlphaPipeline",
                                    SIGMA_SCHEDULER if sigma else LCM_SCHEDULER, SPIECE)

    t5_config = t5.T5Config(vocab_size=32128, **t5_sizes)
    write_random(os.path.join(args.dir, "text_encoder"), t5_config.to_dict(), t5_shapes(t5_config), 1,
                 args.device, "transformers")
    tr_config = bench_pixart_torch.transformer_config(layers, heads, 72 if args.scale == "full" else 16,
                                                      t5_config.d_model, args.size // 8)
    if sigma:
        tr_config["use_additional_conditions"] = False
    names = shapes(lambda: pixart.PixArtTransformer2DModel(tr_config))
    write_random(os.path.join(args.dir, "transformer"), tr_config, names, 2, args.device)
    names = shapes(lambda: vae.AutoencoderKL(vae_config))
    write_random(os.path.join(args.dir, "vae"), vae_config, names, 3, args.device)
    bench_pixart_torch.mark_complete(args.dir)


def time_pipeline(args):
    pixart.USE_SDPA = vae.USE_SDPA = args.sdpa
    dtype = torch.bfloat16 if args.bf16 else torch.float32
    cuda = args.device == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    start = time.perf_counter()
    pipe = pipeline.PixArtPipeline(args.dir, dtype, args.device)
    sync()
    load_s = time.perf_counter() - start
    x = safetensors_io.load(args.inputs)
    tokens = [(x["tokens"].long().tolist(), x["token_mask"].long().tolist())]

    marks = []

    def clock(stage):
        sync()
        marks.append((stage, time.perf_counter()))

    def generate():
        marks.clear()
        clock("start")
        with torch.no_grad():
            return pipe("", "", args.size, args.size, args.steps, "lcm", 0.0, x["noise"], args.seed,
                        tokens=tokens, clock=clock)

    generate()  # warm-up: cuBLAS and cuDNN plans, the allocator's pool
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    totals, prompt, step, decode = [], [], [], []
    for _ in range(args.runs):
        image = generate()
        t = [m[1] for m in marks]
        totals.append(t[-1] - t[0])
        prompt.append(t[1] - t[0])
        step.append((t[-2] - t[1]) / args.steps)
        decode.append(t[-1] - t[-2])
    safetensors_io.save_npy(os.path.join(args.dir, "torch_image.npy"), image.float())
    med = statistics.median
    print(f"torch_version {torch.__version__}")
    print(f"torch_load_s {load_s:.3f}")
    print(f"torch_median_s {med(totals):.6f}")
    print(f"torch_stages_s {med(prompt):.6f} {med(step):.6f} {med(decode):.6f}")
    if cuda:
        print(f"torch_peak_bytes {torch.cuda.max_memory_allocated()}")


class _OneDevice(torch.overrides.TorchFunctionMode):
    """Refuses a call that mixes meta tensors with CPU tensors of one or more dimensions, as CUDA
    refuses them; the meta device alone lets some through (an embedding's CPU indices)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        found = []

        def walk(v):
            if isinstance(v, torch.Tensor):
                found.append(v)
            elif isinstance(v, (list, tuple)):
                for x in v:
                    walk(x)
        walk(list(args) + list(kwargs.values()))
        if any(t.is_meta for t in found) and any(not t.is_meta and t.dim() > 0 for t in found):
            raise RuntimeError(f"{getattr(func, '__name__', func)} mixes a CPU tensor with the model's device")
        return func(*args, **kwargs)


def check_devices(args):
    pipe = pipeline.PixArtPipeline(args.dir, torch.float32, "cpu")
    for model in (pipe.text_encoder, pipe.transformer, pipe.vae):
        model.to("meta")
    pipe.device = "meta"
    c = pipe.transformer.c
    tokens = [([1] * 120, [1] * 8 + [0] * 112)]
    noise = torch.zeros(1, c["in_channels"], c["sample_size"], c["sample_size"])
    px = 8 * c["sample_size"]
    with torch.no_grad(), _OneDevice():
        image = pipe("", "", px, px, 2, "lcm", 0.0, noise, 0, tokens=tokens)
    assert image.device.type == "meta", image.device
    print("devices ok")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("dir")
    m.add_argument("--scale", choices=sorted(SCALES), default="full")
    m.add_argument("--family", choices=["alpha", "sigma"], default="alpha")
    m.add_argument("--layers", type=int, default=0)
    m.add_argument("--size", type=int, default=1024)
    m.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    t = sub.add_parser("time")
    t.add_argument("dir")
    t.add_argument("--inputs", required=True)
    for name, default in [("size", 1024), ("steps", 4), ("seed", 0), ("runs", 5)]:
        t.add_argument("--" + name, type=int, default=default)
    t.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    t.add_argument("--bf16", action="store_true")
    t.add_argument("--sdpa", action="store_true")
    sub.add_parser("check-devices").add_argument("dir")
    args = ap.parse_args()
    {"make": make, "time": time_pipeline, "check-devices": check_devices}[args.cmd](args)


if __name__ == "__main__":
    main()

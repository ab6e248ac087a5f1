"""Stage 4: the default model's ControlNet-Transformer adapters (PixArt-δ), one per control type
(edges: the world's Canny maps; pose: its OpenPose maps, both drawn by the studio's one renderer
through `dit-cli world`), trained on the FROZEN exported model (T5, DiT, VAE) with the DiT's own
objective. The adapter starts as PixArt-δ prescribes: its blocks copy base blocks 0..N-1 and its
before_proj/after_proj are zero, so step 0 is exactly the base model. EMA weights are exported in
the diffusers layout to <model>/controlnet_<type>/ (config.json + diffusion_pytorch_model.safetensors).

Run: /usr/bin/python3 tools/train/train_control.py edges|pose WORLD_DIR [--model DIR] [--steps N]
         [--limit N] [--out DIR]
  --steps N   stop at step N (default config.CONTROL["steps"]); a checkpoint resumes
  --limit N   use only the first N world scenes (default config.CONTROL["scenes"])
  --out DIR   export folder (default <model>/controlnet_<type>)
Checkpoints: $DIT_TRAIN_DIR/control_<type>.pt (see config.train_dir()).
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np
import sentencepiece as spm
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
sys.path.insert(0, HERE)
import checkpoint  # noqa: E402
import config  # noqa: E402
import controlnet  # noqa: E402
import diffusers_folder  # noqa: E402
import export  # noqa: E402
import pipeline  # noqa: E402
import train_dit  # noqa: E402
import world_data  # noqa: E402


def control_maps(world_dir, kind, data, limit):
    """uint8 [N, H, W, 3] control maps: edges from world_data (grey -> RGB, as the engine reads a
    PNG), pose from the NNNNNN_pose.png files `dit-cli world` wrote."""
    if kind == "edges":
        return np.repeat(data["edges"][:limit, :, :, None], 3, axis=3)
    out = []
    for i in range(limit):
        img = cv2.imread(os.path.join(world_dir, f"{i:06d}_pose.png"), cv2.IMREAD_COLOR)
        if img is None:
            raise SystemExit(f"{world_dir}/{i:06d}_pose.png: unreadable (re-run dit-cli world)")
        out.append(img[:, :, ::-1])
    return np.stack(out)


@torch.no_grad()
def encode(vae_model, images_u8):
    """The engine's condition input: VAE posterior mean x scaling factor, float32 [N, 4, h, w].
    In bf16 (AMX) and channels_last: 3x faster, and 0.4% of noise on an input the adapter reads
    through a linear layer is nothing it can notice."""
    out = []
    vae_model = vae_model.to(memory_format=torch.channels_last)
    for i in range(0, len(images_u8), 64):
        x = torch.from_numpy(world_data.to_model_range(images_u8[i:i + 64]))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out.append(vae_model.encode(x.contiguous(memory_format=torch.channels_last)).float().contiguous())
    return torch.cat(out)


def scene_latents(world_dir, data, n, vae_model):
    """The scenes' scaled latents: the DiT stage's cache (same VAE, same world) when it is there."""
    z, scaling = train_dit.latents(world_dir, data["images"], encode_missing=False)
    if z is not None:
        return z[:n] * scaling
    return encode(vae_model, data["images"][:n])


def _exported_step(out, fp):
    """The step of the adapter exported in `out` by this recipe and base (0 when there is none)."""
    try:
        with open(os.path.join(out, "training.json")) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return 0
    return info.get("step", 0) if info.get("fingerprint") == fp else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=config.CONTROL["types"])
    ap.add_argument("world_dir")
    ap.add_argument("--model", default=export.DEFAULT)
    ap.add_argument("--steps", type=int, default=config.CONTROL["steps"])
    ap.add_argument("--limit", type=int, default=config.CONTROL["scenes"])
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    cfg = config.CONTROL
    out = a.out or os.path.join(a.model, f"controlnet_{a.kind}")
    torch.manual_seed(0)
    # DIT_TRAIN_THREADS=1 lets the two adapters train side by side, one core each.
    torch.set_num_threads(int(os.environ.get("DIT_TRAIN_THREADS", os.cpu_count() or 2)))

    with open(os.path.join(a.model, "training.json")) as f:
        base_info = json.load(f)
    base_fp, base_step = base_info.get("fingerprint", ""), base_info.get("dit_step")
    fp = config.fingerprint([cfg, a.kind, base_fp])
    if _exported_step(out, fp) >= a.steps:  # e.g. a fresh clone's committed adapter
        print(f"{out}: already trained by this recipe and base to step {a.steps}")
        return

    # The frozen base, as exported (float64 in the reference pipeline; trained here in float32).
    pipe = pipeline.PixArtPipeline(a.model)
    base, text_encoder = pipe.transformer.float().eval(), pipe.text_encoder.float().eval()
    pipe.vae.float()
    for p in list(base.parameters()) + list(text_encoder.parameters()) + list(pipe.vae.parameters()):
        p.requires_grad_(False)
    with open(os.path.join(a.model, "transformer", "config.json")) as f:
        base_cfg = json.load(f)

    data = world_data.load(a.world_dir)
    n = min(a.limit or len(data["captions"]), len(data["captions"]))
    cache = os.path.join(config.train_dir(), f"control_latents_{a.kind}.pt")
    # Both depend on the VAE and the world only, not on the DiT.
    key = config.fingerprint([base_info.get("vae_fingerprint", ""), os.path.abspath(a.world_dir), n, a.kind])
    c = torch.load(cache) if os.path.exists(cache) else None
    if c is None or c["key"] != key:
        c = {"key": key, "x0": scene_latents(a.world_dir, data, n, pipe.vae),
             "cond": encode(pipe.vae, control_maps(a.world_dir, a.kind, data, n))}
        torch.save(c, cache)
    x0_all, cond_all = c["x0"], c["cond"]
    sp = spm.SentencePieceProcessor(model_file=os.path.join(a.model, "tokenizer", "spiece.model"))
    tokens = train_dit.caption_tokens(sp, data, n)

    adapter = controlnet.PixArtControlNetAdapterModel.from_transformer(base, base_cfg, cfg["num_layers"])
    opt = torch.optim.AdamW(adapter.parameters(), lr=cfg["lr"], weight_decay=0.0)
    ema = checkpoint.Ema(adapter, cfg["ema"])
    path = os.path.join(config.train_dir(), f"control_{a.kind}.pt")
    step = checkpoint.load(path, fp, adapter=adapter, opt=opt, ema=ema)

    betas = torch.linspace(config.SCHEDULER["beta_start"], config.SCHEDULER["beta_end"], 1000, dtype=torch.float64)
    alphas_cumprod = torch.cumprod(1 - betas, 0).float()
    rng = np.random.default_rng(step)
    gen = torch.Generator().manual_seed(step)
    start, losses = time.time(), []
    batch = min(cfg["batch"], n)
    while step < a.steps:
        idx = torch.from_numpy(rng.integers(0, n, batch))
        x0, cond = x0_all[idx], cond_all[idx]
        b_ids, b_mask = train_dit.caption_batch(tokens, idx, rng, cfg["caption_dropout"], cfg["unplaced_fraction"])
        t = torch.randint(0, 1000, (batch,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        al = alphas_cumprod[t].view(-1, 1, 1, 1)
        xt = al.sqrt() * x0 + (1 - al).sqrt() * eps
        with train_dit.autocast(cfg):
            with torch.no_grad():
                emb = text_encoder(b_ids, b_mask)
            pred = controlnet.controlled_forward(base, xt, t.float(), emb, b_mask, [dict(adapter=adapter, cond=cond)])
        per_sample = (pred[:, : x0.shape[1]].float() - train_dit.target(x0, eps, al)).pow(2).mean(dim=(1, 2, 3))
        loss = (per_sample * train_dit.loss_weight(al.flatten(), cfg)).mean()
        lr = cfg["lr"] * min(1.0, (step + 1) / cfg["warmup"])
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(adapter.parameters(), 1.0)
        opt.step()
        step += 1
        ema.update(adapter, step, cfg["warmup"])
        losses.append(loss.item())
        if step % cfg["checkpoint_every"] == 0 or step == a.steps:
            checkpoint.save(path, fp, step, adapter=adapter, opt=opt, ema=ema)
            print(f"control {a.kind} step {step}/{a.steps} loss {np.mean(losses):.4f} lr {lr:.2e} "
                  f"({(time.time() - start) / 60:.1f} min this run)", flush=True)
            losses = []

    # Export the EMA weights in the diffusers layout, atomically (temp folder + rename).
    tmp = out + ".tmp"
    diffusers_folder.write_component(tmp, dict(adapter.config(), _diffusers_version="0.30.0"), ema.shadow,
                                     export.stored_dtype)
    diffusers_folder.write_json(os.path.join(tmp, "training.json"), {
        "step": step, "fingerprint": fp, "base_fingerprint": base_fp, "base_dit_step": base_step,
        "recipe": "tools/train/config.py CONTROL"})
    if os.path.exists(out):
        import shutil
        shutil.rmtree(out)
    os.rename(tmp, out)
    print(f"wrote {out} (step {step})")


if __name__ == "__main__":
    main()

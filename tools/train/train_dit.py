"""Stage 3: the text encoder (a small T5 v1.1) and the PixArt DiT, trained together on the VAE's
latents of the world scenes with PixArt's DDPM objective (linear betas, uniform timesteps, 10%
empty captions for classifier-free guidance), predicting what config.SCHEDULER says (v here) with
the loss weights of `loss_weight`. Two phases of one run: config.DIT's steps on the scenes'
captions, then config.DIT_UNPLACED's with a share of captions without positions. EMA weights are
exported."""
import math
import os
import sys
import time

import numpy as np
import sentencepiece as spm
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import checkpoint  # noqa: E402
import config  # noqa: E402
import pixart  # noqa: E402
import t5  # noqa: E402
import train_vae  # noqa: E402
import vae  # noqa: E402
import world_data  # noqa: E402


def tokenize(sp, captions, length):
    """As the engine's T5Tokenizer: pieces, </s>, <pad>; returns ids and mask [N, length]."""
    ids = np.full((len(captions), length), sp.pad_id(), dtype=np.int64)
    mask = np.zeros((len(captions), length), dtype=np.int64)
    for i, c in enumerate(captions):
        p = sp.encode(c.lower().strip())
        if len(p) >= length:  # a truncated caption would teach the model to ignore its end
            raise SystemExit(f"caption {i} needs {len(p) + 1} tokens, MAX_CAPTION_TOKENS is {length}: {c}")
        p = p + [sp.eos_id()]
        ids[i, : len(p)] = p
        mask[i, : len(p)] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def caption_tokens(sp, data, n=None):
    """Token ids and masks of the scenes' captions ("placed"), of the same without positions
    ("unplaced"), and of the empty caption, for `caption_batch`."""
    n = n or len(data["captions"])
    return {"placed": tokenize(sp, data["captions"][:n], config.MAX_CAPTION_TOKENS),
            "unplaced": tokenize(sp, data["captions_unplaced"][:n], config.MAX_CAPTION_TOKENS),
            "empty": tokenize(sp, [""], config.MAX_CAPTION_TOKENS)}


def caption_batch(tokens, idx, rng, caption_dropout, unplaced_fraction=0.0):
    """The captions of scenes `idx`: placed, unplaced for `unplaced_fraction` of them, and empty
    for `caption_dropout` of them (classifier-free guidance) -> ids, mask [B, L]."""
    ids, mask = tokens["placed"][0][idx].clone(), tokens["placed"][1][idx].clone()
    if unplaced_fraction:
        u = torch.from_numpy(rng.random(len(idx)) < unplaced_fraction)
        ids[u], mask[u] = tokens["unplaced"][0][idx][u], tokens["unplaced"][1][idx][u]
    drop = torch.from_numpy(rng.random(len(idx)) < caption_dropout)
    ids[drop], mask[drop] = tokens["empty"][0][0], tokens["empty"][1][0]
    return ids, mask


def load_vae():
    model = vae.AutoencoderKL(config.VAE["config"])
    step = checkpoint.load(os.path.join(config.train_dir(), "vae.pt"), config.fingerprint(config.VAE), model=model)
    if step < config.VAE["steps"]:
        raise SystemExit("the VAE stage has not finished (tools/train/train_vae.py)")
    return model.eval()


@torch.no_grad()
def latents(world_dir, images, encode_missing=True):
    """Posterior means of every scene and the scaling factor 1/std, cached ((None, None) when
    there is no cache and encode_missing is off)."""
    cache = os.path.join(config.train_dir(), "latents.pt")
    fp = config.fingerprint([config.VAE, world_dir, len(images)])
    if os.path.exists(cache):
        c = torch.load(cache)
        if c["fingerprint"] == fp:
            return c["latents"], c["scaling_factor"]
    if not encode_missing:
        return None, None
    model = load_vae()
    out = []
    for i in range(0, len(images), 64):
        x = torch.from_numpy(world_data.to_model_range(images[i:i + 64]))
        out.append(train_vae.posterior(model, x)[0])
    z = torch.cat(out)
    scaling = float(1.0 / z.std())
    torch.save({"fingerprint": fp, "latents": z, "scaling_factor": scaling}, cache)
    return z, scaling


def warm_start(fp, text_encoder, transformer, ema_t5, ema_dit):
    """Without a checkpoint (a fresh machine), continue from the committed export of the same
    recipe: its EMA weights become the model and the EMA; only the optimizer state is new."""
    import export
    exported = export.read_exported(fp)
    if exported is None:
        return 0
    step, t5_state, dit_state = exported
    for model, ema, state in ((text_encoder, ema_t5, t5_state), (transformer, ema_dit, dit_state)):
        model.load_state_dict(state, strict=False)  # the export drops the tied embedding copy
        ema.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}
    print(f"warm start from the exported model at step {step}")
    return step


def autocast(cfg=config.DIT):
    """The mixed-precision context of a training forward (config `autocast`: "bf16" or None)."""
    enabled = cfg.get("autocast") == "bf16"
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled)


def target(x0, eps, alpha_cumprod):
    """What the model predicts (config.SCHEDULER prediction_type): epsilon, or
    v = sqrt(a) eps - sqrt(1 - a) x0. alpha_cumprod: [N, 1, 1, 1]."""
    kind = config.SCHEDULER["prediction_type"]
    if kind == "epsilon":
        return eps
    if kind == "v_prediction":
        return alpha_cumprod.sqrt() * eps - (1 - alpha_cumprod).sqrt() * x0
    raise SystemExit(f"config.SCHEDULER prediction_type {kind}: train_dit supports epsilon and v_prediction")


def loss_weight(alpha_cumprod, cfg):
    """Per-sample weight of the squared prediction error so that, in x0 terms, the weight is
    min(SNR, gamma) + 1 (an epsilon error counts SNR times an x0 error, a v error SNR + 1 times);
    1 without min_snr_gamma."""
    gamma = cfg.get("min_snr_gamma")
    if not gamma:
        return torch.ones_like(alpha_cumprod)
    snr = alpha_cumprod / (1 - alpha_cumprod)
    per_error = snr if config.SCHEDULER["prediction_type"] == "epsilon" else snr + 1
    return (snr.clamp(max=gamma) + 1) / per_error


def models(vocab_size):
    text_encoder = t5.T5EncoderModel(t5.T5Config(vocab_size=vocab_size, **config.T5))
    transformer = pixart.PixArtTransformer2DModel(config.DIT["config"])
    return text_encoder, transformer


def phase_one_fingerprint():
    return config.fingerprint([config.DIT, config.T5, config.TOKENIZER, config.VAE, config.SCHEDULER])


def recipe_fingerprint():
    """The whole run's (both phases); a checkpoint within phase one carries phase_one_fingerprint."""
    return config.fingerprint([phase_one_fingerprint(), config.DIT_UNPLACED])


def main(world_dir):
    cfg = config.DIT
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 2)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(config.train_dir(), "spiece.model"))

    text_encoder, transformer = models(sp.vocab_size())
    params = list(text_encoder.parameters()) + list(transformer.parameters())
    opt = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=0.0)
    ema_t5, ema_dit = checkpoint.Ema(text_encoder, cfg["ema"]), checkpoint.Ema(transformer, cfg["ema"])
    path = os.path.join(config.train_dir(), "dit.pt")
    phase_one, fp = phase_one_fingerprint(), recipe_fingerprint()
    step = checkpoint.load(path, (fp, phase_one), text_encoder=text_encoder, transformer=transformer, opt=opt,
                           ema_t5=ema_t5, ema_dit=ema_dit)
    for exported in (fp, phase_one):
        if step == 0:
            step = warm_start(exported, text_encoder, transformer, ema_t5, ema_dit)
    total = cfg["steps"] + config.DIT_UNPLACED["steps"]
    if step >= total:  # e.g. a fresh clone whose committed export is this recipe's last step
        print(f"dit: step {step} of {total} reached, nothing to train")
        return step
    data = world_data.load(world_dir)
    z0, scaling = latents(world_dir, data["images"])
    z0 = z0 * scaling
    tokens = caption_tokens(sp, data)

    betas = torch.linspace(config.SCHEDULER["beta_start"], config.SCHEDULER["beta_end"], 1000, dtype=torch.float64)
    alphas_cumprod = torch.cumprod(1 - betas, 0).float()
    rng = np.random.default_rng(step)
    gen = torch.Generator().manual_seed(step)
    start, losses = time.time(), []
    while step < total:
        phase_two = step >= cfg["steps"]
        idx = torch.from_numpy(rng.integers(0, len(z0), cfg["batch"]))
        x0 = z0[idx]
        b_ids, b_mask = caption_batch(tokens, idx, rng, cfg["caption_dropout"],
                                      config.DIT_UNPLACED["unplaced_fraction"] if phase_two else 0.0)
        t = torch.randint(0, 1000, (cfg["batch"],), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        a = alphas_cumprod[t].view(-1, 1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        with autocast():
            pred = transformer(xt, t.float(), text_encoder(b_ids, b_mask), b_mask)
        per_sample = (pred.float() - target(x0, eps, a)).pow(2).mean(dim=(1, 2, 3))
        loss = (per_sample * loss_weight(a.flatten(), cfg)).mean()
        lr = cfg["lr"] * min(1.0, (step + 1) / cfg["warmup"])
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        ema_t5.update(text_encoder, step, cfg["warmup"])
        ema_dit.update(transformer, step, cfg["warmup"])
        losses.append(loss.item())
        if step % cfg["checkpoint_every"] == 0 or step in (cfg["steps"], total):
            checkpoint.save(path, fp if phase_two else phase_one, step, text_encoder=text_encoder,
                            transformer=transformer, opt=opt, ema_t5=ema_t5, ema_dit=ema_dit, scaling_factor=scaling)
            mins = (time.time() - start) / 60
            print(f"dit step {step}/{total} (phase {2 if phase_two else 1}) loss {np.mean(losses):.4f} "
                  f"lr {lr:.2e} ({mins:.1f} min this run)", flush=True)
            losses = []
    return step


if __name__ == "__main__":
    main(sys.argv[1])

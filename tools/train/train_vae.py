"""Stage 2: the small AutoencoderKL (tools/reference/vae.py, the engine's key names), trained on
random crops of world scenes with an L1 + MSE reconstruction loss and a tiny KL term, so the
latent stays close to a unit Gaussian the diffusion model can learn. The objects are a small
part of each scene's pixels, so without help the loss is the background's: pixels on and around
objects weigh `object_weight` times more, and the learning rate decays (cosine) to `lr_end`."""
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import checkpoint  # noqa: E402
import config  # noqa: E402
import vae  # noqa: E402
import world_data  # noqa: E402


def posterior(model, x):
    moments = model.quant_conv(model.encoder(x))
    mean, logvar = moments.chunk(2, dim=1)
    return mean, logvar.clamp(-30, 20)


def object_mask(x, radius=2):
    """[N, 3, H, W] in [-1, 1] -> [N, 1, H, W] 1 on and within `radius` px of anything that is
    not the background (the scene's median colour: objects cover well under half of it)."""
    bg = x.flatten(2).median(dim=2).values[:, :, None, None]
    m = ((x - bg).abs().amax(dim=1, keepdim=True) > 0.1).float()
    return torch.nn.functional.max_pool2d(m, 2 * radius + 1, stride=1, padding=radius)


def learning_rate(cfg, step):
    warm = min(1.0, (step + 1) / cfg.get("warmup", 1))
    cos = 0.5 * (1 + math.cos(math.pi * min(1.0, step / cfg["steps"])))
    return warm * (cfg["lr_end"] + (cfg["lr"] - cfg["lr_end"]) * cos)


def decode_raw(model, z):
    return model.decoder(model.post_quant_conv(z))


def main(world_dir):
    cfg = config.VAE
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 2)  # PyTorch's default is the physical cores: 1 here
    data = world_data.load(world_dir)["images"]
    model = vae.AutoencoderKL(cfg["config"]).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.0)
    path = os.path.join(config.train_dir(), "vae.pt")
    fp = config.fingerprint(cfg)
    step = checkpoint.load(path, fp, model=model, opt=opt)
    if step == 0:  # a fresh machine: the committed export's VAE, so its latents stay the same
        import export
        state = export.read_exported_vae(fp)
        if state is not None:
            model.load_state_dict(state)
            step = cfg["steps"]
            checkpoint.save(path, fp, step, model=model, opt=opt)
            print("VAE taken from the exported default model")
    rng = np.random.default_rng(step)
    c, n = cfg["crop"], len(data)
    start = time.time()
    while step < cfg["steps"]:
        idx = rng.integers(0, n, cfg["batch"])
        y0, x0 = rng.integers(0, config.IMAGE_SIZE - c + 1, 2)
        x = torch.from_numpy(world_data.to_model_range(data[idx, y0:y0 + c, x0:x0 + c]))
        x = x.contiguous(memory_format=torch.channels_last)  # oneDNN's fast bf16 convolutions
        weight = 1 + (cfg["object_weight"] - 1) * object_mask(x)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.get("autocast") == "bf16"):
            mean, logvar = posterior(model, x)
            z = mean.float() + torch.exp(0.5 * logvar.float()) * torch.randn(mean.shape)
            recon = decode_raw(model, z).float()
        mean, logvar = mean.float(), logvar.float()
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
        err = recon - x
        loss = ((err.abs() + err.pow(2)) * weight).mean() / weight.mean() + cfg["kl_weight"] * kl
        for g in opt.param_groups:
            g["lr"] = learning_rate(cfg, step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0 or step == cfg["steps"]:
            checkpoint.save(path, fp, step, model=model, opt=opt)
            print(f"vae step {step}/{cfg['steps']} loss {loss.item():.4f} kl {kl.item():.2f} "
                  f"({(time.time() - start) / 60:.1f} min)", flush=True)
    return model


if __name__ == "__main__":
    main(sys.argv[1])

"""Writes the default model in the diffusers layout (resources/models/default by default) from
the latest checkpoints: the EMA weights of the T5 encoder and DiT, the VAE with its measured
scaling factor, the tokenizer, and the scheduler config. Can run any time during training."""
import os
import shutil
import sys

import sentencepiece as spm
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import checkpoint  # noqa: E402
import config  # noqa: E402
import diffusers_folder  # noqa: E402
import t5  # noqa: E402
import train_dit  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def stored_dtype(name, tensor):
    # Matrices in f16 halve the download; small vectors and tables stay f32 for their precision.
    return torch.float16 if tensor.ndim >= 2 and tensor.numel() >= 4096 else torch.float32


DEFAULT = os.path.join(ROOT, "resources", "models", "default")


def _exported_info(key, fingerprint, root):
    import json
    meta = os.path.join(root, "training.json")
    if not os.path.exists(meta):
        return None
    with open(meta) as f:
        info = json.load(f)
    return info if info.get(key) == fingerprint else None


def _load(root, component, name):
    import safetensors_io
    return {k: v.float() for k, v in safetensors_io.load(os.path.join(root, component, name)).items()}


def read_exported(fingerprint, root=DEFAULT):
    """(step, T5 state, DiT state) of a committed export made by this recipe, else None."""
    info = _exported_info("fingerprint", fingerprint, root)
    if info is None:
        return None
    return (info["dit_step"], _load(root, "text_encoder", "model.safetensors"),
            _load(root, "transformer", "diffusion_pytorch_model.safetensors"))


def read_exported_vae(fingerprint, root=DEFAULT):
    """The exported VAE's state when it was trained by this VAE recipe, else None."""
    if _exported_info("vae_fingerprint", fingerprint, root) is None:
        return None
    return _load(root, "vae", "diffusion_pytorch_model.safetensors")


def main(out=DEFAULT):
    d = config.train_dir()
    spiece = os.path.join(d, "spiece.model")
    vocab = spm.SentencePieceProcessor(model_file=spiece).vocab_size()
    path = os.path.join(d, "dit.pt")
    if not os.path.exists(path):
        exported = read_exported(train_dit.recipe_fingerprint(), out)
        if exported is not None:  # a fresh clone: the committed export is what there is
            print(f"{out}: no checkpoint in {d}; the export (DiT step {exported[0]}) is this recipe's, kept")
            return
        raise SystemExit(f"{path}: no DiT checkpoint to export (run tools/train/train_dit.py first)")
    ck = torch.load(path, map_location="cpu")
    vae_model = train_dit.load_vae()
    text_encoder, _ = train_dit.models(vocab)
    text_encoder.load_state_dict(ck["ema_t5"])
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)  # left by a killed export
    diffusers_folder.write_pipeline(tmp, "PixArtSigmaPipeline", config.SCHEDULER, spiece)
    diffusers_folder.write_component(os.path.join(tmp, "text_encoder"),
                                     t5.T5Config(vocab_size=vocab, **config.T5).to_dict(),
                                     text_encoder.checkpoint_state_dict(), stored_dtype, "transformers")
    diffusers_folder.write_component(os.path.join(tmp, "transformer"), config.DIT["config"], ck["ema_dit"],
                                     stored_dtype)
    vae_cfg = dict(config.VAE["config"], scaling_factor=ck["scaling_factor"])
    diffusers_folder.write_component(os.path.join(tmp, "vae"), vae_cfg, vae_model.state_dict(), stored_dtype)
    diffusers_folder.write_json(os.path.join(tmp, "training.json"), {
        "dit_step": ck["step"], "vae_steps": config.VAE["steps"], "recipe": "tools/train/config.py",
        "fingerprint": ck["fingerprint"], "vae_fingerprint": config.fingerprint(config.VAE),
    })
    # The control adapters are trained on the exported base afterwards (train_control.py): an
    # export of a later base step keeps them, and their training.json says which step they saw.
    for name in sorted(os.listdir(out)) if os.path.isdir(out) else []:
        if name.startswith("controlnet_"):
            shutil.copytree(os.path.join(out, name), os.path.join(tmp, name))
    if os.path.exists(out):
        os.rename(out, out + ".old")
    os.rename(tmp, out)
    if os.path.exists(out + ".old"):
        shutil.rmtree(out + ".old")
    print(f"wrote {out} (DiT step {ck['step']})")


if __name__ == "__main__":
    main(*sys.argv[1:])

"""The PyTorch reference of engine/pipeline/pixart_pipeline.cpp: a diffusers PixArt folder
(tokenizer, T5, transformer, VAE, scheduler) run end to end, in float64 by default so the
reference is the exact answer the C++ float32 pipeline approximates.

Order of operations, as in diffusers' PixArtAlphaPipeline / PixArtSigmaPipeline:
  prompt.lower().strip() -> tokens (120 for α, 300 for Σ, </s> last, <pad> after) -> T5 on [negative, positive]
  -> per step: the latent twice, the sampler's input scaling, the transformer at the step's
     timestep with micro-conditions (height, width) and (height / width), the first C output
     channels (learned sigma dropped), guidance uncond + cfg * (cond - uncond), the sampler step
     with fresh noise from NoiseStream(seed, STEP_NOISE_STREAM) when the sampler needs it
  -> VAE decode of the final latent.

The benchmark peer (tools/reference/bench_pipeline_torch.py) runs the same class in bf16 on a GPU:
PixArtPipeline(root, dtype=torch.bfloat16, device="cuda"), with the prompt's tokens from the C++
side (the GPU machine has no sentencepiece module) and a clock called after each stage.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pixart  # noqa: E402
import safetensors_io  # noqa: E402
import samplers  # noqa: E402
import t5  # noqa: E402
import vae  # noqa: E402

STEP_NOISE_STREAM = 0x5354455053  # "STEPS", engine/pipeline/pixart_pipeline.cpp
SAMPLERS = {
    "dpm++2m": samplers.DPMSolverMultistep, "ddim": samplers.DDIM, "euler": samplers.Euler,
    "euler_a": samplers.EulerAncestral, "lcm": samplers.LCM, "flow_euler": samplers.FlowMatchEuler,
}


def _json(path):
    with open(path) as f:
        return json.load(f)


def _weights_file(folder):
    for name in ("diffusion_pytorch_model.safetensors", "model.safetensors"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError(folder)


def _load(make, folder, dtype, device, strict=True):
    if device == "cpu":
        model = make()
    else:  # built where it runs: initialising T5-XXL's 4.7 B parameters on the CPU takes minutes
        with torch.device(device):
            model = make()
    model.to(dtype)
    state = model.state_dict()
    # One tensor at a time into the model's own parameters: no second copy of a large model.
    names = set(safetensors_io.load_into(_weights_file(folder), state))
    if strict and names != set(state):
        raise KeyError(f"{folder}: missing {sorted(set(state) - names)[:5]}, unexpected {sorted(names - set(state))[:5]}")
    return model.eval()


class PixArtPipeline:
    def __init__(self, root, dtype=torch.float64, device="cpu"):
        index = _json(os.path.join(root, "model_index.json"))
        self.root, self.dtype, self.device = root, dtype, device
        self.max_tokens = 300 if index["_class_name"] == "PixArtSigmaPipeline" else 120
        self.sp = None

        folder = lambda name: os.path.join(root, name)  # noqa: E731
        t5_config = t5.T5Config.from_json(os.path.join(folder("text_encoder"), "config.json"))
        self.text_encoder = _load(lambda: t5.T5EncoderModel(t5_config), folder("text_encoder"), dtype, device, False)
        transformer_config = _json(os.path.join(folder("transformer"), "config.json"))
        self.transformer = _load(lambda: pixart.PixArtTransformer2DModel(transformer_config), folder("transformer"),
                                 dtype, device)
        vae_config = _json(os.path.join(folder("vae"), "config.json"))
        self.vae = _load(lambda: vae.AutoencoderKL(vae_config), folder("vae"), dtype, device)
        self.scheduler_config = _json(os.path.join(folder("scheduler"), "scheduler_config.json"))

    def tokenize(self, text):
        if self.sp is None:
            import sentencepiece as spm
            self.sp = spm.SentencePieceProcessor(model_file=os.path.join(self.root, "tokenizer", "spiece.model"))
        text = text.lower().strip()  # diffusers' _text_preprocessing without bs4/ftfy
        pieces = self.sp.encode(text)[: self.max_tokens - 1] + [self.sp.eos_id()]
        mask = [1] * len(pieces) + [0] * (self.max_tokens - len(pieces))
        return pieces + [self.sp.pad_id()] * (self.max_tokens - len(pieces)), mask

    @torch.no_grad()
    def __call__(self, prompt, negative, width, height, steps, sampler, cfg, noise, seed,
                 init_image=None, strength=1.0, tokens=None, clock=lambda stage: None):
        """noise: [1, C, H/8, W/8]; init_image: [1, 3, H, W] in [-1, 1]. Returns [1, 3, H, W].
        tokens: [(ids, mask)] for [negative, prompt] (or [prompt] unguided) instead of the texts.
        clock(stage) is called after "prompt", each "step" and "decode"."""
        guided = cfg > 1.0
        if tokens is None:
            tokens = [self.tokenize(t) for t in ([negative, prompt] if guided else [prompt])]
        dev, dtype = self.device, self.dtype
        ids = torch.tensor([t[0] for t in tokens], device=dev)
        mask = torch.tensor([t[1] for t in tokens], device=dev)
        embeds = self.text_encoder(ids, mask)
        clock("prompt")
        b = len(tokens)

        s = SAMPLERS[sampler](self.scheduler_config)
        s.set_timesteps(steps, strength if init_image is not None else 1.0)
        noise = noise.to(dev, dtype)
        if init_image is not None:
            x = s.add_noise(self.vae.encode(init_image.to(dev, dtype)), noise)
        else:
            sigma = s.init_noise_sigma() if callable(s.init_noise_sigma) else s.init_noise_sigma
            x = noise * float(sigma)
        step_noise = samplers.NoiseStream(seed, STEP_NOISE_STREAM)
        c = x.shape[1]
        resolution = torch.tensor([[float(height), float(width)]] * b, dtype=dtype, device=dev)
        aspect = torch.tensor([[height / width]] * b, dtype=dtype, device=dev)
        for i in range(s.num_steps):
            inp = x.repeat(b, 1, 1, 1)
            inp = s.scale_model_input(inp, i)
            t = torch.full((b,), float(s.timestep(i)), dtype=dtype, device=dev)
            out = self.transformer(inp, t, embeds, mask, resolution, aspect)[:, :c]
            pred = out[-1:]
            if guided:
                pred = out[:1] + cfg * (out[1:] - out[:1])
            fresh = step_noise.next(tuple(x.shape)).to(dev, dtype) if s.needs_noise else None
            x = s.step(pred, i, x, fresh)
            clock("step")
        image = self.vae.decode(x)
        clock("decode")
        return image

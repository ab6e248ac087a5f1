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
"""
import json
import os
import sys

import numpy as np
import sentencepiece as spm
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


def _weights(folder):
    for name in ("diffusion_pytorch_model.safetensors", "model.safetensors"):
        if os.path.exists(os.path.join(folder, name)):
            return {k: v.double() for k, v in safetensors_io.load(os.path.join(folder, name)).items()}
    raise FileNotFoundError(folder)


class PixArtPipeline:
    def __init__(self, root):
        index = _json(os.path.join(root, "model_index.json"))
        self.max_tokens = 300 if index["_class_name"] == "PixArtSigmaPipeline" else 120
        self.sp = spm.SentencePieceProcessor(model_file=os.path.join(root, "tokenizer", "spiece.model"))

        self.text_encoder = t5.T5EncoderModel(t5.T5Config.from_json(os.path.join(root, "text_encoder", "config.json")))
        self.text_encoder.double().load_state_dict(_weights(os.path.join(root, "text_encoder")), strict=False)
        self.transformer = pixart.PixArtTransformer2DModel(_json(os.path.join(root, "transformer", "config.json")))
        self.transformer.double().load_state_dict(_weights(os.path.join(root, "transformer")))
        self.vae = vae.AutoencoderKL(_json(os.path.join(root, "vae", "config.json")))
        self.vae.double().load_state_dict(_weights(os.path.join(root, "vae")))
        self.scheduler_config = _json(os.path.join(root, "scheduler", "scheduler_config.json"))
        for m in (self.text_encoder, self.transformer, self.vae):
            m.eval()

    def tokenize(self, text):
        text = text.lower().strip()  # diffusers' _text_preprocessing without bs4/ftfy
        pieces = self.sp.encode(text)[: self.max_tokens - 1] + [self.sp.eos_id()]
        mask = [1] * len(pieces) + [0] * (self.max_tokens - len(pieces))
        return pieces + [self.sp.pad_id()] * (self.max_tokens - len(pieces)), mask

    @torch.no_grad()
    def __call__(self, prompt, negative, width, height, steps, sampler, cfg, noise, seed,
                 init_image=None, strength=1.0):
        """noise: [1, C, H/8, W/8]; init_image: [1, 3, H, W] in [-1, 1]. Returns [1, 3, H, W]."""
        guided = cfg > 1.0
        texts = [negative, prompt] if guided else [prompt]
        tokens = [self.tokenize(t) for t in texts]
        ids = torch.tensor([t[0] for t in tokens])
        mask = torch.tensor([t[1] for t in tokens])
        embeds = self.text_encoder(ids, mask)
        b = len(texts)

        s = SAMPLERS[sampler](self.scheduler_config)
        s.set_timesteps(steps, strength if init_image is not None else 1.0)
        noise = noise.double()
        if init_image is not None:
            x = s.add_noise(self.vae.encode(init_image.double()), noise)
        else:
            sigma = s.init_noise_sigma() if callable(s.init_noise_sigma) else s.init_noise_sigma
            x = noise * float(sigma)
        step_noise = samplers.NoiseStream(seed, STEP_NOISE_STREAM)
        c = x.shape[1]
        resolution = torch.tensor([[float(height), float(width)]] * b, dtype=torch.float64)
        aspect = torch.tensor([[height / width]] * b, dtype=torch.float64)
        for i in range(s.num_steps):
            inp = x.repeat(b, 1, 1, 1)
            inp = s.scale_model_input(inp, i)
            t = torch.full((b,), float(s.timestep(i)), dtype=torch.float64)
            out = self.transformer(inp, t, embeds, mask, resolution, aspect)[:, :c]
            pred = out[-1:]
            if guided:
                pred = out[:1] + cfg * (out[1:] - out[:1])
            fresh = step_noise.next(tuple(x.shape)).double() if s.needs_noise else None
            x = s.step(pred, i, x, fresh)
        return self.vae.decode(x)

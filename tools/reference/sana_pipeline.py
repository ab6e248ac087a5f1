"""The PyTorch reference of engine/pipeline/sana_pipeline.cpp: a diffusers Sana folder (Gemma-2
text encoder and its tokenizer, SanaTransformer2DModel, AutoencoderDC, scheduler, and for the
ControlNet pipeline a SanaControlNetModel) run end to end, float64 by default.

The three pipelines as diffusers runs them (SanaPipeline v0.32/v0.33, SanaSprintPipeline v0.33,
SanaControlNetPipeline v0.34), without resolution binning (the engine runs the size it is asked):
  prompt: lower().strip(), the complex human instruction in front, Gemma-2, the kept rows
          (gemma2.sana_tokens); the negative prompt padded to max_sequence_length, kept whole
  Sana:   latents = noise; per step: [negative, positive] branches, timestep t * timestep_scale,
          guidance uncond + cfg (cond - uncond), the first C channels, the scheduler's step
  Sprint: one branch, guidance = cfg * guidance_embeds_scale into the guidance embedding, the
          SCM scalings (samplers.SCM), fresh noise from NoiseStream(seed, STEP_NOISE_STREAM)
  ControlNet: the control image through the DC-AE (times scaling_factor) once; per step the
          branch's residuals times the conditioning scale into the base; no timestep_scale
  decode: the DC-AE decoder of latents / scaling_factor.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autoencoder_dc  # noqa: E402
import gemma2  # noqa: E402
import pipeline as pixart_pipeline  # noqa: E402
import sana  # noqa: E402
import samplers  # noqa: E402

STEP_NOISE_STREAM = pixart_pipeline.STEP_NOISE_STREAM


class SanaPipeline:
    def __init__(self, root, dtype=torch.float64, device="cpu"):
        self.dtype, self.device = dtype, device
        folder = lambda name: os.path.join(root, name)  # noqa: E731
        self.pipeline_class = pixart_pipeline._json(folder("model_index.json"))["_class_name"]
        te_cfg = pixart_pipeline._json(os.path.join(folder("text_encoder"), "config.json"))
        self.text_encoder = pixart_pipeline._load(lambda: gemma2.Gemma2Model(te_cfg), folder("text_encoder"), dtype,
                                                  device)
        self.transformer_config = pixart_pipeline._json(os.path.join(folder("transformer"), "config.json"))
        self.transformer = pixart_pipeline._load(lambda: sana.SanaTransformer2DModel(self.transformer_config),
                                                 folder("transformer"), dtype, device)
        self.controlnet = None
        if os.path.isdir(folder("controlnet")):
            cn_cfg = pixart_pipeline._json(os.path.join(folder("controlnet"), "config.json"))
            self.controlnet = pixart_pipeline._load(lambda: sana.SanaControlNetModel(cn_cfg), folder("controlnet"),
                                                    dtype, device)
        vae_cfg = pixart_pipeline._json(os.path.join(folder("vae"), "config.json"))
        self.vae = pixart_pipeline._load(lambda: autoencoder_dc.AutoencoderDC(vae_cfg), folder("vae"), dtype, device)
        self.scheduler_config = pixart_pipeline._json(os.path.join(folder("scheduler"), "scheduler_config.json"))
        import sentencepiece as spm
        self.sp = spm.SentencePieceProcessor(model_file=os.path.join(folder("tokenizer"), "tokenizer.model"))

    def _encode(self, ids, mask):
        return self.text_encoder(torch.tensor([ids], device=self.device), torch.tensor([mask], device=self.device))

    def encode_prompt(self, prompt, max_sequence_length):
        ids, mask, select = gemma2.sana_tokens(self.sp, prompt, max_sequence_length)
        return self._encode(ids, mask)[:, select], torch.tensor([[mask[i] for i in select]])

    def encode_negative(self, negative, max_sequence_length):
        ids, mask = gemma2.tokenize(self.sp, negative.lower().strip(), max_sequence_length)
        return self._encode(ids, mask), torch.tensor([mask])

    @torch.no_grad()
    def __call__(self, prompt, negative, steps, cfg, noise, seed, sampler="dpm++2m", max_sequence_length=300,
                 control_image=None, control_scale=1.0, clock=lambda stage: None):
        """noise: [1, C, h, w]; control_image: [1, 3, H, W] in [-1, 1]. Returns [1, 3, H, W].
        clock(stage) is called after "prompt", each "step" and "decode"."""
        dev, dtype = self.device, self.dtype
        sprint = self.pipeline_class == "SanaSprintPipeline"
        guided = cfg > 1.0 and not sprint
        embeds, mask = self.encode_prompt(prompt, max_sequence_length)
        if guided:
            neg, neg_mask = self.encode_negative(negative, max_sequence_length)
            embeds, mask = torch.cat([neg, embeds]), torch.cat([neg_mask, mask])
        b = embeds.shape[0]
        clock("prompt")
        s = samplers.make_sampler("scm" if sprint else sampler, self.scheduler_config)
        s.set_timesteps(steps)
        x = noise.to(dev, dtype) * float(s.init_noise_sigma)
        step_noise = samplers.NoiseStream(seed, STEP_NOISE_STREAM)
        c = x.shape[1]
        control_latent = None
        if control_image is not None:
            control_latent = self.vae.encode(control_image.to(dev, dtype)).repeat(b, 1, 1, 1)
        guidance = None
        if sprint:
            guidance = torch.full((b,), cfg * self.transformer_config.get("guidance_embeds_scale", 0.1), dtype=dtype)
        timestep_scale = 1.0 if control_latent is not None else self.transformer_config.get("timestep_scale", 1.0)
        for i in range(s.num_steps):
            inp = s.scale_model_input(x.repeat(b, 1, 1, 1), i)
            t = torch.full((b,), float(s.timestep(i)), dtype=dtype, device=dev)
            control = None
            if control_latent is not None:
                control = self.controlnet(inp, t, embeds, mask, control_latent, control_scale)
            out = self.transformer(inp, t * timestep_scale, embeds, mask, guidance, control)[:, :c]
            pred = out[-1:]
            if guided:
                pred = out[:1] + cfg * (out[1:] - out[:1])
            fresh = step_noise.next(tuple(x.shape)).to(dev, dtype) if s.needs_noise else None
            x = s.step(pred, i, x, fresh)
            clock("step")
        if sprint:
            x = s.x0  # the pipeline decodes the last denoised estimate
        image = self.vae.decode(x)
        clock("decode")
        return image

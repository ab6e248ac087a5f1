"""Writes tests/fixtures/sana_pipeline/: three tiny Sana folders in the diffusers layout and what
tools/reference/sana_pipeline.py makes of them (float64).

  sana/        SanaPipeline: the DPM-Solver++ flow scheduler of Sana 1024 (flow_shift 3), a new
               random SanaTransformer2DModel (2 blocks, D 16, caption_channels 32 to meet the
               Gemma-2 fixture's hidden size, sample_size 8), timestep_scale 1
  sprint/      SanaSprintPipeline: SCMScheduler (trigflow, sigma_data 0.5), a Sprint transformer
               (guidance embedding, QK norms, guidance_embeds_scale 0.1)
  controlnet/  SanaControlNetPipeline: sana's scheduler and transformer, and a 2-block
               SanaControlNetModel; control.png is its control image
Each folder's text_encoder/ and tokenizer/ are links to tests/fixtures/gemma2/ and its vae/ a
link to tests/fixtures/autoencoder_dc/vae (f8c4, scaling factor 0.41407), so the components the
module tests check are the ones the pipelines run.

Expected images [1, 3, 48, 80] (non-square), prompt PROMPT, negative "", seed SEED:
  sana_dpm20.npy             20 steps of dpm++2m at cfg 4.5
  sana_flow_euler8.npy       8 steps of flow_euler (FlowMatchEuler from Sana's config: shift 1)
  sprint_{1,2,4}.npy         1, 2 and 4 steps of SCM, guidance 4.5
  controlnet_dpm8.npy        8 steps of dpm++2m at cfg 4.5, control.png at conditioning scale 0.7

Run: /usr/bin/python3 tools/reference/make_sana_pipeline_fixture.py   (from the repository root)
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diffusers_folder  # noqa: E402
import make_sampler_fixture  # noqa: E402
import make_sana_fixture  # noqa: E402
import make_tiny_pipeline  # noqa: E402
import safetensors_io  # noqa: E402
import sana  # noqa: E402
import sana_pipeline  # noqa: E402
import samplers  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(FIX, "sana_pipeline")
WIDTH, HEIGHT, SEED = 80, 48, 7
PROMPT = "A small red cube on a wooden table"
CONTROL_SCALE = 0.7

TRANSFORMER = dict(make_sana_fixture.COMMON, **{"_diffusers_version": "0.33.0", "caption_channels": 32,
                                                "timestep_scale": 1.0})
SPRINT = dict(make_sana_fixture.MODELS["sprint"], **{"caption_channels": 32})
CONTROLNET = dict(TRANSFORMER, **{"_class_name": "SanaControlNetModel", "_diffusers_version": "0.34.0"})
SCHEDULERS = {"sana": make_sampler_fixture.CONFIGS["sana"], "sprint": make_sampler_fixture.CONFIGS["sprint"]}
PIPELINES = {"sana": "SanaPipeline", "sprint": "SanaSprintPipeline", "controlnet": "SanaControlNetPipeline"}


def link(root, name, target):
    path = os.path.join(root, name)
    if os.path.lexists(path):
        os.remove(path)
    os.symlink(os.path.relpath(target, root), path)


def make_folder(name, seed):
    root = os.path.join(OUT, name)
    os.makedirs(root, exist_ok=True)
    index = {"_class_name": PIPELINES[name], "_diffusers_version": "0.34.0",
             "scheduler": ["diffusers", SCHEDULERS["sprint" if name == "sprint" else "sana"]["_class_name"]],
             "text_encoder": ["transformers", "Gemma2Model"], "tokenizer": ["transformers", "GemmaTokenizerFast"],
             "transformer": ["diffusers", "SanaTransformer2DModel"], "vae": ["diffusers", "AutoencoderDC"]}
    if name == "controlnet":
        index["controlnet"] = ["diffusers", "SanaControlNetModel"]
    diffusers_folder.write_json(os.path.join(root, "model_index.json"), index)
    diffusers_folder.write_json(os.path.join(root, "scheduler", "scheduler_config.json"),
                                SCHEDULERS["sprint" if name == "sprint" else "sana"])
    link(root, "text_encoder", os.path.join(FIX, "gemma2", "text_encoder"))
    link(root, "tokenizer", os.path.join(FIX, "gemma2", "tokenizer"))
    link(root, "vae", os.path.join(FIX, "autoencoder_dc", "vae"))
    torch.manual_seed(seed)
    if name == "controlnet":
        link(root, "transformer", os.path.join(OUT, "sana", "transformer"))
        net = sana.SanaControlNetModel(CONTROLNET)
        make_sana_fixture.randomise(net, make_sana_fixture.storage_dtype("sana"))
        diffusers_folder.write_component(os.path.join(root, "controlnet"), CONTROLNET, net.state_dict())
    else:
        cfg = SPRINT if name == "sprint" else TRANSFORMER
        model = sana.SanaTransformer2DModel(cfg)
        make_sana_fixture.randomise(model, make_sana_fixture.storage_dtype(name))
        diffusers_folder.write_component(os.path.join(root, "transformer"), cfg, model.state_dict(),
                                         make_sana_fixture.storage_dtype(name))
    return root


def main():
    roots = {name: make_folder(name, 40 + i) for i, name in enumerate(PIPELINES)}
    noise = samplers.randn((1, 4, HEIGHT // 8, WIDTH // 8), SEED).double()
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    edges = (((xx // 10 + yy // 12) % 2) * 255).astype(np.uint8)
    make_tiny_pipeline.write_png(os.path.join(OUT, "control.png"), np.stack([edges] * 3, axis=-1))
    control = torch.from_numpy(edges.astype(np.float64) / 255.0 * 2 - 1)[None, None].repeat(1, 3, 1, 1)

    runs = {
        "sana_dpm20": ("sana", dict(steps=20, cfg=4.5)),
        "sana_flow_euler8": ("sana", dict(steps=8, cfg=4.5, sampler="flow_euler")),
        "sprint_1": ("sprint", dict(steps=1, cfg=4.5)),
        "sprint_2": ("sprint", dict(steps=2, cfg=4.5)),
        "sprint_4": ("sprint", dict(steps=4, cfg=4.5)),
        "controlnet_dpm8": ("controlnet", dict(steps=8, cfg=4.5, control_image=control, control_scale=CONTROL_SCALE)),
    }
    pipes = {}
    for out_name, (folder, kwargs) in runs.items():
        pipe = pipes.setdefault(folder, sana_pipeline.SanaPipeline(roots[folder]))
        image = pipe(PROMPT, "", noise=noise, seed=SEED, **kwargs)
        safetensors_io.save_npy(os.path.join(OUT, out_name + ".npy"), image.float())
        print(f"{out_name}: mean {image.mean():.4f} std {image.std():.4f} range [{image.min():.3f}, {image.max():.3f}]")
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            path = os.path.join(root, f)
            print(f"  {os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()

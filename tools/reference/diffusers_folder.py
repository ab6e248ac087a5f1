"""Writes models in the diffusers folder layout the engine loads: one place for the fixture
scripts and the training export.

  write_component(folder, config, state_dict, dtype)   config.json + weights
  write_component_streaming(folder, config, shapes, dtype, make_tensor)   the same, a tensor at a time
  write_pipeline(root, pipeline_class, scheduler_config, spiece_model)
      model_index.json, scheduler/scheduler_config.json, tokenizer/spiece.model
"""
import json
import os
import shutil

import torch

import safetensors_io

# The file each library names its weights with.
WEIGHTS_NAME = {"transformers": "model.safetensors", "diffusers": "diffusion_pytorch_model.safetensors"}


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def write_component(folder, config, state_dict, dtype=torch.float32, library="diffusers"):
    """Weights are stored in `dtype`; a callable dtype(name, tensor) chooses per tensor."""
    write_json(os.path.join(folder, "config.json"), config)
    pick = dtype if callable(dtype) else (lambda name, t: dtype)
    state = {k: v.detach().to(pick(k, v)).contiguous() for k, v in state_dict.items()}
    safetensors_io.save(os.path.join(folder, WEIGHTS_NAME[library]), state, {"format": "pt"})


def write_component_streaming(folder, config, shapes, dtype, make_tensor, library="diffusers"):
    """write_component for models too large to hold twice: make_tensor(name, shape) per tensor."""
    write_json(os.path.join(folder, "config.json"), config)
    safetensors_io.save_streaming(os.path.join(folder, WEIGHTS_NAME[library]), shapes, dtype, make_tensor,
                                  {"format": "pt"})


def write_pipeline(root, pipeline_class, scheduler_config, spiece_model):
    write_json(os.path.join(root, "model_index.json"), {
        "_class_name": pipeline_class, "_diffusers_version": "0.30.0",
        "scheduler": ["diffusers", scheduler_config["_class_name"]],
        "text_encoder": ["transformers", "T5EncoderModel"],
        "tokenizer": ["transformers", "T5Tokenizer"],
        "transformer": ["diffusers", "PixArtTransformer2DModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    })
    write_json(os.path.join(root, "scheduler", "scheduler_config.json"), scheduler_config)
    os.makedirs(os.path.join(root, "tokenizer"), exist_ok=True)
    shutil.copy(spiece_model, os.path.join(root, "tokenizer", "spiece.model"))

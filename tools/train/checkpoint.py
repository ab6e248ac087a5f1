"""Checkpoints that survive a killed process: written to a temp file and renamed, with the
config fingerprint, so a stage resumes exactly where it stopped and never from a stale recipe."""
import os
import time

import torch


def save(path, fingerprint, step, **state):
    tmp = path + ".tmp"
    torch.save({"fingerprint": fingerprint, "step": step, "saved": time.time(),
                **{k: v.state_dict() if hasattr(v, "state_dict") else v for k, v in state.items()}}, tmp)
    os.replace(tmp, path)


def load(path, fingerprint, **state):
    """Restores `state` objects in place; returns the step reached (0 if no usable checkpoint).
    fingerprint: the recipe's, or a tuple of those a checkpoint may have (a run in phases)."""
    if not os.path.exists(path):
        return 0
    ck = torch.load(path, map_location="cpu")
    if ck.get("fingerprint") not in (fingerprint if isinstance(fingerprint, tuple) else (fingerprint,)):
        print(f"{path}: written by another recipe, starting over")
        return 0
    for k, v in state.items():
        if hasattr(v, "load_state_dict"):
            v.load_state_dict(ck[k])
    return ck["step"]


class Ema:
    """Exponential moving average of a model's parameters (the weights that get exported)."""

    def __init__(self, model, decay):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model, step, warmup):
        d = 0.0 if step < warmup else self.decay
        for k, v in model.state_dict().items():
            self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)

    def state_dict(self):
        return self.shadow

    def load_state_dict(self, s):
        self.shadow = {k: v.clone() for k, v in s.items()}

"""The default model's recipe: one place for every size, step count and learning rate, so the
export, the training stages and the notes agree. Change a number here and re-run
tools/train/train_default_model.sh; a stage resumes from its checkpoint only while its config
is unchanged (a hash of its section, less its step counts, is stored with the checkpoint)."""
import hashlib
import json
import os

IMAGE_SIZE = 128  # pixels; latent 16 x 16 through the f8 VAE, 64 tokens with patch 2
WORLD = {"count": 50000, "seed": 1, "people_fraction": 0.3}
MAX_CAPTION_TOKENS = 32  # training length; inference pads to 120, masked keys change nothing

# Whole words: the world has ~40 of them, so every caption fits MAX_CAPTION_TOKENS (a unigram
# model trained on so few sentences splits words into letters and overflows it).
TOKENIZER = {"vocab_size": 80, "model_type": "word"}

VAE = {
    "config": {
        "_class_name": "AutoencoderKL", "_diffusers_version": "0.30.0", "act_fn": "silu",
        "block_out_channels": [16, 32, 64, 64], "layers_per_block": 1, "norm_num_groups": 8,
        "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
        "in_channels": 3, "out_channels": 3, "latent_channels": 4, "sample_size": IMAGE_SIZE,
        "scaling_factor": 1.0,  # set at export from the latents' std, as SD's 0.18215 was
    },
    "steps": 3000, "batch": 32, "crop": 64, "lr": 1e-3, "lr_end": 1e-4, "warmup": 100,
    "kl_weight": 1e-6, "object_weight": 5.0, "autocast": "bf16",
}

T5 = {"d_model": 128, "d_kv": 32, "num_heads": 4, "d_ff": 256, "num_layers": 3,
      "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
      "feed_forward_proj": "gated-gelu"}

DIT = {
    "config": {
        "_class_name": "PixArtTransformer2DModel", "_diffusers_version": "0.30.0",
        "activation_fn": "gelu-approximate", "attention_bias": True, "norm_type": "ada_norm_single",
        "norm_elementwise_affine": False, "norm_eps": 1e-6, "num_embeds_ada_norm": 1000,
        "in_channels": 4, "out_channels": 4, "patch_size": 2, "sample_size": IMAGE_SIZE // 8,
        "num_layers": 6, "num_attention_heads": 3, "attention_head_dim": 64,
        "cross_attention_dim": 192, "caption_channels": T5["d_model"],
        "interpolation_scale": 1, "use_additional_conditions": False,
    },
    "steps": 12000, "batch": 64, "lr": 3e-4, "warmup": 500, "ema": 0.999,
    "caption_dropout": 0.1, "checkpoint_every": 200,
    # bf16 autocast: on CPUs with AMX (and on GPUs) the matmuls run ~10x faster than in f32;
    # weights, optimizer state and the loss stay f32.
    "autocast": "bf16",
    # The loss weights in x0 terms are min(SNR, gamma) + 1 (see train_dit.loss_weight): as
    # Min-SNR-gamma (Hang et al. 2023) the nearly clean steps do not dominate, and as v-prediction's
    # SNR + 1 the noisiest steps, where the layout is decided, keep a weight of 1 (epsilon's SNR
    # gives them almost none: at 3000 steps an epsilon model drew the background and no object).
    "min_snr_gamma": 5.0,
}

# The DiT run's second phase, continuing the first (same optimizer, learning rate and EMA): for
# `unplaced_fraction` of the samples the caption is the scene's caption without positions
# (docs/world.md), so that a prompt that does not say where leaves the layout open, and a control
# map can give it. Phase one alone (at 7000 steps) had never seen such a caption: asked for two
# objects it drew one, and under an edge map the objects lost their colours.
DIT_UNPLACED = {"steps": 5000, "unplaced_fraction": 0.3}

# Stage 4: ControlNet-Transformer adapters (PixArt-δ) for the edge and pose maps of the world,
# trained on the frozen exported model by tools/train/train_control.py. num_layers control blocks
# follow base blocks 0..num_layers-1 (the base has DIT num_layers blocks, so at most one fewer).
CONTROL = {
    "types": ["edges", "pose"], "num_layers": 3, "scenes": 20000,  # the first N world scenes
    "steps": 2000, "batch": 32, "lr": 3e-4, "warmup": 200, "ema": 0.999,
    "caption_dropout": 0.1, "checkpoint_every": 200, "autocast": "bf16", "min_snr_gamma": 5.0,
    # Half the captions leave the positions to the control map, as a user's prompt does.
    "unplaced_fraction": 0.5,
}

SCHEDULER = {  # PixArt's DDPM schedule (linear betas), sampled by DPM-Solver++(2M); v-prediction
    "_class_name": "DPMSolverMultistepScheduler", "_diffusers_version": "0.30.0",
    "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear", "num_train_timesteps": 1000,
    "prediction_type": "v_prediction", "solver_order": 2, "algorithm_type": "dpmsolver++",
    "lower_order_final": True, "timestep_spacing": "linspace", "steps_offset": 0,
}


def train_dir():
    """Checkpoints and data live outside the work tree (they are large and rebuilt on demand)."""
    d = os.environ.get("DIT_TRAIN_DIR", os.path.expanduser("~/.cache/dit-studio/train"))
    os.makedirs(d, exist_ok=True)
    return d


# How long a stage runs is not part of its recipe: raising `steps` continues a checkpoint.
_NOT_RECIPE = {"steps", "checkpoint_every"}


def _recipe(obj):
    if isinstance(obj, dict):
        return {k: _recipe(v) for k, v in obj.items() if k not in _NOT_RECIPE}
    if isinstance(obj, (list, tuple)):
        return [_recipe(v) for v in obj]
    return obj


def fingerprint(section):
    return hashlib.sha256(json.dumps(_recipe(section), sort_keys=True).encode()).hexdigest()[:16]

"""Writes tests/fixtures/samplers/: reference runs of every sampler and the noise generator.

  configs/<name>.json   scheduler_config.json files the runs use:
                        pixart   PixArt-alpha's DPMSolverMultistepScheduler config (linear betas
                                 0.0001..0.02, linspace, epsilon; lambda_min_clipped left out:
                                 its -Infinity is not JSON)
                        sd       scaled_linear 0.00085..0.012, leading + steps_offset 1, no clip,
                                 set_alpha_to_one false (Stable Diffusion's)
                        vpred    squaredcos_cap_v2, trailing, v_prediction, solver_order 3,
                                 final_sigmas_type sigma_min
                        heun     linear, linspace, prediction_type sample, solver_type heun,
                                 lower_order_final false, final_sigmas_type sigma_min
                        flow     FlowMatchEulerDiscreteScheduler, shift 3
                        clipped  squaredcos_cap_v2 with lambda_min_clipped -5.1 and
                                 euler_at_final (DeepFloyd IF's DPM settings)
  <sampler>.safetensors one file per sampler (named after its .cpp); metadata "cases" lists the
                        runs: config, eta, steps, strength and the key prefix. Per run:
                        <prefix>/timesteps [n], <prefix>/init [1,4,4,4] (the first sample),
                        <prefix>/first (after step 0), <prefix>/sample (final), <prefix>/x0
                        (predicted_x0 of the last step), <prefix>/init_noise_sigma [1]
  noise.safetensors     generator outputs: randn for two seeds and three successive NoiseStream
                        draws (see engine/random.h for the definition)

The toy model, identical in tests/engine/test_samplers.cpp: out = 0.3 * x_in + f32(0.1 *
sin(t / 100)) elementwise, x_in the scaled model input, t the sampler's timestep. Runs start
from randn([1,4,4,4], 42) (times init_noise_sigma, or through add_noise for img2img from the
clean latent 0.5 * randn([1,4,4,4], 7)), and stochastic samplers draw each step's noise from
NoiseStream(42, 0x5354455053) as the pipeline does. Steps 1, 4, 7, 20 (txt2img) and 4, 7, 20
at strength 0.6 (img2img).

Run: /usr/bin/python3 tools/reference/make_sampler_fixture.py   (from the repository root)
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import samplers  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "samplers")

SHAPE = [1, 4, 4, 4]
STEP_STREAM = 0x5354455053  # "STEPS", as engine/pipeline

CONFIGS = {
    "pixart": {
        "_class_name": "DPMSolverMultistepScheduler",
        "_diffusers_version": "0.22.0.dev0",
        "algorithm_type": "dpmsolver++",
        "beta_end": 0.02,
        "beta_schedule": "linear",
        "beta_start": 0.0001,
        "dynamic_thresholding_ratio": 0.995,
        "euler_at_final": False,
        "lower_order_final": True,
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "sample_max_value": 1.0,
        "solver_order": 2,
        "solver_type": "midpoint",
        "steps_offset": 0,
        "thresholding": False,
        "timestep_spacing": "linspace",
        "trained_betas": None,
        "use_karras_sigmas": False,
        "use_lu_lambdas": False,
        "variance_type": None,
    },
    "sd": {
        "_class_name": "DDIMScheduler",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "set_alpha_to_one": False,
        "steps_offset": 1,
        "timestep_spacing": "leading",
    },
    "vpred": {
        "beta_schedule": "squaredcos_cap_v2",
        "timestep_spacing": "trailing",
        "prediction_type": "v_prediction",
        "solver_order": 3,
        "final_sigmas_type": "sigma_min",
        "clip_sample": False,
    },
    "heun": {
        "beta_schedule": "linear",
        "timestep_spacing": "linspace",
        "prediction_type": "sample",
        "solver_type": "heun",
        "lower_order_final": False,
        "final_sigmas_type": "sigma_min",
    },
    "flow": {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0},
    # Sana 1024's scheduler_config.json (lambda_min_clipped -Infinity left out: not JSON)
    "sana": {
        "_class_name": "DPMSolverMultistepScheduler",
        "_diffusers_version": "0.32.0.dev0",
        "algorithm_type": "dpmsolver++",
        "beta_end": 0.02,
        "beta_schedule": "linear",
        "beta_start": 0.0001,
        "dynamic_thresholding_ratio": 0.995,
        "euler_at_final": False,
        "final_sigmas_type": "zero",
        "flow_shift": 3.0,
        "lower_order_final": True,
        "num_train_timesteps": 1000,
        "prediction_type": "flow_prediction",
        "sample_max_value": 1.0,
        "solver_order": 2,
        "solver_type": "midpoint",
        "steps_offset": 0,
        "thresholding": False,
        "timestep_spacing": "linspace",
        "trained_betas": None,
        "use_beta_sigmas": False,
        "use_exponential_sigmas": False,
        "use_flow_sigmas": True,
        "use_karras_sigmas": False,
        "use_lu_lambdas": False,
        "variance_type": None,
    },
    # Sana-Sprint's SCMScheduler
    "sprint": {"_class_name": "SCMScheduler", "num_train_timesteps": 1000, "prediction_type": "trigflow",
               "sigma_data": 0.5},
    "clipped": {
        "beta_schedule": "squaredcos_cap_v2",
        "lambda_min_clipped": -5.1,
        "euler_at_final": True,
        "timestep_spacing": "linspace",
    },
}

# sampler -> (file stem, [(config, eta)])
RUNS = {
    "dpm++2m": ("dpm_solver_multistep", [("pixart", 0), ("sd", 0), ("vpred", 0), ("heun", 0), ("clipped", 0),
                                         ("sana", 0)]),
    "ddim": ("ddim", [("pixart", 0), ("sd", 0), ("vpred", 0), ("heun", 0), ("pixart", 1.0)]),
    "euler": ("euler", [("pixart", 0), ("sd", 0), ("vpred", 0), ("heun", 0)]),
    "euler_a": ("euler_ancestral", [("pixart", 0), ("sd", 0), ("vpred", 0)]),
    "lcm": ("lcm", [("pixart", 0), ("sd", 0), ("vpred", 0), ("heun", 0)]),
    "flow_euler": ("flow_match_euler", [("pixart", 0), ("flow", 0)]),
    "scm": ("scm", [("sprint", 0)]),
}
# Sana-Sprint runs 1-4 steps (2 with the intermediate time 1.3) and text-to-image only.
SCM_STEPS = [1, 2, 3, 4, 7]
TXT_STEPS = [1, 4, 7, 20]
IMG_STEPS = [4, 7, 20]
STRENGTH = 0.6


def toy_model(x, t):
    return 0.3 * x + float(np.float32(0.1 * math.sin(t / 100.0)))


def run(name, cfg, eta, steps, strength):
    s = samplers.make_sampler(name, cfg, eta)
    s.set_timesteps(steps, strength)
    noise = samplers.randn(SHAPE, 42)
    if strength < 1:
        x = s.add_noise(0.5 * samplers.randn(SHAPE, 7), noise)
    else:
        x = noise * float(s.init_noise_sigma)
    init = x.clone()
    stream = samplers.NoiseStream(42, STEP_STREAM)
    ts, first = [], None
    for i in range(s.num_steps):
        t = s.timestep(i)
        ts.append(t)
        out = toy_model(s.scale_model_input(x, i), t)
        fresh = stream.next(SHAPE) if s.needs_noise else None
        x = s.step(out, i, x, fresh)
        if i == 0:
            first = x.clone()
    assert torch.isfinite(x).all(), (name, cfg, steps)
    return {
        "timesteps": torch.tensor(ts, dtype=torch.float32),
        "init": init.float(),
        "first": first.float(),
        "sample": x.float(),
        "x0": s.x0.float().contiguous(),
        "init_noise_sigma": torch.tensor([float(s.init_noise_sigma)], dtype=torch.float32),
    }


def check_philox():
    kat = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
           ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
           ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]
    for ctr, key, want in kat:
        got = samplers.philox4x32_10(np.array([ctr], dtype=np.uint64), key)[0]
        assert tuple(int(v) for v in got) == want, (ctr, [hex(int(v)) for v in got])


def main():
    check_philox()
    os.makedirs(os.path.join(OUT, "configs"), exist_ok=True)
    for cname, cfg in CONFIGS.items():
        with open(os.path.join(OUT, "configs", cname + ".json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")

    for name, (stem, runs) in RUNS.items():
        tensors, cases = {}, []
        for cname, eta in runs:
            cfg = CONFIGS[cname]
            plan = ((1.0, SCM_STEPS),) if name == "scm" else ((1.0, TXT_STEPS), (STRENGTH, IMG_STEPS))
            for strength, steps_list in plan:
                for steps in steps_list:
                    prefix = f"{cname}{'_eta' if eta else ''}/{'txt' if strength == 1.0 else 'img'}{steps}"
                    for k, v in run(name, cfg, eta, steps, strength).items():
                        tensors[f"{prefix}/{k}"] = v
                    cases.append({"config": cname, "eta": eta, "steps": steps, "strength": strength,
                                  "prefix": prefix})
        path = os.path.join(OUT, stem + ".safetensors")
        safetensors_io.save(path, tensors, {"sampler": name, "cases": json.dumps(cases)})
        print(f"{path}: {len(cases)} runs")

    s = samplers.NoiseStream(7, STEP_STREAM)
    noise = {
        "randn_seed0": samplers.randn([3, 5, 7], 0),
        "randn_seed_big": samplers.randn([2, 4, 8, 8], 0x123456789ABCDEF0),
        "stream_1": s.next([5]),
        "stream_2": s.next([1, 4, 4, 4]),
        "stream_3": s.next([3]),
        "distribution": samplers.randn([100000], 2024),
    }
    d = noise["distribution"].double()
    print(f"randn(1e5, seed 2024): mean {d.mean():.5f} std {d.std():.5f}")
    del noise["distribution"]  # the C++ test computes its own statistics
    safetensors_io.save(os.path.join(OUT, "noise.safetensors"), noise,
                        {"stream_seed": "7", "stream": str(STEP_STREAM), "seed_big": str(0x123456789ABCDEF0)})
    print("noise.safetensors written")


if __name__ == "__main__":
    main()

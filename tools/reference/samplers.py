"""Reference samplers and noise generator for engine/samplers/ and engine/random.{h,cpp}.

Our own implementation of the diffusers schedulers the engine mirrors (diffusers is not
installed): DPMSolverMultistepScheduler (dpmsolver++), DDIMScheduler, EulerDiscreteScheduler,
EulerAncestralDiscreteScheduler, LCMScheduler and FlowMatchEulerDiscreteScheduler. Each keeps
diffusers' dtypes (float32 torch tensors for the schedule and the per-step scalars, numpy float64
for the spacing) and its order of operations, so it reproduces diffusers to float rounding.

Every class has the engine's interface (engine/samplers/sampler.h):
  set_timesteps(steps, strength=1.0); num_steps; timestep(i); init_noise_sigma;
  scale_model_input(x, i); step(model_output, i, sample, noise) -> next sample (sets .x0);
  needs_noise; add_noise(x0, noise).
The img2img truncation is the one of the diffusers pipeline family: StableDiffusionImg2Img's
get_timesteps for the DDPM samplers, SD3's for flow matching, LCM's own set_timesteps(strength).

Deliberate departure: "trailing" spacing keeps `steps` timesteps where numpy's arange yields one
more (steps = 61, 103, ...; diffusers then ends on timestep -1).

The noise generator (docs/samplers.md): Philox4x32-10 keyed by the seed, counter (block, stream),
Box-Muller in float64 on word pairs, rounded to float32, row-major fill.
"""
import math

import numpy as np
import torch

# ----------------------------------------------------------------------------------------------
# Noise generator
# ----------------------------------------------------------------------------------------------

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK = np.uint64(0xFFFFFFFF)


def philox4x32_10(counters, key):
    """counters: uint64 array [N, 4] of 32-bit words; key: (k0, k1). Returns uint64 [N, 4]."""
    c = [counters[:, j].astype(np.uint64) for j in range(4)]
    k0, k1 = key[0] & 0xFFFFFFFF, key[1] & 0xFFFFFFFF
    for r in range(10):
        if r > 0:
            k0 = (k0 + _W0) & 0xFFFFFFFF
            k1 = (k1 + _W1) & 0xFFFFFFFF
        p0 = _M0 * c[0]  # < 2^64: exact in uint64
        p1 = _M1 * c[2]
        hi0, lo0 = p0 >> np.uint64(32), p0 & _MASK
        hi1, lo1 = p1 >> np.uint64(32), p1 & _MASK
        c = [hi1 ^ c[1] ^ np.uint64(k0), lo1, hi0 ^ c[3] ^ np.uint64(k1), lo0]
    return np.stack(c, axis=1)


def _normals(seed, stream, first_block, n):
    blocks = (n + 3) // 4
    b = np.arange(first_block, first_block + blocks, dtype=np.uint64)
    ctr = np.stack([b & _MASK, b >> np.uint64(32),
                    np.full_like(b, stream & 0xFFFFFFFF), np.full_like(b, (stream >> 32) & 0xFFFFFFFF)], axis=1)
    w = philox4x32_10(ctr, (seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF)).astype(np.float64)
    u = (w + 0.5) * (1.0 / 4294967296.0)
    r01 = np.sqrt(-2.0 * np.log(u[:, 0]))
    r23 = np.sqrt(-2.0 * np.log(u[:, 2]))
    th01 = 6.283185307179586 * u[:, 1]
    th23 = 6.283185307179586 * u[:, 3]
    z = np.stack([r01 * np.cos(th01), r01 * np.sin(th01), r23 * np.cos(th23), r23 * np.sin(th23)], axis=1)
    return z.reshape(-1)[:n].astype(np.float32), blocks


class NoiseStream:
    def __init__(self, seed, stream=0):
        self.seed, self.stream, self.block = seed, stream, 0

    def next(self, shape):
        n = int(np.prod(shape))
        z, used = _normals(self.seed, self.stream, self.block, n)
        self.block += used
        return torch.from_numpy(z.reshape(shape).copy())


def randn(shape, seed):
    return NoiseStream(seed, 0).next(shape)


# ----------------------------------------------------------------------------------------------
# Schedules (diffusers' dtypes)
# ----------------------------------------------------------------------------------------------

def _cosine_betas(n):
    def alpha_bar(t):
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    return torch.tensor([min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), 0.999) for i in range(n)],
                        dtype=torch.float32)


def make_betas(c):
    n = c["num_train_timesteps"]
    if c.get("trained_betas") is not None:
        return torch.tensor(c["trained_betas"], dtype=torch.float32)
    kind = c["beta_schedule"]
    if kind == "linear":
        return torch.linspace(c["beta_start"], c["beta_end"], n, dtype=torch.float32)
    if kind == "scaled_linear":
        return torch.linspace(c["beta_start"] ** 0.5, c["beta_end"] ** 0.5, n, dtype=torch.float32) ** 2
    if kind == "squaredcos_cap_v2":
        return _cosine_betas(n)
    raise ValueError(kind)


def alphas_cumprod(c):
    return torch.cumprod(1.0 - make_betas(c), dim=0)


def resolve(defaults, file_cfg):
    """from_config: the class's defaults overridden by the file's fields that the class knows."""
    out = dict(defaults)
    for k, v in file_cfg.items():
        if k in defaults:
            out[k] = v
    return out


DDPM_DEFAULTS = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule="linear",
                     trained_betas=None, prediction_type="epsilon", timestep_spacing="linspace", steps_offset=0)


def sd_img2img_begin(steps, strength):
    init = min(int(steps * strength), steps)
    begin = max(steps - init, 0)
    if steps - begin < 1:
        raise ValueError("no step left")
    return begin


def sd3_img2img_begin(steps, strength):
    init = min(steps * strength, steps)
    return int(max(steps - init, 0))


def _trailing(last, num_train, steps):
    t = np.arange(last, 0, -num_train / steps).round()[:steps].copy().astype(np.int64)
    return t - 1


# ----------------------------------------------------------------------------------------------
# DPMSolverMultistepScheduler, algorithm_type dpmsolver++
# ----------------------------------------------------------------------------------------------

class DPMSolverMultistep:
    defaults = dict(DDPM_DEFAULTS, solver_order=2, algorithm_type="dpmsolver++", solver_type="midpoint",
                    lower_order_final=True, euler_at_final=False, final_sigmas_type="zero",
                    lambda_min_clipped=-float("inf"), use_flow_sigmas=False, flow_shift=1.0)
    needs_noise = False
    init_noise_sigma = 1.0

    def __init__(self, file_cfg):
        self.c = resolve(self.defaults, file_cfg)
        self.alphas_cumprod = alphas_cumprod(self.c)
        a = torch.sqrt(self.alphas_cumprod)
        s = torch.sqrt(1 - self.alphas_cumprod)
        self.lambda_t = torch.log(a) - torch.log(s)

    def set_timesteps(self, steps, strength=1.0):
        c = self.c
        T = c["num_train_timesteps"]
        clipped = torch.searchsorted(torch.flip(self.lambda_t, [0]), c["lambda_min_clipped"])
        last = int((T - clipped).item())
        sp = c["timestep_spacing"]
        if sp == "linspace":
            t = np.linspace(0, last - 1, steps + 1).round()[::-1][:-1].copy().astype(np.int64)
        elif sp == "leading":
            ratio = last // (steps + 1)
            t = (np.arange(0, steps + 1) * ratio).round()[::-1][:-1].copy().astype(np.int64) + c["steps_offset"]
        else:
            t = _trailing(last, T, steps)
        sig = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)
        sig = np.interp(t, np.arange(0, len(sig)), sig)
        if c["use_flow_sigmas"]:
            # Sana: rectified-flow sigmas through flow_shift, descending, the 0 end dropped; the
            # model's timestep is sigma * T cast to int64 (truncated), the solver keeps sigma.
            shift = c["flow_shift"]
            sig = 1.0 - np.linspace(1, 1 / T, steps + 1)
            sig = np.flip(shift * sig / (1 + (shift - 1) * sig))[:-1].copy()
            t = (sig * T).astype(np.int64)
        if c["final_sigmas_type"] == "sigma_min":
            last_sigma = ((1 - self.alphas_cumprod[0]) / self.alphas_cumprod[0]) ** 0.5
        else:
            last_sigma = 0
        self.sigmas = torch.from_numpy(np.concatenate([sig, [last_sigma]]).astype(np.float32))
        self.timesteps = torch.from_numpy(t)
        n = len(t)
        self.begin = sd_img2img_begin(n, strength) if strength < 1 else 0
        self.num_steps = n - self.begin
        self.outputs = [None] * c["solver_order"]
        self.lower_order_nums = 0

    def timestep(self, i):
        return float(self.timesteps[self.begin + i])

    def scale_model_input(self, x, i):
        return x

    def _alpha_sigma(self, sigma):
        if self.c["use_flow_sigmas"]:
            return 1 - sigma, sigma
        alpha = 1 / ((sigma ** 2 + 1) ** 0.5)
        return alpha, sigma * alpha

    def step(self, out, i, x, noise=None):
        c = self.c
        k = self.begin + i
        n = len(self.timesteps)
        small = c["lower_order_final"] and n < 15
        final1 = k == n - 1 and (c["euler_at_final"] or small or c["final_sigmas_type"] == "zero")
        final2 = k == n - 2 and small
        if c["prediction_type"] == "sample":
            x0 = out
        elif c["prediction_type"] == "flow_prediction":
            x0 = x - self.sigmas[k] * out
        else:
            alpha_t, sigma_t = self._alpha_sigma(self.sigmas[k])
            x0 = (x - sigma_t * out) / alpha_t if c["prediction_type"] == "epsilon" else alpha_t * x - sigma_t * out
        self.x0 = x0
        self.outputs = self.outputs[1:] + [x0]
        if c["solver_order"] == 1 or self.lower_order_nums < 1 or final1:
            y = self._first(k, x)
        elif c["solver_order"] == 2 or self.lower_order_nums < 2 or final2:
            y = self._second(k, x)
        else:
            y = self._third(k, x)
        self.lower_order_nums = min(self.lower_order_nums + 1, c["solver_order"])
        return y

    def _lams(self, *idx):
        res = []
        for j in idx:
            a, s = self._alpha_sigma(self.sigmas[j])
            res.append((a, s, torch.log(a) - torch.log(s)))
        return res

    def _first(self, k, x):
        (alpha_t, sigma_t, lam_t), (_, sigma_s, lam_s) = self._lams(k + 1, k)
        h = lam_t - lam_s
        return (sigma_t / sigma_s) * x - (alpha_t * (torch.exp(-h) - 1.0)) * self.outputs[-1]

    def _second(self, k, x):
        (alpha_t, sigma_t, lam_t), (_, sigma_s0, lam_s0), (_, _, lam_s1) = self._lams(k + 1, k, k - 1)
        m0, m1 = self.outputs[-1], self.outputs[-2]
        h, h_0 = lam_t - lam_s0, lam_s0 - lam_s1
        r0 = h_0 / h
        D0, D1 = m0, (1.0 / r0) * (m0 - m1)
        if self.c["solver_type"] == "heun":
            return ((sigma_t / sigma_s0) * x - (alpha_t * (torch.exp(-h) - 1.0)) * D0
                    + (alpha_t * ((torch.exp(-h) - 1.0) / h + 1.0)) * D1)
        return ((sigma_t / sigma_s0) * x - (alpha_t * (torch.exp(-h) - 1.0)) * D0
                - 0.5 * (alpha_t * (torch.exp(-h) - 1.0)) * D1)

    def _third(self, k, x):
        (alpha_t, sigma_t, lam_t), (_, sigma_s0, lam_s0), (_, _, lam_s1), (_, _, lam_s2) = \
            self._lams(k + 1, k, k - 1, k - 2)
        m0, m1, m2 = self.outputs[-1], self.outputs[-2], self.outputs[-3]
        h, h_0, h_1 = lam_t - lam_s0, lam_s0 - lam_s1, lam_s1 - lam_s2
        r0, r1 = h_0 / h, h_1 / h
        D1_0, D1_1 = (1.0 / r0) * (m0 - m1), (1.0 / r1) * (m1 - m2)
        D1 = D1_0 + (r0 / (r0 + r1)) * (D1_0 - D1_1)
        D2 = (1.0 / (r0 + r1)) * (D1_0 - D1_1)
        return ((sigma_t / sigma_s0) * x - (alpha_t * (torch.exp(-h) - 1.0)) * m0
                + (alpha_t * ((torch.exp(-h) - 1.0) / h + 1.0)) * D1
                - (alpha_t * ((torch.exp(-h) - 1.0 + h) / h ** 2 - 0.5)) * D2)

    def add_noise(self, x0, noise):
        alpha, sigma = self._alpha_sigma(self.sigmas[self.begin])
        return alpha * x0 + sigma * noise


# ----------------------------------------------------------------------------------------------
# DDIMScheduler
# ----------------------------------------------------------------------------------------------

def _ddpm_spacing(c, steps, linspace_dtype=None):
    """DDIM/Euler spacing: linspace (unrounded unless the caller rounds), leading, trailing."""
    T = c["num_train_timesteps"]
    sp = c["timestep_spacing"]
    if sp == "linspace":
        return np.linspace(0, T - 1, steps)[::-1].copy()
    if sp == "leading":
        ratio = T // steps
        return (np.arange(0, steps) * ratio).round()[::-1].copy() + c["steps_offset"]
    return (_trailing(T, T, steps)).astype(np.float64)


class DDIM:
    defaults = dict(DDPM_DEFAULTS, timestep_spacing="leading", clip_sample=True, set_alpha_to_one=True,
                    clip_sample_range=1.0)
    init_noise_sigma = 1.0

    def __init__(self, file_cfg, eta=0.0):
        self.c = resolve(self.defaults, file_cfg)
        self.eta = eta
        self.needs_noise = eta > 0
        self.alphas_cumprod = alphas_cumprod(self.c)
        self.final_alpha_cumprod = torch.tensor(1.0) if self.c["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, steps, strength=1.0):
        t = _ddpm_spacing(self.c, steps)
        if self.c["timestep_spacing"] == "linspace":
            t = t.round()
        self.timesteps = torch.from_numpy(t.astype(np.int64))
        self.inference_steps = steps
        self.begin = sd_img2img_begin(steps, strength) if strength < 1 else 0
        self.num_steps = len(t) - self.begin

    def timestep(self, i):
        return float(self.timesteps[self.begin + i])

    def scale_model_input(self, x, i):
        return x

    def step(self, out, i, x, noise=None):
        c = self.c
        t = int(self.timesteps[self.begin + i])
        prev_t = t - c["num_train_timesteps"] // self.inference_steps
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        b_t = 1 - a_t
        if c["prediction_type"] == "epsilon":
            x0 = (x - b_t ** 0.5 * out) / a_t ** 0.5
            eps = out
        elif c["prediction_type"] == "sample":
            x0 = out
            eps = (x - a_t ** 0.5 * x0) / b_t ** 0.5
        else:
            x0 = (a_t ** 0.5) * x - (b_t ** 0.5) * out
            eps = (a_t ** 0.5) * out + (b_t ** 0.5) * x
        if c["clip_sample"]:
            x0 = x0.clamp(-c["clip_sample_range"], c["clip_sample_range"])
        b_prev = 1 - a_prev
        variance = (b_prev / b_t) * (1 - a_t / a_prev)
        std = self.eta * variance ** 0.5
        direction = (1 - a_prev - std ** 2) ** 0.5 * eps
        y = a_prev ** 0.5 * x0 + direction
        if self.eta > 0:
            y = y + std * noise
        self.x0 = x0
        return y

    def add_noise(self, x0, noise):
        a = self.alphas_cumprod[int(self.timesteps[self.begin])]
        return a ** 0.5 * x0 + (1 - a) ** 0.5 * noise


# ----------------------------------------------------------------------------------------------
# EulerDiscreteScheduler and EulerAncestralDiscreteScheduler
# ----------------------------------------------------------------------------------------------

class _EulerBase:
    def __init__(self, file_cfg):
        self.c = resolve(self.defaults, file_cfg)
        self.alphas_cumprod = alphas_cumprod(self.c)

    def set_timesteps(self, steps, strength=1.0):
        c = self.c
        sp = c["timestep_spacing"]
        if sp == "linspace":
            t = np.linspace(0, c["num_train_timesteps"] - 1, steps, dtype=np.float32)[::-1].copy()
        elif sp == "leading":
            ratio = c["num_train_timesteps"] // steps
            t = (np.arange(0, steps) * ratio).round()[::-1].copy().astype(np.float32)
            t += c["steps_offset"]
        else:
            t = _trailing(c["num_train_timesteps"], c["num_train_timesteps"], steps).astype(np.float32)
        sig = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)
        sig = np.interp(t, np.arange(0, len(sig)), sig)
        last = 0
        if c.get("final_sigmas_type") == "sigma_min":
            last = ((1 - self.alphas_cumprod[0]) / self.alphas_cumprod[0]) ** 0.5
        self.sigmas = torch.from_numpy(np.concatenate([sig, [last]]).astype(np.float32))
        self.timesteps = torch.from_numpy(t.astype(np.float32))
        self.begin = sd_img2img_begin(steps, strength) if strength < 1 else 0
        self.num_steps = steps - self.begin

    def timestep(self, i):
        return float(self.timesteps[self.begin + i])

    @property
    def init_noise_sigma(self):
        m = self.sigmas.max()
        if self.c["timestep_spacing"] in ("linspace", "trailing"):
            return float(m)
        return float((m ** 2 + 1) ** 0.5)

    def scale_model_input(self, x, i):
        sigma = self.sigmas[self.begin + i]
        return x / ((sigma ** 2 + 1) ** 0.5)

    def add_noise(self, x0, noise):
        return x0 + noise * self.sigmas[self.begin]

    def _x0(self, out, x, sigma):
        p = self.c["prediction_type"]
        if p == "epsilon":
            return x - sigma * out
        if p == "v_prediction":
            return out * (-sigma / (sigma ** 2 + 1) ** 0.5) + (x / (sigma ** 2 + 1))
        if p in ("sample", "original_sample") and self.allows_sample:
            return out
        raise ValueError(p)


class Euler(_EulerBase):
    defaults = dict(DDPM_DEFAULTS, final_sigmas_type="zero")
    needs_noise = False
    allows_sample = True

    def step(self, out, i, x, noise=None):
        k = self.begin + i
        sigma = self.sigmas[k]
        sigma_hat = sigma * (0.0 + 1)  # no churn
        x0 = self._x0(out, x, sigma_hat)
        derivative = (x - x0) / sigma_hat
        dt = self.sigmas[k + 1] - sigma_hat
        self.x0 = x0
        return x + derivative * dt


class EulerAncestral(_EulerBase):
    defaults = dict(DDPM_DEFAULTS)
    needs_noise = True
    allows_sample = False

    def step(self, out, i, x, noise=None):
        k = self.begin + i
        sigma = self.sigmas[k]
        x0 = self._x0(out, x, sigma)
        s_from, s_to = self.sigmas[k], self.sigmas[k + 1]
        s_up = (s_to ** 2 * (s_from ** 2 - s_to ** 2) / s_from ** 2) ** 0.5
        s_down = (s_to ** 2 - s_up ** 2) ** 0.5
        derivative = (x - x0) / sigma
        dt = s_down - sigma
        y = x + derivative * dt
        self.x0 = x0
        return y + noise * s_up


# ----------------------------------------------------------------------------------------------
# LCMScheduler
# ----------------------------------------------------------------------------------------------

class LCM:
    defaults = dict(DDPM_DEFAULTS, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                    original_inference_steps=50, clip_sample=False, clip_sample_range=1.0,
                    set_alpha_to_one=True, timestep_spacing="leading", timestep_scaling=10.0)
    needs_noise = True
    init_noise_sigma = 1.0

    def __init__(self, file_cfg):
        self.c = resolve(self.defaults, file_cfg)
        self.alphas_cumprod = alphas_cumprod(self.c)
        self.final_alpha_cumprod = torch.tensor(1.0) if self.c["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, steps, strength=1.0):
        c = self.c
        orig = c["original_inference_steps"]
        k = c["num_train_timesteps"] // orig
        origin = np.asarray(list(range(1, int(orig * strength) + 1))) * k - 1
        if len(origin) // steps < 1 or steps > orig:
            raise ValueError("too many steps")
        origin = origin[::-1].copy()
        idx = np.floor(np.linspace(0, len(origin), num=steps, endpoint=False)).astype(np.int64)
        self.timesteps = torch.from_numpy(origin[idx]).to(dtype=torch.long)
        self.num_steps = steps

    def timestep(self, i):
        return float(self.timesteps[i])

    def scale_model_input(self, x, i):
        return x

    def step(self, out, i, x, noise=None):
        c = self.c
        t = self.timesteps[i]
        prev_t = self.timesteps[i + 1] if i + 1 < len(self.timesteps) else t
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        b_t, b_prev = 1 - a_t, 1 - a_prev
        st = t * c["timestep_scaling"]
        c_skip = 0.5 ** 2 / (st ** 2 + 0.5 ** 2)
        c_out = st / (st ** 2 + 0.5 ** 2) ** 0.5
        p = c["prediction_type"]
        if p == "epsilon":
            x0 = (x - b_t.sqrt() * out) / a_t.sqrt()
        elif p == "sample":
            x0 = out
        else:
            x0 = a_t.sqrt() * x - b_t.sqrt() * out
        if c["clip_sample"]:
            x0 = x0.clamp(-c["clip_sample_range"], c["clip_sample_range"])
        denoised = c_out * x0 + c_skip * x
        self.x0 = denoised
        if i != self.num_steps - 1:
            return a_prev.sqrt() * denoised + b_prev.sqrt() * noise
        return denoised

    def add_noise(self, x0, noise):
        a = self.alphas_cumprod[self.timesteps[0]]
        return a ** 0.5 * x0 + (1 - a) ** 0.5 * noise


# ----------------------------------------------------------------------------------------------
# FlowMatchEulerDiscreteScheduler (static shift)
# ----------------------------------------------------------------------------------------------

class FlowMatchEuler:
    defaults = dict(num_train_timesteps=1000, shift=1.0)
    needs_noise = False
    init_noise_sigma = 1.0

    def __init__(self, file_cfg):
        self.c = resolve(self.defaults, file_cfg)
        T, shift = self.c["num_train_timesteps"], self.c["shift"]
        t = torch.from_numpy(np.linspace(1, T, T, dtype=np.float32)[::-1].copy())
        s = t / T
        s = shift * s / (1 + (shift - 1) * s)
        self.sigma_max, self.sigma_min = s[0].item(), s[-1].item()

    def set_timesteps(self, steps, strength=1.0):
        T, shift = self.c["num_train_timesteps"], self.c["shift"]
        t = np.linspace(self.sigma_max * T, self.sigma_min * T, steps)
        s = t / T
        s = shift * s / (1 + (shift - 1) * s)
        s = torch.from_numpy(s).to(dtype=torch.float32)
        self.timesteps = s * T
        self.sigmas = torch.cat([s, torch.zeros(1)])
        self.begin = sd3_img2img_begin(steps, strength) if strength < 1 else 0
        self.num_steps = steps - self.begin

    def timestep(self, i):
        return float(self.timesteps[self.begin + i])

    def scale_model_input(self, x, i):
        return x

    def step(self, v, i, x, noise=None):
        k = self.begin + i
        sigma, sigma_next = self.sigmas[k], self.sigmas[k + 1]
        self.x0 = x - sigma * v
        return x + (sigma_next - sigma) * v

    def add_noise(self, x0, noise):
        sigma = self.sigmas[self.begin]
        return sigma * noise + (1.0 - sigma) * x0


# ----------------------------------------------------------------------------------------------
# SCMScheduler (TrigFlow) with SanaSprintPipeline's scalings around the model
# ----------------------------------------------------------------------------------------------

class SCM:
    """The engine's sample x is the pipeline's latents / sigma_data; internally this follows the
    pipeline and the scheduler in their own units (latents = x * sigma_data)."""
    defaults = dict(num_train_timesteps=1000, prediction_type="trigflow", sigma_data=0.5)
    needs_noise = True
    init_noise_sigma = 1.0

    def __init__(self, file_cfg):
        self.c = resolve(self.defaults, file_cfg)
        assert self.c["prediction_type"] == "trigflow"

    def set_timesteps(self, steps, strength=1.0):
        assert strength == 1.0, "SCM runs text-to-image only"
        if steps == 2:  # the pipeline's default intermediate_timesteps
            self.times = torch.tensor([1.57080, 1.3, 0]).float()
        else:
            self.times = torch.linspace(1.57080, 0, steps + 1).float()
        self.begin = 0
        self.num_steps = steps

    def timestep(self, i):
        t = self.times[i]
        return float(torch.sin(t) / (torch.cos(t) + torch.sin(t)))

    def _c(self, i):
        t = self.times[i]
        return torch.sin(t) / (torch.cos(t) + torch.sin(t))

    def scale_model_input(self, x, i):
        c = self._c(i)
        sd = self.c["sigma_data"]
        latents = x * sd
        return latents / sd * torch.sqrt(c ** 2 + (1 - c) ** 2)

    def step(self, out, i, x, noise=None):
        sd = self.c["sigma_data"]
        c = self._c(i)
        latents = x * sd
        model_in = latents / sd * torch.sqrt(c ** 2 + (1 - c) ** 2)
        v = ((1 - 2 * c) * model_in + (1 - 2 * c + 2 * c ** 2) * out) / torch.sqrt(c ** 2 + (1 - c) ** 2)
        v = v.float() * sd
        s, t = self.times[i], self.times[i + 1]
        pred_x0 = torch.cos(s) * latents - torch.sin(s) * v
        prev = torch.cos(t) * pred_x0 + torch.sin(t) * (noise * sd)
        self.x0 = pred_x0 / sd  # the pipeline's final latents = denoised / sigma_data
        return prev / sd

    def add_noise(self, x0, noise):
        s = self.times[0]
        return torch.cos(s) * x0 + torch.sin(s) * noise


SAMPLERS = {
    "dpm++2m": DPMSolverMultistep,
    "ddim": DDIM,
    "euler": Euler,
    "euler_a": EulerAncestral,
    "lcm": LCM,
    "flow_euler": FlowMatchEuler,
    "scm": SCM,
}


def make_sampler(name, file_cfg, eta=0.0):
    if name == "ddim":
        return DDIM(file_cfg, eta)
    return SAMPLERS[name](file_cfg)

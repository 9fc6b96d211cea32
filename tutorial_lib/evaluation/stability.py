"""Perturbation stability in the style of ImageNet-P (Hendrycks & Dietterich, ICLR 2019).

A *sequence* is a clean image followed by frames that move it a little further each step (a small
translation, a rotation, growing noise, a brightness step). A stable model keeps its prediction:

* flip probability FP = how often the top-1 prediction changes between consecutive frames (for
  noise sequences, whose frames are independent draws, between each frame and the clean one);
  flip rate FR = FP / FP(baseline), mFR = mean FR over the perturbation types.
* top-5 distance T5D: how much the top-5 ranking changes between the same pairs of frames,
  d = sum_{i=1..5} |(i - 1) - min(sigma(i) - 1, 5)|, where sigma(i) is the rank in the second frame of
  the class ranked i in the first (0 = same top-5 in the same order); mT5D likewise vs a baseline.

Sequences are batched: (frames, N, C, H, W); every frame of every image goes through the model in
one pass of ``sequence_logits``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core.device import eval_batch_size

# kind -> step per frame (px, degrees, noise sigma, brightness offset)
STEPS = {"translate": 1.0, "rotate": 3.0, "gaussian_noise": 0.03, "brightness": 0.05}
SEQUENCES: tuple[str, ...] = tuple(STEPS)
NOISE_LIKE = frozenset({"gaussian_noise"})  # frames compared with the clean frame


def _affine(x: torch.Tensor, angle_deg: torch.Tensor, shift_px: torch.Tensor,
            mode: str) -> torch.Tensor:
    h, w = x.shape[-2:]
    a = torch.deg2rad(angle_deg).to(x)
    cos, sin = torch.cos(a), torch.sin(a)
    s = shift_px.to(x) * 2 / torch.tensor([w, h], dtype=x.dtype, device=x.device)
    theta = torch.stack([torch.stack([cos, -sin, -s[:, 0]], 1),
                         torch.stack([sin, cos, -s[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)


def perturbation_sequence(x: torch.Tensor, kind: str, frames: int = 6, step: float | None = None,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    """(frames, N, C, H, W) sequence in [0, 1]; frame 0 is ``x`` itself.

    translate: frame t shifts each image by t*step px (integer steps, nearest pixel, zero fill)
    along one of 8 compass directions drawn per image; rotate: t*step degrees, sign drawn per
    image; gaussian_noise: fresh noise of sigma t*step in every frame; brightness: + t*step.
    """
    if kind not in STEPS:
        raise KeyError(f"Unknown perturbation {kind!r}; choose one of {', '.join(SEQUENCES)}.")
    if frames < 2:
        raise ValueError(f"A sequence needs at least 2 frames, got {frames}.")
    if not torch.is_tensor(x) or x.dim() != 4:
        raise ValueError("x must be a batch of images shaped (N, C, H, W).")
    step = STEPS[kind] if step is None else step
    n = len(x)
    out = [x]
    if kind == "translate":
        dirs = torch.tensor([[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]],
                            dtype=torch.float32)
        d = dirs[torch.randint(0, 8, (n,), generator=generator)]
        out += [_affine(x, torch.zeros(n), d * round(t * step), "nearest") for t in range(1, frames)]
    elif kind == "rotate":
        sign = torch.randint(0, 2, (n,), generator=generator).float() * 2 - 1
        out += [_affine(x, sign * t * step, torch.zeros(n, 2), "bilinear") for t in range(1, frames)]
    elif kind == "gaussian_noise":
        out += [x + torch.randn(x.shape, generator=generator).to(x) * t * step
                for t in range(1, frames)]
    else:
        out += [x + t * step for t in range(1, frames)]
    return torch.stack(out).clamp(0, 1)


@torch.no_grad()
def sequence_logits(model: nn.Module, seq: torch.Tensor, batch_size: int | None = None) -> torch.Tensor:
    """Logits (frames, N, K) of every frame, batched over frames x images (model in eval mode)."""
    model.eval()
    batch_size = batch_size or eval_batch_size(seq.device)
    flat = seq.flatten(0, 1)
    out = torch.cat([model(flat[i:i + batch_size]).float().cpu()
                     for i in range(0, len(flat), batch_size)])
    return out.view(seq.shape[0], seq.shape[1], -1)


def _pairs(t: torch.Tensor, noise_like: bool) -> tuple[torch.Tensor, torch.Tensor]:
    if t.shape[0] < 2:
        raise ValueError("Need at least 2 frames.")
    first = t[:1].expand_as(t[1:]) if noise_like else t[:-1]
    return first, t[1:]


def flip_probability(logits: torch.Tensor, noise_like: bool = False) -> float:
    """Fraction of frame pairs whose top-1 prediction differs (consecutive, or vs the clean frame)."""
    a, b = _pairs(logits.argmax(-1), noise_like)
    return (a != b).float().mean().item()


def top5_distance(logits: torch.Tensor, noise_like: bool = False) -> float:
    """Mean top-5 ranking distance between frame pairs (0 = same top-5, same order)."""
    if logits.shape[-1] < 5:
        raise ValueError(f"top-5 distance needs >= 5 classes, got {logits.shape[-1]}.")
    a, b = _pairs(logits, noise_like)
    rank_a = a.argsort(-1, descending=True)[..., :5]  # classes ranked 1..5 in frame a
    pos_b = b.argsort(-1, descending=True).argsort(-1)  # rank (0-based) of every class in frame b
    sigma = pos_b.gather(-1, rank_a)  # rank in frame b of the class ranked i in frame a
    i = torch.arange(5)
    return (i - sigma.clamp(max=5)).abs().sum(-1).float().mean().item()


def stability_report(models: Mapping[str, nn.Module], x: torch.Tensor,
                     kinds: Iterable[str] = SEQUENCES, frames: int = 6,
                     seed: int = 0) -> dict[str, dict[str, dict[str, float]]]:
    """``{model: {kind: {"fp": ..., "t5d": ...}}}``; each sequence is made once for all models."""
    out: dict[str, dict[str, dict[str, float]]] = {k: {} for k in models}
    for j, kind in enumerate(kinds):
        seq = perturbation_sequence(x, kind, frames, generator=torch.Generator().manual_seed(seed + j))
        for name, m in models.items():
            z = sequence_logits(m, seq)
            noise = kind in NOISE_LIKE
            out[name][kind] = {"fp": flip_probability(z, noise), "t5d": top5_distance(z, noise)}
    return out


def mean_rate(report: Mapping[str, Mapping[str, float]], baseline: Mapping[str, Mapping[str, float]],
              key: str = "fp") -> dict[str, float]:
    """FR (key "fp") or T5D ratio (key "t5d") per perturbation vs the baseline, and their mean
    (``"mean"``: mFR or mT5D; 1.0 = as unstable as the baseline)."""
    rates = {}
    for kind, r in report.items():
        den = baseline[kind][key]
        if den <= 0:
            raise ValueError(f"The baseline never changes on {kind!r} ({key} = 0): the ratio is "
                             "undefined; use more frames, a larger step or more images.")
        rates[kind] = r[key] / den
    rates["mean"] = float(np.mean(list(rates.values())))
    return rates


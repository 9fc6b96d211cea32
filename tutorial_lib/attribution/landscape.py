"""Loss landscapes along filter-normalised random directions (Li et al. 2018).

The weights are moved to ``theta + a * d1 (+ b * d2)`` with ``torch.func.functional_call`` (the
model itself is never modified) and the mean cross-entropy is measured on fixed data.

BatchNorm: by default the model is evaluated in **eval mode**, so BatchNorm uses its stored running
statistics (the function the model actually computes at test time). ``bn_mode="batch"`` evaluates
a copy in train mode (BatchNorm normalises with each batch's own statistics, as Li et al.'s plots
effectively do); curvature can differ several-fold between the two, so always say which one.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

from tutorial_lib.core.config import pick_knobs

# Lesson knobs per profile: images, 1-D points / range / directions, 2-D grid side. n_dirs: random
# directions per model; their spread is the verdict's uncertainty, so not fewer than 6 for a result.
KNOBS = {
    "quick": {"n_images": 48, "alphas_1d": 13, "span": 1.0, "n_dirs": 6, "grid_2d": 7,
              "fit_span": 0.34},
    "full": {"n_images": 128, "alphas_1d": 21, "span": 1.0, "n_dirs": 6, "grid_2d": 11,
             "fit_span": 0.3},
    "smoke": {"n_images": 4, "alphas_1d": 5, "n_dirs": 2, "grid_2d": 3, "fit_span": 0.5},  # FRFM_SMOKE=1
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def filter_normalized_direction(model: nn.Module, generator: torch.Generator | None = None,
                                ignore_1d: bool = True) -> dict[str, torch.Tensor]:
    """A Gaussian random direction in weight space, rescaled filter by filter (each slice along
    dim 0 of every weight tensor) to the norm of the matching filter of the model's weights.
    1-D parameters (biases, norm scales) get a zero direction when ``ignore_1d`` (as Li et al.)."""
    direction = {}
    for name, p in model.named_parameters():
        d = torch.randn(p.shape, generator=generator).to(p)
        if p.dim() <= 1:
            d = torch.zeros_like(p) if ignore_1d else d * p.norm() / d.norm().clamp_min(1e-12)
        else:
            w_norm = p.detach().flatten(1).norm(dim=1)
            d_norm = d.flatten(1).norm(dim=1).clamp_min(1e-12)
            d = d * (w_norm / d_norm).view(-1, *[1] * (p.dim() - 1))
        direction[name] = d
    return direction


def _prepare(model: nn.Module, bn_mode: str) -> nn.Module:
    if bn_mode == "eval":
        return model.eval()
    if bn_mode == "batch":
        m = copy.deepcopy(model).eval()
        for mod in m.modules():
            if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                mod.train()
        return m
    raise ValueError(f"bn_mode must be 'eval' (running statistics) or 'batch' (each batch's own "
                     f"statistics); got {bn_mode!r}.")


@torch.no_grad()
def _loss_at(model: nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor,
             y: torch.Tensor, batch_size: int) -> float:
    total = 0.0
    for i in range(0, len(x), batch_size):
        logits = functional_call(model, params, (x[i:i + batch_size],))
        total += F.cross_entropy(logits, y[i:i + batch_size], reduction="sum").item()
    return total / len(x)


def loss_surface(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                 directions: list[dict[str, torch.Tensor]], coords: torch.Tensor,
                 bn_mode: str = "eval", batch_size: int = 512) -> torch.Tensor:
    """Mean cross-entropy at ``theta + sum_k coords[m, k] * directions[k]`` for every row ``m`` of
    ``coords`` (M, K). Returns (M,). Buffers (BatchNorm running statistics) are left as they are."""
    m = _prepare(model, bn_mode)
    base = {k: v.detach() for k, v in m.named_parameters()}
    coords = torch.as_tensor(coords, dtype=torch.float32).reshape(len(coords), -1)
    if coords.shape[1] != len(directions):
        raise ValueError(f"coords have {coords.shape[1]} columns for {len(directions)} directions.")
    out = []
    for row in coords:
        params = {k: v + sum(float(c) * d[k] for c, d in zip(row, directions))
                  for k, v in base.items()}
        out.append(_loss_at(m, params, x, y, batch_size))
    return torch.tensor(out)


def landscape_1d(model: nn.Module, x: torch.Tensor, y: torch.Tensor, alphas: torch.Tensor,
                 n_dirs: int = 1, seed: int = 0, bn_mode: str = "eval") -> torch.Tensor:
    """(n_dirs, len(alphas)) loss along ``n_dirs`` independent filter-normalised directions."""
    gen = torch.Generator().manual_seed(seed)
    alphas = torch.as_tensor(alphas, dtype=torch.float32)
    return torch.stack([loss_surface(model, x, y, [filter_normalized_direction(model, gen)],
                                     alphas[:, None], bn_mode) for _ in range(n_dirs)])


def landscape_2d(model: nn.Module, x: torch.Tensor, y: torch.Tensor, alphas: torch.Tensor,
                 seed: int = 0, bn_mode: str = "eval") -> torch.Tensor:
    """(len(alphas), len(alphas)) loss on the plane of two filter-normalised directions;
    entry [i, j] is at ``alphas[i] * d1 + alphas[j] * d2``."""
    gen = torch.Generator().manual_seed(seed)
    dirs = [filter_normalized_direction(model, gen), filter_normalized_direction(model, gen)]
    a = torch.as_tensor(alphas, dtype=torch.float32)
    grid = torch.stack(torch.meshgrid(a, a, indexing="ij"), -1).reshape(-1, 2)
    return loss_surface(model, x, y, dirs, grid, bn_mode).reshape(len(a), len(a))


def sharpness(alphas: torch.Tensor, losses: torch.Tensor, span: float = 0.25) -> float:
    """Curvature of a 1-D landscape: the quadratic coefficient ``c2`` of a least-squares fit
    ``loss ~ c0 + c1 a + c2 a^2`` over ``|a| <= span``, averaged over the rows of ``losses``."""
    a = torch.as_tensor(alphas, dtype=torch.float64)
    sel = a.abs() <= span + 1e-9
    if sel.sum() < 3:
        raise ValueError(f"need at least 3 points with |alpha| <= {span} to fit a parabola.")
    design = torch.stack([torch.ones_like(a[sel]), a[sel], a[sel] ** 2], 1)
    rows = torch.as_tensor(losses, dtype=torch.float64).reshape(-1, len(a))[:, sel]
    coef = torch.linalg.lstsq(design, rows.T).solution  # (3, rows)
    return coef[2].mean().item()

"""Reference solutions of the evaluation notebooks' exercises (the checkers fall back to these)."""

from __future__ import annotations

import torch
from torch import nn

from tutorial_lib.core import attacks
from tutorial_lib.evaluation.drocc import project_annulus  # noqa: F401  (13: the library is the reference)


def challenge_accuracy(correct: torch.Tensor) -> float:
    """Backgrounds challenge: ``correct`` is (backgrounds, images) 0/1; an image counts only if
    it is right on every background (the worst case over backgrounds)."""
    return float(torch.as_tensor(correct).bool().all(0).float().mean())


def pgd_linf(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int,
             alpha: float) -> torch.Tensor:
    """Notebook 01 §4: L-inf PGD from the clean image (no random start), step ``alpha``: the
    library's ``attacks.pgd`` with ``random_start=False``."""
    return attacks.pgd(model, x, y, eps, steps=steps, step_size=alpha, random_start=False)


def shift(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Notebook 01: move every image right by ``dx`` and down by ``dy`` whole pixels, filling
    with 0 (negative values move left / up)."""
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def flip_probability(preds: torch.Tensor, noise_like: bool) -> float:
    """Notebook 01: fraction of frame pairs whose label changes, ``preds`` (frames, N) labels;
    consecutive pairs, or each frame against frame 0 when ``noise_like``."""
    first = preds[:1].expand_as(preds[1:]) if noise_like else preds[:-1]
    return (first != preds[1:]).float().mean().item()


def auroc(in_scores: torch.Tensor, ood_scores: torch.Tensor) -> float:
    """Notebook 01: P(a random OOD image scores lower than a random in-distribution one), ties
    counting one half, from all pairs."""
    diff = torch.as_tensor(in_scores)[:, None] - torch.as_tensor(ood_scores)[None, :]
    return ((diff > 0).float() + 0.5 * (diff == 0).float()).mean().item()

"""Reference solutions of notebook 16's exercises (the checker falls back to these)."""

from __future__ import annotations

import torch


def bag_interval(fixed: torch.Tensor, weights: torch.Tensor, options: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Box hull of a bag vector ``fixed + sum_s weights[s] * options[s, choice_s]`` over every
    choice: ``fixed`` (d,), ``weights`` (S,) >= 0, ``options`` (S, M, d). Returns ``(lo, hi)``."""
    w = weights[:, None]
    return fixed + (w * options.min(1).values).sum(0), fixed + (w * options.max(1).values).sum(0)


def margin_lower_bound(lo: torch.Tensor, hi: torch.Tensor, w_diff: torch.Tensor, b_diff: float) -> float:
    """The exact minimum of ``w_diff @ h + b_diff`` over the box ``lo <= h <= hi``."""
    return float((w_diff.clamp(min=0) * lo + w_diff.clamp(max=0) * hi).sum() + b_diff)

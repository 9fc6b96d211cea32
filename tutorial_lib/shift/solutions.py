"""Reference solutions of notebook 12's exercises (the checker falls back to these)."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def jtt_upweight(error_set: torch.Tensor, lam_up: float) -> torch.Tensor:
    """JTT's second stage: loss weight ``lam_up`` for each example in the error set, 1 for the
    rest (float tensor, same length as ``error_set``)."""
    return 1.0 + (lam_up - 1.0) * error_set.float()


def width_where_reweighting_hurts(widths: Sequence[int], worst_reweight: Sequence[float],
                                  worst_subsample: Sequence[float]) -> int | None:
    """The smallest width from which on (at it and every larger width) reweighting's worst-group
    error is above subsampling's; ``None`` if reweighting is not worse at the largest width."""
    found = None
    for w, r, s in reversed(list(zip(widths, worst_reweight, worst_subsample))):
        if r > s:
            found = int(w)
        else:
            break
    return found

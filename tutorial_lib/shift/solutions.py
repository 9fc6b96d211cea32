"""Reference solutions of the shift part's exercises, notebooks 06, 07, 08 and 12 (the checker
falls back to these). Where the answer is a library function, it is imported here under its name."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from tutorial_lib.shift.gaussian_model import robust_error, self_training  # noqa: F401  (08)
from tutorial_lib.shift import line
from tutorial_lib.shift.simplicity import slab_centres, slab_labels


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


# ------------------------------------------------------------------------------- notebook 06
def slab_rule(v: torch.Tensor, k: int = 5) -> torch.Tensor:
    """The Bayes-optimal rule of one slab coordinate: the label of the nearest slab centre."""
    return slab_labels(k)[(v[:, None] - slab_centres(k)).abs().argmin(1)]


def smallest_breaking_shift(accs: Sequence[float], sizes: Sequence[float],
                            target: float) -> float | None:
    """The smallest shift size whose accuracy is below ``target`` (``None`` if none is)."""
    return next((float(s) for a, s in zip(accs, sizes) if a < target), None)


# ------------------------------------------------------------------------------- notebook 07
def probit_fit(acc_id: np.ndarray, acc_ood: np.ndarray, n: int = 397) -> tuple[float, float, float]:
    """Least-squares line through (Φ⁻¹(ID), Φ⁻¹(OOD)) accuracies clipped to [0.5/n, 1 - 0.5/n]:
    (slope, intercept, R²)."""
    fit = line.fit_line(acc_id, acc_ood, n=n)
    return fit.slope, fit.intercept, fit.r2


def effective_robustness(slope: float, intercept: float, acc_id: np.ndarray,
                         acc_ood: np.ndarray) -> np.ndarray:
    """OOD accuracy minus the line's prediction Φ(slope·Φ⁻¹(ID) + intercept)."""
    return line.effective_robustness(line.LineFit(slope, intercept, 1.0, 3), acc_id, acc_ood)


# ------------------------------------------------------------------------------- notebook 08
def labels_needed(sweep_n: Sequence[int], sweep_err: Sequence[float], target: float) -> int | None:
    """The smallest number of labels in a sweep whose robust error is at or below ``target``."""
    return next((int(n) for n, e in zip(sweep_n, sweep_err) if e <= target), None)

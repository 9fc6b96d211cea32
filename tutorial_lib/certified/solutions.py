"""Reference solutions for the exercises of notebooks 05 (randomized smoothing) and 10 (the
certification ladder); the notebooks' checkers fall back to these."""

from __future__ import annotations

import torch
from scipy.stats import beta, norm


def clopper_pearson_lower(n_a: int, n: int, alpha: float) -> float:
    """Notebook 05: the one-sided (1 - alpha) Clopper-Pearson lower bound on pA from ``n_a`` votes
    out of ``n``: the alpha-quantile of Beta(nA, n - nA + 1), and 0 when nA = 0."""
    return float(beta.ppf(alpha, n_a, n - n_a + 1)) if n_a > 0 else 0.0


def radius_ceiling(sigma: float, n: int, alpha: float) -> float:
    """Notebook 05: R_max = sigma * Phi^-1(alpha^(1/n)), the radius of a unanimous vote (all n
    noisy copies agree), the largest radius CERTIFY can return with n samples."""
    return float(sigma * norm.ppf(alpha ** (1.0 / n)))


def interval_linear_layer(l: torch.Tensor, u: torch.Tensor, w: torch.Tensor, b: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    """IBP through one ``Linear`` layer: the box [l, u] (B, in) maps to the box around
    ``W mid + b`` with half-width ``|W| rad``."""
    mid, rad = (u + l) / 2, (u - l) / 2
    centre, spread = mid @ w.T + b, rad @ w.abs().T
    return centre - spread, centre + spread


def two_neuron_sdp_matrix(w: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """M(v, W) of Raghunathan et al. 2018a for a net with 2 inputs and 2 hidden units, on
    ``[1; t1; t2; beta1; beta2]``: row 0 holds ``W^T v`` against t, the (t, beta) block holds
    ``W^T diag(v)``, mirrored so that M is symmetric."""
    m = torch.zeros(5, 5, dtype=w.dtype)
    m[0, 1:3] = w.T @ v
    m[1:3, 3:5] = w.T * v
    return m + m.T

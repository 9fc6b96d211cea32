"""Reference solutions for the exercises of notebook 10 (the certification ladder)."""

from __future__ import annotations

import torch


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

"""Reference solutions of notebook 09's exercises (the checker falls back to these)."""

from __future__ import annotations

import torch

from tutorial_lib.transfer.linear_toy import linear_probe  # noqa: F401  (exercise 1: LP itself)


def split_change(B0: torch.Tensor, B: torch.Tensor, S: torch.Tensor) -> tuple[float, float]:
    """Exercise 2: norm of the feature change inside the ID subspace, ‖(B - B0) S Sᵀ‖_F, and
    outside it, ‖(B - B0)(I - S Sᵀ)‖_F."""
    diff = B - B0
    inside = diff @ S @ S.T
    return float(inside.norm()), float((diff - inside).norm())

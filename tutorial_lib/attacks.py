"""Adversarial attacks on models that take [0, 1] images (reference versions, batched)."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def input_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Gradient of the mean cross-entropy w.r.t. the input, model parameters untouched."""
    x = x.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """Fast Gradient Sign Method (Goodfellow et al. 2015): x + eps * sign(grad), clamped to [0, 1]."""
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}.")
    model.eval()
    return (x + eps * input_gradient(model, x, y).sign()).clamp(0, 1).detach()

"""Adversarial attacks on models that take [0, 1] images (reference versions, batched)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


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


def _project(delta: torch.Tensor, eps: float, norm: str) -> torch.Tensor:
    if norm == "linf":
        return delta.clamp(-eps, eps)
    flat = delta.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *[1] * (delta.dim() - 1))
    return delta * (eps / flat).clamp(max=1.0)


def pgd(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int = 10,
        step_size: float | None = None, norm: str = "linf", random_start: bool = True,
        generator: torch.Generator | None = None) -> torch.Tensor:
    """Projected gradient descent (Madry et al. 2018), L-inf or L2, batched.

    Returns adversarial images in [0, 1] with ||x_adv - x|| <= eps. The model is put in eval mode
    and its parameters' gradients are left untouched. Default step size: 2.5 * eps / steps.
    """
    if norm not in {"linf", "l2"}:
        raise ValueError(f"norm must be 'linf' or 'l2', got {norm!r}.")
    if eps < 0 or steps < 0:
        raise ValueError(f"eps and steps must be >= 0, got eps={eps}, steps={steps}.")
    model.eval()
    alpha = step_size if step_size is not None else 2.5 * eps / max(1, steps)
    x = x.detach()
    delta = torch.zeros_like(x)
    if random_start and eps > 0:
        noise = torch.rand(x.shape, generator=generator).to(x.device) * 2 - 1
        delta = _project(noise * eps, eps, norm)
    delta = ((x + delta).clamp(0, 1) - x)
    for _ in range(steps):
        g = input_gradient(model, x + delta, y)
        if norm == "linf":
            step = g.sign()
        else:
            step = g / g.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *[1] * (x.dim() - 1))
        delta = _project(delta + alpha * step, eps, norm)
        delta = (x + delta).clamp(0, 1) - x
    return (x + delta).detach()


def fgsm_targeted(model: nn.Module, x: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Targeted FGSM: step *down* the loss of the ``target`` class, x - eps * sign(grad)."""
    model.eval()
    return (x - eps * input_gradient(model, x, target).sign()).clamp(0, 1).detach()


def perturbation_norms(x: torch.Tensor, x_adv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image L-inf and L2 norms of ``x_adv - x`` (the sizes an attack budget ε bounds)."""
    d = (x_adv - x).flatten(1)
    return d.abs().amax(1), d.norm(dim=1)

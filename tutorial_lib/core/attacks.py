"""Adversarial attacks on models that take [0, 1] images (reference versions, batched)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core.device import eval_batch_size


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


def robust_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps_values: Sequence[float],
                    norm: str = "linf", steps: int = 10, batch_size: int | None = None, seed: int = 0,
                    return_adv: bool = False) -> list[float] | tuple[list[float], list[torch.Tensor]]:
    """Accuracy under PGD (``steps`` steps, default step size, random start) at each budget.

    ``eps`` = 0 gives the clean accuracy. Budgets are visited in increasing order and only the
    images that survived the previous (smaller) budget are attacked again: an adversarial example
    found within a smaller ball is also one within a larger ball, so this changes no conclusion and
    makes the curve monotone and cheap. Images the model gets wrong clean are never attacked.
    The random start of every budget is seeded with ``seed``. With ``return_adv`` also returns, per
    budget (in the order given), the adversarial images (clean ones where none was needed).
    """
    if norm not in {"linf", "l2"}:
        raise ValueError(f"norm must be 'linf' or 'l2', got {norm!r}.")
    if any(e < 0 for e in eps_values):
        raise ValueError(f"eps values must be >= 0, got {list(eps_values)}.")
    batch_size = batch_size or eval_batch_size(x.device)
    model.eval()
    with torch.no_grad():
        still = torch.cat([model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]
                           for i in range(0, len(x), batch_size)])
    adv = x.detach().clone()
    accs: dict[int, float] = {}
    advs: dict[int, torch.Tensor] = {}
    for k in sorted(range(len(eps_values)), key=lambda i: eps_values[i]):
        eps = eps_values[k]
        idx = still.nonzero().flatten()
        gen = torch.Generator().manual_seed(seed)
        for i in range(0, len(idx), batch_size) if eps > 0 else ():
            j = idx[i:i + batch_size]
            cand = pgd(model, x[j], y[j], eps, steps=steps, norm=norm, generator=gen)
            with torch.no_grad():
                ok = model(cand).argmax(1) == y[j]
            adv[j[~ok]] = cand[~ok]
            still[j] = ok
        accs[k] = still.float().mean().item()
        if return_adv:
            advs[k] = adv.clone()
    order = range(len(eps_values))
    return ([accs[k] for k in order], [advs[k] for k in order]) if return_adv \
        else [accs[k] for k in order]


def fgsm_targeted(model: nn.Module, x: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Targeted FGSM: step *down* the loss of the ``target`` class, x - eps * sign(grad)."""
    model.eval()
    return (x - eps * input_gradient(model, x, target).sign()).clamp(0, 1).detach()


def perturbation_norms(x: torch.Tensor, x_adv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image L-inf and L2 norms of ``x_adv - x`` (the sizes an attack budget ε bounds)."""
    d = (x_adv - x).flatten(1)
    return d.abs().amax(1), d.norm(dim=1)

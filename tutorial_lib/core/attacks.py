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


# ----------------------------------------------------------------------------- attack hygiene
@torch.no_grad()
def correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
            batch_size: int | None = None) -> torch.Tensor:
    """Per-image correctness (bool, shape (N,)) of ``model`` on (x, y), batched in eval mode: the
    per-item values a paired bootstrap (``core.verdict.paired_bootstrap``) resamples."""
    model.eval()
    batch_size = batch_size or eval_batch_size(x.device)
    return torch.cat([model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]
                      for i in range(0, len(x), batch_size)])


def attack_checks(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps_values: Sequence[float],
                  surrogate: nn.Module | None = None, norm: str = "linf",
                  steps: tuple[int, int] = (10, 20), big_eps: float | None = None, seed: int = 0,
                  tol: float = 0.02, precomputed: dict[str, list[torch.Tensor]] | None = None) -> dict:
    """Automatic sanity checks for a robust-accuracy curve (Carlini et al. 2019, "On Evaluating
    Adversarial Robustness"), and the worst case over the kit's attacks.

    Runs FGSM (L-inf only), PGD with ``steps[0]`` and ``steps[1]`` steps and, with a
    ``surrogate``, a transfer (black-box) PGD from it, at every ``eps`` in ``eps_values``. Checks:
    ``more_steps``: PGD with more steps never leaves more than ``tol`` higher accuracy;
    ``eps_to_zero``: at ``big_eps`` (default: 1.0 for L-inf, the image's L2 diameter for L2) PGD
    leaves accuracy <= ``tol``; ``transfer_weaker``: the transfer attack leaves accuracy >= the
    white-box one minus ``tol``. ``worst`` is, per ε, the accuracy when an image counts as robust
    only if it survives *every* attack: the number to report. Returns a dict with per-attack
    accuracies (``acc``), per-image worst-case correctness (``worst_correct``, (len(eps), N)), the
    check results (``checks``: name -> bool) and ``passed``. ``precomputed`` maps an attack's name
    (``"PGD-10"``, ``"transfer PGD"``, ...) to adversarial images already made for every ε (e.g.
    by ``robust_accuracy(..., return_adv=True)``), so that attack is not run again.
    """
    eps_values = list(eps_values)
    big_eps = big_eps if big_eps is not None else (1.0 if norm == "linf" else float(x[0].numel()) ** 0.5)
    pre = dict(precomputed or {})
    ok: dict[str, list[torch.Tensor]] = {k: [correct(model, a, y) for a in v] for k, v in pre.items()}
    for s in steps:
        if f"PGD-{s}" not in ok:
            _, advs = robust_accuracy(model, x, y, eps_values, norm=norm, steps=s, seed=seed,
                                      return_adv=True)
            ok[f"PGD-{s}"] = [correct(model, a, y) for a in advs]
    if norm == "linf":
        bs = eval_batch_size(x.device)
        ok["FGSM"] = [correct(model, torch.cat([fgsm(model, x[i:i + bs], y[i:i + bs], e)
                                                for i in range(0, len(x), bs)]), y)
                      for e in eps_values]
    if surrogate is not None and "transfer PGD" not in ok:
        _, advs = robust_accuracy(surrogate, x, y, eps_values, norm=norm, steps=max(steps),
                                  seed=seed, return_adv=True)
        ok["transfer PGD"] = [correct(model, a, y) for a in advs]
    acc = {k: [v.float().mean().item() for v in vals] for k, vals in ok.items()}
    worst = torch.stack([torch.stack([ok[k][i] for k in ok]).all(0) for i in range(len(eps_values))])
    acc["worst case"] = worst.float().mean(1).tolist()
    few, many = f"PGD-{min(steps)}", f"PGD-{max(steps)}"
    big = robust_accuracy(model, x, y, [big_eps], norm=norm, steps=max(steps), seed=seed)[0]
    checks = {"more_steps": all(b <= a + tol for a, b in zip(acc[few], acc[many])),
              "eps_to_zero": big <= tol}
    if "transfer PGD" in ok:
        white = [min(a, b) for a, b in zip(acc[few], acc[many])]
        checks["transfer_weaker"] = all(t >= w - tol for t, w in zip(acc["transfer PGD"], white))
    return {"eps": eps_values, "acc": acc, "worst_correct": worst, "big_eps": big_eps,
            "acc_at_big_eps": big, "checks": checks, "passed": all(checks.values())}


def format_checks(report: dict) -> str:
    """One line per check and the per-attack accuracies, for printing in a notebook."""
    lines = [f"{'PASS' if v else 'FAIL'}  {k}" for k, v in report["checks"].items()]
    lines.append(f"      (accuracy at ε = {report['big_eps']:.3g}: {report['acc_at_big_eps']:.1%})")
    lines += [f"{k:>13}: " + "  ".join(f"{a:.1%}" for a in accs) for k, accs in report["acc"].items()]
    return "\n".join(lines)


def pgd_loss_curve(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int = 20,
                   norm: str = "linf", seed: int = 0) -> torch.Tensor:
    """Mean cross-entropy of the PGD iterate after each step (index 0: the random start), the
    attack-loss curve robustness-vit plots: still rising at the last step means the attack needed
    more steps; flat means it converged. Same iterates as :func:`pgd` (default step size, random
    start from a generator seeded with ``seed``). Returns a (steps + 1,) tensor."""
    model.eval()
    alpha = 2.5 * eps / max(1, steps)
    x = x.detach()
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed)).to(x.device) * 2 - 1
    delta = (x + _project(noise * eps, eps, norm)).clamp(0, 1) - x
    losses = []
    for _ in range(steps + 1):
        xa = (x + delta).detach().requires_grad_(True)
        loss = F.cross_entropy(model(xa), y)
        losses.append(loss.item())
        (g,) = torch.autograd.grad(loss, xa)
        step = g.sign() if norm == "linf" else \
            g / g.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *[1] * (x.dim() - 1))
        delta = _project(delta + alpha * step, eps, norm)
        delta = ((x + delta).clamp(0, 1) - x).detach()
    return torch.tensor(losses)

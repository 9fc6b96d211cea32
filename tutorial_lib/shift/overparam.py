"""Why overparameterisation hurts the minority (Sagawa, Raghunathan, Koh & Liang, ICML 2020).

The paper's own synthetic toy, written afresh from its description: a label ``y`` and a spurious
attribute ``a`` (both ±1, four groups ``(y, a)``); ``d_core`` "core" coordinates centred at
``y·mu`` with large variance and ``d_spu`` spurious coordinates centred at ``a·mu`` with small
variance (the spurious feature has the higher signal-to-noise ratio). In training a fraction
``p_maj`` of each class sits in its majority group ``a = y``; the test set is balanced.

Models are random-ReLU-feature logistic regressions ``sign(w · relu(W x))`` of growing width
``N`` (``W`` fixed Gaussian, only ``w`` trained, to (near) zero training loss). Two ways to care
about the minority groups: **reweighting** (each example weighted by ``1 / its group size``) and
**subsampling** (drop majority examples until the groups are equal). The paper's finding: with
reweighting, worst-group error *grows* with width once the model can memorise the minority;
with subsampling it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from tutorial_lib.shift.groups import group_errors, group_weights, subsample_index

KNOBS = {
    "quick": {"n_train": 1000, "n_test": 2000, "d_core": 100, "d_spu": 100, "mu": 1.0,
              "var_core": 100.0, "var_spu": 1.0, "p_maj": 0.9, "widths": (10, 30, 100, 300, 1000, 3000, 10000),
              "seeds": 3, "lam": 1e-6, "max_iter": 300},
    "full": {"n_train": 3000, "n_test": 4000, "d_core": 100, "d_spu": 100, "mu": 1.0,
             "var_core": 100.0, "var_spu": 1.0, "p_maj": 0.9,
             "widths": (10, 30, 100, 300, 1000, 3000, 10000), "seeds": 10, "lam": 1e-6, "max_iter": 1000},
    # FRFM_SMOKE=1: the same code paths on a few widths and seeds (numbers mean nothing)
    "smoke": {"n_train": 200, "n_test": 200, "widths": (10, 100, 1000), "seeds": 2, "max_iter": 50},
}


def knobs(profile: str | None = None) -> dict:
    """The sweep's knobs for ``profile`` (default: the active ``FRFM_PROFILE``)."""
    from tutorial_lib.core.config import pick_knobs  # KNOBS["smoke"] laid over under FRFM_SMOKE=1

    return pick_knobs(KNOBS, profile)


@dataclass(frozen=True)
class GroupData:
    """Inputs ``x`` (N, d), labels ``y`` in {0, 1}, groups ``g = 2*y + a`` in {0..3}."""

    x: torch.Tensor
    y: torch.Tensor
    g: torch.Tensor

    @property
    def a(self) -> torch.Tensor:
        return self.g % 2


def group_sizes(n: int, p_maj: float, train: bool) -> list[int]:
    """Examples per group ``(y, a)`` in the order (0,0), (0,1), (1,0), (1,1)."""
    if not 0.5 <= p_maj < 1:
        raise ValueError(f"p_maj must lie in [0.5, 1), got {p_maj}.")
    if not train:
        return [n // 4] * 4
    maj, mino = round(n / 2 * p_maj), round(n / 2 * (1 - p_maj))
    return [maj, mino, mino, maj]


def make_toy(n: int, p_maj: float, d_core: int = 100, d_spu: int = 100, mu: float = 1.0,
             var_core: float = 100.0, var_spu: float = 1.0, train: bool = True,
             seed: int = 0) -> GroupData:
    """Sample the paper's toy (see the module docstring)."""
    gen = torch.Generator().manual_seed(seed)
    sizes = group_sizes(n, p_maj, train)
    g = torch.cat([torch.full((m,), k) for k, m in enumerate(sizes)])
    y, a = g // 2, g % 2
    sy, sa = (2 * y - 1).float()[:, None], (2 * a - 1).float()[:, None]
    core = mu * sy + var_core ** 0.5 * torch.randn(len(g), d_core, generator=gen)
    spu = mu * sa + var_spu ** 0.5 * torch.randn(len(g), d_spu, generator=gen)
    return GroupData(torch.cat([core, spu], 1), y, g)


def random_relu_features(x: torch.Tensor, width: int, seed: int = 0) -> torch.Tensor:
    """``relu(x Wᵀ)`` with a fixed ``W`` of i.i.d. ``N(0, 1/d)`` entries (seeded, on ``x``'s device)."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(x.shape[1], width, generator=gen).to(x.device) / x.shape[1] ** 0.5
    return torch.relu(x @ w)


def fit_logistic(feats: torch.Tensor, y: torch.Tensor, weights: torch.Tensor | None = None,
                 lam: float = 1e-6, max_iter: int = 300) -> torch.Tensor:
    """Weighted, (almost) unregularised logistic regression by L-BFGS on standardised features.
    Returns ``(w, b)`` packed as one vector of length ``d + 1`` (apply with :func:`predict`)."""
    weights = torch.ones(len(y), device=feats.device) if weights is None else weights
    theta = torch.zeros(feats.shape[1] + 1, device=feats.device, requires_grad=True)
    opt = torch.optim.LBFGS([theta], lr=1, max_iter=max_iter, history_size=20,
                            tolerance_grad=1e-9, tolerance_change=1e-12,
                            line_search_fn="strong_wolfe")
    target = y.float()

    def closure():
        opt.zero_grad()
        logits = feats @ theta[:-1] + theta[-1]
        loss = (weights * F.binary_cross_entropy_with_logits(logits, target, reduction="none")).mean()
        loss = loss + lam * theta[:-1].square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    return theta.detach()


def predict(theta: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
    """0/1 predictions of :func:`fit_logistic`'s model."""
    return (feats @ theta[:-1] + theta[-1] > 0).long()


def _standardise(train: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    mu, sd = train.mean(0), train.std(0).clamp_min(1e-6)
    return [(t - mu) / sd for t in (train, *others)]


def width_sweep(train: GroupData, test: GroupData, widths: tuple[int, ...], seed: int = 0,
                lam: float = 1e-6, max_iter: int = 300,
                methods: tuple[str, ...] = ("reweight", "subsample")) -> dict[str, np.ndarray]:
    """Worst-group and average test error of each method at each width (one feature seed).

    Returns ``{f"{method}/worst", f"{method}/avg", f"{method}/train_err"}`` arrays over widths."""
    out = {f"{m}/{k}": np.zeros(len(widths)) for m in methods for k in ("worst", "avg", "train_err")}
    sub = subsample_index(train.g, seed=seed)
    for i, width in enumerate(widths):
        ftr, fte = _standardise(random_relu_features(train.x, width, seed),
                                random_relu_features(test.x, width, seed))
        for m in methods:
            if m == "reweight":
                idx, w = torch.arange(len(train.y)), group_weights(train.g)
            elif m == "subsample":
                idx, w = sub, None
            elif m == "erm":
                idx, w = torch.arange(len(train.y)), None
            else:
                raise ValueError(f"unknown method {m!r}; use reweight, subsample or erm.")
            theta = fit_logistic(ftr[idx], train.y[idx], w, lam=lam, max_iter=max_iter)
            errs = group_errors(predict(theta, fte), test.y, test.g)
            out[f"{m}/worst"][i] = float(errs.max())
            out[f"{m}/avg"][i] = float((predict(theta, fte) != test.y).float().mean())
            out[f"{m}/train_err"][i] = float((predict(theta, ftr[idx]) != train.y[idx]).float().mean())
    return out

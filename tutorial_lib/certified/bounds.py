"""Linear bounds (CROWN; Zhang et al. 2018) and the exact LP they relax.

CROWN walks *backward* from a linear function of the output to the input. Each ReLU with
pre-activation bounds ``l < 0 < u`` is sandwiched between two lines,
``alpha z <= relu(z) <= u (z - l) / (u - l)``; a positive coefficient takes the lower line, a
negative one the upper line, so the result is a linear lower bound ``A x + a`` valid on the whole
box, whose minimum over the box is ``A mid - |A| rad + a``. Stable neurons (``l >= 0`` or ``u <= 0``)
are exact. Intermediate bounds come from the same backward pass run on each hidden layer.

With ``alpha`` optimised (alpha-CROWN) the bound of a one-hidden-layer net equals the LP with the
triangle relaxation (a min-max swap); :func:`lp_margin` solves that LP exactly with scipy.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .ibp import input_box, linear_layers, margin_spec

Bounds = list[tuple[torch.Tensor, torch.Tensor]]


def relu_lines(l: torch.Tensor, u: torch.Tensor, alpha: torch.Tensor | None = None):
    """Slopes and intercept of the ReLU relaxation on [l, u]: lower ``a z``, upper ``s z + t``.
    ``alpha`` (optional, in [0, 1]) replaces the adaptive lower slope ``1[u > -l]``; it may carry
    one slope per margin, shape (B, m, n)."""
    if alpha is not None and alpha.dim() == 3:
        l, u = l.unsqueeze(1), u.unsqueeze(1)
    s = torch.where(l >= 0, torch.ones_like(u), torch.where(u <= 0, torch.zeros_like(u),
                                                            u / (u - l).clamp_min(1e-12)))
    t = torch.where((l < 0) & (u > 0), -s * l, torch.zeros_like(u))
    a = (u > -l).to(u.dtype) if alpha is None else alpha
    a = torch.where(l >= 0, torch.ones_like(u), torch.where(u <= 0, torch.zeros_like(u), a))
    return a, s, t


def backward_bound(layers, pre: Bounds, k: int, c: torch.Tensor, d: torch.Tensor,
                   xl: torch.Tensor, xu: torch.Tensor, alphas=None) -> torch.Tensor:
    """Lower bound of ``c @ z_k + d`` over the input box, z_k the output of linear layer k (0-based).

    ``c`` is (B, m, n_k); ``pre[i]`` holds the bounds of hidden layer i (i < k).
    """
    lam, acc = c, d
    for i in range(k, -1, -1):
        w, b = layers[i]
        acc = acc + lam @ b
        lam = lam @ w  # coefficients on the previous activation (or the input)
        if i == 0:
            break
        lines = relu_lines(*pre[i - 1], None if alphas is None else alphas[i - 1])
        a, s, t = (v.unsqueeze(1) if v.dim() == 2 else v for v in lines)
        pos, neg = lam.clamp_min(0), lam.clamp_max(0)
        acc = acc + (neg * t).sum(-1)
        lam = pos * a + neg * s
    mid, rad = ((xu + xl) / 2).unsqueeze(-1), ((xu - xl) / 2).unsqueeze(-1)
    return acc + (lam @ mid).squeeze(-1) - (lam.abs() @ rad).squeeze(-1)


def crown_bounds(layers, xl: torch.Tensor, xu: torch.Tensor) -> Bounds:
    """CROWN pre-activation bounds of every hidden layer, computed layer by layer."""
    pre: Bounds = []
    for k in range(len(layers) - 1):
        n = layers[k][0].shape[0]
        eye = torch.eye(n, dtype=xl.dtype, device=xl.device).expand(xl.shape[0], n, n)
        zero = torch.zeros(xl.shape[0], n, dtype=xl.dtype, device=xl.device)
        low = backward_bound(layers, pre, k, eye, zero, xl, xu)
        high = -backward_bound(layers, pre, k, -eye, zero, xl, xu)
        pre.append((low, high))
    return pre


def crown_margins(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
                  alpha_steps: int = 0, lr: float = 0.1) -> torch.Tensor:
    """CROWN lower bounds of the margins ``f_y - f_j`` (B, K-1) on the eps-ball.

    ``alpha_steps > 0`` optimises the lower ReLU slopes of the last hidden layer by projected
    gradient ascent (alpha-CROWN on the output; every alpha in [0, 1] gives a sound bound).
    """
    layers = linear_layers(model)
    xl, xu = input_box(x, eps)
    with torch.no_grad():
        pre = crown_bounds(layers, xl, xu)
        k = layers[-1][0].shape[0]
        c, d = margin_spec(torch.eye(k, dtype=xl.dtype, device=xl.device),
                           torch.zeros(k, dtype=xl.dtype, device=xl.device), y)  # on logits
        k = len(layers) - 1
        best = backward_bound(layers, pre, k, c, d, xl, xu)
    if alpha_steps and pre:
        layers = [(w.detach(), b.detach()) for w, b in layers]
        l, u = pre[-1]
        alpha = ((u > -l).to(u.dtype)).unsqueeze(1).repeat(1, c.shape[1], 1).requires_grad_(True)
        opt = torch.optim.Adam([alpha], lr=lr)
        for _ in range(alpha_steps):
            al = [None] * (len(pre) - 1) + [alpha]
            bound = backward_bound(layers, pre, k, c, d, xl, xu, al)
            opt.zero_grad()
            (-bound.sum()).backward()
            opt.step()
            with torch.no_grad():
                alpha.clamp_(0, 1)
                best = torch.maximum(best, bound.detach())
    return best


def lp_margin(layers, xl: np.ndarray, xu: np.ndarray, pre: Bounds, c: np.ndarray, d: float) -> float:
    """Exact minimum of ``c @ h + d`` (h the last hidden layer) under the triangle LP relaxation
    of a one-hidden-layer net on one box (scipy ``linprog``, HiGHS). Variables: x then h."""
    from scipy.optimize import linprog

    if len(layers) != 2:
        raise ValueError("lp_margin is written for one-hidden-layer nets (two Linear layers).")
    w, b = (t.detach().double().cpu().numpy() for t in layers[0])
    l, u = (t.detach().double().cpu().numpy() for t in pre[0])
    n_in, n_h = w.shape[1], w.shape[0]
    rows, rhs = [], []
    for j in range(n_h):  # h_j >= w_j x + b_j  ->  w_j x - h_j <= -b_j
        rows.append(np.r_[w[j], -np.eye(n_h)[j]]); rhs.append(-b[j])
        if l[j] < 0 < u[j]:  # h_j <= s (w_j x + b_j - l_j)
            s = u[j] / (u[j] - l[j])
            rows.append(np.r_[-s * w[j], np.eye(n_h)[j]]); rhs.append(s * (b[j] - l[j]))
    h_lo = np.where(l >= 0, l, 0.0)
    h_hi = np.maximum(u, 0.0)
    for j in np.where(u <= 0)[0]:
        h_hi[j] = 0.0
    eq_a, eq_b = [], []
    for j in np.where(l >= 0)[0]:  # stable active: h_j = w_j x + b_j
        eq_a.append(np.r_[w[j], -np.eye(n_h)[j]]); eq_b.append(-b[j])
    res = linprog(np.r_[np.zeros(n_in), c], A_ub=np.array(rows), b_ub=np.array(rhs),
                  A_eq=np.array(eq_a) if eq_a else None, b_eq=np.array(eq_b) if eq_b else None,
                  bounds=list(zip(xl, xu)) + list(zip(h_lo, h_hi)), method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog failed: {res.message}")
    return float(res.fun + d)

"""Semidefinite certificates for ReLU nets: Raghunathan et al. 2018a/b and Dathathri et al. 2020.

**SDP relaxation (Raghunathan, Steinhardt & Liang, NeurIPS 2018b).** Stack the input and every
hidden activation into ``v = [1; x; h_1; ...]`` and relax ``P = v v^T`` to ``P >= 0`` (PSD), ``P_00 = 1``.
A ReLU ``h = relu(z)``, ``z = W a + b``, is exactly ``h >= 0``, ``h >= z`` and ``h * h = h * z``: the
last one is *linear in P*. Interval bounds ``(a - lo)(hi - a) >= 0`` are linear in P too.
:func:`sdp_cvxpy` solves it with cvxpy (SCS or Clarabel); the matrix has (1 + all units)^2
entries, so memory and time grow fast with the net.

**First-order dual (Dathathri et al., NeurIPS 2020).** Multiply each constraint by a multiplier
and add it to the objective: the Lagrangian is a quadratic form ``v^T M(lambda) v`` that costs
one forward pass to evaluate, and ``M v`` is half its gradient (one backward pass). Because every
coordinate is bounded (centred, each lies in [-1, 1]), *any* ``lambda >= 0``, ``kappa`` give the sound bound
``sum(kappa) + (N+1) * max(0, lambda_max(T^T M T - diag(kappa)))`` (T: the centring map); minimising
it by projected gradient reaches the SDP value. ``lambda_max`` comes from Lanczos (matrix-vector
products only); the final certificate recomputes it exactly (dense ``eigvalsh`` in float64).

**Gradient SDP (Raghunathan, Steinhardt & Liang, ICLR 2018a).** For one hidden layer,
``f_j(x') - f_y(x') <= f_j(x) - f_y(x) + eps/4 * max_{P >= 0, diag P <= 1} <M(v, W), P>`` with
``v = V_j - V_y``: input-independent, differentiable, and used as a training regulariser.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from .bounds import crown_bounds
from .ibp import input_box, linear_layers, margin_spec


# ----------------------------------------------------------------------------- problem setup
def sdp_problems(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> dict:
    """Everything an SDP needs for each (image, other class) pair, flattened to batch B*(K-1):
    layers, objective ``max c.h_last + d`` (= minus the margin), and the boxes of every block
    (input box; hidden boxes relu(CROWN pre-activation bounds))."""
    layers = [(w.detach(), b.detach()) for w, b in linear_layers(model)]
    xl, xu = input_box(x.detach(), eps)
    pre = crown_bounds(layers, xl, xu)
    c, d = margin_spec(*layers[-1], y)
    m = c.shape[1]
    rep = lambda t: t.repeat_interleave(m, 0)
    boxes = [(rep(xl), rep(xu))] + [(rep(l.clamp_min(0)), rep(u.clamp_min(0))) for l, u in pre]
    return {"layers": layers[:-1], "boxes": boxes, "c": -c.flatten(0, 1), "d": -d.flatten(),
            "pre": [(rep(l), rep(u)) for l, u in pre], "pairs": m}


def _sizes(prob: dict) -> list[int]:
    return [lo.shape[1] for lo, _ in prob["boxes"]]


# ----------------------------------------------------------------------------- cvxpy primal
def sdp_cvxpy(prob: dict, k: int, solver: str = "SCS", **opts) -> tuple[float, float]:
    """Solve the SDP relaxation of pair ``k`` with cvxpy: ``(max of -margin, seconds)``.

    The margin lower bound is minus the returned value; < 0 returned means certified.
    """
    import cvxpy as cp

    sizes = _sizes(prob)
    n = 1 + sum(sizes)
    starts = np.cumsum([1] + sizes)[:-1]
    blk = [slice(s, s + z) for s, z in zip(starts, sizes)]
    P = cp.Variable((n, n), symmetric=True)
    np_ = lambda t: t[k].double().cpu().numpy()
    cons = [P >> 0, P[0, 0] == 1]
    for i, (lo, hi) in enumerate(prob["boxes"]):
        lo, hi, s = np_(lo), np_(hi), blk[i]
        cons += [P[0, s] >= lo, P[0, s] <= hi,
                 cp.diag(P[s, s]) <= cp.multiply(lo + hi, P[0, s]) - lo * hi]
    for i, (w, b) in enumerate(prob["layers"]):
        w, b = w.double().cpu().numpy(), b.double().cpu().numpy()
        a, h = blk[i], blk[i + 1]
        z = w @ P[a, 0] + b
        cons += [P[h, 0] >= 0, P[h, 0] >= z,
                 cp.diag(P[h, h]) == cp.diag(w @ P[a, h]) + cp.multiply(b, P[0, h])]
    obj = np_(prob["c"]) @ P[blk[-1], 0] + float(prob["d"][k])
    problem = cp.Problem(cp.Maximize(obj), cons)
    t0 = time.perf_counter()
    problem.solve(solver=solver, **opts)
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"cvxpy status {problem.status} for pair {k}")
    return float(problem.value), time.perf_counter() - t0


# ----------------------------------------------------------------------------- first-order dual
def _quadratic(prob: dict, lam: dict, v: torch.Tensor) -> torch.Tensor:
    """The Lagrangian ``v^T M(lambda) v`` for v of shape (B, R, N+1), one forward pass."""
    sizes = _sizes(prob)
    parts = list(torch.split(v, [1] + sizes, dim=-1))
    v0, blocks = parts[0], parts[1:]
    out = v0[..., 0] * (blocks[-1] * prob["c"].unsqueeze(1)).sum(-1) \
        + prob["d"][:, None] * v0[..., 0] ** 2
    for i, (lo, hi) in enumerate(prob["boxes"]):
        a, lo, hi = blocks[i], lo.unsqueeze(1), hi.unsqueeze(1)
        out = out + (lam["box"][i].unsqueeze(1) * ((lo + hi) * a * v0 - a * a - lo * hi * v0 * v0)).sum(-1)
    for i, (w, b) in enumerate(prob["layers"]):
        a, h = blocks[i], blocks[i + 1]
        z = a @ w.T + b * v0
        out = out + (lam["pos"][i].unsqueeze(1) * h * v0).sum(-1) \
            + (lam["above"][i].unsqueeze(1) * (h - z) * v0).sum(-1) \
            + (lam["relu"][i].unsqueeze(1) * (h * z - h * h)).sum(-1)
    return out


def _lift(v: torch.Tensor, box: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Undo the centring: coordinates in [-1, 1] back to the net's values, ``mid + rad * v``
    (the first coordinate, the homogenising 1, stays as it is)."""
    mid, rad = box
    return v * rad.unsqueeze(1) + mid.unsqueeze(1) * v[..., :1]


def _scaled_matvec(prob: dict, lam: dict, box, v: torch.Tensor) -> torch.Tensor:
    """``(T^T M T - diag(kappa)) v`` via autograd on the quadratic form (M v = grad / 2), where T
    maps the centred coordinates in [-1, 1] to the net's values."""
    with torch.enable_grad():
        v = v.detach().requires_grad_(True)
        fixed = {k: [t.detach() for t in ts] for k, ts in lam.items() if k != "kappa"}
        (g,) = torch.autograd.grad(_quadratic(prob, fixed, _lift(v, box)).sum(), v)
    return 0.5 * g - lam["kappa"].detach().unsqueeze(1) * v


def lanczos_max(matvec, n: int, start: torch.Tensor, iters: int = 30) -> tuple[torch.Tensor, torch.Tensor]:
    """Top eigenvalue and eigenvector of a batch of symmetric operators, by Lanczos with full
    re-orthogonalisation: ``iters`` matrix-vector products, batch shape (B, n)."""
    k = min(iters, n)
    q = start / start.norm(dim=-1, keepdim=True).clamp_min(1e-30)
    basis, alpha, beta = [q], [], []
    for j in range(k):
        w = matvec(q.unsqueeze(1)).squeeze(1)
        alpha.append((w * q).sum(-1))
        qs = torch.stack(basis, 1)
        for _ in range(2):  # twice is enough (Parlett's "twice is enough")
            w = w - ((qs @ w.unsqueeze(-1)) * qs).sum(1)
        if j == k - 1:
            break
        beta.append(w.norm(dim=-1).clamp_min(1e-30))
        q = w / beta[-1].unsqueeze(-1)
        basis.append(q)
    t = torch.diag_embed(torch.stack(alpha, -1))
    if beta:
        off = torch.diag_embed(torch.stack(beta, -1), offset=1)
        t = t + off + off.transpose(-1, -2)
    evals, evecs = torch.linalg.eigh(t)
    u = (torch.stack(basis, 1) * evecs[..., -1:]).sum(1)
    return evals[..., -1], u / u.norm(dim=-1, keepdim=True)


def _init_lambda(prob: dict) -> dict:
    z = lambda t: torch.zeros_like(t)
    lam = {"box": [z(lo) for lo, _ in prob["boxes"]],
           "pos": [z(hi) for _, hi in prob["boxes"][1:]],
           "above": [z(hi) for _, hi in prob["boxes"][1:]],
           "relu": [z(hi) for _, hi in prob["boxes"][1:]]}
    b = prob["c"].shape[0]
    lam["kappa"] = torch.zeros(b, 1 + sum(_sizes(prob)), dtype=prob["c"].dtype, device=prob["c"].device)
    return lam


def _centre_radius(prob: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Centre and half-width of every coordinate's interval, (B, N+1) each (1 and 0 for v_0)."""
    lo = torch.cat([lo for lo, _ in prob["boxes"]], 1)
    hi = torch.cat([hi for _, hi in prob["boxes"]], 1)
    one = torch.ones_like(lo[:, :1])
    return torch.cat([0 * one, (hi + lo) / 2], 1), torch.cat([one, (hi - lo) / 2], 1)


def _project(lam: dict) -> None:
    with torch.no_grad():
        for key in ("box", "pos", "above"):
            for t in lam[key]:
                t.clamp_(min=0)
        lam["kappa"][:, 1:].clamp_(min=0)


def dual_value(prob: dict, lam: dict, exact: bool = True, iters: int = 30) -> torch.Tensor:
    """The sound dual bound (B,) on ``max -margin`` for any feasible multipliers: kappa's sum plus
    (N+1) * lambda_max^+, with lambda_max exact (dense float64 eigvalsh) or by Lanczos."""
    box = _centre_radius(prob)
    r = box[1]
    n = r.shape[1]
    with torch.no_grad():
        if exact:
            eye = torch.eye(n, dtype=r.dtype, device=r.device).expand(r.shape[0], n, n)
            a = _scaled_matvec(prob, lam, box, eye).double()
            top = torch.linalg.eigvalsh((a + a.transpose(1, 2)) / 2)[:, -1]
        else:
            top, _ = lanczos_max(lambda v: _scaled_matvec(prob, lam, box, v), n,
                                 torch.randn_like(r), iters)
        return lam["kappa"].sum(1).double() + n * top.double().clamp_min(0)


def _top_eigvec(prob: dict, lam: dict, box, u: torch.Tensor, iters: int | None):
    """Top eigenvector of T^T M T - diag(kappa): dense ``eigh`` when ``iters`` is None, else Lanczos
    warm-started at ``u`` (``iters`` matrix-vector products)."""
    n = u.shape[1]
    with torch.no_grad():
        if iters is None:
            eye = torch.eye(n, dtype=u.dtype, device=u.device).expand(u.shape[0], n, n)
            a = _scaled_matvec(prob, lam, box, eye)
            return torch.linalg.eigh((a + a.transpose(1, 2)) / 2)[1][..., -1]
        return lanczos_max(lambda v: _scaled_matvec(prob, lam, box, v), n, u, iters)[1]


def first_order_sdp(prob: dict, steps: int = 300, lr: float = 0.05, iters: int | None = 30,
                    log_every: int = 0) -> tuple[torch.Tensor, dict]:
    """Minimise the dual bound by projected Adam; returns ``(sound bounds (B,), info)``.

    Each step finds the top eigenvector u of ``T^T M T - diag(kappa)`` (Lanczos with ``iters``
    matrix-vector products, or dense ``eigh`` when ``iters`` is None), then takes one gradient
    step on ``sum(kappa) + (N+1) relu(u^T A u)``: one forward and one backward pass. The returned
    bound is recomputed with an exact eigenvalue, so it is sound whatever the optimiser reached.
    """
    lam = _init_lambda(prob)
    params = [t for ts in lam.values() for t in (ts if isinstance(ts, list) else [ts])]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    box = _centre_radius(prob)
    r = box[1]
    n = r.shape[1]
    u = torch.randn_like(r)
    t0 = time.perf_counter()
    for step in range(steps):
        u = _top_eigvec(prob, lam, box, u, iters)
        quad = _quadratic(prob, lam, _lift(u.unsqueeze(1), box))[:, 0] - (lam["kappa"] * u * u).sum(1)
        loss = lam["kappa"].sum(1) + n * quad.clamp_min(0)
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        sched.step()
        _project(lam)
        if log_every and step % log_every == 0:
            print(step, loss.detach()[:3].tolist(), flush=True)
    for p in params:
        p.requires_grad_(False)
    seconds = time.perf_counter() - t0
    bound = dual_value(prob, lam, exact=True)
    floats = sum(p.numel() for p in params) + r.numel() * ((iters or n) + 2)
    return bound, {"seconds": seconds, "state_bytes": 4 * floats, "lam": lam}


# ----------------------------------------------------------------------------- gradient SDP (2018a)
def grad_sdp_matrix(w: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """M(v, W) of Raghunathan et al. 2018a on ``[1; t (inputs); beta (hidden)]``:
    ``M[0, t] = W^T v``, ``M[t, beta] = W^T diag(v)``, symmetric, zero elsewhere. Batched over v."""
    v = v if v.dim() == 2 else v.unsqueeze(0)
    d, m = w.shape[1], w.shape[0]
    out = torch.zeros(v.shape[0], 1 + d + m, 1 + d + m, dtype=w.dtype, device=w.device)
    out[:, 0, 1:1 + d] = v @ w
    out[:, 1:1 + d, 1 + d:] = w.T.unsqueeze(0) * v.unsqueeze(1)
    return out + out.transpose(1, 2)


def pair_vectors(v_out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows ``V_j - V_y`` for all ordered pairs j != y, and the (j, y) index pairs."""
    k = v_out.shape[0]
    j, y = zip(*[(a, b) for b in range(k) for a in range(k) if a != b])
    j, y = torch.tensor(j), torch.tensor(y)
    return v_out[j] - v_out[y], torch.stack([j, y], 1)


def grad_sdp_bounds(w: torch.Tensor, v_out: torch.Tensor, c: torch.Tensor,
                    iters: int | None = None) -> torch.Tensor:
    """The dual bound ``D lambda_max^+(M - diag c) + sum(c^+)`` >= max <M, P> for every pair
    (differentiable in W, V and c; c has shape (pairs, D)). Returns (K, K) with 0 on the diagonal:
    entry [j, y] bounds ``f_j(x') - f_y(x') - (f_j(x) - f_y(x))`` divided by eps/4.

    ``iters=None``: exact eigenvalues (sound). ``iters=k``: lambda_max from k Lanczos steps,
    differentiated through its (fixed) eigenvector: cheap, for training only (a Lanczos estimate
    is never above the true lambda_max, so it is not a certificate)."""
    vs, idx = pair_vectors(v_out)
    m = grad_sdp_matrix(w, vs) - torch.diag_embed(c)
    dim = m.shape[-1]
    if iters is None:
        top = torch.linalg.eigvalsh(m)[:, -1]
    else:
        md = m.detach()
        start = torch.ones(m.shape[0], dim, dtype=m.dtype, device=m.device)
        _, u = lanczos_max(lambda z: (md @ z.transpose(1, 2)).transpose(1, 2), dim, start, iters)
        top = (u.unsqueeze(1) @ m @ u.unsqueeze(2))[:, 0, 0]
    vals = dim * top.clamp_min(0) + c.clamp_min(0).sum(1)
    k = v_out.shape[0]
    out = torch.zeros(k, k, dtype=vals.dtype, device=vals.device)
    return out.index_put((idx[:, 0], idx[:, 1]), vals)


def grad_sdp_table(model: nn.Module, steps: int = 100, lr: float = 0.05) -> torch.Tensor:
    """The (K, K) table of 2018a bounds for a one-hidden-layer net: dual c optimised by Adam with
    Lanczos eigenvectors, then the bound recomputed with exact float64 eigenvalues (sound)."""
    layers = linear_layers(model)
    if len(layers) != 2:
        raise ValueError("The gradient SDP of Raghunathan et al. 2018a is for one hidden layer.")
    (w, _), (v_out, _) = [(a.detach().double(), b.detach().double()) for a, b in layers]
    dim, k = 1 + w.shape[1] + w.shape[0], v_out.shape[0]
    c = torch.zeros(k * (k - 1), dim, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([c], lr=lr)
    for _ in range(steps):
        loss = grad_sdp_bounds(w, v_out, c, iters=20).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return grad_sdp_bounds(w, v_out, c.detach())


def grad_sdp_certify(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
                     table: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Certify a one-hidden-layer net with the 2018a bound: certified where
    ``f_j(x) - f_y(x) + eps/4 * table[j, y] < 0`` for all j != y. Returns (certified, table)."""
    table = grad_sdp_table(model) if table is None else table
    with torch.no_grad():
        logits = model(x).double()
        worst = logits - logits.gather(1, y[:, None]) + eps / 4 * table[:, y].T
        worst.scatter_(1, y[:, None], -math.inf)
    return (worst < 0).all(1), table

"""The certification ladder's networks: small ReLU MLPs on the real 8x8 digit scans.

Four trainings of the same architecture (Raghunathan et al. 2018a compare normal, PGD, LP and
SDP training; IBP stands in for the LP here):
``normal`` (cross-entropy), ``pgd`` (Madry et al. 2018, L-inf PGD at eps_train), ``ibp`` (Gowal et al.
2018: worst-case logits from interval bounds, eps ramped up) and, for one hidden layer, ``sdp``
(Raghunathan et al. 2018a: worst-case logits from the gradient-SDP dual bound, dual variables
trained with the weights). Inputs are the sklearn 8x8 scans in [0, 1] with the kit's fixed
train/val/test split (``core.data.load_digits_tensors(split, size=8)``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core import data, zoo
from tutorial_lib.core.config import get_profile
from tutorial_lib.core.device import seed_everything
from tutorial_lib.core.fit import accuracy, adversarial_cross_entropy, cross_entropy, fit

from .ibp import ibp_margins
from .sdp import grad_sdp_bounds

ARCHS = {"mlp1": (100,), "mlp2": (100, 100)}
TRAININGS = ("normal", "pgd", "ibp", "sdp")
RECIPE = {"epochs": 60, "lr": 1e-3, "batch_size": 64, "eps_train": 0.1, "pgd_steps": 7}
KNOBS = {
    "quick": {"eps": (0.01, 0.05, 0.1), "n_images": 100, "n_sdp": 2, "sdp_steps": 300,
              "pgd_restarts": 10, "pgd_steps": 20, "cvxpy_widths": (4, 8),
              "fo_widths": (4, 8, 16, 32), "smooth_images": 24, "smooth_n0": 10,
              "smooth_n": 100, "smooth_sigma": 0.12, "smooth_batch": 400, "smooth_radius": 0.05,
              "agree_steps": 1000, "n_cert": 397},
    "full": {"eps": (0.01, 0.05, 0.1), "n_images": 397, "n_sdp": 20, "sdp_steps": 1000,
             "pgd_restarts": 100, "pgd_steps": 100, "cvxpy_widths": (4, 8, 16, 32),
             "fo_widths": (4, 8, 16, 32, 100, 200), "smooth_images": 397, "smooth_n0": 100,
             "smooth_n": 10000, "smooth_sigma": 0.12, "smooth_batch": 1000, "smooth_radius": 0.05,
             "agree_steps": 1000, "n_cert": 397},
    # FRFM_SMOKE=1: the same code paths on a few images and steps (numbers mean nothing)
    "smoke": {"n_images": 8, "n_sdp": 1, "sdp_steps": 10, "pgd_restarts": 1, "pgd_steps": 2,
              "cvxpy_widths": (4,), "fo_widths": (4, 8), "smooth_images": 4, "smooth_n0": 8,
              "smooth_n": 32, "smooth_batch": 32, "agree_steps": 10, "n_cert": 8},
}


def knobs(profile: str | None = None) -> dict:
    """The ladder lesson's knobs for the active (or named) profile."""
    from tutorial_lib.core.config import pick_knobs  # KNOBS["smoke"] laid over under FRFM_SMOKE=1

    return pick_knobs(KNOBS, get_profile(profile).name)


def digits8(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The real 8x8 digit scans (N, 1, 8, 8) in [0, 1] and labels, in the kit's fixed split."""
    return data.load_digits_tensors(split, size=8)


def build_mlp(hidden: tuple[int, ...] = (100,), n_in: int = 64, n_out: int = 10) -> nn.Sequential:
    """Flatten -> (Linear -> ReLU) per hidden width -> Linear: the nets every bound here accepts."""
    mods: list[nn.Module] = [nn.Flatten()]
    for w in hidden:
        mods += [nn.Linear(n_in, w), nn.ReLU()]
        n_in = w
    return nn.Sequential(*mods, nn.Linear(n_in, n_out))


def worst_logits(margins: torch.Tensor) -> torch.Tensor:
    """Logits whose cross-entropy is the certified-training loss: 0 for the true class and minus
    each margin lower bound for the others (Wong & Kolter 2018; Gowal et al. 2018)."""
    return torch.cat([torch.zeros_like(margins[:, :1]), -margins], 1)


def sdp_margins(model: nn.Sequential, c: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                eps: float) -> torch.Tensor:
    """Margin lower bounds ``f_y(x) - f_j(x) - eps/4 * B_jy`` from the gradient SDP (B, K-1)."""
    w, v = model[1].weight, model[3].weight
    table = grad_sdp_bounds(w, v, c, iters=10)  # (K, K): [j, y]; Lanczos, for training
    logits = model(x)
    k = logits.shape[1]
    marg = logits.gather(1, y[:, None]) - logits - eps / 4 * table[:, y].T
    keep = torch.ones_like(marg, dtype=torch.bool).scatter_(1, y[:, None], False)
    return marg[keep].view(-1, k - 1)


def certified_loss(method: str, eps_train: float, total_steps: int, c: torch.Tensor | None = None):
    """IBP / SDP training loss: ``kappa · CE(logits) + (1 - kappa) · CE(worst-case logits)``, with
    eps ramped 0 for the first 10% of ``total_steps``, linearly to ``eps_train`` at 50% (kappa 1 -> 0.5)."""
    step = 0

    def loss(model: nn.Sequential, batch: tuple[torch.Tensor, ...], gen: torch.Generator) -> torch.Tensor:
        nonlocal step
        xb, yb = batch
        ramp = min(1.0, max(0.0, (step / total_steps - 0.1) / 0.4))
        eps, kappa, step = eps_train * ramp, 1.0 - 0.5 * ramp, step + 1
        marg = ibp_margins(model, xb, yb, eps) if method == "ibp" else sdp_margins(model, c, xb, yb, eps)
        return kappa * F.cross_entropy(model(xb), yb) + (1 - kappa) * \
            F.cross_entropy(worst_logits(marg), torch.zeros_like(yb))
    return loss


def train_ladder(model: nn.Sequential, method: str, recipe: dict | None = None, log=None) -> dict:
    """Train ``model`` in place with ``method`` in TRAININGS (by ``core.fit``); returns its metrics."""
    if method not in TRAININGS:
        raise ValueError(f"method must be one of {TRAININGS}, got {method!r}")
    r = {**RECIPE, **(recipe or {})}
    gen = seed_everything(0)
    for mod in model.modules():  # same initial weights whatever ran before
        if isinstance(mod, nn.Linear):
            mod.reset_parameters()
    x_tr, y_tr = digits8("train")
    params, c = list(model.parameters()), None
    if method == "sdp":
        if len(model) != 4:
            raise ValueError("SDP training (Raghunathan et al. 2018a) needs one hidden layer.")
        c = torch.zeros(90, 1 + sum(model[1].weight.shape), requires_grad=True)
        params = params + [c]
    total = r["epochs"] * math.ceil(len(x_tr) / r["batch_size"])
    loss = (cross_entropy() if method == "normal" else
            adversarial_cross_entropy(r["eps_train"], r["pgd_steps"]) if method == "pgd" else
            certified_loss(method, r["eps_train"], total, c))

    def report(epoch: int, mean_loss: float) -> None:
        if log and epoch % 10 == 0:
            log(f"epoch {epoch} loss {mean_loss:.3f}")
    fit(model, (x_tr, y_tr), loss, torch.optim.Adam(params, lr=r["lr"]), r["epochs"], r["batch_size"],
        gen, on_epoch=report)
    model.eval()
    return {"dataset": "digits 8x8", "method": method, "recipe": r,
            "val_acc": accuracy(model, *digits8("val")), "test_acc": accuracy(model, *digits8("test"))}


def name(arch: str, method: str) -> str:
    """``ladder_mlp1_normal`` and so on."""
    return f"ladder_{arch}_{method}"


def _register(arch: str, method: str) -> None:
    def train(model: nn.Sequential) -> dict:
        recipe = {"epochs": 30} if method == "sdp" else None  # eigen-bounds make each step costly
        return {**train_ladder(model, method, recipe, log=print), "architecture": f"64-{'-'.join(map(str, ARCHS[arch]))}-10",
                "command": ("PYTHONPATH=$PWD python -c \"from tutorial_lib.core import zoo; import "
                            f"tutorial_lib.certified.ladder; zoo.train('{name(arch, method)}')\"")}
    train.__qualname__ = f"train_{name(arch, method)}"
    train.__doc__ = f"{method} training of the {arch} ladder net on 8x8 digits."
    zoo.register(name(arch, method), build=lambda: build_mlp(ARCHS[arch]))(train)


for _arch in ARCHS:
    for _method in TRAININGS:
        if not (_arch == "mlp2" and _method == "sdp"):
            _register(_arch, _method)


def load(arch: str, method: str, device: torch.device | str | None = None) -> nn.Sequential:
    """A shipped ladder net (sha256-checked) in eval mode."""
    return zoo.load(name(arch, method), device=device)


# ----------------------------------------------------------------------------- the ladder
def strong_attack(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
                  restarts: int = 20, steps: int = 40, seed: int = 0) -> torch.Tensor:
    """(B,) bool: did L-inf PGD on the margin loss (``restarts`` random starts, ``steps`` steps,
    step eps/8) find a misclassified point inside the eps-ball (clipped to [0, 1])?"""
    broken = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(restarts):
        delta = ((torch.rand(x.shape, generator=gen) * 2 - 1) * eps).to(x.device)
        for _ in range(steps):
            delta.requires_grad_(True)
            out = model((x + delta).clamp(0, 1))
            worst = out.scatter(1, y[:, None], -1e9).amax(1) - out.gather(1, y[:, None])[:, 0]
            (g,) = torch.autograd.grad(worst.sum(), delta)
            delta = (delta.detach() + eps / 8 * g.sign()).clamp(-eps, eps)
        with torch.no_grad():
            broken |= model((x + delta).clamp(0, 1)).argmax(1) != y
    return broken


def working_floats(method: str, widths: tuple[int, ...], batch: int, n_in: int = 64,
                   classes: int = 10, iters: int = 30) -> int:
    """Floats in the largest arrays a method holds for ``batch`` images, counted from the shapes
    its code builds (a memory measure that does not depend on the allocator)."""
    m, n = classes - 1, 1 + n_in + sum(widths)
    if method == "IBP":
        return batch * 2 * (n_in + sum(widths) + m)
    crown = batch * max(2 * max(widths), m) * max(n_in, max(widths))
    if method == "CROWN":
        return crown
    if method == "alpha-CROWN":
        return crown + 3 * batch * m * widths[-1]
    if method == "SDP first-order (Lanczos)":
        return batch * m * n * (iters + 2 + 4)
    if method == "SDP first-order (dense eig)":
        return batch * m * n * (n + 4)
    if method == "grad-SDP":
        return classes * m * (1 + n_in + widths[0]) ** 2
    if method == "SDP cvxpy":
        return batch * m * n * n * 2
    return 0


def certify_all(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, methods,
                sdp_steps: int = 600, alpha_steps: int = 100, table=None) -> dict:
    """Per method: (certified (B,) bool, seconds). Methods: IBP, CROWN, alpha-CROWN,
    SDP first-order (dense eig), grad-SDP 2018a. A point counts only if it is also correct."""
    import time

    from . import bounds, ibp, sdp

    correct = model(x).argmax(1) == y
    out = {}
    for meth in methods:
        t0 = time.perf_counter()
        if meth == "IBP":
            cert = ibp.certified(ibp.ibp_margins(model, x, y, eps))
        elif meth == "CROWN":
            cert = ibp.certified(bounds.crown_margins(model, x, y, eps))
        elif meth == "alpha-CROWN":
            cert = ibp.certified(bounds.crown_margins(model, x, y, eps, alpha_steps=alpha_steps))
        elif meth == "SDP first-order (dense eig)":
            prob = sdp.sdp_problems(model, x, y, eps)
            value, _ = sdp.first_order_sdp(prob, steps=sdp_steps, lr=0.02, iters=None)
            cert = (value.view(len(x), -1) < 0).all(1)
        elif meth == "grad-SDP 2018a":
            cert = sdp.grad_sdp_certify(model, x, y, eps, table)[0]
        else:
            raise ValueError(f"unknown method {meth!r}")
        out[meth] = (cert.detach() & correct, time.perf_counter() - t0)
    return out


def ladder_table(nets: dict, x: torch.Tensor, y: torch.Tensor, eps_list, n_sdp: int = 0,
                 sdp_nets: tuple[str, ...] = (), grad_sdp_nets: tuple[str, ...] = (),
                 sdp_steps: int = 600, restarts: int = 20, steps: int = 40):
    """The ladder: rows (net, method, eps, certified accuracy, n, seconds, working floats) plus a
    PGD row (an upper bound, not a certificate). Asserts soundness: no point certified by any
    method is broken by :func:`strong_attack`. ``nets`` maps a label to (model, hidden widths);
    the first-order SDP runs on the first ``n_sdp`` images of the nets labelled in ``sdp_nets``,
    the gradient SDP of 2018a on the (one-hidden-layer) nets in ``grad_sdp_nets``."""
    import time

    import pandas as pd

    from .sdp import grad_sdp_table

    rows = []
    for label, (model, widths) in nets.items():
        grad = label in grad_sdp_nets
        t0 = time.perf_counter()
        table = grad_sdp_table(model) if grad else None
        table_seconds = time.perf_counter() - t0  # once per net, input-independent
        for eps in eps_list:
            methods = ["IBP", "CROWN", "alpha-CROWN"] + (["grad-SDP 2018a"] if grad else [])
            res = certify_all(model, x, y, eps, methods, table=table)
            if n_sdp and label in sdp_nets:
                res_sdp = certify_all(model, x[:n_sdp], y[:n_sdp], eps,
                                      ["SDP first-order (dense eig)"], sdp_steps=sdp_steps)
                res.update(res_sdp)
            broken = strong_attack(model, x, y, eps, restarts, steps)
            for meth, (cert, sec) in res.items():
                if (cert & broken[:len(cert)]).any():
                    raise AssertionError(f"{label} eps={eps}: {meth} certified a point PGD broke")
                rows.append({"net": label, "method": meth, "eps": eps,
                             "certified_acc": cert.float().mean().item(), "n": len(cert),
                             "seconds": round(sec + (table_seconds if meth == "grad-SDP 2018a" else 0), 2),
                             "floats": working_floats(meth.replace(" 2018a", ""), widths, len(cert))})
            rows.append({"net": label, "method": "PGD (upper bound)", "eps": eps,
                         "certified_acc": (~broken & (model(x).argmax(1) == y)).float().mean().item(),
                         "n": len(x), "seconds": float("nan"), "floats": 0})
    return pd.DataFrame(rows)

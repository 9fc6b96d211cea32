"""One-class anomaly detection: DROCC (Goyal et al., ICML 2020) against Deep SVDD (Ruff et al.,
ICML 2018), sklearn's OneClassSVM and IsolationForest.

The setting: train on images of *one* digit class only; at test time score every image and ask
whether normal images (that digit) score higher than anomalies (other digits, photo crops).

- **Deep SVDD** maps the data into a feature space and pulls every training image towards a
  fixed centre ``c``; the anomaly score is the squared distance to ``c``. Its known failure is
  *representation collapse*: a network that can output a constant (e.g. through bias terms) maps
  *every* input onto ``c`` and the score carries no information. The paper's remedy is a
  bias-free network; both versions are here so the collapse can be seen.
- **DROCC** assumes the normal points lie on a low-dimensional manifold that is locally linear.
  It trains a classifier ``normal vs not`` where the "not" examples are *generated*: for each
  normal ``x`` it searches, by gradient ascent, a point ``x + h`` with ``r ≤ ‖h‖₂ ≤ γ r`` (an
  annulus around the data) that the current classifier still calls normal, and labels it
  anomalous. Nothing is pulled to a point, so nothing collapses.

All scores are "higher = more normal".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core.device import seed_everything
from tutorial_lib.core.fit import fit

KNOBS = {
    "quick": {"classes": tuple(range(10)), "epochs": 30, "ce_epochs": 5, "ascent_steps": 5,
              "ascent_lr": 0.1, "gamma": 2.0, "r_scales": (2.0, 3.0, 4.0), "lam": 1.0, "width": 128, "n_crops": 200,
              "svdd_epochs": 30, "n_boot": 300},
    "full": {"classes": tuple(range(10)), "epochs": 60, "ce_epochs": 10, "ascent_steps": 10,
             "ascent_lr": 0.1, "gamma": 2.0, "r_scales": (1.0, 2.0, 3.0, 4.0, 6.0), "lam": 1.0, "width": 256, "n_crops": 1000,
             "svdd_epochs": 60, "n_boot": 2000},
    # FRFM_SMOKE=1: the same code paths, one epoch, one ascent step (numbers mean nothing)
    "smoke": {"epochs": 1, "ce_epochs": 1, "ascent_steps": 1, "r_scales": (1.0, 2.0), "width": 32,
              "n_crops": 64, "svdd_epochs": 1, "n_boot": 50},
}


def knobs(profile: str | None = None) -> dict:
    """The lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``)."""
    from tutorial_lib.core.config import pick_knobs  # KNOBS["smoke"] laid over under FRFM_SMOKE=1

    return pick_knobs(KNOBS, profile)


# ----------------------------------------------------------------------------- networks
def feature_net(in_features: int = 1024, width: int = 128, out: int = 32, bias: bool = True) -> nn.Module:
    """A two-hidden-layer ReLU net on flattened images. ``bias=False`` is Deep SVDD's remedy."""
    return nn.Sequential(nn.Flatten(), nn.Linear(in_features, width, bias=bias), nn.ReLU(),
                         nn.Linear(width, width, bias=bias), nn.ReLU(), nn.Linear(width, out, bias=bias))


# ----------------------------------------------------------------------------- Deep SVDD
def train_deep_svdd(x: torch.Tensor, bias: bool = False, width: int = 128, epochs: int = 30,
                    lr: float = 1e-3, batch_size: int = 64, weight_decay: float = 1e-6,
                    seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    """One-class Deep SVDD: minimise ``‖φ(x) − c‖²`` with ``c`` the mean initial feature.
    Returns ``(net, c)``; score with :func:`svdd_scores`."""
    gen = seed_everything(seed)
    net = feature_net(x[0].numel(), width, bias=bias).to(x.device)
    with torch.no_grad():
        c = net(x).mean(0)
        c[(c.abs() < 0.01)] = 0.01  # as in the paper: keep c away from the trivial zero output
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    fit(net, (x,), lambda m, b, g: (m(b[0]) - c).square().sum(1).mean(), opt, epochs,
        batch_size, gen)
    net.eval()
    return net, c


@torch.no_grad()
def svdd_scores(net: nn.Module, c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Normality score: minus the squared distance to the centre (on the CPU)."""
    net.eval()
    return -(net(x) - c).square().sum(1).cpu()


def collapsed_copy(net: nn.Module, c: torch.Tensor) -> nn.Module:
    """The degenerate Deep SVDD minimiser: the same net with its last layer's weights zeroed and
    its bias set to ``c``, so every input maps exactly onto the centre (loss 0, all scores equal).
    Needs a net with biases: a bias-free net cannot output a non-zero constant."""
    import copy

    last = net[-1]
    if last.bias is None:
        raise ValueError("a bias-free net has no constant solution: that is Deep SVDD's remedy.")
    out = copy.deepcopy(net)
    with torch.no_grad():
        out[-1].weight.zero_()
        out[-1].bias.copy_(c)
    return out


def svdd_loss(net: nn.Module, c: torch.Tensor, x: torch.Tensor) -> float:
    """Deep SVDD's training objective ``mean ‖φ(x) − c‖²`` on ``x``."""
    with torch.no_grad():
        return float((net(x) - c).square().sum(1).mean())


@torch.no_grad()
def feature_spread(net: nn.Module, x: torch.Tensor) -> float:
    """Mean per-dimension standard deviation of the features over ``x``: ~0 means collapse."""
    return float(net(x).std(0).mean())


# ----------------------------------------------------------------------------- DROCC
def project_annulus(h: torch.Tensor, r: float, gamma: float) -> torch.Tensor:
    """Rescale each row of ``h`` so that ``r ≤ ‖h‖₂ ≤ γ r`` (rows already inside are kept)."""
    if r <= 0 or gamma < 1:
        raise ValueError(f"need r > 0 and gamma >= 1, got r={r}, gamma={gamma}.")
    flat = h.flatten(1)
    norm = flat.norm(dim=1, keepdim=True).clamp_min(1e-12)
    target = norm.clamp(r, gamma * r)
    return (flat * (target / norm)).view_as(h)


def annulus_negatives(model: nn.Module, x: torch.Tensor, r: float, gamma: float = 2.0,
                      steps: int = 5, step_size: float = 0.1,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """DROCC's negatives: start at ``x + h`` with random ``h`` in the annulus, then ``steps`` of
    normalised gradient ascent on the loss of calling ``x + h`` *anomalous* (i.e. look for points
    the model still believes are normal), projecting ``h`` back onto the annulus after each step.
    """
    h = torch.randn(x.shape, generator=generator).to(x.device)
    h = project_annulus(h, r, gamma)
    was_training = model.training
    model.eval()
    for _ in range(steps):
        h.requires_grad_(True)
        logits = model(x + h).squeeze(1)
        loss = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
        (grad,) = torch.autograd.grad(loss, h)
        g = grad.flatten(1)
        g = (g / g.norm(dim=1, keepdim=True).clamp_min(1e-12)).view_as(h)
        h = project_annulus(h.detach() + step_size * r * g, r, gamma)
    model.train(was_training)
    return (x + h).detach()


def nn_radius(x: torch.Tensor) -> float:
    """Median L2 distance from each training image to its nearest other training image (the
    scale of the data's neighbourhoods; DROCC's radius ``r`` is set to it here)."""
    d = torch.cdist(x.flatten(1), x.flatten(1))
    d.fill_diagonal_(float("inf"))
    return float(d.min(1).values.median())


def train_drocc(x: torch.Tensor, r: float | None = None, gamma: float = 2.0, lam: float = 1.0,
                width: int = 128, epochs: int = 30, ce_epochs: int = 5, ascent_steps: int = 5,
                ascent_lr: float = 0.1, lr: float = 1e-3, batch_size: int = 64,
                seed: int = 0) -> tuple[nn.Module, float]:
    """DROCC on normal images ``x``: ``BCE(f(x), normal) + lam · BCE(f(x̃), anomalous)`` with
    ``x̃`` from :func:`annulus_negatives`; the first ``ce_epochs`` epochs use no negatives.
    Returns ``(model, r)``; the model's logit is the normality score (:func:`logit_scores`)."""
    gen = seed_everything(seed)
    r = nn_radius(x) if r is None else r
    model = feature_net(x[0].numel(), width, out=1).to(x.device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def normal_loss(model: nn.Module, batch: tuple[torch.Tensor, ...], gen: torch.Generator) -> torch.Tensor:
        logits = model(batch[0]).squeeze(1)
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))

    def drocc_loss(model: nn.Module, batch: tuple[torch.Tensor, ...], gen: torch.Generator) -> torch.Tensor:
        loss = normal_loss(model, batch, gen)
        neg = model(annulus_negatives(model, batch[0], r, gamma, ascent_steps, ascent_lr, gen)).squeeze(1)
        return loss + lam * F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg))
    fit(model, (x,), normal_loss, opt, min(epochs, ce_epochs), batch_size, gen)  # no negatives yet
    fit(model, (x,), drocc_loss, opt, epochs - ce_epochs, batch_size, gen)
    model.eval()
    return model, r


def select_radius(x: torch.Tensor, x_val: torch.Tensor, normal_val: torch.Tensor,
                  scales: tuple[float, ...] = (2.0, 3.0, 4.0), **train_kw
                  ) -> tuple[nn.Module, float, dict]:
    """Pick DROCC's radius as ``scale × nn_radius(x)`` by validation AUROC (normal vs other
    validation images). Returns ``(best model, its r, {scale: val_auroc})``."""
    r0 = nn_radius(x)
    m = normal_val.cpu().numpy().astype(bool)
    res, models = {}, {}
    for s in scales:
        models[s], _ = train_drocc(x, r=s * r0, **train_kw)
        v = logit_scores(models[s], x_val).numpy()
        res[s] = auroc(v[m], v[~m])
    best = max(res, key=res.get)
    return models[best], best * r0, res


@torch.no_grad()
def logit_scores(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Normality score of a DROCC model: its logit (on the CPU)."""
    model.eval()
    return model(x).squeeze(1).cpu()


# ----------------------------------------------------------------------------- classical baselines
def sklearn_scores(kind: str, x_train: torch.Tensor, x_test: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """``"ocsvm"`` (RBF OneClassSVM, nu=0.1, gamma="scale") or ``"iforest"`` (IsolationForest,
    200 trees) on flattened pixels; higher = more normal."""
    from sklearn.ensemble import IsolationForest
    from sklearn.svm import OneClassSVM

    a, b = x_train.flatten(1).cpu().numpy(), x_test.flatten(1).cpu().numpy()
    if kind == "ocsvm":
        model = OneClassSVM(kernel="rbf", nu=0.1, gamma="scale").fit(a)
    elif kind == "iforest":
        model = IsolationForest(n_estimators=200, random_state=seed).fit(a)
    else:
        raise ValueError(f"unknown baseline {kind!r}; use 'ocsvm' or 'iforest'.")
    return torch.from_numpy(model.score_samples(b)).float()


# ----------------------------------------------------------------------------- evaluation
def auroc(normal_scores: np.ndarray, anomaly_scores: np.ndarray) -> float:
    """P(normal scores higher than anomaly) with ties counted half (the Mann–Whitney AUROC)."""
    s = np.concatenate([normal_scores, anomaly_scores])
    from scipy.stats import rankdata

    ranks = rankdata(s)
    n1, n0 = len(normal_scores), len(anomaly_scores)
    return float((ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def scores_all(methods: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]],
               x_train: torch.Tensor, x_test: torch.Tensor) -> dict[str, np.ndarray]:
    """Each method (``fn(x_train, x_test) -> scores``) scored on the test images."""
    return {name: fn(x_train, x_test).numpy() for name, fn in methods.items()}


def paired_auroc_bootstrap(scores_a: list[np.ndarray], scores_b: list[np.ndarray],
                           normal: list[np.ndarray], n_boot: int = 300,
                           seed: int = 0) -> tuple[float, float, float]:
    """Mean-over-tasks AUROC of method a minus method b, with a percentile interval from resampling
    the test images (the same resample for both methods and every task: paired).

    ``scores_*[k]`` and ``normal[k]`` (bool) are task ``k``'s per-image scores and normal mask,
    all on the same test images."""
    def stat(idx):
        return np.mean([auroc(a[idx][m[idx]], a[idx][~m[idx]]) - auroc(b[idx][m[idx]], b[idx][~m[idx]])
                        for a, b, m in zip(scores_a, scores_b, normal)])

    n = len(normal[0])
    effect = stat(np.arange(n))
    rng = np.random.default_rng(seed)
    boots = np.array([stat(rng.integers(0, n, n)) for _ in range(n_boot)])
    lo, hi = np.quantile(boots, [0.025, 0.975])
    return float(effect), float(min(lo, effect)), float(max(hi, effect))


def auroc_interval(normal_scores: np.ndarray, anomaly_scores: np.ndarray, n_boot: int = 300,
                   seed: int = 0) -> tuple[float, float, float]:
    """AUROC with a percentile bootstrap interval (normals and anomalies resampled separately)."""
    rng = np.random.default_rng(seed)
    a, b = np.asarray(normal_scores), np.asarray(anomaly_scores)
    est = auroc(a, b)
    boots = [auroc(rng.choice(a, len(a)), rng.choice(b, len(b))) for _ in range(n_boot)]
    lo, hi = np.quantile(boots, [0.025, 0.975])
    return est, float(min(lo, est)), float(max(hi, est))

"""Group robustness: training a classifier so that its *worst* group does well.

Each example carries a label ``y``, a spurious attribute ``a`` and a group ``g`` (one id per
``(y, a)`` pair). The methods differ only in what they may know and how they weight examples:

- **ERM**: plain average loss; needs no group labels.
- **Reweighting**: each example's loss weighted by ``1 / size of its group`` (train groups).
- **Subsampling**: drop majority examples until every group is as small as the smallest
  (train groups).
- **Group DRO** (Sagawa, Koh, Hashimoto & Liang, ICLR 2020): minimise the worst group's loss by
  keeping a distribution ``q`` over groups, updated by exponentiated gradient
  ``q_g ← q_g · exp(η · loss_g)`` (train groups).
- **JTT** (Liu et al., ICML 2021, *Just Train Twice*): train ERM for a few epochs, collect the
  training examples it gets wrong (the *error set*), retrain from scratch with their loss
  multiplied by ``λ_up``. Group labels only on the validation set, to choose ``T`` and ``λ_up``.

All functions take tensors ``(x, y, g)`` on any device and a ``build`` callable returning a fresh
model. The data with a real spurious feature (digits on photo textures) is built in
:func:`make_groups`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core.device import seed_everything
from tutorial_lib.core.fit import fit

METHODS = ("ERM", "reweight", "subsample", "group DRO", "JTT")

KNOBS = {
    "quick": {"p_maj": 0.95, "visibility": 1.0, "label": "small", "width": 128, "epochs": 15,
              "lr": 1e-3, "batch_size": 64, "weight_decay": 0.03, "seeds": 3, "jtt_epochs": 1,
              "jtt_lambdas": (5.0, 20.0), "dro_eta": 0.05},
    "full": {"p_maj": 0.95, "visibility": 1.0, "label": "small", "width": 256, "epochs": 30,
             "lr": 1e-3, "batch_size": 64, "weight_decay": 0.03, "seeds": 10, "jtt_epochs": 1,
             "jtt_lambdas": (5.0, 10.0, 20.0, 50.0), "dro_eta": 0.05},
    # FRFM_SMOKE=1: the same code paths, one epoch, two seeds (numbers mean nothing)
    "smoke": {"width": 32, "epochs": 1, "seeds": 2, "jtt_lambdas": (5.0, 20.0)},
}


def knobs(profile: str | None = None) -> dict:
    """The lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``)."""
    from tutorial_lib.core.config import pick_knobs  # KNOBS["smoke"] laid over under FRFM_SMOKE=1

    return pick_knobs(KNOBS, profile)


# ----------------------------------------------------------------------------- group bookkeeping
def group_weights(g: torch.Tensor, n_groups: int = 4) -> torch.Tensor:
    """Reweighting: each example weighted by ``1 / size of its group``, scaled to mean 1."""
    if g.min() < 0 or g.max() >= n_groups:
        raise ValueError(f"group ids must lie in 0..{n_groups - 1}, got {int(g.min())}..{int(g.max())}.")
    counts = torch.bincount(g, minlength=n_groups).float()
    w = 1.0 / counts[g]
    return w * len(g) / w.sum()


def subsample_index(g: torch.Tensor, seed: int = 0, n_groups: int = 4) -> torch.Tensor:
    """Subsampling: sorted indices keeping ``min group size`` random examples of every group
    that is present."""
    gen = torch.Generator().manual_seed(seed)
    g_cpu = g.cpu()
    present = [k for k in range(n_groups) if (g_cpu == k).any()]
    m = min(int((g_cpu == k).sum()) for k in present)
    keep = [torch.nonzero(g_cpu == k).flatten()[torch.randperm(int((g_cpu == k).sum()), generator=gen)[:m]]
            for k in present]
    return torch.cat(keep).sort().values.to(g.device)


def group_errors(pred: torch.Tensor, y: torch.Tensor, g: torch.Tensor, n_groups: int = 4) -> torch.Tensor:
    """Error rate of each group (NaN for an empty group)."""
    wrong = (pred != y).float()
    return torch.stack([wrong[g == k].mean() if (g == k).any() else wrong.new_tensor(float("nan"))
                        for k in range(n_groups)]).cpu()


# ----------------------------------------------------------------------------- JTT
def jtt_error_set(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                  batch_size: int = 512) -> torch.Tensor:
    """JTT stage 1 → 2: a boolean mask of the training examples the ERM model gets wrong."""
    return predict(model, x, batch_size) != y


def jtt_weights(error_set: torch.Tensor, lam_up: float) -> torch.Tensor:
    """JTT's upweighting: weight ``lam_up`` on the error set, 1 elsewhere (equivalent in
    expectation to the paper's upsampling of the error set ``lam_up`` times)."""
    if lam_up < 1:
        raise ValueError(f"lam_up must be >= 1 (it upweights the errors), got {lam_up}.")
    return 1.0 + (lam_up - 1.0) * error_set.float()


# ----------------------------------------------------------------------------- training
class Standardize(nn.Module):
    """Fixed first layer: ``(x - mean) / std`` per pixel, from the training images."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.flatten())
        self.register_buffer("std", std.flatten().clamp_min(1e-3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) - self.mean) / self.std


def mlp(x_train: torch.Tensor, width: int = 128, n_classes: int = 2) -> nn.Module:
    """A one-hidden-layer ReLU net on standardised, flattened images (the lesson's model)."""
    return nn.Sequential(Standardize(x_train.mean(0), x_train.std(0)),
                         nn.Linear(x_train[0].numel(), width), nn.ReLU(), nn.Linear(width, n_classes))


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Argmax predictions, batched, in eval mode."""
    model.eval()
    return torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])


def weighted_loss(model: nn.Module, batch: tuple[torch.Tensor, ...], gen: torch.Generator) -> torch.Tensor:
    """Reweighting / JTT: the mean of per-example weights times cross-entropy, batch ``(x, y, w)``."""
    x, y, w = batch
    return (w * F.cross_entropy(model(x), y, reduction="none")).mean()


def group_dro_loss(eta: float, n_groups: int = 4, device: torch.device | str = "cpu"):
    """Group DRO's online objective on batches ``(x, y, g)``: ``Σ_g q_g loss_g`` with
    ``q_g ← q_g exp(η loss_g)`` updated at every step (``q`` lives in the returned loss)."""
    q = torch.full((n_groups,), 1.0 / n_groups, device=device)

    def loss(model: nn.Module, batch: tuple[torch.Tensor, ...], gen: torch.Generator) -> torch.Tensor:
        nonlocal q
        x, y, g = batch
        losses = F.cross_entropy(model(x), y, reduction="none")
        onehot = F.one_hot(g, n_groups).float()  # (B, G)
        counts = onehot.sum(0)
        group_loss = (onehot * losses[:, None]).sum(0) / counts.clamp_min(1)
        q = q * torch.exp(eta * group_loss.detach() * (counts > 0))
        q = q / q.sum()
        return (q * group_loss).sum()
    return loss


def train(build: Callable[[], nn.Module], x: torch.Tensor, y: torch.Tensor, *,
          weights: torch.Tensor | None = None, groups: torch.Tensor | None = None,
          dro_eta: float = 0.0, n_groups: int = 4, epochs: int = 30, lr: float = 2e-3,
          batch_size: int = 64, weight_decay: float = 1e-4, seed: int = 0) -> nn.Module:
    """Train a fresh ``build()`` model with Adam on ``(x, y)`` (on ``x``'s device) by ``core.fit``.

    ``weights``: per-example loss weights (reweighting, JTT). ``dro_eta > 0`` with ``groups``:
    group DRO (:func:`group_dro_loss`).
    """
    if dro_eta > 0 and groups is None:
        raise ValueError("group DRO needs the training groups: pass groups=g.")
    gen = seed_everything(seed)
    model = build().to(x.device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    if dro_eta > 0:
        data, loss = (x, y, groups.to(x.device)), group_dro_loss(dro_eta, n_groups, x.device)
    else:
        w = torch.ones(len(y), device=x.device) if weights is None else weights.to(x.device).float()
        data, loss = (x, y, w * len(w) / w.sum()), weighted_loss  # mean 1: lr means the same for all
    fit(model, data, loss, opt, epochs, batch_size, gen)
    model.eval()
    return model


@dataclass
class JTTResult:
    """Both JTT stages: the identification model, its error set and the final model."""

    stage1: nn.Module
    error_set: torch.Tensor
    lam_up: float
    model: nn.Module


def fit_method(method: str, build: Callable[[], nn.Module], x: torch.Tensor, y: torch.Tensor,
               g: torch.Tensor, *, seed: int = 0, jtt_epochs: int = 2, jtt_lambda: float = 6.0,
               dro_eta: float = 0.05, upweight: Callable[[torch.Tensor, float], torch.Tensor] = jtt_weights,
               **train_kw) -> nn.Module | JTTResult:
    """Train one of :data:`METHODS`. ``g`` (training groups) is used only by reweight,
    subsample and group DRO; ERM and JTT never look at it."""
    if method == "ERM":
        return train(build, x, y, seed=seed, **train_kw)
    if method == "reweight":
        return train(build, x, y, weights=group_weights(g), seed=seed, **train_kw)
    if method == "subsample":
        idx = subsample_index(g, seed=seed)
        return train(build, x[idx], y[idx], seed=seed, **train_kw)
    if method == "group DRO":
        return train(build, x, y, groups=g, dro_eta=dro_eta, seed=seed, **train_kw)
    if method == "JTT":
        stage1 = train(build, x, y, seed=seed, **{**train_kw, "epochs": jtt_epochs})
        errors = jtt_error_set(stage1, x, y)
        model = train(build, x, y, weights=upweight(errors, jtt_lambda), seed=seed, **train_kw)
        return JTTResult(stage1, errors, jtt_lambda, model)
    raise ValueError(f"unknown method {method!r}; use one of {METHODS}.")


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, g: torch.Tensor,
             n_groups: int = 4) -> dict:
    """Average accuracy, worst-group accuracy, per-group accuracies and per-item correctness."""
    pred = predict(model, x)
    errs = group_errors(pred, y, g, n_groups)
    correct = (pred == y).float().cpu().numpy()
    return {"avg_acc": float(correct.mean()), "worst_acc": float(1 - np.nanmax(errs.numpy())),
            "group_acc": (1 - errs).numpy(), "correct": correct}


def worst_group_accuracy(correct: np.ndarray, g: np.ndarray, n_groups: int = 4) -> float:
    """Worst-group accuracy from per-item 0/1 correctness (a statistic for the paired bootstrap:
    pass items as columns ``[correct, g]``)."""
    return float(min(correct[g == k].mean() for k in range(n_groups) if (g == k).any()))


def bootstrap_worst_group_gain(correct_a: np.ndarray, correct_b: np.ndarray, g: np.ndarray,
                               n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Worst-group accuracy of ``a`` minus ``b`` on the same test items, with a paired bootstrap
    interval that resamples within each group (so every group keeps its size)."""
    rng = np.random.default_rng(seed)
    g = np.asarray(g)
    effect = worst_group_accuracy(correct_a, g) - worst_group_accuracy(correct_b, g)
    idx_g = [np.flatnonzero(g == k) for k in np.unique(g)]
    boots = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.concatenate([rng.choice(ix, len(ix)) for ix in idx_g])
        boots[b] = worst_group_accuracy(correct_a[idx], g[idx]) - worst_group_accuracy(correct_b[idx], g[idx])
    lo, hi = np.quantile(boots, [0.025, 0.975])
    return float(effect), float(min(lo, effect)), float(max(hi, effect))


# ----------------------------------------------------------------------------- the group data
# Two texture families cut from real scikit-image photographs (core.composite's bank): the
# spurious attribute a is the family of an image's background.
FAMILIES = (("rocket", "moon"), ("gravel", "grass"))
LABELS = {"small": "digit < 5", "parity": "digit is odd"}


@dataclass
class GroupSplit:
    """Images ``x`` (N, 1, 32, 32), label ``y`` in {0, 1}, background family ``a`` in {0, 1},
    group ``g = 2*y + a`` and the original ``digit``."""

    x: torch.Tensor
    y: torch.Tensor
    a: torch.Tensor
    g: torch.Tensor
    digit: torch.Tensor

    def to(self, device: torch.device | str) -> GroupSplit:
        return GroupSplit(*(t.to(device) for t in (self.x, self.y, self.a, self.g, self.digit)))

    def counts(self) -> list[int]:
        """Examples in each group (0..3)."""
        return torch.bincount(self.g.cpu(), minlength=4).tolist()


def digit_label(digit: torch.Tensor, label: str = "small") -> torch.Tensor:
    """The binary label: ``"small"`` is digit < 5, ``"parity"`` is digit odd."""
    if label == "small":
        return (digit < 5).long()
    if label == "parity":
        return (digit % 2).long()
    raise ValueError(f"unknown label {label!r}; use one of {sorted(LABELS)}.")


def assign_attribute(y: torch.Tensor, p_maj: float | None, seed: int = 0) -> torch.Tensor:
    """The spurious attribute per example. ``p_maj``: within each class exactly
    ``round(p_maj * n_class)`` examples get ``a = y`` (the majority groups), the rest ``a = 1 - y``.
    ``p_maj=None``: balanced, half of each class per attribute value."""
    if p_maj is not None and not 0.5 <= p_maj <= 1:
        raise ValueError(f"p_maj must lie in [0.5, 1] (or None for balanced), got {p_maj}.")
    gen = torch.Generator().manual_seed(seed)
    y_cpu = y.cpu()
    a = torch.empty_like(y_cpu)
    for c in (0, 1):
        idx = torch.nonzero(y_cpu == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        k = round((0.5 if p_maj is None else p_maj) * len(idx))
        a[idx[:k]] = c
        a[idx[k:]] = 1 - c
    return a.to(y.device)


def family_bank(n_per_photo: int, split: str, seed: int = 0,
                families: tuple[tuple[str, ...], ...] = FAMILIES) -> tuple[torch.Tensor, torch.Tensor]:
    """Grey 32×32 texture crops and their family id (0 or 1), from core.composite's bank."""
    from tutorial_lib.core.composite import texture_bank

    photos = tuple(p for fam in families for p in fam)
    tex, pid = texture_bank(n_per_photo, size=32, seed=seed, split=split, photos=photos)
    fam_of = torch.tensor([f for f, fam in enumerate(families) for _ in fam])
    return tex, fam_of[pid]


def make_groups(split: str, p_maj: float | None = 0.95, visibility: float = 1.0,
                label: str = "small", seed: int = 0, n_per_photo: int = 64) -> GroupSplit:
    """Digit scans composited on photo textures with a spurious background attribute.

    ``split``: the kit's digit split ("train", "val", "test"). Training uses the left band of each
    photo, val/test the right band (no shared pixels). ``p_maj`` (train only; val and test are
    always balanced) is the fraction of each class in its majority group; ``visibility`` is how
    strongly the texture shows (0 = plain strokes, 1 = default, 2 = as bright as the strokes).
    """
    from tutorial_lib.core.composite import composite
    from tutorial_lib.core.data import load_digits_tensors

    digits, digit = load_digits_tensors(split, size=32)
    y = digit_label(digit, label)
    a = assign_attribute(y, p_maj if split == "train" else None, seed=seed)
    tex, fam = family_bank(n_per_photo, "train" if split == "train" else "test",
                           seed=seed + {"train": 0, "val": 1, "test": 2}.get(split, 3))
    gen = torch.Generator().manual_seed(seed + 17)
    pick = torch.empty(len(a), dtype=torch.long)
    for f in (0, 1):
        pool = torch.nonzero(fam == f).flatten()
        rows = torch.nonzero(a == f).flatten()
        pick[rows] = pool[torch.randint(0, len(pool), (len(rows),), generator=gen)]
    x = composite(digits, tex[pick], visibility=visibility)
    return GroupSplit(x, y, a, 2 * y + a, digit)

"""Simplicity bias (Shah et al., NeurIPS 2020): the LMS-k data and the probes of what a net uses.

LMS-k ("linear + multi-slab") is the paper's own synthetic experiment, written here afresh from
its description: coordinate 0 separates the classes linearly (a margin around 0), every other
coordinate separates them with k alternating slabs, so each coordinate alone predicts the label
perfectly. A random rotation hides the axis-aligned structure from the network. A net trained on
it relies on the simple (linear) coordinate only: shuffling that coordinate across the test set
(S-randomized) drops it to chance, shuffling all slab coordinates (Sᶜ-randomized) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

from tutorial_lib.core.config import pick_knobs
from tutorial_lib.core.fit import fit

# Lesson knobs per profile: training-set size, width and epochs of the MLP.
KNOBS = {
    "quick": {"n_train": 8000, "n_test": 4000, "d": 50, "hidden": 100, "epochs": 20},
    "full": {"n_train": 50000, "n_test": 10000, "d": 50, "hidden": 100, "epochs": 40},
    # FRFM_SMOKE=1: the quick sizes (the MLP is trained live, so the lesson's asserts still hold)
    "smoke": {"n_train": 8000, "n_test": 4000, "epochs": 20},
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


@dataclass(frozen=True)
class LMSData:
    """LMS-k samples: canonical coordinates ``z`` (N, d), labels ``y`` in {0, 1}, and the
    rotation ``R`` (d, d); the network sees ``x = z @ R.T``."""

    z: torch.Tensor
    y: torch.Tensor
    rotation: torch.Tensor

    @property
    def x(self) -> torch.Tensor:
        return rotate(self.z, self.rotation)


def slab_centres(k: int) -> torch.Tensor:
    """Centres of the k slabs of one coordinate, evenly spaced on [-1, 1]."""
    if k < 2:
        raise ValueError(f"k must be >= 2 slabs, got {k}.")
    return torch.linspace(-1.0, 1.0, k)


def slab_labels(k: int) -> torch.Tensor:
    """Label of each slab, alternating from the outermost (label 1) in: 1, 0, 1, 0, 1 for k=5."""
    return (torch.arange(k) % 2 == 0).long()


def sample_linear(y: torch.Tensor, margin: float, generator: torch.Generator) -> torch.Tensor:
    """The simple coordinate: uniform on [margin, 1] for y = 1 and on [-1, -margin] for y = 0."""
    u = margin + (1 - margin) * torch.rand(len(y), generator=generator)
    return torch.where(y == 1, u, -u)


def sample_slabs(
    y: torch.Tensor, n_coords: int, k: int, margin: float, generator: torch.Generator
) -> torch.Tensor:
    """``n_coords`` k-slab coordinates: each picks a slab of its label uniformly, then a point
    uniformly inside it. Slabs are ``spacing - margin`` wide, so neighbours are ``margin`` apart."""
    centres, labels = slab_centres(k), slab_labels(k)
    spacing = float(centres[1] - centres[0])
    if not 0 < margin < spacing:
        raise ValueError(f"margin must lie in (0, {spacing:.3f}) for k={k}, got {margin}.")
    n = len(y)
    out = torch.empty(n, n_coords)
    for label in (0, 1):
        own = centres[labels == label]
        rows = (y == label).nonzero().flatten()
        pick = torch.randint(len(own), (len(rows), n_coords), generator=generator)
        jitter = (torch.rand(len(rows), n_coords, generator=generator) - 0.5) * (spacing - margin)
        out[rows] = own[pick] + jitter
    return out


def random_rotation(d: int, seed: int = 0) -> torch.Tensor:
    """A Haar-random orthogonal d x d matrix (QR of a Gaussian matrix, signs fixed)."""
    g = torch.Generator().manual_seed(seed)
    q, r = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    return (q * torch.sign(torch.diagonal(r))).float()


def rotate(z: torch.Tensor, rotation: torch.Tensor) -> torch.Tensor:
    """Canonical coordinates -> what the network sees."""
    return z @ rotation.T


def make_lms(
    n: int,
    d: int = 50,
    k: int = 5,
    margin: float = 0.1,
    seed: int = 0,
    rotation: torch.Tensor | None = None,
) -> LMSData:
    """``n`` balanced LMS-k samples in ``d`` dimensions: coordinate 0 linear, 1..d-1 k-slab.

    Pass the training set's ``rotation`` when making its test set (same task, fresh samples).
    """
    if n < 2 or d < 2:
        raise ValueError(f"need n >= 2 samples and d >= 2 coordinates, got n={n}, d={d}.")
    if rotation is not None and rotation.shape != (d, d):
        raise ValueError(f"rotation must be ({d}, {d}), got {tuple(rotation.shape)}.")
    g = torch.Generator().manual_seed(seed)
    y = torch.randperm(n, generator=g) % 2
    z = torch.cat(
        [sample_linear(y, margin, g)[:, None], sample_slabs(y, d - 1, k, margin, g)], dim=1
    )
    return LMSData(z, y, random_rotation(d, seed + 1) if rotation is None else rotation)


def randomize_coordinates(data: LMSData, coords: list[int] | range, seed: int = 0) -> LMSData:
    """Shuffle each listed canonical coordinate across the samples (independently per coordinate).

    That keeps each coordinate's marginal distribution but destroys its link with the label:
    ``coords=[0]`` is the paper's S-randomized set, ``range(1, d)`` the Sᶜ-randomized set.
    """
    g = torch.Generator().manual_seed(seed)
    z = data.z.clone()
    for c in coords:
        z[:, c] = z[torch.randperm(len(z), generator=g), c]
    return LMSData(z, data.y, data.rotation)


def shift_linear(data: LMSData, size: float = 1.0) -> LMSData:
    """The universal perturbation along the simple coordinate: move coordinate 0 by ``size``
    towards the other class (one direction per class, the same for every sample; L2 norm
    ``size``)."""
    z = data.z.clone()
    z[:, 0] -= size * (2 * data.y.float() - 1)
    return LMSData(z, data.y, data.rotation)


def make_mlp(d: int, hidden: int = 100, depth: int = 1) -> nn.Sequential:
    """Fully connected ReLU net with ``depth`` hidden layers and one logit (label 1 if > 0)."""
    layers, width = [], d
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, 1))


def train_mlp(
    x: torch.Tensor,
    y: torch.Tensor,
    hidden: int = 100,
    depth: int = 1,
    epochs: int = 20,
    lr: float = 0.1,
    batch_size: int = 256,
    seed: int = 0,
) -> nn.Sequential:
    """Plain SGD (momentum 0.9) on the logistic loss: no tricks, no early stopping."""
    torch.manual_seed(seed)
    model = make_mlp(x.shape[1], hidden, depth)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    fit(model, (x, y), lambda m, batch, g: F.binary_cross_entropy_with_logits(
        m(batch[0]).squeeze(1), batch[1].float()), opt, epochs, batch_size,
        torch.Generator().manual_seed(seed))
    return model.eval()


@torch.no_grad()
def scores(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's logit for label 1, one per sample."""
    return model(x).squeeze(1)


def accuracy_and_auc(model: nn.Module, data: LMSData) -> dict[str, float]:
    """Accuracy and AUC (area under the ROC curve) of ``model`` on ``data``."""
    s = scores(model, data.x)
    acc = float(((s > 0).long() == data.y).float().mean())
    return {"accuracy": acc, "auc": float(roc_auc_score(data.y.numpy(), s.numpy()))}


@torch.no_grad()
def decision_grid(
    model: nn.Module,
    data: LMSData,
    base: torch.Tensor,
    coords: tuple[int, int] = (0, 1),
    lim: float = 1.25,
    steps: int = 121,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's P(label 1) on a 2-D slice: canonical coordinates ``coords`` vary over
    [-lim, lim]², all others stay at the canonical point ``base`` (d,). Returns (u, v, prob)."""
    u = torch.linspace(-lim, lim, steps)
    uu, vv = torch.meshgrid(u, u, indexing="xy")
    z = base.expand(steps * steps, -1).clone()
    z[:, coords[0]], z[:, coords[1]] = uu.flatten(), vv.flatten()
    prob = torch.sigmoid(scores(model, rotate(z, data.rotation))).view(steps, steps)
    return uu.numpy(), vv.numpy(), prob.numpy()

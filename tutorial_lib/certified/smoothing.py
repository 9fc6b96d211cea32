"""Randomized smoothing (Cohen, Rosenfeld & Kolter, ICML 2019): PREDICT and CERTIFY.

The smoothed classifier g(x) = argmax_c P(f(x + e) = c), e ~ N(0, sigma^2 I), is certifiably
robust in L2: if the top class has probability pA >= 1/2, then g(x + d) = g(x) for every
||d||_2 < sigma * Phi^-1(pA). CERTIFY estimates a lower confidence bound on pA by Monte Carlo
(Clopper-Pearson, one-sided, level alpha) and returns the class and that radius, or abstains.

Monte-Carlo sampling is batched on the model's device: all noise draws of a chunk of images go
through the base model in one forward pass (no Python loop over noise draws).

The quick profile's base models are small CNNs on 16x16 digit scans trained with Gaussian-noise
augmentation (``scripts/train_smoothing_models.py``), shipped as ``data/checkpoints/smooth_*``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import beta, binom, norm
from torch import nn

from tutorial_lib.core import data, zoo
from tutorial_lib.core.config import pick_knobs
from tutorial_lib.core.fit import accuracy, train_classifier
from tutorial_lib.core.models import DIGITS_MEAN, DIGITS_STD, ImageClassifier

ABSTAIN = -1
SIGMAS = (0.12, 0.25, 0.5)  # noise levels of the shipped base models
IMAGE_SIZE = 16  # the smoothing lesson's digits are 16x16 (as in the lesson spec's measurement)
# Lesson knobs per profile: images certified, N0 (selection), N (estimation), alpha, batch size
# (noisy images per forward pass), PGD steps and noise draws per step for the attack.
KNOBS = {
    "quick": {"n_images": 80, "n0": 100, "n": 1000, "alpha": 0.001, "batch": 500,
              "pgd_steps": 10, "pgd_draws": 8},
    "full": {"n_images": 500, "n0": 100, "n": 10000, "alpha": 0.001, "batch": 500,
             "pgd_steps": 20, "pgd_draws": 64},
    # FRFM_SMOKE=1: the same code paths on a few images and draws (numbers mean nothing)
    "smoke": {"n_images": 32, "n0": 32, "n": 1000, "pgd_steps": 2, "pgd_draws": 2},
}
TRAIN_RECIPE = {"epochs": 60, "lr": 2e-3, "weight_decay": 5e-4, "batch_size": 64,
                "warmup_epochs": 2, "label_smoothing": 0.0}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


# ----------------------------------------------------------------------------- Monte Carlo
def _check_args(x: torch.Tensor, sigma: float, n: int, alpha: float | None = None) -> None:
    if not torch.is_tensor(x) or x.dim() != 4:
        raise ValueError("x must be a batch of images shaped (B, C, H, W); add a batch dimension "
                         "with x[None] for a single image.")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 (the noise standard deviation), got {sigma}.")
    if int(n) != n or n < 1:
        raise ValueError(f"The number of noise samples must be a positive integer, got {n}.")
    if alpha is not None and not 0 < alpha < 1:
        raise ValueError(f"alpha (the failure probability) must be in (0, 1), got {alpha}; "
                         "Cohen et al. use 0.001.")


@torch.no_grad()
def sample_counts(model: nn.Module, x: torch.Tensor, sigma: float, n: int, num_classes: int,
                  batch: int = 500, generator: torch.Generator | None = None) -> torch.Tensor:
    """Class counts of ``model`` on ``n`` Gaussian-noised copies of each image: (B, num_classes).

    Noise draws are batched: each forward pass sees up to ``batch`` noisy images (several images
    times many draws). ``generator`` (a CPU torch.Generator) makes the draws reproducible.
    """
    _check_args(x, sigma, n)
    model.eval()
    b = x.shape[0]
    counts = torch.zeros(b, num_classes, dtype=torch.long, device=x.device)
    per_img = max(1, min(n, batch // max(1, b)))  # draws per image per pass
    img_chunk = max(1, batch // per_img)
    for i in range(0, b, img_chunk):
        xi = x[i:i + img_chunk]
        done = 0
        while done < n:
            s = min(per_img, n - done)
            noise = torch.randn((xi.shape[0], s, *xi.shape[1:]), generator=generator)
            noisy = (xi.unsqueeze(1) + sigma * noise.to(x.device)).flatten(0, 1)
            pred = model(noisy).argmax(1).view(xi.shape[0], s)
            counts[i:i + img_chunk] += F.one_hot(pred, num_classes).sum(1)
            done += s
    return counts


def lower_confidence_bound(n_a: np.ndarray | int, n: int, alpha: float) -> np.ndarray:
    """One-sided (1 - alpha) Clopper-Pearson lower bound on a binomial proportion: the alpha
    quantile of Beta(nA, n - nA + 1); 0 when nA = 0."""
    n_a = np.asarray(n_a, dtype=float)
    if np.any(n_a < 0) or np.any(n_a > n):
        raise ValueError(f"counts must lie in [0, n={n}], got {n_a}.")
    with np.errstate(invalid="ignore"):
        lo = beta.ppf(alpha, n_a, n - n_a + 1)
    return np.where(n_a > 0, lo, 0.0)


def radius(p_lower: np.ndarray | float, sigma: float) -> np.ndarray:
    """Certified L2 radius sigma * Phi^-1(pA_lower) (0 where pA_lower <= 1/2: abstain)."""
    p = np.asarray(p_lower, dtype=float)
    return np.where(p > 0.5, sigma * norm.ppf(np.clip(p, 0.5, 1.0)), 0.0)


def max_radius(sigma: float, n: int, alpha: float) -> float:
    """The largest radius CERTIFY can ever return with n samples: sigma * Phi^-1(alpha^(1/n))
    (reached when all n noisy copies vote for the same class)."""
    return float(sigma * norm.ppf(alpha ** (1.0 / n)))


# ----------------------------------------------------------------------------- PREDICT / CERTIFY
def predict(model: nn.Module, x: torch.Tensor, sigma: float, n: int, alpha: float,
            num_classes: int = 10, batch: int = 500,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """PREDICT (Cohen et al., Alg. 1): the smoothed classifier's class for each image, or ABSTAIN
    (-1) when a two-sided binomial test of the top two counts is not significant at ``alpha``.
    Returns an int64 tensor (B,). The returned class differs from g(x) with probability <= alpha.
    """
    _check_args(x, sigma, n, alpha)
    counts = sample_counts(model, x, sigma, n, num_classes, batch, generator).cpu()
    top2 = counts.topk(2, dim=1)
    n_a, n_b = top2.values[:, 0].numpy(), top2.values[:, 1].numpy()
    # exact two-sided binomial test of nA ~ Bin(nA + nB, 1/2) (symmetric, so 2 * lower tail)
    p_value = np.minimum(1.0, 2 * binom.cdf(np.minimum(n_a, n_b), n_a + n_b, 0.5))
    out = top2.indices[:, 0].clone()
    out[torch.from_numpy(p_value > alpha)] = ABSTAIN
    return out


def certify(model: nn.Module, x: torch.Tensor, sigma: float, n0: int, n: int, alpha: float,
            num_classes: int = 10, batch: int = 500,
            generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """CERTIFY (Cohen et al., Alg. 1): guess the top class from ``n0`` draws, bound its
    probability from ``n`` fresh draws (Clopper-Pearson at ``alpha``), and return
    ``(classes, radii)``: class ABSTAIN (-1) and radius 0 where the bound is <= 1/2.
    With probability >= 1 - alpha per image, g is constant on the L2 ball of that radius.
    """
    _check_args(x, sigma, n, alpha)
    if int(n0) != n0 or n0 < 1:
        raise ValueError(f"n0 (selection samples) must be a positive integer, got {n0}.")
    c_a = sample_counts(model, x, sigma, n0, num_classes, batch, generator).argmax(1)
    counts = sample_counts(model, x, sigma, n, num_classes, batch, generator)
    n_a = counts.gather(1, c_a.view(-1, 1)).squeeze(1).cpu().numpy()
    p_lower = lower_confidence_bound(n_a, n, alpha)
    r = radius(p_lower, sigma)
    classes = torch.where(torch.from_numpy(p_lower > 0.5), c_a.cpu(), torch.tensor(ABSTAIN))
    return classes, torch.from_numpy(r).float()


def certified_accuracy(classes: torch.Tensor, radii: torch.Tensor, y: torch.Tensor,
                       grid: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Fraction of images certified correct at radius >= r, for each r in ``grid``."""
    grid = torch.as_tensor(grid, dtype=torch.float32)
    correct = (classes.cpu() == y.cpu())
    return (correct[None, :] & (radii.cpu()[None, :] >= grid[:, None])).float().mean(1)


# ----------------------------------------------------------------------------- attacking g
class SoftSmoothed(nn.Module):
    """Monte-Carlo average of the base model's softmax over ``draws`` Gaussian copies: a
    differentiable surrogate of the smoothed classifier to attack (returns log-probabilities,
    so cross-entropy on it is the loss of the averaged soft classifier)."""

    def __init__(self, base: nn.Module, sigma: float, draws: int = 16, seed: int = 0) -> None:
        super().__init__()
        self.base, self.sigma, self.draws, self.seed = base, sigma, draws, seed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed)
        self.seed += 1  # fresh noise at every step (expectation over transformation)
        noise = torch.randn((x.shape[0], self.draws, *x.shape[1:]), generator=gen).to(x.device)
        logits = self.base((x.unsqueeze(1) + self.sigma * noise).flatten(0, 1))
        probs = logits.softmax(1).view(x.shape[0], self.draws, -1).mean(1)
        return probs.clamp_min(1e-12).log()


# ----------------------------------------------------------------------------- base models
def build_smoothing_cnn(num_classes: int = 10) -> ImageClassifier:
    """A small 3-conv CNN for 16x16 grey digits (widths 16-32-64, about 24k parameters: cheap
    enough to push ~10^5 noisy copies through on a CPU in seconds).

    Its input check is off: a smoothing base model sees x + N(0, sigma^2) noise, which leaves
    [0, 1] by design (Cohen et al. do not clip).
    """
    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    net = nn.Sequential(*block(1, 16), nn.MaxPool2d(2), *block(16, 32), nn.MaxPool2d(2),
                        *block(32, 64), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(64, num_classes))
    model = ImageClassifier(net, DIGITS_MEAN, DIGITS_STD, (1, IMAGE_SIZE, IMAGE_SIZE),
                            "smoothing_cnn")
    model.check_inputs = False
    return model


def checkpoint_name(sigma: float) -> str:
    """``smooth_cnn_s012`` for sigma 0.12, and so on."""
    return f"smooth_cnn_s{round(sigma * 100):03d}"


def noise_augment(sigma: float):
    """The training augmentation: Gaussian noise only, unclipped, as in Cohen et al. (adding the
    kit's affine + erasing augmentation cut the sigma = 0.5 model's noisy accuracy from 87% to
    74-77% in a trial, and its certified accuracy at r = 1 from 19% to 5%)."""
    def aug(x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        return x + sigma * torch.randn(x.shape, generator=gen).to(x.device)
    return aug


def train_smoothing_model(model: nn.Module, sigma: float, log=print) -> dict:
    """Train a base model on 16x16 digits with Gaussian-noise augmentation at ``sigma``."""
    tr = data.load_digits_tensors("train", size=IMAGE_SIZE)
    va = data.load_digits_tensors("val", size=IMAGE_SIZE)
    te = data.load_digits_tensors("test", size=IMAGE_SIZE)
    gen = torch.Generator().manual_seed(1)
    va_noisy = (va[0] + sigma * torch.randn(va[0].shape, generator=gen), va[1])
    result = train_classifier(model, tr, va_noisy, augment=noise_augment(sigma), seed=0, log=log,
                              **TRAIN_RECIPE)
    te_noisy = te[0] + sigma * torch.randn(te[0].shape, generator=gen)
    return {"dataset": "digits", "image_size": IMAGE_SIZE, "sigma": sigma,
            "test_acc_clean": accuracy(model, *te), "test_acc_noisy": accuracy(model, te_noisy, te[1]),
            "val_acc_noisy": result["val_acc"], "best_epoch": result["best_epoch"],
            "epochs": result["epochs"], "recipe": TRAIN_RECIPE}


for _sigma in SIGMAS:
    zoo.register(checkpoint_name(_sigma), build=build_smoothing_cnn,
                 description=f"base model for randomized smoothing, Gaussian noise sigma={_sigma}",
                 train=lambda m, s=_sigma: train_smoothing_model(m, s))


def load_smoothing_model(sigma: float, device: torch.device | str | None = None) -> ImageClassifier:
    """The shipped base model trained with noise ``sigma`` (from the zoo, sha256-checked)."""
    if sigma not in SIGMAS:
        raise KeyError(f"No base model for sigma={sigma}; shipped: {', '.join(map(str, SIGMAS))}. "
                       f"Train one with train_smoothing_model(build_smoothing_cnn(), {sigma}).")
    return zoo.load(checkpoint_name(sigma), device)

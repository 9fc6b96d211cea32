"""The Gaussian model of Schmidt et al. (2018) and Carmon et al. (2019): robust learning needs more
labels than standard learning, and unlabeled data closes the gap.

Labels y = ±1 are equally likely and x | y ~ N(y·μ, σ² I_d). A linear classifier sign(θᵀx) has
closed-form errors (Φ is the standard normal CDF):

- standard error: Φ(-θᵀμ / (σ‖θ‖₂))
- robust error against an L∞ adversary of budget ε (who lowers the margin yθᵀx by ε‖θ‖₁):
  Φ(-(θᵀμ - ε‖θ‖₁) / (σ‖θ‖₂)).

This module is the papers' own (synthetic) experiment, in NumPy: no network is trained.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from tutorial_lib.core.config import pick_knobs

# Lesson knobs per profile: Monte-Carlo repetitions and the label counts of the sample-size sweep.
KNOBS = {
    "quick": {
        "d": 4000,
        "sigma": 10.0,
        "eps": 0.5,
        "trials": 12,
        "n_labeled": [10, 20, 50, 100, 200, 500, 1000, 2000],
    },
    "full": {
        "d": 4000,
        "sigma": 10.0,
        "eps": 0.5,
        "trials": 100,
        "n_labeled": [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
    },
    "smoke": {"trials": 2, "n_labeled": [10, 100, 1000]},  # FRFM_SMOKE=1: code paths only
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def default_mean(d: int) -> np.ndarray:
    """The class mean used in the lesson: all ones (‖μ‖∞ = 1, ‖μ‖₂ = √d)."""
    return np.ones(d)


def _check(theta: np.ndarray, mu: np.ndarray, sigma: float) -> None:
    if theta.shape != mu.shape:
        raise ValueError(
            f"theta has shape {theta.shape} but mu has {mu.shape}: give one weight "
            "per input coordinate."
        )
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}.")
    if not np.any(theta):
        raise ValueError("theta is all zeros: sign(θᵀx) is not a classifier.")


def standard_error(theta: np.ndarray, mu: np.ndarray, sigma: float) -> float:
    """P(sign(θᵀx) ≠ y) in closed form."""
    _check(theta, mu, sigma)
    return float(norm.cdf(-(theta @ mu) / (sigma * np.linalg.norm(theta))))


def robust_error(theta: np.ndarray, mu: np.ndarray, sigma: float, eps: float) -> float:
    """P(some ‖δ‖∞ ≤ ε makes sign(θᵀ(x + δ)) ≠ y) in closed form (the worst δ is -y·ε·sign(θ))."""
    _check(theta, mu, sigma)
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}.")
    margin = theta @ mu - eps * np.abs(theta).sum()
    return float(norm.cdf(-margin / (sigma * np.linalg.norm(theta))))


def sample(
    n: int, mu: np.ndarray, sigma: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` draws of (x, y): y uniform on {-1, +1}, x = y·μ + σ·noise. Shapes (n, d) and (n,)."""
    if n < 1:
        raise ValueError(f"need n >= 1 samples, got {n}.")
    y = rng.choice([-1.0, 1.0], size=n)
    noise = rng.standard_normal((n, len(mu)), dtype=np.float32)  # float32: 2x faster, ample here
    return y[:, None] * mu + sigma * noise, y


def averaging_estimator(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """θ̂ = (1/n) Σ yᵢ xᵢ: the natural estimator of μ (what the papers analyse)."""
    return (y[:, None] * x).mean(0)


def adversarial_estimator(x: np.ndarray, y: np.ndarray, eps: float) -> np.ndarray:
    """Adversarial training of a linear classifier with ‖θ‖∞ ≤ 1: maximise the worst-case mean
    margin (1/n) Σ yᵢθᵀxᵢ - ε‖θ‖₁. It splits per coordinate; the solution thresholds the average:
    θⱼ = sign(wⱼ) if |wⱼ| > ε else 0, with w = (1/n) Σ yᵢ xᵢ."""
    w = averaging_estimator(x, y)
    return np.sign(w) * (np.abs(w) > eps)


def pseudo_label(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Labels sign(θᵀx) (ties to +1) that a classifier gives to unlabeled points."""
    return np.where(x @ theta >= 0, 1.0, -1.0)


def self_training(x_lab: np.ndarray, y_lab: np.ndarray, x_unlab: np.ndarray) -> np.ndarray:
    """Carmon et al.'s estimator: fit on the labels, pseudo-label the unlabeled points with it,
    refit on the pseudo-labeled points only: θ̂_final = (1/ñ) Σ ỹᵢ x̃ᵢ."""
    intermediate = averaging_estimator(x_lab, y_lab)
    return averaging_estimator(x_unlab, pseudo_label(intermediate, x_unlab))


def robust_self_training(
    x_lab: np.ndarray, y_lab: np.ndarray, x_unlab: np.ndarray, eps: float
) -> np.ndarray:
    """Robust self-training: pseudo-label with the standard estimator fitted on the labels, then
    train adversarially on labeled + pseudo-labeled points together."""
    pseudo = pseudo_label(averaging_estimator(x_lab, y_lab), x_unlab)
    return adversarial_estimator(
        np.concatenate([x_lab, x_unlab]), np.concatenate([y_lab, pseudo]), eps
    )


METHODS = ("standard", "adversarial", "self-training", "robust self-training")


def fit(
    method: str, x: np.ndarray, y: np.ndarray, x_unlab: np.ndarray | None, eps: float
) -> np.ndarray:
    """One of ``METHODS`` on labeled (x, y) (and unlabeled ``x_unlab`` for self-training)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}.")
    if method in METHODS[2:] and (x_unlab is None or len(x_unlab) == 0):
        raise ValueError(f"{method!r} needs unlabeled data: pass n_unlabeled > 0.")
    if method == "standard":
        return averaging_estimator(x, y)
    if method == "adversarial":
        return adversarial_estimator(x, y, eps)
    if method == "self-training":
        return self_training(x, y, x_unlab)
    return robust_self_training(x, y, x_unlab, eps)


def run_trials(
    n_labeled: int,
    n_unlabeled: int = 0,
    d: int = 4000,
    sigma: float = 10.0,
    eps: float = 0.5,
    trials: int = 20,
    seed: int = 0,
    method: str | None = None,
) -> dict[str, float]:
    """Mean (and std over ``trials``) of the closed-form errors of ``method`` (default: the
    averaging estimator on ``n_labeled`` labels, or self-training when ``n_unlabeled`` > 0)."""
    mu = default_mean(d)
    rng = np.random.default_rng(seed)
    method = method or ("self-training" if n_unlabeled else "standard")
    std, rob = [], []
    for _ in range(trials):
        x, y = sample(n_labeled, mu, sigma, rng)
        x_u = sample(n_unlabeled, mu, sigma, rng)[0] if n_unlabeled else None  # labels thrown away
        theta = fit(method, x, y, x_u, eps)
        std.append(standard_error(theta, mu, sigma))
        rob.append(robust_error(theta, mu, sigma, eps))
    return {
        "standard_error": float(np.mean(std)),
        "robust_error": float(np.mean(rob)),
        "robust_error_std": float(np.std(rob)),
        "trials": trials,
    }

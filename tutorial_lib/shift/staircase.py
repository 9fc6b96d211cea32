"""The staircase toy of Raghunathan et al. (2019, *Adversarial training can hurt generalization*;
2020, *Understanding and mitigating the tradeoff between robustness and accuracy*), in NumPy.

This is the papers' own synthetic example, written afresh from their description. Inputs live on
the stairs ``t = 0, 1, ..., s-1`` (most of the mass on the first few); the true function is the
staircase ``f*(t) = t`` on each stair and flat on its ``±eps`` neighbourhood, so the perturbations
``t ± eps`` are *consistent* (they keep the label). Every estimator is the minimum-norm cubic-spline
interpolant (the function through the points with the smallest ``∫ f''(u)^2 du``; linear functions
cost nothing):

- **standard**: interpolates the labelled points ``(t_i, t_i)``;
- **augmented** (adversarial / consistent augmentation): also interpolates ``(t_i ± eps, t_i)``;
- **RST** (robust self-training): the augmented points plus unlabelled points ``u_j`` and their
  perturbations, pseudo-labelled by the standard estimator.

With few labelled stairs the augmented interpolant must bend to stay flat around them and
extrapolates badly to the unseen stairs, so its *standard* error rises; RST pins the unseen stairs
to the standard estimator and removes the increase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KNOBS = {
    "quick": {"stairs": 10, "eps": 0.25, "decay": 0.6, "n_unlabeled": 100,
              "ns": (2, 4, 8, 16, 32, 64, 128), "seeds": 30},
    "full": {"stairs": 10, "eps": 0.25, "decay": 0.6, "n_unlabeled": 1000,
             "ns": (2, 4, 8, 16, 32, 64, 128, 256, 512), "seeds": 200},
    "smoke": {"n_unlabeled": 100, "ns": (2, 8, 32), "seeds": 4},  # FRFM_SMOKE=1: code paths only
}


def knobs(profile: str | None = None) -> dict:
    """The staircase knobs for ``profile`` (default: the active ``FRFM_PROFILE``)."""
    from tutorial_lib.core.config import pick_knobs  # KNOBS["smoke"] laid over under FRFM_SMOKE=1

    return pick_knobs(KNOBS, profile)


@dataclass(frozen=True)
class Staircase:
    """The data distribution: ``stairs`` integer inputs with probabilities ``probs``
    (``probs[t]`` proportional to ``decay**t``) and consistent perturbations of size ``eps``."""

    stairs: int = 10
    eps: float = 0.25
    decay: float = 0.6

    def __post_init__(self) -> None:
        if self.stairs < 2 or not 0 < self.eps < 0.5 or not 0 < self.decay <= 1:
            raise ValueError("need stairs >= 2, 0 < eps < 0.5 and 0 < decay <= 1, got "
                             f"{self.stairs}, {self.eps}, {self.decay}.")

    @property
    def support(self) -> np.ndarray:
        return np.arange(self.stairs, dtype=float)

    @property
    def probs(self) -> np.ndarray:
        p = self.decay ** self.support
        return p / p.sum()

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` inputs drawn from ``probs`` (integers as floats)."""
        return rng.choice(self.support, size=n, p=self.probs)

    def target(self, t: np.ndarray) -> np.ndarray:
        """``f*``: the nearest stair (so ``f*(t ± eps) = f*(t)``)."""
        return np.round(np.asarray(t, dtype=float))


def spline_kernel(s: np.ndarray, t: np.ndarray, origin: float = -1.0) -> np.ndarray:
    """Reproducing kernel of ``∫ f''(u)^2 du`` on ``[origin, ∞)`` (linear part excluded):
    ``k(s, t) = ∫ (s-u)_+ (t-u)_+ du = m²M/2 - m³/6`` with ``m, M`` the smaller/larger of
    ``s - origin, t - origin``."""
    a = np.asarray(s, dtype=float)[:, None] - origin
    b = np.asarray(t, dtype=float)[None, :] - origin
    if (a < 0).any() or (b < 0).any():
        raise ValueError(f"inputs must be >= origin={origin}.")
    m, big = np.minimum(a, b), np.maximum(a, b)
    return m * m * big / 2 - m ** 3 / 6


@dataclass(frozen=True)
class SplineInterpolant:
    """``f(t) = d0 + d1 t + Σ c_i k(t, t_i)``: the min-norm cubic-spline interpolant."""

    knots: np.ndarray
    coef: np.ndarray
    linear: np.ndarray

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        return spline_kernel(t, self.knots) @ self.coef + self.linear[0] + self.linear[1] * t

    def norm(self) -> float:
        """The penalty ``∫ f''^2`` (= cᵀ K c)."""
        return float(self.coef @ spline_kernel(self.knots, self.knots) @ self.coef)


def fit_min_norm(t: np.ndarray, y: np.ndarray) -> SplineInterpolant:
    """The interpolant of ``(t, y)`` with the smallest ``∫ f''^2`` (a natural cubic spline).
    Repeated inputs must carry the same target; they are merged."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    uniq, inv = np.unique(t, return_inverse=True)
    yu = np.zeros(len(uniq))
    yu[inv] = y
    if not np.allclose(yu[inv], y):
        raise ValueError("the same input appears with two different targets; cannot interpolate.")
    n = len(uniq)
    if n == 1:  # one point: the constant function
        return SplineInterpolant(uniq, np.zeros(1), np.array([yu[0], 0.0]))
    lin = np.stack([np.ones(n), uniq], 1)
    system = np.block([[spline_kernel(uniq, uniq), lin], [lin.T, np.zeros((2, 2))]])
    sol = np.linalg.solve(system, np.concatenate([yu, np.zeros(2)]))
    return SplineInterpolant(uniq, sol[:n], sol[n:])


def perturb(t: np.ndarray, eps: float) -> np.ndarray:
    """Each input with its two consistent perturbations ``t - eps, t, t + eps``."""
    t = np.asarray(t, dtype=float)
    return np.concatenate([t - eps, t, t + eps])


def fit_estimators(data: Staircase, t_train: np.ndarray, t_unlabeled: np.ndarray
                   ) -> dict[str, SplineInterpolant]:
    """The three estimators of the papers on one labelled sample and one unlabelled sample."""
    std = fit_min_norm(t_train, data.target(t_train))
    aug_t = perturb(t_train, data.eps)
    aug = fit_min_norm(aug_t, data.target(aug_t))
    # RST: labelled + augmented points keep their labels; unlabelled points (and their
    # perturbations) get the standard estimator's prediction at the clean point as pseudo-label
    u = np.setdiff1d(np.unique(t_unlabeled), np.unique(t_train))
    pseudo = np.tile(std(u), 3)
    rst = fit_min_norm(np.concatenate([aug_t, perturb(u, data.eps)]),
                       np.concatenate([data.target(aug_t), pseudo]))
    return {"standard": std, "augmented": aug, "RST": rst}


def standard_error(data: Staircase, f: SplineInterpolant) -> float:
    """``E_t (f(t) - f*(t))^2`` over the clean stairs (exact expectation under ``probs``)."""
    return float(data.probs @ (f(data.support) - data.support) ** 2)


def robust_error(data: Staircase, f: SplineInterpolant) -> float:
    """``E_t max_{t' in {t-eps, t, t+eps}} (f(t') - f*(t))^2``."""
    s = data.support
    worst = np.max([(f(s + d) - s) ** 2 for d in (-data.eps, 0.0, data.eps)], axis=0)
    return float(data.probs @ worst)


def sweep(data: Staircase, ns: tuple[int, ...], seeds: int, n_unlabeled: int) -> dict[str, np.ndarray]:
    """Standard and robust error of each estimator: arrays ``(len(ns), seeds)`` per name,
    keyed ``"standard/std_err"``, ``"augmented/rob_err"``, ... ."""
    out: dict[str, np.ndarray] = {}
    for i, n in enumerate(ns):
        for s in range(seeds):
            rng = np.random.default_rng(1000 * s + n)
            fits = fit_estimators(data, data.sample(n, rng), data.sample(n_unlabeled, rng))
            for name, f in fits.items():
                for kind, fn in (("std_err", standard_error), ("rob_err", robust_error)):
                    out.setdefault(f"{name}/{kind}", np.zeros((len(ns), seeds)))[i, s] = fn(data, f)
    return out

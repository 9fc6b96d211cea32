"""The two-layer linear toy of Kumar et al. (ICLR 2022): LP vs FT vs LP-FT in closed form.

f(x) = vᵀBx with pretrained features B₀ (k x d); ground truth y = v*ᵀB*x; in-distribution (ID)
inputs confined to an r-dimensional subspace S, out-of-distribution (OOD) inputs spread over all of
R^d. Gradient steps on ID data change B only inside S, so when fine-tuning (FT) starts from a random
head, the head moves far while the features outside S stay put: OOD predictions break ("feature
distortion"). Linear probing (LP) keeps B₀; LP-FT starts fine-tuning from the LP head, so B barely
moves. Errors are in closed form for isotropic Gaussian inputs. (The paper's own synthetic toy.)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class LinearToy:
    """Ground truth (B_star, v_star), pretrained features B0, ID subspace basis S (d x r)."""

    B_star: torch.Tensor
    v_star: torch.Tensor
    B0: torch.Tensor
    S: torch.Tensor

    def sample_id(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` ID points x = S z (z ~ N(0, I_r)) and their noiseless labels."""
        x = torch.randn(n, self.S.shape[1], generator=generator, dtype=torch.float64) @ self.S.T
        return x, x @ self.B_star.T @ self.v_star


def make_toy(d: int = 50, k: int = 10, r: int = 20, feature_noise: float = 0.05,
             seed: int = 0) -> LinearToy:
    """Random ground truth with orthonormal feature rows, pretrained features B0 = the truth plus
    ``feature_noise`` relative error (re-orthonormalised), ID subspace of dimension ``r``."""
    if not k <= r <= d:
        raise ValueError(f"need k <= r <= d (features <= ID dimension <= input dimension), "
                         f"got k={k}, r={r}, d={d}.")
    g = torch.Generator().manual_seed(seed)
    randn = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    orthonormal_rows = lambda m: torch.linalg.qr(m.T)[0].T  # noqa: E731
    B_star = orthonormal_rows(randn(k, d))
    B0 = orthonormal_rows(B_star + feature_noise * randn(k, d) / d**0.5 * k**0.5)
    v_star = randn(k)
    return LinearToy(B_star, v_star, B0, torch.linalg.qr(randn(d, r))[0])


def errors(toy: LinearToy, B: torch.Tensor, v: torch.Tensor) -> dict[str, float]:
    """Closed-form mean squared errors of f(x) = vᵀBx: ID (x = Sz, z ~ N(0, I_r)) and OOD
    (x ~ N(0, I_d)), both E[(vᵀBx - v*ᵀB*x)²] = ‖Σ^{1/2}(Bᵀv - B*ᵀv*)‖²."""
    w = B.T @ v - toy.B_star.T @ toy.v_star
    return {"id_mse": float((toy.S.T @ w).square().sum()), "ood_mse": float(w.square().sum())}


def feature_change(B0: torch.Tensor, B: torch.Tensor) -> float:
    """Relative change of the features: ‖B - B0‖_F / ‖B0‖_F."""
    return float((B - B0).norm() / B0.norm())


def linear_probe(B0: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                 ridge: float = 1e-8) -> torch.Tensor:
    """LP: the least-squares head on the frozen features φ = x B0ᵀ, (φᵀφ + ridge·I) v = φᵀy."""
    phi = x @ B0.T
    return torch.linalg.solve(phi.T @ phi + ridge * torch.eye(phi.shape[1], dtype=phi.dtype),
                              phi.T @ y)


def fine_tune(B: torch.Tensor, v: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
              steps: int = 3000, lr: float = 0.05) -> tuple[torch.Tensor, torch.Tensor]:
    """Full-batch gradient descent on ½·mean (vᵀBx - y)² over both B and v (returns copies).

    The gradients, written out: with residuals e = XBᵀv - y, ∇_v = B Xᵀe / n and
    ∇_B = v (Xᵀe)ᵀ / n — a rank-one update whose rows lie in the span of the inputs."""
    for _ in range(steps):
        xe = x.T @ (x @ B.T @ v - y) / len(x)  # (d,)
        B, v = B - lr * torch.outer(v, xe), v - lr * (B @ xe)
    return B.clone(), v.clone()


def random_head(k: int, seed: int = 0) -> torch.Tensor:
    """A freshly initialised head, as ``nn.Linear`` would draw it: U(-1/√k, 1/√k)."""
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(k, generator=g, dtype=torch.float64) * 2 - 1) / k**0.5


def compare_toy(d: int = 50, k: int = 10, r: int = 20, n: int = 200, feature_noise: float = 0.05,
                steps: int = 3000, lr: float = 0.05, seed: int = 0) -> dict[str, dict[str, float]]:
    """LP, FT (random head) and LP-FT on one toy: ID/OOD MSE and feature change of each."""
    toy = make_toy(d, k, r, feature_noise, seed)
    x, y = toy.sample_id(n, torch.Generator().manual_seed(seed + 1))
    v_lp = linear_probe(toy.B0, x, y)
    runs = {"LP": (toy.B0, v_lp), "FT": fine_tune(toy.B0, random_head(k, seed), x, y, steps, lr),
            "LP-FT": fine_tune(toy.B0, v_lp, x, y, steps, lr)}
    return {name: {**errors(toy, B, v), "feature_change": feature_change(toy.B0, B)}
            for name, (B, v) in runs.items()}

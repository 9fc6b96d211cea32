"""A Fourier perspective on robustness (Yin et al. 2019): basis images, heat maps, band filters.

Frequencies are indexed the way the heat maps are drawn: centred, ``(ky, kx)`` in
``[-S/2, S/2 - 1]`` for an ``S x S`` image, the zero frequency in the middle (``fftshift``
layout). The basis image of ``(ky, kx)`` is the real, unit-L2-norm cosine
``cos(2 pi (ky * row + kx * col) / S)``; ``(ky, kx)`` and ``(-ky, -kx)`` give the same image, so a
heat map needs only the ``(S*S + 4) / 2`` unique directions (514 of 1,024 at 32 x 32).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from tutorial_lib.core.config import pick_knobs
from tutorial_lib.core.device import eval_batch_size

# Lesson knobs per profile. norm: L2 norm of the added basis image per channel (Yin et al. use 4
# at 32 px; at 224 px the same per-pixel RMS needs 4 * 224 / 32 = 28). stride: evaluate every
# stride-th frequency (1 = all); photo_stride: the same for the photo flip-rate map. n_images:
# images per direction. low_r / high_r: band edges. batch_size: images per forward call (on a
# CPU 64 is as fast per image as anything and 256+ is slower, scripts/bench_batch.py; a GPU wants more).
KNOBS = {
    "quick": {"norm": 4.0, "stride": 1, "photo_stride": 2, "n_images": 16, "n_photos": 16,
              "low_r": 4.0, "high_r": 12.0, "cutoffs": (2, 4, 8, 12), "n_filter": 200,
              "batch_size": 64},
    "full": {"norm": 28.0, "stride": 8, "photo_stride": 8, "n_images": 32, "n_photos": 32,
             "low_r": 28.0, "high_r": 84.0, "cutoffs": (16, 28, 56, 84), "n_filter": 500,
             "batch_size": 1024},
    # FRFM_SMOKE=1: a few images (notebook 02 also evaluates only a 4 x 4 grid of frequencies)
    "smoke": {"n_images": 2, "n_photos": 2, "n_filter": 4, "batch_size": 64},
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def centred_frequencies(size: int) -> torch.Tensor:
    """The frequencies of one axis in heat-map order: ``[-size//2, ..., size - size//2 - 1]``."""
    return torch.arange(size) - size // 2


def fourier_basis(size: int, freqs: torch.Tensor) -> torch.Tensor:
    """(K, size, size) real basis images of unit L2 norm for the (K, 2) integer ``(ky, kx)``."""
    freqs = torch.as_tensor(freqs).reshape(-1, 2).double()
    r = torch.arange(size, dtype=torch.float64)
    phase = 2 * math.pi * (freqs[:, 0, None, None] * r[None, :, None]
                           + freqs[:, 1, None, None] * r[None, None, :]) / size
    u = torch.cos(phase)
    return (u / u.flatten(1).norm(dim=1).view(-1, 1, 1)).float()


def unique_frequencies(size: int, stride: int = 1) -> torch.Tensor:
    """(K, 2) centred ``(ky, kx)``, one per conjugate pair ``(k, -k)``, on every ``stride``-th
    frequency of the centred grid (stride 1: all ``(size*size + 4) / 2`` for even sizes)."""
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}.")
    f = centred_frequencies(size)[::stride]
    ky, kx = torch.meshgrid(f, f, indexing="ij")
    k = torch.stack([ky.flatten(), kx.flatten()], 1)
    a, conj = k % size, (-k) % size
    keep = (a[:, 0] < conj[:, 0]) | ((a[:, 0] == conj[:, 0]) & (a[:, 1] <= conj[:, 1]))
    return k[keep]


def _index(k: torch.Tensor, size: int) -> torch.Tensor:
    """Centred frequency -> array index in the (size, size) heat map (wrapping the Nyquist)."""
    return (k + size // 2) % size


def perturb(x: torch.Tensor, basis: torch.Tensor, norm: float, signs: torch.Tensor) -> torch.Tensor:
    """x + norm * sign * basis, clamped to [0, 1]: (N, C, H, W) x (K, H, W) x (K, N, C) ->
    (K, N, C, H, W). Every channel gets its own random sign, as in Yin et al."""
    return (x[None] + norm * signs[..., None, None] * basis[:, None, None]).clamp(0, 1)


@torch.no_grad()
def _predict(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    return torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])


@torch.no_grad()
def fourier_heatmap(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, norm: float,
                    stride: int = 1, batch_size: int | None = None, seed: int = 0,
                    directions_per_call: int | None = None, per_image: bool = False) -> torch.Tensor:
    """Error rate of ``model`` when one Fourier basis image of L2 norm ``norm`` is added, for every
    frequency: an (S, S) map in centred layout, NaN where ``stride`` skipped a frequency.

    ``y`` = labels -> error rate; ``y=None`` -> flip rate (fraction of images whose prediction
    changes from the clean one: needs no labels, e.g. for photos). All unique directions are
    batched: ``directions_per_call`` directions x N images go through the model per forward call
    (default: as many as fit in ``batch_size`` images); the conjugate half is filled by symmetry.
    ``per_image=True`` keeps the images apart: an (S, S, N) map of 0/1 errors (its mean over the
    last axis is the default map), for a bootstrap over images.
    """
    model.eval()
    n, c, size = x.shape[0], x.shape[1], x.shape[-1]
    batch_size = batch_size or eval_batch_size(x.device)
    if norm < 0:
        raise ValueError(f"norm must be >= 0, got {norm}.")
    ref = _predict(model, x, batch_size) if y is None else y.to(x.device)
    freqs = unique_frequencies(size, stride)
    gen = torch.Generator().manual_seed(seed)
    signs = (torch.randint(0, 2, (len(freqs), n, c), generator=gen) * 2 - 1).float().to(x.device)
    per = directions_per_call or max(1, batch_size // n)
    errors = []
    for i in range(0, len(freqs), per):
        basis = fourier_basis(size, freqs[i:i + per]).to(x.device)
        xp = perturb(x, basis, norm, signs[i:i + per]).flatten(0, 1)
        pred = _predict(model, xp, max(batch_size, n)).view(-1, n)
        wrong = (pred != ref).float().cpu()
        errors.append(wrong if per_image else wrong.mean(1))
    err = torch.cat(errors)
    heat = torch.full((size, size, n) if per_image else (size, size), float("nan"))
    for k in (freqs, -freqs):
        iy, ix = _index(k, size).T
        heat[iy, ix] = err
    return heat


def radius_map(size: int) -> torch.Tensor:
    """(size, size) distance of each centred frequency from zero."""
    f = centred_frequencies(size).float()
    return torch.sqrt(f[:, None] ** 2 + f[None, :] ** 2)


def band_mean(heat: torch.Tensor, r_min: float = 0.0, r_max: float = float("inf")) -> float:
    """Mean of a heat map over frequencies with ``r_min <= radius <= r_max`` (NaNs ignored)."""
    r = radius_map(heat.shape[-1])
    sel = (r >= r_min) & (r <= r_max) & ~torch.isnan(heat)
    if not sel.any():
        raise ValueError(f"no evaluated frequency with radius in [{r_min}, {r_max}].")
    return heat[sel].mean().item()


def _radial_filter(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    spec = torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1))
    spec = spec * keep.to(x.device)
    return torch.fft.ifft2(torch.fft.ifftshift(spec, dim=(-2, -1))).real


def low_pass(x: torch.Tensor, radius: float) -> torch.Tensor:
    """Keep frequencies with radius <= ``radius`` (an ideal circular filter), clamped to [0, 1]."""
    return _radial_filter(x, radius_map(x.shape[-1]) <= radius).clamp(0, 1)


def high_pass(x: torch.Tensor, radius: float) -> torch.Tensor:
    """Remove frequencies with 0 < radius <= ``radius``; the mean (DC) stays, so the image keeps
    its brightness and only the fine detail is left. Clamped to [0, 1]."""
    r = radius_map(x.shape[-1])
    return _radial_filter(x, (r > radius) | (r == 0)).clamp(0, 1)


def filtered_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                      cutoffs: list[float] | tuple[float, ...], kind: str = "low",
                      batch_size: int | None = None) -> list[float]:
    """Accuracy on low-pass (``kind='low'``) or high-pass (``'high'``) filtered images per cutoff."""
    if kind not in {"low", "high"}:
        raise ValueError(f"kind must be 'low' or 'high', got {kind!r}.")
    batch_size = batch_size or eval_batch_size(x.device)
    filt = low_pass if kind == "low" else high_pass
    return [(_predict(model.eval(), filt(x, r), batch_size) == y).float().mean().item()
            for r in cutoffs]


def high_frequency_energy(x: torch.Tensor, radius: float) -> float:
    """Fraction of the images' non-DC spectral energy at radius > ``radius``."""
    power = torch.fft.fftshift(torch.fft.fft2(x - x.mean((-2, -1), keepdim=True)),
                               dim=(-2, -1)).abs() ** 2
    r = radius_map(x.shape[-1]).to(x.device)
    return (power[..., r > radius].sum() / power.sum().clamp_min(1e-12)).item()

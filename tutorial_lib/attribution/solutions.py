"""Reference solutions for the exercises of notebook 02 that the library does not answer as such.

The checker of each exercise (``tutorial_lib.core.checks.check_function``) compares the learner's
function with one of these; the other exercises of notebook 02 are checked against the library
function they re-derive (``fourier.high_frequency_energy``, ``landscape.sharpness``).
"""

from __future__ import annotations

import torch

from tutorial_lib.attribution.attention import distance_from_weights


def fourier_basis_image(size: int, i: int, j: int) -> torch.Tensor:
    """The (size, size) Fourier basis image of frequency (i, j) written directly as a cosine,
    cos(2π(i·r + j·c)/size), scaled to unit L2 norm (no FFT: the library builds it by FFT)."""
    r = torch.arange(size, dtype=torch.float64)
    img = torch.cos(2 * torch.pi * (i * r[:, None] + j * r[None, :]) / size)
    return (img / img.norm()).float()


def attention_distance(attn: torch.Tensor, g: int, patch: int) -> torch.Tensor:
    """(heads,) mean attention distance in pixels of patch-to-patch attention (heads, T, T) on a
    ``g`` x ``g`` grid of ``patch``-pixel patches (row-major, no class token)."""
    return distance_from_weights(attn, g, g, patch, num_prefix=0)

"""Reference solutions of notebook 03's exercises (the checkers fall back to these)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's NT-Xent: normalise the 2N embeddings, cosine similarities / temperature, mask each
    embedding's similarity to itself, cross-entropy where row i's positive is its other view."""
    n = len(z1)
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(sim, target)


def flip_batch(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A flip pretext: the (N, C, H, W) batch followed by its left-right mirror images, with
    labels 0 (as is) and 1 (flipped)."""
    return torch.cat([x, x.flip(3)]), torch.arange(2, device=x.device).repeat_interleave(len(x))


def freeze_first(encoder: nn.Module, n_convs: int) -> list[bool]:
    """Freeze (``requires_grad=False``) the layers of ``encoder.features`` before its
    (n_convs + 1)-th conv, i.e. the first ``n_convs`` conv blocks with their batch-norms; return
    the ``requires_grad`` flag of every encoder parameter."""
    layers = list(encoder.features)
    convs = [i for i, m in enumerate(layers) if isinstance(m, nn.Conv2d)]
    cut = convs[n_convs] if n_convs < len(convs) else len(layers)
    for i, m in enumerate(layers):
        for p in m.parameters():
            p.requires_grad_(i >= cut)
    return [p.requires_grad for p in encoder.parameters()]

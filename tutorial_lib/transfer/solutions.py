"""Reference solutions of notebook 03's exercises (the checkers fall back to these)."""

from __future__ import annotations

import torch
from torch import nn

from tutorial_lib.transfer.pretrain import nt_xent  # noqa: F401  (03 §1: the library is the reference)


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

"""Interval bound propagation (IBP; Gowal et al. 2018): push a box through the network.

A ReLU network here is an ``nn.Sequential`` of ``Flatten``, ``Linear`` and ``ReLU`` layers (the
ladder nets of :mod:`tutorial_lib.certified.ladder`). Through ``z = W h + b`` a box with centre
``m`` and radius ``r`` maps to the box with centre ``W m + b`` and radius ``|W| r``; a ReLU maps
``[l, u]`` to ``[relu(l), relu(u)]``. Every bound here is sound: the true value lies inside.

A point is *certified* at L-inf radius eps when the lower bound of every margin
``f_y(x') - f_j(x')`` (j != y) is > 0 on the whole ball. Folding the margin into the last layer
(``C W_L``) before bounding it is what every method in this part does.
"""

from __future__ import annotations

import torch
from torch import nn


def linear_layers(model: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The ``(W, b)`` of each ``nn.Linear`` of a Flatten/Linear/ReLU ``nn.Sequential``, in order."""
    mods = list(model.modules())[1:] if not isinstance(model, nn.Sequential) else list(model)
    for m in mods:
        if not isinstance(m, (nn.Linear, nn.ReLU, nn.Flatten)):
            raise TypeError(f"bounds need a Flatten/Linear/ReLU network, found {type(m).__name__};"
                             " use a net from tutorial_lib.certified.ladder.build_mlp.")
    return [(m.weight, m.bias) for m in mods if isinstance(m, nn.Linear)]


def input_box(x: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The L-inf ball of radius ``eps`` around flattened images, clipped to the pixel range [0, 1]."""
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}.")
    x = x.flatten(1)
    return (x - eps).clamp(0, 1), (x + eps).clamp(0, 1)


def margin_spec(w_last: torch.Tensor, b_last: torch.Tensor, y: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """The last layer folded into the margins ``f_y - f_j`` for the 9 classes j != y.

    Returns ``(C, d)`` of shapes (B, K-1, hidden) and (B, K-1): margin = C h + d on the last hidden
    activations h.
    """
    k = w_last.shape[0]
    others = torch.stack([torch.cat([torch.arange(c), torch.arange(c + 1, k)]) for c in range(k)])
    others = others.to(y.device)[y]  # (B, K-1)
    c = w_last[y].unsqueeze(1) - w_last[others]  # (B, K-1, hidden)
    d = b_last[y].unsqueeze(1) - b_last[others]
    return c, d


def interval_linear(l: torch.Tensor, u: torch.Tensor, w: torch.Tensor, b: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Bounds of ``W h + b`` for h in the box [l, u] (batched; ``w`` is (out, in) or (B, out, in))."""
    mid, rad = (u + l) / 2, (u - l) / 2
    if w.dim() == 2:
        centre, spread = mid @ w.T + b, rad @ w.abs().T
    else:
        centre = torch.einsum("boi,bi->bo", w, mid) + b
        spread = torch.einsum("boi,bi->bo", w.abs(), rad)
    return centre - spread, centre + spread


def ibp_bounds(layers: list[tuple[torch.Tensor, torch.Tensor]], l: torch.Tensor, u: torch.Tensor
               ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Pre-activation bounds ``[(l_1, u_1), ...]`` of every hidden layer (not the output layer)."""
    out = []
    for w, b in layers[:-1]:
        l, u = interval_linear(l, u, w, b)
        out.append((l, u))
        l, u = l.clamp_min(0), u.clamp_min(0)
    return out


def ibp_margins(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """IBP lower bounds of the margins ``f_y - f_j`` (B, K-1) over the eps-ball (differentiable)."""
    layers = linear_layers(model)
    l, u = input_box(x, eps)
    pre = ibp_bounds(layers, l, u)
    if pre:
        l, u = pre[-1][0].clamp_min(0), pre[-1][1].clamp_min(0)
    c, d = margin_spec(*layers[-1], y)
    return interval_linear(l, u, c, d)[0]


def certified(margins: torch.Tensor) -> torch.Tensor:
    """A point is certified when every margin lower bound is > 0: (B,) bool."""
    return (margins > 0).all(dim=1)

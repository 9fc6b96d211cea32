"""Occlusion probes: patch masks aligned with a ViT's patch grid, CutOut squares, token dropping.

The same boolean masks go to every model, so a ViT and a CNN are compared on identical
occlusions (Naseer et al. 2021, *Intriguing Properties of Vision Transformers*). Masks are
``(N, 1, H, W)`` booleans, True where the image is hidden; everything is batched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn as nn

from tutorial_lib.core.config import pick_knobs
from tutorial_lib.core.device import eval_batch_size
from tutorial_lib.core.fit import accuracy

# Lesson knobs per profile: patch size of the mask grid, ratios swept, CutOut square sides (px),
# number of test images.
KNOBS = {
    "quick": {"patch": 4, "ratios": (0.0, 0.1, 0.25, 0.5, 0.75, 1.0), "cutout": (8, 12, 16),
              "n_images": 250},
    "full": {"patch": 16, "ratios": (0.0, 0.1, 0.25, 0.5, 0.75, 1.0), "cutout": (64, 96, 128),
             "n_images": 1000},
    "smoke": {"n_images": 4},  # FRFM_SMOKE=1
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def _check_ratio(ratio: float) -> None:
    if not 0.0 <= float(ratio) <= 1.0:
        raise ValueError(f"mask ratio must lie in [0, 1] (a fraction of the patches); got {ratio}. "
                         "Use e.g. 0.25 for a quarter of the patches.")


def _grid(image_size: int, patch: int) -> int:
    if patch < 1 or image_size % patch:
        raise ValueError(f"patch size {patch} must divide the image size {image_size} "
                         "(use the ViT's patch size, e.g. 4 for the digit models, 16 for ViT-*/16).")
    return image_size // patch


def hidden_patches(n: int, num_patches: int, ratio: float,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Boolean (n, num_patches): ``round(ratio * num_patches)`` random patches hidden per image."""
    _check_ratio(ratio)
    k = round(ratio * num_patches)
    order = torch.rand(n, num_patches, generator=generator).argsort(dim=1)
    hidden = torch.zeros(n, num_patches, dtype=torch.bool)
    hidden.scatter_(1, order[:, :k], True)
    return hidden


def patches_to_pixels(hidden: torch.Tensor, patch: int) -> torch.Tensor:
    """(n, g*g) patch booleans -> (n, 1, g*patch, g*patch) pixel mask (row-major patch order,
    the order of a ViT's patch tokens)."""
    g = int(round(hidden.shape[1] ** 0.5))
    if g * g != hidden.shape[1]:
        raise ValueError(f"{hidden.shape[1]} patches do not form a square grid.")
    grid = hidden.view(-1, 1, g, g)
    return grid.repeat_interleave(patch, 2).repeat_interleave(patch, 3)


def patch_mask(n: int, image_size: int, patch: int, ratio: float,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Boolean (n, 1, H, W) masks hiding ``round(ratio * patches)`` random grid patches per image."""
    g = _grid(image_size, patch)
    return patches_to_pixels(hidden_patches(n, g * g, ratio, generator), patch)


def cutout_mask(n: int, image_size: int, side: int,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Boolean (n, 1, H, W) masks, each one ``side`` x ``side`` square at a random position
    (CutOut, DeVries & Taylor 2017; the square lies fully inside the image)."""
    if not 0 <= side <= image_size:
        raise ValueError(f"CutOut side must lie in [0, {image_size}] pixels; got {side}.")
    top = torch.randint(0, image_size - side + 1, (n, 1, 1), generator=generator)
    left = torch.randint(0, image_size - side + 1, (n, 1, 1), generator=generator)
    r = torch.arange(image_size).view(1, -1, 1)
    c = torch.arange(image_size).view(1, 1, -1)
    box = (r >= top) & (r < top + side) & (c >= left) & (c < left + side)
    return box.unsqueeze(1)


def apply_mask(x: torch.Tensor, mask: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
    """``x`` with the masked pixels set to ``fill`` (in [0, 1]; 0 = black, as the paper's zeros)."""
    if mask.shape[0] != x.shape[0] or mask.shape[-2:] != x.shape[-2:]:
        raise ValueError(f"mask {tuple(mask.shape)} does not fit images {tuple(x.shape)}.")
    return x.masked_fill(mask.to(x.device), fill)


def masking_curve(models: Mapping[str, nn.Module], x: torch.Tensor, y: torch.Tensor,
                  ratios: Sequence[float], patch: int, seed: int = 0, fill: float = 0.0,
                  batch_size: int | None = None) -> dict[str, list[float]]:
    """Accuracy of each model vs the fraction of patches zeroed; every model sees the same masks."""
    for r in ratios:
        _check_ratio(r)
    out: dict[str, list[float]] = {name: [] for name in models}
    for r in ratios:
        g = torch.Generator().manual_seed(seed)
        xm = apply_mask(x, patch_mask(len(x), x.shape[-1], patch, r, g), fill)
        for name, m in models.items():
            out[name].append(accuracy(m, xm, y, batch_size))
    return out


def cutout_curve(models: Mapping[str, nn.Module], x: torch.Tensor, y: torch.Tensor,
                 sides: Sequence[int], seed: int = 0, fill: float = 0.0,
                 batch_size: int | None = None) -> dict[str, list[float]]:
    """Accuracy of each model vs the side of one random CutOut square (same squares for all)."""
    out: dict[str, list[float]] = {name: [] for name in models}
    for s in sides:
        g = torch.Generator().manual_seed(seed)
        xm = apply_mask(x, cutout_mask(len(x), x.shape[-1], int(s), g), fill)
        for name, m in models.items():
            out[name].append(accuracy(m, xm, y, batch_size))
    return out


@torch.no_grad()
def vit_drop_tokens(model: nn.Module, x: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
    """Logits of a timm ViT (inside an ``ImageClassifier``) that never sees the patch tokens marked
    in ``hidden`` ((N, num_patches) booleans, the same count per image): they are removed from
    the sequence after the position embedding (PatchDrop), instead of being zeroed. Only a ViT
    can do this; the kept tokens keep their positions."""
    from tutorial_lib.attribution.attention import vit_net

    net = vit_net(model)
    t = net._pos_embed(net.patch_embed((x - model.mean) / model.std))
    p = net.num_prefix_tokens
    if hidden.shape != (len(x), t.shape[1] - p):
        raise ValueError(f"hidden must be (N, {t.shape[1] - p}) booleans; got {tuple(hidden.shape)}.")
    counts = hidden.sum(1)
    if (counts != counts[0]).any():
        raise ValueError("every image must hide the same number of patches (batched gather).")
    if counts[0] == hidden.shape[1] and (p == 0 or net.global_pool != "token"):
        raise ValueError("Dropping every patch token leaves this ViT nothing to pool "
                         f"(global_pool={net.global_pool!r}); use a ratio < 1.")
    keep = (~hidden).float().argsort(dim=1, descending=True, stable=True)
    keep = keep[:, : hidden.shape[1] - int(counts[0])].to(x.device)
    kept = t[:, p:].gather(1, keep.unsqueeze(-1).expand(-1, -1, t.shape[-1]))
    t = net.norm_pre(torch.cat([t[:, :p], kept], 1))
    return net.forward_head(net.norm(net.blocks(t)))


def token_drop_curve(model: nn.Module, x: torch.Tensor, y: torch.Tensor, ratios: Sequence[float],
                     patch: int, seed: int = 0, batch_size: int | None = None) -> list[float]:
    """Accuracy of a ViT vs the fraction of patch tokens dropped; with the same ``seed`` the
    dropped patches are exactly the ones ``masking_curve`` zeroes. Dropping all tokens leaves
    only the class token: for a class-token ViT expect chance; an average-pooling ViT has
    nothing left to pool, so that entry is NaN."""
    from tutorial_lib.attribution.attention import vit_net

    g = _grid(x.shape[-1], patch)
    batch_size = batch_size or eval_batch_size(x.device)
    accs = []
    for r in ratios:
        if round(r * g * g) == g * g and vit_net(model).global_pool != "token":
            accs.append(float("nan"))
            continue
        hidden = hidden_patches(len(x), g * g, r, torch.Generator().manual_seed(seed))
        logits = torch.cat([vit_drop_tokens(model, x[i:i + batch_size], hidden[i:i + batch_size])
                            for i in range(0, len(x), batch_size)])
        accs.append((logits.argmax(1) == y).float().mean().item())
    return accs

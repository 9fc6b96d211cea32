"""Sparse robust tickets: global magnitude pruning with rewinding to the pre-trained weights
(Chen et al. ICML 2022, "Double-win lottery tickets"), with ``torch.nn.utils.prune``.

One round of the recipe: fine-tune the dense pre-trained encoder on the downstream task, rank all
conv/linear weights of the encoder together by magnitude, keep the largest ``1 - sparsity``
fraction, *rewind* the surviving weights to their pre-trained values, and fine-tune again with the
mask fixed. (The paper iterates this; one round keeps the lesson affordable.)
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.utils.prune as prune

PRUNABLE = (nn.Conv2d, nn.Linear)


def prunable_weights(model: nn.Module) -> list[tuple[nn.Module, str]]:
    """``(module, "weight")`` for every conv and linear layer (biases and norms are kept dense)."""
    return [(m, "weight") for m in model.modules() if isinstance(m, PRUNABLE)]


def magnitude_masks(model: nn.Module, sparsity: float) -> dict[str, torch.Tensor]:
    """Global magnitude masks: exactly ``round(sparsity * total)`` of the conv/linear weights of
    ``model`` (pooled across layers) get 0, the rest 1. Keys are module names."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}.")
    named = [(n, m) for n, m in model.named_modules() if isinstance(m, PRUNABLE)]
    if not named:
        raise ValueError("The model has no Conv2d/Linear layer to prune.")
    weights = [_weight(m).detach().abs().flatten() for _, m in named]
    scores = torch.cat(weights)
    k = int(round(sparsity * scores.numel()))
    keep = torch.ones_like(scores, dtype=torch.bool)
    if k > 0:  # exact count, ties broken by position
        keep[torch.topk(scores, k, largest=False).indices] = False
    masks, start = {}, 0
    for (n, m), w in zip(named, weights):
        masks[n] = keep[start:start + w.numel()].view_as(_weight(m)).float()
        start += w.numel()
    return masks


def _weight(m: nn.Module) -> torch.Tensor:
    return m.weight_orig * m.weight_mask if hasattr(m, "weight_mask") else m.weight


def prune_with_rewinding(pretrained: nn.Module, sparsity: float,
                         scores_from: nn.Module | None = None) -> nn.Module:
    """A copy of ``pretrained`` whose conv/linear weights are pruned globally by magnitude.

    The mask is ranked on ``scores_from`` (e.g. the same encoder after dense fine-tuning; default:
    the pre-trained weights themselves, i.e. one-shot pruning); the surviving weights are
    rewound to the pre-trained values. The mask is attached with ``torch.nn.utils.prune`` so it
    stays fixed (pruned weights get no gradient) during fine-tuning.
    """
    masks = magnitude_masks(scores_from if scores_from is not None else pretrained, sparsity)
    model = copy.deepcopy(pretrained)
    modules = dict(model.named_modules())
    ref = dict(scores_from.named_modules()) if scores_from is not None else modules
    for name, mask in masks.items():
        if tuple(mask.shape) != tuple(_weight(modules[name]).shape) or name not in ref:
            raise ValueError(f"scores_from does not match the pre-trained architecture at "
                             f"{name!r}.")
        prune.custom_from_mask(modules[name], "weight", mask.to(_weight(modules[name]).device))
    return model


def clone_module(model: nn.Module) -> nn.Module:
    """``copy.deepcopy`` that also works on pruned modules (their ``weight`` is a computed
    tensor, which deepcopy refuses): the copy keeps its own masks and original weights."""
    pruned = [m for m, _ in prunable_weights(model) if hasattr(m, "weight_mask")]
    stash = [m.__dict__.pop("weight") for m in pruned]
    try:
        twin = copy.deepcopy(model)
    finally:
        for m, w in zip(pruned, stash):
            m.weight = w
    for m, _ in prunable_weights(twin):
        if hasattr(m, "weight_mask"):
            m.weight = m.weight_orig * m.weight_mask
    return twin


def sparsity_of(model: nn.Module) -> float:
    """Fraction of exactly-zero conv/linear weights (as the forward pass sees them)."""
    ws = [_weight(m).detach().flatten() for m, _ in prunable_weights(model)]
    w = torch.cat(ws)
    return (w == 0).sum().item() / w.numel()


def make_permanent(model: nn.Module) -> nn.Module:
    """Fold the masks into the weights (``prune.remove``) so the model saves as a plain state."""
    for m, name in prunable_weights(model):
        if hasattr(m, f"{name}_mask"):
            prune.remove(m, name)
    return model

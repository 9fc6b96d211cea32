"""Natural adversarial examples (an ImageNet-A analogue): real images that a fixed reference
ensemble gets wrong, then the accuracy of *other* models on what survives the filter.

Hendrycks et al. 2021 ("Natural Adversarial Examples") downloaded real photos of 200 ImageNet
classes and kept only those that a fixed ResNet-50 misclassified: no gradient, no perturbation,
just adversarial *selection*. The survivors transfer: models that never took part in the filter
(other CNNs, later ViTs) also do badly on them, which is why ImageNet-A is hard.

Here the filter takes any ensemble (a list of classifiers) and a pool of real images. It is a
pure, per-image function of the ensemble's eval-mode outputs, so the same ensemble keeps the same
images on any run and in any batch order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from tutorial_lib.core.device import eval_batch_size

RULES = ("mean", "vote", "all")


Head = Callable[[torch.Tensor], torch.Tensor]


@torch.no_grad()
def probabilities(model: nn.Module, x: torch.Tensor, batch_size: int | None = None,
                  head: Head | None = None) -> torch.Tensor:
    """Softmax outputs of ``model`` (eval mode, batched), on the CPU.

    ``head`` maps the logits first, e.g. ``shift_data.restrict_logits`` (ImageNet-R/-A score
    200 of the 1,000 classes) or ``shift_data.in9_logits`` (1,000 -> 9 classes).
    """
    model.eval()
    batch_size = batch_size or eval_batch_size(x.device)
    head = head or (lambda z: z)
    out = [torch.softmax(head(model(x[i:i + batch_size]).float()), 1).cpu()
           for i in range(0, len(x), batch_size)]
    return torch.cat(out)


def per_image_correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                      batch_size: int | None = None, head: Head | None = None) -> torch.Tensor:
    """1.0 / 0.0 per image: did ``model`` classify it correctly? (for paired bootstraps)."""
    return (probabilities(model, x, batch_size, head).argmax(1) == y.cpu()).float()


@dataclass
class FilterResult:
    """What the filter kept and why."""

    keep: torch.Tensor  # (N,) bool: the natural adversarial examples
    member_correct: torch.Tensor  # (M, N) bool: each ensemble member's correctness
    ensemble_pred: torch.Tensor  # (N,) the ensemble's mean-probability prediction
    rule: str

    @property
    def n_kept(self) -> int:
        return int(self.keep.sum())

    @property
    def fraction_kept(self) -> float:
        return self.n_kept / max(1, len(self.keep))


def adversarial_filter(ensemble: Sequence[nn.Module], x: torch.Tensor, y: torch.Tensor,
                       rule: str = "mean", batch_size: int | None = None) -> FilterResult:
    """Keep the images of ``(x, y)`` that the reference ``ensemble`` misclassifies.

    ``rule``: ``"mean"`` — the ensemble's averaged softmax predicts a wrong class (the ensemble
    acts as one classifier, like ImageNet-A's single ResNet-50); ``"vote"`` — more than half of
    the members are wrong; ``"all"`` — every member is wrong (the strictest filter).
    """
    if rule not in RULES:
        raise ValueError(f"Unknown filter rule {rule!r}; use one of {RULES}.")
    if len(ensemble) == 0:
        raise ValueError("the reference ensemble is empty; pass a list of trained classifiers.")
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels.")
    yc = y.cpu()
    probs = torch.stack([probabilities(m, x, batch_size) for m in ensemble])  # (M, N, C)
    member_correct = probs.argmax(2) == yc
    ensemble_pred = probs.mean(0).argmax(1)
    if rule == "mean":
        keep = ensemble_pred != yc
    elif rule == "vote":
        keep = (~member_correct).float().mean(0) > 0.5
    else:
        keep = (~member_correct).all(0)
    return FilterResult(keep, member_correct, ensemble_pred, rule)

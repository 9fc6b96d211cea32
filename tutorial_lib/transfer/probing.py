"""Adapting a pretrained image encoder three ways: linear probing (LP), fine-tuning (FT), LP-FT.

Generic pieces, for any encoder and data: frozen features, a logistic-regression probe, one
fine-tuning recipe, feature distortion, and ``evaluate_recipes``, the one result shape every
experiment returns: ``{recipe: {"accuracy": {test set: accuracy}, "feature_change": float}}``.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from tutorial_lib.core.fit import accuracy, cross_entropy, fit
from tutorial_lib.transfer.pretrain import WithHead


class Encoder(nn.Module):
    """The feature extractor of an ``ImageClassifier``: its normalisation and timm network up to
    the pooled pre-logits features (``forward_head(..., pre_logits=True)``)."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.net = copy.deepcopy(classifier.net)
        self.register_buffer("mean", classifier.mean.clone())
        self.register_buffer("std", classifier.std.clone())
        self.dim = self.net.num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.net.forward_features((x - self.mean) / self.std)
        return self.net.forward_head(z, pre_logits=True)


@torch.no_grad()
def features(encoder: nn.Module, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Frozen features of ``x`` (encoder in eval mode, no gradients)."""
    encoder.eval()
    return torch.cat([encoder(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def fit_linear_probe(feats: torch.Tensor, y: torch.Tensor, num_classes: int, epochs: int = 300,
                     lr: float = 0.05, weight_decay: float = 1e-3) -> nn.Linear:
    """Multinomial logistic regression on frozen features (full batch, Adam, by ``core.fit``):
    an ``nn.Linear``."""
    torch.manual_seed(0)
    head = nn.Linear(feats.shape[1], num_classes).to(feats.device)
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=weight_decay)
    everything = torch.arange(len(feats))  # each epoch: one batch of every row, in order
    fit(head, (feats, y), cross_entropy(), opt, epochs, len(feats), torch.Generator(),
        batches=lambda: [everything])
    return head.eval()


def finetune_model(model: WithHead, x: torch.Tensor, y: torch.Tensor, epochs: int = 15,
                   lr: float = 3e-4, batch_size: int = 32, seed: int = 0) -> WithHead:
    """Fine-tune every weight (AdamW, cosine schedule, no augmentation) and return the model in
    eval mode. The same recipe serves FT (random head) and LP-FT (LP head)."""
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * -(-len(x) // batch_size))
    fit(model, (x, y), cross_entropy(), opt, epochs, batch_size,
        torch.Generator().manual_seed(seed), sched)
    return model.eval()


@torch.no_grad()
def feature_distortion(before: nn.Module, after: nn.Module, x: torch.Tensor,
                       f0: torch.Tensor | None = None) -> float:
    """Mean relative change of the features of ``x``: ‖φ_after(x) - φ_before(x)‖ / ‖φ_before(x)‖.
    ``f0``: φ_before(x) if already computed (comparing several ``after`` models)."""
    f0 = features(before, x) if f0 is None else f0
    return float(((features(after, x) - f0).norm(dim=1) / f0.norm(dim=1).clamp_min(1e-8)).mean())


def few_shot_indices(y: torch.Tensor, shots: int, seed: int = 0) -> torch.Tensor:
    """``shots`` random examples of every class present in ``y``."""
    g = torch.Generator().manual_seed(seed)
    picks = []
    for c in y.unique():
        idx = (y == c).nonzero().flatten()
        if len(idx) < shots:
            raise ValueError(f"class {int(c)} has only {len(idx)} examples, fewer than shots={shots}.")
        picks.append(idx[torch.randperm(len(idx), generator=g)[:shots].to(idx.device)])
    return torch.cat(picks)


def probe(encoder: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int) -> WithHead:
    """LP: a copy of ``encoder`` (frozen) with a logistic-regression head fitted on its features."""
    return WithHead(copy.deepcopy(encoder), fit_linear_probe(features(encoder, x), y, num_classes))


def three_recipes(encoder: nn.Module, train: tuple[torch.Tensor, torch.Tensor], num_classes: int,
                  epochs: int = 15, lr: float = 3e-4, seed: int = 0) -> dict[str, WithHead]:
    """LP, FT (random head) and LP-FT (LP head), each from a copy of ``encoder``, trained on the
    labeled ``train`` images with the same fine-tuning recipe."""
    x, y = train
    lp = probe(encoder, x, y, num_classes)
    torch.manual_seed(seed)
    ft = WithHead(copy.deepcopy(encoder), nn.Linear(encoder.dim, num_classes).to(x.device))
    return {"LP": lp, "FT": finetune_model(ft, x, y, epochs, lr, seed=seed),
            "LP-FT": finetune_model(copy.deepcopy(lp), x, y, epochs, lr, seed=seed)}


def evaluate_recipes(encoder: nn.Module, adapted: dict[str, nn.Module],
                     tests: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> dict[str, dict]:
    """Every experiment's result shape: for each adapted model, its accuracy on each named test
    set and how far its encoder moved from ``encoder`` on the first test set's images."""
    x0 = next(iter(tests.values()))[0]
    f0 = features(encoder, x0)
    return {name: {"accuracy": {k: accuracy(m, *t) for k, t in tests.items()},
                   "feature_change": feature_distortion(encoder, m.encoder, x0, f0)}
            for name, m in adapted.items()}

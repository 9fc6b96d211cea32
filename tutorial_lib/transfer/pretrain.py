"""Self-supervised pre-training of image encoders, standard and adversarial (labels unused).

* Rotation prediction (Gidaris et al. 2018): predict which of 0/90/180/270 degrees an image was
  turned by. Adversarial version (Chen et al. CVPR 2020): loss ½(CE_clean + CE_PGD), the PGD
  example attacking the rotation loss itself.
* Contrastive learning (SimCLR, Chen et al. 2020) with the NT-Xent loss; adversarial version in the
  spirit of ACL (Jiang et al. 2020) / AdvCL (Fan et al. 2021): one view is replaced by the PGD
  example that maximises the contrastive loss, loss ½(NT-Xent(clean) + NT-Xent(adversarial)).

Encoders are plain ``nn.Module``s mapping [0, 1] images to feature vectors (``feature_dim``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_lib.core.attacks import pgd
from tutorial_lib.core.device import seed_everything
from tutorial_lib.core.fit import fit, nt_xent
from tutorial_lib.core.transforms import random_affine, random_erasing

PRETEXTS = ("rotation", "contrastive")


# ----------------------------------------------------------------------------- encoders
class ConvEncoder(nn.Module):
    """Four 3x3 conv-BN-ReLU blocks (strides 1, 2, 2, 2) + global average pooling.

    ``widths=(16, 32, 64, 64)`` gives ~60k parameters; the output is a ``widths[-1]`` vector.
    """

    def __init__(self, in_channels: int = 1, widths: tuple[int, ...] = (16, 32, 64, 64)) -> None:
        super().__init__()
        layers, c = [], in_channels
        for k, w in enumerate(widths):
            layers += [nn.Conv2d(c, w, 3, stride=1 if k == 0 else 2, padding=1, bias=False),
                       nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            c = w
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.feature_dim = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


def build_cifar_resnet18(width: int = 64) -> nn.Module:
    """ResNet-18, CIFAR variant (3x3 stride-1 stem, no max-pool), as a ``8 * width``-d feature
    encoder: the standard 512-d one at ``width=64``; a smoke run narrows the four stages."""
    from timm.models.resnet import BasicBlock, ResNet

    net = ResNet(BasicBlock, (2, 2, 2, 2), num_classes=0, in_chans=3,
                 channels=(width, 2 * width, 4 * width, 8 * width))
    net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    net.maxpool = nn.Identity()
    net.feature_dim = net.num_features
    return net


class WithHead(nn.Module):
    """An encoder followed by a head: ``head(encoder(x))``."""

    def __init__(self, encoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.encoder, self.head = encoder, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def projection_head(dim: int, out: int = 32) -> nn.Module:
    """SimCLR's two-layer MLP projection head."""
    return nn.Sequential(nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, out))


# ----------------------------------------------------------------------------- pretext tasks
def rotate_batch(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every image turned by 0, 90, 180 and 270 degrees: (4N, C, H, W) and labels 0..3."""
    xs = torch.cat([torch.rot90(x, k, dims=(2, 3)) for k in range(4)])
    ys = torch.arange(4, device=x.device).repeat_interleave(len(x))
    return xs, ys


class _ViewLogits(nn.Module):
    """Similarities of ``model(x)`` to fixed anchors: cross-entropy with targets 0..N-1 on these
    logits is the contrastive loss of the view ``x`` against its positives, so ``pgd`` can attack
    it (the instance-wise attack of ACL / AdvCL)."""

    def __init__(self, model: nn.Module, anchors: torch.Tensor, temperature: float) -> None:
        super().__init__()
        self.model, self.temperature = model, temperature
        self.anchors = F.normalize(anchors.detach(), dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.model(x), dim=1) @ self.anchors.T / self.temperature


def contrastive_augment(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Two-view augmentation for small grey digits: random affine (±20°, scale 0.8–1.2, ±2 px),
    random erasing and brightness jitter."""
    x = random_affine(x, max_degrees=20, scale=(0.8, 1.2), max_shift_px=2, generator=generator)
    x = random_erasing(x, p=0.5, generator=generator)
    gain = 0.6 + 0.4 * torch.rand(len(x), 1, 1, 1, generator=generator).to(x.device)
    return (x * gain).clamp(0, 1)


def pretext_loss(model: nn.Module, x: torch.Tensor, pretext: str, eps: float = 0.0,
                 attack_steps: int = 3, temperature: float = 0.5,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """The self-supervised loss on a batch of unlabelled images (model in train mode on return).

    ``eps = 0``: standard; ``eps > 0``: ½(loss on clean + loss on a PGD-``attack_steps`` example
    that attacks this very loss, L-inf radius ``eps``).
    """
    if pretext == "rotation":
        xr, yr = rotate_batch(x)
        loss = F.cross_entropy(model(xr), yr)
        if eps > 0:
            x_adv = pgd(model, xr, yr, eps, attack_steps, generator=generator)
            model.train()  # pgd() switched the model to eval mode
            loss = 0.5 * (loss + F.cross_entropy(model(x_adv), yr))
        return loss
    if pretext == "contrastive":
        v1, v2 = contrastive_augment(x, generator), contrastive_augment(x, generator)
        z1, z2 = model(v1), model(v2)
        loss = nt_xent(z1, z2, temperature)
        if eps > 0:
            target = torch.arange(len(x), device=x.device)
            v_adv = pgd(_ViewLogits(model, z2, temperature), v1, target, eps, attack_steps,
                        generator=generator)
            model.train()
            loss = 0.5 * (loss + nt_xent(model(v_adv), z2, temperature))
        return loss
    raise ValueError(f"Unknown pretext {pretext!r}; use one of {PRETEXTS}.")


def pretrain_encoder(encoder: nn.Module, x: torch.Tensor, pretext: str, epochs: int,
                     eps: float = 0.0, attack_steps: int = 3, lr: float = 2e-3,
                     batch_size: int = 128, seed: int = 0,
                     log: Callable[[str], None] | None = print) -> dict:
    """Pre-train ``encoder`` on unlabelled images ``x`` with a pretext task (Adam + cosine).

    The pretext head (4-way rotation classifier or projection MLP) is discarded afterwards.
    Returns a small history (loss per epoch) and the settings used.
    """
    gen = seed_everything(seed)
    dim = encoder.feature_dim
    head = nn.Linear(dim, 4) if pretext == "rotation" else projection_head(dim)
    model = WithHead(encoder, head.to(x.device))
    if pretext not in PRETEXTS:
        raise ValueError(f"Unknown pretext {pretext!r}; use one of {PRETEXTS}.")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * math.ceil(len(x) / batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, steps))
    t0 = time.perf_counter()

    def loss(m: nn.Module, batch: tuple[torch.Tensor, ...], g: torch.Generator) -> torch.Tensor:
        return pretext_loss(m, batch[0], pretext, eps, attack_steps, generator=g)

    def report(epoch: int, mean: float) -> None:
        if log:
            log(f"{pretext}{' (adv)' if eps > 0 else ''} epoch {epoch + 1}/{epochs} "
                f"loss {mean:.3f} ({time.perf_counter() - t0:.0f} s)")

    history = [round(v, 4) for v in fit(model, (x,), loss, opt, epochs, batch_size, gen, sched,
                                        on_epoch=report)]
    encoder.eval()
    return {"pretext": pretext, "eps": eps, "attack_steps": attack_steps, "epochs": epochs,
            "lr": lr, "batch_size": batch_size, "seed": seed, "loss_history": history}


@torch.no_grad()
def rotation_accuracy(encoder: nn.Module, head: nn.Module, x: torch.Tensor) -> float:
    """Accuracy of a rotation head on all four rotations of ``x`` (a pretext sanity check)."""
    model = WithHead(encoder, head).eval()
    xr, yr = rotate_batch(x)
    return (model(xr).argmax(1) == yr).float().mean().item()

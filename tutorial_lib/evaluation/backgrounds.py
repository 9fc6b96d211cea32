"""Background dependence (an ImageNet-9 analogue, Xiao et al. 2021): accuracy on the
``core.composite`` variants, the BG-gap and the backgrounds "challenge".

* **BG-gap** = accuracy(Mixed-Same) − accuracy(Mixed-Rand): how much a model gains when the
  background agrees with the class. Near zero: the model does not use the background's class
  signal (it may still be *distracted* by backgrounds, which Only-FG vs Mixed-Rand shows).
* **Challenge accuracy**: an image counts only if the model is right on *every* background tried
  (the worst case over backgrounds); Xiao et al. tried every background of their test set.
"""

from __future__ import annotations

import torch
from torch import nn

from tutorial_lib.core import composite as C
from tutorial_lib.core.config import pick_knobs

from .natural_adv import per_image_correct as _correct

KNOBS = {"quick": {"n_per_photo": 8, "train_per_photo": 32, "challenge_per_pool": 1,
                   "challenge_images": 200, "epochs": 8},
         "full": {"n_per_photo": 32, "train_per_photo": 128, "challenge_per_pool": 4,
                  "challenge_images": 397, "epochs": 15},
         # FRFM_SMOKE=1: the same code paths, one epoch (numbers mean nothing)
         "smoke": {"n_per_photo": 2, "train_per_photo": 8, "challenge_per_pool": 1,
                   "challenge_images": 32, "epochs": 1}}


def knobs(profile: str | None = None) -> dict:
    """This module's size knobs for the active (or named) profile."""
    return pick_knobs(KNOBS, profile)


def variant_correct(model: nn.Module, digits: torch.Tensor, labels: torch.Tensor,
                    bank: tuple[torch.Tensor, torch.Tensor], seed: int = 0,
                    kinds: tuple[str, ...] = C.VARIANTS, visibility: float = 1.0
                    ) -> dict[str, torch.Tensor]:
    """Per-image correctness (0/1, CPU) of ``model`` on each variant in ``kinds``."""
    return {k: _correct(model, C.variants(digits, labels, k, bank=bank, seed=seed,
                                          visibility=visibility), labels)
            for k in kinds}


def challenge_backgrounds(bank: tuple[torch.Tensor, torch.Tensor], per_pool: int,
                          seed: int = 0) -> torch.Tensor:
    """``per_pool`` textures from each class pool of ``bank`` (seeded): the challenge's set."""
    textures, ids = bank
    gen = torch.Generator().manual_seed(seed)
    picks = []
    for pool in ids.unique():
        members = torch.nonzero(ids == pool).flatten()
        if len(members) < per_pool:
            raise ValueError(f"pool {int(pool)} has {len(members)} textures, fewer than "
                             f"per_pool={per_pool}; build a bigger bank.")
        picks.append(members[torch.randperm(len(members), generator=gen)[:per_pool]])
    return textures[torch.cat(picks)]


def challenge_correct(model: nn.Module, digits: torch.Tensor, labels: torch.Tensor,
                      backgrounds: torch.Tensor, visibility: float = 1.0) -> torch.Tensor:
    """1.0 for each digit that ``model`` classifies correctly on *every* background, else 0.0.

    One batch per background: ``len(backgrounds)`` passes over the digits.
    """
    ok = torch.ones(len(digits))
    for bg in backgrounds:
        x = C.composite(digits, bg[None].to(digits.device), visibility=visibility)
        ok *= _correct(model, x, labels)
    return ok

"""Lesson 01's evaluation suite per profile: which models, which images, how many of each.

Quick profile: the shipped digit models on the digits test split; near/far OOD with the models
trained on digits 0-7 (``tutorial_lib.evaluation.ood``). Full profile: pretrained timm ImageNet models on an
ImageNet-style folder (``$FRFM_DATA_DIR/val``), ImageNet-O as near-OOD when
``$FRFM_DATA_DIR/imagenet-o`` exists; it fails early, with what to do, when data is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from tutorial_lib.core.config import get_profile, pick_knobs
from tutorial_lib.core.data import DATA_DIR_ENV, load_dataset, load_imagenet_folder, photo_crops
from tutorial_lib.evaluation import ood

# knobs of notebook 01, by profile (the shared Profile holds the rest)
KNOBS: dict[str, dict] = {
    "quick": {"n_corrupt": 128, "n_stability": 100, "n_attack": 48, "frames": 6,
              "eps_linf": [1 / 255, 2 / 255, 4 / 255, 8 / 255], "eps_l2": [0.1, 0.3, 1.0],
              "n_far_ood": 300, "baseline": "cnn"},
    "full": {"n_corrupt": 500, "n_stability": 200, "n_attack": 256, "frames": 6,
             "eps_linf": [0.25 / 255, 0.5 / 255, 1 / 255, 2 / 255, 4 / 255],
             "eps_l2": [0.25, 0.5, 1.0, 2.0], "n_far_ood": 500, "baseline": "cnn"},
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def check_full_data() -> Path:
    """Fail early, with what to do, if the full profile's ImageNet-style folder is missing."""
    base = os.environ.get(DATA_DIR_ENV)
    if not base or not (Path(base).expanduser() / "val").is_dir():
        raise FileNotFoundError(
            f"The full profile of notebook 01 evaluates pretrained ImageNet models on an "
            f"ImageNet-style folder: set {DATA_DIR_ENV} to a folder holding val/<wnid>/*.JPEG "
            f"(ImageNet val, or Imagenette from fast.ai) and have internet once for the timm "
            f"weights. Offline or without the data, run the quick profile: FRFM_PROFILE=quick.")
    return Path(base).expanduser()


def evaluation_set(n: int, device: torch.device | str | None = None,
                   profile: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` in-distribution evaluation images of the profile, and their labels."""
    prof = get_profile(profile)
    if prof.name == "quick":
        return load_dataset("digits", "test", n=n, device=device)
    check_full_data()
    return load_dataset("imagenet", "val", n=n, size=prof.image_size, device=device)


def ood_models(profile: str | None = None) -> dict[str, str]:
    """Role -> model name for the OOD section (quick: trained on digits 0-7 only)."""
    prof = get_profile(profile)
    if prof.name == "quick":
        return {"vit": "vit_digits_0to7", "cnn": "cnn_digits_0to7"}
    return dict(prof.models)


def ood_sets(n_far: int, device: torch.device | str | None = None,
             profile: str | None = None) -> dict[str, torch.Tensor]:
    """``{"in": ..., "near": ..., "far": ...}`` image batches for the OOD section.

    quick: digits 0-7 / held-out digits 8-9 (test split) / crops of scikit-image photos;
    full: ImageNet val / ImageNet-O (if ``$FRFM_DATA_DIR/imagenet-o`` exists) / photo crops.
    """
    prof = get_profile(profile)
    if prof.name == "quick":
        x_in, _ = load_dataset("digits", "test", classes=ood.IN_CLASSES)
        x_near, _ = load_dataset("digits", "test", classes=ood.NEAR_OOD_CLASSES)
    else:
        base = check_full_data()
        x_in, _ = load_dataset("imagenet", "val", n=n_far, size=prof.image_size)
        x_near = (load_imagenet_folder("imagenet-o", n=n_far, size=prof.image_size)[0]
                  if (base / "imagenet-o").is_dir() else None)
    far = photo_crops(n_far, size=prof.image_size, channels=prof.channels, seed=prof.seed)
    sets = {"in": x_in, "near": x_near, "far": far}
    return {k: v.to(device) if device is not None else v for k, v in sets.items() if v is not None}

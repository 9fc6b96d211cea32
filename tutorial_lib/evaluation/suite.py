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

# knobs of notebook 01, by profile (the shared Profile holds the rest). Every size, ε, slider
# bound and profile-specific sentence of the notebook comes from here.
KNOBS: dict[str, dict] = {
    "quick": {"n_corrupt": 128, "n_stability": 100, "n_attack": 48, "frames": 6,
              "eps_linf": [1 / 255, 2 / 255, 4 / 255, 8 / 255], "eps_l2": [0.1, 0.3, 1.0],
              "eps_linf_claim": 2 / 255, "eps_l2_claim": 0.3,  # the ε of the PGD verdicts
              "demo_eps": 8 / 255, "demo_alpha": 2 / 255, "demo_steps": 5, "n_demo": 16,
              "n_show": 8, "max_clean_gap": 0.03,
              # ImageNet-C's own pixelate factors, compared with the kit's off-grid quick sizes
              "imagenet_c_pixelate": [0.6, 0.5, 0.4, 0.3, 0.25],
              "patch": 4, "shifts": [1, 2, 3, 4, 5, 6, 7, 8],
              "n_far_ood": 300, "baseline": "cnn",
              "pretraining_compare": False, "n_pretraining": 0,
              "images": "digit scans (32 px, grey)",
              "ood_text": {"in": "test scans of digits 0-7", "near": "test scans of digits 8 and 9",
                           "far": "crops of scikit-image photos"}},
    "full": {"n_corrupt": 500, "n_stability": 200, "n_attack": 256, "frames": 6,
             "eps_linf": [0.25 / 255, 0.5 / 255, 1 / 255, 2 / 255, 4 / 255],
             "eps_l2": [0.25, 0.5, 1.0, 2.0],
             "eps_linf_claim": 2 / 255, "eps_l2_claim": 0.5,
             "demo_eps": 4 / 255, "demo_alpha": 1 / 255, "demo_steps": 5, "n_demo": 16,
             "n_show": 8, "max_clean_gap": 0.1,
             "imagenet_c_pixelate": None,  # the full table already is ImageNet-C's
             "patch": 16, "shifts": [1, 2, 4, 8, 12, 15, 16, 17, 24, 32],
             "n_far_ood": 500, "baseline": "cnn",
             "pretraining_compare": True, "n_pretraining": 1000,
             "images": "ImageNet validation photos (224 px, RGB)",
             "ood_text": {"in": "ImageNet validation photos", "near": "ImageNet-O images",
                          "far": "crops of scikit-image photos"}},
    # FRFM_SMOKE=1: a few images through the same code paths (n_attack < n_show on purpose)
    "smoke": {"n_corrupt": 2, "n_stability": 2, "n_attack": 2, "frames": 2, "n_demo": 2,
              "n_far_ood": 8, "shifts": [15, 16], "n_pretraining": 4},
}

# ViT-B/16 with the same AugReg recipe, pre-trained on ImageNet-1k vs on ImageNet-21k and then
# fine-tuned on ImageNet-1k (timm names; Steiner et al. 2022, "How to train your ViT?")
PRETRAINING_PAIR = {"ImageNet-1k": "vit_base_patch16_224.augreg_in1k",
                    "ImageNet-21k": "vit_base_patch16_224.augreg_in21k_ft_in1k"}
PRETRAINING_DATA = ("val", "imagenet-a", "imagenet-r", "imagenet-o")
# the tutorial's slide (Paul & Chen 2022): the same ViT-B/16, ImageNet-1k vs -21k pre-training
PRETRAINING_PAPER = {"source": "NeurIPS 2022 tutorial slides (Paul & Chen, AAAI 2022)",
                     "ImageNet-A accuracy (%)": (8.63, 21.75),
                     "ImageNet-R accuracy (%)": (28.21, 41.82),
                     "ImageNet-O AUPR (%)": (26.25, 54.61)}


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


def pretraining_missing(profile: str | None = None) -> list[str]:
    """What the ImageNet-1k vs -21k comparison lacks: folders under ``$FRFM_DATA_DIR`` (and the
    weights folder hint); empty when every data folder is there (weights are tried on load)."""
    base = os.environ.get(DATA_DIR_ENV)
    root = Path(base).expanduser() if base else None
    return [f"{DATA_DIR_ENV}/{d}/" for d in PRETRAINING_DATA if root is None or not (root / d).is_dir()]


@torch.no_grad()
def _logits(model: torch.nn.Module, x: torch.Tensor, device, batch_size: int) -> torch.Tensor:
    return torch.cat([model(x[i:i + batch_size].to(device)).float().cpu()
                      for i in range(0, len(x), batch_size)])


def pretraining_comparison(n: int, device: torch.device | str | None = None,
                           seed: int = 0) -> dict[str, dict[str, torch.Tensor]]:
    """Per-image results of the ``PRETRAINING_PAIR`` on ImageNet-A, -R (200-way accuracy, as their
    authors score them) and ImageNet-O (MSP; in-distribution = ImageNet val).

    Returns ``{label: {"A": correct (N,), "R": correct (N,), "msp_in": (n,), "msp_O": (m,)}}``.
    Needs the folders of ``pretraining_missing`` and the two timm weights (``$FRFM_WEIGHTS_DIR/
    <name>.safetensors`` or the Hugging Face cache); a missing piece is an error naming it.
    """
    from tutorial_lib.core.device import eval_batch_size
    from tutorial_lib.core.models import build_full_model
    from tutorial_lib.evaluation import shift_data

    missing = pretraining_missing()
    if missing:
        raise FileNotFoundError(f"The ImageNet-1k vs -21k comparison needs {', '.join(missing)}.")
    size, bs = 224, eval_batch_size(device or "cpu")
    data = {s: shift_data.load_imagenet_rendition_or_adversarial(f"imagenet-{s.lower()}", n=n,
                                                                 seed=seed) for s in ("A", "R")}
    x_in, _ = load_dataset("imagenet", "val", n=n, size=size)
    x_o = load_imagenet_folder("imagenet-o", n=n, size=size)[0]
    out: dict[str, dict[str, torch.Tensor]] = {}
    for label, name in PRETRAINING_PAIR.items():
        model = build_full_model(name).eval().to(device)
        r = {}
        for s, (x, y, classes) in data.items():
            z = shift_data.restrict_logits(_logits(model, x, device, bs), classes)
            r[s] = (z.argmax(1) == y).float()
        r["msp_in"] = torch.softmax(_logits(model, x_in, device, bs), 1).amax(1)
        r["msp_O"] = torch.softmax(_logits(model, x_o, device, bs), 1).amax(1)
        out[label] = r
        del model
    return out

"""Notebook 09's experiments: LP vs FT vs LP-FT (Kumar et al., ICLR 2022) on real images.

The knobs of the lesson (toy and images), the data and shifts of each profile, the shipped
checkpoints' names and training, and ``image_experiment``: part 2 of the notebook in either
profile. The closed-form toy is :mod:`tutorial_lib.transfer.linear_toy`; the generic probing and
fine-tuning pieces are :mod:`tutorial_lib.transfer.probing`. Every path returns probing's one
result shape, ``{recipe: {"accuracy": {test set: accuracy}, "feature_change": float}}``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_lib.core import zoo
from tutorial_lib.core.config import get_profile, pick_knobs
from tutorial_lib.core.data import load_cifar10, load_digits_tensors
from tutorial_lib.core.models import load_model
from tutorial_lib.core.transforms import pen_shift, rotate_images
from tutorial_lib.transfer.pretrain import WithHead
from tutorial_lib.transfer.probing import (Encoder, evaluate_recipes, features, few_shot_indices,
                                           finetune_model, fit_linear_probe, probe,
                                           three_recipes)

# Lesson knobs per profile: the toy (d, k, r, n, feature_noise, steps, lr), then the images.
KNOBS = {
    "quick": {"d": 50, "k": 10, "r": 20, "n": 200, "feature_noise": 0.05, "steps": 1000,
              "lr": 0.05, "shots": 20, "ft_epochs": 15, "ft_lr": 3e-4, "seeds": 3,
              "encoder": "cnn_digits"},
    "full": {"d": 200, "k": 20, "r": 60, "n": 1000, "feature_noise": 0.05, "steps": 6000,
             "lr": 0.05, "shots": 100, "ft_epochs": 10, "ft_lr": 1e-5, "seeds": 3,
             "encoder": "vit_small_patch16_224"},
    # FRFM_SMOKE=1: the same code paths, a few steps and shots (numbers mean nothing)
    "smoke": {"d": 20, "k": 5, "r": 8, "n": 100, "steps": 50, "shots": 1, "ft_epochs": 1, "seeds": 2},
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def thicken_strokes(x: torch.Tensor) -> torch.Tensor:
    """A bolder pen: grey-level dilation with a 3 x 3 window (``pen_shift`` by one pixel)."""
    return pen_shift(x, thickness=1, scale=1.0)


DIGIT_SHIFTS = {
    "ID (clean test)": lambda x: x,
    "OOD: rotated 30°": lambda x: rotate_images(x, 30.0),
    "OOD: bold strokes": thicken_strokes,
}


def digits_transfer_data(shots: int = 20, seed: int = 0):
    """The quick profile's data, all real scans: ``shots`` clean training digits per class (the
    labeled ID set) and the whole test split, clean (ID) and under each shift in ``DIGIT_SHIFTS``
    (OOD). Returns ``((x, y), {name: (x, y)})``."""
    x_tr, y_tr = load_digits_tensors("train")
    idx = few_shot_indices(y_tr, shots, seed)
    x_te, y_te = load_digits_tensors("test")
    return (x_tr[idx], y_tr[idx]), {k: (f(x_te), y_te) for k, f in DIGIT_SHIFTS.items()}


def cifar_transfer_data(shots: int = 100, seed: int = 0, size: int = 224,
                        n_test: int | None = None):
    """Full profile: ``shots`` CIFAR-10 training images per class (ID, labeled) and ``n_test``
    test images (default: the profile's ``n_eval``, 1,000), clean (ID) and under each shift in ``DIGIT_SHIFTS`` (rotation, dilation: OOD), resized
    to ``size``. Downloads CIFAR-10 once; offline it fails early with ``FileNotFoundError``."""
    x_tr, y_tr = load_cifar10("train")
    x_te, y_te = load_cifar10("test")
    idx = few_shot_indices(y_tr, shots, seed)
    resize = lambda x: F.interpolate(x, size=(size, size), mode="bilinear",  # noqa: E731
                                     align_corners=False).clamp(0, 1)
    n_test = get_profile().n_eval if n_test is None else n_test
    x_te, y_te = x_te[:n_test], y_te[:n_test]
    tests = {k.replace("bold strokes", "dilated"): (resize(f(x_te)), y_te)
             for k, f in DIGIT_SHIFTS.items()}
    return (resize(x_tr[idx]), y_tr[idx]), tests


def build_probed(encoder_name: str = "cnn_digits", num_classes: int = 10) -> WithHead:
    """An untrained encoder (architecture of the kit's ``encoder_name``) with a linear head."""
    enc = Encoder(zoo.get(encoder_name).build())
    return WithHead(enc, nn.Linear(enc.dim, num_classes))


def checkpoint_name(recipe: str, encoder_name: str = "cnn_digits") -> str:
    """Shipped checkpoint of a transfer recipe, e.g. ``lpft_ft_cnn_digits``."""
    return f"lpft_{recipe.lower().replace('-', '')}_{encoder_name}"


def transfer_recipe(model: WithHead, recipe: str, encoder_name: str = "cnn_digits",
                    shots: int = 20, epochs: int = 15, lr: float = 3e-4, seed: int = 0) -> dict:
    """Train ``model`` in place with ``recipe`` ("LP", "FT" or "LP-FT") from the shipped
    pretrained ``encoder_name`` on ``shots`` digits per class; returns the settings and the
    result (``accuracy`` on the ID and OOD test sets, ``feature_change``) as one metrics dict."""
    if recipe not in {"LP", "FT", "LP-FT"}:
        raise ValueError(f"recipe must be 'LP', 'FT' or 'LP-FT', got {recipe!r}.")
    train, tests = digits_transfer_data(shots, seed)
    pretrained = Encoder(load_model(encoder_name))
    model.encoder.load_state_dict(pretrained.state_dict())
    torch.manual_seed(seed)
    if recipe == "FT":
        model.head.reset_parameters()
    else:
        model.head.load_state_dict(fit_linear_probe(features(pretrained, train[0]), train[1],
                                                    10).state_dict())
    if recipe != "LP":
        finetune_model(model, *train, epochs=epochs, lr=lr, seed=seed)
    return {"recipe": recipe, "encoder": encoder_name, "shots": shots, "epochs": epochs, "lr": lr,
            "seed": seed, **evaluate_recipes(pretrained, {recipe: model.eval()}, tests)[recipe]}


def train_recipe_for_zoo(recipe: str, encoder_name: str = "cnn_digits", seeds=(0, 1, 2)):
    """The zoo's training of ``lpft_{ft,lpft}_ENC``: seed ``seeds[0]``'s model is the checkpoint;
    every seed's accuracies go into its metrics ("seeds"), next to LP's ("lp_seeds")."""
    def train(model: WithHead) -> dict:
        runs = [transfer_recipe(model if s == seeds[0] else build_probed(encoder_name), recipe,
                                encoder_name, seed=s) for s in seeds]
        return {**runs[0], "seeds": runs, "lp_seeds": [
            transfer_recipe(build_probed(encoder_name), "LP", encoder_name, seed=s) for s in seeds]}
    return train


for _recipe in ("FT", "LP-FT"):
    zoo.register(checkpoint_name(_recipe), build=build_probed, train=train_recipe_for_zoo(_recipe),
                 description=f"cnn_digits adapted with {_recipe} on 20 scans per class (notebook 09)")


def image_experiment(cfg: dict | None = None, profile: str | None = None, seed: int = 0,
                     device: torch.device | str | None = None):
    """Part 2 of notebook 09: ``(test sets, {recipe: result})``. Quick profile: the shipped
    ``cnn_digits`` encoder, LP fitted here, FT and LP-FT loaded from their checkpoints; full
    profile: a pretrained timm ViT adapted all three ways here on CIFAR-10 (a GPU run)."""
    quick = get_profile(profile).name == "quick"
    cfg = knobs(profile) if cfg is None else cfg
    data = digits_transfer_data if quick else cifar_transfer_data
    (x, y), tests = data(cfg["shots"], seed)
    x, y = x.to(device), y.to(device)
    tests = {k: (a.to(device), b.to(device)) for k, (a, b) in tests.items()}
    encoder = Encoder(load_model(cfg["encoder"])).to(device)
    if quick:
        adapted = {"LP": probe(encoder, x, y, 10),
                   **{r: zoo.load(checkpoint_name(r, cfg["encoder"]), device) for r in ("FT", "LP-FT")}}
    else:
        adapted = three_recipes(encoder, (x, y), 10, cfg["ft_epochs"], cfg["ft_lr"], seed)
    return tests, evaluate_recipes(encoder, adapted, tests)

"""The model zoo: timm models that take raw [0, 1] pixels (normalisation is their first layer).

Quick profile: a ViT (patch 4) and a ResNet-style CNN of similar size trained on real digit scans
by ``scripts/train.py vit_digits cnn_digits``; their checkpoints ship in ``data/checkpoints`` and are
sha256-checked. Full profile: pretrained ImageNet models from timm, loaded the real way.
"""

from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Callable, Sequence

import timm
import torch
from torch import nn

from tutorial_lib.core import data, zoo
from tutorial_lib.core.config import get_profile
from tutorial_lib.core.fit import accuracy, train_classifier

DIGITS_MEAN, DIGITS_STD = (0.305,), (0.324,)  # measured on the digits train split at 32x32


# ----------------------------------------------------------------------------- the wrapper
def check_images(x: torch.Tensor, input_size: Sequence[int]) -> None:
    """Raise a ValueError that says what to do if ``x`` is not a batch of [0, 1] images."""
    if not torch.is_tensor(x) or x.dim() != 4:
        got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"Expected a batch of images shaped (N, {', '.join(map(str, input_size))}); "
                         f"got {got}. Add a batch dimension with x[None] for a single image.")
    if tuple(x.shape[1:]) != tuple(input_size):
        c, h, w = input_size
        raise ValueError(
            f"This model takes (N, {c}, {h}, {w}) images; got {tuple(x.shape)}. Resize with "
            f"torch.nn.functional.interpolate(x, size=({h}, {w})) or load the data with "
            f"load_dataset(..., size={h}); convert RGB to grey with x.mean(1, keepdim=True).")
    lo, hi = torch.aminmax(x.detach())
    if lo < -1e-4 or hi > 1 + 1e-4:
        raise ValueError(
            f"Images must be raw pixels in [0, 1]; got values in [{lo.item():.3f}, {hi.item():.3f}]. "
            "Do not normalise them yourself (the model's first layer does), and clamp perturbed "
            "images with x.clamp(0, 1).")


class ImageClassifier(nn.Module):
    """A timm network behind a fixed mean/std normalisation layer; input: raw [0, 1] pixels.

    ``net`` is the timm model itself (for attention maps, features, pruning, ...).
    """

    def __init__(self, net: nn.Module, mean: Sequence[float], std: Sequence[float],
                 input_size: Sequence[int], name: str = "") -> None:
        super().__init__()
        self.net, self.name, self.input_size = net, name, tuple(input_size)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))
        self.check_inputs = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.check_inputs:
            check_images(x, self.input_size)
        return self.net((x - self.mean) / self.std)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ----------------------------------------------------------------------------- quick models
def build_vit_digits(num_classes: int = 10) -> ImageClassifier:
    """timm ViT for 32x32 grey digits: patch 4 (8x8 = 64 tokens), dim 96, depth 6, 3 heads."""
    from timm.models.vision_transformer import VisionTransformer

    net = VisionTransformer(img_size=32, patch_size=4, in_chans=1, num_classes=num_classes,
                            embed_dim=96, depth=6, num_heads=3, mlp_ratio=4.0,
                            global_pool="avg", weight_init="jax")
    return ImageClassifier(net, DIGITS_MEAN, DIGITS_STD, (1, 32, 32), "vit_digits")


def build_cnn_digits(num_classes: int = 10) -> ImageClassifier:
    """timm ResNet (BasicBlock x [1, 1, 1, 1], widths 24-48-96-192) with a 3x3 stride-1 stem
    (timm's stem keeps 64 channels) and no max-pool, so 32x32 inputs end as 4x4 feature maps."""
    from timm.models.resnet import BasicBlock, ResNet

    net = ResNet(BasicBlock, (1, 1, 1, 1), num_classes=num_classes, in_chans=1,
                 channels=(24, 48, 96, 192))
    net.conv1 = nn.Conv2d(1, net.bn1.num_features, kernel_size=3, stride=1, padding=1, bias=False)
    net.maxpool = nn.Identity()
    return ImageClassifier(net, DIGITS_MEAN, DIGITS_STD, (1, 32, 32), "cnn_digits")


def train_digits_model(model: nn.Module, epochs: int, lr: float,
                       classes: tuple[int, ...] = tuple(range(10)),
                       log: Callable[[str], None] | None = print) -> dict:
    """The kit's digit recipe (``train_classifier``) on the digit ``classes``; returns metrics.
    Model selection uses the validation split only; the test split is scored once, at the end."""
    train = data.load_digits_tensors("train", classes=classes)
    val = data.load_digits_tensors("val", classes=classes)
    test = data.load_digits_tensors("test", classes=classes)
    recipe = {"epochs": epochs, "lr": lr}
    result = train_classifier(model, train, val, log=log, **recipe)
    return {"dataset": "digits", "classes": list(classes), "test_acc": accuracy(model, *test),
            "val_acc": result["val_acc"], "best_epoch": result["best_epoch"],
            "epochs": result["epochs"], "recipe": recipe}


@zoo.register("vit_digits", build=build_vit_digits)
def train_vit_digits(model: nn.Module) -> dict:
    """ViT, patch 4, 0.68M params, trained from scratch (jax init, augmentation, label smoothing)."""
    return train_digits_model(model, epochs=50, lr=1e-3)


@zoo.register("cnn_digits", build=build_cnn_digits)
def train_cnn_digits(model: nn.Module) -> dict:
    """ResNet-style CNN, 0.70M params, the same recipe."""
    return train_digits_model(model, epochs=20, lr=1e-3)


FULL_MODELS: dict[str, str] = {
    "vit_small_patch16_224": "ViT-S/16, ImageNet-21k pre-trained, fine-tuned on ImageNet-1k",
    "vit_base_patch16_224": "ViT-B/16, ImageNet-21k pre-trained, fine-tuned on ImageNet-1k",
    "resnet50": "ResNet-50 (timm a1 recipe), ImageNet-1k",
    "convnext_tiny": "ConvNeXt-T, ImageNet-1k (modern CNN design)",
}


# ----------------------------------------------------------------------------- full models
WEIGHTS_ENV = "FRFM_WEIGHTS_DIR"  # a folder of <timm name>.safetensors, used before the hub


def build_full_model(name: str, pretrained: bool = True) -> ImageClassifier:
    """A timm ImageNet model wrapped with its own mean/std. ``pretrained`` takes the weights from
    ``$FRFM_WEIGHTS_DIR/<name>.safetensors`` when that file exists, else from the Hugging Face hub
    (downloaded once into its cache, ``$HF_HOME`` or ``~/.cache/huggingface``; with
    ``HF_HUB_OFFLINE=1`` only the cache is read)."""
    local = Path(os.environ.get(WEIGHTS_ENV, "")).expanduser() / f"{name}.safetensors"
    overlay = {"file": str(local)} if pretrained and os.environ.get(WEIGHTS_ENV) and local.is_file() else None
    try:
        net = timm.create_model(name, pretrained=pretrained, pretrained_cfg_overlay=overlay)
    except Exception as err:
        raise RuntimeError(
            f"Could not load pretrained weights for {name!r} ({type(err).__name__}: {err}). Looked "
            f"for {WEIGHTS_ENV}/{name}.safetensors ({WEIGHTS_ENV}="
            f"{os.environ.get(WEIGHTS_ENV, 'unset')}) and then the Hugging Face hub cache "
            "(~/.cache/huggingface or $HF_HOME; internet needed the first time unless "
            "HF_HUB_OFFLINE=1 and the cache holds them). Offline? Use FRFM_PROFILE=quick.") from err
    cfg = net.pretrained_cfg
    return ImageClassifier(net, cfg["mean"], cfg["std"], cfg["input_size"], name)


# ----------------------------------------------------------------------------- one entry point
def load_model(name: str, device: torch.device | str | None = None) -> nn.Module:
    """An eval-mode classifier taking (N, C, H, W) images in [0, 1].

    Quick profile: a shipped digit model from the zoo (sha256-checked; see ``zoo.names()``).
    Full profile: a pretrained timm ImageNet model. Unknown names raise ``KeyError`` listing both.
    """
    if name in FULL_MODELS:
        if get_profile().name != "full" and not os.environ.get("FRFM_ALLOW_DOWNLOAD"):
            raise ValueError(f"{name!r} is a full-profile model (pretrained ImageNet weights from "
                             f"the internet); the active profile is {get_profile().name!r}. Set "
                             "FRFM_PROFILE=full, or use a shipped model such as vit_digits.")
        model = build_full_model(name).eval()
        return model.to(device) if device is not None else model
    if name not in zoo.names():
        raise KeyError(f"Unknown model {name!r}. Shipped: {', '.join(zoo.names())}; "
                       f"full profile: {', '.join(sorted(FULL_MODELS))}.")
    return zoo.load(name, device)

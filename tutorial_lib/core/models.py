"""The model zoo: timm models that take raw [0, 1] pixels (normalisation is their first layer).

Quick profile: a ViT (patch 4) and a ResNet-style CNN of similar size trained on real digit scans
by ``scripts/train_vision_models.py``; their checkpoints ship in ``data/checkpoints`` and are
sha256-checked. Full profile: pretrained ImageNet models from timm, loaded the real way.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import timm
import torch
from torch import nn

from tutorial_lib.core import data
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


@dataclass(frozen=True)
class ModelSpec:
    """How to build a quick-profile model and train it (the recipe the script runs)."""

    build: Callable[[], nn.Module]
    recipe: dict = field(default_factory=dict)  # keyword arguments of train_classifier
    classes: tuple[int, ...] = tuple(range(10))  # digit classes it is trained on
    description: str = ""


QUICK_MODELS: dict[str, ModelSpec] = {
    "vit_digits": ModelSpec(build_vit_digits, {"epochs": 50, "lr": 1e-3},
                            description="ViT, patch 4, 0.68M params, trained from scratch "
                                        "(jax init, augmentation, label smoothing)"),
    "cnn_digits": ModelSpec(build_cnn_digits, {"epochs": 20, "lr": 1e-3},
                            description="ResNet-style CNN, 0.70M params, same recipe"),
}
FULL_MODELS: dict[str, str] = {
    "vit_small_patch16_224": "ViT-S/16, ImageNet-21k pre-trained, fine-tuned on ImageNet-1k",
    "vit_base_patch16_224": "ViT-B/16, ImageNet-21k pre-trained, fine-tuned on ImageNet-1k",
    "resnet50": "ResNet-50 (timm a1 recipe), ImageNet-1k",
    "convnext_tiny": "ConvNeXt-T, ImageNet-1k (modern CNN design)",
}


def register_model(name: str, spec: ModelSpec) -> None:
    """Add a quick-profile model (a lesson's own variant) to the zoo."""
    QUICK_MODELS[name] = spec


def available_models(profile: str | None = None) -> list[str]:
    """Names ``load_model`` accepts in the given (default: active) profile."""
    prof = get_profile(profile)
    return sorted(QUICK_MODELS) if prof.name == "quick" else sorted(FULL_MODELS)


# ----------------------------------------------------------------------------- checkpoints
def checkpoint_metrics(name: str) -> dict:
    """The metrics recorded beside a checkpoint (``data/checkpoints/NAME.json``), or {}."""
    path = data.data_path(f"checkpoints/{name}.json")
    return json.loads(path.read_text()) if path.is_file() else {}


def save_checkpoint(name: str, model: nn.Module, metrics: dict) -> None:
    """Write ``data/checkpoints/NAME.pt`` + ``NAME.json`` and record the sha256."""
    path = data.data_path(f"checkpoints/{name}.pt")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"name": name, "state_dict": model.state_dict()}, path)
    meta = {**metrics, "params": count_parameters(model), "torch": torch.__version__,
            "timm": timm.__version__, "python": platform.python_version(),
            "threads": torch.get_num_threads()}
    data.data_path(f"checkpoints/{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    data.record_sha256(f"checkpoints/{name}.pt")


def load_or_train(name: str, build: Callable[[], nn.Module], train: Callable[[nn.Module], dict],
                  retrain: bool = False) -> nn.Module:
    """Load ``data/checkpoints/NAME.pt`` (sha256-checked) into ``build()``; when the file is
    missing (or ``retrain``), run ``train(model) -> metrics`` first and save the result."""
    path = data.data_path(f"checkpoints/{name}.pt")
    if retrain or not path.exists():
        took = checkpoint_metrics(name).get("train_seconds")
        est = f"about {took:.0f} s on the machine that made it" if took else "a few minutes"
        print(f"{name}: no checkpoint at data/checkpoints/{name}.pt, training it now ({est}).",
              file=sys.stderr)
        model = build()
        t0 = time.perf_counter()
        metrics = train(model)
        metrics["train_seconds"] = round(time.perf_counter() - t0, 1)
        save_checkpoint(name, model, metrics)
    model = build()
    state = torch.load(data.verified_path(f"checkpoints/{name}.pt"), map_location="cpu",
                       weights_only=True)
    model.load_state_dict(state["state_dict"])
    return model.eval()


def train_quick_model(name: str, model: nn.Module, log: Callable[[str], None] | None = print) -> dict:
    """Train a quick-profile model with its recipe on digits; returns its metrics."""
    spec = QUICK_MODELS[name]
    classes = spec.classes
    train = data.load_digits_tensors("train", classes=classes)
    val = data.load_digits_tensors("val", classes=classes)
    test = data.load_digits_tensors("test", classes=classes)
    result = train_classifier(model, train, val, log=log, **spec.recipe)
    return {"dataset": "digits", "classes": list(classes), "test_acc": accuracy(model, *test),
            "val_acc": result["val_acc"], "best_epoch": result["best_epoch"],
            "epochs": result["epochs"], "recipe": spec.recipe,
            "command": f"python scripts/train_vision_models.py --model {name}"}


# ----------------------------------------------------------------------------- full models
def build_full_model(name: str, pretrained: bool = True) -> ImageClassifier:
    """A timm ImageNet model wrapped with its own mean/std; ``pretrained`` downloads weights."""
    try:
        net = timm.create_model(name, pretrained=pretrained)
    except Exception as err:
        raise RuntimeError(
            f"Could not load pretrained weights for {name!r} ({type(err).__name__}: {err}). "
            "The full profile downloads them from the Hugging Face hub once (internet needed, "
            "then cached in ~/.cache/huggingface). Offline? Use FRFM_PROFILE=quick.") from err
    cfg = net.pretrained_cfg
    return ImageClassifier(net, cfg["mean"], cfg["std"], cfg["input_size"], name)


# ----------------------------------------------------------------------------- one entry point
def load_model(name: str, device: torch.device | str | None = None,
               retrain: bool = False) -> ImageClassifier:
    """An eval-mode classifier taking (N, C, H, W) images in [0, 1].

    Quick profile: the shipped digit models (trained again if the checkpoint is missing);
    full profile: pretrained timm ImageNet models. Unknown names raise ``KeyError`` listing
    what is available.
    """
    prof = get_profile()
    if name in QUICK_MODELS:
        spec = QUICK_MODELS[name]
        model = load_or_train(name, spec.build, lambda m: train_quick_model(name, m),
                              retrain=retrain)
    elif name in FULL_MODELS:
        if prof.name != "full" and not os.environ.get("FRFM_ALLOW_DOWNLOAD"):
            raise ValueError(f"{name!r} is a full-profile model (pretrained ImageNet weights from "
                             f"the internet); the active profile is {prof.name!r}. Set "
                             "FRFM_PROFILE=full, or use one of " + ", ".join(sorted(QUICK_MODELS)))
        model = build_full_model(name)
    else:
        raise KeyError(f"Unknown model {name!r}. Quick profile: {', '.join(sorted(QUICK_MODELS))}; "
                       f"full profile: {', '.join(sorted(FULL_MODELS))}.")
    model.eval()
    return model.to(device) if device is not None else model

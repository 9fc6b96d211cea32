"""Pre-training the kit's digit networks on the glyph corpus (``foundation.glyphs``).

The objective is the simplest one: supervised character classification, as ImageNet
pre-training is supervised object classification. The networks are exactly the kit's digit
models (``core.models.build_vit_digits`` / ``build_cnn_digits``) with one output per character,
so that swapping the head for ten digit outputs gives the same network the kit trains from
scratch as ``vit_digits`` / ``cnn_digits``.

Both corpora get the same budget: the same number of rendered images, optimizer steps and batch
size (so the same number of images seen); only the number of classes differs, as ImageNet-21k
vs ImageNet-1k. The budget (``glyphs.KNOBS``: six epochs over 24,000 renderings, 144,000 images
seen) took 8-22 minutes per model on one thread of a shared 2-core CPU, far below the thousands of
GPU hours of the ImageNet models; each checkpoint's metrics record its wall time and command.

Checkpoints are stored in half precision (they load into float32 models) to stay under 2 MB.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
from torch import nn

from tutorial_lib.core import zoo
from tutorial_lib.core.device import seed_everything
from tutorial_lib.core.fit import accuracy, cross_entropy, fit, warmup_cosine
from tutorial_lib.core.models import build_cnn_digits, build_vit_digits
from tutorial_lib.core.transforms import digits_augment
from tutorial_lib.foundation import glyphs

ARCHS: dict[str, Callable[[int], nn.Module]] = {"vit": build_vit_digits, "cnn": build_cnn_digits}
LR = {"vit": 1e-3, "cnn": 2e-3}


def build(arch: str, corpus: str) -> nn.Module:
    """The untrained ``arch`` ("vit" / "cnn") digit network with one output per corpus class."""
    if arch not in ARCHS:
        raise ValueError(f"Unknown arch {arch!r}; use one of {sorted(ARCHS)}.")
    return ARCHS[arch](len(glyphs.classes(corpus)))


def pretrain(model: nn.Module, arch: str, corpus: str, knobs: dict | None = None,
             seed: int = 0, log: Callable[[str], None] | None = None) -> dict:
    """Supervised glyph classification in place (AdamW, warm-up + cosine, label smoothing 0.1,
    the kit's digit augmentation on top of the rendered variety). Returns the metrics: accuracy
    on held-out renderings (another seed: new affines and stroke weights) and the loss history."""
    k = dict(glyphs.knobs() if knobs is None else knobs)
    log = log or (lambda s: print(s, flush=True))
    t0 = time.perf_counter()
    train = glyphs.render_corpus(corpus, k["n_images"], seed=seed)
    val = glyphs.render_corpus(corpus, k["n_val"], seed=seed + 1000)
    render_s = time.perf_counter() - t0
    gen = seed_everything(seed)
    steps = k["steps"][arch] if isinstance(k["steps"], dict) else k["steps"]
    epochs = max(1, math.ceil(steps * k["batch_size"] / k["n_images"]))
    opt = torch.optim.AdamW(model.parameters(), lr=LR[arch], weight_decay=0.05)
    total = epochs * math.ceil(k["n_images"] / k["batch_size"])
    sched = warmup_cosine(opt, total, max(1, total // 20))
    history: list[dict] = []

    def on_epoch(epoch: int, loss: float) -> None:
        history.append({"epoch": epoch + 1, "loss": round(loss, 4),
                        "seconds": round(time.perf_counter() - t0, 1)})
        if log:
            log(f"{arch}/{corpus} epoch {epoch + 1}/{epochs} loss {loss:.3f} "
                f"({time.perf_counter() - t0:.0f} s)")

    fit(model, (train.x, train.y), cross_entropy(0.1), opt, epochs, k["batch_size"], gen, sched,
        digits_augment, on_epoch=on_epoch)
    model.eval()
    metrics = {"arch": arch, "corpus": corpus, "n_classes": len(train.chars),
               "n_images": k["n_images"], "epochs": epochs, "steps": total,
               "batch_size": k["batch_size"], "images_seen": total * k["batch_size"],
               "lr": LR[arch], "render_seconds": round(render_s, 1),
               "heldout_render_acc": accuracy(model, val.x, val.y),
               "train_acc": accuracy(model, train.x[:k["n_val"]], train.y[:k["n_val"]]),
               "history": history, "objective": "supervised character classification"}
    model.half()  # stored in half precision; zoo.load copies into a float32 model
    return metrics


def _register(arch: str, corpus: str) -> None:
    name = f"glyph_{arch}_{corpus}"

    def train_fn(model: nn.Module) -> dict:
        return pretrain(model, arch, corpus)

    train_fn.__qualname__ = f"train_{name}"
    train_fn.__doc__ = (f"{arch.upper()} pre-trained on the {corpus} glyph corpus (supervised "
                        "character classification, one CPU thread).")
    zoo.register(name, build=lambda: build(arch, corpus))(train_fn)


for _arch in ARCHS:
    for _corpus in ("narrow", "broad"):
        _register(_arch, _corpus)


def load_backbone(arch: str, corpus: str | None, device: torch.device | str | None = None,
                  num_classes: int = 10) -> nn.Module:
    """A digit network (``num_classes`` outputs, fresh head) whose body is pre-trained on
    ``corpus`` ("narrow" / "broad"), or randomly initialised when ``corpus`` is None."""
    model = ARCHS[arch](num_classes)
    if corpus is not None:
        pre = zoo.load(f"glyph_{arch}_{corpus}")
        body = {k: v for k, v in pre.state_dict().items() if not _is_head(k)}
        missing, unexpected = model.load_state_dict(body, strict=False)
        if unexpected or any(not _is_head(k) for k in missing):
            raise RuntimeError(f"pre-trained body does not fit: {missing}, {unexpected}")
    return model.to(device) if device is not None else model


def _is_head(key: str) -> bool:
    return key.startswith("net.head.") or key.startswith("net.fc.")

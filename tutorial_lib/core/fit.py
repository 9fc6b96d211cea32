"""Short, readable training loops (standard supervised; the lessons add adversarial ones)."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core.device import eval_batch_size, seed_everything
from tutorial_lib.core.transforms import digits_augment


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int | None = None) -> float:
    """Top-1 accuracy of ``model`` (put in eval mode) on (x, y), batched."""
    model.eval()
    batch_size = batch_size or eval_batch_size(x.device)
    correct = 0
    for i in range(0, len(x), batch_size):
        correct += (model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
    return correct / max(1, len(x))


def train_classifier(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    epochs: int,
    lr: float = 1e-3,
    weight_decay: float = 0.05,
    batch_size: int = 32,
    warmup_epochs: int = 5,
    label_smoothing: float = 0.1,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = digits_augment,
    seed: int = 0,
    log: Callable[[str], None] | None = print,
) -> dict:
    """AdamW + linear warm-up + cosine, label smoothing, augmentation; keeps the best-validation
    epoch's weights (loaded into ``model`` at the end). Returns a history and the best epoch."""
    gen = seed_everything(seed)
    x_tr, y_tr = train
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(x_tr) / batch_size)
    total, warm = epochs * steps_per_epoch, warmup_epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else
        0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, total - warm))))
    best = {"val_acc": -1.0, "epoch": -1, "state": None}
    history = []
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x_tr), generator=gen).to(x_tr.device)
        for i in range(0, len(x_tr), batch_size):
            idx = perm[i:i + batch_size]
            xb = augment(x_tr[idx], gen) if augment else x_tr[idx]
            loss = F.cross_entropy(model(xb), y_tr[idx], label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        val_acc = accuracy(model, *val)
        history.append({"epoch": epoch + 1, "loss": loss.item(), "val_acc": val_acc})
        if val_acc > best["val_acc"]:
            best = {"val_acc": val_acc, "epoch": epoch + 1,
                    "state": copy.deepcopy(model.state_dict())}
        if log:
            log(f"epoch {epoch + 1:3d}/{epochs}  loss {loss.item():.3f}  val {val_acc:.3f}  "
                f"({time.perf_counter() - t0:.0f} s)")
    model.load_state_dict(best["state"])
    model.eval()
    return {"history": history, "best_epoch": best["epoch"], "val_acc": best["val_acc"],
            "epochs": epochs}

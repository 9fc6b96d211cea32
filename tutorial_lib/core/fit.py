"""The kit's one training loop, ``fit``, and the digit recipe built on it.

``fit`` runs epochs of shuffled mini-batches (or a step budget); the *regime* is the loss it is given:
standard (``cross_entropy``), adversarial (``adversarial_cross_entropy``: PGD examples), noise
(an ``augment`` that adds Gaussian noise) or contrastive / pretext (a lesson's own loss). Lessons
keep only their loss and their data.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable

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


Loss = Callable[[nn.Module, tuple[torch.Tensor, ...], torch.Generator], torch.Tensor]


def cross_entropy(label_smoothing: float = 0.0) -> Loss:
    """The standard regime: cross-entropy on the (possibly augmented) batch ``(x, y)``."""
    def loss(model: nn.Module, batch: tuple[torch.Tensor, ...], gen: torch.Generator) -> torch.Tensor:
        return F.cross_entropy(model(batch[0]), batch[1], label_smoothing=label_smoothing)
    return loss


def adversarial_cross_entropy(eps: float, steps: int,
                              train_mode: Callable[[nn.Module], None] | None = None) -> Loss:
    """The adversarial regime (Madry et al.): cross-entropy on L-inf PGD-``steps`` examples of
    radius ``eps``. ``train_mode(model)`` restores the training mode PGD switched off."""
    from tutorial_lib.core.attacks import pgd

    def loss(model: nn.Module, batch: tuple[torch.Tensor, ...], gen: torch.Generator) -> torch.Tensor:
        x_adv = pgd(model, batch[0], batch[1], eps, steps, generator=gen)
        (train_mode or nn.Module.train)(model)
        return F.cross_entropy(model(x_adv), batch[1])
    return loss


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's NT-Xent loss: row i of ``z1`` and of ``z2`` are two views of one image; the other
    2N - 2 embeddings in the batch are the negatives. Embeddings are L2-normalised here."""
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f"z1 and z2 must be (N, D) with the same shape; got {tuple(z1.shape)} "
                         f"and {tuple(z2.shape)}.")
    n = len(z1)
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(sim, target)


def fit(model: nn.Module, data: tuple[torch.Tensor, ...], loss_fn: Loss,
        opt: torch.optim.Optimizer, epochs: int, batch_size: int, generator: torch.Generator,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
        augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
        train_mode: bool = True, on_epoch: Callable[[int, float], None] | None = None, *,
        batches: Callable[[], Iterable[torch.Tensor]] | None = None, clip_norm: float | None = None,
        on_step: Callable[[int, float], bool | None] | None = None) -> list[float]:
    """Train ``model`` in place for ``epochs`` passes over ``data`` (tensors sharing the first
    axis), shuffled by ``generator``; ``augment`` transforms the first tensor of each batch.
    ``train_mode=False`` leaves the mode to ``loss_fn`` (e.g. a frozen encoder). Calls
    ``on_epoch(epoch, mean_loss)`` after each epoch; returns the mean loss per epoch.

    Step budgets: ``batches()`` gives one epoch's index batches instead of the shuffled pass (e.g.
    ``steps`` draws with replacement); ``on_step(step, loss)`` runs after each update (steps count
    from 1) and ends training by returning True. ``clip_norm`` clips the gradient norm."""
    history, step, stop = [], 0, False
    for epoch in range(epochs):
        if train_mode:
            model.train()
        total, count = 0.0, 0
        order = batches() if batches is not None else \
            torch.randperm(len(data[0]), generator=generator).split(batch_size)
        for idx in order:
            batch = tuple(t[idx.to(t.device)] for t in data)
            if augment is not None:
                batch = (augment(batch[0], generator), *batch[1:])
            loss = loss_fn(model, batch, generator)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            opt.step()
            if scheduler is not None:
                scheduler.step()
            step, count, total = step + 1, count + len(idx), total + loss.item() * len(idx)
            if stop := on_step is not None and bool(on_step(step, loss.item())):
                break
        history.append(total / max(1, count))
        if on_epoch is not None:
            on_epoch(epoch, history[-1])
        if stop:
            break
    return history


def warmup_cosine(opt: torch.optim.Optimizer, total_steps: int,
                  warmup_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up for ``warmup_steps``, then cosine decay to 0 at ``total_steps``."""
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup_steps if s < warmup_steps else
        0.5 * (1 + math.cos(math.pi * (s - warmup_steps) / max(1, total_steps - warmup_steps))))


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
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(train[0]) / batch_size)
    sched = warmup_cosine(opt, epochs * steps_per_epoch, warmup_epochs * steps_per_epoch)
    best = {"val_acc": -1.0, "epoch": -1, "state": None}
    history = []
    t0 = time.perf_counter()

    def on_epoch(epoch: int, loss: float) -> None:
        nonlocal best
        val_acc = accuracy(model, *val)
        history.append({"epoch": epoch + 1, "loss": loss, "val_acc": val_acc})
        if val_acc > best["val_acc"]:
            best = {"val_acc": val_acc, "epoch": epoch + 1, "state": copy.deepcopy(model.state_dict())}
        if log:
            log(f"epoch {epoch + 1:3d}/{epochs}  loss {loss:.3f}  val {val_acc:.3f}  "
                f"({time.perf_counter() - t0:.0f} s)")

    fit(model, train, cross_entropy(label_smoothing), opt, epochs, batch_size, gen, sched,
        augment, on_epoch=on_epoch)
    model.load_state_dict(best["state"])
    model.eval()
    return {"history": history, "best_epoch": best["epoch"], "val_acc": best["val_acc"],
            "epochs": epochs}

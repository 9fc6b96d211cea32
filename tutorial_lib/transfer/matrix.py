"""Robustness transfer: fine-tune a pre-trained encoder in four regimes and score SA / RA.

=====  =========================================================  =========================
name   what is trained                                             on which examples
=====  =========================================================  =========================
SLF    a linear head; the encoder is frozen (and kept in eval())  clean
ALF    a linear head; the encoder is frozen (and kept in eval())  PGD examples (Madry AT)
SFF    encoder + head (full fine-tuning)                           clean
AFF    encoder + head (full fine-tuning)                           PGD examples (Madry AT)
=====  =========================================================  =========================

SA = standard (clean) accuracy, RA = robust accuracy under a stronger PGD than the training one.
The encoders come from :mod:`tutorial_lib.transfer.pretrain`; the profile knobs live in ``KNOBS``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_lib.core import zoo
from tutorial_lib.core.attacks import pgd
from tutorial_lib.core.config import get_profile, pick_knobs
from tutorial_lib.core.device import seed_everything
from tutorial_lib.core.fit import accuracy, adversarial_cross_entropy, fit
from tutorial_lib.transfer.pretrain import ConvEncoder, WithHead, build_cifar_resnet18
from tutorial_lib.transfer.sparsity import clone_module

REGIMES = ("SLF", "ALF", "SFF", "AFF")
PRETRAININGS = {  # encoder name suffix -> (pretext, adversarial?, label in the lesson)
    "rotation_std": ("rotation", False, "standard rotation"),
    "rotation_adv": ("rotation", True, "adversarial rotation"),
    "contrastive_adv": ("contrastive", True, "adversarial contrastive"),
}
# Lesson knobs per profile (config.py stays lesson-agnostic).
KNOBS: dict[str, dict] = {
    "quick": {"dataset": "digits", "image_size": 16, "channels": 1, "num_classes": 10,
              "eps": 0.1, "train_steps": 3, "eval_steps": 10, "pretrain_epochs": 15,
              "finetune_epochs": 10, "batch_size": 64, "n_eval": 397, "n_train": None,
              "resnet_width": None, "prefix": "transfer_digits"},  # digits: the 4-conv CNN
    "full": {"dataset": "cifar10", "image_size": 32, "channels": 3, "num_classes": 10,
             "eps": 8 / 255, "train_steps": 10, "eval_steps": 20, "pretrain_epochs": 100,
             "finetune_epochs": 25, "batch_size": 128, "n_eval": 1000, "n_train": None,
             "resnet_width": 64, "prefix": "transfer_cifar10_r18"},
    # FRFM_SMOKE=1: the same code paths, one epoch, one PGD step (numbers mean nothing)
    "smoke": {"train_steps": 1, "eval_steps": 2, "pretrain_epochs": 1, "finetune_epochs": 1,
              "batch_size": 16, "n_eval": 8, "n_train": 32, "resnet_width": 8},
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def build_encoder(profile: str | None = None) -> nn.Module:
    """The lesson's encoder: a 4-conv CNN (quick) or a CIFAR ResNet-18 (full)."""
    k = knobs(profile)
    return ConvEncoder(k["channels"]) if k["dataset"] == "digits" else build_cifar_resnet18(k["resnet_width"])


def transfer_data(split: str, profile: str | None = None,
                  device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The lesson's data: digits at 16x16 (train / val / test) or CIFAR-10 (its 'val' is the last
    5,000 training images, 'train' the first 45,000, 'test' the first ``n_eval`` test images).
    The ``n_train`` knob, when set (a smoke run), keeps the first ``n_train`` of train and val."""
    from tutorial_lib.core.data import load_dataset

    k = knobs(profile)
    if k["dataset"] == "digits":
        x, y = load_dataset("digits", split, size=k["image_size"], device=device)
        return (x[:k["n_train"]], y[:k["n_train"]]) if split != "test" else (x, y)
    if split not in {"train", "val", "test"}:
        raise ValueError(f"Unknown split {split!r}; use train, val or test.")
    x, y = load_dataset("cifar10", "test" if split == "test" else "train")
    if split == "test":  # PGD-20 on all 10,000 test images is slow; score the first n_eval
        x, y = x[:k["n_eval"]], y[:k["n_eval"]]
    else:  # the last tenth of the training images (5,000 of CIFAR-10's 50,000) is validation
        cut = len(x) * 9 // 10
        sl = slice(cut, None) if split == "val" else slice(0, cut)
        x, y = x[sl][:k["n_train"]], y[sl][:k["n_train"]]
    return x.to(device) if device else x, y.to(device) if device else y


# ----------------------------------------------------------------------------- fine-tuning
def _set_mode(model: WithHead, linear: bool) -> None:
    model.train()
    if linear:
        model.encoder.eval()  # frozen: no batch-norm statistics may leak or drift


def finetune(encoder: nn.Module, regime: str, train: tuple[torch.Tensor, torch.Tensor],
             num_classes: int = 10, epochs: int = 10, eps: float = 0.1, attack_steps: int = 3,
             lr: float | None = None, batch_size: int = 64, seed: int = 0,
             augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
             copy_encoder: bool = True) -> WithHead:
    """Fine-tune ``encoder`` + a new linear head for a fixed number of epochs (no model selection).

    ``regime`` in SLF / ALF / SFF / AFF (see the module docstring). Adversarial regimes train on
    PGD-``attack_steps`` examples of radius ``eps`` (L-inf). The encoder is copied (masks of a
    pruned encoder included) unless ``copy_encoder=False``. Returns the model in
    eval mode.
    """
    if regime not in REGIMES:
        raise ValueError(f"Unknown regime {regime!r}; use one of {REGIMES}.")
    linear, adversarial = regime in {"SLF", "ALF"}, regime in {"ALF", "AFF"}
    gen = seed_everything(seed)
    x, y = train
    enc = clone_module(encoder) if copy_encoder else encoder
    model = WithHead(enc, nn.Linear(enc.feature_dim, num_classes)).to(x.device)
    for p in enc.parameters():
        p.requires_grad_(not linear)
    params = [p for p in model.parameters() if p.requires_grad]
    lr = lr if lr is not None else (1e-2 if linear else 1e-3)
    opt = torch.optim.Adam(params, lr=lr)
    steps = epochs * math.ceil(len(x) / batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, steps))
    mode = lambda m: _set_mode(m, linear)  # noqa: E731 - a frozen encoder stays in eval mode
    loss = (adversarial_cross_entropy(eps, attack_steps, mode) if adversarial else
            lambda m, batch, g: (mode(m), F.cross_entropy(m(batch[0]), batch[1]))[1])
    fit(model, (x, y), loss, opt, epochs, batch_size, gen, sched, augment, train_mode=False)
    return model.eval()


def clean_and_robust_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
                              steps: int = 10, batch_size: int = 500,
                              seed: int = 0) -> dict[str, float]:
    """SA and RA (PGD-``steps``, L-inf ``eps``, random start) of ``model`` on (x, y), in [0, 1]."""
    gen = torch.Generator().manual_seed(seed)
    sa = accuracy(model, x, y, batch_size)  # puts the model in eval mode
    robust = 0
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size], y[i:i + batch_size]
        x_adv = pgd(model, xb, yb, eps, steps, generator=gen)
        with torch.no_grad():
            robust += (model(x_adv).argmax(1) == yb).sum().item()
    return {"SA": sa, "RA": robust / len(x)}


# ----------------------------------------------------------------------------- shipped encoders
def encoder_name(which: str, profile: str | None = None) -> str:
    """Checkpoint name of a pre-trained encoder, e.g. ``transfer_digits_rotation_adv``."""
    if which not in PRETRAININGS:
        raise KeyError(f"Unknown pre-training {which!r}; use one of {sorted(PRETRAININGS)}.")
    return f"{knobs(profile)['prefix']}_{which}"


def pretrain_for_zoo(which: str, profile: str, log: Callable[[str], None] | None = print):
    """The zoo's training function for encoder ``which``: pre-train on the lesson's unlabelled
    training images, then record a frozen-encoder linear probe's SA/RA on the validation split."""
    from tutorial_lib.transfer.pretrain import pretrain_encoder

    pretext, adversarial, _ = PRETRAININGS[which]
    k = knobs(profile)

    def train(encoder: nn.Module) -> dict:
        from tutorial_lib.core.device import device

        x, y = transfer_data("train", profile, device=device())
        encoder.to(x.device)
        metrics = pretrain_encoder(encoder, x, pretext, k["pretrain_epochs"],
                                   eps=k["eps"] if adversarial else 0.0,
                                   attack_steps=k["train_steps"], log=log)
        probe = finetune(encoder, "SLF", (x, y), k["num_classes"], k["finetune_epochs"],
                         batch_size=k["batch_size"])
        val = transfer_data("val", profile, x.device)
        metrics["val_SLF"] = clean_and_robust_accuracy(probe, *val, eps=k["eps"],
                                      steps=k["eval_steps"])
        metrics["dataset"] = k["dataset"]
        return metrics
    return train


for _profile in ("quick", "full"):  # KNOBS["smoke"] is an overlay, not a profile
    for _which in PRETRAININGS:
        zoo.register(encoder_name(_which, _profile), build=lambda p=_profile: build_encoder(p),
                     train=pretrain_for_zoo(_which, _profile),
                     description=f"{PRETRAININGS[_which][2]} pre-trained encoder ({_profile})")


def load_encoder(which: str, device: torch.device | str | None = None,
                 train: bool = False) -> nn.Module:
    """A pre-trained encoder of the active profile (eval mode, sha256-checked). A missing one is an
    error naming its training command, unless ``train=True`` (the full profile's notebook asks for
    that: no full-profile encoder ships, and pre-training takes hours on a GPU)."""
    return zoo.load(encoder_name(which), device, train=train)


def sparse_finetune(pretrained: nn.Module, dense_tuned: nn.Module, sparsity: float,
                    regime: str, train: tuple[torch.Tensor, torch.Tensor],
                    profile: str | None = None, seed: int = 0) -> WithHead:
    """One round of the double-win recipe: rank weights by magnitude in the dense fine-tuned
    encoder, prune ``sparsity`` of them globally, rewind the rest to the pre-trained values, and
    fine-tune again (same regime, same epoch budget) with the mask fixed."""
    from tutorial_lib.transfer.sparsity import prune_with_rewinding

    k = knobs(profile)
    ticket = prune_with_rewinding(pretrained, sparsity, scores_from=dense_tuned)
    return finetune(ticket, regime, train, k["num_classes"], k["finetune_epochs"], k["eps"],
                    k["train_steps"], batch_size=k["batch_size"], seed=seed, copy_encoder=False)


# ----------------------------------------------------------------------------- shipped tables
def results_file(kind: str, profile: str | None = None) -> str:
    """Path under data/ of a multi-seed table (``kind`` = "matrix" or "sparsity") written by
    ``python scripts/train.py transfer_results`` for the active profile."""
    if kind not in {"matrix", "sparsity"}:
        raise ValueError(f"kind must be 'matrix' or 'sparsity', got {kind!r}.")
    name = get_profile(profile).name
    return f"transfer/{kind}_seeds.csv" if name == "quick" else \
        f"transfer/{knobs(profile)['prefix']}_{kind}_seeds.csv"


def load_results(kind: str, profile: str | None = None, train: bool = False):
    """The shipped multi-seed table as a pandas DataFrame (sha256-checked). No full-profile table
    ships: with ``train=True`` (the full profile's notebook asks for that) a missing one is built."""
    import pandas as pd

    from tutorial_lib.core.data import data_path, verified_path

    rel = results_file(kind, profile)
    full = get_profile(profile).name == "full"
    artefact = "transfer_results_full" if full else "transfer_results"
    if not data_path(rel).is_file() and full and train:
        print(f"data/{rel} is missing: building the full profile's seed tables now (3 seeds x 12 "
              f"fine-tunings + pruned tickets: hours on a GPU; `python scripts/train.py {artefact}`).")
        zoo.load(artefact, train=True)
    if not data_path(rel).is_file():
        raise FileNotFoundError(
            f"data/{rel} is missing: produce it with `python scripts/train.py {artefact}` "
            f"(FRFM_PROFILE={get_profile(profile).name}; hours on a GPU in the full profile, "
            "~15 min on one CPU core in the quick one).")
    return pd.read_csv(verified_path(rel))


def seed_tables(profile: str, seeds=(0, 1, 2), sparsities=(0.5, 0.8, 0.9, 0.95),
                sparse_encoders=("rotation_std", "rotation_adv"), log=print) -> dict:
    """A profile's multi-seed tables: every encoder x regime fine-tuned per seed (SA/RA on the
    test split), and double-win pruning of the AFF models at each sparsity."""
    from tutorial_lib.core.data import write_csv

    k = knobs(profile)
    train, test = transfer_data("train", profile), transfer_data("test", profile)
    encoders = {w: zoo.load(encoder_name(w, profile), train=profile == "full") for w in PRETRAININGS}
    matrix, sparse = [], []
    for seed in seeds:
        for which, enc in encoders.items():
            for regime in REGIMES:
                model = finetune(enc, regime, train, k["num_classes"], k["finetune_epochs"],
                                 k["eps"], k["train_steps"], batch_size=k["batch_size"], seed=seed)
                score = clean_and_robust_accuracy(model, *test, eps=k["eps"],
                                                  steps=k["eval_steps"], seed=seed)
                matrix.append({"pretraining": which, "regime": regime, "seed": seed, **score})
                if log:
                    log(f"seed {seed} {which:>16s} {regime} SA {score['SA']:.3f} RA {score['RA']:.3f}")
                if regime == "AFF" and which in sparse_encoders:
                    sparse.append({"pretraining": which, "sparsity": 0.0, "seed": seed, **score})
                    for s in sparsities:
                        ticket = sparse_finetune(enc, model.encoder, s, "AFF", train, profile, seed)
                        sc = clean_and_robust_accuracy(ticket, *test, eps=k["eps"],
                                                       steps=k["eval_steps"], seed=seed)
                        sparse.append({"pretraining": which, "sparsity": s, "seed": seed, **sc})
    write_csv(results_file("matrix", profile), matrix)
    write_csv(results_file("sparsity", profile), sparse)
    return {"seeds": list(seeds), "sparsities": list(sparsities), "knobs": k,
            "split": f"{k['dataset']} test ({len(test[0])} images), {k['image_size']}x{k['image_size']}"}


@zoo.register("transfer_results",
              files=("transfer/matrix_seeds.csv", "transfer/sparsity_seeds.csv"))
def transfer_results(seeds=(0, 1, 2), sparsities=(0.5, 0.8, 0.9, 0.95),
                     sparse_encoders=("rotation_std", "rotation_adv"), log=print) -> dict:
    """The quick profile's multi-seed tables (``seed_tables("quick")``), shipped with the kit."""
    return seed_tables("quick", seeds, sparsities, sparse_encoders, log)


@zoo.register("transfer_results_full",
              files=(results_file("matrix", "full"), results_file("sparsity", "full")))
def transfer_results_full(log=print) -> dict:
    """The full profile's tables (CIFAR-10, ResNet-18; hours on a GPU): built on first use. A
    smoke run (FRFM_SMOKE=1) builds them with two seeds and one sparsity."""
    if get_profile("full").smoke:
        return seed_tables("full", seeds=(0, 1), sparsities=(0.9,), log=None)
    return seed_tables("full", log=log)

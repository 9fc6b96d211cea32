"""What glyph pre-training buys on the digits: linear probe, fine-tuning and LP-FT, measured.

For each architecture (the kit's digit ViT and CNN) and each start (random init = "scratch",
pre-trained on the narrow or the broad glyph corpus) this module adapts the network to the
handwritten digit scans and scores every test image under a suite built from core pieces only:

- ``clean``: the 397 test scans;
- ``corrupt/<name>``: the first ``n_corrupt`` test scans under six corruptions (Gaussian noise,
  Gaussian blur, a thicker pen, smaller writing, a 25-degree rotation, low contrast);
- ``rendition``: the ten digits typeset in the 16 Unicode fonts of the glyph corpus (an
  ImageNet-R analogue; the same fonts the corpus uses, but the digits were never in it);
- ``pgd``: the first ``n_pgd`` test scans under L-inf PGD at ``eps``;
- ``mask``: the 397 test scans with a seeded random ``mask_ratio`` of their 4x4 patches set to 0
  (the background), as in notebook 02;
- ``few10/clean``: the clean test scans after adapting on 10 scans per class only.

Adaptations: ``lp`` (logistic regression on the frozen features, C chosen on the validation
split), ``ft`` (the kit's recipe, ``core.fit.train_classifier``, for ``ft_epochs``), ``lpft``
(the LP head, then the same fine-tuning; Kumar et al. 2022). Scratch gets ``lp`` on random
features, ``ft`` with the same short budget, and ``kit``: the shipped ``vit_digits`` /
``cnn_digits`` (the kit's full from-scratch recipe, 50 / 20 epochs).

The per-image results (booleans) ship as one table in the zoo, so the notebook can bootstrap
over test images without re-training anything.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core import data, zoo
from tutorial_lib.core.attacks import pgd
from tutorial_lib.core.config import pick_knobs
from tutorial_lib.core.device import eval_batch_size, seed_everything
from tutorial_lib.core.fit import train_classifier
from tutorial_lib.core.transforms import pen_shift, rotate_images
from tutorial_lib.foundation import glyphs
from tutorial_lib.foundation.glyph_pretrain import ARCHS, load_backbone

KNOBS = {
    "quick": {"ft_epochs": 8, "ft_lr": 5e-4, "n_corrupt": 200, "n_pgd": 100, "pgd_steps": 5,
              "eps": 4 / 255, "few_per_class": 10, "few_epochs": 15, "rendition_copies": 2,
              "mask_patch": 4, "mask_ratio": 0.5},
    "full": {"ft_epochs": 8, "ft_lr": 5e-4, "n_corrupt": 200, "n_pgd": 100, "pgd_steps": 5,
             "eps": 4 / 255, "few_per_class": 10, "few_epochs": 15, "rendition_copies": 2,
             "mask_patch": 4, "mask_ratio": 0.5},
    "smoke": {"ft_epochs": 1, "n_corrupt": 8, "n_pgd": 4, "pgd_steps": 1, "few_epochs": 1,
              "rendition_copies": 1},
}
CORRUPTIONS = ("gaussian_noise", "gaussian_blur", "thick_pen", "small_writing", "rotate_25",
               "low_contrast")
TABLE = "foundation/glyph_transfer.npz"
SUMMARY = "foundation/glyph_transfer.csv"


def knobs(profile: str | None = None) -> dict:
    """This module's size knobs for the active (or named) profile."""
    return pick_knobs(KNOBS, profile)


# ----------------------------------------------------------------------------- evaluation sets
def corrupt(x: torch.Tensor, name: str, seed: int = 0) -> torch.Tensor:
    """One of ``CORRUPTIONS`` applied to a batch of [0, 1] images (seeded where random)."""
    if name == "gaussian_noise":
        gen = torch.Generator().manual_seed(seed)
        return (x + 0.25 * torch.randn(x.shape, generator=gen).to(x)).clamp(0, 1)
    if name == "gaussian_blur":
        r = torch.arange(-3, 4, dtype=x.dtype, device=x.device)
        k = torch.exp(-r ** 2 / (2 * 1.2 ** 2))
        k = k / k.sum()
        x = F.conv2d(F.pad(x, (3, 3, 0, 0), mode="reflect"), k.view(1, 1, 1, 7))
        return F.conv2d(F.pad(x, (0, 0, 3, 3), mode="reflect"), k.view(1, 1, 7, 1)).clamp(0, 1)
    if name == "thick_pen":
        return pen_shift(x, 1, 1.0)
    if name == "small_writing":
        return pen_shift(x, 0, 0.7)
    if name == "rotate_25":
        return rotate_images(x, 25.0)
    if name == "low_contrast":
        m = x.mean((1, 2, 3), keepdim=True)
        return ((x - m) * 0.35 + m).clamp(0, 1)
    raise ValueError(f"Unknown corruption {name!r}; use one of {CORRUPTIONS}.")


def digit_renditions(copies: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The digits 0-9 typeset in the corpus' 16 Unicode fonts as scan-like images (mild random
    affine, the scans' ink), ``copies`` per (font, digit): (N, 1, 32, 32), labels."""
    canv, ys = [], []
    for font in glyphs.UNICODE_FONTS:
        for d in range(10):
            g = glyphs.glyph_bitmap(font, str(d))
            if g is not None:
                canv += [glyphs.fit_canvas(g)] * copies
                ys += [d] * copies
    gen = torch.Generator().manual_seed(seed)
    x = glyphs.as_scans(torch.stack(canv), torch.full((len(canv),), glyphs.SCAN_INK), gen)
    return x, torch.tensor(ys)


def patch_masked(x: torch.Tensor, patch: int = 4, ratio: float = 0.5, seed: int = 0) -> torch.Tensor:
    """``x`` with ``round(ratio * patches)`` random ``patch``-pixel grid patches per image set to 0
    (the background); the patches come from their own seeded generator, so no other draw moves."""
    n, _, h, w = x.shape
    if h % patch or w % patch:
        raise ValueError(f"patch size {patch} must divide the image size {h}x{w} (use 4 for 32x32 digits).")
    gen = torch.Generator().manual_seed(seed)
    gh, gw = h // patch, w // patch
    order = torch.rand(n, gh * gw, generator=gen).argsort(dim=1)
    hidden = torch.zeros(n, gh * gw, dtype=torch.bool).scatter_(1, order[:, :round(ratio * gh * gw)], True)
    hidden = hidden.view(n, 1, gh, gw).repeat_interleave(patch, 2).repeat_interleave(patch, 3)
    return x.masked_fill(hidden.to(x.device), 0.0)


def few_shot(per_class: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` training scans of each digit (a seeded choice from the train split)."""
    x, y = data.load_digits_tensors("train")
    g = torch.Generator().manual_seed(seed)
    idx = torch.cat([torch.nonzero(y == c).flatten()[torch.randperm(int((y == c).sum()), generator=g)[:per_class]]
                     for c in range(10)])
    return x[idx], y[idx]


# ----------------------------------------------------------------------------- adaptation
@torch.no_grad()
def features(model: nn.Module, x: torch.Tensor, batch_size: int | None = None) -> torch.Tensor:
    """The penultimate features (what the head sees) of an ``ImageClassifier``, batched."""
    model.eval()
    net, bs = model.net, batch_size or eval_batch_size(x.device)
    out = []
    for i in range(0, len(x), bs):
        xb = (x[i:i + bs] - model.mean) / model.std
        out.append(net.forward_head(net.forward_features(xb), pre_logits=True))
    return torch.cat(out)


def best_logistic(ftr: torch.Tensor, ytr: torch.Tensor, fva: torch.Tensor, yva: torch.Tensor,
                  cs: tuple[float, ...]) -> tuple[float, float, object]:
    """Logistic regression on features for each C in ``cs``; the best on the validation features
    as ``(val_acc, C, fitted sklearn model)`` (the first C wins ties)."""
    from sklearn.linear_model import LogisticRegression

    ftr, fva = ftr.cpu().numpy(), fva.cpu().numpy()
    best = None
    for c in cs:
        clf = LogisticRegression(C=c, max_iter=2000).fit(ftr, ytr.cpu().numpy())
        acc = clf.score(fva, yva.cpu().numpy())
        if best is None or acc > best[0]:
            best = (acc, c, clf)
    return best


def linear_probe(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                 val: tuple[torch.Tensor, torch.Tensor], cs: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)
                 ) -> dict:
    """Fit logistic regression on frozen features (C picked on ``val``) and write it into the
    model's head, so the probed model is a whole network again. Returns {C, val_acc}."""
    best = best_logistic(features(model, train[0]), train[1], features(model, val[0]), val[1], cs)
    head = model.net.get_classifier()
    with torch.no_grad():
        head.weight.copy_(torch.as_tensor(best[2].coef_, dtype=head.weight.dtype))
        head.bias.copy_(torch.as_tensor(best[2].intercept_, dtype=head.bias.dtype))
    model.eval()
    return {"C": best[1], "val_acc": best[0]}


def fine_tune(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
              val: tuple[torch.Tensor, torch.Tensor], epochs: int, lr: float) -> dict:
    """The kit's recipe (AdamW, warm-up 1 epoch + cosine, label smoothing, augmentation) for
    ``epochs``, every weight trainable; keeps the best-validation epoch."""
    out = train_classifier(model, train, val, epochs=epochs, lr=lr, warmup_epochs=1, log=None)
    return {"val_acc": out["val_acc"], "best_epoch": out["best_epoch"]}


# ----------------------------------------------------------------------------- scoring
@torch.no_grad()
def _correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    model.eval()
    bs = eval_batch_size(x.device)
    pred = torch.cat([model(x[i:i + bs]).argmax(1) for i in range(0, len(x), bs)])
    return (pred == y).cpu().numpy()


def score(model: nn.Module, sets: dict, k: dict, seed: int = 0) -> dict[str, np.ndarray]:
    """Per-image correctness of ``model`` on every evaluation set of the suite."""
    out = {"clean": _correct(model, *sets["clean"])}
    for name, (x, y) in sets["corrupt"].items():
        out[f"corrupt/{name}"] = _correct(model, x, y)
    out["rendition"] = _correct(model, *sets["rendition"])
    xp, yp = sets["pgd"]
    gen = torch.Generator().manual_seed(seed)
    bs = eval_batch_size(xp.device)
    adv = torch.cat([pgd(model, xp[i:i + bs], yp[i:i + bs], k["eps"], k["pgd_steps"], generator=gen)
                     for i in range(0, len(xp), bs)])
    out["pgd"] = _correct(model, adv, yp)
    out["mask"] = _correct(model, *sets["mask"])
    return out


def evaluation_sets(k: dict) -> dict:
    """The suite's images: clean test, corrupted, renditions, the PGD subset, patch-masked test."""
    xt, yt = data.load_digits_tensors("test")
    xc, yc = xt[:k["n_corrupt"]], yt[:k["n_corrupt"]]
    return {"clean": (xt, yt),
            "corrupt": {c: (corrupt(xc, c), yc) for c in CORRUPTIONS},
            "rendition": digit_renditions(k["rendition_copies"]),
            "pgd": (xt[:k["n_pgd"]], yt[:k["n_pgd"]]),
            "mask": (patch_masked(xt, k["mask_patch"], k["mask_ratio"]), yt)}


INITS = ("scratch", "narrow", "broad")


def run_all(k: dict | None = None, archs: tuple[str, ...] = tuple(ARCHS),
            inits: tuple[str, ...] = INITS, log=print) -> dict:
    """Adapt and score every (arch, start, method); returns {key: bool array} with keys
    ``arch/start/method/eval`` plus ``.../seconds`` timings (float arrays of length 1)."""
    k = dict(knobs() if k is None else k)
    sets = evaluation_sets(k)
    train, val = data.load_digits_tensors("train"), data.load_digits_tensors("val")
    few = few_shot(k["few_per_class"])
    res: dict[str, np.ndarray] = {}

    def record(key: str, model: nn.Module, t0: float) -> None:
        for ev, arr in score(model, sets, k).items():
            res[f"{key}/{ev}"] = arr
        res[f"{key}/seconds"] = np.array([time.perf_counter() - t0])
        if log:
            log(f"{key}: clean {res[f'{key}/clean'].mean():.3f} rendition "
                f"{res[f'{key}/rendition'].mean():.3f} pgd {res[f'{key}/pgd'].mean():.3f} "
                f"mask {res[f'{key}/mask'].mean():.3f} "
                f"({time.perf_counter() - t0:.0f} s)")

    for arch in archs:
        t0 = time.perf_counter()
        record(f"{arch}/scratch/kit", zoo.load(f"{arch}_digits"), t0)
        for init in inits:
            corpus = None if init == "scratch" else init
            seed_everything(0)
            t0 = time.perf_counter()
            m = load_backbone(arch, corpus)
            linear_probe(m, train, val)
            record(f"{arch}/{init}/lp", m, t0)
            if init != "scratch":  # LP-FT: fine-tune from the LP head
                t0 = time.perf_counter()
                fine_tune(m, train, val, k["ft_epochs"], k["ft_lr"])
                record(f"{arch}/{init}/lpft", m, t0)
            seed_everything(0)
            t0 = time.perf_counter()
            m = load_backbone(arch, corpus)
            fine_tune(m, train, val, k["ft_epochs"], k["ft_lr"])
            record(f"{arch}/{init}/ft", m, t0)
            # sample efficiency: 10 scans per class
            seed_everything(0)
            m = load_backbone(arch, corpus)
            linear_probe(m, few, val)
            res[f"{arch}/{init}/few_lp/clean"] = _correct(m, *sets["clean"])
            seed_everything(0)
            m = load_backbone(arch, corpus)
            fine_tune(m, few, val, k["few_epochs"], k["ft_lr"])
            res[f"{arch}/{init}/few_ft/clean"] = _correct(m, *sets["clean"])
            if log:
                log(f"{arch}/{init} few-shot: lp {res[f'{arch}/{init}/few_lp/clean'].mean():.3f} "
                    f"ft {res[f'{arch}/{init}/few_ft/clean'].mean():.3f}")
    return res


def summary_rows(res: dict[str, np.ndarray]) -> list[dict]:
    """One row per (arch, start, method): mean accuracy per evaluation set."""
    rows: dict[tuple[str, str, str], dict] = {}
    for key, arr in res.items():
        arch, init, method, ev = key.split("/", 3)
        row = rows.setdefault((arch, init, method), {"arch": arch, "start": init, "method": method})
        if ev == "seconds":
            row["seconds"] = float(arr[0])
        elif not ev.startswith("corrupt/"):
            row[ev] = float(arr.mean())
    for (arch, init, method), row in rows.items():
        cs = [res[f"{arch}/{init}/{method}/corrupt/{c}"] for c in CORRUPTIONS
              if f"{arch}/{init}/{method}/corrupt/{c}" in res]
        if cs:
            row["corrupt_mean"] = float(np.mean([c.mean() for c in cs]))
    cols = ["arch", "start", "method", "clean", "corrupt_mean", "rendition", "pgd", "mask", "seconds"]
    return [{c: r.get(c, float("nan")) for c in cols} for r in rows.values()]


@zoo.register("glyph_transfer_results", files=(TABLE, SUMMARY))
def make_glyph_transfer_table() -> dict:
    """Adapt the glyph-pre-trained (and scratch) ViT/CNN to the digits: LP, FT, LP-FT; per-image
    results on clean, corruptions, renditions, PGD, patch masking and 10-per-class (one CPU thread)."""
    k = knobs()
    res = run_all(k)
    path = data.data_path(TABLE)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **res)
    data.write_csv(SUMMARY, summary_rows(res))
    return {"knobs": k, "n_results": len(res)}


def load_table() -> dict[str, np.ndarray]:
    """The shipped per-image results (sha256-checked), as {key: array}."""
    files = zoo.load("glyph_transfer_results")
    with np.load(files[TABLE]) as z:
        return {key: z[key] for key in z.files}

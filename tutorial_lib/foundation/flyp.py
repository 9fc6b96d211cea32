"""A miniature CLIP on the glyph corpus, and FLYP: fine-tune like you pre-train (Goyal et al. 2022).

CLIP (Radford et al. 2021) trains an image tower and a text tower so that an image and its
caption land close together (cosine similarity), with the symmetric InfoNCE loss over a batch.
The kit's miniature:

- **images**: the broad glyph corpus (``foundation.glyphs``), 32x32 scan-like renderings;
- **captions**: each character's Unicode name ("greek small letter alpha");
- **image tower**: a small conv net (three conv blocks, 32-64-128 channels; much smaller than the
  kit's digit ResNet so that the whole adaptation lesson runs in seconds on one CPU thread) and
  a linear projection;
- **text tower**: a bag of hashed character trigrams (fastText-style) -> MLP -> projection, so
  that words the corpus never shows still get an embedding from their spelling. The corpus
  excludes the digits, so "digit", "zero" ... "nine" are *never seen* in pre-training.

Adaptation to the digit scans with class prompts "digit zero" ... "digit nine":
``zero_shot`` (cosine to the prompt embeddings), ``linear_probe`` (logistic regression on the
frozen image features), ``fine_tune`` (cross-entropy, every weight), ``lp_ft`` (Kumar et al.
2022), and ``flyp`` (both towers, the pre-training InfoNCE loss with the class prompts as the
captions, predicting by cosine to the prompt embeddings). FT, LP-FT and FLYP get the same
number of steps, batch size and learning rate.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core import data, zoo
from tutorial_lib.core.config import pick_knobs
from tutorial_lib.core.device import seed_everything
from tutorial_lib.core.fit import Loss, cross_entropy, fit
from tutorial_lib.core.transforms import digits_augment, pen_shift, rotate_images
from tutorial_lib.foundation import glyphs

EMBED = 64  # the joint embedding's dimension
N_BUCKETS = 2048  # hashed character-trigram vocabulary
DIGIT_PROMPTS = ("digit zero", "digit one", "digit two", "digit three", "digit four",
                 "digit five", "digit six", "digit seven", "digit eight", "digit nine")
MEAN, STD = 0.3, 0.35  # rough pixel statistics of the scans (input normalisation)

KNOBS = {
    "quick": {"n_images": 20000, "steps": 1100, "batch_size": 128, "lr": 2e-3,
              "ft_steps": 120, "ft_batch": 32, "ft_lr": 5e-4, "rotate": 30.0, "rendition_copies": 1},
    "full": {"n_images": 20000, "steps": 1100, "batch_size": 128, "lr": 2e-3,
             "ft_steps": 120, "ft_batch": 32, "ft_lr": 5e-4, "rotate": 30.0, "rendition_copies": 1},
    "smoke": {"n_images": 256, "steps": 3, "batch_size": 32, "ft_steps": 3, "ft_batch": 8},
}


def knobs(profile: str | None = None) -> dict:
    """This module's size knobs for the active (or named) profile."""
    return pick_knobs(KNOBS, profile)


# ----------------------------------------------------------------------------- the towers
def trigram_ids(text: str) -> list[int]:
    """Hashed character trigrams of each word of ``text`` (with word-boundary marks '<', '>'),
    e.g. "digit" -> "<di", "dig", "igi", "git", "it>"; ids in [0, N_BUCKETS)."""
    ids = []
    for word in text.lower().split():
        w = f"<{word}>"
        ids += [zlib.crc32(w[i:i + 3].encode()) % N_BUCKETS for i in range(len(w) - 2)]
    if not ids:
        raise ValueError(f"cannot embed an empty caption: {text!r}")
    return ids


def tokenize(texts: list[str] | tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, offsets) for ``nn.EmbeddingBag``: all captions' trigram ids, concatenated."""
    ids = [trigram_ids(t) for t in texts]
    offsets = torch.tensor([0] + [len(i) for i in ids[:-1]]).cumsum(0)
    return torch.tensor([j for i in ids for j in i]), offsets


class TextTower(nn.Module):
    """Mean of hashed-trigram embeddings -> 2-layer MLP -> ``EMBED``-d projection."""

    def __init__(self, width: int = 128) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(N_BUCKETS, width, mode="mean")
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, EMBED))

    def forward(self, texts: list[str] | tuple[str, ...]) -> torch.Tensor:
        ids, offsets = tokenize(texts)
        dev = self.bag.weight.device
        return self.mlp(self.bag(ids.to(dev), offsets.to(dev)))


class ImageTower(nn.Module):
    """Three conv blocks (conv 3x3, batch norm, ReLU, 2x2 max-pool; 32-64-128 channels), global
    average pooling to 128 features, and a linear projection to ``EMBED``."""

    def __init__(self) -> None:
        super().__init__()
        blocks, c_in = [], 1
        for c in (32, 64, 128):
            blocks += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.MaxPool2d(2)]
            c_in = c
        self.body = nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.n_features = c_in
        self.proj = nn.Linear(c_in, EMBED)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 128 pooled features (what a linear probe sees) of [0, 1] images (N, 1, 32, 32)."""
        return self.body((x - MEAN) / STD)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.features(x))


class MiniCLIP(nn.Module):
    """An image tower, a text tower and a learnable temperature (``log_scale``, as CLIP: the
    logits are ``exp(log_scale)`` times the cosine similarities, initialised at 1/0.07)."""

    def __init__(self) -> None:
        super().__init__()
        self.image = ImageTower()
        self.text = TextTower()
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def encode_image(self, x: torch.Tensor) -> torch.Tensor:
        """Unit-norm image embeddings."""
        return F.normalize(self.image(x), dim=-1)

    def encode_text(self, texts: list[str] | tuple[str, ...]) -> torch.Tensor:
        """Unit-norm caption embeddings."""
        return F.normalize(self.text(texts), dim=-1)


def build() -> MiniCLIP:
    """The untrained miniature CLIP."""
    return MiniCLIP()


# ----------------------------------------------------------------------------- the loss
def infonce(img: torch.Tensor, txt: torch.Tensor, log_scale: torch.Tensor | float) -> torch.Tensor:
    """CLIP's symmetric InfoNCE: row i of ``img`` and of ``txt`` (unit-norm, (B, d)) are a pair.
    logits = exp(log_scale) * img @ txt.T; loss = mean of the cross-entropy of each image over
    the B captions and of each caption over the B images, target = its own pair."""
    if img.shape != txt.shape or img.dim() != 2:
        raise ValueError(f"need two (B, d) embeddings of the same shape, got {tuple(img.shape)} "
                         f"and {tuple(txt.shape)}")
    scale = torch.as_tensor(log_scale, dtype=img.dtype, device=img.device).exp()
    logits = scale * img @ txt.T
    target = torch.arange(len(img), device=img.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def clip_loss(captions: Sequence[str]) -> Loss:
    """The symmetric InfoNCE of a batch ``(images, caption indices)``: ``batch[1]`` indexes
    ``captions`` (a corpus's names, or the class prompts)."""
    def loss(model: MiniCLIP, batch: tuple[torch.Tensor, ...], gen: torch.Generator
             ) -> torch.Tensor:
        texts = [captions[i] for i in batch[1].tolist()]
        return infonce(model.encode_image(batch[0]), model.encode_text(texts), model.log_scale)
    return loss


def clip_fit(model: MiniCLIP, data: tuple[torch.Tensor, torch.Tensor], captions: Sequence[str],
             opt: torch.optim.Optimizer, batches: Callable[[], Iterable[torch.Tensor]],
             gen: torch.Generator, sched: torch.optim.lr_scheduler.LRScheduler | None = None,
             augment: Callable | None = None,
             record: Callable[[int, float], None] | None = None) -> None:
    """Contrastive training by ``core.fit`` with ``clip_loss(captions)`` on the index batches
    ``batches()`` of ``data`` = (images, caption indices). After each update the temperature is
    clamped at 100 as in CLIP; then ``record(step, loss)`` (steps from 1)."""
    def after(step: int, loss: float) -> None:
        with torch.no_grad():
            model.log_scale.clamp_(0.0, math.log(100.0))
        if record is not None:
            record(step, loss)
    fit(model, data, clip_loss(captions), opt, 1, len(data[0]), gen, sched, augment,
        batches=batches, on_step=after)


def clip_step(model: MiniCLIP, x: torch.Tensor, texts: list[str], opt: torch.optim.Optimizer
              ) -> float:
    """One contrastive step (``clip_fit``) on a batch of (image, caption) pairs; the temperature
    is clamped at 100 as in CLIP. Returns the loss."""
    losses: list[float] = []
    clip_fit(model, (x, torch.arange(len(texts))), texts, opt, lambda: [torch.arange(len(x))],
             torch.Generator(), record=lambda step, loss: losses.append(loss))
    return losses[0]


def pretrain(model: MiniCLIP, knobs_: dict | None = None, seed: int = 0,
             log: Callable[[str], None] | None = print) -> dict:
    """Contrastive pre-training on the broad glyph corpus (image, Unicode name) by ``clip_fit``:
    ``steps`` batches drawn with replacement, AdamW with a one-cycle schedule and the kit's digit
    augmentation. Returns metrics, including the held-out image->caption retrieval accuracy over
    all corpus names (chance = 1/n_classes)."""
    k = dict(knobs() if knobs_ is None else knobs_)
    t0 = time.perf_counter()
    corpus = glyphs.render_corpus("broad", k["n_images"], seed=seed)
    val = glyphs.render_corpus("broad", min(1000, k["n_images"]), seed=seed + 1000)
    render_s = time.perf_counter() - t0
    gen = seed_everything(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=k["lr"], weight_decay=0.05)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, k["lr"], total_steps=k["steps"], pct_start=0.05)
    history = []

    def record(step: int, loss: float) -> None:
        if step % 50 == 1 or step == k["steps"]:  # steps 0, 50, ... and the last, counted from 0
            history.append({"step": step - 1, "loss": round(loss, 4),
                            "seconds": round(time.perf_counter() - t0, 1)})
            if log:
                log(f"step {step - 1} loss {loss:.3f} ({time.perf_counter() - t0:.0f} s)")
    clip_fit(model, (corpus.x, corpus.y), corpus.names, opt,
             lambda: _batches(len(corpus.y), k["steps"], k["batch_size"], gen), gen, sched,
             digits_augment, record)
    model.eval()
    pred = predict(model, val.x, corpus.names)
    return {"corpus": "broad", "n_classes": len(corpus.chars), "n_images": k["n_images"],
            "steps": k["steps"], "batch_size": k["batch_size"], "lr": k["lr"],
            "render_seconds": round(render_s, 1),
            "heldout_retrieval_acc": float((pred == val.y).float().mean()),
            "temperature": float(1 / model.log_scale.detach().exp()), "history": history,
            "objective": "symmetric InfoNCE on (glyph image, Unicode name)"}


@zoo.register("flyp_miniclip", build=build)
def train_flyp_miniclip(model: MiniCLIP) -> dict:
    """Miniature CLIP: glyph images x Unicode names, contrastive, one CPU thread."""
    return pretrain(model)


# ----------------------------------------------------------------------------- adaptation
@torch.no_grad()
def predict(model: MiniCLIP, x: torch.Tensor, prompts: list[str] | tuple[str, ...],
            batch_size: int = 512) -> torch.Tensor:
    """Zero-shot prediction: the index of the prompt whose embedding has the largest cosine
    similarity with each image's embedding."""
    model.eval()
    t = model.encode_text(list(prompts))
    return torch.cat([(model.encode_image(x[i:i + batch_size]) @ t.T).argmax(1)
                      for i in range(0, len(x), batch_size)])


class Classifier(nn.Module):
    """The image tower's features with a linear head (what LP, FT and LP-FT train)."""

    def __init__(self, tower: ImageTower, n_classes: int = 10) -> None:
        super().__init__()
        self.tower = tower
        self.head = nn.Linear(tower.n_features, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.tower.features(x))


@torch.no_grad()
def _features(tower: ImageTower, x: torch.Tensor) -> torch.Tensor:
    tower.eval()
    return torch.cat([tower.features(x[i:i + 512]) for i in range(0, len(x), 512)])


def linear_probe(clf: Classifier, train: tuple[torch.Tensor, torch.Tensor],
                 val: tuple[torch.Tensor, torch.Tensor], cs=(0.01, 0.1, 1.0, 10.0)) -> dict:
    """Logistic regression on the frozen features (C chosen on ``val``), written into the head."""
    from tutorial_lib.foundation.glyph_transfer import best_logistic

    best = best_logistic(_features(clf.tower, train[0]), train[1], _features(clf.tower, val[0]),
                         val[1], cs)
    with torch.no_grad():
        clf.head.weight.copy_(torch.as_tensor(best[2].coef_, dtype=clf.head.weight.dtype))
        clf.head.bias.copy_(torch.as_tensor(best[2].intercept_, dtype=clf.head.bias.dtype))
    return {"C": best[1], "val_acc": best[0]}


def _batches(n: int, steps: int, batch: int, gen: torch.Generator):
    for _ in range(steps):
        yield torch.randint(0, n, (batch,), generator=gen)


def fine_tune(clf: Classifier, train: tuple[torch.Tensor, torch.Tensor], k: dict, seed: int = 0
              ) -> list[float]:
    """Cross-entropy on every weight for ``ft_steps`` steps by ``core.fit`` (AdamW, cosine,
    augmentation, batches drawn with replacement). Returns the loss of each step."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(clf.parameters(), lr=k["ft_lr"], weight_decay=0.05)
    losses: list[float] = []
    fit(clf, train, cross_entropy(), opt, 1, k["ft_batch"], gen,
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, k["ft_steps"]), digits_augment,
        batches=lambda: _batches(len(train[1]), k["ft_steps"], k["ft_batch"], gen),
        on_step=lambda step, loss: losses.append(loss))
    clf.eval()
    return losses


def flyp(model: MiniCLIP, train: tuple[torch.Tensor, torch.Tensor], k: dict,
         prompts: tuple[str, ...] = DIGIT_PROMPTS, seed: int = 0) -> list[float]:
    """FLYP: both towers, the pre-training InfoNCE loss (``clip_fit``), each image's caption = its
    class prompt; same steps, batch, learning rate and augmentation as ``fine_tune``. As in CLIP's
    loss, each pair's own caption is its only positive (two images of one class in a batch
    see each other's identical prompt as a negative), as in the paper's recipe."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=k["ft_lr"], weight_decay=0.05)
    losses: list[float] = []
    clip_fit(model, train, prompts, opt,
             lambda: _batches(len(train[1]), k["ft_steps"], k["ft_batch"], gen), gen,
             torch.optim.lr_scheduler.CosineAnnealingLR(opt, k["ft_steps"]), digits_augment,
             lambda step, loss: losses.append(loss))
    model.eval()
    return losses


# ----------------------------------------------------------------------------- evaluation
def shifted_sets(k: dict) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """ID = the digit test split; OOD = the same scans rotated (``k["rotate"]`` degrees), written
    with a thicker pen (notebook 09's two shifts), and the digits typeset in the corpus fonts."""
    from tutorial_lib.foundation.glyph_transfer import digit_renditions

    xt, yt = data.load_digits_tensors("test")
    return {"id": (xt, yt),
            "rotated": (rotate_images(xt, k["rotate"]), yt),
            "thick pen": (pen_shift(xt, 1, 1.0), yt),
            "rendition": digit_renditions(k["rendition_copies"])}


@torch.no_grad()
def _correct_clf(clf: Classifier, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    clf.eval()
    return (torch.cat([clf(x[i:i + 512]).argmax(1) for i in range(0, len(x), 512)]) == y).cpu().numpy()


def run_all(k: dict | None = None, log: Callable[[str], None] | None = print,
            device: torch.device | str | None = None) -> dict:
    """Adapt the shipped miniature CLIP by all five methods and score each on every set.
    Returns {method: {set: bool array}} plus {"seconds": {method: s}}."""
    k = dict(knobs() if k is None else k)
    dev = torch.device(device or "cpu")
    sets = {s: (x.to(dev), y.to(dev)) for s, (x, y) in shifted_sets(k).items()}
    train, val = (tuple(t.to(dev) for t in data.load_digits_tensors(s)) for s in ("train", "val"))
    res: dict = {"seconds": {}}

    def score_clip(m: MiniCLIP) -> dict:
        return {s: (predict(m, x, DIGIT_PROMPTS) == y).cpu().numpy() for s, (x, y) in sets.items()}

    def score_clf(c: Classifier) -> dict:
        return {s: _correct_clf(c, x, y) for s, (x, y) in sets.items()}

    def done(name: str, scores: dict, t0: float) -> None:
        res[name] = scores
        res["seconds"][name] = round(time.perf_counter() - t0, 1)
        if log:
            log(f"{name}: " + ", ".join(f"{s} {v.mean():.3f}" for s, v in scores.items())
                + f" ({res['seconds'][name]} s)")

    t0 = time.perf_counter()
    done("zero-shot", score_clip(zoo.load("flyp_miniclip", device=dev)), t0)
    seed_everything(0)
    t0 = time.perf_counter()
    c = Classifier(zoo.load("flyp_miniclip", device=dev).image)
    linear_probe(c, train, val)
    done("LP", score_clf(c), t0)
    t0 = time.perf_counter()
    fine_tune(c, train, k)
    done("LP-FT", score_clf(c), t0)
    seed_everything(0)
    t0 = time.perf_counter()
    c = Classifier(zoo.load("flyp_miniclip", device=dev).image)
    fine_tune(c, train, k)
    done("FT", score_clf(c), t0)
    seed_everything(0)
    t0 = time.perf_counter()
    m = zoo.load("flyp_miniclip", device=dev)
    flyp(m, train, k)
    done("FLYP", score_clip(m), t0)
    return res

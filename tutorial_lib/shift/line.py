"""Accuracy on the line (Miller et al., ICML 2021): a natural distribution shift for digit scans,
a family of small models of many kinds, and the probit-probit linear fit.

The shift, ``pen_shift``, imitates another writer and scanner: a thicker (or thinner) pen
(grey-level dilation / erosion) and smaller (or larger) writing (a zoom about the image centre).
It is a deterministic function of the image, so "digits test" and "shifted digits test" hold the
same digits written differently.

Miller et al. find that across hundreds of models the out-of-distribution accuracy is, after a
probit transform of both axes, a linear function of the in-distribution accuracy;
``effective_robustness`` measures how far a model sits above that line.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import norm
from torch import nn

from tutorial_lib.core import data, zoo
from tutorial_lib.core.device import seed_everything
from tutorial_lib.core.fit import accuracy, train_classifier
from tutorial_lib.core.models import DIGITS_MEAN, DIGITS_STD, ImageClassifier
from tutorial_lib.core.transforms import pen_shift

SHIFT = {"thickness": 1, "scale": 0.9}  # the lesson's shift (see ``pen_shift``)
TABLE = "line/line_models.csv"  # under data/: one row per model of the family


# ----------------------------------------------------------------------------- the shift
# ----------------------------------------------------------------------------- the fit
def probit(acc: np.ndarray | Sequence[float], n: int | None = None) -> np.ndarray:
    """Phi^-1(acc). With ``n`` (the test-set size), accuracies are first clipped to
    [0.5/n, 1 - 0.5/n] so that 0% and 100% stay finite."""
    a = np.asarray(acc, dtype=float)
    if np.any((a < 0) | (a > 1)):
        raise ValueError("accuracies must be fractions in [0, 1] (not percentages).")
    if n is not None:
        a = np.clip(a, 0.5 / n, 1 - 0.5 / n)
    return norm.ppf(a)


@dataclass(frozen=True)
class LineFit:
    """ood_probit = slope * id_probit + intercept, fitted by least squares in probit space."""

    slope: float
    intercept: float
    r2: float
    n_models: int

    def predict(self, acc_id: np.ndarray | Sequence[float], n: int | None = None) -> np.ndarray:
        """The OOD accuracy the line predicts for the given ID accuracies."""
        return norm.cdf(self.slope * probit(acc_id, n) + self.intercept)


def fit_line(acc_id: Sequence[float], acc_ood: Sequence[float], n: int | None = None) -> LineFit:
    """Least-squares line through (probit ID accuracy, probit OOD accuracy) with its R^2."""
    x, y = probit(acc_id, n), probit(acc_ood, n)
    if x.shape != y.shape or x.size < 3:
        raise ValueError(f"need the same number (>= 3) of ID and OOD accuracies, got {x.size} "
                         f"and {y.size}.")
    if np.ptp(x) == 0:
        raise ValueError("all ID accuracies are equal: a line cannot be fitted.")
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    r2 = 1.0 - float((resid ** 2).sum() / ((y - y.mean()) ** 2).sum())
    return LineFit(float(slope), float(intercept), r2, int(x.size))


def effective_robustness(fit: LineFit, acc_id: Sequence[float], acc_ood: Sequence[float],
                         n: int | None = None) -> np.ndarray:
    """OOD accuracy above what the line predicts from the ID accuracy (Taori et al. 2020)."""
    return np.asarray(acc_ood, dtype=float) - fit.predict(acc_id, n)


# ----------------------------------------------------------------------------- the model family
@dataclass(frozen=True)
class LineModel:
    """One member of the family: architecture, width, input resolution, data and epochs."""

    arch: str  # "linear" | "mlp" | "cnn"
    width: int  # hidden units (mlp) or first conv channels (cnn); unused for linear
    resolution: int  # the model average-pools its 32x32 input to this side first (8, 16, 32)
    n_train: int  # training images (the first n of the digits train split)
    epochs: int
    seed: int = 0

    @property
    def name(self) -> str:
        return (f"{self.arch}_w{self.width}_r{self.resolution}_n{self.n_train}_e{self.epochs}"
                f"_s{self.seed}")


def build_line_model(spec: LineModel, num_classes: int = 10) -> ImageClassifier:
    """The network a ``LineModel`` describes, wrapped to take raw 32x32 [0, 1] digits."""
    if spec.resolution not in (8, 16, 32):
        raise ValueError(f"resolution must be 8, 16 or 32, got {spec.resolution}.")
    pool = [nn.AvgPool2d(32 // spec.resolution)] if spec.resolution < 32 else []
    d = spec.resolution ** 2
    if spec.arch == "linear":
        layers = [nn.Flatten(), nn.Linear(d, num_classes)]
    elif spec.arch == "mlp":
        layers = [nn.Flatten(), nn.Linear(d, spec.width), nn.ReLU(),
                  nn.Linear(spec.width, spec.width), nn.ReLU(), nn.Linear(spec.width, num_classes)]
    elif spec.arch == "cnn":
        w = spec.width
        layers = [nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
                  nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(8 * w, num_classes)]
    else:
        raise ValueError(f"arch must be 'linear', 'mlp' or 'cnn', got {spec.arch!r}.")
    return ImageClassifier(nn.Sequential(*pool, *layers), DIGITS_MEAN, DIGITS_STD, (1, 32, 32),
                           spec.name)


def line_family() -> list[LineModel]:
    """The models ``python scripts/train.py line_models`` trains: 3 architectures x widths x input
    resolutions x training-set sizes x epochs (a fixed, hand-picked spread of accuracies)."""
    specs = []
    for n_train in (50, 150, 400, 1200):
        for epochs in (3, 15):
            specs += [LineModel("linear", 0, 8, n_train, epochs),
                      LineModel("linear", 0, 32, n_train, epochs),
                      LineModel("mlp", 64, 16, n_train, epochs),
                      LineModel("mlp", 256, 32, n_train, epochs),
                      LineModel("cnn", 8, 16, n_train, epochs),
                      LineModel("cnn", 16, 32, n_train, epochs)]
    return specs


def train_line_model(spec: LineModel, log=None) -> tuple[ImageClassifier, dict]:
    """Train one family member (no augmentation, AdamW + cosine, best-validation epoch)."""
    x, y = data.load_digits_tensors("train")
    val = data.load_digits_tensors("val")
    seed_everything(spec.seed)  # the weight init too, so a member is the same in any process
    model = build_line_model(spec)
    train_classifier(model, (x[:spec.n_train], y[:spec.n_train]), val, epochs=spec.epochs,
                     lr=3e-3, weight_decay=1e-4, batch_size=32, warmup_epochs=1,
                     label_smoothing=0.0, augment=None, seed=spec.seed, log=log)
    return model, id_and_shifted_accuracy(model)


def id_and_shifted_accuracy(model: nn.Module, thickness: int = SHIFT["thickness"],
             scale: float = SHIFT["scale"]) -> dict:
    """Accuracy on the digits test split (ID) and on its ``pen_shift`` (OOD)."""
    dev = next(model.parameters()).device
    x, y = (t.to(dev) for t in data.load_digits_tensors("test"))
    return {"acc_id": accuracy(model, x, y),
            "acc_ood": accuracy(model, pen_shift(x, thickness, scale), y)}


@zoo.register("line_models", files=(TABLE,))
def make_line_table(log=print) -> dict:
    """Train every ``line_family()`` member on the digit scans and write the accuracy table (no
    checkpoints are kept: the table is the artefact; the notebook retrains a few members live)."""
    import time

    rows = []
    for k, spec in enumerate(line_family()):
        t0 = time.perf_counter()
        _, acc = train_line_model(spec)
        rows.append({"name": spec.name, **asdict(spec), **acc,
                     "train_seconds": round(time.perf_counter() - t0, 1)})
        log(f"[{k + 1:2d}] {spec.name:32s} ID {acc['acc_id']:.3f}  shifted {acc['acc_ood']:.3f}")
    data.write_csv(TABLE, rows)
    return {"shift": {"fn": "tutorial_lib.core.transforms.pen_shift", **SHIFT},
            "id_set": "digits test (397 real scans, 32x32)", "n_models": len(rows)}


def load_table() -> list[dict]:
    """The shipped table (sha256-checked): one dict per model with its spec and accuracies."""
    with open(data.verified_path(TABLE), newline="") as f:
        rows = list(csv.DictReader(f))
    num = {"width", "resolution", "n_train", "epochs", "seed"}
    flt = {"acc_id", "acc_ood", "train_seconds"}
    return [{k: int(v) if k in num else float(v) if k in flt else v for k, v in r.items()}
            for r in rows]


def spec_of(row: dict) -> LineModel:
    """The ``LineModel`` a table row describes."""
    return LineModel(**{k: row[k] for k in asdict(LineModel("linear", 0, 8, 1, 1))})

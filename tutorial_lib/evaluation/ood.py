"""Out-of-distribution detection with the maximum softmax probability (ImageNet-O style).

Hendrycks & Gimpel (ICLR 2017): score each image by its largest softmax probability; in-distribution
images should score high, OOD images low. ImageNet-O (Hendrycks et al., CVPR 2021) reports the
AUPR with the OOD images as the *positive* class, scored by the negative MSP, which is what
``ood_metrics`` returns next to the AUROC.

Quick profile: models trained on digits 0-7 only (``vit_digits_0to7``, ``cnn_digits_0to7``,
registered in the zoo here, with 8 output classes: the label of digit k is k, so no re-mapping is needed and
the softmax covers exactly the classes the model was trained on). Near-OOD = the held-out digits
8 and 9; far-OOD = random crops of the scikit-image photos (``data.photo_crops``).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score
from torch import nn

from tutorial_lib.core import zoo
from tutorial_lib.core.device import eval_batch_size
from tutorial_lib.core.models import build_cnn_digits, build_vit_digits, train_digits_model

IN_CLASSES = tuple(range(8))  # digits the OOD models are trained on
NEAR_OOD_CLASSES = (8, 9)  # held out: near-OOD

OOD_MODELS = ("vit_digits_0to7", "cnn_digits_0to7")


@zoo.register("vit_digits_0to7", build=lambda: build_vit_digits(num_classes=8))
def train_vit_digits_0to7(model: nn.Module) -> dict:
    """vit_digits recipe, trained on digits 0-7 only (8 outputs)."""
    return train_digits_model(model, epochs=50, lr=1e-3, classes=IN_CLASSES)


@zoo.register("cnn_digits_0to7", build=lambda: build_cnn_digits(num_classes=8))
def train_cnn_digits_0to7(model: nn.Module) -> dict:
    """cnn_digits recipe, trained on digits 0-7 only (8 outputs)."""
    return train_digits_model(model, epochs=20, lr=1e-3, classes=IN_CLASSES)


@torch.no_grad()
def msp_scores(model: nn.Module, x: torch.Tensor, batch_size: int | None = None,
               temperature: float = 1.0) -> torch.Tensor:
    """Maximum softmax probability of each image (batched, model in eval mode), on the CPU."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}.")
    model.eval()
    batch_size = batch_size or eval_batch_size(x.device)
    out = [torch.softmax(model(x[i:i + batch_size]) / temperature, 1).amax(1).cpu()
           for i in range(0, len(x), batch_size)]
    return torch.cat(out) if out else torch.empty(0)


def _labels_and_scores(in_scores: torch.Tensor | np.ndarray,
                       ood_scores: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s_in = np.asarray(torch.as_tensor(in_scores).detach().cpu(), dtype=np.float64).ravel()
    s_out = np.asarray(torch.as_tensor(ood_scores).detach().cpu(), dtype=np.float64).ravel()
    if len(s_in) == 0 or len(s_out) == 0:
        raise ValueError(f"Need at least one in-distribution and one OOD score; got {len(s_in)} "
                         f"and {len(s_out)}.")
    if not (np.isfinite(s_in).all() and np.isfinite(s_out).all()):
        raise ValueError("Scores contain NaN or inf; check the model's outputs.")
    labels = np.r_[np.zeros(len(s_in)), np.ones(len(s_out))]  # OOD = positive class
    return labels, -np.r_[s_in, s_out]  # higher = more OOD


def ood_metrics(in_scores: torch.Tensor | np.ndarray,
                ood_scores: torch.Tensor | np.ndarray) -> dict[str, float]:
    """AUROC and AUPR of detecting OOD images by a low confidence score (e.g. the MSP).

    ``in_scores``/``ood_scores``: confidence of in-distribution and OOD images (higher = more
    in-distribution). OOD is the positive class (ImageNet-O's convention); ``aupr_base`` is the
    AUPR of a random detector (the OOD fraction), for reading ``aupr`` against.
    """
    labels, score = _labels_and_scores(in_scores, ood_scores)
    return {"auroc": float(roc_auc_score(labels, score)),
            "aupr": float(average_precision_score(labels, score)),
            "aupr_base": float(labels.mean())}


def pr_curve(in_scores: torch.Tensor | np.ndarray,
             ood_scores: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) of the OOD detector as its threshold moves, for a PR plot."""
    labels, score = _labels_and_scores(in_scores, ood_scores)
    precision, recall, _ = precision_recall_curve(labels, score)
    return recall, precision

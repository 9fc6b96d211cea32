"""Figures the notebooks share: one bundled colour-blind-safe style, image grids, prediction bars."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

STYLE = Path(__file__).with_name("frfm.mplstyle")
# Okabe-Ito, colour-blind-safe. Blue and vermillion mean ViT and CNN in every notebook and are
# used for nothing else; "other"/"extra" are a third and fourth model. Any other comparison
# (methods, sigma values, encoders, right/wrong) takes its colours from PALETTE, in order.
COLORS = {"vit": "#0072B2", "cnn": "#D55E00", "other": "#009E73", "extra": "#CC79A7"}
PALETTE = ["#009E73", "#CC79A7", "#E69F00", "#000000", "#999999", "#56B4E9", "#F0E442"]
RIGHT_WRONG = {"right": "#009E73", "wrong": "#CC79A7"}  # correct / wrong predictions
DIGIT_CLASSES = [str(i) for i in range(10)]


def use_style() -> None:
    """Apply the kit's style (no network: the file ships inside the package)."""
    plt.style.use(str(STYLE))


def to_numpy_image(x: torch.Tensor) -> np.ndarray:
    """(C, H, W) tensor in [0, 1] -> (H, W) or (H, W, 3) array for ``imshow``."""
    x = x.detach().float().cpu().clamp(0, 1)
    return x[0].numpy() if x.shape[0] == 1 else x.permute(1, 2, 0).numpy()


def show_images(images: torch.Tensor, titles: Sequence[str] | None = None, ncols: int = 8,
                size: float = 1.6, title_colors: Sequence[str] | None = None,
                suptitle: str | None = None) -> plt.Figure:
    """A grid of (N, C, H, W) images in [0, 1], with optional per-image titles and colours."""
    n = len(images)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.15),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(to_numpy_image(images[k]), cmap="gray", vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(titles[k], fontsize=10,
                             color=title_colors[k] if title_colors is not None else "black")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def prediction_bars(ax: plt.Axes, probs: torch.Tensor, true_label: int | None = None,
                    classes: Sequence[str] = DIGIT_CLASSES, color: str = COLORS["vit"],
                    title: str = "", top_k: int = 10) -> None:
    """Bar chart of one image's ``top_k`` most likely classes (plus the true one, outlined)."""
    p = probs.detach().float().cpu()
    keep = p.argsort(descending=True)[:top_k].tolist()
    if true_label is not None and true_label not in keep:
        keep[-1] = true_label
    if len(p) <= top_k:
        keep = list(range(len(p)))
    bars = ax.bar(range(len(keep)), p[keep].numpy(), color=color, alpha=0.85)
    if true_label is not None:
        bars[keep.index(true_label)].set_edgecolor("black")
        bars[keep.index(true_label)].set_linewidth(2.5)
    labels = [str(classes[k])[:12] for k in keep]
    ax.set_xticks(range(len(keep)), labels, rotation=0 if len(p) <= top_k else 60)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.set_title(title)


def takeaway(text: str) -> None:
    """Print a figure's one-line takeaway (computed by the caller from this run)."""
    print(f"Takeaway: {text}")

"""Full-profile loaders for the three ImageNet shifts, read from ``$FRFM_DATA_DIR``.

* ``imagenet-r/<wnid>/*`` — ImageNet-R (Hendrycks et al. 2021), 200 classes;
* ``imagenet-a/<wnid>/*`` — ImageNet-A (Hendrycks et al. 2021), 200 classes;
* ``bg_challenge/<variant>/val/<NN_name>/*`` — the ImageNet-9 backgrounds challenge folder of
  Xiao et al. 2021 (MadryLab/backgrounds_challenge), 9 classes, with ``in_to_in9.json`` mapping
  ImageNet-1k indices to the 9 classes (-1 = none).

ImageNet-R and -A cover 200 of the 1,000 classes, so a 1,000-way model is scored on the 200 only
(``restrict_logits``), as their authors do. ImageNet-1k models are scored on ImageNet-9 by
taking, for each of the 9 classes, the largest logit among its ImageNet classes
(``in9_logits``), as in ``backgrounds_challenge``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from tutorial_lib.core.composite import VARIANTS
from tutorial_lib.core.data import data_folder, load_image_folder

IN9_VARIANTS = VARIANTS + ("no_fg", "only_bg_b")  # the challenge's folder names
IN9_MAP = "in_to_in9.json"


def shift_root(name: str, root: str | Path | None = None) -> Path:
    """``<root or $FRFM_DATA_DIR>/<name>``, or a clear error saying how to provide it."""
    return data_folder(name, root)


def _wnid_index() -> dict[str, int]:
    from timm.data import ImageNetInfo

    return {w: i for i, w in enumerate(ImageNetInfo().label_names())}


def load_imagenet_rendition_or_adversarial(name: str, n: int | None = None, size: int = 224,
                                           seed: int = 0, root: str | Path | None = None,
                                           wnid_index: dict[str, int] | None = None
                                           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ImageNet-R (``name="imagenet-r"``) or ImageNet-A (``"imagenet-a"``).

    Returns ``(x, y, classes)``: images ``(N, 3, size, size)`` in [0, 1] (resize to
    ``size * 256/224``, centre crop), ``y`` as ImageNet-1k indices, and ``classes``, the sorted
    ImageNet-1k indices of the folder's classes (for :func:`restrict_logits`). ``n`` keeps a
    seeded random subset. ``wnid_index`` overrides the wnid -> index map (timm's by default).
    """
    if name not in ("imagenet-r", "imagenet-a"):
        raise ValueError(f"name must be 'imagenet-r' or 'imagenet-a', got {name!r}.")
    folder = shift_root(name, root)
    x, y_local, wnids = load_image_folder(folder, n, size, seed)
    index = wnid_index if wnid_index is not None else _wnid_index()
    unknown = [w for w in wnids if w not in index]
    if unknown:
        raise ValueError(f"Folders {unknown[:3]} in {folder} are not ImageNet wnids (n0...).")
    to_1k = torch.tensor([index[w] for w in wnids])
    return x, to_1k[y_local], to_1k.sort().values


def restrict_logits(logits: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """1,000-way logits with every class outside ``classes`` set to -inf (scores 200-way)."""
    out = torch.full_like(logits, float("-inf"))
    out[:, classes] = logits[:, classes]
    return out


def load_imagenet9(variant: str, n: int | None = None, size: int = 224, seed: int = 0,
                   root: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One variant of the backgrounds challenge: ``bg_challenge/<variant>/val/<class>/*``.

    ``variant`` is a folder name of the challenge (``original``, ``only_fg``, ``mixed_same``,
    ``mixed_rand``, ``mixed_next``, ``only_bg_t``, ``no_fg``, ``only_bg_b``; '-' or '_').
    Returns images and labels 0..8 (the sorted class folders, ``00_dog`` ... ``08_insect``).
    """
    v = variant.lower().replace("-", "_")
    if v not in IN9_VARIANTS:
        raise ValueError(f"Unknown ImageNet-9 variant {variant!r}; use one of "
                         f"{sorted(set(IN9_VARIANTS))}.")
    folder = shift_root("bg_challenge", root) / v / "val"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist; the challenge folder needs "
                                f"<variant>/val/<class>/ for variant {v!r}.")
    x, y, classes = load_image_folder(folder, n, size, seed)
    if len(classes) != 9:
        raise ValueError(f"{folder} has {len(classes)} class folders; ImageNet-9 has 9.")
    return x, y


def in9_mapping(root: str | Path | None = None) -> torch.Tensor:
    """The challenge's ``in_to_in9.json`` as a (1000,) tensor: ImageNet index -> 0..8 or -1."""
    path = shift_root("bg_challenge", root) / IN9_MAP
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; copy {IN9_MAP} from "
                                "MadryLab/backgrounds_challenge into the challenge folder.")
    table = json.loads(path.read_text())
    return torch.tensor([int(table[str(i)]) for i in range(len(table))])


def in9_logits(logits: torch.Tensor, mapping: torch.Tensor) -> torch.Tensor:
    """(N, 9) logits: for each ImageNet-9 class, the largest logit of its ImageNet classes."""
    if logits.shape[1] != len(mapping):
        raise ValueError(f"logits have {logits.shape[1]} classes, the mapping {len(mapping)}.")
    cols = []
    for c in range(9):
        members = torch.nonzero(mapping == c).flatten()
        if len(members) == 0:
            raise ValueError(f"the mapping sends no ImageNet class to ImageNet-9 class {c}.")
        cols.append(logits[:, members.to(logits.device)].amax(1))
    return torch.stack(cols, 1)

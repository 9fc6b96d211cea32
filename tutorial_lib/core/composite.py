"""Digits on real backgrounds: the kit's miniature of the ImageNet-9 "backgrounds challenge".

Xiao et al. 2021 ("Noise or Signal: The Role of Image Backgrounds in Object Recognition") cut each
ImageNet-9 image into foreground and background and recombined them. This module does the same
with the kit's real data: the foreground is a digit scan's strokes (the scan itself is the mask),
the backgrounds are grey textures cut from the real photographs that ship with scikit-image.

**Polarity.** sklearn's scans are light ink on a dark page (strokes near 1, paper at 0) and every
kit model was trained that way, so the composite keeps it: the strokes stay at their scanned
intensity and the texture is dimmed into ``[0, visibility * BG_MAX]`` (``BG_MAX = 0.5``). At
``visibility=1`` every background pixel is darker than a stroke's core, so a person still reads the
digit; ``visibility=2`` lets the texture reach stroke brightness (a harder test).

**Class pools.** Class ``c`` owns the textures of photo ``CLASS_PHOTOS[c]`` (0 brick, 1 grass,
2 gravel, 3 coins, 4 text, 5 page, 6 moon, 7 Hubble deep field, 8 tissue stain, 9 cells) — the
analogue of "birds are photographed in front of sky". Variants (``VARIANTS``), as in the paper:

=============  ===================================================================
``original``   the scan on its own plain (dark) page
``only_fg``    the strokes alone: the page outside the mask set to exactly 0
``mixed_same`` the strokes on a texture from the pool of the image's own class
``mixed_rand`` the strokes on a texture drawn from all pools
``mixed_next`` the strokes on a texture from the pool of class ``(c + 1) % 10``
``only_bg_t``  the ``mixed_same`` texture with no digit at all (the label stays)
=============  ===================================================================

Typical use::

    bank = texture_bank(8, size=32, seed=0, split="test")       # (80, 1, 32, 32), photo ids
    x_same = variants(x, y, "mixed_same", bank=bank, seed=1)
    x_rand = variants(x, y, "mixed_rand", bank=bank, seed=1)
    bg_gap = acc(x_same) - acc(x_rand)                             # the paper's BG-gap

``correlated(x, y, p_same, ...)`` builds training sets whose background predicts the class with
probability ``p_same`` (the spurious feature of the group-robustness lesson).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, as core.data and PIL's "L" mode

BG_MAX = 0.5  # brightest background pixel at visibility=1 (strokes are ~1)
MASK_THRESHOLD = 0.3  # scan intensity at which a pixel counts fully as stroke
# One photo per digit class: photos that are one texture all over (so the left-band training
# crops and the right-band test crops look alike; with object photos such as "astronaut" a CNN
# trained on 90%-correlated backgrounds learned the left halves and showed no BG-gap on the right).
CLASS_PHOTOS = ("brick", "grass", "gravel", "coins", "text", "page", "moon", "hubble_deep_field",
                "immunohistochemistry", "cell")
VARIANTS = ("original", "only_fg", "mixed_same", "mixed_rand", "mixed_next", "only_bg_t")
SPLITS = {"all": (0.0, 1.0), "train": (0.0, 0.6), "test": (0.6, 1.0)}  # columns of each photo


def _grey_photo(name: str) -> np.ndarray:
    """A scikit-image sample photo as a grey (H, W) float32 array in [0, 1]."""
    import skimage.data

    img = getattr(skimage.data, name)()
    img = img.astype(np.float32) / (255.0 if img.dtype == np.uint8 else max(1.0, float(img.max())))
    if img.ndim == 3:
        img = img[..., :3] @ np.asarray(LUMA, dtype=np.float32)
    return np.ascontiguousarray(img)


def _canonical(kind: str) -> str:
    k = str(kind).lower().replace("-", "_").replace(" ", "_")
    if k not in VARIANTS:
        raise ValueError(f"Unknown background variant {kind!r}; use one of {VARIANTS} "
                         "(case and '-' vs '_' do not matter, e.g. 'Mixed-Same').")
    return k


def _check_digits(digits: torch.Tensor) -> None:
    if not torch.is_tensor(digits) or digits.ndim != 4 or digits.shape[1] != 1:
        shape = tuple(digits.shape) if torch.is_tensor(digits) else type(digits).__name__
        raise ValueError(f"digits must be a (N, 1, H, W) grey tensor in [0, 1], got {shape}; "
                         "use tutorial_lib.core.data.load_digits_tensors(...).")
    if digits.shape[-1] != digits.shape[-2] or digits.shape[-1] < 8:
        raise ValueError(f"digits must be square and at least 8x8, got {tuple(digits.shape[-2:])}.")


# ----------------------------------------------------------------------------- textures
def texture_bank(n_per_photo: int, size: int = 32, seed: int = 0, split: str = "all",
                 photos: tuple[str, ...] = CLASS_PHOTOS, min_frac: float = 0.15,
                 max_frac: float = 0.4) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_per_photo`` random square grey crops of each photo, resized to ``size``.

    Returns ``(textures, photo_ids)``: textures ``(len(photos) * n_per_photo, 1, size, size)`` in
    [0, 1] (the photo's own grey levels), and ``photo_ids`` (int64) indexing ``photos``; with the
    default photos the id is the class whose pool the texture belongs to. ``split`` keeps crops
    inside disjoint column bands of each photo ("train": left 60%, "test": right 40%), so training
    and test backgrounds never share pixels. Each crop spans ``min_frac``..``max_frac`` of the
    photo's shorter side. Deterministic in ``seed``.
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown texture split {split!r}; use one of {sorted(SPLITS)}.")
    if n_per_photo < 1 or size < 8:
        raise ValueError(f"need n_per_photo >= 1 and size >= 8, got {n_per_photo}, {size}.")
    if not 0 < min_frac <= max_frac <= 1:
        raise ValueError(f"need 0 < min_frac <= max_frac <= 1, got {min_frac}, {max_frac}.")
    lo, hi = SPLITS[split]
    rng = np.random.default_rng(seed)
    crops, ids = [], []
    for pid, name in enumerate(photos):
        img = _grey_photo(name)
        h, w = img.shape[:2]
        c0, c1 = int(w * lo), int(w * hi)
        for _ in range(n_per_photo):
            s = int(min(h, c1 - c0) * rng.uniform(min_frac, max_frac))
            top, left = rng.integers(0, h - s + 1), rng.integers(c0, c1 - s + 1)
            crops.append(torch.from_numpy(np.ascontiguousarray(img[top:top + s, left:left + s]))[None])
            ids.append(pid)
    # crops differ in size, so each is resized on its own (a few hundred at most, once)
    out = torch.cat([F.interpolate(c[None], size=(size, size), mode="bilinear", antialias=True,
                                   align_corners=False) for c in crops])
    return out.clamp(0, 1), torch.tensor(ids, dtype=torch.int64)


# ----------------------------------------------------------------------------- compositing
def foreground_mask(digits: torch.Tensor, threshold: float = MASK_THRESHOLD) -> torch.Tensor:
    """Soft stroke mask in [0, 1] from the scan itself: ``clamp(digit / threshold, 0, 1)``.

    1 on every pixel at least ``threshold`` bright (the strokes), 0 on the blank page, and a ramp
    on the strokes' anti-aliased rim so the composite has no halo.
    """
    _check_digits(digits)
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}.")
    return (digits / threshold).clamp(0, 1)


def composite(digits: torch.Tensor, backgrounds: torch.Tensor, visibility: float = 1.0,
              mask: torch.Tensor | None = None) -> torch.Tensor:
    """Strokes over dimmed backgrounds: ``m * digit + (1 - m) * visibility * BG_MAX * background``.

    ``digits`` and ``backgrounds`` are ``(N, 1, H, W)`` on the same grid (backgrounds may be one
    ``(1, 1, H, W)`` image, broadcast). ``m`` is :func:`foreground_mask` unless given.
    ``visibility`` in [0, 1 / BG_MAX]: 0 gives the strokes alone (``only_fg``), 1 the default.
    """
    _check_digits(digits)
    if not torch.is_tensor(backgrounds) or backgrounds.ndim != 4 or backgrounds.shape[1] != 1:
        raise ValueError("backgrounds must be a (N, 1, H, W) grey tensor (see texture_bank), got "
                         f"{tuple(backgrounds.shape) if torch.is_tensor(backgrounds) else backgrounds!r}.")
    if backgrounds.shape[-2:] != digits.shape[-2:]:
        raise ValueError(f"background size {tuple(backgrounds.shape[-2:])} != digit size "
                         f"{tuple(digits.shape[-2:])}; build the bank with "
                         f"texture_bank(..., size={digits.shape[-1]}).")
    if backgrounds.shape[0] not in (1, digits.shape[0]):
        raise ValueError(f"need one background per digit or a single one; got "
                         f"{backgrounds.shape[0]} for {digits.shape[0]} digits.")
    if not 0 <= visibility <= 1 / BG_MAX:
        raise ValueError(f"visibility must be in [0, {1 / BG_MAX:g}], got {visibility}.")
    m = foreground_mask(digits) if mask is None else mask
    bg = backgrounds.to(digits.device, digits.dtype) * (visibility * BG_MAX)
    return (m * digits + (1 - m) * bg).clamp(0, 1)


def _pick(pool_of: torch.Tensor, ids: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """For each wanted pool id in ``pool_of``, a random index into the bank with that photo id."""
    n_pools = int(ids.max()) + 1
    order = torch.argsort(ids, stable=True)
    counts = torch.bincount(ids, minlength=n_pools)
    starts = torch.cumsum(counts, 0) - counts
    if (counts[pool_of] == 0).any():
        raise ValueError("the texture bank has no texture for some requested class pool.")
    u = torch.rand(len(pool_of), generator=gen)
    offset = (u * counts[pool_of]).long().clamp(max=counts[pool_of] - 1)
    return order[starts[pool_of] + offset]


def background_indices(labels: torch.Tensor, kind: str, photo_ids: torch.Tensor,
                       seed: int = 0) -> torch.Tensor | None:
    """Which bank texture each image gets under ``kind`` (None for original / only_fg).

    ``mixed_same`` and ``only_bg_t`` draw the same textures for the same seed, so the two differ
    only under the digit's mask.
    """
    k = _canonical(kind)
    if k in ("original", "only_fg"):
        return None
    labels = labels.detach().cpu().long()
    photo_ids = photo_ids.detach().cpu().long()
    n_pools = int(photo_ids.max()) + 1
    if int(labels.max()) >= n_pools or int(labels.min()) < 0:
        raise ValueError(f"labels must index the bank's {n_pools} class pools, got "
                         f"{int(labels.min())}..{int(labels.max())}.")
    gen = torch.Generator().manual_seed(seed)
    if k == "mixed_rand":
        return torch.randint(0, len(photo_ids), (len(labels),), generator=gen)
    pool = labels if k in ("mixed_same", "only_bg_t") else (labels + 1) % n_pools
    return _pick(pool, photo_ids, gen)


def variants(digits: torch.Tensor, labels: torch.Tensor, kind: str,
             bank: tuple[torch.Tensor, torch.Tensor] | None = None, seed: int = 0,
             visibility: float = 1.0) -> torch.Tensor:
    """The ``kind`` variant (one of ``VARIANTS``) of each digit, ``(N, 1, H, W)`` on its device.

    ``bank`` is ``texture_bank(...)``'s output (default: 8 test-band crops per photo at the digits'
    size). The same ``seed`` gives the same backgrounds; labels keep their meaning (for
    ``only_bg_t`` the label says which class's pool the background came from).
    """
    _check_digits(digits)
    k = _canonical(kind)
    if len(labels) != len(digits):
        raise ValueError(f"{len(labels)} labels for {len(digits)} digits.")
    if k == "original":
        return digits.clone()
    if k == "only_fg":
        return composite(digits, torch.zeros_like(digits), visibility=0.0)
    textures, ids = bank if bank is not None else texture_bank(8, size=digits.shape[-1],
                                                               split="test")
    idx = background_indices(labels, k, ids, seed)
    bg = textures[idx].to(digits.device, digits.dtype)
    if k == "only_bg_t":
        return (bg * (visibility * BG_MAX)).clamp(0, 1)
    return composite(digits, bg, visibility=visibility)


def correlated(digits: torch.Tensor, labels: torch.Tensor, p_same: float,
               bank: tuple[torch.Tensor, torch.Tensor] | None = None, seed: int = 0,
               visibility: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """A training set where the background predicts the class with probability ``p_same``.

    Each digit gets, with probability ``p_same``, a texture from its own class's pool, otherwise
    one from a uniformly chosen *other* pool. Returns ``(images, bg_class)``: ``bg_class`` is the
    pool each background came from, so ``bg_class == labels`` marks the majority group.
    ``bank`` defaults to 32 train-band crops per photo (a model should learn each photo's
    texture, not a handful of crops; notebook 11 and the tests use the same bank).
    """
    _check_digits(digits)
    if not 0 <= p_same <= 1:
        raise ValueError(f"p_same must be in [0, 1], got {p_same}.")
    textures, ids = bank if bank is not None else texture_bank(32, size=digits.shape[-1],
                                                               split="train")
    labels_cpu = labels.detach().cpu().long()
    n_pools = int(ids.max()) + 1
    gen = torch.Generator().manual_seed(seed)
    same = torch.rand(len(labels_cpu), generator=gen) < p_same
    shift = torch.randint(1, n_pools, (len(labels_cpu),), generator=gen)
    pool = torch.where(same, labels_cpu, (labels_cpu + shift) % n_pools)
    idx = _pick(pool, ids, gen)
    images = composite(digits, textures[idx].to(digits.device, digits.dtype), visibility)
    return images, pool.to(labels.device)

"""Renditions of the digits (an ImageNet-R analogue): the ten digits typeset in every style of the
fonts that ship inside matplotlib, rendered the way sklearn's digit scans were made.

ImageNet-R (Hendrycks et al. 2021, "The Many Faces of Robustness") collects art, cartoons,
sculptures and other *renditions* of 200 ImageNet classes: the same objects, drawn in styles the
training photos never showed. Here the "photos" are handwritten scans and the renditions are
typeset digits. Every kit user has these fonts (they are part of matplotlib), so the set is
rebuilt bit-for-bit offline; the kit ships this generator, not images.

How a glyph becomes a "scan" (sklearn's digits come from 32x32 binary bitmaps of NIST forms, the
ink counted in 4x4 blocks to give 8x8 images with 17 grey levels):

1. the glyph is drawn large (160 px) with FreeType, cropped to its ink;
2. its strokes are thickened (a square dilation whose radius is chosen per style) until the
   style's mean ink matches the scans' (``SCAN_INK``, the mean pixel of sklearn's 1,797 scans);
3. it is fitted to the full frame height like the scans and centred;
4. a mild random affine (rotation, shear, scale, shift; fixed seed) stands in for a hand's wobble;
5. ``"sharp"``: area-downsampled to 32x32 grey (no binarisation, no 8x8 step);
   ``"lowres"``: binarised at 32x32, ink counted in 4x4 blocks (8x8, levels k/16), then
   bilinearly upsampled to 32x32 exactly as ``core.data.load_digits_tensors`` upsamples the scans.

Polarity is the scans': light ink (1) on a dark page (0).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from tutorial_lib.core.config import pick_knobs

SCAN_INK = 0.305  # mean pixel of sklearn's 1,797 scans (8x8, values / 16); tested against the data
KINDS = ("sharp", "lowres")
# style -> file in matplotlib's mpl-data/fonts/ttf. Left out: the files with no digit glyphs
# (DejaVu *Display, STIXNonUni*, STIXSiz*, LastResortHE) and cmsy10 / cmex10, whose digit code
# points hold math symbols. cmmi10's digits are old-style figures (a genuine style).
FONT_STYLES = {
    "DejaVu Sans": "DejaVuSans.ttf",
    "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
    "DejaVu Sans Oblique": "DejaVuSans-Oblique.ttf",
    "DejaVu Sans Bold Oblique": "DejaVuSans-BoldOblique.ttf",
    "DejaVu Serif": "DejaVuSerif.ttf",
    "DejaVu Serif Bold": "DejaVuSerif-Bold.ttf",
    "DejaVu Serif Italic": "DejaVuSerif-Italic.ttf",
    "DejaVu Serif Bold Italic": "DejaVuSerif-BoldItalic.ttf",
    "DejaVu Sans Mono": "DejaVuSansMono.ttf",
    "DejaVu Sans Mono Bold": "DejaVuSansMono-Bold.ttf",
    "DejaVu Sans Mono Oblique": "DejaVuSansMono-Oblique.ttf",
    "DejaVu Sans Mono Bold Oblique": "DejaVuSansMono-BoldOblique.ttf",
    "STIX": "STIXGeneral.ttf",
    "STIX Bold": "STIXGeneralBol.ttf",
    "STIX Italic": "STIXGeneralItalic.ttf",
    "STIX Bold Italic": "STIXGeneralBolIta.ttf",
    "Computer Modern Roman": "cmr10.ttf",
    "Computer Modern Bold": "cmb10.ttf",
    "Computer Modern Italic": "cmti10.ttf",
    "Computer Modern Sans": "cmss10.ttf",
    "Computer Modern Typewriter": "cmtt10.ttf",
    "Computer Modern Math Italic (old-style)": "cmmi10.ttf",
}
# the mild affine: max rotation (deg), max shear, scale range, max shift (fraction of the frame)
AFFINE = {"rotate": 10.0, "shear": 0.15, "scale": (0.9, 1.05), "shift": 0.06}
NO_AFFINE = {"rotate": 0.0, "shear": 0.0, "scale": (1.0, 1.0), "shift": 0.0}
KNOBS = {"quick": {"n_per_glyph": 2}, "full": {"n_per_glyph": 10}, "smoke": {"n_per_glyph": 1}}
_CANVAS = 128  # working resolution (4x the output side of 32)


def knobs(profile: str | None = None) -> dict:
    """This module's size knobs for the active (or named) profile."""
    return pick_knobs(KNOBS, profile)


def font_path(style: str) -> Path:
    """The .ttf file of a style in matplotlib's bundled fonts."""
    import matplotlib

    if style not in FONT_STYLES:
        raise ValueError(f"Unknown font style {style!r}; use one of: {', '.join(FONT_STYLES)}.")
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / FONT_STYLES[style]
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from this matplotlib install; reinstall "
                                "matplotlib (the kit needs its bundled fonts).")
    return path


def _glyph_bitmap(style: str, digit: int, px: int = 160) -> np.ndarray:
    """One digit drawn by FreeType at ``px`` pixels per em, cropped to its ink, in [0, 1]."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(font_path(style)))
    font.set_size(px, 72)  # 72 dpi: 1 point = 1 pixel
    font.set_text(str(digit), 0.0)
    font.draw_glyphs_to_bitmap(antialiased=True)
    img = np.asarray(font.get_image(), dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(img.max(1) > 0.5), np.flatnonzero(img.max(0) > 0.5)
    if len(rows) == 0:
        raise ValueError(f"Font style {style!r} drew a blank glyph for {digit}.")
    return img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _fit(glyph: torch.Tensor, radius: int) -> torch.Tensor:
    """Dilate a cropped glyph by ``radius`` px, fit its height to the canvas, centre it."""
    g = glyph[None, None]
    if radius > 0:
        g = F.max_pool2d(F.pad(g, (radius,) * 4), 2 * radius + 1, stride=1)
    h, w = g.shape[-2:]
    s = min(_CANVAS / h, 0.95 * _CANVAS / w)  # full height (as the scans), width at most 95%
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    g = F.interpolate(g, size=(nh, nw), mode="bilinear", antialias=True, align_corners=False)
    out = torch.zeros(1, 1, _CANVAS, _CANVAS)
    top, left = (_CANVAS - nh) // 2, (_CANVAS - nw) // 2
    out[..., top:top + nh, left:left + nw] = g
    return out.clamp(0, 1)


@lru_cache(maxsize=64)
def _style_canvas(style: str, target_ink: float) -> torch.Tensor:
    """The 10 digits of a style on the 128-px canvas, strokes thickened to ``target_ink``."""
    glyphs = [torch.from_numpy(_glyph_bitmap(style, d)) for d in range(10)]
    best, best_err = None, math.inf
    for radius in range(0, 24, 1):
        canv = torch.cat([_fit(g, radius) for g in glyphs])
        ink = (F.avg_pool2d(canv, 4) > 0.5).float().mean().item()  # binary 32x32 coverage
        if abs(ink - target_ink) < best_err:
            best, best_err = canv, abs(ink - target_ink)
        if ink > target_ink:
            break
    return best


def _affines(n: int, affine: dict, gen: torch.Generator) -> torch.Tensor:
    """``n`` random 2x3 affine matrices (output -> input grid coordinates) within ``affine``."""
    u = torch.rand(n, 5, generator=gen) * 2 - 1
    rot = torch.deg2rad(u[:, 0] * affine["rotate"])
    shear = u[:, 1] * affine["shear"]
    lo, hi = affine["scale"]
    scale = lo + (u[:, 2] + 1) / 2 * (hi - lo)
    cos, sin = torch.cos(rot), torch.sin(rot)
    a = torch.stack([torch.stack([cos, -sin + shear], 1), torch.stack([sin, cos], 1)], 1)
    a = a / scale[:, None, None]
    t = (u[:, 3:] * affine["shift"] * 2)[..., None]  # grid spans [-1, 1]: shift * 2
    return torch.cat([a, t], 2)


def scan_blocks(x: torch.Tensor) -> torch.Tensor:
    """32x32 images -> 8x8 the way the UCI/sklearn scans were made: binarise at 0.5, then count
    the ink in each 4x4 block (values k / 16, k = 0..16)."""
    if x.ndim != 4 or tuple(x.shape[-2:]) != (32, 32):
        raise ValueError(f"need (N, C, 32, 32) images, got {tuple(x.shape)}.")
    return F.avg_pool2d((x > 0.5).float(), 4)


def upsample_like_scans(blocks: torch.Tensor) -> torch.Tensor:
    """8x8 -> 32x32 exactly as ``core.data.load_digits_tensors`` upsamples the scans."""
    if blocks.ndim != 4 or tuple(blocks.shape[-2:]) != (8, 8):
        raise ValueError(f"need (N, C, 8, 8) images, got {tuple(blocks.shape)}.")
    return F.interpolate(blocks, size=(32, 32), mode="bilinear", align_corners=False).clamp(0, 1)


def render(styles: list[str] | tuple[str, ...] | None = None, kind: str = "lowres",
           n_per_glyph: int = 1, seed: int = 0, affine: dict | None = None,
           target_ink: float = SCAN_INK, device: torch.device | str | None = None
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Renditions ``(x, y, style_index)``: x ``(N, 1, 32, 32)`` in [0, 1], y the digit.

    ``N = len(styles) * 10 * n_per_glyph``, ordered style, digit, copy. ``styles`` defaults to
    every style in ``FONT_STYLES`` (``style_index`` indexes the list used). ``kind`` is ``"sharp"``
    or ``"lowres"`` (see the module doc); ``affine`` defaults to ``AFFINE`` (``NO_AFFINE`` for the
    upright glyphs). The same ``seed`` gives the same images for both kinds.
    """
    styles = list(FONT_STYLES) if styles is None else list(styles)
    if kind not in KINDS:
        raise ValueError(f"Unknown rendition kind {kind!r}; use one of {KINDS}.")
    if not styles or n_per_glyph < 1:
        raise ValueError("need at least one style and n_per_glyph >= 1.")
    for s in styles:
        font_path(s)  # clear error on an unknown style
    canv = torch.cat([_style_canvas(s, float(target_ink)) for s in styles])  # (S*10, 1, C, C)
    canv = canv.repeat_interleave(n_per_glyph, 0).to(device)
    gen = torch.Generator().manual_seed(seed)
    theta = _affines(len(canv), AFFINE if affine is None else affine, gen).to(canv)
    grid = F.affine_grid(theta, list(canv.shape), align_corners=False)
    canv = F.grid_sample(canv, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    sharp = F.avg_pool2d(canv, 4)  # 128 -> 32, area average
    x = sharp if kind == "sharp" else upsample_like_scans(scan_blocks(sharp))
    y = torch.arange(10).repeat_interleave(n_per_glyph).repeat(len(styles))
    style_index = torch.arange(len(styles)).repeat_interleave(10 * n_per_glyph)
    return x.clamp(0, 1).contiguous(), y.to(x.device), style_index.to(x.device)

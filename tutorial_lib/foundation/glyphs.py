"""A pre-training corpus the kit builds offline: characters typeset in matplotlib's bundled fonts.

The tutorial's foundation models are pre-trained on ImageNet-1k or the 14,000-class ImageNet-21k.
This module is the kit's miniature of that: every character of the fonts inside matplotlib
(``mpl-data/fonts/ttf``; DejaVu alone maps ~5,900 characters across Latin, Greek, Cyrillic,
Armenian, Georgian, symbols, arrows and box drawing) drawn as a 32x32 grey "scan" like the
handwritten digits, with its Unicode name as a free text label.

- **narrow** corpus: Latin and Greek letters (the "ImageNet-1k");
- **broad** corpus: the narrow classes plus letters and symbols of every script the fonts cover
  (the "ImageNet-21k"), drawn as the same number of images.

The downstream task (the digits) must stay unseen, so the corpus leaves out every character of
Unicode category N (decimal digits Nd, superscript / circled / fraction digits No, Roman numerals
Nl), every character whose name mentions a digit or a number word, and look-alikes of digits:

- by name (``LOOKALIKE_NAMES``): O / omicron / circles (0), I / l / iota / palochka / je /
  vertical bars (1), Z (2), ze / yogh / ezh / open e (3), che (4), S / dze (5), be / b (6),
  B / sharp s / beta (8), g / q (9), and every accented variant of these (matched on the
  letter's name). The list errs on the side of caution: zhe and Komi dzje go too, for their
  ze-like strokes;
- by shape (``DIGIT_SIMILARITY``): any character whose upright DejaVu Sans or Serif rendering has
  cosine similarity above the threshold with the same font's rendering of some digit.

How a character becomes a "scan" (as ``evaluation.renditions`` does for digits; copied nothing,
the parts are independent): FreeType draws it, it is cropped to its ink, fitted to the full frame
height and centred on a 64-px canvas, its strokes are thickened (3x3 dilations) until its ink
covers a target fraction of the frame (the scans' 0.305, jittered per image), it gets a mild
random affine, is area-averaged to 32x32, binarised and block-counted into 8x8 like the UCI scans,
and upsampled to 32x32 as ``core.data.load_digits_tensors`` upsamples them. Light ink on dark.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from tutorial_lib.core.config import pick_knobs

SCAN_INK = 0.305  # mean pixel of sklearn's 1,797 scans (8x8, values / 16)
CANVAS = 64  # working resolution (2x the output side)
# fonts whose character map is real Unicode (the Computer Modern files map ASCII codes to their
# own glyph tables, so only their ASCII letters are used); left out: DejaVu *Display (a handful
# of glyphs), STIXNonUni* (private-use code points), STIXSiz* (size variants), LastResortHE
# (placeholder boxes), cmex10 / cmsy10 (math symbols at letter code points).
UNICODE_FONTS = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf",
)
ASCII_LETTER_FONTS = ("cmr10.ttf", "cmb10.ttf", "cmti10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmmi10.ttf")
FONTS = UNICODE_FONTS + ASCII_LETTER_FONTS

# names (whole words) that make a character a digit look-alike; see the module doc
LOOKALIKE_NAMES = re.compile(
    r"\bLETTER (SMALL |CAPITAL )?(DOTLESS )?(O|OMICRON|I|L|IOTA|Z|ZE|ZHE|YOGH|EZH|OPEN E|"
    r"REVERSED OPEN E|CHE|S|DZE|B|BE|SHARP S|BETA|G|SCRIPT G|Q|JE|BYELORUSSIAN-UKRAINIAN I|"
    r"PALOCHKA|KOMI DZJE)\b"
    r"|CIRCLE|RING OPERATOR|VERTICAL|DIGIT|NUMBER|NUMERAL|FRACTION|SUPERSCRIPT|SUBSCRIPT"
    r"|\b(ZERO|ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE)\b")
DIGIT_SIMILARITY = 0.85  # cosine similarity to a digit's rendering above which a glyph is dropped
DUPLICATE_SIMILARITY = 0.97  # glyphs this similar (upright DejaVu Sans) count as one class
NARROW_BLOCKS = ((0x41, 0x7A), (0xC0, 0xFF), (0x391, 0x3C9))  # Basic Latin, Latin-1, Greek
N_BROAD = 1000
MIN_FONTS = 3  # a class needs this many fonts (styles) that draw it

KNOBS = {  # the pre-training budget: the same for both corpora; steps per architecture
    "quick": {"n_images": 24000, "n_val": 2000, "steps": 2250, "batch_size": 64},
    "full": {"n_images": 24000, "n_val": 2000, "steps": 2250, "batch_size": 64},
    "smoke": {"n_images": 256, "n_val": 64, "steps": 2, "batch_size": 32},
}

def knobs(profile: str | None = None) -> dict:
    """This module's size knobs for the active (or named) profile."""
    return pick_knobs(KNOBS, profile)


def font_file(name: str) -> Path:
    """The path of one of matplotlib's bundled font files."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from this matplotlib install; reinstall "
                                "matplotlib (the kit needs its bundled fonts).")
    return path


@lru_cache(maxsize=None)
def font_characters(name: str) -> frozenset[str]:
    """The characters a font maps (its Unicode cmap; ASCII letters only for Computer Modern)."""
    from matplotlib.ft2font import FT2Font

    if name in ASCII_LETTER_FONTS:
        return frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    cmap = FT2Font(str(font_file(name))).get_charmap()
    return frozenset(chr(c) for c, g in cmap.items() if g != 0 and c < 0x110000)


def is_digit_like_by_name(ch: str) -> bool:
    """True for Unicode category N (any number), digit/number names and named look-alikes.

    Accented letters are matched through their base letter's name too (NFD decomposition)."""
    if unicodedata.category(ch).startswith("N"):
        return True
    names = [unicodedata.name(ch, "")]
    base = unicodedata.normalize("NFD", ch)[0]
    if base != ch:
        names.append(unicodedata.name(base, ""))
    return any(LOOKALIKE_NAMES.search(n) for n in names) or any(
        unicodedata.category(c).startswith("N") for c in unicodedata.normalize("NFKD", ch))


def eligible(ch: str) -> bool:
    """A candidate class: a letter (L*) or symbol (S*) with a name that is not digit-like."""
    return (len(ch) == 1 and unicodedata.category(ch)[0] in "LS" and bool(unicodedata.name(ch, ""))
            and not is_digit_like_by_name(ch))


# ----------------------------------------------------------------------------- drawing
def glyph_bitmap(font: str, ch: str, px: int = 48) -> np.ndarray | None:
    """One character drawn by FreeType at ``px`` pixels per em, cropped to its ink (None if
    the font draws nothing)."""

    if ch not in font_characters(font):
        return None
    ft = _ft(font)
    ft.set_size(px, 72)
    ft.set_text(ch, 0.0)
    ft.draw_glyphs_to_bitmap(antialiased=True)
    img = np.asarray(ft.get_image(), dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(img.max(1) > 0.5), np.flatnonzero(img.max(0) > 0.5)
    if len(rows) == 0:
        return None
    return img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


@lru_cache(maxsize=None)
def _ft(font: str):
    from matplotlib.ft2font import FT2Font

    return FT2Font(str(font_file(font)))


def fit_canvas(glyph: np.ndarray, size: int = CANVAS) -> torch.Tensor:
    """A cropped glyph fitted to the frame height (width at most 90%) and centred: (size, size)."""
    g = torch.from_numpy(glyph)[None, None]
    h, w = g.shape[-2:]
    s = min(0.9 * size / h, 0.9 * size / w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    g = F.interpolate(g, size=(nh, nw), mode="bilinear", antialias=True, align_corners=False)
    out = torch.zeros(size, size)
    top, left = (size - nh) // 2, (size - nw) // 2
    out[top:top + nh, left:left + nw] = g[0, 0]
    return out.clamp(0, 1)


def _affines(n: int, gen: torch.Generator, rotate: float = 8.0, shear: float = 0.12,
             scale: tuple[float, float] = (0.9, 1.05), shift: float = 0.05) -> torch.Tensor:
    """``n`` random 2x3 affine matrices (output -> input grid coordinates)."""
    u = torch.rand(n, 5, generator=gen) * 2 - 1
    rot = torch.deg2rad(u[:, 0] * rotate)
    sh = u[:, 1] * shear
    sc = scale[0] + (u[:, 2] + 1) / 2 * (scale[1] - scale[0])
    cos, sin = torch.cos(rot), torch.sin(rot)
    a = torch.stack([torch.stack([cos, -sin + sh], 1), torch.stack([sin, cos], 1)], 1) / sc[:, None, None]
    return torch.cat([a, (u[:, 3:] * shift * 2)[..., None]], 2)


def as_scans(canvas: torch.Tensor, target_ink: torch.Tensor, gen: torch.Generator | None,
             affine: bool = True, max_radius: int = 12) -> torch.Tensor:
    """(N, S, S) glyph canvases -> (N, 1, 32, 32) scan-like images in [0, 1], batched.

    Strokes are dilated (repeated 3x3 max-pools) until the binary 32x32 ink reaches each image's
    ``target_ink``; then an optional random affine, area-average to 32x32, binarise, 4x4 block
    counts (8x8, levels k/16) and bilinear upsampling back to 32x32, as the digit scans are.
    """
    x = canvas[:, None]
    pool = CANVAS // 32
    best = x.clone()
    done = (F.avg_pool2d(x, pool) > 0.5).float().mean((1, 2, 3)) >= target_ink
    for _ in range(max_radius):
        x = F.max_pool2d(x, 3, stride=1, padding=1)
        ink = (F.avg_pool2d(x, pool) > 0.5).float().mean((1, 2, 3))
        take = ~done
        best[take] = x[take]
        done |= ink >= target_ink
        if bool(done.all()):
            break
    if affine:
        theta = _affines(len(best), gen if gen is not None else torch.Generator().manual_seed(0))
        grid = F.affine_grid(theta, list(best.shape), align_corners=False)
        best = F.grid_sample(best, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    sharp = F.avg_pool2d(best, pool)
    blocks = F.avg_pool2d((sharp > 0.5).float(), 4)
    return F.interpolate(blocks, size=(32, 32), mode="bilinear", align_corners=False).clamp(0, 1)


def upright(font: str, chars: list[str] | tuple[str, ...]) -> tuple[torch.Tensor, list[bool]]:
    """Upright scan-like renderings (no affine, the scans' ink) of ``chars`` in one font:
    (N, 1, 32, 32) (blank where the font draws nothing) and which ones were drawn."""
    canv, ok = [], []
    for ch in chars:
        g = glyph_bitmap(font, ch)
        ok.append(g is not None)
        canv.append(fit_canvas(g) if g is not None else torch.zeros(CANVAS, CANVAS))
    x = as_scans(torch.stack(canv), torch.full((len(chars),), SCAN_INK), None, affine=False)
    return x, ok


def _unit(x: torch.Tensor) -> torch.Tensor:
    v = x.flatten(1) - x.flatten(1).mean(1, keepdim=True)
    return v / v.norm(dim=1, keepdim=True).clamp_min(1e-8)


@lru_cache(maxsize=2)
def _candidates() -> tuple[str, ...]:
    """Eligible characters drawn by >= MIN_FONTS fonts, minus shape look-alikes of the digits and
    near-duplicates of an earlier character (e.g. Cyrillic A of Latin A), in code-point order."""
    counts: dict[str, int] = {}
    for f in FONTS:
        for ch in font_characters(f):
            counts[ch] = counts.get(ch, 0) + 1
    sans_chars = font_characters("DejaVuSans.ttf")
    chars = sorted(c for c, k in counts.items()
                   if k >= MIN_FONTS and c in sans_chars and eligible(c))
    keep = torch.ones(len(chars), dtype=torch.bool)
    sans = None
    for font in ("DejaVuSans.ttf", "DejaVuSerif.ttf"):
        x, ok = upright(font, chars)
        d, _ = upright(font, [str(i) for i in range(10)])
        u = _unit(x)
        near_digit = (u @ _unit(d).T).max(1).values > DIGIT_SIMILARITY
        keep &= ~(near_digit & torch.tensor(ok))
        if sans is None:
            sans = u
    # greedy de-duplication in code-point order (Latin first, then Greek, Cyrillic, ...)
    sim = sans @ sans.T
    idx = torch.nonzero(keep).flatten().tolist()
    kept: list[int] = []
    for i in idx:
        if not kept or sim[i, kept].max() <= DUPLICATE_SIMILARITY:
            kept.append(i)
    return tuple(chars[i] for i in kept)


@lru_cache(maxsize=4)
def classes(corpus: str) -> tuple[str, ...]:
    """The characters (classes) of a corpus: ``"narrow"`` (Latin + Greek letters) or ``"broad"``
    (the narrow ones plus a seeded sample of every script and symbol block, ``N_BROAD`` total)."""
    if corpus not in ("narrow", "broad"):
        raise ValueError(f"Unknown corpus {corpus!r}; use 'narrow' or 'broad'.")
    cand = _candidates()
    narrow = tuple(c for c in cand if unicodedata.category(c).startswith("L")
                   and any(lo <= ord(c) <= hi for lo, hi in NARROW_BLOCKS))
    if corpus == "narrow":
        return narrow
    rest = [c for c in cand if c not in set(narrow)]
    pick = np.random.default_rng(0).permutation(len(rest))[:N_BROAD - len(narrow)]
    return narrow + tuple(rest[i] for i in sorted(pick))


def class_names(corpus: str) -> list[str]:
    """The Unicode name of each class (the free text label), lower case."""
    return [unicodedata.name(c).lower() for c in classes(corpus)]


@dataclass
class Corpus:
    """Rendered images ``x`` (N, 1, 32, 32) in [0, 1], labels ``y`` (indices into ``chars``),
    the font index of each image, the characters and their Unicode names."""

    x: torch.Tensor
    y: torch.Tensor
    font: torch.Tensor
    chars: tuple[str, ...]
    names: list[str]


def render_corpus(corpus: str, n_images: int, seed: int = 0, ink_jitter: float = 0.08,
                  device: torch.device | str | None = None) -> Corpus:
    """``n_images`` scan-like images of a corpus, cycling over every (character, font) pair that
    exists, so each class gets ~``n_images / n_classes`` images in as many fonts as draw it.
    Deterministic in ``seed`` (different seeds give different affines and stroke weights)."""
    chars = classes(corpus)
    if n_images < 1:
        raise ValueError("n_images must be >= 1.")
    pairs = [(ci, fi) for ci, ch in enumerate(chars) for fi, f in enumerate(FONTS)
             if ch in font_characters(f)]
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(pairs), generator=gen)
    pick = order.repeat(math.ceil(n_images / len(pairs)))[:n_images]
    cache: dict[int, torch.Tensor] = {}
    canv = []
    for p in pick.tolist():
        if p not in cache:
            ci, fi = pairs[p]
            g = glyph_bitmap(FONTS[fi], chars[ci])
            cache[p] = fit_canvas(g) if g is not None else torch.zeros(CANVAS, CANVAS)
        canv.append(cache[p])
    ink = SCAN_INK + (torch.rand(n_images, generator=gen) * 2 - 1) * ink_jitter
    xs = [as_scans(torch.stack(canv[i:i + 2048]), ink[i:i + 2048], gen)
          for i in range(0, n_images, 2048)]
    y = torch.tensor([pairs[p][0] for p in pick.tolist()])
    font = torch.tensor([pairs[p][1] for p in pick.tolist()])
    x = torch.cat(xs).contiguous()
    return Corpus(x.to(device), y.to(device), font.to(device), chars, class_names(corpus))

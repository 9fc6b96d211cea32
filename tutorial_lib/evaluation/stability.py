"""Perturbation stability in the style of ImageNet-P (Hendrycks & Dietterich, ICLR 2019).

A *sequence* is a clean image followed by frames that move it a little further each step (a small
translation, a rotation, growing noise, a brightness step). A stable model keeps its prediction:

* flip probability FP = how often the top-1 prediction changes between consecutive frames (for
  noise sequences, whose frames are independent draws, between each frame and the clean one);
  flip rate FR = FP / FP(baseline), mFR = mean FR over the perturbation types.
* top-5 distance T5D: how much the top-5 ranking changes between the same pairs of frames,
  d = sum_{i=1..5} |(i - 1) - min(sigma(i) - 1, 5)|, where sigma(i) is the rank in the second frame of
  the class ranked i in the first (0 = same top-5 in the same order); mT5D likewise vs a baseline.

Sequences are batched: (frames, N, C, H, W); every frame of every image goes through the model in
one pass of ``sequence_logits``.

All ten ImageNet-P perturbations are here (``PERTURBATIONS``): gaussian and shot noise, motion and
zoom blur, snow, brightness, translate, rotate, tilt and scale. The step per frame comes from the
profile (``KNOBS``, ``knobs()``). **full** uses ImageNet-P's values (``make_imagenet_p.py`` in
github.com/hendrycks/robustness): noise frames are independent draws at a fixed level (sigma 0.03;
300 photons), motion blur (radius 10, sigma 3) and snow turn their streaks 4 degrees per frame,
zoom blur averages zooms 0.4% apart, brightness moves the HSV value by 0.02, translate 1 px,
rotate and tilt 1 degree, scale 2.5% per frame. **quick** keeps the kit's 32-px sequences for the
four of notebook 01 (``SEQUENCES``: translate 1 px, rotate 3 degrees, noise growing by sigma 0.03 per
frame, brightness +0.05) and scales the others to digits. Where a frame is a corruption of the
whole sequence (motion blur, snow) frame 0 is already corrupted, as in ImageNet-P; everywhere
else frame 0 is the clean image. ImageNet-P's validation perturbations (speckle, gaussian blur,
spatter, shear) are not included.

The released ImageNet-P videos are read by ``load_imagenet_p`` from
``$FRFM_DATA_DIR/imagenet-p/<perturbation>/<wnid>/*.mp4`` (needs PyAV).
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core.config import get_profile
from tutorial_lib.core.device import eval_batch_size
from tutorial_lib.evaluation import corruptions as C

PERTURBATIONS: tuple[str, ...] = ("gaussian_noise", "shot_noise", "motion_blur", "zoom_blur", "snow",
                                  "brightness", "translate", "rotate", "tilt", "scale")
KNOBS: dict[str, dict] = {
    "quick": {
        "sequences": ["translate", "rotate", "gaussian_noise", "brightness"],
        # kind -> step per frame (px, degrees, noise sigma, brightness offset, zoom, ...)
        "steps": {"translate": 1.0, "rotate": 3.0, "gaussian_noise": 0.03, "brightness": 0.05,
                  "shot_noise": 300.0, "motion_blur": 4.0, "zoom_blur": 0.01, "snow": 4.0,
                  "tilt": 2.0, "scale": 0.025},
        "noise": "growing",  # frame t has t times the noise
        "blur": (5.0, 1.5),  # motion blur (radius, sigma), ImageNet-P's (10, 3) x LENGTH_SCALE
        "snow": (0.05, 0.3, 1.5, 0.5, 7, 2, 0.85),  # ImageNet-P's snow layer, lengths halved
    },
    "full": {
        "sequences": list(PERTURBATIONS),
        "steps": {"translate": 1.0, "rotate": 1.0, "gaussian_noise": 0.03, "brightness": 0.02,
                  "shot_noise": 300.0, "motion_blur": 4.0, "zoom_blur": 0.004, "snow": 4.0,
                  "tilt": 1.0, "scale": 0.025},
        "noise": "fixed",  # every frame an independent draw at the same level (ImageNet-P)
        "blur": (10, 3.0),
        "snow": (0.05, 0.3, 3, 0.5, 14, 4, 0.85),  # loc, scale, zoom, threshold, radius, sigma, keep
    },
}
STEPS = KNOBS["quick"]["steps"]
SEQUENCES: tuple[str, ...] = tuple(KNOBS["quick"]["sequences"])
NOISE_LIKE = frozenset({"gaussian_noise", "shot_noise"})  # frames compared with the clean frame


def knobs(profile: str | None = None) -> dict:
    """A copy of ``KNOBS`` for ``profile`` (default: the active profile)."""
    return copy.deepcopy(KNOBS[get_profile(profile).name])


def _affine(x: torch.Tensor, angle_deg: torch.Tensor, shift_px: torch.Tensor,
            mode: str, scale: torch.Tensor | None = None) -> torch.Tensor:
    h, w = x.shape[-2:]
    a = torch.deg2rad(angle_deg).to(x)
    cos, sin = torch.cos(a), torch.sin(a)
    if scale is not None:  # zoom by ``scale`` about the centre: sample the input at 1/scale
        cos, sin = cos / scale.to(x), sin / scale.to(x)
    s = shift_px.to(x) * 2 / torch.tensor([w, h], dtype=x.dtype, device=x.device)
    theta = torch.stack([torch.stack([cos, -sin, -s[:, 0]], 1),
                         torch.stack([sin, cos, -s[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)


def tilt(x: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Perspective tilt of each image by ``degrees`` about both the horizontal and vertical axes
    (ImageNet-P's camera model: focal length = the image diagonal; 0 degrees is the identity),
    bilinear, zero fill."""
    n, _, h, w = x.shape
    f = math.hypot(w, h)

    def camera(th: float) -> torch.Tensor:
        p1 = torch.tensor([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1], [0, 0, 1]], dtype=torch.float64)
        c, s = math.cos(th), math.sin(th)
        rx = torch.tensor([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1]], dtype=torch.float64)
        ry = torch.tensor([[c, 0, -s, 0], [0, 1, 0, 0], [s, 0, c, 0], [0, 0, 0, 1]], dtype=torch.float64)
        t = torch.eye(4, dtype=torch.float64)
        t[2, 3] = f
        p2 = torch.tensor([[f, 0, w / 2, 0], [0, f, h / 2, 0], [0, 0, 1, 0]], dtype=torch.float64)
        return p2 @ t @ rx @ ry @ p1  # input pixel -> output pixel (3 x 3)

    flat = camera(0.0)  # ImageNet-P's model shrinks by f / (f + 1) at 0 degrees; divide that out
    inv = torch.stack([torch.linalg.inv(camera(math.radians(d)) @ torch.linalg.inv(flat))
                       for d in degrees.double().cpu().tolist()]).to(x)  # output -> input pixel
    ys, xs = torch.meshgrid(torch.arange(h, device=x.device, dtype=x.dtype),
                            torch.arange(w, device=x.device, dtype=x.dtype), indexing="ij")
    pix = torch.stack([xs, ys, torch.ones_like(xs)], -1).view(1, -1, 3)  # pixel (col, row, 1)
    src = pix @ inv.transpose(1, 2)
    src = src[..., :2] / src[..., 2:].clamp_min(1e-6)
    grid = torch.stack([(2 * src[..., 0] + 1) / w - 1, (2 * src[..., 1] + 1) / h - 1], -1)
    return F.grid_sample(x, grid.view(n, h, w, 2), mode="bilinear", padding_mode="zeros",
                         align_corners=False)


def _hsv_brightness(x: torch.Tensor, offset: float) -> torch.Tensor:
    if x.shape[1] == 1:
        return x + offset
    val = x.amax(1, keepdim=True)
    new = (val + offset).clamp(0, 1)
    return torch.where(val > 1e-6, x * (new / val.clamp_min(1e-6)), new.expand_as(x))


def perturbation_sequence(x: torch.Tensor, kind: str, frames: int = 6, step: float | None = None,
                          generator: torch.Generator | None = None,
                          profile: str | None = None) -> torch.Tensor:
    """(frames, N, C, H, W) sequence in [0, 1].

    translate: frame t shifts each image by t*step px (integer steps, nearest pixel, zero fill)
    along one of 8 compass directions drawn per image; rotate / tilt: t*step degrees, sign drawn
    per image; scale: zoom by 1 +- t*step (in or out drawn per image); gaussian_noise / shot_noise:
    fresh noise in every frame, sigma ``step`` / ``step`` photons per unit (quick: t times the
    noise); brightness: HSV value + t*step; zoom_blur: the mean of the clean image and its zooms
    by 1 + j*step, j = 1..t; motion_blur / snow: a fixed blur (snow layer) whose direction turns by
    ``step`` degrees per frame from a random start, so frame 0 is already blurred (snowy). Frame 0
    is ``x`` itself for every other kind. ``step`` and the blur sizes come from the profile.
    """
    if kind not in PERTURBATIONS:
        raise KeyError(f"Unknown perturbation {kind!r}; choose one of {', '.join(PERTURBATIONS)}.")
    if frames < 2:
        raise ValueError(f"A sequence needs at least 2 frames, got {frames}.")
    if not torch.is_tensor(x) or x.dim() != 4:
        raise ValueError("x must be a batch of images shaped (N, C, H, W).")
    k = KNOBS[get_profile(profile).name]
    step = k["steps"][kind] if step is None else step
    n = len(x)
    ts = range(1, frames)
    out = [x]
    if kind == "translate":
        dirs = torch.tensor([[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]],
                            dtype=torch.float32)
        d = dirs[torch.randint(0, 8, (n,), generator=generator)]
        out += [_affine(x, torch.zeros(n), d * round(t * step), "nearest") for t in ts]
    elif kind in ("rotate", "tilt", "scale"):
        sign = torch.randint(0, 2, (n,), generator=generator).float() * 2 - 1
        if kind == "rotate":
            out += [_affine(x, sign * t * step, torch.zeros(n, 2), "bilinear") for t in ts]
        elif kind == "tilt":
            out += [tilt(x, sign * t * step) for t in ts]
        else:
            out += [_affine(x, torch.zeros(n), torch.zeros(n, 2), "bilinear", 1 + sign * t * step)
                    for t in ts]
    elif kind == "gaussian_noise":
        grow = k["noise"] == "growing"
        out += [x + torch.randn(x.shape, generator=generator).to(x) * (t if grow else 1) * step
                for t in ts]
    elif kind == "shot_noise":
        grow = k["noise"] == "growing"
        xc = x.detach().float().cpu()
        out += [(torch.poisson(xc * step / (t if grow else 1), generator=generator)
                 / (step / (t if grow else 1))).to(x) for t in ts]
    elif kind == "brightness":
        out += [_hsv_brightness(x, t * step) for t in ts]
    elif kind == "zoom_blur":
        acc = x.clone()
        for t in ts:
            acc = acc + _affine(x, torch.zeros(n), torch.zeros(n, 2), "bilinear",
                                torch.full((n,), 1 + t * step))
            out.append(acc / (t + 1))
    else:  # motion_blur, snow: the streak direction turns by ``step`` degrees per frame
        start = torch.rand(n, generator=generator) * 360
        if kind == "motion_blur":
            radius, sigma = k["blur"]
            out = [C._conv_same(x, C.motion_kernels(radius, sigma, start + t * step))
                   for t in range(frames)]
        else:
            loc, scale, zoom, thresh, radius, sigma, keep = k["snow"]
            layer = torch.randn(n, 1, *x.shape[-2:], generator=generator).to(x) * scale + loc
            layer = C.clipped_zoom(layer, zoom)
            layer = torch.where(layer < thresh, torch.zeros_like(layer), layer).clamp(0, 1)
            base = keep * x + (1 - keep) * torch.maximum(x, C._gray(x) * 1.5 + 0.5)
            out = []
            for t in range(frames):
                streak = C._conv_same(layer, C.motion_kernels(radius, sigma, start + t * step),
                                      "replicate")  # ImageMagick's blur, as ImageNet-P
                out.append(base + streak + streak.flip(-1, -2))
    return torch.stack(out).clamp(0, 1)


def load_imagenet_p(kind: str, root: str | os.PathLike | None = None, n: int | None = None,
                    size: int = 224) -> tuple[torch.Tensor, torch.Tensor]:
    """The released ImageNet-P videos of one perturbation: ``(seq, y)`` with seq (frames, N, 3,
    size, size) in [0, 1] (videos cut to the shortest one) and y the class index of each video's
    wnid folder in sorted order. Reads ``<root>/imagenet-p/<kind>/<wnid>/*.mp4`` (root:
    ``$FRFM_DATA_DIR``) with ``torchvision.io.read_video``, which needs PyAV (``pip install av``).
    """
    from tutorial_lib.core.data import DATA_DIR_ENV, data_path

    if kind not in PERTURBATIONS:
        raise KeyError(f"Unknown perturbation {kind!r}; choose one of {', '.join(PERTURBATIONS)}.")
    base = Path(root).expanduser() if root is not None else \
        Path(os.environ.get(DATA_DIR_ENV) or data_path("downloads")).expanduser()
    folder = base / "imagenet-p" / kind
    if not folder.is_dir():
        raise FileNotFoundError(
            f"No ImageNet-P videos at {folder}. Download the release (zenodo.org/record/3565846, "
            f"Hendrycks & Dietterich 2019) and unpack it so that {base}/imagenet-p/<perturbation>/"
            "<wnid>/*.mp4 exists, or set FRFM_DATA_DIR to the folder holding 'imagenet-p'. "
            "Without it, perturbation_sequence() makes the sequences in memory.")
    wnids = sorted(d.name for d in folder.iterdir() if d.is_dir())
    files = [(f, k) for k, wnid in enumerate(wnids) for f in sorted((folder / wnid).glob("*.mp4"))]
    if not files:
        raise FileNotFoundError(f"{folder} has no <wnid>/*.mp4 videos; is the download complete?")
    files = files[:n] if n is not None else files
    try:
        import av  # noqa: F401
    except ImportError as err:
        raise ImportError("Reading ImageNet-P's mp4 videos needs PyAV: pip install av") from err
    from torchvision.io import read_video

    videos = []
    for f, _ in files:
        v = read_video(str(f), pts_unit="sec", output_format="TCHW")[0].float() / 255
        if v.shape[-1] != size or v.shape[-2] != size:
            v = F.interpolate(v, size=(size, size), mode="bilinear", antialias=True,
                              align_corners=False)
        videos.append(v.clamp(0, 1))
    t = min(len(v) for v in videos)
    return torch.stack([v[:t] for v in videos], 1), torch.tensor([k for _, k in files])


@torch.no_grad()
def sequence_logits(model: nn.Module, seq: torch.Tensor, batch_size: int | None = None) -> torch.Tensor:
    """Logits (frames, N, K) of every frame, batched over frames x images (model in eval mode)."""
    model.eval()
    batch_size = batch_size or eval_batch_size(seq.device)
    flat = seq.flatten(0, 1)
    out = torch.cat([model(flat[i:i + batch_size]).float().cpu()
                     for i in range(0, len(flat), batch_size)])
    return out.view(seq.shape[0], seq.shape[1], -1)


def _pairs(t: torch.Tensor, noise_like: bool) -> tuple[torch.Tensor, torch.Tensor]:
    if t.shape[0] < 2:
        raise ValueError("Need at least 2 frames.")
    first = t[:1].expand_as(t[1:]) if noise_like else t[:-1]
    return first, t[1:]


def flip_probability(logits: torch.Tensor, noise_like: bool = False,
                     per_image: bool = False) -> float | torch.Tensor:
    """Fraction of frame pairs whose top-1 prediction differs (consecutive, or vs the clean frame).

    ``logits`` is (frames, N, K); ``per_image=True`` gives each image's fraction, shape (N,)."""
    a, b = _pairs(logits.argmax(-1), noise_like)
    flips = (a != b).float()
    return flips.mean(0) if per_image else flips.mean().item()


def top5_distance(logits: torch.Tensor, noise_like: bool = False,
                  per_image: bool = False) -> float | torch.Tensor:
    """Mean top-5 ranking distance between frame pairs (0 = same top-5, same order); with
    ``per_image=True`` each image's mean over its pairs, shape (N,)."""
    if logits.shape[-1] < 5:
        raise ValueError(f"top-5 distance needs >= 5 classes, got {logits.shape[-1]}.")
    a, b = _pairs(logits, noise_like)
    rank_a = a.argsort(-1, descending=True)[..., :5]  # classes ranked 1..5 in frame a
    pos_b = b.argsort(-1, descending=True).argsort(-1)  # rank (0-based) of every class in frame b
    sigma = pos_b.gather(-1, rank_a)  # rank in frame b of the class ranked i in frame a
    i = torch.arange(5)
    d = (i - sigma.clamp(max=5)).abs().sum(-1).float()
    return d.mean(0) if per_image else d.mean().item()


def stability_report(models: Mapping[str, nn.Module], x: torch.Tensor,
                     kinds: Iterable[str] | None = None, frames: int = 6, seed: int = 0,
                     profile: str | None = None, per_image: bool = False):
    """``{model: {kind: {"fp": ..., "t5d": ...}}}``; each sequence is made once for all models.

    ``kinds`` defaults to the profile's list (quick: ``SEQUENCES``; full: all ten ImageNet-P ones);
    sequence j is seeded with ``seed + j``. With ``per_image=True`` returns ``(report, values)``,
    ``values[model]`` a (N, kinds, 2) array of each image's flip probability and top-5 distance
    from the same single pass (for bootstrap intervals over images).
    """
    kinds = list(knobs(profile)["sequences"] if kinds is None else kinds)
    out: dict[str, dict[str, dict[str, float]]] = {k: {} for k in models}
    values = {k: np.zeros((len(x), len(kinds), 2)) for k in models}
    for j, kind in enumerate(kinds):
        seq = perturbation_sequence(x, kind, frames, generator=torch.Generator().manual_seed(seed + j),
                                    profile=profile)
        for name, m in models.items():
            z = sequence_logits(m, seq)
            noise = kind in NOISE_LIKE
            out[name][kind] = {"fp": flip_probability(z, noise), "t5d": top5_distance(z, noise)}
            if per_image:
                values[name][:, j, 0] = flip_probability(z, noise, per_image=True).numpy()
                values[name][:, j, 1] = top5_distance(z, noise, per_image=True).numpy()
    return (out, values) if per_image else out


def mean_rate(report: Mapping[str, Mapping[str, float]], baseline: Mapping[str, Mapping[str, float]],
              key: str = "fp", skip_undefined: bool = False) -> dict[str, float]:
    """FR (key "fp") or T5D ratio (key "t5d") per perturbation vs the baseline, and their mean
    (``"mean"``: mFR or mT5D; 1.0 = as unstable as the baseline). Where the baseline never
    changes the ratio is undefined: a ValueError, or with ``skip_undefined`` a NaN entry left out
    of the mean (NaN if every entry is undefined)."""
    rates = {}
    for kind, r in report.items():
        den = baseline[kind][key]
        if den <= 0:
            if not skip_undefined:
                raise ValueError(f"The baseline never changes on {kind!r} ({key} = 0): the ratio is "
                                 "undefined; use more frames, a larger step or more images.")
            rates[kind] = float("nan")
            continue
        rates[kind] = r[key] / den
    defined = [v for v in rates.values() if not np.isnan(v)]
    rates["mean"] = float(np.mean(defined)) if defined else float("nan")
    return rates

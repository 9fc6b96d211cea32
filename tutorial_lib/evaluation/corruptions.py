"""ImageNet-C-style common corruptions as batched torch ops, 5 severities each, and mCE.

Hendrycks & Dietterich, *Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations* (ICLR 2019). Every function takes a batch ``x`` of (N, C, H, W) images in [0, 1] on
any device and returns the same shape, in [0, 1]; random ones take a CPU ``torch.Generator`` (the
same seed gives the same corruption).

How the ImageNet-C parameters (224-px photos) were adapted to the kit's 32x32 digits:

* Per-pixel noise keeps ImageNet-C's values, which do not depend on the image size: gaussian
  noise sigma, shot-noise photon counts, impulse (salt-and-pepper) fraction; so does JPEG quality.
* Lengths in pixels (blur sigmas and radii, motion-blur length) are multiplied by
  ``LENGTH_SCALE = 0.5``, i.e. 32/224 for the frame size times 3.5 for the content: the digits were
  scanned at 8x8 and upsampled 4x, so their finest detail is ~4 px wide where a photo's is ~1 px.
  With the plain 32/224 ratio (0.14), or 0.25, the blurs left both kit models at >= 98% accuracy at
  every severity (measured), i.e. they changed nothing.
* The global photometric ones (brightness, contrast, fog) use Hendrycks & Dietterich's own 32-px
  values (CIFAR-10-C): on digits (a white stroke on a black background) ImageNet-C's values grey
  out the whole image (contrast 0.05, fog strength 1.5..3, brightness +0.3..0.5 on the black
  background) and sent both kit models to chance from severity 1 or 3 on.
* Pixelate: ImageNet-C shrinks the image to 0.6..0.25 of its side and blows it back up. At 32 px
  those sizes include 16 and 8 px, whose blocks (2 and 4 px) line up with the ViT's 4-px patch grid,
  which collapses the ViT and breaks the monotone severity ladder. The kit uses 19, 15, 13, 10, 9 px
  (same 0.6..0.28 range), whose blocks do not tile the patch grid.
* Defocus blur uses an anti-aliased disk (pixel coverage by 8x8 super-sampling) in place of
  ImageNet-C's aliased disk + Gaussian ``alias_blur``, since the scaled radii are 0.75..2.5 px.
* Motion blur: a one-sided Gaussian-weighted line (ImageMagick's motion blur, which ImageNet-C
  calls through Wand) at a random angle in [-45, 45] degrees per image.
* Fog: the plasma fractal is synthesised as a sum of bilinearly upsampled random grids, octave k
  weighted by ``wibbledecay**-k`` (the diamond-square recursion's amplitude decay), normalised to
  [0, 1] per image as in ImageNet-C.
* JPEG: an 8x8 block DCT with the standard (Annex K) tables scaled by the quality as libjpeg does,
  8-bit rounding, no chroma subsampling (grey images have none anyway).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core.device import eval_batch_size

LENGTH_SCALE = 0.5  # pixel lengths, ImageNet-C -> 32-px digits (see module doc)

# severity 1..5 parameters (ImageNet-C's, adapted as described above)
PARAMS: dict[str, list] = {
    "gaussian_noise": [0.08, 0.12, 0.18, 0.26, 0.38],  # sigma
    "shot_noise": [60, 25, 12, 5, 3],  # photons per unit intensity
    "impulse_noise": [0.03, 0.06, 0.09, 0.17, 0.27],  # fraction of pixels set to 0 or 1
    "defocus_blur": [r * LENGTH_SCALE for r in (3, 4, 6, 8, 10)],  # disk radius (px)
    "gaussian_blur": [s * LENGTH_SCALE for s in (1, 2, 3, 4, 6)],  # sigma (px)
    "motion_blur": [(r * LENGTH_SCALE, s * LENGTH_SCALE)
                    for r, s in ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15))],  # (radius, sigma)
    "brightness": [0.05, 0.1, 0.15, 0.2, 0.3],  # added to the HSV value (CIFAR-10-C)
    "contrast": [0.75, 0.5, 0.4, 0.3, 0.15],  # CIFAR-10-C factors (see module doc)
    "fog": [(0.2, 3.0), (0.5, 3.0), (0.75, 2.5), (1.0, 2.0), (1.5, 1.75)],  # (strength, decay), CIFAR-10-C
    "pixelate": [19, 15, 13, 10, 9],  # side (px) of the shrunk image, off the 4-px patch grid
    "jpeg": [25, 18, 15, 10, 7],  # quality
}
FAMILIES = {"noise": ["gaussian_noise", "shot_noise", "impulse_noise"],
            "blur": ["defocus_blur", "gaussian_blur", "motion_blur"],
            "weather": ["brightness", "contrast", "fog"],
            "digital": ["pixelate", "jpeg"]}


def _rand(shape: Sequence[int], generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    return torch.rand(tuple(shape), generator=generator).to(like.device, like.dtype)


def _randn(shape: Sequence[int], generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    return torch.randn(tuple(shape), generator=generator).to(like.device, like.dtype)


def _conv_same(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Convolve each image with its own (N, k, k) kernel, or all with one (k, k) kernel (reflect pad)."""
    n, c, h, w = x.shape
    k = kernels.shape[-1]
    pad = k // 2
    if kernels.dim() == 2:
        kernels = kernels.expand(n, k, k)
    weight = kernels.to(x).repeat_interleave(c, 0).unsqueeze(1)  # (N*C, 1, k, k)
    mode = "reflect" if pad < min(h, w) else "replicate"
    xp = F.pad(x.reshape(1, n * c, h, w), (pad, pad, pad, pad), mode=mode)
    return F.conv2d(xp, weight, groups=n * c).reshape(n, c, h, w)


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """Normalised 2-D Gaussian kernel of radius ceil(3 sigma)."""
    r = max(1, math.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    g = torch.exp(-t**2 / (2 * sigma**2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def disk_kernel(radius: float, supersample: int = 8) -> torch.Tensor:
    """Anti-aliased disk: each tap is the fraction of its pixel covered by the disk."""
    r = math.ceil(radius)
    sub = (torch.arange(supersample, dtype=torch.float32) + 0.5) / supersample - 0.5
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    pos = (t[:, None] + sub[None, :]).reshape(-1)  # sub-pixel coordinates
    inside = (pos[:, None] ** 2 + pos[None, :] ** 2 <= radius**2).float()
    k = inside.reshape(2 * r + 1, supersample, 2 * r + 1, supersample).mean((1, 3))
    return k / k.sum()


def motion_kernels(radius: float, sigma: float, angles_deg: torch.Tensor) -> torch.Tensor:
    """One-sided Gaussian-weighted line kernels, one per angle: (N, k, k), bilinearly splatted."""
    r = max(1, math.ceil(radius))
    size = 2 * r + 1
    t = torch.arange(0, r + 1, dtype=torch.float32)
    w = torch.exp(-t**2 / (2 * sigma**2))
    a = torch.deg2rad(angles_deg.float().cpu())[:, None]
    px, py = r + t * torch.cos(a), r - t * torch.sin(a)  # (N, r+1) positions in the kernel
    x0, y0 = px.floor(), py.floor()
    k = torch.zeros(len(angles_deg), size * size)
    for dx in (0, 1):
        for dy in (0, 1):
            xi, yi = (x0 + dx).clamp(0, size - 1), (y0 + dy).clamp(0, size - 1)
            wt = (1 - (px - x0 - dx).abs()) * (1 - (py - y0 - dy).abs()) * w
            k.scatter_add_(1, (yi * size + xi).long(), wt)
    k = k.view(-1, size, size)
    return k / k.sum((1, 2), keepdim=True)


def plasma(n: int, size: int, wibbledecay: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fractal (plasma-like) noise (n, 1, size, size) in [0, 1]: octave k has amplitude decay**-k."""
    octaves = max(1, math.ceil(math.log2(size)))
    out = torch.zeros(n, 1, size, size)
    for k in range(octaves + 1):
        grid = torch.rand(n, 1, 2**k + 1, 2**k + 1, generator=generator) * 2 - 1
        out += F.interpolate(grid, size=(size, size), mode="bilinear", align_corners=True) \
            * wibbledecay ** (-k)
    lo = out.amin((1, 2, 3), keepdim=True)
    hi = out.amax((1, 2, 3), keepdim=True)
    return (out - lo) / (hi - lo).clamp_min(1e-12)


_Y_TABLE = torch.tensor([
    [16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]], dtype=torch.float32)
_C_TABLE = torch.full((8, 8), 99.0)
_C_TABLE[:4, :4] = torch.tensor([[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99],
                                 [47, 66, 99, 99]], dtype=torch.float32)


def quant_table(quality: int, chroma: bool = False) -> torch.Tensor:
    """libjpeg's quality scaling of the Annex K table (quality 1..100)."""
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be in 1..100, got {quality}.")
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    base = _C_TABLE if chroma else _Y_TABLE
    return ((base * scale + 50) // 100).clamp(1, 255)


def dct_matrix(n: int = 8) -> torch.Tensor:
    """Orthonormal DCT-II matrix D (rows = frequencies): coefficients = D @ block @ D.T."""
    k = torch.arange(n, dtype=torch.float64)[:, None]
    i = torch.arange(n, dtype=torch.float64)[None, :]
    d = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
    d[0] /= math.sqrt(2)
    return d.float()


def jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """JPEG round trip by 8x8 block DCT + quantisation (YCbCr for colour, no chroma subsampling)."""
    n, c, h, w = x.shape
    ph, pw = (-h) % 8, (-w) % 8
    v = F.pad(x, (0, pw, 0, ph), mode="replicate") * 255
    if c == 3:
        m = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5],
                          [0.5, -0.418688, -0.081312]], device=x.device, dtype=x.dtype)
        v = torch.einsum("ij,njhw->nihw", m, v) + torch.tensor([0, 128, 128], device=x.device,
                                                                  dtype=x.dtype).view(1, 3, 1, 1)
    v = v.round() - 128
    H, W = v.shape[-2:]
    blocks = v.view(n, c, H // 8, 8, W // 8, 8).permute(0, 1, 2, 4, 3, 5)  # (n,c,bh,bw,8,8)
    d = dct_matrix()
    k = torch.kron(d, d).to(x)  # 2-D DCT of a flattened 8x8 block: vec(D B D^T) = (D kron D) vec(B)
    tables = [quant_table(quality, chroma=(c == 3 and ch > 0)) for ch in range(c)]
    q = torch.stack(tables).to(x).view(1, c, 1, 1, 64)
    coef = blocks.reshape(n, c, H // 8, W // 8, 64) @ k.T  # one GEMM for every block
    rec = ((coef / q).round() * q) @ k + 128
    v = rec.view(n, c, H // 8, W // 8, 8, 8).permute(0, 1, 2, 4, 3, 5).reshape(n, c, H, W)
    if c == 3:
        v = v - torch.tensor([0, 128, 128], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        mi = torch.tensor([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]],
                          device=x.device, dtype=x.dtype)
        v = torch.einsum("ij,njhw->nihw", mi, v)
    return (v.round().clamp(0, 255) / 255)[..., :h, :w]


# ----------------------------------------------------------------------------- the corruptions
def _gaussian_noise(x, p, g):
    return x + _randn(x.shape, g, x) * p


def _shot_noise(x, p, g):
    counts = torch.poisson((x * p).detach().float().cpu(), generator=g)
    return counts.to(x.device, x.dtype) / p


def _impulse_noise(x, p, g):
    u = _rand(x.shape, g, x)  # one uniform per pixel: hit if u < p, and then salt if u < p / 2
    return torch.where(u < p, (u < p / 2).to(x.dtype), x)


def _defocus_blur(x, p, g):
    return _conv_same(x, disk_kernel(p))


def _gaussian_blur(x, p, g):
    return _conv_same(x, gaussian_kernel(p))


def _motion_blur(x, p, g):
    radius, sigma = p
    angles = torch.rand(len(x), generator=g) * 90 - 45
    return _conv_same(x, motion_kernels(radius, sigma, angles))


def _brightness(x, p, g):
    if x.shape[1] == 1:
        return x + p
    v = x.amax(1, keepdim=True)  # HSV value; hue and saturation kept: scale RGB with V
    return x * ((v + p).clamp(max=1) / v.clamp_min(1e-6))


def _contrast(x, p, g):
    mean = x.mean((1, 2, 3), keepdim=True)
    return (x - mean) * p + mean


def _fog(x, p, g):
    strength, decay = p
    top = x.amax((1, 2, 3), keepdim=True)
    fog = plasma(len(x), max(x.shape[-2:]), decay, g)[..., :x.shape[-2], :x.shape[-1]]
    return (x + strength * fog.to(x)) * top / (top + strength)


def _pixelate(x, p, g):
    h, w = x.shape[-2:]
    small = F.interpolate(x, size=(max(1, round(p * h / 32)), max(1, round(p * w / 32))),
                          mode="area")
    return F.interpolate(small, size=(h, w), mode="nearest")


def _jpeg(x, p, g):
    return jpeg(x, p)


_FUNCS: dict[str, Callable] = {
    "gaussian_noise": _gaussian_noise, "shot_noise": _shot_noise, "impulse_noise": _impulse_noise,
    "defocus_blur": _defocus_blur, "gaussian_blur": _gaussian_blur, "motion_blur": _motion_blur,
    "brightness": _brightness, "contrast": _contrast, "fog": _fog, "pixelate": _pixelate,
    "jpeg": _jpeg,
}
CORRUPTIONS: tuple[str, ...] = tuple(_FUNCS)


def corrupt(x: torch.Tensor, name: str, severity: int,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply ImageNet-C-style corruption ``name`` at ``severity`` (1..5) to a batch in [0, 1].

    Same shape and device as ``x``, values in [0, 1]. Random corruptions draw from ``generator``
    (a CPU ``torch.Generator``; the same seed gives the same corruption). Pixel sizes are written
    for 32-px images and scale with the image size for pixelate.
    """
    if name not in _FUNCS:
        raise KeyError(f"Unknown corruption {name!r}. Choose one of: {', '.join(CORRUPTIONS)}.")
    if isinstance(severity, bool) or not isinstance(severity, (int, np.integer)) \
            or not 1 <= severity <= 5:
        raise ValueError(f"severity must be an integer 1..5, got {severity!r}.")
    if not torch.is_tensor(x) or x.dim() != 4:
        raise ValueError("x must be a batch of images shaped (N, C, H, W); add a batch dimension "
                         "with x[None] for one image.")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError("x must hold raw pixels in [0, 1] (clamp it with x.clamp(0, 1)).")
    p = PARAMS[name][int(severity) - 1]
    with torch.no_grad():
        return _FUNCS[name](x, p, generator).clamp(0, 1)


# ----------------------------------------------------------------------------- evaluation
@torch.no_grad()
def corruption_errors(models: Mapping[str, nn.Module], x: torch.Tensor, y: torch.Tensor,
                      names: Iterable[str] = CORRUPTIONS, seed: int = 0,
                      batch_size: int | None = None) -> dict[str, dict[str, list[float]]]:
    """Top-1 error of each model on every corruption and severity, plus ``"clean"``.

    Each corrupted batch is made once (seeded per corruption and severity) and shown to every
    model. Returns ``{model: {"clean": [err], name: [err at severity 1..5], ...}}``.
    """
    batch_size = batch_size or eval_batch_size(x.device)
    def err(m: nn.Module, xs: torch.Tensor) -> float:
        wrong = sum((m(xs[i:i + batch_size]).argmax(1) != y[i:i + batch_size]).sum().item()
                    for i in range(0, len(xs), batch_size))
        return wrong / len(xs)

    for m in models.values():
        m.eval()
    out = {k: {"clean": [err(m, x)]} for k, m in models.items()}
    for j, name in enumerate(names):
        for s in range(1, 6):
            xc = corrupt(x, name, s, torch.Generator().manual_seed(seed + 100 * j + s))
            for k, m in models.items():
                out[k].setdefault(name, []).append(err(m, xc))
    return out


def mce(errors: Mapping[str, Sequence[float]], baseline: Mapping[str, Sequence[float]],
        names: Iterable[str] | None = None) -> dict[str, float]:
    """Corruption Error per corruption and their mean (Hendrycks & Dietterich 2019).

    CE_c = sum_s E_{s,c}(model) / sum_s E_{s,c}(baseline); mCE = mean_c CE_c. ``errors`` and
    ``baseline`` map corruption names to the 5 per-severity errors (as ``corruption_errors``
    gives). Returns ``{name: CE, ..., "mCE": mean}`` (1.0 = as bad as the baseline).
    """
    names = [n for n in (names or errors) if n != "clean"]
    ce = {}
    for n in names:
        if n not in baseline:
            raise KeyError(f"The baseline has no errors for {n!r}.")
        den = float(np.sum(baseline[n]))
        if den <= 0:
            raise ValueError(f"The baseline makes no error on {n!r}: CE is undefined; choose a "
                             "weaker baseline or harder severities.")
        ce[n] = float(np.sum(errors[n])) / den
    ce["mCE"] = float(np.mean(list(ce.values())))
    return ce


def relative_mce(errors: Mapping[str, Sequence[float]], baseline: Mapping[str, Sequence[float]],
                 names: Iterable[str] | None = None, skip_undefined: bool = False) -> dict[str, float]:
    """Relative CE: the model's *drop* from its clean error over the baseline's drop.

    relCE_c = sum_s (E_{s,c} - E_clean) / sum_s (E^base_{s,c} - E^base_clean); both mappings need
    ``"clean"`` (a one-element list). Returns ``{name: relCE, ..., "relative_mCE": mean}``. Where
    the baseline loses no accuracy the ratio is undefined: a ValueError, or with
    ``skip_undefined`` a NaN entry left out of the mean.
    """
    for m, label in ((errors, "errors"), (baseline, "baseline")):
        if "clean" not in m:
            raise KeyError(f"{label} needs a 'clean' entry (the clean error) for relative mCE.")
    names = [n for n in (names or errors) if n != "clean"]
    e0, b0 = float(np.ravel(errors["clean"])[0]), float(np.ravel(baseline["clean"])[0])
    rel = {}
    for n in names:
        den = float(np.sum(np.asarray(baseline[n]) - b0))
        if den <= 0:
            if not skip_undefined:
                raise ValueError(f"The baseline loses no accuracy on {n!r}: relative CE is "
                                 "undefined (pass skip_undefined=True to leave it out).")
            rel[n] = float("nan")
            continue
        rel[n] = float(np.sum(np.asarray(errors[n]) - e0)) / den
    defined = [v for v in rel.values() if not np.isnan(v)]
    rel["relative_mCE"] = float(np.mean(defined)) if defined else float("nan")
    return rel

"""Image transforms shared by the lessons, all batched (N, C, H, W) in [0, 1].

- ``random_affine``, ``random_erasing``, ``digits_augment``: the kit's training augmentation;
- ``pen_shift``: the digits "written by another hand" (thicker/thinner pen, smaller writing);
- ``rotate_images``: a fixed rotation of a batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(x: torch.Tensor, max_degrees: float = 10.0, scale: tuple[float, float] = (0.9, 1.1),
                  max_shift_px: float = 3.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Per-image random rotation, scale and shift of a batch, in one ``grid_sample`` call."""
    n, _, h, w = x.shape
    r = lambda *s: torch.rand(*s, generator=generator).to(x.device)
    angle = (r(n) * 2 - 1) * math.radians(max_degrees)
    s = scale[0] + r(n) * (scale[1] - scale[0])
    shift = (r(n, 2) * 2 - 1) * max_shift_px * 2 / torch.tensor([w, h], device=x.device)
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


def random_erasing(x: torch.Tensor, p: float = 0.25, area: tuple[float, float] = (0.02, 0.2),
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero one random rectangle in a fraction ``p`` of the images (batched masks, no loop)."""
    n, _, h, w = x.shape
    r = lambda *s: torch.rand(*s, generator=generator).to(x.device)
    a = (area[0] + r(n) * (area[1] - area[0])) * h * w
    aspect = torch.exp((r(n) * 2 - 1) * math.log(3.0))
    eh = (a * aspect).sqrt().clamp(1, h)
    ew = (a / aspect).sqrt().clamp(1, w)
    top, left = r(n) * (h - eh), r(n) * (w - ew)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    box = ((rows >= top.view(-1, 1, 1)) & (rows < (top + eh).view(-1, 1, 1))
           & (cols >= left.view(-1, 1, 1)) & (cols < (left + ew).view(-1, 1, 1)))
    box &= (r(n) < p).view(-1, 1, 1)
    return x.masked_fill(box.unsqueeze(1), 0.0)


def digits_augment(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The kit's digit augmentation: random affine (±10°, scale 0.9–1.1, ±3 px) + erasing."""
    return random_erasing(random_affine(x, generator=generator), generator=generator).clamp(0, 1)



def pen_shift(x: torch.Tensor, thickness: int = 1,
              scale: float = 0.9) -> torch.Tensor:
    """The digits "written by another hand": (N, C, H, W) images in [0, 1] -> same shape.

    ``thickness`` > 0 thickens strokes by a grey-level dilation with a (2t+1)-pixel square
    (< 0 thins them by erosion); ``scale`` < 1 shrinks the writing about the image centre
    (> 1 enlarges it, cropping the border). ``pen_shift(x, 0, 1.0)`` returns ``x``.
    """
    if not torch.is_tensor(x) or x.dim() != 4:
        raise ValueError("pen_shift expects a batch of images shaped (N, C, H, W) in [0, 1].")
    if int(thickness) != thickness:
        raise ValueError(f"thickness must be an integer number of pixels, got {thickness}.")
    if not 0.2 <= scale <= 3.0:
        raise ValueError(f"scale must be in [0.2, 3] (1 = unchanged), got {scale}.")
    t = int(abs(thickness))
    if thickness > 0:
        x = F.max_pool2d(x, 2 * t + 1, stride=1, padding=t)
    elif thickness < 0:
        x = -F.max_pool2d(-x, 2 * t + 1, stride=1, padding=t)
    if scale != 1.0:
        theta = torch.tensor([[1 / scale, 0.0, 0.0], [0.0, 1 / scale, 0.0]], dtype=x.dtype,
                             device=x.device).expand(x.shape[0], 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
    return x.clamp(0, 1)


def rotate_images(x: torch.Tensor, degrees: float) -> torch.Tensor:
    """Rotate a batch of images by ``degrees`` about the centre (bilinear, zero fill), in [0, 1]."""
    t = math.radians(degrees)
    theta = torch.tensor(
        [[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0]],
        dtype=x.dtype,
        device=x.device,
    ).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False).clamp(0, 1)

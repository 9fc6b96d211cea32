"""Attention in a timm ViT: the softmax weights, mean attention distance, attention rollout.

timm computes attention with fused ``scaled_dot_product_attention`` by default, so there is no
softmax to look at. ``attention_weights`` switches every block's ``attn.fused_attn`` off (the
output is the same up to float rounding) and records the softmax of each block with a forward
hook on ``attn.attn_drop`` (an identity in eval mode, applied right after the softmax).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from tutorial_lib.core.config import pick_knobs

# Lesson knobs per profile: images for the mean attention distance, images shown in the maps.
KNOBS = {"quick": {"n_images": 128, "n_show": 6}, "full": {"n_images": 64, "n_show": 6},
         "smoke": {"n_images": 4, "n_show": 3}}  # smoke: FRFM_SMOKE=1


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def vit_net(model: nn.Module) -> nn.Module:
    """The timm ``VisionTransformer`` inside ``model`` (an ``ImageClassifier`` or the net itself);
    a clear ``ValueError`` for anything else (e.g. the CNN, which has no attention)."""
    from timm.models.vision_transformer import VisionTransformer

    net = getattr(model, "net", model)
    if not isinstance(net, VisionTransformer):
        raise ValueError(
            f"Attention probes need a timm VisionTransformer; got {type(net).__name__} "
            f"({getattr(model, 'name', '') or 'unnamed model'}). CNNs have no attention weights: "
            "pass the ViT (e.g. load_model('vit_digits') or 'vit_small_patch16_224').")
    return net


def disable_fused_attention(model: nn.Module) -> int:
    """Switch every block's ``attn.fused_attn`` off so the softmax is computed explicitly.
    Returns the number of blocks changed (no environment variable needed)."""
    net = vit_net(model)
    for blk in net.blocks:
        blk.attn.fused_attn = False
    return len(net.blocks)


def patch_grid(model: nn.Module) -> tuple[int, int, int]:
    """(grid rows, grid cols, patch size in pixels) of a timm ViT."""
    pe = vit_net(model).patch_embed
    gh, gw = pe.grid_size
    return int(gh), int(gw), int(pe.patch_size[0])


@torch.no_grad()
def attention_weights(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Softmax attention of every block: (layers, N, heads, tokens, tokens); rows sum to 1.
    Tokens are the prefix tokens (class token) first, then the patches in row-major order."""
    net = vit_net(model)
    disable_fused_attention(model)
    maps: list[torch.Tensor] = []
    hooks = [blk.attn.attn_drop.register_forward_hook(lambda m, i, o: maps.append(o.detach()))
             for blk in net.blocks]
    try:
        model.eval()(x)
    finally:
        for h in hooks:
            h.remove()
    if len(maps) != len(net.blocks):
        raise RuntimeError("Did not capture one attention map per block; is fused attention "
                           "still on in a custom block?")
    return torch.stack(maps)


def patch_distances(gh: int, gw: int, patch: int) -> torch.Tensor:
    """(gh*gw, gh*gw) Euclidean distances in pixels between patch centres (row-major order)."""
    r, c = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij")
    pos = torch.stack([r.flatten(), c.flatten()], 1).float() * patch
    return torch.cdist(pos, pos)


def distance_from_weights(attn: torch.Tensor, gh: int, gw: int, patch: int,
                          num_prefix: int = 1) -> torch.Tensor:
    """Mean attention distance in pixels from weights (..., T, T) -> (...).

    Patch-to-patch attention only: the prefix (class) token rows and columns are dropped and each
    query's weights renormalised over the patches; the distance to each key patch, weighted by
    attention, is averaged over the queries. Uniform attention over an 8 x 8 grid of 4-px
    patches gives 16.5 px; attending only to oneself gives 0."""
    a = attn[..., num_prefix:, num_prefix:]
    if a.shape[-1] != gh * gw or a.shape[-2] != gh * gw:
        raise ValueError(f"attention over {a.shape[-1]} patch tokens does not match a "
                         f"{gh}x{gw} grid (num_prefix={num_prefix}).")
    a = a / a.sum(-1, keepdim=True).clamp_min(1e-12)
    d = patch_distances(gh, gw, patch).to(a)
    return (a * d).sum(-1).mean(-1)


def mean_attention_distance(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """(layers, heads) mean attention distance in pixels over the images ``x`` (Dosovitskiy et
    al. 2021, fig. 7): how far, on average, each head looks from the query patch."""
    gh, gw, patch = patch_grid(model)
    p = vit_net(model).num_prefix_tokens
    total, n = None, 0
    for i in range(0, len(x), batch_size):
        w = attention_weights(model, x[i:i + batch_size])  # (L, B, H, T, T)
        d = distance_from_weights(w, gh, gw, patch, p).sum(1)  # (L, H), summed over images
        total = d if total is None else total + d
        n += len(w[0])
    return total / n


def uniform_attention_distance(model: nn.Module) -> float:
    """The mean distance of a head that spreads its attention evenly over all patches."""
    gh, gw, patch = patch_grid(model)
    return patch_distances(gh, gw, patch).mean().item()


def attention_rollout(attn: torch.Tensor, residual: float = 0.5) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema 2020): heads averaged, the residual connection added as
    ``residual * I``, rows renormalised, layers multiplied. (L, N, H, T, T) -> (N, T, T)."""
    if attn.dim() != 5:
        raise ValueError(f"expected (layers, N, heads, T, T) weights; got {tuple(attn.shape)}.")
    a = attn.mean(2)
    eye = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    a = (1 - residual) * a + residual * eye
    a = a / a.sum(-1, keepdim=True)
    out = a[0]
    for layer in a[1:]:
        out = layer @ out
    return out


def rollout_map(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """(N, gh, gw) rollout relevance of each patch for the model's read-out: the class token's row
    for class-token models, the average of the patch rows for average-pooling ones."""
    net = vit_net(model)
    gh, gw, _ = patch_grid(model)
    p = net.num_prefix_tokens
    r = attention_rollout(attention_weights(model, x))
    read = r[:, 0, p:] if net.global_pool == "token" else r[:, p:, p:].mean(1)
    read = read / read.sum(-1, keepdim=True)
    return read.reshape(-1, gh, gw)


def readout_attention(weights: torch.Tensor, model: nn.Module) -> torch.Tensor:
    """(L, N, H, gh, gw): what the read-out attends to in each layer and head — the class-token
    query for class-token models, the mean over patch queries for average-pooling ones."""
    net = vit_net(model)
    gh, gw, _ = patch_grid(model)
    p = net.num_prefix_tokens
    q = weights[..., 0, p:] if net.global_pool == "token" else weights[..., p:, p:].mean(-2)
    return q.reshape(*q.shape[:-1], gh, gw)

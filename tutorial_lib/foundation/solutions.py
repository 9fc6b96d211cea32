"""Reference solutions of notebook 14's exercises (the checker falls back to these)."""

from __future__ import annotations

import torch


def forward_step(alpha: torch.Tensor, T: torch.Tensor, likelihood: torch.Tensor) -> torch.Tensor:
    """One forward step over (concept, state) pairs: predict with the transitions, weigh by the
    likelihood of the observed token, renormalise.

    ``alpha`` (N, C, H), ``T`` (C, H, H), ``likelihood`` (N, C, H) -> (N, C, H)."""
    predicted = (alpha.unsqueeze(-1) * T.unsqueeze(0)).sum(dim=2)  # sum over the previous state
    unnormalised = predicted * likelihood
    return unnormalised / unnormalised.sum(dim=(1, 2), keepdim=True)


def order_flip_rate(preds_by_order: torch.Tensor) -> torch.Tensor:
    """Per prompt, the fraction of orderings whose prediction differs from the first ordering's
    (``preds_by_order`` is (orders, N) predicted tokens) -> (N,)."""
    return (preds_by_order[1:] != preds_by_order[:1]).float().mean(0)


def leaks_digit(ch: str) -> bool:
    """Notebook 15: True when a character *is* a digit in Unicode's eyes: its category is a number
    (Nd decimal digit, No other number such as a superscript or circled digit, Nl letter number
    such as a Roman numeral), or its compatibility decomposition (NFKD) contains one."""
    import unicodedata

    return any(unicodedata.category(c).startswith("N")
               for c in ch + unicodedata.normalize("NFKD", ch))

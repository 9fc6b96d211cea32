"""Reference solutions of notebook 04's exercises (the checker falls back to these)."""

from __future__ import annotations

from collections import Counter

from .obfuscate import insert_dead_code
from .programs import Program, is_insert


def most_used_sites(program: Program, k: int) -> list[str]:
    """Site selection rule: the k renameable sites with the most occurrences in the program
    (insert sites excluded; ties keep the earlier site)."""
    counts = Counter(o for o, prev in zip(program.origins, [None] + program.origins[:-1])
                     if o is not None and o != prev)
    sites = [s for s in program.sites if not is_insert(s)]
    return sorted(sites, key=lambda s: -counts[s])[:k]


def dead_if(source: str, line: int, word: str) -> str:
    """A new obfuscation: a dead ``if False:`` block that assigns to a (misleading) fresh name,
    inserted before ``line``."""
    return insert_dead_code(source, line, f"if False:\n    {word} = None")


def subtoken_prf(pred: list[str], true: list[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of one predicted name (subtokens counted once)."""
    p = list(dict.fromkeys(pred))
    tp = sum(t in true for t in p)
    prec = tp / len(p) if p else 0.0
    rec = tp / len(set(true)) if true else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)

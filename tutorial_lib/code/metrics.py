"""Subtoken precision / recall / F1 (code2seq's definition) and the two non-neural baselines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def subtoken_counts(pred: Sequence[str], true: Sequence[str]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of one prediction, code2seq style:
    a predicted subtoken counts as correct if it is in the true name (each at most once)."""
    pred = [p for i, p in enumerate(pred) if p not in pred[:i]]
    tp = sum(1 for p in pred if p in true)
    return tp, len(pred) - tp, len(set(true)) - tp


def subtoken_f1(preds: Sequence[Sequence[str]], trues: Sequence[Sequence[str]]) -> dict[str, float]:
    """Micro-averaged subtoken precision, recall and F1 over a corpus."""
    if len(preds) != len(trues):
        raise ValueError(f"{len(preds)} predictions for {len(trues)} targets: pass one list each.")
    tp = fp = fn = 0
    for p, t in zip(preds, trues):
        a, b, c = subtoken_counts(list(p), list(t))
        tp, fp, fn = tp + a, fp + b, fn + c
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1}


def most_frequent_name_baseline(train_targets: Sequence[Sequence[str]], k: int = 2) -> list[str]:
    """The k most frequent name subtokens of the training set (predicted for every function)."""
    return [t for t, _ in Counter(s for tt in train_targets for s in tt).most_common(k)]


_SKIP = {"self", "cls", "return", "if", "else", "for", "in", "not", "none", "is", "def", "and", "or",
         "true", "false", "import", "from", "as", "with", "raise", "try", "except", "pass", "while",
         "lambda", "yield", "elif", "<name>", "<str>", "<num>", "del", "assert", "global", "async",
         "await", "break", "continue", "finally", "class", "nonlocal", "args", "kwargs"}


def copy_frequent_baseline(tokens: Sequence[str], k: int = 2) -> list[str]:
    """"Copy the k most frequent body subtokens": the identifier subtokens a function uses most
    (keywords, self/cls, args/kwargs and punctuation skipped)."""
    counts = Counter(t for t in tokens if t.isalpha() and t not in _SKIP and len(t) > 1)
    return [t for t, _ in counts.most_common(k)]

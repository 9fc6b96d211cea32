"""The lesson's table: subtoken F1 clean vs each attack at k sites, for one or more models."""

from __future__ import annotations

import time

from .attacks import ATTACKS, Program, attack, attacked_tokens
from .dataset import Vocab
from .metrics import subtoken_f1
from .model import NamePredictor, predict_tokens

N_EVAL = {"quick": 200, "full": 3000}  # test functions the notebook attacks live


def attack_table(models: dict[str, NamePredictor], programs: list[Program], vocab: Vocab,
                 ks: tuple[int, ...] = (1, 5), attacks: tuple[str, ...] = ATTACKS, seed: int = 0,
                 steps: int = 2) -> list[dict]:
    """Rows ``{model, attack, k, f1, precision, recall, changed, seconds, preds, edits}``;
    ``attack`` "clean" has k = 0. ``changed`` = share of programs whose predicted name differs
    from the clean one; ``preds``/``edits`` per program."""
    rows = []
    trues = [p.target for p in programs]
    for mname, model in models.items():
        t0 = time.perf_counter()
        clean = predict_tokens(model, [p.tokens for p in programs], vocab)
        rows.append({"model": mname, "attack": "clean", "k": 0, **subtoken_f1(clean, trues),
                     "changed": 0.0, "seconds": round(time.perf_counter() - t0, 2), "preds": clean,
                     "edits": [{} for _ in programs]})
        for kind in attacks:
            for k in ks:
                t0 = time.perf_counter()
                edits = attack(model, programs, vocab, kind, k=k, steps=steps, seed=seed)
                preds = predict_tokens(model, attacked_tokens(programs, edits), vocab)
                changed = sum(a != b for a, b in zip(preds, clean)) / max(len(programs), 1)
                rows.append({"model": mname, "attack": kind, "k": k, **subtoken_f1(preds, trues),
                             "changed": changed, "seconds": round(time.perf_counter() - t0, 2),
                             "preds": preds, "edits": edits})
    return rows

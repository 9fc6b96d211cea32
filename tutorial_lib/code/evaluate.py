"""The lesson's tables: subtoken F1 clean vs each attack at k sites, per program, with paired
bootstrap intervals (``tutorial_lib.core.verdict``)."""

from __future__ import annotations

import time

import numpy as np

from tutorial_lib.core import verdict

from .attacks import attack
from .dataset import Vocab
from .metrics import subtoken_counts
from .model import NamePredictor, predict_tokens
from .programs import Program, attacked_tokens

N_EVAL = {"quick": 1000, "full": 3000}  # test functions the notebook attacks live


def counts(preds, trues) -> np.ndarray:
    """Per-program (tp, fp, fn), shape (n, 3): sums give the micro-averaged F1."""
    return np.array([subtoken_counts(p, t) for p, t in zip(preds, trues)], dtype=float)


def micro_f1(c: np.ndarray) -> float:
    """Micro-averaged subtoken F1 of per-program counts (n, 3)."""
    tp, fp, fn = c.sum(0)
    return float(2 * tp / max(2 * tp + fp + fn, 1e-12))


def f1_interval(c: np.ndarray, base: np.ndarray | None = None, n_boot: int = 1000) -> tuple:
    """(F1, lo, hi), or with ``base`` the paired difference F1(c) - F1(base) and its interval."""
    return verdict.paired_bootstrap(c, base, stat=micro_f1, n_boot=n_boot)


def worst_case(rows: list[dict], programs: list[Program], trues) -> dict:
    """Per program, the attack (among ``rows``) whose prediction has the lowest F1 (then the
    highest loss is not needed: ties keep the first); returns a row like the others."""
    per = np.stack([np.array([micro_f1(r["counts"][i:i + 1]) for i in range(len(programs))]) for r in rows])
    pick = per.argmin(0)
    preds = [rows[j]["preds"][i] for i, j in enumerate(pick)]
    edits = [rows[j]["edits"][i] for i, j in enumerate(pick)]
    return {"attack": "worst case", "preds": preds, "edits": edits, "counts": counts(preds, trues),
            "from": [rows[j]["attack"] for j in pick]}


def attack_rows(model: NamePredictor, programs: list[Program], vocab: Vocab,
                specs: list[tuple[str, int, dict]], seed: int = 0) -> list[dict]:
    """Clean row then one row per ``(kind, k, options)``: ``{attack, k, preds, edits, counts,
    seconds}`` (counts per program, see ``counts``)."""
    trues = [p.target for p in programs]
    clean = predict_tokens(model, [p.tokens for p in programs], vocab)
    rows = [{"attack": "clean", "k": 0, "preds": clean, "edits": [{} for _ in programs],
             "counts": counts(clean, trues), "seconds": 0.0}]
    for kind, k, opts in specs:
        t0 = time.perf_counter()
        edits = attack(model, programs, vocab, kind, k=k, seed=seed, **opts)
        preds = predict_tokens(model, attacked_tokens(programs, edits), vocab)
        rows.append({"attack": kind, "k": k, "preds": preds, "edits": edits, "counts": counts(preds, trues),
                     "seconds": round(time.perf_counter() - t0, 2), **{f"opt_{a}": v for a, v in opts.items()}})
    return rows


# ----------------------------------------------------------------------------- the shipped table
TABLE_FILES = ("code/attack_table_code_names.json.gz", "code/attack_table_code_names_adv.json.gz")
MAIN_K, SELECT_K, EQUAL_RESTARTS = 5, 2, 20
N_SMOOTH = 32  # programs for the smoothing comparison (10x the gradient evaluations per step)


def table_specs(model_name: str) -> list[tuple[str, int, dict]]:
    """The attacks of the shipped table. k = 5: every attack, for both models (the worst case is
    taken over them). k = 2 (standard model): optimised vs random sites with the same content
    optimiser, since most programs have more than 2 sites."""
    specs = [("random", MAIN_K, {}), ("random_search", MAIN_K, {"restarts": EQUAL_RESTARTS}),
             ("random_site_grad", MAIN_K, {"steps": 1}), ("grad_site_grad", MAIN_K, {"steps": 1}),
             ("ao", MAIN_K, {"steps": 3}), ("jo", MAIN_K, {"steps": 3})]
    if model_name.endswith("_adv"):
        return specs
    return specs + [("ao", SELECT_K, {"steps": 3}), ("ao", SELECT_K, {"steps": 3, "sites": "random"})]


def run_table(model: NamePredictor, model_name: str, n: int = 1000, log=print, specs: list | None = None,
              smoothing: bool | None = None) -> dict:
    """Attack the first ``n`` test functions with ``table_specs``; also the AO loss per step with
    and without smoothing on the first ``N_SMOOTH``. Returns a JSON-able dict."""
    from .dataset import load_functions, load_vocab
    from .programs import make_program
    from .relaxed import relaxed_attack
    vocab = load_vocab()
    recs = load_functions("test", n=n)
    programs = [make_program(r["source"], r["target"], model.max_len, normalized=True) for r in recs]
    rows = attack_rows(model, programs, vocab, [], seed=0)
    for spec in table_specs(model_name) if specs is None else specs:
        rows += attack_rows(model, programs, vocab, [spec], seed=0)[1:]
        if log:
            log(f"{model_name} {spec}: F1 {micro_f1(rows[-1]['counts']):.3f} in {rows[-1]['seconds']:.0f} s")
    curves = {}
    if (not model_name.endswith("_adv")) if smoothing is None else smoothing:
        sub = programs[:N_SMOOTH]
        for smooth in (False, True):
            hist: list = []
            t0 = time.perf_counter()
            for lo in range(0, len(sub), 128):
                h: list = []
                relaxed_attack(model, sub[lo:lo + 128], vocab, k=MAIN_K, mode="ao", steps=4, smooth=smooth,
                               seed=lo, history=h)
                hist.append(h)
            curves["smoothed" if smooth else "plain"] = {
                "relaxed_loss": np.mean([[s["relaxed_loss"] for s in h] for h in hist], 0).tolist(),
                "best_rounded_loss": np.mean([[s["best_rounded_loss"] for s in h] for h in hist], 0).tolist(),
                "seconds": round(time.perf_counter() - t0, 1)}
            if log:
                log(f"smoothing={smooth}: {curves['smoothed' if smooth else 'plain']}")
    return {"model": model_name, "n": n, "names": [r["name"] for r in recs],
            "rows": [{**{k: v for k, v in r.items() if k != "counts"}, "counts": r["counts"].tolist()}
                     for r in rows], "smoothing": curves}


def write_table(model: NamePredictor, model_name: str, n: int = 1000) -> dict:
    """Run ``run_table`` and write ``data/code/attack_table_NAME.json.gz``; returns a summary."""
    t0 = time.perf_counter()
    out = run_table(model, model_name, n)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    write_json_gz(f"code/attack_table_{model_name}.json.gz", out)
    return {"n": n, "seconds": out["seconds"]}


def write_json_gz(relative: str, obj: dict) -> None:
    """Write ``obj`` as gzipped JSON to ``data/<relative>``."""
    import gzip
    import json

    from tutorial_lib.core import data
    with gzip.open(data.data_path(relative), "wt", encoding="utf-8") as f:
        json.dump(obj, f)


def read_rows_gz(relative: str) -> dict:
    """A shipped gzipped JSON table (sha256-checked) with every ``rows`` list's counts as arrays
    (a top-level ``rows``, or one per model under ``models``)."""
    import gzip
    import json

    from tutorial_lib.core import data
    with gzip.open(data.verified_path(relative), "rt", encoding="utf-8") as f:
        out = json.load(f)
    for rows in [out["rows"]] if "rows" in out else out["models"].values():
        for r in rows:
            r["counts"] = np.array(r["counts"], dtype=float)
    return out


def load_table(model_name: str) -> dict:
    """The shipped attack table of one model (sha256-checked), counts as arrays."""
    return read_rows_gz(f"code/attack_table_{model_name}.json.gz")

"""A targeted audit of the name model by ARCA-style coordinate ascent (Jones, Dragan, Raghunathan
& Steinhardt, ICML 2023), over the kit's semantics-preserving obfuscations.

Goal: find an obfuscation (new content for the program's sites: renamed locals and inserted dead
assignments, ``programs``) that makes the model output a chosen name, e.g. ``get_data``.
Objective: the log-likelihood of the target name, ``-model.loss`` with the target as label.

Coordinate ascent: the sites are visited in turn; at each one
1. *first-order candidates*: the gradient of the target's log-likelihood w.r.t. the site's one-hot
   input, i.e. ``E @ g`` with g the summed embedding gradient at the site's positions, ranks every
   fresh candidate word; the top ``k`` are kept (``candidates="random"``: ``k`` random fresh words,
   the baseline at an equal number of exact evaluations);
2. *exact re-ranking*: the objective is evaluated exactly for each candidate and for the current
   word, and the best is kept, so a step never lowers the objective.
(ARCA also averages the gradient over random words at the coordinate; the kit uses the gradient
at the current word.)
"""

from __future__ import annotations

import random
from dataclasses import replace

import torch

from .dataset import Vocab
from .model import NamePredictor, predict_tokens
from .programs import (Program, apply_edits, candidate_tokens, embedding_gradient, program_losses,
                       random_edits)


def with_target(programs: list[Program], target: list[str]) -> list[Program]:
    """The programs with ``target`` as the name the objective scores."""
    return [replace(p, target=list(target)) for p in programs]


def site_gradients(model: NamePredictor, programs: list[Program], edits: list[dict], vocab: Vocab,
                   site: list[str | None]) -> torch.Tensor:
    """(B, d): per program, the gradient of the *loss* (target NLL) w.r.t. the embedding of the
    word at ``site[i]``, summed over its positions (zero where ``site[i]`` is None)."""
    applied, b, grad = embedding_gradient(model, programs, edits, vocab)
    L = b["src"].shape[1]
    out = torch.zeros(len(programs), grad.shape[-1], device=grad.device)
    for i, s in enumerate(site):
        if s is not None:
            pos = [q for q in applied[i][1].get(s, []) if q < L]
            if pos:
                out[i] = grad[i, pos].sum(0)
    return out


def coordinate_step(model: NamePredictor, programs: list[Program], edits: list[dict], vocab: Vocab,
                    site: list[str | None], k: int, candidates: str, cand_ids: list[int],
                    rngs: list[random.Random]) -> tuple[list[dict], torch.Tensor]:
    """One coordinate of ascent at ``site[i]`` for every program: ``k`` candidates (first-order or
    random), exact re-ranking with the current word included. Returns the new edits and the
    new per-program loss (target NLL; lower is better for the auditor)."""
    words = [vocab.itos[c] for c in cand_ids]
    if candidates == "first_order":
        g = site_gradients(model, programs, edits, vocab, site)
        E = model.emb.weight.detach()[cand_ids]
        order = (-(g @ E.t())).argsort(1, descending=True).tolist()  # largest decrease in loss first
    elif candidates != "random":
        raise ValueError(f"candidates must be 'first_order' or 'random', got {candidates!r}")
    trials: list[list[dict]] = [[dict(e)] for e in edits]  # the current word first
    for i, (p, e, s) in enumerate(zip(programs, edits, site)):
        if s is None:
            continue
        others = {w for t, w in e.items() if t != s}
        pool = (words[j] for j in order[i]) if candidates == "first_order" else \
            (words[rngs[i].randrange(len(words))] for _ in range(50 * k))
        picked: list[str] = []
        for w in pool:
            if w not in p.taken and w not in others and w != e.get(s) and w not in picked:
                picked.append(w)
                if len(picked) == k:
                    break
        trials[i] += [{**e, s: w} for w in picked]
    flat_p = [p for p, t in zip(programs, trials) for _ in t]
    flat_e = [e for t in trials for e in t]
    losses = program_losses(model, flat_p, flat_e, vocab)
    new, best = [], []
    at = 0
    for t in trials:
        j = int(losses[at:at + len(t)].argmin())  # ties keep the current word (index 0)
        new.append(t[j])
        best.append(float(losses[at + j]))
        at += len(t)
    return new, torch.tensor(best)


def arca_attack(model: NamePredictor, programs: list[Program], vocab: Vocab, target: list[str],
                k: int = 8, n_sites: int = 5, passes: int = 2, candidates: str = "first_order",
                seed: int = 0, history: list | None = None) -> list[dict]:
    """Edits (``{site: word}`` on the first ``n_sites`` sites of each program, every one edited)
    found by coordinate ascent towards the ``target`` name. Starts from random fresh words
    (seeded per program, the same start for both candidate rules). ``history`` receives the mean
    target NLL after each coordinate step (non-increasing)."""
    if k < 1:
        raise ValueError(f"k (candidates per coordinate) must be at least 1, got {k}")
    model.eval()
    progs = with_target(programs, target)
    cand_ids = candidate_tokens(vocab)
    words = [vocab.itos[c] for c in cand_ids]
    rngs = [random.Random(seed * 1_000_003 + i) for i in range(len(progs))]
    sites = [p.sites[:n_sites] for p in progs]
    edits = [random_edits(p, s, words, r) for p, s, r in zip(progs, sites, rngs)]
    if history is not None:
        history.append(float(program_losses(model, progs, edits, vocab).mean()))
    for _ in range(passes):
        for j in range(max((len(s) for s in sites), default=0)):
            site = [s[j] if j < len(s) else None for s in sites]
            edits, loss = coordinate_step(model, progs, edits, vocab, site, k, candidates, cand_ids, rngs)
            if history is not None:
                history.append(float(loss.mean()))
    return edits


def hits(model: NamePredictor, programs: list[Program], edits: list[dict], vocab: Vocab,
         target: list[str]) -> list[bool]:
    """Per program: does the model's (greedy) predicted name equal ``target`` exactly?"""
    preds = predict_tokens(model, [apply_edits(p, e)[0] for p, e in zip(programs, edits)], vocab)
    return [pr == list(target) for pr in preds]


KNOBS = {
    "quick": {"n_functions": 50, "n_sites": 4, "passes": 1, "ks": [1, 4, 16], "target": ["get"]},
    "full": {"n_functions": 200, "n_sites": 8, "passes": 2, "ks": [1, 4, 16, 64], "target": ["get"]},
    "smoke": {"n_functions": 4, "ks": [1, 2]},
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    from tutorial_lib.core.config import pick_knobs
    return pick_knobs(KNOBS, profile)

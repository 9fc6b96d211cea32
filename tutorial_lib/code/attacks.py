"""Adversarial obfuscations of code (Ramakrishnan et al. 2020; Srikant et al. 2021; Yefet et al. 2020).

Sites and edits are defined in ``programs``. Attacks with a budget of k sites:

- ``random``: random sites, random content;
- ``random_search``: the best (highest-loss) of ``restarts`` random attacks: the gradient-free
  baseline at an equal budget of model evaluations;
- ``random_site_grad``: random sites, content by one first-order step: the gradient of the loss
  w.r.t. the input token embeddings picks the word with the largest linearised loss increase,
  (E[t] - E[current]) . sum_p dL/de_p;
- ``grad_site_grad``: every site gets a candidate, the k with the largest linearised gain are kept;
- ``ao`` / ``jo``: the papers' optimiser (``relaxed``): relaxed site vector and content simplex,
  alternating or joint projected gradient ascent, optional randomized smoothing.

Every gradient attack keeps, per program, the highest-loss program among the clean one, the random
start and each step, so it never lowers the loss it maximises.
"""

from __future__ import annotations

import random

import torch

from .dataset import Vocab
from .model import NamePredictor
from .programs import (
    INSERT,
    Program,
    apply_edits,
    attacked_tokens,
    candidate_tokens,
    edits_to_source,
    embedding_gradient,
    is_insert,
    make_program,
    program_losses,
    random_edits,
)
from .relaxed import relaxed_attack

ATTACKS = ("random", "random_search", "random_site_grad", "grad_site_grad", "ao", "jo")

__all__ = ["ATTACKS", "INSERT", "Program", "apply_edits", "attack", "attacked_tokens", "candidate_tokens",
           "edits_to_source", "gradient_step", "is_insert", "make_program", "program_losses", "random_edits"]


def gradient_step(model: NamePredictor, programs: list[Program], edits: list[dict], vocab: Vocab,
                  cand_ids: list[int], k: int, select_sites: bool) -> list[dict]:
    """One first-order step: new content for each edited site (and, if ``select_sites``, keep
    the k sites with the largest linearised gain)."""
    applied, b, grad = embedding_gradient(model, programs, edits, vocab)
    dev = grad.device
    E = model.emb.weight.detach()
    Ec = E[cand_ids]
    new_edits = []
    for i, (p, e) in enumerate(zip(programs, edits)):
        L = b["src"].shape[1]
        sites = [s for s in e if any(q < L for q in applied[i][1][s])]
        if not sites:
            new_edits.append(dict(e) if not select_sites else {})
            continue
        g = torch.stack([grad[i, [q for q in applied[i][1][s] if q < L]].sum(0) for s in sites])
        cur = torch.tensor([vocab.id(e[s]) for s in sites], device=dev)
        gain = g @ Ec.t() - (g * E[cur]).sum(1, keepdim=True)  # (S, C)
        best, order = gain.topk(min(32, gain.shape[1]), dim=1)
        keep = sites
        if select_sites:
            keep = [sites[j] for j in best[:, 0].argsort(descending=True)[:k].tolist()]
        chosen: dict[str, str] = {}
        for j, s in enumerate(sites):
            if s not in keep:
                continue
            for c in order[j].tolist():
                t = vocab.itos[cand_ids[c]]
                if t not in p.taken and t not in chosen.values():
                    chosen[s] = t
                    break
            else:
                chosen[s] = e[s]
        new_edits.append(chosen)
    return new_edits


def _keep_best(model, progs, vocab, candidates: list[list[dict]]) -> list[dict]:
    best: list[dict] = [{} for _ in progs]
    best_loss = program_losses(model, progs, best, vocab)
    for cand in candidates:
        loss = program_losses(model, progs, cand, vocab)
        for i in range(len(progs)):
            if loss[i] > best_loss[i]:
                best_loss[i], best[i] = loss[i], dict(cand[i])
    return best


def attack(model: NamePredictor, programs: list[Program], vocab: Vocab, kind: str = "random",
           k: int = 1, steps: int = 2, seed: int = 0, batch_size: int = 128, restarts: int = 4,
           **relaxed: object) -> list[dict]:
    """Edits ({site: new name}) for each program: ``kind`` in ``ATTACKS``, at most ``k`` sites.

    The model is put in eval mode. ``random_search`` and ``random_site_grad`` start from the random
    attack of the same seed; ``ao``/``jo`` from their own random draw.
    ``restarts``: draws of ``random_search``; ``relaxed``: options of ``relaxed_attack`` (``ao``/``jo``)."""
    if kind not in ATTACKS:
        raise ValueError(f"Unknown attack {kind!r}; choose one of {ATTACKS}.")
    if k < 1:
        raise ValueError(f"k (number of sites) must be at least 1, got {k}.")
    model.eval()
    cand_ids = candidate_tokens(vocab)
    cands = [vocab.itos[i] for i in cand_ids]
    out: list[dict] = []
    for lo in range(0, len(programs), batch_size):
        progs = programs[lo:lo + batch_size]
        if kind in ("ao", "jo"):
            out += relaxed_attack(model, progs, vocab, k=k, mode=kind, steps=steps, seed=seed * 7919 + lo,
                                  **relaxed)
            continue
        rngs = [random.Random(seed * 1_000_003 + lo + i) for i in range(len(progs))]
        chosen = [r.sample(p.sites, min(k, len(p.sites))) for p, r in zip(progs, rngs)]
        start = [random_edits(p, s, cands, r) for p, s, r in zip(progs, chosen, rngs)]
        if kind == "random":
            out += start
            continue
        if kind == "random_search":
            draws = [start] + [[random_edits(p, r.sample(p.sites, min(k, len(p.sites))), cands, r)
                                for p, r in zip(progs, rngs)] for _ in range(restarts - 1)]
            out += _keep_best(model, progs, vocab, draws)
            continue
        cur = [random_edits(p, p.sites, cands, r) for p, r in zip(progs, rngs)] \
            if kind == "grad_site_grad" else start
        cands_seen = [start]
        for _ in range(steps):
            cur = gradient_step(model, progs, cur, vocab, cand_ids, k, select_sites=(kind == "grad_site_grad"))
            cands_seen.append(cur)  # after the first step only the k kept sites are refined
        out += _keep_best(model, progs, vocab, cands_seen)
    return out

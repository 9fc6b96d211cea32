"""Adversarial obfuscations of code (Ramakrishnan et al. 2020; Srikant et al. 2021; Yefet et al. 2020).

A *site* is a place the attacker may change without changing what the program does: a renameable
local/parameter, or ``INSERT`` (a dead assignment ``<new> = None`` before the first body statement).
Every changed site ends up holding one fresh single-subtoken identifier; the *content* is which one.

- random site + random content;
- random site + gradient content: the gradient of the loss w.r.t. the input token embeddings picks
  the replacement with the largest linearised loss increase, (E[t] - E[current]) . sum_p dL/de_p;
- gradient site + gradient content: every site gets a candidate, the k with the largest linearised
  gain are kept.

Edits work on token lists (fast, batched); ``edits_to_source`` writes the same program as source
with ``rename_many`` / ``insert_dead_code``, and re-tokenizing that source gives the same tokens
(tested). Gradient attacks keep, per program, the highest-loss program among the clean one, the
random start and each gradient step, so they never lower the loss they maximise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from .dataset import Vocab, function_name, normalize_function, tokenize_code
from .model import NamePredictor, make_batch
from .obfuscate import RESERVED, identifiers, insert_dead_code, rename_many, rename_sites

INSERT = "<insert>"
ATTACKS = ("random", "random_site_grad", "grad_site_grad")


@dataclass
class Program:
    """A function as the model and the attacker see it."""

    source: str  # normalized source (ast.unparse, no docstring)
    name: str
    tokens: list[str]
    origins: list[str | None]
    target: list[str]
    sites: list[str]  # renameable names visible in the model's window, then INSERT
    taken: set[str]  # identifiers the function already spells
    body_pos: int  # token index where the body starts (after the signature's ':')


def _body_pos(tokens: list[str]) -> int:
    depth = 0
    for i, t in enumerate(tokens):
        if t in "([{":
            depth += 1
        elif t in ")]}":
            depth -= 1
        elif t == ":" and depth == 0:
            return i + 1
    raise ValueError("Could not find the end of the function signature.")


def make_program(source: str, target: list[str] | None = None, max_len: int = 128,
                 insert: bool = True, normalized: bool = False) -> Program:
    """Normalize and tokenize a function; sites = renameable names that occur within the first
    ``max_len`` tokens (the model's window), plus ``INSERT`` when ``insert``. ``normalized``:
    the source is already in ``normalize_function`` form (dataset records), skip that step."""
    from .dataset import split_identifier
    src = source if normalized else normalize_function(source)
    name = function_name(src)
    toks, orig = tokenize_code(src, name)
    visible = set(orig[:max_len])
    sites = [s for s in rename_sites(src) if s in visible] + ([INSERT] if insert else [])
    return Program(src, name, toks, orig, target if target is not None else split_identifier(name),
                   sites, identifiers(src), _body_pos(toks))


def apply_edits(p: Program, edits: dict[str, str]) -> tuple[list[str], dict[str, list[int]]]:
    """Tokens of the program with ``edits`` ({site: new single-subtoken name}) applied, and the
    token positions each edited site occupies."""
    out: list[str] = []
    pos: dict[str, list[int]] = {s: [] for s in edits}
    prev = None
    for i, (t, o) in enumerate(zip(p.tokens, p.origins)):
        if i == p.body_pos and INSERT in edits:
            pos[INSERT].append(len(out))
            out += [edits[INSERT], "=", "none"]
        if o is not None and o in edits and o != INSERT:
            if prev != o:  # one occurrence may span several subtokens
                pos[o].append(len(out))
                out.append(edits[o])
        else:
            out.append(t)
        prev = o
    return out, pos


def edits_to_source(p: Program, edits: dict[str, str]) -> str:
    """The edited program as Python source (normalized as the model reads it)."""
    renames = {k: v for k, v in edits.items() if k != INSERT}
    src = rename_many(p.source, renames) if renames else p.source
    if INSERT in edits:
        import ast
        fn = ast.parse(src).body[0]
        src = insert_dead_code(src, fn.body[0].lineno, f"{edits[INSERT]} = None")
    return src


def candidate_tokens(vocab: Vocab) -> list[int]:
    """Vocabulary ids usable as a new name: lowercase alphabetic subtokens (≥ 2 letters) that are
    not keywords, builtins, self or cls."""
    return [i for i, t in enumerate(vocab.itos)
            if t.isalpha() and t.islower() and t.isascii() and len(t) > 1 and t not in RESERVED]


def _random_edits(p: Program, sites: list[str], cands: list[str], rng: random.Random) -> dict:
    edits: dict[str, str] = {}
    for s in sites:
        while True:
            t = cands[rng.randrange(len(cands))]
            if t not in p.taken and t not in edits.values():
                edits[s] = t
                break
    return edits


def program_losses(model: NamePredictor, programs: list[Program], edits: list[dict],
                   vocab: Vocab) -> torch.Tensor:
    """Per-program loss (summed NLL of the true name) under the given edits (no grad)."""
    dev = next(model.parameters()).device
    toks = [apply_edits(p, e)[0] for p, e in zip(programs, edits)]
    with torch.no_grad():
        b = make_batch(toks, [p.target for p in programs], vocab, model.max_len, model.max_tgt, dev)
        return model.loss(b, per_example=True).cpu()


def _gradient_step(model, programs, edits, vocab, cand_ids, k, select_sites):
    """One first-order step: new content for each edited site (and, if ``select_sites``, keep
    the k sites with the largest linearised gain)."""
    dev = next(model.parameters()).device
    applied = [apply_edits(p, e) for p, e in zip(programs, edits)]
    b = make_batch([a[0] for a in applied], [p.target for p in programs], vocab, model.max_len,
                   model.max_tgt, dev)
    emb = model.emb(b["src"]).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(model.loss(b, embeds=emb, per_example=True).sum(), emb)
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


def attack(model: NamePredictor, programs: list[Program], vocab: Vocab, kind: str = "random",
           k: int = 1, steps: int = 2, seed: int = 0, batch_size: int = 128) -> list[dict]:
    """Edits ({site: new name}) for each program: ``kind`` in ``ATTACKS``, at most ``k`` sites.

    The model is put in eval mode. Gradient attacks start from the random attack of the same seed
    and keep, per program, the highest-loss candidate (clean included)."""
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
        rngs = [random.Random(seed * 1_000_003 + lo + i) for i in range(len(progs))]
        chosen = [r.sample(p.sites, min(k, len(p.sites))) for p, r in zip(progs, rngs)]
        start = [_random_edits(p, s, cands, r) for p, s, r in zip(progs, chosen, rngs)]
        if kind == "random":
            out += start
            continue
        if kind == "grad_site_grad":
            cur = [_random_edits(p, p.sites, cands, r) for p, r in zip(progs, rngs)]
        else:
            cur = start
        best: list[dict] = [{} for _ in progs]
        best_loss = program_losses(model, progs, best, vocab)
        for cand in [start] + [None] * steps:
            if cand is None:
                cur = _gradient_step(model, progs, cur, vocab, cand_ids, k,
                                     select_sites=(kind == "grad_site_grad"))
                cand = cur  # after the first step only the k kept sites are refined
            loss = program_losses(model, progs, cand, vocab)
            for i in range(len(progs)):
                if loss[i] > best_loss[i]:
                    best_loss[i], best[i] = loss[i], dict(cand[i])
        out += best
    return out


def attacked_tokens(programs: list[Program], edits: list[dict]) -> list[list[str]]:
    """Token lists of the programs after the edits."""
    return [apply_edits(p, e)[0] for p, e in zip(programs, edits)]

"""Programs as the attacker sees them: sites, edits on token lists, and the same edits as source.

A *site* is a place the attacker may change without changing what the program does (see
``obfuscate``): a renameable local (never a keyword-passable parameter), or an insert site
``"<insert@LINE>"``: a dead assignment ``<word> = None`` before the statement on that line
(every statement of the function's own scope is one). Every edited site ends up holding one fresh
single-subtoken identifier, the site's *content*.

Edits work on token lists (fast, batched); ``edits_to_source`` writes the same program as source
with ``rename_many`` / ``insert_many``, and re-tokenizing that source gives the same tokens (tested).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from .dataset import (
    TOKEN_RE,
    Vocab,
    function_name,
    normalize_function,
    split_identifier,
    tokenize_code,
)
from .model import NamePredictor, make_batch
from .obfuscate import RESERVED, identifiers, insert_lines, insert_many, rename_many, rename_sites

INSERT = "<insert@"  # prefix of insert sites: "<insert@7>" inserts before line 7


def is_insert(site: str) -> bool:
    """True for an insert site, False for a rename site."""
    return site.startswith(INSERT)


def insert_line(site: str) -> int:
    return int(site[len(INSERT):-1])


@dataclass
class Program:
    """A function as the model and the attacker see it."""

    source: str  # normalized source (ast.unparse, no docstring)
    name: str
    tokens: list[str]
    origins: list[str | None]
    target: list[str]
    sites: list[str]  # renameable names visible in the model's window, then insert sites
    taken: set[str]  # identifiers the function already spells
    insert_pos: dict[str, int]  # insert site -> token index of the statement it precedes
    starts: list[int] | None = None  # per subtoken, the source offset of its token (occurrence id)


def _subtoken_starts(src: str, name: str) -> list[int]:
    """Character offset of the token each subtoken of ``tokenize_code(src, name)`` comes from."""
    out = []
    for m in TOKEN_RE.finditer(src):
        n = 1
        if m.lastgroup == "n" and m.group() != name:
            n = len(split_identifier(m.group()) or [m.group()])
        out += [m.start()] * n
    return out


def make_program(source: str, target: list[str] | None = None, max_len: int = 128,
                 insert: bool = True, normalized: bool = False) -> Program:
    """Normalize and tokenize a function; sites = renameable names that occur within the first
    ``max_len`` tokens (the model's window), then (when ``insert``) one insert site per statement
    that starts inside the window. ``normalized``: the source is already in ``normalize_function``
    form (dataset records), skip that step."""
    src = source if normalized else normalize_function(source)
    name = function_name(src)
    toks, orig = tokenize_code(src, name)
    visible = set(orig[:max_len])
    sites = [s for s in rename_sites(src) if s in visible]
    insert_pos: dict[str, int] = {}
    starts = _subtoken_starts(src, name)
    if insert:
        line_off = [0]
        for ln in src.split("\n"):
            line_off.append(line_off[-1] + len(ln) + 1)
        first_tok = {}
        for i, off in enumerate(starts):
            first_tok.setdefault(off, i)
        for line in insert_lines(src):
            text = src.split("\n")[line - 1]
            off = line_off[line - 1] + len(text) - len(text.lstrip())
            i = first_tok.get(off)
            if i is not None and i < max_len:
                insert_pos[f"{INSERT}{line}>"] = i
    return Program(src, name, toks, orig, target if target is not None else split_identifier(name),
                   sites + list(insert_pos), identifiers(src), insert_pos, starts)


def apply_edits(p: Program, edits: dict[str, str]) -> tuple[list[str], dict[str, list[int]]]:
    """Tokens of the program with ``edits`` ({site: new single-subtoken name}) applied, and the
    token positions each edited site's word occupies."""
    out: list[str] = []
    pos: dict[str, list[int]] = {s: [] for s in edits}
    at = {}
    for s in edits:
        if is_insert(s):
            at[p.insert_pos[s]] = s
    starts = p.starts or list(range(len(p.tokens)))
    prev = None
    for i, (t, o) in enumerate(zip(p.tokens, p.origins)):
        if i in at:
            pos[at[i]].append(len(out))
            out += [edits[at[i]], "=", "none"]
        if o is not None and o in edits:
            if prev != starts[i]:  # one occurrence may span several subtokens
                pos[o].append(len(out))
                out.append(edits[o])
        else:
            out.append(t)
        prev = starts[i]
    return out, pos


def edits_to_source(p: Program, edits: dict[str, str]) -> str:
    """The edited program as Python source (normalized as the model reads it)."""
    renames = {k: v for k, v in edits.items() if not is_insert(k)}
    src = rename_many(p.source, renames) if renames else p.source
    inserts = {insert_line(k): f"{v} = None" for k, v in edits.items() if is_insert(k)}
    return insert_many(src, inserts) if inserts else src


def candidate_tokens(vocab: Vocab) -> list[int]:
    """Vocabulary ids usable as a new name: lowercase alphabetic subtokens (>= 2 letters) that are
    not keywords, builtins, self or cls."""
    return [i for i, t in enumerate(vocab.itos)
            if t.isalpha() and t.islower() and t.isascii() and len(t) > 1 and t not in RESERVED]


def random_edits(p: Program, sites: list[str], cands: list[str], rng: random.Random) -> dict:
    """Random fresh, distinct content for each of ``sites``."""
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


def embedding_gradient(model: NamePredictor, programs: list[Program], edits: list[dict],
                       vocab: Vocab) -> tuple[list, dict, torch.Tensor]:
    """Apply the edits and take the gradient of the summed per-program loss (target NLL) w.r.t.
    the input embeddings. Returns ``(applied, batch, grad)``; ``applied[i]`` is ``apply_edits``'
    ``(tokens, positions)`` and ``grad`` is (B, L, d)."""
    dev = next(model.parameters()).device
    applied = [apply_edits(p, e) for p, e in zip(programs, edits)]
    b = make_batch([a[0] for a in applied], [p.target for p in programs], vocab, model.max_len,
                   model.max_tgt, dev)
    emb = model.emb(b["src"]).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(model.loss(b, embeds=emb, per_example=True).sum(), emb)
    return applied, b, grad


def attacked_tokens(programs: list[Program], edits: list[dict]) -> list[list[str]]:
    """Token lists of the programs after the edits."""
    return [apply_edits(p, e)[0] for p, e in zip(programs, edits)]

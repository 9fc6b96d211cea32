"""Robust encodings against typos (RobEn; Jones, Jia, Raghunathan & Liang, ACL 2020) for
identifier subtokens.

Attack surface (the typos of Pruthi et al. 2019 that RobEn defends against): in a subtoken of at
least 3 letters, one of: swap two adjacent internal letters, delete an internal letter, insert a
letter inside, or replace an internal letter by a key next to it on a QWERTY keyboard; the first
and last letters stay. ``typos(word)`` is that set B(word).

Encoding: the vocabulary's alphabetic subtokens are the vertices of the *typo graph*, with an edge
between u and v when some string is a typo of both (or one is a typo of the other). A subtoken is
encoded by its connected component (``ConnectedComponents``); a string outside the vocabulary by
the component of any vocabulary word it is a typo of (all such words share a component), else by
``<unk>``. So every typo of a vocabulary word encodes exactly like the word: a classifier on codes
is certified against every such typo by construction. Fewer codes means less information
(fidelity); ``stability`` measures how often a random typo keeps its code.
"""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

from .dataset import SPECIALS, UNK, Vocab, split_identifier
from .obfuscate import RESERVED, identifiers, rename_sites
from .substitutions import Example, body_items

_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def keyboard_neighbours() -> dict[str, str]:
    """Letters next to each letter on a QWERTY keyboard (same row and the rows above/below)."""
    pos = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}
    out = {}
    for c, (r, i) in pos.items():
        out[c] = "".join(d for d, (r2, i2) in pos.items()
                         if d != c and abs(r2 - r) <= 1 and abs(i2 - i) <= 1)
    return out


_NEIGH = keyboard_neighbours()


def typos(word: str) -> set[str]:
    """B(word) without ``word``: every single internal swap / deletion / insertion / keyboard
    substitution (first and last letters kept). Words shorter than 3 letters have none."""
    if len(word) < 3 or not word.isalpha():
        return set()
    out = set()
    n = len(word)
    for i in range(1, n - 2):  # swap word[i], word[i+1], both internal
        out.add(word[:i] + word[i + 1] + word[i] + word[i + 2:])
    for i in range(1, n - 1):  # delete an internal letter
        out.add(word[:i] + word[i + 1:])
        for c in _NEIGH.get(word[i], ""):  # keyboard substitution
            out.add(word[:i] + c + word[i + 1:])
    for i in range(1, n):  # insert between two letters
        for c in LETTERS:
            out.add(word[:i] + c + word[i:])
    out.discard(word)
    return out


def _edits(x: str) -> set[str]:
    """Every string one swap / deletion / insertion / keyboard substitution away from ``x``,
    anywhere (a superset of the words ``x`` can be a typo of)."""
    out = {x[:i] + x[i + 1] + x[i] + x[i + 2:] for i in range(len(x) - 1)}
    out |= {x[:i] + x[i + 1:] for i in range(len(x))}
    out |= {x[:i] + c + x[i:] for i in range(len(x) + 1) for c in LETTERS}
    out |= {x[:i] + c + x[i + 1:] for i in range(len(x)) for c in _NEIGH.get(x[i], "")}
    return out


class ConnectedComponents:
    """The RobEn encoding by connected components of the typo graph over ``words``."""

    def __init__(self, words: list[str]) -> None:
        self.words = [w for w in dict.fromkeys(words) if w.isalpha()]
        parent = list(range(len(self.words)))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        # u ~ v when B(u) ∪ {u} and B(v) ∪ {v} share a string: sort (hash(string), word) pairs and
        # join the words of equal hashes (a 64-bit collision could only merge more: still sound)
        hashes, owners = [], []
        for i, w in enumerate(self.words):
            for t in typos(w) | {w}:
                hashes.append(hash(t))
                owners.append(i)
        h, o = np.array(hashes, dtype=np.int64), np.array(owners, dtype=np.int64)
        order = np.argsort(h, kind="stable")
        h, o = h[order], o[order]
        for k in np.nonzero(h[1:] == h[:-1])[0].tolist():
            a, b = find(int(o[k])), find(int(o[k + 1]))
            if a != b:
                parent[max(a, b)] = min(a, b)
        roots = [find(i) for i in range(len(self.words))]
        ids = {r: k for k, r in enumerate(dict.fromkeys(roots))}
        self.component = [ids[r] for r in roots]  # word index -> component id
        self._index = {w: i for i, w in enumerate(self.words)}
        self.n_components = len(ids)
        comp = np.array(self.component, dtype=np.int64)
        self._h, self._hc = h, comp[o]  # sorted hashes of every word and typo -> component
        self._cache: dict[str, int] = {}

    def fast_component(self, tok: str) -> int | None:
        """``component_of`` by one look-up in the sorted hash table of every word and typo
        (exact up to a 64-bit hash collision; ``component_of`` is the slow exact path)."""
        hv = hash(tok)
        k = int(np.searchsorted(self._h, hv))
        return int(self._hc[k]) if k < len(self._h) and self._h[k] == hv else None

    def component_of(self, tok: str) -> int | None:
        """Component of a vocabulary word, or of the vocabulary words ``tok`` is a typo of (they
        share one); None if neither."""
        i = self._index.get(tok)
        if i is not None:
            return self.component[i]
        for w in _edits(tok):
            j = self._index.get(w)
            if j is not None and tok in typos(w):
                return self.component[j]
        return None

    def code(self, tok: str) -> int:
        """Component id (offset past the specials) of any string; ``UNK`` when it is neither a
        vocabulary word nor a typo of one."""
        c = self._cache.get(tok)
        if c is None:
            comp = self.fast_component(tok)
            c = self._cache[tok] = UNK if comp is None else len(SPECIALS) + comp
        return c

    def members(self, tok: str) -> list[str]:
        """The vocabulary words sharing ``tok``'s component."""
        c = self.component_of(tok)
        return [] if c is None else [w for w, k in zip(self.words, self.component) if k == c]


class Encoder:
    """Token -> id for the encoded classifier: specials and non-alphabetic vocabulary tokens
    keep a code each; alphabetic strings get their component's code."""

    def __init__(self, vocab: Vocab, cc: ConnectedComponents) -> None:
        self.cc = cc
        other = [t for t in vocab.itos[len(SPECIALS):] if not t.isalpha()]
        base = len(SPECIALS) + cc.n_components
        self._other = {t: base + k for k, t in enumerate(other)}
        self._specials = {t: i for i, t in enumerate(SPECIALS)}
        self.size = base + len(other)

    def __call__(self, tok: str) -> int:
        if tok in self._specials:
            return self._specials[tok]
        if tok in self._other:
            return self._other[tok]
        return self.cc.code(tok) if tok.isalpha() else UNK


def stability(tokens: list[str], ids, n_typos: int = 1, seed: int = 0) -> float:
    """Fraction of random typos (``n_typos`` per token of ``tokens``, tokens with no typo
    skipped) whose id under ``ids`` equals the clean token's id."""
    rng = random.Random(seed)
    same = total = 0
    for t in tokens:
        ts = sorted(typos(t))
        for _ in range(n_typos if ts else 0):
            same += ids(rng.choice(ts)) == ids(t)
            total += 1
    return same / max(total, 1)


# ----------------------------------------------------------------------------- typo threat model
def typo_options(identifier: str, taken: set[str]) -> list[list[str]]:
    """The identifier's subtokens, then every variant with one typo in one subtoken whose new
    identifier is fresh (not spelled in the function, not reserved). Only all-lowercase
    ``snake_case`` identifiers are rebuilt exactly; others keep only the clean option."""
    subs = split_identifier(identifier)
    out = [subs]
    if identifier != identifier.lower() or identifier.strip("_") != "_".join(subs):
        return out
    lead = identifier[:len(identifier) - len(identifier.lstrip("_"))]
    for j, s in enumerate(subs):
        for t in sorted(typos(s)):
            new = subs[:j] + [t] + subs[j + 1:]
            name = lead + "_".join(new)
            if name not in taken and name not in RESERVED:
                out.append(new)
    return out


def typo_examples(records: list[dict], labels: list[str], max_items: int = 256) -> list[Example]:
    """Examples (as ``substitutions.Example``) whose slots are the sound rename sites, each with
    every one-typo variant of its identifier as an option (weight = its share of the bag)."""
    index = {w: i for i, w in enumerate(labels)}
    out = []
    for r in records:
        if r["target"][0] not in index:
            continue
        src = r["source"]
        items = body_items(src, r["name"])[:max_items]
        sites = [s for s in rename_sites(src) if any(o == s for _, o in items)]
        counts = Counter(o for _, o in items if o in sites)
        taken = identifiers(src)
        slots = [(counts[s] / len(items), typo_options(s, taken)) for s in sites]
        fixed = [(1 / len(items), t) for t, o in items if o not in counts]
        out.append(Example(index[r["target"][0]], fixed, slots, src))
    return out


def distinct_options(examples: list[Example], ids) -> list[Example]:
    """The same examples with each slot's options reduced to one per distinct id sequence under
    ``ids`` (the clean option first): what the classifier can tell apart."""
    out = []
    for ex in examples:
        slots = []
        for w, options in ex.slots:
            seen: dict[tuple, list[str]] = {}
            for o in options:
                seen.setdefault(tuple(ids(t) for t in o), o)
            slots.append((w, list(seen.values())))
        out.append(Example(ex.label, ex.fixed, slots, ex.source))
    return out

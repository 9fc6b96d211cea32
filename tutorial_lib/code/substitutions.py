"""Certified robustness to identifier substitutions by interval bound propagation (Jia et al.,
EMNLP 2019), on a bag-of-subtokens classifier of real Python functions.

Task: predict the first subtoken of a function's name (``get``, ``is``, ``set``, ...; the most
frequent ones) from the subtokens of its body. Threat model: every *sound* rename site of the
function (``obfuscate.rename_sites``: locals that can be renamed without changing behaviour,
keyword-passable parameters excluded) may be renamed to any of ``m`` substitutes (fresh
single-subtoken words, fixed per site by a seed), consistently at all its occurrences. With ``S``
sites there are ``(m + 1) ** S`` programs, all computing the same thing.

Model: the body is a bag of *items* (one per identifier occurrence, keyword, string or number;
operators dropped); an item's vector is the mean embedding of its subtokens, the bag's vector the
mean over items, then ``Linear -> ReLU -> Linear``. A rename changes items, never their count, so
the bag vector is ``fixed + sum_s w_s * v_s(choice_s)`` with ``w_s`` = (occurrences of s) / (items).

IBP: per site, the box hull of its options' vectors (``first="box"``, Jia et al.) or, tighter and
still sound, the exact per-unit minimum of the first linear layer over the options
(``first="vertex"``, the simplex bound of Huang et al. 2019); then intervals through ReLU, and the
exact worst case of the last linear layer over the box for each margin ``logit_y - logit_c``.
A function is *certified* when every margin's lower bound is positive: then no combination of
renames can change the answer. ``exhaustive_robust`` enumerates every combination (small ``S``)
and ``greedy_robust`` is a coordinate-wise attack (an upper bound on robust accuracy).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core.config import pick_knobs
from tutorial_lib.core.fit import Loss, fit

from .dataset import PAD, TOKEN_RE, Vocab, split_identifier
from .obfuscate import identifiers, rename_sites
from .programs import candidate_tokens

KNOBS = {
    "quick": {"n_classes": 10, "n_train": 4000, "m": 4, "d": 32, "hidden": 64, "epochs": 12,
              "batch": 128, "lr": 5e-3, "max_items": 256, "max_sites": 12, "max_sub": 4,
              "exhaustive_cap": 4096},
    "full": {"n_classes": 10, "n_train": 45000, "m": 8, "d": 64, "hidden": 128, "epochs": 20,
             "batch": 256, "lr": 3e-3, "max_items": 800, "max_sites": 24, "max_sub": 6,
             "exhaustive_cap": 65536},
    "smoke": {"n_train": 300, "epochs": 2, "m": 2, "d": 8, "hidden": 16, "max_items": 128,
              "max_sites": 6, "max_sub": 2, "exhaustive_cap": 64},
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


# ----------------------------------------------------------------------------- data
def body_items(source: str, name: str) -> list[tuple[list[str], str | None]]:
    """The function as a bag of items: ``(subtokens, identifier or None)`` per identifier
    occurrence (the function's own name becomes ``<name>``), string (``<str>``) or number;
    operators and punctuation are dropped."""
    out: list[tuple[list[str], str | None]] = []
    for m in TOKEN_RE.finditer(source):
        kind, text = m.lastgroup, m.group()
        if kind == "n":
            out.append((["<name>"], None) if text == name else
                       (split_identifier(text) or [text.lower()], text))
        elif kind == "s":
            out.append((["<str>"], None))
        elif kind == "d":
            out.append(([text.lower() if len(text) <= 3 else "<num>"], None))
    return out


@dataclass
class Example:
    """One function: its label, the items no attacker can touch (``(weight, subtokens)``, the
    weight being the item's share of the bag mean) and its slots ``(weight, options)``: a place
    the attacker controls, each option a list of subtokens, option 0 the clean program."""

    label: int
    fixed: list[tuple[float, list[str]]]
    slots: list[tuple[float, list[list[str]]]]
    source: str = ""


def top_labels(records: list[dict], n: int) -> list[str]:
    """The ``n`` most frequent first name subtokens in ``records`` (most frequent first)."""
    return [w for w, _ in Counter(r["target"][0] for r in records).most_common(n)]


def substitution_examples(records: list[dict], labels: list[str], vocab: Vocab, m: int,
                          seed: int = 0, max_items: int = 400) -> list[Example]:
    """Examples for the records whose first name subtoken is in ``labels``. Each rename site gets
    ``m`` substitutes: random fresh candidate words (``programs.candidate_tokens``), fixed by
    ``seed`` and the function's position in ``records``."""
    cands = [vocab.itos[i] for i in candidate_tokens(vocab)]
    index = {w: i for i, w in enumerate(labels)}
    out = []
    for k, r in enumerate(records):
        if r["target"][0] not in index:
            continue
        src, name = r["source"], r["name"]
        items = body_items(src, name)[:max_items]
        sites = [s for s in rename_sites(src) if any(o == s for _, o in items)]
        taken = identifiers(src)
        rng = random.Random(seed * 1_000_003 + k)
        slots = []
        counts = Counter(o for _, o in items if o in sites)
        used: set[str] = set()
        for s in sites:
            subs = []
            while len(subs) < m:
                w = cands[rng.randrange(len(cands))]
                if w not in taken and w not in used:
                    subs.append(w)
                    used.add(w)
            slots.append((counts[s] / len(items), [split_identifier(s) or [s.lower()]] + [[w] for w in subs]))
        fixed = [(1 / len(items), t) for t, o in items if o not in counts]
        out.append(Example(index[r["target"][0]], fixed, slots, src))
    return out


@dataclass
class Batch:
    """Padded tensors of a list of examples (see ``collate``)."""

    fix_ids: torch.Tensor  # (B, L) subtoken ids of the fixed items, PAD-padded
    fix_w: torch.Tensor  # (B, L) weight of each subtoken in the bag mean
    opt_ids: torch.Tensor  # (B, S, M, J) subtoken ids of each slot's options (missing options repeat option 0)
    slot_w: torch.Tensor  # (B, S) the slot's weight (0 for padding slots)
    n_opt: torch.Tensor  # (B, S) number of real options per slot (1 for padding slots)
    y: torch.Tensor  # (B,)

    def to(self, dev) -> Batch:
        return Batch(*(t.to(dev) for t in (self.fix_ids, self.fix_w, self.opt_ids, self.slot_w,
                                           self.n_opt, self.y)))

    def __len__(self) -> int:
        return len(self.y)

    def select(self, idx: torch.Tensor) -> Batch:
        return Batch(*(t[idx] for t in (self.fix_ids, self.fix_w, self.opt_ids, self.slot_w,
                                         self.n_opt, self.y)))


def collate(examples: list[Example], vocab: Vocab, max_slots: int = 12, max_sub: int = 4,
            ids=None) -> Batch:
    """Tensors for ``examples``. Slots beyond ``max_slots`` stay clean (they join the fixed
    items), so the threat model is at most ``max_slots`` sites per function; identifiers keep
    their first ``max_sub`` subtokens. ``ids`` maps a subtoken to an id (default ``vocab.id``;
    ``roben`` passes its encoder)."""
    ids = ids or vocab.id
    B = len(examples)
    rows = []
    for ex in examples:
        items = ex.fixed + [(w, opts[0]) for w, opts in ex.slots[max_slots:]]
        ii = [ids(t) for _, sub in items for t in sub[:max_sub]]
        ww = [w / len(sub[:max_sub]) for w, sub in items for _ in sub[:max_sub]]
        rows.append((ii, ww))
    L = max(1, max(len(r[0]) for r in rows))
    S = max(1, max(min(len(ex.slots), max_slots) for ex in examples))
    M = max([1] + [len(o) for ex in examples for _, o in ex.slots[:max_slots]])
    fix_ids = torch.full((B, L), PAD, dtype=torch.long)
    fix_w = torch.zeros(B, L)
    opt_ids = torch.full((B, S, M, max_sub), PAD, dtype=torch.long)
    slot_w = torch.zeros(B, S)
    n_opt = torch.ones(B, S, dtype=torch.long)
    for b, (ex, (ii, ww)) in enumerate(zip(examples, rows)):
        fix_ids[b, :len(ii)] = torch.tensor(ii, dtype=torch.long)
        fix_w[b, :len(ww)] = torch.tensor(ww)
        for s, (w, options) in enumerate(ex.slots[:max_slots]):
            padded = [options[j] if j < len(options) else options[0] for j in range(M)]
            for j, o in enumerate(padded):
                o = o[:max_sub]
                opt_ids[b, s, j, :len(o)] = torch.tensor([ids(t) for t in o], dtype=torch.long)
            slot_w[b, s] = w
            n_opt[b, s] = len(options)
    return Batch(fix_ids, fix_w, opt_ids, slot_w, n_opt,
                 torch.tensor([ex.label for ex in examples], dtype=torch.long))


# ----------------------------------------------------------------------------- model and IBP
class BagClassifier(nn.Module):
    """Mean of item embeddings -> Linear -> ReLU -> Linear (``n_classes`` logits)."""

    def __init__(self, vocab_size: int, n_classes: int, d: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab_size, d, padding_idx=PAD)
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, n_classes)
        nn.init.normal_(self.emb.weight, std=0.5)
        with torch.no_grad():
            self.emb.weight[PAD] = 0

    def options(self, b: Batch) -> torch.Tensor:
        """(B, S, M, d): the vector of every option of every slot (mean of its subtokens)."""
        mask = (b.opt_ids != PAD).float()
        return (self.emb(b.opt_ids) * mask[..., None]).sum(-2) / mask.sum(-1, keepdim=True).clamp(min=1)

    def fixed(self, b: Batch) -> torch.Tensor:
        """(B, d): the weighted sum of the fixed items' subtoken vectors."""
        return (self.emb(b.fix_ids) * b.fix_w[..., None]).sum(1)

    def bag(self, b: Batch, choice: torch.Tensor | None = None) -> torch.Tensor:
        """(B, d) bag vector with slot s set to option ``choice[:, s]`` (default: clean, 0)."""
        opts = self.options(b)
        if choice is None:
            chosen = opts[:, :, 0]
        else:
            chosen = opts.gather(2, choice[:, :, None, None].expand(-1, -1, 1, opts.shape[-1])).squeeze(2)
        return self.fixed(b) + (b.slot_w[..., None] * chosen).sum(1)

    def head(self, z: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(z)))

    def forward(self, b: Batch, choice: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.bag(b, choice))

    def hidden_bounds(self, b: Batch, eps: float = 1.0, first: str = "box"):
        """Lower/upper bounds (B, H) of the first layer's pre-activations over every
        combination of options, each option shrunk towards the clean one by ``eps``
        (``o0 + eps * (o - o0)``; ``eps = 1`` is the threat model)."""
        opts = self.options(b)
        o0 = opts[:, :, :1]
        shrunk = o0 + eps * (opts - o0)  # (B, S, M, d)
        w = b.slot_w[..., None]
        base = self.fixed(b)
        if first == "box":  # Jia et al.: the box hull of the options, then IBP through fc1
            lo = base + (w * shrunk.min(2).values).sum(1)
            hi = base + (w * shrunk.max(2).values).sum(1)
            mid, rad = (hi + lo) / 2, (hi - lo) / 2
            c = self.fc1(mid)
            r = rad @ self.fc1.weight.abs().t()
            return c - r, c + r
        if first == "vertex":  # the exact range of fc1 over the options (Huang et al.'s simplex)
            a = shrunk @ self.fc1.weight.t()  # (B, S, M, H)
            c = self.fc1(base)
            return c + (w * a.min(2).values).sum(1), c + (w * a.max(2).values).sum(1)
        raise ValueError(f"first must be 'box' or 'vertex', got {first!r}")

    def margin_lower(self, b: Batch, eps: float = 1.0, first: str = "box") -> torch.Tensor:
        """(B, C) lower bounds of ``logit_y - logit_c`` (0 at c = y): every margin is exactly
        minimised over the box of hidden activations (ReLU is monotone)."""
        lo, hi = self.hidden_bounds(b, eps, first)
        lo, hi = F.relu(lo), F.relu(hi)
        W, bias = self.fc2.weight, self.fc2.bias
        diff = W[b.y][:, None, :] - W[None]  # (B, C, H): w_y - w_c
        low = (diff.clamp(min=0) * lo[:, None]).sum(-1) + (diff.clamp(max=0) * hi[:, None]).sum(-1)
        return low + bias[b.y][:, None] - bias[None]


def certified(model: BagClassifier, b: Batch, first: str = "box") -> torch.Tensor:
    """(B,) bool: no combination of the slots' options can change the (correct) answer."""
    with torch.no_grad():
        low = model.margin_lower(b, 1.0, first)
        low = low.scatter(1, b.y[:, None], float("inf"))
        return low.min(1).values > 0


def margins(model: BagClassifier, b: Batch, choice: torch.Tensor | None = None) -> torch.Tensor:
    """(B,) ``logit_y - max_{c != y} logit_c`` for one choice of options."""
    logits = model(b, choice)
    true = logits.gather(1, b.y[:, None]).squeeze(1)
    return true - logits.scatter(1, b.y[:, None], float("-inf")).max(1).values


def n_combinations(b: Batch) -> torch.Tensor:
    """(B,) number of distinct programs (product of the slots' option counts), as float."""
    return b.n_opt.double().prod(1)


def greedy_attack(model: BagClassifier, b: Batch, passes: int = 2) -> torch.Tensor:
    """(B, S) choices found by coordinate descent on the margin: each pass sets every slot in
    turn to its margin-minimising option given the others. An attack: robust accuracy under it
    is an upper bound on the true robust accuracy."""
    with torch.no_grad():
        choice = torch.zeros_like(b.n_opt)
        best = margins(model, b, choice)
        for _ in range(passes):
            for s in range(choice.shape[1]):
                for j in range(1, int(b.n_opt[:, s].max())):
                    trial = choice.clone()
                    ok = b.n_opt[:, s] > j
                    trial[ok, s] = j
                    m = margins(model, b, trial)
                    better = ok & (m < best)
                    choice[better, s] = j
                    best = torch.where(better, m, best)
        return choice


def exhaustive_robust(model: BagClassifier, b: Batch, cap: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """``(robust, exact)``: per function, whether every one of its programs is classified
    correctly (enumerated when it has at most ``cap`` programs), and whether it was enumerated.
    Where it was not, ``robust`` is the greedy attack's answer (an upper bound)."""
    with torch.no_grad():
        n = n_combinations(b)
        exact = n <= cap
        robust = margins(model, b, greedy_attack(model, b)) > 0
        opts = model.options(b)
        base = model.fixed(b)
        for i in torch.nonzero(exact).flatten().tolist():
            ranges = [range(int(k)) for k in b.n_opt[i]]
            combos = torch.tensor(list(itertools.product(*ranges)), dtype=torch.long)  # (K, S)
            S = combos.shape[1]
            vecs = opts[i][torch.arange(S)[None, :], combos]  # (K, S, d)
            z = base[i] + (b.slot_w[i][None, :, None] * vecs).sum(1)
            logits = model.head(z)
            y = int(b.y[i])
            robust[i] = bool((logits.argmax(1) == y).all()) and bool(
                (logits[:, y] > logits.scatter(1, torch.full((len(z), 1), y), float("-inf")).max(1).values).all())
        return robust, exact


# ----------------------------------------------------------------------------- training
def ramp(t: float, start: float, end: float) -> float:
    """Linear ramp from ``start`` (t = 0) to ``end`` (t >= 1)."""
    return start + (end - start) * min(max(t, 0.0), 1.0)


def ibp_loss(total_steps: int, ibp: bool = False, kappa_end: float = 0.5, ramp_frac: float = 0.5,
             first: str = "box") -> Loss:
    """The bag classifier's loss on a batch (``Batch``'s tensors in order). Normal: cross-entropy
    on clean programs. IBP (Jia et al.'s recipe): ``kappa * CE(clean) + (1 - kappa) *
    CE(worst-case logits)``, the worst-case logits being ``-margin_lower`` at perturbation size
    ``eps``; ``eps`` ramps 0 -> 1 and ``kappa`` 1 -> ``kappa_end`` over the first ``ramp_frac`` of
    ``total_steps`` (counted by the calls), then stay."""
    step = 0

    def loss(model: BagClassifier, batch: tuple[torch.Tensor, ...], gen: torch.Generator
             ) -> torch.Tensor:
        nonlocal step
        mb = Batch(*batch)
        out = F.cross_entropy(model(mb), mb.y)
        if ibp:
            frac = step / max(1, ramp_frac * total_steps)
            eps, kappa = ramp(frac, 0.0, 1.0), ramp(frac, 1.0, kappa_end)
            worst = -model.margin_lower(mb, eps, first)
            out = kappa * out + (1 - kappa) * F.cross_entropy(worst, mb.y)
        step += 1
        return out
    return loss


def train_bag(model: BagClassifier, b: Batch, epochs: int = 16, batch: int = 128, lr: float = 5e-3,
              ibp: bool = False, kappa_end: float = 0.5, ramp_frac: float = 0.5, first: str = "box",
              seed: int = 0, history: list | None = None) -> BagClassifier:
    """Train in place by ``core.fit`` (Adam, shuffled mini-batches) with ``ibp_loss``: normal
    or IBP training. ``history`` gets each epoch's last-batch loss. Returns the model (eval)."""
    steps = epochs * ((len(b) + batch - 1) // batch)
    losses: list[float] = []

    def on_epoch(epoch: int, _: float) -> None:
        if history is not None:
            history.append({"epoch": epoch + 1, "loss": losses[-1]})
    fit(model, (b.fix_ids, b.fix_w, b.opt_ids, b.slot_w, b.n_opt, b.y),
        ibp_loss(steps, ibp, kappa_end, ramp_frac, first),
        torch.optim.Adam(model.parameters(), lr=lr), epochs, batch,
        torch.Generator().manual_seed(seed), on_epoch=on_epoch,
        on_step=lambda step, loss: losses.append(loss))
    return model.eval()


def evaluate(model: BagClassifier, b: Batch, cap: int = 4096, first: str = "box") -> dict:
    """Per-function 0/1 arrays: ``clean``, ``robust`` (exhaustive where ``exact``, else greedy),
    ``certified`` (IBP), and ``exact``."""
    with torch.no_grad():
        clean = model(b).argmax(1) == b.y
    robust, exact = exhaustive_robust(model, b, cap)
    cert = certified(model, b, first)
    return {"clean": clean.numpy(), "robust": (robust & clean).numpy(), "certified": cert.numpy(),
            "exact": exact.numpy()}

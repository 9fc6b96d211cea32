"""Three defences of the name model at one equal extra budget, and their attack table.

Every defence starts from the shipped standard model (``code_names``) and gets the same number of
extra optimizer steps of the same batch size (``KNOBS``); a control gets those steps of plain
training, so that "more training" is not mistaken for a defence:

- ``code_names_more``: the control (standard training continued);
- ``code_names_advft``: adversarial fine-tuning, half of each batch attacked by JO, the papers'
  optimiser (Srikant et al. 2021 fine-tune with their attack; the shipped ``code_names_adv``
  instead trains from scratch with random sites);
- ``code_names_contra``: ContraCode-style (Jain et al. 2021) InfoNCE on two random obfuscations
  of each function (renames + dead code, the lesson's sound transforms) for the first half of the
  steps, then name fine-tuning for the second half. ContraCode pre-trains from scratch on a large
  corpus; here the contrastive phase is continued pre-training of the trained encoder;
- ``code_names_contra_adv``: the same, with the positive view adversarial (the JO obfuscation
  against the current model's name loss), as RoCL (Kim et al. 2020) does for images;
- ``code_names_nocopy``: an ablation, not a defence: the copy mechanism switched off
  (``NamePredictor(copy=False)``: every subtoken generated from the vocabulary), then the same
  extra steps, so the decoder learns to generate what it used to copy.

``defence_table`` attacks the first ``n_eval`` test functions of all seven models (the two shipped
ones and these five) with every attack at k = 5; notebook 04 takes the per-program worst case.
"""

from __future__ import annotations

import functools
import random

import torch
from torch import nn

from tutorial_lib.core.config import get_profile, pick_knobs
from tutorial_lib.core.fit import nt_xent

from .dataset import Vocab
from .model import NamePredictor, make_batch
from .programs import apply_edits, candidate_tokens, make_program, random_edits

DEFENCES = {
    "code_names_more": "control: the same extra steps of standard training",
    "code_names_advft": "adversarial fine-tuning with JO (the papers' optimiser), half of each batch",
    "code_names_contra": "InfoNCE on two random obfuscations (first half), then name fine-tuning",
    "code_names_contra_adv": "InfoNCE with an adversarial obfuscation as the positive, then fine-tuning",
    "code_names_nocopy": "ablation: the copy head switched off, then the same extra steps",
}
KNOBS = {  # extra steps from the standard checkpoint (equal for every defence and the control)
    "quick": {"steps": 600, "batch_size": 64, "lr": 3e-4, "warmup": 30, "eval_every": 150, "n_val": 400,
              "k": 5, "attack_steps": 1, "adv_fraction": 0.5, "temperature": 0.1, "n_eval": 1000},
    "full": {"steps": 4000, "batch_size": 128, "lr": 2e-4, "warmup": 200, "eval_every": 1000,
             "n_val": 1500, "k": 5, "attack_steps": 1, "adv_fraction": 0.5, "temperature": 0.1,
             "n_eval": 1000},
    "smoke": {"steps": 2, "batch_size": 8, "warmup": 1, "eval_every": 2, "n_val": 8, "n_eval": 8},
}
TABLE_ATTACKS = [("random", 5, {}), ("random_search", 5, {"restarts": 20}),
                 ("grad_site_grad", 5, {"steps": 1}), ("ao", 5, {"steps": 3}), ("jo", 5, {"steps": 3})]


def knobs(profile: str | None = None) -> dict:
    """This module's knobs for the active (or named) profile."""
    return pick_knobs(KNOBS, profile)


def pooled(model: NamePredictor, token_lists: list[list[str]], vocab: Vocab) -> torch.Tensor:
    """The encoder's mean state over each input's tokens, (B, d): the representation the
    contrastive phase trains (the decoder starts from it too)."""
    dev = next(model.parameters()).device
    b = make_batch(token_lists, None, vocab, model.max_len, model.max_tgt, dev)
    enc, mask = model.encode(b["src"])
    keep = (~mask).unsqueeze(-1).float()
    return (enc * keep).sum(1) / keep.sum(1).clamp(min=1)


def contrastive_loss(train: list[dict], vocab: Vocab, head: nn.Module, until: int, k: int = 5,
                     temperature: float = 0.1, adversarial: bool = False, attack_steps: int = 1,
                     max_len: int = 128, seed: int = 0):
    """An ``other_loss`` for ``train.train_name_model``: NT-Xent between two obfuscated views of
    each function for steps 1..``until`` (None afterwards: the name loss takes over). Views:
    random sites (1..k) with random fresh words; with ``adversarial`` the second view is JO's
    obfuscation (k sites) against the model's current name loss."""
    from .attacks import attack

    rng = random.Random(seed)
    cands = [vocab.itos[i] for i in candidate_tokens(vocab)]

    @functools.cache
    def program(i: int):
        return make_program(train[i]["source"], train[i]["target"], max_len, normalized=True)

    def view(p) -> list[str]:
        sites = rng.sample(p.sites, min(rng.randint(1, k), len(p.sites)))
        return apply_edits(p, random_edits(p, sites, cands, rng))[0]

    def loss(model: NamePredictor, idx: list[int], step: int) -> torch.Tensor | None:
        if step > until:
            return None
        progs = [program(i) for i in idx]
        v1 = [view(p) for p in progs]
        if adversarial:
            edits = attack(model, progs, vocab, "jo", k=k, steps=attack_steps, seed=rng.randrange(2 ** 30))
            v2 = [apply_edits(p, e)[0] for p, e in zip(progs, edits)]
        else:
            v2 = [view(p) for p in progs]
        model.train()
        return nt_xent(head(pooled(model, v1, vocab)), head(pooled(model, v2, vocab)), temperature)

    return loss


def defend(name: str, model: NamePredictor, profile: str | None = None, log=print) -> dict:
    """Train defence ``name`` (a key of ``DEFENCES``) in place, starting from the standard
    checkpoint's weights; returns the metrics (plus the test report) for the zoo."""
    from tutorial_lib.core import zoo

    from .dataset import load_corpus, load_vocab
    from .model import STANDARD, checkpoint_name
    from .train import evaluation_report, train_name_model

    if name not in DEFENCES:
        raise ValueError(f"Unknown defence {name!r}; use one of {sorted(DEFENCES)}.")
    k = knobs(profile)
    if not get_profile(profile).smoke:  # smoke runs: the tiny model, code paths only
        model.load_state_dict(zoo.load(checkpoint_name(STANDARD, profile)).float().state_dict())
    vocab = load_vocab()
    train, val, test = load_corpus("train"), load_corpus("val", n=k["n_val"]), load_corpus("test")
    opts: dict = {}
    if name == "code_names_advft":
        opts = {"adv_fraction": k["adv_fraction"], "adv_attack": "jo", "adv_steps": k["attack_steps"]}
    elif name.startswith("code_names_contra"):
        head = nn.Sequential(nn.Linear(model.d, model.d), nn.ReLU(), nn.Linear(model.d, 64))
        head.to(next(model.parameters()).device)
        half = k["steps"] // 2
        opts = {"other_loss": contrastive_loss(train, vocab, head, half, k["k"], k["temperature"],
                                               name.endswith("_adv"), k["attack_steps"], model.max_len),
                "extra_params": list(head.parameters()), "select_after": half}
    metrics = train_name_model(model, train, val, vocab, steps=k["steps"], batch_size=k["batch_size"],
                               lr=k["lr"], warmup=k["warmup"], eval_every=k["eval_every"], adv_k=k["k"],
                               log=log, **opts)
    metrics.update({"defence": DEFENCES[name], "start": checkpoint_name(STANDARD, profile),
                    "contrastive_steps": k["steps"] // 2 if "other_loss" in opts else 0})
    metrics.update(evaluation_report(model, vocab, test, train))
    model.half()
    return metrics


def defence_table(models: dict[str, NamePredictor], n: int, log=print) -> dict:
    """Every attack of ``TABLE_ATTACKS`` (k = 5, seed 0) on the first ``n`` test functions, for
    each model; JSON-able: ``{"n", "names", "models": {name: rows}}`` (rows as ``attack_rows``)."""
    import time

    from .dataset import load_functions, load_vocab
    from .evaluate import attack_rows, micro_f1

    vocab = load_vocab()
    recs = load_functions("test", n=n)
    out: dict = {"n": n, "names": [r["name"] for r in recs], "attacks": TABLE_ATTACKS, "models": {}}
    windows = {m.max_len for m in models.values()}
    if len(windows) != 1:
        raise ValueError(f"the models read different input windows {sorted(windows)}; compare like with like")
    (max_len,) = windows
    programs = [make_program(r["source"], r["target"], max_len, normalized=True) for r in recs]
    for mname, model in models.items():
        t0 = time.perf_counter()
        rows = attack_rows(model, programs, vocab, TABLE_ATTACKS, seed=0)
        if log:
            log(f"{mname}: " + ", ".join(f"{r['attack']} {micro_f1(r['counts']):.3f}" for r in rows)
                + f" ({time.perf_counter() - t0:.0f} s)")
        out["models"][mname] = [{**{a: v for a, v in r.items() if a != "counts"},
                                 "counts": r["counts"].tolist()} for r in rows]
    return out

"""Training of the name predictor: standard, or adversarial (part of each batch obfuscated by a
random-site + gradient-content attack against the current model, Srikant et al. 2021 style)."""

from __future__ import annotations

import copy
import functools
import itertools
import math
import random
import time
from collections.abc import Callable

import torch

from tutorial_lib.core.config import get_profile
from tutorial_lib.core.fit import fit

from .attacks import attack, gradient_step
from .dataset import Vocab, load_corpus, load_vocab, tokenize_code
from .metrics import copy_frequent_baseline, most_frequent_name_baseline, subtoken_f1
from .model import ROBUST, NamePredictor, base_name, make_batch, mean_loss, predict_tokens
from .programs import apply_edits, candidate_tokens, make_program, random_edits

# steps are the budget (equal for the standard and the adversarial model); max_minutes a guard.
TRAIN_CONFIGS = {
    "quick": {"steps": 4000, "batch_size": 64, "lr": 1e-3, "warmup": 200, "eval_every": 500,
              "n_val": 400, "adv_fraction": 0.5, "adv_k": 5, "max_minutes": 150},
    "full": {"steps": 30000, "batch_size": 128, "lr": 5e-4, "warmup": 1000, "eval_every": 2000,
             "n_val": 1500, "adv_fraction": 0.5, "adv_k": 5, "max_minutes": 600},
}


def tokens_of(recs: list[dict]) -> list[list[str]]:
    """Model input tokens of dataset records (their source is already normalized)."""
    return [tokenize_code(r["source"], r["name"])[0] for r in recs]


def evaluate_f1(model: NamePredictor, recs: list[dict], vocab: Vocab, toks=None) -> dict:
    toks = toks if toks is not None else tokens_of(recs)
    return subtoken_f1(predict_tokens(model, toks, vocab), [r["target"] for r in recs])


def length_buckets(lengths: list[int], batch_size: int, rng: random.Random,
                   pool: int = 50) -> list[list[int]]:
    """One epoch of shuffled batches whose members have similar lengths (less padding): shuffle,
    sort each pool of ``pool`` batches by length, cut into batches, shuffle the batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out = []
    for lo in range(0, len(order), batch_size * pool):
        chunk = sorted(order[lo:lo + batch_size * pool], key=lambda i: lengths[i])
        out += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def train_name_model(model: NamePredictor, train: list[dict], val: list[dict], vocab: Vocab,
                     steps: int, batch_size: int = 64, lr: float = 1e-3, warmup: int = 100,
                     eval_every: int = 300, adv_fraction: float = 0.0, adv_k: int = 5,
                     max_minutes: float | None = None, seed: int = 0,
                     log: Callable[[str], None] | None = print, adv_attack: str = "random_site_grad",
                     adv_steps: int = 1, other_loss: Callable | None = None,
                     extra_params: list | None = None, select_after: int = 0, **_: object) -> dict:
    """AdamW with warm-up + cosine decay for a fixed number of steps; keeps the weights with the
    best validation subtoken F1 (among evaluations at step >= ``select_after``). With
    ``adv_fraction`` > 0 that share of each batch is replaced by adversarially obfuscated versions:
    ``adv_attack="random_site_grad"`` (random 1..adv_k sites, one gradient content step) or any
    ``attacks.attack`` kind (e.g. ``"jo"``, the papers' optimiser, ``adv_steps`` steps, k = adv_k).
    ``other_loss(model, idx, step)``, when it returns a tensor, replaces the name loss at that
    step (e.g. a contrastive pre-training phase); ``extra_params`` (e.g. its projection head) are
    optimised with the model."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    dev = next(model.parameters()).device
    # train inputs tokenized (and parsed, for the attack) lazily, once each: a cheap start
    train_tokens = functools.cache(lambda i: tokenize_code(train[i]["source"], train[i]["name"])[0])
    program = functools.cache(lambda i: make_program(train[i]["source"], train[i]["target"],
                                                     model.max_len, normalized=True))
    val_toks = tokens_of(val)
    opt = torch.optim.AdamW([*model.parameters(), *(extra_params or [])], lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * (
        0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps)))))
    cand_ids = candidate_tokens(vocab)
    cands = [vocab.itos[i] for i in cand_ids]
    best = {"val_f1": -1.0, "step": 0, "state": copy.deepcopy(model.state_dict())}
    history = []
    t0 = time.perf_counter()
    lengths = [len(r["source"]) for r in train]

    def batches():  # the step budget: length buckets, reshuffled whenever they run out
        return itertools.islice((torch.tensor(b) for _ in itertools.count()
                                 for b in reversed(length_buckets(lengths, batch_size, rng))), steps)

    calls = itertools.count(1)

    def name_loss(model: NamePredictor, batch: tuple[torch.Tensor, ...], gen) -> torch.Tensor:
        idx = batch[0].tolist()
        if other_loss is not None and (loss := other_loss(model, idx, next(calls))) is not None:
            return loss
        toks = [train_tokens(i) for i in idx]
        n_adv = round(adv_fraction * len(idx))
        if n_adv:
            progs = [program(i) for i in idx[:n_adv]]
            if adv_attack == "random_site_grad":
                start = [random_edits(p, rng.sample(p.sites, min(rng.randint(1, adv_k), len(p.sites))),
                                       cands, rng) for p in progs]
                edits = gradient_step(model, progs, start, vocab, cand_ids, adv_k, select_sites=False)
            else:
                edits = attack(model, progs, vocab, adv_attack, k=adv_k, steps=adv_steps,
                               seed=rng.randrange(2 ** 30))
            toks[:n_adv] = [apply_edits(p, e)[0] for p, e in zip(progs, edits)]
        model.train()
        return model.loss(make_batch(toks, [train[i]["target"] for i in idx], vocab, model.max_len,
                                     model.max_tgt, dev))

    def on_step(step: int, loss: float) -> bool:
        elapsed = time.perf_counter() - t0
        out_of_time = max_minutes is not None and elapsed > 60 * max_minutes
        if step % eval_every == 0 or step == steps or out_of_time:
            f1 = evaluate_f1(model, val, vocab, val_toks)["f1"]
            history.append({"step": step, "seconds": round(elapsed, 1), "train_loss": round(loss, 4),
                            "val_f1": round(f1, 4)})
            if log:
                log(f"step {step}/{steps}  loss {loss:.3f}  val F1 {f1:.3f}  {elapsed:.0f} s")
            if f1 > best["val_f1"] and step >= select_after:
                best.update(val_f1=round(f1, 4), step=step, state=copy.deepcopy(model.state_dict()))
        if out_of_time and log:
            log(f"stopped by the {max_minutes}-minute guard at step {step} of {steps}")
        return out_of_time
    fit(model, (torch.arange(len(train)),), name_loss, opt, 1, batch_size, None, sched,
        train_mode=False, batches=batches, clip_norm=1.0, on_step=on_step)
    model.load_state_dict(best["state"])
    model.eval()
    done = history[-1]["step"] if history else 0  # the last step is always evaluated
    return {"steps_budget": steps, "steps_done": done, "best_step": best["step"],
            "best_val_f1": best["val_f1"], "epochs_done": round(done * batch_size / len(train), 3),
            "adv_fraction": adv_fraction, "batch_size": batch_size, "lr": lr, "history": history,
            **({"adv_attack": adv_attack, "adv_steps": adv_steps} if adv_fraction else {})}


def evaluation_report(model: NamePredictor, vocab: Vocab, test: list[dict], train: list[dict]) -> dict:
    """Test-file F1 of the model beside the two baselines, and two checks that it reads its input:
    the loss with each body's subtokens shuffled (order) and with another function's body."""
    toks = tokens_of(test)
    trues = [r["target"] for r in test]
    model_f1 = evaluate_f1(model, test, vocab, toks)
    freq = most_frequent_name_baseline([r["target"] for r in train], k=2)
    base_freq = subtoken_f1([freq] * len(test), trues)
    base_copy = subtoken_f1([copy_frequent_baseline(t) for t in toks], trues)
    rng = random.Random(0)
    shuffled = []
    for t in toks:
        t = list(t[:model.max_len])
        rng.shuffle(t)
        shuffled.append(t)
    r = lambda d: {k: round(v, 4) for k, v in d.items()}
    return {"test_n": len(test), "test": r(model_f1), "baseline_most_frequent_name": r(base_freq),
            "baseline_copy_two_frequent_body_subtokens": r(base_copy),
            "test_loss": round(mean_loss(model, toks, trues, vocab), 4),
            "test_loss_shuffled_input": round(mean_loss(model, shuffled, trues, vocab), 4),
            "test_loss_other_input": round(mean_loss(model, toks[1:] + toks[:1], trues, vocab), 4)}


def train_for_checkpoint(name: str, model: NamePredictor, profile: str | None = None,
                         steps: int | None = None, log=print) -> dict:
    """The zoo's training of the name models (``python scripts/train.py code_names``)."""
    cfg = dict(TRAIN_CONFIGS[get_profile(profile).name])
    if steps is not None:
        cfg["steps"] = steps
    if base_name(name) != ROBUST:
        cfg["adv_fraction"] = 0.0
    vocab = load_vocab()
    train = load_corpus("train")
    val = load_corpus("val", n=cfg["n_val"])
    test = load_corpus("test")
    metrics = train_name_model(model, train, val, vocab, seed=get_profile(profile).seed, log=log, **cfg)
    metrics.update(evaluation_report(model, vocab, test, train))
    if log:
        log(f"{name}: test F1 {metrics['test']['f1']:.3f} (baselines: most frequent name "
            f"{metrics['baseline_most_frequent_name']['f1']:.3f}, copy body subtokens "
            f"{metrics['baseline_copy_two_frequent_body_subtokens']['f1']:.3f})")
    model.half()  # ship half-precision weights (loaded back into float32)
    return metrics

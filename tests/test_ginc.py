"""GINC (Xie et al. 2022): the generator, the exact forward algorithm, the Bayes predictor, and
the shipped in-context checkpoints."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from tutorial_lib.core import data, zoo
from tutorial_lib.foundation import ginc, lm, solutions


def test_mixture_is_deterministic_and_well_formed():
    g, g2 = ginc.make_ginc(seed=3), ginc.make_ginc(seed=3)
    assert np.array_equal(g.memory, g2.memory) and np.allclose(g.transitions, g2.transitions)
    assert not np.array_equal(g.memory, ginc.make_ginc(seed=4).memory)
    T = g.transitions
    assert T.shape == (5, 100, 100) and np.allclose(T.sum(-1), 1) and (T > 0).all()
    assert (g.memory[:, 0] == ginc.DELIM).all() and (g.memory[:, 1:] > 0).all()
    assert g.memory.max() < g.vocab
    # concepts differ, the entity transition is shared and sticky
    assert np.abs(g.slot_T[0] - g.slot_T[1]).sum() > 1
    assert np.allclose(np.diag(g.value_T), 0.9, atol=0.1)
    with pytest.raises(ValueError):
        ginc.make_ginc(vocab=1)


def test_documents_shapes_and_determinism():
    g = ginc.make_ginc()
    x, c = ginc.sample_documents(g, 40, 30, seed=5)
    assert x.shape == (40, 30) and c.shape == (40,)
    assert x.min() >= 0 and x.max() < g.vocab
    x2, c2 = ginc.sample_documents(g, 40, 30, seed=5)
    assert np.array_equal(x, x2) and np.array_equal(c, c2)
    assert not np.array_equal(x, ginc.sample_documents(g, 40, 30, seed=6)[0])


def test_chains_of_one_concept_follow_its_transition_matrix():
    g = ginc.make_ginc()
    T = g.transitions
    rng = np.random.default_rng(0)
    n, L = 4000, 50
    h = ginc.sample_chains(T, np.full(n, 2), rng.integers(0, 100, n), L, rng)
    counts = np.zeros((100, 100))
    np.add.at(counts, (h[:, :-1].ravel(), h[:, 1:].ravel()), 1)
    rows = counts.sum(1)
    emp = counts / rows[:, None]
    tv = 0.5 * np.abs(emp - T[2]).sum(1)  # per-row total variation distance
    assert rows.min() > 500 and tv.max() < 0.1
    # ... and not the transition matrix of another concept
    assert (0.5 * np.abs(emp - T[0]).sum(1)).mean() > 0.3


def _brute_force_next(g: ginc.GINC, tokens: list[int]) -> np.ndarray:
    """p(next token | tokens) by summing over every concept and hidden path."""
    T, emit, H = g.transitions, g.emit, g.n_hidden
    joint = np.zeros(g.vocab)
    for c in range(g.n_concepts):
        for path in itertools.product(range(H), repeat=len(tokens) + 1):
            if any(emit[h] != o for h, o in zip(path, tokens)):
                continue
            p = g.start[c, path[0]] / g.n_concepts
            for a, b in zip(path[:-1], path[1:]):
                p *= T[c, a, b]
            joint[emit[path[-1]]] += p
    return joint / joint.sum()


def test_forward_algorithm_matches_brute_force_enumeration():
    g = ginc.make_ginc(seed=1, vocab=4, n_values=2, n_slots=3, n_concepts=2, smoothing=0.05)
    rng = np.random.default_rng(0)
    seqs = np.array([g.emit[rng.integers(0, g.n_hidden, 4)] for _ in range(6)])
    got = ginc.bayes_predict(g, seqs)
    want = np.stack([_brute_force_next(g, list(s)) for s in seqs])
    assert np.allclose(got, want, atol=1e-10)


def test_exercise_reference_matches_library_step():
    g = ginc.make_ginc()
    T = torch.as_tensor(g.transitions)
    alpha = torch.rand(3, 5, 100, dtype=T.dtype)
    alpha /= alpha.sum((1, 2), keepdim=True)
    lik = (torch.rand(3, 5, 100) > 0.5).to(T.dtype)
    assert torch.allclose(solutions.forward_step(alpha, T, lik), ginc.forward_step(alpha, T, lik))


def test_prompts_are_paired_across_cells_and_order():
    g = ginc.make_ginc()
    ps = ginc.make_prompts(g, 50, n_max=4, k_max=6, seed=0)
    x = ginc.prompt_tokens(g, ps, 4, 6)
    assert x.shape == (50, 4 * 7 + 5)
    assert (x[:, 6::7][:, :4] == ginc.DELIM).all()  # a delimiter after every example
    # fewer examples = the last ones; shorter examples = prefixes; the test example is shared
    assert np.array_equal(ginc.prompt_tokens(g, ps, 2, 6), x[:, 14:])
    assert np.array_equal(ginc.prompt_tokens(g, ps, 0, 3), x[:, -5:-3])
    rev = ginc.prompt_tokens(g, ps, 4, 6, order=np.tile([3, 2, 1, 0], (50, 1)))
    assert np.array_equal(rev[:, :7], x[:, 21:28]) and np.array_equal(rev[:, -5:], x[:, -5:])
    with pytest.raises(ValueError):
        ginc.prompt_tokens(g, ps, 5, 6)


def test_bayes_in_context_accuracy_rises_with_examples():
    g = lm.mixture()
    ps = ginc.make_prompts(g, 600, n_max=8, k_max=5, seed=11)
    accs = {}
    for k in (3, 5):
        y = ginc.labels(g, ps, k)
        accs[k] = [(ginc.bayes_predict(g, ginc.prompt_tokens(g, ps, n, k)).argmax(1) == y).mean()
                   for n in (0, 8)]
    gain = np.mean([a[1] - a[0] for a in accs.values()])
    assert gain > 0.02, accs
    assert all(a[1] > 0.6 for a in accs.values()), accs


def test_ideal_reader_ignores_order_and_finds_the_concept():
    g = lm.mixture()
    ps = ginc.make_prompts(g, 300, n_max=8, k_max=3, seed=12)
    orders = lm.random_orders(300, 8, 3, seed=0)
    probs = [ginc.prompt_bayes_predict(g, ginc.prompt_tokens(g, ps, 8, 3, order=o), 8, 3) for o in orders]
    assert np.allclose(probs[0], probs[1], atol=1e-5) and np.allclose(probs[0], probs[2], atol=1e-5)
    assert np.allclose(probs[0].sum(1), 1, atol=1e-5)
    y = ginc.labels(g, ps, 3)
    acc = lambda n: (ginc.prompt_bayes_predict(g, ginc.prompt_tokens(g, ps, n, 3), n, 3).argmax(1) == y).mean()  # noqa: E731
    # with 8 examples it is (nearly) the oracle that knows the concept; with none it is not
    assert (probs[0].argmax(1) == y).mean() > 0.95 > acc(0) + 0.1
    # the pre-training predictor reads the same prompts as documents and is order-sensitive
    pre = [ginc.bayes_predict(g, ginc.prompt_tokens(g, ps, 8, 3, order=o)) for o in orders[:2]]
    assert np.abs(pre[0] - pre[1]).max() > 1e-3


@pytest.mark.parametrize("name", ["ginc_transformer", "ginc_lstm"])
def test_checkpoints_reload_with_their_recorded_accuracy(name):
    if not all(data.data_path(f).is_file() for f in zoo.get(name).files):
        pytest.skip(f"{name} not built: python scripts/train.py {name}")
    torch.set_num_threads(1)
    model = zoo.load(name)
    assert sum(p.numel() for p in model.parameters()) * 4 < 2e6
    x, y = lm.check_prompts()
    acc = (lm.predict_next(model, x) == y).mean()
    meta = zoo.metrics(name)
    assert abs(acc - meta["check_acc"]) <= 0.02
    assert meta["train_seconds"] > 0 and meta["command"] == f"python scripts/train.py {name}"
    # pre-training worked: the held-out loss closed most of the gap from uniform guessing (ln 50)
    # to the exact Bayes floor, and cannot beat that floor by more than sampling noise
    closed = (np.log(50) - meta["heldout_loss"]) / (np.log(50) - meta["bayes_heldout_loss"])
    assert 0.6 < closed < 1.05, closed

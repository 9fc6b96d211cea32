"""Notebook 16's code-side seed papers: IBP over substitution sets is sound (checked against
exhaustive enumeration), the connected-component encoding is invariant under every typo, and the
audit's exact re-ranking never lowers its objective."""

import itertools
import random

import pytest
import torch

from tutorial_lib.code import arca, roben, seed_solutions
from tutorial_lib.code import substitutions as subs
from tutorial_lib.code.dataset import SPECIALS, load_functions, load_vocab
from tutorial_lib.code.obfuscate import rename_many

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def vocab():
    return load_vocab()


def _random_batch(seed: int, B=6, S=3, M=4, V=30):
    g = torch.Generator().manual_seed(seed)
    L = 7
    fix_ids = torch.randint(len(SPECIALS), V, (B, L), generator=g)
    fix_w = torch.rand(B, L, generator=g) / L
    opt_ids = torch.randint(len(SPECIALS), V, (B, S, M, 2), generator=g)
    opt_ids[..., 1][torch.rand(B, S, M, generator=g) < 0.5] = 0  # some options have one subtoken
    slot_w = torch.rand(B, S, generator=g) * 0.3
    slot_w[: B // 2] *= 0.05  # small perturbations: some functions get certified
    n_opt = torch.randint(1, M + 1, (B, S), generator=g)
    for b in range(B):  # padding options repeat option 0, as collate writes them
        for s in range(S):
            opt_ids[b, s, n_opt[b, s]:] = opt_ids[b, s, 0]
    y = torch.randint(0, 5, (B,), generator=g)
    return subs.Batch(fix_ids, fix_w, opt_ids, slot_w, n_opt, y)


@pytest.mark.parametrize("seed", range(6))
def test_ibp_bounds_hold_for_every_enumerated_choice(seed):
    """Random small nets (weights scaled up so that bounds are tight and often crossed):
    every margin of every one of the (<= 4^3) choices is >= the IBP lower bound, the exact first
    layer is never looser than the box, and 'certified' implies correct under every choice."""
    torch.manual_seed(seed)
    b = _random_batch(seed)
    model = subs.BagClassifier(30, 5, d=6, hidden=8)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)
    with torch.no_grad():  # the label is the clean prediction, so certification is possible
        b.y = model(b).argmax(1)
    low_box = model.margin_lower(b, 1.0, "box")
    low_vtx = model.margin_lower(b, 1.0, "vertex")
    assert (low_vtx >= low_box - 1e-5).all()
    cert = subs.certified(model, b, "box") | subs.certified(model, b, "vertex")
    n_cert = 0
    with torch.no_grad():
        for i in range(len(b)):
            for combo in itertools.product(*[range(int(k)) for k in b.n_opt[i]]):
                choice = torch.zeros_like(b.n_opt)
                choice[i] = torch.tensor(combo)
                logits = model(b, choice)[i]
                margin = logits[b.y[i]] - logits
                assert (margin >= low_vtx[i] - 1e-5).all(), (i, combo)
                if cert[i]:
                    assert int(logits.argmax()) == int(b.y[i])
            n_cert += int(cert[i])
    robust, exact = subs.exhaustive_robust(model, b, cap=10**6)
    assert exact.all()
    assert (cert <= robust).all()
    assert 0 < n_cert < len(b)  # both branches exercised


def test_bag_interval_solution_contains_every_choice():
    g = torch.Generator().manual_seed(1)
    fixed, w, opts = torch.randn(5, generator=g), torch.rand(3, generator=g), torch.randn(3, 4, 5, generator=g)
    lo, hi = seed_solutions.bag_interval(fixed, w, opts)
    for combo in itertools.product(range(4), repeat=3):
        z = fixed + sum(w[s] * opts[s, c] for s, c in enumerate(combo))
        assert (z >= lo - 1e-6).all() and (z <= hi + 1e-6).all()
    # and it is the smallest box: each face is touched by some choice
    zs = torch.stack([fixed + sum(w[s] * opts[s, c] for s, c in enumerate(combo))
                      for combo in itertools.product(range(4), repeat=3)])
    assert torch.allclose(zs.min(0).values, lo, atol=1e-5) and torch.allclose(zs.max(0).values, hi, atol=1e-5)


def test_certified_le_adversarial_le_clean_on_real_functions(vocab):
    """A small model trained (normally and with IBP) on real functions: on every test function
    certified => robust under exhaustive enumeration => clean-correct; substitutes are fresh."""
    recs = load_functions("train", n=6000)
    labels = subs.top_labels(recs, 5)
    ex_tr = subs.substitution_examples(recs[:3000], labels, vocab, m=3, seed=0, max_items=128)
    ex_te = subs.substitution_examples(recs[3000:4500], labels, vocab, m=3, seed=1, max_items=128)
    b_tr, b_te = subs.collate(ex_tr, vocab, 6, 3), subs.collate(ex_te, vocab, 6, 3)
    out = {}
    for ibp in (False, True):
        torch.manual_seed(0)
        m = subs.train_bag(subs.BagClassifier(len(vocab), len(labels), 16, 32), b_tr, epochs=4, ibp=ibp)
        r = subs.evaluate(m, b_te, cap=4096)
        assert (r["certified"] <= r["robust"]).all() and (r["robust"] <= r["clean"]).all()
        assert r["clean"].mean() > 1 / len(labels)  # it learned something
        out[ibp] = r
    has = (b_te.slot_w > 0).any(1).numpy()
    assert out[True]["certified"][has].mean() > out[False]["certified"][has].mean()


def test_substitutes_are_sound_renames(vocab):
    """Every substitute is accepted by ``rename_many`` (a sound site, a fresh name)."""
    from tutorial_lib.code.obfuscate import rename_sites
    recs = load_functions("test", n=200)
    labels = subs.top_labels(recs, 10)
    n = 0
    for ex in subs.substitution_examples(recs, labels, vocab, m=3, seed=0)[:60]:
        items = subs.body_items(ex.source, next(r["name"] for r in recs if r["source"] == ex.source))
        sites = [s for s in rename_sites(ex.source) if any(o == s for _, o in items)]
        assert len(sites) == len(ex.slots)
        for site, (_, options) in zip(sites, ex.slots):
            for o in options[1:]:
                rename_many(ex.source, {site: o[0]})  # raises if not a sound, fresh rename
                n += 1
    assert n > 20


# ----------------------------------------------------------------------------- RobEn
@pytest.fixture(scope="module")
def components(vocab):
    return roben.ConnectedComponents(vocab.itos[len(SPECIALS):])


def test_typos_follow_the_attack_model():
    t = roben.typos("getter")
    assert "gettre" not in t  # the last letter stays
    assert "egtter" not in t  # the first letter stays
    assert {"gteter", "geter", "getyter", "gerter"} <= t  # swap, delete, insert, keyboard (t->r)
    assert roben.typos("is") == set() and "getter" not in t


def test_component_encoding_is_invariant_under_every_typo(components):
    """Every typo of every word (a random sample of 400 vocabulary words, and 'get', 'set') encodes
    exactly like the word, by the exact path and by the hash table."""
    rng = random.Random(0)
    words = rng.sample(components.words, 400) + ["get", "set", "data"]
    for w in words:
        c = components.component_of(w)
        assert c is not None
        for t in roben.typos(w):
            assert components.component_of(t) == c, (w, t)
            assert components.code(t) == components.code(w), (w, t)


def test_components_merge_only_words_linked_by_typos(components):
    """Two words in different components share no typo (spot check on the typo sets)."""
    rng = random.Random(1)
    for _ in range(200):
        u, v = rng.sample(components.words, 2)
        if components.component_of(u) != components.component_of(v):
            assert not ((roben.typos(u) | {u}) & (roben.typos(v) | {v}))


def test_typo_options_are_fresh_sound_renames():
    recs = load_functions("test", n=300)
    n = 0
    from tutorial_lib.code.obfuscate import identifiers, rename_sites
    for r in recs:
        src = r["source"]
        for site in rename_sites(src)[:2]:
            for o in roben.typo_options(site, identifiers(src))[1:6]:
                lead = site[:len(site) - len(site.lstrip("_"))]
                rename_many(src, {site: lead + "_".join(o)})
                n += 1
    assert n > 50


# ----------------------------------------------------------------------------- ARCA
def test_arca_steps_never_lower_the_objective(vocab):
    """Exact re-ranking keeps the current word among the candidates: the target NLL never rises,
    for first-order and for random candidates, on real functions and the shipped model."""
    from tutorial_lib.code.programs import make_program
    from tutorial_lib.code.zoo import load_name_model
    model = load_name_model("code_names", "cpu")
    recs = load_functions("test", n=12)
    progs = [make_program(r["source"], r["target"], model.max_len, normalized=True) for r in recs[:6]]
    for rule in ("first_order", "random"):
        hist: list = []
        edits = arca.arca_attack(model, progs, vocab, ["get", "data"], k=3, n_sites=3, passes=1,
                                 candidates=rule, history=hist)
        assert all(b <= a + 1e-5 for a, b in itertools.pairwise(hist)), hist
        for p, e in zip(progs, edits):  # every audited program is a sound obfuscation
            from tutorial_lib.code.programs import edits_to_source
            edits_to_source(p, e)


def test_arca_rejects_bad_arguments(vocab):
    with pytest.raises(ValueError, match="k"):
        arca.arca_attack(None, [], vocab, ["get"], k=0)

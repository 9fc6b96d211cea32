"""The code defences (``tutorial_lib.code.defences``): training phases, the optimised-attack
fine-tuning path, equal budgets of the shipped checkpoints, and the shipped defence table."""

import numpy as np
import pytest
import torch

from tutorial_lib.code import defences
from tutorial_lib.code.dataset import load_corpus, load_vocab
from tutorial_lib.code.model import NamePredictor
from tutorial_lib.code.train import train_name_model
from tutorial_lib.core import zoo


@pytest.fixture(scope="module")
def tiny():
    vocab = load_vocab()
    torch.manual_seed(0)
    model = NamePredictor(len(vocab), d=32, layers=1, heads=2, ff=64)
    return model, vocab, load_corpus("train", n=48), load_corpus("val", n=8)


def test_contrastive_phase_then_name_phase(tiny):
    model, vocab, train, _ = tiny
    head = torch.nn.Linear(32, 16)
    loss = defences.contrastive_loss(train, vocab, head, until=2, k=3, max_len=model.max_len)
    first = loss(model, list(range(8)), 1)
    assert first is not None and torch.isfinite(first) and first.requires_grad
    first.backward()
    assert head.weight.grad is not None and model.emb.weight.grad is not None
    assert loss(model, list(range(8)), 3) is None  # after ``until`` the name loss takes over


def test_adversarial_positive_views_run_the_attack(tiny):
    model, vocab, train, _ = tiny
    head = torch.nn.Linear(32, 16)
    loss = defences.contrastive_loss(train, vocab, head, until=1, adversarial=True, max_len=model.max_len)
    out = loss(model, list(range(6)), 1)
    assert torch.isfinite(out)
    assert model.training  # the attack put the model in eval mode; the loss restores training


def test_other_loss_phase_and_selection_after_it(tiny):
    model, vocab, train, val = tiny
    seen = []

    def other(m, idx, step):
        seen.append(step)
        return m.emb.weight.pow(2).mean() if step <= 2 else None

    out = train_name_model(model, train, val, vocab, steps=4, batch_size=8, warmup=1, eval_every=1,
                           other_loss=other, select_after=3, log=None)
    assert seen == [1, 2, 3, 4]
    assert out["best_step"] >= 3  # evaluations during the other phase never become the kept weights


def test_fine_tuning_with_the_optimised_attack_changes_weights(tiny):
    model, vocab, train, val = tiny
    before = [p.detach().clone() for p in model.parameters()]
    out = train_name_model(model, train, val, vocab, steps=2, batch_size=8, warmup=1, eval_every=2,
                           adv_fraction=0.5, adv_attack="jo", adv_steps=1, adv_k=3, log=None)
    assert out["adv_attack"] == "jo" and out["adv_steps"] == 1
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_unknown_defence_is_refused():
    with pytest.raises(ValueError, match="Unknown defence"):
        defences.defend("code_names_magic", None)


def test_shipped_defences_have_equal_budgets_from_the_standard_model():
    steps = defences.knobs("quick")["steps"]
    for name in defences.DEFENCES:
        meta = zoo.metrics(name)
        assert meta["start"] == "code_names"
        assert meta["steps_done"] == steps, (name, meta["steps_done"])
        assert meta["batch_size"] == defences.knobs("quick")["batch_size"]
        assert meta["contrastive_steps"] == (steps // 2 if "contra" in name else 0)
        assert meta["best_step"] >= meta["contrastive_steps"]


def test_shipped_defence_table_is_what_the_models_compute():
    from tutorial_lib.code.evaluate import counts, micro_f1
    from tutorial_lib.code.model import predict_tokens
    from tutorial_lib.code.programs import attacked_tokens, make_program
    from tutorial_lib.code.zoo import load_defence_table

    table = load_defence_table()
    assert list(table["models"]) == ["code_names", "code_names_adv", *defences.DEFENCES]
    assert table["n"] == defences.knobs("quick")["n_eval"]
    recs = load_corpus("test", n=table["n"])
    assert table["names"] == [r["name"] for r in recs]
    model = zoo.load("code_names_advft").float().eval()
    progs = [make_program(r["source"], r["target"], model.max_len, normalized=True) for r in recs[:24]]
    rows = {r["attack"]: r for r in table["models"]["code_names_advft"]}
    assert predict_tokens(model, [p.tokens for p in progs], load_vocab()) == rows["clean"]["preds"][:24]
    live = predict_tokens(model, attacked_tokens(progs, rows["jo"]["edits"][:24]), load_vocab())
    assert live == rows["jo"]["preds"][:24]  # the stored edits give the stored predictions
    for name, model_rows in table["models"].items():
        trues = [r["target"] for r in recs]
        for r in model_rows:
            assert np.array_equal(r["counts"], counts(r["preds"], trues)), (name, r["attack"])
        clean = micro_f1(model_rows[0]["counts"])
        assert all(micro_f1(r["counts"]) <= clean + 0.01 for r in model_rows[1:]), name


@torch.no_grad()
def test_no_copy_model_puts_no_mass_on_copied_words(tiny):
    from tutorial_lib.code.model import make_batch

    _, vocab, _, _ = tiny
    torch.manual_seed(0)
    model = NamePredictor(len(vocab), d=32, layers=1, heads=2, ff=64, copy=False).eval()
    toks = [["qzxv", "=", "qzxv", "+", "1"]]  # "qzxv" is out of the vocabulary: only copying can emit it
    b = make_batch(toks, [["qzxv"]], vocab, model.max_len)
    enc, mask = model.encode(b["src"])
    h, ctx = model.start(enc, mask)
    dist, *_ = model.step(torch.tensor([1]), h, ctx, enc, mask, b["src_ext"], b["n_ext"])
    assert float(dist[0, len(vocab):].sum()) == 0.0
    assert float(dist.sum()) == pytest.approx(1.0, abs=1e-5)
    copying = NamePredictor(len(vocab), d=32, layers=1, heads=2, ff=64).eval()
    copying.load_state_dict(model.state_dict())
    enc, mask = copying.encode(b["src"])
    h, ctx = copying.start(enc, mask)
    assert float(copying.step(torch.tensor([1]), h, ctx, enc, mask, b["src_ext"], b["n_ext"])[0][0, len(vocab):].sum()) > 0


def test_defence_table_runs_every_attack_for_every_model():
    models = {m: zoo.load(m).float().eval() for m in ("code_names", "code_names_nocopy")}
    out = defences.defence_table(models, 3, log=None)
    assert out["n"] == 3 and list(out["models"]) == list(models)
    for rows in out["models"].values():
        assert [r["attack"] for r in rows] == ["clean", *(a for a, _, _ in defences.TABLE_ATTACKS)]
        assert all(len(r["preds"]) == 3 for r in rows)

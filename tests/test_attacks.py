"""FGSM / PGD invariants and the robust-accuracy helper, on the shipped CNN and tiny tensors."""

import pytest
import torch

from tutorial_lib.core.attacks import fgsm, perturbation_norms, pgd, robust_accuracy


def perturbation_norm(delta, norm="linf"):
    linf, l2 = perturbation_norms(torch.zeros_like(delta), delta)
    return linf if norm == "linf" else l2
from tutorial_lib.core.data import load_digits_tensors
from tutorial_lib.core.models import load_model


@pytest.fixture(scope="module")
def setup():
    x, y = load_digits_tensors("test")
    return load_model("cnn_digits"), x[:16], y[:16]


@pytest.mark.parametrize("norm,eps", [("linf", 8 / 255), ("l2", 0.5)])
def test_pgd_stays_in_the_ball_and_in_range(setup, norm, eps):
    model, x, y = setup
    adv = pgd(model, x, y, eps, steps=3, norm=norm, generator=torch.Generator().manual_seed(0))
    assert adv.shape == x.shape and adv.min() >= 0 and adv.max() <= 1
    assert (perturbation_norm(adv - x, norm) <= eps + 1e-6).all()


def test_pgd_keeps_eval_mode_and_parameter_grads(setup):
    model, x, y = setup
    model.train()
    for p in model.parameters():
        p.grad = None
    pgd(model, x[:4], y[:4], 0.03, steps=2)
    assert not model.training
    assert all(p.grad is None for p in model.parameters())


def test_robust_accuracy_below_clean_and_stronger_never_weaker(setup):
    model, x, y = setup
    # each budget attacked on its own (no reuse of earlier adversarial examples)
    accs = [robust_accuracy(model, x, y, [e], steps=5)[0] for e in (0.0, 2 / 255, 0.1)]
    assert accs[0] > 0.9  # the shipped CNN is ~99% accurate
    assert accs[2] <= accs[1] <= accs[0], accs
    assert accs[-1] < 0.3  # eps 0.1 breaks it
    # more steps on the same seed is at least as strong as FGSM
    adv_f = fgsm(model, x, y, 0.03)
    with torch.no_grad():
        acc_f = (model(adv_f).argmax(1) == y).float().mean().item()
    assert robust_accuracy(model, x, y, [0.03], steps=10)[0] <= acc_f + 1e-9
    l2 = robust_accuracy(model, x, y, [2.0, 0.0], norm="l2", steps=5)  # any order
    assert l2[0] < l2[1]


def test_return_adv_matches_budget(setup):
    model, x, y = setup
    accs, advs = robust_accuracy(model, x[:8], y[:8], [0.05, 0.0, 0.02], steps=2, return_adv=True)
    assert torch.equal(advs[1], x[:8])
    assert (perturbation_norm(advs[0] - x[:8]) <= 0.05 + 1e-6).all()
    assert (perturbation_norm(advs[2] - x[:8]) <= 0.02 + 1e-6).all()
    with torch.no_grad():  # the returned images realise the reported accuracy
        assert (model(advs[0]).argmax(1) == y[:8]).float().mean().item() == accs[0]


def test_bad_inputs(setup):
    model, x, y = setup
    with pytest.raises(ValueError, match="norm"):
        pgd(model, x, y, 0.1, norm="l1")
    with pytest.raises(ValueError, match="eps"):
        pgd(model, x, y, -0.1)
    with pytest.raises(ValueError, match="norm"):
        robust_accuracy(model, x, y, [0.1], norm="l3")

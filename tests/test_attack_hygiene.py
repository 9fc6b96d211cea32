"""Attack hygiene: the automatic checks behind every robust-accuracy figure, and the PGD loss curve."""

import pytest
import torch
import torch.nn.functional as F

from tutorial_lib.core.attacks import (attack_checks, correct, format_checks, pgd, pgd_loss_curve,
                                       robust_accuracy)
from tutorial_lib.core.data import load_digits_tensors
from tutorial_lib.core.fit import accuracy
from tutorial_lib.core.models import load_model


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    x, y = load_digits_tensors("test")
    return load_model("cnn_digits"), load_model("vit_digits"), x[:24], y[:24]


def test_correct_matches_accuracy(setup):
    cnn, _, x, y = setup
    ok = correct(cnn, x, y, batch_size=7)
    assert ok.dtype == torch.bool and ok.shape == (len(x),)
    assert ok.float().mean().item() == pytest.approx(accuracy(cnn, x, y))


def test_checks_pass_on_a_sound_attack_and_worst_case_is_the_minimum(setup):
    cnn, vit, x, y = setup
    eps = [0.0, 4 / 255, 16 / 255]
    r = attack_checks(cnn, x, y, eps, surrogate=vit, steps=(5, 10))
    assert set(r["checks"]) == {"more_steps", "eps_to_zero", "transfer_weaker"}
    assert r["checks"]["eps_to_zero"] and r["acc_at_big_eps"] <= 0.02
    assert set(r["acc"]) == {"PGD-5", "PGD-10", "FGSM", "transfer PGD", "worst case"}
    for i in range(len(eps)):  # the reported number is never above any single attack
        assert r["acc"]["worst case"][i] <= min(v[i] for k, v in r["acc"].items() if k != "worst case")
    # per image: robust under the worst case only if robust under every attack
    assert r["worst_correct"].shape == (len(eps), len(x))
    assert r["acc"]["worst case"][0] == pytest.approx(accuracy(cnn, x, y))  # ε = 0: clean
    assert r["acc"]["PGD-10"] == robust_accuracy(cnn, x, y, eps, steps=10)
    assert "PASS" in format_checks(r)


def test_a_weak_big_eps_is_caught(setup):
    """If the 'huge' budget is in fact tiny, accuracy stays high and the check must fail."""
    cnn, _, x, y = setup
    r = attack_checks(cnn, x, y, [0.0, 2 / 255], steps=(2, 4), big_eps=1e-4)
    assert not r["checks"]["eps_to_zero"] and not r["passed"]
    assert "FAIL  eps_to_zero" in format_checks(r)


def test_transfer_from_the_model_itself_is_as_strong_as_white_box(setup):
    cnn, _, x, y = setup
    r = attack_checks(cnn, x, y, [8 / 255], surrogate=cnn, steps=(5, 5), norm="l2")
    assert r["acc"]["transfer PGD"] == r["acc"]["PGD-5"]
    assert r["checks"]["transfer_weaker"] and "FGSM" not in r["acc"]


def test_pgd_loss_curve_follows_the_pgd_iterates(setup):
    _, vit, x, y = setup
    curve = pgd_loss_curve(vit, x, y, 4 / 255, steps=6, seed=0)
    assert curve.shape == (7,)
    adv = pgd(vit, x, y, 4 / 255, steps=6, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert curve[-1].item() == pytest.approx(F.cross_entropy(vit(adv), y).item(), rel=1e-4)
    assert curve[-1] > 2 * curve[0]  # the attack climbs the loss


def test_precomputed_attacks_are_reused(setup):
    cnn, vit, x, y = setup
    eps = [0.0, 8 / 255]
    _, own = robust_accuracy(cnn, x, y, eps, steps=3, return_adv=True)
    _, other = robust_accuracy(vit, x, y, eps, steps=3, return_adv=True)
    r = attack_checks(cnn, x, y, eps, steps=(3, 6), precomputed={"PGD-3": own, "transfer PGD": other})
    assert r["acc"]["PGD-3"] == robust_accuracy(cnn, x, y, eps, steps=3)
    assert r["acc"]["transfer PGD"] == [correct(cnn, a, y).float().mean().item() for a in other]
    assert "transfer_weaker" in r["checks"]

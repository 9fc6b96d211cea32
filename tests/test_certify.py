"""Randomized smoothing: closed-form radius, Clopper-Pearson bound, abstain, curves, bad inputs."""

import numpy as np
import pytest
import torch
from scipy.stats import binom, norm
from torch import nn

from tutorial_lib.certified import smoothing as C
from tutorial_lib.core import data
from tutorial_lib.core.zoo import metrics as checkpoint_metrics


class Constant(nn.Module):
    """Always predicts class k, whatever the noise."""

    def __init__(self, k: int, classes: int = 10) -> None:
        super().__init__()
        self.k, self.classes = k, classes

    def forward(self, x):
        out = torch.zeros(x.shape[0], self.classes)
        out[:, self.k] = 1.0
        return out


class CoinFlip(nn.Module):
    """Class 0 or 1 by the sign of the noise on the first pixel: p = 1/2 each."""

    def forward(self, x):
        out = torch.zeros(x.shape[0], 10)
        out[:, 0] = (x[:, 0, 0, 0] > 0.5).float()
        out[:, 1] = 1 - out[:, 0]
        return out


def gen():
    return torch.Generator().manual_seed(0)


def test_constant_classifier_gets_closed_form_radius():
    x = torch.full((3, 1, 4, 4), 0.5)
    for sigma, n, alpha in [(0.25, 100, 0.001), (0.5, 1000, 0.01)]:
        cls, r = C.certify(Constant(7), x, sigma, n0=10, n=n, alpha=alpha, generator=gen())
        want = sigma * norm.ppf(alpha ** (1 / n))
        assert (cls == 7).all()
        assert torch.allclose(r, torch.full((3,), want), atol=1e-5)
        assert C.max_radius(sigma, n, alpha) == pytest.approx(want)


def test_clopper_pearson_bound_is_exact_and_covers():
    n, alpha = 200, 0.01
    n_a = np.array([1, 50, 120, 199, 200])
    lo = C.lower_confidence_bound(n_a, n, alpha)
    # the exact one-sided bound solves P(X >= nA | p = lo) = alpha
    assert np.allclose(binom.sf(n_a - 1, n, lo), alpha, atol=1e-6)
    assert lo[-1] == pytest.approx(alpha ** (1 / n))
    assert C.lower_confidence_bound(0, n, alpha) == 0.0
    # coverage: the bound exceeds the true p in at most ~alpha of repeated experiments
    p = 0.7
    draws = np.random.default_rng(0).binomial(n, p, size=20000)
    assert (C.lower_confidence_bound(draws, n, alpha) > p).mean() <= 2 * alpha


def test_predict_abstains_on_a_coin_flip_and_answers_a_constant():
    x = torch.full((20, 1, 4, 4), 0.5)
    out = C.predict(CoinFlip(), x, sigma=0.5, n=200, alpha=0.001, generator=gen())
    assert (out == C.ABSTAIN).float().mean() >= 0.9
    assert (C.predict(Constant(2), x, 0.5, 50, 0.001, generator=gen()) == 2).all()
    cls, r = C.certify(CoinFlip(), x, 0.5, 50, 200, 0.001, generator=gen())
    assert (cls == C.ABSTAIN).all() and (r == 0).all()


def test_sample_counts_batched_sums_to_n():
    x = torch.rand(7, 1, 4, 4)
    counts = C.sample_counts(CoinFlip(), x, 0.3, n=123, num_classes=10, batch=50,
                             generator=gen())
    assert counts.shape == (7, 10) and (counts.sum(1) == 123).all()


def test_certified_accuracy_non_increasing_on_shipped_model():
    x, y = data.load_digits_tensors("test", size=C.IMAGE_SIZE)
    x, y = x[:40], y[:40]
    model = C.load_smoothing_model(0.25)
    cls, r = C.certify(model, x, 0.25, 50, 300, 0.001, generator=gen())
    grid = torch.linspace(0, 1, 21)
    curve = C.certified_accuracy(cls, r, y, grid)
    assert (curve[1:] <= curve[:-1] + 1e-9).all()
    assert curve[0] >= 0.8  # a sigma = .25 base model certifies most digits at r = 0
    assert r.max() <= C.max_radius(0.25, 300, 0.001) + 1e-5


@pytest.mark.parametrize("sigma", C.SIGMAS)
def test_shipped_checkpoints_match_their_recorded_accuracy(sigma):
    model = C.load_smoothing_model(sigma)
    x, y = data.load_digits_tensors("test", size=C.IMAGE_SIZE)
    acc = (model(x).argmax(1) == y).float().mean().item()
    assert abs(acc - checkpoint_metrics(C.checkpoint_name(sigma))["test_acc_clean"]) < 0.01


def test_soft_smoothed_is_a_log_distribution():
    m = C.SoftSmoothed(Constant(3), 0.25, draws=4)
    p = m(torch.rand(5, 1, 4, 4)).exp()
    assert torch.allclose(p.sum(1), torch.ones(5), atol=1e-5) and (p.argmax(1) == 3).all()


def test_bad_inputs_have_clear_errors():
    x = torch.rand(2, 1, 4, 4)
    with pytest.raises(ValueError, match="sigma"):
        C.certify(Constant(0), x, 0.0, 10, 10, 0.001)
    with pytest.raises(ValueError, match="alpha"):
        C.predict(Constant(0), x, 0.25, 10, 1.5)
    with pytest.raises(ValueError, match="batch"):
        C.certify(Constant(0), x[0], 0.25, 10, 10, 0.001)
    with pytest.raises(ValueError, match="positive integer"):
        C.certify(Constant(0), x, 0.25, 0, 10, 0.001)
    with pytest.raises(ValueError, match="counts"):
        C.lower_confidence_bound(11, 10, 0.01)
    with pytest.raises(KeyError, match="shipped"):
        C.load_smoothing_model(0.3)

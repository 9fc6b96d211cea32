"""Gaussian model: closed-form errors against Monte Carlo, and the unlabeled-data effect."""

import numpy as np
import pytest

from tutorial_lib.shift import gaussian_model as gm


def test_closed_form_errors_match_monte_carlo():
    rng = np.random.default_rng(0)
    d, sigma, eps = 20, 2.0, 0.3
    mu = gm.default_mean(d)
    theta = mu + rng.standard_normal(d)
    x, y = gm.sample(200_000, mu, sigma, rng)
    margin = y * (x @ theta)
    assert gm.standard_error(theta, mu, sigma) == pytest.approx(np.mean(margin < 0), abs=3e-3)
    # the worst L-inf perturbation, -y * eps * sign(theta), lowers margins by eps*|theta|_1
    x_adv = x - eps * y[:, None] * np.sign(theta)
    assert np.allclose(y * (x_adv @ theta), margin - eps * np.abs(theta).sum(), atol=1e-3)
    assert gm.robust_error(theta, mu, sigma, eps) == pytest.approx(
        np.mean(y * (x_adv @ theta) < 0), abs=3e-3
    )


def test_robust_error_is_at_least_standard_error_and_equal_at_eps_zero():
    mu = gm.default_mean(10)
    theta = np.linspace(-0.5, 2, 10)
    assert gm.robust_error(theta, mu, 3.0, 0.0) == pytest.approx(gm.standard_error(theta, mu, 3.0))
    assert gm.robust_error(theta, mu, 3.0, 0.2) > gm.standard_error(theta, mu, 3.0)


def test_bayes_direction_and_known_value():
    # theta = mu: standard error Phi(-||mu|| / sigma); with d = 4, sigma = 2 that is Phi(-1)
    assert gm.standard_error(np.ones(4), np.ones(4), 2.0) == pytest.approx(0.158655, abs=1e-5)


def test_adversarial_estimator_thresholds_the_average():
    x = np.array([[1.0, 0.2, -3.0], [0.6, 0.1, -1.0]])
    y = np.array([1.0, 1.0])
    assert np.array_equal(gm.adversarial_estimator(x, y, 0.5), [1.0, 0.0, -1.0])


def test_self_training_pseudo_labels_then_refits():
    rng = np.random.default_rng(1)
    mu = gm.default_mean(50)
    x, y = gm.sample(30, mu, 1.0, rng)
    x_u, y_u = gm.sample(100, mu, 1.0, rng)
    theta = gm.self_training(x, y, x_u)
    pseudo = gm.pseudo_label(gm.averaging_estimator(x, y), x_u)
    assert np.array_equal(pseudo, y_u)  # easy problem: every pseudo-label is right
    assert np.allclose(theta, gm.averaging_estimator(x_u, y_u))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="shape"):
        gm.standard_error(np.ones(3), np.ones(4), 1.0)
    with pytest.raises(ValueError, match="all zeros"):
        gm.robust_error(np.zeros(4), np.ones(4), 1.0, 0.1)
    with pytest.raises(ValueError, match="unlabeled"):
        gm.run_trials(10, 0, d=10, method="self-training")
    with pytest.raises(ValueError, match="unknown method"):
        gm.run_trials(10, d=10, method="magic")


def test_unlabeled_data_halves_the_robust_error():
    """The issue's test: 20 labels + 300 unlabeled < 1/2 the robust error of 20 labels
    (d = 4000, sigma = 10, eps = 0.5, fixed seeds). The paper-spec values are ~0.475 and ~0.004."""
    supervised = gm.run_trials(20, 0, trials=5, seed=0)
    self_trained = gm.run_trials(20, 300, trials=5, seed=0)
    assert 0.35 < supervised["robust_error"] < 0.6
    assert self_trained["robust_error"] < 0.5 * supervised["robust_error"]
    assert self_trained["robust_error"] < 0.01

"""The staircase toy (Raghunathan et al. 2019/2020): spline interpolation and the tradeoff shape."""

import numpy as np
import pytest

from tutorial_lib.shift import staircase as st


def test_min_norm_interpolant_passes_through_points_and_is_linear_on_a_line():
    t = np.array([0.0, 1.0, 2.5, 4.0])
    f = st.fit_min_norm(t, 3 * t - 1)
    assert np.allclose(f(t), 3 * t - 1, atol=1e-8)
    # points on a line: the line costs nothing, so it is the minimum-norm interpolant
    assert np.allclose(f(np.linspace(-0.5, 8, 20)), 3 * np.linspace(-0.5, 8, 20) - 1, atol=1e-6)
    assert f.norm() == pytest.approx(0.0, abs=1e-8)


def test_min_norm_beats_another_interpolant():
    """Adding a knot with the interpolant's own value does not change the minimiser (min norm)."""
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 5, 6))
    y = np.sin(t)
    f = st.fit_min_norm(t, y)
    g = st.fit_min_norm(np.append(t, 2.2), np.append(y, f(np.array([2.2]))[0] + 0.3))
    assert f.norm() < g.norm()


def test_conflicting_targets_are_rejected():
    with pytest.raises(ValueError, match="two different targets"):
        st.fit_min_norm(np.array([1.0, 1.0]), np.array([0.0, 1.0]))


def test_perturbations_are_consistent():
    data = st.Staircase(stairs=6, eps=0.25)
    t = data.support
    assert np.array_equal(data.target(st.perturb(t, data.eps)), np.tile(t, 3))
    assert data.probs.sum() == pytest.approx(1.0)
    assert np.all(np.diff(data.probs) < 0)


def test_tradeoff_shape_on_fixed_seeds():
    """Augmentation raises the standard error at small n, the gap shrinks with n, RST removes it."""
    data = st.Staircase()
    res = st.sweep(data, ns=(8, 128), seeds=20, n_unlabeled=100)
    gap = res["augmented/std_err"].mean(1) - res["standard/std_err"].mean(1)
    assert gap[0] > 0.1  # small n: a clear increase
    assert gap[1] < gap[0] / 5  # large n: much smaller
    assert res["RST/std_err"].mean(1)[0] < 0.25 * res["augmented/std_err"].mean(1)[0]
    # augmentation and RST both lower the robust error floor eps^2 of the standard estimator
    assert res["standard/rob_err"].mean(1)[1] == pytest.approx(data.eps ** 2, abs=1e-6)
    assert res["RST/rob_err"].mean(1)[1] < data.eps ** 2

"""LMS-k generator and the simplicity-bias probes (Shah et al. 2020) on fixed seeds."""

import pytest
import torch

from tutorial_lib.shift import simplicity as sb


def test_each_coordinate_alone_predicts_the_label():
    data = sb.make_lms(2000, d=6, k=5, margin=0.1, seed=3)
    z, y = data.z, data.y
    assert y.float().mean() == pytest.approx(0.5, abs=1e-3)
    # linear coordinate: sign = label, margin respected
    assert torch.equal((z[:, 0] > 0).long(), y)
    assert z[:, 0].abs().min() >= 0.1 - 1e-6
    # slab coordinates: the nearest slab centre carries the label (1, 0, 1, 0, 1 from the outside)
    centres, labels = sb.slab_centres(5), sb.slab_labels(5)
    nearest = (z[:, 1:, None] - centres).abs().argmin(-1)
    assert torch.equal(labels[nearest], y[:, None].expand(-1, 5))
    # slabs of different labels are at least `margin` apart
    dist = (z[:, 1:, None] - centres).abs().min(-1).values
    assert dist.max() <= (0.5 - 0.1) / 2 + 1e-6


def test_rotation_is_orthogonal_and_shared_with_the_test_set():
    r = sb.random_rotation(7, seed=1)
    assert torch.allclose(r @ r.T, torch.eye(7), atol=1e-5)
    train = sb.make_lms(10, d=7, seed=0)
    test = sb.make_lms(10, d=7, seed=1, rotation=train.rotation)
    assert torch.equal(test.rotation, train.rotation)
    assert torch.allclose(train.x.norm(dim=1), train.z.norm(dim=1), atol=1e-5)


def test_randomize_keeps_marginals_and_breaks_the_label_link():
    data = sb.make_lms(4000, d=4, seed=0)
    shuffled = sb.randomize_coordinates(data, [0], seed=1)
    assert torch.equal(shuffled.z[:, 1:], data.z[:, 1:])
    assert torch.equal(shuffled.z[:, 0].sort().values, data.z[:, 0].sort().values)
    agreement = ((shuffled.z[:, 0] > 0).long() == data.y).float().mean()
    assert abs(float(agreement) - 0.5) < 0.05


def test_shift_linear_moves_only_coordinate_zero_towards_the_other_class():
    data = sb.make_lms(100, d=5, seed=0)
    moved = sb.shift_linear(data, 1.0)
    diff = moved.z - data.z
    assert torch.allclose(diff[:, 1:], torch.zeros(100, 4))
    assert torch.allclose(diff[:, 0], -(2 * data.y.float() - 1))
    assert torch.allclose((moved.x - data.x).norm(dim=1), torch.ones(100), atol=1e-5)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="margin"):
        sb.make_lms(10, k=5, margin=0.6)
    with pytest.raises(ValueError, match="rotation"):
        sb.make_lms(10, d=5, rotation=torch.eye(4))
    with pytest.raises(ValueError, match="k must"):
        sb.slab_centres(1)


def test_mlp_shows_extreme_simplicity_bias():
    """The issue's test: S-randomized accuracy < 0.6, Sᶜ-randomized > 0.95 (fixed seeds)."""
    torch.manual_seed(0)
    train = sb.make_lms(4000, d=50, seed=0)
    test = sb.make_lms(2000, d=50, seed=100, rotation=train.rotation)
    model = sb.train_mlp(train.x, train.y, epochs=10, seed=0)
    assert sb.accuracy_and_auc(model, test)["accuracy"] > 0.98
    assert sb.accuracy_and_auc(model, sb.randomize_coordinates(test, [0], seed=1))["accuracy"] < 0.6
    assert (
        sb.accuracy_and_auc(model, sb.randomize_coordinates(test, range(1, 50), seed=1))["accuracy"] > 0.95
    )
    assert sb.accuracy_and_auc(model, sb.shift_linear(test, 1.0))["accuracy"] < 0.3


def test_decision_grid_shape_and_range():
    data = sb.make_lms(200, d=5, seed=0)
    model = sb.make_mlp(5).eval()
    u, v, p = sb.decision_grid(model, data, data.z[0], coords=(0, 2), steps=11)
    assert u.shape == v.shape == p.shape == (11, 11)
    assert ((p >= 0) & (p <= 1)).all()

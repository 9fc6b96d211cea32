"""Group robustness (shift.groups, shift.overparam): data construction, the methods' plumbing,
and the two phenomena on fixed seeds."""

import pytest
import torch
from torch import nn

from tutorial_lib.shift import groups as G
from tutorial_lib.shift import overparam as op


@pytest.fixture(scope="module")
def train_split():
    return G.make_groups("train", p_maj=0.95)


def test_train_groups_are_aligned_at_p_maj(train_split):
    d = train_split
    assert torch.equal(d.g, 2 * d.y + d.a)
    assert torch.equal(d.y, (d.digit < 5).long())
    for c in (0, 1):
        in_class = d.y == c
        frac = float((d.a[in_class] == c).float().mean())
        assert frac == pytest.approx(0.95, abs=1 / int(in_class.sum()))
    counts = d.counts()
    assert min(counts[1], counts[2]) >= 20 and counts[0] > 10 * counts[1]
    assert d.x.shape == (1200, 1, 32, 32) and 0 <= d.x.min() and d.x.max() <= 1


@pytest.mark.parametrize("split", ["val", "test"])
def test_val_and_test_are_balanced(split):
    d = G.make_groups(split)
    for c in (0, 1):
        a = d.a[d.y == c]
        assert abs(int((a == 0).sum()) - int((a == 1).sum())) <= 1
    counts = d.counts()
    assert max(counts) - min(counts) <= 0.15 * max(counts)


def test_background_family_is_visible_and_visibility_zero_hides_it():
    d = G.make_groups("test", visibility=1.0)
    # family 1 (gravel, grass) is brighter than family 0 (rocket, moon) off the strokes
    page = (d.x < 0.45).float()
    mean_bg = (d.x * page).flatten(1).sum(1) / page.flatten(1).sum(1).clamp_min(1)
    assert mean_bg[d.a == 1].mean() > mean_bg[d.a == 0].mean() + 0.02
    plain = G.make_groups("test", visibility=0.0)
    other = G.make_groups("test", visibility=0.0, seed=5)
    assert torch.allclose(plain.x, other.x)  # no background: the attribute leaves no trace


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="p_maj"):
        G.assign_attribute(torch.tensor([0, 1]), 0.3)
    with pytest.raises(ValueError, match="label"):
        G.digit_label(torch.tensor([1]), "colour")
    with pytest.raises(ValueError, match="groups"):
        G.train(lambda: nn.Linear(2, 2), torch.zeros(4, 2), torch.zeros(4).long(), dro_eta=0.1)
    with pytest.raises(ValueError, match="lam_up"):
        G.jtt_weights(torch.tensor([True]), 0.5)


def test_reweighting_and_subsampling_balance_the_groups():
    g = torch.tensor([0] * 50 + [1] * 5 + [2] * 7 + [3] * 40)
    w = G.group_weights(g)
    per_group = torch.stack([w[g == k].sum() for k in range(4)])
    assert torch.allclose(per_group, per_group[0].expand(4))
    assert w.mean() == pytest.approx(1.0)
    idx = G.subsample_index(g, seed=0)
    assert torch.bincount(g[idx], minlength=4).tolist() == [5, 5, 5, 5]
    assert len(torch.unique(idx)) == len(idx)


class _Rule(nn.Module):
    """Predicts class 1 when the first input is positive."""

    def forward(self, x):
        return torch.stack([-x[:, 0], x[:, 0]], 1)


def test_jtt_error_set_is_exactly_the_misclassified_examples():
    x = torch.tensor([[1.0], [-1.0], [2.0], [-0.5], [0.3]])
    y = torch.tensor([1, 1, 0, 0, 1])
    err = G.jtt_error_set(_Rule(), x, y)
    assert err.tolist() == [False, True, True, False, False]
    assert G.jtt_weights(err, 6.0).tolist() == [1.0, 6.0, 6.0, 1.0, 1.0]


def test_erm_hides_a_worst_group_gap_that_jtt_and_subsampling_shrink(train_split):
    """Fixed seed, real phenomenon: ERM's worst group (a minority) is well below its average;
    JTT (no train groups) and subsampling raise the worst group."""
    te = G.make_groups("test")
    k = G.knobs("quick")
    kw = {"epochs": k["epochs"], "lr": k["lr"], "weight_decay": k["weight_decay"]}
    d = train_split
    build = lambda: G.mlp(d.x, k["width"])
    erm = G.evaluate(G.fit_method("ERM", build, d.x, d.y, d.g, **kw), te.x, te.y, te.g)
    assert erm["avg_acc"] - erm["worst_acc"] > 0.08
    assert int(erm["group_acc"].argmin()) in (1, 2)  # a minority group
    jtt = G.fit_method("JTT", build, d.x, d.y, d.g, jtt_epochs=1, jtt_lambda=5.0, **kw)
    assert 0 < int(jtt.error_set.sum()) < len(d.y) // 4
    assert G.evaluate(jtt.model, te.x, te.y, te.g)["worst_acc"] > erm["worst_acc"] + 0.03
    sub = G.evaluate(G.fit_method("subsample", build, d.x, d.y, d.g, **kw), te.x, te.y, te.g)
    assert sub["worst_acc"] > erm["worst_acc"] + 0.03


def test_toy_group_sizes_and_width_sweep_divergence():
    """Sagawa et al. 2020 toy, fixed seed: at large width reweighting's worst-group error is above
    subsampling's and above its own small-width value."""
    assert op.group_sizes(1000, 0.9, True) == [450, 50, 50, 450]
    assert op.group_sizes(1000, 0.9, False) == [250] * 4
    tr = op.make_toy(600, 0.9, seed=0)
    te = op.make_toy(2000, 0.9, train=False, seed=1)
    res = op.width_sweep(tr, te, widths=(10, 3000), seed=0)
    assert res["reweight/train_err"][-1] == 0  # the wide model interpolates
    assert res["reweight/worst"][-1] > res["subsample/worst"][-1] + 0.05
    assert res["reweight/worst"][-1] > res["reweight/worst"][0] + 0.03

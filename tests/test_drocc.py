"""One-class detection (evaluation.drocc): annulus sampling, Deep SVDD's collapse, the AUROC."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from tutorial_lib.core.data import load_digits_tensors, photo_crops
from tutorial_lib.evaluation import drocc as D


def test_project_annulus_puts_every_row_within_the_radii():
    h = torch.randn(500, 1, 8, 8) * torch.logspace(-3, 2, 500).view(-1, 1, 1, 1)
    p = D.project_annulus(h, r=1.5, gamma=2.0)
    norms = p.flatten(1).norm(dim=1)
    assert norms.min() >= 1.5 - 1e-4 and norms.max() <= 3.0 + 1e-4
    inside = (h.flatten(1).norm(dim=1) >= 1.5) & (h.flatten(1).norm(dim=1) <= 3.0)
    assert torch.allclose(p[inside], h[inside])  # rows already inside are kept
    cos = torch.nn.functional.cosine_similarity(p.flatten(1), h.flatten(1))
    assert cos.min() > 1 - 1e-5  # direction kept
    with pytest.raises(ValueError, match="gamma"):
        D.project_annulus(h, r=1.0, gamma=0.5)


def test_annulus_negatives_stay_in_the_annulus_after_ascent():
    torch.manual_seed(0)
    x = torch.rand(32, 1, 8, 8)
    model = D.feature_net(64, 16, out=1)
    neg = D.annulus_negatives(model, x, r=0.7, gamma=2.0, steps=4, step_size=0.5,
                              generator=torch.Generator().manual_seed(1))
    d = (neg - x).flatten(1).norm(dim=1)
    assert d.min() >= 0.7 - 1e-4 and d.max() <= 1.4 + 1e-4


def test_auroc_matches_sklearn_with_ties():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 40).astype(float), rng.integers(0, 5, 60).astype(float)
    want = roc_auc_score(np.r_[np.ones(40), np.zeros(60)], np.r_[a, b])
    assert D.auroc(a, b) == pytest.approx(want)


def test_deep_svdd_with_bias_has_a_collapsed_minimiser():
    x = load_digits_tensors("train", classes=[3])[0][:60]
    net, c = D.train_deep_svdd(x, bias=True, epochs=2)
    flat = D.collapsed_copy(net, c)
    assert D.svdd_loss(flat, c, x) == pytest.approx(0.0, abs=1e-10)
    assert D.svdd_loss(net, c, x) > 1e-6  # training has not found it, but it is the optimum
    s = D.svdd_scores(flat, c, torch.rand(10, 1, 32, 32))
    assert torch.all(s == s[0])  # every input scores the same: the detector says nothing
    free, c0 = D.train_deep_svdd(x, bias=False, epochs=1)
    with pytest.raises(ValueError, match="bias-free"):
        D.collapsed_copy(free, c0)


def test_drocc_separates_photo_crops_from_its_digit():
    """Real phenomenon, fixed seed: DROCC trained on 3s scores photo crops far below held-out 3s."""
    torch.manual_seed(0)
    xtr, ytr = load_digits_tensors("train")
    xte, _ = load_digits_tensors("test", classes=[3])
    model, _ = D.train_drocc(xtr[ytr == 3], r=3 * D.nn_radius(xtr[ytr == 3]), epochs=30,
                             ce_epochs=5)
    s_in = D.logit_scores(model, xte).numpy()
    s_out = D.logit_scores(model, photo_crops(100, seed=0)).numpy()
    assert D.auroc(s_in, s_out) > 0.9

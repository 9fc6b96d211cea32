"""The reference solutions notebooks 03 and 05 fall back to agree with the library they teach,
and do what their exercise text says."""

import numpy as np
import pytest
import torch
from scipy.stats import norm

from tutorial_lib.certified import smoothing
from tutorial_lib.certified import solutions as cert_solutions
from tutorial_lib.transfer import pretrain
from tutorial_lib.transfer import solutions as transfer_solutions


@pytest.mark.parametrize("n,d,t", [(8, 4, 0.5), (5, 16, 0.2), (1, 3, 1.0)])
def test_nt_xent_reference_equals_the_library_loss(n, d, t):
    g = torch.Generator().manual_seed(n * 100 + d)
    z1, z2 = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    assert torch.allclose(transfer_solutions.nt_xent(z1, z2, t), pretrain.nt_xent(z1, z2, t), atol=1e-6)


def test_nt_xent_prefers_matching_views():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(16, 8, generator=g)
    shuffled = z[torch.randperm(16, generator=g)]
    assert transfer_solutions.nt_xent(z, z) < transfer_solutions.nt_xent(z, shuffled) - 0.5


def test_flip_batch_mirrors_and_labels():
    x = torch.rand(3, 1, 4, 5, generator=torch.Generator().manual_seed(1))
    xs, ys = transfer_solutions.flip_batch(x)
    assert xs.shape == (6, 1, 4, 5) and ys.tolist() == [0, 0, 0, 1, 1, 1]
    assert torch.equal(xs[:3], x) and torch.equal(xs[3:, ..., 0], x[..., -1])


@pytest.mark.parametrize("n_convs", [0, 1, 2, 3, 4, 7])
def test_freeze_first_freezes_exactly_the_first_blocks(n_convs):
    enc = pretrain.ConvEncoder()
    flags = transfer_solutions.freeze_first(enc, n_convs)
    assert flags == [p.requires_grad for p in enc.parameters()]
    blocks = min(n_convs, 4)  # conv (weight) + batch-norm (weight, bias): 3 tensors per block
    assert flags == [False] * (3 * blocks) + [True] * (3 * (4 - blocks))


def test_clopper_pearson_reference_matches_the_library_and_bounds_below():
    n, alpha = 1000, 0.001
    counts = [0, 1, 10, 500, 600, 990, 999, 1000]
    ref = np.array([cert_solutions.clopper_pearson_lower(k, n, alpha) for k in counts])
    assert np.allclose(ref, smoothing.lower_confidence_bound(np.array(counts), n, alpha), atol=1e-9)
    assert ref[0] == 0.0 and np.all(np.diff(ref) > 0)
    assert np.all(ref <= np.array(counts) / n)  # a lower bound never exceeds the estimate


def test_radius_ceiling_is_the_radius_of_a_unanimous_vote():
    for sigma, n, alpha in [(0.25, 1000, 0.001), (0.5, 100_000, 0.001), (1.0, 100, 0.05)]:
        r = cert_solutions.radius_ceiling(sigma, n, alpha)
        assert r == pytest.approx(smoothing.max_radius(sigma, n, alpha))
        unanimous = cert_solutions.clopper_pearson_lower(n, n, alpha)
        assert r == pytest.approx(sigma * norm.ppf(unanimous), rel=1e-6)

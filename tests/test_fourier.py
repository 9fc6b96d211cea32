"""Fourier probes: an orthonormal real basis, symmetric heat maps, batched == looped, filters."""

import math

import pytest
import torch
import torch.nn as nn

from tutorial_lib.attribution import fourier
from tutorial_lib.core.models import build_vit_digits


def test_basis_is_real_orthonormal_and_matches_the_inverse_fft():
    freqs = fourier.unique_frequencies(8)
    assert len(freqs) == (64 + 4) // 2
    basis = fourier.fourier_basis(8, freqs).flatten(1).double()
    assert torch.allclose(basis @ basis.T, torch.eye(len(freqs), dtype=torch.float64), atol=1e-5)
    ky, kx = 2, -3  # inverse DFT of a conjugate pair of deltas is the same real cosine
    spec = torch.zeros(8, 8, dtype=torch.complex128)
    spec[ky % 8, kx % 8] += 1
    spec[-ky % 8, -kx % 8] += 1
    img = torch.fft.ifft2(spec)
    assert img.imag.abs().max() < 1e-12
    img = img.real / img.real.norm()
    assert torch.allclose(img.float(), fourier.fourier_basis(8, torch.tensor([[ky, kx]]))[0],
                          atol=1e-6)


class Constant(nn.Module):
    """Ignores its input: always predicts class 3."""

    def forward(self, x):
        out = torch.zeros(len(x), 10)
        out[:, 3] = 1
        return out


def test_heatmap_is_symmetric_and_constant_for_a_model_that_ignores_its_input():
    x = torch.rand(6, 1, 8, 8)
    y = torch.tensor([3, 3, 1, 2, 3, 0])
    heat = fourier.fourier_heatmap(Constant(), x, y, norm=2.0)
    assert heat.shape == (8, 8) and not torch.isnan(heat).any()
    assert torch.allclose(heat, torch.full_like(heat, 0.5))  # error = 3/6 at every frequency
    flips = fourier.fourier_heatmap(Constant(), x, None, norm=2.0)
    assert (flips == 0).all()


def test_batched_equals_per_direction_loop_and_is_conjugate_symmetric():
    torch.manual_seed(0)
    vit = build_vit_digits().eval()
    x = torch.rand(3, 1, 32, 32)
    y = torch.tensor([0, 1, 2])
    a = fourier.fourier_heatmap(vit, x, y, norm=4.0, stride=4)
    b = fourier.fourier_heatmap(vit, x, y, norm=4.0, stride=4, directions_per_call=1)
    assert torch.equal(torch.isnan(a), torch.isnan(b))
    ok = ~torch.isnan(a)
    assert torch.equal(a[ok], b[ok])
    k = fourier.centred_frequencies(32)
    for i in range(32):  # (ky, kx) -> (-ky, -kx)
        for j in range(32):
            ii, jj = (-k[i] + 16) % 32, (-k[j] + 16) % 32
            v, w = a[i, j], a[ii, jj]
            assert (torch.isnan(v) and torch.isnan(w)) or v == w
    assert ok.sum() == 64  # stride 4 on a 32 grid: 8 x 8 frequencies


def test_filters_and_energy():
    x = torch.rand(2, 1, 16, 16)
    assert torch.allclose(fourier.low_pass(x, 100), x, atol=1e-5)
    flat = fourier.high_pass(x, 100)  # every non-DC frequency removed: the mean image
    assert torch.allclose(flat, x.mean((-2, -1), keepdim=True).expand_as(x), atol=1e-5)
    u = fourier.fourier_basis(16, torch.tensor([[0, 6]]))[0]
    img = (0.5 + 0.2 * u).view(1, 1, 16, 16)
    assert fourier.high_frequency_energy(img, 5) == pytest.approx(1.0)
    assert fourier.high_frequency_energy(img, 6) == pytest.approx(0.0, abs=1e-9)
    heat = torch.zeros(16, 16)
    heat[fourier.radius_map(16) > 4] = 1.0
    assert fourier.band_mean(heat, 0, 4) == 0 and fourier.band_mean(heat, 5) == 1
    with pytest.raises(ValueError, match="kind"):
        fourier.filtered_accuracy(Constant(), x, torch.zeros(2).long(), [2], kind="band")
    assert math.isclose(fourier.radius_map(16)[8, 8].item(), 0.0)


def test_full_profile_subsampled_grid():
    freqs = fourier.unique_frequencies(224, 8)  # 28 x 28 evaluated frequencies
    assert len(freqs) == (28 * 28 + 4) // 2
    assert (freqs % 8 == 0).all()
    heat = fourier.fourier_heatmap(Constant(), torch.rand(2, 3, 224, 224), torch.tensor([3, 1]),
                                   norm=28.0, stride=56)
    assert torch.isnan(heat).sum() == 224 * 224 - 16
    assert fourier.band_mean(heat) == 0.5

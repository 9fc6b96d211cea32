"""Reference solutions of notebook 02 and the per-profile budgets of notebooks 00 and 02."""

import pytest
import torch

from tutorial_lib.attribution import attention, budgets, fourier, solutions


@pytest.mark.parametrize("size,i,j", [(8, 1, 2), (32, -3, 5), (32, 16, 0), (32, 0, 0), (15, 7, -7)])
def test_cosine_basis_image_equals_the_fft_one(size, i, j):
    want = fourier.fourier_basis(size, torch.tensor([[i, j]]))[0]
    got = solutions.fourier_basis_image(size, i, j)
    assert got.shape == (size, size)
    assert torch.allclose(got, want, atol=1e-5)
    assert torch.isclose(got.norm(), torch.tensor(1.0), atol=1e-5)


def test_attention_distance_of_uniform_and_local_heads():
    g, patch = 4, 4
    uniform = torch.full((1, g * g, g * g), 1 / (g * g))
    local = torch.eye(g * g)[None]  # every query attends to itself only
    d = solutions.attention_distance(torch.cat([uniform, local]), g, patch)
    assert d[1].item() == pytest.approx(0.0, abs=1e-6)
    assert d[0].item() == pytest.approx(attention.patch_distances(g, g, patch).mean().item(), rel=1e-5)


def test_budgets_follow_the_profile():
    quick, full = budgets.knobs("quick"), budgets.knobs("full")
    assert quick["eps_demo"] in quick["epsilons"] and full["eps_demo"] in full["epsilons"]
    assert max(full["epsilons"]) <= 16 / 255 + 1e-12  # ImageNet budgets are a few grey levels
    assert full["eps_demo"] / full["eps_unit"] <= full["slider_max"]
    assert quick["eps_demo"] / quick["eps_unit"] <= quick["slider_max"]
    assert budgets.format_eps(4 / 255, "full") == "4/255"
    assert budgets.format_eps(0.1, "quick") == "0.1"
    assert quick["noun"] == "digits" and "digit" not in full["noun"]


def test_smoke_overlay_shrinks_and_relaxes(monkeypatch):
    monkeypatch.setenv("FRFM_SMOKE", "1")
    k = budgets.knobs("full")
    assert k["n_pgd"] <= 8 and not k["check_accuracy"]
    assert k["eps_demo"] == budgets.KNOBS["full"]["eps_demo"]  # budgets stay the profile's

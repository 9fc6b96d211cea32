"""Occlusion probes: mask shapes and counts, same masks for every model, the 0 / 1 ratio limits."""

import pytest
import torch

from tutorial_lib.attribution import masking
from tutorial_lib.core.data import load_dataset
from tutorial_lib.core.models import build_cnn_digits, build_vit_digits, load_model


def test_patch_mask_hides_exactly_the_ratio_on_the_grid():
    g = torch.Generator().manual_seed(0)
    m = masking.patch_mask(5, 32, 4, 0.25, g)
    assert m.shape == (5, 1, 32, 32) and m.dtype == torch.bool
    assert (m.float().mean((1, 2, 3)) == 0.25).all()  # 16 of 64 patches, every image
    blocks = m.view(5, 8, 4, 8, 4)  # patch-aligned: each 4x4 block is all-or-nothing
    assert ((blocks.all(2).all(-1)) == (blocks.any(2).any(-1))).all()


def test_same_seed_same_masks_and_cutout_square():
    a = masking.patch_mask(3, 32, 4, 0.5, torch.Generator().manual_seed(1))
    b = masking.patch_mask(3, 32, 4, 0.5, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    c = masking.cutout_mask(4, 32, 8, torch.Generator().manual_seed(0))
    assert (c.sum((1, 2, 3)) == 64).all()


def test_bad_ratios_and_patch_sizes_are_clear_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        masking.patch_mask(2, 32, 4, 1.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        masking.masking_curve({}, torch.zeros(1, 1, 32, 32), torch.zeros(1), [-0.1], 4)
    with pytest.raises(ValueError, match="divide"):
        masking.patch_mask(2, 32, 5, 0.5)


def test_ratio_zero_keeps_accuracy_and_ratio_one_gives_chance():
    x, y = load_dataset("digits", "test", n=120)
    models = {"vit": load_model("vit_digits"), "cnn": load_model("cnn_digits")}
    curve = masking.masking_curve(models, x, y, [0.0, 1.0], patch=4)
    top_class = torch.bincount(y, minlength=10).max().item() / len(y)
    for name, m in models.items():
        with torch.no_grad():
            clean = (m(x).argmax(1) == y).float().mean().item()
        assert curve[name][0] == pytest.approx(clean)
        assert clean > 0.9
        # every image is black: one constant prediction, so at most the most common class
        assert curve[name][1] <= top_class + 1e-9


def test_token_drop_matches_full_forward_at_zero_and_refuses_cnn():
    torch.manual_seed(0)
    vit = build_vit_digits().eval()
    x = torch.rand(4, 1, 32, 32)
    none = torch.zeros(4, 64, dtype=torch.bool)
    with torch.no_grad():
        assert torch.allclose(masking.vit_drop_tokens(vit, x, none), vit(x), atol=1e-5)
    half = masking.hidden_patches(4, 64, 0.5, torch.Generator().manual_seed(0))
    assert masking.vit_drop_tokens(vit, x, half).shape == (4, 10)
    with pytest.raises(ValueError, match="VisionTransformer"):
        masking.vit_drop_tokens(build_cnn_digits(), x, none)
    assert torch.isnan(torch.tensor(masking.token_drop_curve(vit, x, torch.zeros(4).long(),
                                                             [1.0], 4)[0]))

"""The background compositor (core.composite): masks, variants, determinism, bad input."""

import pytest
import torch

from tutorial_lib.core import composite as C
from tutorial_lib.core.data import load_digits_tensors


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits_tensors("test")
    return x[:60], y[:60]


@pytest.fixture(scope="module")
def bank():
    return C.texture_bank(3, size=32, seed=0, split="test")


def test_texture_bank_shapes_ids_and_determinism(bank):
    tex, ids = bank
    assert tex.shape == (3 * len(C.CLASS_PHOTOS), 1, 32, 32)
    assert 0 <= tex.min() and tex.max() <= 1
    assert torch.equal(ids, torch.arange(len(C.CLASS_PHOTOS)).repeat_interleave(3))
    tex2, _ = C.texture_bank(3, size=32, seed=0, split="test")
    assert torch.equal(tex, tex2)
    assert not torch.equal(tex, C.texture_bank(3, size=32, seed=1, split="test")[0])
    assert (tex.flatten(1).std(1) > 0.01).all(), "a crop is blank: not a texture"


def test_train_and_test_textures_come_from_different_pixels():
    tr, _ = C.texture_bank(4, size=16, seed=0, split="train")
    te, _ = C.texture_bank(4, size=16, seed=0, split="test")
    assert not torch.equal(tr, te)


def test_mask_covers_strokes_and_nothing_else(digits):
    x, _ = digits
    m = C.foreground_mask(x)
    assert torch.all(m[x >= C.MASK_THRESHOLD] == 1)  # every stroke pixel is foreground
    assert torch.all(m[x == 0] == 0)  # the blank page is background
    frac = (m > 0.5).float().mean().item()  # strokes cover a minority of a digit image
    assert 0.1 < frac < 0.6


def test_variants_differ_only_where_they_should(digits, bank):
    x, y = digits
    m = C.foreground_mask(x)
    v = {k: C.variants(x, y, k, bank=bank, seed=3) for k in C.VARIANTS}
    core, page = m == 1, m == 0
    # only_fg == original on the strokes, 0 on the page, and differs somewhere on the rim
    assert torch.equal(v["only_fg"][core], x[core]) and (v["only_fg"][page] == 0).all()
    # every mixed variant keeps the strokes and changes the page
    for k in ("mixed_same", "mixed_rand", "mixed_next"):
        assert torch.allclose(v[k][core], x[core]), k
        assert (v[k][page] - x[page]).abs().mean() > 0.05, k
        assert v[k].max() <= 1 and v[k].min() >= 0
    # mixed_same and only_bg_t share the background: equal on the page, differ on the strokes
    assert torch.allclose(v["mixed_same"][page], v["only_bg_t"][page])
    assert (v["mixed_same"][core] - v["only_bg_t"][core]).abs().mean() > 0.2
    # the background never outshines a stroke at visibility 1
    assert v["only_bg_t"].max() <= C.BG_MAX + 1e-6


def test_pools_follow_the_class(digits, bank):
    _, y = digits
    _, ids = bank
    same = C.background_indices(y, "mixed_same", ids, seed=0)
    nxt = C.background_indices(y, "Mixed-Next", ids, seed=0)
    rand = C.background_indices(y, "mixed_rand", ids, seed=0)
    assert torch.equal(ids[same], y)
    assert torch.equal(ids[nxt], (y + 1) % len(C.CLASS_PHOTOS))
    assert (ids[rand] != y).float().mean() > 0.5  # random pools mostly differ from the class


def test_deterministic_in_seed(digits, bank):
    x, y = digits
    a = C.variants(x, y, "mixed_rand", bank=bank, seed=5)
    assert torch.equal(a, C.variants(x, y, "mixed_rand", bank=bank, seed=5))
    assert not torch.equal(a, C.variants(x, y, "mixed_rand", bank=bank, seed=6))


def test_correlated_hits_its_rate():
    x, y = load_digits_tensors("train")
    imgs, bg = C.correlated(x, y, 0.9, seed=0)
    assert imgs.shape == x.shape
    rate = (bg == y).float().mean().item()
    assert abs(rate - 0.9) < 0.03
    _, bg0 = C.correlated(x, y, 0.0, seed=0)
    assert (bg0 != y).all()


def test_bad_input_gets_a_clear_error(digits, bank):
    x, y = digits
    with pytest.raises(ValueError, match="Unknown background variant"):
        C.variants(x, y, "mixed_weird", bank=bank)
    with pytest.raises(ValueError, match="background size"):
        C.composite(x, C.texture_bank(1, size=16)[0][:1])
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        C.foreground_mask(x[:, 0])
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        C.variants(x.repeat(1, 3, 1, 1), y, "original")
    with pytest.raises(ValueError, match="visibility"):
        C.composite(x, bank[0][:1], visibility=5)
    with pytest.raises(ValueError, match="Unknown texture split"):
        C.texture_bank(1, split="val")
    with pytest.raises(ValueError, match="labels"):
        C.variants(x, y + 20, "mixed_same", bank=bank)

"""Renditions, the natural-adversarial filter, the background challenge, the full-profile loaders."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from tutorial_lib.core import composite as C
from tutorial_lib.core.data import load_digits_tensors
from tutorial_lib.core.models import DIGITS_MEAN, DIGITS_STD, ImageClassifier
from tutorial_lib.evaluation import backgrounds as B
from tutorial_lib.evaluation import natural_adv as NA
from tutorial_lib.evaluation import renditions as R
from tutorial_lib.evaluation import shift_data as SD


# ----------------------------------------------------------------------------- renditions
@pytest.fixture(scope="module")
def upright():
    return R.render(kind="sharp", affine=R.NO_AFFINE)


def test_every_digit_in_every_style_no_blank_glyph(upright):
    x, y, style = upright
    assert x.shape == (10 * len(R.FONT_STYLES), 1, 32, 32)
    assert torch.equal(y, torch.arange(10).repeat(len(R.FONT_STYLES)))
    assert torch.equal(torch.bincount(style), torch.full((len(R.FONT_STYLES),), 10))
    ink = x.flatten(1).mean(1)
    assert (ink > 0.08).all(), "a blank (or near-blank) glyph"
    # the ten digits of each style are ten different pictures (no .notdef box repeated)
    per_style = x.view(len(R.FONT_STYLES), 10, -1)
    d = torch.cdist(per_style, per_style)
    off = d[:, ~torch.eye(10, dtype=bool)]
    assert (off > 1.0).all()


def test_polarity_and_ink_match_the_scans(upright):
    x, _, _ = upright
    scans, _ = load_digits_tensors("test")
    lowres, _, _ = R.render(kind="lowres", affine=R.NO_AFFINE)
    for imgs in (x, lowres, scans):
        # light ink on a dark page, as in the scans: more page (< 0.1) than ink (> 0.5)
        # pixels (an inverted image fails this), and every image reaches near-full ink
        assert (imgs < 0.1).float().mean() > (imgs > 0.5).float().mean()
        assert (imgs.flatten(1).amax(1) > 0.75).all()
        # stroke width matched through the mean ink (within 0.05 of the scans')
        assert abs(imgs.mean().item() - scans.mean().item()) < 0.05
    from sklearn.datasets import load_digits
    assert abs(load_digits().images.mean() / 16 - R.SCAN_INK) < 0.005


def test_lowres_goes_through_the_scans_8x8_pipeline():
    sharp, _, _ = R.render(["DejaVu Sans", "STIX Italic"], kind="sharp")
    blocks = R.scan_blocks(sharp)
    k = blocks * 16  # ink counts per 4x4 block, as in the UCI scans
    assert torch.allclose(k, k.round(), atol=1e-5) and k.max() == 16
    lowres, _, _ = R.render(["DejaVu Sans", "STIX Italic"], kind="lowres")
    assert torch.allclose(lowres, R.upsample_like_scans(blocks))
    # the upsampling is the one the kit applies to the scans
    s8, _ = load_digits_tensors("test", size=8)
    s32, _ = load_digits_tensors("test", size=32)
    assert torch.allclose(R.upsample_like_scans(s8), s32, atol=1e-6)
    with pytest.raises(ValueError, match="32, 32"):
        R.scan_blocks(s8)


def test_renditions_deterministic_and_affine_changes_them():
    a, y, _ = R.render(["STIX", "Computer Modern Roman"], n_per_glyph=2, seed=3)
    b, _, _ = R.render(["STIX", "Computer Modern Roman"], n_per_glyph=2, seed=3)
    c, _, _ = R.render(["STIX", "Computer Modern Roman"], n_per_glyph=2, seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(y[:4], torch.tensor([0, 0, 1, 1]))


def test_renditions_bad_input():
    with pytest.raises(ValueError, match="Unknown font style"):
        R.render(["Comic Sans"])
    with pytest.raises(ValueError, match="Unknown rendition kind"):
        R.render(["STIX"], kind="blurry")


# ----------------------------------------------------------------------------- filter
def _tiny_models(k: int) -> list[nn.Module]:
    out = []
    for s in range(k):
        torch.manual_seed(s)
        out.append(ImageClassifier(nn.Sequential(nn.AvgPool2d(4), nn.Flatten(), nn.Linear(64, 10)),
                                   DIGITS_MEAN, DIGITS_STD, (1, 32, 32), f"t{s}").eval())
    return out


@pytest.fixture(scope="module")
def fitted_ensemble():
    """Three least-squares linear read-outs of the 8x8 pooled scans (real, quick, different)."""
    x, y = load_digits_tensors("train")
    models = _tiny_models(3)
    for k, m in enumerate(models):
        sub = slice(k * 300, (k + 1) * 300)
        z = (x[sub] - torch.tensor(DIGITS_MEAN).view(1, -1, 1, 1)) / torch.tensor(DIGITS_STD).view(1, -1, 1, 1)
        feats = torch.nn.functional.avg_pool2d(z, 4).flatten(1)
        feats = torch.cat([feats, torch.ones(len(feats), 1)], 1)
        w = torch.linalg.lstsq(feats, torch.eye(10)[y[sub]]).solution
        lin = m.net[2]
        with torch.no_grad():
            lin.weight.copy_(w[:-1].T)
            lin.bias.copy_(w[-1])
    return models


def test_filter_keeps_exactly_the_ensemble_errors(fitted_ensemble):
    x, y = load_digits_tensors("test")
    res = NA.adversarial_filter(fitted_ensemble, x, y, rule="mean")
    probs = torch.stack([NA.probabilities(m, x) for m in fitted_ensemble]).mean(0)
    assert torch.equal(res.keep, probs.argmax(1) != y)
    assert 0 < res.n_kept < len(y) // 2  # the read-outs are decent: a minority is kept
    strict = NA.adversarial_filter(fitted_ensemble, x, y, rule="all")
    vote = NA.adversarial_filter(fitted_ensemble, x, y, rule="vote")
    assert strict.n_kept <= vote.n_kept
    assert torch.equal(strict.keep, (~res.member_correct).all(0))


def test_filter_is_deterministic_per_image_and_order_free(fitted_ensemble):
    x, y = load_digits_tensors("test")
    a = NA.adversarial_filter(fitted_ensemble, x, y).keep
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    b = NA.adversarial_filter(fitted_ensemble[::-1], x[perm], y[perm], batch_size=7).keep
    assert torch.equal(a[perm], b)


def test_filter_bad_input(fitted_ensemble):
    x, y = load_digits_tensors("test")
    with pytest.raises(ValueError, match="rule"):
        NA.adversarial_filter(fitted_ensemble, x, y, rule="some")
    with pytest.raises(ValueError, match="empty"):
        NA.adversarial_filter([], x, y)


# ----------------------------------------------------------------------------- backgrounds
def test_challenge_is_the_worst_case_over_backgrounds(fitted_ensemble):
    x, y = load_digits_tensors("test")
    x, y = x[:80], y[:80]
    bank = C.texture_bank(2, seed=0, split="test")
    bgs = B.challenge_backgrounds(bank, 1, seed=0)
    assert len(bgs) == len(C.CLASS_PHOTOS)
    m = fitted_ensemble[0]
    ch = B.challenge_correct(m, x, y, bgs)
    each = torch.stack([NA.per_image_correct(m, C.composite(x, bg[None]), y) for bg in bgs])
    assert torch.equal(ch, each.min(0).values)
    assert ch.mean() <= each.mean(1).min()
    with pytest.raises(ValueError, match="per_pool"):
        B.challenge_backgrounds(bank, 3)


# ----------------------------------------------------------------------------- loaders
def _write_images(folder, n, rng):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        arr = (rng.random((40, 48, 3)) * 255).astype(np.uint8)
        Image.fromarray(arr).save(folder / f"img{i}.jpg")


def test_loaders_fail_clearly_without_data(monkeypatch, tmp_path):
    monkeypatch.delenv("FRFM_DATA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="FRFM_DATA_DIR"):
        SD.load_imagenet_rendition_or_adversarial("imagenet-r")
    monkeypatch.setenv("FRFM_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="imagenet-a"):
        SD.load_imagenet_rendition_or_adversarial("imagenet-a")
    with pytest.raises(FileNotFoundError, match="bg_challenge"):
        SD.load_imagenet9("mixed_rand")
    with pytest.raises(ValueError, match="Unknown ImageNet-9 variant"):
        SD.load_imagenet9("mixed_weird")


def test_loaders_read_a_tiny_stand_in(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    monkeypatch.setenv("FRFM_DATA_DIR", str(tmp_path))
    # ImageNet-R stand-in: two wnid folders (goldfish = 1, great white shark = 2)
    for wnid in ("n01443537", "n01491361"):
        _write_images(tmp_path / "imagenet-r" / wnid, 2, rng)
    index = {"n01440764": 0, "n01443537": 1, "n01484850": 2, "n01491361": 3}
    x, y, classes = SD.load_imagenet_rendition_or_adversarial("imagenet-r", size=32,
                                                              wnid_index=index)
    assert x.shape == (4, 3, 32, 32) and sorted(y.tolist()) == [1, 1, 3, 3]
    assert classes.tolist() == [1, 3]
    logits = torch.randn(4, 4)
    r = SD.restrict_logits(logits, classes)
    assert set(r.argmax(1).tolist()) <= {1, 3}
    # ImageNet-9 stand-in: 9 class folders of one variant, and the 1000 -> 9 mapping
    for c in range(9):
        _write_images(tmp_path / "bg_challenge" / "mixed_rand" / "val" / f"0{c}_class", 1, rng)
    x9, y9 = SD.load_imagenet9("Mixed-Rand", size=24)
    assert x9.shape == (9, 3, 24, 24) and sorted(y9.tolist()) == list(range(9))
    mapping = {str(i): (i % 10 if i % 10 < 9 else -1) for i in range(1000)}
    (tmp_path / "bg_challenge" / SD.IN9_MAP).write_text(json.dumps(mapping))
    mp = SD.in9_mapping()
    lg = torch.zeros(2, 1000)
    lg[0, 13] = 5.0  # ImageNet class 13 -> IN-9 class 3
    lg[1, 29] = 5.0  # 29 -> -1: not an IN-9 class, so it must not win
    out = SD.in9_logits(lg, mp)
    assert out.shape == (2, 9) and out[0].argmax() == 3 and out[1].max() == 0


def test_folder_loader_reads_grey_scans_as_rgb_and_names_an_empty_folder(tmp_path):
    """shift_data reads its benchmarks through core.data.load_image_folder: grey files come back
    with three equal channels; a folder without class folders is a clear error."""
    from tutorial_lib.core.data import load_image_folder

    scans, _ = load_digits_tensors("test", size=32)
    for k, cls in enumerate(("a", "b")):
        (tmp_path / cls).mkdir()
        Image.fromarray((scans[k, 0].numpy() * 255).astype(np.uint8)).save(tmp_path / cls / "s.png")
    x, y, classes = load_image_folder(tmp_path, size=16, seed=1)
    assert x.shape == (2, 3, 16, 16) and classes == ["a", "b"] and sorted(y.tolist()) == [0, 1]
    assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 1], x[:, 2]) and x.std() > 0.1
    with pytest.raises(FileNotFoundError, match="holds no class folders"):
        load_image_folder(tmp_path / "a")


def test_class_correlated_backgrounds_open_a_bg_gap():
    """The compositor's point: a CNN trained where 90% of backgrounds match the class gains on
    Mixed-Same over Mixed-Rand (on held-out test-band textures); one trained on independent
    backgrounds does not."""
    from tutorial_lib.core.fit import train_classifier
    from tutorial_lib.shift import line

    x_tr, y_tr = load_digits_tensors("train")
    x_va, y_va = load_digits_tensors("val")
    x_te, y_te = load_digits_tensors("test")
    bank_tr = C.texture_bank(32, seed=1, split="train")
    bank_te = C.texture_bank(8, seed=0, split="test")
    gaps = {}
    for p in (0.9, 0.1):
        xc, _ = C.correlated(x_tr, y_tr, p, bank=bank_tr, seed=0)
        xv, _ = C.correlated(x_va, y_va, p, bank=bank_tr, seed=1)
        torch.manual_seed(0)
        net = line.build_line_model(line.LineModel("cnn", 8, 16, len(x_tr), 8))
        train_classifier(net, (xc, y_tr), (xv, y_va), epochs=8, lr=3e-3, weight_decay=1e-4,
                         warmup_epochs=1, label_smoothing=0.0, augment=None, seed=0, log=None)
        r = B.variant_correct(net, x_te, y_te, bank_te, seed=1, kinds=("mixed_same", "mixed_rand"))
        gaps[p] = (r["mixed_same"] - r["mixed_rand"]).mean().item()
    assert gaps[0.9] > 0.08, gaps
    assert abs(gaps[0.1]) < 0.05, gaps

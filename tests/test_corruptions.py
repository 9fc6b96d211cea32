"""ImageNet-C-style corruptions: range, shape, severity ladder, determinism, mCE, bad inputs."""

from itertools import pairwise

import numpy as np
import pytest
import torch

from tutorial_lib.evaluation.corruptions import (
    CORRUPTIONS,
    PARAMS,
    corrupt,
    corruption_errors,
    jpeg,
    mce,
    relative_mce,
)
from tutorial_lib.core.data import load_digits_tensors


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits_tensors("test")
    return x[:24], y[:24]


def test_eleven_families_five_severities():
    assert len(CORRUPTIONS) == 11
    assert all(len(PARAMS[n]) == 5 for n in CORRUPTIONS)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_range_shape_and_severity_ladder(name, digits):
    x, _ = digits
    dist = []
    for s in range(1, 6):
        xc = corrupt(x, name, s, torch.Generator().manual_seed(0))
        assert xc.shape == x.shape and xc.dtype == x.dtype
        assert xc.min() >= 0 and xc.max() <= 1
        dist.append((xc - x).abs().mean().item())
    assert dist[-1] > dist[0] > 0 or (name == "gaussian_blur" and dist[-1] > dist[0])
    # monotone up to 3% (fog's severities 3->4 keep the strength and only roughen the fractal)
    assert all(b >= a * 0.97 for a, b in pairwise(dist)), dist


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_deterministic_with_a_seed_and_works_on_rgb(name):
    x = torch.rand(3, 3, 40, 36, generator=torch.Generator().manual_seed(1))
    a = corrupt(x, name, 3, torch.Generator().manual_seed(5))
    b = corrupt(x, name, 3, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.shape == x.shape


def test_noise_differs_across_seeds(digits):
    x, _ = digits
    a = corrupt(x, "gaussian_noise", 2, torch.Generator().manual_seed(0))
    b = corrupt(x, "gaussian_noise", 2, torch.Generator().manual_seed(1))
    assert not torch.equal(a, b)


def test_jpeg_matches_pillow_on_grey_images():
    import io

    from PIL import Image

    x, _ = load_digits_tensors("test")
    x = x[:4]
    ref = []
    for img in x:
        arr = (img[0].numpy() * 255).round().astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="JPEG", quality=15)
        ref.append(np.asarray(Image.open(buf), dtype=np.float32) / 255)
    ours = jpeg(x, 15)[:, 0].numpy()
    # libjpeg uses a fixed-point DCT: a few grey levels apart at most, on average far less
    assert np.abs(ours - np.stack(ref)).mean() < 2 / 255
    assert np.abs(ours - np.stack(ref)).max() < 16 / 255


def test_bad_inputs_are_clear_errors(digits):
    x, _ = digits
    with pytest.raises(KeyError, match="Choose one of"):
        corrupt(x, "snow", 1)
    for bad in (0, 6, 2.5, True):
        with pytest.raises(ValueError, match="1..5"):
            corrupt(x, "fog", bad)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        corrupt(x * 2, "fog", 1)
    with pytest.raises(ValueError, match="N, C, H, W"):
        corrupt(x[0], "fog", 1)


def test_mce_definitions():
    base = {"clean": [0.1], "a": [0.2, 0.3, 0.4, 0.5, 0.6], "b": [0.1, 0.1, 0.2, 0.2, 0.4]}
    model = {"clean": [0.05], "a": [0.1, 0.15, 0.2, 0.25, 0.3], "b": [0.1, 0.1, 0.2, 0.2, 0.4]}
    ce = mce(model, base)
    assert ce["a"] == pytest.approx(0.5) and ce["b"] == pytest.approx(1.0)
    assert ce["mCE"] == pytest.approx(0.75)
    assert mce(base, base)["mCE"] == pytest.approx(1.0)
    rel = relative_mce(model, base)
    assert rel["a"] == pytest.approx((1.0 - 0.25) / (2.0 - 0.5))
    assert rel["b"] == pytest.approx((1.0 - 0.25) / (1.0 - 0.5))
    with pytest.raises(ValueError, match="undefined"):
        mce(model, {"a": [0] * 5, "b": [0] * 5})
    with pytest.raises(ValueError, match="skip_undefined"):
        relative_mce(model, {**base, "b": [0.1] * 5})
    skipped = relative_mce(model, {**base, "b": [0.1] * 5}, skip_undefined=True)
    assert np.isnan(skipped["b"]) and skipped["relative_mCE"] == pytest.approx(rel["a"])
    with pytest.raises(KeyError, match="clean"):
        relative_mce({"a": [0.1] * 5}, base)


def test_corruption_errors_on_the_shipped_models(digits):
    from tutorial_lib.core.models import load_model

    x, y = load_digits_tensors("test")
    x, y = x[:64], y[:64]
    models = {"cnn": load_model("cnn_digits")}
    err = corruption_errors(models, x, y, names=["gaussian_noise", "jpeg"])
    e = err["cnn"]
    assert e["clean"][0] < 0.05  # the shipped CNN is ~99% accurate
    assert e["gaussian_noise"][4] > e["gaussian_noise"][0] + 0.2  # strong noise hurts
    assert len(e["jpeg"]) == 5


def test_impulse_noise_hits_the_stated_fraction_half_salt_half_pepper():
    x = torch.full((64, 1, 32, 32), 0.5)
    for s, p in enumerate(PARAMS["impulse_noise"], start=1):
        out = corrupt(x, "impulse_noise", s, torch.Generator().manual_seed(s))
        hit = out != 0.5
        assert abs(hit.float().mean().item() - p) < 0.01, (s, p)
        assert abs((out[hit] == 1).float().mean().item() - 0.5) < 0.03, s

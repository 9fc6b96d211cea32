"""ImageNet-P-style sequences, flip probability and top-5 distance."""

from itertools import pairwise

import pytest
import torch

from tutorial_lib.core.data import load_digits_tensors
from tutorial_lib.evaluation.stability import (
    KNOBS,
    PERTURBATIONS,
    SEQUENCES,
    flip_probability,
    knobs,
    load_imagenet_p,
    mean_rate,
    perturbation_sequence,
    stability_report,
    tilt,
    top5_distance,
)


@pytest.mark.parametrize("kind", SEQUENCES)
def test_sequences_start_clean_stay_in_range_and_move(kind):
    x, _ = load_digits_tensors("test")
    x = x[:8]
    seq = perturbation_sequence(x, kind, frames=5, generator=torch.Generator().manual_seed(0))
    assert seq.shape == (5, *x.shape)
    assert torch.equal(seq[0], x)
    assert seq.min() >= 0 and seq.max() <= 1
    dist = [(seq[t] - x).abs().mean().item() for t in range(5)]
    assert all(b > a for a, b in pairwise(dist)), dist


def test_integer_translation_is_exact():
    x = torch.zeros(1, 1, 8, 8)
    x[0, 0, 3, 3] = 1
    seq = perturbation_sequence(x, "translate", frames=3, generator=torch.Generator().manual_seed(0))
    for t in range(3):
        assert seq[t].sum() == 1  # the pixel moved by whole pixels, not blurred
    assert not torch.equal(seq[1], seq[0])


def test_flip_probability_and_top5_distance_known_cases():
    base = torch.tensor([5.0, 4, 3, 2, 1, 0])
    swap12 = torch.tensor([4.0, 5, 3, 2, 1, 0])  # top-1 flips, top-5 order: two ranks moved by 1
    out = torch.tensor([5.0, 4, 3, 2, -1, 0])  # rank 5 falls to rank 6
    logits = torch.stack([base, swap12, base, out]).view(4, 1, 6)
    assert flip_probability(logits) == pytest.approx(2 / 3)
    assert top5_distance(logits) == pytest.approx((2 + 2 + 1) / 3)
    assert flip_probability(logits, noise_like=True) == pytest.approx(1 / 3)
    assert top5_distance(torch.stack([base, base]).view(2, 1, 6)) == 0
    with pytest.raises(ValueError, match="5 classes"):
        top5_distance(torch.zeros(2, 1, 4))


def test_report_on_shipped_model_and_rates():
    from tutorial_lib.core.models import load_model

    x, _ = load_digits_tensors("test")
    m = {"cnn": load_model("cnn_digits")}
    rep = stability_report(m, x[:40], kinds=["gaussian_noise"], frames=4)
    fp = rep["cnn"]["gaussian_noise"]["fp"]
    assert 0 < fp < 0.6
    assert mean_rate(rep["cnn"], rep["cnn"])["mean"] == pytest.approx(1.0)


def test_per_image_values_come_from_the_same_pass():
    from tutorial_lib.core.models import load_model

    x, _ = load_digits_tensors("test")
    m = {"cnn": load_model("cnn_digits"), "vit": load_model("vit_digits")}
    kinds = ["gaussian_noise", "translate"]
    rep, values = stability_report(m, x[:30], kinds=kinds, frames=4, seed=2, per_image=True,
                                   profile="quick")
    assert rep == stability_report(m, x[:30], kinds=kinds, frames=4, seed=2, profile="quick")
    for k in m:
        assert values[k].shape == (30, 2, 2)
        for j, q in enumerate(kinds):
            assert values[k][:, j, 0].mean() == pytest.approx(rep[k][q]["fp"], abs=1e-6)
            assert values[k][:, j, 1].mean() == pytest.approx(rep[k][q]["t5d"], abs=1e-5)
    assert values["vit"][:, 0, 0].max() > 0  # growing noise flips some images
    logits = torch.randn(5, 3, 10, generator=torch.Generator().manual_seed(0))
    per = flip_probability(logits, per_image=True)
    assert per.shape == (3,) and per.mean().item() == pytest.approx(flip_probability(logits))


def test_mean_rate_can_leave_out_a_steady_baseline():
    rep = {"a": {"fp": 0.2}, "b": {"fp": 0.1}}
    base = {"a": {"fp": 0.4}, "b": {"fp": 0.0}}
    with pytest.raises(ValueError, match="never changes"):
        mean_rate(rep, base)
    rates = mean_rate(rep, base, skip_undefined=True)
    assert rates["a"] == pytest.approx(0.5) and rates["b"] != rates["b"] and rates["mean"] == pytest.approx(0.5)


def test_bad_inputs():
    x = torch.rand(2, 1, 8, 8)
    with pytest.raises(KeyError, match="choose one of"):
        perturbation_sequence(x, "zoomies")
    with pytest.raises(ValueError, match="2 frames"):
        perturbation_sequence(x, "rotate", frames=1)
    with pytest.raises(ValueError, match="undefined"):
        mean_rate({"rotate": {"fp": 0.1}}, {"rotate": {"fp": 0.0}})


# ----------------------------------------------------------------------------- all ten ImageNet-P kinds

WHOLE_SEQUENCE = {"motion_blur", "snow"}  # every frame corrupted, as in ImageNet-P


def test_knobs_cover_the_ten_imagenet_p_perturbations():
    assert len(PERTURBATIONS) == 10
    assert KNOBS["quick"].keys() == KNOBS["full"].keys()
    assert knobs("full")["sequences"] == list(PERTURBATIONS)
    assert tuple(knobs("quick")["sequences"]) == SEQUENCES
    for prof in ("quick", "full"):
        assert set(KNOBS[prof]["steps"]) == set(PERTURBATIONS)
    # the quick steps notebook 01 rests on
    assert {k: KNOBS["quick"]["steps"][k] for k in SEQUENCES} == {
        "translate": 1.0, "rotate": 3.0, "gaussian_noise": 0.03, "brightness": 0.05}


@pytest.mark.parametrize("profile", ["quick", "full"])
@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_every_perturbation_is_seeded_in_range_and_moves(kind, profile):
    x = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.1
    seq = perturbation_sequence(x, kind, 4, generator=torch.Generator().manual_seed(1), profile=profile)
    again = perturbation_sequence(x, kind, 4, generator=torch.Generator().manual_seed(1), profile=profile)
    assert seq.shape == (4, *x.shape) and torch.equal(seq, again)
    assert seq.min() >= 0 and seq.max() <= 1
    if kind not in WHOLE_SEQUENCE:
        assert torch.equal(seq[0], x)
    assert all((seq[t] - seq[t - 1]).abs().mean() > 1e-4 for t in range(1, 4)), kind


def test_full_profile_noise_is_a_fixed_level_and_quick_noise_grows():
    x = torch.full((4, 3, 64, 64), 0.5)
    for kind in ("gaussian_noise", "shot_noise"):
        full = perturbation_sequence(x, kind, 5, generator=torch.Generator().manual_seed(0), profile="full")
        quick = perturbation_sequence(x, kind, 5, generator=torch.Generator().manual_seed(0), profile="quick")
        df = [(full[t] - x).abs().mean().item() for t in range(1, 5)]
        dq = [(quick[t] - x).abs().mean().item() for t in range(1, 5)]
        assert max(df) < 1.05 * min(df), (kind, df)
        assert dq[-1] > 1.5 * dq[0], (kind, dq)


def test_tilt_is_a_perspective_warp_and_zero_tilt_is_identity():
    x = torch.rand(2, 1, 48, 48, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(tilt(x, torch.zeros(2)), x, atol=1e-5)
    # a tilt foreshortens one side more than the other: a line of ones stays straight but the
    # left and right halves of a uniform image lose different amounts to the zero fill
    ones = torch.ones(1, 1, 64, 64)
    t = tilt(ones, torch.tensor([12.0]))[0, 0]
    assert abs(t[:, :32].mean() - t[:, 32:].mean()) > 0.01


def test_scale_zooms_about_the_centre():
    x = torch.zeros(1, 1, 64, 64)
    x[..., 28:36, 28:36] = 1
    seq = perturbation_sequence(x, "scale", 3, step=0.5, generator=torch.Generator().manual_seed(0))
    area = [s.sum().item() for s in seq]
    assert area[1] / area[0] == pytest.approx(1.5**2, rel=0.15) or \
        area[1] / area[0] == pytest.approx(0.5**2, rel=0.25)
    assert seq[1, 0, 0, 31:33, 31:33].min() == pytest.approx(1.0)  # the centre stays put


def test_report_follows_the_profile_list():
    class Tiny(torch.nn.Module):
        def forward(self, x):
            return torch.stack([x.mean((1, 2, 3)) * k for k in range(6)], 1)

    x = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    assert set(stability_report({"m": Tiny()}, x, frames=3, profile="quick")["m"]) == set(SEQUENCES)
    assert set(stability_report({"m": Tiny()}, x, frames=3, profile="full")["m"]) == set(PERTURBATIONS)


def test_load_imagenet_p_errors_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("FRFM_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="imagenet-p/<perturbation>"):
        load_imagenet_p("tilt")
    (tmp_path / "imagenet-p" / "tilt" / "n01440764").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="mp4"):
        load_imagenet_p("tilt")
    with pytest.raises(KeyError, match="choose one of"):
        load_imagenet_p("spin")

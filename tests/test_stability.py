"""ImageNet-P-style sequences, flip probability and top-5 distance."""

from itertools import pairwise

import pytest
import torch

from tutorial_lib.core.data import load_digits_tensors
from tutorial_lib.evaluation.stability import (
    SEQUENCES,
    flip_probability,
    mean_rate,
    perturbation_sequence,
    stability_report,
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


def test_bad_inputs():
    x = torch.rand(2, 1, 8, 8)
    with pytest.raises(KeyError, match="choose one of"):
        perturbation_sequence(x, "zoom")
    with pytest.raises(ValueError, match="2 frames"):
        perturbation_sequence(x, "rotate", frames=1)
    with pytest.raises(ValueError, match="undefined"):
        mean_rate({"rotate": {"fp": 0.1}}, {"rotate": {"fp": 0.0}})

"""MSP OOD metrics on constructed cases, and the shipped 0-7 models (reload + recorded accuracy)."""

import numpy as np
import pytest
import torch

from tutorial_lib.evaluation.ood import IN_CLASSES, OOD_MODELS, msp_scores, ood_metrics, pr_curve


def test_perfect_random_and_inverted_detectors():
    perfect = ood_metrics(in_scores=[0.9, 0.8, 0.95], ood_scores=[0.2, 0.3])
    assert perfect["auroc"] == 1.0 and perfect["aupr"] == 1.0
    assert perfect["aupr_base"] == pytest.approx(0.4)
    inverted = ood_metrics(in_scores=[0.1, 0.2], ood_scores=[0.8, 0.9])
    assert inverted["auroc"] == 0.0
    tied = ood_metrics(np.full(50, 0.5), np.full(50, 0.5))
    assert tied["auroc"] == pytest.approx(0.5) and tied["aupr"] == pytest.approx(0.5)


def test_aupr_known_answer():
    # OOD positives ranked (by low confidence) at positions 1 and 3 of 4:
    # precision at recall 0.5 = 1/1, at recall 1.0 = 2/3 -> AP = 0.5 * 1 + 0.5 * 2/3
    m = ood_metrics(in_scores=[0.5, 0.9], ood_scores=[0.1, 0.7])
    assert m["aupr"] == pytest.approx(0.5 + 1 / 3)
    assert m["auroc"] == pytest.approx(0.75)
    recall, precision = pr_curve([0.5, 0.9], [0.1, 0.7])
    assert recall[0] == 1.0 and precision[-1] == 1.0


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least one"):
        ood_metrics([], [0.1])
    with pytest.raises(ValueError, match="NaN"):
        ood_metrics([float("nan")], [0.1])
    with pytest.raises(ValueError, match="temperature"):
        msp_scores(torch.nn.Identity(), torch.zeros(1, 3), temperature=0)


@pytest.mark.parametrize("name", sorted(OOD_MODELS))
def test_shipped_ood_models_reload_with_their_recorded_accuracy(name):
    from tutorial_lib.core.data import load_digits_tensors
    from tutorial_lib.core.fit import accuracy
    from tutorial_lib.core.models import load_model
    from tutorial_lib.core.zoo import metrics as checkpoint_metrics

    meta = checkpoint_metrics(name)
    assert meta, f"data/checkpoints/{name}.json missing: run python scripts/train.py {name}"
    assert meta["classes"] == list(IN_CLASSES)
    model = load_model(name)
    x, y = load_digits_tensors("test", classes=IN_CLASSES)
    acc = accuracy(model, x, y)
    assert abs(acc - meta["test_acc"]) <= 0.01
    assert acc > 0.9
    # held-out digits get a lower max-softmax than the digits it was trained on
    xo, _ = load_digits_tensors("test", classes=(8, 9))
    assert msp_scores(model, xo).mean() < msp_scores(model, x).mean()

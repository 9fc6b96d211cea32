"""Accuracy on the line: the shift, the probit fit, effective robustness, the shipped table."""

import numpy as np
import pytest
import torch
from scipy.stats import norm

from tutorial_lib.core import data
from tutorial_lib.core import transforms as T
from tutorial_lib.shift import line as S


def test_pen_shift_identity_thicker_and_smaller():
    x, _ = data.load_digits_tensors("test", classes=[0, 1])
    x = x[:20]
    assert torch.allclose(T.pen_shift(x, 0, 1.0), x, atol=1e-6)
    thick = T.pen_shift(x, 1, 1.0)
    assert (thick >= x - 1e-6).all() and thick.sum() > 1.1 * x.sum()
    thin = T.pen_shift(x, -1, 1.0)
    assert (thin <= x + 1e-6).all()
    small = T.pen_shift(x, 0, 0.7)
    border = torch.ones(32, 32, dtype=torch.bool)
    border[4:28, 4:28] = False
    assert small[..., border].abs().max() < 1e-6  # writing shrinks toward the centre
    assert small.shape == x.shape and small.min() >= 0 and small.max() <= 1


def test_fit_recovers_a_probit_line_and_zero_effective_robustness():
    acc_id = np.linspace(0.3, 0.98, 12)
    acc_ood = norm.cdf(0.8 * norm.ppf(acc_id) - 0.4)
    fit = S.fit_line(acc_id, acc_ood)
    assert fit.slope == pytest.approx(0.8, abs=1e-6) and fit.intercept == pytest.approx(-0.4, abs=1e-6)
    assert fit.r2 == pytest.approx(1.0) and fit.n_models == 12
    assert np.allclose(S.effective_robustness(fit, acc_id, acc_ood), 0, atol=1e-9)
    above = S.effective_robustness(fit, [0.9], [norm.cdf(0.8 * norm.ppf(0.9) - 0.4) + 0.05])
    assert above[0] == pytest.approx(0.05, abs=1e-9)


def test_probit_clips_with_n_and_rejects_percentages():
    assert np.isfinite(S.probit([0.0, 1.0], n=397)).all()
    with pytest.raises(ValueError, match="fractions"):
        S.probit([95.0])
    with pytest.raises(ValueError, match=">= 3"):
        S.fit_line([0.5, 0.6], [0.4, 0.5])
    with pytest.raises(ValueError, match="equal"):
        S.fit_line([0.5] * 4, [0.4, 0.5, 0.6, 0.7])


def test_bad_inputs():
    with pytest.raises(ValueError, match="N, C, H, W"):
        T.pen_shift(torch.rand(32, 32))
    with pytest.raises(ValueError, match="integer"):
        T.pen_shift(torch.rand(1, 1, 32, 32), thickness=0.5)
    with pytest.raises(ValueError, match="scale"):
        T.pen_shift(torch.rand(1, 1, 32, 32), scale=0.0)
    with pytest.raises(ValueError, match="arch"):
        S.build_line_model(S.LineModel("rnn", 8, 16, 10, 1))
    with pytest.raises(ValueError, match="resolution"):
        S.build_line_model(S.LineModel("mlp", 8, 12, 10, 1))


def test_shipped_table_is_on_the_line_and_reproducible():
    rows = S.load_table()
    assert len(rows) == len(S.line_family())
    fit = S.fit_line([r["acc_id"] for r in rows], [r["acc_ood"] for r in rows], n=397)
    assert fit.r2 > 0.85 and 0.3 < fit.slope < 1.5
    # the shift is a real shift: every model that learned something loses accuracy under it
    assert all(r["acc_ood"] < r["acc_id"] for r in rows if r["acc_id"] > 0.5)
    # retrain one cheap member and compare with its recorded accuracies
    row = next(r for r in rows if r["name"] == "linear_w0_r32_n150_e15_s0")
    _, acc = S.train_line_model(S.spec_of(row))
    assert abs(acc["acc_id"] - row["acc_id"]) < 0.02 and abs(acc["acc_ood"] - row["acc_ood"]) < 0.02

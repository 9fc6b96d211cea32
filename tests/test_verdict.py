"""The verdict rule and its intervals, on the cases most likely to break them."""

import math

import numpy as np
import pytest
from scipy import stats

from tutorial_lib.core import verdict


@pytest.mark.parametrize("lo, hi, direction, want", [
    (0.01, 0.2, "greater", "reproduced"), (-0.2, -0.01, "greater", "contradicted"),
    (-0.2, -0.01, "less", "reproduced"), (0.01, 0.2, "less", "contradicted"),
    (-0.1, 0.1, "greater", "inconclusive at this size"), (-0.1, 0.1, "less", "inconclusive at this size"),
])
def test_rule_three_outcomes(lo, hi, direction, want):
    assert verdict.decide(lo, hi, direction) == want


@pytest.mark.parametrize("direction", ["greater", "less"])
def test_interval_touching_the_threshold_is_inconclusive(direction):
    # an endpoint *on* the threshold does not exclude it, on either side
    assert verdict.decide(0.0, 0.3, direction) == "inconclusive at this size"
    assert verdict.decide(-0.3, 0.0, direction) == "inconclusive at this size"
    assert verdict.decide(1.0, 1.0, direction, threshold=1.0) == "inconclusive at this size"
    assert verdict.decide(0.5, 0.9, direction, threshold=0.5) == "inconclusive at this size"


def test_threshold_other_than_zero():
    assert verdict.decide(0.8, 0.95, "less", threshold=1.0) == "reproduced"
    assert verdict.decide(1.01, 1.3, "less", threshold=1.0) == "contradicted"


@pytest.mark.parametrize("lo, hi", [(math.nan, 0.1), (0.0, math.nan), (-math.inf, 0.1), (0.2, 0.1)])
def test_bad_intervals_raise(lo, hi):
    with pytest.raises(ValueError):
        verdict.decide(lo, hi, "greater")


def test_bad_direction_raises():
    with pytest.raises(ValueError, match="direction"):
        verdict.decide(0.1, 0.2, "bigger")


def test_claim_rejects_nan_effect_and_effect_outside_interval(capsys):
    with pytest.raises(ValueError):
        verdict.claim("t-1", "99", "x", "s", math.nan, (0.0, 1.0), 10)
    with pytest.raises(ValueError):
        verdict.claim("t-1", "99", "x", "s", 2.0, (0.0, 1.0), 10)
    with pytest.raises(ValueError):  # a NaN interval
        verdict.claim("t-1", "99", "x", "s", 0.5, (math.nan, 1.0), 10)


def test_claim_prints_the_line_and_a_deciding_size(capsys, monkeypatch):
    monkeypatch.delenv(verdict.WRITE_ENV, raising=False)
    c = verdict.claim("t-1", "99", "A beats B", "Paper 2022, Table 1", 0.05, (-0.01, 0.11), 100)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == c.line() and out[0].endswith("-> inconclusive at this size")
    assert "n = " in out[1]
    # half-width 0.06, effect 0.05: about 100 * (0.06/0.05)^2 = 144 items would decide it
    assert verdict.deciding_n(c) == 144


def test_claim_does_not_write_without_the_switch(tmp_path, monkeypatch):
    monkeypatch.delenv(verdict.WRITE_ENV, raising=False)
    monkeypatch.setattr(verdict, "ledger_path", lambda: tmp_path / "claims.json")
    verdict.claim("t-1", "99", "x", "s", 0.5, (0.4, 0.6), 10, show=False)
    assert not (tmp_path / "claims.json").exists()
    monkeypatch.setenv(verdict.WRITE_ENV, "1")
    verdict.claim("t-1", "99", "x", "s", 0.5, (0.4, 0.6), 10, show=False)
    verdict.claim("t-2", "99", "x", "s", 0.5, (0.4, 0.6), 10, show=False)
    verdict.claim("t-1", "99", "x", "s", -0.5, (-0.6, -0.4), 10, show=False)  # replaces t-1
    rows = verdict.read_ledger()
    assert [(r["id"], r["verdict"]) for r in rows] == [("t-1", "contradicted"), ("t-2", "reproduced")]
    assert verdict.clear("99", "quick") == 2 and verdict.read_ledger() == []


# ----------------------------------------------------------------------------- Clopper-Pearson
@pytest.mark.parametrize("k, n", [(0, 10), (10, 10), (5, 10), (1, 40), (39, 40), (37, 80)])
def test_clopper_pearson_inverts_the_binomial_tails(k, n):
    """The exact interval's ends are where the binomial tails equal 2.5% (its definition)."""
    p, lo, hi = verdict.binomial_interval(k, n)
    assert p == k / n and 0 <= lo <= p <= hi <= 1
    if k > 0:
        assert stats.binom.sf(k - 1, n, lo) == pytest.approx(0.025, abs=1e-9)  # P(X >= k | lo)
    if k < n:
        assert stats.binom.cdf(k, n, hi) == pytest.approx(0.025, abs=1e-9)  # P(X <= k | hi)


def test_clopper_pearson_closed_forms_at_k0_and_kn():
    n = 10
    assert verdict.binomial_interval(0, n)[1:] == (0.0, pytest.approx(1 - 0.025 ** (1 / n)))
    assert verdict.binomial_interval(n, n)[1:] == (pytest.approx(0.025 ** (1 / n)), 1.0)
    # the textbook value for 5 of 10
    assert verdict.binomial_interval(5, 10)[1:] == (pytest.approx(0.187086, abs=1e-6),
                                                   pytest.approx(0.812914, abs=1e-6))


@pytest.mark.parametrize("k, n", [(-1, 10), (11, 10), (0, 0)])
def test_binomial_bad_counts_raise(k, n):
    with pytest.raises(ValueError):
        verdict.binomial_interval(k, n)


# ----------------------------------------------------------------------------- bootstrap, seeds
def test_paired_bootstrap_coverage_on_a_known_distribution():
    """95% intervals for a mean difference cover the true value about 95% of the time."""
    rng = np.random.default_rng(0)
    hits, reps, n = 0, 300, 120
    for r in range(reps):
        shared = rng.normal(size=n)  # pairing: both 'models' see the same hard items
        a = shared + rng.normal(0.2, 1.0, n)
        b = shared + rng.normal(0.0, 1.0, n)
        _, lo, hi = verdict.paired_bootstrap(a, b, n_boot=500, seed=r)
        hits += lo <= 0.2 <= hi
    assert 0.89 <= hits / reps <= 0.99, hits / reps


def test_paired_bootstrap_uses_the_pairing():
    rng = np.random.default_rng(1)
    shared = rng.normal(0, 5, 200)
    a, b = shared + 0.3, shared.copy()  # a constant paired gap, huge item-to-item spread
    eff, lo, hi = verdict.paired_bootstrap(a, b)
    assert eff == pytest.approx(0.3) and lo == pytest.approx(0.3) and hi == pytest.approx(0.3)


def test_paired_bootstrap_custom_stat_and_errors():
    a = np.arange(10.0)
    eff, lo, hi = verdict.paired_bootstrap(a, stat=lambda v: float(np.median(v)))
    assert eff == 4.5 and lo <= eff <= hi
    with pytest.raises(ValueError):
        verdict.paired_bootstrap([1.0, np.nan, 2.0])
    with pytest.raises(ValueError):
        verdict.paired_bootstrap([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        verdict.paired_bootstrap([1.0])


def test_seed_interval_matches_student_t():
    v = [0.70, 0.74, 0.66]
    m, lo, hi = verdict.seed_interval(v)
    half = stats.t.ppf(0.975, 2) * np.std(v, ddof=1) / np.sqrt(3)
    assert (m, lo, hi) == pytest.approx((0.70, 0.70 - half, 0.70 + half))
    with pytest.raises(ValueError):
        verdict.seed_interval([0.5])

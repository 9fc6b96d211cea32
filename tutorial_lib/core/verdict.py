"""The kit's one verdict rule and its claims ledger.

Every comparison with a paper goes through :func:`claim`. It takes the kit's effect, a 95%
interval for it and the paper's direction, and returns one of three verdicts:

- ``reproduced``: the whole interval lies on the paper's side of the threshold;
- ``contradicted``: the whole interval lies on the other side;
- ``inconclusive at this size``: the interval holds the threshold.

The interval comes from one of three helpers: :func:`paired_bootstrap` (two models on the same
images), :func:`seed_interval` (a spread over training seeds) or :func:`binomial_interval` (an
exact Clopper–Pearson interval for an accuracy). Each call prints one line in a fixed format
(``[claim ID] ... -> VERDICT``) and, when ``$FRFM_WRITE_CLAIMS=1`` (set by
``scripts/execute_notebooks.py`` when it regenerates the committed notebooks), records the entry
in ``data/claims.json``, the ledger that CI checks against the committed notebooks.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

VERDICTS = ("reproduced", "contradicted", "inconclusive at this size")
DIRECTIONS = ("greater", "less")
LEDGER = "claims.json"
WRITE_ENV = "FRFM_WRITE_CLAIMS"


def decide(ci_low: float, ci_high: float, direction: str, threshold: float = 0.0) -> str:
    """The rule: ``direction`` is the paper's side of ``threshold`` (``"greater"`` or ``"less"``)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)) or ci_low > ci_high:
        raise ValueError(f"need a finite interval with low <= high, got [{ci_low}, {ci_high}]")
    above, below = ci_low > threshold, ci_high < threshold
    if (above and direction == "greater") or (below and direction == "less"):
        return VERDICTS[0]
    if above or below:
        return VERDICTS[1]
    return VERDICTS[2]


# ----------------------------------------------------------------------------- intervals
def paired_bootstrap(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray | None = None,
                     stat: Callable[[np.ndarray], float] | None = None, n_boot: int = 2000,
                     seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """Effect ``stat(a) - stat(b)`` (or ``stat(a)`` when ``b`` is None) with a percentile bootstrap
    interval that resamples the *same* items for both (paired: both models saw the same images).

    ``a`` and ``b`` are per-item values, e.g. 0/1 correctness per image; the first axis is the item.
    ``stat`` maps a resampled array (items first) to a number; the default is the mean.
    Returns ``(effect, low, high)``.
    """
    a = np.asarray(a, dtype=float)
    b = None if b is None else np.asarray(b, dtype=float)
    if len(a) < 2 or (b is not None and len(b) != len(a)):
        raise ValueError(f"need >= 2 paired items, got {len(a)} and {None if b is None else len(b)}")
    if not np.isfinite(a).all() or (b is not None and not np.isfinite(b).all()):
        raise ValueError("per-item values contain NaN or inf")
    stat = stat or (lambda v: float(np.mean(v, axis=0)))
    f = (lambda idx: stat(a[idx])) if b is None else (lambda idx: stat(a[idx]) - stat(b[idx]))
    effect = f(np.arange(len(a)))
    rng = np.random.default_rng(seed)
    boots = np.array([f(rng.integers(0, len(a), len(a))) for _ in range(n_boot)])
    q = (1 - level) / 2
    return float(effect), float(np.quantile(boots, q)), float(np.quantile(boots, 1 - q))


def seed_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean over seeds with a Student-t interval: ``(mean, low, high)``. Needs >= 2 seeds."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    if len(v) < 2 or not np.isfinite(v).all():
        raise ValueError(f"need >= 2 finite seed values, got {list(v)}")
    half = stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def binomial_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Exact Clopper–Pearson interval for a proportion ``k / n``: ``(k/n, low, high)``."""
    from scipy import stats

    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    q = (1 - level) / 2
    low = 0.0 if k == 0 else float(stats.beta.ppf(q, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - q, k + 1, n - k))
    return k / n, low, high


# ----------------------------------------------------------------------------- the ledger
@dataclass
class Claim:
    """One row of the claims ledger (``data/claims.json``)."""

    id: str
    notebook: str
    claim: str  # the paper's statement, with its direction
    source: str  # paper + table / figure
    paper_value: float | str | None
    kit_value: float
    ci_low: float
    ci_high: float
    n: int  # evaluation items (images, functions, seeds) behind the interval
    verdict: str
    profile: str
    direction: str = "greater"
    threshold: float = 0.0
    uncertainty: str = "paired bootstrap"  # or "seed spread", "Clopper-Pearson"

    def line(self) -> str:
        """The printed form the ledger test reads back from the committed notebooks."""
        paper = "" if self.paper_value is None else f"; paper: {self.paper_value}"
        side = ">" if self.direction == "greater" else "<"
        return (f"[claim {self.id}] {self.claim}: kit {self.kit_value:+.4g} "
                f"[{self.ci_low:+.4g}, {self.ci_high:+.4g}] (95%, {self.uncertainty}, n={self.n}; "
                f"paper's side: {side} {self.threshold:g}{paper}) -> {self.verdict}")


def ledger_path():
    from .data import repo_root

    return repo_root() / "data" / LEDGER


def read_ledger() -> list[dict]:
    """The committed claims (an empty list when there is no ledger yet)."""
    path = ledger_path()
    return json.loads(path.read_text())["claims"] if path.is_file() else []


def _record(entry: Claim) -> None:
    path = ledger_path()
    claims = [c for c in read_ledger() if not (c["id"] == entry.id and c["profile"] == entry.profile)]
    claims.append(asdict(entry))
    claims.sort(key=lambda c: (c["notebook"], c["id"], c["profile"]))
    path.write_text(json.dumps({"rule": __doc__.split("\n\n")[1], "claims": claims}, indent=1) + "\n")


def claim(id: str, notebook: str, claim: str, source: str, effect: float,
          interval: tuple[float, float], n: int, direction: str = "greater",
          threshold: float = 0.0, paper_value: float | str | None = None,
          uncertainty: str = "paired bootstrap", show: bool = True) -> Claim:
    """Decide one verdict with :func:`decide`, print its line, and record it in the ledger when
    ``$FRFM_WRITE_CLAIMS=1``. ``interval`` is the 95% interval of ``effect``; ``direction`` says
    on which side of ``threshold`` the paper puts the effect. Returns the :class:`Claim`."""
    from .config import get_profile

    lo, hi = (float(v) for v in interval)
    if not (lo <= effect <= hi) and math.isfinite(effect):
        raise ValueError(f"effect {effect} lies outside its interval [{lo}, {hi}]")
    entry = Claim(id=id, notebook=notebook, claim=claim, source=source, paper_value=paper_value,
                  kit_value=float(effect), ci_low=lo, ci_high=hi, n=int(n),
                  verdict=decide(lo, hi, direction, threshold), profile=get_profile().name,
                  direction=direction, threshold=float(threshold), uncertainty=uncertainty)
    if show:
        print(entry.line())
    if os.environ.get(WRITE_ENV) == "1":
        _record(entry)
    return entry


def tally(claims: Sequence[dict] | None = None, profile: str = "quick") -> dict[str, dict[str, int]]:
    """Per notebook, how many claims got each verdict (the README's table)."""
    out: dict[str, dict[str, int]] = {}
    for c in read_ledger() if claims is None else claims:
        if c["profile"] == profile:
            row = out.setdefault(c["notebook"], dict.fromkeys(VERDICTS, 0))
            row[c["verdict"]] += 1
    return dict(sorted(out.items()))

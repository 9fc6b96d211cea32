"""The kit's one verdict rule and its claims ledger.

Every comparison with a paper goes through :func:`claim`. It takes the kit's effect, a 95%
interval for it and the paper's direction, and returns one of three verdicts:

- ``reproduced``: the whole interval lies on the paper's side of the threshold;
- ``contradicted``: the whole interval lies on the other side;
- ``inconclusive at this size``: the interval holds (or touches) the threshold; :func:`claim`
  then also prints roughly what sample size would decide it (:func:`deciding_n`).

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
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np

VERDICTS = ("reproduced", "contradicted", "inconclusive at this size")
DIRECTIONS = ("greater", "less")
LEDGER = "claims.json"
WRITE_ENV = "FRFM_WRITE_CLAIMS"
RULE = ("reproduced: the 95% interval lies entirely on the paper's side of the threshold; "
        "contradicted: entirely on the other side; inconclusive at this size: otherwise")


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
    rng = np.random.default_rng(seed)
    if stat is None and a.ndim == 1:  # the mean: resample in vectorised chunks
        d = a if b is None else a - b
        effect = float(d.mean())
        boots = np.concatenate([d[rng.integers(0, len(d), (m, len(d)))].mean(1)
                                for m in np.diff(np.r_[0:n_boot:256, n_boot])])
    else:
        stat = stat or (lambda v: float(np.mean(v, axis=0)))
        f = (lambda idx: stat(a[idx])) if b is None else (lambda idx: stat(a[idx]) - stat(b[idx]))
        effect = f(np.arange(len(a)))
        boots = np.array([f(rng.integers(0, len(a), len(a))) for _ in range(n_boot)])
    q = (1 - level) / 2
    lo, hi = float(np.quantile(boots, q)), float(np.quantile(boots, 1 - q))
    # a percentile interval of a biased statistic (a ratio, an R²) can miss the point estimate;
    # widening it to include the estimate only makes the verdict more cautious
    return float(effect), min(lo, float(effect)), max(hi, float(effect))


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


def _write_ledger(claims: list[dict]) -> None:
    claims = sorted(claims, key=lambda c: (c["notebook"], c["id"], c["profile"]))
    ledger_path().write_text(json.dumps({"rule": RULE, "claims": claims}, indent=1) + "\n")


@contextmanager
def _locked():
    """Serialise read-modify-write of the ledger across processes (notebooks run in parallel)."""
    import fcntl

    with open(ledger_path().with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _record(entry: Claim) -> None:
    with _locked():
        claims = [c for c in read_ledger()
                  if not (c["id"] == entry.id and c["profile"] == entry.profile)]
        claims.append(asdict(entry))
        _write_ledger(claims)


def clear(notebook: str, profile: str) -> int:
    """Drop a notebook's entries for one profile (before it is re-run, so that claims it no longer
    makes do not linger). Returns how many were dropped."""
    with _locked():
        claims = read_ledger()
        kept = [c for c in claims if not (c["notebook"] == notebook and c["profile"] == profile)]
        if len(kept) != len(claims) or ledger_path().is_file():
            _write_ledger(kept)
    return len(claims) - len(kept)


def check_ledger(claims: Sequence[dict] | None = None) -> list[str]:
    """Every way the ledger breaks the rule: a verdict that :func:`decide` would not give, a
    "reproduced" interval that touches the threshold or lies on the wrong side, a kit value outside
    its interval, a missing key. Returns the problems (an empty list means the ledger is sound)."""
    keys = {"id", "notebook", "claim", "source", "paper_value", "kit_value", "ci_low", "ci_high",
            "n", "verdict", "profile", "direction", "threshold"}
    problems, seen = [], set()
    for c in read_ledger() if claims is None else claims:
        name = f"{c.get('id')} ({c.get('profile')})"
        if keys - set(c):
            problems.append(f"{name}: missing {sorted(keys - set(c))}")
            continue
        if (c["id"], c["profile"]) in seen:
            problems.append(f"{name}: duplicate id")
        seen.add((c["id"], c["profile"]))
        try:
            want = decide(c["ci_low"], c["ci_high"], c["direction"], c["threshold"])
        except (ValueError, TypeError) as err:
            problems.append(f"{name}: {err}")
            continue
        if c["verdict"] != want:
            problems.append(f"{name}: verdict {c['verdict']!r} but the rule gives {want!r}")
        if c["verdict"] == VERDICTS[0]:
            lo, hi, t = c["ci_low"], c["ci_high"], c["threshold"]
            if not ((c["direction"] == "greater" and lo > t) or (c["direction"] == "less" and hi < t)):
                problems.append(f"{name}: 'reproduced' but [{lo}, {hi}] does not exclude {t} "
                                f"on the {c['direction']} side")
        if not c["ci_low"] <= c["kit_value"] <= c["ci_high"]:
            problems.append(f"{name}: kit value {c['kit_value']} outside [{c['ci_low']}, {c['ci_high']}]")
    return problems


def deciding_n(entry: Claim) -> int | None:
    """Rough sample size at which the interval would exclude the threshold, if the effect and the
    per-item spread stayed as measured (the half-width shrinks like 1/sqrt(n)). None when the
    effect sits on the threshold."""
    gap = abs(entry.kit_value - entry.threshold)
    half = (entry.ci_high - entry.ci_low) / 2
    if gap == 0 or not math.isfinite(gap):
        return None
    return max(entry.n + 1, math.ceil(entry.n * (half / gap) ** 2))


def claim(id: str, notebook: str, claim: str, source: str, effect: float,
          interval: tuple[float, float], n: int, direction: str = "greater",
          threshold: float = 0.0, paper_value: float | str | None = None,
          uncertainty: str = "paired bootstrap", show: bool = True) -> Claim:
    """Decide one verdict with :func:`decide`, print its line, and record it in the ledger when
    ``$FRFM_WRITE_CLAIMS=1``. ``interval`` is the 95% interval of ``effect``; ``direction`` says
    on which side of ``threshold`` the paper puts the effect. Returns the :class:`Claim`."""
    from .config import get_profile

    lo, hi = (float(v) for v in interval)
    if not math.isfinite(effect) or not (lo <= effect <= hi):
        raise ValueError(f"effect {effect} must be finite and inside its interval [{lo}, {hi}]")
    entry = Claim(id=id, notebook=notebook, claim=claim, source=source, paper_value=paper_value,
                  kit_value=float(effect), ci_low=lo, ci_high=hi, n=int(n),
                  verdict=decide(lo, hi, direction, threshold), profile=get_profile().name,
                  direction=direction, threshold=float(threshold), uncertainty=uncertainty)
    smoke = get_profile().smoke
    if show:
        print(("[SMOKE RUN, not a result] " if smoke else "") + entry.line())
        if entry.verdict == VERDICTS[2]:
            need = deciding_n(entry)
            print("    (inconclusive: " + ("no sample size decides an effect at the threshold)"
                  if need is None else f"about n = {need:,} would decide it if the effect and "
                  "spread held)"))
    if os.environ.get(WRITE_ENV) == "1":
        if smoke:
            raise RuntimeError("a smoke run (FRFM_SMOKE=1) never writes the claims ledger: unset "
                               "FRFM_WRITE_CLAIMS or FRFM_SMOKE")
        _record(entry)
    return entry


def claim_bootstrap(id: str, notebook: str, claim_text: str, source: str,
                    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray | None = None,
                    stat: Callable[[np.ndarray], float] | None = None, n_boot: int = 2000,
                    seed: int = 0, **kwargs) -> Claim:
    """:func:`paired_bootstrap` over the items of ``a`` (and ``b``), then :func:`claim` with
    ``n`` = the number of items; ``kwargs`` go to :func:`claim` (direction, threshold, ...)."""
    effect, lo, hi = paired_bootstrap(a, b, stat=stat, n_boot=n_boot, seed=seed)
    return claim(id, notebook, claim_text, source, effect, (lo, hi), n=len(a),
                 uncertainty="paired bootstrap", **kwargs)


def tally(claims: Sequence[dict] | None = None, profile: str = "quick") -> dict[str, dict[str, int]]:
    """Per notebook, how many claims got each verdict (the README's table)."""
    out: dict[str, dict[str, int]] = {}
    for c in read_ledger() if claims is None else claims:
        if c["profile"] == profile:
            row = out.setdefault(c["notebook"], dict.fromkeys(VERDICTS, 0))
            row[c["verdict"]] += 1
    return dict(sorted(out.items()))


def tally_markdown(claims: Sequence[dict] | None = None, profile: str = "quick") -> str:
    """The README's "Claims ledger" table, generated from the ledger."""
    rows = ["| notebook | reproduced | contradicted | inconclusive at this size |",
            "|---|---:|---:|---:|"]
    for nb, row in tally(claims, profile).items():
        rows.append(f"| {nb} | " + " | ".join(str(row[v]) for v in VERDICTS) + " |")
    return "\n".join(rows)

"""What to say where the kit disagrees with a paper: the contradicted and inconclusive claims of
the claims ledger (data/claims.json), per notebook, with a line an instructor can say.

    python scripts/instructor_claims.py                 # quick profile, contradicted + inconclusive
    python scripts/instructor_claims.py --notebook 01   # one notebook
    python scripts/instructor_claims.py --all           # reproduced ones too
    python scripts/instructor_claims.py --ledger other.json --profile full

For an inconclusive claim it estimates how many items (or seeds) would decide it, assuming the
interval narrows like 1/sqrt(n) around the same effect: n' = n * (half-width / |effect - threshold|)^2.
A missing ledger is not an error: it says how to write one.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "data" / "claims.json"
ORDER = ("contradicted", "inconclusive at this size", "reproduced")


def load(path: Path) -> list[dict]:
    """The ledger's claims; [] when the file does not exist."""
    if not path.is_file():
        return []
    data = json.loads(path.read_text())
    claims = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(claims, list):
        raise ValueError(f"{path}: expected {{'claims': [...]}}, the format tutorial_lib.core.verdict writes")
    return claims


def items_to_decide(c: dict) -> int | None:
    """Items (or seeds) at which the interval, shrinking like 1/sqrt(n), would exclude the threshold;
    None when the effect sits on the threshold (no sample size decides it) or data are missing."""
    try:
        effect, lo, hi, n = float(c["kit_value"]), float(c["ci_low"]), float(c["ci_high"]), int(c["n"])
        gap = abs(effect - float(c.get("threshold", 0.0)))
    except (KeyError, TypeError, ValueError):
        return None
    half = (hi - lo) / 2
    if gap <= 1e-12 or half <= 0 or n <= 0:
        return None
    return max(n + 1, math.ceil(n * (half / gap) ** 2))


def advice(c: dict) -> str:
    """One sentence for the room."""
    side = "above" if c.get("direction", "greater") == "greater" else "below"
    paper = f" ({c['source']}: {c['paper_value']})" if c.get("paper_value") not in (None, "") else f" ({c.get('source', '')})"
    unit = "seeds" if c.get("uncertainty") == "seed spread" else "items"
    if c["verdict"] == "contradicted":
        return (f"Say it plainly: the paper{paper} puts the effect {side} {c.get('threshold', 0):g}; this run's whole "
                f"95% interval lies on the other side. Name the scale difference (data, model size, "
                f"pre-training) as the likely reason, and ask which one the learners would change first.")
    if c["verdict"].startswith("inconclusive"):
        need = items_to_decide(c)
        more = (f"about {need:,} {unit} (now {c['n']:,}) would likely decide it if the effect held"
                if need else "the effect sits on the threshold, so more data alone would not decide it")
        return (f"The interval holds the threshold: the miniature cannot tell. {more}. "
                f"Paper{paper}.")
    return f"Reproduced: the whole interval lies on the paper's side{paper}."


def report(claims: list[dict], profile: str = "quick", notebook: str | None = None,
           include_reproduced: bool = False) -> str:
    """The printed report: per notebook, each selected claim with its numbers and advice."""
    keep = [c for c in claims if c.get("profile", profile) == profile
            and (notebook is None or str(c.get("notebook")) == notebook)
            and (include_reproduced or c.get("verdict") != "reproduced")]
    if not claims:
        return ("No claims ledger yet (data/claims.json). It is written when the notebooks are "
                "executed: PYTHONPATH=$PWD python scripts/execute_notebooks.py --inplace notebooks/NN_*.py")
    if not keep:
        return f"No {'claims' if include_reproduced else 'contradicted or inconclusive claims'} for profile {profile!r}" + (
            f" in notebook {notebook}." if notebook else ".")
    lines = []
    for nb in sorted({str(c.get("notebook")) for c in keep}):
        rows = sorted((c for c in keep if str(c.get("notebook")) == nb),
                      key=lambda c: (ORDER.index(c["verdict"]) if c.get("verdict") in ORDER else 9, c.get("id", "")))
        lines.append(f"== notebook {nb} ({len(rows)} claim(s), profile {profile})")
        for c in rows:
            lines.append(f"  [{c.get('verdict')}] {c.get('id')}: {c.get('claim')}")
            lines.append(f"      kit {float(c['kit_value']):+.4g} [{float(c['ci_low']):+.4g}, {float(c['ci_high']):+.4g}] "
                         f"(95%, {c.get('uncertainty', '?')}, n={c.get('n')})")
            lines.append(f"      -> {advice(c)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", type=Path, default=LEDGER)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--notebook", help="two digits, e.g. 01")
    parser.add_argument("--all", action="store_true", help="include reproduced claims")
    args = parser.parse_args(argv)
    print(report(load(args.ledger), args.profile, args.notebook, args.all))
    return 0


if __name__ == "__main__":
    sys.exit(main())

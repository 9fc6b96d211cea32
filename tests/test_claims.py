"""The claims ledger (data/claims.json) against the committed notebooks and the README.

Every `[claim ID] ... -> VERDICT` line a committed notebook prints must be in the ledger, with the
same numbers to the printed precision, and every quick-profile ledger entry must be printed by its
notebook; every entry's verdict must be the one the rule gives.
"""

import json
import re
from pathlib import Path

import pytest

from tutorial_lib.core import verdict

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LINE = re.compile(r"^\[claim (\S+)\] .* -> (reproduced|contradicted|inconclusive at this size)$")


def printed_claims(ipynb: Path) -> list[str]:
    """The claim lines in a committed notebook's stored outputs, in order."""
    lines = []
    for cell in json.loads(ipynb.read_text())["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
                lines += [ln for ln in text.splitlines() if LINE.match(ln)]
    return lines


def ledger_mismatches(claims: list[dict], notebooks: dict[str, list[str]],
                      profile: str = "quick") -> list[str]:
    """Differences between the ledger's printed form and the notebooks' printed claim lines.

    ``notebooks`` maps a notebook number ("01") to the claim lines it printed. Returns one message
    per difference (an empty list means they agree), plus every breach of the rule itself.
    """
    problems = verdict.check_ledger(claims)
    fields = set(verdict.Claim.__dataclass_fields__)
    want: dict[str, list[str]] = {}
    for c in claims:
        if c["profile"] == profile:
            want.setdefault(c["notebook"], []).append(verdict.Claim(**{k: c[k] for k in fields if k in c}).line())
    for nb in sorted(set(want) | set(notebooks)):
        got, exp = notebooks.get(nb, []), want.get(nb, [])
        for ln in sorted(set(got) - set(exp)):
            problems.append(f"notebook {nb} prints a claim the ledger lacks or records differently: {ln}")
        for ln in sorted(set(exp) - set(got)):
            problems.append(f"the ledger holds a claim notebook {nb} does not print: {ln}")
        if len(got) != len(set(got)):
            problems.append(f"notebook {nb} prints a claim line twice")
    return problems


def committed_notebooks() -> dict[str, list[str]]:
    return {p.name[:2]: printed_claims(p) for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}


def test_ledger_exists_with_the_issue_keys():
    assert verdict.ledger_path().is_file(), "run scripts/execute_notebooks.py --inplace to write it"
    claims = verdict.read_ledger()
    assert claims, "the ledger is empty"
    keys = {"id", "notebook", "claim", "source", "paper_value", "kit_value", "ci_low", "ci_high",
            "n", "verdict", "profile"}
    for c in claims:
        assert keys <= set(c), c


def test_committed_notebooks_match_the_ledger():
    problems = ledger_mismatches(verdict.read_ledger(), committed_notebooks())
    assert not problems, "\n".join(problems)


def test_every_verdict_follows_the_rule():
    claims = verdict.read_ledger()
    assert not verdict.check_ledger(claims)
    for c in claims:
        assert c["verdict"] == verdict.decide(c["ci_low"], c["ci_high"], c["direction"], c["threshold"])
        if c["verdict"] == "reproduced":  # the interval excludes the threshold on the claimed side
            if c["direction"] == "greater":
                assert c["ci_low"] > c["threshold"], c
            else:
                assert c["ci_high"] < c["threshold"], c


def _sample_claims():
    return [
        {"id": "98-a", "notebook": "98", "claim": "A > B", "source": "P 2022, Table 1",
         "paper_value": None, "kit_value": 0.1, "ci_low": 0.05, "ci_high": 0.15, "n": 100,
         "verdict": "reproduced", "profile": "quick", "direction": "greater", "threshold": 0.0,
         "uncertainty": "paired bootstrap"},
        {"id": "98-b", "notebook": "98", "claim": "A < B", "source": "P 2022, Fig. 2",
         "paper_value": 0.5, "kit_value": 0.02, "ci_low": -0.01, "ci_high": 0.05, "n": 100,
         "verdict": "inconclusive at this size", "profile": "quick", "direction": "less",
         "threshold": 0.0, "uncertainty": "paired bootstrap"},
    ]


def test_the_checker_accepts_a_consistent_ledger():
    claims = _sample_claims()
    printed = {"98": [verdict.Claim(**c).line() for c in claims]}
    assert ledger_mismatches(claims, printed) == []


def test_an_edited_verdict_makes_the_check_fail(tmp_path):
    """A hand-edited verdict in a copy of the ledger is caught, twice: by the rule and against
    the notebook's printed line."""
    claims = _sample_claims()
    printed = {"98": [verdict.Claim(**c).line() for c in claims]}
    path = tmp_path / "claims.json"
    path.write_text(json.dumps({"claims": claims}))
    edited = json.loads(path.read_text())["claims"]
    edited[1]["verdict"] = "reproduced"
    problems = ledger_mismatches(edited, printed)
    assert any("rule gives" in p for p in problems)
    assert any("does not print" in p for p in problems)
    assert any("exclude" in p for p in problems)


def test_the_real_ledger_with_an_edited_verdict_fails(tmp_path):
    claims = verdict.read_ledger()
    if not claims:
        pytest.skip("no ledger yet")
    edited = json.loads(json.dumps(claims))
    i = next(i for i, c in enumerate(edited) if c["profile"] == "quick")
    other = [v for v in verdict.VERDICTS if v != edited[i]["verdict"]]
    edited[i]["verdict"] = other[0]
    assert ledger_mismatches(edited, committed_notebooks())


@pytest.mark.parametrize("change", [("kit_value", 0.11), ("ci_low", 0.04), ("id", "98-z")])
def test_a_changed_number_or_id_is_caught(change):
    claims = _sample_claims()
    printed = {"98": [verdict.Claim(**c).line() for c in claims]}
    claims[0][change[0]] = change[1]
    assert ledger_mismatches(claims, printed)


def test_a_claim_printed_but_missing_from_the_ledger_is_caught():
    claims = _sample_claims()
    printed = {"98": [verdict.Claim(**c).line() for c in claims]}
    assert ledger_mismatches(claims[:1], printed)
    assert ledger_mismatches(claims, {"98": printed["98"][:1]})


def test_printed_claims_reads_stream_outputs(tmp_path):
    line = verdict.Claim(**_sample_claims()[0]).line()
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": ["hello\n", line + "\n", "    (inconclusive...)\n"]}]},
        {"cell_type": "markdown", "source": line}]}
    p = tmp_path / "98_x.ipynb"
    p.write_text(json.dumps(nb))
    assert printed_claims(p) == [line]


def readme_table() -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"## Claims ledger\n(.*?)(?=\n## |\Z)", text, re.S)
    assert m, "README.md has no '## Claims ledger' section"
    rows = [ln for ln in m.group(1).splitlines() if ln.startswith("|")]
    return "\n".join(rows)


def test_readme_tally_matches_the_ledger():
    assert readme_table() == verdict.tally_markdown(), (
        "regenerate the table with: python -c 'from tutorial_lib.core import verdict; "
        "print(verdict.tally_markdown())'")

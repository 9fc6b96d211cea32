"""scripts/instructor_claims.py reads the claims ledger and lists, per notebook, the contradicted
and inconclusive claims with advice; tested on a small fixture ledger."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import instructor_claims as ic  # noqa: E402


def _claim(id, nb, verdict, effect, lo, hi, n=100, **kw):
    return dict(id=id, notebook=nb, claim=f"claim {id}", source="Paper 2021, Tab. 1", paper_value=0.3,
                kit_value=effect, ci_low=lo, ci_high=hi, n=n, verdict=verdict, profile="quick",
                direction="greater", threshold=0.0, uncertainty="paired bootstrap", **kw)


@pytest.fixture
def ledger(tmp_path):
    claims = [_claim("01-a", "01", "reproduced", 0.2, 0.1, 0.3),
              _claim("01-b", "01", "contradicted", -0.2, -0.3, -0.1),
              _claim("02-c", "02", "inconclusive at this size", 0.05, -0.05, 0.15, n=128),
              _claim("03-d", "03", "inconclusive at this size", 0.0, -0.1, 0.1, n=3)
              | {"uncertainty": "seed spread"},
              _claim("01-e", "01", "contradicted", -0.2, -0.3, -0.1) | {"profile": "full"}]
    path = tmp_path / "claims.json"
    path.write_text(json.dumps({"rule": "...", "claims": claims}))
    return path


def test_report_lists_only_disagreements_per_notebook(ledger):
    out = ic.report(ic.load(ledger))
    assert "== notebook 01" in out and "== notebook 02" in out and "== notebook 03" in out
    assert "01-b" in out and "01-a" not in out, "reproduced claims are left out by default"
    assert "01-e" not in out, "another profile's claims are left out"
    assert out.index("01-b") < out.index("02-c")
    assert "other side" in out


def test_all_and_notebook_filters(ledger):
    out = ic.report(ic.load(ledger), include_reproduced=True, notebook="01")
    assert "01-a" in out and "01-b" in out and "02-c" not in out
    assert "full" in ic.report(ic.load(ledger), profile="full")


def test_sample_size_that_would_decide():
    # half-width 0.1 around an effect 0.05 from the threshold: 4x the items
    assert ic.items_to_decide(_claim("x", "01", "inconclusive at this size", 0.05, -0.05, 0.15, n=128)) == 512
    assert ic.items_to_decide(_claim("x", "01", "inconclusive at this size", 0.0, -0.1, 0.1)) is None


def test_advice_names_seeds_and_sizes(ledger):
    out = ic.report(ic.load(ledger))
    assert "about 512 items (now 128)" in out
    assert "more data alone would not decide it" in out


def test_missing_and_malformed_ledger(tmp_path):
    assert ic.load(tmp_path / "nope.json") == []
    assert "No claims ledger yet" in ic.report([])
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    with pytest.raises(ValueError, match="claims"):
        ic.load(bad)


def test_command_line(ledger):
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "instructor_claims.py"), "--ledger",
                          str(ledger), "--notebook", "02"], capture_output=True, text=True)
    assert run.returncode == 0 and "02-c" in run.stdout and "01-b" not in run.stdout

"""The rendered site: built from the committed notebooks (never executed), every notebook page
exists and embeds its figures, the glossary / instructor guide / claims ledger have pages, search
works. Needs the 'site' extra (Sphinx + myst-nb); about 30 s on one thread."""

import base64
import json
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("myst_nb", reason="the site needs the 'site' extra: pip install -e '.[site]'")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import build as site_build  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")


def _figures(nb_path: Path) -> int:
    nb = json.loads(nb_path.read_text())
    return sum(any(m in out.get("data", {}) for m in IMAGE_MIMES)
               for cell in nb["cells"] if cell["cell_type"] == "code" for out in cell.get("outputs", []))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return site_build.build(tmp_path_factory.mktemp("site") / "html")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_notebook_page_embeds_its_figures(site, nb):
    page = site / "notebooks" / f"{nb.stem}.html"
    assert page.is_file(), f"no page for {nb.name}"
    html = page.read_text()
    title = json.loads(nb.read_text())["cells"][0]["source"]
    title = ("".join(title) if isinstance(title, list) else title).splitlines()[0].lstrip("# ").strip()
    assert title.split("·")[-1].strip()[:20] in html, "the notebook's title is not on its page"
    srcs = re.findall(r'<img[^>]+src="([^"]+)"', html)
    local = [s for s in srcs if not s.startswith(("http:", "https:", "data:"))]
    for s in local:
        assert (page.parent / s).resolve().is_file(), f"{page.name}: broken image {s}"
    embedded = [s for s in srcs if s.startswith("data:image")]
    n_fig = _figures(nb)
    assert n_fig > 0, f"{nb.name} has no figure outputs: is the committed notebook executed?"
    figure_imgs = [s for s in local if "_images/" in s] + embedded
    assert len(figure_imgs) >= n_fig, f"{page.name}: {len(figure_imgs)} figures on the page, {n_fig} in the notebook"
    assert "ExecutionError" not in html and "Traceback (most recent call last)" not in html


def test_reference_pages_and_search(site):
    for page in ("index.html", "glossary.html", "claims.html", "instructor/README.html", "search.html"):
        assert (site / page).is_file(), page
    index = (site / "index.html").read_text()
    for nb in NOTEBOOKS:
        assert f"notebooks/{nb.stem}.html" in index, f"index does not link {nb.stem}"
    words = (site / "searchindex.js").read_text().lower()
    for term in ("fgsm", "smooth", "glossari"):
        assert term in words, f"search index lacks {term!r}"


def test_site_build_does_not_execute(site):
    # nothing the build wrote has a newer execution count than the committed notebooks: the
    # conf says so; this checks the build did not leave an execution cache behind in the repo.
    assert not (ROOT / "jupyter_execute").exists() and not (ROOT / ".jupyter_cache").exists()
    assert 'nb_execution_mode = "off"' in (ROOT / "docs" / "conf.py").read_text()


def test_claims_page_tolerates_a_missing_ledger(tmp_path):
    page = site_build.claims_page(tmp_path / "claims.json")
    assert page.startswith("# Claims ledger") and "No ledger yet" in page


def test_claims_page_renders_each_verdict(tmp_path):
    ledger = tmp_path / "claims.json"
    rows = [dict(id="01-c", notebook="01", claim="ViT errs less | on C", source="Paper, T1",
                 paper_value=0.5, kit_value=-0.1, ci_low=-0.2, ci_high=-0.01, n=128,
                 verdict="contradicted", profile="quick", uncertainty="paired bootstrap"),
            dict(id="05-r", notebook="05", claim="certified", source="Cohen 2019", paper_value=None,
                 kit_value=0.7, ci_low=0.6, ci_high=0.8, n=80, verdict="reproduced", profile="quick")]
    ledger.write_text(json.dumps({"rule": "r", "claims": rows}))
    page = site_build.claims_page(ledger)
    assert "## Notebook 01" in page and "## Notebook 05" in page
    assert "**contradicted**" in page and "**reproduced**" in page
    assert "ViT errs less \\| on C" in page  # a pipe in a claim does not break the table
    assert "| 01 | 1 | 0 | 0 |" in page and "| 05 | 0 | 0 | 1 |" in page

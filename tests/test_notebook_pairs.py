"""Each notebooks/NN_slug.py (the source) and its .ipynb hold the same cells, in order."""

from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells if c.source.strip()]


def test_there_are_notebooks():
    assert SOURCES, "no notebooks/NN_*.py found"


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.stem)
def test_py_and_ipynb_hold_the_same_cells(py):
    ipynb = py.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb.name} is missing: run python scripts/execute_notebooks.py --inplace {py.relative_to(NOTEBOOKS.parent)}"
    src, paired = _cells(jupytext.read(py)), _cells(jupytext.read(ipynb))
    assert len(src) == len(paired), f"{py.name}: {len(src)} cells vs {len(paired)} in the .ipynb"
    for k, (a, b) in enumerate(zip(src, paired)):
        assert a == b, f"{py.name}: cell {k + 1} differs from the .ipynb; regenerate the pair with scripts/execute_notebooks.py --inplace"


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.stem)
def test_committed_ipynb_has_outputs_and_no_errors(py):
    nb = jupytext.read(py.with_suffix(".ipynb"))
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert any(c.get("outputs") for c in code), f"{py.stem}.ipynb has no outputs: commit a quick-profile run"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{py.stem}.ipynb holds error outputs"


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.stem)
def test_committed_ipynb_embeds_its_figures(py):
    """Every cell that shows a figure (plt.show) holds a PNG in the committed run: a notebook
    executed with a non-inline backend (e.g. MPLBACKEND=Agg) would silently lose them."""
    nb = jupytext.read(py.with_suffix(".ipynb"))
    showing = [c for c in nb.cells if c.cell_type == "code" and "plt.show()" in c.source]
    blank = [c.source.splitlines()[0] for c in showing
             if not any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert not blank, f"{py.stem}.ipynb: {len(blank)} figure cell(s) without an image, e.g. {blank[0]!r}"

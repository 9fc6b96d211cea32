"""The repository URL lives in pyproject.toml; every notebook's Colab cell and badges agree."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import set_repo_url

URL = set_repo_url.current_url()  # no tomllib: it is Python >= 3.11 only
FILES = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.*") if p.suffix in {".py", ".ipynb"})


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_notebook_points_at_the_pyproject_repository(path):
    text = path.read_text()
    repos = set(re.findall(r'KIT_REPO = \\?"([^"\\]+)', text))
    assert repos == {URL}, f"{path.name}: KIT_REPO {repos} != {URL}; run scripts/set_repo_url.py"
    for link in re.findall(r"(?:colab\.research\.google\.com/github|mybinder\.org/v2/gh)/([^/]+/[^/]+)/", text):
        assert link == set_repo_url.slug(URL), f"{path.name}: badge points at {link}"


def test_rewrite_moves_url_badges_and_ref():
    src = ('KIT_REPO = "https://github.com/a/b"\nKIT_REF = "v0.1.0"\n'
           "https://colab.research.google.com/github/a/b/blob/main/x.ipynb")
    out = set_repo_url.rewrite(src, "https://github.com/a/b", "https://github.com/me/fork", "main")
    assert 'KIT_REPO = "https://github.com/me/fork"' in out and 'KIT_REF = "main"' in out
    assert "github/me/fork/blob" in out
    ipynb_src = '"KIT_REF = \\"v0.1.0\\"\\n"'
    assert '\\"main\\"' in set_repo_url.rewrite(ipynb_src, "https://github.com/a/b",
                                                 "https://github.com/a/b", "main")


def test_bad_url_is_refused():
    with pytest.raises(ValueError, match="OWNER/NAME"):
        set_repo_url.slug("https://gitlab.com/x")

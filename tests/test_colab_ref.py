"""The Colab setup cell and the Colab/Binder badges of every notebook open the same repository and
the same git ref, and that ref is a branch or the release tag of pyproject's version
(scripts/set_repo_url.py --ref REF writes all three; --check reports disagreements)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import set_repo_url  # noqa: E402

FILES = set_repo_url.notebook_files()


def test_there_are_notebooks():
    assert FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_setup_cell_and_badges_agree(path):
    r = set_repo_url.refs(path.read_text())
    assert r["cell_ref"] and r["colab_ref"] and r["binder_ref"], f"{path.name}: missing setup cell or badge {r}"
    every = r["cell_ref"] | r["colab_ref"] | r["binder_ref"]
    assert len(every) == 1, (f"{path.name}: the setup cell clones {sorted(r['cell_ref'])} but the Colab "
                             f"badge opens {sorted(r['colab_ref'])} and Binder {sorted(r['binder_ref'])}; "
                             "run python scripts/set_repo_url.py --ref REF")
    ref = every.pop()
    tag = f"v{set_repo_url.version()}"
    assert ref == "main" or ref == tag, f"{path.name}: ref {ref!r} is neither main nor the release tag {tag}"


def test_rewrite_moves_cell_and_both_badges_together():
    src = ('KIT_REPO = "https://github.com/a/b"\nKIT_REF = "v0.1.0"\n'
           "[c](https://colab.research.google.com/github/a/b/blob/main/notebooks/x.ipynb)\n"
           "[b](https://mybinder.org/v2/gh/a/b/main?labpath=notebooks%2Fx.ipynb)\n")
    before = set_repo_url.refs(src)
    assert before["cell_ref"] == {"v0.1.0"} and before["colab_ref"] == before["binder_ref"] == {"main"}
    out = set_repo_url.rewrite(src, "https://github.com/a/b", "https://github.com/me/fork", "v0.2.0")
    after = set_repo_url.refs(out)
    assert after["cell_ref"] == after["colab_ref"] == after["binder_ref"] == {"v0.2.0"}
    assert after["colab_repo"] == after["binder_repo"] == {"me/fork"}
    assert "labpath=notebooks%2Fx.ipynb" in out and "/blob/v0.2.0/notebooks/x.ipynb" in out
    ipynb = '"KIT_REF = \\"v0.1.0\\"\\n",\n"https://colab.research.google.com/github/a/b/blob/main/n.ipynb"'
    assert set_repo_url.refs(set_repo_url.rewrite(ipynb, "https://github.com/a/b",
                                                  "https://github.com/a/b", "main"))["cell_ref"] == {"main"}
    with pytest.raises(ValueError, match="branch or tag"):
        set_repo_url.rewrite(src, "https://github.com/a/b", "https://github.com/a/b", "bad ref;")


def test_check_mode_reports_a_disagreeing_copy(tmp_path):
    """--check on a copy whose first notebook disagrees exits 1 and names it; fixed, exits 0."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "set_repo_url.py", tmp_path / "scripts")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "notebooks").mkdir()
    url = set_repo_url.current_url()
    s = set_repo_url.slug(url)
    good = (f'KIT_REPO = "{url}"\nKIT_REF = "main"\n'
            f"https://colab.research.google.com/github/{s}/blob/main/notebooks/00_a.ipynb\n"
            f"https://mybinder.org/v2/gh/{s}/main?labpath=x\n")
    (tmp_path / "notebooks" / "00_a.py").write_text(good.replace('KIT_REF = "main"', 'KIT_REF = "v9"'))
    (tmp_path / "notebooks" / "01_b.py").write_text(good)
    run = lambda *a: subprocess.run([sys.executable, str(tmp_path / "scripts" / "set_repo_url.py"), *a],
                                    capture_output=True, text=True)
    bad = run("--check")
    assert bad.returncode == 1 and "00_a.py" in bad.stdout and "01_b.py" not in bad.stdout
    assert run("--ref", "main").returncode == 0
    assert run("--check").returncode == 0
    assert re.search(r'KIT_REF = "main"', (tmp_path / "notebooks" / "00_a.py").read_text())

"""Build the kit's static site from the committed notebooks, without executing them.

    python docs/build.py [OUTDIR]      # default: site/   (bash scripts/build_site.sh calls this)

Stages a source tree (docs/conf.py + docs/index.md, notebooks/NN_*.ipynb, glossary.md,
instructor/*.md and claims.md rendered from data/claims.json) in a temporary folder and runs
Sphinx (myst-nb, ``nb_execution_mode = "off"``) on one process into OUTDIR.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
VERDICT_ORDER = ("contradicted", "inconclusive at this size", "reproduced")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(v: object) -> str:
    return f"{v:+.4g}" if isinstance(v, (int, float)) else ("" if v is None else str(v))


def claims_page(ledger: Path) -> str:
    """Markdown for the claims ledger; a missing or empty ledger gives a page that says so."""
    head = ["# Claims ledger", "",
            "Every comparison of this kit with a paper goes through one rule "
            "(`tutorial_lib.core.verdict`): a 95% interval for the kit's effect is compared with the "
            "paper's side of a threshold. *reproduced*: the whole interval lies on the paper's side; "
            "*contradicted*: the whole interval lies on the other side; *inconclusive at this size*: "
            "the interval holds the threshold (more items or seeds would decide it).", ""]
    claims = json.loads(ledger.read_text()).get("claims", []) if ledger.is_file() else []
    if not claims:
        return "\n".join(head + [f"*No ledger yet: `data/{ledger.name}` is written when the "
                                 "notebooks are executed with `scripts/execute_notebooks.py`.*", ""])
    out = head + [f"{len(claims)} claims. Per notebook:", "",
                  "| notebook | " + " | ".join(VERDICT_ORDER) + " |",
                  "|---|" + "---|" * len(VERDICT_ORDER)]
    by_nb: dict[str, list[dict]] = {}
    for c in claims:
        by_nb.setdefault(str(c.get("notebook", "?")), []).append(c)
    for nb in sorted(by_nb):
        counts = [sum(c.get("verdict") == v for c in by_nb[nb]) for v in VERDICT_ORDER]
        out.append(f"| {nb} | " + " | ".join(map(str, counts)) + " |")
    for nb in sorted(by_nb):
        out += ["", f"## Notebook {nb}", "",
                "| id | claim | source | paper | kit [95% interval] | n | uncertainty | profile | verdict |",
                "|---|---|---|---|---|---|---|---|---|"]
        for c in sorted(by_nb[nb], key=lambda c: (c.get("id", ""), c.get("profile", ""))):
            kit = (f"{_num(c.get('kit_value'))} [{_num(c.get('ci_low'))}, {_num(c.get('ci_high'))}]")
            out.append("| " + " | ".join(_cell(x) for x in (
                c.get("id", ""), c.get("claim", ""), c.get("source", ""), _num(c.get("paper_value")),
                kit, c.get("n", ""), c.get("uncertainty", ""), c.get("profile", ""),
                f"**{c.get('verdict', '')}**")) + " |")
    return "\n".join(out) + "\n"


def stage(dest: Path, root: Path = ROOT) -> Path:
    """Assemble the Sphinx source tree in ``dest``; returns it."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("conf.py", "index.md"):
        shutil.copy2(DOCS / name, dest / name)
    (dest / "notebooks").mkdir(exist_ok=True)
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks/NN_*.ipynb under {root}; nothing to render")
    for nb in notebooks:
        shutil.copy2(nb, dest / "notebooks" / nb.name)
    shutil.copy2(root / "glossary.md", dest / "glossary.md")
    (dest / "instructor").mkdir(exist_ok=True)
    for md in sorted((root / "instructor").glob("*.md")):
        shutil.copy2(md, dest / "instructor" / md.name)
    (dest / "claims.md").write_text(claims_page(root / "data" / "claims.json"))
    return dest


def build(outdir: Path, root: Path = ROOT, quiet: bool = True) -> Path:
    """Stage and build the HTML site into ``outdir`` (replaced). Returns ``outdir``."""
    from sphinx.cmd.build import build_main

    outdir = Path(outdir).resolve()
    with tempfile.TemporaryDirectory(prefix="frfm-site-") as tmp:
        src = stage(Path(tmp) / "src", root)
        # myst-nb writes its scratch files next to Sphinx's outdir, so Sphinx builds inside tmp.
        html = Path(tmp) / "out" / "html"
        args = ["-b", "html", "-j", "1", "-d", str(Path(tmp) / "doctrees"), str(src), str(html)]
        rc = build_main(args + (["-q"] if quiet else []))
        if rc != 0:
            raise RuntimeError(f"sphinx-build failed with exit code {rc}")
        if outdir.exists():
            shutil.rmtree(outdir)
        shutil.copytree(html, outdir)
    return outdir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default=str(ROOT / "site"))
    parser.add_argument("-v", "--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args()
    try:
        import myst_nb  # noqa: F401
    except ImportError:
        print("The site needs the 'site' extra: pip install -e '.[site]'", file=sys.stderr)
        return 2
    out = build(Path(args.outdir), quiet=not args.verbose)
    print(f"site built: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Point every notebook's Colab setup cell and badges at a repository (e.g. your fork) and a ref.

    python scripts/set_repo_url.py https://github.com/ME/my-fork --ref main
    python scripts/set_repo_url.py --ref v0.2.0      # keep the URL, pin a release tag
    python scripts/set_repo_url.py --check           # exit 1 if any notebook disagrees

The one place the URL lives is pyproject.toml ([project.urls] Repository); this script writes it
there and rewrites, in notebooks/*.py and notebooks/*.ipynb (both files of each pair, so the pair
check stays green): KIT_REPO and KIT_REF in the setup cell, and the repository *and ref* of the
Colab (``.../github/OWNER/NAME/blob/REF/...``) and Binder (``.../v2/gh/OWNER/NAME/REF?...``)
badges, so that the badge a learner clicks opens the same version the setup cell clones.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
REF_RE = re.compile(r'KIT_REF = \\?"([^"\\]*)\\?"')
REPO_RE = re.compile(r'KIT_REPO = \\?"([^"\\]+)\\?"')
COLAB_RE = re.compile(r"colab\.research\.google\.com/github/([^/\s]+/[^/\s]+)/blob/([^/\s]+)/")
BINDER_RE = re.compile(r"mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/([^/?\s]+)")


def current_url(pyproject: Path = PYPROJECT) -> str:
    """``[project.urls] Repository`` of pyproject.toml (read without tomllib: Python 3.10 too)."""
    m = re.search(r'^\[project\.urls\][^\[]*?^Repository\s*=\s*"([^"]+)"', pyproject.read_text(),
                  flags=re.M | re.S)
    if not m:
        raise ValueError(f"{pyproject} has no [project.urls] Repository = \"...\" line")
    return m.group(1)


def version(pyproject: Path = PYPROJECT) -> str:
    """``[project] version`` of pyproject.toml."""
    m = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(), flags=re.M)
    if not m:
        raise ValueError(f"{pyproject} has no version = \"...\" line")
    return m.group(1)


def slug(url: str) -> str:
    """'https://github.com/OWNER/NAME(.git)' -> 'OWNER/NAME'."""
    m = re.match(r"https://github\.com/([^/\s]+/[^/\s]+?)(?:\.git)?/?$", url)
    if not m:
        raise ValueError(f"{url!r} is not a https://github.com/OWNER/NAME URL.")
    return m.group(1)


def refs(text: str) -> dict[str, set[str]]:
    """What a notebook points at: ``{"repo", "cell_ref", "colab_ref", "binder_ref",
    "colab_repo", "binder_repo"}``, each the set of values found in ``text``."""
    return {"repo": set(REPO_RE.findall(text)), "cell_ref": set(REF_RE.findall(text)),
            "colab_repo": {r for r, _ in COLAB_RE.findall(text)},
            "colab_ref": {f for _, f in COLAB_RE.findall(text)},
            "binder_repo": {r for r, _ in BINDER_RE.findall(text)},
            "binder_ref": {f for _, f in BINDER_RE.findall(text)}}


def rewrite(text: str, old_url: str, new_url: str, ref: str | None) -> str:
    """Move the URL (and, with ``ref``, the setup cell's KIT_REF and both badges' refs)."""
    text = text.replace(old_url, new_url).replace(slug(old_url), slug(new_url))
    if ref:
        if not re.fullmatch(r"[A-Za-z0-9._/-]+", ref):
            raise ValueError(f"{ref!r} is not a git branch or tag name")
        text = REF_RE.sub(lambda m: m.group(0).replace(f'"{m.group(1)}', f'"{ref}', 1), text)
        text = COLAB_RE.sub(lambda m: f"colab.research.google.com/github/{m.group(1)}/blob/{ref}/", text)
        text = BINDER_RE.sub(lambda m: f"mybinder.org/v2/gh/{m.group(1)}/{ref}", text)
    return text


def notebook_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for p in (root / "notebooks").glob("[0-9][0-9]_*.*") if p.suffix in {".py", ".ipynb"})


def disagreements(root: Path = ROOT) -> list[str]:
    """One line per notebook file whose setup cell and badges do not name one repo and one ref."""
    url = current_url(root / "pyproject.toml")
    bad = []
    for path in notebook_files(root):
        r = refs(path.read_text())
        repos = r["colab_repo"] | r["binder_repo"]
        all_refs = r["cell_ref"] | r["colab_ref"] | r["binder_ref"]
        if r["repo"] != {url} or repos != {slug(url)}:
            bad.append(f"{path.name}: repository {sorted(r['repo'] | repos)} != {url}")
        if len(all_refs) != 1 or not (r["cell_ref"] and r["colab_ref"] and r["binder_ref"]):
            bad.append(f"{path.name}: setup cell clones {sorted(r['cell_ref'])}, Colab badge opens "
                       f"{sorted(r['colab_ref'])}, Binder badge opens {sorted(r['binder_ref'])}")
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="new repository URL (default: keep pyproject's)")
    parser.add_argument("--ref", help="git tag or branch for the setup cell and the badges (e.g. main, v0.1.0)")
    parser.add_argument("--check", action="store_true", help="only report disagreements (exit 1 if any)")
    args = parser.parse_args()
    if args.check:
        bad = disagreements()
        print("\n".join(bad) or "every notebook's setup cell and badges agree")
        return 1 if bad else 0
    old = current_url()
    new = (args.url or old).rstrip("/")
    slug(new)  # validate
    PYPROJECT.write_text(PYPROJECT.read_text().replace(f'Repository = "{old}"',
                                                       f'Repository = "{new}"'))
    changed = 0
    for path in notebook_files():
        text = path.read_text()
        updated = rewrite(text, old, new, args.ref)
        if updated != text:
            path.write_text(updated)
            changed += 1
    print(f"repository: {new}; ref: {args.ref or '(unchanged)'}; {changed} notebook file(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())

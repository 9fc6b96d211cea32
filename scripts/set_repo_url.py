"""Point every notebook's Colab setup cell and badges at a repository (e.g. your fork).

    python scripts/set_repo_url.py https://github.com/ME/my-fork --ref main

The one place the URL lives is pyproject.toml ([project.urls] Repository); this script writes it
there and rewrites KIT_REPO / KIT_REF and the Colab/Binder badge links in notebooks/*.py and
notebooks/*.ipynb (both files of each pair, so the pair check stays green).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def current_url() -> str:
    return tomllib.loads(PYPROJECT.read_text())["project"]["urls"]["Repository"]


def slug(url: str) -> str:
    """'https://github.com/OWNER/NAME(.git)' -> 'OWNER/NAME'."""
    m = re.match(r"https://github\.com/([^/\s]+/[^/\s]+?)(?:\.git)?/?$", url)
    if not m:
        raise ValueError(f"{url!r} is not a https://github.com/OWNER/NAME URL.")
    return m.group(1)


def rewrite(text: str, old_url: str, new_url: str, ref: str | None) -> str:
    text = text.replace(old_url, new_url).replace(slug(old_url), slug(new_url))
    if ref:
        text = re.sub(r'KIT_REF = \\?"[^"\\]*\\?"',
                      lambda m: m.group(0).split("=")[0] + "= " + ('\\"' if '\\"' in m.group(0) else '"')
                      + ref + ('\\"' if '\\"' in m.group(0) else '"'), text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="new repository URL (default: keep pyproject's)")
    parser.add_argument("--ref", help="git tag or branch the Colab cell clones (e.g. main)")
    args = parser.parse_args()
    old = current_url()
    new = (args.url or old).rstrip("/")
    slug(new)  # validate
    PYPROJECT.write_text(PYPROJECT.read_text().replace(f'Repository = "{old}"',
                                                       f'Repository = "{new}"'))
    changed = 0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.*")):
        if path.suffix not in {".py", ".ipynb"}:
            continue
        text = path.read_text()
        updated = rewrite(text, old, new, args.ref)
        if updated != text:
            path.write_text(updated)
            changed += 1
    print(f"repository: {new}; {changed} notebook file(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())

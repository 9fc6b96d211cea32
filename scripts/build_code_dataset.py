"""Build the shipped code-summarization dataset (run once; the file is committed with its sha256).

Sources: the CPython standard library of the running interpreter plus permissively licensed packages
installed next to it (licence read from each package's metadata; proprietary and copyleft/MPL ones
are skipped). Functions are normalized with ``ast.unparse`` (no decorators, no docstring), deduped
on the body with the name masked, and split train/val/test by source file (hash of package + path).

    python scripts/build_code_dataset.py                 # writes data/code/{functions.jsonl.gz,vocab.txt,NOTICE}
    python scripts/build_code_dataset.py --root DIR --out /tmp/my_functions.jsonl.gz   # any folder
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata as md
import json
import random
import sys
import sysconfig
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tutorial_lib.core import data
from tutorial_lib.code.dataset import (
    Vocab,
    extract_functions,
    iter_python_files,
    split_identifier,
    split_of,
    tokenize_code,
)

PACKAGES = ["torch", "numpy", "scipy", "scikit-learn", "matplotlib", "timm", "torchvision",
            "pandas", "networkx", "pillow", "sympy", "scikit-image", "seaborn", "joblib", "mpmath",
            "ipython", "jupyter_client", "nbformat", "nbconvert", "jinja2", "pygments", "requests",
            "urllib3", "setuptools", "pip", "pytest", "fonttools", "pyparsing", "httpx",
            "huggingface_hub", "jedi", "parso", "babel", "tornado", "jupytext", "imageio",
            "tifffile", "attrs", "click", "packaging", "contourpy", "kiwisolver", "cycler"]
PERMISSIVE = ("MIT", "BSD", "Apache", "PSF", "Python Software Foundation", "ISC", "HPND", "MIT-CMU",
              "0BSD", "Zlib", "CC0")
BLOCKED = ("GPL", "MPL", "Mozilla", "Proprietary", "LicenseRef-NVIDIA", "EPL", "CDDL")


def licence_of(dist: md.Distribution) -> str:
    m = dist.metadata
    lic = m.get("License-Expression") or ""
    classifiers = [c.split("::")[-1].strip() for c in (m.get_all("Classifier") or [])
                   if c.startswith("License ::")]
    if not lic:
        first = (m.get("License") or "").strip().splitlines()
        lic = first[0][:80] if first and len(first[0]) < 80 else ""
    return "; ".join(x for x in [lic, *classifiers] if x) or "unknown"


def is_permissive(lic: str) -> bool:
    return any(p.lower() in lic.lower() for p in PERMISSIVE) and not any(
        b.lower() in lic.lower() for b in BLOCKED)


def package_roots(dist: md.Distribution) -> list[Path]:
    """Top-level import folders of an installed distribution."""
    tops = set()
    for f in dist.files or []:
        parts = Path(f).parts
        if len(parts) > 1 and parts[-1].endswith(".py") and not parts[0].endswith(
                (".dist-info", ".egg-info", ".data")) and parts[0] != "..":
            tops.add(parts[0])
    return [Path(dist.locate_file(t)) for t in sorted(tops)]


def collect(sources: list[tuple[str, str, Path]]) -> list[dict]:
    """sources: (package, version, root folder) -> deduped function records."""
    seen: set[str] = set()
    out = []
    for pkg, _ver, root in sources:
        n0 = len(out)
        for path in iter_python_files(root):
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            rel = f"{root.name}/{path.relative_to(root).as_posix()}"
            for fn in extract_functions(text):
                toks = tokenize_code(fn["source"], fn["name"])[0]
                key = " ".join(toks[toks.index(":") + 1:] if ":" in toks else toks)
                if key in seen:
                    continue
                seen.add(key)
                out.append({**fn, "package": pkg, "file": rel})
        print(f"  {pkg:<16} {len(out) - n0:>6} functions", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", help="a directory of Python files to use instead of stdlib + packages")
    ap.add_argument("--out", default=None, help="output .jsonl.gz (default data/code/functions.jsonl.gz)")
    ap.add_argument("--max-train", type=int, default=45000, help="training functions kept (subset)")
    ap.add_argument("--max-test", type=int, default=3000)
    ap.add_argument("--max-val", type=int, default=1500)
    ap.add_argument("--vocab-size", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.time()
    if args.root:
        sources = [(Path(args.root).name, "local", Path(args.root))]
        notice = None
    else:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        sources = [("cpython-stdlib", sys.version.split()[0], stdlib)]
        notice = [("cpython-stdlib", sys.version.split()[0], "PSF-2.0 (Python Software Foundation License)")]
        for name in PACKAGES:
            try:
                dist = md.distribution(name)
            except md.PackageNotFoundError:
                print(f"  skip {name}: not installed")
                continue
            lic = licence_of(dist)
            if not is_permissive(lic):
                print(f"  skip {name}: licence {lic!r} is not on the permissive list")
                continue
            roots = [r for r in package_roots(dist) if r.is_dir()]
            if not roots:
                continue
            notice.append((dist.metadata["Name"], dist.version, lic))
            sources += [(dist.metadata["Name"], dist.version, r) for r in roots]
    funcs = collect(sources)
    for f in funcs:
        f["split"] = split_of(f"{f['package']}/{f['file']}", val_pct=4, test_pct=6)
    rng = random.Random(args.seed)
    rng.shuffle(funcs)
    caps = {"train": args.max_train, "val": args.max_val, "test": args.max_test}
    full = Counter(f["split"] for f in funcs)
    kept, count = [], Counter()
    for f in funcs:
        if count[f["split"]] < caps[f["split"]]:
            kept.append(f); count[f["split"]] += 1
    out = Path(args.out) if args.out else data.data_path("code/functions.jsonl.gz")
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out, "wb", mtime=0) as g:
        for f in kept:
            rec = {k: f[k] for k in ("name", "source", "package", "file", "split")}
            g.write((json.dumps(rec, ensure_ascii=False) + "\n").encode())
    toks = [tokenize_code(f["source"], f["name"])[0] for f in kept if f["split"] == "train"]
    names = [split_identifier(f["name"]) for f in kept if f["split"] == "train"]
    vocab = Vocab.build(toks + names, args.vocab_size)
    lengths = sorted(len(t) for t in toks)
    stats = {"functions_found": len(funcs), "per_split_found": dict(full), "kept": dict(count),
             "files": len({f["file"] for f in kept}), "median_tokens": lengths[len(lengths) // 2],
             "p90_tokens": lengths[int(0.9 * len(lengths))],
             "mean_target_len": round(sum(map(len, names)) / len(names), 2),
             "bytes": out.stat().st_size, "seconds": round(time.time() - t0, 1)}
    print(json.dumps(stats, indent=1))
    if args.out is None:
        data.data_path("code/vocab.txt").write_text("\n".join(vocab.itos))
        data.data_path("code/stats.json").write_text(json.dumps(stats, indent=1) + "\n")
        lines = ["Function sources in functions.jsonl.gz were extracted (normalized with ast.unparse,",
                 "decorators and docstrings removed) from the following packages; each keeps its own",
                 "licence. Built by scripts/build_code_dataset.py.", "",
                 f"{'package':<24} {'version':<14} licence"]
        lines += [f"{n:<24} {v:<14} {lic}" for n, v, lic in notice]
        data.data_path("code/NOTICE").write_text("\n".join(lines) + "\n")
        for rel in ("code/functions.jsonl.gz", "code/vocab.txt"):
            data.record_sha256(rel)
    else:
        vp = out.with_name(out.name.replace(".jsonl.gz", "") + "_vocab.txt")
        vp.write_text("\n".join(vocab.itos))
        print(f"wrote {out} and {vp}")


if __name__ == "__main__":
    main()

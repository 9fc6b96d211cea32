"""Rebuild shipped artefacts (checkpoints and tables) from the zoo.

    python scripts/train.py --list                       # every artefact, with its recorded wall time
    python scripts/train.py vit_digits cnn_digits        # retrain these (1 CPU thread by default)
    python scripts/train.py --all --threads 1            # everything (hours on one CPU thread)

Each artefact trains with the function registered next to it (``tutorial_lib.core.zoo``), which
writes the files under data/, their sha256 in data/SHA256SUMS, and the metrics JSON with this
command and the wall time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from tutorial_lib.core import zoo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="artefacts to rebuild (see --list)")
    ap.add_argument("--all", action="store_true", help="rebuild every artefact")
    ap.add_argument("--list", action="store_true", help="list the artefacts and stop")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = ap.parse_args()
    if args.list or not (args.names or args.all):
        for name in zoo.names():
            took = zoo.metrics(name).get("train_seconds")
            art = zoo.get(name)
            print(f"{name:32s} {art.kind:10s} {f'{took:.0f} s' if took else '':>8s}  {art.description}")
        return
    unknown = [n for n in args.names if n not in zoo.names()]
    if unknown:
        ap.error(f"unknown artefact(s) {', '.join(unknown)}; see --list")
    torch.set_num_threads(args.threads)
    for name in zoo.names() if args.all else args.names:
        info = zoo.train(name)
        print(f"{name}: {info['train_seconds']:.0f} s -> {zoo.get(name).files}", flush=True)


if __name__ == "__main__":
    main()

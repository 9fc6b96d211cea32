"""Train the accuracy-on-the-line model family and ship its table of ID / shifted accuracies.

    python scripts/train_line_models.py --threads 1

Trains every ``tutorial_lib.shift.line.line_family()`` member on real digit scans (no checkpoints are
kept: the table is the artefact) and writes data/line/line_models.csv (+ .json with this command
and the shift), recording its sha256 in data/SHA256SUMS. The notebook retrains a few members live
and checks them against the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from tutorial_lib.core import data
from tutorial_lib.shift.line import TABLE, fit_line, line_family, train_line_model, write_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for k, spec in enumerate(line_family()):
        t0 = time.perf_counter()
        _, acc = train_line_model(spec)
        rows.append({"name": spec.name, **asdict(spec), **acc,
                     "train_seconds": round(time.perf_counter() - t0, 1)})
        print(f"[{k + 1:2d}] {spec.name:32s} ID {acc['acc_id']:.3f}  shifted {acc['acc_ood']:.3f}  "
              f"{rows[-1]['train_seconds']:.1f} s", flush=True)
    write_table(rows, data.data_path(TABLE))
    data.record_sha256(TABLE)
    fit = fit_line([r["acc_id"] for r in rows], [r["acc_ood"] for r in rows], n=397)
    print(f"probit fit over {fit.n_models} models: slope {fit.slope:.3f}, intercept "
          f"{fit.intercept:.3f}, R^2 {fit.r2:.3f}")


if __name__ == "__main__":
    main()

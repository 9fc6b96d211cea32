"""Multi-seed tables for the robustness-transfer notebook (too slow to run live on a CPU).

    python scripts/transfer_results.py --seeds 0 1 2 --threads 1

Writes data/transfer/matrix_seeds.csv (pre-training x regime x seed: SA, RA on the digits test
split, PGD-10) and data/transfer/sparsity_seeds.csv (AFF after one round of global magnitude
pruning with rewinding, per sparsity and seed), plus data/transfer/results.json (settings, command,
seconds) and their sha256 lines. Uses the shipped encoders (data/checkpoints/transfer_digits_*).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from tutorial_lib.core import data
from tutorial_lib.transfer import matrix as transfer  # noqa: E402


def write_csv(rel: str, rows: list[dict]) -> None:
    path = data.data_path(rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
                    for r in rows)
    data.record_sha256(rel)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sparsities", type=float, nargs="+", default=[0.5, 0.8, 0.9, 0.95])
    parser.add_argument("--sparse-encoders", nargs="+", default=["rotation_std", "rotation_adv"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    k = transfer.knobs()
    train, test = transfer.transfer_data("train"), transfer.transfer_data("test")
    encoders = {w: transfer.load_or_pretrain(w) for w in transfer.PRETRAININGS}
    t0 = time.perf_counter()
    matrix, sparse = [], []
    for seed in args.seeds:
        for which, enc in encoders.items():
            for regime in transfer.REGIMES:
                model = transfer.finetune(enc, regime, train, k["num_classes"],
                                          k["finetune_epochs"], k["eps"], k["train_steps"],
                                          batch_size=k["batch_size"], seed=seed)
                score = transfer.evaluate(model, *test, eps=k["eps"], steps=k["eval_steps"],
                                          seed=seed)
                matrix.append({"pretraining": which, "regime": regime, "seed": seed, **score})
                print(f"seed {seed} {which:>16s} {regime} SA {score['SA']:.3f} "
                      f"RA {score['RA']:.3f} ({time.perf_counter() - t0:.0f} s)", flush=True)
                if regime == "AFF" and which in args.sparse_encoders:
                    sparse.append({"pretraining": which, "sparsity": 0.0, "seed": seed, **score})
                    for s in args.sparsities:
                        ticket = transfer.sparse_finetune(enc, model.encoder, s, "AFF", train,
                                                          seed=seed)
                        sc = transfer.evaluate(ticket, *test, eps=k["eps"],
                                               steps=k["eval_steps"], seed=seed)
                        sparse.append({"pretraining": which, "sparsity": s, "seed": seed, **sc})
                        print(f"  sparsity {s:.2f} SA {sc['SA']:.3f} RA {sc['RA']:.3f}",
                              flush=True)
        # after every seed, so partial results survive an interruption
        write_csv(transfer.results_file("matrix"), matrix)
        write_csv(transfer.results_file("sparsity"), sparse)
    meta = {"command": "python scripts/transfer_results.py " + " ".join(sys.argv[1:]),
            "seeds": args.seeds, "sparsities": args.sparsities, "knobs": k,
            "split": "digits test (397 images), 16x16", "seconds": round(time.perf_counter() - t0),
            "threads": args.threads, "torch": torch.__version__}
    meta_rel = transfer.results_file("matrix").replace("matrix_seeds.csv", "results.json")
    data.data_path(meta_rel).write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Fine-tune the shipped digit encoder with FT and LP-FT (Kumar et al. 2022) and ship the results.

    python scripts/train_lpft_digits.py --threads 1            # cnn_digits, seeds 0 1 2

For every seed: 20 clean training digits per class, full fine-tuning from a random head (FT) and
from the linear-probe head (LP-FT), same recipe otherwise (AdamW, 15 epochs, lr 3e-4, no
augmentation); accuracy on the clean test split (ID) and on the same digits rotated by 30° or
written with a bolder pen (OOD). Seed 0's models ship as data/checkpoints/lpft_{ft,lpft}_ENC.pt
(sha256-checked); every seed's accuracies go into their NAME.json ("seeds"), next to LP's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from tutorial_lib.transfer import lpft  # noqa: E402
from tutorial_lib.core.models import checkpoint_metrics, load_or_train, save_checkpoint  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="cnn_digits", choices=["cnn_digits", "vit_digits"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    command = f"python scripts/train_lpft_digits.py --encoder {args.encoder} --seeds " + " ".join(
        map(str, args.seeds)
    )
    lp = [lpft.linear_probe_digits(args.encoder, seed=s) for s in args.seeds]
    for recipe in ("FT", "LP-FT"):
        name = lpft.checkpoint_name(recipe, args.encoder)
        runs = []
        for seed in args.seeds:
            t0 = time.perf_counter()
            if seed == args.seeds[0]:
                holder = {}

                def train(model, seed=seed, holder=holder):
                    holder.update(lpft.transfer_recipe(model, recipe, args.encoder, seed=seed))
                    return dict(holder)

                model = load_or_train(
                    name, lambda: lpft.build_probed(args.encoder), train, retrain=True
                )
                first, seconds = holder, checkpoint_metrics(name)["train_seconds"]
            else:
                runs.append(
                    lpft.transfer_recipe(
                        lpft.build_probed(args.encoder), recipe, args.encoder, seed=seed
                    )
                )
                print(
                    f"{recipe} seed {seed}: {runs[-1]['accuracy']} "
                    f"({time.perf_counter() - t0:.0f} s)"
                )
                continue
            print(f"{recipe} seed {seed}: {first['accuracy']} ({time.perf_counter() - t0:.0f} s)")
        metrics = {
            **first,
            "seeds": [first] + runs,
            "lp_seeds": lp,
            "command": command,
            "train_seconds": seconds,
        }
        save_checkpoint(name, model, metrics)  # same weights, metrics now hold every seed


if __name__ == "__main__":
    main()

"""Train the quick-profile vision models on real digit scans and ship their checkpoints.

    python scripts/train_vision_models.py                  # every quick-profile model
    python scripts/train_vision_models.py --model vit_digits --threads 1

Writes data/checkpoints/NAME.pt (+ NAME.json: test accuracy, parameters, training time, command)
and records the sha256 in data/SHA256SUMS. Model selection uses the validation split only; the
test split is scored once, at the end.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from tutorial_lib.core.models import QUICK_MODELS, checkpoint_metrics, load_or_train, train_quick_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", choices=sorted(QUICK_MODELS),
                        help="model to train (repeatable; default: all)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    for name in args.model or sorted(QUICK_MODELS):
        spec = QUICK_MODELS[name]
        load_or_train(name, spec.build, lambda m, n=name: train_quick_model(n, m), retrain=True)
        m = checkpoint_metrics(name)
        print(f"{name}: test acc {m['test_acc']:.4f}  val acc {m['val_acc']:.4f}  "
              f"params {m['params']:,}  best epoch {m['best_epoch']}/{m['epochs']}  "
              f"{m['train_seconds']:.0f} s")


if __name__ == "__main__":
    main()

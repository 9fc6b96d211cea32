"""Train the OOD-lesson models (digits 0-7 only; 8 and 9 are held out as near-OOD) and ship them.

    python scripts/train_ood_models.py                           # both models
    python scripts/train_ood_models.py --model vit_digits_0to7 --threads 1

Same builders and recipes as vit_digits / cnn_digits (tutorial_lib.core.models), 8 output classes.
Writes data/checkpoints/NAME.pt (+ NAME.json) and records the sha256 in data/SHA256SUMS.
Model selection uses the validation split (digits 0-7) only; the test split is scored once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from tutorial_lib.core.models import checkpoint_metrics, load_or_train, train_quick_model
from tutorial_lib.evaluation.ood import OOD_MODELS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", choices=sorted(OOD_MODELS),
                        help="model to train (repeatable; default: both)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.model or sorted(OOD_MODELS):
        spec = OOD_MODELS[name]

        def train(model: torch.nn.Module, n: str = name) -> dict:
            metrics = train_quick_model(n, model)
            metrics["command"] = f"python scripts/train_ood_models.py --model {n} --threads {args.threads}"
            return metrics

        load_or_train(name, spec.build, train, retrain=True)
        m = checkpoint_metrics(name)
        print(f"{name}: test acc (digits 0-7) {m['test_acc']:.4f}  val acc {m['val_acc']:.4f}  "
              f"params {m['params']:,}  best epoch {m['best_epoch']}/{m['epochs']}  "
              f"{m['train_seconds']:.0f} s")


if __name__ == "__main__":
    main()

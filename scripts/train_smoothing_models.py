"""Train the randomized-smoothing base models (small CNNs on 16x16 digits, Gaussian-noise
augmentation at each sigma) and ship their checkpoints.

    python scripts/train_smoothing_models.py --threads 1            # sigma 0.12, 0.25, 0.5
    python scripts/train_smoothing_models.py --sigma 0.25 --threads 1

Writes data/checkpoints/smooth_cnn_sXXX.pt (+ .json: clean and noisy test accuracy, training time,
command) and records the sha256 in data/SHA256SUMS. Model selection uses the (noisy) validation
split; the test split is scored once at the end.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from tutorial_lib.certified.smoothing import SIGMAS, checkpoint_name, load_smoothing_model
from tutorial_lib.core.models import checkpoint_metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sigma", type=float, action="append", choices=SIGMAS,
                        help="noise level to train (repeatable; default: all)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for sigma in args.sigma or SIGMAS:
        load_smoothing_model(sigma, retrain=True)
        m = checkpoint_metrics(checkpoint_name(sigma))
        print(f"sigma {sigma}: clean test acc {m['test_acc_clean']:.4f}  noisy test acc "
              f"{m['test_acc_noisy']:.4f}  params {m['params']:,}  best epoch "
              f"{m['best_epoch']}/{m['epochs']}  {m['train_seconds']:.0f} s")


if __name__ == "__main__":
    main()

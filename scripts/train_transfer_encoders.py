"""Pre-train the robustness-transfer lesson's three encoders (labels unused) and ship them.

    python scripts/train_transfer_encoders.py --threads 1                 # all three
    python scripts/train_transfer_encoders.py --which rotation_adv --threads 1

Quick profile: 4-conv CNN on the digits train split at 16x16, 15 epochs, L-inf eps 0.1, PGD-3.
Writes data/checkpoints/transfer_digits_<which>.pt (+ .json with the pretext loss history and a
frozen-encoder linear-probe SA/RA on the validation split) and records the sha256.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from tutorial_lib.transfer.matrix import PRETRAININGS, load_or_pretrain  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--which", action="append", choices=sorted(PRETRAININGS),
                        help="encoder to pre-train (repeatable; default: all)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for which in args.which or list(PRETRAININGS):
        load_or_pretrain(which, retrain=True, log=print)


if __name__ == "__main__":
    main()

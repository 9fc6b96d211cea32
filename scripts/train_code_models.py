"""Train the shipped code-summarization models (function-name prediction) and save them with
``models.load_or_train`` (checkpoint + metrics json + sha256).

    python scripts/train_code_models.py --which standard --threads 1     # data/checkpoints/code_names.pt
    python scripts/train_code_models.py --which adv --threads 1          # data/checkpoints/code_names_adv.pt

Both use the same step budget (TRAIN_CONFIGS in tutorial_lib/code/train.py), so the adversarial
model is compared with the standard one at equal epochs. Full profile (GPU): FRFM_PROFILE=full,
optionally FRFM_CODE_DIR=/path/to/python/files to add your own corpus; it writes code_names_full.pt.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tutorial_lib.core import models
from tutorial_lib.code.model import ROBUST, STANDARD, build_model, checkpoint_name
from tutorial_lib.code.train import train_for_checkpoint
from tutorial_lib.core.device import device, seed_everything


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--which", choices=["standard", "adv"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=None, help="override the profile's step budget")
    ap.add_argument("--retrain", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    seed_everything(0)
    name = checkpoint_name(STANDARD if args.which == "standard" else ROBUST)
    dev = device()

    def train(model):
        model.to(dev)
        metrics = train_for_checkpoint(name, model, steps=args.steps, log=lambda s: print(s, flush=True))
        model.cpu()
        metrics["command"] = "python scripts/train_code_models.py " + " ".join(sys.argv[1:])
        metrics["device"] = str(dev)
        return metrics

    models.load_or_train(name, build_model, train, retrain=args.retrain)
    print(models.checkpoint_metrics(name))


if __name__ == "__main__":
    main()

"""How many images per forward call? Time per image of the quick-profile models vs batch size.

    python scripts/bench_batch.py                  # 2 threads (the notebooks' setting), CPU
    python scripts/bench_batch.py --threads 1 --device cuda

On a CPU, batches past a few dozen 32-px images run *slower* per image (the activations fall out
of the cache), so ``device.eval_batch_size`` picks 64 there and 512 on a GPU. Prints microseconds
per image for inference (forward, no grad) and for an attack step (forward + input gradient).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tutorial_lib.core import attacks
from tutorial_lib.core.data import load_digits_tensors
from tutorial_lib.core.device import device as pick_device
from tutorial_lib.core.models import load_model


def per_image_us(fn, x: torch.Tensor, bs: int, repeats: int) -> float:
    """Best-of-``repeats`` time to run ``fn`` over ``x`` in chunks of ``bs``, per image."""
    fn(x[:bs])
    best = float("inf")
    for _ in range(repeats):
        if x.is_cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for i in range(0, len(x), bs):
            fn(x[i:i + bs])
        if x.is_cuda:
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best / len(x) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: tutorial_lib's choice)")
    parser.add_argument("--sizes", default="16,32,64,128,256,512,1024")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device) if args.device else pick_device()
    x, y = load_digits_tensors("test")
    x, y = torch.cat([x] * 3).to(dev), torch.cat([y] * 3).to(dev)  # 1,191 images
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"torch {torch.__version__}, device {dev}, {torch.get_num_threads()} CPU thread(s); "
          f"microseconds per image, best of {args.repeats}")
    print(f"{'model':12s} {'pass':10s} " + " ".join(f"{s:>7d}" for s in sizes))
    for name in ("vit_digits", "cnn_digits"):
        m = load_model(name, device=dev)
        with torch.no_grad():
            fwd = [per_image_us(m, x, s, args.repeats) for s in sizes]
        # labels only need the right length for timing the gradient
        fb = [per_image_us(lambda xb, m=m: attacks.input_gradient(m, xb, y[:len(xb)]), x, s,
                           args.repeats) for s in sizes]
        for label, row in (("forward", fwd), ("fwd+grad", fb)):
            print(f"{name:12s} {label:10s} " + " ".join(f"{v:7.0f}" for v in row))


if __name__ == "__main__":
    main()

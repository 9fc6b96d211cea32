"""Benchmark: the batched Fourier heat map against per-direction loops of the same computation.

    python scripts/bench_fourier.py                 # quick profile models, 1 thread
    python scripts/bench_fourier.py --model cnn_digits --images 48 --threads 2
    python scripts/bench_fourier.py --device cuda          # where batching is meant to pay off

Three ways to get the same heat map, in one run, on the same images and random signs:
  batched   all distinct directions (514 at 32 px), many directions x images per forward call
  loop-514  one forward call per distinct direction (identical numbers: asserted)
  loop-1024 one forward call per frequency of the full grid, ignoring the conjugate symmetry
            (what a direct implementation does; same expected map, its own random signs)
Prints the wall time of each and the speed-ups. Timings on a shared machine are inflated by
contention: compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tutorial_lib.attribution import fourier
from tutorial_lib.core.data import load_dataset
from tutorial_lib.core.device import device as pick_device
from tutorial_lib.core.models import load_model


def loop_all_frequencies(model, x, y, norm, seed=0):
    """A direct per-frequency loop over the full S x S grid (no symmetry, no batching)."""
    size, n, c = x.shape[-1], len(x), x.shape[1]
    gen = torch.Generator().manual_seed(seed)
    f = fourier.centred_frequencies(size)
    heat = torch.empty(size, size)
    with torch.no_grad():
        for a, ky in enumerate(f):
            for b, kx in enumerate(f):
                basis = fourier.fourier_basis(size, torch.tensor([[ky, kx]])).to(x.device)
                signs = (torch.randint(0, 2, (1, n, c), generator=gen) * 2 - 1).float().to(x.device)
                xp = fourier.perturb(x, basis, norm, signs)[0]
                heat[a, b] = (model(xp).argmax(1) != y).float().mean()
    return heat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vit_digits")
    parser.add_argument("--images", type=int, default=32, help="test images per direction")
    parser.add_argument("--norm", type=float, default=4.0)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="images per forward call (default: 64 on a CPU, the fastest per image "
                        "there, see scripts/bench_batch.py; 8192 on a GPU)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-full-loop", action="store_true", help="skip loop-1024")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: tutorial_lib's choice)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device) if args.device else pick_device()
    args.batch_size = args.batch_size or (8192 if dev.type == "cuda" else 64)
    model = load_model(args.model, device=dev)
    x, y = load_dataset("digits", "test", n=args.images, device=dev)
    fourier.fourier_heatmap(model, x[:4], y[:4], args.norm, stride=8)  # warm-up

    def run(label, fn):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = fn()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        took = time.perf_counter() - t0
        print(f"{label:<10} {took:8.1f} s", flush=True)
        return out, took

    batched, t_b = run("batched", lambda: fourier.fourier_heatmap(
        model, x, y, args.norm, batch_size=args.batch_size))
    looped, t_l = run("loop-514", lambda: fourier.fourier_heatmap(
        model, x, y, args.norm, batch_size=args.batch_size, directions_per_call=1))
    assert torch.equal(batched, looped), "batched and looped heat maps differ"
    print(f"model {args.model} on {dev}, {args.images} images, {args.threads} CPU thread(s), "
          f"{len(fourier.unique_frequencies(x.shape[-1]))} distinct directions")
    print(f"speed-up batched vs loop-514 (identical maps): {t_l / t_b:.1f}x")
    if not args.skip_full_loop:
        full, t_f = run("loop-1024", lambda: loop_all_frequencies(model, x, y, args.norm))
        print(f"speed-up batched vs loop-1024 (direct per-frequency loop): {t_f / t_b:.1f}x; "
              f"mean |difference| of the maps {((full - batched).abs().mean()):.3f} "
              "(independent random signs)")


if __name__ == "__main__":
    main()

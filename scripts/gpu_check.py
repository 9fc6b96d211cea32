"""Full-profile speed probes on one GPU (falls back to the CPU, with tiny sizes, to test itself).

    bash scripts/gpu_check.sh            # builds the offline stand-in, runs this, ~minutes on a GPU

Writes results/gpu_check.json:
- pgd_ratio: PGD-20 on ViT-S/16 divided by the bound 20 x (forward + backward) at the same batch
  (1.0 = the attack costs nothing beyond its gradient steps);
- corruptions: images/s of every corruption family at 224 px (severity 3, batched on the device);
- fourier_ratio: Fourier heat-map images x directions per second over the forward throughput at the
  best batch size (1.0 = the heat map runs at the speed of plain inference).
The weights are the stand-in's random init: speed does not depend on them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from tutorial_lib.attribution import fourier  # noqa: E402
from tutorial_lib.core.attacks import pgd  # noqa: E402
from tutorial_lib.core.device import device as pick_device  # noqa: E402
from tutorial_lib.core.models import load_model  # noqa: E402


def timed(fn, dev: torch.device, repeats: int = 3) -> float:
    """Best wall time of ``fn()`` over ``repeats`` runs after one warm-up (CUDA synchronised)."""
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    fn()
    sync()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--fourier-stride", type=int, default=8, help="every k-th frequency")
    ap.add_argument("--out", type=Path, default=Path("results/gpu_check.json"))
    args = ap.parse_args()
    dev = pick_device()
    model = load_model("vit_small_patch16_224", device=dev)
    x = torch.rand(args.batch, 3, args.size, args.size, device=dev)
    y = torch.randint(0, 1000, (args.batch,), device=dev)

    def fwd_bwd():
        xx = x.clone().requires_grad_(True)
        torch.nn.functional.cross_entropy(model(xx), y).backward()

    t_fb = timed(fwd_bwd, dev)
    t_pgd = timed(lambda: pgd(model, x, y, 4 / 255, 20), dev, repeats=1)
    out = {"device": str(dev), "torch": torch.__version__, "batch": args.batch,
           "fwd_bwd_s": t_fb, "pgd20_s": t_pgd, "pgd_ratio": t_pgd / (20 * t_fb)}

    from tutorial_lib.evaluation import corruptions as C

    gen = torch.Generator().manual_seed(0)
    out["corruptions_images_per_s"] = {
        name: args.batch / timed(lambda n=name: C.corrupt(x, n, 3, generator=gen, profile="full"),
                                 dev, repeats=1)
        for name in C.names("full")}

    with torch.no_grad():
        best = max((b for b in (32, 64, 128, 256, 512)),
                   key=lambda b: b / timed(lambda b=b: model(torch.rand(b, 3, args.size, args.size,
                                                                        device=dev)), dev, 1))
        xb = torch.rand(best, 3, args.size, args.size, device=dev)
        fwd_per_s = best / timed(lambda: model(xb), dev)
    n_dirs = len(fourier.unique_frequencies(args.size, args.fourier_stride))
    xf = x[:16]
    t_heat = timed(lambda: fourier.fourier_heatmap(model, xf, None, 4.0, args.fourier_stride,
                                                   batch_size=best), dev, repeats=1)
    out.update({"forward_images_per_s": fwd_per_s, "best_batch": best,
                "fourier_directions": n_dirs,
                "fourier_ratio": (len(xf) * (n_dirs + 1) / t_heat) / fwd_per_s})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "corruptions_images_per_s"}, indent=2))


if __name__ == "__main__":
    main()

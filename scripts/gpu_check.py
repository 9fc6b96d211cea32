"""Full-profile speed probes on one GPU (on a CPU the same code runs as a self-test, small sizes).

    bash scripts/gpu_check.sh            # builds the offline stand-in, runs this, ~minutes on a GPU

Writes results/gpu_check.json:
- pgd_ratio: PGD-20 on ViT-S/16 divided by the bound 20 x (forward + backward) at the same batch
  (1.0 = the attack costs nothing beyond its gradient steps);
- corruptions_images_per_s: every corruption family at severity 3 on a batch of scikit-image
  photo crops, batched on the device;
- corruptions_vs_imagecorruptions: those images/s over imagecorruptions' own on the kit's 2-core
  VM, read from ``--reference`` (``tests/data/imagecorruptions_speed.json``, written by
  ``scripts/bench.py --vs imagecorruptions --json``; imagecorruptions runs on a CPU only, so
  this ratio is "the kit on this machine" over "the reference where it was measured");
- fourier_ratio: Fourier heat-map images x directions per second over the forward throughput at
  the best batch size (1.0 = the heat map runs at the speed of plain inference).
The weights are the stand-in's random init: speed does not depend on them. Figures from a run
without a GPU are marked ``"self_test": true``: they test this script, they are not GPU figures.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tutorial_lib.attribution import fourier  # noqa: E402
from tutorial_lib.core.attacks import input_gradient, pgd  # noqa: E402
from tutorial_lib.core.data import photo_crops  # noqa: E402
from tutorial_lib.core.device import device as pick_device  # noqa: E402
from tutorial_lib.core.models import load_model  # noqa: E402
from tutorial_lib.evaluation import corruptions as C  # noqa: E402

REFERENCE = ROOT / "tests" / "data" / "imagecorruptions_speed.json"


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


def versus_reference(images_per_s: dict[str, float], reference: Path, size: int) -> dict:
    """Each family's images/s over imagecorruptions' at the same size in ``reference`` (a
    ``bench.py --json`` file), their geometric mean, and where the reference was measured."""
    if not reference.is_file():
        return {"skipped": f"no {reference}: run scripts/bench.py --vs imagecorruptions --json {reference}"}
    table = json.loads(reference.read_text())
    if f"{size}px" not in table:
        return {"skipped": f"{reference} has no {size}-px table (it has {', '.join(k for k in table if k.endswith('px'))})"}
    rows = table[f"{size}px"]["rows"]
    ratios = {n: ips / rows[n]["imagecorruptions_img_s"] for n, ips in images_per_s.items() if n in rows}
    if not ratios:
        return {"skipped": f"{reference} times none of these families"}
    return {"ratios": ratios, "geometric_mean": math.exp(sum(map(math.log, ratios.values())) / len(ratios)),
            "slowest": min(ratios, key=ratios.get), "families_below_1x": sum(r < 1 for r in ratios.values()),
            "reference_measured": table["measured"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64, help="images per PGD and corruption batch")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batches", type=int, nargs="+", default=[32, 64, 128, 256, 512],
                    help="forward batch sizes tried for the best forward throughput")
    ap.add_argument("--fourier-images", type=int, default=16)
    ap.add_argument("--fourier-stride", type=int, default=8, help="every k-th frequency")
    ap.add_argument("--reference", type=Path, default=REFERENCE)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "gpu_check.json")
    args = ap.parse_args()
    t_start = time.perf_counter()
    dev = pick_device()
    if dev.type != "cuda":
        print(f"no CUDA GPU: running on {dev} as a self-test of this script; its figures are not GPU figures")
    model = load_model("vit_small_patch16_224", device=dev)
    x = photo_crops(args.batch, size=args.size, channels=3, seed=0).to(dev)
    y = torch.randint(0, 1000, (args.batch,), generator=torch.Generator().manual_seed(0)).to(dev)

    # the bound: one forward + backward to the input (the weights' gradients, which PGD never
    # computes, left out), as scripts/bench.py measures it on a CPU
    t_fb = timed(lambda: input_gradient(model, x, y), dev)
    t_pgd = timed(lambda: pgd(model, x, y, 4 / 255, 20), dev, repeats=1)
    out = {"device": str(dev), "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None,
           "self_test": dev.type != "cuda", "torch": torch.__version__, "batch": args.batch,
           "size": args.size, "fwd_bwd_s": t_fb, "pgd20_s": t_pgd, "pgd_ratio": t_pgd / (20 * t_fb)}

    gen = torch.Generator().manual_seed(0)
    ips = {name: args.batch / timed(lambda n=name: C.corrupt(x, n, 3, generator=gen, profile="full"),
                                    dev, repeats=1)
           for name in C.names("full")}
    out["corruptions_images_per_s"] = ips
    out["corruptions_vs_imagecorruptions"] = versus_reference(ips, args.reference, args.size)

    with torch.no_grad():
        best = max(args.batches, key=lambda b: b / timed(
            lambda b=b: model(torch.rand(b, 3, args.size, args.size, device=dev)), dev, 1))
        xb = torch.rand(best, 3, args.size, args.size, device=dev)
        fwd_per_s = best / timed(lambda: model(xb), dev)
    n_dirs = len(fourier.unique_frequencies(args.size, args.fourier_stride))
    xf = x[:args.fourier_images]
    t_heat = timed(lambda: fourier.fourier_heatmap(model, xf, None, 4.0, args.fourier_stride,
                                                   batch_size=best), dev, repeats=1)
    out.update({"forward_images_per_s": fwd_per_s, "best_batch": best,
                "fourier_images": len(xf), "fourier_directions": n_dirs,
                "fourier_ratio": (len(xf) * (n_dirs + 1) / t_heat) / fwd_per_s,
                "wall_s": time.perf_counter() - t_start})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    vs = out["corruptions_vs_imagecorruptions"]
    print(json.dumps({k: v for k, v in out.items() if not k.startswith("corruptions")}, indent=2))
    print("corruptions vs imagecorruptions: " + (vs["skipped"] if "skipped" in vs else
          f"geometric mean {vs['geometric_mean']:.2f}x, slowest {vs['slowest']} "
          f"{vs['ratios'][vs['slowest']]:.2f}x (reference: {vs['reference_measured']['cpu']}, 1 thread)"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

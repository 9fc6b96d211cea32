"""Speed of notebook 01's probes, side by side in one run.

    python scripts/bench.py --threads 1                       # corruptions (vs NumPy copy) + PGD
    python scripts/bench.py --threads 1 --vs imagecorruptions # every family vs the real package
    python scripts/bench.py --threads 1 --vs imagecorruptions --json tests/data/imagecorruptions_speed.json
    python scripts/bench.py --threads 1 --only pgd --torchattacks /tmp/bench-venv/lib/python3.11/site-packages
    python scripts/bench.py --threads 1 --only fourier                # heat map vs the forward bound

1. ``--vs imagecorruptions``: ``tutorial_lib.evaluation.corruptions`` (batched torch, the full
   profile's ImageNet-C parameters) against ``imagecorruptions`` 1.1.2 (per image, NumPy/SciPy/
   OpenCV) at the same severity on the same scikit-image photo crops, at 224 px (64 crops: the
   CPU's evaluation batch) and 32 px (128 crops): images/s of each and their ratio. Same
   parameters on both sides, and ``tests/data/corruption_strength_224.json`` shows the strengths
   match at 224 px (0.75..1.33x), so the ratio is at matched strength.
   imagecorruptions runs in a throwaway Python 3.10 venv (built on first use, see
   ``scripts/corruption_strength.py``), one thread, in a subprocess; the kit in this process.
   Where one library call bounds a family (a noise family's random draw, libjpeg for JPEG), the
   table also times that call alone ("floor") and prints the ceiling ic time / floor time: the
   most kit/ic that family can reach with that library (for JPEG on floats, also with the two float
   conversions the kit adds to libjpeg, each timed alone). The kit is timed twice: on the float
   batch (in [0, 1], the notebooks' format) and on the same pixels as a uint8 batch, the format
   imagecorruptions takes and returns (uint8 in, uint8 out; ``corrupt`` converts where a family
   computes in float). ``--json`` also writes the table, with the machine and the command;
   ``tests/data/imagecorruptions_speed.json`` is the kit's VM's, which ``scripts/gpu_check.py``
   divides a GPU's images/s by (imagecorruptions runs on a CPU only).
2. Corruptions (default): the quick profile's corruptions against a per-image NumPy/SciPy
   implementation of the same formulas (written below), on the digits test split; also the
   largest pixel difference between the two where the corruption is deterministic.
3. PGD: ``tutorial_lib.core.attacks.pgd`` against the bound ``steps x (forward + backward)`` of the same
   model on the same batch (measured with ``attacks.input_gradient``), and against torchattacks'
   PGD when a folder holding torchattacks is given (install it with ``--no-deps`` into a throwaway
   venv; it is appended to ``sys.path`` so this environment's torch is used).

Timings are the minimum over ``--repeats`` runs (noise on a shared machine only adds time). With
``--vs``, imagecorruptions stays running in its venv and, family by family, the kit, the
reference and the floor are timed in turn (``interleaved``), so a slow phase of the machine hits
both sides of a ratio alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import scipy.fft
import scipy.ndimage
import torch

from tutorial_lib.core import attacks
from tutorial_lib.core.data import load_digits_tensors
from tutorial_lib.core.device import device as pick_device
from tutorial_lib.core.models import load_model
from tutorial_lib.evaluation import corruptions as C


# ----------------------------------------------------------------------------- per-image NumPy
def np_conv(img: np.ndarray, k: np.ndarray) -> np.ndarray:
    return np.stack([scipy.ndimage.correlate(c, k, mode="mirror") for c in img])


def np_jpeg(img: np.ndarray, q: int) -> np.ndarray:
    table = C.quant_table(q).numpy()
    v = np.round(img[0] * 255) - 128
    out = np.empty_like(v)
    for i in range(0, v.shape[0], 8):
        for j in range(0, v.shape[1], 8):
            coef = scipy.fft.dctn(v[i:i + 8, j:j + 8], norm="ortho")
            out[i:i + 8, j:j + 8] = scipy.fft.idctn(np.round(coef / table) * table, norm="ortho")
    return (np.clip(np.round(out + 128), 0, 255) / 255)[None]


def numpy_corrupt(img: np.ndarray, name: str, severity: int, rng: np.random.Generator,
                  angle: float = 0.0) -> np.ndarray:
    """One (C, H, W) image, the same formulas as tutorial_lib.evaluation.corruptions, NumPy/SciPy per image."""
    p = C.PARAMS[name][severity - 1]
    if name == "gaussian_noise":
        out = img + rng.normal(size=img.shape) * p
    elif name == "shot_noise":
        out = rng.poisson(img * p) / p
    elif name == "impulse_noise":
        u = rng.random(img.shape)
        out = np.where(u < p, (u < p / 2).astype(img.dtype), img)
    elif name == "defocus_blur":
        out = np_conv(img, C.disk_kernel(p).numpy())
    elif name == "gaussian_blur":
        out = np_conv(img, C.gaussian_kernel(p).numpy())
    elif name == "motion_blur":
        out = np_conv(img, C.motion_kernels(*p, torch.tensor([angle]))[0].numpy())
    elif name == "brightness":
        out = img + p
    elif name == "contrast":
        out = (img - img.mean()) * p + img.mean()
    elif name == "jpeg":
        out = np_jpeg(img, p)
    else:
        raise KeyError(name)
    return np.clip(out, 0, 1)


NUMPY_NAMES = ["gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "gaussian_blur",
               "motion_blur", "brightness", "contrast", "jpeg"]
DETERMINISTIC = {"defocus_blur", "gaussian_blur", "brightness", "contrast", "jpeg"}


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _min_time(fn: Callable[[], object], n: int) -> float:
    """Best wall time of ``n`` calls of ``fn`` (CUDA synchronised)."""
    times = []
    for _ in range(n):
        _sync()
        t0 = time.perf_counter()
        fn()
        _sync()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_of(fn, repeats: int) -> float:
    """Minimum wall time over ``repeats`` calls (after one warm-up call; CUDA synchronised)."""
    fn()
    return _min_time(fn, repeats)


def bench_corruptions(x: torch.Tensor, severity: int, repeats: int) -> None:
    xs = x.cpu().numpy().astype(np.float64)
    print(f"\n## corruptions (quick profile): {len(x)} digits {tuple(x.shape[1:])}, severity {severity}, "
          f"best of {repeats}; kit on {x.device}, NumPy on the CPU")
    print(f"{'corruption':16s} {'kit ms':>8s} {'numpy ms':>9s} {'ratio':>7s} {'max |diff|':>10s}")
    tot_k = tot_n = 0.0
    for name in NUMPY_NAMES:
        kit = lambda name=name: C.corrupt(x, name, severity, torch.Generator().manual_seed(0),
                                          profile="quick")
        rng = np.random.default_rng(0)
        ref = lambda name=name, rng=rng: np.stack([numpy_corrupt(im, name, severity, rng)
                                                 for im in xs])
        tk, tn = best_of(kit, repeats), best_of(ref, repeats)
        tot_k, tot_n = tot_k + tk, tot_n + tn
        diff = (f"{np.abs(kit().cpu().numpy() - ref()).max():.1e}" if name in DETERMINISTIC else "random")
        print(f"{name:16s} {tk * 1e3:8.1f} {tn * 1e3:9.1f} {tn / tk:6.1f}x {diff:>10s}")
    print(f"{'all nine':16s} {tot_k * 1e3:8.1f} {tot_n * 1e3:9.1f} {tot_n / tot_k:6.1f}x")


def floor_ops(x: torch.Tensor, severity: int) -> dict[str, Callable[[], object]]:
    """The one library call that a family's time cannot go below, on the same batch: the random
    draw of a noise family (torch's mt19937 sampler; for shot noise on 8-bit images the uniforms
    that ``poisson_by_level`` inverts, else ``torch.poisson``), libjpeg's encode + decode for
    JPEG (uint8 in, uint8 out; no float conversions, no input check). ``ref time / floor time``
    is then the highest kit/imagecorruptions ratio that family can reach. ``float_io`` (not a
    family): one read and one write of the float batch, the least a float-in, float-out call adds.
    ``jpeg_to_uint8`` and ``jpeg_to_floats``: the two conversions the kit's JPEG does on a float
    batch instead (floats to the bytes libjpeg encodes; the decoder's interleaved bytes to planar
    floats), each alone, as ``corruptions.libjpeg`` calls them.
    """
    from torchvision.io import decode_jpeg

    p = C.KNOBS["full"]["params"]
    g = torch.Generator()
    lam = x * p["shot_noise"][severity - 1]
    on_grid = C._byte_levels(x) is not None  # shot noise then draws one uniform per pixel
    u8 = (x * 255).round().to(torch.uint8)
    q = p["jpeg"][severity - 1]

    def jpeg() -> object:
        return decode_jpeg(C.jpeg_bytes(u8, q))

    decoded = jpeg()

    return {"gaussian_noise": lambda: torch.randn(x.shape, generator=g.manual_seed(0)),
            "speckle_noise": lambda: torch.randn(x.shape, generator=g.manual_seed(0)),
            "impulse_noise": lambda: torch.rand(x.shape, generator=g.manual_seed(0)),
            "shot_noise": (lambda: torch.rand(x.shape, generator=g.manual_seed(0))) if on_grid
            else lambda: torch.poisson(lam, generator=g.manual_seed(0)),
            "float_io": lambda: torch.empty_like(x).copy_(x),
            "jpeg_to_uint8": lambda: C._to_uint8(x),
            "jpeg_to_floats": lambda: C._planar_floats(decoded, x),
            "jpeg": jpeg}


def interleaved(sides: dict[str, Callable[[int], float]], rounds: int, budget: float = 0.2,
                long: float = 10.0) -> dict[str, float]:
    """Best time per call of each side, the sides timed in turn.

    ``sides[k](n)`` returns the best of ``n`` calls of side k. A first call of every side warms
    it up (and counts); then ``rounds`` rounds time each side in turn, with about ``budget``
    seconds of calls per side and round. A slow phase of a shared machine thus slows every side
    of a ratio alike, instead of the whole of one side. A side whose first call took over
    ``long`` seconds (imagecorruptions' glass blur) is not timed again.
    """
    best = {k: f(1) for k, f in sides.items()}
    calls = {k: max(1, min(50, round(budget / t))) for k, t in best.items()}
    for _ in range(rounds):
        for k, f in sides.items():
            if best[k] <= long:
                best[k] = min(best[k], f(calls[k]))
    return best


def _kit_timer(x: torch.Tensor, name: str, severity: int) -> Callable[[int], float]:
    return lambda k: _min_time(lambda: C.corrupt(x, name, severity, torch.Generator().manual_seed(0),
                                                 profile="full"), k)


def bench_vs_imagecorruptions(venv: Path | None, n224: int, n32: int, severity: int,
                              repeats: int) -> dict:
    """images/s of the kit (full-profile parameters) and of imagecorruptions, per family, at 224
    and 32 px; prints the table and returns it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import corruption_strength as cs

    py = cs.ensure_venv(venv or cs.DEFAULT_VENV)
    names = list(C.ALL_CORRUPTIONS)
    result = {}
    for size, n in ((224, n224), (32, n32)):
        x = cs.crops(n, size)
        x8 = (x * 255).round().to(torch.uint8)  # the very bytes the reference gets (HWC there)
        floor_op = floor_ops(x, severity)
        kit, kit8, ref, floors = {}, {}, {}, {}
        jpeg_sides = ("float_io", "jpeg_to_uint8", "jpeg_to_floats")  # timed beside JPEG
        with cs.reference_timer(py, x) as reference:
            for name in names:
                sides = {"kit": _kit_timer(x, name, severity), "kit8": _kit_timer(x8, name, severity),
                         "ref": lambda k, name=name: reference(name, severity, k)}
                if name in floor_op:
                    sides["floor"] = lambda k, op=floor_op[name]: _min_time(op, k)
                if name == "jpeg":  # the least the float API adds (read and write the floats),
                    for side in jpeg_sides:  # and the two conversions the kit does instead
                        sides[side] = lambda k, op=floor_op[side]: _min_time(op, k)
                t = interleaved(sides, repeats)
                kit[name], kit8[name], ref[name] = t["kit"], t["kit8"], t["ref"]
                if "floor" in t:
                    floors[name] = t["floor"]
                if name == "jpeg":
                    float_io = t["float_io"]
                    convert = {side: t[side] for side in jpeg_sides[1:]}
        print(f"\n## {n} photo crops at {size} px, severity {severity}, 1 thread; per family, the "
              f"sides timed in turn: a first call, then {repeats} rounds of ~0.2 s of calls each "
              "(best call kept; a side over 10 s per call is timed once)")
        print("kit: float batch in [0, 1] in and out; kit u8: uint8 batch in and out, the format "
              "imagecorruptions takes and returns")
        print("floor: the family's one library call alone (see floor_ops); ceiling = ic time / floor "
              "time, the most kit/ic can be")
        print(f"{'corruption':15s} {'kit img/s':>10s} {'kit u8 img/s':>13s} {'imagecorr img/s':>16s} "
              f"{'kit/ic':>7s} {'u8/ic':>7s} {'kit/floor':>9s} {'ceiling':>8s}")
        rows = {}
        for name in names:
            k_ips, k8_ips, r_ips = n / kit[name], n / kit8[name], n / ref[name]
            rows[name] = {"kit_img_s": k_ips, "kit_uint8_img_s": k8_ips, "imagecorruptions_img_s": r_ips,
                          "ratio": k_ips / r_ips, "ratio_uint8": k8_ips / r_ips}
            extra = ""
            if name in floors:
                rows[name]["floor_s"] = floors[name]
                rows[name]["ceiling"] = ref[name] / floors[name]
                extra = f" {floors[name] / kit[name]:9.2f} {rows[name]['ceiling']:7.2f}x"
            print(f"{name:15s} {k_ips:10.1f} {k8_ips:13.1f} {r_ips:16.1f} {k_ips / r_ips:6.2f}x "
                  f"{k8_ips / r_ips:6.2f}x{extra}")
        result[size] = {"n": n, "rows": rows}
        for key, label in (("ratio", "float"), ("ratio_uint8", "uint8")):
            ratios = np.array([r[key] for r in rows.values()])
            gm = float(np.exp(np.log(ratios).mean()))
            slowest = min(rows, key=lambda k: rows[k][key])
            print(f"{label:5s}: geometric mean {gm:.2f}x; slowest {slowest} {rows[slowest][key]:.2f}x; "
                  f"{int((ratios < 1).sum())} of {len(ratios)} families below 1x")
            result[size]["geometric_mean" + ("" if key == "ratio" else "_uint8")] = gm
        jpeg_float = ref["jpeg"] / (floors["jpeg"] + float_io)
        print(f"JPEG on floats: libjpeg's floor + one read and one write of the float batch "
              f"({float_io * 1e3:.2g} ms, a copy) leaves a ceiling of {jpeg_float:.2f}x")
        result[size]["jpeg_float_ceiling"] = jpeg_float
        with_conv = ref["jpeg"] / (floors["jpeg"] + sum(convert.values()))
        print(f"JPEG on floats with the kit's two conversions in place of the copy (floats to bytes "
              f"{convert['jpeg_to_uint8'] * 1e3:.2g} ms, decoded bytes to planar floats "
              f"{convert['jpeg_to_floats'] * 1e3:.2g} ms): at most {with_conv:.2f}x")
        result[size]["jpeg_float_conversions_s"] = convert
        result[size]["jpeg_float_ceiling_with_conversions"] = with_conv
        capped = np.array([r.get("ceiling", r["ratio"]) for r in rows.values()])
        gm_cap = float(np.exp(np.log(capped).mean()))
        print(f"float, with the floored families at their ceiling: {gm_cap:.2f}x")
        result[size]["geometric_mean_at_ceiling"] = gm_cap
    return result


def cpu_name() -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_json(path: Path, result: dict, threads: int) -> None:
    """Write ``bench_vs_imagecorruptions``' table with where and how it was measured."""
    meta = {"command": f"python scripts/bench.py --threads {threads} --vs imagecorruptions "
                       f"--json {path}",
            "date": time.strftime("%Y-%m-%d"), "cpu": cpu_name(), "cores": os.cpu_count(),
            "threads": threads, "torch": torch.__version__, "severity": 3,
            "reference": "imagecorruptions 1.1.2 (Python 3.10, numpy<2, scikit-image 0.19), 1 thread"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"measured": meta, **{f"{k}px": v for k, v in result.items()}},
                               indent=1) + "\n")
    print(f"wrote {path}")


def bench_pgd(x: torch.Tensor, y: torch.Tensor, steps: int, repeats: int, ta_path: str | None) -> None:
    eps, alpha = 8 / 255, 2 / 255
    print(f"\n## PGD L-inf: {len(x)} images, {steps} steps, eps 8/255, step 2/255, best of {repeats}")
    ta = None
    if ta_path:
        sys.path.append(ta_path)
        try:
            import torchattacks as ta
        except Exception as err:  # noqa: BLE001
            print(f"torchattacks not importable from {ta_path}: {type(err).__name__}: {err}")
    print(f"{'model':6s} {'fwd+bwd ms':>10s} {'bound ms':>9s} {'kit ms':>8s} {'bound/kit':>9s}"
          + ("  torchattacks ms  ta/kit" if ta else ""))
    for name in ("vit_digits", "cnn_digits"):
        m = load_model(name, device=x.device)
        fb = best_of(lambda m=m: attacks.input_gradient(m, x, y), repeats)
        kit = best_of(lambda m=m: attacks.pgd(m, x, y, eps, steps=steps, step_size=alpha,
                                          generator=torch.Generator().manual_seed(0)), repeats)
        line = f"{name[:3]:6s} {fb * 1e3:10.1f} {steps * fb * 1e3:9.1f} {kit * 1e3:8.1f} {steps * fb / kit:8.2f}x"
        if ta:
            atk = ta.PGD(m, eps=eps, alpha=alpha, steps=steps, random_start=True)
            t = best_of(lambda atk=atk: atk(x, y), repeats)
            line += f"  {t * 1e3:15.1f}  {t / kit:5.2f}x"
        print(line)


def bench_fourier_bound(x: torch.Tensor, y: torch.Tensor, repeats: int) -> None:
    """The Fourier heat map's images x directions per second over the model's forward throughput
    at its best batch size (the bound: the heat map is one forward pass per image and direction)."""
    from tutorial_lib.attribution import fourier

    n_dirs = len(fourier.unique_frequencies(x.shape[-1]))
    print(f"\n## Fourier heat map: {len(x)} digits x {n_dirs} directions, best of {repeats}")
    print(f"{'model':6s} {'best batch':>10s} {'forward img/s':>14s} {'heat map img*dir/s':>19s} "
          f"{'of bound':>8s}")
    for name in ("vit_digits", "cnn_digits"):
        m = load_model(name, device=x.device).eval()
        rates = {}
        with torch.no_grad():
            for b in (32, 64, 128, 256, 512):
                xb = x.repeat((b + len(x) - 1) // len(x), 1, 1, 1)[:b]
                rates[b] = b / best_of(lambda m=m, xb=xb: m(xb), repeats)
        best = max(rates, key=rates.get)
        t = best_of(lambda m=m, best=best: fourier.fourier_heatmap(m, x, y, 4.0, batch_size=best),
                    repeats)
        heat = len(x) * n_dirs / t
        print(f"{name[:3]:6s} {best:10d} {rates[best]:14.0f} {heat:19.0f} {heat / rates[best]:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--only", choices=["corruptions", "pgd", "fourier"], default=None)
    parser.add_argument("--n", type=int, default=397, help="images for the corruption bench")
    parser.add_argument("--n-pgd", type=int, default=64, help="images for the PGD bench")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--torchattacks", default=None,
                        help="site-packages folder of a throwaway venv holding torchattacks")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: tutorial_lib's choice)")
    parser.add_argument("--vs", choices=["imagecorruptions"], default=None,
                        help="compare every corruption family with the real imagecorruptions 1.1.2")
    parser.add_argument("--venv", type=Path, default=None,
                        help="venv holding imagecorruptions (default: build /tmp/imagecorruptions-venv)")
    parser.add_argument("--n224", type=int, default=64, help="photo crops at 224 px (--vs)")
    parser.add_argument("--n32", type=int, default=128, help="photo crops at 32 px (--vs)")
    parser.add_argument("--json", type=Path, default=None,
                        help="--vs: also write the table as JSON (e.g. tests/data/imagecorruptions_speed.json, "
                             "which scripts/gpu_check.py compares a GPU's images/s with)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.vs == "imagecorruptions":
        print(f"torch {torch.__version__}, CPU, {torch.get_num_threads()} thread(s); on a shared "
              "machine absolute times are inflated by other jobs, the ratios much less")
        result = bench_vs_imagecorruptions(args.venv, args.n224, args.n32, 3, args.repeats)
        if args.json:
            write_json(args.json, result, args.threads)
        return
    dev = torch.device(args.device) if args.device else pick_device()
    x, y = load_digits_tensors("test")
    x, y = x.to(dev), y.to(dev)
    print(f"torch {torch.__version__}, device {dev}, {torch.get_num_threads()} CPU thread(s); on a "
          "shared machine absolute times are inflated by other jobs, the ratios much less")
    if args.only in (None, "corruptions"):
        bench_corruptions(x[:args.n], 3, args.repeats)
    if args.only in (None, "pgd"):
        bench_pgd(x[:args.n_pgd], y[:args.n_pgd], args.steps, args.repeats, args.torchattacks)
    if args.only in (None, "fourier"):
        bench_fourier_bound(x[:16], y[:16], args.repeats)


if __name__ == "__main__":
    main()

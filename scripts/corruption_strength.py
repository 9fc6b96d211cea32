"""Strength of the kit's 224-px corruptions against the real ``imagecorruptions`` 1.1.2.

    python scripts/corruption_strength.py                    # builds /tmp/imagecorruptions-venv once
    python scripts/corruption_strength.py --venv PATH        # reuse a venv holding imagecorruptions

Both corrupt the same ``--n`` scikit-image photo crops (224 px, RGB, rounded to 8 bits) at every
family and severity; the strength is the mean |corrupted - clean| over pixels, channels and images.
Writes ``tests/data/corruption_strength_224.json``: the kit column, the imagecorruptions column and
their ratio. ``tests/test_corruptions.py`` recomputes the kit column and checks every ratio is in
[0.75, 1.33] (CI cannot run imagecorruptions: it needs an old Python stack, see below).

imagecorruptions 1.1.2 does not import with current setuptools and crashes with NumPy 2 /
scikit-image 0.26, so it runs in a throwaway Python 3.10 venv (pyenv) with pinned wheels:
``"setuptools<70" "numpy<2" "scikit-image<0.20" "scipy<1.12" "opencv-python-headless<4.9"``, then
``imagecorruptions==1.1.2 --no-deps``. ``scripts/bench.py --vs imagecorruptions`` uses the same venv.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
import torch

OUT = ROOT / "tests" / "data" / "corruption_strength_224.json"
DEFAULT_VENV = Path(tempfile.gettempdir()) / "imagecorruptions-venv"
PINS = ["setuptools<70", "numpy<2", "scikit-image<0.20", "scipy<1.12", "opencv-python-headless<4.9"]
IC_NAMES = {"elastic": "elastic_transform", "jpeg": "jpeg_compression"}  # kit -> imagecorruptions
N_IMAGES, SIZE, SEED = 12, 224, 0

# Runs inside the venv. argv = strength, images.npy, names (comma-separated), severity list: prints
# {name: [mean |delta| per severity]}. argv = serve, images.npy: then reads "name severity n" lines
# and answers each with the best wall time of n passes over the images, one image per call.
WORKER = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np
from imagecorruptions import corrupt
mode, imgs = sys.argv[1], np.load(sys.argv[2])
if mode == "serve":
    for line in sys.stdin:
        name, s, n = line.split()
        np.random.seed(0)
        times = []
        for _ in range(int(n)):
            t0 = time.perf_counter()
            for im in imgs:
                corrupt(im, corruption_name=name, severity=int(s))
            times.append(time.perf_counter() - t0)
        print(json.dumps(min(times)), flush=True)
    sys.exit()
names, sevs = sys.argv[3].split(","), [int(s) for s in sys.argv[4].split(",")]
out = {}
for j, name in enumerate(names):
    res = []
    for s in sevs:
        np.random.seed(1000 * j + s)
        d = [np.abs(corrupt(im, corruption_name=name, severity=s).astype(np.float64) / 255
                    - im / 255.0).mean() for im in imgs]
        res.append(float(np.mean(d)))
    out[name] = res
print(json.dumps(out))
"""


def ensure_venv(venv: Path = DEFAULT_VENV) -> Path:
    """Python of a venv that imports imagecorruptions 1.1.2, building it (pyenv 3.10) if needed."""
    py = venv / "bin" / "python"
    if py.exists() and subprocess.run([str(py), "-c", "import imagecorruptions"],
                                      check=False, capture_output=True).returncode == 0:
        return py
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(glob.glob(str(root / "versions" / "3.10*" / "bin" / "python")))
    if not found:
        raise SystemExit("imagecorruptions needs Python 3.10 (install it with `pyenv install "
                         "3.10`), or pass --venv to a venv that already holds it.")
    print(f"building {venv} with {found[-1]} (one-off, ~1 min)", file=sys.stderr)
    subprocess.run([found[-1], "-m", "venv", str(venv)], check=True)
    pip = [str(py), "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["--only-binary=:all:", *PINS], check=True)
    subprocess.run(pip + ["--no-deps", "imagecorruptions==1.1.2"], check=True)
    return py


def crops(n: int = N_IMAGES, size: int = SIZE, seed: int = SEED) -> torch.Tensor:
    """The photo crops both sides corrupt, rounded to 8 bits: (n, 3, size, size) in [0, 1]."""
    from tutorial_lib.core.data import photo_crops

    return (photo_crops(n, size, channels=3, seed=seed) * 255).round() / 255


def _worker_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": ""}


def _save_images(x: torch.Tensor, tmp: str) -> tuple[Path, Path]:
    """Write the worker script and the 8-bit HWC images it reads to ``tmp``; return both paths."""
    script, path = Path(tmp) / "worker.py", Path(tmp) / "imgs.npy"
    script.write_text(WORKER)
    np.save(path, (x * 255).round().byte().permute(0, 2, 3, 1).numpy())
    return script, path


def run_reference(py: Path, x: torch.Tensor, names: list[str],
                  severities: list[int]) -> dict[str, list[float]]:
    """Strength of imagecorruptions on ``x``, run in its venv: {kit name: [mean |delta| per sev]}."""
    with tempfile.TemporaryDirectory() as tmp:
        script, path = _save_images(x, tmp)
        ic = [IC_NAMES.get(n, n) for n in names]
        res = subprocess.run([str(py), str(script), "strength", str(path), ",".join(ic),
                              ",".join(map(str, severities))],
                             check=False, capture_output=True, text=True, env=_worker_env())
        if res.returncode:
            raise RuntimeError(f"imagecorruptions worker failed:\n{res.stderr[-3000:]}")
        out = json.loads(res.stdout.strip().splitlines()[-1])
    return {n: out[IC_NAMES.get(n, n)] for n in names}


@contextmanager
def reference_timer(py: Path, x: torch.Tensor) -> Iterator[Callable[..., float]]:
    """imagecorruptions kept running in its venv (one thread) on the 8-bit pixels of ``x``, so that
    its timings can alternate with the kit's. Yields ``best_time(name, severity, n)``: its best
    wall time over ``n`` passes through the batch (one ``corrupt`` call per image, as it works)."""
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "stderr.txt", "w+") as err:
        script, path = _save_images(x, tmp)
        proc = subprocess.Popen([str(py), str(script), "serve", str(path)], text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                env=_worker_env())  # stderr to a file: a full pipe would block

        def best_time(name: str, severity: int, n: int = 1) -> float:
            proc.stdin.write(f"{IC_NAMES.get(name, name)} {severity} {n}\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                err.seek(0)
                raise RuntimeError(f"imagecorruptions worker failed:\n{err.read()[-3000:]}")
            return float(line)

        try:
            yield best_time
        finally:
            proc.stdin.close()
            proc.wait()


def kit_strength(x: torch.Tensor, names: list[str] | None = None) -> dict[str, list[float]]:
    """Mean |corrupted - clean| of the kit's full-profile corruptions, per family and severity
    (seeded per family and severity, so the test recomputes the same numbers)."""
    from tutorial_lib.evaluation import corruptions as C

    out = {}
    for j, name in enumerate(names or C.ALL_CORRUPTIONS):
        out[name] = [(C.corrupt(x, name, s, torch.Generator().manual_seed(1000 * j + s),
                                profile="full") - x).abs().mean().item() for s in range(1, 6)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--n", type=int, default=N_IMAGES)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from tutorial_lib.evaluation import corruptions as C

    names = list(C.ALL_CORRUPTIONS)
    x = crops(args.n)
    t0 = time.perf_counter()
    kit = kit_strength(x, names)
    ref = run_reference(ensure_venv(args.venv), x, names, [1, 2, 3, 4, 5])
    ratio = {n: [k / r for k, r in zip(kit[n], ref[n])] for n in names}
    table = {
        "what": "mean |corrupted - clean| (pixels in [0, 1]) per family and severity 1..5, on the "
                "same scikit-image photo crops; ratio = kit / imagecorruptions",
        "command": "python scripts/corruption_strength.py" + (f" --n {args.n}" if args.n != N_IMAGES else ""),
        "images": {"n": args.n, "size": SIZE, "seed": SEED,
                   "source": "tutorial_lib.core.data.photo_crops(n, 224, channels=3, seed), 8-bit"},
        "kit_seed": "torch.Generator().manual_seed(1000 * index in ALL_CORRUPTIONS + severity)",
        "reference": "imagecorruptions 1.1.2 (Python 3.10, numpy<2, scikit-image 0.19)",
        "torch": torch.__version__,
        "kit": kit, "imagecorruptions": ref, "ratio": ratio,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(table, indent=1) + "\n")
    print(f"{'family':15s} " + " ".join(f"  sev{s}" for s in range(1, 6)) + "   (kit / imagecorruptions)")
    for n in names:
        flag = "" if all(0.75 <= r <= 1.33 for r in ratio[n]) else "  <-- outside 0.75..1.33"
        print(f"{n:15s} " + " ".join(f"{r:6.2f}" for r in ratio[n]) + flag)
    print(f"wrote {args.out} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()

"""Build an offline stand-in for the full profile (a smoke test of its code paths, never results).

    python scripts/make_standin.py /tmp/frfm-standin
    export FRFM_DATA_DIR=/tmp/frfm-standin/data FRFM_WEIGHTS_DIR=/tmp/frfm-standin/weights \
           HF_HUB_OFFLINE=1 FRFM_PROFILE=full

It writes, all labelled STAND-IN:
- data/val/<wnid>/*.JPEG: crops of scikit-image's photos under real ImageNet wnids (the photo's
  subject where one fits, e.g. chelsea -> tabby cat), 224+ px;
- data/cifar10/cifar-10-batches-py/: CIFAR-10-shaped pickles of 32-px photo crops, 10 labels;
- data/imagenet-r/, data/imagenet-a/, data/bg_challenge/: the same photos as stand-ins for the
  shift benchmarks of notebook 11 (with a stand-in ImageNet-9 class map, not the real one);
- weights/<timm name>.safetensors: RANDOM-INIT weights of the full profile's timm models, so the
  models build offline. Every accuracy computed with them is chance level by construction.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

# scikit-image photo -> a real ImageNet-1k wnid for what it shows (or the nearest class)
PHOTO_WNIDS = {"chelsea": "n02123045", "coffee": "n07920052", "rocket": "n04266014",
               "astronaut": "n04591713", "camera": "n04069434", "hubble_deep_field": "n09246464",
               "immunohistochemistry": "n03063599", "horse": "n02389026",
               "clock": "n04548280"}


def write_folder(root: Path, per_class: int, size: int = 256, seed: int = 0) -> int:
    import skimage.data
    from PIL import Image

    rng = np.random.default_rng(seed)
    count = 0
    for photo, wnid in PHOTO_WNIDS.items():
        img = np.asarray(getattr(skimage.data, photo)())
        if img.dtype != np.uint8:
            img = (255 * img.astype(float) / max(1.0, float(img.max()))).astype(np.uint8)
        if img.ndim == 2:
            img = np.stack([img] * 3, -1)
        h, w = img.shape[:2]
        side = min(h, w, max(size, int(0.8 * min(h, w))))
        folder = root / "val" / wnid
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
            crop = Image.fromarray(img[top:top + side, left:left + side, :3].astype(np.uint8))
            crop.resize((size, size)).save(folder / f"STANDIN_{photo}_{k}.JPEG", quality=90)
            count += 1
    return count


IN9_CLASSES = ("00_dog", "01_bird", "02_wheeled vehicle", "03_reptile", "04_carnivore", "05_insect",
               "06_musical instrument", "07_primate", "08_fish")
IN9_VARIANTS = ("original", "only_fg", "mixed_same", "mixed_rand", "mixed_next", "only_bg_t", "no_fg",
                "only_bg_b")


def write_shift_folders(root: Path, per_class: int = 2, size: int = 256, seed: int = 1) -> None:
    """STAND-IN folders for the three ImageNet shifts of notebook 11, all made of the same photos:
    imagenet-r/<wnid>/ (greyscale, posterised: a crude "rendition"), imagenet-a/<wnid>/ (other
    crops), and bg_challenge/<variant>/val/<NN_class>/ with a stand-in ``in_to_in9.json``
    (ImageNet index c * 100 .. c * 100 + 49 -> class c, every other index -1; NOT the real map)."""
    import json

    from PIL import Image, ImageOps

    tmp = root / "_photos"
    write_folder(tmp, per_class, size, seed)
    files = sorted((tmp / "val").glob("*/*.JPEG"))
    for kind in ("imagenet-r", "imagenet-a"):
        for f in files:
            out = root / kind / f.parent.name / f.name
            out.parent.mkdir(parents=True, exist_ok=True)
            img = Image.open(f).convert("RGB")
            if kind == "imagenet-r":
                img = ImageOps.posterize(ImageOps.grayscale(img), 2).convert("RGB")
            else:
                img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            img.save(out, quality=90)
    bg = root / "bg_challenge"
    for variant in IN9_VARIANTS:
        for c, name in enumerate(IN9_CLASSES):
            folder = bg / variant / "val" / name
            folder.mkdir(parents=True, exist_ok=True)
            for k in range(per_class):
                f = files[(c * per_class + k) % len(files)]
                Image.open(f).convert("RGB").save(folder / f"STANDIN_{variant}_{k}.JPEG", quality=90)
    (bg / "in_to_in9.json").write_text(json.dumps(
        {str(i): (i // 100 if i % 100 < 50 and i // 100 < 9 else -1) for i in range(1000)}))
    for folder in (root / "imagenet-r", root / "imagenet-a", bg):
        (folder / "STAND-IN.txt").write_text("STAND-IN: scikit-image photo crops, not the benchmark; "
                                             "a smoke test of code paths, never results.\n")
    import shutil

    shutil.rmtree(tmp)


def write_cifar(root: Path, n_train: int, n_test: int, seed: int = 0) -> None:
    from tutorial_lib.core.data import photo_crops

    folder = root / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    x = (photo_crops(n_train + n_test, size=32, channels=3, seed=seed) * 255).round().byte()
    flat = x.reshape(len(x), -1).numpy()
    labels = (np.arange(len(x)) % 10).tolist()
    per = -(-n_train // 5)
    for i in range(5):
        sl = slice(i * per, min(n_train, (i + 1) * per))
        with open(folder / f"data_batch_{i + 1}", "wb") as f:
            pickle.dump({"batch_label": f"STAND-IN training batch {i + 1}", "data": flat[sl],
                         "labels": labels[sl]}, f)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({"batch_label": "STAND-IN test batch", "data": flat[n_train:],
                     "labels": labels[n_train:]}, f)


def write_weights(root: Path, names: list[str]) -> None:
    import timm
    from safetensors.torch import save_file

    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        torch.manual_seed(0)
        net = timm.create_model(name, pretrained=False)
        save_file({k: v.contiguous() for k, v in net.state_dict().items()},
                  str(root / f"{name}.safetensors"))


MODELS = ["vit_small_patch16_224", "resnet50"]


def build(out: Path, per_class: int = 4, models: list[str] | None = None) -> int:
    """Write the whole stand-in under ``out`` (data/ and weights/); returns the number of photos."""
    models = MODELS if models is None else models
    n = write_folder(out / "data", per_class)
    write_shift_folders(out / "data")
    write_cifar(out / "data", n_train=500, n_test=100)
    write_weights(out / "weights", models)
    (out / "STAND-IN.txt").write_text(
        "Offline stand-in for the full profile: photo crops under real wnids, CIFAR-10-shaped "
        "photo crops, RANDOM-INIT weights. A smoke test of code paths; never results.\n")
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--per-class", type=int, default=4)
    ap.add_argument("--models", nargs="+", default=MODELS)
    args = ap.parse_args()
    n = build(args.out, args.per_class, args.models)
    print(f"{n} images under {args.out / 'data' / 'val'}; CIFAR-shaped batches; weights for "
          f"{', '.join(args.models)}.\nexport FRFM_DATA_DIR={args.out / 'data'} "
          f"FRFM_WEIGHTS_DIR={args.out / 'weights'} HF_HUB_OFFLINE=1 FRFM_PROFILE=full FRFM_SMOKE=1")


if __name__ == "__main__":
    main()

"""Real datasets, found from any working directory, with sha256-checked files under ``data/``.

Quick profile (offline): ``digits`` — the 1,797 real handwritten-digit scans that ship with
scikit-learn, upsampled to 32x32 — and ``photos`` — the real photographs that ship inside
scikit-image. Full profile: ``cifar10`` (torchvision) and ``imagenet`` (an ImageNet-style folder,
e.g. ImageNet val or Imagenette, given by ``$FRFM_DATA_DIR``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT_ENV = "FRFM_ROOT"
DATA_DIR_ENV = "FRFM_DATA_DIR"
DATASETS = ("digits", "photos", "cifar10", "imagenet")
DIGIT_SPLITS = {"train": 1200, "val": 200, "test": 397}  # sizes; "trainval" = train + val
# Real photos that ship inside scikit-image (no download needed).
PHOTO_NAMES = ("astronaut", "camera", "chelsea", "coffee", "rocket", "horse", "coins", "moon",
               "brick", "grass", "gravel", "clock", "text", "page", "hubble_deep_field",
               "immunohistochemistry")


# ----------------------------------------------------------------------------- files and hashes
def repo_root() -> Path:
    """The kit's checkout (the folder holding ``data/``), wherever the kernel was started.

    Order: ``$FRFM_ROOT``; the folder above this package; the current folder and its parents.
    """
    candidates: list[Path] = []
    if os.environ.get(ROOT_ENV):
        candidates.append(Path(os.environ[ROOT_ENV]).expanduser())
    candidates.append(Path(__file__).resolve().parents[2])
    cwd = Path.cwd().resolve()
    candidates += [cwd, *cwd.parents]
    for c in candidates:
        if (c / "data" / "SHA256SUMS").is_file():
            return c
    raise FileNotFoundError(
        "Could not find the kit's data/ folder (with data/SHA256SUMS). Run from inside a clone of "
        f"the kit, or set {ROOT_ENV}=/path/to/your/clone."
    )


def data_path(relative: str | Path) -> Path:
    """Absolute path of a file under the kit's ``data/`` folder (it need not exist yet)."""
    return repo_root() / "data" / relative


def sha256(path: str | Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sums_file() -> Path:
    return data_path("SHA256SUMS")


def recorded_sha256() -> dict[str, str]:
    """``{path relative to data/: sha256}`` as recorded in ``data/SHA256SUMS``."""
    out = {}
    for line in _sums_file().read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            out[name.strip().lstrip("*")] = digest
    return out


def record_sha256(relative: str | Path) -> str:
    """Write (or replace) the sha256 line of ``data/<relative>`` in ``data/SHA256SUMS``."""
    rel = Path(relative).as_posix()
    digest = sha256(data_path(rel))
    sums = recorded_sha256()
    sums[rel] = digest
    body = "".join(f"{d}  {n}\n" for n, d in sorted(sums.items()))
    _sums_file().write_text(body)
    return digest


def write_csv(relative: str | Path, rows: list[dict], digits: int = 4) -> Path:
    """Write ``rows`` (dicts with the same keys) to ``data/<relative>`` as CSV, floats rounded."""
    import csv

    path = data_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({k: round(v, digits) if isinstance(v, float) else v for k, v in r.items()}
                    for r in rows)
    return path


def verified_path(relative: str | Path) -> Path:
    """Path of ``data/<relative>`` after checking it exists and matches ``data/SHA256SUMS``."""
    rel = Path(relative).as_posix()
    path = data_path(rel)
    if not path.is_file():
        raise FileNotFoundError(f"Missing data file data/{rel}. Restore it with "
                                f"`git checkout -- data/{rel}` or regenerate it with its script.")
    expected = recorded_sha256().get(rel)
    if expected is None:
        raise KeyError(f"data/{rel} has no line in data/SHA256SUMS; record it with "
                       f"tutorial_lib.core.data.record_sha256({rel!r}).")
    actual = sha256(path)
    if actual != expected:
        raise ValueError(f"data/{rel} does not match data/SHA256SUMS (sha256 {actual[:12]}… != "
                         f"{expected[:12]}…): the file is corrupt or was changed. Restore it with "
                         f"`git checkout -- data/{rel}`, or delete it to regenerate it.")
    return path


# ----------------------------------------------------------------------------- digits
def _digit_split_indices(seed: int = 0) -> dict[str, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(1797)
    n_test, n_val = DIGIT_SPLITS["test"], DIGIT_SPLITS["val"]
    idx = {"test": perm[:n_test], "val": perm[n_test:n_test + n_val],
           "train": perm[n_test + n_val:]}
    idx["trainval"] = np.concatenate([idx["train"], idx["val"]])
    return idx


def load_digits_tensors(split: str, size: int = 32, classes: Iterable[int] | None = None,
                        seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """sklearn's real 8x8 digit scans as (N, 1, size, size) floats in [0, 1] and int64 labels.

    The split (train 1,200 / val 200 / test 397, or trainval) is fixed by ``seed``;
    ``classes`` keeps only those digits (labels are left as they are).
    """
    from sklearn.datasets import load_digits

    idx = _digit_split_indices(seed)
    if split not in idx:
        raise ValueError(f"Unknown digits split {split!r}; use one of {sorted(idx)}.")
    bunch = load_digits()
    x = torch.tensor(bunch.images[idx[split]], dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(bunch.target[idx[split]], dtype=torch.int64)
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = x.clamp(0, 1)
    if classes is not None:
        keep = torch.isin(y, torch.tensor(list(classes)))
        x, y = x[keep], y[keep]
    return x.contiguous(), y


# ----------------------------------------------------------------------------- photos
def _photo_array(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    img = img.astype(np.float32) / (255.0 if img.dtype == np.uint8 else max(1.0, float(img.max())))
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return img[..., :3]


def _to_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    if channels == 1:  # ITU-R 601 luma, as PIL's "L" mode
        w = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype).view(1, 3, 1, 1)
        return (x * w).sum(1, keepdim=True)
    if channels != 3:
        raise ValueError(f"channels must be 1 or 3, got {channels}.")
    return x


def load_photos(size: int = 32, channels: int = 3,
                names: Iterable[str] = PHOTO_NAMES) -> tuple[torch.Tensor, list[str]]:
    """scikit-image's sample photographs, centre-cropped square and resized: (N, C, size, size)."""
    out = []
    names = list(names)
    for name in names:
        t = torch.from_numpy(_photo_array(name)).permute(2, 0, 1)
        s = min(t.shape[1:])
        top, left = (t.shape[1] - s) // 2, (t.shape[2] - s) // 2
        t = t[:, top:top + s, left:left + s].unsqueeze(0)
        out.append(F.interpolate(t, size=(size, size), mode="bilinear", antialias=True,
                                 align_corners=False))
    return _to_channels(torch.cat(out), channels).clamp(0, 1), names


def photo_crops(n: int, size: int = 32, channels: int = 1, seed: int = 0,
                min_frac: float = 0.15, max_frac: float = 0.5) -> torch.Tensor:
    """``n`` random square crops of the scikit-image photos (a real far-OOD set for digit models).

    Each crop covers ``min_frac``..``max_frac`` of the shorter side and is resized to ``size``.
    """
    rng = np.random.default_rng(seed)
    arrays = [_photo_array(name) for name in PHOTO_NAMES]
    crops = []
    for k in range(n):
        img = arrays[k % len(arrays)]
        h, w = img.shape[:2]
        s = int(min(h, w) * rng.uniform(min_frac, max_frac))
        top, left = rng.integers(0, h - s + 1), rng.integers(0, w - s + 1)
        t = torch.from_numpy(np.ascontiguousarray(img[top:top + s, left:left + s])).permute(2, 0, 1)
        crops.append(F.interpolate(t[None], size=(size, size), mode="bilinear", antialias=True,
                                   align_corners=False))
    return _to_channels(torch.cat(crops), channels).clamp(0, 1)


# ----------------------------------------------------------------------------- full profile
def _data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or data_path("downloads")).expanduser()


def _read_cifar_batches(folder: Path, split: str) -> tuple[np.ndarray, list[int]] | None:
    """The extracted ``cifar-10-batches-py`` pickles (the format torchvision downloads)."""
    import pickle

    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    if not all((folder / n).is_file() for n in names):
        return None
    xs, ys, labels = [], [], set()
    for n in names:
        with open(folder / n, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        xs.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        ys += list(batch["labels"])
        labels.add(str(batch.get("batch_label", "")))
    if any("STAND-IN" in b for b in labels):
        print(f"[stand-in] {folder} holds a CIFAR-10-shaped stand-in, not CIFAR-10: its numbers "
              "are a smoke test, never results.")
    return np.concatenate(xs), ys


def load_cifar10(split: str, download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 as (N, 3, 32, 32) floats in [0, 1], read from
    ``$FRFM_DATA_DIR/cifar10/cifar-10-batches-py`` (downloaded there by torchvision if missing)."""
    import torchvision

    if split not in {"train", "test"}:
        raise ValueError(f"Unknown cifar10 split {split!r}; use 'train' or 'test'.")
    root = _data_dir() / "cifar10"
    found = _read_cifar_batches(root / "cifar-10-batches-py", split)
    if found is None:
        try:
            torchvision.datasets.CIFAR10(root=str(root), train=split == "train", download=download)
        except Exception as err:  # offline, or a partial download
            raise FileNotFoundError(
                f"CIFAR-10 is not in {root} and could not be downloaded ({type(err).__name__}: "
                f"{err}). The full profile needs internet once, or put the extracted "
                f"'cifar-10-batches-py' folder there (set {DATA_DIR_ENV} to choose the folder). "
                "Offline? Use FRFM_PROFILE=quick.") from err
        found = _read_cifar_batches(root / "cifar-10-batches-py", split)
    x, y = found
    return torch.from_numpy(x).float().div_(255), torch.tensor(y, dtype=torch.int64)


def load_image_folder(folder: str | Path, n: int | None = None, size: int = 224,
                      seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """A class-per-subfolder image tree: ``n`` images (all if None) in a seeded random order,
    RGB, resized to ``size * 256/224`` and centre-cropped to ``size``; labels index the sorted
    folder names, returned third."""
    import torchvision.transforms as T
    from torchvision.datasets import ImageFolder

    tf = T.Compose([T.Resize(int(size * 256 / 224)), T.CenterCrop(size), T.ToTensor()])
    try:
        ds = ImageFolder(str(folder), transform=tf)  # PIL loader: grey files come back as RGB
    except (FileNotFoundError, RuntimeError) as err:
        raise FileNotFoundError(f"{folder} holds no class folders with images ({err}).") from err
    order = np.random.default_rng(seed).permutation(len(ds))[: n or len(ds)]
    xs, ys = zip(*(ds[int(i)] for i in order))
    return torch.stack(xs), torch.tensor(ys, dtype=torch.int64), ds.classes


def data_folder(name: str, root: str | Path | None = None, what: str | None = None) -> Path:
    """``<root or $FRFM_DATA_DIR>/<name>``, or a clear error saying how to provide it."""
    base = root if root is not None else os.environ.get(DATA_DIR_ENV)
    what = what or f"the {name} benchmark"
    if not base:
        raise FileNotFoundError(
            f"The full profile reads {what} from {DATA_DIR_ENV}/{name}/; set {DATA_DIR_ENV} to the "
            "folder that holds it. Offline or no data? Use FRFM_PROFILE=quick (the offline "
            "miniature).")
    folder = Path(base).expanduser() / name
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist; download and extract {name} there "
                                f"(or point {DATA_DIR_ENV} elsewhere).")
    return folder


def load_imagenet_folder(split: str = "val", n: int | None = None, size: int = 224,
                         seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """An ImageNet-style folder (``$FRFM_DATA_DIR/<split>/<wnid>/*.JPEG``, e.g. ImageNet val or
    Imagenette), resized to 256 and centre-cropped to ``size``, labels as ImageNet-1k indices."""
    from timm.data import ImageNetInfo

    folder = data_folder(split, what=f"an ImageNet-style folder {split}/<wnid>/*.JPEG (ImageNet "
                                     "val, or Imagenette from fast.ai)")
    x, y, wnids = load_image_folder(folder, n, size, seed)
    wnid_to_index = {w: i for i, w in enumerate(ImageNetInfo().label_names())}
    unknown = [c for c in wnids if c not in wnid_to_index]
    if unknown:
        raise ValueError(f"Folders {unknown[:3]}… in {folder} are not ImageNet wnids (n0…).")
    return x, torch.tensor([wnid_to_index[w] for w in wnids])[y]


def class_names(dataset: str) -> list[str]:
    """Human-readable class names of a dataset (digits, cifar10, imagenet, photos)."""
    if dataset == "digits":
        return [str(i) for i in range(10)]
    if dataset == "photos":
        return list(PHOTO_NAMES)
    if dataset == "cifar10":
        return ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"]
    if dataset == "imagenet":
        from timm.data import ImageNetInfo

        info = ImageNetInfo()
        return [info.index_to_description(i).split(",")[0] for i in range(1000)]
    raise ValueError(f"Unknown dataset {dataset!r}; available: {', '.join(DATASETS)}.")


# ----------------------------------------------------------------------------- one entry point
def load_dataset(name: str, split: str = "test", *, size: int | None = None,
                 classes: Iterable[int] | None = None, n: int | None = None,
                 device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, C, H, W) in [0, 1] and int64 labels of a real dataset.

    ``digits`` (splits train/val/test/trainval, default size 32); ``photos`` (labels index
    ``PHOTO_NAMES``; default size 32, 3 channels); ``cifar10`` (train/test); ``imagenet``
    (an ImageNet-style folder under ``$FRFM_DATA_DIR``). ``n`` keeps the first n examples.
    """
    if name == "digits":
        x, y = load_digits_tensors(split, size=size or 32, classes=classes)
    elif name == "photos":
        x, names = load_photos(size=size or 32)
        y = torch.arange(len(names))
    elif name == "cifar10":
        x, y = load_cifar10(split)
    elif name == "imagenet":
        x, y = load_imagenet_folder(split if split != "test" else "val", n=n, size=size or 224)
    else:
        raise ValueError(f"Unknown dataset {name!r}; available: {', '.join(DATASETS)}.")
    if n is not None:
        x, y = x[:n], y[:n]
    if device is not None:
        x, y = x.to(device), y.to(device)
    return x, y

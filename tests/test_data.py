import os

import pytest
import torch

from tutorial_lib.core import data
from tutorial_lib.core.data import load_dataset


def test_digits_splits_are_fixed_disjoint_and_real():
    sizes = {s: len(load_dataset("digits", s)[0]) for s in ("train", "val", "test", "trainval")}
    assert sizes == {"train": 1200, "val": 200, "test": 397, "trainval": 1400}
    idx = data._digit_split_indices(0)
    all_idx = set(idx["train"]) | set(idx["val"]) | set(idx["test"])
    assert len(all_idx) == 1797
    x1, y1 = load_dataset("digits", "test")
    x2, y2 = load_dataset("digits", "test")
    assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_digits_shape_range_and_labels():
    x, y = load_dataset("digits", "test")
    assert x.shape == (397, 1, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert 0 <= x.min() and x.max() <= 1 and x.max() > 0.9
    assert set(y.tolist()) == set(range(10))
    # real scans: every class has distinct mean images (not noise)
    means = torch.stack([x[y == c].mean(0) for c in range(10)])
    assert torch.cdist(means.flatten(1), means.flatten(1)).fill_diagonal_(9).min() > 1.0


def test_digits_size_and_class_filter():
    x, y = load_dataset("digits", "train", size=16, classes=range(8))
    assert x.shape[1:] == (1, 16, 16) and y.max() == 7


def test_photos_are_real_and_named():
    x, y = load_dataset("photos", size=48)
    assert x.shape == (len(data.PHOTO_NAMES), 3, 48, 48) and 0 <= x.min() and x.max() <= 1
    assert x.std() > 0.1 and y.tolist() == list(range(len(data.PHOTO_NAMES)))
    crops = data.photo_crops(10, size=32, channels=1, seed=1)
    assert crops.shape == (10, 1, 32, 32)
    assert torch.equal(crops, data.photo_crops(10, size=32, channels=1, seed=1))


def test_unknown_dataset_and_split():
    with pytest.raises(ValueError, match="available: digits"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="Unknown digits split"):
        load_dataset("digits", "dev")


def test_repo_root_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (data.repo_root() / "data" / "SHA256SUMS").is_file()


def test_repo_root_env_pointing_nowhere_falls_back(tmp_path, monkeypatch):
    monkeypatch.setenv("FRFM_ROOT", str(tmp_path))
    assert (data.repo_root() / "pyproject.toml").is_file()


def test_verified_path_catches_missing_and_changed_files(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "SHA256SUMS").write_text("")
    (tmp_path / "data" / "a.bin").write_bytes(b"abc")
    monkeypatch.setattr(data, "repo_root", lambda: tmp_path)
    with pytest.raises(KeyError, match="no line in data/SHA256SUMS"):
        data.verified_path("a.bin")
    data.record_sha256("a.bin")
    assert data.verified_path("a.bin").read_bytes() == b"abc"
    (tmp_path / "data" / "a.bin").write_bytes(b"abd")
    with pytest.raises(ValueError, match="does not match"):
        data.verified_path("a.bin")
    with pytest.raises(FileNotFoundError, match="git checkout"):
        data.verified_path("missing.bin")


def test_every_shipped_data_file_matches_its_hash():
    for rel in data.recorded_sha256():
        data.verified_path(rel)


def test_full_profile_loaders_fail_early_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("FRFM_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="CIFAR-10 is not in"):
        data.load_cifar10("test", download=False)
    with pytest.raises(FileNotFoundError, match="val"):
        load_dataset("imagenet")
    monkeypatch.delenv("FRFM_DATA_DIR")
    with pytest.raises(FileNotFoundError, match="FRFM_DATA_DIR"):
        load_dataset("imagenet")


def test_imagenet_folder_loader_on_a_tiny_stand_in(tmp_path, monkeypatch):
    """The real ImageFolder path: two wnid folders of real photos saved as JPEG."""
    from PIL import Image

    photos, _ = data.load_photos(size=64, channels=3)
    for wnid, k in (("n01440764", 0), ("n01443537", 1)):
        d = tmp_path / "val" / wnid
        d.mkdir(parents=True)
        arr = (photos[k].permute(1, 2, 0).numpy() * 255).astype("uint8")
        Image.fromarray(arr).save(d / "img.JPEG")
    monkeypatch.setenv("FRFM_DATA_DIR", str(tmp_path))
    x, y = load_dataset("imagenet", size=32)
    assert x.shape == (2, 3, 32, 32) and sorted(y.tolist()) == [0, 1]
    bad = tmp_path / "val" / "cats"
    bad.mkdir()
    Image.fromarray(arr).save(bad / "x.JPEG")
    with pytest.raises(ValueError, match="not ImageNet wnids"):
        load_dataset("imagenet", size=32)
    assert os.environ["FRFM_DATA_DIR"] == str(tmp_path)

"""Notebook 01's data/model plumbing: the quick profile never touches the network; the full
profile fails early, with what to do, when its data is missing."""

import socket

import pytest

from tutorial_lib.evaluation import suite as benchmarks


def test_quick_profile_never_calls_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the quick profile tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from tutorial_lib.core.config import get_profile
    from tutorial_lib.core.models import load_model

    prof = get_profile()
    s = benchmarks.knobs()
    x, y = benchmarks.evaluation_set(s["n_corrupt"])
    assert x.shape == (s["n_corrupt"], 1, 32, 32) and len(y) == len(x)
    sets = benchmarks.ood_sets(20)
    assert set(sets) == {"in", "near", "far"}
    assert set(sets["near"].shape[1:]) == {1, 32} and len(sets["far"]) == 20
    for name in [*prof.models.values(), *benchmarks.ood_models().values()]:
        load_model(name)


def test_full_profile_fails_early_without_data(monkeypatch, tmp_path):
    monkeypatch.setenv("FRFM_PROFILE", "full")
    monkeypatch.delenv("FRFM_DATA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="FRFM_DATA_DIR.*FRFM_PROFILE=quick"):
        benchmarks.evaluation_set(10)
    monkeypatch.setenv("FRFM_DATA_DIR", str(tmp_path))  # a folder without val/
    with pytest.raises(FileNotFoundError, match="val/<wnid>"):
        benchmarks.ood_sets(10)
    assert benchmarks.ood_models() == {"vit": "vit_small_patch16_224", "cnn": "resnet50"}
    assert benchmarks.knobs()["n_attack"] > benchmarks.knobs("quick")["n_attack"]


def test_pretraining_comparison_names_what_is_missing(monkeypatch, tmp_path):
    """The ImageNet-1k vs -21k section: every missing folder is named; with none missing the
    list is empty; the comparison itself refuses to run on missing data."""
    monkeypatch.delenv("FRFM_DATA_DIR", raising=False)
    assert len(benchmarks.pretraining_missing()) == len(benchmarks.PRETRAINING_DATA)
    monkeypatch.setenv("FRFM_DATA_DIR", str(tmp_path))
    (tmp_path / "val").mkdir()
    (tmp_path / "imagenet-a").mkdir()
    missing = benchmarks.pretraining_missing()
    assert missing == ["FRFM_DATA_DIR/imagenet-r/", "FRFM_DATA_DIR/imagenet-o/"]
    with pytest.raises(FileNotFoundError, match="imagenet-r"):
        benchmarks.pretraining_comparison(4)
    for d in benchmarks.PRETRAINING_DATA:
        (tmp_path / d).mkdir(exist_ok=True)
    assert benchmarks.pretraining_missing() == []


def test_smoke_knobs_shrink_the_lesson_and_keep_every_eps_inside_the_sweep(monkeypatch):
    for profile in ("quick", "full"):
        k = benchmarks.knobs(profile)
        assert k["eps_linf_claim"] in k["eps_linf"] and k["eps_l2_claim"] in k["eps_l2"]
        assert k["patch"] in k["shifts"] and k["patch"] - 1 in k["shifts"]
        assert k["demo_eps"] in k["eps_linf"] or k["demo_eps"] <= max(k["eps_linf"])
    monkeypatch.setenv("FRFM_SMOKE", "1")
    small = benchmarks.knobs("full")
    assert small["n_attack"] < small["n_show"]  # the notebook's slider guard is exercised
    assert small["n_corrupt"] <= 8 and small["frames"] >= 2 and small["eps_linf"] == benchmarks.KNOBS["full"]["eps_linf"]

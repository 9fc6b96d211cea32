import pytest
import torch

from tutorial_lib.core import data, models, zoo
from tutorial_lib.core.fit import accuracy
from tutorial_lib.core.models import load_model


@pytest.mark.parametrize("name", ["vit_digits", "cnn_digits"])
def test_shipped_checkpoint_reaches_its_recorded_test_accuracy(name):
    """Reload the committed checkpoint (sha256-checked) and re-measure its test accuracy."""
    meta = zoo.metrics(name)
    model = load_model(name)
    assert not model.training
    x, y = data.load_dataset("digits", "test", classes=meta["classes"])
    acc = accuracy(model, x, y)
    assert abs(acc - meta["test_acc"]) <= 0.01, (acc, meta["test_acc"])


def test_the_two_models_are_comparable():
    """The tutorial compares models of similar capacity: similar size, both >= 96%, within 3 pts."""
    vit, cnn = (zoo.metrics(n) for n in ("vit_digits", "cnn_digits"))
    assert vit["test_acc"] >= 0.96 and cnn["test_acc"] >= 0.96
    assert abs(vit["test_acc"] - cnn["test_acc"]) <= 0.03
    assert 0.8 < vit["params"] / cnn["params"] < 1.25
    for m in (vit, cnn):
        assert m["train_seconds"] > 0 and "scripts/train.py" in m["command"]


def test_models_take_raw_pixels_and_say_what_is_wrong():
    model = load_model("cnn_digits")
    x, _ = data.load_dataset("digits", "test", n=4)
    assert model(x).shape == (4, 10)
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        model(torch.rand(4, 3, 32, 32))
    with pytest.raises(ValueError, match="interpolate"):
        model(torch.rand(4, 1, 28, 28))
    with pytest.raises(ValueError, match="batch dimension"):
        model(torch.rand(1, 32, 32))
    with pytest.raises(ValueError, match=r"raw pixels in \[0, 1\]"):
        model((x - 0.3) / 0.3)


def test_unknown_model_lists_the_available_ones():
    with pytest.raises(KeyError, match="vit_digits"):
        load_model("vit_huge")


def test_full_model_refused_in_quick_profile():
    with pytest.raises(ValueError, match="full-profile model"):
        load_model("resnet50")
    assert "resnet50" in models.FULL_MODELS


def test_full_model_wrapping_offline_stand_in():
    """The full-profile path with random weights (no download): shapes and timm's own mean/std."""
    model = models.build_full_model("resnet50", pretrained=False).eval()
    assert model.input_size == (3, 224, 224)
    assert torch.allclose(model.mean.flatten(), torch.tensor([0.485, 0.456, 0.406]))
    with torch.no_grad():
        assert model(torch.rand(1, 3, 224, 224)).shape == (1, 1000)


def test_full_model_download_failure_is_explained(monkeypatch):
    def offline(*a, **k):
        raise OSError("no network")
    monkeypatch.setattr(models.timm, "create_model", offline)
    with pytest.raises(RuntimeError, match="Offline\\? Use FRFM_PROFILE=quick"):
        models.build_full_model("vit_small_patch16_224")


def test_zoo_never_trains_silently_and_checks_hashes(tmp_path, monkeypatch):
    """A missing artefact is an error naming the command; train=True trains it once and records
    its hash and metrics; a corrupted file is refused."""
    (tmp_path / "data" / "checkpoints").mkdir(parents=True)
    (tmp_path / "data" / "SHA256SUMS").write_text("")
    monkeypatch.setattr(data, "repo_root", lambda: tmp_path)
    calls = []

    def build():
        torch.manual_seed(0)
        return torch.nn.Linear(3, 2)

    def train(m):
        calls.append(1)
        with torch.no_grad():
            m.weight.fill_(0.5)
        return {"test_acc": 1.0}

    monkeypatch.setitem(zoo._REGISTRY, "tiny", zoo.Artefact("tiny", train, build,
                                                          ("checkpoints/tiny.pt",)))
    with pytest.raises(FileNotFoundError, match="python scripts/train.py tiny"):
        zoo.load("tiny")
    assert calls == []
    m = zoo.load("tiny", train=True)
    assert calls == [1] and torch.all(m.weight == 0.5) and not m.training
    assert "checkpoints/tiny.pt" in data.recorded_sha256()
    m2 = zoo.load("tiny")  # now loaded, not retrained
    assert calls == [1] and torch.all(m2.weight == 0.5)
    meta = zoo.metrics("tiny")
    assert meta["params"] == 8 and meta["command"] == "python scripts/train.py tiny"
    assert meta["train_seconds"] >= 0 and meta["torch"] == torch.__version__
    (tmp_path / "data" / "checkpoints" / "tiny.pt").write_bytes(b"corrupt")
    with pytest.raises(ValueError, match="does not match"):
        zoo.load("tiny")
    with pytest.raises(KeyError, match="vit_digits"):
        zoo.load("no_such_artefact")


def test_zoo_lists_every_shipped_file_and_loads_it():
    """Every file under data/checkpoints (and every shipped table) belongs to a zoo entry, and
    every entry whose files ship loads (sha256-checked)."""
    owned = {f for n in zoo.names() for f in zoo.get(n).files}
    ckpts = {f"checkpoints/{p.name}" for p in data.data_path("checkpoints").glob("*.pt")}
    assert ckpts <= owned, ckpts - owned
    shipped = [n for n in zoo.names() if all(data.data_path(f).is_file() for f in zoo.get(n).files)]
    assert len(shipped) >= len(ckpts)
    for name in shipped:
        art = zoo.get(name)
        loaded = zoo.load(name)
        if art.kind == "checkpoint":
            assert isinstance(loaded, torch.nn.Module) and not loaded.training
        else:
            assert all(p.is_file() for p in loaded.values())
        assert zoo.metrics(name).get("command") == f"python scripts/train.py {name}", name


def test_full_model_weights_from_a_local_folder(tmp_path, monkeypatch):
    """FRFM_WEIGHTS_DIR/<timm name>.safetensors is used before the hub (offline), and a miss names
    both places."""
    from safetensors.torch import save_file

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ref = models.timm.create_model("test_vit", pretrained=False)
    with torch.no_grad():
        next(ref.parameters()).add_(1.0)  # weights the default init would not give
    save_file(ref.state_dict(), str(tmp_path / "test_vit.safetensors"))
    monkeypatch.setenv("FRFM_WEIGHTS_DIR", str(tmp_path))
    model = models.build_full_model("test_vit")
    assert all(torch.equal(a, b) for a, b in zip(ref.state_dict().values(),
                                                  model.net.state_dict().values()))
    monkeypatch.setenv("FRFM_WEIGHTS_DIR", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="FRFM_WEIGHTS_DIR/test_vit.safetensors.*Hugging Face"):
        models.build_full_model("test_vit")

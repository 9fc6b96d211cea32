"""The zoo: one registry of every artefact the kit ships (checkpoints and tables).

A lesson registers each artefact next to the function that trains it::

    @zoo.register("cnn_digits", build=build_cnn_digits)
    def train_cnn_digits(model): ...          # trains ``model`` in place, returns its metrics

    @zoo.register("line_models", files=("line/line_models.csv", "line/line_models.json"))
    def make_line_table(): ...                 # a table: writes its files, returns metrics

Public API (notebooks, scripts and tests alike): :func:`names`, :func:`load`, :func:`train`.
``load`` checks the sha256 in ``data/SHA256SUMS`` and never trains silently: a missing file is a
clear error naming ``python scripts/train.py NAME`` (or pass ``train=True``).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from . import data


@dataclass(frozen=True)
class Artefact:
    name: str
    train: Callable  # checkpoint: train(model) -> metrics; table: train() -> metrics
    build: Callable[[], nn.Module] | None = None  # None for a table
    files: tuple[str, ...] = ()  # paths under data/
    description: str = ""

    @property
    def kind(self) -> str:
        return "checkpoint" if self.build is not None else "table"


_REGISTRY: dict[str, Artefact] = {}
_SCANNED = False


def register(name: str, build: Callable[[], nn.Module] | None = None,
             files: tuple[str, ...] | None = None, description: str = "",
             train: Callable | None = None):
    """Register an artefact. Use as a decorator on its training function, or pass ``train=``.

    With ``build`` it is a checkpoint (``data/checkpoints/NAME.pt`` + ``NAME.json``); without, a
    table whose ``files`` (paths under ``data/``) the training function writes.
    """
    if build is None and not files:
        raise ValueError(f"{name}: a table artefact needs files=(...); a checkpoint needs build=")

    def deco(fn: Callable) -> Callable:
        if name in _REGISTRY and _REGISTRY[name].train.__qualname__ != fn.__qualname__:
            raise ValueError(f"zoo name {name!r} is registered twice")
        paths = tuple(files) if files else (f"checkpoints/{name}.pt",)
        _REGISTRY[name] = Artefact(name, fn, build, paths, description or (fn.__doc__ or "").strip())
        return fn

    return deco(train) if train is not None else deco


def _scan() -> None:
    """Import every module of the kit once, so every registration has run."""
    global _SCANNED
    if _SCANNED:
        return
    _SCANNED = True
    import tutorial_lib

    for mod in pkgutil.walk_packages(tutorial_lib.__path__, "tutorial_lib."):
        if not mod.name.endswith(".solutions"):
            importlib.import_module(mod.name)


def names() -> list[str]:
    """Every registered artefact's name, sorted."""
    _scan()
    return sorted(_REGISTRY)


def get(name: str) -> Artefact:
    """The registry entry, or a ``KeyError`` listing the valid names."""
    if name not in _REGISTRY:
        _scan()
    if name not in _REGISTRY:
        raise KeyError(f"Unknown zoo artefact {name!r}. Known: {', '.join(names())}")
    return _REGISTRY[name]


def command(name: str) -> str:
    """The command that rebuilds an artefact."""
    return f"python scripts/train.py {name}"


def metrics_path(name: str) -> Path:
    """Where an artefact's metrics live: ``data/checkpoints/NAME.json`` for a checkpoint, or
    ``NAME.json`` beside a table's first file."""
    art = get(name)
    return data.data_path(Path(art.files[0]).with_name(f"{name}.json"))


def metrics(name: str) -> dict:
    """The metrics recorded for an artefact (command, wall time, versions, results), or {}."""
    path = metrics_path(name)
    return json.loads(path.read_text()) if path.is_file() else {}


def _missing(art: Artefact) -> str | None:
    for rel in art.files:
        if not data.data_path(rel).is_file():
            return rel
    return None


def load(name: str, device: torch.device | str | None = None, train: bool = False):
    """A checkpoint as an eval-mode module on ``device``; a table as ``{file: verified Path}``.

    The sha256 of every file is checked. A missing file raises ``FileNotFoundError`` naming the
    command that rebuilds it, unless ``train=True`` (then it is trained and saved first).
    """
    art = get(name)
    gone = _missing(art)
    if gone is not None:
        took = metrics(name).get("train_seconds")
        est = f" (took {took:.0f} s on the machine that made it)" if took else ""
        if not train:
            raise FileNotFoundError(
                f"data/{gone} is missing. Rebuild it with `{command(name)}`{est}, or call "
                f"tutorial_lib.zoo.load({name!r}, train=True).")
        print(f"{name}: data/{gone} is missing, training it now{est}.", file=sys.stderr)
        train_artefact(name)
    if art.kind == "table":
        return {rel: data.verified_path(rel) for rel in art.files}
    model = art.build()
    state = torch.load(data.verified_path(art.files[0]), map_location="cpu", weights_only=True)
    model.load_state_dict(state["state_dict"])
    model.eval()
    return model.to(device) if device is not None else model


def _write_metrics(name: str, info: dict) -> None:
    import timm

    meta = {**info, "torch": torch.__version__, "timm": timm.__version__,
            "python": platform.python_version(), "threads": torch.get_num_threads()}
    metrics_path(name).write_text(json.dumps(meta, indent=2) + "\n")


def train(name: str) -> dict:
    """Run an artefact's registered training, write its files and hashes; returns its metrics.

    Every metrics record gets the rebuilding command and the wall time, in this one place.
    """
    art = get(name)
    t0 = time.perf_counter()
    if art.kind == "checkpoint":
        model = art.build()
        info = dict(art.train(model) or {})
    else:
        model, info = None, dict(art.train() or {})
    info.setdefault("command", command(name))
    info["train_seconds"] = round(time.perf_counter() - t0, 1)
    if model is not None:
        path = data.data_path(art.files[0])
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"name": name, "state_dict": model.state_dict()}, path)
        info["params"] = sum(p.numel() for p in model.parameters())
    for rel in art.files:
        data.record_sha256(rel)
    _write_metrics(name, info)
    return info


train_artefact = train  # the same function, callable inside load(), whose flag is named ``train``

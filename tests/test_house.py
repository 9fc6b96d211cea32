"""The house rules of tutorial_lib, checked on the source itself.

- no import cycle between the kit's modules (lazy imports inside functions count too);
- a tutorial part imports from ``tutorial_lib.core`` and from itself only; core imports no part;
- no private name (``_x``) is imported from another module, nor by a notebook;
- every module with knobs has ``KNOBS = {"quick": ..., "full": ...}`` with the same keys and a
  ``knobs(profile)`` that returns a copy.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import tutorial_lib

ROOT = Path(tutorial_lib.__file__).resolve().parent
PARTS = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "core")


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        out[name] = path
    return out


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, imported names) for every import statement, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            found.append((base, [a.name for a in node.names]))
    return found


def _edges() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for target, names in _imports(name, path):
            for cand in [f"{target}.{n}" for n in names] + [target]:
                if cand in mods and cand != name:
                    graph[name].add(cand)
                    break
    return graph


def test_no_import_cycle_inside_tutorial_lib():
    graph = _edges()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if n.startswith(m + ".") or m.startswith(n + "."):
                continue  # a package and its own submodules
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_cycle_detector_finds_a_cycle(tmp_path, monkeypatch):
    """The check above can fail: a two-module cycle written to a temporary package is caught."""
    pkg = tmp_path / "tutorial_lib"
    (pkg / "core").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "core" / "__init__.py").write_text("")
    (pkg / "core" / "a.py").write_text("from tutorial_lib.core import b\n")
    (pkg / "core" / "b.py").write_text("def f():\n    from tutorial_lib.core.a import x\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", pkg)
    with pytest.raises(pytest.fail.Exception, match="import cycle"):
        test_no_import_cycle_inside_tutorial_lib()


def test_a_part_depends_on_core_only():
    bad = []
    for name, path in _modules().items():
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in PARTS:
            continue
        for target, _ in _imports(name, path):
            t = target.split(".")
            if t[0] == "tutorial_lib" and len(t) > 1 and t[1] not in ("core", parts[1]):
                bad.append(f"{name} imports {target}")
    assert not bad, bad


def test_core_depends_on_no_part():
    bad = [f"{name} imports {target}" for name, path in _modules().items()
           if name.startswith("tutorial_lib.core")
           for target, _ in _imports(name, path)
           if target.split(".")[:2][-1] in PARTS and target.startswith("tutorial_lib.")]
    assert not bad, bad


def test_no_private_name_crosses_a_module_boundary():
    bad = []
    sources = dict(_modules())
    nb_dir = ROOT.parent / "notebooks"
    sources.update({f"notebooks.{p.stem}": p for p in nb_dir.glob("*.py")})
    tests_dir = ROOT.parent / "tests"
    sources.update({f"tests.{p.stem}": p for p in tests_dir.glob("test_*.py")})
    for name, path in sources.items():
        for target, names in _imports(name, path):
            if target.startswith("tutorial_lib"):
                bad += [f"{name}: from {target} import {n}" for n in names
                        if n.startswith("_") and not n.startswith("__")]
    assert not bad, bad


def _knob_modules():
    for mod in pkgutil.walk_packages(tutorial_lib.__path__, "tutorial_lib."):
        m = importlib.import_module(mod.name)
        if hasattr(m, "KNOBS") or hasattr(m, "knobs"):
            yield m


@pytest.mark.parametrize("module", list(_knob_modules()), ids=lambda m: m.__name__)
def test_every_module_with_knobs_follows_the_convention(module):
    assert isinstance(module.KNOBS, dict) and set(module.KNOBS) - {"smoke"} == {"quick", "full"}, module
    assert set(module.KNOBS["quick"]) == set(module.KNOBS["full"]), (
        set(module.KNOBS["quick"]) ^ set(module.KNOBS["full"]))
    assert set(module.KNOBS.get("smoke", {})) <= set(module.KNOBS["full"]), module
    for profile in ("quick", "full"):
        k = module.knobs(profile)
        assert k == module.KNOBS[profile]
        k[next(iter(k))] = "changed"  # a copy: the table itself is untouched
        assert module.KNOBS[profile] != k


def test_unknown_profile_in_knobs_is_a_clear_error():
    from tutorial_lib.transfer import lpft

    with pytest.raises(ValueError, match="Valid profiles"):
        lpft.knobs("medium")


def test_smoke_switch_shrinks_sizes_and_overlays_smoke_knobs(monkeypatch):
    from tutorial_lib.core import config

    table = {"quick": {"n": 100, "k": 3}, "full": {"n": 5000, "k": 7}, "smoke": {"n": 4}}
    monkeypatch.delenv(config.SMOKE_ENV, raising=False)
    assert config.pick_knobs(table, "full") == {"n": 5000, "k": 7}
    assert not config.get_profile("full").smoke
    monkeypatch.setenv(config.SMOKE_ENV, "1")
    prof = config.get_profile("full")
    assert prof.smoke and prof.n_eval == 8 and prof.epochs == 1 and prof.attack_steps == 2
    assert config.pick_knobs(table, "full") == {"n": 4, "k": 7}
    assert config.pick_knobs(table, "quick") == {"n": 4, "k": 3}
    with pytest.raises(KeyError, match="not knobs"):
        config.pick_knobs({"quick": {"n": 1}, "full": {"n": 2}, "smoke": {"typo": 1}}, "full")


def test_smoke_run_never_writes_the_ledger(monkeypatch):
    from tutorial_lib.core import config, verdict

    monkeypatch.setenv(config.SMOKE_ENV, "1")
    monkeypatch.setenv(verdict.WRITE_ENV, "1")
    with pytest.raises(RuntimeError, match="never writes the claims ledger"):
        verdict.claim(id="xx-smoke", notebook="xx", claim="c", source="s", effect=0.1,
                      interval=(0.0, 0.2), n=10)

"""Obfuscations keep behaviour: adversarial probe functions, and a property test by execution on
>= 500 real functions of the shipped data set (positional and keyword calls, generated inputs).

A transform that could change behaviour must *refuse* (no site / ValueError); the test never
filters a function or a variant out because the transform broke it.
"""

import __future__

import ast
import builtins
import copy
import enum
import functools
import io
import os
import random
import signal
import symtable
import sys

import pytest

from tutorial_lib.code import obfuscate as ob
from tutorial_lib.code.dataset import load_functions

FRESH = [f"zq{i}v" for i in range(400)]


# ----------------------------------------------------------------------------- the harness
class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def _canon(x, depth=0):
    """A comparable, address-free summary of a value (generators consumed up to 20 items)."""
    if depth > 4:
        return type(x).__name__
    if x is None or isinstance(x, (bool, int, str, bytes)):
        return (type(x).__name__, x)
    if isinstance(x, float):
        return ("float", repr(x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_canon(v, depth + 1) for v in x])
    if isinstance(x, dict):
        return ("dict", sorted((repr(_canon(k, depth + 1)), _canon(v, depth + 1)) for k, v in x.items()))
    if isinstance(x, (set, frozenset)):
        return (type(x).__name__, sorted(repr(_canon(v, depth + 1)) for v in x))
    if hasattr(x, "__next__"):
        items = []
        try:
            for _ in range(20):
                items.append(_canon(next(x), depth + 1))
        except StopIteration:
            pass
        except Exception as err:  # noqa: BLE001
            items.append(("raised", type(err).__name__))
        return ("iterator", items)
    if isinstance(x, enum.EnumMeta):
        return ("enum", [m.name for m in x])
    return type(x).__name__


def _call(fn, args, kwargs, undo: dict[str, str], limit: float):
    """("ok", value, args after, kwargs after) or ("raised", type, message) or ("timeout",)."""
    args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                out = ("ok", _canon(fn(*args, **kwargs)), _canon(list(args)), _canon(kwargs))
            except _Timeout:
                raise
            except Exception as err:  # noqa: BLE001  (the exception is part of the behaviour)
                msg = str(err)
                for new, old in undo.items():
                    msg = msg.replace(new, old)
                out = ("raised", type(err).__name__, msg)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Timeout:
        return ("timeout",)
    return out


def _define(source: str, env: dict):
    env = dict(env)
    flags = __future__.annotations.compiler_flag  # annotations stay strings (as in most packages)
    exec(compile(source, "<variant>", "exec", flags=flags), env)  # noqa: S102  (kit-made variants of shipped code)
    return env[ast.parse(source).body[0].name]


def variants(src: str, parameters: bool = False) -> list[tuple[str, str, dict]]:
    """(label, source, {new: old}) for every transform of ``src``: each rename site, all renames
    together, dead code before every statement (three kinds), True/False, everything at once."""
    taken = ob.identifiers(src)
    fresh = iter(f for f in FRESH if f not in taken)
    out = []
    sites = ob.rename_sites(src, parameters=parameters)
    all_map = {}
    for s in sites:
        new = next(fresh)
        all_map[s] = new
        out.append((f"rename {s}", ob.rename(src, s, new, parameters=parameters), {new: s}))
    renamed = src
    if len(sites) > 1:
        renamed = ob.rename_many(src, all_map, parameters=parameters)
        out.append(("rename all", renamed, {v: k for k, v in all_map.items()}))
    lines = ob.insert_lines(src)
    for kind in ob.DEAD_KINDS:
        if lines:
            ins = {ln: ob.dead_statement(next(fresh), kind) for ln in lines}
            out.append((f"insert {kind} x{len(lines)}", ob.insert_many(src, ins), {}))
    out.append(("true/false", ob.replace_true_false(src), {}))
    both = renamed
    if lines:
        both = ob.insert_many(renamed, {ln: ob.dead_statement(next(fresh), "if_false") for ln in lines})
    out.append(("everything", ob.replace_true_false(both), {v: k for k, v in all_map.items()}))
    return out


def _calls(src: str, inputs: list[tuple]) -> list[tuple[tuple, dict]]:
    """Each input as a positional call and as a keyword call (keyword-only parameters always by
    keyword, positional-only always by position)."""
    a = ast.parse(src).body[0].args
    pos_only = [x.arg for x in a.posonlyargs]
    normal = [x.arg for x in a.args]
    kw_only = [x.arg for x in a.kwonlyargs]
    out = []
    for vals in inputs:
        n1, n2 = len(pos_only), len(pos_only) + len(normal)
        kw = dict(zip(kw_only, vals[n2:]))
        out.append((tuple(vals[:n2]), kw))
        out.append((tuple(vals[:n1]), {**dict(zip(normal, vals[n1:n2])), **kw}))
    return out


def _originals(src, calls, limit=0.05):
    orig = _define(src, {"__builtins__": builtins, "__name__": "prop"})
    return [_call(orig, args, kw, {}, limit) for args, kw in calls]


def behaviour_mismatches(src: str, env: dict, calls, parameters: bool = False, limit: float = 0.05):
    """(variants checked, executions, [(label, call, original, variant)]) for every transform."""
    orig = _define(src, env)
    want = [_call(orig, args, kw, {}, limit) for args, kw in calls]
    bad, n_var, n_exec = [], 0, 0
    for label, vsrc, undo in variants(src, parameters=parameters):
        n_var += 1
        fn = _define(vsrc, env)
        for (args, kw), w in zip(calls, want):
            if w[0] == "timeout":
                continue
            got = _call(fn, args, kw, undo, max(1.0, 10 * limit))
            n_exec += 1
            if got != w:
                bad.append((label, (args, kw), w, got, vsrc))
    return n_var, n_exec, bad


# ----------------------------------------------------------------------------- probes
_cache = {}
size = 4


class Config:
    x = 1


PROBES = {
    # 1. keyword-only parameter: callers write factor=
    "kwonly": ("def scale(values, *, factor=2):\n    out = [v * factor for v in values]\n    return out",
               [(([1, 2],), {"factor": 3}), (([1],), {})]),
    # 2. same-name default, evaluated in the enclosing scope
    "same_default": ("def lookup(key, _cache=_cache):\n    hit = _cache.get(key)\n    if hit is None:\n"  # noqa: ISC004
                     "        hit = _cache[key] = len(str(key))\n    return hit", [(("ab",), {}), ((3,), {})]),
    # 3. frame introspection
    "getframe": ("def peek(a):\n    total = a + 1\n    return sys._getframe().f_locals['total']",
                 [((2,), {})]),
    # 4. a nested class attribute read by string
    "getattr_class": ("def attr(v):\n    class Config:\n        x = v\n    return getattr(Config, 'x')",
                      [((5,), {})]),
    # 5. a class body reads the global of the same name
    "class_body": ("def bump(n):\n    x = n\n    class C:\n        y = x\n        x = 7\n    return (C.y, x)",
                   [((3,), {})]),
    # 6. locals() sees an inserted variable
    "locals": ("def snapshot(a):\n    b = a * 2\n    return sorted(locals())", [((1,), {})]),
    # 7. an insert inside a nested Enum body would create a member
    "enum": ("def colours(n):\n    class Colour(enum.Enum):\n        RED = 1\n        BLUE = 2\n"  # noqa: ISC004
             "    k = n\n    return [m.name for m in Colour][:k]", [((2,), {})]),
    # 8. `if False: yield` would make a generator
    "yield": ("def plain(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total",
              [((4,), {})]),
    # 9. a dead binding of an imported name would shadow it (UnboundLocalError)
    "shadow_import": ("def base(p):\n    name = os.path.basename(p)\n    return name", [(("/a/b.txt",), {})]),
    # 10. a decorator argument that is also a parameter name
    "decorator": ("def cached(size, x):\n    @functools.lru_cache(maxsize=size)\n    def sq(v):\n"  # noqa: ISC004
                  "        return v * v\n    return sq(x) + sq.cache_info().maxsize", [((2, 3), {})]),
    # 11. the notebook's showcase, called by keyword
    "rgb": ("def rgb_to_hsv(r, g, b):\n    maxc = max(r, g, b)\n    minc = min(r, g, b)\n    v = maxc\n"  # noqa: ISC004
            "    if minc == maxc:\n        return (0.0, 0.0, v)\n    s = (maxc - minc) / maxc\n    return (s, v)",
            [((), {"r": 0.2, "g": 0.4, "b": 0.9}), ((0.5, 0.5, 0.5), {})]),
    # 12. vars() in a format call
    "vars": ("def label(a):\n    b = a + 1\n    return '{a}-{b}'.format(**vars())", [((1,), {})]),
    # 13. eval of a string naming a local
    "eval": ("def ev(a):\n    c = a * 3\n    return eval('c + 1')", [((2,), {})]),
    # 14. a returned closure called by keyword
    "closure_kw": ("def make(k):\n    def inner(val):\n        return val * k\n    f = inner\n    return f(val=k)",
                   [((3,), {})]),
    # 15. a local named in a string another API resolves (format_map with a dict of locals)
    "string_name": ("def fmt(a):\n    count = a\n    return '%(count)s' % {'count': count}", [((4,), {})]),
    # 16. comprehension variable with the same name as a local, and a walrus binding
    "comprehension": ("def comp(vals):\n    x = 5\n    ys = [x for x in vals]\n    zs = [(y := v) for v in vals]\n"  # noqa: ISC004
                      "    return (x, ys, zs, y)", [(([1, 2],), {})]),
    # 17. nonlocal in a nested function
    "nonlocal": ("def counter(n):\n    c = 0\n    def inc():\n        nonlocal c\n        c += 1\n"  # noqa: ISC004
                 "    for _ in range(n):\n        inc()\n    return c", [((3,), {})]),
    # 18. except-as capture is deleted at the end of the handler
    "except_as": ("def safe(d):\n    err = 'none'\n    try:\n        v = d['k']\n    except KeyError as e:\n"  # noqa: ISC004
                  "        v = str(e)\n    return (v, err)", [(({},), {}), (({'k': 1},), {})]),
    # 19. identity with True/False and a match on True
    "true_false": ("def tf(v):\n    ok = v is True\n    match v:\n        case True:\n            r = 'T'\n"  # noqa: ISC004
                   "        case _:\n            r = False\n    return (ok, r, not False)", [((True,), {}), ((1,), {})]),
    # 20. a generator: inserted code may not change what is yielded
    "generator": ("def gen(n):\n    i = 0\n    while i < n:\n        yield i\n        i += 1", [((3,), {})]),
}
ENV = {**vars(builtins), "sys": sys, "os": os, "enum": enum, "functools": functools,
       "_cache": _cache, "size": size, "Config": Config, "__name__": "probe"}


@pytest.mark.parametrize("name", list(PROBES))
def test_probe_variants_behave_identically(name):
    src, calls = PROBES[name]
    n_var, n_exec, bad = behaviour_mismatches(src, ENV, calls, limit=1.0)
    assert not bad, bad[0]
    assert n_var >= 1 and n_exec >= 1


def test_probes_refuse_what_would_break():
    s = lambda k: ob.rename_sites(PROBES[k][0])
    assert "factor" not in s("kwonly") and "factor" in ob.rename_sites(PROBES["kwonly"][0], parameters=True)
    assert "_cache" not in s("same_default")
    assert s("getframe") == [] and ob.insert_lines(PROBES["getframe"][0]) == []
    assert "x" not in s("getattr_class") and "x" not in s("class_body")
    assert ob.insert_lines(PROBES["locals"][0]) == [] and ob.insert_lines(PROBES["vars"][0]) == []
    enum_src = PROBES["enum"][0]
    assert 3 not in ob.insert_lines(enum_src)  # `RED = 1` is in the class body
    with pytest.raises(ValueError, match="own scope"):
        ob.insert_dead_code(enum_src, 3)
    with pytest.raises(ValueError, match="yield"):
        ob.insert_dead_code(PROBES["yield"][0], 2, "if False:\n    yield None")
    with pytest.raises(ValueError, match="await|return"):
        ob.insert_dead_code(PROBES["yield"][0], 2, "if False:\n    return 1")
    with pytest.raises(ValueError, match="fresh"):
        ob.insert_dead_code(PROBES["shadow_import"][0], 2, "if False:\n    os = None")
    with pytest.raises(ValueError, match="fresh"):  # a builtin
        ob.insert_dead_code(PROBES["shadow_import"][0], 2, "if False:\n    len = None")
    with pytest.raises(ValueError, match="not dead"):
        ob.insert_dead_code(PROBES["shadow_import"][0], 2, "zz = print('hi')")
    assert "size" not in ob.rename_sites(PROBES["decorator"][0], parameters=True)
    top = "@functools.lru_cache(maxsize=size)\ndef cached(size, x):\n    return x * size"
    assert "size" not in ob.rename_sites(top, parameters=True)  # the decorator runs outside
    assert s("rgb") == ["maxc", "minc", "v", "s"]  # parameters r, g, b refused
    assert s("eval") == [] and "val" not in ob.rename_sites(PROBES["closure_kw"][0], parameters=True)
    assert "count" not in s("string_name") and "c" not in s("nonlocal") and "e" not in s("except_as")


def test_interface_changing_renames_are_caught_by_keyword_calls():
    """With parameters=True the harness must see the keyword calls break (the test can fail)."""
    src, calls = PROBES["rgb"]
    _, _, bad = behaviour_mismatches(src, ENV, calls, parameters=True, limit=1.0)
    assert bad and all(b[3][1] == "TypeError" for b in bad if b[0].startswith("rename ") and
                       b[0].split()[1] in "rgb")


def test_true_false_and_dead_kinds_examples():
    out = ob.replace_true_false("def f(a=True):\n    return a is not False")
    assert "True" not in out and "False" not in out and "not 0" in out
    src = "def f(a):\n    b = a\n    return b"
    for kind in ob.DEAD_KINDS:
        out = ob.insert_many(src, {2: ob.dead_statement("word", kind), 3: ob.dead_statement("other", kind)})
        assert out.count("word") == 1 and out.count("other") == 1
    with pytest.raises(ValueError, match="same name"):
        ob.insert_many(src, {2: "w = None", 3: "w = None"})
    with pytest.raises(ValueError, match="Unknown dead-code kind"):
        ob.dead_statement("w", "comment")


# ----------------------------------------------------------------------------- property test
_NOT_SIMPLE = {"open", "print", "input", "exit", "quit", "breakpoint", "help", "eval", "exec", "compile",
               "__import__", "globals", "locals", "vars", "setattr", "delattr", "memoryview", "super"}
_BUILTINS = set(dir(builtins))
POOL = [0, 1, -3, 7, 2.5, "", "abc", "a b,c", [], [1, 2, 3], [3, 1, 2], (1, 2), {"a": 1}, None, True,
        b"xy", {1, 2}, "x=1", [[1], [2, 3]], 10]


def _simple(src: str) -> bool:
    """A standalone function of 1-4 plain parameters that uses builtins only (no imports, no I/O,
    no frames)."""
    fn = ast.parse(src).body[0]
    a = fn.args
    ps = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    if not ps or len(ps) > 4 or ps[0] in ("self", "cls") or a.vararg or a.kwarg:
        return False
    if isinstance(fn, ast.AsyncFunctionDef) or any(isinstance(n, (ast.Await, ast.Import, ast.ImportFrom))
                                                   for n in ast.walk(fn)):
        return False
    try:
        table = symtable.symtable(src, "<f>", "exec")  # module level: defaults, decorators
    except SyntaxError:
        return False

    def globs(t):
        out = {s.get_name() for s in t.get_symbols() if s.is_global()}
        for c in t.get_children():
            out |= globs(c)
        return out

    g = (globs(table) | {x.get_name() for x in table.get_symbols()}) - {fn.name}
    return g <= _BUILTINS and not g & _NOT_SIMPLE


def test_property_every_transform_keeps_behaviour_on_real_functions(monkeypatch, capsys):
    """>= 500 shipped functions, 6 generated inputs each, positional and keyword calls; every
    variant of every transform executed and compared with the original."""
    recs = [r for r in load_functions("all") if _simple(r["source"])][:600]
    assert len(recs) >= 500
    old = signal.signal(signal.SIGALRM, _alarm)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # a function that reads stdin sees EOF
    stats = {"functions": 0, "variants": 0, "executions": 0, "rename_sites": 0, "refused_names": 0,
             "refused_parameters": 0, "insert_sites": 0, "no_insert": 0, "calls_completing": 0}
    bad = []
    try:
        for i, r in enumerate(recs):
            src = r["source"]
            rng = random.Random(i)
            n_par = len(ast.parse(src).body[0].args.args) + len(ast.parse(src).body[0].args.kwonlyargs) + \
                len(ast.parse(src).body[0].args.posonlyargs)
            inputs = [tuple(rng.choice(POOL) for _ in range(n_par)) for _ in range(6)]
            calls = _calls(src, inputs)
            n_var, n_exec, b = behaviour_mismatches(src, {"__builtins__": builtins, "__name__": "prop"}, calls)
            bad += [(r["name"],) + x for x in b]
            sites = ob.rename_sites(src)
            stats["functions"] += 1
            stats["variants"] += n_var
            stats["executions"] += n_exec
            stats["rename_sites"] += len(sites)
            stats["refused_names"] += len(ob.local_names(src) - set(ob.rename_sites(src, parameters=True)))
            stats["calls_completing"] += sum(w[0] == "ok" for w in _originals(src, calls))
            stats["refused_parameters"] += len(set(ob.rename_sites(src, parameters=True)) - set(sites))
            lines = ob.insert_lines(src)
            stats["insert_sites"] += len(lines)
            stats["no_insert"] += not lines
    finally:
        signal.signal(signal.SIGALRM, old)
    print("\nproperty test:", stats, "mismatches:", len(bad))
    for b in bad[:3]:
        print(b[:5], "\n", b[5])
    assert not bad, len(bad)
    assert stats["executions"] > 20 * stats["functions"] and stats["insert_sites"] > 3 * stats["functions"]

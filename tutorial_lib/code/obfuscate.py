"""Semantics-preserving obfuscations of Python functions: rename a local, insert dead code,
rewrite ``True``/``False``.

Each returns valid source (``ast.unparse`` form) or refuses with a ValueError. What "preserving"
means here, and what is refused so that it holds:

- **Rename** (``rename_sites`` / ``rename_many``): a name is renamed only if it is a local of the
  function's own scope (``symtable``) and none of these holds: it is ``self``/``cls``, a builtin
  or keyword, dunder, the function's own name; it is imported, ``global``/``nonlocal`` anywhere,
  a nested def/class name, an exception or match capture name; it is also spelled as an attribute,
  a keyword-argument name, or a word inside any string literal (``getattr(obj, "x")``,
  ``df.query("@x")``); it occurs in the function's decorators, defaults or annotations (they run in
  the *enclosing* scope: ``def f(key, _cache=_cache)``); it occurs anywhere inside a nested class
  body (class bodies turn assignments into attributes, e.g. ``Enum`` members); it is a parameter
  of a nested function or lambda (a keyword caller of the returned closure would break). A function
  that can read its frame by name (``locals``, ``vars``, ``dir``, ``eval``, ``exec``, ``globals``,
  ``sys._getframe``, ``inspect.currentframe``, ``f_locals``, ``co_varnames``, ...) has no sites.
- **Parameters**: renaming a parameter a caller can pass by keyword changes the function's
  interface (``f(x=1)`` raises TypeError afterwards). Such parameters are *refused* by default;
  ``rename_sites(src, parameters=True)`` adds them and is documented as interface-changing.
  ``*args``/``**kwargs`` and positional-only parameters are invisible to callers and are sites.
- **Insert** (``insert_dead_code`` / ``insert_many``): before a statement of the function's *own*
  scope (never in a nested class or function body), never in a function that reads its frame.
  The inserted code binds only fresh names (spelled nowhere in the function, so nothing in it can
  observe the binding) and contains no ``yield``/``await``/``return``/``global``/``nonlocal``/
  ``break``/``continue``; outside an ``if False:`` block it may only assign constants.
- **True/False** (``replace_true_false``): ``True`` -> ``(not 0)``, ``False`` -> ``(not 1)``: the
  same singletons (``is True`` still holds); match patterns are left alone.

What is *not* preserved: exception messages that quote a variable's name (``UnboundLocalError``),
tracebacks and line numbers. ``tests/test_code_obfuscate.py`` checks the rest by execution.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
import symtable
from collections import Counter

from .dataset import TOKEN_RE, parse_function

# names whose call or attribute lets a function read its own variables by name
FRAME_NAMES = {"locals", "vars", "eval", "exec", "globals", "dir", "__import__", "compile"}
FRAME_ATTRS = {"_getframe", "f_locals", "f_back", "f_globals", "currentframe", "stack", "trace",
               "getouterframes", "getinnerframes", "co_varnames", "co_cellvars", "co_freevars",
               "__code__", "getargvalues", "getcallargs", "signature", "frame", "tb_frame"}
RESERVED = set(dir(builtins)) | set(keyword.kwlist) | set(keyword.softkwlist) | {"self", "cls"}
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_WORD = re.compile(r"[^\W\d]\w*")


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as err:
        raise ValueError(f"Source does not parse as Python ({err.msg}, line {err.lineno}).") from err


def _first_function(tree: ast.Module) -> ast.FunctionDef | ast.AsyncFunctionDef:
    fn = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        raise ValueError("No function definition at the top level of the source.")
    return fn


def identifiers(source: str) -> set[str]:
    """Every identifier spelled in the function's source (names, attributes, keywords, words
    inside strings, ...)."""
    fn = parse_function(source)
    text = ast.unparse(fn)
    out = {m.group() for m in TOKEN_RE.finditer(text) if m.lastgroup == "n"}
    out |= set(_WORD.findall(text))  # words inside string literals and f-strings too
    for node in ast.walk(fn):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
    return out


def reads_frame(fn: ast.AST) -> bool:
    """True if the function can see its variables by name (``locals()``, ``eval``, frames, ...)."""
    for n in ast.walk(fn):
        if isinstance(n, ast.Name) and n.id in FRAME_NAMES:
            return True
        if isinstance(n, ast.Attribute) and n.attr in FRAME_ATTRS:
            return True
        if isinstance(n, (ast.Import, ast.ImportFrom)) and any(
                a.name in FRAME_NAMES | FRAME_ATTRS for a in n.names):
            return True
    return False


def _outer_parts(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Parts of a def evaluated in the *enclosing* scope: decorators, defaults, annotations."""
    a = fn.args
    parts: list[ast.AST] = list(fn.decorator_list) + list(a.defaults)
    parts += [d for d in a.kw_defaults if d is not None]
    parts += [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]
              if x is not None and x.annotation is not None]
    if fn.returns is not None:
        parts.append(fn.returns)
    return parts


def _names_in(nodes) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def _string_words(fn: ast.AST) -> set[str]:
    out: set[str] = set()
    for n in ast.walk(fn):
        if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes)):
            text = n.value if isinstance(n.value, str) else n.value.decode("latin-1")
            out |= set(_WORD.findall(text))
    return out


def _symtable_locals(source: str, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names that ``symtable`` says are local to the function's own scope."""
    try:
        top = symtable.symtable(ast.unparse(fn), "<fn>", "exec")
    except SyntaxError:  # e.g. a nested function's `nonlocal x` seen alone: refuse every name
        return set()
    table = next(t for t in top.get_children() if t.get_name() == fn.name)
    return {s.get_name() for s in table.get_symbols() if s.is_local() and not s.is_global()
            and not s.is_imported() and not s.is_nonlocal()}


def local_names(source: str) -> set[str]:
    """Every name local to the (first) function's own scope, parameters included (``symtable``)."""
    return _symtable_locals(source, parse_function(source))


def rename_sites(source: str, parameters: bool = False) -> list[str]:
    """Names of the (first) function in ``source`` that ``rename`` may rename without changing
    behaviour, in order of first appearance (rules in the module docstring).

    ``parameters=True`` also returns parameters that callers can pass by keyword: renaming those
    changes the function's interface (keyword calls break), so they are off by default."""
    fn = parse_function(source)
    if reads_frame(fn):
        return []
    a = fn.args
    keyword_params = {x.arg for x in a.args + a.kwonlyargs}
    local = _symtable_locals(source, fn)
    blocked = {fn.name} | _names_in(_outer_parts(fn)) | _string_words(fn)
    if not parameters:
        blocked |= keyword_params
    for n in ast.walk(fn):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            blocked.update(n.names)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            blocked.update((al.asname or al.name).split(".")[0] for al in n.names)
        elif isinstance(n, ast.ClassDef):
            blocked.add(n.name)
            blocked |= {m.id for m in ast.walk(n) if isinstance(m, ast.Name)}  # decorators too
            blocked |= {m.arg for m in ast.walk(n) if isinstance(m, ast.arg)}
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and n is not fn:
            if not isinstance(n, ast.Lambda):
                blocked.add(n.name)
                blocked |= _names_in(n.decorator_list)
            na = n.args
            blocked |= {x.arg for x in na.posonlyargs + na.args + na.kwonlyargs + [na.vararg, na.kwarg]
                        if x is not None}
        elif isinstance(n, ast.Attribute):
            blocked.add(n.attr)
        elif isinstance(n, ast.keyword) and n.arg:
            blocked.add(n.arg)
        elif isinstance(n, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and n.name:
            blocked.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            blocked.add(n.rest)
    uses: Counter = Counter()
    for n in ast.walk(fn):
        if isinstance(n, ast.arg):
            uses[n.arg] += 1
        elif isinstance(n, ast.Name):
            uses[n.id] += 1
    matches = list(TOKEN_RE.finditer(ast.unparse(fn)))
    spelled = Counter(m.group() for m in matches if m.lastgroup == "n")
    first: dict[str, int] = {}
    for m in matches:
        first.setdefault(m.group(), m.start())
    out = []
    for name in sorted(local, key=lambda x: (first.get(x, 0), x)):
        if name in blocked or name in RESERVED or name.startswith("__"):
            continue
        if spelled[name] != uses[name]:  # spelled somewhere that is not a plain name: skip
            continue
        out.append(name)
    return out


class Renamer(ast.NodeTransformer):
    """Rename names and parameters everywhere in the visited tree (``{old: new}``)."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.mapping.get(node.arg, node.arg)
        self.generic_visit(node)
        return node


def check_new_name(source: str, new: str, taken: set[str] | None = None) -> None:
    """ValueError unless ``new`` is a fresh identifier for the function in ``source``."""
    if not isinstance(new, str):
        raise TypeError(f"A new name must be a string, got {type(new).__name__}.")
    if not new.isidentifier() or new in RESERVED or new.startswith("__"):
        raise ValueError(f"{new!r} is not a usable new name: it must be a Python identifier that "
                         "is not a keyword, a builtin, self, cls or dunder.")
    if new in (taken if taken is not None else identifiers(source)):
        raise ValueError(f"{new!r} is already used in this function; renaming to it could change "
                         "what the program does. Pick a fresh name.")


def rename_many(source: str, mapping: dict[str, str], parameters: bool = False) -> str:
    """Rename several sites at once (``{old: new}``); see ``rename``."""
    sites = set(rename_sites(source, parameters=parameters))
    taken = identifiers(source)
    news = list(mapping.values())
    if len(set(news)) != len(news):
        raise ValueError(f"Two sites would get the same new name: {mapping}.")
    for old, new in mapping.items():
        if old not in sites:
            raise ValueError(f"{old!r} is not a renameable site of this function. Renameable: "
                             f"{sorted(sites) or 'none'} (see rename_sites).")
        check_new_name(source, new, taken)
    tree = _parse(source)
    fn = _first_function(tree)
    r = Renamer(mapping)
    a = fn.args
    for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
        if x is not None:
            x.arg = mapping.get(x.arg, x.arg)  # the parameter, not its annotation (outer scope)
    fn.body = [r.visit(s) for s in fn.body]
    return ast.unparse(tree)


def rename(source: str, old: str, new: str, parameters: bool = False) -> str:
    """``source`` with the local variable ``old`` renamed to ``new`` everywhere in its scope.

    ``old`` must be one of ``rename_sites(source, parameters)`` and ``new`` a fresh identifier;
    otherwise a ValueError says why."""
    return rename_many(source, {old: new}, parameters=parameters)


# ----------------------------------------------------------------------------- dead code
_FORBIDDEN_DEAD = (ast.Yield, ast.YieldFrom, ast.Await, ast.Return, ast.Global, ast.Nonlocal,
                   ast.Break, ast.Continue, ast.AsyncFor, ast.AsyncWith)
_CONST_NODES = (ast.Assign, ast.Name, ast.Store, ast.Constant, ast.Tuple, ast.List, ast.Pass,
                ast.Expr, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.Load)


def _bound_names(stmts: list[ast.stmt]) -> set[str]:
    """Every name the statements would bind in the enclosing function (stores, deletes, imports,
    defs, classes, except/match captures), not counting nested scopes' own locals."""
    out: set[str] = set()
    stack: list[ast.AST] = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
            stack += _outer_parts(n) if not isinstance(n, ast.ClassDef) else n.decorator_list + n.bases
            continue
        elif isinstance(n, ast.Lambda):
            continue
        elif isinstance(n, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and n.name:
            out.add(n.name)
        elif isinstance(n, ast.NamedExpr):
            out.add(n.target.id)
        stack.extend(ast.iter_child_nodes(n))
    return out


def _is_dead_false(s: ast.stmt) -> bool:
    return (isinstance(s, ast.If) and isinstance(s.test, ast.Constant) and s.test.value is False
            and not s.orelse)


def check_dead(stmts: list[ast.stmt], taken: set[str]) -> None:
    """ValueError unless ``stmts`` are dead code for a function that spells ``taken``: only fresh
    names bound; no yield/await/return/global/nonlocal/break/continue anywhere (they change what a
    function is even when they never run); outside ``if False:`` only constant assignments."""
    if not stmts:
        raise ValueError("Nothing to insert.")
    for s in stmts:
        bad = next((n for n in ast.walk(s) if isinstance(n, _FORBIDDEN_DEAD)), None)
        if bad is not None:
            raise ValueError(f"Dead code may not contain `{type(bad).__name__.lower()}`: it changes "
                             "the function (a generator, a coroutine, its scoping) even if it never runs.")
        if not _is_dead_false(s):
            for n in ast.walk(s):
                if not isinstance(n, _CONST_NODES) or (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)):
                    raise ValueError(f"{ast.unparse(s)!r} is not dead code: use `if False: ...` or "  # noqa: TRY004
                                     "assign constants to fresh names (no calls, no reads).")
    clash = sorted(n for n in _bound_names(stmts) if n in taken or n in RESERVED or n.startswith("__"))
    if clash:
        raise ValueError(f"Dead code would bind {clash}, already spelled in the function (or a "
                         "builtin): that can shadow a global or import. Use fresh names.")


def fresh_name(source: str, base: str = "unused") -> str:
    """``base``, ``base1``, ``base2``, ... : the first one not used in the function."""
    taken = identifiers(source) | RESERVED
    k = 0
    while (name := base + (str(k) if k else "")) in taken:
        k += 1
    return name


def own_blocks(fn: ast.FunctionDef | ast.AsyncFunctionDef):
    """``(block, index, stmt)`` for every statement of the function's own scope (nested def and
    class bodies excluded), in source order."""
    out = []

    def walk(block: list[ast.stmt]) -> None:
        for i, s in enumerate(block):
            out.append((block, i, s))
            if isinstance(s, _NESTED):
                continue
            for field in ("body", "orelse", "finalbody"):
                sub = getattr(s, field, None)
                if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                    walk(sub)
            for h in getattr(s, "handlers", []):
                walk(h.body)
            for c in getattr(s, "cases", []):
                walk(c.body)

    walk(fn.body)
    return out


def _has_docstring(fn) -> bool:
    b = fn.body
    return bool(b) and isinstance(b[0], ast.Expr) and isinstance(b[0].value, ast.Constant) and \
        isinstance(b[0].value.value, str)


def insert_lines(source: str) -> list[int]:
    """Source lines (1-based) of the statements dead code may be inserted before (empty when the
    function reads its frame). In ``ast.unparse`` form every statement has its own line."""
    fn = parse_function(source)
    if reads_frame(fn):
        return []
    doc = fn.body[0] if _has_docstring(fn) else None
    text = source.split("\n")
    # not before an `elif`: it would be rewritten as `else:` + `if` (same behaviour, other tokens)
    # nor before a decorated def/class (its line is the `def`, after the decorators)
    return [s.lineno for _, _, s in own_blocks(fn) if s is not doc and
            not text[s.lineno - 1].lstrip().startswith("elif ") and not getattr(s, "decorator_list", None)]


def insert_many(source: str, inserts: dict[int, str]) -> str:
    """Insert dead statements before several source lines at once (``{line: statement}``, lines
    of the *original* source); see ``insert_dead_code``."""
    tree = _parse(source)
    fn = _first_function(tree)
    if reads_frame(fn):
        raise ValueError("This function can read its own variables by name (locals, vars, eval, "
                         "frames): no dead code can be inserted safely.")
    taken = identifiers(source) | RESERVED
    parsed = {}
    all_new: list[ast.stmt] = []
    for line, statement in inserts.items():
        try:
            parsed[line] = ast.parse(statement).body
        except SyntaxError as err:
            raise ValueError(f"The statement to insert does not parse: {err.msg}.") from err
        check_dead(parsed[line], taken)
        all_new += parsed[line]
    bound = [n for s in all_new for n in _bound_names([s])]
    if len(bound) != len(set(bound)):
        raise ValueError("Two inserted statements bind the same name; use distinct fresh names.")
    lines = set(insert_lines(source))
    missing = sorted(set(inserts) - lines)
    if missing:
        raise ValueError(f"No statement of the function's own scope starts on line(s) {missing}. "
                         f"Statements start on lines {sorted(lines)}.")
    for block, i, s in reversed(own_blocks(fn)):  # bottom-up keeps the indices valid
        if s.lineno in inserts and not (block is fn.body and i == 0 and _has_docstring(fn)):
            block[i:i] = parsed[s.lineno]
    return ast.unparse(tree)


def insert_dead_code(source: str, line: int, statement: str | None = None) -> str:
    """``source`` with a dead statement inserted before source line ``line`` (1-based). ``line``
    must be where a statement of the function's own scope starts (not the docstring, not inside
    a nested def or class).

    ``statement`` defaults to an assignment of ``None`` to a fresh name; a given statement must be
    dead (``check_dead``): ``if False: ...`` or constant assignments, fresh names only."""
    if statement is None:
        statement = f"{fresh_name(source)} = None"
    return insert_many(source, {line: statement})


DEAD_KINDS = ("assign", "if_false", "print")


def dead_statement(word: str, kind: str = "assign") -> str:
    """A dead statement carrying ``word``: ``word = None`` (assign), ``if False:`` +
    ``word = None`` (if_false), or ``if False:`` + ``print(word)`` (a print that never runs)."""
    if kind == "assign":
        return f"{word} = None"
    if kind == "if_false":
        return f"if False:\n    {word} = None"
    if kind == "print":
        return f"if False:\n    print({word})"
    raise ValueError(f"Unknown dead-code kind {kind!r}; use one of {DEAD_KINDS}.")


# ----------------------------------------------------------------------------- True / False
class _TrueFalse(ast.NodeTransformer):
    def visit_MatchValue(self, node):  # patterns must stay literals
        return node

    def visit_MatchSingleton(self, node):
        return node

    def visit_Constant(self, node):
        if node.value is True or node.value is False:
            new = ast.UnaryOp(ast.Not(), ast.Constant(0 if node.value else 1))
            return ast.copy_location(new, node)
        return node


def replace_true_false(source: str) -> str:
    """``True`` -> ``not 0`` and ``False`` -> ``not 1`` everywhere in the function (the same
    singletons, so ``x is True`` is unchanged)."""
    tree = _parse(source)
    fn = _first_function(tree)
    _TrueFalse().visit(fn)
    return ast.unparse(ast.fix_missing_locations(tree))

"""Semantics-preserving obfuscations of Python functions: rename a local, insert dead code.

Each returns valid source (``ast.unparse`` form). ``rename_sites`` lists the names that are safe to
rename everywhere: parameters and local variables, never self/cls, the function's own name,
imported / global / nonlocal names, nested def or class names, builtins, names also used as an
attribute or keyword-argument name, dunder-prefixed names, and nothing at all in functions that call
``locals``/``vars``/``eval``/``exec``/``globals`` (they can see names as strings).
"""

from __future__ import annotations

import ast
import builtins
import keyword
from collections import Counter

from .dataset import TOKEN_RE, parse_function

_INTROSPECTIVE = {"locals", "vars", "eval", "exec", "globals", "dir", "__import__"}
RESERVED = set(dir(builtins)) | set(keyword.kwlist) | set(keyword.softkwlist) | {"self", "cls"}


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as err:
        raise ValueError(f"Source does not parse as Python ({err.msg}, line {err.lineno}).") from err


def identifiers(source: str) -> set[str]:
    """Every identifier spelled in the function's source (names, attributes, keywords, ...)."""
    fn = parse_function(source)
    out = {m.group() for m in TOKEN_RE.finditer(ast.unparse(fn)) if m.lastgroup == "n"}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
    return out


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def _own_scope_bindings(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Parameters of ``fn`` and names it assigns in its own scope (not in nested scopes)."""
    a = fn.args
    out = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    out += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    stack = list(fn.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.append(node.id)
        if isinstance(node, _SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def rename_sites(source: str) -> list[str]:
    """Local variables and parameters of the (first) function in ``source`` that ``rename`` may
    rename, in order of first appearance."""
    fn = parse_function(source)
    nodes = list(ast.walk(fn))
    if any(isinstance(n, ast.Name) and n.id in _INTROSPECTIVE for n in nodes):
        return []
    bound = _own_scope_bindings(fn)
    blocked = {fn.name}
    uses: Counter = Counter()
    for n in nodes:
        if isinstance(n, ast.arg):
            uses[n.arg] += 1
        elif isinstance(n, ast.Name):
            uses[n.id] += 1
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            blocked.update(n.names)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            blocked.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not fn:
            blocked.add(n.name)
        elif isinstance(n, ast.Attribute):
            blocked.add(n.attr)
        elif isinstance(n, ast.keyword) and n.arg:
            blocked.add(n.arg)
        elif isinstance(n, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and n.name:
            blocked.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            blocked.add(n.rest)
    matches = list(TOKEN_RE.finditer(ast.unparse(fn)))
    spelled = Counter(m.group() for m in matches if m.lastgroup == "n")
    out = []
    first = {}
    for m in matches:
        first.setdefault(m.group(), m.start())
    for name in sorted(dict.fromkeys(bound), key=lambda x: first.get(x, 0)):
        if name in blocked or name in RESERVED or name.startswith("__"):
            continue
        if spelled[name] != uses[name]:  # also spelled inside an f-string or elsewhere: skip
            continue
        out.append(name)
    return out


class _Renamer(ast.NodeTransformer):
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
    if not isinstance(new, str) or not new.isidentifier() or new in RESERVED:
        raise ValueError(f"{new!r} is not a usable new name: it must be a Python identifier that "
                         "is not a keyword, a builtin, self or cls.")
    if new in (taken if taken is not None else identifiers(source)):
        raise ValueError(f"{new!r} is already used in this function; renaming to it could change "
                         "what the program does. Pick a fresh name.")


def rename_many(source: str, mapping: dict[str, str]) -> str:
    """Rename several sites at once (``{old: new}``); see ``rename``."""
    sites = set(rename_sites(source))
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
    fn = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    _Renamer(mapping).visit(fn)
    return ast.unparse(tree)


def rename(source: str, old: str, new: str) -> str:
    """``source`` with the local variable or parameter ``old`` renamed to ``new`` everywhere.

    ``old`` must be one of ``rename_sites(source)`` and ``new`` a fresh identifier; otherwise a
    ValueError says why."""
    return rename_many(source, {old: new})


_SAFE_NODES = (ast.Module, ast.Assign, ast.Name, ast.Store, ast.Constant, ast.Tuple, ast.List,
               ast.Pass, ast.Expr, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.Load)


def _is_dead(stmts: list[ast.stmt], fresh_ok) -> bool:
    for s in stmts:
        if isinstance(s, (ast.If, ast.While)) and isinstance(s.test, ast.Constant) and not s.test.value \
                and not s.orelse:
            continue  # never runs
        for n in ast.walk(s):
            if not isinstance(n, _SAFE_NODES):
                return False
            if isinstance(n, ast.Name) and (isinstance(n.ctx, ast.Load) or not fresh_ok(n.id)):
                return False
    return True


def fresh_name(source: str, base: str = "unused") -> str:
    """``base``, ``base1``, ``base2``, ... : the first one not used in the function."""
    taken = identifiers(source) | RESERVED
    k = 0
    while (name := base + (str(k) if k else "")) in taken:
        k += 1
    return name


def insert_dead_code(source: str, line: int, statement: str | None = None) -> str:
    """``source`` with a dead statement inserted before source line ``line`` (1-based) at that
    line's indentation. ``line`` must be where a statement inside the function starts (not the
    docstring).

    ``statement`` defaults to an assignment of ``None`` to a fresh name; a given statement must be
    dead: ``if False: ...`` (any body), or assignments of constants to fresh names."""
    tree = _parse(source)
    fn = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        raise ValueError("No function definition at the top level of the source.")
    if statement is None:
        statement = f"{fresh_name(source)} = None"
    try:
        new = ast.parse(statement).body
    except SyntaxError as err:
        raise ValueError(f"The statement to insert does not parse: {err.msg}.") from err
    taken = identifiers(source) | RESERVED
    if not new or not _is_dead(new, lambda n: n not in taken):
        raise ValueError(f"{statement!r} is not dead code: use `if False: ...` or assign constants "
                         "to fresh names (no calls, no reads, no return/raise).")
    starts = []
    for node in ast.walk(fn):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and (node is not fn or field == "body"):
                for i, stmt in enumerate(block):
                    is_doc = (node is fn and i == 0 and isinstance(stmt, ast.Expr) and
                              isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str))
                    if isinstance(stmt, ast.stmt) and not is_doc:
                        starts.append(stmt.lineno)
                        if stmt.lineno == line:
                            block[i:i] = new
                            return ast.unparse(tree)
        for h in getattr(node, "handlers", []):
            for i, stmt in enumerate(h.body):
                starts.append(stmt.lineno)
                if stmt.lineno == line:
                    h.body[i:i] = new
                    return ast.unparse(tree)
    raise ValueError(f"No statement inside the function starts on line {line}. Statements start on "
                     f"lines {sorted(set(starts))}.")

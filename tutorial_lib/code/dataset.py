"""Real Python functions as a code-summarization dataset (input: body subtokens, target: name).

The shipped file ``data/code/functions.jsonl.gz`` (built once by ``scripts/build_code_dataset.py``
from the CPython stdlib and permissively licensed packages, see ``data/code/NOTICE``) holds one
function per line: ``{"name", "source", "package", "file", "split"}``. ``source`` is the function
as ``ast.unparse`` writes it, without decorators and docstring.

Tokenization (code2seq convention): identifiers are split into lowercase subtokens
(``getItemCount`` / ``get_item_count`` -> ``get item count``), string literals become ``<str>``,
long numbers ``<num>``, and every identifier equal to the function's own name becomes ``<name>``.
Each token remembers the identifier it came from, which is how attacks find a variable's positions.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tutorial_lib.core import data as _data

DATA_FILE = "code/functions.jsonl.gz"
CORPUS_ENV = "FRFM_CODE_DIR"  # full profile: a folder of your own Python files, added to the corpus
VOCAB_FILE = "code/vocab.txt"
SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>", "<str>", "<num>", "<name>"]
PAD, UNK, BOS, EOS = 0, 1, 2, 3

_STRING = r"""(?:[rRbBuUfF]{0,2})(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")"""
_NAME = r"[^\W\d]\w*"
_NUMBER = r"(?:\d[\w.]*|\.\d\w*)"
_OP = r"(?:\*\*=|//=|>>=|<<=|\.\.\.|->|:=|==|!=|<=|>=|\*\*|//|<<|>>|[-+*/%&|^@]=|[^\s\w])"
TOKEN_RE = re.compile(f"(?P<s>{_STRING})|(?P<n>{_NAME})|(?P<d>{_NUMBER})|(?P<o>{_OP})")
_SUBTOKEN_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+")


def split_identifier(name: str) -> list[str]:
    """``'getHTTPResponse_v2'`` -> ``['get', 'http', 'response', 'v', '2']`` (lowercase subtokens)."""
    return [s.lower() for s in _SUBTOKEN_RE.findall(name)]


def parse_function(source: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """The first function definition in ``source``; a clear ValueError if there is none."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ValueError(f"Source does not parse as Python ({err.msg}, line {err.lineno}); "
                         "pass the complete text of one function definition.") from err
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    raise ValueError("No function definition (`def ...`) at the top level of the source; pass the "
                     "text of one function, e.g. inspect.getsource(fn).")


def normalize_function(source: str) -> str:
    """The function re-written by ``ast.unparse`` without decorators and docstring (the form
    the dataset ships and the model reads)."""
    fn = parse_function(source)
    fn.decorator_list = []
    body = fn.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:] or [ast.Pass()]
    fn.body = body
    return ast.unparse(fn)


def tokenize_code(source: str, name: str | None = None) -> tuple[list[str], list[str | None]]:
    """Subtokens of normalized function source and, per subtoken, the identifier it came from
    (``None`` for operators, strings and numbers). ``name`` (the function's own name) becomes
    ``<name>`` wherever an identifier equals it exactly."""
    toks: list[str] = []
    origin: list[str | None] = []
    for m in TOKEN_RE.finditer(source):
        kind, text = m.lastgroup, m.group()
        if kind == "n":
            if text == name:
                toks.append("<name>"); origin.append(text)
            else:
                subs = split_identifier(text) or [text.lower()]
                toks += subs; origin += [text] * len(subs)
        elif kind == "s":
            toks.append("<str>"); origin.append(None)
        elif kind == "d":
            toks.append(text.lower() if len(text) <= 3 else "<num>"); origin.append(None)
        else:
            toks.append(text); origin.append(None)
    return toks, origin


def function_name(source: str) -> str:
    """Name of the (first) function defined in ``source``."""
    return parse_function(source).name


def model_input(source: str) -> tuple[list[str], list[str | None]]:
    """What the model reads for a function source: normalized, tokenized, own name masked."""
    norm = normalize_function(source)
    return tokenize_code(norm, function_name(norm))


@dataclass
class Vocab:
    """Subtoken <-> id. Ids 0..6 are the special tokens ``SPECIALS``."""

    itos: list[str]

    def __post_init__(self) -> None:
        self.stoi = {s: i for i, s in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def id(self, tok: str) -> int:
        return self.stoi.get(tok, UNK)

    @classmethod
    def build(cls, token_lists, size: int) -> Vocab:
        counts = Counter(t for toks in token_lists for t in toks if t not in SPECIALS)
        return cls(SPECIALS + [t for t, _ in counts.most_common(size - len(SPECIALS))])


def load_vocab() -> Vocab:
    """The shipped vocabulary (``data/code/vocab.txt``, built from the training split)."""
    return Vocab(_data.verified_path(VOCAB_FILE).read_text().split("\n"))


def load_functions(split: str, n: int | None = None, path: str | Path | None = None) -> list[dict]:
    """Functions of one split (``train`` | ``val`` | ``test`` | ``all``) from the shipped file
    (or ``path``), each a dict with ``name, source, package, file, split, target``.
    ``n`` keeps the first n (the file order is a fixed shuffle)."""
    if split not in ("train", "val", "test", "all"):
        raise ValueError(f"Unknown split {split!r}; use 'train', 'val', 'test' or 'all'.")
    p = Path(path) if path is not None else _data.verified_path(DATA_FILE)
    out = []
    with gzip.open(p, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if split in ("all", rec["split"]):
                rec["target"] = split_identifier(rec["name"])
                out.append(rec)
                if n is not None and len(out) >= n:
                    break
    return out


# ----------------------------------------------------------------------------- extraction
_DROP_DIRS = {"tests", "test", "testing", "_vendor", "vendor", "vendored", "externals", "_externals",
              "extern", "third_party", "thirdparty", "array_api_compat", "array_api_extra",
              "idlelib", "lib2to3", "site-packages", "__pycache__", "turtledemo", "ensurepip"}


def iter_python_files(root: str | Path):
    """``.py`` files under ``root`` outside test, vendored and third-party folders (sorted)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory of Python files.")
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).parts
        if any(part in _DROP_DIRS or part.startswith("test_") for part in rel[:-1]):
            continue
        if rel[-1].startswith("test_") or rel[-1] == "conftest.py":
            continue
        yield p


def extract_functions(text: str, min_tokens: int = 10, max_chars: int = 2500) -> list[dict]:
    """Function definitions in a module's text as ``{"name", "source"}`` (normalized source).

    Drops dunders, ``test*`` functions, bodies that only ``pass``/``raise``/``...``, bodies with
    fewer than ``min_tokens`` tokens and sources longer than ``max_chars``."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        name = node.name
        if (name.startswith("__") and name.endswith("__")) or name.lower().startswith("test"):
            continue
        if not split_identifier(name):
            continue
        try:
            src = normalize_function(ast.unparse(node))
        except (ValueError, RecursionError):
            continue
        fn = ast.parse(src).body[0]
        if all(isinstance(s, (ast.Pass, ast.Raise)) or (isinstance(s, ast.Expr) and
               isinstance(s.value, ast.Constant)) for s in fn.body):
            continue
        if len(src) > max_chars or len(tokenize_code(src, name)[0]) < min_tokens:
            continue
        out.append({"name": name, "source": src})
    return out


def split_of(key: str, val_pct: int = 4, test_pct: int = 6) -> str:
    """Deterministic train/val/test assignment of a source file (hash of its path key)."""
    h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 100
    return "test" if h < test_pct else "val" if h < test_pct + val_pct else "train"


def functions_from_directory(root: str | Path, split: str = "all") -> list[dict]:
    """Function records (as ``load_functions`` returns them) from every Python file under
    ``root``, split by file like the shipped dataset."""
    root = Path(root).expanduser()
    out = []
    for path in iter_python_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        rel = f"{root.name}/{path.relative_to(root).as_posix()}"
        part = split_of(f"{root.name}/{rel}")
        if split not in ("all", part):
            continue
        for fn in extract_functions(text):
            out.append({**fn, "package": root.name, "file": rel, "split": part,
                        "target": split_identifier(fn["name"])})
    if not out:
        raise FileNotFoundError(f"No usable Python functions under {root} (split {split!r}).")
    return out


def load_corpus(split: str, n: int | None = None) -> list[dict]:
    """The profile's corpus: the shipped dataset, plus (full profile) the functions of the folder
    named by ``$FRFM_CODE_DIR``, split by file."""
    from tutorial_lib.core.config import get_profile
    recs = load_functions(split, n=n)
    folder = os.environ.get(CORPUS_ENV)
    if get_profile().name == "full" and folder:
        recs += functions_from_directory(folder, split)
        if n is not None:
            recs = recs[:n]
    return recs

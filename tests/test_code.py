"""Tests of tutorial_lib.code: tokenization, F1, obfuscation validity + semantics, attacks, models."""

import ast
import calendar
import colorsys
import difflib
import fnmatch
import heapq
import html
import inspect
import shlex
import statistics
import string
import textwrap

import pytest

from tutorial_lib.core import models
from tutorial_lib.code import (
    INSERT,
    apply_edits,
    attack,
    edits_to_source,
    insert_dead_code,
    load_functions,
    load_name_model,
    load_vocab,
    make_program,
    predict_names,
    rename,
    rename_sites,
    subtoken_f1,
    tokenize_code,
)
from tutorial_lib.code.attacks import program_losses
from tutorial_lib.code.dataset import normalize_function, split_identifier
from tutorial_lib.code.metrics import copy_frequent_baseline
from tutorial_lib.code.model import ROBUST, STANDARD, make_batch, predict_tokens
from tutorial_lib.code.obfuscate import Renamer
from tutorial_lib.code.train import evaluate_f1, evaluation_report

SRC = '''def count_words(text, min_len=1):
    """Count words."""
    counts = {}
    for word in text.split():
        if len(word) >= min_len:
            counts[word] = counts.get(word, 0) + 1
    return counts
'''


def test_split_and_tokenize():
    assert split_identifier("getHTTPResponse_v2") == ["get", "http", "response", "v", "2"]
    toks, orig = tokenize_code(normalize_function(SRC), "count_words")
    assert toks[:2] == ["def", "<name>"] and "<str>" not in toks  # docstring dropped
    assert toks[toks.index("min"):toks.index("min") + 2] == ["min", "len"]
    assert orig[toks.index("min")] == "min_len"
    assert tokenize_code("x = 'a' + f'{y}'")[0] == ["x", "=", "<str>", "+", "<str>"]


def test_subtoken_f1_hand_made():
    assert subtoken_f1([["get", "name"]], [["get", "name"]])["f1"] == 1.0
    r = subtoken_f1([["get", "value", "value"]], [["get", "name"]])  # duplicate counted once
    assert r["precision"] == pytest.approx(0.5) and r["recall"] == pytest.approx(0.5)
    r = subtoken_f1([["set"], ["get", "x"]], [["get"], ["get", "y", "z"]])
    assert r["precision"] == pytest.approx(1 / 3) and r["recall"] == pytest.approx(1 / 4)
    assert subtoken_f1([[]], [["a"]])["f1"] == 0.0
    with pytest.raises(ValueError):
        subtoken_f1([["a"]], [])
    assert copy_frequent_baseline(["self", "x", "=", "value", "value", "name"]) == ["value", "name"]


def test_rename_sites_rules():
    src = '''def f(self, a, b=2, *args, **kw):
    import os
    global G
    c = a + b
    def inner(d):
        return d + c
    obj.c_attr = c
    g(a=c)
    return [x for x in args] + [e for e in kw]
'''
    assert rename_sites(src) == ["args", "kw", "c"]  # not self, a, b (keyword-passable), G, os, inner, x
    assert rename_sites(src, parameters=True) == ["b", "args", "kw", "c"]  # interface-changing
    assert rename_sites("def f(x):\n    return eval('x')") == []


def test_rename_and_insert_examples():
    out = rename(SRC, "counts", "tally")
    assert "tally = {}" in out and "counts" not in out.replace("count_words", "")
    out = insert_dead_code(SRC, 3)
    assert out.splitlines()[2] == "    unused = None"  # before `counts = {}`, same indent
    out = insert_dead_code(SRC, 6, "if False:\n    print('dead')")
    assert "\n            if False:\n                print('dead')\n            counts[word]" in out


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="does not parse"):
        rename_sites("def f(:\n  pass")
    with pytest.raises(ValueError, match="No function"):
        rename_sites("x = 1")
    with pytest.raises(ValueError, match="not a renameable site"):
        rename(SRC, "nope", "other")
    with pytest.raises(ValueError, match="already used"):
        rename(SRC, "counts", "word")
    with pytest.raises(ValueError, match="not a usable"):
        rename(SRC, "counts", "lambda")
    with pytest.raises(ValueError, match="No statement inside the function starts on line 2"):
        insert_dead_code(SRC, 2)  # the docstring: inserting before it would change __doc__
    with pytest.raises(ValueError, match="not dead code"):
        insert_dead_code(SRC, 4, "return 1")
    with pytest.raises(ValueError, match="does not parse"):
        predict_names(["def broken(:"])


def _unrename(src: str, new: str, old: str) -> str:
    tree = ast.parse(src)
    Renamer({new: old}).visit(tree)
    return ast.dump(tree)


def test_obfuscations_preserve_ast_and_match_token_edits():
    recs = load_functions("test", n=400)
    n_sites = 0
    for r in recs:
        p = make_program(r["source"])
        orig = ast.dump(ast.parse(p.source))
        fresh = [t for t in ("zq", "qz", "zzq", "qqz", "zqz", "qzq") if t not in p.taken]
        edits = {s: fresh[i % len(fresh)] + ("" if i < len(fresh) else str(i)) for i, s in
                 enumerate(p.sites[:3])}
        if INSERT in edits:
            edits[INSERT] = "zinsert"
        src2 = edits_to_source(p, edits)
        tree2 = ast.parse(src2)  # valid source
        # token-level edits == tokenizing the edited source
        assert tokenize_code(src2, p.name)[0] == apply_edits(p, edits)[0]
        # AST equal up to the renamed identifiers and the inserted statement
        fn2 = tree2.body[0]
        if INSERT in edits:
            assert ast.unparse(fn2.body[0]) == "zinsert = None"
            fn2.body = fn2.body[1:]
        back = {v: k for k, v in edits.items() if k != INSERT}
        Renamer(back).visit(tree2)
        assert ast.dump(tree2) == orig
        n_sites += len(p.sites) - 1
    assert n_sites > 400  # real functions offer sites


CASES = [(colorsys.rgb_to_hsv, (0.2, 0.4, 0.9)), (colorsys.hls_to_rgb, (0.3, 0.5, 0.7)),
         (colorsys.rgb_to_hls, (0.9, 0.1, 0.3)), (colorsys.hsv_to_rgb, (0.7, 0.5, 0.5)),
         (string.capwords, ("hello  big world",)), (fnmatch.translate, ("*.py[co]",)),
         (textwrap.indent, ("a\n\nb\n", "> ")), (calendar.monthrange, (2024, 2)),
         (difflib.get_close_matches, ("appel", ["ape", "apple", "peach", "puppy"])),
         (html.escape, ("<a href='x'>&</a>",)),
         (shlex.quote, ("it's a test",)), (statistics.median_grouped, ([1, 2, 2, 3, 4, 4, 4, 5],)),
         (calendar.leapdays, (1900, 2024)), (textwrap.dedent, ("    a\n      b\n",)),
         (statistics.mode, ([1, 2, 2, 3],)), (heapq.nsmallest, (3, [5, 1, 4, 2, 8], lambda v: -v))]


@pytest.mark.parametrize("fn,args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_obfuscated_functions_behave_identically(fn, args):
    src = textwrap.dedent(inspect.getsource(fn))
    sites = rename_sites(src)
    variants = [rename(src, s, f"obf_{i}") for i, s in enumerate(sites)]
    body = ast.parse(src).body[0].body
    if ast.get_docstring(ast.parse(src).body[0]) is not None:
        body = body[1:]  # inserting before the docstring would change __doc__ (refused)
    body_lines = [n.lineno for n in body]
    variants += [insert_dead_code(src, line) for line in body_lines[-2:]]
    want = fn(*args)
    for v in variants:
        env = dict(vars(inspect.getmodule(fn)))
        exec(compile(v, "<obfuscated>", "exec"), env)  # noqa: S102
        assert env[fn.__name__](*args) == want, v
    assert len(variants) >= 2


def test_make_batch_copy_ids():
    vocab = load_vocab()
    b = make_batch([["return", "zzqxunseen", "zzqxunseen"]], [["zzqxunseen", "return"]], vocab, 10)
    V = len(vocab)
    assert b["src_ext"][0].tolist() == [vocab.id("return"), V, V]
    assert b["tgt"][0].tolist()[:3] == [V, vocab.id("return"), 3]


@pytest.fixture(scope="module")
def std_model():
    return load_name_model(STANDARD)


@pytest.fixture(scope="module")
def test_recs():
    return load_functions("test")


@pytest.mark.parametrize("name", [STANDARD, ROBUST])
def test_checkpoint_reproduces_recorded_test_f1(name, test_recs):
    model = load_name_model(name)
    vocab = load_vocab()
    recorded = models.checkpoint_metrics(name)
    assert recorded["steps_done"] == models.checkpoint_metrics(STANDARD)["steps_done"]  # equal epochs
    # the recorded figure, recomputed on all held-out test functions
    f1 = evaluate_f1(model, test_recs, vocab)["f1"]
    assert f1 == pytest.approx(recorded["test"]["f1"], abs=0.01)
    if name == STANDARD:  # the quality bar: F1 >= 0.2 on held-out files, clearly above both baselines
        assert f1 >= 0.2, f1
        assert f1 > recorded["baseline_copy_two_frequent_body_subtokens"]["f1"] + 0.05
    report = evaluation_report(model, vocab, test_recs[:400], load_functions("train", n=2000))
    # the model reads its input: another function's body raises the loss a lot, shuffling the
    # body's subtokens (same bag of words, so copying still works) raises it a little
    assert report["test_loss_other_input"] > report["test_loss"] + 1.0
    assert report["test_loss_shuffled_input"] > report["test_loss"] + 0.02
    assert report["test"]["f1"] > report["baseline_most_frequent_name"]["f1"] + 0.02


def test_predict_names_api(std_model):
    preds = predict_names([SRC, "def f(path):\n    with open(path) as fh:\n        return fh.read()"])
    assert len(preds) == 2 and all(isinstance(p, list) and p for p in preds)
    assert any(t in preds[0] for t in ("count", "words", "word", "counts"))


def test_attacks_never_lower_the_loss_and_lower_f1(std_model, test_recs):
    vocab = load_vocab()
    progs = [make_program(r["source"], r["target"]) for r in test_recs[:160]]
    clean_loss = program_losses(std_model, progs, [{}] * len(progs), vocab)
    rnd = attack(std_model, progs, vocab, "random", k=5, seed=3)
    rnd_loss = program_losses(std_model, progs, rnd, vocab)
    clean_f1 = subtoken_f1(predict_tokens(std_model, [p.tokens for p in progs], vocab),
                           [p.target for p in progs])["f1"]
    for kind in ("random_site_grad", "grad_site_grad"):
        edits = attack(std_model, progs, vocab, kind, k=5, seed=3)
        assert all(len([s for s in e]) <= 5 for e in edits)
        loss = program_losses(std_model, progs, edits, vocab)
        assert (loss >= clean_loss - 1e-4).all()
        assert (loss >= rnd_loss - 1e-4).all()  # starts from the random attack of the same seed
        adv_f1 = subtoken_f1(predict_tokens(std_model, [apply_edits(p, e)[0] for p, e in
                                                        zip(progs, edits)], vocab),
                             [p.target for p in progs])["f1"]
        assert adv_f1 <= clean_f1 - 0.02
    with pytest.raises(ValueError, match="Unknown attack"):
        attack(std_model, progs[:2], vocab, "fgsm")


def test_full_profile_corpus_folder_and_bigger_model(tmp_path, monkeypatch):
    from tutorial_lib.code.dataset import functions_from_directory, load_corpus
    from tutorial_lib.code.model import build_model, checkpoint_name
    (tmp_path / "m.py").write_text(SRC + "\n\ndef read_text_file(path):\n    with open(path) as fh:\n"
                                   "        return fh.read()\n")
    recs = functions_from_directory(tmp_path)
    assert {r["name"] for r in recs} == {"count_words", "read_text_file"}
    assert recs[0]["target"] == split_identifier(recs[0]["name"])
    monkeypatch.setenv("FRFM_PROFILE", "full")
    monkeypatch.setenv("FRFM_CODE_DIR", str(tmp_path))
    split = recs[0]["split"]
    assert len(load_corpus(split)) == len(load_functions(split)) + 2
    assert checkpoint_name(STANDARD) == "code_names_full"
    model = build_model(len(load_vocab()))
    assert model.d == 256 and model.max_len == 320
    with pytest.raises(FileNotFoundError):
        functions_from_directory(tmp_path / "missing")

"""The glyph corpus (foundation.glyphs), its pre-training and the shipped artefacts."""

from __future__ import annotations

import unicodedata
import warnings

import numpy as np
import pytest
import torch

from tutorial_lib.core import zoo
from tutorial_lib.foundation import glyph_pretrain, glyph_transfer, glyphs, solutions

warnings.filterwarnings("ignore", message="Glyph .* missing from font")


@pytest.fixture(scope="module")
def corpora():
    return {c: glyphs.classes(c) for c in ("narrow", "broad")}


def _all_font_characters() -> set[str]:
    """Every character of every font file matplotlib ships (not only the ones the corpus uses)."""
    from matplotlib.ft2font import FT2Font

    chars: set[str] = set()
    for path in glyphs.font_file("DejaVuSans.ttf").parent.glob("*.ttf"):
        cmap = FT2Font(str(path)).get_charmap()
        chars |= {chr(c) for c in cmap if c < 0x110000}
    return chars


def test_no_digit_of_any_script_in_any_corpus(corpora):
    every = _all_font_characters()
    numbers = {c for c in every if unicodedata.category(c).startswith("N")}
    assert len(numbers) > 50  # the fonts do hold many digits (Latin, Arabic-Indic, circled, ...)
    nfkd_digits = {c for c in every
                   if any(unicodedata.category(d) == "Nd" for d in unicodedata.normalize("NFKD", c))}
    named = {c for c in every if any(w in unicodedata.name(c, "") for w in ("DIGIT", "NUMERAL"))}
    for corpus, chars in corpora.items():
        s = set(chars)
        assert not s & numbers, (corpus, sorted(s & numbers)[:10])
        assert not s & nfkd_digits, (corpus, sorted(s & nfkd_digits)[:10])
        assert not s & named, (corpus, sorted(s & named)[:10])
        assert not any(solutions.leaks_digit(c) for c in s)
        assert not s & set("0123456789OoIl|SsZzBgqΟοΙιОоЗзЅѕ")  # the listed look-alikes


def test_leak_filter_catches_numbers_of_every_kind():
    for ch in ["7", "٣", "५", "²", "₅", "⑦", "½", "Ⅻ", "𝟙"]:
        assert glyphs.is_digit_like_by_name(ch) and not glyphs.eligible(ch), ch
    for ch in ["x", "Ф", "→", "ψ"]:
        assert glyphs.eligible(ch), ch


def test_leaks_digit_reference_tests_the_character_itself():
    # Roman numeral twelve: category Nl, but its NFKD form is the letters "XII"
    assert solutions.leaks_digit("Ⅻ") and solutions.leaks_digit("½") and not solutions.leaks_digit("x")


def test_corpus_sizes_and_narrow_inside_broad(corpora):
    n, b = corpora["narrow"], corpora["broad"]
    assert 60 <= len(n) <= 160 and len(b) == glyphs.N_BROAD
    assert b[:len(n)] == n and len(set(b)) == len(b)
    assert all(unicodedata.category(c).startswith("L") for c in n)
    scripts = {unicodedata.name(c).split()[0] for c in b}
    assert len(scripts) >= 10  # many scripts and symbol blocks, not just Latin
    assert len(glyphs.class_names("broad")) == len(b)


def test_render_corpus_is_scan_like_and_deterministic():
    a = glyphs.render_corpus("narrow", 96, seed=0)
    b = glyphs.render_corpus("narrow", 96, seed=0)
    c = glyphs.render_corpus("narrow", 96, seed=1)
    assert a.x.shape == (96, 1, 32, 32) and a.x.dtype == torch.float32
    assert float(a.x.min()) >= 0.0 and float(a.x.max()) <= 1.0
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)
    assert int(a.y.max()) < len(a.chars) and len(a.names) == len(a.chars)
    ink = a.x.mean().item()  # light ink on a dark page, about the scans' amount
    assert 0.15 < ink < 0.5, ink
    assert (a.x.flatten(1).max(1).values > 0.5).all()  # no blank image


def test_pretraining_runs_and_learns_a_little():
    torch.manual_seed(0)
    k = {"n_images": 256, "n_val": 64, "steps": 24, "batch_size": 32}
    model = glyph_pretrain.build("cnn", "narrow")
    m = glyph_pretrain.pretrain(model, "cnn", "narrow", k, log=lambda s: None)
    losses = [h["loss"] for h in m["history"]]
    assert np.isfinite(losses).all() and len(losses) == 3
    assert losses[-1] < losses[0]
    assert m["n_classes"] == len(glyphs.classes("narrow")) and m["images_seen"] == 24 * 32
    assert next(model.parameters()).dtype == torch.float16  # stored half precision
    back = glyph_pretrain.build("cnn", "narrow")
    back.load_state_dict(model.state_dict())
    assert next(back.parameters()).dtype == torch.float32


def test_transfer_pieces():
    x, y = glyph_transfer.digit_renditions(1)
    assert x.shape == (len(glyphs.UNICODE_FONTS) * 10, 1, 32, 32) and (y.bincount() == 16).all()
    img = x[:8]
    for name in glyph_transfer.CORRUPTIONS:
        out = glyph_transfer.corrupt(img, name)
        assert out.shape == img.shape and 0 <= out.min() and out.max() <= 1
        assert not torch.equal(out, img), name
    with pytest.raises(ValueError):
        glyph_transfer.corrupt(img, "fog")
    fx, fy = glyph_transfer.few_shot(10)
    assert len(fx) == 100 and (fy.bincount() == 10).all()


def test_patch_masked_zeroes_half_the_patches_reproducibly():
    x = torch.rand(6, 1, 32, 32) * 0.9 + 0.1  # no pixel is 0 before masking
    m = glyph_transfer.patch_masked(x, patch=4, ratio=0.5, seed=3)
    patches = m.unfold(2, 4, 4).unfold(3, 4, 4).reshape(6, 64, 16)
    zeroed = (patches == 0).all(-1)
    assert (zeroed.sum(1) == 32).all()  # exactly half of the 8x8 grid, per image
    assert ((patches == 0).any(-1) == zeroed).all()  # whole patches, nothing partial
    kept = ~zeroed
    orig = x.unfold(2, 4, 4).unfold(3, 4, 4).reshape(6, 64, 16)
    assert torch.equal(patches[kept], orig[kept])
    assert torch.equal(m, glyph_transfer.patch_masked(x, patch=4, ratio=0.5, seed=3))
    assert not torch.equal(zeroed, (glyph_transfer.patch_masked(x, 4, 0.5, seed=4)
                                    .unfold(2, 4, 4).unfold(3, 4, 4).reshape(6, 64, 16) == 0).all(-1))
    state = torch.get_rng_state()
    glyph_transfer.patch_masked(x)
    assert torch.equal(state, torch.get_rng_state())  # its own generator: no other draw moves
    with pytest.raises(ValueError):
        glyph_transfer.patch_masked(x, patch=5)


GLYPH_MODELS = ("glyph_vit_narrow", "glyph_vit_broad", "glyph_cnn_narrow", "glyph_cnn_broad")


@pytest.mark.parametrize("name", GLYPH_MODELS)
def test_zoo_checkpoints_load_and_transfer(name):
    arch, corpus = name.split("_")[1:]
    model = zoo.load(name)
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, len(glyphs.classes(corpus)))
    info = zoo.metrics(name)
    assert info["train_seconds"] > 0 and "command" in info and info["images_seen"] > 0
    # the pre-trained body moves into a 10-class digit network unchanged
    digits = glyph_pretrain.load_backbone(arch, corpus)
    body = {k: v for k, v in model.state_dict().items() if not glyph_pretrain._is_head(k)}
    for k, v in body.items():
        assert torch.equal(digits.state_dict()[k], v), k
    assert digits(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    # it learned something: held-out renderings far above chance
    assert info["heldout_render_acc"] > 5 / info["n_classes"]


def test_transfer_table_loads():
    res = glyph_transfer.load_table()
    for arch in ("vit", "cnn"):
        for key in (f"{arch}/scratch/kit/clean", f"{arch}/broad/ft/pgd", f"{arch}/narrow/lpft/rendition",
                    f"{arch}/broad/few_ft/clean"):
            assert key in res and res[key].dtype == bool
        assert len(res[f"{arch}/broad/ft/clean"]) == 397
        assert len(res[f"{arch}/broad/ft/mask"]) == 397
        # masking half the patches costs the kit's scratch model accuracy
        assert res[f"{arch}/scratch/kit/mask"].mean() < res[f"{arch}/scratch/kit/clean"].mean()
        # the kit's scratch model is the shipped one: its clean accuracy is far above chance
        assert res[f"{arch}/scratch/kit/clean"].mean() > 0.9

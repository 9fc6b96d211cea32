"""glossary.md: alphabetical, every entry says where it first appears, and the terms the notebooks
rely on are all defined."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "glossary.md").read_text()
ENTRIES = re.findall(r"^### (.+?)\n(.*?)(?=^### |^## |\Z)", TEXT, flags=re.M | re.S)
REQUIRED = ["PGD-k", "FGSM", "ε, L∞, L2", "Φ⁻¹", "Clopper–Pearson", "mCE", "relative mCE", "Flip rate",
            "AUROC", "AUPR", "MSP", "ImageNet-C", "ImageNet-9 challenge", "BG-gap", "SA, RA",
            "AFF, ALF, SFF, SLF", "LP-FT", "Feature distortion", "Effective robustness", "Probit",
            "Randomized smoothing", "Certified radius", "IBP", "CROWN", "SDP", "worst-group accuracy",
            "Group DRO", "JTT", "subtoken F1", "Obfuscation", "Site attack, content attack", "Δ",
            "Inconclusive at this size, reproduced, contradicted"]


def test_required_terms_are_defined():
    heads = " | ".join(h for h, _ in ENTRIES)
    missing = [t for t in REQUIRED if t.lower() not in heads.lower()]
    assert not missing, f"glossary.md lacks {missing}"


def test_every_entry_says_where_it_first_appears():
    for head, body in ENTRIES:
        assert re.search(r"\*First:\s.*?(\[\d\d\]|\d\d\s\(new)", body, flags=re.S), f"{head!r}: no '*First: [NN]' note"


def test_alphabetical_after_the_symbols():
    letters = [h for h, _ in ENTRIES if h[0].isascii()]
    keys = [h.lower() for h in letters]
    assert keys == sorted(keys), [a for a, b in zip(letters, sorted(letters, key=str.lower)) if a != b][:3]


def test_notebook_links_resolve():
    for target in re.findall(r"^\[\d\d\]: (\S+)$", TEXT, flags=re.M):
        assert (ROOT / target).is_file(), target

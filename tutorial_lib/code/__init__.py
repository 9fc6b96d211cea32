"""Code-model lesson: function-name prediction on real Python code, semantics-preserving
obfuscations, adversarial attacks on them, and adversarial training.

Public entry points: ``predict_names``, ``rename_sites``, ``rename``, ``insert_dead_code``
(and ``load_functions``, ``load_name_model``, ``make_program``, ``attack``, ``subtoken_f1``).
Modules: ``dataset`` (corpus, tokens), ``obfuscate`` (sound transforms), ``model`` (the
predictor), ``programs`` (sites and edits), ``attacks`` + ``relaxed`` (attackers), ``train``,
``zoo`` (the shipped checkpoints), ``evaluate`` (tables with intervals).
"""

from .attacks import ATTACKS, attack
from .dataset import load_functions, load_vocab, model_input, split_identifier, tokenize_code
from .metrics import subtoken_f1
from .model import ROBUST, STANDARD, predict_tokens
from .obfuscate import (
    dead_statement,
    insert_dead_code,
    insert_lines,
    insert_many,
    rename,
    rename_many,
    rename_sites,
    replace_true_false,
)
from .programs import INSERT, Program, apply_edits, edits_to_source, is_insert, make_program
from .zoo import load_name_model, predict_names

__all__ = [
    "ATTACKS", "INSERT", "ROBUST", "STANDARD", "Program", "apply_edits", "attack", "dead_statement",
    "edits_to_source", "insert_dead_code", "insert_lines", "insert_many", "is_insert", "load_functions",
    "load_name_model", "load_vocab", "make_program", "model_input", "predict_names", "predict_tokens",
    "rename", "rename_many", "rename_sites", "replace_true_false", "split_identifier", "subtoken_f1",
    "tokenize_code",
]

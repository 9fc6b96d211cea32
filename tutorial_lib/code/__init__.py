"""Code-model lesson: function-name prediction on real Python code, semantics-preserving
obfuscations, adversarial attacks on them, and adversarial training.

Public entry points: ``predict_names``, ``rename_sites``, ``rename``, ``insert_dead_code``
(and ``load_functions``, ``load_name_model``, ``make_program``, ``attack``, ``subtoken_f1``).
"""

from .attacks import ATTACKS, INSERT, Program, apply_edits, attack, edits_to_source, make_program
from .dataset import load_functions, load_vocab, model_input, split_identifier, tokenize_code
from .metrics import subtoken_f1
from .model import ROBUST, STANDARD, load_name_model, predict_names, predict_tokens
from .obfuscate import insert_dead_code, rename, rename_many, rename_sites

__all__ = [
           "ATTACKS",
           "INSERT",
           "ROBUST",
           "STANDARD",
           "Program",
           "apply_edits",
           "attack",
           "edits_to_source",
           "insert_dead_code",
           "load_functions",
           "load_name_model",
           "load_vocab",
           "make_program",
           "model_input",
           "predict_names",
           "predict_tokens",
           "rename",
           "rename_many",
           "rename_sites",
           "split_identifier",
           "subtoken_f1",
           "tokenize_code",
]

"""The shipped name models, registered with the kit's zoo (``tutorial_lib.zoo.load("code_names")``).

``code_names``: standard training; ``code_names_adv``: half of every batch obfuscated by a
random-site + gradient-content attack (``train.train_for_checkpoint``). Both: the same step budget.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tutorial_lib.core import zoo
from tutorial_lib.core.config import get_profile
from tutorial_lib.core.device import device as default_device

from .dataset import load_vocab, model_input
from .model import ROBUST, STANDARD, NamePredictor, build_model, checkpoint_name, predict_tokens
from .train import train_for_checkpoint


def _train(name: str, profile: str):
    def train(model: NamePredictor) -> dict:
        return train_for_checkpoint(checkpoint_name(name, profile), model.to(default_device()),
                                    profile=profile)
    return train


for _profile in ("quick", "full"):
    for _name, _what in ((STANDARD, "standard training"),
                         (ROBUST, "adversarial training on random-site obfuscations")):
        zoo.register(checkpoint_name(_name, _profile),
                     build=lambda p=_profile: build_model(profile=p), train=_train(_name, _profile),
                     description=f"function-name predictor, {_what} ({_profile} profile)")


def load_name_model(name: str = STANDARD, device: torch.device | str | None = None) -> NamePredictor:
    """A name predictor (``code_names`` standard, ``code_names_adv`` adversarially trained) in
    eval mode. Quick profile: the shipped checkpoints (via the zoo). Full profile: ``NAME_full``,
    trained on first use (GPU recommended) on the shipped corpus plus ``$FRFM_CODE_DIR``."""
    dev = device or default_device()
    full = get_profile().name == "full"  # no full-profile model ships: the lesson trains it
    return zoo.load(checkpoint_name(name), train=full).float().to(dev).eval()


_DEFAULT: dict = {}


def predict_names(sources: Sequence[str] | str, model: NamePredictor | None = None) -> list[list[str]]:
    """Predicted name subtokens, one list per function source (the text of a ``def``).

    ``model`` defaults to the shipped standard model. The function's own name is masked the
    code2seq way, so passing a function with its real name is fine."""
    if isinstance(sources, str):
        sources = [sources]
    inputs = [model_input(s)[0] for s in sources]  # parse errors first, before loading a model
    if model is None:
        if "model" not in _DEFAULT:
            _DEFAULT["model"] = load_name_model(STANDARD)
        model = _DEFAULT["model"]
    return predict_tokens(model, inputs, load_vocab())


@zoo.register("code_attack_tables", files=("code/attack_table_code_names.json.gz",
                                           "code/attack_table_code_names_adv.json.gz"))
def make_code_attack_tables() -> dict:
    """Every attack of notebook 04 on 1,000 test functions, both models (one CPU thread: ~40 min)."""
    from .evaluate import write_table
    return {m: write_table(load_name_model(m, "cpu"), m) for m in (STANDARD, ROBUST)}

"""The shipped name models, registered with the kit's zoo (``tutorial_lib.zoo.load("code_names")``).

``code_names``: standard training; ``code_names_adv``: half of every batch obfuscated by a
random-site + gradient-content attack (``train.train_for_checkpoint``). Both: the same step budget.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tutorial_lib.core import models, zoo
from tutorial_lib.core.config import get_profile
from tutorial_lib.core.device import device as default_device

from .dataset import load_vocab, model_input
from .model import ROBUST, STANDARD, NamePredictor, build_model, checkpoint_name, predict_tokens
from .train import train_for_checkpoint


def _build() -> NamePredictor:
    return build_model(profile="quick")


@zoo.register(STANDARD, build=_build)
def train_code_names(model: NamePredictor) -> dict:
    """Function-name predictor, standard training (quick profile)."""
    return train_for_checkpoint(STANDARD, model, profile="quick")


@zoo.register(ROBUST, build=_build)
def train_code_names_adv(model: NamePredictor) -> dict:
    """Function-name predictor, adversarial training on random-site obfuscations (quick profile)."""
    return train_for_checkpoint(ROBUST, model, profile="quick")


def load_name_model(name: str = STANDARD, device: torch.device | str | None = None) -> NamePredictor:
    """A name predictor (``code_names`` standard, ``code_names_adv`` adversarially trained) in
    eval mode. Quick profile: the shipped checkpoints (via the zoo). Full profile: ``NAME_full``,
    trained on first use (GPU recommended) on the shipped corpus plus ``$FRFM_CODE_DIR``."""
    ckpt = checkpoint_name(name)
    dev = device or default_device()
    if get_profile().name == "quick":
        return zoo.load(ckpt).float().to(dev).eval()

    def train(m):
        metrics = train_for_checkpoint(ckpt, m.to(dev))
        m.cpu()
        return metrics

    return models.load_or_train(ckpt, build_model, train).float().to(dev).eval()


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

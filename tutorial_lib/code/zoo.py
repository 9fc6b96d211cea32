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
        if get_profile(profile).smoke:
            return _smoke_train(name, model.to(default_device()))
        return train_for_checkpoint(checkpoint_name(name, profile), model.to(default_device()),
                                    profile=profile)
    return train


def _smoke_train(name: str, model: NamePredictor) -> dict:
    """FRFM_SMOKE=1: the training and evaluation code on a few functions for two steps (a smoke
    test of the code path; the model learns nothing)."""
    from .dataset import load_corpus
    from .train import evaluation_report, train_name_model

    vocab = load_vocab()
    train, val, test = (load_corpus(s, n=n) for s, n in (("train", 64), ("val", 8), ("test", 8)))
    metrics = train_name_model(model, train, val, vocab, steps=2, batch_size=8, warmup=1,
                               eval_every=2, adv_fraction=0.5 if name == ROBUST else 0.0, log=None)
    metrics.update(evaluation_report(model, vocab, test, train))
    model.half()
    return metrics


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
    try:
        model = zoo.load(checkpoint_name(name))
    except FileNotFoundError:
        if not full:
            raise
        print(full_training_estimate(name))
        model = zoo.load(checkpoint_name(name), train=True)
    return model.float().to(dev).eval()


def full_training_estimate(name: str = STANDARD) -> str:
    """What training the full-profile model costs, scaled from the shipped quick model's record:
    examples seen x compute per example (width^2 x layers x input length)."""
    from .model import MODEL_CONFIGS
    from .train import TRAIN_CONFIGS

    if get_profile().smoke:
        return f"{checkpoint_name(name)}: smoke run, 2 training steps on 64 functions."
    q, f = TRAIN_CONFIGS["quick"], TRAIN_CONFIGS["full"]
    mq, mf = MODEL_CONFIGS["quick"], MODEL_CONFIGS["full"]
    rec = zoo.metrics(checkpoint_name(name, "quick"))
    examples = f["steps"] * f["batch_size"] / (q["steps"] * q["batch_size"])
    per_example = (mf["d"] ** 2 * mf["layers"] * mf["max_len"]) / (mq["d"] ** 2 * mq["layers"] * mq["max_len"])
    hours = rec["train_seconds"] * examples * per_example / 3600
    return (f"{checkpoint_name(name)} is not on this machine: training it now ({f['steps']:,} steps of "
            f"{f['batch_size']} functions, {examples:.0f}x the quick model's examples at about "
            f"{per_example:.0f}x its compute each). The quick model took {rec['train_seconds'] / 60:.0f} min "
            f"on {rec.get('threads', 1)} CPU thread{'s' * (rec.get('threads', 1) != 1)}, so expect roughly {hours:.0f} h on such a CPU "
            f"(the {f['max_minutes']}-minute guard stops it earlier) and far less on a GPU. "
            f"Or build it once with `{zoo.command(checkpoint_name(name))}`.")


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
    """Every attack of notebook 04 on 1,000 test functions, both models (one CPU thread: ~12 min)."""
    from .evaluate import write_table
    return {m: write_table(load_name_model(m, "cpu"), m) for m in (STANDARD, ROBUST)}


def _defence(name: str, profile: str):
    def train(model: NamePredictor) -> dict:
        from .defences import defend
        return defend(name, model.to(default_device()), profile=profile)
    return train


def _register_defences() -> None:
    from .defences import DEFENCES
    for profile in ("quick", "full"):
        for name, what in DEFENCES.items():
            copy = not name.endswith("_nocopy")
            zoo.register(name if profile == "quick" else f"{name}_full",
                         build=lambda p=profile, c=copy: build_model(profile=p, copy=c),
                         train=_defence(name, profile),
                         description=f"function-name predictor, {what} ({profile} profile)")


_register_defences()


@zoo.register("code_defence_table", files=("code/defence_table.json.gz",))
def make_code_defence_table() -> dict:
    """Every attack at k=5 on the first ``defences.knobs()["n_eval"]`` test functions, for the two
    shipped models and the five defence/ablation checkpoints (one CPU thread: ~26 min)."""
    import time

    from .defences import DEFENCES, defence_table, knobs
    from .evaluate import write_json_gz
    t0 = time.perf_counter()
    models = {m: load_name_model(m, "cpu") for m in (STANDARD, ROBUST)}
    models.update({m: zoo.load(m).float().eval() for m in DEFENCES})
    out = defence_table(models, knobs()["n_eval"])
    out["seconds"] = round(time.perf_counter() - t0, 1)
    write_json_gz("code/defence_table.json.gz", out)
    return {"n": out["n"], "seconds": out["seconds"], "models": list(models)}


def load_defence_table() -> dict:
    """The shipped defence table (sha256-checked), counts as arrays."""
    from .evaluate import read_rows_gz
    return read_rows_gz("code/defence_table.json.gz")

"""Run profiles: every size knob of the kit lives here.

``FRFM_PROFILE=quick`` (the default) runs everything on a 2-core laptop in minutes with the
models this repo trains on real digit scans; ``FRFM_PROFILE=full`` uses pretrained ImageNet
models from timm and datasets the user downloads (GPU recommended).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

PROFILE_ENV = "FRFM_PROFILE"
SMOKE_ENV = "FRFM_SMOKE"  # "1": a smoke run (few images, 1-2 steps) of the same code paths, never results


@dataclass(frozen=True)
class Profile:
    """All the numbers a notebook may scale with the machine it runs on."""

    name: str
    dataset: str  # evaluation dataset for the vision notebooks
    image_size: int  # side of the (square) model input in pixels
    channels: int  # input channels of the vision models
    num_classes: int
    n_eval: int  # images used for evaluation-heavy probes (attacks, corruptions, ...)
    batch_size: int
    attack_steps: int  # PGD steps for evaluation
    epochs: int  # default epochs for any training a notebook runs live
    seed: int
    models: dict[str, str] = field(default_factory=dict)  # role -> model name
    smoke: bool = False  # FRFM_SMOKE=1: tiny sizes to exercise the code paths; numbers mean nothing

    def with_(self, **changes: object) -> Profile:
        """A copy with some fields changed (e.g. ``get_profile().with_(n_eval=50)``)."""
        return replace(self, **changes)


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick",
        dataset="digits",
        image_size=32,
        channels=1,
        num_classes=10,
        n_eval=397,  # the whole digits test split
        batch_size=256,
        attack_steps=10,
        epochs=5,
        seed=0,
        models={"vit": "vit_digits", "cnn": "cnn_digits"},
    ),
    "full": Profile(
        name="full",
        dataset="imagenet",
        image_size=224,
        channels=3,
        num_classes=1000,
        n_eval=1000,
        batch_size=64,
        attack_steps=20,
        epochs=10,
        seed=0,
        models={"vit": "vit_small_patch16_224", "cnn": "resnet50"},
    ),
}


def get_profile(name: str | None = None) -> Profile:
    """Return the active profile: ``name`` if given, else ``$FRFM_PROFILE``, else ``quick``.

    Raises ``ValueError`` naming the valid profiles when the name is unknown.
    """
    chosen = name if name is not None else os.environ.get(PROFILE_ENV, "quick")
    key = chosen.strip().lower()
    if key not in PROFILES:
        valid = ", ".join(sorted(PROFILES))
        raise ValueError(
            f"Unknown profile {chosen!r} (from {'argument' if name else PROFILE_ENV}). "
            f"Valid profiles: {valid}. Example: export {PROFILE_ENV}=quick"
        )
    prof = PROFILES[key]
    return smoke_sizes(prof) if is_smoke() else prof


def is_smoke() -> bool:
    """True under ``FRFM_SMOKE=1``: a smoke run of the code paths on tiny sizes, never results."""
    return os.environ.get(SMOKE_ENV, "0").strip() == "1"


def smoke_sizes(prof: Profile) -> Profile:
    """The profile shrunk for a smoke run: 8 images, batches of 8, 2 attack steps, 1 epoch."""
    return prof.with_(n_eval=min(prof.n_eval, 8), batch_size=min(prof.batch_size, 8),
                      attack_steps=min(prof.attack_steps, 2), epochs=1, smoke=True)


def pick_knobs(table: dict[str, dict], profile: str | None = None) -> dict:
    """A copy of ``table[<profile>]``: what every part module's ``knobs(profile)`` returns.

    Under ``FRFM_SMOKE=1`` an optional ``table["smoke"]`` (a subset of the keys, tiny sizes) is
    laid over the profile's table, so a smoke run exercises the same code with a few items.
    """
    import copy

    prof = get_profile(profile)
    chosen = copy.deepcopy(table[prof.name])
    if prof.smoke and "smoke" in table:
        unknown = set(table["smoke"]) - set(chosen)
        if unknown:
            raise KeyError(f"smoke knobs {sorted(unknown)} are not knobs of this table")
        chosen.update(copy.deepcopy(table["smoke"]))
    return chosen


def setup_notebook(seed: int | None = None) -> tuple[Profile, torch.device]:
    """What every notebook's setup cell does: read the profile, pick and print the device, seed
    everything and apply the kit's plot style. Returns ``(profile, device)``."""
    from tutorial_lib.core.device import device, seed_everything
    from tutorial_lib.core.plotting import use_style

    prof = get_profile()
    dev = device()
    seed_everything(prof.seed if seed is None else seed)
    use_style()
    import torch

    threads = torch.get_num_threads()
    print(f"profile: {prof.name} (set FRFM_PROFILE=quick|full) | device: {dev} | "
          f"torch {torch.__version__}, {threads} CPU thread{'s' * (threads != 1)}")
    if prof.smoke:
        print("SMOKE RUN (FRFM_SMOKE=1): a few images and 1-2 steps to exercise the code paths. "
              "Every number below is meaningless; with stand-in data and random weights, doubly so.")
    elif dev.type == "cpu" and prof.name == "full":
        print("The full profile on a CPU will be slow: on Colab choose Runtime > Change runtime "
              "type > GPU.")
    return prof, dev

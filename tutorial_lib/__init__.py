"""tutorial_lib: the thin, tested library behind the Foundational Robustness notebooks.

Notebooks import what they need from the concept modules (``tutorial_lib.data``,
``tutorial_lib.models``, ...); the most used entry points are re-exported here.
"""

from .config import Profile, get_profile
from .data import load_dataset, repo_root
from .device import device, seed_everything
from .models import available_models, load_model

__all__ = ["Profile", "available_models", "device", "get_profile", "load_dataset", "load_model",
           "repo_root", "seed_everything"]
__version__ = "0.1.0"

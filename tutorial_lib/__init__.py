"""tutorial_lib: the thin, tested library behind the Foundational Robustness notebooks.

``core/`` holds the services every lesson shares (profile and knobs, device, data, the zoo of
shipped artefacts, the training loop, attacks, verdicts, plotting, widgets, checks); each tutorial
part has its own folder (``evaluation``, ``attribution``, ``transfer``, ``code``, ``certified``,
``shift``) that depends on ``core`` only. ``tutorial_lib.zoo`` is ``tutorial_lib.core.zoo``.
"""

import sys as _sys

from .core import zoo
from .core.config import Profile, get_profile
from .core.data import load_dataset, repo_root
from .core.device import device, reuse_freed_memory, seed_everything

_sys.modules[__name__ + ".zoo"] = zoo
reuse_freed_memory()  # big image batches reuse freed memory instead of page-faulting it back in

__all__ = ["Profile", "device", "get_profile", "load_dataset", "repo_root", "seed_everything", "zoo"]
__version__ = "0.2.0.dev0"

"""Which device to compute on, and reproducible seeding."""

from __future__ import annotations

import ctypes
import os
import random
import sys

import numpy as np
import torch

DEVICE_ENV = "FRFM_DEVICE"
MALLOC_ENV = "FRFM_MALLOC"
_announced: set[str] = set()
# glibc mallopt parameters (malloc.h): keep up to 1 GiB free at the top of the heap, serve blocks up
# to 1 GiB from the heap (not from fresh mmaps), grow it 64 MiB at a time
_MALLOPT = {-1: 1 << 30, -3: 1 << 30, -2: 64 << 20}  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_TOP_PAD


def reuse_freed_memory() -> bool:
    """Let glibc's malloc keep freed memory and hand it out again (Linux; called on import).

    By default glibc serves every block over 32 MB (a batch of 64 RGB 224-px images in float32 is
    38.5 MB) by a fresh ``mmap`` and gives it back on ``free``, so each new tensor of that size
    page-faults in again: 9,400 faults, about 22 ms on the kit's 2-core VM, more than most
    corruptions take to compute. PyTorch's CPU performance guide recommends a caching allocator
    (jemalloc, tcmalloc) for this reason; three ``mallopt`` settings give glibc's own allocator that
    behaviour. The price: the process keeps up to 1 GiB of freed memory for reuse.

    The first few batches of a new size may still fault in: torch asks for 64-byte-aligned blocks,
    which glibc 2.36 serves from a freed block only once it has coalesced with a freed neighbour
    (1 to 5 batches of 50 MB on the kit's VM).

    ``import tutorial_lib`` calls this once; ``FRFM_MALLOC=system`` skips it. Returns whether the
    settings took (False off glibc, e.g. on macOS or Windows, where nothing changes).
    """
    if os.environ.get(MALLOC_ENV, "").strip().lower() == "system" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl or another libc: leave its allocator alone
        return False
    return all(mallopt(param, value) == 1 for param, value in _MALLOPT.items())


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def device(verbose: bool = False) -> torch.device:
    """The device every helper uses: ``$FRFM_DEVICE`` if set, else CUDA, else MPS, else CPU.

    Asking for a device that is absent (``FRFM_DEVICE=cuda`` on a machine without a GPU) raises
    ``RuntimeError`` with what to do instead.
    """
    wanted = os.environ.get(DEVICE_ENV, "").strip().lower()
    if wanted:
        if wanted.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(
                f"{DEVICE_ENV}={wanted} but no CUDA GPU is visible to torch. Unset {DEVICE_ENV} "
                "to fall back to the CPU, or on Colab choose Runtime > Change runtime type > GPU."
            )
        if wanted == "mps" and not _mps_available():
            raise RuntimeError(f"{DEVICE_ENV}=mps but MPS is not available; unset {DEVICE_ENV}.")
        if wanted not in {"cpu", "mps"} and not wanted.startswith("cuda"):
            raise ValueError(f"{DEVICE_ENV}={wanted!r} is not a device; use cpu, cuda, cuda:N or mps.")
        dev = torch.device(wanted)
    elif torch.cuda.is_available():
        dev = torch.device("cuda")
    elif _mps_available():
        dev = torch.device("mps")
    else:
        dev = torch.device("cpu")
    if verbose and str(dev) not in _announced:
        _announced.add(str(dev))
        hint = "" if dev.type != "cpu" else " (no GPU found: the quick profile is made for this)"
        print(f"device: {dev}{hint}")
    return dev


def eval_batch_size(dev: torch.device | str | None = None) -> int:
    """Images per forward call for evaluation helpers: 64 on a CPU, 512 on a GPU.

    On a CPU, batches past a few dozen 32-px images run slower per image (activations fall out of
    the cache): the CNN's forward + input gradient costs up to 2x more per image at 512 than at 64
    (``scripts/bench_batch.py``). A GPU wants large batches.
    """
    dev = torch.device(dev) if dev is not None else device()
    return 64 if dev.type == "cpu" else 512


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a CPU ``torch.Generator`` seeded too."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)

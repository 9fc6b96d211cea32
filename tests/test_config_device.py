import importlib
import os
import subprocess
import sys

import pytest
import torch

from tutorial_lib.core import config
from tutorial_lib.core.config import get_profile
from tutorial_lib.core.device import device, seed_everything

# tutorial_lib re-exports the function device(), which shadows the module's attribute name
device_mod = importlib.import_module("tutorial_lib.core.device")


def test_quick_is_the_default(monkeypatch):
    monkeypatch.delenv("FRFM_PROFILE", raising=False)
    assert get_profile().name == "quick"


def test_full_profile_from_env(monkeypatch):
    monkeypatch.setenv("FRFM_PROFILE", "FULL")
    prof = get_profile()
    assert prof.name == "full" and prof.image_size == 224 and prof.channels == 3


def test_unknown_profile_names_the_valid_ones(monkeypatch):
    monkeypatch.setenv("FRFM_PROFILE", "fast")
    with pytest.raises(ValueError, match=r"'fast'.*Valid profiles: full, quick"):
        get_profile()


def test_every_size_knob_is_in_both_profiles():
    q, f = config.PROFILES["quick"], config.PROFILES["full"]
    for knob in ("image_size", "n_eval", "attack_steps", "epochs", "seed"):
        assert getattr(q, knob) > 0 or knob == "seed"  # the full profile is never smaller
        assert getattr(f, knob) >= getattr(q, knob)
    assert set(q.models) == set(f.models) == {"vit", "cnn"}


def test_with_returns_a_modified_copy():
    q = get_profile("quick")
    small = q.with_(n_eval=10)
    assert small.n_eval == 10 and q.n_eval == 397


def test_device_defaults_to_cpu_without_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_mod, "_mps_available", lambda: False)
    assert device() == torch.device("cpu")


def test_env_override(monkeypatch):
    monkeypatch.setenv("FRFM_DEVICE", "cpu")
    assert device() == torch.device("cpu")


def test_cuda_requested_but_absent_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("FRFM_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        device()


def test_nonsense_device_is_an_error(monkeypatch):
    monkeypatch.setenv("FRFM_DEVICE", "tpu")
    with pytest.raises(ValueError, match="not a device"):
        device()


def test_seed_everything_is_reproducible():
    seed_everything(3)
    a = torch.rand(5)
    g = seed_everything(3)
    assert torch.equal(a, torch.rand(5))
    assert torch.equal(torch.rand(2, generator=g), torch.rand(2, generator=seed_everything(3)))


def test_eval_batch_size_is_small_on_a_cpu_and_large_on_a_gpu():
    from tutorial_lib.core.device import eval_batch_size
    assert eval_batch_size("cpu") == 64
    assert eval_batch_size(torch.device("cuda")) == 512  # a device object needs no GPU to exist


_FAULTS = r"""
import resource, torch, tutorial_lib
from tutorial_lib.core.device import reuse_freed_memory
x = torch.rand(16, 3, 512, 512)  # 50 MB: above glibc's 32 MB ceiling for reusing mmapped blocks
pages, faults = x.numel() * 4 // 4096, []
for _ in range(25):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x.mul(2)
    faults.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / pages)
print(reuse_freed_memory(), *faults)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_big_batches_reuse_freed_memory_instead_of_page_faulting():
    """After ``import tutorial_lib`` a new 50 MB tensor reuses freed memory: once the heap has
    settled, under 5% of its pages fault in. With ``FRFM_MALLOC=system`` (glibc's defaults) nearly
    every page faults every time.

    The first few batches may still fault in (see ``reuse_freed_memory``: torch's aligned requests
    reuse a freed block only once it has coalesced). That took 1 to 5 batches on the VM and 8 or
    more once under CI, where reading after 3 batches failed; so the settled state is read after
    20 batches."""
    def run(**env):
        out = subprocess.run([sys.executable, "-c", _FAULTS], capture_output=True, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": "1", **env}, check=True)
        applied, *faults = out.stdout.split()
        return applied == "True", [float(f) for f in faults]

    applied, kept = run()
    if not applied:
        pytest.skip("not glibc: the allocator is left alone")
    assert max(kept[20:]) < 0.05, kept
    applied, default = run(FRFM_MALLOC="system")
    assert not applied and min(default[20:]) > 0.5, default

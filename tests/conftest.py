"""Shared test set-up: one torch thread per xdist worker (two 2-thread workers on 2 cores run up
to 16x slower), the quick profile, and no GPU surprises."""

import os

import pytest
import torch

os.environ.setdefault("FRFM_PROFILE", "quick")

if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _quick_profile(monkeypatch):
    """Every test starts in the quick profile with no device override."""
    monkeypatch.setenv("FRFM_PROFILE", "quick")
    monkeypatch.delenv("FRFM_DEVICE", raising=False)

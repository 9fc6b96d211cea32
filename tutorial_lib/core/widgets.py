"""Builders of core-ipywidgets ``interactive`` objects (Colab-safe: no third-party widgets).

Each wraps a pure plotting function that the notebook also calls once statically.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets


def slider_explorer(fn: Callable[..., object], **sliders: widgets.Widget) -> widgets.interactive:
    """``interactive(fn, **sliders)`` with every slider set to ``continuous_update=False``."""
    for s in sliders.values():
        if hasattr(s, "continuous_update"):
            s.continuous_update = False
    return widgets.interactive(fn, **sliders)


def eps_slider(max_eps: float = 0.3, step: float = 0.01, value: float = 0.1,
               description: str = "ε") -> widgets.FloatSlider:
    """The attack-budget slider every adversarial lesson uses."""
    return widgets.FloatSlider(value=value, min=0.0, max=max_eps, step=step,
                               description=description, continuous_update=False,
                               readout_format=".2f")

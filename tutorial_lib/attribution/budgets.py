"""Attack budgets, noise levels, sample sizes and wording of notebooks 00 and 02, per profile.

The quick profile runs 32-px grey digit scans, where an L∞ budget of 0.1 (about 26/255) leaves a
digit readable; the full profile runs ImageNet at 224 px, where budgets are quoted in 1/255 steps
(4/255 is the usual "small" one) and Gaussian noise uses ImageNet-C's five severities (Hendrycks &
Dietterich 2019, ``gaussian_noise``: σ = 0.08, 0.12, 0.18, 0.26, 0.38). Every ε, slider range,
count and data noun the two notebooks print comes from :func:`knobs`, so no digit value or
digit wording is left in a full-profile run.
"""

from __future__ import annotations

from tutorial_lib.core.config import get_profile, pick_knobs

# eps_unit: the unit ε is shown in (1.0: a fraction of the pixel range; 1/255: grey levels); the
# slider and the FGSM figure's axis move in that unit, labelled eps_label. check_accuracy: assert
# accuracy-dependent facts (off in a smoke run, whose stand-in weights are random, so every
# accuracy is chance).
KNOBS = {
    "quick": {
        "noun": "digits",
        "sigmas": (0.0, 0.05, 0.1, 0.15, 0.2, 0.3),
        "epsilons": (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2),
        "eps_demo": 0.1, "eps_unit": 1.0, "eps_label": "ε", "slider_max": 0.3, "slider_step": 0.01,
        "n_pgd": 100, "eps_pgd": 0.02, "attack_batch": 64,
        "target_class": 3, "targeted_eps": (0.1, 0.2, 0.3), "n_targeted": 128, "n_show": 8,
        "min_clean_acc": 0.96, "max_acc_gap": 0.03, "fgsm_margin": 0.3, "check_accuracy": True,
    },
    "full": {
        "noun": "ImageNet validation images",
        "sigmas": (0.0, 0.08, 0.12, 0.18, 0.26, 0.38),
        "epsilons": (0.0, 1 / 255, 2 / 255, 4 / 255, 8 / 255, 16 / 255),
        "eps_demo": 4 / 255, "eps_unit": 1 / 255, "eps_label": "ε (/255)", "slider_max": 16.0,
        "slider_step": 1.0,
        "n_pgd": 100, "eps_pgd": 1 / 255, "attack_batch": 32,
        "target_class": 954, "targeted_eps": (2 / 255, 8 / 255, 16 / 255), "n_targeted": 128,
        "n_show": 8, "min_clean_acc": 0.7, "max_acc_gap": 0.1, "fgsm_margin": 0.2,
        "check_accuracy": True,
    },
    # FRFM_SMOKE=1: a few images; accuracies are not asserted (random stand-in weights)
    "smoke": {"n_pgd": 8, "n_targeted": 8, "n_show": 4, "attack_batch": 8, "check_accuracy": False},
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def format_eps(eps: float, profile: str | None = None) -> str:
    """ε as the profile quotes it: ``0.1`` in the quick profile, ``4/255`` in the full one."""
    unit = KNOBS[get_profile(profile).name]["eps_unit"]
    if unit == 1.0:
        return f"{eps:g}"
    return f"{eps / unit:.3g}/{round(1 / unit)}"

# %% [markdown]
# # 01 · ViT vs CNN: a robustness evaluation
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/frfm-kit/foundational-robustness-kit/blob/main/notebooks/01_vit_vs_cnn_robustness.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/frfm-kit/foundational-robustness-kit/main?labpath=notebooks%2F01_vit_vs_cnn_robustness.ipynb)
#
# Are vision transformers more robust than convolutional networks? Paul & Chen (*Vision
# Transformers are Robust Learners*, AAAI 2022) compared ViTs and CNNs of similar capacity on the
# ImageNet robustness benchmarks — ImageNet-C (corruptions), ImageNet-P (perturbation stability),
# ImageNet-R/-A (renditions, natural adversarial examples), ImageNet-O (out-of-distribution
# detection) — and Shao et al. (*On the Adversarial Robustness of Vision Transformers*, TMLR 2022)
# added white-box attacks. This notebook runs **the same measurements** on the kit's ViT and CNN
# (trained from scratch on real digit scans in the quick profile; pretrained ImageNet models in the
# full profile), and sets the papers' findings beside its own numbers.
#
# **Learning goals**
# - Compute ImageNet-C's mean Corruption Error (mCE) and relative mCE against a named baseline.
# - Measure prediction stability on ImageNet-P-style sequences: flip rate and top-5 distance.
# - Write a PGD attack in a dozen lines, and draw robust-accuracy-vs-ε curves (L∞ and L2).
# - Score out-of-distribution detection with the maximum softmax probability (AUROC, AUPR).
# - Read a miniature honestly: put an interval on every ViT-vs-CNN difference (a paired bootstrap
#   over the test images) and let one rule say reproduced, contradicted or inconclusive.
# - Check an attack before trusting its number: more steps, larger ε, transfer, worst case.
#
# **Run time**: quick profile (default) about 30 s (measured with `bash scripts/run_all.sh` on an idle 2-core CPU; a machine shared with
# other jobs can take several times longer); full profile (ViT-S/16 vs ResNet-50, `FRFM_PROFILE=full`, an ImageNet-style folder
# in `FRFM_DATA_DIR`) about 10 minutes on a GPU plus the one-time weight download (estimate).

# %%
# Setup. On Colab this fetches the kit (pinned release) without reinstalling torch/matplotlib.
import os, subprocess, sys
KIT_REPO = "https://github.com/frfm-kit/foundational-robustness-kit"  # scripts/set_repo_url.py
KIT_REF = "main"
if "google.colab" in sys.modules and not os.path.isdir("/content/frfm-kit"):
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", KIT_REF, KIT_REPO, "/content/frfm-kit"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", "/content/frfm-kit"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "timm>=1.0"], check=True)
if os.path.isdir("/content/frfm-kit"):
    sys.path.insert(0, "/content/frfm-kit")
    os.environ.setdefault("FRFM_ROOT", "/content/frfm-kit")

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from tutorial_lib.core import attacks, checks, models, verdict, widgets
from tutorial_lib.evaluation import corruptions, ood, stability, suite
from tutorial_lib.core.config import setup_notebook
from tutorial_lib.core.data import class_names
from tutorial_lib.core.plotting import COLORS, show_images, takeaway
from tutorial_lib.core.fit import accuracy

PROFILE, DEVICE = setup_notebook()
S = suite.knobs()  # this lesson's sizes for the active profile
print({k: v for k, v in S.items() if not k.startswith("eps")})

# %% [markdown]
# ## 1. Two models of similar size, and the test images
#
# The quick profile uses the kit's shipped models (notebook 00): a timm ViT with 4×4 patches and a
# timm ResNet, ~0.7 M parameters each, both ~99% accurate on the 397 test scans. Every benchmark
# below is computed on those test scans (or the first `n` of them where a probe is heavy). In the
# full profile the same cells load pretrained ImageNet models and an ImageNet-style folder, and
# stop here with a clear message if that folder is missing.

# %%
x_test, y_test = suite.evaluation_set(PROFILE.n_eval, device=DEVICE)
CLASSES = class_names(PROFILE.dataset)
MODELS = {"ViT": models.load_model(PROFILE.models["vit"], device=DEVICE),
          "CNN": models.load_model(PROFILE.models["cnn"], device=DEVICE)}
MODEL_COLORS = {"ViT": COLORS["vit"], "CNN": COLORS["cnn"]}
BASELINE = "CNN"  # the model every ratio (CE, FR, T5D) is normalised by; ImageNet-C used AlexNet
# Note: the CNN is both the competitor and the baseline here, so "ViT mCE < 100%" and "ViT beats
# the CNN" are the same statement; ImageNet-C's AlexNet baseline was a third, weaker model.
clean_acc = {k: accuracy(m, x_test, y_test) for k, m in MODELS.items()}
for k, m in MODELS.items():
    print(f"{k}: {m.name}, {models.count_parameters(m):,} parameters, clean accuracy "
          f"{clean_acc[k]:.1%} on {len(x_test)} test images")

# %%
assert abs(clean_acc["ViT"] - clean_acc["CNN"]) <= (0.03 if PROFILE.name == "quick" else 0.1)

# %% [markdown]
# ## 2. Common corruptions (ImageNet-C)
#
# Hendrycks & Dietterich (ICLR 2019) corrupt every test image with 15 families at 5 severities.
# `tutorial_lib.evaluation.corruptions` implements 11 of them as batched torch ops: noise (Gaussian, shot,
# impulse), blur (defocus, Gaussian, motion), weather-like (brightness, contrast, fog) and digital
# (pixelate, JPEG). Their parameters are the paper's, adapted to 32-px digits; the module's
# docstring says exactly how. One adaptation matters for the verdict: the kit's pixelate sizes are
# chosen *off* the ViT's 4-px patch grid, because ImageNet-C's own sizes (0.6…0.25 of the side:
# 19, 16, 13, 10, 8 px) include sizes that line up with it and collapse the ViT. That choice
# favours the ViT, so section 6 also reports mCE with ImageNet-C's own sizes.

# %%
x_c, y_c = x_test[:S["n_corrupt"]], y_test[:S["n_corrupt"]]
names = list(corruptions.CORRUPTIONS)
g = torch.Generator().manual_seed(PROFILE.seed)
row = torch.cat([corruptions.corrupt(x_c[:1], n, 3, g) for n in names])
show_images(row.cpu(), [n.replace("_", " ") for n in names], ncols=11, size=1.3,
            suptitle="one test image, every corruption at severity 3")
plt.show()

# %% [markdown]
# The **Corruption Error** of a model on corruption $c$ sums its top-1 errors over the five
# severities and divides by the baseline's: $CE_c = \sum_s E_{s,c} / \sum_s E^{\text{base}}_{s,c}$;
# mCE averages $CE_c$ over corruptions. **Relative mCE** does the same with the *drop* from clean
# error, $E_{s,c} - E_{\text{clean}}$, so it separates "more accurate" from "degrades less".
# Here the baseline is the CNN, which is also the ViT's competitor: a ViT mCE below 100% *is* the
# statement "the ViT errs less than the CNN" (ImageNet-C normalised by AlexNet, a third model).

# %%
errors = corruptions.corruption_errors(MODELS, x_c, y_c, names, seed=PROFILE.seed)
ce = {k: corruptions.mce(errors[k], errors[BASELINE]) for k in MODELS}
rel = {k: corruptions.relative_mce(errors[k], errors[BASELINE], skip_undefined=True) for k in MODELS}
fig, axes = plt.subplots(1, 4, figsize=(15, 3.4), sharey=True)
for ax, (family, members) in zip(axes, corruptions.FAMILIES.items()):
    for k in MODELS:
        acc = 1 - np.mean([errors[k][n] for n in members], axis=0)
        ax.plot(range(0, 6), [1 - errors[k]["clean"][0], *acc], "o-", color=MODEL_COLORS[k], label=k)
    ax.set(title=f"{family}: {', '.join(m.split('_')[0] for m in members)}", xlabel="severity",
           ylim=(0, 1.02))
axes[0].set_ylabel("accuracy")
axes[0].legend()
plt.show()
mean_acc = {k: 1 - np.mean([errors[k][n] for n in names]) for k in MODELS}
undefined = [n for n in names if np.isnan(rel["ViT"][n])]
if undefined:
    print(f"relative mCE leaves out {', '.join(undefined)}: the CNN baseline loses no accuracy there.")
takeaway(f"mean corrupted accuracy ViT {mean_acc['ViT']:.1%} vs CNN {mean_acc['CNN']:.1%}; "
         f"mCE (CNN = 100%): ViT {ce['ViT']['mCE']:.0%}, relative mCE {rel['ViT']['relative_mCE']:.0%}.")

# %%
fig, ax = plt.subplots(figsize=(11, 3.2))
vals = [ce["ViT"][n] for n in names]
ax.bar(range(len(names)), vals, color=MODEL_COLORS["ViT"])
ax.axhline(1, color=MODEL_COLORS["CNN"], ls="--", label="CNN (baseline) = 1")
ax.set_xticks(range(len(names)), [n.replace("_", "\n") for n in names], fontsize=9)
ax.set(ylabel="ViT's CE", title="Corruption Error of the ViT per corruption (below 1: ViT better)")
ax.legend()
plt.show()
better = [n for n in names if ce["ViT"][n] < 1]
fragile = [n for n in names if np.sum(errors[BASELINE][n]) < 0.25]  # baseline errs < 5% per severity
takeaway(f"the ViT errs less than the CNN on {len(better)} of {len(names)} corruptions "
         f"({', '.join(better) or 'none'}).")
print(f"Careful: on {', '.join(fragile) or 'no corruption'} the baseline errs on < 5% of the images, "
      "so CE there is a ratio of small numbers and can swing the mean (and relative mCE) a lot.")

# %% [markdown]
# A verdict needs an interval, and an interval needs per-image results. The next cell records, for
# every test image, whether each model errs on each corruption and severity (the same seeded
# batches as above; column 0 is the clean image). Section 6 resamples these images.

# %%
def corrupted_wrong(x, y, pixelate_sizes=None, base=None):
    """{model: (images, corruptions, 1 + 5 severities)} 0/1 errors; column 0 is the clean image.
    With ``base`` (an earlier result) only pixelate is recomputed; the rest is copied."""
    wrong = {k: base[k].copy() if base else np.zeros((len(x), len(names), 6)) for k in MODELS}
    for k, m in MODELS.items():
        wrong[k][:, :, 0] = (~attacks.correct(m, x, y)).cpu().numpy()[:, None]
    for j, name in enumerate(names):
        if base is not None and name != "pixelate":
            continue
        for s in range(1, 6):
            if name == "pixelate" and pixelate_sizes:  # ImageNet-C's recipe: box-shrink, blow up
                side = pixelate_sizes[s - 1]
                xc = F.interpolate(F.interpolate(x, size=(side, side), mode="area"),
                                   size=x.shape[-2:], mode="nearest")
            else:
                xc = corruptions.corrupt(x, name, s,
                                         torch.Generator().manual_seed(PROFILE.seed + 100 * j + s))
            for k, m in MODELS.items():
                wrong[k][:, j, s] = (~attacks.correct(m, xc, y)).cpu().numpy()
    return wrong


wrong = corrupted_wrong(x_c, y_c)
assert all(np.allclose(wrong[k][:, j, 1:].mean(0), errors[k][n]) for k in MODELS
           for j, n in enumerate(names))  # the same numbers as corruption_errors

# %%
for k in MODELS:  # corruptions hurt, and severity 5 hurts more than severity 1
    assert mean_acc[k] < clean_acc[k] - 0.05, (k, mean_acc[k])
    assert np.mean([errors[k][n][4] for n in names]) > np.mean([errors[k][n][0] for n in names])
assert abs(ce[BASELINE]["mCE"] - 1) < 1e-9

# %% [markdown]
# ## 3. Perturbation stability (ImageNet-P)
#
# ImageNet-P asks a different question: not "is the prediction right?" but "does it **stay the
# same** while the image changes a little, frame by frame?" `tutorial_lib.evaluation.stability` makes
# sequences of small translations (1 px per frame, a random compass direction per image),
# rotations (3° per frame), growing Gaussian noise and brightness steps. The **flip probability**
# counts top-1 changes between consecutive frames (for noise, between each frame and the clean
# one); the **top-5 distance** counts how far the top-5 ranking moves. Divided by the baseline's,
# and averaged over perturbations, they give mFR and mT5D.

# %%
x_s = x_test[:S["n_stability"]]
seq = stability.perturbation_sequence(x_s[:1], "translate", S["frames"],
                                      generator=torch.Generator().manual_seed(1))
show_images(seq[:, 0].cpu(), [f"frame {t}" for t in range(len(seq))], ncols=len(seq), size=1.5,
            suptitle="a translation sequence (1 px per frame)")
plt.show()
stab = stability.stability_report(MODELS, x_s, frames=S["frames"], seed=PROFILE.seed)
mfr = {k: stability.mean_rate(stab[k], stab[BASELINE], "fp") for k in MODELS}
mt5d = {k: stability.mean_rate(stab[k], stab[BASELINE], "t5d") for k in MODELS}
kinds = list(stability.SEQUENCES)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.4))
for ax, key, label in zip(axes, ["fp", "t5d"], ["flip probability", "top-5 distance"]):
    for j, k in enumerate(MODELS):
        ax.bar(np.arange(len(kinds)) + 0.4 * j, [stab[k][q][key] for q in kinds], width=0.4,
               color=MODEL_COLORS[k], label=k)
    ax.set_xticks(np.arange(len(kinds)) + 0.2, kinds)
    ax.set(ylabel=label, title=f"{label} per perturbation (lower = more stable)")
axes[0].legend()
plt.show()
takeaway(f"mFR of the ViT = {mfr['ViT']['mean']:.0%} of the CNN's, mT5D = {mt5d['ViT']['mean']:.0%}; "
         f"translation flips the ViT {stab['ViT']['translate']['fp']:.1%} vs the CNN "
         f"{stab['CNN']['translate']['fp']:.1%} of the time.")

# %%
# per image: flip probability and top-5 distance of each sequence (the same seeded sequences)
per_image = {k: np.zeros((len(x_s), len(kinds), 2)) for k in MODELS}
for j, kind in enumerate(kinds):
    sq = stability.perturbation_sequence(x_s, kind, S["frames"],
                                         generator=torch.Generator().manual_seed(PROFILE.seed + j))
    for k, m in MODELS.items():
        z, noise = stability.sequence_logits(m, sq), kind in stability.NOISE_LIKE
        per_image[k][:, j] = [(stability.flip_probability(z[:, i:i + 1], noise),
                               stability.top5_distance(z[:, i:i + 1], noise)) for i in range(len(x_s))]
assert all(np.isclose(per_image[k][:, j, 0].mean(), stab[k][q]["fp"])
           for k in MODELS for j, q in enumerate(kinds))

# %%
for k in MODELS:
    assert all(0 <= stab[k][q]["fp"] <= 1 for q in kinds)
    assert stab[k]["gaussian_noise"]["fp"] > stab[k]["rotate"]["fp"]  # noise up to σ=.15 vs 15°

# %% [markdown]
# ## 4. Adversarial robustness: PGD, written by hand
#
# Projected gradient descent (Madry et al., ICLR 2018) repeats a small signed-gradient step and
# projects back into the ε-ball (and onto valid pixels) after every step. Here it is for L∞,
# starting from the clean image; then we check it against `tutorial_lib.core.attacks.pgd`.

# %%
def my_pgd_linf(model, x, y, eps, steps, alpha):
    delta = torch.zeros_like(x)
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = F.cross_entropy(model(x + delta), y)
        (grad,) = torch.autograd.grad(loss, delta)  # w.r.t. the pixels only: weights untouched
        delta = (delta + alpha * grad.sign()).clamp(-eps, eps)  # ascend, project onto the ε-ball
        delta = ((x + delta).clamp(0, 1) - x).detach()  # stay a valid image
    return x + delta


cnn, xs, ys = MODELS["CNN"], x_test[:16], y_test[:16]
mine = my_pgd_linf(cnn, xs, ys, eps=8 / 255, steps=5, alpha=2 / 255)
lib = attacks.pgd(cnn, xs, ys, 8 / 255, steps=5, step_size=2 / 255, random_start=False)
print(f"max |mine - lib| = {(mine - lib).abs().max().item():.2e}, "
      f"max |δ| = {(mine - xs).abs().max().item() * 255:.2f}/255")
assert torch.allclose(mine, lib, atol=1e-6)

# %% [markdown]
# The lib version adds a random start, the L2 ball and batching. `attacks.robust_accuracy` sweeps
# ε in increasing order and only re-attacks the images that survived the previous ε (an
# adversarial example inside a small ball is also inside a larger one). Shao et al. report ViTs
# *more* robust than CNNs under such white-box attacks at small ε, on ImageNet.

# %%
x_a, y_a = x_test[:S["n_attack"]], y_test[:S["n_attack"]]
EPS = {"linf": [0.0, *S["eps_linf"]], "l2": [0.0, *S["eps_l2"]]}
ra, adv = {}, {}
for k, m in MODELS.items():
    for norm, eps in EPS.items():
        ra[k, norm], adv[k, norm] = attacks.robust_accuracy(
            m, x_a, y_a, eps, norm=norm, steps=PROFILE.attack_steps, seed=PROFILE.seed,
            return_adv=True)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
for ax, norm in zip(axes, EPS):
    for k in MODELS:
        ax.plot(EPS[norm], ra[k, norm], "o-", color=MODEL_COLORS[k], label=k)
    ax.set(xlabel=f"ε ({'max change per pixel' if norm == 'linf' else 'L2 length of δ'})",
           ylabel="robust accuracy", ylim=(0, 1.02),
           title=f"PGD-{PROFILE.attack_steps}, {norm.upper()} ({len(x_a)} images)")
    ax.legend()
plt.show()
i2 = 2  # ε = 2/255 (quick) in the L∞ sweep
takeaway(f"at L∞ ε = {EPS['linf'][i2] * 255:.0f}/255 the ViT keeps {ra['ViT', 'linf'][i2]:.0%}, "
         f"the CNN {ra['CNN', 'linf'][i2]:.0%}; at ε = {EPS['linf'][-1] * 255:.0f}/255: "
         f"{ra['ViT', 'linf'][-1]:.0%} vs {ra['CNN', 'linf'][-1]:.0%}.")

# %%
for k in MODELS:
    for norm in EPS:
        assert ra[k, norm][0] >= max(ra[k, norm][1:]) - 1e-9  # robust ≤ clean
        a = adv[k, norm][-1]
        size = (a - x_a).flatten(1).abs().amax(1) if norm == "linf" else (a - x_a).flatten(1).norm(dim=1)
        assert (size <= EPS[norm][-1] + 1e-6).all()
    assert ra[k, "linf"][-1] < 0.5 * clean_acc[k]  # ε = 8/255 breaks both

# %% [markdown]
# ### Before trusting these curves: attack hygiene
#
# A robust accuracy is only as good as the attack behind it (Carlini et al., *On Evaluating
# Adversarial Robustness*, 2019). `attacks.attack_checks` runs the automatic checks: more PGD steps
# must not raise accuracy; a huge ε must drive it to ~0 (else the attack, not the model, is
# failing); a transfer (black-box) attack from the *other* model must be weaker than the white-box
# one. It also runs FGSM, and reports the **worst case** per image over every attack: an image
# counts as robust only if it survives them all. Section 6 uses that worst case. The sweep above
# is reused: its PGD-10 images are the white-box attack, and the *other* model's PGD-10 images are
# the transfer attack.

# %%
STEPS = (PROFILE.attack_steps, 2 * PROFILE.attack_steps)
OTHER = {"ViT": "CNN", "CNN": "ViT"}
hygiene = {(k, norm): attacks.attack_checks(
    m, x_a, y_a, EPS[norm], norm=norm, steps=STEPS, seed=PROFILE.seed,
    precomputed={f"PGD-{PROFILE.attack_steps}": adv[k, norm], "transfer PGD": adv[OTHER[k], norm]})
    for k, m in MODELS.items() for norm in EPS}
for (k, norm), r in hygiene.items():
    print(f"{k}, {norm.upper()}, ε = {', '.join(f'{e:.3g}' for e in EPS[norm])}:\n{attacks.format_checks(r)}")
failed = [f"{k} {norm}: {c}" for (k, norm), r in hygiene.items() for c, ok in r["checks"].items() if not ok]
takeaway("every attack check passed" if not failed else
         f"failed checks: {'; '.join(failed)}; the worst case over all attacks is what section 6 reports.")

# %%
for r in hygiene.values():  # the worst case is never above any single attack
    assert all(w <= min(a[i] for n, a in r["acc"].items() if n != "worst case") + 1e-9
               for i, w in enumerate(r["acc"]["worst case"]))
    assert r["checks"]["eps_to_zero"]

# %% [markdown]
# ### What the attack looks like, and an ε slider
#
# Rows: clean; PGD against the ViT; PGD against the CNN (L∞, ε = 8/255). Red titles are wrong
# predictions. The slider below indexes the precomputed sweep (no attack runs in the callback).

# %%
def show_adversarials(eps_index: int = len(EPS["linf"]) - 1, start: int = 0, n: int = 8) -> None:
    """Clean images and each model's own PGD images at one ε of the sweep, with predictions."""
    sl = slice(start, start + n)
    rows, titles, colors = [x_a[sl]], [f"true {CLASSES[t]}" for t in y_a[sl].tolist()], ["black"] * n
    for k, m in MODELS.items():
        a = adv[k, "linf"][eps_index][sl]
        with torch.no_grad():
            pred = m(a).argmax(1).tolist()
        rows.append(a)
        titles += [f"{k}: {CLASSES[p]}" for p in pred]
        colors += ["#D55E00" if p != t else "black" for p, t in zip(pred, y_a[sl].tolist())]
    eps = EPS["linf"][eps_index]
    show_images(torch.cat(rows).cpu(), titles, ncols=n, title_colors=colors,
                suptitle=f"clean · PGD vs ViT · PGD vs CNN, L∞ ε = {eps * 255:.0f}/255")
    plt.show()


show_adversarials()

# %%
widgets.slider_explorer(
    show_adversarials,
    eps_index=widgets.widgets.IntSlider(value=len(EPS["linf"]) - 1, min=0, max=len(EPS["linf"]) - 1,
                                        description="ε index"),
    start=widgets.widgets.IntSlider(value=0, min=0, max=len(x_a) - 8, step=8, description="images"),
    n=widgets.widgets.fixed(8))

# %% [markdown]
# ## 5. Out-of-distribution detection (ImageNet-O)
#
# A model should *know when it does not know*. The simplest detector thresholds the **maximum
# softmax probability** (MSP, Hendrycks & Gimpel, ICLR 2017). ImageNet-O reports the AUPR with the
# OOD images as positives. To have held-out classes, the kit trains the same two architectures on
# digits 0–7 only (`python scripts/train.py vit_digits_0to7 cnn_digits_0to7`, 8 output classes): **near-OOD** = the test scans
# of 8 and 9 (same pen, same scanner, new shapes), **far-OOD** = random crops of real photos.

# %%
OOD_MODELS = {k: models.load_model(n, device=DEVICE) for k, n in
              zip(MODELS, suite.ood_models().values())}
sets = suite.ood_sets(S["n_far_ood"], device=DEVICE)
msp = {k: {s: ood.msp_scores(m, x) for s, x in sets.items()} for k, m in OOD_MODELS.items()}
ood_res = {k: {s: ood.ood_metrics(msp[k]["in"], msp[k][s]) for s in sets if s != "in"}
           for k in OOD_MODELS}
show_images(torch.cat([sets[s][:6] for s in sets]).cpu(), [s for s in sets for _ in range(6)],
            ncols=6, size=1.3, suptitle="in-distribution · near-OOD · far-OOD")
plt.show()
fig, axes = plt.subplots(1, len(ood_res["ViT"]), figsize=(11, 3.8), squeeze=False)
for ax, s in zip(axes[0], ood_res["ViT"]):
    for k in OOD_MODELS:
        r, p = ood.pr_curve(msp[k]["in"], msp[k][s])
        ax.plot(r, p, color=MODEL_COLORS[k], label=f"{k}: AUPR {ood_res[k][s]['aupr']:.2f}")
    ax.axhline(ood_res["ViT"][s]["aupr_base"], color="grey", ls=":", label="random detector")
    ax.set(xlabel="recall (OOD found)", ylabel="precision", ylim=(0, 1.02), title=f"{s}-OOD")
    ax.legend(fontsize=10)
plt.show()
print(pd.DataFrame({(k, s): v for k in ood_res for s, v in ood_res[k].items()}).round(3))
takeaway(f"near-OOD AUROC ViT {ood_res['ViT']['near']['auroc']:.2f} vs CNN "
         f"{ood_res['CNN']['near']['auroc']:.2f}; far-OOD AUROC ViT {ood_res['ViT']['far']['auroc']:.2f} "
         f"vs CNN {ood_res['CNN']['far']['auroc']:.2f}.")

# %%
for k in OOD_MODELS:
    assert ood_res[k]["far"]["auroc"] > 0.6, ood_res[k]  # MSP separates photos from digits
    assert all(v["aupr"] > v["aupr_base"] for v in ood_res[k].values())  # beats chance

# %% [markdown]
# ## 6. Every benchmark side by side, and the paper's verdicts
#
# One row per benchmark; "better" is the model that wins on this run. The last columns quote what
# Paul & Chen (ImageNet-C/-P/-O) and Shao et al. (PGD) found on ImageNet with pretrained models —
# a direction, not a number to match — and whether this miniature agrees.

# %%
worst = {(k, norm): r["worst_correct"].float().cpu().numpy() for (k, norm), r in hygiene.items()}
rows = {
    "clean accuracy ↑": (clean_acc["ViT"], clean_acc["CNN"], None),
    "mCE vs CNN ↓": (ce["ViT"]["mCE"], ce["CNN"]["mCE"], "ViT"),
    "relative mCE vs CNN ↓": (rel["ViT"]["relative_mCE"], rel["CNN"]["relative_mCE"], "ViT"),
    "mFR vs CNN ↓": (mfr["ViT"]["mean"], mfr["CNN"]["mean"], "ViT"),
    "mT5D vs CNN ↓": (mt5d["ViT"]["mean"], mt5d["CNN"]["mean"], "ViT"),
    f"worst-case L∞ {EPS['linf'][i2] * 255:.0f}/255 accuracy ↑": (
        worst["ViT", "linf"][i2].mean(), worst["CNN", "linf"][i2].mean(), "ViT"),
    f"worst-case L2 {EPS['l2'][2]} accuracy ↑": (
        worst["ViT", "l2"][2].mean(), worst["CNN", "l2"][2].mean(), "ViT"),
    **{f"{s}-OOD AUPR ↑": (ood_res["ViT"][s]["aupr"], ood_res["CNN"][s]["aupr"], "ViT")
       for s in ood_res["ViT"]},
}
table = pd.DataFrame(
    [{"benchmark": b, "ViT": v, "CNN": c,
      "better here (point estimate)": ("tie" if abs(v - c) < 1e-9 else
                                       ("ViT" if (v < c) == ("↓" in b) else "CNN")),
      "paper (ImageNet)": f"{p} better" if p else "—"} for b, (v, c, p) in rows.items()]
).set_index("benchmark")
table.style.format({"ViT": "{:.3f}", "CNN": "{:.3f}"}).background_gradient(
    subset=["ViT", "CNN"], cmap="Blues", axis=1).set_caption(
    f"Both models on every benchmark ({PROFILE.name} profile; the CNN is also the ratio baseline)")

# %% [markdown]
# A "better here" from one point estimate is not a verdict: 128 corrupted images or 48 attacked
# ones leave wide error bars. Each paper claim below gets a 95% interval from a **paired
# bootstrap** over the test images (both models saw the same images, so the images are resampled
# together), and `verdict.claim` applies the kit's one rule: *reproduced* if the whole interval is
# on the paper's side, *contradicted* if it is all on the other side, *inconclusive at this size*
# otherwise. Ratios (mCE, mFR) floor a resampled baseline count at one error, so that a resample in
# which the CNN never errs on a corruption does not divide by zero.

# %%
def ratio_mean(num, den, floor):
    """mean over columns of sum(num) / max(sum(den), floor): mCE / mFR on a resample."""
    return float(np.mean(num.sum(0) / np.maximum(den.sum(0), floor)))


def mce_stat(v):  # v: (images, 2 models, corruptions, 6) errors; ViT's mCE with the CNN as 100%
    return ratio_mean(v[:, 0, :, 1:].sum(-1), v[:, 1, :, 1:].sum(-1), 1.0)


def rel_mce_stat(v):  # drops from clean error; corruptions where the CNN loses nothing are left out
    num, den = [(v[:, m, :, 1:] - v[:, m, :, :1]).sum((0, 2)) for m in (0, 1)]
    ok = den > 0
    return float(np.mean(num[ok] / den[ok])) if ok.any() else 1.0


def flip_stat(col):  # ViT's mFR (col 0) or mT5D (col 1), CNN = 100%; floor: one flip of one image
    return lambda v: ratio_mean(v[:, 0, :, col], v[:, 1, :, col], 1 / (S["frames"] - 1))


def aupr_gap(v):  # v rows: (is OOD, ViT's MSP, CNN's MSP)
    out = v[:, 0] == 1
    if out.all() or not out.any():
        return 0.0
    return (ood.ood_metrics(v[~out, 1], v[out, 1])["aupr"]
            - ood.ood_metrics(v[~out, 2], v[out, 2])["aupr"])


PC = "Paul & Chen 2022 (AAAI)"
SHAO = "Shao et al. 2022 (TMLR), white-box attacks at small ε"
inet_sizes = [int(32 * c) for c in (0.6, 0.5, 0.4, 0.3, 0.25)]  # ImageNet-C's pixelate factors
wrong_inet = corrupted_wrong(x_c, y_c, pixelate_sizes=inet_sizes, base=wrong)
stab_pair = np.stack([per_image["ViT"], per_image["CNN"]], 1)
claims = [
    verdict.claim_bootstrap("01-mce", "01", "ViT mCE < CNN mCE (= 100%), kit's pixelate sizes",
                            f"{PC}, ImageNet-C table", np.stack([wrong["ViT"], wrong["CNN"]], 1),
                            stat=mce_stat, direction="less", threshold=1.0),
    verdict.claim_bootstrap("01-mce-imagenet-c-pixelate", "01",
                            f"ViT mCE < CNN mCE (= 100%), ImageNet-C's pixelate sizes {inet_sizes}",
                            f"{PC}, ImageNet-C table",
                            np.stack([wrong_inet["ViT"], wrong_inet["CNN"]], 1),
                            stat=mce_stat, direction="less", threshold=1.0),
    verdict.claim_bootstrap("01-relative-mce", "01", "ViT relative mCE < CNN's (= 100%)",
                            f"{PC}, ImageNet-C table", np.stack([wrong["ViT"], wrong["CNN"]], 1),
                            stat=rel_mce_stat, direction="less", threshold=1.0),
    verdict.claim_bootstrap("01-mfr", "01", "ViT mFR < CNN mFR (= 100%)", f"{PC}, ImageNet-P table",
                            stab_pair, stat=flip_stat(0), direction="less", threshold=1.0),
    verdict.claim_bootstrap("01-mt5d", "01", "ViT mT5D < CNN mT5D (= 100%)", f"{PC}, ImageNet-P table",
                            stab_pair, stat=flip_stat(1), direction="less", threshold=1.0),
    *[verdict.claim_bootstrap(
        f"01-pgd-{norm}", "01", f"ViT worst-case {norm.upper()} accuracy - CNN's > 0 at ε = "
        + (f"{EPS[norm][i] * 255:.0f}/255" if norm == "linf" else f"{EPS[norm][i]}"),
        SHAO, worst["ViT", norm][i], worst["CNN", norm][i])
      for norm, i in (("linf", i2), ("l2", 2))],
    *[verdict.claim_bootstrap(
        f"01-aupr-{s}", "01", f"ViT {s}-OOD AUPR (MSP) - CNN's > 0", f"{PC}, ImageNet-O table",
        np.c_[np.r_[np.zeros(len(msp["ViT"]["in"])), np.ones(len(msp["ViT"][s]))],
              torch.cat([msp["ViT"]["in"], msp["ViT"][s]]).cpu().numpy(),
              torch.cat([msp["CNN"]["in"], msp["CNN"][s]]).cpu().numpy()], stat=aupr_gap, n_boot=500)
      for s in ood_res["ViT"]],
]

# %%
tally = {v: sum(c.verdict == v for c in claims) for v in verdict.VERDICTS}
takeaway(f"of the papers' {len(claims)} ViT-vs-CNN claims: "
         + ", ".join(f"{n} {v}" for v, n in tally.items()) + ".")
print("Quoted from the tutorial's slides, not computed here (ImageNet scale):\n"
      "  pre-training data, the same ViT-B/16 pre-trained on ImageNet-1k vs -21k: ImageNet-A "
      "accuracy 8.63% vs 21.75%, ImageNet-R accuracy 28.21% vs 41.82%, ImageNet-O AUPR 26.25 vs 54.61;\n"
      "  ImageNet-9 backgrounds challenge (Xiao et al. 2021), accuracy when the background is "
      "swapped adversarially: BiT-m r101x3 3.78%, ViT L-16 20.02%, ResNet-50 22.3%.")
assert len(claims) == len(rows)  # every paper row has a claim (clean accuracy has none), plus one

# %% [markdown]
# **Reading the verdicts.** Where this run does not reproduce a paper, the likely reason is the
# kit's scale, not bad arithmetic: the papers' ViTs were **pre-trained on ImageNet-21k or
# JFT-300M** (in the slide numbers above, pre-training data alone raises ImageNet-O AUPR from 26 to
# 55), while ours saw 1,200 digit scans; and digits are a low-frequency, black-background domain in
# which a convolution's built-in translation equivariance helps. A third candidate, the ViT's 4-px
# patch grid, is *not* offered as a reason: Exercise 1 measures it and prints whether a patch-grid
# effect is visible (in the committed run it is not). Compare the two mCE claims: the kit's
# off-grid pixelate sizes are kinder to the ViT than ImageNet-C's own sizes.

# %% [markdown]
# ## Summary
#
# - mCE and relative mCE normalise corruption errors by a named baseline (here the CNN); the
#   absolute numbers depend on how the corruptions are scaled to the data, so say how.
# - Stability (flip rate, top-5 distance) is a different property from accuracy: a model can be
#   accurate under a shift and still flicker along a sequence.
# - Hand-written PGD fits in a dozen lines; robust accuracy is an upper bound that falls with ε
#   for both architectures; check the attack (more steps, huge ε, transfer) and report the worst
#   case over attacks.
# - How well the max-softmax detector separates near-OOD digits from far-OOD photos depends on the
#   model: compare the AUROC / AUPR computed in section 5.
# - A difference between two point estimates is not a finding: the paired-bootstrap verdicts of
#   section 6 say which differences this sample size can resolve.
# - A small model trained from scratch does not inherit the robustness of a ViT pre-trained at
#   scale: notebook 03 (transfer) and the full profile show what pre-training adds.

# %% [markdown]
# ## Exercises
#
# Each exercise has a stub. Replace `raise NotImplementedError` with your code and re-run the
# cell: the checker compares it with the reference solution; until then the notebook goes on with
# the reference.
#
# ### Exercise 1: is the ViT's translation instability the patch grid?
# Write `my_shift(x, dx, dy)`: move every image by whole pixels (right by `dx`, down by `dy`),
# filling with 0. The next cell then measures how often each model's prediction changes for shifts
# of 1 to 8 px. If the patch grid is the reason, the ViT should flip *less* at 4 and 8 px (whole
# patches) than at 1–3 px.

# %%
def my_shift(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    raise NotImplementedError


def ref_shift(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


_t = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).view(2, 1, 6, 6) / 72
shift_fn = checks.check_function(my_shift, ref_shift, [(_t, 1, 0), (_t, -2, 3), (_t, 0, -1)],
                                 name="my_shift")

# %%
shifts = list(range(1, 9))
with torch.no_grad():
    base = {k: m(x_s).argmax(1) for k, m in MODELS.items()}
    flips = {k: [(m(shift_fn(x_s, d, 0)).argmax(1) != base[k]).float().mean().item() for d in shifts]
             for k, m in MODELS.items()}
fig, ax = plt.subplots(figsize=(7, 3.4))
for k in MODELS:
    ax.plot(shifts, flips[k], "o-", color=MODEL_COLORS[k], label=k)
for d in (4, 8):
    ax.axvline(d, color="grey", ls=":")
ax.set(xlabel="horizontal shift (px); dotted: whole 4-px patches", ylabel="prediction changed",
       title="Does a whole-patch shift disturb the ViT less?")
ax.legend()
plt.show()
grid_effect = flips["ViT"][3] < flips["ViT"][2]
takeaway(f"ViT flips {flips['ViT'][2]:.1%} at 3 px and {flips['ViT'][3]:.1%} at 4 px: "
         f"{'a patch-grid effect is visible' if grid_effect else 'no patch-grid effect at this scale'}; "
         f"CNN {flips['CNN'][2]:.1%} / {flips['CNN'][3]:.1%}.")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_shift(x, dx, dy):
#     out = torch.zeros_like(x)
#     h, w = x.shape[-2:]
#     out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
#         x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
#     return out
# ```
# </details>
#
# ### Exercise 2: the flip probability
# Given predicted labels `preds` of shape (frames, N), return the fraction of frame pairs whose
# label changes: consecutive pairs, or, when `noise_like` is true, each frame against frame 0.

# %%
def my_flip_probability(preds: torch.Tensor, noise_like: bool) -> float:
    raise NotImplementedError


def ref_flip_probability(preds: torch.Tensor, noise_like: bool) -> float:
    logits = F.one_hot(preds, int(preds.max()) + 1).float()
    return stability.flip_probability(logits, noise_like)


_p = torch.tensor([[1, 2, 3], [1, 2, 0], [2, 2, 3], [2, 2, 3]])
flip_fn = checks.check_function(my_flip_probability, ref_flip_probability,
                                [(_p, False), (_p, True)], name="my_flip_probability")
z = stability.sequence_logits(MODELS["ViT"], stability.perturbation_sequence(
    x_s, "rotate", S["frames"], generator=torch.Generator().manual_seed(0)))
print(f"ViT flip probability on rotations: {flip_fn(z.argmax(-1), False):.3f}")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_flip_probability(preds, noise_like):
#     first = preds[:1].expand_as(preds[1:]) if noise_like else preds[:-1]
#     return (first != preds[1:]).float().mean().item()
# ```
# </details>
#
# ### Exercise 3: AUROC without a library
# The AUROC is the probability that a random OOD image gets a *lower* confidence than a random
# in-distribution image (ties count one half). Compute it from all pairs.

# %%
def my_auroc(in_scores: torch.Tensor, ood_scores: torch.Tensor) -> float:
    raise NotImplementedError


def ref_auroc(in_scores: torch.Tensor, ood_scores: torch.Tensor) -> float:
    return ood.ood_metrics(in_scores, ood_scores)["auroc"]


_a, _b = torch.tensor([0.9, 0.8, 0.5, 0.7]), torch.tensor([0.2, 0.8, 0.6])
auroc_fn = checks.check_function(my_auroc, ref_auroc, [(_a, _b), (_b, _a)], name="my_auroc",
                                 atol=1e-6)
print(f"CNN near-OOD AUROC: {auroc_fn(msp['CNN']['in'], msp['CNN']['near']):.3f}")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_auroc(in_scores, ood_scores):
#     diff = in_scores[:, None] - ood_scores[None, :]  # every (in, ood) pair
#     return ((diff > 0).float() + 0.5 * (diff == 0).float()).mean().item()
# ```
# </details>
#
# ## References
#
# - S. Paul and P.-Y. Chen. *Vision Transformers are Robust Learners.* AAAI 2022.
# - R. Shao, Z. Shi, J. Yi, P.-Y. Chen and C.-J. Hsieh. *On the Adversarial Robustness of Vision
#   Transformers.* TMLR 2022.
# - D. Hendrycks and T. Dietterich. *Benchmarking Neural Network Robustness to Common Corruptions
#   and Perturbations.* ICLR 2019.
# - D. Hendrycks and K. Gimpel. *A Baseline for Detecting Misclassified and Out-of-Distribution
#   Examples in Neural Networks.* ICLR 2017.
# - D. Hendrycks, K. Zhao, S. Basart, J. Steinhardt and D. Song. *Natural Adversarial Examples*
#   (ImageNet-A/-O). CVPR 2021.
# - A. Madry, A. Makelov, L. Schmidt, D. Tsipras and A. Vladu. *Towards Deep Learning Models
#   Resistant to Adversarial Attacks.* ICLR 2018.
# - A. Dosovitskiy et al. *An Image is Worth 16x16 Words.* ICLR 2021.

# %% [markdown]
# # 13 · The robustness–accuracy tradeoff toy, and one-class detection with DROCC
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/frfm-kit/foundational-robustness-kit/blob/main/notebooks/13_tradeoffs_and_one_class.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/frfm-kit/foundational-robustness-kit/main?labpath=notebooks%2F13_tradeoffs_and_one_class.ipynb)
#
# Two short lessons about robustness that an average number hides.
#
# **Part A.** Adversarial training usually costs standard accuracy. Raghunathan et al. (2019,
# *Adversarial training can hurt generalization*; ICML 2020, *Understanding and mitigating the
# tradeoff between robustness and accuracy*) show this can happen even when the best predictor is
# both robust and accurate: with *finite* data, adding label-preserving perturbations to the
# training set changes which interpolant a learner picks, and its standard error can go up. Robust
# self-training (RST) — also fit the standard model's predictions on unlabelled data — removes the
# increase. **Part A runs the papers' own synthetic toy** (1-D staircase, cubic-spline minimum-norm
# interpolation), written afresh in NumPy from their description.
#
# **Part B.** One-class detection: train on a single digit class, flag everything else. Deep SVDD
# (Ruff et al., ICML 2018) pulls the data to a centre and can *collapse*; DROCC (Goyal et al., ICML
# 2020) instead generates negatives by gradient ascent in an annulus around the data. Real data:
# the kit's digit scans; anomalies are the other digits and crops of real photographs.
#
# **Learning goals**
# - Fit minimum-norm spline interpolants and see why consistent augmentation can raise standard
#   error at small n, and how RST fixes it.
# - Implement nothing new for DROCC but read its two ingredients: the annulus and the ascent.
# - See Deep SVDD's degenerate optimum, and compare four one-class detectors per class with
#   intervals.
#
# **Run time**: quick profile (default) 125–171 s in three runs of `scripts/execute_notebooks.py`
# on a 2-core CPU shared with other jobs (load average about 13); full profile several minutes (more
# epochs, radii and bootstrap resamples). No download.
#
# New terms are defined in the kit's [glossary](../glossary.md).

# %%
# Setup. On Colab this fetches the kit (pinned release) without reinstalling torch/matplotlib.
import os
import subprocess
import sys

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
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from tutorial_lib.core import checks, verdict
from tutorial_lib.core.config import setup_notebook
from tutorial_lib.core.data import load_digits_tensors, photo_crops
from tutorial_lib.core.plotting import takeaway
from tutorial_lib.evaluation import drocc as D
from tutorial_lib.evaluation import solutions
from tutorial_lib.shift import staircase as st

PROFILE, DEVICE = setup_notebook()
T0 = time.perf_counter()
# Okabe-Ito colours (colour-blind safe), one per estimator / detector
PAL = {"standard": "#000000", "augmented": "#E69F00", "RST": "#009E73", "DROCC": "#009E73",
       "Deep SVDD (no bias)": "#E69F00", "Deep SVDD (bias)": "#D55E00", "OneClassSVM": "#56B4E9",
       "IsolationForest": "#CC79A7"}

# %% [markdown]
# ## Part A. The staircase
# *~10 min*
#
# - Inputs are the stairs `t = 0, 1, …, 9`, with probability ∝ 0.6ᵗ (most mass on the first few).
# - The truth is a staircase: `f*(t ± ε) = f*(t) = t` with ε = 0.25, so the perturbations
#   `t ± ε` are *consistent* — they keep the label, exactly what adversarial training assumes.
# - Every estimator is the **minimum-norm interpolant**: of all functions through the training
#   points, the one with the smallest `∫ f''(u)² du` (a natural cubic spline; straight lines cost
#   nothing).
#
# | estimator | interpolates |
# |---|---|
# | standard | the labelled points `(tᵢ, tᵢ)` |
# | augmented | also `(tᵢ ± ε, tᵢ)` (consistent / adversarial augmentation) |
# | RST | the augmented points, plus unlabelled draws `u` (and `u ± ε`) labelled by the standard estimator |

# %%
KS = st.knobs()
data = st.Staircase(KS["stairs"], KS["eps"], KS["decay"])
rng = np.random.default_rng(3)
t_small = data.sample(6, rng)
fits = st.fit_estimators(data, t_small, data.sample(KS["n_unlabeled"], rng))
grid = np.linspace(-0.5, data.stairs - 0.5, 400)
fig, ax = plt.subplots(figsize=(6.5, 3.4))
ax.scatter(data.support, data.support, s=600 * data.probs, color="lightgrey", label="stairs (size ∝ probability)")
for name, f in fits.items():
    ax.plot(grid, f(grid), color=PAL[name], label=name, lw=1.6)
ax.scatter(np.unique(t_small), np.unique(t_small), color="k", zorder=5, marker="x", label="labelled")
ax.set_xlabel("t"); ax.set_ylabel("f(t)"); ax.set_ylim(-2, 11); ax.legend(fontsize=7)
ax.set_title(f"n = 6 labelled draws ({len(np.unique(t_small))} distinct stairs)")
plt.tight_layout(); plt.show()
errs = {name: st.standard_error(data, f) for name, f in fits.items()}
takeaway("standard error of this draw: " + ", ".join(f"{k} {v:.3f}" for k, v in errs.items()))

# %% [markdown]
# The flat pieces that augmentation forces around the seen stairs bend the spline; beyond the last
# seen stair it extrapolates with the wrong slope. The standard estimator sees points on a line
# and extrapolates the line. Now over many draws and sample sizes:

# %%
res = st.sweep(data, KS["ns"], KS["seeds"], KS["n_unlabeled"])
ns = np.array(KS["ns"])
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for ax, kind, title in ((axes[0], "std_err", "standard error"), (axes[1], "rob_err", "robust error")):
    for name in ("standard", "augmented", "RST"):
        v = res[f"{name}/{kind}"]
        ax.plot(ns, v.mean(1), "o-", color=PAL[name], label=name)
    ax.set_xscale("log", base=2); ax.set_yscale("symlog", linthresh=1e-2); ax.set_ylim(bottom=0)
    ax.set_xlabel("labelled samples n"); ax.set_title(f"{title} (mean of {KS['seeds']} draws)")
axes[0].legend(fontsize=8); plt.tight_layout(); plt.show()
gap = res["augmented/std_err"].mean(1) - res["standard/std_err"].mean(1)
takeaway(f"augmented − standard standard error: {gap[0]:+.2f} at n={ns[0]}, {gap[2]:+.2f} at n={ns[2]}, "
         f"{gap[-1]:+.3f} at n={ns[-1]}")

# %% [markdown]
# ### Verdicts (spread over independent draws; estimators compared on the same draw)

# %%
i8 = list(ns).index(8)
d_aug = res["augmented/std_err"][i8] - res["standard/std_err"][i8]
e, lo, hi = verdict.seed_interval(d_aug)
verdict.claim(id="13-staircase-augmentation-hurts", notebook="13",
              claim="at small n (8), consistent augmentation raises the standard error of the min-norm interpolant",
              source="Raghunathan et al. 2019 Fig. 1; 2020 Fig. 2 (staircase toy)",
              effect=e, interval=(lo, hi), n=len(d_aug), direction="greater", threshold=0.0,
              paper_value="qualitative (augmented above standard at small n)", uncertainty="seed spread")
d_rst = res["RST/std_err"][i8] - res["augmented/std_err"][i8]
e, lo, hi = verdict.seed_interval(d_rst)
verdict.claim(id="13-staircase-rst-removes-increase", notebook="13",
              claim="at small n (8), RST's standard error is below the augmented estimator's",
              source="Raghunathan et al. 2020, Fig. 2 / Theorem 2 (staircase toy)",
              effect=e, interval=(lo, hi), n=len(d_rst), direction="less", threshold=0.0,
              paper_value="qualitative (RST removes the increase)", uncertainty="seed spread")
d_big = res["augmented/std_err"][-1] - res["standard/std_err"][-1]
print(f"at n={ns[-1]} the augmented − standard gap is {d_big.mean():+.4f} (it shrinks as data grows)")

# %% [markdown]
# ## Part B. One-class detection on digits
# *~15 min*
#
# For each digit class: train on that class's training scans only; test on all 397 test scans
# (normal = that digit, anomalies = the other nine) plus 200 crops of scikit-image photos.
#
# **DROCC in two ingredients** (`tutorial_lib/evaluation/drocc.py`):
# 1. `project_annulus(h, r, γ)` rescales a perturbation so that `r ≤ ‖h‖₂ ≤ γr`;
# 2. `annulus_negatives` starts from random `h`, takes a few normalised gradient-*ascent* steps on
#    "call `x + h` anomalous" (so it looks for points the classifier still calls normal), projects
#    back onto the annulus, and labels the result anomalous.
#
# The radius is `scale × (median nearest-neighbour distance of the class)`, the scale chosen per
# class on the validation split (other validation digits as anomalies, no photos). γ = 2.
#
# ### Your turn (~5 min)
# Write ingredient 1, `my_project_annulus(h, r, gamma)`: rescale each row of `h` (shape `(n, ...)`)
# so that its L2 norm lies in `[r, γr]`; a row already inside keeps its length and direction; a
# row outside keeps its direction. The checker compares with the reference on three cases and falls
# back to it if yours differs or is unfinished. The library's `D.project_annulus` is the reveal.

# %%
def my_project_annulus(h: torch.Tensor, r: float, gamma: float) -> torch.Tensor:
    # YOUR CODE HERE: norms of the flattened rows, clamp them to [r, gamma * r], rescale
    raise NotImplementedError


_g = torch.Generator().manual_seed(0)
project_annulus = checks.check_function(
    my_project_annulus, solutions.project_annulus,
    [(torch.randn(4, 1, 3, 3, generator=_g) * 0.1, 1.0, 2.0),
     (torch.randn(5, 7, generator=_g) * 10, 1.0, 2.0), (torch.randn(3, 2, generator=_g), 0.5, 1.5)],
    name="my_project_annulus")
h_demo = project_annulus(torch.randn(6, 1, 32, 32, generator=_g), 2.0, 2.0)
print("norms after projecting onto r = 2, γ = 2:", h_demo.flatten(1).norm(dim=1).round(decimals=3).tolist())

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# flat = h.flatten(1)
# norm = flat.norm(dim=1, keepdim=True).clamp_min(1e-12)
# return (flat * (norm.clamp(r, gamma * r) / norm)).view_as(h)
# ```
# Random 32×32 noise has norm about 32, far outside the annulus, so every row is pulled in to
# γr = 4: the printout shows it.
# </details>

# %%
KD = D.knobs()
x_tr, y_tr = load_digits_tensors("train")
x_val, y_val = load_digits_tensors("val")
x_te, y_te = load_digits_tensors("test")
crops = photo_crops(KD["n_crops"], size=32, channels=1, seed=0)
X = torch.cat([x_te, crops]).to(DEVICE)
kind = np.r_[y_te.numpy(), np.full(len(crops), -1)]  # -1 = photo crop
x_tr, x_val = x_tr.to(DEVICE), x_val.to(DEVICE)

# %% [markdown]
# ### Deep SVDD's degenerate optimum
# With bias terms, the network can output the centre `c` for *every* input: loss exactly 0, and
# every image gets the same score. `D.collapsed_copy` builds that minimiser from a trained net.

# %%
xn = x_tr[y_tr.to(DEVICE) == 3]
net_b, c_b = D.train_deep_svdd(xn, bias=True, epochs=KD["svdd_epochs"])
flat = D.collapsed_copy(net_b, c_b)
s_tr = D.svdd_scores(net_b, c_b, X).numpy(); s_flat = D.svdd_scores(flat, c_b, X).numpy()
norm3 = kind == 3
print(f"training loss: trained net {D.svdd_loss(net_b, c_b, xn):.2e}, collapsed net {D.svdd_loss(flat, c_b, xn):.1e}")
print(f"feature spread over the test images: trained {D.feature_spread(net_b, X):.4f}, collapsed {D.feature_spread(flat, X):.1f}")
print(f"AUROC for digit 3: trained {D.auroc(s_tr[norm3], s_tr[~norm3]):.3f}, collapsed {D.auroc(s_flat[norm3], s_flat[~norm3]):.3f}")
takeaway("the collapsed net has a lower Deep SVDD loss than the trained one and detects nothing "
         "(AUROC 0.5): the objective itself rewards collapse; a bias-free net cannot reach it")

# %% [markdown]
# ### Four detectors, ten classes

# %%
def run_class(c):
    xn = x_tr[y_tr.to(DEVICE) == c]
    out = {}
    model, r, val_auc = D.select_radius(xn, x_val, y_val == c, scales=KD["r_scales"], gamma=KD["gamma"],
                                        lam=KD["lam"], width=KD["width"], epochs=KD["epochs"],
                                        ce_epochs=KD["ce_epochs"], ascent_steps=KD["ascent_steps"],
                                        ascent_lr=KD["ascent_lr"])
    out["DROCC"] = D.logit_scores(model, X).numpy()
    for bias in (False, True):
        net, cc = D.train_deep_svdd(xn, bias=bias, width=KD["width"], epochs=KD["svdd_epochs"])
        out[f"Deep SVDD ({'bias' if bias else 'no bias'})"] = D.svdd_scores(net, cc, X).numpy()
    out["OneClassSVM"] = D.sklearn_scores("ocsvm", xn, X).numpy()
    out["IsolationForest"] = D.sklearn_scores("iforest", xn, X).numpy()
    return out, r, val_auc


scores, radii, val_aucs = {}, {}, {}
for c in KD["classes"]:
    scores[c], radii[c], val_aucs[c] = run_class(c)
METHODS = list(scores[KD["classes"][0]])
rows = []
for c in KD["classes"]:
    row = {"class": c, "r": radii[c]}
    for m in METHODS:
        s = scores[c][m]
        est, lo, hi = D.auroc_interval(s[kind == c], s[kind != c], n_boot=KD["n_boot"])
        row[m] = f"{est:.3f} [{lo:.2f}, {hi:.2f}]"
        row[f"_{m}"] = est
        row[f"_{m} photos"] = D.auroc(s[kind == c], s[kind == -1])
    rows.append(row)
auc = pd.DataFrame(rows).set_index("class")
print("AUROC, normal = the class, anomalies = other digits + photo crops [95% bootstrap]")
print(auc[["r"] + METHODS].round(2).to_string())
mean_row = {m: auc[f"_{m}"].mean() for m in METHODS}
print("mean over classes:", {m: round(float(v), 3) for m, v in mean_row.items()})
print("mean AUROC against photo crops only:", {m: round(float(auc[f"_{m} photos"].mean()), 3) for m in METHODS})

fig, ax = plt.subplots(figsize=(8, 3.6))
wbar = 0.8 / len(METHODS)
for j, m in enumerate(METHODS):
    ax.bar(np.arange(len(auc)) + (j - len(METHODS) / 2 + 0.5) * wbar, auc[f"_{m}"], wbar, color=PAL[m], label=m)
ax.set_xticks(range(len(auc)), auc.index); ax.set_xlabel("normal class"); ax.set_ylabel("AUROC")
ax.set_ylim(0.4, 1.0)
ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.2)); plt.tight_layout(); plt.show()
best = max(mean_row, key=mean_row.get)
takeaway(f"mean AUROC: {best} is highest ({mean_row[best]:.3f}); DROCC {mean_row['DROCC']:.3f} vs "
         f"Deep SVDD (no bias) {mean_row['Deep SVDD (no bias)']:.3f}")

# %% [markdown]
# ### Verdict: DROCC vs Deep SVDD
# Mean AUROC over the ten one-class tasks; interval from resampling the test images (the same
# resample for both detectors and all ten tasks: paired).

# %%
normal_masks = [kind == c for c in KD["classes"]]
e, lo, hi = D.paired_auroc_bootstrap([scores[c]["DROCC"] for c in KD["classes"]],
                                     [scores[c]["Deep SVDD (no bias)"] for c in KD["classes"]],
                                     normal_masks, n_boot=KD["n_boot"])
verdict.claim(id="13-drocc-beats-deep-svdd", notebook="13",
              claim="DROCC has a higher mean one-class AUROC than Deep SVDD",
              source="Goyal et al. 2020, Table 1 (CIFAR-10 mean AUROC: DROCC 74.2, Deep SVDD 64.8)",
              effect=e, interval=(lo, hi), n=len(kind), direction="greater", threshold=0.0,
              paper_value="+9.4 points (CIFAR-10)", uncertainty="paired bootstrap")
va = pd.DataFrame(val_aucs).T
va.columns = [f"scale {k:g}" for k in va.columns]
print("DROCC validation AUROC (other validation digits as anomalies) for each radius scale:")
print(va.round(3).to_string())
spread = va.max(axis=1) - va.min(axis=1)
takeaway(f"DROCC is sensitive to its radius here: across the {va.shape[1]} scales tried, validation AUROC "
         f"moves by {spread.mean():.2f} on average per class (up to {spread.max():.2f})")
print(f"notebook run time: {time.perf_counter() - T0:.0f} s")

# %% [markdown]
# ## Summary
# *~5 min*
#
# - Part A: on the staircase, adding consistent perturbations to a handful of labelled points
#   raises the standard error of the minimum-norm interpolant; the gap shrinks as n grows, and RST
#   (pseudo-labels on unlabelled inputs) removes it while keeping the robust-error gain.
# - Part B: Deep SVDD's objective is minimised by a constant map (with biases); DROCC avoids a
#   centre altogether. On digit scans, with a small MLP on raw pixels, 30 epochs and the radius
#   chosen on validation from three scales, the per-class AUROCs above (with intervals) and the
#   verdict say how DROCC and Deep SVDD compare *in this setting*; the validation table shows how
#   much DROCC moves with its radius. The paper's comparison used convolutional nets on CIFAR-10
#   with tuned radii, so a contrary verdict here is about this setting, not a refutation. The
#   classical detectors on raw pixels are strong baselines for such small images.
#
# ## Glossary
# - **Standard / robust error**: error on clean inputs / on the worst allowed perturbation.
# - **Consistent perturbation**: a change of the input that does not change the true label.
# - **Minimum-norm interpolant**: among functions fitting the data exactly, the smallest in a norm
#   (here `∫ f''²`, giving natural cubic splines).
# - **RST**: robust self-training — pseudo-label unlabelled data with a standard model, then train
#   robustly on labelled + pseudo-labelled data.
# - **One-class detection**: training on normal data only; **AUROC**: probability a random normal
#   image scores above a random anomaly.
# - **Representation collapse**: a feature map that sends every input to the same point.
#
# ## Exercises (open)
# *~15 min*
# 1. Staircase: set `decay=1.0` (uniform stairs). Does augmentation still hurt at small n? Why?
# 2. DROCC: fix `r` to one nearest-neighbour distance (`scale=1`) for all classes. What happens to
#    the AUROC against photo crops and against other digits?
# 3. Train Deep SVDD with bias for many more epochs and a larger learning rate: does its feature
#    spread shrink further, and does its AUROC follow?
#
# ## Next
# Notebook 12 covers group robustness (JTT, group DRO) on the same digits composited on textures.
#
# ## Further reading
# - A. Raghunathan, S. M. Xie, F. Yang, J. C. Duchi, P. Liang. *Adversarial Training Can Hurt
#   Generalization.* ICML 2019 workshop; *Understanding and Mitigating the Tradeoff Between
#   Robustness and Accuracy.* ICML 2020.
# - S. Goyal, A. Raghunathan, M. Jain, H. V. Simhadri, P. Jain. *DROCC: Deep Robust One-Class
#   Classification.* ICML 2020.
# - L. Ruff et al. *Deep One-Class Classification.* ICML 2018.

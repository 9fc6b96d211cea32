# %% [markdown]
# # 06 · Simplicity bias: why a net ignores the robust features it could have learned
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/frfm-kit/foundational-robustness-kit/blob/main/notebooks/06_simplicity_bias.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/frfm-kit/foundational-robustness-kit/main?labpath=notebooks%2F06_simplicity_bias.ipynb)
#
# Why are networks with perfect test accuracy so brittle? Shah et al. (NeurIPS 2020, *The Pitfalls
# of Simplicity Bias in Neural Networks*) built a dataset where every coordinate predicts the label
# perfectly: one through a simple linear threshold, 49 through complex "slab" patterns. A network
# trained with SGD uses **only the simple one** and is blind to the other 49 — so one small push
# along that single direction flips almost every prediction, although 49 perfectly predictive
# features still point to the right answer.
#
# **This notebook runs a synthetic toy on purpose: the LMS-5 dataset *is* the paper's central
# experiment.** The generator below is written afresh from the paper's description (the official
# code has no licence); the numbers are computed here and shown beside the paper's, labelled.
#
# Terms in *italics* are defined in the kit's [glossary](../glossary.md) (*simplicity bias*,
# *LMS-5*, *S-randomized*, *universal perturbation*, the verdict words).
#
# **Learning goals**
# - Build LMS-5 data (1 linear + 49 five-slab coordinates, randomly rotated) and check that each
#   coordinate alone predicts the label.
# - Probe which features a trained network relies on by *randomizing* them: S- and Sᶜ-randomized
#   test sets.
# - See the decision boundary of an MLP in a 2-D slice: a straight line that ignores the slabs.
# - Break the network with one universal perturbation along the linear coordinate, and show that
#   a network denied the simple feature learns the slabs and shrugs it off.
#
# **Run time**: quick profile (default) under 10 s (measured with `bash scripts/run_all.sh` on an idle 2-core CPU); full profile (`FRFM_PROFILE=full`: 50,000 training points, 40 epochs) about 1 minute on
# a CPU or GPU (estimate). No download in either profile.

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
import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from matplotlib.lines import Line2D

from tutorial_lib.core import checks, verdict, widgets
from tutorial_lib.core.config import setup_notebook
from tutorial_lib.core.plotting import PALETTE, takeaway
from tutorial_lib.shift import simplicity as sb
from tutorial_lib.shift import solutions

PROFILE, DEVICE = setup_notebook()
CFG = sb.knobs()
print("lesson settings:", CFG)
# These nets are tiny (5k parameters): they train on the CPU whatever DEVICE is.

# %% [markdown]
# ## 1. LMS-5: one simple feature, 49 complex ones
# *~10 min*
#
# Labels are 0 or 1, half each. In the paper's *canonical* coordinates $z$:
# - **coordinate 0 (linear, "S")**: uniform on $[0.1, 1]$ for label 1 and on $[-1, -0.1]$ for
#   label 0 — one threshold at 0 separates the classes with a margin;
# - **coordinates 1…49 (5-slab, "Sᶜ")**: five slabs centred at −1, −0.5, 0, 0.5, 1 with
#   alternating labels (1, 0, 1, 0, 1); a point sits uniformly inside a random slab of its label.
#   Neighbouring slabs are 0.1 apart, so each slab coordinate *also* separates the classes
#   perfectly, but only with a piecewise (four-threshold) rule.
#
# Finally, a random rotation $R$ mixes the coordinates: the network sees $x = Rz$, so nothing about
# the axes gives the structure away. The cell below is the whole generator (`sb.sample_slabs` is the
# slab rule above, in batched torch).

# %%
def make_lms5(n, d=50, margin=0.1, seed=0, rotation=None):
    g = torch.Generator().manual_seed(seed)
    y = torch.randperm(n, generator=g) % 2                       # balanced labels 0/1
    u = margin + (1 - margin) * torch.rand(n, generator=g)      # |linear coordinate|
    linear = torch.where(y == 1, u, -u)[:, None]
    slabs = sb.sample_slabs(y, d - 1, k=5, margin=margin, generator=g)
    z = torch.cat([linear, slabs], dim=1)
    rotation = sb.random_rotation(d, seed + 1) if rotation is None else rotation
    return sb.LMSData(z, y, rotation)                            # the net sees z @ rotation.T


train = make_lms5(CFG["n_train"], CFG["d"], seed=PROFILE.seed)
test = make_lms5(CFG["n_test"], CFG["d"], seed=PROFILE.seed + 100, rotation=train.rotation)
assert torch.equal(train.z, sb.make_lms(CFG["n_train"], CFG["d"], seed=PROFILE.seed).z)  # lib agrees
print(f"train {tuple(train.x.shape)}, test {tuple(test.x.shape)}, labels 1: {train.y.float().mean():.2f}")

# %% [markdown]
# ### Your turn: the slab rule
# *~5 min*
#
# Each slab coordinate is claimed to predict the label *perfectly* — with a piecewise rule. Write
# that rule for one coordinate: given a column `v` of slab values and `k`, return the label of the
# nearest slab centre (centres `sb.slab_centres(k)`, labels `sb.slab_labels(k)`). Replace
# `raise NotImplementedError` and re-run the cell; until then the checker continues with the
# reference solution (`tutorial_lib.shift.solutions`). The next cell scores your rule on every
# slab coordinate of the test set.

# %%
def my_slab_rule(v, k=5):
    raise NotImplementedError  # your code here: (N,) long tensor of labels


slab_rule_fn = checks.check_function(
    my_slab_rule, solutions.slab_rule,
    [(test.z[:50, 1], 5), (test.z[:50, 7], 5), (torch.tensor([-1.05, -0.45, 0.02, 0.6, 0.9]), 5)],
    name="my_slab_rule")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_slab_rule(v, k=5):
#     nearest = (v[:, None] - sb.slab_centres(k)).abs().argmin(1)
#     return sb.slab_labels(k)[nearest]
# ```
# </details>

# %%
# label 0 orange, label 1 green (the decision maps below use the matching brown–green colour map)
LABEL_COLORS = np.array([PALETTE[2], PALETTE[0]])
LABEL_HANDLES = [Line2D([], [], ls="", marker="o", color=c, label=f"label {i}") for i, c in enumerate(LABEL_COLORS)]
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
show = slice(0, 1500)
axes[0].scatter(train.z[show, 0], train.z[show, 1], c=LABEL_COLORS[train.y[show]], s=5, alpha=0.6)
axes[0].set(xlabel="z₀ (linear)", ylabel="z₁ (5-slab)", title="canonical coordinates: LMS-5")
axes[1].scatter(train.z[show, 1], train.z[show, 2], c=LABEL_COLORS[train.y[show]], s=5, alpha=0.6)
axes[1].set(xlabel="z₁ (5-slab)", ylabel="z₂ (5-slab)", title="two slab coordinates")
axes[2].scatter(train.x[show, 0], train.x[show, 1], c=LABEL_COLORS[train.y[show]], s=5, alpha=0.6)
axes[2].set(xlabel="x₀", ylabel="x₁", title="what the network sees (rotated)")
for ax in axes:
    ax.set_aspect("equal")
axes[2].legend(handles=LABEL_HANDLES, loc="upper left", bbox_to_anchor=(1.02, 1))
plt.tight_layout()
plt.show()
# every coordinate alone is a perfect classifier: the linear threshold, and the slab rule
linear_rule = ((test.z[:, 0] > 0).long() == test.y).float().mean()
slab_rule = torch.stack([(slab_rule_fn(test.z[:, c]) == test.y).float().mean()
                         for c in range(1, CFG["d"])])
n_perfect = int((slab_rule == 1.0).sum())
takeaway(f"the linear rule alone is {linear_rule:.0%} accurate on the test set, and {n_perfect} of the "
         f"{len(slab_rule)} slab rules alone are 100% accurate too (worst {slab_rule.min():.1%}).")

# %%
assert linear_rule == 1.0 and slab_rule.min() == 1.0

# %% [markdown]
# ## 2. Train an MLP, then ask which features it uses
# *~10 min*
#
# A one-hidden-layer ReLU network (100 units) trained with plain SGD on the logistic loss — the
# paper's fully connected net. Its test accuracy is printed below. To ask what it *relies on*,
# Shah et al. randomize features in the test set: shuffle a canonical coordinate across the test
# points. The coordinate keeps its distribution but no longer carries the label.
# - **S-randomized**: shuffle the linear coordinate. If the net used the slabs, it would not care.
# - **Sᶜ-randomized**: shuffle all 49 slab coordinates. If the net used them, it would drop to chance.

# %%
torch.manual_seed(PROFILE.seed)
mlp = sb.train_mlp(train.x, train.y, hidden=CFG["hidden"], epochs=CFG["epochs"], seed=PROFILE.seed)

def shuffle_coordinates(data, coords, seed=0):
    g = torch.Generator().manual_seed(seed)
    z = data.z.clone()
    for c in coords:                                  # each coordinate its own permutation
        z[:, c] = z[torch.randperm(len(z), generator=g), c]
    return sb.LMSData(z, data.y, data.rotation)

test_sets = {"standard": test,
             "S-randomized (linear shuffled)": shuffle_coordinates(test, [0], seed=1),
             "Sᶜ-randomized (49 slabs shuffled)": shuffle_coordinates(test, range(1, CFG["d"]), seed=1)}
results = pd.DataFrame({k: sb.accuracy_and_auc(mlp, v) for k, v in test_sets.items()}).T
results["paper AUC (LMS-5, FCN)"] = [1.00, 0.50, 1.00]  # Shah et al. 2020, Sec. 4 (rounded)
results.round(3)

# %%
fig, ax = plt.subplots(figsize=(8, 3.2))
ax.barh(list(results.index)[::-1], results["accuracy"][::-1], color=PALETTE[0])
ax.axvline(0.5, color="black", ls=":", label="chance")
ax.set(xlabel="test accuracy", xlim=(0, 1.02), title="MLP trained on LMS-5: what breaks it?")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # outside the bars
plt.tight_layout()
plt.show()
s_acc = results.loc["S-randomized (linear shuffled)", "accuracy"]
sc_acc = results.loc["Sᶜ-randomized (49 slabs shuffled)", "accuracy"]
takeaway(f"shuffling the one linear coordinate drops accuracy to {s_acc:.0%} (chance), shuffling "
         f"all 49 slab coordinates leaves {sc_acc:.0%}: the net uses the simple feature only.")

# %% [markdown]
# Shah et al. report AUC 0.50 on the S-randomized and 1.00 on the Sᶜ-randomized test set. The
# kit's one verdict rule (`tutorial_lib.core.verdict`) checks both directions on this run, with the
# exact (Clopper–Pearson) 95% interval of each accuracy over the test points: "at chance" as
# "below 60%", "unaffected" as "above 95%".

# %%
n_test = len(test.y)
SHAH = "Shah et al. 2020 (NeurIPS), Sec. 4 (LMS-5, FCN)"
claims = []
for cid, text, acc, direction, thr, paper in [
        ("06-linear-shuffled-chance", "shuffling the linear coordinate leaves chance accuracy: "
         "S-randomized accuracy < 0.6", s_acc, "less", 0.6, "AUC 0.50"),
        ("06-slabs-shuffled-unaffected", "shuffling all slab coordinates changes nothing: "
         "Sc-randomized accuracy > 0.95", sc_acc, "greater", 0.95, "AUC 1.00")]:
    p, lo_, hi_ = verdict.binomial_interval(round(acc * n_test), n_test)
    claims.append(verdict.claim(cid, "06", text, SHAH, p, (lo_, hi_), n=n_test, direction=direction,
                                threshold=thr, paper_value=paper, uncertainty="Clopper-Pearson"))

# %%
assert results.loc["standard", "accuracy"] > 0.98
assert s_acc < 0.6 and sc_acc > 0.95, results

# %% [markdown]
# ## 3. The decision boundary in a 2-D slice
# *~5 min*
#
# Fix a test point and vary two canonical coordinates over a grid (the other 48 stay put); colour
# the grid by the MLP's probability of label 1. If the net used slab $z_1$, the boundary would
# follow the slabs (horizontal bands in the left panel). It is a single vertical line near
# $z_0 = 0$; in the right panel (two slab coordinates, $z_0$ held at the test point's value) the
# prediction does not change at all, whatever the slabs say.

# %%
base = test.z[0]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
for ax, coords in zip(axes, [(0, 1), (1, 2)]):
    u, v, prob = sb.decision_grid(mlp, test, base, coords=coords)
    im = ax.contourf(u, v, prob, levels=np.linspace(0, 1, 11), cmap="BrBG", alpha=0.75)
    ax.contour(u, v, prob, levels=[0.5], colors="black", linewidths=2)
    pts = slice(0, 600)
    ax.scatter(test.z[pts, coords[0]], test.z[pts, coords[1]], c=LABEL_COLORS[test.y[pts]], s=4)
    fixed = "" if 0 in coords else f", z0 = {base[0]:.2f}"
    ax.set(xlabel=f"z{coords[0]}", ylabel=f"z{coords[1]}", aspect="equal",
           title=f"P(label 1) on the (z{coords[0]}, z{coords[1]}) slice{fixed}")
fig.legend(handles=LABEL_HANDLES + [Line2D([], [], color="black", lw=2, label="boundary P = 0.5")],
           loc="upper center", bbox_to_anchor=(0.45, 0.04), ncol=3)  # below the panels
fig.colorbar(im, ax=axes, label="P(label 1)")
plt.show()
# how much does the prediction move when a slab coordinate sweeps its whole range?
u, v, prob = sb.decision_grid(mlp, test, base, coords=(0, 1))
spread_slab = float(np.ptp(prob, axis=0).mean())    # change along z1 (grid rows), mean over z0
spread_linear = float(np.ptp(prob, axis=1).mean())  # change along z0 (grid columns), mean over z1
takeaway(f"sweeping the slab coordinate z1 moves P(label 1) by {spread_slab:.2f} on average, sweeping "
         f"the linear z0 by {spread_linear:.2f}: the boundary is a line in the linear coordinate alone.")

# %% [markdown]
# ## 4. One universal perturbation breaks it
# *~10 min*
#
# Move every test point along the linear coordinate towards the other class: $z_0 \to z_0 - s$ for
# label 1 and $z_0 + s$ for label 0 — the same vector for every point of a class, of L2 norm $s$
# (rotations keep lengths). The 49 slab coordinates are untouched, so a classifier that used them
# would not flinch. For contrast, train the same MLP on data where the linear coordinate is
# shuffled (so only the slabs predict the label): does the net learn the slabs then?

# %%
slab_only_train = shuffle_coordinates(train, [0], seed=2)
mlp_slabs = sb.train_mlp(slab_only_train.x, slab_only_train.y, hidden=CFG["hidden"],
                         epochs=CFG["epochs"], seed=PROFILE.seed)
sizes = np.round(np.arange(0, 1.21, 0.1), 2)
shift_acc = {name: [sb.accuracy_and_auc(m, sb.shift_linear(test, s))["accuracy"] for s in sizes]
             for name, m in [("MLP on LMS-5", mlp), ("MLP denied the linear feature", mlp_slabs)]}
fig, ax = plt.subplots(figsize=(7, 4))
for (name, acc), color in zip(shift_acc.items(), [PALETTE[0], PALETTE[1]]):
    ax.plot(sizes, acc, "o-", label=name, color=color)
ax.axhline(0.5, color="black", ls=":", label="chance")
ax.set(xlabel="size s of the shift along the linear coordinate (L2)", ylabel="test accuracy",
       ylim=(0, 1.02), title="Universal perturbation along the simple feature")
ax.legend(loc="lower left")  # empty: one curve stays at 100%, the other falls to the right
plt.show()
at1 = {k: v[list(sizes).index(1.0)] for k, v in shift_acc.items()}
takeaway(f"a shift of L2 norm 1 leaves the LMS-5 MLP at {at1['MLP on LMS-5']:.0%} accuracy; the MLP "
         f"that had to learn the slabs keeps {at1['MLP denied the linear feature']:.0%}.")

# %%
assert spread_linear > 0.9 and spread_slab < 0.1, (spread_linear, spread_slab)
assert at1["MLP on LMS-5"] < 0.3 and at1["MLP denied the linear feature"] > 0.95, at1
assert sb.accuracy_and_auc(mlp_slabs, test)["accuracy"] > 0.95

# %% [markdown]
# ### Your turn: how small can the universal perturbation be?
# *~5 min*
#
# Write `my_smallest_breaking_shift(accs, sizes, target)`: given the accuracies at increasing shift
# sizes (the curve above), return the smallest size whose accuracy is below `target` (or `None` if
# none is). Then compare the shift that halves the MLP's accuracy with the spread of the data (each
# coordinate ranges over about 2 units).

# %%
def my_smallest_breaking_shift(accs, sizes, target):
    raise NotImplementedError  # your code here


breaking_shift = checks.check_function(
    my_smallest_breaking_shift, solutions.smallest_breaking_shift,
    [([1.0, 0.9, 0.4, 0.1], [0.0, 0.1, 0.2, 0.3], 0.5), ([1.0, 0.99], [0.0, 0.5], 0.5),
     (shift_acc["MLP on LMS-5"], list(sizes), 0.5)], name="my_smallest_breaking_shift")
print("smallest shift that drops the LMS-5 MLP below 50%:",
      breaking_shift(shift_acc["MLP on LMS-5"], list(sizes), 0.5))

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_smallest_breaking_shift(accs, sizes, target):
#     for a, s in zip(accs, sizes):
#         if a < target:
#             return float(s)
#     return None
# ```
# </details>
#
# A classifier that reads the slabs is not fooled at all: the majority vote of the 49 slab rules
# (your rule from section 1) after the L2 = 1 shift.

# %%
shifted = sb.shift_linear(test, 1.0)
votes = torch.stack([slab_rule_fn(shifted.z[:, c]) for c in range(1, CFG["d"])], 1).float().mean(1)
print(f"majority vote of the slab rules after the L2 = 1 shift: "
      f"{((votes > 0.5).long() == test.y).float().mean():.1%} accuracy")

# %% [markdown]
# The slabs were learnable all along: with the simple feature gone, the same architecture, data
# size and optimiser reach near-perfect accuracy on them. With it present, SGD stops at the simple
# solution — *extreme* simplicity bias (this run's accuracies after the shift are printed above).
# The paper's point is qualitative and the same — small, data-agnostic (universal) perturbations along the linear direction are enough to
# break networks trained on LMS-5.

# %% [markdown]
# ## 5. Try it: slide the shift
# *~5 min*
#
# The slice of section 3 with the test points shifted by $s$ (precomputed for every $s$ above):
# watch the points of each class cross the vertical boundary together while their slab
# coordinates stay where they were.

# %%
shifted_points = {float(s): sb.shift_linear(test, float(s)).z[:600, :2].numpy() for s in sizes}
grid_u, grid_v, grid_p = sb.decision_grid(mlp, test, base, coords=(0, 1), lim=2.2)


def show_shift(s: float = 1.0) -> None:
    """The (z0, z1) slice with the test points moved by the universal shift of size s."""
    s = float(sizes[np.abs(sizes - s).argmin()])
    pts = shifted_points[s]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.contourf(grid_u, grid_v, grid_p, levels=np.linspace(0, 1, 11), cmap="BrBG", alpha=0.6)
    ax.scatter(pts[:, 0], pts[:, 1], c=LABEL_COLORS[test.y[:600]], s=5)
    acc = shift_acc["MLP on LMS-5"][list(sizes).index(s)]
    ax.set(xlabel="z0 (linear)", ylabel="z1 (5-slab)", xlim=(-2.2, 2.2), ylim=(-1.3, 1.3),
           title=f"shift s = {s:.1f}: MLP accuracy {acc:.0%}")
    ax.legend(handles=LABEL_HANDLES, loc="upper left", bbox_to_anchor=(1.02, 1))
    plt.tight_layout()
    plt.show()


show_shift(1.0)
crossed = float((np.sign(shifted_points[1.0][:, 0]) != np.sign(shifted_points[0.0][:, 0])).mean())
takeaway(f"at s = 1.0, {crossed:.0%} of the plotted points have crossed z0 = 0 (the MLP's boundary lies "
         "next to it), while none of them moved along z1.")

# %%
widgets.slider_explorer(show_shift, s=ipywidgets.FloatSlider(value=0.5, min=0.0, max=1.2, step=0.1))

# %% [markdown]
# ## Summary
# *~5 min*
#
# - On LMS-5 every coordinate predicts the label perfectly, yet an SGD-trained MLP relies on the
#   single linear coordinate: shuffling it gives chance accuracy, shuffling the other 49 does nothing.
# - Its decision boundary is a line in that coordinate, so one universal perturbation along it —
#   small compared with the data's spread — flips most predictions.
# - The complex features are learnable (a net denied the simple one learns them and is robust to the
#   same shift): brittleness here comes from *what SGD prefers*, not from what the net can represent.
#
# ## Going further (open exercise)
# *~15 min*
#
# **Does depth or width change the picture?** Retrain with `sb.train_mlp(..., depth=2)` or
# `hidden=500` and repeat section 2. Shah et al. found the bias persists across depths, widths,
# optimisers and even ensembles. What about adding a small amount of label noise to the linear
# coordinate only (so it becomes 95% predictive)? Does the net switch to the slabs (the paper's
# observation (iii): simplicity bias can hurt in-distribution accuracy)? A sample answer is in the
# instructor guide (`instructor/answers.md`).

# %%
# your experiment here, e.g.
# deep = sb.train_mlp(train.x, train.y, hidden=CFG["hidden"], epochs=CFG["epochs"], depth=2, seed=PROFILE.seed)
# pd.DataFrame({k: sb.accuracy_and_auc(deep, v) for k, v in test_sets.items()}).T

# %% [markdown]
# ## Next
#
# - **07 · Accuracy on the line** looks at natural shifts across many models: is one model's
#   robustness more than its accuracy?
# - **08** and **09** study two remedies the seed papers propose — more (unlabeled) data and a
#   gentler way to fine-tune.
#
# ## Further reading
#
# - H. Shah, K. Tamuly, A. Raghunathan, P. Jain, P. Netrapalli. *The Pitfalls of Simplicity Bias in
#   Neural Networks.* NeurIPS 2020. arXiv:2006.07710.
# - G. Valle-Pérez, C. Q. Camargo, A. A. Louis. *Deep learning generalizes because the
#   parameter-function map is biased towards simple functions.* ICLR 2019.
# - P.-Y. Chen, S. Liu, S. Paul (organisers). *Foundational Robustness of Foundation Models.*
#   NeurIPS 2022 tutorial.

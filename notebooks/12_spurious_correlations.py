# %% [markdown]
# # 12 · Spurious correlations: ERM vs reweighting vs subsampling vs group DRO vs JTT
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/frfm-kit/foundational-robustness-kit/blob/main/notebooks/12_spurious_correlations.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/frfm-kit/foundational-robustness-kit/main?labpath=notebooks%2F12_spurious_correlations.ipynb)
#
# A model with 90% average accuracy can be right on almost every "typical" image and wrong on most
# images of a rare kind. When a nuisance attribute (the background) predicts the label in most of
# the training data, plain training (ERM) learns the shortcut and the rare groups where the
# shortcut fails pay for it. Sagawa, Koh, Hashimoto & Liang (ICLR 2020) minimise the *worst
# group's* loss (group DRO) but need group labels on every training example; Liu et al. (ICML
# 2021, *Just Train Twice*, JTT) get much of the gain with group labels on the validation set only:
# train ERM briefly, then retrain with its mistakes upweighted. Sagawa, Raghunathan, Koh & Liang
# (ICML 2020) explain why bigger models make the rare groups worse when the remedy is reweighting,
# but not when it is subsampling.
#
# Here the spurious feature is real: real digit scans composited on real photo textures
# (`tutorial_lib.core.composite`). The label is "digit < 5"; the background comes from one of two
# texture families. The last section uses the synthetic toy of Sagawa et al. 2020 itself — a
# paper's own toy, said so where it is used.
#
# **Learning goals**
# - Build four groups (label × background) with a 95% majority in training and balanced test data.
# - Measure average vs worst-group accuracy, and see how much ERM hides.
# - Implement JTT's upweighting and read its two stages: the error set and λ.
# - Compare five methods with seeds and intervals, each using only the group labels it may.
# - Watch worst-group error grow with model width under reweighting, not under subsampling.
#
# **Run time**: quick profile (default) 144–151 s in two runs of `scripts/execute_notebooks.py` on
# a 2-core CPU shared with other jobs (load average about 13; about 35 s of CPU time); the full profile (`FRFM_PROFILE=full`: 10 seeds, wider nets,
# the paper's 3,000 toy points) takes several minutes on a CPU. No download.
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
from tutorial_lib.core.plotting import takeaway
from tutorial_lib.shift import groups as G
from tutorial_lib.shift import overparam as op
from tutorial_lib.shift import solutions

PROFILE, DEVICE = setup_notebook()
K = G.knobs()
print("lesson knobs:", K)
T0 = time.perf_counter()
# Okabe-Ito colours, one per method (colour-blind safe)
PAL = {"ERM": "#000000", "reweight": "#E69F00", "subsample": "#56B4E9", "group DRO": "#009E73",
       "JTT": "#CC79A7"}
GROUP_NAMES = ["y=0 (≥5), bg A", "y=0 (≥5), bg B", "y=1 (<5), bg A", "y=1 (<5), bg B"]

# %% [markdown]
# ## 1. Four groups: digit × background
# *~5 min*
#
# - **Label** `y`: is the digit smaller than 5?
# - **Spurious attribute** `a`: the background's texture family — A = crops of the scikit-image
#   photos *rocket* and *moon* (smooth, darker), B = *gravel* and *grass* (rough, brighter).
# - **Groups** `g = 2y + a`. In training, 95% of each class sits in its *majority* group
#   (`a = y`: small digits on B, large digits on A); validation and test are balanced.
# - Training backgrounds are cut from the left 60% of each photo, validation/test backgrounds from
#   the right 40%, so no background pixel is shared.

# %%
train = G.make_groups("train", p_maj=K["p_maj"], visibility=K["visibility"], label=K["label"]).to(DEVICE)
val = G.make_groups("val", visibility=K["visibility"], label=K["label"]).to(DEVICE)
test = G.make_groups("test", visibility=K["visibility"], label=K["label"]).to(DEVICE)
counts = pd.DataFrame({"train": train.counts(), "val": val.counts(), "test": test.counts()},
                      index=GROUP_NAMES)
counts["majority?"] = ["yes", "no (minority)", "no (minority)", "yes"]
print(counts.to_string())

fig, axes = plt.subplots(4, 8, figsize=(8, 4.4))
for k in range(4):
    idx = torch.nonzero(test.g == k).flatten()[:8].cpu()
    for j, i in enumerate(idx):
        axes[k, j].imshow(test.x[i, 0].cpu(), cmap="gray", vmin=0, vmax=1)
        axes[k, j].set_xticks([]); axes[k, j].set_yticks([])
    axes[k, 0].set_ylabel(GROUP_NAMES[k], rotation=0, ha="right", va="center", fontsize=8)
fig.suptitle("test images, one row per group", fontsize=10)
plt.tight_layout(); plt.show()
takeaway(f"in training {counts['train'].iloc[[1, 2]].sum()} of {len(train.y)} images "
         f"({counts['train'].iloc[[1, 2]].sum() / len(train.y):.0%}) are in a minority group; "
         f"the test set has {min(test.counts())}–{max(test.counts())} per group")

# %% [markdown]
# ## 2. What ERM learns
# *~5 min*
#
# The model for all methods: a one-hidden-layer ReLU net (128 units) on standardised pixels,
# Adam, 15 epochs, weight decay 0.03 — the same for every method, no early stopping, so the only
# difference between methods is how they weight the training examples.

# %%
def build():
    return G.mlp(train.x, K["width"])


TRAIN_KW = {"epochs": K["epochs"], "lr": K["lr"], "batch_size": K["batch_size"], "weight_decay": K["weight_decay"]}
erm0 = G.evaluate(G.fit_method("ERM", build, train.x, train.y, train.g, seed=0, **TRAIN_KW),
                  test.x, test.y, test.g)
for name, acc in zip(GROUP_NAMES, erm0["group_acc"]):
    print(f"{name:18s} {acc:.1%}")
print(f"average {erm0['avg_acc']:.1%}   worst group {erm0['worst_acc']:.1%}")
takeaway(f"ERM (seed 0) is {erm0['avg_acc']:.0%} accurate on average but only {erm0['worst_acc']:.0%} "
         f"on its worst group, '{GROUP_NAMES[int(np.argmin(erm0['group_acc']))]}'")

# %% [markdown]
# ## 3. Your turn: JTT's upweighting
# *~10 min*
#
# JTT's stage 1 trains ERM for `T` epochs (here `T = 1`) and keeps the *error set*: the training
# examples it gets wrong (`G.jtt_error_set`). Stage 2 retrains a fresh model from scratch with each
# error-set example's loss multiplied by `λ_up` (the paper upsamples them `λ_up` times; weighting
# is the same in expectation). Write `my_jtt_upweight(error_set, lam_up)`: a float tensor with
# `lam_up` where `error_set` is True and 1 elsewhere.

# %%
def my_jtt_upweight(error_set, lam_up):
    raise NotImplementedError  # your code here


jtt_upweight = checks.check_function(
    my_jtt_upweight, solutions.jtt_upweight,
    [(torch.tensor([True, False, True]), 5.0), (torch.zeros(4, dtype=torch.bool), 20.0),
     (torch.tensor([False, True]), 1.0)], name="my_jtt_upweight")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_jtt_upweight(error_set, lam_up):
#     return 1.0 + (lam_up - 1.0) * error_set.float()
# ```
# </details>
#
# ### JTT stage 1: who is in the error set?
# JTT never looks at training groups; we look, to see what it found.

# %%
stage1 = G.train(build, train.x, train.y, seed=0, **{**TRAIN_KW, "epochs": K["jtt_epochs"]})
err = G.jtt_error_set(stage1, train.x, train.y)
share_err = torch.bincount(train.g[err], minlength=4).float() / err.sum()
share_all = torch.bincount(train.g, minlength=4).float() / len(train.g)
minority = torch.tensor([False, True, True, False])
print(f"error set: {int(err.sum())} of {len(err)} training images")
print(pd.DataFrame({"share of training set": share_all.numpy(), "share of error set": share_err.numpy()},
                   index=GROUP_NAMES).round(3).to_string())
takeaway(f"minority groups are {share_all[minority].sum():.0%} of the training set but "
         f"{share_err[minority].sum():.0%} of the error set: stage 1 finds them without group labels")

# %% [markdown]
# ### Choosing λ with validation group labels (the only group labels JTT uses)

# %%
lam_val = {}
for lam in K["jtt_lambdas"]:
    m = G.train(build, train.x, train.y, weights=jtt_upweight(err, lam), seed=0, **TRAIN_KW)
    lam_val[lam] = G.evaluate(m, val.x, val.y, val.g)["worst_acc"]
LAM = max(lam_val, key=lam_val.get)
print("validation worst-group accuracy by λ_up:", {k: round(v, 3) for k, v in lam_val.items()})
takeaway(f"λ_up = {LAM:g} gives the best validation worst group ({lam_val[LAM]:.0%}); it is used for every seed below")

# %% [markdown]
# ## 4. Five methods, three seeds
# *~5 min*
#
# | method | group labels it uses |
# |---|---|
# | ERM | none |
# | reweighting | training groups (weights `1 / group size`) |
# | subsampling | training groups (drops 90% of the majority) |
# | group DRO | training groups (online worst-group weights `q`, η = 0.05) |
# | JTT | validation groups only (to choose λ_up; `T = 1` fixed) |

# %%
results = {m: [] for m in G.METHODS}
for seed in range(K["seeds"]):
    for method in G.METHODS:
        out = G.fit_method(method, build, train.x, train.y, train.g, seed=seed,
                           jtt_epochs=K["jtt_epochs"], jtt_lambda=LAM, dro_eta=K["dro_eta"],
                           upweight=jtt_upweight, **TRAIN_KW)
        model = out.model if isinstance(out, G.JTTResult) else out
        results[method].append(G.evaluate(model, test.x, test.y, test.g))

rows = []
for method, runs in results.items():
    avg = verdict.seed_interval([r["avg_acc"] for r in runs])
    worst = verdict.seed_interval([r["worst_acc"] for r in runs])
    rows.append({"method": method, "average acc": f"{avg[0]:.1%} [{avg[1]:.1%}, {avg[2]:.1%}]",
                 "worst-group acc": f"{worst[0]:.1%} [{worst[1]:.1%}, {worst[2]:.1%}]",
                 "_avg": avg[0], "_worst": worst[0], "_wlo": worst[1], "_whi": worst[2]})
table = pd.DataFrame(rows).set_index("method")
print(f"test set, mean over {K['seeds']} seeds [95% t-interval over seeds]")
print(table[["average acc", "worst-group acc"]].to_string())

fig, ax = plt.subplots(figsize=(6.5, 3.2))
for i, m in enumerate(G.METHODS):
    ax.bar(i - 0.18, table.loc[m, "_avg"], 0.34, color=PAL[m], alpha=0.45)
    ax.bar(i + 0.18, table.loc[m, "_worst"], 0.34, color=PAL[m],
           yerr=[[table.loc[m, "_worst"] - table.loc[m, "_wlo"]], [table.loc[m, "_whi"] - table.loc[m, "_worst"]]])
ax.set_xticks(range(len(G.METHODS)), G.METHODS)
ax.set_ylim(0.5, 1.0); ax.set_ylabel("test accuracy")
ax.set_title("light: average, dark: worst group (95% seed interval)")
plt.tight_layout(); plt.show()
best = table["_worst"].idxmax()
takeaway(f"ERM's worst group is {table.loc['ERM', '_worst']:.0%}; {best} reaches "
         f"{table.loc[best, '_worst']:.0%}; JTT, with no training group labels, reaches {table.loc['JTT', '_worst']:.0%}")

# %% [markdown]
# ### Verdict: JTT's worst-group gain over ERM
# Per test image, average each method's correctness over the seeds; then a paired bootstrap over
# test images (resampled within each group) of the worst-group accuracy difference.

# %%
g_np = test.g.cpu().numpy()
c_jtt = np.mean([r["correct"] for r in results["JTT"]], axis=0)
c_erm = np.mean([r["correct"] for r in results["ERM"]], axis=0)
gain, lo, hi = G.bootstrap_worst_group_gain(c_jtt, c_erm, g_np)
verdict.claim(id="12-jtt-worst-group-gain", notebook="12",
              claim="JTT raises worst-group accuracy over ERM without training group labels",
              source="Liu et al. 2021, Table 1 (Waterbirds worst group: ERM 72.6%, JTT 86.7%)",
              effect=gain, interval=(lo, hi), n=len(g_np), direction="greater", threshold=0.0,
              paper_value="+14.1 points (Waterbirds)", uncertainty="paired bootstrap")
c_dro = np.mean([r["correct"] for r in results["group DRO"]], axis=0)
w = {m: G.worst_group_accuracy(c, g_np) for m, c in (("ERM", c_erm), ("JTT", c_jtt), ("group DRO", c_dro))}
if w["group DRO"] > w["ERM"]:
    print(f"JTT closes {(w['JTT'] - w['ERM']) / (w['group DRO'] - w['ERM']):.0%} of the ERM → group DRO "
          "worst-group gap here (paper: about 75% on average over its four datasets; a ratio of two "
          "noisy differences, shown without an interval)")
else:
    print("group DRO is not above ERM here, so 'share of the gap closed' is undefined in this run")

# %% [markdown]
# ## 5. The signal-to-noise knob: how visible is the background?
# *~5 min*
#
# `visibility` scales the texture (0 = plain page, 1 = the default, 2 = as bright as the strokes).
# The shortcut is only as attractive as it is easy to read. One ERM seed per setting.

# %%
vis_rows = []
for vis in (0.0, 0.5, 1.0, 2.0):
    tr_v = G.make_groups("train", p_maj=K["p_maj"], visibility=vis, label=K["label"]).to(DEVICE)
    te_v = G.make_groups("test", visibility=vis, label=K["label"]).to(DEVICE)
    model = G.train(lambda x=tr_v.x: G.mlp(x, K["width"]), tr_v.x, tr_v.y, seed=0, **TRAIN_KW)
    e = G.evaluate(model, te_v.x, te_v.y, te_v.g)
    vis_rows.append({"visibility": vis, "average": e["avg_acc"], "worst group": e["worst_acc"],
                     "gap": e["avg_acc"] - e["worst_acc"]})
vis_df = pd.DataFrame(vis_rows).set_index("visibility")
print(vis_df.round(3).to_string())
takeaway(f"ERM's average − worst-group gap is {vis_df.loc[0.0, 'gap']:.1%} with no background and "
         f"{vis_df['gap'].max():.1%} at its largest (visibility {vis_df['gap'].idxmax():g}) — one seed each")

# %% [markdown]
# ## 6. Why overparameterisation hurts the minority (Sagawa et al. 2020)
# *~15 min*
#
# **This section runs the paper's own synthetic toy** (written afresh from its description, in
# `tutorial_lib.shift.overparam`): label `y` and attribute `a` are ±1; 100 "core" coordinates are
# centred at `y` with variance 100, 100 "spurious" coordinates centred at `a` with variance 1 (the
# spurious feature has far higher signal-to-noise); 90% majority in training, balanced test. Models
# are random-ReLU features `relu(Wx)` of width N (W fixed), with only the last layer trained by
# (almost unregularised) logistic regression to zero training error.
# Two remedies: **reweighting** (loss weights `1/group size`) and **subsampling**.

# %%
KO = op.knobs()
tr_toy = op.make_toy(KO["n_train"], KO["p_maj"], seed=100)
te_toy = op.make_toy(KO["n_test"], KO["p_maj"], train=False, seed=101)
widths = KO["widths"]
sweeps = [op.width_sweep(tr_toy, te_toy, widths, seed=s, lam=KO["lam"], max_iter=KO["max_iter"])
          for s in range(KO["seeds"])]
worst_rw = np.array([s["reweight/worst"] for s in sweeps])   # (seeds, widths)
worst_ss = np.array([s["subsample/worst"] for s in sweeps])
print("training error of the reweighted model by width:", np.round(sweeps[0]["reweight/train_err"], 3))

# %% [markdown]
# ### Your turn: where does reweighting start to hurt?
# Write `my_width_where_reweighting_hurts(widths, worst_reweight, worst_subsample)`: the smallest
# width *from which on* (at it and at every larger width) reweighting's worst-group error is above
# subsampling's; `None` if it is not above at the largest width.

# %%
def my_width_where_reweighting_hurts(widths, worst_reweight, worst_subsample):
    raise NotImplementedError  # your code here


hurts_from = checks.check_function(
    my_width_where_reweighting_hurts, solutions.width_where_reweighting_hurts,
    [([1, 2, 3, 4], [0.3, 0.2, 0.4, 0.5], [0.3, 0.3, 0.3, 0.3]), ([1, 2], [0.1, 0.1], [0.2, 0.2]),
     ([1, 2, 3], [0.5, 0.1, 0.5], [0.2, 0.2, 0.2]),
     (list(widths), list(worst_rw.mean(0)), list(worst_ss.mean(0)))],
    name="my_width_where_reweighting_hurts")
W_HURT = hurts_from(list(widths), list(worst_rw.mean(0)), list(worst_ss.mean(0)))
first_zero = next((w for w, e in zip(widths, sweeps[0]["reweight/train_err"]) if e == 0), None)
print(f"reweighting is worse than subsampling from width {W_HURT} on; the reweighted model first "
      f"reaches zero training error at width {first_zero}")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_width_where_reweighting_hurts(widths, worst_reweight, worst_subsample):
#     found = None
#     for w, r, s in reversed(list(zip(widths, worst_reweight, worst_subsample))):
#         if r > s:
#             found = w
#         else:
#             break
#     return found
# ```
# </details>

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for name, arr, col in (("reweighting", worst_rw, PAL["reweight"]), ("subsampling", worst_ss, PAL["subsample"])):
    ax.plot(widths, arr.mean(0), "o-", color=col, label=name)
    ax.fill_between(widths, arr.min(0), arr.max(0), color=col, alpha=0.2)
if W_HURT is not None:
    ax.axvline(W_HURT, color="grey", ls=":", label=f"reweighting worse from N={W_HURT}")
ax.set_xscale("log"); ax.set_xlabel("number of random features N"); ax.set_ylabel("worst-group test error")
ax.set_title(f"Sagawa et al.'s toy, p_maj={KO['p_maj']} (band: min–max over {KO['seeds']} seeds)")
ax.legend(fontsize=8); plt.tight_layout(); plt.show()
takeaway(f"reweighting: worst-group error {worst_rw.mean(0)[0]:.2f} at N={widths[0]} → "
         f"{worst_rw.mean(0)[-1]:.2f} at N={widths[-1]}; subsampling: {worst_ss.mean(0)[0]:.2f} → "
         f"{worst_ss.mean(0)[-1]:.2f}")

# %% [markdown]
# ### Verdicts (spread over seeds; each seed redraws the random features)

# %%
d_sub = worst_rw[:, -1] - worst_ss[:, -1]
e, lo, hi = verdict.seed_interval(d_sub)
verdict.claim(id="12-overparam-reweight-vs-subsample", notebook="12",
              claim="at large width, reweighting has higher worst-group error than subsampling",
              source="Sagawa et al. 2020, Fig. 2 (synthetic toy, random features)",
              effect=e, interval=(lo, hi), n=len(d_sub), direction="greater", threshold=0.0,
              paper_value="qualitative (curves diverge as N grows)", uncertainty="seed spread")
# reference width fixed by *training* error, not test error: the widest model that does not yet
# interpolate (seed 0's reweighted fit)
i_ref = max(i for i, e in enumerate(sweeps[0]["reweight/train_err"]) if e > 0)
d_grow = worst_rw[:, -1] - worst_rw[:, i_ref]
e, lo, hi = verdict.seed_interval(d_grow)
verdict.claim(id="12-overparam-reweight-grows", notebook="12",
              claim=f"under reweighting, worst-group error grows from N={widths[i_ref]} (last width above zero training error) to N={widths[-1]}",
              source="Sagawa et al. 2020, Fig. 2 (synthetic toy, random features)",
              effect=e, interval=(lo, hi), n=len(d_grow), direction="greater", threshold=0.0,
              paper_value="qualitative (grows with N past the interpolation threshold)",
              uncertainty="seed spread")

# %% [markdown]
# ### The majority fraction
# The paper's other driver: how lopsided the training groups are. Two widths, two seeds each.

# %%
pm_rows = []
for p in (0.7, KO["p_maj"], 0.97):
    tr_p = op.make_toy(KO["n_train"], p, seed=200)
    for s in range(2):
        r = op.width_sweep(tr_p, te_toy, (widths[2], widths[-1]), seed=s, lam=KO["lam"], max_iter=KO["max_iter"])
        pm_rows.append({"p_maj": p, "seed": s, "rw small": r["reweight/worst"][0], "rw large": r["reweight/worst"][1],
                        "ss small": r["subsample/worst"][0], "ss large": r["subsample/worst"][1]})
pm = pd.DataFrame(pm_rows).groupby("p_maj")[["rw small", "rw large", "ss small", "ss large"]].mean()
pm.columns = [f"reweight N={widths[2]}", f"reweight N={widths[-1]}", f"subsample N={widths[2]}", f"subsample N={widths[-1]}"]
print("worst-group test error, mean of 2 seeds")
print(pm.round(3).to_string())
gap_by_p = pm.iloc[:, 1] - pm.iloc[:, 3]
takeaway("reweighting minus subsampling at the largest width: " +
         ", ".join(f"p_maj={p:g}: {v:+.2f}" for p, v in gap_by_p.items()))
print(f"notebook run time so far: {time.perf_counter() - T0:.0f} s")

# %% [markdown]
# ## Summary
# *~5 min*
#
# - With a 95% background–label alignment in training, ERM's worst group is far below its average
#   (section 4's table): the average hides the minority.
# - JTT's stage 1 finds the minority without group labels (section 3: their share of the error
#   set vs of the training set), and upweighting it raises the worst group; the verdict above says
#   whether this run resolves the gain.
# - How visible the background is (the signal-to-noise of the spurious feature) moves the gap.
# - On Sagawa et al.'s toy, once the model can memorise the minority (zero training error),
#   reweighting stops helping and worst-group error grows with width; subsampling does not.
#
# ## Glossary
# - **Group**: a (label, attribute) pair; **minority group**: one where the attribute disagrees with
#   the usual pairing.
# - **Worst-group accuracy**: the lowest per-group accuracy; **average accuracy**: over all images.
# - **Spurious feature**: predictive in training, not causally tied to the label (here: background).
# - **Group DRO**: minimise the largest group loss (online weights over groups).
# - **JTT**: ERM for `T` epochs → error set → retrain with the error set upweighted by `λ_up`.
# - **Reweighting / subsampling**: weight every example by `1/group size` / drop majority examples.
# - **Interpolation threshold**: the smallest model size that reaches zero training error.
#
# ## Exercises (open)
# *~15 min*
# 1. Switch the label to parity (`label="parity"` in `G.make_groups`) and rerun section 4. Does the
#    ranking of methods change?
# 2. Give group DRO strong weight decay only (e.g. 0.1), as Sagawa et al. 2020 (ICLR) recommend.
# 3. In section 6, replace subsampling by reweighting *with* strong L2 regularisation (`lam=1e-2`).
#    Does the growth with width disappear?
#
# ## Next
# Notebook 13: the robustness–accuracy tradeoff toy (Raghunathan et al.) and one-class detection
# with DROCC.
#
# ## Further reading
# - E. Z. Liu, B. Haghgoo, A. S. Chen, A. Raghunathan, P. W. Koh, S. Sagawa, P. Liang, C. Finn.
#   *Just Train Twice: Improving Group Robustness without Training Group Information.* ICML 2021.
# - S. Sagawa, P. W. Koh, T. B. Hashimoto, P. Liang. *Distributionally Robust Neural Networks for
#   Group Shifts.* ICLR 2020.
# - S. Sagawa, A. Raghunathan, P. W. Koh, P. Liang. *An Investigation of Why Overparameterization
#   Exacerbates Spurious Correlations.* ICML 2020.
# - K. Xiao, L. Engstrom, A. Ilyas, A. Madry. *Noise or Signal: The Role of Image Backgrounds in
#   Object Recognition.* ICLR 2021 (the compositing idea).

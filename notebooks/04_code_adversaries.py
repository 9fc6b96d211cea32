# %% [markdown]
# # 04 · Code models: adversarial programs from semantics-preserving obfuscations
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/frfm-kit/foundational-robustness-kit/blob/main/notebooks/04_code_adversaries.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/frfm-kit/foundational-robustness-kit/main?labpath=notebooks%2F04_code_adversaries.ipynb)
#
# Foundation models for code (Codex, CodeT5, CodeBERT) read programs the way vision models read
# pixels, and they inherit the same question: does a change that does not change *what the program
# does* change *what the model says*? Renaming a local variable or inserting a statement that never
# runs is such a change: an **obfuscation**. Ramakrishnan et al. (2020) and Yefet et al. (2020)
# showed that optimised obfuscations fool code-summarization models, and Srikant et al. (ICLR 2021)
# showed that *where* to obfuscate (site selection) matters as much as *how* (site content): both
# can be optimised with first-order information. Adversarial training on obfuscated programs (or
# contrastive training, ContraCode, Jain et al. 2021) is the defence. This notebook does all of it
# on real Python code with a model trained by this kit.
#
# **Learning goals**
# - Frame code summarization as function-name prediction (code2seq) and score it with subtoken F1.
# - Write the two obfuscations (rename, insert dead code) and check that they preserve semantics.
# - Attack a name predictor with random and gradient-optimised site content and site selection,
#   and see the copy mechanism copy the attacker's words.
# - Compare a standard and an adversarially trained model, clean and under attack.
#
# **Run time**: quick profile about 25 s (measured with `bash scripts/run_all.sh` on an idle 2-core CPU; the last cell reports this run);
# full profile (a bigger model, more test functions, your own folder of Python
# files) a few minutes on a GPU (estimate).

# %%
# Setup. On Colab this fetches the kit (pinned release) without reinstalling torch/matplotlib.
import os, subprocess, sys
KIT_REPO = "https://github.com/frfm-kit/foundational-robustness-kit"  # scripts/set_repo_url.py
KIT_REF = "v0.1.0"
if "google.colab" in sys.modules and not os.path.isdir("/content/frfm-kit"):
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", KIT_REF, KIT_REPO, "/content/frfm-kit"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", "/content/frfm-kit"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "timm>=1.0"], check=True)
if os.path.isdir("/content/frfm-kit"):
    sys.path.insert(0, "/content/frfm-kit")
    os.environ.setdefault("FRFM_ROOT", "/content/frfm-kit")

# %%
import ast
import colorsys
import difflib
import inspect
import json
import random
import time

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from tutorial_lib.core import checks, models, widgets
from tutorial_lib import code
from tutorial_lib.code import attacks as code_attacks
from tutorial_lib.code import train as code_train
from tutorial_lib.code.evaluate import N_EVAL, attack_table
from tutorial_lib.code.metrics import copy_frequent_baseline, most_frequent_name_baseline
from tutorial_lib.core.config import setup_notebook
from tutorial_lib.core.data import data_path
from tutorial_lib.core.plotting import COLORS, takeaway

PROFILE, DEVICE = setup_notebook()
T_START = time.perf_counter()
N_EVAL = N_EVAL[PROFILE.name]  # test functions attacked live (tutorial_lib.code.evaluate)
print(f"attacking {N_EVAL} held-out test functions")

# %% [markdown]
# ## 1. The task: predict a function's name from its body
#
# Code summarization in its simplest, measurable form (Allamanis et al. 2016; code2seq, Alon et al.
# 2019): the model reads a function with its own name masked and writes the name as subtokens
# (`copy_stat` → `copy`, `stat`). Identifiers in the body are split into subtokens too, string
# literals become `<str>`, and the function's exact name becomes `<name>` wherever it occurs
# (the standard setting; its subtokens inside *other* identifiers are left alone, which leaks a
# little, as in the published benchmarks).
#
# The data are **real**: functions extracted by `scripts/build_code_dataset.py` from the CPython
# 3.11 standard library and 40+ permissively licensed packages (torch, numpy, scipy, scikit-learn,
# matplotlib, sympy, pandas, …; licences read from package metadata, listed in `data/code/NOTICE`),
# deduplicated and **split by source file**, so test functions come from files the model never saw.

# %%
stats = json.loads(data_path("code/stats.json").read_text())
vocab = code.load_vocab()
test_recs = code.load_functions("test")
print(f"functions found: {stats['functions_found']:,} in {sum(stats['per_split_found'].values()):,} "
      f"(after dedupe); shipped subset: {stats['kept']} from {stats['files']:,} files")
print(f"median body length {stats['median_tokens']} subtokens (90th percentile "
      f"{stats['p90_tokens']}); names have {stats['mean_target_len']} subtokens on average; "
      f"vocabulary {len(vocab):,} subtokens")
example = next(r for r in test_recs if 150 < len(r["source"]) < 320 and len(code.rename_sites(r["source"])) >= 2)
print("\n" + example["source"])
tokens, _ = code.model_input(example["source"])
print("\nwhat the model reads:", " ".join(tokens[:45]), "…" if len(tokens) > 45 else "")
print("target:", example["target"])

# %% [markdown]
# ## 2. The model: seq2seq with attention and a copy mechanism
#
# `tutorial_lib.code.model.NamePredictor`: a 2-layer pre-LN transformer encoder over the body's
# subtokens and a GRU decoder that, at each step, mixes a distribution over the vocabulary with a
# **copy distribution** over the input positions (a pointer-generator, See et al. 2017): names
# often reuse subtokens of the body. Two checkpoints ship, trained by
# `scripts/train_code_models.py` with the *same* number of steps: a standard one and an
# adversarially trained one (section 5). We score subtoken precision / recall / F1 (code2seq's
# definition) on held-out test files, beside two baselines that need no neural network.

# %%
std = code.load_name_model(code.STANDARD, DEVICE)
rob = code.load_name_model(code.ROBUST, DEVICE)
MODELS = {"standard": std, "adv. trained": rob}
MODEL_COLORS = {"standard": COLORS["other"], "adv. trained": COLORS["extra"]}
for mname, ck in [("standard", code.STANDARD), ("adv. trained", code.ROBUST)]:
    meta = models.checkpoint_metrics(ck)
    print(f"{mname:>13}: {models.count_parameters(MODELS[mname]):,} parameters, {meta['steps_done']} "
          f"steps ({meta['epochs_done']} epochs), {meta['train_seconds'] / 60:.0f} min on one CPU thread; F1 on "
          f"all {meta['test_n']} test functions {meta['test']['f1']:.3f}")

eval_recs = test_recs[:N_EVAL]
programs = [code.make_program(r["source"], r["target"]) for r in eval_recs]
trues = [p.target for p in programs]
train_targets = [r["target"] for r in code.load_functions("train", n=20000)]
scores = {
    "most frequent\nname subtokens": code.subtoken_f1([most_frequent_name_baseline(train_targets)] * len(trues), trues),
    "copy 2 most frequent\nbody subtokens": code.subtoken_f1([copy_frequent_baseline(p.tokens) for p in programs], trues),
}
clean_preds = {}
for mname, m in MODELS.items():
    clean_preds[mname] = code.predict_tokens(m, [p.tokens for p in programs], vocab)
    scores[mname] = code.subtoken_f1(clean_preds[mname], trues)

fig, ax = plt.subplots(figsize=(8, 3.4))
colors = ["#999999", "#bbbbbb", MODEL_COLORS["standard"], MODEL_COLORS["adv. trained"]]
ax.bar(list(scores), [s["f1"] for s in scores.values()], color=colors)
ax.axhspan(0.3, 0.45, color="#dddddd", alpha=0.5, label="published Python name predictors (0.3–0.45)")
ax.set_ylabel("subtoken F1"); ax.set_title(f"clean F1 on {len(programs)} held-out test functions")
ax.legend(loc="upper left", fontsize=9)
plt.show()
f_freq, f_copy, f_std = (s_["f1"] for s_ in list(scores.values())[:3])  # baselines, standard
verdict = "above" if f_std > f_copy else "NOT above"
std_meta = models.checkpoint_metrics(code.STANDARD)
takeaway(f"the standard model reaches F1 {f_std:.3f} (P {scores['standard']['precision']:.3f}, "
         f"R {scores['standard']['recall']:.3f}): {verdict} the copy baseline ({f_copy:.3f}) and far above "
         f"'most frequent name' ({f_freq:.3f}); published models trained for GPU-hours on millions of "
         f"functions reach 0.3–0.45 (this one saw {std_meta['steps_done'] * std_meta['batch_size']:,} "
         f"training examples, {std_meta['epochs_done']:.1f} epochs, on one CPU thread).")

# %%
assert f_std > f_freq + 0.02, scores
for p, pred in list(zip(programs, clean_preds["standard"]))[:6]:
    print(f"{p.name:<32} predicted {'_'.join(pred)}")

# %% [markdown]
# Would more training help? The training script scored 400 validation functions (held-out files)
# every few hundred steps and kept the best weights; the curves below are read from the
# checkpoints' metadata, not recomputed.

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
for mname, ck in [("standard", code.STANDARD), ("adv. trained", code.ROBUST)]:
    hist = models.checkpoint_metrics(ck)["history"]
    ax.plot([h["step"] for h in hist], [h["val_f1"] for h in hist], "o-", color=MODEL_COLORS[mname], label=mname)
ax.set_xlabel("training step (64 functions each)"); ax.set_ylabel("validation subtoken F1"); ax.legend()
plt.show()
hist = std_meta["history"]
last_gain = hist[-1]["val_f1"] - hist[len(hist) // 2]["val_f1"]
q_cfg, f_cfg = (code_train.TRAIN_CONFIGS[k] for k in ("quick", "full"))
more = f_cfg["steps"] * f_cfg["batch_size"] / (q_cfg["steps"] * q_cfg["batch_size"])
takeaway(f"validation F1 changed {last_gain:+.3f} over the second half of training (learning rate decaying); "
         f"the full profile trains a bigger model on {more:.0f}x as many examples (GPU).")

# %% [markdown]
# ## 3. Obfuscations that do not change what the program does
#
# Two transformations (Ramakrishnan et al. 2020; Srikant et al. 2021): **replace** — rename a
# local variable or parameter everywhere — and **insert** — add a statement that has no effect.
# The rename is a few lines on the abstract syntax tree; the hard part is *which* names are safe
# (`code.rename_sites`: never `self`/`cls`, the function's own name, globals, imports, nested
# definitions, builtins, names also used as keyword arguments or attributes, and nothing in
# functions that call `eval`/`locals`).

# %%
class RenameLocal(ast.NodeTransformer):
    """Rename one variable wherever it is read, written or declared as a parameter."""

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def visit_Name(self, node):
        node.id = self.new if node.id == self.old else node.id
        return node

    def visit_arg(self, node):
        node.arg = self.new if node.arg == self.old else node.arg
        return node


def my_rename(source: str, old: str, new: str) -> str:
    tree = ast.parse(source)
    return ast.unparse(RenameLocal(old, new).visit(tree))

# %%
src = inspect.getsource(colorsys.rgb_to_hsv)
sites = code.rename_sites(src)
renamed = my_rename(src, sites[0], "create")
dead = code.insert_dead_code(renamed, 3, "if False:\n    download = None")
print("sites:", sites, "\n"); print(dead)
env = {}
exec(dead, vars(colorsys).copy(), env)  # noqa: S102  (our own obfuscated stdlib code)
rng = np.random.default_rng(0)
inputs = [tuple(rng.random(3)) for _ in range(200)]
same = all(env["rgb_to_hsv"](*x) == colorsys.rgb_to_hsv(*x) for x in inputs)
print(f"\nsame output on {len(inputs)} random colours: {same}")
print("prediction before:", code.predict_names(src, std), "  after:", code.predict_names(dead, std))

# %%
assert same and my_rename(src, sites[0], "create") == code.rename(src, sites[0], "create")

# %% [markdown]
# `tests/test_code.py` checks the same on hundreds of real functions (the AST equals the
# original up to the renamed identifier / the inserted statement) and runs 16 standard-library
# functions before and after every rename and insertion.
#
# ## 4. Attacks: where (site selection) and what (site content)
#
# A *site* is a renameable name or an inserted dead assignment `<new> = None`; every attacked site
# ends up holding a fresh one-subtoken name. Three attackers with a budget of k sites:
#
# | attack | site | content |
# |---|---|---|
# | `random` | random | random vocabulary word (Ramakrishnan et al. 2020, baseline) |
# | `random_site_grad` | random | the word with the largest **linearised loss increase** |
# | `grad_site_grad` | the k sites with the largest gain | same (Srikant et al. 2021) |
#
# The content step is first order: with $g_p = \partial L/\partial e_p$ the loss gradient at the
# embedding of input position $p$, replacing the site's word $w$ by $t$ changes the loss by about
# $(E_t - E_w)\cdot\sum_{p \in \text{site}} g_p$. One backward pass scores every word at once:

# %%
import torch

from tutorial_lib.code.model import make_batch

p = next(q for q in programs if len(q.sites) >= 3)
site = p.sites[0]
toks, pos = code.apply_edits(p, {site: "tmp"})
batch = make_batch([toks], [p.target], vocab, std.max_len, device=DEVICE)
emb = std.emb(batch["src"]).detach().requires_grad_(True)
(g,) = torch.autograd.grad(std.loss(batch, embeds=emb), emb)
g_site = g[0, pos[site]].sum(0)                      # dL/d(embedding of the site's word)
E = std.emb.weight.detach()
gain = (E - E[vocab.id("tmp")]) @ g_site             # linearised loss change, every word at once
allowed = torch.zeros(len(vocab), dtype=torch.bool)
allowed[code_attacks.candidate_tokens(vocab)] = True
gain[~allowed.to(gain.device)] = -float("inf")
print(f"{p.name}: renaming {site!r}; best replacements:", [vocab.itos[i] for i in gain.topk(8).indices.tolist()])

# %% [markdown]
# `code.attack` runs this batched (here with one step; `steps=2` refines once more), and keeps per program the
# highest-loss candidate (the clean program included), so it never *lowers* the loss it maximises.
# Now the table: subtoken F1 clean and under each attack at k = 1 and k = 5 sites, for both models
# (each attacked with gradients of its own loss: white-box).

# %%
t0 = time.perf_counter()
rows = attack_table(MODELS, programs, vocab, ks=(1, 5), steps=1)
print(f"{len(rows) - 2} attacks on {len(programs)} programs x 2 models in {time.perf_counter() - t0:.0f} s\n")
table = {(r["model"], r["attack"], r["k"]): r for r in rows}
print(f"{'attack':<18}{'k':>3} " + "".join(f"{m:>22}" for m in MODELS))
for kind, k in [("clean", 0)] + [(a, k) for a in code.ATTACKS for k in (1, 5)]:
    print(f"{kind:<18}{k:>3} " + "".join(
        f"{table[(m, kind, k)]['f1']:>13.3f} ({table[(m, kind, k)]['changed']:>4.0%} Δ)" for m in MODELS))

# %%
labels = ["clean"] + [f"{a.replace('_', ' ')}\nk={k}" for a in code.ATTACKS for k in (1, 5)]
keys = [("clean", 0)] + [(a, k) for a in code.ATTACKS for k in (1, 5)]
fig, ax = plt.subplots(figsize=(11, 3.8))
for j, m in enumerate(MODELS):
    ax.bar(np.arange(len(keys)) + (j - 0.5) * 0.38, [table[(m, *key)]["f1"] for key in keys], 0.38,
           color=MODEL_COLORS[m], label=m)
ax.set_xticks(np.arange(len(keys)), labels, fontsize=9)
ax.set_ylabel("subtoken F1"); ax.set_title("name prediction under semantics-preserving obfuscation")
ax.legend()
plt.show()
s = {key: table[("standard", *key)]["f1"] for key in keys}
takeaway(f"standard model: clean F1 {s[('clean', 0)]:.3f}; random obfuscation of 5 sites "
         f"{s[('random', 5)]:.3f}; gradient content {s[('random_site_grad', 5)]:.3f}; gradient site + "
         f"content {s[('grad_site_grad', 5)]:.3f} — optimising where and what to change costs "
         f"{s[('random', 5)] - s[('grad_site_grad', 5)]:.3f} F1 more than random changes.")

# %%
for m in MODELS:
    clean_f1 = table[(m, "clean", 0)]["f1"]
    assert all(table[(m, a, k)]["f1"] <= clean_f1 + 0.005 for a in code.ATTACKS for k in (1, 5)), m
assert s[("grad_site_grad", 5)] < s[("random", 5)] and s[("random_site_grad", 5)] < s[("random", 5)]

# %% [markdown]
# ### The copy mechanism copies the attacker's words
#
# The tutorial's example: after an optimised rename, a model summarised a function as `create`
# because the attacker planted that word. With a copy mechanism this is the *expected* failure:
# the model reads the planted name and copies it into its output.

# %%
edits = table[("standard", "grad_site_grad", 5)]["edits"]  # computed for the table above
adv_preds = table[("standard", "grad_site_grad", 5)]["preds"]
planted = [set(e.values()) for e in edits]
copied = np.mean([bool(set(a) & s_) for a, s_ in zip(adv_preds, planted)])
by_chance = np.mean([bool(set(c) & s_) for c, s_ in zip(clean_preds["standard"], planted)])
print(f"attacked predictions that contain a planted word: {copied:.0%} (clean predictions: {by_chance:.0%})\n")
shown = [i for i, (c, a) in enumerate(zip(clean_preds["standard"], adv_preds)) if set(a) & planted[i] and c != a][:5]
for i in shown:
    print(f"{programs[i].name:<28} clean: {'_'.join(clean_preds['standard'][i]):<22} attacked: "
          f"{'_'.join(adv_preds[i]):<22} planted: {sorted(planted[i])}")
takeaway(f"{copied:.0%} of the attacked names contain a word the attacker planted (vs {by_chance:.0%} "
         "of the clean predictions): the copy mechanism that makes the model good also makes it easy to steer.")

# %%
assert copied > by_chance + 0.1

# %% [markdown]
# ## 5. Robustify: adversarial training
#
# The second checkpoint was trained with the same number of steps (so the comparison is at equal
# epochs, not equal wall time) but half of every batch obfuscated by a random-site + gradient-content
# attack against the model being trained (Srikant et al. 2021's recipe; ContraCode's contrastive
# training on obfuscated views is the alternative). Is it more robust, and what does it cost?

# %%
key_att = ("grad_site_grad", 5)
rob_clean, rob_att = table[("adv. trained", "clean", 0)]["f1"], table[("adv. trained", *key_att)]["f1"]
std_clean, std_att = s[("clean", 0)], s[key_att]
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for m, (c, a_) in {"standard": (std_clean, std_att), "adv. trained": (rob_clean, rob_att)}.items():
    ax.plot([0, 1], [c, a_], "o-", color=MODEL_COLORS[m], label=m, lw=2)
ax.set_xticks([0, 1], ["clean", "grad site + grad content, k=5"]); ax.set_ylabel("subtoken F1")
ax.set_xlim(-0.3, 1.3); ax.legend(); ax.set_title("before / after adversarial training")
plt.show()
verdict = "reproduced" if rob_att > std_att + 0.01 else "not reproduced here"
takeaway(f"under the strongest attack F1 goes {std_att:.3f} → {rob_att:.3f} with adversarial training "
         f"({verdict}); clean F1 {std_clean:.3f} → {rob_clean:.3f}; robust share of clean F1 "
         f"{std_att / max(std_clean, 1e-9):.0%} → {rob_att / max(rob_clean, 1e-9):.0%}.")

# %%
assert rob_att / max(rob_clean, 1e-9) > std_att / max(std_clean, 1e-9), (rob_att, rob_clean, std_att, std_clean)

# %% [markdown]
# ## 6. Try it: pick a function, an attack and a budget
#
# The diff shows what the attacker changed (the program still does the same thing); the
# predictions are both models' names before and after. The attack targets the model you pick.

# %%
def show_obfuscation(index: int = 0, attack: str = "grad_site_grad", k: int = 3,
                     target: str = "standard") -> None:
    """Attack one test program and print the diff and both models' predictions."""
    p = programs[index]
    e = code.attack(MODELS[target], [p], vocab, attack, k=k)[0]
    new_src = code.edits_to_source(p, e)
    diff = difflib.unified_diff(p.source.splitlines(), new_src.splitlines(), "original", "obfuscated", lineterm="", n=1)
    print("\n".join(list(diff)[:40]) or "(no change raised the loss: the attack kept the original)")
    print(f"\ntrue name: {p.name}   edits: {e}")
    toks = code.apply_edits(p, e)[0]
    for m, model in MODELS.items():
        before, after = (code.predict_tokens(model, [t], vocab)[0] for t in (p.tokens, toks))
        print(f"{m:>13}: {'_'.join(before):<26} → {'_'.join(after)}")


show_obfuscation(shown[0] if shown else 0, "grad_site_grad", 3)

# %%
widgets.slider_explorer(
    show_obfuscation,
    index=ipywidgets.IntSlider(value=shown[0] if shown else 0, min=0, max=len(programs) - 1),
    attack=ipywidgets.Dropdown(options=list(code.ATTACKS), value="grad_site_grad"),
    k=ipywidgets.IntSlider(value=3, min=1, max=5),
    target=ipywidgets.Dropdown(options=list(MODELS), value="standard"))

# %% [markdown]
# ## Summary
#
# - A small name predictor trained for half an hour on one CPU thread (about six epochs of 45,000
#   real Python functions) beats both baselines that need no network, "most frequent name" by far
#   and "copy the body's most frequent subtokens" clearly (verdict in section 2); much of what it
#   gets right it copies from the body. Published models reach 0.3–0.45 F1 after GPU-hours on
#   millions of functions; the full profile trains a bigger model for longer.
# - Obfuscations that provably keep the program's behaviour (renames, dead code) change its
#   predictions; optimising the *content* with one gradient step, and the *sites* with the same
#   gradients, hurts far more than random obfuscation at the same budget.
# - Under attack the copy mechanism copies the attacker's words.
# - Adversarial training on obfuscated programs, at equal epochs, changes the clean/robust trade-off
#   (numbers above, computed in this run).
#
# ## Exercises
#
# ### Exercise 1: a new site-selection rule
# Write `most_used_sites(program, k)`: the k renameable sites (not `code.INSERT`) that occur most
# often in `program.origins` (count an identifier once per occurrence, even when it spans several
# subtokens; ties keep the earlier site). Is a frequent name a better target than a random one?

# %%
from tutorial_lib.code import solutions


def my_most_used_sites(program, k):
    raise NotImplementedError


most_used_sites = checks.check_function(my_most_used_sites, solutions.most_used_sites,
                                        [(q, k) for q in programs[:20] for k in (1, 3)],
                                        name="most_used_sites")
cands = [vocab.itos[i] for i in code_attacks.candidate_tokens(vocab)]
rnd = [code_attacks._random_edits(q, most_used_sites(q, 1), cands, random.Random(i))
       for i, q in enumerate(programs)]
f1_frequent = code.subtoken_f1(code.predict_tokens(std, code_attacks.attacked_tokens(programs, rnd), vocab), trues)["f1"]
print(f"random content, k=1: at the most used site F1 {f1_frequent:.3f}; at a random site "
      f"{table[('standard', 'random', 1)]['f1']:.3f}")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_most_used_sites(program, k):
#     from collections import Counter
#     counts = Counter(o for o, prev in zip(program.origins, [None] + program.origins[:-1])
#                      if o is not None and o != prev)
#     sites = [s for s in program.sites if s != code.INSERT]
#     return sorted(sites, key=lambda s: -counts[s])[:k]
# ```
# </details>
#
# ### Exercise 2: a new obfuscation
# Write `dead_if(source, line, word)`: insert the dead block `if False:` / `    <word> = None`
# before `line` (use `code.insert_dead_code`). Then plant a misleading word and watch the copy
# mechanism.

# %%
def my_dead_if(source, line, word):
    raise NotImplementedError


dead_if = checks.check_function(my_dead_if, solutions.dead_if,
                                [(example["source"], 2, "create"), (src, 8, "delete")], name="dead_if")
for word in ("create", "download", "parse"):
    print(f"planting {word!r}: {code.predict_names(dead_if(example['source'], 2, word), std)}"
          f"   (clean: {code.predict_names(example['source'], std)[0]})")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_dead_if(source, line, word):
#     return code.insert_dead_code(source, line, f"if False:\n    {word} = None")
# ```
# </details>
#
# ### Exercise 3: subtoken precision, recall and F1 of one prediction
# code2seq counts a predicted subtoken as correct if it occurs in the true name (each subtoken once).
# Return `(precision, recall, f1)`.

# %%
def my_subtoken_prf(pred, true):
    raise NotImplementedError


subtoken_prf = checks.check_function(my_subtoken_prf, solutions.subtoken_prf,
                                     [(["get", "name"], ["get", "name"]), (["get", "value", "value"], ["get", "name"]),
                                      ([], ["a"]), (["set", "x"], ["get", "x", "y"])], name="subtoken_prf")
print(subtoken_prf(["read", "file"], ["read", "config", "file"]))

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_subtoken_prf(pred, true):
#     p = list(dict.fromkeys(pred))
#     tp = sum(t in true for t in p)
#     prec = tp / len(p) if p else 0.0
#     rec = tp / len(set(true)) if true else 0.0
#     return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)
# ```
# </details>
#
# ### Exercise 4 (open): leakage
# Mask every subtoken of the name inside body identifiers too (the strict setting) and re-score the
# model: how much of its F1 came from copying the name's own pieces?
#
# ## References
# - Allamanis, Peng & Sutton, *A convolutional attention network for extreme summarization of source code*, ICML 2016.
# - Alon, Brody, Levy & Yahav, *code2seq: generating sequences from structured representations of code*, ICLR 2019.
# - See, Liu & Manning, *Get to the point: summarization with pointer-generator networks*, ACL 2017.
# - Ramakrishnan, Henkel, Wang, Albarghouthi, Jha & Reps, *Semantic robustness of models of source code*, arXiv 2020 (SANER 2022).
# - Yefet, Alon & Yahav, *Adversarial examples for models of code*, OOPSLA 2020.
# - Srikant, Liu, Mitrovic, Chen, Chen, Wang, O'Reilly & Chang, *Generating adversarial computer programs using optimized obfuscations*, ICLR 2021.
# - Jain, Jain, Zhang, Abbeel, Gonzalez & Stoica, *Contrastive code representation learning* (ContraCode), EMNLP 2021.

# %%
print(f"notebook run time: {time.perf_counter() - T_START:.0f} s (profile {PROFILE.name})")

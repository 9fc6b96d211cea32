# %% [markdown]
# # 00 · Foundation models and robustness: the basics
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/frfm-kit/foundational-robustness-kit/blob/main/notebooks/00_foundation_models_and_robustness.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/frfm-kit/foundational-robustness-kit/main?labpath=notebooks%2F00_foundation_models_and_robustness.ipynb)
#
# A *foundation model* is trained once, on broad data and without a particular task in mind, and
# then adapted to many tasks (Bommasani et al., 2021). If the foundation is brittle, every
# building on it inherits the crack. This kit follows the NeurIPS 2022 tutorial *Foundational
# Robustness of Foundation Models* (Chen, Liu & Paul): how robust pretrained vision transformers,
# CNNs and code models are to natural and adversarial shifts, **why**, and whether robustness
# survives fine-tuning. This first notebook sets up the vocabulary and the two models every vision
# notebook compares, and breaks them twice: once with noise, once with an adversary.
#
# **Learning goals**
# - Say what a foundation model is, and the two ways to adapt one: linear probing and full fine-tuning.
# - Tell apart natural and adversarial distribution shift, and empirical and certified robustness.
# - Load the kit's ViT and CNN, and measure their clean accuracy yourself.
# - Write the Fast Gradient Sign Method (FGSM) in a few lines and watch it beat random noise of the
#   same size.
# - Know the conventions every later notebook uses: profiles, `device()`, checked exercises.
#
# **Run time**: quick profile (default) about 40 s (measured with `bash scripts/run_all.sh` on an idle 2-core CPU);
# full profile (pretrained ImageNet ViT-S/16 vs ResNet-50, `FRFM_PROFILE=full`, an ImageNet-style
# folder in `FRFM_DATA_DIR`) about 3 minutes on a GPU plus the one-time weight download (estimate).

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
import torch
import torch.nn.functional as F

from tutorial_lib.core import attacks, checks, models, verdict, widgets, zoo
from tutorial_lib.core.config import setup_notebook
from tutorial_lib.core.data import class_names, load_dataset, load_photos
from tutorial_lib.core.plotting import COLORS, prediction_bars, show_images, takeaway
from tutorial_lib.core.fit import accuracy

PROFILE, DEVICE = setup_notebook()

# %% [markdown]
# ## 1. Foundation models in one picture
#
# | stage | what happens | data | example |
# |---|---|---|---|
# | **pre-training** | learn general features with a task-agnostic objective | huge, broad, often unlabelled | ViT on ImageNet-21k, CLIP, code models on GitHub |
# | **linear probing** | freeze the encoder, train only a new linear head | small, labelled, downstream | a 10-way head on frozen ViT features |
# | **full fine-tuning** | update every weight, starting from the pre-trained ones | small, labelled, downstream | fine-tune the whole ViT |
#
# *Foundational robustness* asks two questions: is the pre-trained model itself robust, and does
# that robustness carry over through adaptation? (Notebook 03 shows that standard fine-tuning can
# throw it away; notebook 09 shows why linear probing then fine-tuning distorts features less.)
#
# | | **natural shift** | **adversarial shift** |
# |---|---|---|
# | what changes | the world: noise, blur, weather, new styles, new classes | a worst-case perturbation found by an attacker |
# | benchmarks | ImageNet-C / -P / -R / -A / -O | FGSM, PGD, AutoAttack within an ε-ball |
# | notebooks | 01, 02, 07 | 00, 01, 03, 05 |
#
# And two ways to *claim* robustness: **empirical** ("the attacks we tried failed", notebook 01)
# and **certified** ("no perturbation of size ≤ r can change the answer", a proof; notebook 05).

# %% [markdown]
# ## 2. The data: real scans, real photos
#
# The quick profile runs on a laptop with no download: the 1,797 real 8×8 handwritten digit scans
# that ship with scikit-learn (upsampled to 32×32) and the photographs that ship inside
# scikit-image. The full profile swaps in an ImageNet-style folder and pretrained timm models;
# every cell below runs unchanged.

# %%
x_test, y_test = load_dataset(PROFILE.dataset, "test", n=PROFILE.n_eval, device=DEVICE)
CLASSES = class_names(PROFILE.dataset)
print(f"{PROFILE.dataset} test images: {tuple(x_test.shape)}, pixel range "
      f"[{x_test.min():.2f}, {x_test.max():.2f}], {len(set(y_test.tolist()))} classes present")
show_images(x_test[:16].cpu(), [f"label {CLASSES[k]}" for k in y_test[:16].tolist()], ncols=8)
plt.show()
photos, photo_names = load_photos(size=96)
show_images(photos[:8], photo_names[:8], ncols=8, size=1.8)
plt.show()
takeaway(f"{len(x_test)} real test images at {x_test.shape[-1]}x{x_test.shape[-1]} px; the photos "
         "are used as a far-away distribution in later notebooks.")

# %% [markdown]
# ## 3. Two models of similar size: a ViT and a CNN
#
# The tutorial compares architectures at similar capacity and clean accuracy, so that a robustness
# difference is not just a capacity difference. The quick profile's models were trained by
# `python scripts/train.py vit_digits cnn_digits` on the 1,200 training scans (the 200 validation scans chose the
# epoch; the test scans were scored once): a timm `VisionTransformer` (4×4 patches, so a 32×32
# digit is 64 tokens; 6 layers, 3 heads) and a timm `ResNet` with basic blocks. Both take raw
# pixels in [0, 1]: normalisation is their first layer, so an attack budget ε means the same thing
# for both.

# %%
vit = models.load_model(PROFILE.models["vit"], device=DEVICE)
cnn = models.load_model(PROFILE.models["cnn"], device=DEVICE)
MODELS = {"ViT": vit, "CNN": cnn}
MODEL_COLORS = {"ViT": COLORS["vit"], "CNN": COLORS["cnn"]}
clean_acc = {k: accuracy(m, x_test, y_test) for k, m in MODELS.items()}
for k, m in MODELS.items():
    meta = zoo.metrics(m.name)
    trained = f", trained in {meta['train_seconds']:.0f} s" if meta else " (pretrained, timm)"
    print(f"{k}: {m.name}, {models.count_parameters(m):,} parameters{trained}, "
          f"clean test accuracy {clean_acc[k]:.1%}")

# %%
assert min(clean_acc.values()) >= (0.96 if PROFILE.name == "quick" else 0.7), clean_acc
assert abs(clean_acc["ViT"] - clean_acc["CNN"]) <= (0.03 if PROFILE.name == "quick" else 0.1)

# %% [markdown]
# A ViT trained from scratch on 1,400 small images tends to under-fit a CNN of the same size. The
# recipe that closed the gap for the shipped ViT — JAX-style initialisation, random affine + erasing
# augmentation, label smoothing, warm-up and cosine decay, 50 epochs — is in `tutorial_lib.core.fit`
# and `tutorial_lib.core.models`. At ImageNet scale the same lesson reads: ViTs need large-scale
# pre-training (ImageNet-21k) to match CNNs (Dosovitskiy et al., 2021).

# %% [markdown]
# ## 4. A first natural shift: Gaussian noise
#
# The simplest corruption adds independent noise to every pixel and clips to the valid range.
# Notebook 01 has 11 more corruption families at 5 severities each (the ImageNet-C recipe).

# %%
def gaussian_noise(x: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    """x + N(0, sigma^2) per pixel, clipped to [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    return (x + sigma * torch.randn(x.shape, generator=g).to(x.device)).clamp(0, 1)


sigmas = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]
noise_acc = {k: [accuracy(m, gaussian_noise(x_test, s), y_test) for s in sigmas]
             for k, m in MODELS.items()}
fig, (ax_img, ax) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1.3, 1]})
strip = torch.cat([gaussian_noise(x_test[:1], s)[0] for s in sigmas], dim=-1)
ax_img.imshow(strip.permute(1, 2, 0).squeeze(-1).cpu(), cmap="gray", vmin=0, vmax=1)
ax_img.set_title("one test image at σ = " + ", ".join(map(str, sigmas)))
ax_img.axis("off")
for k in MODELS:
    ax.plot(sigmas, noise_acc[k], "o-", label=k, color=MODEL_COLORS[k])
ax.set(xlabel="noise σ", ylabel="test accuracy", ylim=(0, 1.02), title="Gaussian noise")
ax.legend()
plt.show()
mean_noisy = {k: sum(noise_acc[k][1:]) / len(sigmas[1:]) for k in MODELS}
takeaway(f"noise hurts both models (mean accuracy over σ > 0: ViT {mean_noisy['ViT']:.0%}, CNN "
         f"{mean_noisy['CNN']:.0%}); at σ = {sigmas[-1]} ViT {noise_acc['ViT'][-1]:.0%}, "
         f"CNN {noise_acc['CNN'][-1]:.0%}.")

# %% [markdown]
# Is that difference a finding, or luck of these 397 images? Every comparison with a paper in this
# kit goes through one rule (`tutorial_lib.core.verdict`): compute the effect and a 95% interval —
# here a **paired bootstrap**, which resamples the test images, the same ones for both models — and
# call it *reproduced* only if the whole interval lies on the paper's side, *contradicted* if it
# lies entirely on the other side, and *inconclusive at this size* otherwise. Paul & Chen (2022)
# found ViTs more robust than CNNs to ImageNet-C's noise corruptions.

# %%
noisy_correct = {k: torch.stack([attacks.correct(m, gaussian_noise(x_test, s), y_test)
                                 for s in sigmas[1:]]).float().mean(0).cpu().numpy()
                 for k, m in MODELS.items()}  # per image: fraction of noise levels survived
noise_claim = verdict.claim_bootstrap(
    "00-noise", "00", "ViT accuracy under Gaussian noise (mean over σ > 0) - CNN's > 0",
    "Paul & Chen 2022 (AAAI), ImageNet-C noise corruptions", noisy_correct["ViT"], noisy_correct["CNN"])

# %%
assert all(noise_acc[k][-1] < clean_acc[k] - 0.05 for k in MODELS), noise_acc

# %% [markdown]
# ## 5. A first adversarial example: FGSM in five lines
#
# Noise pushes an image in a random direction. An adversary pushes it in the *worst* direction it
# can find. The Fast Gradient Sign Method (Goodfellow et al., 2015) takes one step of size ε along
# the sign of the loss gradient with respect to the pixels, so every pixel moves by at most ε
# (an L∞ budget):
#
# $$x_{\text{adv}} = \operatorname{clip}_{[0,1]}\big(x + \varepsilon \cdot \operatorname{sign}(\nabla_x \,\mathrm{CE}(f(x), y))\big)$$

# %%
def my_fgsm(model, x, y, eps):
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)  # gradient w.r.t. the pixels, not the weights
    return (x + eps * grad.sign()).clamp(0, 1).detach()


x_adv = my_fgsm(cnn, x_test[:64], y_test[:64], eps=0.1)
assert torch.allclose(x_adv, attacks.fgsm(cnn, x_test[:64], y_test[:64], 0.1))  # the lib agrees
print("max pixel change:", (x_adv - x_test[:64]).abs().max().item())

# %% [markdown]
# Is it the *size* of the change or its *direction* that matters? Compare FGSM with random sign
# noise that moves every pixel by exactly the same ±ε.

# %%
epsilons = [0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2]
g = torch.Generator().manual_seed(PROFILE.seed)
random_sign = (torch.randint(0, 2, x_test.shape, generator=g) * 2 - 1).float().to(DEVICE)
fgsm_acc = {k: [accuracy(m, torch.cat([attacks.fgsm(m, xb, yb, e) for xb, yb in
                                        zip(x_test.split(64), y_test.split(64))]), y_test)
                 for e in epsilons] for k, m in MODELS.items()}
rand_acc = {k: [accuracy(m, (x_test + e * random_sign).clamp(0, 1), y_test) for e in epsilons]
            for k, m in MODELS.items()}
fig, ax = plt.subplots(figsize=(7, 4))
for k in MODELS:
    ax.plot(epsilons, fgsm_acc[k], "o-", color=MODEL_COLORS[k], label=f"{k}: FGSM")
    ax.plot(epsilons, rand_acc[k], "s--", color=MODEL_COLORS[k], alpha=0.7, label=f"{k}: random ±ε")
ax.set(xlabel="ε (max change per pixel, pixels in [0, 1])", ylabel="test accuracy",
       ylim=(0, 1.02), title="Same budget, different direction")
ax.legend(ncol=2, fontsize=10)
plt.show()
i = epsilons.index(0.1)
takeaway(f"at ε = 0.1 random ±ε noise leaves ViT/CNN at {rand_acc['ViT'][i]:.0%}/"
         f"{rand_acc['CNN'][i]:.0%}, FGSM drops them to {fgsm_acc['ViT'][i]:.0%}/"
         f"{fgsm_acc['CNN'][i]:.0%}: the direction, not the size, breaks the model.")

# %%
direction_claims = [verdict.claim_bootstrap(
    f"00-fgsm-vs-random-{k.lower()}", "00",
    f"{k}: accuracy under FGSM - under random ±ε noise < 0 at ε = 0.1",
    "Goodfellow et al. 2015 (ICLR), Sec. 3",
    attacks.correct(m, attacks.fgsm(m, x_test, y_test, 0.1), y_test).float().cpu().numpy(),
    attacks.correct(m, (x_test + 0.1 * random_sign).clamp(0, 1), y_test).float().cpu().numpy(),
    direction="less") for k, m in MODELS.items()]

# %%
for k in MODELS:
    assert fgsm_acc[k][i] < rand_acc[k][i] - 0.3, (k, fgsm_acc[k][i], rand_acc[k][i])
    assert all(a <= c + 1e-9 for a, c in zip(fgsm_acc[k], [clean_acc[k]] * len(epsilons)))

# %% [markdown]
# ### What the attack did to a few images
#
# Titles show each model's prediction on the FGSM image (ε = 0.1); red means wrong.

# %%
n_show, eps_show = 8, 0.1
adv = {k: attacks.fgsm(m, x_test[:n_show], y_test[:n_show], eps_show) for k, m in MODELS.items()}
preds = {k: MODELS[k](adv[k]).argmax(1).tolist() for k in MODELS}
rows = torch.cat([x_test[:n_show], adv["ViT"], adv["CNN"]]).cpu()
truth = y_test[:n_show].tolist()
titles = ([f"clean: {CLASSES[t]}" for t in truth]
          + [f"ViT says {CLASSES[p]}" for p in preds["ViT"]]
          + [f"CNN says {CLASSES[p]}" for p in preds["CNN"]])
colors = (["black"] * n_show + ["#D55E00" if p != t else "black" for p, t in zip(preds["ViT"], truth)]
          + ["#D55E00" if p != t else "black" for p, t in zip(preds["CNN"], truth)])
show_images(rows, titles, ncols=n_show, title_colors=colors,
            suptitle="rows: clean · FGSM against the ViT · FGSM against the CNN")
plt.show()
fooled = {k: sum(p != t for p, t in zip(preds[k], truth)) for k in MODELS}
takeaway(f"ε = {eps_show} fools the ViT on {fooled['ViT']}/{n_show} and the CNN on "
         f"{fooled['CNN']}/{n_show} of these images, yet a person still reads every digit.")

# %% [markdown]
# ## 6. Try it: the ε slider
#
# Move ε and pick an image: the perturbation (scaled up to be visible), the adversarial image and
# both models' class probabilities. The function is called once statically first, so the figure
# is there even without a running kernel.

# %%
@torch.no_grad()
def _probs(model, x):
    return model(x).softmax(1)[0]


def show_attack(eps: float = 0.1, index: int = 0) -> None:
    """FGSM on one test image against both models, with their prediction bars."""
    x, y = x_test[index:index + 1], y_test[index:index + 1]
    fig, axes = plt.subplots(1, 5, figsize=(15, 3), gridspec_kw={"width_ratios": [1, 1, 1, 1.6, 1.6]})
    x_vit = attacks.fgsm(vit, x, y, eps)
    delta = (x_vit - x)[0]
    panels = [(x[0], "clean"), (0.5 + delta / (2 * max(eps, 1e-8)), "perturbation (scaled)"),
              (x_vit[0], f"FGSM vs ViT, ε = {eps:.2f}")]
    for ax, (img, title) in zip(axes, panels):
        ax.imshow(img.permute(1, 2, 0).squeeze(-1).cpu().clamp(0, 1), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=11)
        ax.axis("off")
    for ax, (k, m) in zip(axes[3:], MODELS.items()):
        x_k = attacks.fgsm(m, x, y, eps)
        prediction_bars(ax, _probs(m, x_k), y.item(), CLASSES, MODEL_COLORS[k],
                        f"{k} on its own FGSM image")
    plt.tight_layout()
    plt.show()


show_attack(0.1, 0)

# %%
widgets.slider_explorer(show_attack, eps=widgets.eps_slider(max_eps=0.3, value=0.1),
                        index=widgets.widgets.IntSlider(value=0, min=0, max=len(x_test) - 1))

# %% [markdown]
# ## 7. Empirical robustness is an upper bound
#
# "FGSM failed" is not a guarantee. Projected gradient descent (PGD, Madry et al., 2018) takes
# several smaller FGSM-like steps and projects back into the ε-ball after each; it finds adversarial
# examples one step misses. Whatever accuracy an attack leaves is only an *upper bound* on the true
# robust accuracy — which is why notebook 05 turns to certificates.

# %%
n_pgd, eps_pgd = min(100, len(x_test)), 0.02
xs, ys = x_test[:n_pgd], y_test[:n_pgd]
steps = (PROFILE.attack_steps, 2 * PROFILE.attack_steps)
# each model's own PGD runs once; the other model's PGD-20 examples are the transfer attack
pgd_adv = {(k, s): attacks.robust_accuracy(m, xs, ys, [eps_pgd], steps=s, seed=0, return_adv=True)[1]
           for k, m in MODELS.items() for s in steps}
other = {"ViT": "CNN", "CNN": "ViT"}
checked = {k: attacks.attack_checks(m, xs, ys, [eps_pgd], steps=steps, seed=0, precomputed={
    **{f"PGD-{s}": pgd_adv[k, s] for s in steps}, "transfer PGD": pgd_adv[other[k], max(steps)]})
    for k, m in MODELS.items()}
bound = {k: {"clean": accuracy(m, xs, ys), **{a: v[0] for a, v in checked[k]["acc"].items()}}
         for k, m in MODELS.items()}
fig, ax = plt.subplots(figsize=(9, 3.5))
names = list(bound["ViT"])
for j, k in enumerate(MODELS):
    ax.bar([n + j * 0.38 for n in range(len(names))], [bound[k][n] for n in names], width=0.38,
           color=MODEL_COLORS[k], label=k)
ax.set_xticks([n + 0.19 for n in range(len(names))], names, fontsize=10)
ax.set(ylabel=f"accuracy at ε = {eps_pgd}", ylim=(0, 1.05),
       title="Stronger attack, lower accuracy: a tighter upper bound")
ax.legend()
plt.show()
pgd_name = f"PGD-{steps[0]}"
takeaway(f"at ε = {eps_pgd} FGSM leaves ViT/CNN at {bound['ViT']['FGSM']:.0%}/"
         f"{bound['CNN']['FGSM']:.0%}; {pgd_name} lowers that to {bound['ViT'][pgd_name]:.0%}/"
         f"{bound['CNN'][pgd_name]:.0%}; the worst case over all attacks is "
         f"{bound['ViT']['worst case']:.0%}/{bound['CNN']['worst case']:.0%}.")

# %% [markdown]
# Before trusting such a number, check the attack (Carlini et al., *On Evaluating Adversarial
# Robustness*, 2019). `attacks.attack_checks` (used above) runs the automatic checks: **more PGD
# steps** must not leave a higher accuracy; a **huge ε** (every pixel free) must drive accuracy to
# ~0, or the attack, not the model, is failing; a **transfer** attack crafted on the other model
# (black-box) must be weaker than the white-box one. And it reports the **worst case** per image
# over every attack it ran: the number to quote.

# %%
for k, r in checked.items():
    print(f"{k}:\n{attacks.format_checks(r)}")
failed = [f"{k}: {c}" for k, r in checked.items() for c, ok in r["checks"].items() if not ok]
takeaway("every attack check passed; the worst case is the number to report." if not failed else
         f"failed: {'; '.join(failed)}; report the worst case over attacks, not one attack.")

# %%
for k in MODELS:
    assert bound[k][pgd_name] <= bound[k]["FGSM"] + 0.02, bound[k]
    assert bound[k]["worst case"] <= min(bound[k][a] for a in checked[k]["acc"]) + 1e-9
    assert checked[k]["checks"]["eps_to_zero"], checked[k]

# %% [markdown]
# ## Summary
#
# - A foundation model is pre-trained once and adapted many times (linear probe or full
#   fine-tuning); its robustness, or its brittleness, travels with it.
# - Natural shifts (noise) degrade both of our models gradually; an adversary with a far smaller
#   budget breaks them, because it picks the direction.
# - An attack's accuracy is an upper bound on robustness: stronger attacks (PGD) lower it further;
#   only a certificate gives a lower bound. Check the attack (more steps, huge ε, transfer) and
#   report the worst case over attacks.
# - A difference between two models is a finding only when its interval excludes zero: the
#   verdict lines above say which differences 397 test images can resolve.
#
# Next: **01** measures ViT vs CNN robustness the way the papers do (corruptions, stability, PGD,
# OOD detection); **02** asks *why*.

# %% [markdown]
# ## Exercises
#
# Each exercise has a stub. Replace `raise NotImplementedError` with your code and re-run the
# cell: the checker compares it with the reference solution. Until then the notebook goes on with
# the reference, so nothing below breaks.
#
# ### Exercise 1: a targeted attack
# FGSM makes the model wrong; a *targeted* attack makes it say a class of your choice. Step
# **down** the loss of the target class: $x - \varepsilon\,\operatorname{sign}(\nabla_x \mathrm{CE}(f(x), t))$,
# clipped to [0, 1]. Then look at the printout: is a bigger ε always better for a *one-step*
# attack? (Hint: the gradient is only a local, linear guide.)

# %%
def my_fgsm_targeted(model, x, target, eps):
    raise NotImplementedError  # your code here


targets = torch.full_like(y_test[:32], 3)
fgsm_targeted = checks.check_function(
    my_fgsm_targeted, attacks.fgsm_targeted,
    [(cnn, x_test[:32], targets, 0.1), (vit, x_test[:32], targets, 0.2)], name="my_fgsm_targeted")
for eps in (0.1, 0.2, 0.3):
    hit = (cnn(fgsm_targeted(cnn, x_test[:128], torch.full_like(y_test[:128], 3), eps)).argmax(1) == 3)
    print(f"ε = {eps}: the CNN says '3' for {hit.float().mean():.0%} of 128 test images")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_fgsm_targeted(model, x, target, eps):
#     x = x.clone().requires_grad_(True)
#     (grad,) = torch.autograd.grad(F.cross_entropy(model(x), target), x)
#     return (x - eps * grad.sign()).clamp(0, 1).detach()
# ```
# </details>
#
# ### Exercise 2: how big is a perturbation?
# Budgets are stated in a norm. Write a function returning, per image, the L∞ norm (largest
# absolute pixel change) and the L2 norm (Euclidean length) of `x_adv - x`. Then compare an FGSM
# image's L2 norm with that of the random ±ε noise above: why are they (almost) the same?

# %%
def my_perturbation_norms(x, x_adv):
    raise NotImplementedError  # your code here: return (linf, l2), each of shape (N,)


perturbation_norms = checks.check_function(
    my_perturbation_norms, attacks.perturbation_norms,
    [(x_test[:16], attacks.fgsm(cnn, x_test[:16], y_test[:16], 0.1)),
     (x_test[:16], gaussian_noise(x_test[:16], 0.2))], name="my_perturbation_norms")
linf, l2 = perturbation_norms(x_test[:64], attacks.fgsm(cnn, x_test[:64], y_test[:64], 0.1))
linf_r, l2_r = perturbation_norms(x_test[:64], (x_test[:64] + 0.1 * random_sign[:64]).clamp(0, 1))
print(f"FGSM ε=0.1: L∞ {linf.max():.3f}, mean L2 {l2.mean():.2f}; random ±0.1: L∞ "
      f"{linf_r.max():.3f}, mean L2 {l2_r.mean():.2f}")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_perturbation_norms(x, x_adv):
#     d = (x_adv - x).flatten(1)
#     return d.abs().amax(1), d.norm(dim=1)
# ```
# Both move (almost) every pixel by exactly ε, so both have L2 ≈ ε·√(number of pixels that were
# not clipped at 0 or 1): the same size, a different direction.
# </details>
#
# ### Exercise 3 (open): does the ViT fall for the CNN's adversarial images?
# Attack the CNN with FGSM at ε = 0.1 and evaluate the ViT on those images (a *transfer* attack).
# Is the ViT more or less fooled than by its own FGSM images? What does that suggest about how
# similar the two models' weaknesses are? (Notebook 01 explores this with PGD.)

# %% [markdown]
# ## References
#
# - R. Bommasani et al. *On the Opportunities and Risks of Foundation Models.* arXiv:2108.07258, 2021.
# - P.-Y. Chen, S. Liu, S. Paul. *Foundational Robustness of Foundation Models.* NeurIPS 2022 tutorial.
# - I. Goodfellow, J. Shlens, C. Szegedy. *Explaining and Harnessing Adversarial Examples.* ICLR 2015.
# - A. Madry et al. *Towards Deep Learning Models Resistant to Adversarial Attacks.* ICLR 2018.
# - A. Dosovitskiy et al. *An Image is Worth 16x16 Words.* ICLR 2021.
# - D. Hendrycks, T. Dietterich. *Benchmarking Neural Network Robustness to Common Corruptions and Perturbations.* ICLR 2019.
# - J. Cohen, E. Rosenfeld, Z. Kolter. *Certified Adversarial Robustness via Randomized Smoothing.* ICML 2019.

"""Linear probing vs fine-tuning vs LP-FT (Kumar et al., ICLR 2022).

Part 1 is the paper's own synthetic experiment: a two-layer *linear* network f(x) = vᵀBx with
pretrained features B₀ (k x d), ground truth y = v*ᵀB*x, in-distribution (ID) inputs confined to
an r-dimensional subspace S and out-of-distribution (OOD) inputs spread over all of R^d. Gradient
steps on ID data change B only inside S, so when full fine-tuning (FT) starts from a random head,
the head moves far while the features outside S stay put: OOD predictions break ("feature
distortion"). Linear probing (LP) keeps B₀; LP-FT starts fine-tuning from the LP head, so B barely
moves. Errors are in closed form for isotropic Gaussian inputs.

Part 2 does the same three recipes on a real encoder (the kit's digit models) with a real
distribution shift made from the test digits.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_lib.core import zoo
from tutorial_lib.core.config import get_profile, pick_knobs
from tutorial_lib.core.fit import accuracy, cross_entropy, fit
from tutorial_lib.core.transforms import pen_shift, rotate_images
from tutorial_lib.transfer.pretrain import WithHead

# Lesson knobs per profile.
KNOBS = {
    "quick": {
        "d": 50,
        "k": 10,
        "r": 20,
        "n": 200,
        "feature_noise": 0.05,
        "steps": 1000,
        "lr": 0.05,
        "shots": 20,
        "ft_epochs": 15,
        "ft_lr": 3e-4,
        "seeds": 3,
        "encoder": "cnn_digits",
    },
    "full": {
        "d": 200,
        "k": 20,
        "r": 60,
        "n": 1000,
        "feature_noise": 0.05,
        "steps": 6000,
        "lr": 0.05,
        "shots": 100,
        "ft_epochs": 10,
        "ft_lr": 1e-5,
        "seeds": 3,
        "encoder": "vit_small_patch16_224",
    },
    # FRFM_SMOKE=1: the same code paths, a few steps and shots (numbers mean nothing)
    "smoke": {"d": 20, "k": 5, "r": 8, "n": 100, "steps": 50, "shots": 1, "ft_epochs": 1, "seeds": 2},
}


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


# ============================================================================ part 1: the toy
@dataclass(frozen=True)
class LinearToy:
    """Ground truth (B_star, v_star), pretrained features B0, ID subspace basis S (d x r)."""

    B_star: torch.Tensor
    v_star: torch.Tensor
    B0: torch.Tensor
    S: torch.Tensor

    def sample_id(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` ID points x = S z (z ~ N(0, I_r)) and their noiseless labels."""
        x = torch.randn(n, self.S.shape[1], generator=generator, dtype=torch.float64) @ self.S.T
        return x, x @ self.B_star.T @ self.v_star


def _orthonormal_rows(m: torch.Tensor) -> torch.Tensor:
    q, _ = torch.linalg.qr(m.T)
    return q.T


def make_toy(
    d: int = 50, k: int = 10, r: int = 20, feature_noise: float = 0.05, seed: int = 0
) -> LinearToy:
    """Random ground truth with orthonormal feature rows, pretrained features B0 = the truth plus
    ``feature_noise`` relative error (re-orthonormalised), ID subspace of dimension ``r``."""
    if not k <= r <= d:
        raise ValueError(
            f"need k <= r <= d (features <= ID dimension <= input dimension), "
            f"got k={k}, r={r}, d={d}."
        )
    g = torch.Generator().manual_seed(seed)
    randn = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)
    B_star = _orthonormal_rows(randn(k, d))
    B0 = _orthonormal_rows(B_star + feature_noise * randn(k, d) / d**0.5 * k**0.5)
    v_star = randn(k)
    S = torch.linalg.qr(randn(d, r))[0]
    return LinearToy(B_star, v_star, B0, S)


def errors(toy: LinearToy, B: torch.Tensor, v: torch.Tensor) -> dict[str, float]:
    """Closed-form mean squared errors of f(x) = vᵀBx: ID (x = Sz, z ~ N(0, I_r)) and OOD
    (x ~ N(0, I_d)), both E[(vᵀBx - v*ᵀB*x)²] = ‖Σ^{1/2}(Bᵀv - B*ᵀv*)‖²."""
    w = B.T @ v - toy.B_star.T @ toy.v_star
    return {"id_mse": float((toy.S.T @ w).square().sum()), "ood_mse": float(w.square().sum())}


def feature_change(B0: torch.Tensor, B: torch.Tensor) -> float:
    """Relative change of the features: ‖B - B0‖_F / ‖B0‖_F."""
    return float((B - B0).norm() / B0.norm())


def linear_probe(
    toy: LinearToy, x: torch.Tensor, y: torch.Tensor, ridge: float = 1e-8
) -> torch.Tensor:
    """Least-squares head on the frozen features B0 x."""
    phi = x @ toy.B0.T
    return torch.linalg.solve(
        phi.T @ phi + ridge * torch.eye(phi.shape[1], dtype=phi.dtype), phi.T @ y
    )


def fine_tune(
    B: torch.Tensor,
    v: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int = 3000,
    lr: float = 0.05,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Full-batch gradient descent on ½·mean (vᵀBx - y)² over both B and v (returns copies).

    The gradients, written out: with residuals e = XBᵀv - y, ∇_v = B Xᵀe / n and
    ∇_B = v (Xᵀe)ᵀ / n — a rank-one update whose rows lie in the span of the inputs."""
    B, v = B.clone(), v.clone()
    n = len(x)
    for _ in range(steps):
        xe = x.T @ (x @ B.T @ v - y) / n  # (d,)
        B, v = B - lr * torch.outer(v, xe), v - lr * (B @ xe)
    return B, v


def random_head(k: int, seed: int = 0) -> torch.Tensor:
    """A freshly initialised head, as ``nn.Linear`` would draw it: U(-1/√k, 1/√k)."""
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(k, generator=g, dtype=torch.float64) * 2 - 1) / k**0.5


def compare_toy(
    d: int = 50,
    k: int = 10,
    r: int = 20,
    n: int = 200,
    feature_noise: float = 0.05,
    steps: int = 3000,
    lr: float = 0.05,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """LP, FT (random head) and LP-FT on one toy: ID/OOD MSE and feature change of each."""
    toy = make_toy(d, k, r, feature_noise, seed)
    x, y = toy.sample_id(n, torch.Generator().manual_seed(seed + 1))
    v_lp = linear_probe(toy, x, y)
    runs = {
        "LP": (toy.B0, v_lp),
        "FT": fine_tune(toy.B0, random_head(k, seed), x, y, steps, lr),
        "LP-FT": fine_tune(toy.B0, v_lp, x, y, steps, lr),
    }
    return {
        name: {**errors(toy, B, v), "feature_change": feature_change(toy.B0, B)}
        for name, (B, v) in runs.items()
    }


# ============================================================================ part 2: images
class Encoder(nn.Module):
    """The feature extractor of an ``ImageClassifier``: its normalisation and timm network up to
    the pooled pre-logits features (``forward_head(..., pre_logits=True)``)."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.net = copy.deepcopy(classifier.net)
        self.register_buffer("mean", classifier.mean.clone())
        self.register_buffer("std", classifier.std.clone())
        self.dim = self.net.num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.net.forward_features((x - self.mean) / self.std)
        return self.net.forward_head(z, pre_logits=True)


@torch.no_grad()
def features(encoder: nn.Module, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Frozen features of ``x`` (encoder in eval mode, no gradients)."""
    encoder.eval()
    return torch.cat([encoder(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def fit_linear_probe(
    feats: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    epochs: int = 300,
    lr: float = 0.05,
    weight_decay: float = 1e-3,
) -> nn.Linear:
    """Multinomial logistic regression on frozen features (full batch, Adam): an ``nn.Linear``."""
    torch.manual_seed(0)
    head = nn.Linear(feats.shape[1], num_classes).to(feats.device)
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(epochs):
        loss = F.cross_entropy(head(feats), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return head.eval()


# Encoder + linear head: the model LP, FT and LP-FT all end with (the kit's one such wrapper).


def finetune_model(
    model: WithHead,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int = 15,
    lr: float = 3e-4,
    batch_size: int = 32,
    seed: int = 0,
) -> WithHead:
    """Fine-tune every weight (AdamW, cosine schedule, no augmentation) and return the model in
    eval mode. The same recipe serves FT (random head) and LP-FT (LP head)."""
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    n_steps = epochs * -(-len(x) // batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps)
    fit(model, (x, y), cross_entropy(), opt, epochs, batch_size,
        torch.Generator().manual_seed(seed), sched)
    return model.eval()


@torch.no_grad()
def feature_distortion(before: nn.Module, after: nn.Module, x: torch.Tensor,
                       f0: torch.Tensor | None = None) -> float:
    """Mean relative change of the features of ``x``: ‖φ_after(x) - φ_before(x)‖ / ‖φ_before(x)‖.
    ``f0``: φ_before(x) if already computed (comparing several ``after`` models)."""
    f0 = features(before, x) if f0 is None else f0
    f1 = features(after, x)
    return float(((f1 - f0).norm(dim=1) / f0.norm(dim=1).clamp_min(1e-8)).mean())


def few_shot_indices(y: torch.Tensor, shots: int, seed: int = 0) -> torch.Tensor:
    """``shots`` random examples of every class present in ``y``."""
    g = torch.Generator().manual_seed(seed)
    picks = []
    for c in y.unique():
        idx = (y == c).nonzero().flatten()
        if len(idx) < shots:
            raise ValueError(
                f"class {int(c)} has only {len(idx)} examples, fewer than shots={shots}."
            )
        picks.append(idx[torch.randperm(len(idx), generator=g)[:shots].to(idx.device)])
    return torch.cat(picks)


def compare_images(
    encoder: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    tests: dict[str, tuple[torch.Tensor, torch.Tensor]],
    num_classes: int,
    epochs: int = 15,
    lr: float = 3e-4,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """LP, FT and LP-FT from one pretrained ``encoder`` on the labeled ``train`` images; accuracy
    on every named test set plus the ID-feature distortion of each recipe."""
    x, y = train
    head_lp = fit_linear_probe(features(encoder, x), y, num_classes)
    torch.manual_seed(seed)
    models = {
        "LP": WithHead(copy.deepcopy(encoder), copy.deepcopy(head_lp)),
        "FT": finetune_model(
            WithHead(copy.deepcopy(encoder), nn.Linear(encoder.dim, num_classes).to(x.device)),
            x,
            y,
            epochs,
            lr,
            seed=seed,
        ),
        "LP-FT": finetune_model(
            WithHead(copy.deepcopy(encoder), copy.deepcopy(head_lp)), x, y, epochs, lr, seed=seed
        ),
    }
    probe_x = next(iter(tests.values()))[0]
    f0 = features(encoder, probe_x)
    return {
        name: {
            **{k: accuracy(m, *t) for k, t in tests.items()},
            "feature_change": feature_distortion(encoder, m.encoder, probe_x, f0),
        }
        for name, m in models.items()
    }


# ============================================================================ part 2b: digits
def thicken_strokes(x: torch.Tensor) -> torch.Tensor:
    """A bolder pen: grey-level dilation with a 3 x 3 window (``shift.pen_shift`` by one pixel)."""
    return pen_shift(x, thickness=1, scale=1.0)


DIGIT_SHIFTS = {
    "ID (clean test)": lambda x: x,
    "OOD: rotated 30°": lambda x: rotate_images(x, 30.0),
    "OOD: bold strokes": thicken_strokes,
}


def digits_transfer_data(shots: int = 20, seed: int = 0):
    """The image experiment's data, all real scans: ``shots`` clean training digits per class
    (the labeled ID set) and the whole test split, clean (ID) and under each shift in
    ``DIGIT_SHIFTS`` (OOD). Returns ``((x, y), {name: (x, y)})``."""
    from tutorial_lib.core.data import load_digits_tensors

    x_tr, y_tr = load_digits_tensors("train")
    idx = few_shot_indices(y_tr, shots, seed)
    x_te, y_te = load_digits_tensors("test")
    return (x_tr[idx], y_tr[idx]), {k: (f(x_te), y_te) for k, f in DIGIT_SHIFTS.items()}


def build_probed(encoder_name: str = "cnn_digits", num_classes: int = 10) -> WithHead:
    """An untrained encoder (architecture of the kit's ``encoder_name``) with a linear head."""
    enc = Encoder(zoo.get(encoder_name).build())
    return WithHead(enc, nn.Linear(enc.dim, num_classes))


def transfer_recipe(
    model: WithHead,
    recipe: str,
    encoder_name: str = "cnn_digits",
    shots: int = 20,
    epochs: int = 15,
    lr: float = 3e-4,
    seed: int = 0,
) -> dict:
    """Train ``model`` in place with ``recipe`` ("FT" or "LP-FT") from the shipped pretrained
    ``encoder_name``; returns its accuracies on the ID and OOD test sets (a metrics dict)."""
    from tutorial_lib.core.models import load_model

    if recipe not in {"FT", "LP-FT"}:
        raise ValueError(f"recipe must be 'FT' or 'LP-FT', got {recipe!r}.")
    train, tests = digits_transfer_data(shots, seed)
    pretrained = Encoder(load_model(encoder_name))
    model.encoder.load_state_dict(pretrained.state_dict())
    torch.manual_seed(seed)
    if recipe == "LP-FT":
        model.head.load_state_dict(
            fit_linear_probe(features(pretrained, train[0]), train[1], 10).state_dict()
        )
    else:
        model.head.reset_parameters()
    finetune_model(model, *train, epochs=epochs, lr=lr, seed=seed)
    return {
        "recipe": recipe,
        "encoder": encoder_name,
        "shots": shots,
        "epochs": epochs,
        "lr": lr,
        "seed": seed,
        "accuracy": {k: accuracy(model, *t) for k, t in tests.items()},
        "feature_change": feature_distortion(
            pretrained, model.encoder, tests["ID (clean test)"][0]
        ),
    }


def linear_probe_digits(encoder_name: str = "cnn_digits", shots: int = 20, seed: int = 0) -> dict:
    """LP from the shipped encoder (no backbone gradient); same metrics as ``transfer_recipe``."""
    from tutorial_lib.core.models import load_model

    train, tests = digits_transfer_data(shots, seed)
    enc = Encoder(load_model(encoder_name))
    model = WithHead(enc, fit_linear_probe(features(enc, train[0]), train[1], 10))
    return {
        "recipe": "LP",
        "encoder": encoder_name,
        "shots": shots,
        "seed": seed,
        "accuracy": {k: accuracy(model, *t) for k, t in tests.items()},
        "feature_change": 0.0,
    }


def checkpoint_name(recipe: str, encoder_name: str = "cnn_digits") -> str:
    """Shipped checkpoint of a transfer recipe, e.g. ``lpft_ft_cnn_digits``."""
    return f"lpft_{recipe.lower().replace('-', '')}_{encoder_name}"


def train_recipe_for_zoo(recipe: str, encoder_name: str = "cnn_digits", seeds=(0, 1, 2)):
    """The zoo's training of ``lpft_{ft,lpft}_ENC``: seed ``seeds[0]``'s model is the checkpoint;
    every seed's accuracies go into its metrics ("seeds"), next to LP's ("lp_seeds")."""
    def train(model: WithHead) -> dict:
        first = transfer_recipe(model, recipe, encoder_name, seed=seeds[0])
        runs = [transfer_recipe(build_probed(encoder_name), recipe, encoder_name, seed=s)
                for s in seeds[1:]]
        return {**first, "seeds": [first, *runs],
                "lp_seeds": [linear_probe_digits(encoder_name, seed=s) for s in seeds]}
    return train


for _recipe in ("FT", "LP-FT"):
    zoo.register(checkpoint_name(_recipe), build=build_probed, train=train_recipe_for_zoo(_recipe),
                 description=f"cnn_digits adapted with {_recipe} on 20 scans per class (notebook 09)")


def cifar_transfer_data(shots: int = 100, seed: int = 0, size: int = 224, n_test: int | None = None):
    """Full profile: ``shots`` CIFAR-10 training images per class (ID, labeled) and ``n_test``
    test images (default: the profile's ``n_eval``, 1,000), clean (ID) and under each shift in
    ``DIGIT_SHIFTS`` (rotation, dilation: OOD), resized to ``size``. Downloads CIFAR-10 once;
    offline it fails early with ``FileNotFoundError``."""
    from tutorial_lib.core.data import load_cifar10

    n_test = get_profile().n_eval if n_test is None else n_test

    x_tr, y_tr = load_cifar10("train")
    x_te, y_te = load_cifar10("test")
    idx = few_shot_indices(y_tr, shots, seed)
    resize = lambda x: F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x_te, y_te = x_te[:n_test], y_te[:n_test]
    tests = {
        k.replace("bold strokes", "dilated"): (resize(f(x_te)).clamp(0, 1), y_te)
        for k, f in DIGIT_SHIFTS.items()
    }
    return (resize(x_tr[idx]).clamp(0, 1), y_tr[idx]), tests

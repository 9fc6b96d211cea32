import math

import ipywidgets as widgets
import pytest
import torch
import torch.nn.functional as F

from tutorial_lib.core import checks, plotting
from tutorial_lib.core import widgets as kit_widgets
from tutorial_lib.core.attacks import fgsm
from tutorial_lib.core.data import load_dataset
from tutorial_lib.core.fit import accuracy
from tutorial_lib.core.models import load_model
from tutorial_lib.core.transforms import digits_augment, random_affine, random_erasing


def test_augmentations_keep_shape_range_and_are_seeded():
    x = torch.rand(16, 1, 32, 32)
    a = digits_augment(x, torch.Generator().manual_seed(0))
    b = digits_augment(x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b) and 0 <= a.min() and a.max() <= 1
    assert not torch.equal(a, x)


def test_random_affine_identity_when_ranges_are_zero():
    x = torch.rand(4, 1, 8, 8)
    y = random_affine(x, max_degrees=0, scale=(1, 1), max_shift_px=0)
    assert torch.allclose(x, y, atol=1e-5)


def test_random_erasing_p1_erases_and_p0_does_not():
    x = torch.ones(8, 1, 16, 16)
    assert (random_erasing(x, p=1.0) == 0).flatten(1).any(1).all()
    assert torch.equal(random_erasing(x, p=0.0), x)


def test_fgsm_stays_in_budget_and_lowers_accuracy():
    model = load_model("cnn_digits")
    x, y = load_dataset("digits", "test", n=128)
    x_adv = fgsm(model, x, y, 0.1)
    assert (x_adv - x).abs().max() <= 0.1 + 1e-6 and 0 <= x_adv.min() and x_adv.max() <= 1
    assert accuracy(model, x_adv, y) < accuracy(model, x, y) - 0.2
    assert all(p.grad is None for p in model.parameters())


def test_check_function_accepts_right_and_falls_back_otherwise(capsys):
    ref = lambda t: t * 2
    cases = [(torch.ones(3),), (torch.arange(4.0),)]
    assert checks.check_function(lambda t: t + t, ref, cases, name="double") is not ref
    assert "correct on all 2" in capsys.readouterr().out

    def stub(t):
        raise NotImplementedError
    assert checks.check_function(stub, ref, cases, name="double") is ref
    assert "not implemented yet" in capsys.readouterr().out
    assert checks.check_function(lambda t: t * 3, ref, cases, name="double") is ref
    assert "differs from the reference on test case 1" in capsys.readouterr().out
    assert checks.check_function(lambda t: t[9], ref, cases) is ref
    assert "raised IndexError" in capsys.readouterr().out


def test_slider_explorer_wiring_headless():
    seen = []
    w = kit_widgets.slider_explorer(lambda eps: seen.append(eps) or eps * 2,
                                    eps=kit_widgets.eps_slider(max_eps=0.3, value=0.1))
    assert isinstance(w, widgets.interactive) and seen == [0.1]
    w.children[0].value = 0.2
    assert seen[-1] == 0.2 and w.result == 0.4
    assert w.children[0].continuous_update is False and w.children[0].max == 0.3


def test_plot_helpers_draw(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    plotting.use_style()
    fig = plotting.show_images(torch.rand(5, 1, 8, 8), titles=list("abcde"), ncols=3)
    assert len(fig.axes) == 6
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    plotting.prediction_bars(ax, torch.softmax(torch.randn(10), 0), true_label=3)
    assert len(ax.patches) == 10
    plt.close("all")


def test_check_function_accepts_numpy_answers(capsys):
    import numpy as np
    ref = lambda v: torch.tensor(v) * 2
    assert checks.check_function(lambda v: np.array(v) * 2, ref, [([1.0, 2.0],)]) is not ref
    assert checks.check_function(lambda v: np.array(v) * 3, ref, [([1.0, 2.0],)]) is ref


# ----------------------------------------------------------------------------- every training loop
def _digits(n=128, size=32):
    from tutorial_lib.core.data import load_digits_tensors

    x, y = load_digits_tensors("train", size=size)
    return x[:n], y[:n]


def _smoke_standard():
    from tutorial_lib.core.fit import train_classifier
    from tutorial_lib.core.models import build_cnn_digits

    model = build_cnn_digits()
    out = train_classifier(model, _digits(), _digits(64), epochs=2, warmup_epochs=1, log=None)
    return [h["loss"] for h in out["history"]]


def _smoke_noise():
    from tutorial_lib.certified import smoothing

    model = smoothing.build_smoothing_cnn()
    from tutorial_lib.core.fit import train_classifier

    out = train_classifier(model, _digits(size=16), _digits(64, 16), epochs=2,
                                     warmup_epochs=1, augment=smoothing.noise_augment(0.25),
                                     log=None)
    return [h["loss"] for h in out["history"]]


def _smoke_adversarial():
    from tutorial_lib.transfer import matrix

    enc = matrix.build_encoder("quick")
    model = matrix.finetune(enc, "AFF", _digits(size=16), epochs=2, eps=0.1, attack_steps=2)
    return [float(torch.isfinite(p).all()) for p in model.parameters()][:1] * 2


def _smoke_contrastive():
    from tutorial_lib.transfer import matrix, pretrain

    out = pretrain.pretrain_encoder(matrix.build_encoder("quick"), _digits(size=16)[0],
                                    "contrastive", epochs=2, log=None)
    return out["loss_history"]


def _smoke_mlp():
    from tutorial_lib.shift import simplicity

    x = torch.randn(256, 10)
    y = (x[:, 0] > 0).long()
    model = simplicity.train_mlp(x, y, hidden=16, epochs=3)
    return [F.binary_cross_entropy_with_logits(model(x).squeeze(1), y.float()).item()] * 2


def _smoke_lpft():
    from tutorial_lib.transfer import lpft

    x, y = _digits(64)
    model = lpft.build_probed("cnn_digits")
    with torch.no_grad():
        before = F.cross_entropy(model.train()(x), y).item()
    lpft.finetune_model(model, x, y, epochs=2, lr=1e-3)
    with torch.no_grad():
        after = F.cross_entropy(model(x), y).item()
    return [before, after]


@pytest.mark.parametrize("loop", [_smoke_standard, _smoke_noise, _smoke_adversarial,
                                  _smoke_contrastive, _smoke_mlp, _smoke_lpft],
                         ids=lambda f: f.__name__[7:])
def test_every_training_loop_runs_a_few_steps(loop):
    """Each lesson's training path (all through core.fit) runs and yields finite losses; where the
    loss is tracked it does not blow up. Catches a broken loop before anyone retrains."""
    torch.manual_seed(0)
    losses = loop()
    assert len(losses) >= 2 and all(math.isfinite(v) for v in losses), losses
    assert losses[-1] <= losses[0] * 1.5, losses

"""Loss landscapes: filter normalisation, alpha = 0 is the model's loss, the model is untouched."""

import pytest
import torch
import torch.nn.functional as F

from tutorial_lib.attribution import landscape
from tutorial_lib.core.data import load_dataset
from tutorial_lib.core.models import build_cnn_digits, load_model


@pytest.fixture(scope="module")
def batch():
    return load_dataset("digits", "test", n=16)


def test_filter_normalisation_matches_each_filter_norm():
    torch.manual_seed(0)
    m = build_cnn_digits()
    d = landscape.filter_normalized_direction(m, torch.Generator().manual_seed(0))
    for name, p in m.named_parameters():
        if p.dim() > 1:
            assert torch.allclose(d[name].flatten(1).norm(dim=1), p.flatten(1).norm(dim=1),
                                  rtol=1e-4)
        else:
            assert (d[name] == 0).all()


@pytest.mark.parametrize("name", ["vit_digits", "cnn_digits"])
def test_alpha_zero_is_the_models_loss_and_weights_are_untouched(name, batch):
    m = load_model(name)
    x, y = batch
    before = {k: v.clone() for k, v in m.state_dict().items()}
    with torch.no_grad():
        loss = F.cross_entropy(m(x), y).item()
    curve = landscape.landscape_1d(m, x, y, torch.tensor([-0.5, 0.0, 0.5]), n_dirs=1)
    assert curve.shape == (1, 3)
    assert curve[0, 1].item() == pytest.approx(loss, rel=1e-5)
    assert curve[0, 0] > curve[0, 1] and curve[0, 2] > curve[0, 1]  # a trained minimum
    assert all(torch.equal(v, m.state_dict()[k]) for k, v in before.items())


def test_2d_centre_and_bn_modes(batch):
    m = load_model("cnn_digits")
    x, y = batch
    surf = landscape.landscape_2d(m, x, y, torch.tensor([-0.2, 0.0, 0.2]))
    with torch.no_grad():
        assert surf[1, 1].item() == pytest.approx(F.cross_entropy(m(x), y).item(), rel=1e-5)
    batch_mode = landscape.landscape_1d(m, x, y, torch.tensor([0.0]), bn_mode="batch")
    assert batch_mode[0, 0] != surf[1, 1]  # batch statistics differ from running ones
    assert not m.training
    with pytest.raises(ValueError, match="bn_mode"):
        landscape.landscape_1d(m, x, y, torch.tensor([0.0]), bn_mode="train")


def test_sharpness_recovers_a_parabola():
    a = torch.linspace(-1, 1, 21)
    losses = torch.stack([1 + 0.3 * a + 2.0 * a ** 2, 1 + 4.0 * a ** 2])
    assert landscape.sharpness(a, losses, span=1.0) == pytest.approx(3.0, rel=1e-6)
    with pytest.raises(ValueError, match="3 points"):
        landscape.sharpness(a, losses, span=0.01)

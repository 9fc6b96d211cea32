"""LP vs FT vs LP-FT: the two-layer linear toy (Kumar et al. 2022) and the image pieces."""

import pytest
import torch

from tutorial_lib.core import models, zoo
from tutorial_lib.core.fit import accuracy
from tutorial_lib.transfer import linear_toy as toy_lib
from tutorial_lib.transfer import lpft, pretrain, probing


def test_closed_form_errors_match_monte_carlo():
    toy = toy_lib.make_toy(d=12, k=3, r=5, seed=0)
    g = torch.Generator().manual_seed(1)
    B = toy.B0 + 0.1 * torch.randn(3, 12, generator=g, dtype=torch.float64)
    v = torch.randn(3, generator=g, dtype=torch.float64)
    x_id, y_id = toy.sample_id(100_000, g)
    x_ood = torch.randn(100_000, 12, generator=g, dtype=torch.float64)
    y_ood = x_ood @ toy.B_star.T @ toy.v_star
    err = toy_lib.errors(toy, B, v)
    assert err["id_mse"] == pytest.approx(
        float(((x_id @ B.T @ v) - y_id).square().mean()), rel=0.03
    )
    assert err["ood_mse"] == pytest.approx(
        float(((x_ood @ B.T @ v) - y_ood).square().mean()), rel=0.03
    )


def test_fine_tune_gradients_match_autograd():
    toy = toy_lib.make_toy(d=8, k=2, r=4, seed=0)
    x, y = toy.sample_id(30, torch.Generator().manual_seed(0))
    v0 = toy_lib.random_head(2, seed=0)
    B1, v1 = toy_lib.fine_tune(toy.B0, v0, x, y, steps=1, lr=0.1)
    B, v = toy.B0.clone().requires_grad_(True), v0.clone().requires_grad_(True)
    gB, gv = torch.autograd.grad(0.5 * ((x @ B.T @ v) - y).square().mean(), (B, v))
    assert torch.allclose(B1, toy.B0 - 0.1 * gB) and torch.allclose(v1, v0 - 0.1 * gv)


def test_fine_tuning_changes_features_only_inside_the_id_subspace():
    toy = toy_lib.make_toy(d=20, k=3, r=6, seed=2)
    x, y = toy.sample_id(50, torch.Generator().manual_seed(0))
    B, _ = toy_lib.fine_tune(toy.B0, toy_lib.random_head(3), x, y, steps=200, lr=0.05)
    outside = torch.eye(20, dtype=torch.float64) - toy.S @ toy.S.T
    assert torch.allclose(
        (B - toy.B0) @ outside, torch.zeros(3, 20, dtype=torch.float64), atol=1e-10
    )


def test_linear_probe_is_least_squares_and_fits_id_when_features_are_exact():
    toy = toy_lib.make_toy(d=10, k=3, r=5, feature_noise=0.0, seed=0)
    x, y = toy.sample_id(40, torch.Generator().manual_seed(0))
    v = toy_lib.linear_probe(toy.B0, x, y)
    err = toy_lib.errors(toy, toy.B0, v)
    assert err["id_mse"] < 1e-8 and err["ood_mse"] < 1e-8


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lpft_beats_ft_out_of_distribution(seed):
    """The issue's test (fixed seeds): LP-FT OOD error < FT OOD error; FT distorts features more."""
    res = toy_lib.compare_toy(
        d=50, k=10, r=20, n=200, feature_noise=0.05, steps=800, lr=0.05, seed=seed
    )
    assert res["LP-FT"]["ood_mse"] < res["FT"]["ood_mse"]
    assert res["LP-FT"]["ood_mse"] < res["LP"]["ood_mse"] + 1e-9
    assert res["FT"]["feature_change"] > 3 * res["LP-FT"]["feature_change"]
    assert res["FT"]["id_mse"] < 1e-3 and res["LP-FT"]["id_mse"] < 1e-3


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="k <= r <= d"):
        toy_lib.make_toy(d=10, k=5, r=3)
    with pytest.raises(ValueError, match="fewer than shots"):
        probing.few_shot_indices(torch.tensor([0, 0, 1]), shots=2)
    with pytest.raises(ValueError, match="recipe"):
        lpft.transfer_recipe(lpft.build_probed(), "LP-then-magic")


def test_image_pieces_shapes():
    x = torch.rand(4, 1, 32, 32)
    assert torch.allclose(lpft.rotate_images(x, 0.0), x, atol=1e-5)
    assert lpft.rotate_images(x, 30.0).shape == x.shape
    assert (lpft.thicken_strokes(x) >= x).all()
    model = lpft.build_probed("cnn_digits")
    assert model.encoder(x).shape == (4, model.encoder.dim)
    assert model(x).shape == (4, 10)
    idx = probing.few_shot_indices(torch.tensor([0, 1, 0, 1, 2, 2]), shots=2)
    assert sorted(idx.tolist()) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("recipe", ["FT", "LP-FT"])
def test_shipped_transfer_checkpoints_reproduce_their_recorded_accuracy(recipe):
    name = lpft.checkpoint_name(recipe)
    meta = zoo.metrics(name)
    model = zoo.load(name)
    _, tests = lpft.digits_transfer_data(meta["shots"], meta["seed"])
    for k, t in tests.items():
        assert accuracy(model, *t) == pytest.approx(meta["accuracy"][k], abs=0.01), k


def test_encoder_wraps_a_full_profile_timm_model_offline():
    """The full-profile path (timm ViT-S/16) builds offline with pretrained=False."""
    net = models.build_full_model("vit_small_patch16_224", pretrained=False)
    enc = probing.Encoder(net)
    probed = pretrain.WithHead(enc, torch.nn.Linear(enc.dim, 10))
    assert enc.dim == 384
    assert probed(torch.rand(1, 3, 224, 224)).shape == (1, 10)


def test_three_recipes_end_to_end_in_the_one_result_shape():
    """The full-profile path's plumbing on tiny data (an untrained encoder: shapes and keys only)."""
    torch.manual_seed(0)
    enc = lpft.build_probed("cnn_digits").encoder
    x, y = torch.rand(20, 1, 32, 32), torch.arange(20) % 10
    tests = {"ID": (x[:8], y[:8]), "OOD": (lpft.rotate_images(x[:8], 30.0), y[:8])}
    res = probing.evaluate_recipes(enc, probing.three_recipes(enc, (x, y), 10, epochs=1, lr=1e-3), tests)
    assert set(res) == {"LP", "FT", "LP-FT"}
    for r in res.values():
        assert set(r) == {"accuracy", "feature_change"} and set(r["accuracy"]) == {"ID", "OOD"}
        assert 0 <= r["accuracy"]["ID"] <= 1
    assert res["LP"]["feature_change"] == 0.0 and res["FT"]["feature_change"] > 0


def test_quick_image_experiment_has_the_same_shape_and_reproduces_the_records():
    """The quick path (LP live, FT/LP-FT shipped) returns the shape the full path returns, and its
    numbers are the seed-0 records of the checkpoints' metrics."""
    tests, res = lpft.image_experiment(lpft.knobs("quick"), "quick", seed=0)
    assert list(res) == ["LP", "FT", "LP-FT"] and list(tests) == list(lpft.DIGIT_SHIFTS)
    meta = zoo.metrics(lpft.checkpoint_name("FT"))
    for recipe, recorded in [("LP", meta["lp_seeds"][0]), ("FT", meta["seeds"][0])]:
        assert set(res[recipe]) == {"accuracy", "feature_change"}
        for k, acc in recorded["accuracy"].items():
            assert res[recipe]["accuracy"][k] == pytest.approx(acc, abs=0.01), (recipe, k)
    assert res["LP"]["feature_change"] == 0.0
    assert res["LP-FT"]["feature_change"] < res["FT"]["feature_change"]
